//! Above the grid: the view switch (library, trash, failed jobs) and the filters; and the
//! "Failed jobs" view itself.

use super::feed::{Feed, Since, View};
use crate::app::actions::Action;
use crate::app::advice::{Fix, failure_ui, may_have_been_charged};
use crate::app::style::{self, space};
use crate::app::when::when;
use crate::app::words::one_line;
use easel_engine::provider::ProviderKind;
use easel_engine::store::{JobPhase, JobSummary};

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

    /// The "Failed jobs" view: what failed or is unknown, newest first, with the whole prompt,
    /// when, what happened, what to do, and the buttons that do it.
    pub fn failed_ui(&mut self, ui: &mut egui::Ui, provider: ProviderKind, actions: &mut Vec<Action>) {
        if self.failed.is_empty() {
            ui.add_space(space::EMPTY_VIEW);
            ui.vertical_centered(|ui| ui.weak("No failed jobs."));
            return;
        }
        let mut confirm = None;
        egui::ScrollArea::vertical().id_salt("easel-failed-jobs").auto_shrink(false).show(ui, |ui| {
            for job in &self.failed {
                ui.push_id(&job.id, |ui| {
                    if let Some(asked) = failed_job_ui(ui, job, provider, actions) {
                        confirm = Some(asked);
                    }
                });
                ui.separator();
            }
        });
        if confirm.is_some() {
            self.confirm_retry = confirm;
        }
        self.confirm_retry_ui(ui.ctx(), actions);
    }

    /// "Try again" on a job that may have been made and charged asks first.
    fn confirm_retry_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some(job) = self.confirm_retry.clone() else { return };
        let modal = egui::Modal::new(egui::Id::unique("easel-failed-retry")).show(ctx, |ui| {
            ui.set_max_width(440.0);
            ui.heading("Try this job again?");
            ui.add(egui::Label::new(format!("\"{}\"", one_line(&job.prompt))).wrap());
            ui.add(
                egui::Label::new(
                    "The service may have made this job (and charged for it) before it failed or before Easel heard back. \
                     Trying again sends a new job, which may be charged again.",
                )
                .wrap(),
            );
            ui.add_space(space::PARAGRAPH);
            ui.horizontal_wrapped(|ui| {
                if ui.button("Try again and maybe pay again").clicked() {
                    actions.push(Action::RetryStoredJob(job.id.clone()));
                    self.confirm_retry = None;
                }
                if ui.button("Keep it as it is").clicked() {
                    self.confirm_retry = None;
                }
            });
        });
        if modal.should_close() {
            self.confirm_retry = None;
        }
    }
}

/// One failed job. Returns the job when its "Try again" must ask first.
fn failed_job_ui(ui: &mut egui::Ui, job: &JobSummary, provider: ProviderKind, actions: &mut Vec<Action>) -> Option<JobSummary> {
    let when = job.created.parse::<jiff::Timestamp>().map_or_else(|_| job.created.clone(), |t| when(t.as_millisecond()));
    ui.horizontal_wrapped(|ui| {
        ui.strong(when);
        let service = ProviderKind::parse(&job.provider)
            .map_or_else(|| job.provider.clone(), |kind| easel_engine::ServiceSpec::at(kind, Some(job.base_url.clone())).label());
        ui.weak(format!("({} on {service})", crate::app::words::model_name(&job.model)));
    });
    ui.add(egui::Label::new(job.prompt.as_str()).wrap());
    if let Some(until) = job.collect_before_ms {
        style::warn_label(ui, format!("Collect before {}: the service keeps its pictures only until then.", crate::app::when::when(until)));
    }
    let unknown = easel_engine::unknown_job_error();
    let error = match (&job.error, job.state) {
        (Some(e), _) => e,
        (None, _) => &unknown,
    };
    failure_ui(ui, error);
    let mut asks = None;
    ui.horizontal_wrapped(|ui| {
        if let Some(fix) = Fix::for_failure(error.category, provider, &job.id).filter(|f| !matches!(f, Fix::WaitAndRetry(_))) {
            fix.button(ui, actions);
        }
        let may_charge = job.state == JobPhase::Unknown || may_have_been_charged(error.category);
        let tip = if may_charge {
            "Send this job again with the same settings. Easel asks first: it may be charged again."
        } else {
            "Send this job again with the same settings, as a new job."
        };
        if ui.button("Try again").on_hover_text(tip).clicked() {
            if may_charge {
                asks = Some(job.clone());
            } else {
                actions.push(Action::RetryStoredJob(job.id.clone()));
            }
        }
        if ui.button("Copy report").on_hover_text("Copy what Easel exchanged for this job, without your key, for support.").clicked() {
            actions.push(Action::CopyJobReport(job.id.clone()));
        }
    });
    asks
}
