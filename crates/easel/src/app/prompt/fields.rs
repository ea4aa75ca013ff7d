//! The model, the size (or aspect ratio) and the number fields of the prompt panel.

use super::{NUMBER_WIDTH, PromptPanel};
use crate::app::actions::Action;
use easel_engine::provider::{Capabilities, Provider};
use easel_engine::request::SettingsDraft;

/// Most listed models shown at once in the model picker.
const MODELS_SHOWN: usize = 60;

impl PromptPanel {
    pub(super) fn model_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, provider: &dyn Provider, actions: &mut Vec<Action>) {
        let known = provider.known_models();
        let typed = draft.model.trim().to_owned();
        let current = known.iter().find(|m| m.id == typed).map(|m| m.label.to_owned()).unwrap_or_else(|| {
            if typed.is_empty() {
                "The server's current model".to_owned()
            } else if self.listed_models.contains(&typed) {
                typed.clone()
            } else {
                "Other model".to_owned()
            }
        });
        let label = ui.label("Model");
        let mut picked = false;
        egui::ComboBox::from_id_salt("easel-model")
            .selected_text(current)
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                for model in known {
                    picked |= ui.selectable_value(&mut draft.model, model.id.to_owned(), model.label).changed();
                }
                // A hosted service lists thousands: show those that match what is typed.
                let needle = typed.to_ascii_lowercase();
                let mut matching = self
                    .listed_models
                    .iter()
                    .filter(|id| !known.iter().any(|m| m.id == id.as_str()))
                    .filter(|id| needle.is_empty() || known.iter().any(|m| m.id == typed) || id.to_ascii_lowercase().contains(&needle));
                for id in matching.by_ref().take(MODELS_SHOWN) {
                    picked |= ui.selectable_value(&mut draft.model, id.clone(), id.as_str()).changed();
                }
                let more = matching.count();
                if more > 0 {
                    ui.weak(format!("{more} more: type part of a name in the model id box to find one."));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("The model makes the picture. Different models have different styles and prices.");
        ui.horizontal(|ui| {
            if let Some(note) = &self.models_note {
                ui.weak(note);
            }
            if ui.small_button("Refresh list").on_hover_text("Ask the server for its models again.").clicked() {
                actions.push(Action::RefreshModels);
            }
        });
        if picked {
            self.note_changed("model");
        }
        self.text_field(ui, "Model id (or type another)", &mut draft.model, "model", f32::INFINITY)
            .on_hover_text("You can type any model id the service knows.");
        self.text_field(ui, "Fallback model (optional)", &mut draft.fallback_model, "fallback_model", f32::INFINITY)
            .on_hover_text("Tried once if the model keeps failing on the service's side.");
    }

    pub(super) fn size_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        if !caps.aspect_ratios.is_empty() {
            self.aspect_ui(ui, draft, caps);
            return;
        }
        if !caps.exact_sizes {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    self.text_field(ui, "Width", &mut draft.width, "width", NUMBER_WIDTH)
                        .on_hover_text("How wide the picture is, in pixels.");
                });
                ui.vertical(|ui| {
                    self.text_field(ui, "Height", &mut draft.height, "height", NUMBER_WIDTH)
                        .on_hover_text("How tall the picture is, in pixels.");
                });
            });
            return;
        }
        let preset = caps.size_presets.iter().find(|(w, h)| draft.width.trim() == w.to_string() && draft.height.trim() == h.to_string());
        let label = ui.label("Size");
        let mut picked = false;
        egui::ComboBox::from_id_salt("easel-size")
            .selected_text(preset.map_or("Custom size".to_owned(), |(w, h)| size_text(*w, *h)))
            .show_ui(ui, |ui| {
                for (w, h) in caps.size_presets {
                    if ui.selectable_label(Some(&(*w, *h)) == preset, size_text(*w, *h)).clicked() {
                        draft.width = w.to_string();
                        draft.height = h.to_string();
                        picked = true;
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("This model makes only these sizes.");
        if picked {
            for field in ["width", "height"] {
                self.note_changed(field);
            }
        }
        self.messages(ui, "width");
        self.messages(ui, "height");
    }

    /// Models that take a shape ("16:9") instead of a width and height.
    fn aspect_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        let label = ui.label("Aspect ratio");
        let mut picked = false;
        egui::ComboBox::from_id_salt("easel-aspect")
            .selected_text(if draft.aspect_ratio.trim().is_empty() { "Choose" } else { draft.aspect_ratio.trim() })
            .show_ui(ui, |ui| {
                for ratio in caps.aspect_ratios {
                    picked |= ui.selectable_value(&mut draft.aspect_ratio, (*ratio).to_owned(), *ratio).changed();
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("The shape of the picture: 1:1 is square, 16:9 is wide, 9:16 is tall.");
        if picked {
            self.note_changed("aspect_ratio");
        }
        self.messages(ui, "aspect_ratio");
    }

    pub(super) fn numbers_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                self.text_field(ui, "Images per request", &mut draft.samples, "samples", NUMBER_WIDTH)
                    .on_hover_text("How many images one request makes (same seed family).");
            });
            ui.vertical(|ui| {
                self.text_field(ui, "Candidates", &mut draft.candidates, "candidates", NUMBER_WIDTH)
                    .on_hover_text("Separate jobs with different seeds, shown side by side so you can pick.");
            });
        });
        ui.horizontal_top(|ui| {
            if caps.steps.is_some() {
                ui.vertical(|ui| {
                    self.text_field(ui, "Steps", &mut draft.steps, "steps", NUMBER_WIDTH).on_hover_text("More steps: more detail, slower.");
                });
            }
            if caps.guidance.is_some() {
                ui.vertical(|ui| {
                    self.text_field(ui, "Guidance", &mut draft.guidance, "guidance", NUMBER_WIDTH)
                        .on_hover_text("How closely the image follows the prompt.");
                });
            }
        });
        if caps.seed {
            self.seed_ui(ui, draft);
        }
    }

    fn seed_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft) {
        let label = ui.label("Seed");
        let mut changed = false;
        let response = ui
            .horizontal(|ui| {
                let response = ui
                    .add(egui::TextEdit::singleline(&mut draft.seed).hint_text("random").desired_width(NUMBER_WIDTH * 1.5))
                    .labelled_by(label.id)
                    .on_hover_text("The same seed and settings make the same image. Leave empty for a new one each time.");
                let random =
                    ui.add_enabled(!draft.seed.is_empty(), egui::Button::new("Random")).on_hover_text("Use a new random seed each time.");
                if random.clicked() {
                    draft.seed.clear();
                    changed = true;
                }
                response
            })
            .inner;
        if changed {
            self.note_changed("seed");
        }
        self.after_edit(ui, &response, "seed");
    }
}

/// "512 × 512".
fn size_text(width: u32, height: u32) -> String {
    format!("{width} × {height}")
}
