//! Help inside the app: the troubleshooting table (built from the engine's error table, so
//! the window and the README never disagree), the logs folder and the diagnostics report.

use super::actions::Action;
use super::provider_picker::SANDBOX_LABEL;
use super::style::space;
use easel_engine::error::ERROR_TABLE;
use std::path::{Path, PathBuf};

/// The help window's own state.
#[derive(Default)]
pub struct Help {
    open: bool,
}

/// Where the log files are kept.
pub fn logs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// "rate_limited" -> "Rate limited".
fn category_name(id: &str) -> String {
    let words = id.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

impl Help {
    pub fn toggle(&mut self) {
        self.open = !self.open;
    }

    /// Draw the window when open. `sandbox`: the window talks to the built-in sandbox now.
    pub fn ui(&mut self, ctx: &egui::Context, logs: &Path, sandbox: bool, actions: &mut Vec<Action>) {
        if !self.open {
            return;
        }
        let mut open = true;
        egui::Window::new("Help and troubleshooting").open(&mut open).default_width(640.0).default_height(520.0).vscroll(true).show(
            ctx,
            |ui| {
                ui.label("When something goes wrong, Easel says which of these happened. Here is what each one means and what to do.");
                ui.add_space(space::PARAGRAPH);
                egui::Grid::new("easel-troubleshooting").num_columns(3).striped(true).spacing([12.0, 6.0]).show(ui, |ui| {
                    ui.strong("Problem");
                    ui.strong("What happened");
                    ui.strong("What to do");
                    ui.end_row();
                    for row in ERROR_TABLE {
                        ui.label(category_name(row.category.as_str()));
                        ui.add(egui::Label::new(row.message).wrap());
                        ui.add(egui::Label::new(row.hint).wrap());
                        ui.end_row();
                    }
                });
                ui.add_space(space::BEFORE_ACTION);
                ui.separator();
                ui.strong("Try Easel without a key");
                ui.label(SANDBOX_LABEL);
                if sandbox {
                    ui.label("You are using the sandbox now. Leave it from the bar at the bottom or in Settings.");
                } else if ui
                    .button("Try the sandbox")
                    .on_hover_text("Start a pretend service inside Easel. Nothing is sent to the internet.")
                    .clicked()
                {
                    actions.push(Action::TrySandbox);
                }
                ui.add_space(space::BEFORE_ACTION);
                ui.separator();
                ui.label(format!("Easel writes a log (without your key) to {}.", logs.display()));
                ui.horizontal(|ui| {
                    if ui.button("Open logs folder").on_hover_text("Show the log files in your file manager.").clicked() {
                        actions.push(Action::OpenLogsFolder);
                    }
                    let copy = ui
                        .button("Copy diagnostics report")
                        .on_hover_text("Copy what Easel exchanged with the service, without your key, to paste into a support message.");
                    if copy.clicked() {
                        actions.push(Action::CopyReport);
                    }
                });
            },
        );
        self.open &= open;
    }
}
