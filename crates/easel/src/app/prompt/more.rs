//! "More settings": everything beyond the first screen — what to leave out, the exact size,
//! the model's own choices, pictures per request, steps, guidance, seed, another model by its
//! id, a fallback model, and how to start from a picture (once there is one, it shows on the
//! first screen).

use super::{NUMBER_WIDTH, PromptPanel};
use crate::app::actions::Action;
use crate::app::style::space;
use easel_engine::capabilities::ModelOption;
use easel_engine::provider::{Capabilities, Provider};
use easel_engine::request::SettingsDraft;

/// The draft fields shown under "More settings" (a problem in one of them unfolds it).
pub const FIELDS: &[&str] = &["negative_prompt", "width", "height", "samples", "steps", "guidance", "seed", "fallback_model"];

/// Most models of the server's list shown at once.
const MODELS_SHOWN: usize = 60;

impl PromptPanel {
    pub(super) fn more_ui(
        &mut self,
        ui: &mut egui::Ui,
        draft: &mut SettingsDraft,
        provider: &dyn Provider,
        caps: &Capabilities,
        actions: &mut Vec<Action>,
    ) {
        self.negative_ui(ui, draft, caps);
        ui.add_space(space::SECTION);
        self.size_ui(ui, draft, caps);
        for option in &caps.options {
            ui.add_space(space::SECTION);
            self.option_ui(ui, draft, option);
        }
        ui.add_space(space::SECTION);
        self.numbers_ui(ui, draft, caps);
        ui.add_space(space::SECTION);
        self.model_id_ui(ui, draft, provider, actions);
        if draft.init_images.is_empty() {
            ui.add_space(space::SECTION);
            self.start_from_ui(ui, caps, actions);
        }
    }

    fn negative_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        if !caps.negative_prompt {
            let note = caps.negative_prompt_note.unwrap_or("This model does not take a list of things to leave out.");
            ui.add(egui::Label::new(egui::RichText::new(note).weak()).wrap());
            return;
        }
        let label = ui.label("Negative prompt (what to avoid)");
        let response = ui
            .add(egui::TextEdit::multiline(&mut draft.negative_prompt).desired_rows(2).desired_width(f32::INFINITY))
            .labelled_by(label.id)
            .on_hover_text("Things you do not want in the picture, like \"blurry\" or \"text\".");
        self.after_edit(ui, &response, "negative_prompt");
    }

    /// One of the model's own choices, drawn from what the capabilities say of it.
    fn option_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, option: &ModelOption) {
        let value = draft.options.get(option.id).map_or(option.default, String::as_str).to_owned();
        let shown = option.choices.iter().find(|c| c.value == value).map_or(value.as_str(), |c| c.label).to_owned();
        let label = ui.label(option.label);
        let mut picked = None;
        egui::ComboBox::from_id_salt(("easel-option", option.id))
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for choice in option.choices {
                    if ui.selectable_label(choice.value == value, choice.label).clicked() {
                        picked = Some(choice.value);
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(option.help);
        ui.add(egui::Label::new(egui::RichText::new(option.help).weak()).wrap());
        if let Some(choice) = picked {
            draft.options.insert(option.id.to_owned(), choice.to_owned());
            self.server_errors.remove(option.id);
        }
        self.messages(ui, option.id);
    }

    /// Any model the service has, by its id, with the server's list to pick from; and the
    /// fallback model.
    fn model_id_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, provider: &dyn Provider, actions: &mut Vec<Action>) {
        self.text_field(ui, "Model id (any model the service has)", &mut draft.model, "model", f32::INFINITY)
            .on_hover_text("Type the id of a model the service offers, or pick one from its list below.");
        let known = provider.known_models();
        let needle = draft.model.trim().to_ascii_lowercase();
        let label = ui.label("The server's models");
        let mut picked = false;
        egui::ComboBox::from_id_salt("easel-listed-models")
            .selected_text(format!("{} listed", self.listed_models.len()))
            .width(ui.available_width())
            .show_ui(ui, |ui| {
                // A hosted service lists thousands: those that match what is typed first.
                let typed_is_known = known.iter().any(|m| m.id == needle);
                let mut matching =
                    self.listed_models.iter().filter(|id| typed_is_known || needle.is_empty() || id.to_ascii_lowercase().contains(&needle));
                for id in matching.by_ref().take(MODELS_SHOWN) {
                    picked |= ui.selectable_value(&mut draft.model, id.clone(), id.as_str()).changed();
                }
                let more = matching.count();
                if more > 0 {
                    ui.weak(format!("{more} more: type part of a name in the model id box to find one."));
                }
            })
            .response
            .labelled_by(label.id);
        if picked {
            self.note_changed("model");
        }
        if let Some(note) = &self.models_note {
            ui.add(egui::Label::new(egui::RichText::new(note.as_str()).weak()).wrap());
        }
        if ui.button("Read the list again").on_hover_text("Ask the server for its models again.").clicked() {
            actions.push(Action::RefreshModels);
        }
        ui.add_space(space::FIELD);
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
            .on_hover_text("The exact shape: 1:1 is square, 16:9 is wide, 9:16 is tall.");
        if picked {
            self.note_changed("aspect_ratio");
        }
    }

    fn numbers_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        self.text_field(ui, "Pictures per request", &mut draft.samples, "samples", NUMBER_WIDTH)
            .on_hover_text("How many pictures one request makes, from one seed. \"How many pictures\" above runs separate requests.");
        ui.horizontal_top(|ui| {
            if caps.steps.is_some() {
                ui.vertical(|ui| {
                    self.text_field(ui, "Steps", &mut draft.steps, "steps", NUMBER_WIDTH).on_hover_text("More steps: more detail, slower.");
                });
            }
            if caps.guidance.is_some() {
                ui.vertical(|ui| {
                    self.text_field(ui, "Guidance", &mut draft.guidance, "guidance", NUMBER_WIDTH)
                        .on_hover_text("How closely the picture follows the prompt.");
                });
            }
        });
        super::notes::steps_note_ui(ui, caps);
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
                    .on_hover_text("The same seed and settings make the same picture. Leave empty for a new one each time.");
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
