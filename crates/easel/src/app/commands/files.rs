//! Files on this computer: the file dialogs, checking a picked image, decoding images for the
//! screen and the clipboard, saving copies where the person wants them, the logs folder.
//! Dialogs answer later through the inbox; the rest runs on tokio's blocking pool.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::logging;
use crate::app::prompt::PromptMessage;
use crate::app::saving::{SaveBatch, SavingMessage};
use crate::app::textures::{self, ImageMessage, WantedThumb};
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

    /// Decode and upload the thumbnails the gallery asked for while drawing.
    pub fn decode_thumbnails(&self, wanted: Vec<WantedThumb>) {
        for WantedThumb { image, original, cached } in wanted {
            let ctx = self.bg.ctx().clone();
            self.bg.blocking(move || {
                let result = textures::thumbnail(&original, cached.as_deref())
                    .map(|pixels| textures::upload(&ctx, format!("thumb-{image}"), pixels));
                Message::Images(ImageMessage::Thumbnail { image, result })
            });
        }
    }

    /// Decode and upload the viewer's image, scaled down to what the GPU accepts.
    pub fn decode_full_image(&self, record: &ImageRecord) {
        let (image, path, ctx) = (record.id, record.path.clone(), self.bg.ctx().clone());
        self.bg.blocking(move || {
            let max_side = u32::try_from(ctx.input(|i| i.max_texture_side)).unwrap_or(u32::MAX);
            let result = textures::decode(&path, max_side).map(|pixels| textures::upload(&ctx, format!("image-{image}"), pixels));
            Message::Images(ImageMessage::Full { image, result })
        });
    }

    /// Decode an image for the clipboard (full size).
    pub fn decode_for_clipboard(&self, record: &ImageRecord) {
        let path = record.path.clone();
        self.bg.blocking(move || Message::Images(ImageMessage::Clipboard(textures::decode(&path, u32::MAX))));
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
