//! The prompt panel: what to make and how, with every problem explained under its field.
//!
//! The draft is checked by the engine ([`SettingsDraft::validate`]) whenever it changes. A
//! field's message shows once the person has edited that field, or for every field after a
//! Generate press. Messages the service sends back for a field show under it too.
//!
//! - this file: the panel's state, its layout, and the messages under each field;
//! - `fields`: the model, size or aspect ratio, and the number fields;
//! - `start_image`: the image to start from, its strength and mask;
//! - [`fit`]: fitting a draft to a provider it was not made for.

mod fields;
mod fit;
mod more;
mod notes;
mod start_image;

pub use fit::{fit_draft, fit_sizes};
pub use start_image::file_name;

use super::actions::Action;
use super::style::{self, space};
use crate::app::textures::FileThumbs;
use easel_engine::error::{EngineError, FieldErrors};
use easel_engine::provider::{Capabilities, Provider};
use easel_engine::request::ImageFacts;
use easel_engine::request::{GenerationSettings, SettingsDraft};
use start_image::FileFacts;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

/// Width of the short number fields.
const NUMBER_WIDTH: f32 = 96.0;

/// What background work reports to the prompt panel.
pub enum PromptMessage {
    /// The provider's model list (empty when it has none).
    Models(Result<Vec<String>, EngineError>),
    /// The file dialog for the start image (`mask: false`) or the mask closed.
    Picked { path: Option<PathBuf>, mask: bool },
    /// Pictures picked, dropped or pasted were read and checked off the UI thread (kept with
    /// the library; the check is remembered, so validating the draft on every edit stays
    /// cheap): use them now. What could not be used is said.
    Checked { paths: Vec<PathBuf>, mask: bool, problems: Vec<String> },
    /// The settings an image was made with: for "Use these settings again", or for a
    /// variation of the picture at `vary`.
    Reuse { settings: Box<GenerationSettings>, vary: Option<PathBuf> },
    /// What a chosen file is (its size, how it will be sent), or why it cannot be used.
    Inspected { path: String, result: Result<ImageFacts, String> },
}

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
    "aspect_ratio",
    "init_image",
    "strength",
    "mask_image",
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
    /// Unfold "More settings" on the next frame: a problem is in a field there.
    open_more: bool,
    /// The ids of the model's own choices (fields under "More settings" too).
    option_fields: Vec<&'static str>,
    /// The models the provider listed (its list endpoint), when it has one.
    listed_models: Vec<String>,
    /// Why the list could not be read, or that it is being read.
    models_note: Option<String>,
    /// What is known of the chosen files (start images), by path.
    files: HashMap<String, FileFacts>,
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
            open_more: false,
            option_fields: Vec::new(),
            listed_models: Vec::new(),
            models_note: None,
            files: HashMap::new(),
        }
    }
}

impl PromptPanel {
    /// Generate was pressed with an invalid draft: explain every field, and unfold "More
    /// settings" when a problem is in one of its fields.
    pub fn show_all_problems(&mut self) {
        self.show_all = true;
        self.open_more |= self.local_errors.keys().any(|field| self.in_more(field));
    }

    /// A fresh submission: earlier messages from the service no longer apply.
    pub fn submitted(&mut self) {
        self.server_errors.clear();
        self.show_all = false;
    }

    /// The service refused some fields (those in "More settings" unfold it).
    pub fn server_said(&mut self, fields: &FieldErrors) {
        self.server_errors.clone_from(fields);
        self.open_more |= fields.keys().any(|field| self.in_more(field));
    }

    /// Whether a field is drawn under "More settings".
    fn in_more(&self, field: &str) -> bool {
        more::FIELDS.contains(&field) || self.option_fields.contains(&field)
    }

    /// The model list is being read.
    pub fn models_loading(&mut self) {
        self.models_note = Some("Reading the server's model list...".to_owned());
    }

    /// The provider's model list arrived (or could not be read).
    pub fn models_listed(&mut self, result: Result<Vec<String>, EngineError>) {
        match result {
            Ok(models) => {
                self.models_note = match models.len() {
                    0 => None,
                    1 => Some("Found 1 model on the server.".to_owned()),
                    n => Some(format!("Found {n} models on the server.")),
                };
                self.listed_models = models;
            }
            Err(e) => self.models_note = Some(format!("The model list could not be read: {}", e.message)),
        }
    }

    /// Give the prompt box the keys on the next frame (the person types the change next).
    pub fn focus_prompt(&mut self) {
        self.focus_prompt = true;
    }

