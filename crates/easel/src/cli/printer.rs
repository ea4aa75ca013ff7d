//! How `generate` and `resume` report: events as they come, for a person (on standard error)
//! or one JSON object per line (on standard output), and what the jobs cost, added up.

use easel_engine::cost::{Estimate, JobCost, money_text};
use easel_engine::error::EngineError;
use easel_engine::{Event, EventKind, JobState};
use serde::Serialize;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Prints events as they come, human or JSON.
pub struct Printer {
    pub json: bool,
    out: Mutex<std::io::Stdout>,
    /// Standard output stopped taking lines (a closed pipe): said once, then quiet.
    closed: AtomicBool,
    /// What the jobs cost, as their `cost` events said.
    costs: Mutex<Vec<JobCost>>,
}

/// What a run's jobs cost, as far as it is known.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spent {
    pub amount: f64,
    pub currency: Option<String>,
    /// Part of it is an estimate (OpenAI's usage priced by the table, or a shared balance).
    pub estimated: bool,
    /// Jobs whose cost was known; the others' is unknown.
    pub jobs: usize,
}

impl Spent {
    pub fn text(&self) -> String {
        let about = if self.estimated { "about " } else { "" };
        format!("cost {about}{}", money_text(self.amount, self.currency.as_deref()))
    }
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Self { json, out: Mutex::new(std::io::stdout()), closed: AtomicBool::new(false), costs: Mutex::new(Vec::new()) }
    }

    /// What the jobs' `cost` events added up to (`None` when none came, or in several currencies).
    pub fn spent(&self) -> Option<Spent> {
        let costs = self.costs.lock().ok()?;
        let currency = costs.iter().find_map(|c| c.currency.clone());
        if costs.is_empty() || costs.iter().any(|c| c.currency.is_some() && c.currency != currency) {
            return None;
        }
        let amount = (costs.iter().map(|c| c.amount).sum::<f64>() * 1e6).round() / 1e6;
        Some(Spent { amount, currency, estimated: costs.iter().any(|c| c.source.is_estimate()), jobs: costs.len() })
    }

    /// What the jobs should cost, before they are sent.
    pub fn estimate(&self, estimate: &Estimate) {
        if self.json {
            if let Ok(serde_json::Value::Object(mut value)) = serde_json::to_value(estimate) {
                value.insert("event".into(), "estimate".into());
                self.json_line(&serde_json::Value::Object(value));
            }
            return;
        }
        let currency = estimate.currency.as_deref();
        let range = match (estimate.low, estimate.high) {
            (Some(low), Some(high)) if (high - low).abs() < 1e-9 => Some(money_text(low, currency)),
            (Some(low), Some(high)) => Some(format!("{} to {}", money_text(low, currency), money_text(high, currency))),
            _ => None,
        };
        match (range, estimate.unknown) {
            (Some(range), 0) => eprintln!("Estimated cost: {range}."),
            (Some(range), unknown) => eprintln!("Estimated cost: {range}, plus {unknown} job(s) whose price is not published."),
            (None, _) => eprintln!(
                "The cost is not known before sending (no published price); Easel reads it from your balance afterwards where it can."
            ),
        }
        if let Some(warning) = &estimate.warning {
            eprintln!("Warning: {warning}");
        }
    }

    pub fn json_line(&self, value: &serde_json::Value) {
        let written = match self.out.lock() {
            Ok(mut out) => writeln!(out, "{value}").and_then(|()| out.flush()),
            Err(_) => Err(std::io::Error::other("another thread panicked while printing")),
        };
        if let Err(why) = written
            && !self.closed.swap(true, Ordering::Relaxed)
        {
            eprintln!("Easel could not write to standard output ({why}); the images are still kept in the library.");
        }
    }

    /// Something the person should know that is not an error: on stderr, or as a `note` event.
    pub fn note(&self, text: &str) {
        if self.json {
            self.json_line(&serde_json::json!({"event": "note", "message": text}));
        } else {
            eprintln!("Note: {text}");
        }
    }

    pub fn event(&self, event: &Event) {
        if let EventKind::Cost(cost) = &event.kind
            && let Ok(mut costs) = self.costs.lock()
        {
            costs.push((**cost).clone());
        }
        if self.json {
            // The documented events; job states are for the window's job list.
            if matches!(event.kind, EventKind::State(_) | EventKind::Finished { .. }) {
                return;
            }
            match serde_json::to_value(event) {
                Ok(value) => self.json_line(&value),
                Err(why) => eprintln!("Easel could not write an event of job {} as JSON ({why}).", event.job.as_deref().unwrap_or("-")),
            }
            return;
        }
        let job = event.job.as_deref().unwrap_or_default();
        let short = &job[job.len().saturating_sub(4)..];
        match &event.kind {
            EventKind::State(JobState::Uploading) => eprintln!("[{short}] uploading the start image…"),
            EventKind::State(JobState::Sending { attempt }) => eprintln!("[{short}] sending (attempt {attempt})…"),
            EventKind::State(JobState::Downloading { index, total }) => eprintln!("[{short}] downloading {index}/{total}…"),
            EventKind::Wait { seconds, reason, .. } => eprintln!("[{short}] waiting {seconds:.1} s ({})", reason.label()),
            EventKind::Fallback { message, .. } => eprintln!("[{short}] {message}"),
            EventKind::State(JobState::WaitingForRoom { pictures, seconds, problem }) => eprintln!(
                "[{short}] {problem} Easel keeps {pictures} picture(s) and tries to save them again in {seconds:.0} s; free some space. Nothing is sent again."
            ),
            EventKind::Started { service, model, .. } => eprintln!("[{short}] {model} on {}", service.label),
            EventKind::Preview(preview) => {
                eprintln!("[{short}] preview {} arrived ({}×{}); still working…", preview.index + 1, preview.width, preview.height);
            }
            EventKind::Image(image) => eprintln!("[{short}] saved {}", image.path.display()),
            EventKind::Cost(cost) => {
                let about = if cost.source.is_estimate() { "about " } else { "" };
                eprintln!("[{short}] cost {about}{}", money_text(cost.amount, cost.currency.as_deref()));
            }
            EventKind::CollectBefore { local, .. } => {
                eprintln!("[{short}] the service keeps its pictures until {local}: collect them before then")
            }
            _ => {}
        }
    }

    pub fn error(&self, job: Option<&str>, err: &EngineError) {
        if self.json {
            let mut value = serde_json::to_value(err).unwrap_or_default();
            if let Some(obj) = value.as_object_mut() {
                obj.insert("event".into(), "error".into());
                if let Some(job) = job {
                    obj.insert("job".into(), job.into());
                }
            }
            self.json_line(&value);
        } else {
            eprintln!("Error ({}): {}", err.category, err.describe());
        }
    }
}
