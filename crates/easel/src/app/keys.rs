//! The API key: where the one in use came from, and the panel to paste, test, save or forget it.
//!
//! The window never claims a key was saved unless the key store said so, and never writes
//! `EASEL_API_KEY` to the keyring.

use super::actions::Action;
use super::background::{Background, Message};
use easel_engine::Engine;
use easel_engine::error::EngineError;
use easel_engine::keys::{ApiKey, KeySource, SecretStore, StoreError};
use easel_engine::provider::{Balance, ProviderKind};
use std::sync::Arc;

/// The key in use and what is known about it.
/// Why the keychain buttons are off while the built-in sandbox is in use.
const SANDBOX_KEYCHAIN: &str = "The built-in sandbox needs no key, so Easel leaves your saved key in the keychain alone while you try it.";

pub struct Keys {
    provider: ProviderKind,
    secrets: Arc<dyn SecretStore>,
    active: Option<(ApiKey, KeySource)>,
    balance: Option<Balance>,
    /// The key store is still being read at start-up.
    looking: bool,
    /// Why the keychain could not be used, at start-up.
    keychain_problem: Option<StoreError>,
    /// `EASEL_API_KEY` is set but unusable.
    env_problem: Option<EngineError>,
    /// Talking to the built-in sandbox: the keychain (which holds the real service's key
    /// under the same provider name) is left alone.
    sandbox: bool,
    panel: KeyPanel,
}

/// The key panel's own state.
#[derive(Default)]
struct KeyPanel {
    open: bool,
    /// What was pasted. Cleared once the key is in use, so the secret does not linger.
    input: String,
    busy: Option<Busy>,
    feedback: Option<Feedback>,
    /// The keychain refused a save: offer to use the pasted key for this session instead.
    save_failed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Busy {
    Testing,
    Saving,
    Forgetting,
}

/// The answer to the last button press.
struct Feedback {
    good: bool,
    text: String,
    hint: Option<String>,
}

impl Feedback {
    fn good(text: impl Into<String>) -> Self {
        Self { good: true, text: text.into(), hint: None }
    }
    fn bad(text: impl Into<String>, hint: Option<String>) -> Self {
        Self { good: false, text: text.into(), hint }
    }
}

impl Keys {
    /// Use `EASEL_API_KEY` if it is set; otherwise read the key store in the background.
    pub fn new(
        provider: ProviderKind,
        secrets: Arc<dyn SecretStore>,
        env_key: Result<Option<ApiKey>, EngineError>,
        bg: &Background,
    ) -> Self {
        let mut keys = Self {
            provider,
            secrets,
            active: None,
            balance: None,
            looking: false,
            keychain_problem: None,
            env_problem: None,
            sandbox: false,
            panel: KeyPanel::default(),
        };
        match env_key {
            Ok(Some(key)) => keys.active = Some((key, KeySource::Environment)),
            Ok(None) => keys.look_up(bg),
            Err(problem) => {
                keys.env_problem = Some(problem);
                keys.look_up(bg);
            }
        }
        keys
    }

    fn look_up(&mut self, bg: &Background) {
        self.looking = true;
        let (secrets, provider) = (self.secrets.clone(), self.provider.id());
        bg.blocking(move || Message::KeyLoaded(secrets.get(provider)));
    }

    /// The key to send with requests, if there is one.
    pub fn active(&self) -> Option<&ApiKey> {
        self.active.as_ref().map(|(key, _)| key)
    }

    /// The key in use and where it came from, for the connection check.
    pub fn active_with_source(&self) -> Option<(ApiKey, KeySource)> {
        self.active.clone()
    }

    /// The key store is still being read at start-up.
    pub fn looking(&self) -> bool {
        self.looking
    }

    pub fn balance(&self) -> Option<&Balance> {
        self.balance.as_ref()
    }

    /// Whether requests can go out: there is a key, or the provider needs none.
    pub fn ready(&self) -> bool {
        self.active.is_some() || !self.provider.needs_key()
    }

    /// One line for the status bar.
    pub fn status(&self) -> String {
        match &self.active {
            Some((key, source)) => format!("Key {} {}", key.last_four(), source.label()),
            None if self.looking => "Looking for your key…".to_owned(),
            None if !self.provider.needs_key() => "No key (none needed)".to_owned(),
            None => "No key yet".to_owned(),
        }
    }

    pub fn open_panel(&mut self) {
        self.panel.open = true;
    }

    pub fn close_panel(&mut self) {
        self.panel.open = false;
        self.panel.feedback = None;
    }

