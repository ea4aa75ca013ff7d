//! The prompt panel: what to make and how, with every problem explained under its field.
//!
//! The draft is checked by the engine ([`SettingsDraft::validate`]) whenever it changes. A
//! field's message shows once the person has edited that field, or for every field after a
//! Generate press. Messages the service sends back for a field show under it too.

use super::actions::Action;
use super::provider_picker::ProviderPicker;
use easel_engine::error::{EngineError, FieldErrors};
use easel_engine::provider::{Capabilities, Provider};
use easel_engine::request::SettingsDraft;
use easel_engine::store::ImageRecord;
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
    "aspect_ratio",
    "init_image",
    "strength",
    "mask_image",
];

/// Most listed models shown at once in the model picker.
const MODELS_SHOWN: usize = 60;

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
    /// Which service to talk to.
    picker: ProviderPicker,
    /// The models the provider listed (its list endpoint), when it has one.
    listed_models: Vec<String>,
    /// Why the list could not be read, or that it is being read.
    models_note: Option<String>,
    /// The init image the description below is for: (path, "name, 1.2 MB").
    init_info: Option<(String, String)>,
    /// The same for the mask.
    mask_info: Option<(String, String)>,
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
            picker: ProviderPicker::default(),
            listed_models: Vec::new(),
            models_note: None,
            init_info: None,
            mask_info: None,
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

    /// An image to start from was chosen (dialog or drop).
    pub fn init_image_chosen(&mut self, draft: &mut SettingsDraft, path: &std::path::Path) {
        draft.init_image = path.display().to_string();
        self.touched.insert("init_image");
        self.server_errors.remove("init_image");
    }

    /// A mask was chosen (dialog).
    pub fn mask_chosen(&mut self, draft: &mut SettingsDraft, path: &std::path::Path) {
        draft.mask_image = path.display().to_string();
        self.touched.insert("mask_image");
        self.server_errors.remove("mask_image");
    }

    /// Stop using the mask: the whole picture changes.
    fn clear_mask(&mut self, draft: &mut SettingsDraft) {
        draft.mask_image.clear();
        self.touched.insert("mask_image");
        self.server_errors.remove("mask_image");
    }

    /// Stop using the start image, and so its mask too.
    fn clear_init_image(&mut self, draft: &mut SettingsDraft) {
        draft.init_image.clear();
        draft.mask_image.clear();
        for field in ["init_image", "mask_image"] {
            self.touched.insert(field);
            self.server_errors.remove(field);
        }
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
        api_key_header: bool,
        actions: &mut Vec<Action>,
    ) {
        let caps = provider.capabilities(draft.model.trim());
        self.check(draft, &caps);
        let before = draft.clone();
        if caps.img2img
            && let Some(path) =
                ui.ctx().input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).find(|p| !p.as_os_str().is_empty()))
        {
            actions.push(Action::UseDroppedImage(path));
        }

        egui::ScrollArea::vertical().auto_shrink([false, true]).show(ui, |ui| {
            self.picker.ui(ui, provider.kind(), provider.base_url().as_str(), api_key_header, actions);
            ui.add_space(6.0);
            self.prompt_ui(ui, draft, &caps);
            ui.add_space(6.0);
            self.model_ui(ui, draft, provider, actions);
            ui.add_space(6.0);
            self.size_ui(ui, draft, &caps);
            ui.add_space(6.0);
            self.numbers_ui(ui, draft, &caps);
            if caps.img2img {
                ui.add_space(6.0);
                self.init_image_ui(ui, draft, &caps, actions);
            } else if !draft.init_image.is_empty() {
                ui.add_space(6.0);
                let response = ui.label("Start image: this model cannot use one.");
                self.after_edit(ui, &response, "init_image");
                if ui.button("Clear").on_hover_text("Stop using the start image.").clicked() {
                    self.clear_init_image(draft);
                }
            }
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
            .labelled_by(label.id)
            .on_hover_text("Say what you want to see: the subject, the style, the colours, the light.");
        if std::mem::take(&mut self.focus_prompt) {
            response.request_focus();
        }
        self.after_edit(ui, &response, "prompt");

        if caps.negative_prompt {
            ui.add_space(4.0);
            let label = ui.label("Negative prompt (what to avoid)");
            let response = ui
                .add(egui::TextEdit::multiline(&mut draft.negative_prompt).desired_rows(2).desired_width(f32::INFINITY))
                .labelled_by(label.id)
                .on_hover_text("Things you do not want in the picture, like \"blurry\" or \"text\".");
            self.after_edit(ui, &response, "negative_prompt");
        } else if let Some(note) = caps.negative_prompt_note {
            ui.weak(note);
        }
    }

    fn model_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, provider: &dyn Provider, actions: &mut Vec<Action>) {
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
            self.touched.insert("model");
            self.server_errors.remove("model");
        }
        self.text_field(ui, "Model id (or type another)", &mut draft.model, "model", f32::INFINITY)
            .on_hover_text("You can type any model id the service knows.");
        self.text_field(ui, "Fallback model (optional)", &mut draft.fallback_model, "fallback_model", f32::INFINITY)
            .on_hover_text("Tried once if the model keeps failing on the service's side.");
    }

    fn size_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
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
                self.touched.insert(field);
                self.server_errors.remove(field);
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
            self.touched.insert("aspect_ratio");
            self.server_errors.remove("aspect_ratio");
        }
        self.messages(ui, "aspect_ratio");
    }

    /// "Start from an image...": the picked file, its strength, an optional mask, and Clear.
    fn init_image_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities, actions: &mut Vec<Action>) {
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
            ui.colored_label(ui.visuals().error_fg_color, "Some settings need fixing (see the messages above). Nothing was sent.");
        }
        let elsewhere = self.server_errors.iter().filter(|(field, _)| !FIELDS.contains(&field.as_str()));
        for (field, messages) in elsewhere {
            ui.colored_label(ui.visuals().error_fg_color, format!("The service said about {field}: {}", messages.join(" ")));
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
            self.touched.insert(field);
            self.server_errors.remove(field);
        }
        self.messages(ui, field);
    }

    /// A field's messages: ours once it was edited (or after Generate), and the service's.
    fn messages(&self, ui: &mut egui::Ui, field: &str) {
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

/// Make a draft fit a provider it was not made for: its default model, and a size it makes.
pub fn fit_draft(draft: &mut SettingsDraft, provider: &dyn Provider) {
    let known = provider.known_models();
    if !known.iter().any(|m| m.id == draft.model.trim()) {
        provider.default_model().clone_into(&mut draft.model);
    }
    fit_sizes(draft, provider);
}

/// Make the size or aspect ratio one the model takes, keeping the model (a remembered draft
/// at start-up, e.g. after `easel gui --provider openai`).
pub fn fit_sizes(draft: &mut SettingsDraft, provider: &dyn Provider) {
    let caps = provider.capabilities(draft.model.trim());
    let size = (draft.width.trim().parse().unwrap_or(0), draft.height.trim().parse().unwrap_or(0));
    if caps.exact_sizes
        && !caps.size_presets.contains(&size)
        && let Some((w, h)) = caps.size_presets.first()
    {
        draft.width = w.to_string();
        draft.height = h.to_string();
    }
    if !caps.aspect_ratios.is_empty() && !caps.aspect_ratios.contains(&draft.aspect_ratio.trim()) {
        caps.aspect_ratios[0].clone_into(&mut draft.aspect_ratio);
    }
}
