//! Above the grid: the view switch (library, trash, failed jobs) and the filters; and the
//! "Failed jobs" view itself.

use super::feed::{Feed, Since, View};
use crate::app::actions::Action;
use crate::app::style::{self, space};
use crate::app::words::one_line;
use easel_engine::store::JobPhase;

impl Feed {
    /// The view switch and the filters. Returns true when the query changed.
    pub fn bar_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let before = (self.view, self.text.clone(), self.model.clone(), self.since, self.starred_only);
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.view, View::Library, "Library");
            ui.selectable_value(&mut self.view, View::Trash, "Trash");
            ui.selectable_value(&mut self.view, View::Failed, "Failed jobs");
            ui.separator();
            let label = ui.label("Search");
            ui.add(egui::TextEdit::singleline(&mut self.text).hint_text("words from the prompt").desired_width(180.0))
                .labelled_by(label.id);
            if self.view != View::Failed {
                let model = if self.model.is_empty() { "Any model" } else { self.model.as_str() };
                let label = ui.label("Filter by model");
                egui::ComboBox::from_id_salt("easel-filter-model")
                    .selected_text(model.to_owned())
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.model, String::new(), "Any model");
                        for m in &self.models {
                            ui.selectable_value(&mut self.model, m.clone(), m);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label("Date");
                egui::ComboBox::from_id_salt("easel-filter-date")
                    .selected_text(self.since.label())
                    .show_ui(ui, |ui| {
                        for since in Since::ALL {
                            ui.selectable_value(&mut self.since, since, since.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.checkbox(&mut self.starred_only, "Starred only");
            }
            if self.filtered() && ui.button("Clear filters").clicked() {
                self.text.clear();
                self.model.clear();
                self.since = Since::Any;
                self.starred_only = false;
            }
        });
        before != (self.view, self.text.clone(), self.model.clone(), self.since, self.starred_only)
    }

    /// The "Failed jobs" view: what failed or is unknown, newest first, and why.
    pub fn failed_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if self.failed.is_empty() {
            ui.add_space(space::EMPTY_VIEW);
            ui.vertical_centered(|ui| ui.weak("No failed jobs."));
            return;
        }
        egui::ScrollArea::vertical().id_salt("easel-failed-jobs").auto_shrink(false).show(ui, |ui| {
            egui::Grid::new("easel-failed-grid").striped(true).num_columns(4).show(ui, |ui| {
                for job in &self.failed {
                    ui.label(&job.created);
                    ui.add(egui::Label::new(one_line(&job.prompt)).truncate());
                    let why = match (&job.error, job.state) {
                        (Some(e), _) => e.message.clone(),
                        (None, JobPhase::Unknown) => "unknown: no answer before Easel stopped".to_owned(),
                        (None, _) => "failed".to_owned(),
                    };
                    let line = style::error_label(ui, why);
                    if let Some(e) = &job.error {
                        line.on_hover_text(format!("What to do: {}", e.hint));
                    }
                    // An unknown job may have been made and charged: its Resubmit (with the
                    // warning) is in the job list. A failed one made nothing, so try again.
                    if job.state == JobPhase::Failed
                        && ui.button("Try again").on_hover_text("Send this job again with the same settings, as a new job.").clicked()
                    {
                        actions.push(Action::RetryStoredJob(job.id.clone()));
                    }
                    ui.end_row();
                }
            });
        });
    }
}
