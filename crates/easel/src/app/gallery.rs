//! The gallery: thumbnails, newest first, the candidates of one Generate press side by side.
//!
//! The library is read a page at a time as the person scrolls (see [`Feed`]), and only the
//! rows in view are laid out, so tens of thousands of images start and scroll fast;
//! thumbnails are decoded off the UI thread by [`Thumbnails`]. Above the grid: search,
//! filters, the trash and the failed jobs.

use super::actions::Action;
use super::background::Background;
use super::library::{Feed, GalleryMessage, View};
use super::textures::{Thumb, Thumbnails};
use easel_engine::store::{ImageRecord, Store};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

/// Side of a gallery cell, in points.
const CELL: f32 = 168.0;
/// Extra space between the groups sharing a row, so each Generate press reads as a unit.
const GROUP_GAP: f32 = 14.0;

/// One row of the grid: pieces of groups (group index, image range), left to right.
type Row = Vec<(usize, Range<usize>)>;

/// Which images belong together on a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKey {
    /// The jobs of one Generate press in this session.
    Batch(u64),
    /// Images from the library, grouped by the job that made them.
    Job(String),
}

/// Images that belong together, in the order they arrived.
struct Group {
    key: GroupKey,
    images: Vec<ImageRecord>,
}

/// An image taken out of the gallery, kept so it can be put back.
struct Removed {
    record: ImageRecord,
    key: GroupKey,
    group_index: usize,
}

/// The gallery's images and marks.
#[derive(Default)]
pub struct Gallery {
    /// Newest group first.
    groups: Vec<Group>,
    /// Starred images (also written to the library).
    starred: HashSet<i64>,
    /// Images picked with Ctrl+click, for "Save selected to folder…".
    picked: BTreeSet<i64>,
    removed: HashMap<i64, Removed>,
    /// The library could not be read.
    load_error: Option<String>,
    /// What is listed (search, filters, trash, failed jobs) and how far it was read.
    feed: Feed,
}

/// Settings the gallery toolbar shows and changes.
pub struct Toolbar<'a> {
    pub embed_parameters: &'a mut bool,
    /// A dialog or save is under way: saving is paused.
    pub saving_busy: bool,
    /// The history and presets window is open.
    pub history_open: &'a mut bool,
}

impl Gallery {
    /// List the images of `store`, newest first, a page at a time.
    pub fn attach(&mut self, store: Store, bg: &Background) {
        self.feed.attach(store, bg);
    }

    /// A background read came back. Returns a sentence to show when something went wrong or
    /// needs saying.
    pub fn on_message(&mut self, message: GalleryMessage, bg: &Background) -> Option<String> {
        match message {
            GalleryMessage::Page { generation, result } => {
                let result = self.feed.on_page(generation, result)?;
                self.load_library(result);
                None
            }
            GalleryMessage::Failed { generation, result } => {
                self.feed.on_failed(generation, result).err().map(|why| format!("Failed jobs could not be listed ({why})."))
            }
            GalleryMessage::Count { generation, result } => {
                self.feed.on_count(generation, result);
                None
            }
            GalleryMessage::TrashEmptied(result) => {
                if self.feed.view == View::Trash {
                    self.reset(bg);
                }
                Some(match result {
                    Ok(n) => format!("Emptied the trash: {} deleted for good.", count(n, "image")),
                    Err(why) => format!("The trash could not be emptied ({why})."),
                })
            }
        }
    }

    /// Start the listing again for a changed query.
    pub fn reset(&mut self, bg: &Background) {
        self.groups.clear();
        self.picked.clear();
        self.load_error = None;
        self.feed.restart(bg);
    }

    /// Which listing is on screen: changes whenever the gallery is read again from the start.
    pub fn listing(&self) -> u64 {
        self.feed.generation()
    }

    /// A job ended without images: the Failed jobs view, if open, reads the list again.
    pub fn job_failed(&mut self, bg: &Background) {
        if self.feed.view == View::Failed {
            self.reset(bg);
        }
    }

    /// A new image arrived: it goes first, next to its batch's other candidates.
    /// (Not while the trash or failed jobs are listed: it shows when the library is.)
    pub fn add(&mut self, record: ImageRecord, key: GroupKey) {
        self.feed.note_model(&record.model);
        if self.feed.view != View::Library {
            return;
        }
        if self.take(record.id).is_none() {
            self.feed.adjust_total(1);
        }
        self.note_star(&record);
        match self.groups.iter().position(|g| g.key == key) {
            Some(index) => {
                let mut group = self.groups.remove(index);
                group.images.push(record);
                self.groups.insert(0, group);
            }
            None => self.groups.insert(0, Group { key, images: vec![record] }),
        }
    }

