//! Image textures on the GPU: gallery thumbnails kept within a byte budget, and what a
//! thumbnail cell draws meanwhile; small thumbnails of files (start images, masks) in
//! `files`. Big pictures are in [`crate::app::picture`].
//!
//! Drawing only notes which thumbnails are wanted; after the frame the workspace hands them to
//! the command layer, which decodes and uploads them on a worker and posts an [`ImageMessage`].

mod files;

pub use files::{FILE_THUMB_SIDE, FileThumbs};

use easel_engine::store::ImageRecord;
use egui::{ColorImage, TextureHandle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Longest side of a gallery thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 256;
/// Thumbnails kept on the GPU before the least recently drawn are dropped.
pub const THUMB_BUDGET_BYTES: usize = 256 << 20;
/// A thumbnail not drawn for this many frames may be dropped when over budget.
const IDLE_FRAMES: u64 = 3;

/// An image decoded (and uploaded) off the UI thread (errors are plain sentences).
pub enum ImageMessage {
    /// A gallery thumbnail.
    Thumbnail { image: i64, result: Result<TextureHandle, String> },
    /// A thumbnail of a file (a start image, a mask).
    File { path: PathBuf, result: Result<TextureHandle, String> },
    /// A big picture, or one of its tiles.
    Picture(crate::app::picture::PictureMessage),
    /// An image for the clipboard (pixels only: the clipboard takes them on the UI thread).
    Clipboard(Result<ColorImage, String>),
}

/// A thumbnail to decode: which image, its original, and where its cached copy goes.
pub struct WantedThumb {
    pub image: i64,
    pub original: PathBuf,
    pub cached: Option<PathBuf>,
}

/// Gallery thumbnails by image id: a byte-budgeted LRU of GPU textures, backed by small PNGs
/// on disk (`<data>/thumbs/<sha256>.png`) so each original is decoded once, ever.
pub struct Thumbnails {
    entries: HashMap<i64, Entry>,
    /// Counts frames, to find thumbnails that were not drawn for a while.
    frame: u64,
    bytes: usize,
    budget: usize,
    /// Where thumbnails are cached on disk; none keeps them in memory only.
    disk: Option<PathBuf>,
    /// Decodes under way. Capped, so a fast scroll does not queue thousands of decodes for
    /// images already out of view.
    in_flight: usize,
    /// Decodes asked for while drawing, for the command layer to start after the frame.
    wanted: Vec<WantedThumb>,
}

/// Most thumbnails decoded at once.
const MAX_IN_FLIGHT: usize = 4;

impl Default for Thumbnails {
    fn default() -> Self {
        Self { entries: HashMap::new(), frame: 0, bytes: 0, budget: THUMB_BUDGET_BYTES, disk: None, in_flight: 0, wanted: Vec::new() }
    }
}

enum Entry {
    /// Wanted on screen, waiting for a free decoder; forgotten when not drawn this frame.
    Waiting {
        last_wanted: u64,
    },
    Loading,
    Ready {
        texture: TextureHandle,
        last_drawn: u64,
    },
    Failed(String),
}

/// What to draw for one image.
pub enum Thumb<'a> {
    Ready(&'a TextureHandle),
    Loading,
    Failed(&'a str),
}

impl Thumbnails {
    /// Thumbnails cached on disk in `dir` (created when the first one is written).
    pub fn with_disk_cache(dir: PathBuf) -> Self {
        Self { disk: Some(dir), ..Self::default() }
    }

    /// Bytes of thumbnail textures held now.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }

    /// The thumbnail of `record`, asking for its decoding if it is not there yet
    /// (see [`Self::take_wanted`]).
    pub fn get(&mut self, record: &ImageRecord) -> Thumb<'_> {
        let frame = self.frame;
        let entry = self.entries.entry(record.id).or_insert(Entry::Waiting { last_wanted: frame });
        if let Entry::Waiting { last_wanted } = entry {
            *last_wanted = frame;
            if self.in_flight < MAX_IN_FLIGHT {
                self.in_flight += 1;
                let cached = self.disk.as_deref().and_then(|dir| thumb_path(dir, record));
                self.wanted.push(WantedThumb { image: record.id, original: record.path.clone(), cached });
                *entry = Entry::Loading;
            }
        }
        match entry {
            Entry::Waiting { .. } | Entry::Loading => Thumb::Loading,
            Entry::Ready { texture, last_drawn } => {
                *last_drawn = frame;
                Thumb::Ready(texture)
            }
            Entry::Failed(why) => Thumb::Failed(why),
        }
    }

    /// The decodes asked for since the last call.
    pub fn take_wanted(&mut self) -> Vec<WantedThumb> {
        std::mem::take(&mut self.wanted)
    }

    /// A worker finished a thumbnail. Ignored if the image left the gallery meanwhile.
    pub fn on_loaded(&mut self, image: i64, result: Result<TextureHandle, String>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let Some(entry) = self.entries.get_mut(&image) else { return };
        *entry = match result {
            Ok(texture) => {
                self.bytes += texture.byte_size();
                Entry::Ready { texture, last_drawn: self.frame }
            }
            Err(why) => Entry::Failed(why),
        };
    }

    /// Drop an image's thumbnail (it left the gallery).
    pub fn forget(&mut self, image: i64) {
        if let Some(Entry::Ready { texture, .. }) = self.entries.remove(&image) {
            self.bytes -= texture.byte_size();
        }
    }

    /// Call once per frame after drawing: over budget, drop the thumbnails drawn longest ago
    /// among those not drawn for [`IDLE_FRAMES`] frames (so nothing on screen flickers).
    /// Dropping the last handle frees the texture. Failed entries off screen are forgotten too,
    /// so a file that comes back is tried again.
    pub fn end_frame(&mut self) {
        let frame = self.frame;
        self.entries.retain(|_, entry| !matches!(entry, Entry::Waiting { last_wanted } if *last_wanted < frame));
        if self.bytes > self.budget {
            let mut idle: Vec<(u64, i64)> = self
                .entries
                .iter()
                .filter_map(|(id, entry)| match entry {
                    Entry::Ready { last_drawn, .. } if *last_drawn + IDLE_FRAMES <= self.frame => Some((*last_drawn, *id)),
                    _ => None,
                })
                .collect();
            idle.sort_unstable();
            for (_, id) in idle {
                if self.bytes <= self.budget {
                    break;
                }
                self.forget(id);
            }
        }
        self.frame += 1;
    }
}

/// The on-disk thumbnail of an image: `<dir>/<sha256>.png`.
pub fn thumb_path(dir: &Path, record: &ImageRecord) -> Option<PathBuf> {
    let sha = record.sha256.as_str();
    (sha.len() >= 16 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| dir.join(format!("{sha}.png")))
}

pub use crate::app::picture::uv_full;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::image_record;

    fn texture(ctx: &egui::Context, id: i64) -> TextureHandle {
        ctx.load_texture(format!("t-{id}"), ColorImage::filled([16, 16], egui::Color32::RED), egui::TextureOptions::LINEAR)
    }

    #[test]
    fn drawing_only_asks_for_a_few_decodes_at_a_time_and_each_once() {
        let mut thumbs = Thumbnails::with_disk_cache(PathBuf::from("/cache"));
        for id in 1..=10 {
            assert!(matches!(thumbs.get(&image_record(id)), Thumb::Loading));
        }
        let wanted = thumbs.take_wanted();
        assert_eq!(wanted.iter().map(|w| w.image).collect::<Vec<_>>(), [1, 2, 3, 4], "at most {MAX_IN_FLIGHT} decodes at once");
        assert_eq!(wanted[0].cached, Some(PathBuf::from(format!("/cache/{:064x}.png", 1))));
        thumbs.get(&image_record(1));
        assert!(thumbs.take_wanted().is_empty(), "already on its way");
        let ctx = egui::Context::default();
        thumbs.on_loaded(1, Ok(texture(&ctx, 1)));
        thumbs.get(&image_record(5));
        assert_eq!(thumbs.take_wanted().iter().map(|w| w.image).collect::<Vec<_>>(), [5], "a decoder came free");
    }

    #[test]
    fn over_budget_the_thumbnails_idle_longest_go_first_and_visible_ones_stay() {
        let ctx = egui::Context::default();
        let one = texture(&ctx, 0).byte_size();
        let mut thumbs = Thumbnails { budget: 2 * one, ..Thumbnails::default() };
        for id in 1..=3 {
            thumbs.entries.insert(id, Entry::Loading);
            thumbs.on_loaded(id, Ok(texture(&ctx, id)));
            thumbs.end_frame();
        }
        assert_eq!(thumbs.bytes(), 3 * one, "nothing idle long enough yet");
        // Keep drawing image 3 only: 1 and 2 become idle; 1 was drawn longest ago.
        for _ in 0..IDLE_FRAMES {
            if let Some(Entry::Ready { last_drawn, .. }) = thumbs.entries.get_mut(&3) {
                *last_drawn = thumbs.frame;
            }
            thumbs.end_frame();
        }
        assert_eq!(thumbs.bytes(), 2 * one, "back within budget");
        assert!(!thumbs.entries.contains_key(&1), "the least recently drawn was dropped");
        assert!(thumbs.entries.contains_key(&2) && thumbs.entries.contains_key(&3));
    }
}
