//! The job list: one row per job, its state in words and honestly timed, and for a failure
//! what happened, what to do and the button that does it.
//!
//! - this file: the rows, and following the engine's events;
//! - `phase`: a phase in words, its clock and its estimate;
//! - `row`: drawing a row, and asking before a retry that may be charged again;
//! - `preview`: the picture in a row, rough while it is being made, then the stored one;
//! - `waiting`: the jobs of an earlier run that wait for their service's key.

mod phase;
mod preview;
mod row;
mod waiting;

pub use preview::{PREVIEW_SIDE, Preview};
pub use waiting::WaitingService;

use easel_engine::error::EngineError;
use easel_engine::request::GenerationSettings;
use easel_engine::store::ImageRecord;
use easel_engine::{Event, EventKind, JobId, JobState, ServiceInfo};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long "Wait and retry" waits.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);

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
    /// The job whose retry asks first (it may be charged again).
    confirm: Option<JobId>,
    /// Start-up resume reported: events for jobs not in the list are not kept any more.
    resume_done: bool,
    /// The service each job of this session went to (kept after its row is cleared, for
    /// "Copy as curl" and the diagnostics of that job).
    services: HashMap<JobId, ServiceInfo>,
    /// Services whose unfinished jobs from an earlier run wait for their key.
    waiting: Vec<WaitingService>,
    /// The height the list's panel wants (its header and rows as last drawn, the rows capped
    /// at a third of the window), measured while drawing.
    height: f32,
}

/// What start-up resume reports.
pub enum JobsMessage {
    /// The unfinished jobs it picked up (the error is a plain sentence).
    Resumed(Result<Resumed, String>),
}

/// What start-up resume picked up, and which services' jobs wait for their key.
pub struct Resumed {
    pub jobs: Vec<ResumedJob>,
    pub waiting_for_key: Vec<WaitingService>,
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
    /// When the job was sent (or picked up again at start-up).
    started: Instant,
    /// When the current phase began.
    since: Instant,
    /// When the current phase's first estimate runs out.
    deadline: Option<Instant>,
    /// When the job ended.
    finished_at: Option<Instant>,
    error: Option<EngineError>,
    /// "Trying the fallback model…", when it happened.
    note: Option<String>,
    finished: bool,
    /// The service took the job (it was being made): sending it again may be charged again.
    accepted: bool,
    /// "Wait and retry" was pressed: the retry goes out then.
    retry_at: Option<Instant>,
    /// Where it runs and with which model (from the engine's `Started`).
    service: Option<ServiceInfo>,
    model: Option<String>,
    /// The service keeps the pictures only until then ("14:05"): collect them before.
    collect_before: Option<String>,
    /// The rough picture while it is made (a small texture), until the stored one arrives.
    preview: Option<Preview>,
    /// The pictures it stored, in the order they arrived.
    images: Vec<ImageRecord>,
}

impl JobRow {
    fn new(id: JobId, batch: u64, settings: GenerationSettings, now: Instant) -> Self {
        Self {
            id,
            batch,
            settings,
            state: JobState::Queued,
            started: now,
            since: now,
            deadline: None,
            finished_at: None,
            error: None,
            note: None,
            finished: false,
            accepted: false,
            retry_at: None,
            service: None,
            model: None,
            collect_before: None,
            preview: None,
            images: Vec::new(),
        }
    }

    /// Whether a retry should ask first: the job made its pictures, or the service may have
    /// made (and charged) it.
    fn retry_may_charge(&self) -> bool {
        match &self.state {
            JobState::Done { .. } | JobState::Unknown => true,
            JobState::Failed { category } => self.accepted || super::advice::may_have_been_charged(*category),
            JobState::Cancelled => self.accepted,
            _ => false,
        }
    }
}

impl Jobs {
    /// Record the jobs of one submission; returns its batch number.
    pub fn submitted(&mut self, jobs: Vec<(JobId, GenerationSettings)>, now: Instant) -> u64 {
        self.batches += 1;
        let batch = self.batches;
        for (id, settings) in jobs {
            self.rows.insert(0, JobRow::new(id, batch, settings, now));
        }
        batch
    }

