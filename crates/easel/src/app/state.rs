//! What the window remembers between runs, through eframe persistence (a plain RON file).
//! The API key is never part of it: it lives in the keyring or in memory only.

use easel_engine::request::SettingsDraft;
use serde::{Deserialize, Serialize};

/// The remembered state. Every field has a default, so older files still load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    /// The settings as last typed.
    pub draft: SettingsDraft,
    /// The provider the draft was made for.
    pub provider: String,
    /// Another server instead of the usual one, until the person turns it off.
    pub base_url: Option<String>,
    /// Write the generation settings into saved PNGs (`parameters` text chunk).
    pub embed_parameters: bool,
    /// The diagnostics pane is open.
    pub show_diagnostics: bool,
    /// The diagnostics pane shows failed exchanges only.
    pub errors_only: bool,
    /// OpenAI-compatible: send the key in an `api-key` header (Azure) instead of Bearer.
    pub openai_api_key_header: bool,
    /// "More settings" in the prompt panel is unfolded.
    pub more_settings_open: bool,
    /// Minutes allowed for each try, for every model ("Allow more time"); `None`: each
    /// model's usual time.
    pub timeout_minutes: Option<u32>,
    /// Use Easel's own file chooser even where the desktop has a file-chooser portal.
    pub own_file_chooser: bool,
    /// The folder Easel's own file chooser showed last.
    pub last_folder: Option<std::path::PathBuf>,
    /// Tell the person with a desktop notification when a job ends while Easel is in the background.
    pub notify_when_done: bool,
    /// ... with the desktop's sound.
    pub notify_sound: bool,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            draft: SettingsDraft::default(),
            provider: String::new(),
            base_url: None,
            embed_parameters: true,
            show_diagnostics: false,
            errors_only: false,
            openai_api_key_header: false,
            more_settings_open: false,
            timeout_minutes: None,
            own_file_chooser: false,
            last_folder: None,
            notify_when_done: true,
            notify_sound: false,
        }
    }
}

impl AppState {
    /// The remembered state, or the defaults on first run (or without storage, as in tests).
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        storage.and_then(|s| eframe::get_value(s, eframe::APP_KEY)).unwrap_or_default()
    }

    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, self);
    }

    /// Settle the provider and server for this run: the command line wins over what was
    /// remembered, and a draft made for another provider starts from that provider's defaults.
    /// Returns true when the provider is not the remembered one (the draft then needs fitting
    /// to it: its model and sizes may be another provider's).
    pub fn adopt(&mut self, provider: &str, base_url: Option<&str>) -> bool {
        let changed = self.provider != provider;
        if changed {
            if !self.provider.is_empty() {
                self.draft = SettingsDraft { prompt: self.draft.prompt.clone(), ..SettingsDraft::default() };
            }
            self.provider = provider.to_owned();
        }
        if let Some(url) = base_url {
            self.base_url = Some(url.to_owned());
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_files_load_with_defaults_and_the_command_line_wins() {
        let mut state: AppState = ron_like_default();
        assert!(state.embed_parameters, "on by default");
        state.base_url = Some("http://127.0.0.1:1".into());
        state.adopt("modelslab", None);
        assert_eq!(state.base_url.as_deref(), Some("http://127.0.0.1:1"), "remembered");
        state.adopt("modelslab", Some("http://127.0.0.1:2"));
        assert_eq!(state.base_url.as_deref(), Some("http://127.0.0.1:2"), "command line wins");
    }

    /// What an empty remembered object deserialises to.
    fn ron_like_default() -> AppState {
        serde_json::from_str("{}").expect("an empty object is a valid state")
    }
}
