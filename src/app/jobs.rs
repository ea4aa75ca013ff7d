//! The job list: one row per job, its state in words, counting down while it waits.

use super::actions::Action;
use crate::engine::error::EngineError;
use crate::engine::request::GenerationSettings;
use crate::engine::{Event, EventKind, JobId, JobState};
use std::time::{Duration, Instant};

/// Longest prompt excerpt shown in a row.
const PROMPT_CHARS: usize = 48;

/// Every job started in this session, newest first.
#[derive(Default)]
pub struct Jobs {
    rows: Vec<JobRow>,
    /// Counts presses of Generate (and retries), to group candidates in the gallery.
    batches: u64,
}

/// One job.
struct JobRow {
    id: JobId,
    batch: u64,
    /// What was sent, so Retry can send it again.
    settings: GenerationSettings,
    state: JobState,
    /// When the current state began (for countdowns).
    since: Instant,
    error: Option<EngineError>,
    /// "Trying the fallback model…", when it happened.
    note: Option<String>,
    finished: bool,
}

impl JobRow {
    /// The state in words: "waiting 12 s (rate limit)", "failed: …".
    fn state_text(&self, now: Instant) -> String {
        let left = |seconds: f64| (seconds - now.duration_since(self.since).as_secs_f64()).max(0.0).ceil();
        match &self.state {
            JobState::Queued => "queued".to_owned(),
            JobState::Sending { attempt: 1 } => "sending".to_owned(),
            JobState::Sending { attempt } => format!("sending (try {attempt})"),
            JobState::Waiting { seconds, reason } => format!("waiting {} s ({})", left(*seconds), reason.label()),
            JobState::Processing { eta_seconds: Some(eta) } if left(*eta) > 0.0 => {
                format!("processing, about {} s left", left(*eta))
            }
            JobState::Processing { .. } => "processing".to_owned(),
            JobState::Generating { progress, eta_seconds } => match eta_seconds {
                Some(eta) if *eta >= 1.0 => format!("generating {:.0}%, about {:.0} s left", progress * 100.0, eta),
                _ => format!("generating {:.0}%", progress * 100.0),
            },
            JobState::Downloading { index, total } => format!("downloading {index}/{total}"),
            JobState::Done { .. } => "done".to_owned(),
            JobState::Failed { category } => match &self.error {
                Some(error) => format!("failed: {}", error.message),
                None => format!("failed: {}", category.info().message),
            },
            JobState::Cancelled => "cancelled".to_owned(),
            JobState::Unknown => {
                "unknown: Easel stopped before the answer came (it may have been made and charged)".to_owned()
            }
        }
    }

    /// Seconds until the countdown text next changes, while there is one.
    fn next_tick(&self, now: Instant) -> Option<Duration> {
        let seconds = match self.state {
            JobState::Waiting { seconds, .. } | JobState::Processing { eta_seconds: Some(seconds) } => seconds,
            _ => return None,
        };
        let left = seconds - now.duration_since(self.since).as_secs_f64();
        (left > 0.0).then(|| Duration::from_secs_f64(left.fract().max(0.05)))
    }

    fn colour(&self, ui: &egui::Ui) -> egui::Color32 {
        match self.state {
            JobState::Done { .. } => super::keys::good_colour(ui),
            JobState::Failed { .. } => ui.visuals().error_fg_color,
            JobState::Waiting { .. } => ui.visuals().warn_fg_color,
            JobState::Unknown => ui.visuals().warn_fg_color,
            JobState::Cancelled => ui.visuals().weak_text_color(),
            _ => ui.visuals().text_color(),
        }
    }
}

impl Jobs {
    /// Record the jobs of one submission; returns its batch number.
    pub fn submitted(&mut self, jobs: Vec<(JobId, GenerationSettings)>, now: Instant) -> u64 {
        self.batches += 1;
        let batch = self.batches;
        for (id, settings) in jobs {
            let row = JobRow {
                id,
                batch,
                settings,
                state: JobState::Queued,
                since: now,
                error: None,
                note: None,
                finished: false,
            };
            self.rows.insert(0, row);
        }
        batch
    }

    /// Follow an engine event.
    pub fn on_event(&mut self, event: &Event, now: Instant) {
        let Some(row) = self.rows.iter_mut().find(|r| r.id == event.job) else { return };
        match &event.kind {
            EventKind::State(state) => {
                row.state = state.clone();
                row.since = now;
            }
            EventKind::Error(error) => row.error = Some((**error).clone()),
            EventKind::Fallback { message, .. } => row.note = Some(message.clone()),
            EventKind::Finished { .. } => row.finished = true,
            _ => {}
        }
    }