    /// Fill the draft with the settings an image was made with ("Use these settings again").
    pub fn reuse(&mut self, draft: &mut SettingsDraft, settings: &GenerationSettings) {
        draft.fill_from_settings(settings);
        self.server_errors.clear();
        self.focus_prompt = true;
    }

    /// Draw the panel: the form scrolls, Generate stays at the bottom in view at any window
    /// size. `more_open` is whether "More settings" is unfolded (remembered between runs).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        draft: &mut SettingsDraft,
        provider: &dyn Provider,
        more_open: &mut bool,
        files: &mut FileThumbs,
        actions: &mut Vec<Action>,
    ) {
        let caps = provider.capabilities(draft.model.trim());
        self.check(draft, &caps);
        self.option_fields = caps.options.iter().map(|o| o.id).collect();
        let before = draft.clone();
        if self.open_more {
            *more_open = true;
            self.open_more = false;
        }

        egui::Panel::bottom("easel-generate").show_separator_line(true).show(ui, |ui| {
            ui.add_space(space::FIELD);
            self.generate_ui(ui, actions);
        });
        egui::ScrollArea::vertical().id_salt("easel-prompt-form").auto_shrink([false, true]).show(ui, |ui| {
            self.prompt_ui(ui, draft);
            ui.add_space(space::SECTION);
            self.shape_ui(ui, draft, &caps);
            ui.add_space(space::SECTION);
            self.model_ui(ui, draft, provider);
            notes::model_notes_ui(ui, &caps);
            ui.add_space(space::SECTION);
            self.count_ui(ui, draft);
            if !draft.init_images.is_empty() {
                self.start_images_ui(ui, draft, &caps, files, actions);
            }
            ui.add_space(space::SECTION);
            let header =
                egui::CollapsingHeader::new("More settings").id_salt("easel-more-settings").open(Some(*more_open)).show(ui, |ui| {
                    self.more_ui(ui, draft, provider, &caps, actions);
                });
            if header.header_response.clicked() {
                *more_open = !*more_open;
            }
        });

        if *draft != before {
            if draft.model != before.model {
                // Another model (picked or typed): a size or shape it makes.
                fit_sizes(draft, provider);
            }
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

    fn prompt_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft) {
        let label = ui.strong("Prompt");
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut draft.prompt)
                    .hint_text("Describe the picture you want, for example: a red fox in the snow, soft morning light")
                    .desired_rows(4)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text("Say what you want to see: the subject, the style, the colours, the light.");
        if std::mem::take(&mut self.focus_prompt) {
            response.request_focus();
        }
        self.after_edit(ui, &response, "prompt");
    }

    fn generate_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let button = egui::Button::new(style::main_button_text("Generate"));
        let response = ui.add_sized([ui.available_width(), 34.0], button).on_hover_text("Ctrl+Enter");
        if response.clicked() {
            actions.push(Action::Generate);
        }
        if self.show_all && !self.local_errors.is_empty() {
            style::error_label(ui, "Some settings need fixing (see the messages above). Nothing was sent.");
        }
        let elsewhere = self
            .server_errors
            .iter()
            .filter(|(field, _)| !FIELDS.contains(&field.as_str()) && !self.option_fields.contains(&field.as_str()));
        for (field, messages) in elsewhere {
            style::error_label(ui, format!("The service said about {field}: {}", messages.join(" ")));
        }
    }

    /// A labelled one-line field with its messages underneath. Returns the field's response.
    fn text_field(&mut self, ui: &mut egui::Ui, label: &str, text: &mut String, field: &'static str, width: f32) -> egui::Response {
        let label = ui.label(label);
        let response = ui.add(egui::TextEdit::singleline(text).desired_width(width)).labelled_by(label.id);
        self.after_edit(ui, &response, field);
        response
    }

    /// Note an edit and show the field's messages.
    fn after_edit(&mut self, ui: &mut egui::Ui, response: &egui::Response, field: &'static str) {
        if response.changed() {
            self.note_changed(field);
        }
        self.messages(ui, field);
    }

    /// A field's messages: ours once it was edited (or after Generate), and the service's.
    fn messages(&self, ui: &mut egui::Ui, field: &str) {
        if self.show_all || self.touched.contains(field) {
            for message in self.local_errors.get(field).into_iter().flatten() {
                style::error_label(ui, message);
            }
        }
        for message in self.server_errors.get(field).into_iter().flatten() {
            style::error_label(ui, format!("The service said: {message}"));
        }
    }

    /// Note that a field changed (typed, picked or cleared): its messages show from now on,
    /// and what the service said about its old value no longer applies.
    fn note_changed(&mut self, field: &'static str) {
        self.touched.insert(field);
        self.server_errors.remove(field);
    }
}
