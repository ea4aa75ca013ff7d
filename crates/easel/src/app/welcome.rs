//! The first-run welcome: three steps to a first image, and a sandbox to try without a key.
//!
//! Shown while there is no key and no image yet. "Try the sandbox" starts the built-in
//! sandbox in this process and points the window at it with a session key.

use super::actions::Action;
use super::links::link;
use super::provider_picker::{SANDBOX_LABEL, try_sandbox_ui};
use super::style::space;
use easel_engine::provider::ProviderKind;

/// The welcome panel's own state.
#[derive(Default)]
pub struct Welcome {
    /// The sandbox is being started.
    pub starting_sandbox: bool,
}

impl Welcome {
    pub fn ui(&mut self, ui: &mut egui::Ui, provider: ProviderKind, actions: &mut Vec<Action>) {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.heading("Welcome to Easel");
            ui.label("Easel makes pictures from a few words, using an image service on the internet.");
            ui.add_space(space::STEP);

            ui.strong("Step 1: Get an API key");
            ui.label(format!("An API key is like a password that lets Easel use your {} account.", provider.label()));
            link(ui, &format!("Open the {} key page", provider.label()), provider.key_page(), actions)
                .on_hover_text("Opens the service's website in your browser. Sign in and create a key there.");
            ui.add_space(space::PARAGRAPH);

            ui.strong("Step 2: Paste it into Easel");
            ui.label("Copy the key from the website, then paste it here. Easel keeps it in your system keychain.");
            if ui.button("Paste your key").on_hover_text("Open the key panel.").clicked() {
                actions.push(Action::OpenKeyPanel);
            }
            ui.add_space(space::PARAGRAPH);

            ui.strong("Step 3: Try a first prompt");
            ui.label("Type what you want to see in the Prompt box on the left, for example \"a red fox in the snow\", and press Generate.");
            ui.add_space(space::PART);
            ui.separator();

            ui.strong("No key yet? Try the sandbox");
            ui.label(SANDBOX_LABEL);
            ui.label("The sandbox runs inside Easel on this computer. It makes test patterns so you can see how everything works.");
            try_sandbox_ui(ui, self.starting_sandbox, actions);
        });
    }
}
