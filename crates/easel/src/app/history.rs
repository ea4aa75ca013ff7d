//! Prompt history and named presets: recent prompts with all their settings (one click puts
//! them back in the prompt panel), and settings saved under a name.
//!
//! The window only draws and asks: reads and writes go through the command layer off the UI
//! thread ([`Action::ReadHistory`], [`Action::SavePreset`], …) and come back as a
//! [`HistoryMessage`].

use super::actions::Action;
use super::style;
use super::words::one_line_cut;
use easel_engine::request::{GenerationSettings, SettingsDraft};

/// How many recent prompts are offered.
pub const RECENT: usize = 50;
/// Longest prompt excerpt in a history row.
const PROMPT_CHARS: usize = 70;

/// Recent prompts, and presets by name.
pub type Listing = (Vec<GenerationSettings>, Vec<(String, SettingsDraft)>);

/// A background read or write for the history window (errors are plain sentences).
pub enum HistoryMessage {
    Loaded(Result<Listing, String>),
    /// A preset was saved or deleted: the list is read again.
    Changed(Result<(), String>),
}

/// The "History and presets" window.
#[derive(Default)]
pub struct History {
    pub open: bool,
    /// Opened last frame too (a newly opened window reads the library again).
    was_open: bool,
    recent: Vec<GenerationSettings>,
    presets: Vec<(String, SettingsDraft)>,
    loading: bool,
    error: Option<String>,
    /// The name typed for "Save current settings".
    name: String,
}

impl History {
    fn reload(&mut self, actions: &mut Vec<Action>) {
        self.loading = true;
        actions.push(Action::ReadHistory);
    }

    /// Take in a read or write; a change reads the lists again.
    pub fn on_message(&mut self, message: HistoryMessage, actions: &mut Vec<Action>) {
        match message {
            HistoryMessage::Loaded(Ok((recent, presets))) => {
                self.loading = false;
                self.error = None;
                self.recent = recent;
                self.presets = presets;
            }
            HistoryMessage::Loaded(Err(why)) => {
                self.loading = false;
                self.error = Some(format!("The history could not be read ({why})."));
            }
            HistoryMessage::Changed(Ok(())) => self.reload(actions),
            HistoryMessage::Changed(Err(why)) => self.error = Some(format!("The preset could not be saved ({why}).")),
        }
    }

    /// Draw the window when it is open. Picking an entry fills `draft`; returns a sentence
    /// to show when something was put in the prompt panel.
    pub fn ui(&mut self, ctx: &egui::Context, draft: &mut SettingsDraft, actions: &mut Vec<Action>) -> Option<String> {
        if self.open && !self.was_open {
            self.reload(actions);
        }
        self.was_open = self.open;
        let mut said = None;
        let mut open = self.open;
        egui::Window::new("History and presets")
            .open(&mut open)
            .default_width(420.0)
            .default_height(460.0)
            .show(ctx, |ui| said = self.contents_ui(ui, draft, actions));
        self.open = open && said.is_none();
        said
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, actions: &mut Vec<Action>) -> Option<String> {
        let mut said = None;
        if let Some(why) = &self.error {
            style::error_label(ui, why);
        }
        ui.strong("Presets");
        ui.horizontal(|ui| {
            let label = ui.label("Preset name");
            ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(160.0)).labelled_by(label.id);
            let name = self.name.trim().to_owned();
            let save =
                ui.add_enabled(!name.is_empty(), egui::Button::new("Save current settings")).on_disabled_hover_text("Type a name first.");
            if save.clicked() {
                actions.push(Action::SavePreset { name, draft: Box::new(draft.clone()) });
                self.name.clear();
            }
        });
        if self.presets.is_empty() {
            ui.weak("No presets yet. Type a name and save the settings in the prompt panel.");
        }
        let mut delete = None;
        for (name, preset) in &self.presets {
            ui.horizontal(|ui| {
                if ui.button(format!("Apply {name}")).on_hover_text(&preset.prompt).clicked() {
                    *draft = SettingsDraft { init_images: draft.init_images.clone(), ..preset.clone() };
                    said = Some(format!("The prompt panel now holds the preset \"{name}\"."));
                }
                if ui.button(format!("Delete {name}")).clicked() {
                    delete = Some(name.clone());
                }
            });
        }
        if let Some(name) = delete {
            actions.push(Action::DeletePreset(name));
        }
        ui.separator();
        ui.strong("Recent prompts");
        if self.loading && self.recent.is_empty() {
            ui.spinner();
        } else if self.recent.is_empty() {
            ui.weak("Prompts you generate will be listed here.");
        }
        egui::ScrollArea::vertical().id_salt("easel-history").auto_shrink([false, true]).show(ui, |ui| {
            for settings in &self.recent {
                let text = format!(
                    "{}  ({}, {}x{})",
                    one_line_cut(&settings.prompt, PROMPT_CHARS),
                    settings.model,
                    settings.width,
                    settings.height
                );
                let row = ui.add(egui::Button::new(text).wrap()).on_hover_text("Put this prompt and all its settings in the prompt panel.");
                if row.clicked() {
                    draft.fill_from_settings(settings);
                    said = Some("The prompt panel now holds these settings.".to_owned());
                }
            }
        });
        said
    }
}
