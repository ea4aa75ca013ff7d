//! The prompt panel: what to make and how, with every problem explained under its field.
//!
//! The draft is checked by the engine ([`SettingsDraft::validate`]) whenever it changes. A
//! field's message shows once the person has edited that field, or for every field after a
//! Generate press. Messages the service sends back for a field show under it too.

use super::actions::Action;
use crate::engine::error::FieldErrors;
use crate::engine::provider::{Capabilities, Provider};
use crate::engine::request::SettingsDraft;
use crate::engine::store::ImageRecord;
use std::collections::BTreeSet;

/// Width of the short number fields.
const NUMBER_WIDTH: f32 = 96.0;

/// The draft fields the panel shows, by the names validation messages use.
const FIELDS: &[&str] = &[
    "prompt",
    "negative_prompt",
    "model",
    "fallback_model",
    "width",
    "height",
    "samples",
    "candidates",
    "steps",
    "guidance",
    "seed",
];

/// The panel's state besides the draft itself (which lives in the remembered `AppState`).
pub struct PromptPanel {
    /// The draft the messages below were computed for.
    checked: Option<SettingsDraft>,
    /// Our own check's messages, by field.
    local_errors: FieldErrors,
    /// The service's messages from the last failed job, by field.
    server_errors: FieldErrors,
    /// Fields the person has edited: their messages show right away.
    touched: BTreeSet<&'static str>,
    /// Show every field's message (after a Generate press).
    show_all: bool,
    /// Give the prompt box keyboard focus on the next frame.
    focus_prompt: bool,
}

impl Default for PromptPanel {
    fn default() -> Self {
        Self {
            checked: None,
            local_errors: FieldErrors::new(),
            server_errors: FieldErrors::new(),
            touched: BTreeSet::new(),
            show_all: false,
            focus_prompt: true,
        }
    }
}

impl PromptPanel {
    /// Generate was pressed with an invalid draft: explain every field.
    pub fn show_all_problems(&mut self) {
        self.show_all = true;
    }

    /// A fresh submission: earlier messages from the service no longer apply.
    pub fn submitted(&mut self) {
        self.server_errors.clear();
        self.show_all = false;
    }

    /// The service refused some fields.
    pub fn server_said(&mut self, fields: &FieldErrors) {
        self.server_errors.clone_from(fields);
    }

    /// Fill the draft with an image's settings ("Use these settings again").
    pub fn reuse(&mut self, draft: &mut SettingsDraft, record: &ImageRecord) {
        draft.prompt.clone_from(&record.prompt);
        if let Some(negative) = &record.negative_prompt {
            draft.negative_prompt.clone_from(negative);
        }
        draft.model.clone_from(&record.model);
        draft.width = record.width.to_string();
        draft.height = record.height.to_string();
        if record.steps > 0 {
            draft.steps = record.steps.to_string();
        }
        if record.guidance > 0.0 {
            draft.guidance = record.guidance.to_string();
        }
        draft.seed = record.seed.map(|s| s.to_string()).unwrap_or_default();
        self.server_errors.clear();
        self.focus_prompt = true;
    }

