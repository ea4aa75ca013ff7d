//! Decoding images off the UI thread: thumbnails (through their disk cache), small thumbnails
//! of files, big pictures and their tiles, the clipboard's pixels; and handing decoded pixels
//! to the GPU.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::logging;
use crate::app::picture::{FIT_SIDE, LoadedPicture, PictureMessage, WantedTile};
use crate::app::textures::{FILE_THUMB_SIDE, ImageMessage, THUMB_SIDE, WantedThumb};
use easel_engine::store::ImageRecord;
use egui::{ColorImage, TextureHandle, TextureOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Commands {
    /// Decode and upload the thumbnails the gallery asked for while drawing.
    pub fn decode_thumbnails(&self, wanted: Vec<WantedThumb>) {
        for WantedThumb { image, original, cached } in wanted {
            let ctx = self.bg.ctx().clone();
            self.bg.pixels(move || {
                let result = thumbnail(&original, cached.as_deref()).map(|pixels| upload(&ctx, format!("thumb-{image}"), pixels));
                Message::Images(ImageMessage::Thumbnail { image, result })
            });
        }
    }

    /// Decode the big pictures asked for while drawing (upright), and upload each one's fit
    /// texture; the pixels are kept for tiles when the picture is larger than that.
    pub fn load_pictures(&self, paths: Vec<PathBuf>) {
        for path in paths {
            let ctx = self.bg.ctx().clone();
            self.bg.pixels(move || {
                let result = load_picture(&ctx, &path);
                Message::Images(ImageMessage::Picture(PictureMessage::Loaded { path, result }))
            });
        }
    }

    /// Cut and upload the tiles asked for while drawing.
    pub fn cut_tiles(&self, wanted: Vec<WantedTile>) {
        for WantedTile { path, full, tile } in wanted {
            let ctx = self.bg.ctx().clone();
            self.bg.pixels(move || {
                let pixels = crate::app::picture::cut_tile(&full, tile);
                let texture = ctx.load_texture(
                    format!("tile-{}-{}-{}-{}", path.display(), tile.level, tile.x, tile.y),
                    pixels,
                    TextureOptions::LINEAR,
                );
                Message::Images(ImageMessage::Picture(PictureMessage::Tile { path, tile, result: Ok(texture) }))
            });
        }
    }

    /// Decode and upload small thumbnails of files (start images, masks), upright.
    pub fn decode_file_thumbs(&self, paths: Vec<PathBuf>) {
        for path in paths {
            let ctx = self.bg.ctx().clone();
            self.bg.pixels(move || {
                let result = upright(&path).map(|image| {
                    let rgba = image.thumbnail(FILE_THUMB_SIDE, FILE_THUMB_SIDE).into_rgba8();
                    let pixels = ColorImage::from_rgba_unmultiplied([rgba.width() as usize, rgba.height() as usize], rgba.as_raw());
                    upload(&ctx, format!("file-{}", path.display()), pixels)
                });
                Message::Images(ImageMessage::File { path, result })
            });
        }
    }

    /// Decode an image for the clipboard (full size).
    pub fn decode_for_clipboard(&self, record: &ImageRecord) {
        let path = record.path.clone();
        self.bg.pixels(move || Message::Images(ImageMessage::Clipboard(decode(&path, u32::MAX))));
    }
}

/// A thumbnail's pixels: from the disk cache when it is there, else decoded from the original
/// and written to the cache (atomically, so a crash never leaves half a thumbnail).
fn thumbnail(original: &Path, cached: Option<&Path>) -> Result<ColorImage, String> {
    if let Some(cached) = cached
        && let Ok(pixels) = decode(cached, THUMB_SIDE)
    {
        return Ok(pixels);
    }
    let image = image::open(original).map_err(|e| format!("The image file could not be read ({e})."))?;
    let image = if image.width() > THUMB_SIDE || image.height() > THUMB_SIDE { image.thumbnail(THUMB_SIDE, THUMB_SIDE) } else { image };
    let rgba = image.into_rgba8();
    if let Some(cached) = cached {
        // A cache that cannot be written only costs a decode next time: said in the log.
        let mut png = Vec::new();
        let written = rgba
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| e.to_string())
            .and_then(|()| easel_engine::intake::write_atomically(cached, &png).map_err(|e| e.to_string()));
        if let Err(why) = written {
            logging::note(&format!("the thumbnail {} could not be cached: {why}", cached.display()));
        }
    }
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()))
}

/// A picture file decoded upright, within the start-image limits, or why not (plain words).
fn upright(path: &Path) -> Result<image::DynamicImage, String> {
    let bytes = std::fs::read(path).map_err(|e| crate::app::words::plain_io_error(&e, path))?;
    easel_engine::start_images::decode_upright(&bytes, &easel_engine::intake::Limits::start_images())
        .map_err(|why| format!("The picture could not be read: {why}."))
}

/// Decode a big picture and upload its fit texture (at most [`FIT_SIDE`], and what the GPU
/// takes, on its longer side).
fn load_picture(ctx: &egui::Context, path: &Path) -> Result<LoadedPicture, String> {
    let image = upright(path)?;
    let size = [image.width(), image.height()];
    let side = FIT_SIDE.min(u32::try_from(ctx.input(|i| i.max_texture_side)).unwrap_or(FIT_SIDE));
    let (fit, full) = if size[0].max(size[1]) > side { (image.thumbnail(side, side), Some(Arc::new(image))) } else { (image, None) };
    let rgba = fit.into_rgba8();
    let pixels = ColorImage::from_rgba_unmultiplied([rgba.width() as usize, rgba.height() as usize], rgba.as_raw());
    Ok(LoadedPicture { fit: upload(ctx, format!("picture-{}", path.display()), pixels), size, full })
}

/// Read an image file and scale it down so that neither side exceeds `max_side`.
fn decode(path: &Path, max_side: u32) -> Result<ColorImage, String> {
    let image = image::open(path).map_err(|e| format!("The image file could not be read ({e})."))?;
    let image = if image.width() > max_side || image.height() > max_side { image.thumbnail(max_side, max_side) } else { image };
    let rgba = image.into_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()))
}

/// Hand decoded pixels to the GPU (egui's context may be used from any thread).
fn upload(ctx: &egui::Context, name: String, pixels: ColorImage) -> TextureHandle {
    ctx.load_texture(name, pixels, TextureOptions::LINEAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_written_to_the_disk_cache_and_read_from_it_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let original = dir.path().join("original.png");
        image::RgbaImage::from_pixel(1024, 512, image::Rgba([10, 20, 30, 255])).save(&original).unwrap();
        let cached = dir.path().join("thumbs").join("abc.png");
        let first = thumbnail(&original, Some(&cached)).unwrap();
        assert_eq!(first.size, [256, 128]);
        let on_disk = image::open(&cached).unwrap();
        assert_eq!((on_disk.width(), on_disk.height()), (256, 128));
        std::fs::remove_file(&original).unwrap();
        let second = thumbnail(&original, Some(&cached)).expect("read from the cache, not the original");
        assert_eq!(second.size, first.size);
    }
}
