//! The large viewer: one image to fit, zoom and pan, with its full settings beside it.
//! The command layer decodes the image; it arrives through [`Viewer::on_loaded`].

use super::actions::Action;
use super::gallery::image_label;
use super::style::{self, space};
use super::textures::uv_full;
use easel_engine::store::ImageRecord;

/// Zoom limits, as a scale of the image's pixels.
const MIN_ZOOM: f32 = 0.05;
const MAX_ZOOM: f32 = 16.0;
/// Zoom factor per button press.
const ZOOM_STEP: f32 = 1.25;

/// The open viewer. Its texture is dropped (and freed) when the viewer closes.
pub struct Viewer {
    image: i64,
    texture: Option<egui::TextureHandle>,
    error: Option<String>,
    /// `None` fits the image to the space; otherwise a scale of its pixels.
    zoom: Option<f32>,
    pan: egui::Vec2,
    /// The scale that fits the image to the space, as of the last frame.
    fitted: f32,
}

impl Viewer {
    /// Open `record`; its pixels come when they are decoded.
    pub fn open(record: &ImageRecord) -> Self {
        Self { image: record.id, texture: None, error: None, zoom: None, pan: egui::Vec2::ZERO, fitted: 1.0 }
    }

    /// The image shown.
    pub fn image(&self) -> i64 {
        self.image
    }

    /// A full-size image was decoded; ignored if the viewer moved on meanwhile.
    pub fn on_loaded(&mut self, image: i64, result: Result<egui::TextureHandle, String>) {
        if image != self.image {
            return;
        }
        match result {
            Ok(texture) => self.texture = Some(texture),
            Err(why) => self.error = Some(why),
        }
    }

    /// Draw the toolbar, the details and the image.
    pub fn ui(&mut self, ui: &mut egui::Ui, record: &ImageRecord, starred: bool, saving_busy: bool, actions: &mut Vec<Action>) {
        self.toolbar_ui(ui, record.id, starred, saving_busy, actions);
        ui.separator();
        egui::Panel::right("easel-viewer-details").resizable(true).default_size(300.0).show(ui, |ui| details_ui(ui, record));
        self.image_ui(ui, record);
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, id: i64, starred: bool, saving_busy: bool, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            if ui.button("« Gallery").on_hover_text("Back to all images (Esc)").clicked() {
                actions.push(Action::CloseViewer);
            }
            if ui.button("‹ Previous").on_hover_text("Left arrow").clicked() {
                actions.push(Action::StepImage(-1));
            }
            if ui.button("Next ›").on_hover_text("Right arrow").clicked() {
                actions.push(Action::StepImage(1));
            }
            ui.separator();
            if ui.button("Fit").clicked() {
                self.fit();
            }
            if ui.button("Zoom out").clicked() {
                self.zoom_by(1.0 / ZOOM_STEP);
            }
            if ui.button("Zoom in").clicked() {
                self.zoom_by(ZOOM_STEP);
            }
            if ui.button("100%").on_hover_text("One image pixel per screen pixel").clicked() {
                self.zoom = Some(1.0 / ui.ctx().pixels_per_point());
                self.pan = egui::Vec2::ZERO;
            }
            ui.separator();
            if ui.selectable_label(starred, "Star").on_hover_text("Mark this image as a keeper").clicked() {
                actions.push(Action::ToggleStar(id));
            }
            if ui.button("Use these settings again").clicked() {
                actions.push(Action::ReuseSettings(id));
            }
            if ui.button("Copy image").clicked() {
                actions.push(Action::CopyImage(id));
            }
            if ui.add_enabled(!saving_busy, egui::Button::new("Save as…")).clicked() {
                actions.push(Action::SaveImageAs(id));
            }
            let trash = ui
                .button("Move to trash")
                .on_hover_text("Take this image out of the gallery. Its file is kept until the trash is emptied; you can undo.");
            if trash.clicked() {
                actions.push(Action::TrashImage(id));
            }
        });
    }

    fn fit(&mut self) {
        self.zoom = None;
        self.pan = egui::Vec2::ZERO;
    }

    /// Zoom from the current scale (the fitted one if there is no zoom yet).
    fn zoom_by(&mut self, factor: f32) {
        let current = self.zoom.unwrap_or(self.fitted);
        self.zoom = Some((current * factor).clamp(MIN_ZOOM, MAX_ZOOM));
    }

    fn image_ui(&mut self, ui: &mut egui::Ui, record: &ImageRecord) {
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, image_label(record)));
        let Some((texture, size)) = self.texture.as_ref().map(|t| (t.id(), t.size_vec2())) else {
            self.placeholder_ui(ui, rect);
            return;
        };
        let fitted = (rect.width() / size.x).min(rect.height() / size.y);
        self.fitted = fitted;
        if response.hovered() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = pinch * (scroll * 0.002).exp();
            if factor != 1.0 {
                self.zoom_by(factor);
            }
        }
        if response.dragged() {
            self.pan += response.drag_delta();
        }
        if response.double_clicked() {
            self.fit();
        }
        let scale = self.zoom.unwrap_or(fitted);
        let image_rect = egui::Rect::from_center_size(rect.center() + self.pan, size * scale);
        ui.painter_at(rect).image(texture, image_rect, uv_full(), egui::Color32::WHITE);
    }

    /// While the image loads, a spinner; if it could not be read, why.
    fn placeholder_ui(&self, ui: &egui::Ui, rect: egui::Rect) {
        match &self.error {
            Some(why) => {
                ui.painter().text(rect.center(), egui::Align2::CENTER_CENTER, why, style::placeholder_font(), style::warn(ui));
            }
            None => egui::Spinner::new().paint_at(ui, egui::Rect::from_center_size(rect.center(), egui::vec2(32.0, 32.0))),
        }
    }
}

/// The image's full settings, selectable for copying.
fn details_ui(ui: &mut egui::Ui, record: &ImageRecord) {
    egui::ScrollArea::vertical().id_salt("easel-viewer-details").show(ui, |ui| {
        let seed = record.seed.map_or("random".to_owned(), |s| s.to_string());
        let rows: [(&str, String); 11] = [
            ("Prompt", record.prompt.clone()),
            ("Negative prompt", record.negative_prompt.clone().unwrap_or_else(|| "none".into())),
            ("Model", record.model.clone()),
            ("Size", format!("{} × {}", record.width, record.height)),
            ("Steps", record.steps.to_string()),
            ("Guidance", record.guidance.to_string()),
            ("Seed", seed),
            ("Provider", record.provider.clone()),
            ("Request id", record.request_id.clone().unwrap_or_else(|| "none".into())),
            ("Made", super::when::when(record.created_ms)),
            ("File", record.path.display().to_string()),
        ];
        for (name, value) in rows {
            ui.strong(name);
            ui.add(egui::Label::new(value).selectable(true).wrap());
            ui.add_space(space::FIELD);
        }
        super::costs::picture_facts_ui(ui, record);
        if record.cached {
            ui.weak("Served from your library: the same settings were made before.");
        }
    });
}