    /// The library's images (newest first), read at start-up. Images that already arrived
    /// through events stay where they are.
    pub fn load_library(&mut self, result: Result<Vec<ImageRecord>, String>) {
        let records = match result {
            Ok(records) => records,
            Err(why) => {
                self.load_error = Some(why);
                return;
            }
        };
        let known: HashSet<i64> = self.groups.iter().flat_map(|g| g.images.iter().map(|i| i.id)).collect();
        for record in records.into_iter().filter(|r| !known.contains(&r.id)) {
            self.note_star(&record);
            let key = GroupKey::Job(record.job.clone());
            match self.groups.last_mut() {
                Some(group) if group.key == key => group.images.insert(0, record),
                _ => self.groups.push(Group { key, images: vec![record] }),
            }
        }
    }

    pub fn get(&self, id: i64) -> Option<&ImageRecord> {
        self.records().find(|r| r.id == id)
    }

    fn records(&self) -> impl Iterator<Item = &ImageRecord> {
        self.groups.iter().flat_map(|g| g.images.iter())
    }

    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.images.len()).sum()
    }

    /// The image `step` places before or after `id`, in gallery order.
    pub fn neighbour(&self, id: i64, step: isize) -> Option<i64> {
        let ids: Vec<i64> = self.records().map(|r| r.id).collect();
        let here = ids.iter().position(|i| *i == id)?;
        ids.get(here.checked_add_signed(step)?).copied()
    }

    pub fn is_starred(&self, id: i64) -> bool {
        self.starred.contains(&id)
    }

    /// Star or unstar an image; returns whether it is starred now.
    pub fn toggle_star(&mut self, id: i64) -> bool {
        if self.starred.remove(&id) {
            false
        } else {
            self.starred.insert(id);
            true
        }
    }

    fn note_star(&mut self, record: &ImageRecord) {
        if record.starred {
            self.starred.insert(record.id);
        }
    }

    /// The picked images, for saving to a folder.
    pub fn picked(&self) -> Vec<ImageRecord> {
        self.records().filter(|r| self.picked.contains(&r.id)).cloned().collect()
    }

    /// Take an image out of the gallery; it can be put back with [`Self::restore`].
    /// Returns false when the image was not in the gallery.
    pub fn remove(&mut self, id: i64) -> bool {
        let Some((record, key, group_index)) = self.take(id) else { return false };
        self.removed.insert(id, Removed { record, key, group_index });
        self.feed.note_removed();
        self.feed.adjust_total(-1);
        true
    }

    /// Put a removed image back where it was.
    /// In the trash view, a restored image leaves the list instead.
    pub fn restore(&mut self, id: i64) {
        if self.feed.view == View::Trash {
            self.removed.remove(&id);
            if self.take(id).is_some() {
                self.feed.adjust_total(-1);
            }
            return;
        }
        let Some(Removed { record, key, group_index }) = self.removed.remove(&id) else { return };
        self.feed.adjust_total(1);
        match self.groups.iter_mut().find(|g| g.key == key) {
            Some(group) => {
                let at = group.images.iter().position(|i| i.created_ms > record.created_ms).unwrap_or(group.images.len());
                group.images.insert(at, record);
            }
            None => self.groups.insert(group_index.min(self.groups.len()), Group { key, images: vec![record] }),
        }
    }

    /// Remove an image from its group (dropping an emptied group).
    fn take(&mut self, id: i64) -> Option<(ImageRecord, GroupKey, usize)> {
        let (group_index, image_index) =
            self.groups.iter().enumerate().find_map(|(g, group)| group.images.iter().position(|i| i.id == id).map(|i| (g, i)))?;
        let record = self.groups[group_index].images.remove(image_index);
        let key = self.groups[group_index].key.clone();
        if self.groups[group_index].images.is_empty() {
            self.groups.remove(group_index);
        }
        self.picked.remove(&id);
        Some((record, key, group_index))
    }

    /// Lay the groups out in rows of at most `columns` images. A group that fits on the
    /// current row stays together on it; a longer one starts a fresh row and wraps.
    fn rows(&self, columns: usize) -> Vec<Row> {
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
    pub fn ui(&mut self, ui: &mut egui::Ui, thumbs: &mut Thumbnails, bg: &Background, toolbar: Toolbar<'_>, actions: &mut Vec<Action>) {
        self.toolbar_ui(ui, toolbar, actions);
        if self.feed.bar_ui(ui) {
            self.reset(bg);
        }
        self.trash_confirm_ui(ui.ctx(), bg);
        ui.separator();
        if let Some(why) = &self.load_error {
            ui.colored_label(ui.visuals().error_fg_color, format!("Earlier images could not be listed: {why}"));
        }
        if self.feed.view == View::Failed {
            self.feed.failed_ui(ui, actions);
            return;
        }
        if self.groups.is_empty() {
            ui.add_space(24.0);
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
                            cell_ui(ui, record, marks, trash_view, thumbs, bg, actions, &mut self.picked);
                        }
                    }
                });
            }
        });
        if near_end {
            self.feed.more(bg);
        }
    }

    /// "Empty trash…" asks first: the files are deleted for good.
    fn trash_confirm_ui(&mut self, ctx: &egui::Context, bg: &Background) {
        if !self.feed.confirm_empty {
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("easel-empty-trash")).show(ctx, |ui| {
            ui.set_max_width(400.0);
            ui.heading("Empty the trash?");
            ui.label("Every image in the trash is deleted from this computer for good. This cannot be undone.");
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Delete for good").clicked() {
                    self.feed.confirm_empty = false;
                    self.feed.empty_trash(bg);
                }
                if ui.button("Keep them").clicked() {
                    self.feed.confirm_empty = false;
                }
            });
        });
        if modal.should_close() {
            self.feed.confirm_empty = false;
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, toolbar: Toolbar<'_>, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            ui.strong("Gallery");
            match self.feed.total() {
                _ if !self.feed.more_to_read() => {
                    ui.weak(count(self.len(), "image"));
                }
                Some(total) => {
                    ui.weak(count(total as usize, "image")).on_hover_text("They are read from the library as you scroll.");
                }
                None => {
                    ui.weak(format!("{}+ images", self.len())).on_hover_text("More are read as you scroll.");
                }
            }
            ui.separator();
            ui.toggle_value(toolbar.history_open, "History and presets")
                .on_hover_text("Recent prompts with all their settings, and settings saved under a name.");
            let picked = self.picked.len();
            if self.feed.view == View::Trash {
                let restore = ui
                    .add_enabled(picked > 0, egui::Button::new("Restore selected"))
                    .on_hover_text("Click images to select them, then bring them back to the library.")
                    .on_disabled_hover_text("Click images to select them.");
                if restore.clicked() {
                    actions.extend(self.picked.iter().map(|id| Action::UndoTrash(*id)));
                }
                if ui.add_enabled(!self.groups.is_empty(), egui::Button::new("Empty trash…")).clicked() {
                    self.feed.confirm_empty = true;
                }
                return;
            }
            let save = ui
                .add_enabled(picked > 0 && !toolbar.saving_busy, egui::Button::new(format!("Save selected to folder… ({picked})")))
                .on_hover_text("Ctrl+click images to select them.")
                .on_disabled_hover_text("Ctrl+click images to select them.");
            if save.clicked() {
                actions.push(Action::SavePickedToFolder);
            }
            if ui.add_enabled(picked > 0, egui::Button::new("Clear selection")).clicked() {
                self.picked.clear();
            }
            ui.separator();
            ui.checkbox(toolbar.embed_parameters, "Embed settings in saved PNGs")
                .on_hover_text("Saved PNG files carry the prompt and settings, so other tools can read them. Turn off for privacy.");
        });
    }
}

