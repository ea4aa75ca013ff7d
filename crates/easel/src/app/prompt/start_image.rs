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
        draft.init_image.clear();
        draft.mask_image.clear();
        for field in ["init_image", "mask_image"] {
            self.note_changed(field);
        }
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
            if !draft.init_image.is_empty() && ui.button("Clear").on_hover_text("Stop using the start image.").clicked() {
                self.clear_init_image(draft);
            }
        });
        if draft.init_image.is_empty() {
            self.init_info = None;
            self.mask_info = None;
            self.messages(ui, "init_image");
            return;
        }
        if self.init_info.as_ref().is_none_or(|(path, _)| *path != draft.init_image) {
            self.init_info = Some((draft.init_image.clone(), describe_file(&draft.init_image)));
        }
        if let Some((_, text)) = &self.init_info {
            ui.label(format!("Start image: {text}"));
        }
        self.messages(ui, "init_image");
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
            if self.mask_info.as_ref().is_none_or(|(path, _)| *path != draft.mask_image) {
                self.mask_info = Some((draft.mask_image.clone(), describe_file(&draft.mask_image)));
            }
            if let Some((_, text)) = &self.mask_info {
                ui.label(format!("Mask: {text}"));
            }
        }
        self.messages(ui, "mask_image");
    }
}

/// "photo.png, 1.2 MB" (a file's name and size; one small metadata read, only when it changes).
fn describe_file(path: &str) -> String {
    let path = std::path::Path::new(path);
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() >= 1_000_000 => format!("{name}, {:.1} MB", meta.len() as f64 / 1e6),
        Ok(meta) => format!("{name}, {} KB", meta.len().div_ceil(1000)),
        Err(_) => format!("{name} (cannot be read)"),
    }
}
