//! Checking the library from the settings window: every picture's file against its record
//! and every image file against a record (the engine's `check_library`, off the UI thread),
//! and what it found in plain words. The marks it leaves (a missing or changed file, a picture
//! found again without its settings) are said wherever the picture is shown.

use crate::app::actions::Action;
use crate::app::style::{self, space};
use easel_engine::store::{CheckReport, FileProblem, Finding, ImageRecord};

/// Most findings listed one by one; the rest are counted in the summary.
const LISTED: usize = 8;

/// The check asked for from the settings window, and what it found.
#[derive(Default)]
pub struct LibraryCheck {
    running: bool,
    /// The last check's report, or why it could not run.
    last: Option<Result<CheckReport, String>>,
}

impl LibraryCheck {
    /// A check starts; returns false when one is already running.
    pub fn start(&mut self) -> bool {
        !std::mem::replace(&mut self.running, true)
    }

    /// A check finished; returns true when it was the one asked for here (the check at start
    /// after a crash says what it found in a notice instead).
    pub fn finished(&mut self, result: &Result<CheckReport, String>) -> bool {
        let asked = std::mem::take(&mut self.running);
        if asked {
            self.last = Some(result.clone());
        }
        asked
    }

    /// The settings window's part: the button, and what the last check found.
    pub fn ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.strong("Your library");
        ui.add(
            egui::Label::new(
                "Easel can check that every picture's file is there and unchanged, and add back pictures it finds without a record.",
            )
            .wrap(),
        );
        ui.horizontal_wrapped(|ui| {
            let button = ui
                .add_enabled(!self.running, egui::Button::new("Check the library"))
                .on_hover_text("Reads every picture file once. Nothing is deleted.");
            if button.clicked() {
                actions.push(Action::CheckLibrary);
            }
            if self.running {
                ui.spinner();
                ui.label("Checking every picture...");
            }
        });
        match &self.last {
            None => {}
            Some(Err(why)) => {
                style::error_label(ui, format!("The library could not be checked: {why}"));
            }
            Some(Ok(report)) => {
                ui.add(egui::Label::new(report.summary()).wrap());
                for finding in report.findings.iter().take(LISTED) {
                    ui.add(egui::Label::new(egui::RichText::new(finding_words(finding)).weak()).wrap());
                }
                if report.findings.len() > LISTED {
                    ui.weak(format!("And {} more.", report.findings.len() - LISTED));
                }
                if report.needs_attention() {
                    ui.add(
                        egui::Label::new(
                            "Pictures marked missing or changed stay in the gallery with a warning. Put the file back (from a backup) and check again, or move the picture to the trash.",
                        )
                        .wrap(),
                    );
                }
            }
        }
        ui.add_space(space::FIELD);
    }
}

/// One finding in plain words, with its file.
fn finding_words(finding: &Finding) -> String {
    match finding {
        Finding::Missing { path, .. } => format!("Missing: {}", path.display()),
        Finding::Changed { path, .. } => format!("Damaged or replaced: {}", path.display()),
        Finding::Restored { path, .. } => format!("Back in place: {}", path.display()),
        Finding::Recovered { path, .. } => format!("Added back (its settings are lost): {}", path.display()),
        Finding::Unreadable { path, why } => format!("Not a picture, left alone: {} ({why})", path.display()),
        Finding::Duplicate { path } => format!("An extra copy, left alone: {}", path.display()),
    }
}

/// What the library check left on a picture, in words; `None` when nothing.
pub fn file_words(record: &ImageRecord) -> Option<&'static str> {
    match (record.file_problem, record.recovered) {
        (Some(FileProblem::Missing), _) => Some("This picture's file is missing. Put it back from a backup, then check the library again."),
        (Some(FileProblem::Changed), _) => {
            Some("This picture's file was changed or damaged: it is not the picture Easel saved. Check the library again once it is back.")
        }
        (None, true) => Some("Found again by the library check: its prompt and settings were lost."),
        (None, false) => None,
    }
}

/// A short mark for a gallery cell: "File missing", "Changed", "Recovered".
pub fn file_mark(record: &ImageRecord) -> Option<&'static str> {
    match (record.file_problem, record.recovered) {
        (Some(FileProblem::Missing), _) => Some("File missing"),
        (Some(FileProblem::Changed), _) => Some("File changed"),
        (None, true) => Some("Recovered"),
        (None, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::image_record;

    #[test]
    fn a_check_asked_here_keeps_its_report_and_one_at_start_does_not() {
        let mut check = LibraryCheck::default();
        assert!(!check.finished(&Ok(CheckReport::default())), "the check at start after a crash");
        assert!(check.last.is_none());
        assert!(check.start() && !check.start(), "one at a time");
        assert!(check.finished(&Ok(CheckReport::default())));
        assert!(matches!(&check.last, Some(Ok(r)) if r.is_clean()));
    }

    #[test]
    fn marks_say_what_the_check_found() {
        let mut record = image_record(1);
        assert!(file_mark(&record).is_none() && file_words(&record).is_none());
        record.recovered = true;
        assert_eq!(file_mark(&record), Some("Recovered"));
        record.file_problem = Some(FileProblem::Missing);
        assert_eq!(file_mark(&record), Some("File missing"), "a missing file is said first");
    }
}
