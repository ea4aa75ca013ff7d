//! Crash safety: a panic writes a redacted report to the data directory, and the
//! next start offers to show it.

use crate::redact::Redactor;
use std::path::{Path, PathBuf};

/// Where crash reports go, inside the data directory.
pub fn crash_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("crashes")
}

/// Install a panic hook that writes `crashes/crash-<time>.txt` and prints one line to
/// standard error, with every known key removed from both. (The default hook is not
/// chained: it would print the raw message, which could hold a key.)
pub fn install_panic_hook(data_dir: &Path) {
    let dir = crash_dir(data_dir);
    std::panic::set_hook(Box::new(move |info| {
        let report = format_report(info);
        let first_lines: String = report.lines().take(5).collect::<Vec<_>>().join("\n  ");
        match write_report(&dir, &report) {
            Ok(path) => eprintln!("{first_lines}\n  The full report (your key removed) is at {}", path.display()),
            Err(e) => eprintln!("{first_lines}\n  (the crash report could not be saved: {e})"),
        }
    }));
}

fn format_report(info: &std::panic::PanicHookInfo<'_>) -> String {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
    let thread = std::thread::current().name().unwrap_or("unnamed").to_owned();
    let backtrace = std::backtrace::Backtrace::force_capture();
    let text = format!(
        "Easel {} crashed.\nTime: {}\nThread: {thread}\nWhere: {location}\nWhat: {message}\nSystem: {} {}\n\nBacktrace:\n{backtrace}\n",
        env!("CARGO_PKG_VERSION"),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
        std::env::consts::OS,
        std::env::consts::ARCH,
    );
    Redactor::all_known().text(&text)
}

fn write_report(dir: &Path, report: &str) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let path = dir.join(format!("crash-{stamp}.txt"));
    super::intake::write_atomically(&path, report.as_bytes())?;
    Ok(path)
}

/// Crash reports not yet shown to the person, newest first.
pub fn unseen_reports(data_dir: &Path) -> Vec<PathBuf> {
    let mut reports: Vec<PathBuf> = std::fs::read_dir(crash_dir(data_dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    reports.sort();
    reports.reverse();
    reports
}

/// Remember that a report was shown, so the next start does not offer it again.
pub fn mark_seen(report: &Path) -> std::io::Result<()> {
    std::fs::rename(report, report.with_extension("seen"))
}
