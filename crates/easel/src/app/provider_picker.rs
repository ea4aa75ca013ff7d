//! Which service the window talks to: ModelsLab, an OpenAI-compatible API or an
//! AUTOMATIC1111 / Forge server, and at which address. Choosing another one sends the next
//! jobs there (the prompt text is kept; each server has its own keyring entry); running jobs
//! finish on their own service.

use super::actions::Action;
use super::style;
use easel_engine::keys::ApiKey;
use easel_engine::provider::{ProviderKind, check_base_url};
use easel_sandbox::Sandbox;

/// What the sandbox is, in the words the window uses everywhere.
pub const SANDBOX_LABEL: &str = "Sandbox: test patterns, no real images, no credits";

/// "Try the sandbox", and while it starts a spinner.
pub fn try_sandbox_ui(ui: &mut egui::Ui, starting: bool, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        let start = ui.add_enabled(!starting, egui::Button::new("Try the sandbox")).on_hover_text(
            "Start a pretend service inside Easel. Nothing is sent to the internet. Running jobs finish where they were sent.",
        );
        if start.clicked() {
            actions.push(Action::TrySandbox);
        }
        if starting {
            ui.spinner();
            ui.label("Starting the sandbox...");
        }
    });
}

/// A switch the workspace asks the app to carry out (the app owns the workspace).
pub struct Switch {
    pub kind: ProviderKind,
    /// Another server than the provider's usual one.
    pub base_url: Option<String>,
    /// A key to use for this session only (the sandbox's).
    pub session_key: Option<ApiKey>,
    /// The built-in sandbox the new workspace talks to; the app keeps it running.
    pub sandbox: Option<Sandbox>,
    /// OpenAI-compatible: send the key in an `api-key` header (Azure) instead of Bearer.
    pub api_key_header: bool,
}

impl Switch {
    pub fn to(kind: ProviderKind, base_url: Option<String>) -> Self {
        Self { kind, base_url, session_key: None, sandbox: None, api_key_header: false }
    }
}

/// The picker's own state: the service and address being chosen, before "Use this service".
#[derive(Default)]
pub struct ProviderPicker {
    choice: Option<ProviderKind>,
    address: String,
    api_key_header: Option<bool>,
}

/// An address without the trailing slash `url::Url` adds to a bare host.
fn plain(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

impl ProviderPicker {
    /// Draw the picker for the provider in use (`current`, at `current_url`).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        current: ProviderKind,
        current_url: &str,
        current_api_key_header: bool,
        actions: &mut Vec<Action>,
    ) {
        let api_key_header = self.api_key_header.get_or_insert(current_api_key_header);
        if self.choice.is_none() {
            self.choice = Some(current);
            plain(current_url).clone_into(&mut self.address);
        }
        let before = self.choice;
        ui.strong(format!("Service: {}", current.label()));
        ui.vertical(|ui| {
            ui.horizontal_wrapped(|ui| {
                for kind in ProviderKind::ALL {
                    ui.radio_value(&mut self.choice, Some(*kind), kind.label()).on_hover_text(match kind {
                        ProviderKind::ModelsLab => "ModelsLab's hosted image models. Needs a ModelsLab API key.",
                        ProviderKind::OpenAi => "OpenAI's images API, or any service that speaks it. Needs that service's API key.",
                        ProviderKind::A1111 => "Your own AUTOMATIC1111 or Forge server (started with --api). Needs no key.",
                    });
                }
            });
            let choice = self.choice.unwrap_or(current);
            if self.choice != before {
                let url = if choice == current { plain(current_url) } else { choice.default_base_url() };
                url.clone_into(&mut self.address);
            }
            let label = ui.label("Server address");
            ui.add(egui::TextEdit::singleline(&mut self.address).desired_width(f32::INFINITY)).labelled_by(label.id).on_hover_text(
                match choice {
                    ProviderKind::OpenAi => "The API root, including /v1. Leave as it is for OpenAI itself.",
                    ProviderKind::A1111 => "Where your server runs, for example http://127.0.0.1:7860.",
                    ProviderKind::ModelsLab => "Leave as it is unless you were given another address.",
                },
            );
            let checked = check_base_url(choice, &self.address);
            match &checked {
                Ok(base) => {
                    if let Some(note) = &base.note {
                        style::warn_label(ui, note);
                    }
                }
                Err(why) => {
                    style::error_label(ui, why);
                }
            }
            if choice == ProviderKind::OpenAi {
                ui.checkbox(api_key_header, "Send the key as an api-key header (Azure)")
                    .on_hover_text("Azure OpenAI deployments want the key in an api-key header. Others want the usual Bearer login.");
            }
            let header_changed = choice == ProviderKind::OpenAi && *api_key_header != current_api_key_header;
            let changed = choice != current || plain(&self.address) != plain(current_url) || header_changed;
            let use_it = ui
                .add_enabled(changed && checked.is_ok(), egui::Button::new("Use this service"))
                .on_hover_text("Switch to this service. Your prompt is kept.");
            if use_it.clicked() {
                let address = plain(&self.address);
                let base_url = (address != plain(choice.default_base_url())).then(|| address.to_owned());
                let api_key_header = choice == ProviderKind::OpenAi && *api_key_header;
                actions.push(Action::SwitchProvider { kind: choice, base_url, api_key_header });
            }
        });
    }
}