    /// Draw the panel. Pushes [`Action::Generate`] when the button is pressed.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        draft: &mut SettingsDraft,
        provider: &dyn Provider,
        actions: &mut Vec<Action>,
    ) {
        let caps = provider.capabilities(draft.model.trim());
        self.check(draft, &caps);
        let before = draft.clone();

        egui::ScrollArea::vertical().auto_shrink([false, true]).show(ui, |ui| {
            self.prompt_ui(ui, draft, &caps);
            ui.add_space(6.0);
            self.model_ui(ui, draft, provider);
            ui.add_space(6.0);
            self.size_ui(ui, draft, &caps);
            ui.add_space(6.0);
            self.numbers_ui(ui, draft, &caps);
            ui.add_space(10.0);
            self.generate_ui(ui, actions);
        });

        if *draft != before {
            ui.ctx().request_repaint();
        }
    }

    /// Re-check the draft when it changed (cheap: no I/O).
    fn check(&mut self, draft: &SettingsDraft, caps: &Capabilities) {
        if self.checked.as_ref() == Some(draft) {
            return;
        }
        self.local_errors = draft.validate(caps).err().map(|e| e.fields).unwrap_or_default();
        self.checked = Some(draft.clone());
    }

    fn prompt_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        let label = ui.strong("Prompt");
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut draft.prompt)
                    .hint_text("Describe the image you want")
                    .desired_rows(4)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if std::mem::take(&mut self.focus_prompt) {
            response.request_focus();
        }
        self.after_edit(ui, &response, "prompt");

        if caps.negative_prompt {
            ui.add_space(4.0);
            let label = ui.label("Negative prompt (what to avoid)");
            let response = ui
                .add(egui::TextEdit::multiline(&mut draft.negative_prompt).desired_rows(2).desired_width(f32::INFINITY))
                .labelled_by(label.id);
            self.after_edit(ui, &response, "negative_prompt");
        } else if let Some(note) = caps.negative_prompt_note {
            ui.weak(note);
        }
    }

    fn model_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, provider: &dyn Provider) {
        let known = provider.known_models();
        let current = known.iter().find(|m| m.id == draft.model.trim()).map_or("Other model", |m| m.label);
        let label = ui.label("Model");
        let mut picked = false;
        egui::ComboBox::from_id_salt("easel-model")
            .selected_text(current)
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                for model in known {
                    picked |= ui.selectable_value(&mut draft.model, model.id.to_owned(), model.label).changed();
                }
            })
            .response
            .labelled_by(label.id);
        if picked {
            self.touched.insert("model");
            self.server_errors.remove("model");
        }
        self.text_field(ui, "Model id (or type another)", &mut draft.model, "model", f32::INFINITY);
        self.text_field(ui, "Fallback model (optional)", &mut draft.fallback_model, "fallback_model", f32::INFINITY)
            .on_hover_text("Tried once if the model keeps failing on the service's side.");
    }

    fn size_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        let preset = caps
            .size_presets
            .iter()
            .find(|(w, h)| draft.width.trim() == w.to_string() && draft.height.trim() == h.to_string());
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
            .labelled_by(label.id);
        if picked {
            for field in ["width", "height"] {
                self.touched.insert(field);
                self.server_errors.remove(field);
            }
        }
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| self.text_field(ui, "Width", &mut draft.width, "width", NUMBER_WIDTH));
            ui.vertical(|ui| self.text_field(ui, "Height", &mut draft.height, "height", NUMBER_WIDTH));
        });
    }

    fn numbers_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
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
                    self.text_field(ui, "Steps", &mut draft.steps, "steps", NUMBER_WIDTH)
                        .on_hover_text("More steps: more detail, slower.");
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
                    .add(
                        egui::TextEdit::singleline(&mut draft.seed)
                            .hint_text("random")
                            .desired_width(NUMBER_WIDTH * 1.5),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(
                        "The same seed and settings make the same image. Leave empty for a new one each time.",
                    );
                let random = ui
                    .add_enabled(!draft.seed.is_empty(), egui::Button::new("Random"))
                    .on_hover_text("Use a new random seed each time.");
                if random.clicked() {
                    draft.seed.clear();
                    changed = true;
                }
                response
            })
            .inner;
        if changed {
            self.touched.insert("seed");
            self.server_errors.remove("seed");
        }
        self.after_edit(ui, &response, "seed");
    }

    fn generate_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let button = egui::Button::new(egui::RichText::new("Generate").strong().size(16.0));
        let response = ui.add_sized([ui.available_width(), 34.0], button).on_hover_text("Ctrl+Enter");
        if response.clicked() {
            actions.push(Action::Generate);
        }
        if self.show_all && !self.local_errors.is_empty() {
            ui.colored_label(
                ui.visuals().error_fg_color,
                "Some settings need fixing (see the messages above). Nothing was sent.",
            );
        }
        let elsewhere = self.server_errors.iter().filter(|(field, _)| !FIELDS.contains(&field.as_str()));
        for (field, messages) in elsewhere {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("The service said about {field}: {}", messages.join(" ")),
            );
        }
    }

    /// A labelled one-line field with its messages underneath. Returns the field's response.
    fn text_field(
        &mut self,
        ui: &mut egui::Ui,
        label: &str,
        text: &mut String,
        field: &'static str,
        width: f32,
    ) -> egui::Response {
        let label = ui.label(label);
        let response = ui.add(egui::TextEdit::singleline(text).desired_width(width)).labelled_by(label.id);
        self.after_edit(ui, &response, field);
        response
    }

    /// Note an edit and show the field's messages.
    fn after_edit(&mut self, ui: &mut egui::Ui, response: &egui::Response, field: &'static str) {
        if response.changed() {
            self.touched.insert(field);
            self.server_errors.remove(field);
        }
        let colour = ui.visuals().error_fg_color;
        if self.show_all || self.touched.contains(field) {
            for message in self.local_errors.get(field).into_iter().flatten() {
                ui.colored_label(colour, message);
            }
        }
        for message in self.server_errors.get(field).into_iter().flatten() {
            ui.colored_label(colour, format!("The service said: {message}"));
        }
    }
}

/// "512 × 512".
fn size_text(width: u32, height: u32) -> String {
    format!("{width} × {height}")
}
