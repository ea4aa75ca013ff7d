//! "Start from an image...": the picked file and its strength, and for inpainting a mask.

use super::PromptPanel;
use crate::app::actions::Action;
use easel_engine::provider::Capabilities;
use easel_engine::request::SettingsDraft;

impl PromptPanel {
    /// Stop using the mask: the whole picture changes.
    fn clear_mask(&mut self, draft: &mut SettingsDraft) {
        draft.mask_image.clear();
        self.note_changed("mask_image");
    }

    /// Stop using the start image, and so its mask too.
    pub(super) fn clear_init_image(&mut self, draft: &mut SettingsDraft) {
        draft.init_images.clear();
        draft.mask_image.clear();
        for field in ["init_image", "mask_image"] {
            self.note_changed(field);
        }
    }

    /// With "More settings" folded, a start image in use is still said on the first screen,
    /// with a way to stop using it. (The place a strip of several start images will go.)
    pub(super) fn start_image_summary_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, actions: &mut Vec<Action>) {
        let Some(first) = draft.init_images.first().cloned() else { return };
        let text = FileNote::for_path(&mut self.init_info, &first, actions).text();
        ui.add_space(crate::app::style::space::SECTION);
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Starting from: {text}"));
            if ui.button("Clear").on_hover_text("Stop using the start image.").clicked() {
                self.clear_init_image(draft);
            }
        });
        self.messages(ui, "init_image");
    }

    /// "Start from an image...": the picked file, its strength, an optional mask, and Clear.
    pub(super) fn init_image_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities, actions: &mut Vec<Action>) {
        ui.strong("Start from an image (optional)");
        ui.horizontal(|ui| {
            let pick = ui
                .button("Start from an image...")
                .on_hover_text("Pick a PNG, JPEG or WebP picture to change. You can also drop one on the window.");
            if pick.clicked() {
                actions.push(Action::PickInitImage);
            }
            if !draft.init_images.is_empty() && ui.button("Clear").on_hover_text("Stop using the start image.").clicked() {
                self.clear_init_image(draft);
            }
        });
        let Some(first) = draft.init_images.first().cloned() else {
            self.init_info = None;
            self.mask_info = None;
            self.messages(ui, "init_image");
            return;
        };
        let text = FileNote::for_path(&mut self.init_info, &first, actions).text();
        ui.label(format!("Start image: {text}"));
        self.messages(ui, "init_image");
        if caps.rules.no_strength {
            super::notes::no_strength_ui(ui);
        } else {
            let mut strength = draft.strength.trim().parse::<f32>().unwrap_or(0.7).clamp(0.0, 1.0);
            let label = ui.label("Strength");
            let slider = ui
                .add(egui::Slider::new(&mut strength, 0.0..=1.0).fixed_decimals(2))
                .labelled_by(label.id)
                .on_hover_text("How much to change the picture: 0 keeps it as it is, 1 makes something new.");
            if slider.changed() {
                draft.strength = format!("{strength:.2}");
            }
            self.after_edit(ui, &slider, "strength");
        }
        if caps.inpaint {
            self.mask_ui(ui, draft, actions);
        } else if !draft.mask_image.is_empty() {
            ui.label("Mask: this model cannot repaint only part of a picture.");
            if ui.button("Clear mask").on_hover_text("Change the whole picture instead.").clicked() {
                self.clear_mask(draft);
            }
            self.messages(ui, "mask_image");
        }
    }

    /// Inpainting: a black-and-white mask the size of the start image; white is repainted.
    fn mask_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            let pick = ui.button("Repaint only part...").on_hover_text(
                "Pick a black-and-white mask the same size as the start image: white parts are painted anew, black parts stay as they are.",
            );
            if pick.clicked() {
                actions.push(Action::PickMask);
            }
            if !draft.mask_image.is_empty() && ui.button("Clear mask").on_hover_text("Change the whole picture instead.").clicked() {
                self.clear_mask(draft);
            }
        });
        if draft.mask_image.is_empty() {
            self.mask_info = None;
        } else {
            let text = FileNote::for_path(&mut self.mask_info, &draft.mask_image, actions).text();
            ui.label(format!("Mask: {text}"));
        }
        self.messages(ui, "mask_image");
    }
}

/// What the panel says about a chosen file: its name at once, then "photo.png, 1.2 MB" once
/// the command layer has looked at it (asked with [`Action::DescribeFile`]).
pub struct FileNote {
    path: String,
    described: Option<String>,
}

impl FileNote {
    /// The note for `path`, asking for its description when the file changed.
    fn for_path<'n>(note: &'n mut Option<FileNote>, path: &str, actions: &mut Vec<Action>) -> &'n FileNote {
        if note.as_ref().is_none_or(|n| n.path != path) {
            actions.push(Action::DescribeFile(path.into()));
            *note = None;
        }
        note.get_or_insert_with(|| FileNote { path: path.to_owned(), described: None })
    }

    /// The description arrived (ignored when another file was chosen meanwhile).
    pub fn described(note: &mut Option<FileNote>, path: &str, text: &str) {
        if let Some(note) = note.as_mut().filter(|n| n.path == path) {
            note.described = Some(text.to_owned());
        }
    }

    fn text(&self) -> String {
        self.described.clone().unwrap_or_else(|| file_name(std::path::Path::new(&self.path)))
    }
}

/// The name of a file, for saying which one was chosen.
pub fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
