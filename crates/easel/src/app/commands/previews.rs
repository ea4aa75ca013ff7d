//! Streamed previews of a job still being made: decoded off the UI thread into a small texture
//! for the job's row.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::jobs::{PREVIEW_SIDE, Preview};
use easel_engine::JobId;

impl Commands {
    /// Decode one preview of `job` and upload it as a small texture.
    pub fn decode_preview(&self, job: JobId, preview: Box<easel_engine::Preview>) {
        let ctx = self.bg.ctx().clone();
        self.bg.blocking(move || {
            let result = image::load_from_memory(&preview.bytes)
                .map(|image| image.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE).into_rgba8())
                .map(|rgba| {
                    let pixels = egui::ColorImage::from_rgba_unmultiplied([rgba.width() as usize, rgba.height() as usize], rgba.as_raw());
                    let texture = ctx.load_texture(format!("preview-{job}-{}", preview.index), pixels, egui::TextureOptions::LINEAR);
                    Preview { index: preview.index, texture }
                })
                .map_err(|e| format!("a preview of job {job} could not be read: {e}"));
            Message::Preview { job, result }
        });
    }
}
