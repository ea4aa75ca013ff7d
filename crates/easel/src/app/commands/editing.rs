//! Editing pictures: keeping chosen, dropped and pasted pictures with the library, writing a
//! painted mask at its start image's size, reading a mask to paint on, what a picture was made
//! from, and the settings of a variation. All of it off the UI thread.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::logging;
use crate::app::paint::PaintMessage;
use crate::app::prompt::PromptMessage;
use crate::app::viewer::{Origin, ViewerMessage};
use easel_engine::mask::Painting;
use easel_engine::store::{INPUTS_DIR, ImageRecord, MASKS_DIR, Store};
use std::path::{Path, PathBuf};

impl Commands {
    /// Read and check pictures picked, dropped or pasted, keeping a copy of each with the
    /// library; then use those that can be. `mask`: the one picture is a mask.
    pub fn check_images(&self, paths: Vec<PathBuf>, mask: bool) {
        let data = self.engine.config().data_dir.clone();
        self.bg.blocking(move || {
            let mut kept = Vec::new();
            let mut problems = Vec::new();
            for path in paths {
                let checked = keep_with_library(&data, &path).and_then(|copy| {
                    let inspected = if mask {
                        easel_engine::request::inspect_mask(&copy).map(|_| ())
                    } else {
                        easel_engine::request::inspect_image(&copy).map(|_| ())
                    };
                    inspected.map(|()| copy)
                });
                match checked {
                    Ok(copy) => kept.push(copy),
                    Err(why) => {
                        logging::note(&format!("a chosen picture cannot be used: {why}"));
                        problems.push(why);
                    }
                }
            }
            Message::Prompt(PromptMessage::Checked { paths: kept, mask, problems })
        });
    }

    /// Ctrl+V with a picture on the clipboard: it is kept with the library as a PNG, then
    /// used like a picked one.
    pub fn take_pasted_image(&self, image: std::sync::Arc<egui::ColorImage>) {
        let data = self.engine.config().data_dir.clone();
        self.bg.blocking(move || {
            let [w, h] = image.size;
            let rgba: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_srgba_unmultiplied()).collect();
            let kept = image::RgbaImage::from_raw(w as u32, h as u32, rgba)
                .ok_or_else(|| "the clipboard's picture is not whole".to_owned())
                .and_then(|rgba| {
                    let mut png = Vec::new();
                    rgba.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map_err(|e| e.to_string())?;
                    store_input(&data, &png, "pasted-picture.png")
                })
                .and_then(|path| easel_engine::request::inspect_image(&path).map(|_| path));
            let (paths, problems) = match kept {
                Ok(path) => (vec![path], Vec::new()),
                Err(why) => (Vec::new(), vec![format!("The pasted picture could not be used: {why}")]),
            };
            Message::Prompt(PromptMessage::Checked { paths, mask: false, problems })
        });
    }

    /// Ctrl+V with text outside a text box: when it names picture files (copied in a file
    /// manager: paths or `file://` addresses), they become start images. Other text is not
    /// for Easel, and is left alone.
    pub fn take_pasted_text(&self, text: String) {
        let paths: Vec<PathBuf> = text.lines().filter_map(picture_path).collect();
        if !paths.is_empty() {
            self.check_images(paths, false);
        }
    }

    /// Write the painted mask at its start image's size (white = change), named by its
    /// content, and tell the painter.
    pub fn save_mask(&self, painting: Painting, revision: u64, on: PathBuf) {
        let data = self.engine.config().data_dir.clone();
        self.bg.blocking(move || {
            let (w, h) = painting.size();
            let result = easel_engine::mask::to_png(&painting.render(w, h)).and_then(|png| {
                let sha = easel_engine::intake::sha256_hex(&png);
                let path = data.join(MASKS_DIR).join(format!("{sha}.png"));
                if !path.is_file() {
                    easel_engine::intake::write_atomically(&path, &png).map_err(|e| crate::app::words::plain_io_error(&e, &path))?;
                }
                Ok(path)
            });
            Message::Paint(PaintMessage::Saved { revision, on, result })
        });
    }

    /// Read a mask file to paint on: upright, white where to change (a transparent one, in
    /// OpenAI's form, is read the same way).
    pub fn load_mask(&self, path: PathBuf) {
        self.bg.blocking(move || {
            let result = std::fs::read(&path)
                .map_err(|e| crate::app::words::plain_io_error(&e, &path))
                .and_then(|bytes| easel_engine::start_images::decode_upright(&bytes, &easel_engine::intake::Limits::start_images()))
                .map(|mask| easel_engine::start_images::white_is_change(&mask));
            Message::Paint(PaintMessage::Loaded { path, result })
        });
    }

    /// What a picture was made from, for the viewer: its start images (the library's
    /// pictures where they are ones), its mask, or the picture it enlarges.
    pub fn read_origin(&self, record: &ImageRecord) {
        let store = self.engine.store().clone();
        let image = record.id;
        self.bg.blocking(move || {
            let result = origin(&store, image).map_err(|e| e.to_string());
            Message::Viewer(ViewerMessage::Origin { image, result })
        });
    }

    /// The settings for a variation of `record`: its own, then started from it.
    pub fn vary(&self, record: ImageRecord) {
        self.image_settings_for(record, true);
    }
}

