//! Zooming and panning a picture: fit (the default), a zoom that keeps the point under the
//! pointer in place, panning by dragging, double-click to fit again. The viewer, the painter
//! and the comparison all look through one of these.

use egui::{Pos2, Rect, Vec2};

/// Zoom limits, as screen points per picture pixel.
const MIN_ZOOM: f32 = 0.02;
const MAX_ZOOM: f32 = 32.0;
/// Zoom factor per button press.
const ZOOM_STEP: f32 = 1.25;

/// Where a picture is in its place on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// `None` fits the picture to its place; otherwise screen points per picture pixel.
    zoom: Option<f32>,
    /// How far the picture's centre is from its place's centre.
    pan: Vec2,
    /// The scale that fits the picture, as of the last frame.
    fitted: f32,
}

impl Default for View {
    fn default() -> Self {
        Self { zoom: None, pan: Vec2::ZERO, fitted: 1.0 }
    }
}

impl View {
    /// Back to fit, centred.
    pub fn fit(&mut self) {
        self.zoom = None;
        self.pan = Vec2::ZERO;
    }

    /// Screen points per picture pixel now.
    pub fn scale(&self) -> f32 {
        self.zoom.unwrap_or(self.fitted)
    }

    /// One picture pixel per screen pixel.
    pub fn actual_size(&mut self, pixels_per_point: f32) {
        self.zoom = Some(1.0 / pixels_per_point);
        self.pan = Vec2::ZERO;
    }

    /// Zoom by `factor`, keeping the point `about` (on screen, in the place `rect`) where it
    /// is; without `about`, about the centre.
    pub fn zoom_by(&mut self, factor: f32, about: Option<(Pos2, Rect)>) {
        let old = self.scale();
        let new = (old * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        if let Some((point, rect)) = about {
            let from_centre = point - rect.center();
            self.pan = from_centre - (from_centre - self.pan) * (new / old);
        } else {
            self.pan *= new / old;
        }
        self.zoom = Some(new);
    }

    /// Move the picture by `delta` screen points.
    pub fn pan_by(&mut self, delta: Vec2) {
        self.pan += delta;
    }

    /// Where a picture of `size` pixels is drawn in `rect` (and the fit scale is noted).
    pub fn image_rect(&mut self, rect: Rect, size: Vec2) -> Rect {
        self.fitted = (rect.width() / size.x).min(rect.height() / size.y).max(f32::MIN_POSITIVE);
        Rect::from_center_size(rect.center() + self.pan, size * self.scale())
    }

    /// The picture pixel under the screen point `point`, for a picture drawn at `image_rect`.
    pub fn to_picture(&self, image_rect: Rect, point: Pos2) -> [f32; 2] {
        let v = (point - image_rect.min) / self.scale();
        [v.x, v.y]
    }

    /// Scrolling or pinching over `response` zooms about the pointer; dragging it pans when
    /// `drag_pans`; a double click fits.
    pub fn handle(&mut self, ui: &egui::Ui, response: &egui::Response, rect: Rect, drag_pans: bool) {
        if response.hovered() {
            let (scroll, pinch, pointer) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta(), i.pointer.hover_pos()));
            let factor = pinch * (scroll * 0.002).exp();
            if factor != 1.0 {
                self.zoom_by(factor, pointer.map(|p| (p, rect)));
            }
        }
        if drag_pans && response.dragged() {
            self.pan_by(response.drag_delta());
        }
        if response.double_clicked() {
            self.fit();
        }
    }

    /// Fit, zoom out, zoom in, 100 %.
    pub fn buttons_ui(&mut self, ui: &mut egui::Ui) {
        if ui.button("Fit").on_hover_text("The whole picture (double-click it)").clicked() {
            self.fit();
        }
        if ui.button("Zoom out").on_hover_text("Or scroll down over the picture").clicked() {
            self.zoom_by(1.0 / ZOOM_STEP, None);
        }
        if ui.button("Zoom in").on_hover_text("Or scroll up over the picture").clicked() {
            self.zoom_by(ZOOM_STEP, None);
        }
        if ui.button("100%").on_hover_text("One picture pixel per screen pixel").clicked() {
            self.actual_size(ui.ctx().pixels_per_point());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zooming_keeps_the_point_under_the_pointer_in_place() {
        let rect = Rect::from_min_size(Pos2::ZERO, egui::vec2(800.0, 600.0));
        let mut view = View::default();
        let picture = view.image_rect(rect, egui::vec2(1600.0, 1200.0));
        assert_eq!(view.scale(), 0.5, "fit");
        let pointer = egui::pos2(200.0, 150.0);
        let before = view.to_picture(picture, pointer);
        view.zoom_by(4.0, Some((pointer, rect)));
        let picture = view.image_rect(rect, egui::vec2(1600.0, 1200.0));
        let after = view.to_picture(picture, pointer);
        assert!((before[0] - after[0]).abs() < 0.01 && (before[1] - after[1]).abs() < 0.01, "{before:?} {after:?}");
        view.fit();
        assert_eq!(view.image_rect(rect, egui::vec2(1600.0, 1200.0)), rect);
    }
}
