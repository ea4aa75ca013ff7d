//! Image textures: decoded and scaled off the UI thread, thumbnails kept within a byte budget.

use super::background::{Background, Message};
use crate::engine::store::ImageRecord;
use egui::{ColorImage, TextureHandle, TextureOptions};
use std::collections::HashMap;
use std::path::Path;

/// Longest side of a gallery thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 256;
/// Thumbnails kept on the GPU before the least recently drawn are dropped.
pub const THUMB_BUDGET_BYTES: usize = 256 << 20;

/// Gallery thumbnails by image id.
#[derive(Default)]
pub struct Thumbnails {
    entries: HashMap<i64, Entry>,
    /// Counts frames, to find thumbnails that were not drawn for a while.
    frame: u64,
    bytes: usize,
}

enum Entry {
    Loading,
    Ready { texture: TextureHandle, last_drawn: u64 },
    Failed(String),
}

/// What to draw for one image.
pub enum Thumb<'a> {
    Ready(&'a TextureHandle),
    Loading,
    Failed(&'a str),
}

impl Thumbnails {
    /// The thumbnail of `record`, starting its decoding if it is not there yet.
    pub fn get(&mut self, record: &ImageRecord, bg: &Background) -> Thumb<'_> {
        let frame = self.frame;
        let entry = self.entries.entry(record.id).or_insert_with(|| {
            request_thumbnail(record, bg);
            Entry::Loading
        });
        match entry {
            Entry::Loading => Thumb::Loading,
            Entry::Ready { texture, last_drawn } => {
                *last_drawn = frame;
                Thumb::Ready(texture)
            }
            Entry::Failed(why) => Thumb::Failed(why),
        }
    }

    /// A worker finished a thumbnail. Ignored if the image left the gallery meanwhile.
    pub fn on_loaded(&mut self, image: i64, result: Result<TextureHandle, String>) {
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
    /// (never one drawn this frame). Dropping the last handle frees the texture.
    pub fn end_frame(&mut self) {
        if self.bytes > THUMB_BUDGET_BYTES {
            let mut idle: Vec<(u64, i64)> = self
                .entries
                .iter()
                .filter_map(|(id, entry)| match entry {
                    Entry::Ready { last_drawn, .. } if *last_drawn < self.frame => Some((*last_drawn, *id)),
                    _ => None,
                })
                .collect();
            idle.sort_unstable();
            for (_, id) in idle {
                if self.bytes <= THUMB_BUDGET_BYTES {
                    break;
                }
                self.forget(id);
            }
        }
        self.frame += 1;
    }
}

fn request_thumbnail(record: &ImageRecord, bg: &Background) {
    let (image, path, ctx) = (record.id, record.path.clone(), bg.ctx().clone());
    bg.blocking(move || {
        let result = decode(&path, THUMB_SIDE).map(|pixels| upload(&ctx, format!("thumb-{image}"), pixels));
        Message::Thumbnail { image, result }
    });
}

/// Decode and upload the viewer's image, scaled down to what the GPU accepts.
pub fn request_full_image(record: &ImageRecord, bg: &Background) {
    let (image, path, ctx) = (record.id, record.path.clone(), bg.ctx().clone());
    bg.blocking(move || {
        let max_side = u32::try_from(ctx.input(|i| i.max_texture_side)).unwrap_or(u32::MAX);
        let result = decode(&path, max_side).map(|pixels| upload(&ctx, format!("image-{image}"), pixels));
        Message::FullImage { image, result }
    });
}

/// Decode an image for the clipboard (full size).
pub fn request_clipboard_image(record: &ImageRecord, bg: &Background) {
    let path = record.path.clone();
    bg.blocking(move || Message::ClipboardImage(decode(&path, u32::MAX)));
}

/// Read an image file and scale it down so that neither side exceeds `max_side`.
fn decode(path: &Path, max_side: u32) -> Result<ColorImage, String> {
    let image = image::open(path).map_err(|e| format!("The image file could not be read ({e})."))?;
    let image =
        if image.width() > max_side || image.height() > max_side { image.thumbnail(max_side, max_side) } else { image };
    let rgba = image.into_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()))
}

fn upload(ctx: &egui::Context, name: String, pixels: ColorImage) -> TextureHandle {
    ctx.load_texture(name, pixels, TextureOptions::LINEAR)
}
