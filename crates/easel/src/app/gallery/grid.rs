//! The grid on screen: groups laid out in rows, only the rows in view drawn, one cell per
//! thumbnail with its click, Ctrl+click and right-click menu.

use super::paint::{Marks, paint_marks, paint_thumbnail};
use super::{Gallery, Toolbar, View};
use crate::app::actions::Action;
use crate::app::style::{self, space};
use crate::app::textures::Thumbnails;
use crate::app::words::one_line;
use easel_engine::capabilities::Upscaler;
use easel_engine::store::ImageRecord;
use std::collections::BTreeSet;
use std::ops::Range;

/// Side of a gallery cell, in points.
pub const CELL: f32 = 168.0;
/// Extra space between the groups sharing a row, so each Generate press reads as a unit.
const GROUP_GAP: f32 = 14.0;

/// One row of the grid: pieces of groups (group index, image range), left to right.
type Row = Vec<(usize, Range<usize>)>;

impl Gallery {
    /// Lay the groups out in rows of at most `columns` images. A group that fits on the
    /// current row stays together on it; a longer one starts a fresh row and wraps.
    pub(super) fn rows(&self, columns: usize) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut row = Row::new();
        let mut used = 0;
        for (g, group) in self.groups.iter().enumerate() {
            let len = group.images.len();
            if used > 0 && used + len > columns {
                rows.push(std::mem::take(&mut row));
                used = 0;
            }
            let mut start = 0;
            while start < len {
                let end = (start + columns - used).min(len);
                row.push((g, start..end));
                used += end - start;
                start = end;
                if used == columns {
                    rows.push(std::mem::take(&mut row));
                    used = 0;
                }
            }
        }
        if !row.is_empty() {
            rows.push(row);
        }
        rows
    }

    /// Draw the toolbar and the grid.
    pub fn ui(&mut self, ui: &mut egui::Ui, thumbs: &mut Thumbnails, toolbar: Toolbar<'_>, actions: &mut Vec<Action>) {
        let (provider, upscaler) = (toolbar.provider, toolbar.upscaler);
        self.toolbar_ui(ui, toolbar, actions);
        if self.feed.bar_ui(ui) {
            self.reset(actions);
        }
        self.trash_confirm_ui(ui.ctx(), actions);
        ui.separator();
        if let Some(why) = &self.load_error {
            style::error_label(ui, format!("Earlier images could not be listed: {why}"));
        }
        if self.feed.view == View::Failed {
            self.feed.failed_ui(ui, provider, actions);
            return;
        }
        if self.groups.is_empty() {
            ui.add_space(space::EMPTY_VIEW);
            let empty = match self.feed.view {
                View::Trash => "The trash is empty.",
                _ if self.feed.filtered() => "No images match.",
                _ => "Your images will appear here. Type a prompt and press Generate.",
            };
            ui.vertical_centered(|ui| ui.weak(empty));
            return;
        }
        let trash_view = self.feed.view == View::Trash;
        let mut near_end = false;
        // Room for a group gap after every cell, so any mix of groups fits the width.
        let cell_width = CELL + ui.spacing().item_spacing.x + GROUP_GAP;
        let columns = (ui.available_width() / cell_width).floor().max(1.0) as usize;
        let rows = self.rows(columns);
        egui::ScrollArea::vertical().id_salt("easel-gallery").auto_shrink(false).show_rows(ui, CELL, rows.len(), |ui, visible| {
            near_end = visible.end + 4 >= rows.len();
            for row in &rows[visible] {
                ui.horizontal(|ui| {
                    for (piece, (g, range)) in row.iter().enumerate() {
                        if piece > 0 {
                            ui.add_space(GROUP_GAP);
                        }
                        for record in &self.groups[*g].images[range.clone()] {
                            let marks = Marks { starred: self.starred.contains(&record.id), picked: self.picked.contains(&record.id) };
                            let cell = Cell { record, marks, trash_view, upscaler: upscaler.as_ref() };
                            cell_ui(ui, cell, thumbs, actions, &mut self.picked);
                        }
                    }
                });
            }
        });
        if near_end {
            self.feed.more(actions);
        }
    }
}

/// What one cell shows.
struct Cell<'a> {
    record: &'a ImageRecord,
    marks: Marks,
    trash_view: bool,
    upscaler: Option<&'a Upscaler>,
}

/// One thumbnail: click opens the viewer, Ctrl+click picks, right click offers the actions;
/// under the pointer, "Edit" starts from it.
fn cell_ui(ui: &mut egui::Ui, cell: Cell<'_>, thumbs: &mut Thumbnails, actions: &mut Vec<Action>, picked: &mut BTreeSet<i64>) {
    let Cell { record, marks, trash_view, upscaler } = cell;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(CELL, CELL), egui::Sense::click());
    let label = image_label(record);
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, marks.picked, &label));
    let hovered = response.hovered() || ui.rect_contains_pointer(rect);
    if ui.is_rect_visible(rect) {
        paint_thumbnail(ui, rect, record, thumbs.get(record));
        paint_marks(ui, rect, &marks, hovered);
        super::caption::paint_caption(ui, rect, record);
    }
    if hovered && !trash_view {
        let place = egui::Rect::from_min_size(rect.left_bottom() + egui::vec2(6.0, -28.0), egui::vec2(44.0, 22.0));
        let edit = ui.put(place, egui::Button::new("Edit").small()).on_hover_text("Edit this picture: paint the part to change");
        if edit.clicked() {
            actions.push(Action::EditImage(record.id));
        }
    }
    if response.clicked() {
        if trash_view || ui.input(|i| i.modifiers.command) {
            if !picked.remove(&record.id) {
                picked.insert(record.id);
            }
        } else {
            actions.push(Action::OpenImage(record.id));
        }
    }
    if trash_view {
        response.context_menu(|ui| {
            for (text, action) in [("Open", Action::OpenImage(record.id)), ("Restore", Action::UndoTrash(record.id))] {
                if ui.button(text).clicked() {
                    actions.push(action);
                    ui.close();
                }
            }
        });
    } else {
        response.context_menu(|ui| {
            image_menu(ui, record, marks.starred, upscaler, actions);
            super::caption::group_menu_item(ui, record, actions);
        });
    }
    response.on_hover_text(&label);
}

/// The actions offered for an image (right-click menu).
fn image_menu(ui: &mut egui::Ui, record: &ImageRecord, starred: bool, upscaler: Option<&Upscaler>, actions: &mut Vec<Action>) {
    let id = record.id;
    let items = [("Open", Action::OpenImage(id)), ("Edit this picture", Action::EditImage(id)), ("Vary", Action::Vary(id))];
    for (text, action) in items {
        if ui.button(text).clicked() {
            actions.push(action);
            ui.close();
        }
    }
    crate::app::viewer::upscale_menu(ui, record, upscaler, actions);
    ui.separator();
    let items = [
        (if starred { "Remove star" } else { "Star" }, Action::ToggleStar(id)),
        ("Use these settings again", Action::ReuseSettings(id)),
        ("Copy image", Action::CopyImage(id)),
        ("Save as…", Action::SaveImageAs(id)),
        ("Move to trash", Action::TrashImage(id)),
    ];
    for (text, action) in items {
        if ui.button(text).clicked() {
            actions.push(action);
            ui.close();
        }
    }
}

/// What a screen reader (and a test) calls the thumbnail.
pub fn image_label(record: &ImageRecord) -> String {
    let prompt = one_line(&record.prompt);
    let seed = record.seed.map_or("random".to_owned(), |s| s.to_string());
    format!("Image: {prompt} ({}×{}, seed {seed})", record.width, record.height)
}
