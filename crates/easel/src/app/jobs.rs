//! The job list: one row per job, its state in words, counting down while it waits.

use super::actions::Action;
use super::style::{self, space};
use super::words::one_line_cut;
use easel_engine::error::EngineError;
use easel_engine::request::GenerationSettings;
use easel_engine::{Event, EventKind, JobId, JobState};
use std::time::{Duration, Instant};

/// Longest prompt excerpt shown in a row.
const PROMPT_CHARS: usize = 48;

/// Most events kept for jobs the list does not know yet (resume reports them first).
const EARLY_EVENTS: usize = 256;

/// Every job started in this session, newest first.
#[derive(Default)]
pub struct Jobs {
    rows: Vec<JobRow>,
    /// Counts presses of Generate (and retries), to group candidates in the gallery.
    batches: u64,
    /// Events for jobs not in the list yet: start-up resume sends them before its report
    /// reaches the window. Replayed when the job's row is added.
    early: Vec<Event>,
    /// The job whose "Resubmit…" asks for confirmation.
    confirm: Option<JobId>,
    /// Start-up resume reported: events for jobs not in the list are not kept any more.
    resume_done: bool,
}

/// What start-up resume reports.
pub enum JobsMessage {
    /// The unfinished jobs it picked up (the error is a plain sentence).
    Resumed(Result<Resumed, String>),
}

/// What start-up resume picked up, and how many jobs wait for their service's key.
pub struct Resumed {
    pub jobs: Vec<ResumedJob>,
    pub waiting_for_key: usize,
}

/// A job picked up again at start-up, and what it was sent with.
pub struct ResumedJob {
    pub id: JobId,
    pub settings: GenerationSettings,
    /// Sent before Easel stopped, with no answer: not resubmitted automatically.
    pub unknown: bool,
}

/// One job.
struct JobRow {
    id: JobId,
    batch: u64,
    /// What was sent, so Retry can send it again.
    settings: GenerationSettings,
    state: JobState,
    /// When the current state began (for countdowns).
    since: Instant,
    error: Option<EngineError>,
    /// "Trying the fallback model…", when it happened.
    note: Option<String>,
    finished: bool,
}

impl JobRow {
    /// The state in words: "waiting 12 s (rate limit)", "failed: …".
    fn state_text(&self, now: Instant) -> String {
        let left = |seconds: f64| (seconds - now.duration_since(self.since).as_secs_f64()).max(0.0).ceil();
        match &self.state {
            JobState::Queued => "queued".to_owned(),
            JobState::Uploading => "uploading the start image".to_owned(),
            JobState::Sending { attempt: 1 } => "sending".to_owned(),
            JobState::Sending { attempt } => format!("sending (try {attempt})"),
            JobState::Waiting { seconds, reason } => format!("waiting {} s ({})", left(*seconds), reason.label()),
            JobState::Processing { eta_seconds: Some(eta) } if left(*eta) > 0.0 => {
                format!("processing, about {} s left", left(*eta))
            }
            JobState::Processing { .. } => "processing".to_owned(),
            JobState::Generating { progress, eta_seconds } => match eta_seconds {
                Some(eta) if *eta >= 1.0 => format!("generating {:.0}%, about {:.0} s left", progress * 100.0, eta),
                _ => format!("generating {:.0}%", progress * 100.0),
            },
            JobState::Downloading { index, total } => format!("downloading {index}/{total}"),
            JobState::WaitingForRoom { pictures, seconds, problem } => {
                format!("{problem} Keeping {pictures} picture(s), saving again in {} s. Nothing is sent again.", left(*seconds))
            }
            JobState::Done { .. } => "done".to_owned(),
            JobState::Failed { category } => match &self.error {
                Some(error) => format!("failed: {}", error.message),
                None => format!("failed: {}", category.info().message),
            },
            JobState::Cancelled => "cancelled".to_owned(),
            JobState::Unknown => "unknown: Easel stopped before the answer came (it may have been made and charged)".to_owned(),
        }
    }

    /// Seconds until the countdown text next changes, while there is one.
    fn next_tick(&self, now: Instant) -> Option<Duration> {
        let seconds = match self.state {
            JobState::Waiting { seconds, .. }
            | JobState::Processing { eta_seconds: Some(seconds) }
            | JobState::WaitingForRoom { seconds, .. } => seconds,
            _ => return None,
        };
        let left = seconds - now.duration_since(self.since).as_secs_f64();
        (left > 0.0).then(|| Duration::from_secs_f64(left.fract().max(0.05)))
    }

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

impl Jobs {
    /// Record the jobs of one submission; returns its batch number.
    pub fn submitted(&mut self, jobs: Vec<(JobId, GenerationSettings)>, now: Instant) -> u64 {
        self.batches += 1;
        let batch = self.batches;
        for (id, settings) in jobs {
            let row = JobRow { id, batch, settings, state: JobState::Queued, since: now, error: None, note: None, finished: false };
            self.rows.insert(0, row);
        }
        batch
    }

