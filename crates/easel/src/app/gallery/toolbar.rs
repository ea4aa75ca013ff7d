//! Above the grid: how many images there are, the history window, saving the picked images,
//! and in the trash view restoring and emptying.

use super::{Gallery, View};
use crate::app::actions::Action;
use crate::app::style::space;
use crate::app::words::count;

/// Settings the gallery toolbar shows and changes.
pub struct Toolbar<'a> {
    /// The service in use (for the failed jobs' next steps).
    pub provider: easel_engine::provider::ProviderKind,
    /// A dialog or save is under way: saving is paused.
    pub saving_busy: bool,
    /// The history and presets window is open.
    pub history_open: &'a mut bool,
}

impl Gallery {
    /// "Empty trash…" asks first: the files are deleted for good.
    pub(super) fn trash_confirm_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if !self.feed.confirm_empty {
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("easel-empty-trash")).show(ctx, |ui| {
            ui.set_max_width(400.0);
            ui.heading("Empty the trash?");
            ui.label("Every image in the trash is deleted from this computer for good. This cannot be undone.");
            ui.add_space(space::PARAGRAPH);
            ui.horizontal(|ui| {
                if ui.button("Delete for good").clicked() {
                    self.feed.confirm_empty = false;
                    actions.push(Action::EmptyTrash);
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

    /// The gallery's buttons, wrapping onto more rows in a narrow window.
    pub(super) fn toolbar_ui(&mut self, ui: &mut egui::Ui, toolbar: Toolbar<'_>, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
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
        });
    }
}
