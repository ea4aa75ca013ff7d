//! The window's log file: `logs/easel.YYYY-MM-DD.log` in the data folder, rotated daily,
//! the last few days kept. It holds one line per job start and end, each error (category and
//! message) and each HTTP exchange's one-line summary; never request bodies or keys. Every
//! line goes through [`Redactor::all_known`] before it is written.
//!
//! Installed by [`run`](super::run) only; without it (tests, the CLI) these calls do nothing.

use easel_engine::diagnostics::Diagnostics;
use easel_engine::redact::Redactor;
use easel_engine::{Event, EventKind, JobState};
use std::path::Path;

/// How many daily files are kept.
const KEEP_FILES: usize = 7;

/// Start writing the log. Keep the guard alive for the life of the window: dropping it
/// flushes the file. Returns why not as a sentence.
pub fn install(data_dir: &Path) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    let dir = super::help::logs_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("the logs folder {} could not be made: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("easel")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(&dir)
        .map_err(|e| format!("the log file in {} could not be opened: {e}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let subscriber =
        tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_target(false).with_max_level(tracing::Level::INFO).finish();
    tracing::subscriber::set_global_default(subscriber).map_err(|e| format!("logging was already set up: {e}"))?;
    tracing::info!("Easel {} started", env!("CARGO_PKG_VERSION"));
    Ok(guard)
}

/// Remove every key Easel has seen from a line.
fn clean(text: &str) -> String {
    Redactor::all_known().text(text)
}

/// The line for one engine event, if it is worth a line.
pub fn event_line(event: &Event) -> Option<String> {
    // The engine's own exchanges (a key check, a model list) belong to no job.
    let job = event.job.as_deref().unwrap_or("-");
    let line = match &event.kind {
        EventKind::State(JobState::Queued) => format!("job {job} started"),
        EventKind::State(JobState::Done { images }) => format!("job {job} done: {images} image(s)"),
        EventKind::State(JobState::Cancelled) => format!("job {job} cancelled"),
        EventKind::State(JobState::Unknown) => format!("job {job} unknown (sent before Easel stopped)"),
        EventKind::State(JobState::Failed { category }) => format!("job {job} failed: {category}"),
        EventKind::Error(error) => format!("job {job} error {}: {}", error.category, error.message),
        EventKind::Fallback { from, to, .. } => format!("job {job} falls back from {from} to {to}"),
        EventKind::Response(record) => format!("job {job} {}", summary(record)),
        _ => return None,
    };
    Some(clean(&line))
}

/// One HTTP exchange in one line (no bodies, no headers).
pub fn summary(r: &Diagnostics) -> String {
    let mut line = r.one_line();
    if let Some(e) = &r.error {
        line.push_str(&format!("; error {}: {}", e.category, e.message));
    }
    if let Some(t) = &r.transport_error {
        line.push_str(&format!("; transport: {t}"));
    }
    line
}

/// Log an engine event (errors as warnings).
pub fn event(event: &Event) {
    if let Some(line) = event_line(event) {
        match &event.kind {
            EventKind::Error(_) | EventKind::State(JobState::Failed { .. }) => tracing::warn!("{line}"),
            _ => tracing::info!("{line}"),
        }
    }
}

/// Log something the window did or that went wrong, redacted.
pub fn note(text: &str) {
    tracing::info!("{}", clean(text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_engine::error::{EngineError, ErrorCategory};

    #[test]
    fn a_key_in_an_error_message_never_reaches_the_log_line() {
        let key = easel_engine::keys::ApiKey::parse("log-secret-key-0123456789").unwrap();
        let error = EngineError::new(ErrorCategory::Auth).with_message(format!("bad key {}", key.expose()));
        let event = Event { job: Some("j-1".into()), kind: EventKind::Error(Box::new(error)) };
        let line = event_line(&event).unwrap();
        assert!(line.contains("error auth") && !line.contains(key.expose()), "{line}");
    }

    #[test]
    fn the_log_file_is_written_in_the_logs_folder_without_keys() {
        let data = tempfile::tempdir().unwrap();
        let key = easel_engine::keys::ApiKey::parse("file-secret-key-0123456789").unwrap();
        let guard = install(data.path()).expect("the first install works");
        note(&format!("a line that holds {}", key.expose()));
        drop(guard); // flushes
        let logs = data.path().join("logs");
        let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("easel.") && name.ends_with(".log"), "{name}");
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("a line that holds [redacted]"), "{text}");
        assert!(!text.contains(key.expose()), "{text}");
    }
}
