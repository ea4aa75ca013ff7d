//! Comparing two pictures (picked in the gallery): side by side, or one over the other with a
//! line to slide between them. Both zoom and move together, each fitted to its place, so a
//! picture and its enlargement line up.

use super::actions::Action;
use super::gallery::image_label;
use super::picture::Pictures;
use super::style::space;
use easel_engine::store::ImageRecord;
use egui::{Rect, Vec2};

/// How the two pictures are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    SideBySide,
    Slider,
}

/// The comparison, while it is open.
pub struct Compare {
    pictures: [ImageRecord; 2],
    mode: Mode,
    /// Where the line is, from the left edge (0) to the right (1).
    split: f32,
    /// Zoom over the fitted size, and how far the pictures are moved.
    zoom: f32,
    pan: Vec2,
}

impl Compare {
    pub fn open(left: ImageRecord, right: ImageRecord) -> Self {
        Self { pictures: [left, right], mode: Mode::Slider, split: 0.5, zoom: 1.0, pan: Vec2::ZERO }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, pictures: &mut Pictures, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            if ui.button("« Gallery").on_hover_text("Back to all images (Esc)").clicked() {
                actions.push(Action::CloseCompare);
            }
            ui.separator();
            ui.selectable_value(&mut self.mode, Mode::Slider, "Slider").on_hover_text("One over the other; drag the line");
            ui.selectable_value(&mut self.mode, Mode::SideBySide, "Side by side");
            if ui.button("Swap").on_hover_text("Put the right one on the left").clicked() {
                self.pictures.swap(0, 1);
            }
            if ui.button("Fit").clicked() {
                (self.zoom, self.pan) = (1.0, Vec2::ZERO);
            }
            if self.mode == Mode::Slider {
                let label = ui.label("Line");
                ui.add(egui::Slider::new(&mut self.split, 0.0..=1.0).show_value(false)).labelled_by(label.id);
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.weak(format!("Left: {}", image_label(&self.pictures[0])));
            ui.add_space(space::PARAGRAPH);
            ui.weak(format!("Right: {}", image_label(&self.pictures[1])));
        });
        ui.separator();
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Comparison of two pictures"));
        self.input(ui, &response, rect);
        match self.mode {
            Mode::SideBySide => {
                let half = rect.width() / 2.0;
                for (i, place) in [Rect::from_min_size(rect.min, egui::vec2(half - 2.0, rect.height())), {
                    Rect::from_min_size(rect.min + egui::vec2(half + 2.0, 0.0), egui::vec2(half - 2.0, rect.height()))
                }]
                .into_iter()
                .enumerate()
                {
                    self.paint_one(ui, pictures, i, place, place);
                }
            }
            Mode::Slider => {
                let x = rect.left() + rect.width() * self.split;
                self.paint_one(ui, pictures, 0, rect, Rect::from_min_max(rect.min, egui::pos2(x, rect.bottom())));
                self.paint_one(ui, pictures, 1, rect, Rect::from_min_max(egui::pos2(x, rect.top()), rect.max));
                let painter = ui.painter_at(rect);
                let line = egui::Stroke::new(2.0, egui::Color32::WHITE);
                painter.line_segment([egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())], line);
                painter.circle(egui::pos2(x, rect.center().y), 9.0, egui::Color32::from_black_alpha(160), line);
            }
        }
    }

    /// Drag the line with the primary button (slider), move with the others or side by side,
    /// scroll to zoom, double-click to fit.
    fn input(&mut self, ui: &egui::Ui, response: &egui::Response, rect: Rect) {
        if response.hovered() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = pinch * (scroll * 0.002).exp();
            if factor != 1.0 {
                self.zoom = (self.zoom * factor).clamp(0.2, 64.0);
            }
        }
        let sliding = self.mode == Mode::Slider && response.dragged_by(egui::PointerButton::Primary);
        if sliding && let Some(pointer) = response.interact_pointer_pos() {
            self.split = ((pointer.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
        } else if response.dragged() {
            self.pan += response.drag_delta();
        }
        if response.double_clicked() {
            (self.zoom, self.pan) = (1.0, Vec2::ZERO);
        }
    }

    /// Draw picture `i` fitted to `place`, zoomed and moved, showing only what is in `clip`.
    fn paint_one(&self, ui: &egui::Ui, pictures: &mut Pictures, i: usize, place: Rect, clip: Rect) {
        let path = &self.pictures[i].path;
        let size = pictures.size(path).map_or(egui::vec2(1.0, 1.0), |[w, h]| egui::vec2(w as f32, h as f32));
        let fitted = (place.width() / size.x).min(place.height() / size.y);
        let image_rect = Rect::from_center_size(place.center() + self.pan, size * fitted * self.zoom);
        pictures.paint(ui, path, clip, image_rect, None);
    }
}