    /// Take in what start-up resume reported. Returns the sentence to show when it failed.
    pub fn on_message(&mut self, message: JobsMessage, now: Instant) -> Option<String> {
        match message {
            JobsMessage::Resumed(Ok(Resumed { jobs, .. })) => {
                self.resumed(jobs, now);
                self.drop_early_events();
                None
            }
            JobsMessage::Resumed(Err(why)) => Some(why),
        }
    }

    /// Add the jobs start-up resume picked up: fetched ones keep running, unknown ones wait
    /// for the person to resubmit them. Events that came before are replayed.
    pub fn resumed(&mut self, jobs: Vec<ResumedJob>, now: Instant) {
        for job in jobs {
            if self.rows.iter().any(|r| r.id == job.id) {
                continue;
            }
            self.batches += 1;
            let (state, error) = if job.unknown {
                (JobState::Unknown, Some(easel_engine::unknown_job_error()))
            } else {
                (JobState::Processing { eta_seconds: None }, None)
            };
            let row = JobRow {
                id: job.id,
                batch: self.batches,
                settings: job.settings,
                finished: job.unknown,
                state,
                since: now,
                error,
                note: None,
            };
            self.rows.insert(0, row);
        }
        for event in std::mem::take(&mut self.early) {
            self.on_event(&event, now);
        }
        self.resume_done = true;
    }

    /// Follow an engine event.
    pub fn on_event(&mut self, event: &Event, now: Instant) {
        // The engine's own exchanges (a key check, a model list) belong to no job.
        let Some(job) = &event.job else { return };
        let Some(row) = self.rows.iter_mut().find(|r| &r.id == job) else {
            if !self.resume_done && self.early.len() < EARLY_EVENTS {
                self.early.push(event.clone());
            }
            return;
        };
        match &event.kind {
            EventKind::State(state) => {
                row.state = state.clone();
                row.since = now;
            }
            EventKind::Error(error) => row.error = Some((**error).clone()),
            EventKind::Fallback { message, .. } => row.note = Some(message.clone()),
            EventKind::Finished { .. } => row.finished = true,
            _ => {}
        }
    }

    /// The batch a job belongs to, for grouping its images.
    pub fn batch_of(&self, job: &str) -> Option<u64> {
        self.rows.iter().find(|r| r.id == job).map(|r| r.batch)
    }

    /// What a job sent, for Retry.
    pub fn settings_of(&self, job: &str) -> Option<&GenerationSettings> {
        self.rows.iter().find(|r| r.id == job).map(|r| &r.settings)
    }

