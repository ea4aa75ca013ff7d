//! The key panel: paste a key, test it, keep it in the keychain, forget it.

use super::{Busy, Feedback, Keys, SANDBOX_KEYCHAIN};
use crate::app::actions::Action;
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
            ui.hyperlink_to(format!("Get a key from your {provider} dashboard"), self.provider.key_page());
        } else {
            ui.label(format!("{provider} needs no key, unless the server was started with --api-auth."));
            ui.hyperlink_to("How the server's login works", self.provider.key_page());
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
            style::warn_label(ui, format!("{problem} You can still use a key for this session only."));
        }
    }

    fn key_field_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(space::SECTION);
        let label = ui.label(self.provider.key_label());
        ui.add(
            egui::TextEdit::singleline(&mut self.panel.input).password(true).hint_text("Paste your key here").desired_width(f32::INFINITY),
        )
        .labelled_by(label.id)
        .on_hover_text("Paste the key from the service's website. It is hidden as you paste it.");
        if !self.panel.input.is_empty()
            && let Err(problem) = ApiKey::parse(&self.panel.input)
        {
            style::error_label(ui, problem.to_string());
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
            ui.add_space(space::FIELD);
            let colour = if feedback.good { style::good(ui) } else { style::error(ui) };
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
