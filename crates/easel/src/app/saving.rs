//! Saving images where the person wants them: the command layer asks through a dialog, then
//! writes off the UI thread with [`easel_engine::export`]. A failed write says why; the image
//! stays in the gallery. This module keeps whether a save is under way and says how it went.

use super::notices::Notices;
use easel_engine::store::ImageRecord;
use std::path::PathBuf;

/// What the save dialogs and writes report.
pub enum SavingMessage {
    /// A save or folder dialog closed (`None`: cancelled).
    Target { batch: SaveBatch, path: Option<PathBuf> },
    /// Images were written: one result per image (the error is a plain sentence).
    Saved(Vec<Result<PathBuf, String>>),
}

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

    /// A dialog is open (the save buttons wait until the writes are done).
    pub fn asking(&mut self) {
        self.busy = true;
    }

    /// The person cancelled Easel's own chooser.
    pub fn cancelled(&mut self) {
        self.busy = false;
    }

    /// The dialog closed: returns the batch and the place to write it to, or `None` when the
    /// person cancelled.
    pub fn on_target(&mut self, batch: SaveBatch, path: Option<PathBuf>) -> Option<(SaveBatch, PathBuf)> {
        match path {
            Some(path) => Some((batch, path)),
            None => {
                self.busy = false;
                None
            }
        }
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
