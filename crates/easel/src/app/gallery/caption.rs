//! What a thumbnail says besides its picture: the model, for a picture tried on several
//! models; what the library check found about its file; and the menu entry that shows its
//! group side by side.

use crate::app::actions::Action;
use crate::app::library_check::file_mark;
use crate::app::style;
use easel_engine::store::ImageRecord;

/// A strip at the bottom with the model (pictures of a try-on-several-models group), and a
/// warning strip at the top when the file is missing or changed, or the picture was recovered.
pub fn paint_caption(ui: &egui::Ui, rect: egui::Rect, record: &ImageRecord) {
    let painter = ui.painter_at(rect);
    let strip = |top: bool, text: &str, colour: egui::Color32| {
        let galley = painter.layout_no_wrap(text.to_owned(), style::small_font(), colour);
        let height = galley.size().y + 4.0;
        let band = if top {
            egui::Rect::from_min_size(rect.left_top(), egui::vec2(rect.width(), height))
        } else {
            egui::Rect::from_min_size(egui::pos2(rect.left(), rect.bottom() - height), egui::vec2(rect.width(), height))
        };
        painter.rect_filled(band, 0.0, egui::Color32::from_black_alpha(170));
        painter.galley(band.left_top() + egui::vec2(4.0, 2.0), galley, colour);
    };
    if record.group.is_some() {
        strip(false, &record.model, egui::Color32::WHITE);
    }
    if let Some(mark) = file_mark(record) {
        strip(true, mark, style::STAR);
    }
}

/// "See side by side" for a picture of a try-on-several-models group.
pub fn group_menu_item(ui: &mut egui::Ui, record: &ImageRecord, actions: &mut Vec<Action>) {
    if let Some(group) = &record.group
        && ui.button("See the models side by side").clicked()
    {
        actions.push(Action::OpenGroup(group.clone()));
        ui.close();
    }
}