    /// The batch a job belongs to, for grouping its images.
    pub fn batch_of(&self, job: &str) -> Option<u64> {
        self.rows.iter().find(|r| r.id == job).map(|r| r.batch)
    }

    /// What a job sent, for Retry.
    pub fn settings_of(&self, job: &str) -> Option<&GenerationSettings> {
        self.rows.iter().find(|r| r.id == job).map(|r| &r.settings)
    }

    /// Jobs that have not ended.
    pub fn in_flight(&self) -> usize {
        self.rows.iter().filter(|r| !r.finished).count()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn clear_finished(&mut self) {
        self.rows.retain(|r| !r.finished);
    }

    /// Draw the list. Asks for a repaint when a countdown will change.
    pub fn ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let now = Instant::now();
        ui.horizontal(|ui| {
            ui.strong("Jobs");
            ui.weak(format!("{} running", self.in_flight()));
            if ui.add_enabled(self.rows.iter().any(|r| r.finished), egui::Button::new("Clear finished")).clicked() {
                actions.push(Action::ClearFinishedJobs);
            }
        });
        egui::ScrollArea::vertical().id_salt("easel-jobs").auto_shrink([false, true]).show(ui, |ui| {
            for row in &self.rows {
                ui.push_id(&row.id, |ui| row_ui(ui, row, now, actions));
            }
        });
        if let Some(tick) = self.rows.iter().filter_map(|r| r.next_tick(now)).min() {
            ui.ctx().request_repaint_after(tick);
        }
    }
}

fn row_ui(ui: &mut egui::Ui, row: &JobRow, now: Instant, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        status_dot(ui, row.colour(ui));
        ui.add(egui::Label::new(short_prompt(&row.settings.prompt)).truncate()).on_hover_text(&row.settings.prompt);
        let state = ui.colored_label(row.colour(ui), row.state_text(now));
        if let Some(error) = &row.error {
            state.on_hover_text(format!("What to do: {}", error.hint));
        }
        if let Some(note) = &row.note {
            ui.weak(note);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let retry_tip = if matches!(row.state, JobState::Failed { .. }) {
                "Run the same settings again as a new job. The service may charge for it again."
            } else {
                "Run the same settings again as a new job."
            };
            if ui.add_enabled(row.finished, egui::Button::new("Retry")).on_hover_text(retry_tip).clicked() {
                actions.push(Action::RetryJob(row.id.clone()));
            }
            let cancel = ui.add_enabled(!row.finished, egui::Button::new("Cancel")).on_hover_text(
                "Stop waiting for this job. If the service already started it, it may still be charged.",
            );
            if cancel.clicked() {
                actions.push(Action::CancelJob(row.id.clone()));
            }
        });
    });
}

/// A small coloured dot (egui's default font has no circle glyph).
fn status_dot(ui: &mut egui::Ui, colour: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, colour);
}

/// The start of a prompt, on one line.
fn short_prompt(prompt: &str) -> String {
    let line = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(PROMPT_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::retry::WaitReason;

    fn row(state: JobState, since: Instant) -> JobRow {
        JobRow {
            id: "j-1".into(),
            batch: 1,
            settings: GenerationSettings {
                prompt: "a fox".into(),
                negative_prompt: None,
                model: "flux".into(),
                fallback_model: None,
                width: 512,
                height: 512,
                samples: 1,
                steps: 30,
                guidance: 7.5,
                seed: crate::engine::request::Seed::Random,
                seed_from_person: false,
                ..Default::default()
            },
            state,
            since,
            error: None,
            note: None,
            finished: false,
        }
    }

    #[test]
    fn waits_count_down_in_whole_seconds() {
        let start = Instant::now();
        let r = row(JobState::Waiting { seconds: 12.0, reason: WaitReason::RateLimited }, start);
        assert_eq!(r.state_text(start), "waiting 12 s (rate limit)");
        assert_eq!(r.state_text(start + Duration::from_millis(2500)), "waiting 10 s (rate limit)");
        assert_eq!(r.state_text(start + Duration::from_secs(20)), "waiting 0 s (rate limit)");
        assert!(r.next_tick(start + Duration::from_secs(20)).is_none(), "no repaints once it reached zero");
        let p = row(JobState::Processing { eta_seconds: Some(8.0) }, start);
        assert_eq!(p.state_text(start), "processing, about 8 s left");
        assert_eq!(p.state_text(start + Duration::from_secs(9)), "processing");
    }
}
