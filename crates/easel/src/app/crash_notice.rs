//! "Easel closed unexpectedly last time": the window offers the crash report the
//! panic hook saved (with the key already removed), once.

use easel_engine::crash;
use std::path::PathBuf;

/// The unseen crash report, if there is one, and whether its text is being shown.
pub struct CrashNotice {
    report: PathBuf,
    text: Option<String>,
}

impl CrashNotice {
    /// The newest report not shown yet. (Reading a small local file at start-up.)
    pub fn find(data_dir: &std::path::Path) -> Option<Self> {
        crash::unseen_reports(data_dir).into_iter().next().map(|report| Self { report, text: None })
    }

    /// Draw the offer; returns false once the person has dealt with it.
    pub fn ui(&mut self, ctx: &egui::Context) -> bool {
        let mut keep = true;
        egui::Window::new("Easel closed unexpectedly last time")
            .collapsible(false)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 40.0))
            .default_width(520.0)
            .show(ctx, |ui| {
                ui.label("A crash report was saved. It holds no API key. Your images and jobs are safe.");
                ui.label(format!("Report: {}", self.report.display()));
                match &self.text {
                    Some(text) => {
                        egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                            ui.add(egui::Label::new(egui::RichText::new(text).monospace()).wrap());
                        });
                        if ui.button("Copy report").on_hover_text("Copy it to send to support").clicked() {
                            ctx.copy_text(text.clone());
                        }
                    }
                    None => {
                        if ui.button("Show report").on_hover_text("Read what went wrong").clicked() {
                            self.text = Some(std::fs::read_to_string(&self.report).unwrap_or_else(|e| format!("(could not read it: {e})")));
                        }
                    }
                }
                if ui.button("Dismiss").on_hover_text("Do not show this report again").clicked() {
                    let _ = crash::mark_seen(&self.report);
                    keep = false;
                }
            });
        keep
    }
}
