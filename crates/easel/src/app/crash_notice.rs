//! "Easel closed unexpectedly last time": the window offers the crash report the
//! panic hook saved (with the key already removed), once.

use super::style;
use std::path::PathBuf;

/// The unseen crash report, if there is one, and whether its text is shown.
pub struct CrashNotice {
    report: PathBuf,
    /// The report's text, read with it at start-up (or why it could not be read).
    text: String,
    shown: bool,
}

impl CrashNotice {
    /// Offer `report`, whose `text` was read at start-up, so that drawing the notice never
    /// touches the disk.
    pub fn new(report: PathBuf, text: String) -> Self {
        Self { report, text, shown: false }
    }

    /// Draw the offer. Returns the report once the person dismissed it, to be marked as seen.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<PathBuf> {
        let mut dismissed = false;
        egui::Window::new("Easel closed unexpectedly last time")
            .collapsible(false)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 40.0))
            .default_width(520.0)
            .show(ctx, |ui| {
                ui.label("A crash report was saved. It holds no API key. Your images and jobs are safe.");
                ui.label(format!("Report: {}", self.report.display()));
                if self.shown {
                    egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                        ui.add(egui::Label::new(style::code_text(self.text.as_str())).wrap());
                    });
                    if ui.button("Copy report").on_hover_text("Copy it to send to support").clicked() {
                        ctx.copy_text(self.text.clone());
                    }
                } else if ui.button("Show report").on_hover_text("Read what went wrong").clicked() {
                    self.shown = true;
                }
                dismissed = ui.button("Dismiss").on_hover_text("Do not show this report again").clicked();
            });
        dismissed.then(|| self.report.clone())
    }
}
