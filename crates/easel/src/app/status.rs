//! The status bar: key, provider and server, balance, what was spent today, jobs in flight,
//! diagnostics toggle.

use super::actions::Action;
use super::provider_picker::SANDBOX_LABEL;
use super::style;

/// What the status bar shows.
pub struct Status {
    pub key: String,
    pub provider: &'static str,
    /// The server in use, when it is not the provider's usual one.
    pub server_override: Option<String>,
    pub balance: Option<String>,
    /// What was spent today, and more about it for its tooltip.
    pub spent_today: Option<(String, String)>,
    pub in_flight: usize,
    pub diagnostics_open: bool,
    pub settings_open: bool,
    /// The window talks to the built-in sandbox.
    pub sandbox: bool,
}

impl Status {
    /// One line that wraps onto a second when the window is narrow, so nothing is cut off.
    pub fn ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            let key = ui.button(&self.key).on_hover_text("Paste, test, save or forget your API key.");
            if key.clicked() {
                actions.push(Action::OpenKeyPanel);
            }
            ui.separator();
            ui.label(format!("Service: {}", self.provider));
            if self.sandbox {
                style::warn_label(ui, SANDBOX_LABEL)
                    .on_hover_text("The built-in sandbox runs inside Easel. It makes test patterns and costs nothing.");
                let leave = ui.button("Leave the sandbox").on_hover_text("Go back to the real service. Running jobs finish.");
                if leave.clicked() {
                    actions.push(Action::UseUsualServer);
                }
            } else if let Some(server) = &self.server_override {
                style::warn_label(ui, format!("Server: {server}")).on_hover_text("Not the service's usual server (chosen in Settings).");
                let usual = ui.button("Use the usual server").on_hover_text("Running jobs finish on the server they were sent to.");
                if usual.clicked() {
                    actions.push(Action::UseUsualServer);
                }
            }
            if let Some(balance) = &self.balance {
                ui.separator();
                ui.label(format!("Balance: {balance}"));
            }
            if let Some((spent, more)) = &self.spent_today {
                ui.separator();
                let label = ui.label(spent);
                if !more.is_empty() {
                    label.on_hover_text(more);
                }
            }
            ui.separator();
            ui.label(format!("Jobs running: {}", self.in_flight));
            ui.separator();
            if ui
                .selectable_label(self.settings_open, "Settings")
                .on_hover_text("The service, time allowed, saving, the sandbox.")
                .clicked()
            {
                actions.push(Action::ToggleSettings);
            }
            if ui.selectable_label(false, "Help").on_hover_text("Troubleshooting, the sandbox, logs and the diagnostics report.").clicked()
            {
                actions.push(Action::ToggleHelp);
            }
            let diagnostics = ui
                .selectable_label(self.diagnostics_open, "Diagnostics")
                .on_hover_text("What Easel sent and received, for finding problems.");
            if diagnostics.clicked() {
                actions.push(Action::ToggleDiagnostics);
            }
        });
    }
}
