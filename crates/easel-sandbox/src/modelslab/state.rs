//! ModelsLab's state in one sandbox: the job table that fetch answers from (v6 and v7 share it),
//! the ids handed out to jobs and uploads, and how many submissions were admitted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;

use super::{Api, answers};
use crate::SandboxConfig;
use crate::image_store::StoredFile;
use crate::in_flight::JobSlot;
use crate::shared::lock;

/// The first job id handed out; later ones count up from it.
const FIRST_JOB_ID: u64 = 13_441_520;

/// ModelsLab-specific state of one sandbox.
pub(crate) struct ProtocolState {
    next_id: AtomicU64,
    /// Generation requests admitted so far (scenarios like `rate_limited` script the first few).
    submissions: AtomicUsize,
    /// Jobs by id, oldest first. Only [`crate::Scenario::DuplicateId`] puts several under one id.
    jobs: Mutex<HashMap<String, Vec<Job>>>,
}

impl Default for ProtocolState {
    fn default() -> Self {
        Self { next_id: AtomicU64::new(FIRST_JOB_ID), submissions: AtomicUsize::new(0), jobs: Mutex::default() }
    }
}

impl ProtocolState {
    /// A fresh id for a job or an upload.
    pub(super) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// How many queued jobs are not finished (what `processing/request_count` answers).
    pub(super) fn processing(&self) -> usize {
        lock(&self.jobs).values().flatten().filter(|job| job.is_pending()).count()
    }

    /// Counts one admitted submission; returns how many came before it.
    pub(super) fn next_submission(&self) -> usize {
        self.submissions.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn insert(&self, job: Job) {
        lock(&self.jobs).entry(job.key()).or_default().push(job);
    }

    /// Answers one fetch of job `id`, or `None` if there is no such job.
    ///
    /// With duplicate ids the oldest unfinished job answers, so every job completes in turn.
    pub(super) fn poll(&self, id: &str, config: &SandboxConfig) -> Option<Value> {
        let mut jobs = lock(&self.jobs);
        let same_id = jobs.get_mut(id)?;
        let job = match same_id.iter().position(Job::is_pending) {
            Some(index) => &mut same_id[index],
            None => same_id.last_mut()?,
        };
        Some(job.poll(config))
    }
}

/// A job id as it appears in a fetch URL: a string as it is, a number in decimal.
pub(super) fn fetch_key(id: &Value) -> String {
    match id {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    }
}

/// How a queued job ends.
#[derive(Clone, Copy)]
pub(super) enum Plan {
    Succeed,
    Fail,
    Never,
}

/// Whether a job still counts as in flight.
enum Progress {
    /// Queued; the slot is held only so that dropping it ends the job's in-flight time.
    Pending {
        _slot: JobSlot,
    },
    Finished,
}

/// One generation job, kept so that fetch can answer for it.
pub(super) struct Job {
    api: Api,
    id: Value,
    submitted: Instant,
    /// Fetches answered `processing` so far.
    polls: u32,
    plan: Plan,
    progress: Progress,
    /// The output files, published when the job succeeds.
    files: Vec<Arc<StoredFile>>,
    output: Value,
    /// `messege` or `message`.
    message_key: &'static str,
}

/// What a queued job is made of.
pub(super) struct QueuedJob {
    pub(super) api: Api,
    pub(super) id: Value,
    pub(super) plan: Plan,
    /// The job's place in the in-flight count, given up when it completes.
    pub(super) slot: JobSlot,
    /// The output files, published but unavailable until the job succeeds.
    pub(super) files: Vec<Arc<StoredFile>>,
    pub(super) output: Value,
    pub(super) message_key: &'static str,
}

impl Job {
    /// A job that was answered at once and is already complete.
    pub(super) fn finished(id: Value, output: Value, api: Api) -> Self {
        Self {
            api,
            id,
            submitted: Instant::now(),
            polls: 0,
            plan: Plan::Succeed,
            progress: Progress::Finished,
            files: Vec::new(),
            output,
            message_key: "message",
        }
    }

    /// A job that fetch completes once it is due.
    pub(super) fn queued(job: QueuedJob) -> Self {
        let QueuedJob { api, id, plan, slot, files, output, message_key } = job;
        Self { api, id, submitted: Instant::now(), polls: 0, plan, progress: Progress::Pending { _slot: slot }, files, output, message_key }
    }

    fn key(&self) -> String {
        fetch_key(&self.id)
    }

    fn is_pending(&self) -> bool {
        matches!(self.progress, Progress::Pending { .. })
    }

    /// Answers one fetch: `processing` until the job is due, then its final body.
    fn poll(&mut self, config: &SandboxConfig) -> Value {
        if self.is_pending() {
            let due = !matches!(self.plan, Plan::Never)
                && self.submitted.elapsed() >= config.job_duration
                && self.polls >= config.processing_polls;
            if !due {
                self.polls += 1;
                return answers::still_processing(self.message_key);
            }
            self.progress = Progress::Finished;
            if matches!(self.plan, Plan::Succeed) {
                self.files.iter().for_each(|file| file.make_available());
            }
        }
        self.final_body()
    }

    /// What a fetch of the completed job answers (a `Never` job is never completed): the
    /// documented fetch answer is bare, with no `meta`.
    fn final_body(&self) -> Value {
        match self.plan {
            Plan::Fail => answers::failed(&self.id),
            Plan::Succeed | Plan::Never => answers::fetched(&self.id, &self.output, self.api),
        }
    }
}