/// Marks drawn on a thumbnail.
struct Marks {
    starred: bool,
    picked: bool,
}

/// One thumbnail: click opens the viewer, Ctrl+click picks, right click offers the actions.
#[allow(clippy::too_many_arguments)]
fn cell_ui(
    ui: &mut egui::Ui,
    record: &ImageRecord,
    marks: Marks,
    trash_view: bool,
    thumbs: &mut Thumbnails,
    bg: &Background,
    actions: &mut Vec<Action>,
    picked: &mut BTreeSet<i64>,
) {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(CELL, CELL), egui::Sense::click());
    let label = image_label(record);
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, marks.picked, &label));
    if ui.is_rect_visible(rect) {
        paint_thumbnail(ui, rect, record, thumbs.get(record, bg));
        paint_marks(ui, rect, &marks, response.hovered());
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
        response.context_menu(|ui| image_menu(ui, record.id, marks.starred, actions));
    }
    response.on_hover_text(&label);
}

/// The actions offered for an image (right-click menu).
fn image_menu(ui: &mut egui::Ui, id: i64, starred: bool, actions: &mut Vec<Action>) {
    let items = [
        ("Open", Action::OpenImage(id)),
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

/// "1 image", "3 images".
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 { format!("1 {thing}") } else { format!("{n} {thing}s") }
}

/// What a screen reader (and a test) calls the thumbnail.
pub fn image_label(record: &ImageRecord) -> String {
    let prompt = record.prompt.split_whitespace().collect::<Vec<_>>().join(" ");
    let seed = record.seed.map_or("random".to_owned(), |s| s.to_string());
    format!("Image: {prompt} ({}×{}, seed {seed})", record.width, record.height)
}

fn paint_thumbnail(ui: &egui::Ui, rect: egui::Rect, record: &ImageRecord, thumb: Thumb<'_>) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    match thumb {
        Thumb::Ready(texture) => {
            let size = texture.size_vec2();
            let scale = (rect.width() / size.x).min(rect.height() / size.y);
            let image_rect = egui::Rect::from_center_size(rect.center(), size * scale);
            painter.image(texture.id(), image_rect, uv_full(), egui::Color32::WHITE);
        }
        Thumb::Loading => egui::Spinner::new().paint_at(ui, egui::Rect::from_center_size(rect.center(), egui::vec2(24.0, 24.0))),
        Thumb::Failed(why) => {
            let text = format!("This image could not be shown.\n{why}\n{}", record.path.display());
            let galley = painter.layout(text, egui::FontId::proportional(11.0), ui.visuals().warn_fg_color, rect.width() - 8.0);
            painter.galley(rect.left_top() + egui::vec2(4.0, 4.0), galley, ui.visuals().warn_fg_color);
        }
    }
}

