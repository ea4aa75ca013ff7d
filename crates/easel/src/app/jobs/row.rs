//! Drawing the job list: a row per job with its state and time; under a failure, what
//! happened, what to do and the button that does it; and the question before a retry that may
//! be charged again.

use super::{JobRow, Jobs};
use crate::app::actions::Action;
use crate::app::advice::{Fix, failure_ui};
use crate::app::style::{self, space};
use crate::app::textures::Thumbnails;
use crate::app::words::one_line;
use easel_engine::JobState;
use easel_engine::provider::ProviderKind;
use std::time::Instant;

impl Jobs {
    /// Draw the list. Asks for a repaint only when a clock or countdown will change.
    pub fn ui(&mut self, ui: &mut egui::Ui, provider: ProviderKind, thumbs: &mut Thumbnails, actions: &mut Vec<Action>) {
        let now = Instant::now();
        let header = ui.horizontal_wrapped(|ui| {
            ui.strong("Jobs");
            ui.weak(format!("{} running", self.in_flight()));
            if ui.add_enabled(self.rows.iter().any(|r| r.finished), egui::Button::new("Clear finished")).clicked() {
                actions.push(Action::ClearFinishedJobs);
            }
        });
        // The list grows with its jobs up to a third of the window, then scrolls: on a small
        // laptop the gallery keeps most of the height. The panel takes the height measured
        // here (a panel left to size itself keeps the height of the first frame it was drawn
        // in, and cut the second row in half); a change is drawn again at once.
        let most = (ui.ctx().content_rect().height() / 3.0).max(style::JOBS_MIN_HEIGHT);
        let list = egui::ScrollArea::vertical().id_salt("easel-jobs").max_height(most).auto_shrink([false, true]).show(ui, |ui| {
            for row in &self.rows {
                ui.push_id(&row.id, |ui| row_ui(ui, row, (provider, now), thumbs, &mut self.confirm, actions));
            }
        });
        let wanted = header.response.rect.height() + ui.spacing().item_spacing.y + list.content_size.y.min(most);
        if (wanted - self.height).abs() > 0.5 {
            self.height = wanted;
            ui.ctx().request_repaint();
        }
        self.confirm_ui(ui.ctx(), actions);
        if let Some(tick) = self.rows.iter().filter_map(|r| r.next_tick(now)).min() {
            ui.ctx().request_repaint_after(tick);
        }
    }

    /// A retry that may be charged again asks first: the job made its pictures, or the service
    /// may already have made (and charged) it.
    fn confirm_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some(job) = self.confirm.clone() else { return };
        let Some(row) = self.rows.iter().find(|r| r.id == job) else {
            self.confirm = None;
            return;
        };
        let (title, why, yes) = match row.state {
            JobState::Done { .. } => (
                "Make it again?",
                "This job finished: its pictures are in the gallery. Making it again sends a new job, which the service charges again.",
                "Make it again (charged again)",
            ),
            JobState::Unknown => (
                "Send this job again?",
                "Easel stopped after sending this job and before any answer. The service may already have made it. Sending it again may charge a second time.",
                "Send again and maybe pay again",
            ),
            _ => (
                "Try this job again?",
                "The service may have made this job (and charged for it) before it failed. Trying again sends a new job, which may be charged again.",
                "Try again and maybe pay again",
            ),
        };
        let prompt = one_line(&row.settings.prompt);
        let modal = egui::Modal::new(egui::Id::unique("easel-retry-confirm")).show(ctx, |ui| {
            ui.set_max_width(440.0);
            ui.heading(title);
            ui.add(egui::Label::new(format!("\"{prompt}\"")).wrap());
            ui.add(egui::Label::new(why).wrap());
            ui.add_space(space::PARAGRAPH);
            ui.horizontal_wrapped(|ui| {
                if ui.button(yes).clicked() {
                    actions.push(Action::RetryJob(job.clone()));
                    self.confirm = None;
                }
                if ui.button("Keep it as it is").clicked() {
                    self.confirm = None;
                }
            });
        });
        if modal.should_close() {
            self.confirm = None;
        }
    }
}

impl JobRow {
    fn colour(&self, ui: &egui::Ui) -> egui::Color32 {
        match self.state {
            JobState::Done { .. } => style::good(ui),
            JobState::Failed { .. } => style::error(ui),
            JobState::Waiting { .. } | JobState::WaitingForRoom { .. } | JobState::Unknown => style::warn(ui),
            JobState::Cancelled => style::muted(ui),
            _ => style::text(ui),
        }
    }
}

fn row_ui(
    ui: &mut egui::Ui,
    row: &JobRow,
    (provider, now): (ProviderKind, Instant),
    thumbs: &mut Thumbnails,
    confirm: &mut Option<easel_engine::JobId>,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        status_dot(ui, row.colour(ui));
        row.picture_ui(ui, thumbs, actions);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            buttons_ui(ui, row, confirm, actions);
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.colored_label(row.colour(ui), row.state_text(now));
                ui.add(egui::Label::new(one_line(&row.settings.prompt)).truncate()).on_hover_text(&row.settings.prompt);
            });
        });
    });
    row.where_ui(ui);
    if let Some(note) = &row.note {
        ui.add(egui::Label::new(egui::RichText::new(note.as_str()).weak()).wrap());
    }
    let failed = matches!(row.state, JobState::Failed { .. } | JobState::Unknown);
    if let (true, Some(error)) = (failed, &row.error) {
        ui.indent("easel-job-advice", |ui| {
            failure_ui(ui, error);
            ui.horizontal_wrapped(|ui| {
                if let Some(fix) = Fix::for_failure(error.category, provider, &row.id) {
                    match (&fix, row.retry_at) {
                        (Fix::WaitAndRetry(_), Some(at)) => {
                            let left = at.saturating_duration_since(now).as_secs_f64().ceil();
                            if ui.button(format!("Retrying in {left} s (press to stop)")).clicked() {
                                actions.push(Action::WaitAndRetry(row.id.clone()));
                            }
                        }
                        _ => fix.button(ui, actions),
                    }
                }
                if ui
                    .button("Copy report")
                    .on_hover_text("Copy what Easel exchanged for this job, without your key, for support.")
                    .clicked()
                {
                    actions.push(Action::CopyJobReport(row.id.clone()));
                }
            });
        });
        ui.add_space(space::FIELD);
    }
}

/// Retry (asking first when it may be charged again) and Cancel.
fn buttons_ui(ui: &mut egui::Ui, row: &JobRow, confirm: &mut Option<easel_engine::JobId>, actions: &mut Vec<Action>) {
    let cancel = ui
        .add_enabled(!row.finished, egui::Button::new("Cancel"))
        .on_hover_text("Stop waiting for this job. If the service already started it, it may still be charged.");
    if cancel.clicked() {
        actions.push(Action::CancelJob(row.id.clone()));
    }
    let asks = row.retry_may_charge();
    let tip = if asks {
        "Run the same settings again as a new job. Easel asks first: it may be charged again."
    } else {
        "Run the same settings again as a new job."
    };
    if ui.add_enabled(row.finished, egui::Button::new("Retry")).on_hover_text(tip).clicked() {
        if asks {
            *confirm = Some(row.id.clone());
        } else {
            actions.push(Action::RetryJob(row.id.clone()));
        }
    }
}

/// A small coloured dot (egui's default font has no circle glyph).
fn status_dot(ui: &mut egui::Ui, colour: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, colour);
}