    /// Take in what start-up resume reported. Returns the sentence to show when it failed.
    pub fn on_message(&mut self, message: JobsMessage, now: Instant) -> Option<String> {
        match message {
            JobsMessage::Resumed(Ok(Resumed { jobs, waiting_for_key })) => {
                self.waiting = waiting_for_key;
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
            let mut row = JobRow::new(job.id, self.batches, job.settings, now);
            if job.unknown {
                row.enter(&JobState::Unknown, now);
                row.error = Some(easel_engine::unknown_job_error());
                row.finished = true;
            } else {
                row.enter(&JobState::Processing { eta_seconds: None }, now);
            }
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
        if let EventKind::Started { service, .. } = &event.kind {
            self.services.insert(job.clone(), service.clone());
        }
        let Some(row) = self.rows.iter_mut().find(|r| &r.id == job) else {
            if !self.resume_done && self.early.len() < EARLY_EVENTS {
                self.early.push(event.clone());
            }
            return;
        };
        match &event.kind {
            EventKind::State(state) => row.enter(state, now),
            EventKind::Error(error) => row.error = Some((**error).clone()),
            EventKind::Fallback { message, .. } => row.note = Some(message.clone()),
            EventKind::Finished { .. } => {
                row.finished = true;
                row.preview = None;
            }
            EventKind::Started { service, model, .. } => {
                row.service = Some(service.clone());
                row.model = Some(model.clone());
            }
            EventKind::CollectBefore { local, .. } => row.collect_before = Some(local.clone()),
            EventKind::Image(record) => {
                // The stored picture replaces the rough one.
                row.preview = None;
                row.collect_before = None;
                row.images.push((**record).clone());
            }
            _ => {}
        }
    }

    /// The height of the list's panel, without its frame: what the last frame measured.
    pub fn panel_height(&self) -> f32 {
        self.height.max(crate::app::style::JOBS_MIN_HEIGHT)
    }

    /// The services jobs of this session went to, each once, the first used first.
    pub fn used_services(&self) -> Vec<ServiceInfo> {
        let mut used: Vec<ServiceInfo> = Vec::new();
        for row in self.rows.iter().rev() {
            if let Some(service) = row.service.as_ref().filter(|s| !used.contains(s)) {
                used.push(service.clone());
            }
        }
        used
    }

    /// The service a job of this session went to.
    pub fn service_of(&self, job: &str) -> Option<&ServiceInfo> {
        self.services.get(job)
    }

    /// What a job is about, for saying it ended: its prompt, its first stored picture, the
    /// error it ended with.
    pub fn ended(&self, job: &str) -> Option<(&str, Option<&ImageRecord>, Option<&EngineError>)> {
        let row = self.rows.iter().find(|r| r.id == job)?;
        Some((row.settings.prompt.as_str(), row.images.first(), row.error.as_ref()))
    }

    /// How many jobs of an earlier run wait for their service's key.
    pub fn waiting_for_key(&self) -> usize {
        self.waiting.iter().map(|w| w.jobs).sum()
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

    /// "Wait and retry": send the job again once [`RETRY_AFTER`] has passed; pressed again
    /// before then, it is called off.
    pub fn retry_later(&mut self, job: &str, now: Instant) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == job) {
            row.retry_at = if row.retry_at.is_some() { None } else { Some(now + RETRY_AFTER) };
        }
    }

    /// The jobs whose "Wait and retry" is due: they go out now, once.
    pub fn due_retries(&mut self, now: Instant) -> Vec<JobId> {
        let mut due = Vec::new();
        for row in &mut self.rows {
            if row.retry_at.is_some_and(|at| at <= now) {
                row.retry_at = None;
                due.push(row.id.clone());
            }
        }
        due
    }

    /// When the next "Wait and retry" is due, for waking the window then.
    pub fn next_retry(&self, now: Instant) -> Option<Duration> {
        self.rows.iter().filter_map(|r| r.retry_at).min().map(|at| at.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_engine::retry::WaitReason;

    fn row(state: JobState, since: Instant) -> JobRow {
        let settings = GenerationSettings { prompt: "a fox".into(), model: "flux".into(), ..Default::default() };
        let mut row = JobRow::new("j-1".into(), 1, settings, since);
        row.enter(&state, since);
        row
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
        assert_eq!(r.state_text(start + Duration::from_secs(20)), "trying again (rate limit)");
    }

    /// An estimate counts down, and once it ran out the row says so with the time so far; a
    /// new poll's estimate does not wind the clock back ("about 1 s left", then "about 7 s").
    #[test]
    fn an_estimate_counts_down_then_says_it_is_taking_longer() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let mut r = row(JobState::Processing { eta_seconds: Some(8.0) }, start);
        assert_eq!(r.state_text(start), "being made, about 8 s left");
        assert_eq!(r.state_text(at(5)), "being made, about 3 s left");
        r.enter(&JobState::Processing { eta_seconds: Some(7.0) }, at(20));
        assert_eq!(r.state_text(at(20)), "being made, taking longer than expected (20 s so far)");
        assert_eq!(r.state_text(at(130)), "being made, taking longer than expected (2 min 10 s so far)");
        let next = r.next_tick(at(130) + Duration::from_millis(300)).unwrap();
        assert!(next > Duration::from_millis(600) && next <= Duration::from_millis(700), "once a second: {next:?}");
    }

    /// Every phase shows how long it has taken: a hung request is not just "sending".
    #[test]
    fn every_phase_shows_its_time_and_an_end_shows_the_whole() {
        let start = Instant::now();
        let mut r = row(JobState::Sending { attempt: 1 }, start);
        assert_eq!(r.state_text(start + Duration::from_secs(125)), "sending (2 min 5 s)");
        r.enter(&JobState::Sending { attempt: 2 }, start + Duration::from_secs(130));
        assert_eq!(r.state_text(start + Duration::from_secs(133)), "sending, try 2 (3 s)");
        r.enter(&JobState::Failed { category: easel_engine::error::ErrorCategory::Timeout }, start + Duration::from_secs(190));
        r.finished = true;
        assert_eq!(r.state_text(start + Duration::from_secs(999)), "failed after 3 min 10 s");
        assert!(r.next_tick(start + Duration::from_secs(999)).is_none(), "nothing counts any more: no repaints");
        assert!(r.retry_may_charge(), "a timed-out job may have been made");
    }

    #[test]
    fn wait_and_retry_goes_out_once_after_a_minute_and_a_second_press_calls_it_off() {
        let now = Instant::now();
        let mut jobs = Jobs::default();
        jobs.submitted(vec![("j-1".into(), GenerationSettings::default())], now);
        jobs.retry_later("j-1", now);
        assert!(jobs.due_retries(now + Duration::from_secs(59)).is_empty());
        assert_eq!(jobs.due_retries(now + RETRY_AFTER), ["j-1"]);
        assert!(jobs.due_retries(now + RETRY_AFTER).is_empty(), "once");
        jobs.retry_later("j-1", now);
        jobs.retry_later("j-1", now);
        assert!(jobs.due_retries(now + RETRY_AFTER).is_empty(), "called off");
    }
}