    /// The key store answered at start-up. Without a key (and a provider that needs one),
    /// the panel opens to ask for it.
    pub fn on_loaded(&mut self, result: Result<Option<ApiKey>, StoreError>) {
        self.looking = false;
        match result {
            Ok(Some(key)) if self.active.is_none() => self.active = Some((key, KeySource::Keyring)),
            Ok(Some(_)) => {}
            Ok(None) => {}
            Err(problem) => self.keychain_problem = Some(problem),
        }
        self.panel.open |= !self.ready();
    }

    /// Check a key with the provider (its balance call); nothing is generated or charged.
    pub fn test(&mut self, key: ApiKey, engine: &Engine, bg: &Background) {
        self.panel.busy = Some(Busy::Testing);
        self.panel.feedback = None;
        let engine = engine.clone();
        bg.spawn(async move { Message::KeyChecked(engine.check_key(&key).await) });
    }

    pub fn on_checked(&mut self, result: Result<Option<Balance>, EngineError>) {
        self.panel.busy = None;
        self.panel.feedback = Some(match result {
            Ok(Some(balance)) => {
                let text = format!("The key works. Balance: {}", balance_text(&balance));
                self.balance = Some(balance);
                Feedback::good(text)
            }
            Ok(None) => Feedback::good("The key works."),
            Err(e) => Feedback::bad(e.message, Some(e.hint)),
        });
    }

    /// Write the key to the key store (a blocking call, so on a worker).
    /// The built-in sandbox is in use: saving or forgetting would touch the real key.
    pub fn use_sandbox(&mut self) {
        self.sandbox = true;
    }

    pub fn save(&mut self, key: ApiKey, bg: &Background) {
        if self.sandbox {
            self.panel.feedback = Some(Feedback::bad(SANDBOX_KEYCHAIN.to_owned(), None));
            return;
        }
        self.panel.busy = Some(Busy::Saving);
        self.panel.feedback = None;
        let (secrets, provider) = (self.secrets.clone(), self.provider.id());
        bg.blocking(move || {
            let result = secrets.set(provider, &key);
            Message::KeySaved { key, result }
        });
    }

    pub fn on_saved(&mut self, key: ApiKey, result: Result<(), StoreError>) {
        self.panel.busy = None;
        match result {
            Ok(()) => {
                if !matches!(self.active, Some((_, KeySource::Environment))) {
                    self.active = Some((key, KeySource::Keyring));
                }
                self.keychain_problem = None;
                self.panel.save_failed = false;
                self.panel.input.clear();
                self.panel.feedback = Some(Feedback::good("Saved to the system keychain."));
            }
            Err(problem) => {
                self.panel.feedback = Some(Feedback::bad(
                    format!("The key was not saved. {problem}"),
                    Some("You can still use the key for this session only; Easel will ask for it again next time.".into()),
                ));
                self.panel.save_failed = true;
            }
        }
    }

    /// Delete the key from the key store.
    pub fn forget(&mut self, bg: &Background) {
        if self.sandbox {
            self.panel.feedback = Some(Feedback::bad(SANDBOX_KEYCHAIN.to_owned(), None));
            return;
        }
        self.panel.busy = Some(Busy::Forgetting);
        self.panel.feedback = None;
        let (secrets, provider) = (self.secrets.clone(), self.provider.id());
        bg.blocking(move || Message::KeyForgotten(secrets.delete(provider)));
    }

    pub fn on_forgotten(&mut self, result: Result<(), StoreError>) {
        self.panel.busy = None;
        self.panel.feedback = Some(match result {
            Ok(()) => {
                if matches!(self.active, Some((_, KeySource::Environment))) {
                    Feedback::good(concat!(
                        "The key was removed from the system keychain. ",
                        "The key from EASEL_API_KEY is still used for this session."
                    ))
                } else {
                    self.active = None;
                    self.balance = None;
                    Feedback::good("The key was removed from the system keychain.")
                }
            }
            Err(problem) => Feedback::bad(format!("The key was not removed. {problem}"), None),
        });
    }

    /// Keep the key in memory only.
    pub fn use_for_session(&mut self, key: ApiKey) {
        if !matches!(self.active, Some((_, KeySource::Environment))) {
            self.active = Some((key, KeySource::Session));
        }
        self.panel.save_failed = false;
        self.panel.input.clear();
        self.panel.feedback = Some(Feedback::good("Using the key for this session only. It is not saved."));
    }