fn paint_marks(ui: &egui::Ui, rect: egui::Rect, marks: &Marks, hovered: bool) {
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    if marks.picked {
        let colour = visuals.selection.stroke.color;
        painter.rect_stroke(rect.shrink(1.0), 4.0, egui::Stroke::new(3.0, colour), egui::StrokeKind::Inside);
        paint_check(&painter, rect.left_top() + egui::vec2(16.0, 16.0), colour);
    } else if hovered {
        painter.rect_stroke(rect.shrink(1.0), 4.0, visuals.widgets.hovered.fg_stroke, egui::StrokeKind::Inside);
    }
    if marks.starred {
        paint_star(&painter, rect.right_top() + egui::vec2(-16.0, 16.0), 10.0, egui::Color32::from_rgb(240, 190, 40));
    }
}

/// A tick in a filled circle (egui's default font has no check mark glyph).
fn paint_check(painter: &egui::Painter, centre: egui::Pos2, colour: egui::Color32) {
    painter.circle_filled(centre, 10.0, colour);
    let tick = [centre + egui::vec2(-5.0, 0.0), centre + egui::vec2(-1.5, 4.0), centre + egui::vec2(5.0, -4.0)];
    painter.add(egui::Shape::line(tick.to_vec(), egui::Stroke::new(2.0, egui::Color32::WHITE)));
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

/// Texture coordinates of the whole texture.
pub fn uv_full() -> egui::Rect {
    egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gallery(sizes: &[usize]) -> Gallery {
        let groups = sizes.iter().enumerate().map(|(g, &n)| Group { key: GroupKey::Batch(g as u64), images: vec![record(); n] }).collect();
        Gallery { groups, ..Gallery::default() }
    }

    fn record() -> ImageRecord {
        serde_json::from_value(serde_json::json!({
            "id": 1, "job": "j", "index": 0, "path": "/x.png", "bytes": 1, "width": 1, "height": 1,
            "format": "png", "sha256": "00", "seed": null, "prompt": "p", "negative_prompt": null,
            "model": "m", "steps": 1, "guidance": 1.0, "provider": "p", "request_id": null,
            "created": "", "created_ms": 0, "starred": false
        }))
        .expect("a valid record")
    }

    #[test]
    fn groups_share_rows_but_are_never_split_when_they_fit() {
        // Columns of 4: [1,1] share a row, [3] does not fit after them, [6] wraps from a fresh row.
        let rows = gallery(&[1, 1, 3, 6]).rows(4);
        assert_eq!(rows, vec![vec![(0, 0..1), (1, 0..1)], vec![(2, 0..3)], vec![(3, 0..4)], vec![(3, 4..6)],]);
    }
}
