//! The settings window: which service and at which address, how long to wait for an answer,
//! saving and file dialogs, and the sandbox. What is chosen here is remembered between runs
//! (in [`AppState`](super::AppState)); switching the service is the app's one switching path
//! (`Action::SwitchProvider`, carried out by the app).

use super::actions::Action;
use super::provider_picker::{ProviderPicker, SANDBOX_LABEL, try_sandbox_ui};
use super::style::space;
use easel_engine::provider::ProviderKind;

/// The time allowed for each try, in minutes, that the window offers; `None` is each model's
/// usual time (one or two minutes for hosted models, ten for a server of your own).
pub const TIMEOUT_CHOICES: [Option<u32>; 4] = [None, Some(5), Some(10), Some(20)];

/// What "Allow more time" moves to from `current`: the next longer choice (the longest stays).
pub fn more_time(current: Option<u32>) -> Option<u32> {
    let at = TIMEOUT_CHOICES.iter().position(|c| *c == current).unwrap_or(0);
    TIMEOUT_CHOICES[(at + 1).min(TIMEOUT_CHOICES.len() - 1)]
}

/// "the usual time", "5 minutes".
pub fn timeout_text(minutes: Option<u32>) -> String {
    match minutes {
        None => "The usual time (1 to 2 minutes)".to_owned(),
        Some(m) => format!("{m} minutes"),
    }
}

/// The settings window's own state.
#[derive(Default)]
pub struct SettingsWindow {
    pub open: bool,
    picker: ProviderPicker,
}

/// What the window shows and changes.
pub struct SettingsView<'a> {
    pub provider: ProviderKind,
    pub base_url: &'a str,
    pub api_key_header: bool,
    pub timeout_minutes: Option<u32>,
    pub embed_parameters: &'a mut bool,
    pub own_file_chooser: &'a mut bool,
    pub sandbox: bool,
    /// The sandbox is being started.
    pub starting_sandbox: bool,
    /// Desktop notifications when a job ends in the background, and their sound.
    pub notify_when_done: &'a mut bool,
    pub notify_sound: &'a mut bool,
    /// The library check and what it found.
    pub library: &'a super::library_check::LibraryCheck,
}

impl SettingsWindow {
    pub fn ui(&mut self, ctx: &egui::Context, view: SettingsView<'_>, actions: &mut Vec<Action>) {
        if !self.open {
            return;
        }
        let mut open = true;
        egui::Window::new("Settings").open(&mut open).default_width(440.0).vscroll(true).show(ctx, |ui| {
            self.picker.ui(ui, view.provider, view.base_url, view.api_key_header, actions);
            ui.add_space(space::PARAGRAPH);
            ui.separator();

            let label = ui.strong("Time allowed for each try");
            ui.label("Quality models and busy services can take minutes. Allow more time if pictures stop with \"did not answer in time\".");
            ui.horizontal_wrapped(|ui| {
                for choice in TIMEOUT_CHOICES {
                    let button = ui.selectable_label(view.timeout_minutes == choice, timeout_text(choice)).labelled_by(label.id);
                    if button.clicked() && view.timeout_minutes != choice {
                        actions.push(Action::SetTimeout(choice));
                    }
                }
            });
            ui.add_space(space::PARAGRAPH);
            ui.separator();

            ui.strong("Saving and opening files");
            ui.checkbox(view.embed_parameters, "Embed the settings in saved PNG files")
                .on_hover_text("Saved PNG files carry the prompt and settings, so other tools can read them. Turn off for privacy.");
            ui.checkbox(view.own_file_chooser, "Always use Easel's own file chooser")
                .on_hover_text("Easel uses your desktop's file dialog when there is one, and its own otherwise. Tick this if the desktop's dialog does not appear.");
            ui.add_space(space::PARAGRAPH);
            ui.separator();
            super::notify::settings_ui(ui, view.notify_when_done, view.notify_sound);
            ui.separator();
            view.library.ui(ui, actions);
            ui.separator();

            ui.strong("Try Easel without a key");
            ui.label(SANDBOX_LABEL);
            if view.sandbox {
                let leave = ui.button("Leave the sandbox").on_hover_text("Go back to the real service. Running jobs finish.");
                if leave.clicked() {
                    actions.push(Action::UseUsualServer);
                }
            } else {
                try_sandbox_ui(ui, view.starting_sandbox, actions);
            }
        });
        self.open &= open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_time_steps_up_to_the_longest_choice() {
        assert_eq!(more_time(None), Some(5));
        assert_eq!(more_time(Some(5)), Some(10));
        assert_eq!(more_time(Some(20)), Some(20));
        assert_eq!(more_time(Some(7)), Some(5), "an unknown value starts again from the usual time");
    }
}
