//! Prompt history and named presets: recent prompts with all their settings (one click puts
//! them back in the prompt panel), and settings saved under a name.
//!
//! Reads and writes go through the library off the UI thread and come back as a
//! [`HistoryMessage`].

use super::background::{Background, Message};
use easel_engine::request::{GenerationSettings, Seed, SettingsDraft};
use easel_engine::store::Store;

/// How many recent prompts are offered.
const RECENT: usize = 50;
/// Longest prompt excerpt in a history row.
const PROMPT_CHARS: usize = 70;

/// Recent prompts, and presets by name.
type Listing = (Vec<GenerationSettings>, Vec<(String, SettingsDraft)>);

/// A background read or write for the history window.
pub enum HistoryMessage {
    Loaded(Result<Listing, String>),
    /// A preset was saved or deleted: the list is read again.
    Changed(Result<(), String>),
}

/// The "History and presets" window.
pub struct History {
    store: Store,
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
    pub fn new(store: Store) -> Self {
        Self {
            store,
            open: false,
            was_open: false,
            recent: Vec::new(),
            presets: Vec::new(),
            loading: false,
            error: None,
            name: String::new(),
        }
    }

    fn reload(&mut self, bg: &Background) {
        self.loading = true;
        let store = self.store.clone();
        bg.blocking(move || {
            let read = store.prompt_history(RECENT).and_then(|recent| Ok((recent, store.presets()?)));
            Message::History(HistoryMessage::Loaded(read.map_err(|e| e.to_string())))
        });
    }

    pub fn on_message(&mut self, message: HistoryMessage, bg: &Background) {
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
            HistoryMessage::Changed(Ok(())) => self.reload(bg),
            HistoryMessage::Changed(Err(why)) => self.error = Some(format!("The preset could not be saved ({why}).")),
        }
    }

    fn change(&self, bg: &Background, change: impl FnOnce(&Store) -> Result<(), easel_engine::store::StoreError> + Send + 'static) {
        let store = self.store.clone();
        bg.blocking(move || Message::History(HistoryMessage::Changed(change(&store).map_err(|e| e.to_string()))));
    }

    /// Draw the window when it is open. Picking an entry fills `draft`; returns a sentence
    /// to show when something was put in the prompt panel.
    pub fn ui(&mut self, ctx: &egui::Context, draft: &mut SettingsDraft, bg: &Background) -> Option<String> {
        if self.open && !self.was_open {
            self.reload(bg);
        }
        self.was_open = self.open;
        let mut said = None;
        let mut open = self.open;
        egui::Window::new("History and presets")
            .open(&mut open)
            .default_width(420.0)
            .default_height(460.0)
            .show(ctx, |ui| said = self.contents_ui(ui, draft, bg));
        self.open = open && said.is_none();
        said
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, bg: &Background) -> Option<String> {
        let mut said = None;
        if let Some(why) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        ui.strong("Presets");
        ui.horizontal(|ui| {
            let label = ui.label("Preset name");
            ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(160.0)).labelled_by(label.id);
            let name = self.name.trim().to_owned();
            let save =
                ui.add_enabled(!name.is_empty(), egui::Button::new("Save current settings")).on_disabled_hover_text("Type a name first.");
            if save.clicked() {
                let saved = draft.clone();
                self.change(bg, move |store| store.save_preset(&name, &saved));
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
                    *draft = SettingsDraft { init_image: draft.init_image.clone(), ..preset.clone() };
                    said = Some(format!("The prompt panel now holds the preset \"{name}\"."));
                }
                if ui.button(format!("Delete {name}")).clicked() {
                    delete = Some(name.clone());
                }
            });
        }
        if let Some(name) = delete {
            self.change(bg, move |store| store.delete_preset(&name));
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
                let text = format!("{}  ({}, {}x{})", short(&settings.prompt), settings.model, settings.width, settings.height);
                let row = ui.add(egui::Button::new(text).wrap()).on_hover_text("Put this prompt and all its settings in the prompt panel.");
                if row.clicked() {
                    fill_draft(draft, settings);
                    said = Some("The prompt panel now holds these settings.".to_owned());
                }
            }
        });
        said
    }
}

/// Put a job's settings into the prompt panel's draft.
pub fn fill_draft(draft: &mut SettingsDraft, s: &GenerationSettings) {
    draft.prompt.clone_from(&s.prompt);
    draft.negative_prompt = s.negative_prompt.clone().unwrap_or_default();
    draft.model.clone_from(&s.model);
    draft.fallback_model = s.fallback_model.clone().unwrap_or_default();
    draft.width = s.width.to_string();
    draft.height = s.height.to_string();
    draft.samples = s.samples.max(1).to_string();
    if s.steps > 0 {
        draft.steps = s.steps.to_string();
    }
    if s.guidance > 0.0 {
        draft.guidance = s.guidance.to_string();
    }
    draft.seed = match s.seed {
        Seed::Fixed(seed) if s.seed_from_person => seed.to_string(),
        _ => String::new(),
    };
    if let Some(ratio) = &s.aspect_ratio {
        draft.aspect_ratio.clone_from(ratio);
    }
    draft.init_image = s.init_image.as_ref().map(|i| i.path.display().to_string()).unwrap_or_default();
    draft.mask_image = s.mask_image.as_ref().map(|m| m.path.display().to_string()).unwrap_or_default();
    if s.init_image.is_some() {
        draft.strength = s.strength.to_string();
    }
}

/// The start of a prompt, on one line.
fn short(prompt: &str) -> String {
    let line = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(PROMPT_CHARS) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_entry_fills_every_setting_and_a_random_seed_stays_random() {
        let draft_in = SettingsDraft { prompt: "a boat".into(), seed: "42".into(), steps: "25".into(), ..SettingsDraft::default() };
        use easel_engine::provider::Provider as _;
        let caps = easel_engine::provider::modelslab::ModelsLab::new(None).capabilities("flux");
        let settings = draft_in.validate(&caps).unwrap().candidates.remove(0);
        let mut draft = SettingsDraft::default();
        fill_draft(&mut draft, &settings);
        assert_eq!((draft.prompt.as_str(), draft.seed.as_str(), draft.steps.as_str()), ("a boat", "42", "25"));
        let random = GenerationSettings { seed: Seed::Fixed(7), seed_from_person: false, ..settings };
        fill_draft(&mut draft, &random);
        assert_eq!(draft.seed, "", "a seed the person did not choose is not pinned");
    }
}
