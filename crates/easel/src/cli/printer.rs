//! How `generate` and `resume` report: events as they come, for a person (on standard error)
//! or one JSON object per line (on standard output).

use easel_engine::error::EngineError;
use easel_engine::{Event, EventKind, JobState};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Prints events as they come, human or JSON.
pub struct Printer {
    pub json: bool,
    out: Mutex<std::io::Stdout>,
    /// Standard output stopped taking lines (a closed pipe): said once, then quiet.
    closed: AtomicBool,
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Self { json, out: Mutex::new(std::io::stdout()), closed: AtomicBool::new(false) }
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
            EventKind::Preview(preview) => {
                eprintln!("[{short}] preview {} arrived ({}×{}); still working…", preview.index + 1, preview.width, preview.height);
            }
            EventKind::Image(image) => eprintln!("[{short}] saved {}", image.path.display()),
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