fn origin(store: &Store, image: i64) -> Result<Option<Origin>, easel_engine::store::StoreError> {
    let Some(settings) = store.image_settings(image)? else { return Ok(None) };
    if settings.init_images.is_empty() {
        return Ok(None);
    }
    let mut starts = Vec::new();
    for start in &settings.init_images {
        let library = store.images_with_sha256(&start.sha256)?.into_iter().find(|r| r.id != image);
        starts.push((start.path.clone(), library));
    }
    Ok(Some(Origin {
        upscaled: settings.upscale.map(|u| u.factor),
        starts,
        mask: settings.mask_image.map(|m| m.path),
        strength: settings.strength,
    }))
}

/// A picture file named by a line of pasted text: a `file://` address or an absolute path.
fn picture_path(line: &str) -> Option<PathBuf> {
    let line = line.trim();
    let path = if line.starts_with("file://") { url::Url::parse(line).ok()?.to_file_path().ok()? } else { PathBuf::from(line) };
    (path.is_absolute() && super::files::is_picture(&path.to_string_lossy()) && path.is_file()).then_some(path)
}

/// Keep a copy of a chosen picture with the library (`inputs/<hash>/<its name>`), so that
/// "Use these settings again" and a restart still find it when the original moves. A file
/// already in the data folder is used where it is.
fn keep_with_library(data: &Path, path: &Path) -> Result<PathBuf, String> {
    if path.starts_with(data) {
        return Ok(path.to_path_buf());
    }
    let bytes = std::fs::read(path).map_err(|e| crate::app::words::plain_io_error(&e, path))?;
    let name = crate::app::prompt::file_name(path);
    store_input(data, &bytes, &name)
}

/// Write `bytes` as `inputs/<hash>/<name>` (once: the same content is not written twice).
fn store_input(data: &Path, bytes: &[u8], name: &str) -> Result<PathBuf, String> {
    let sha = easel_engine::intake::sha256_hex(bytes);
    let path = data.join(INPUTS_DIR).join(&sha[..16]).join(name);
    if !std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
        easel_engine::intake::write_atomically(&path, bytes).map_err(|e| crate::app::words::plain_io_error(&e, &path))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_text_names_picture_files_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("a photo.jpg");
        std::fs::write(&photo, b"x").unwrap();
        let uri = url::Url::from_file_path(&photo).unwrap().to_string();
        assert!(uri.contains("a%20photo.jpg"));
        assert_eq!(picture_path(&uri), Some(photo.clone()));
        assert_eq!(picture_path(&format!("  {}  ", photo.display())), Some(photo));
        assert_eq!(picture_path("a red fox in the snow"), None);
        assert_eq!(picture_path("/no/such/file.png"), None);
        assert_eq!(picture_path(&dir.path().join("notes.txt").display().to_string()), None);
    }

    #[test]
    fn a_chosen_picture_is_kept_with_the_library_once_under_its_own_name() {
        let (data, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let original = elsewhere.path().join("IMG_2041.jpg");
        std::fs::write(&original, b"the photo's bytes").unwrap();
        let kept = keep_with_library(data.path(), &original).unwrap();
        assert!(kept.starts_with(data.path().join(INPUTS_DIR)) && kept.ends_with("IMG_2041.jpg"), "{}", kept.display());
        assert_eq!(keep_with_library(data.path(), &original).unwrap(), kept, "the same content is kept once");
        assert_eq!(keep_with_library(data.path(), &kept).unwrap(), kept, "already in the data folder: used where it is");
    }
}
