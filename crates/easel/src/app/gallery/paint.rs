//! What is painted in a gallery cell: the thumbnail (or why it cannot be shown) and the marks
//! on it (picked, hovered, starred).

use crate::app::style;
use crate::app::textures::{Thumb, uv_full};
use easel_engine::store::ImageRecord;

/// Rounding of a cell's corners, in points.
const CORNER: f32 = 4.0;

/// Marks drawn on a thumbnail.
pub struct Marks {
    pub starred: bool,
    pub picked: bool,
}

/// The thumbnail fitted in its cell, a spinner while it loads, or why it cannot be shown.
pub fn paint_thumbnail(ui: &egui::Ui, rect: egui::Rect, record: &ImageRecord, thumb: Thumb<'_>) {
    match thumb {
        Thumb::Failed(why) => {
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, CORNER, style::image_backdrop(ui));
            let text = format!("This image could not be shown.\n{why}\n{}", record.path.display());
            let galley = painter.layout(text, style::small_font(), style::warn(ui), rect.width() - 8.0);
            painter.galley(rect.left_top() + egui::vec2(4.0, 4.0), galley, style::warn(ui));
        }
        thumb => paint_thumb_in(ui, rect, thumb),
    }
}

/// Any thumbnail fitted in `rect` on the image backdrop: the picture, a spinner, or why not.
pub fn paint_thumb_in(ui: &egui::Ui, rect: egui::Rect, thumb: Thumb<'_>) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, CORNER, style::image_backdrop(ui));
    match thumb {
        Thumb::Ready(texture) => {
            let size = texture.size_vec2();
            let scale = (rect.width() / size.x).min(rect.height() / size.y);
            let image_rect = egui::Rect::from_center_size(rect.center(), size * scale);
            painter.image(texture.id(), image_rect, uv_full(), egui::Color32::WHITE);
        }
        Thumb::Loading => egui::Spinner::new().paint_at(ui, egui::Rect::from_center_size(rect.center(), egui::vec2(24.0, 24.0))),
        Thumb::Failed(why) => {
            let galley = painter.layout(format!("Cannot be shown: {why}"), style::small_font(), style::warn(ui), rect.width() - 8.0);
            painter.galley(rect.left_top() + egui::vec2(4.0, 4.0), galley, style::warn(ui));
        }
    }
}

/// The marks on a thumbnail: a frame and tick when picked, a frame when hovered, the star.
pub fn paint_marks(ui: &egui::Ui, rect: egui::Rect, marks: &Marks, hovered: bool) {
    let painter = ui.painter_at(rect);
    if marks.picked {
        let colour = style::picked(ui);
        painter.rect_stroke(rect.shrink(1.0), CORNER, egui::Stroke::new(3.0, colour), egui::StrokeKind::Inside);
        paint_check(&painter, rect.left_top() + egui::vec2(16.0, 16.0), colour);
    } else if hovered {
        painter.rect_stroke(rect.shrink(1.0), CORNER, style::hover_stroke(ui), egui::StrokeKind::Inside);
    }
    if marks.starred {
        paint_star(&painter, rect.right_top() + egui::vec2(-16.0, 16.0), 10.0, style::STAR);
    }
}

/// A tick in a filled circle (egui's default font has no check mark glyph).
fn paint_check(painter: &egui::Painter, centre: egui::Pos2, colour: egui::Color32) {
    painter.circle_filled(centre, 10.0, colour);
    let tick = [centre + egui::vec2(-5.0, 0.0), centre + egui::vec2(-1.5, 4.0), centre + egui::vec2(5.0, -4.0)];
    painter.add(egui::Shape::line(tick.to_vec(), egui::Stroke::new(2.0, style::ON_ACCENT)));
}

/// A filled five-pointed star: a pentagon and five point triangles, all convex.
fn paint_star(painter: &egui::Painter, centre: egui::Pos2, radius: f32, colour: egui::Color32) {
    let point = |i: usize, r: f32| {
        let angle = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
        centre + r * egui::vec2(angle.cos(), angle.sin())
    };
    let inner: Vec<egui::Pos2> = (0..5).map(|i| point(2 * i + 1, radius * 0.42)).collect();
    painter.add(egui::Shape::convex_polygon(inner.clone(), colour, egui::Stroke::NONE));
    for i in 0..5 {
        let tip = vec![inner[(i + 4) % 5], point(2 * i, radius), inner[i]];
        painter.add(egui::Shape::convex_polygon(tip, colour, egui::Stroke::NONE));
    }
}