    /// Jobs that have not ended.
    pub fn in_flight(&self) -> usize {
        self.rows.iter().filter(|r| !r.finished).count()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn clear_finished(&mut self) {
        self.rows.retain(|r| !r.finished);
    }

    /// Forget the events kept for unknown jobs (resume is done and did not claim them).
    pub fn drop_early_events(&mut self) {
        self.early.clear();
    }

    /// Draw the list. Asks for a repaint when a countdown will change.
    pub fn ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let now = Instant::now();
        ui.horizontal(|ui| {
            ui.strong("Jobs");
            ui.weak(format!("{} running", self.in_flight()));
            if ui.add_enabled(self.rows.iter().any(|r| r.finished), egui::Button::new("Clear finished")).clicked() {
                actions.push(Action::ClearFinishedJobs);
            }
        });
        egui::ScrollArea::vertical().id_salt("easel-jobs").auto_shrink([false, true]).show(ui, |ui| {
            for row in &self.rows {
                ui.push_id(&row.id, |ui| row_ui(ui, row, now, &mut self.confirm, actions));
            }
        });
        self.confirm_ui(ui.ctx(), actions);
        if let Some(tick) = self.rows.iter().filter_map(|r| r.next_tick(now)).min() {
            ui.ctx().request_repaint_after(tick);
        }
    }
}

impl Jobs {
    /// "Resubmit…" asks first: the provider may already have made (and charged) the job.
    fn confirm_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some(job) = self.confirm.clone() else { return };
        let prompt = self.rows.iter().find(|r| r.id == job).map(|r| one_line_cut(&r.settings.prompt, PROMPT_CHARS));
        let Some(prompt) = prompt else {
            self.confirm = None;
            return;
        };
        let modal = egui::Modal::new(egui::Id::unique("easel-resubmit")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading("Resubmit this job?");
            ui.label(format!("\"{prompt}\""));
            ui.label(
                "Easel stopped after sending this job and before any answer. The service may already have \
                 made it. Resubmitting sends it again as a new job, which may charge a second time.",
            );
            ui.add_space(space::PARAGRAPH);
            ui.horizontal(|ui| {
                if ui.button("Resubmit and maybe pay again").clicked() {
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

fn row_ui(ui: &mut egui::Ui, row: &JobRow, now: Instant, confirm: &mut Option<JobId>, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        status_dot(ui, row.colour(ui));
        ui.add(egui::Label::new(one_line_cut(&row.settings.prompt, PROMPT_CHARS)).truncate()).on_hover_text(&row.settings.prompt);
        let state = ui.colored_label(row.colour(ui), row.state_text(now));
        if let Some(error) = &row.error {
            state.on_hover_text(format!("What to do: {}", error.hint));
        }
        if let Some(note) = &row.note {
            ui.weak(note);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let retry_tip = if matches!(row.state, JobState::Failed { .. }) {
                "Run the same settings again as a new job. The service may charge for it again."
            } else {
                "Run the same settings again as a new job."
            };
            if matches!(row.state, JobState::Unknown) {
                let tip = "Send the same settings again as a new job. Easel asks first: it may charge a second time.";
                if ui.button("Resubmit…").on_hover_text(tip).clicked() {
                    *confirm = Some(row.id.clone());
                }
            } else if ui.add_enabled(row.finished, egui::Button::new("Retry")).on_hover_text(retry_tip).clicked() {
                actions.push(Action::RetryJob(row.id.clone()));
            }
            let cancel = ui
                .add_enabled(!row.finished, egui::Button::new("Cancel"))
                .on_hover_text("Stop waiting for this job. If the service already started it, it may still be charged.");
            if cancel.clicked() {
                actions.push(Action::CancelJob(row.id.clone()));
            }
        });
    });
}

/// A small coloured dot (egui's default font has no circle glyph).
fn status_dot(ui: &mut egui::Ui, colour: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, colour);
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_engine::retry::WaitReason;

    fn row(state: JobState, since: Instant) -> JobRow {
        JobRow {
            id: "j-1".into(),
            batch: 1,
            settings: GenerationSettings { prompt: "a fox".into(), model: "flux".into(), ..Default::default() },
            state,
            since,
            error: None,
            note: None,
            finished: false,
        }
    }

    #[test]
    fn events_that_come_before_a_resumed_row_are_replayed() {
        let now = Instant::now();
        let mut jobs = Jobs::default();
        let done = Event { job: Some("j-9".into()), kind: EventKind::Finished { ok: true, images: 1 } };
        jobs.on_event(&done, now);
        let settings = row(JobState::Queued, now).settings;
        jobs.resumed(vec![ResumedJob { id: "j-9".into(), settings: settings.clone(), unknown: false }], now);
        assert_eq!(jobs.in_flight(), 0, "the early Finished event was applied");
        jobs.resumed(vec![ResumedJob { id: "j-8".into(), settings, unknown: true }], now);
        let unknown = jobs.rows.iter().find(|r| r.id == "j-8").unwrap();
        assert!(unknown.finished && unknown.state_text(now).starts_with("unknown: "));
        assert!(jobs.settings_of("j-8").is_some(), "Resubmit sends these settings");
    }

    #[test]
    fn waits_count_down_in_whole_seconds() {
        let start = Instant::now();
        let r = row(JobState::Waiting { seconds: 12.0, reason: WaitReason::RateLimited }, start);
        assert_eq!(r.state_text(start), "waiting 12 s (rate limit)");
        assert_eq!(r.state_text(start + Duration::from_millis(2500)), "waiting 10 s (rate limit)");
        assert_eq!(r.state_text(start + Duration::from_secs(20)), "waiting 0 s (rate limit)");
        assert!(r.next_tick(start + Duration::from_secs(20)).is_none(), "no repaints once it reached zero");
        let p = row(JobState::Processing { eta_seconds: Some(8.0) }, start);
        assert_eq!(p.state_text(start), "processing, about 8 s left");
        assert_eq!(p.state_text(start + Duration::from_secs(9)), "processing");
    }
}
