//! The picture in a job's row: the rough previews a service streams while it makes the picture
//! (OpenAI's partial images), each replacing the one before, until the stored picture arrives
//! and takes its place (drawn from the gallery's thumbnails).
//!
//! Previews are small textures ([`PREVIEW_SIDE`] pixels at most, decoded off the UI thread) and
//! only running jobs hold one, at most [`MAX_PREVIEWS`] at a time: a few hundred kilobytes, well
//! inside the thumbnails' budget.

use super::{JobRow, Jobs};
use crate::app::actions::Action;
use crate::app::style;
use crate::app::textures::{Thumb, Thumbnails, uv_full};
use egui::TextureHandle;

/// Longest side of a preview texture, in pixels.
pub const PREVIEW_SIDE: u32 = 96;
/// Most previews held at once (one per running job); the oldest rows' go first.
const MAX_PREVIEWS: usize = 16;
/// Side of the picture in a job's row, in points.
pub(super) const ROW_PICTURE: f32 = 40.0;

/// A rough picture of a job still being made.
pub struct Preview {
    /// Which of the job's previews it is, from 0: a late decode of an earlier one is dropped.
    pub index: u32,
    pub texture: TextureHandle,
}

impl Jobs {
    /// A preview was decoded. Dropped when the job ended or its stored picture came meanwhile,
    /// or when a later preview is already shown.
    pub fn preview_ready(&mut self, job: &str, preview: Preview) {
        let Some(row) = self.rows.iter_mut().find(|r| r.id == job) else { return };
        if row.finished || !row.images.is_empty() || row.preview.as_ref().is_some_and(|p| p.index >= preview.index) {
            return;
        }
        row.preview = Some(preview);
        // Rows are newest first: past the cap, the oldest rows give theirs up.
        let mut held = 0;
        for row in &mut self.rows {
            if row.preview.is_some() {
                held += 1;
                if held > MAX_PREVIEWS {
                    row.preview = None;
                }
            }
        }
    }
}

impl JobRow {
    /// The row's picture: the latest preview while it is made, then its first stored picture
    /// (a click opens it). Nothing while there is neither, so rows stay one line.
    pub(super) fn picture_ui(&self, ui: &mut egui::Ui, thumbs: &mut Thumbnails, actions: &mut Vec<Action>) {
        let texture = match (&self.preview, self.images.first()) {
            (Some(preview), _) => Some(&preview.texture),
            (None, Some(record)) => match thumbs.get(record) {
                Thumb::Ready(texture) => Some(texture),
                Thumb::Loading | Thumb::Failed(_) => None,
            },
            (None, None) => return,
        };
        let (rect, response) = ui.allocate_exact_size(egui::vec2(ROW_PICTURE, ROW_PICTURE), egui::Sense::click());
        let label = if self.preview.is_some() { "A first look at the picture being made" } else { "The picture this job made" };
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, label));
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 3.0, style::image_backdrop(ui));
        if let Some(texture) = texture {
            let size = texture.size_vec2();
            let scale = (rect.width() / size.x).min(rect.height() / size.y);
            painter.image(texture.id(), egui::Rect::from_center_size(rect.center(), size * scale), uv_full(), egui::Color32::WHITE);
        }
        if let (None, Some(record)) = (&self.preview, self.images.first())
            && response.on_hover_text("Open this picture").clicked()
        {
            actions.push(Action::OpenImage(record.id));
        }
    }

    /// Under the row: the model and the service it went to, and until when the service keeps
    /// pictures that could not be collected yet.
    pub(super) fn where_ui(&self, ui: &mut egui::Ui) {
        if let Some(service) = &self.service {
            let model = crate::app::words::model_name(self.model.as_deref().unwrap_or(&self.settings.model));
            let line = egui::RichText::new(format!("{model} on {}", service.label)).small().weak();
            ui.add(egui::Label::new(line).truncate());
        }
        if let Some(until) = &self.collect_before {
            style::warn_label(
                ui,
                format!("Collect before {until}: the service keeps these pictures only until then. Easel keeps trying to fetch them."),
            );
        }
    }
}

impl Jobs {
    /// Bytes of preview textures held now.
    #[cfg(test)]
    pub(super) fn preview_bytes(&self) -> usize {
        self.rows.iter().filter_map(|r| r.preview.as_ref()).map(|p| p.texture.byte_size()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_engine::request::GenerationSettings;
    use easel_engine::{Event, EventKind};
    use std::time::Instant;

    fn preview(ctx: &egui::Context, index: u32) -> Preview {
        let pixels = egui::ColorImage::filled([PREVIEW_SIDE as usize; 2], egui::Color32::GRAY);
        Preview { index, texture: ctx.load_texture("preview", pixels, egui::TextureOptions::LINEAR) }
    }

    #[test]
    fn a_later_preview_replaces_an_earlier_one_and_the_stored_picture_replaces_both() {
        let ctx = egui::Context::default();
        let mut jobs = Jobs::default();
        jobs.submitted(vec![("j-1".into(), GenerationSettings::default())], Instant::now());
        jobs.preview_ready("j-1", preview(&ctx, 1));
        jobs.preview_ready("j-1", preview(&ctx, 0));
        assert_eq!(jobs.rows[0].preview.as_ref().map(|p| p.index), Some(1), "a late decode of an earlier preview is dropped");
        let image = Event { job: Some("j-1".into()), kind: EventKind::Image(Box::new(crate::app::fixtures::image_record(7))) };
        jobs.on_event(&image, Instant::now());
        assert!(jobs.rows[0].preview.is_none(), "the stored picture takes its place");
        jobs.preview_ready("j-1", preview(&ctx, 2));
        assert!(jobs.rows[0].preview.is_none(), "no preview after the stored picture");
    }

    #[test]
    fn previews_stay_within_their_budget() {
        let ctx = egui::Context::default();
        let mut jobs = Jobs::default();
        for n in 0..40 {
            jobs.submitted(vec![(format!("j-{n}"), GenerationSettings::default())], Instant::now());
            jobs.preview_ready(&format!("j-{n}"), preview(&ctx, 0));
        }
        let one = preview(&ctx, 0).texture.byte_size();
        assert_eq!(jobs.preview_bytes(), MAX_PREVIEWS * one);
        assert!(jobs.rows[0].preview.is_some(), "the newest job keeps its preview");
        assert!(jobs.rows[39].preview.is_none(), "the oldest gave its up");
    }
}
