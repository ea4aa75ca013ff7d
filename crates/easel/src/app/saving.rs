//! Saving images where the person wants them: ask through a dialog, then write off the UI
//! thread with [`easel_engine::export`]. A failed write says why; the image stays in the gallery.

use super::background::{Background, Inbox, Message};
use super::dialogs::Dialogs;
use super::notices::Notices;
use easel_engine::export::{self, SaveOptions};
use easel_engine::store::ImageRecord;
use std::path::{Path, PathBuf};

/// What a dialog was opened for.
pub enum SaveBatch {
    /// "Save as…": one image to a chosen file.
    One(Box<ImageRecord>),
    /// "Save selected to folder…": several images into a chosen folder.
    Many(Vec<ImageRecord>),
}

/// Whether a dialog or a write is under way (the save buttons wait meanwhile).
#[derive(Default)]
pub struct Saving {
    busy: bool,
}

impl Saving {
    pub fn busy(&self) -> bool {
        self.busy
    }

    /// Ask where to save one image, offering a name made from its prompt and seed.
    pub fn save_as(&mut self, record: ImageRecord, dialogs: &dyn Dialogs, inbox: &Inbox) {
        let name = export::default_file_name(&record, record.format.extension());
        self.ask(SaveBatch::One(Box::new(record)), inbox, |reply| dialogs.save_file(&name, reply));
    }

    /// Ask for a folder to save several images into.
    pub fn save_to_folder(&mut self, records: Vec<ImageRecord>, dialogs: &dyn Dialogs, inbox: &Inbox) {
        self.ask(SaveBatch::Many(records), inbox, |reply| dialogs.pick_folder(reply));
    }

    fn ask(&mut self, batch: SaveBatch, inbox: &Inbox, open: impl FnOnce(super::dialogs::DialogReply)) {
        self.busy = true;
        let inbox = inbox.clone();
        open(Box::new(move |path| inbox.post(Message::SaveTarget { batch, path })));
    }

    /// The dialog closed: write to the chosen place, or stop if it was cancelled.
    pub fn on_target(&mut self, batch: SaveBatch, path: Option<PathBuf>, embed_parameters: bool, bg: &Background) {
        let Some(path) = path else {
            self.busy = false;
            return;
        };
        bg.blocking(move || Message::Saved(write(batch, &path, &SaveOptions { embed_parameters })));
    }

    /// The writes finished: say where the images went, or why they did not.
    pub fn on_saved(&mut self, results: Vec<Result<PathBuf, String>>, notices: &mut Notices) {
        self.busy = false;
        let mut saved = Vec::new();
        for result in results {
            match result {
                Ok(path) => saved.push(path),
                Err(why) => notices.error(why),
            }
        }
        match saved.as_slice() {
            [] => {}
            [one] => notices.info(format!("Saved {}", one.display())),
            [first, ..] => {
                let folder = first.parent().map_or_else(String::new, |p| p.display().to_string());
                notices.info(format!("Saved {} images in {folder}", saved.len()));
            }
        }
    }
}

/// The actual writes (blocking: disk and encoding).
fn write(batch: SaveBatch, target: &Path, options: &SaveOptions) -> Vec<Result<PathBuf, String>> {
    match batch {
        SaveBatch::One(record) => vec![export::save_image(&record, target, options).map_err(|e| e.to_string())],
        SaveBatch::Many(records) => {
            export::save_many(&records, target, options).into_iter().map(|result| result.map_err(|e| e.to_string())).collect()
        }
    }
}
