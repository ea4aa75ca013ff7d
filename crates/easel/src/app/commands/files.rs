//! Files on this computer: the file dialogs, checking a picked image, decoding images for the
//! screen and the clipboard, saving copies where the person wants them, the logs folder.
//! Dialogs answer later through the inbox; the rest runs on tokio's blocking pool.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::logging;
use crate::app::prompt::{PromptMessage, file_name};
use crate::app::saving::{SaveBatch, SavingMessage};
use easel_engine::export::{self, SaveOptions};
use easel_engine::store::ImageRecord;
use std::path::{Path, PathBuf};

impl Commands {
    /// "Start from an image..." (`mask: false`) or "Repaint only part..." (`mask: true`).
    pub fn pick_image(&self, mask: bool) {
        let inbox = self.bg.inbox().clone();
        self.dialogs.pick_file(Box::new(move |path| inbox.post(Message::Prompt(PromptMessage::Picked { path, mask }))));
    }

    /// Read and check a chosen image off the UI thread, then use it: the draft is validated on
    /// every edit, and the check of this file is then remembered. What is wrong with the file
    /// is said at its field by that validation.
    pub fn check_image(&self, path: PathBuf, mask: bool) {
        self.bg.blocking(move || {
            if let Err(why) = easel_engine::request::inspect_image(&path) {
                logging::note(&format!("the chosen image cannot be used: {why}"));
            }
            Message::Prompt(PromptMessage::Checked { path, mask })
        });
    }

    /// Look at a chosen file: "photo.png, 1.2 MB" (one small metadata read).
    pub fn describe_file(&self, path: PathBuf) {
        self.bg.blocking(move || {
            let name = file_name(&path);
            let text = match std::fs::metadata(&path) {
                Ok(meta) if meta.len() >= 1_000_000 => format!("{name}, {:.1} MB", meta.len() as f64 / 1e6),
                Ok(meta) => format!("{name}, {} KB", meta.len().div_ceil(1000)),
                Err(_) => format!("{name} (cannot be read)"),
            };
            Message::Prompt(PromptMessage::Described { path: path.display().to_string(), text })
        });
    }

    /// "Save as…": ask where, offering a name made from the prompt and seed.
    pub fn ask_save_as(&self, record: ImageRecord) {
        let name = export::default_file_name(&record, record.format.extension());
        let inbox = self.bg.inbox().clone();
        let batch = SaveBatch::One(Box::new(record));
        self.dialogs.save_file(&name, Box::new(move |path| inbox.post(Message::Saving(SavingMessage::Target { batch, path }))));
    }

    /// "Save selected to folder…": ask which folder.
    pub fn ask_save_to_folder(&self, records: Vec<ImageRecord>) {
        let inbox = self.bg.inbox().clone();
        let batch = SaveBatch::Many(records);
        self.dialogs.pick_folder(Box::new(move |path| inbox.post(Message::Saving(SavingMessage::Target { batch, path }))));
    }

    /// Write the images where the dialog said (disk and encoding: blocking).
    pub fn save(&self, batch: SaveBatch, target: PathBuf, embed_parameters: bool) {
        self.bg.blocking(move || Message::Saving(SavingMessage::Saved(write(batch, &target, &SaveOptions { embed_parameters }))));
    }
}

/// The actual writes.
fn write(batch: SaveBatch, target: &Path, options: &SaveOptions) -> Vec<Result<PathBuf, String>> {
    match batch {
        SaveBatch::One(record) => vec![export::save_image(&record, target, options).map_err(|e| e.to_string())],
        SaveBatch::Many(records) => {
            export::save_many(&records, target, options).into_iter().map(|result| result.map_err(|e| e.to_string())).collect()
        }
    }
}

impl Commands {
    /// Open the logs folder with the desktop's opener. Never waits for it; the error is a
    /// sentence.
    pub fn open_logs_folder(&self) -> Result<PathBuf, String> {
        open_folder(&crate::app::help::logs_dir(&self.engine.config().data_dir))
    }
}

fn open_folder(dir: &Path) -> Result<PathBuf, String> {
    let dir = dir.to_path_buf();
    std::fs::create_dir_all(&dir).map_err(|e| format!("The logs folder {} could not be made: {e}.", dir.display()))?;
    let mut child = std::process::Command::new("xdg-open")
        .arg(&dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("The logs folder could not be opened ({e}). It is here: {}", dir.display()))?;
    // Reap the opener in the background so it leaves no zombie; the window does not wait.
    std::thread::spawn(move || match child.wait() {
        Ok(status) if !status.success() => logging::note(&format!("the file manager's opener ended with {status}")),
        Ok(_) => {}
        Err(why) => logging::note(&format!("the file manager's opener could not be waited for: {why}")),
    });
    Ok(dir)
}

/// The newest crash report not shown yet, with its text (or why it could not be read).
pub fn unseen_crash_report(data_dir: &Path) -> Option<(PathBuf, String)> {
    let report = easel_engine::crash::unseen_reports(data_dir).into_iter().next()?;
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| format!("(could not read it: {e})"));
    Some((report, text))
}

/// Mark a crash report as seen, off the UI thread (a failure is logged: the report is then
/// offered again next time).
pub fn mark_crash_report_seen(runtime: &tokio::runtime::Handle, report: PathBuf) {
    runtime.spawn_blocking(move || {
        if let Err(why) = easel_engine::crash::mark_seen(&report) {
            logging::note(&format!("the crash report {} could not be marked as seen: {why}", report.display()));
        }
    });
}