    /// The key panel, when open.
    pub fn ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if !self.panel.open {
            return;
        }
        let title = if self.provider.needs_key() { "Your API key" } else { "Server login (optional)" };
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -40.0))
            .default_width(460.0)
            .show(ctx, |ui| self.panel_contents(ui, actions));
    }

    fn panel_contents(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let provider = self.provider.label();
        if self.provider.needs_key() {
            ui.label(format!("Easel needs your {provider} API key to make images."));
            ui.hyperlink_to(format!("Get a key from your {provider} dashboard"), self.provider.key_page());
        } else {
            ui.label(format!("{provider} needs no key, unless the server was started with --api-auth."));
            ui.hyperlink_to("How the server's login works", self.provider.key_page());
        }
        ui.add_space(6.0);
        self.current_key_ui(ui);
        self.key_field_ui(ui);
        self.buttons_ui(ui, actions);
        self.feedback_ui(ui, actions);
        ui.add_space(6.0);
        ui.separator();
        if ui.button("Close").clicked() {
            actions.push(Action::CloseKeyPanel);
        }
    }

    fn current_key_ui(&self, ui: &mut egui::Ui) {
        match &self.active {
            Some((key, source)) => {
                ui.label(format!("In use now: the key ending {} ({}).", key.last_four(), source.label()));
            }
            None => {
                ui.label("No key is in use yet.");
            }
        }
        if let Some(problem) = &self.env_problem {
            ui.colored_label(ui.visuals().error_fg_color, &problem.message);
        }
        if let Some(problem) = &self.keychain_problem {
            ui.colored_label(ui.visuals().warn_fg_color, format!("{problem} You can still use a key for this session only."));
        }
    }

    fn key_field_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(6.0);
        let label = ui.label(self.provider.key_label());
        ui.add(
            egui::TextEdit::singleline(&mut self.panel.input).password(true).hint_text("Paste your key here").desired_width(f32::INFINITY),
        )
        .labelled_by(label.id)
        .on_hover_text("Paste the key from the service's website. It is hidden as you paste it.");
        if !self.panel.input.is_empty()
            && let Err(problem) = ApiKey::parse(&self.panel.input)
        {
            ui.colored_label(ui.visuals().error_fg_color, problem.to_string());
        }
    }

    fn buttons_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let idle = self.panel.busy.is_none();
        ui.horizontal(|ui| {
            if ui.add_enabled(idle, egui::Button::new("Test key")).clicked() {
                self.with_parsed_key(|key| actions.push(Action::TestKey(key)));
            }
            // In the sandbox, the keychain's entry is the real service's key: leave it alone.
            let keychain = idle && !self.sandbox;
            let sandbox = self.sandbox;
            let hover = move |normal: &'static str| if sandbox { SANDBOX_KEYCHAIN } else { normal };
            if ui
                .add_enabled(keychain, egui::Button::new("Save to keychain"))
                .on_hover_text(hover("Keep the key in the system keychain for next time."))
                .on_disabled_hover_text(hover("Wait for the current step to finish."))
                .clicked()
            {
                self.with_parsed_key(|key| actions.push(Action::SaveKey(key)));
            }
            let forget = ui
                .add_enabled(keychain, egui::Button::new("Forget key"))
                .on_hover_text("Remove the saved key from the system keychain.")
                .on_disabled_hover_text(hover("Wait for the current step to finish."));
            if forget.clicked() {
                actions.push(Action::ForgetKey);
            }
            if let Some(busy) = self.panel.busy {
                ui.spinner();
                ui.label(match busy {
                    Busy::Testing => "Testing…",
                    Busy::Saving => "Saving…",
                    Busy::Forgetting => "Removing…",
                });
            }
        });
    }

    /// Run `then` with the pasted key, or explain why it cannot be used.
    fn with_parsed_key(&mut self, then: impl FnOnce(ApiKey)) {
        match ApiKey::parse(&self.panel.input) {
            Ok(key) => then(key),
            Err(problem) => self.panel.feedback = Some(Feedback::bad(problem.to_string(), None)),
        }
    }

    fn feedback_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if let Some(feedback) = &self.panel.feedback {
            ui.add_space(4.0);
            let colour = if feedback.good { good_colour(ui) } else { ui.visuals().error_fg_color };
            ui.colored_label(colour, &feedback.text);
            if let Some(hint) = &feedback.hint {
                ui.label(hint);
            }
        }
        let keychain_broken = self.panel.save_failed || self.keychain_problem.is_some();
        if keychain_broken && ui.button("Use for this session only").clicked() {
            self.with_parsed_key(|key| actions.push(Action::UseKeyForSession(key)));
        }
    }
}

/// "43.60 USD".
pub fn balance_text(balance: &Balance) -> String {
    format!("{:.2} {}", balance.amount, balance.currency)
}

/// The colour for good news, readable in light and dark mode.
pub fn good_colour(ui: &egui::Ui) -> egui::Color32 {
    if ui.visuals().dark_mode { egui::Color32::from_rgb(120, 200, 120) } else { egui::Color32::from_rgb(20, 120, 40) }
}
