//! Small thumbnails of files that are not (or not yet) in the library: the start images in the
//! prompt panel's strip, a mask, what a picture was made from. Keyed by path; decoded upright
//! off the UI thread; the ones drawn longest ago are dropped past a count.

use super::Thumb;
use egui::TextureHandle;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Longest side of a file thumbnail, in pixels.
pub const FILE_THUMB_SIDE: u32 = 160;
/// Most file thumbnails kept (each at most 100 KB).
const KEPT: usize = 64;

enum Entry {
    Loading,
    Ready(TextureHandle),
    Failed(String),
}

/// Thumbnails of files by path.
#[derive(Default)]
pub struct FileThumbs {
    entries: HashMap<PathBuf, (Entry, u64)>,
    frame: u64,
    wanted: Vec<PathBuf>,
}

impl FileThumbs {
    /// The thumbnail of the file at `path`, asking for it when it is not there yet.
    pub fn get(&mut self, path: &Path) -> Thumb<'_> {
        let frame = self.frame;
        let (entry, drawn) = self.entries.entry(path.to_path_buf()).or_insert_with(|| {
            self.wanted.push(path.to_path_buf());
            (Entry::Loading, frame)
        });
        *drawn = frame;
        match entry {
            Entry::Loading => Thumb::Loading,
            Entry::Ready(texture) => Thumb::Ready(texture),
            Entry::Failed(why) => Thumb::Failed(why),
        }
    }

    /// The files asked for since the last call.
    pub fn take_wanted(&mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.wanted)
    }

    pub fn on_loaded(&mut self, path: &Path, result: Result<TextureHandle, String>) {
        if let Some((entry, _)) = self.entries.get_mut(path) {
            *entry = match result {
                Ok(texture) => Entry::Ready(texture),
                Err(why) => Entry::Failed(why),
            };
        }
    }

    /// Call once per frame after drawing: past [`KEPT`], those drawn longest ago go.
    pub fn end_frame(&mut self) {
        if self.entries.len() > KEPT {
            let mut by_age: Vec<(u64, PathBuf)> = self.entries.iter().map(|(p, (_, drawn))| (*drawn, p.clone())).collect();
            by_age.sort_unstable();
            for (_, path) in by_age.into_iter().take(self.entries.len() - KEPT) {
                self.entries.remove(&path);
            }
        }
        self.frame += 1;
    }
}
