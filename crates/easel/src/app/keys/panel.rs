//! The key panel: paste a key, test it, keep it in the keychain, forget it.

use super::{Busy, Feedback, KeyPanel, Keys, SANDBOX_KEYCHAIN};
use crate::app::actions::Action;
use crate::app::links::link;
use crate::app::style::{self, space};
use easel_engine::keys::ApiKey;

impl Keys {
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
            link(ui, &format!("Get a key from your {provider} dashboard"), self.provider.key_page(), actions);
        } else {
            ui.label(format!("{provider} needs no key, unless the server was started with --api-auth."));
            link(ui, "How the server's login works", self.provider.key_page(), actions);
        }
        ui.add_space(space::SECTION);
        self.current_key_ui(ui);
        self.key_field_ui(ui);
        self.buttons_ui(ui, actions);
        self.feedback_ui(ui, actions);
        ui.add_space(space::SECTION);
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
            style::error_label(ui, &problem.message);
        }
        if let Some(problem) = &self.keychain_problem {
            style::warn_label(ui, format!("{} You can still use a key for this session only.", super::plain_keychain(problem)));
        }
    }

    fn key_field_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(space::SECTION);
        let label = ui.label(self.provider.key_label());
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut self.panel.input)
                    .password(true)
                    .hint_text("Paste your key here")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text("Paste the key from the service's website. It is hidden as you paste it.");
        if field.changed() {
            let typed = &self.panel.input;
            self.panel.input_problem = if typed.is_empty() { None } else { ApiKey::problem(typed) };
        }
        if let Some(problem) = self.panel.input_problem {
            style::error_label(ui, problem.to_string());
        }
    }

    fn buttons_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let idle = self.panel.busy.is_none();
        ui.horizontal_wrapped(|ui| {
            let test_tip = if self.panel.input.trim().is_empty() && self.active.is_some() {
                "Test the key in use now with the service. Nothing is generated or charged."
            } else {
                "Test the pasted key with the service. Nothing is generated or charged."
            };
            if ui.add_enabled(idle, egui::Button::new("Test key")).on_hover_text(test_tip).clicked()
                && let Some(key) = self.key_to_test()
            {
                actions.push(Action::TestKey(key));
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
                self.with_parsed_key(|panel, key| {
                    if panel.refused.as_ref() == Some(&key) {
                        panel.confirm_save = Some(key);
                    } else {
                        actions.push(Action::SaveKey(key));
                    }
                });
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
        self.confirm_save_ui(ui, actions);
    }

    /// The key the service just refused is not saved without a word: ask first.
    fn confirm_save_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let Some(key) = self.panel.confirm_save.clone() else { return };
        ui.add_space(space::FIELD);
        style::warn_label(ui, "The service refused this key a moment ago. Saved, it would be refused again next time.");
        ui.horizontal_wrapped(|ui| {
            if ui.button("Save it anyway").clicked() {
                actions.push(Action::SaveKey(key));
                self.panel.confirm_save = None;
            }
            if ui.button("Don't save it").clicked() {
                self.panel.confirm_save = None;
            }
        });
    }

    /// "Test key": the pasted key, or with an empty box the key in use now.
    fn key_to_test(&mut self) -> Option<ApiKey> {
        if self.panel.input.trim().is_empty()
            && let Some((key, _)) = &self.active
        {
            return Some(key.clone());
        }
        let mut parsed = None;
        self.with_parsed_key(|_, key| parsed = Some(key));
        parsed
    }

    /// Run `then` with the pasted key (it becomes a secret now: it is used or kept), or
    /// explain why it cannot be used.
    fn with_parsed_key(&mut self, then: impl FnOnce(&mut KeyPanel, ApiKey)) {
        match ApiKey::parse(&self.panel.input) {
            Ok(key) => then(&mut self.panel, key),
            Err(problem) => self.panel.feedback = Some(Feedback::bad(problem.to_string(), None)),
        }
    }

    fn feedback_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if let Some(feedback) = &self.panel.feedback {
            ui.add_space(space::FIELD);
            let colour = if feedback.good { style::good(ui) } else { style::error(ui) };
            ui.colored_label(colour, &feedback.text);
            if let Some(hint) = &feedback.hint {
                ui.label(hint);
            }
        }
        let keychain_broken = self.panel.save_failed || self.keychain_problem.is_some();
        if keychain_broken && ui.button("Use for this session only").clicked() {
            self.with_parsed_key(|_, key| actions.push(Action::UseKeyForSession(key)));
        }
    }
}
