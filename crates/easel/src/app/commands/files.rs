//! Files on this computer: the file dialogs, checking a picked image, decoding images for the
//! screen and the clipboard, saving copies where the person wants them, the logs folder.
//! Dialogs answer later through the inbox; the rest runs on tokio's blocking pool.

use super::Commands;
use crate::app::dialogs::{Dialogs, Opener};
use crate::app::file_chooser::{ChooserFor, ChooserMessage, Entry, Places};
use crate::app::inbox::Message;
use crate::app::logging;
use crate::app::prompt::{PromptMessage, file_name};
use crate::app::saving::{SaveBatch, SavingMessage};
use easel_engine::export::{self, SaveOptions};
use easel_engine::store::ImageRecord;
use std::path::{Path, PathBuf};

impl Commands {
    /// "Start from an image..." (`mask: false`) or "Repaint only part..." (`mask: true`).
    pub fn pick_image(&self, mask: bool, own_chooser: bool) {
        let inbox = self.bg.inbox().clone();
        self.choose(ChooserFor::Open { mask }, own_chooser, move |dialogs| {
            dialogs.pick_file(Box::new(move |path| inbox.post(Message::Prompt(PromptMessage::Picked { path, mask }))));
        });
    }

    /// "Save as…": ask where, offering a name made from the prompt and seed.
    pub fn ask_save_as(&self, record: ImageRecord, own_chooser: bool) {
        let name = export::default_file_name(&record, record.format.extension());
        let inbox = self.bg.inbox().clone();
        let batch = SaveBatch::One(Box::new(record.clone()));
        self.choose(ChooserFor::Save(SaveBatch::One(Box::new(record))), own_chooser, move |dialogs| {
            dialogs.save_file(&name, Box::new(move |path| inbox.post(Message::Saving(SavingMessage::Target { batch, path }))));
        });
    }

    /// "Save selected to folder…": ask which folder.
    pub fn ask_save_to_folder(&self, records: Vec<ImageRecord>, own_chooser: bool) {
        let inbox = self.bg.inbox().clone();
        let batch = SaveBatch::Many(records.clone());
        self.choose(ChooserFor::Save(SaveBatch::Many(records)), own_chooser, move |dialogs| {
            dialogs.pick_folder(Box::new(move |path| inbox.post(Message::Saving(SavingMessage::Target { batch, path }))));
        });
    }

    /// Ask through the desktop's dialog (`desktop`) when it can be shown, else open Easel's own
    /// file chooser for `purpose`: a file dialog never fails silently. Decided off the UI
    /// thread (finding the portal asks the session bus).
    fn choose(&self, purpose: ChooserFor, own_chooser: bool, desktop: impl FnOnce(&dyn Dialogs) + Send + 'static) {
        let dialogs = self.dialogs.clone();
        self.bg.blocking_maybe(move || {
            if !own_chooser && dialogs.available() {
                desktop(dialogs.as_ref());
                return None;
            }
            let places = places();
            let start = places
                .iter()
                .find(|(name, _)| *name == "Pictures")
                .or(places.first())
                .map_or_else(|| PathBuf::from("/"), |(_, p)| p.clone());
            Some(Message::OpenChooser { purpose, start, places })
        });
    }

    /// The entries of a folder for Easel's own chooser: folders first, then pictures (or only
    /// folders), hidden ones left out, in name order. Errors in plain words.
    pub fn list_folder(&self, folder: PathBuf, folders_only: bool) {
        self.bg.blocking(move || {
            let listing = std::fs::read_dir(&folder).map_err(|e| crate::app::words::plain_io_error(&e, &folder)).map(|read| {
                let mut entries: Vec<Entry> = read
                    .filter_map(Result::ok)
                    .filter_map(|entry| {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        let folder = entry.path().is_dir();
                        let picture = is_picture(&name);
                        (!name.starts_with('.') && (folder || (!folders_only && picture))).then_some(Entry { name, folder })
                    })
                    .collect();
                entries.sort_by_key(|e| (!e.folder, e.name.to_lowercase()));
                entries
            });
            Message::Chooser(ChooserMessage { folder, listing })
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

    /// Write the images where the dialog said (disk and encoding: blocking).
    pub fn save(&self, batch: SaveBatch, target: PathBuf, embed_parameters: bool) {
        self.bg.blocking(move || Message::Saving(SavingMessage::Saved(write(batch, &target, &SaveOptions { embed_parameters }))));
    }
}

/// The places Easel's own chooser offers: home, pictures, desktop (those that exist).
fn places() -> Places {
    let mut places = Vec::new();
    if let Some(user) = directories::UserDirs::new() {
        places.push(("Home", user.home_dir().to_path_buf()));
        for (name, dir) in [("Pictures", user.picture_dir()), ("Desktop", user.desktop_dir())] {
            if let Some(dir) = dir.filter(|d| d.is_dir()) {
                places.push((name, dir.to_path_buf()));
            }
        }
    }
    places
}

/// A file the chooser offers: one Easel can open or save.
fn is_picture(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".webp"].iter().any(|ext| lower.ends_with(ext))
}

/// A failed save in plain words; the system's own words go to the log.
fn plain(error: &export::SaveError) -> String {
    logging::note(&format!("a save failed: {error}"));
    crate::app::words::plain_save_error(error)
}

/// The actual writes.
fn write(batch: SaveBatch, target: &Path, options: &SaveOptions) -> Vec<Result<PathBuf, String>> {
    match batch {
        SaveBatch::One(record) => vec![export::save_image(&record, target, options).map_err(|e| plain(&e))],
        SaveBatch::Many(records) => {
            export::save_many(&records, target, options).into_iter().map(|result| result.map_err(|e| plain(&e))).collect()
        }
    }
}

impl Commands {
    /// Open the logs folder with the desktop's file manager, off the UI thread. When nothing
    /// can open it, the window says where it is, to copy.
    pub fn open_logs_folder(&self) {
        let dir = crate::app::help::logs_dir(&self.engine.config().data_dir);
        let opener = self.opener.clone();
        self.bg.blocking(move || {
            let shown = dir.display().to_string();
            let result = match std::fs::create_dir_all(&dir) {
                Ok(()) => opener.open(&shown),
                Err(e) => Err(crate::app::words::plain_io_error(&e, &dir)),
            };
            Message::Opened(Opened { what: "the logs folder", target: shown, result })
        });
    }

    /// Open a web page with the desktop's browser, off the UI thread.
    pub fn open_link(&self, url: String) {
        let opener = self.opener.clone();
        self.bg.blocking(move || Message::Opened(Opened { what: "the page", result: opener.open(&url), target: url }));
    }
}

/// What opening a link or folder came to.
pub struct Opened {
    /// "the page", "the logs folder".
    pub what: &'static str,
    /// The address or path, for the person to copy when it could not be opened.
    pub target: String,
    pub result: Result<(), String>,
}

/// The desktop's opener, `xdg-open`. It is waited for (on a worker), so that a missing opener
/// or one that found no program is said, not silently ignored.
pub struct XdgOpener;

impl Opener for XdgOpener {
    fn open(&self, target: &str) -> Result<(), String> {
        let status = std::process::Command::new("xdg-open")
            .arg(target)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => {
                logging::note(&format!("xdg-open {target} ended with {status}"));
                Err("No program on this computer would open it.".to_owned())
            }
            Err(e) => {
                logging::note(&format!("xdg-open could not be started: {e}"));
                Err("This computer has nothing Easel can open it with (xdg-open is missing).".to_owned())
            }
        }
    }
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
