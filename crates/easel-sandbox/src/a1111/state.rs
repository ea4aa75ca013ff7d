//! A1111's state in one sandbox: the queue lock that runs one generation at a time, the
//! progress of the running one (A1111's `shared.state`), and the loaded checkpoint.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::catalog::{CHECKPOINTS, Checkpoint};
use crate::shared::lock;

/// A1111-specific state of one sandbox.
pub(crate) struct ProtocolState {
    /// One generation at a time, as A1111's `queue_lock`.
    queue: tokio::sync::Mutex<()>,
    progress: Mutex<ProgressState>,
    /// Generation requests admitted so far (`server_error_once` fails the first).
    submissions: AtomicUsize,
    /// Index into [`CHECKPOINTS`] of the `sd_model_checkpoint` option.
    checkpoint: AtomicUsize,
}

impl Default for ProtocolState {
    fn default() -> Self {
        Self {
            queue: tokio::sync::Mutex::new(()),
            progress: Mutex::default(),
            submissions: AtomicUsize::new(0),
            checkpoint: AtomicUsize::new(0),
        }
    }
}

/// What `/sdapi/v1/progress` reports.
#[derive(Default)]
struct ProgressState {
    running: Option<Running>,
    /// Set by an interrupt; cleared when the next generation begins.
    interrupted: bool,
    job_timestamp: String,
}

/// The generation being held.
pub(super) struct Running {
    pub(super) started: Instant,
    pub(super) duration: Duration,
    pub(super) steps: u32,
    pub(super) job_count: u32,
    /// Notified by an interrupt.
    pub(super) interrupt: Arc<Notify>,
}

/// How far the running generation has got, as `/sdapi/v1/progress` reports it.
pub(super) struct Progress {
    /// 0 when idle; below 1 while running.
    pub(super) fraction: f64,
    pub(super) eta_seconds: f64,
    /// "Batch 1 out of 2", or empty when idle.
    pub(super) job: String,
    pub(super) job_count: u32,
    pub(super) job_no: u32,
    pub(super) sampling_step: u32,
    pub(super) sampling_steps: u32,
    pub(super) interrupted: bool,
    pub(super) job_timestamp: String,
}

impl ProtocolState {
    /// Counts one admitted submission; returns how many came before it.
    pub(super) fn next_submission(&self) -> usize {
        self.submissions.fetch_add(1, Ordering::Relaxed)
    }

    /// The checkpoint of the `sd_model_checkpoint` option.
    pub(super) fn loaded_checkpoint(&self) -> &'static Checkpoint {
        &CHECKPOINTS[self.checkpoint.load(Ordering::Relaxed)]
    }

    /// Loads the checkpoint `name` answers to; `false` if none does.
    pub(super) fn load_checkpoint(&self, name: &str) -> bool {
        match CHECKPOINTS.iter().position(|checkpoint| checkpoint.answers_to(name)) {
            Some(index) => {
                self.checkpoint.store(index, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Waits for the turn to generate (A1111's queue lock); the turn ends when the guard drops.
    pub(super) async fn take_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.queue.lock().await
    }

    /// Reports `running` as the current generation and clears the last interrupt.
    pub(super) fn begin(&self, running: Running, job_timestamp: String) {
        let mut state = lock(&self.progress);
        state.running = Some(running);
        state.interrupted = false;
        state.job_timestamp = job_timestamp;
    }

    /// Reports that nothing runs any more.
    pub(super) fn finish(&self) {
        lock(&self.progress).running = None;
    }

    /// Ends the running generation, if any. Like A1111's `State.interrupt()`, the flag is set
    /// even when nothing runs.
    pub(super) fn interrupt(&self) {
        let mut state = lock(&self.progress);
        state.interrupted = true;
        if let Some(running) = &state.running {
            running.interrupt.notify_one();
        }
    }

    pub(super) fn progress(&self) -> Progress {
        let state = lock(&self.progress);
        let (fraction, eta_seconds, job, job_count, job_no, sampling_step, sampling_steps) = match &state.running {
            None => (0.0, 0.0, String::new(), 0, 0, 0, 0),
            Some(running) => {
                let elapsed = running.started.elapsed();
                let fraction =
                    if running.duration.is_zero() { 0.0 } else { (elapsed.as_secs_f64() / running.duration.as_secs_f64()).min(0.99) };
                let all_steps = running.steps * running.job_count;
                let done = (fraction * f64::from(all_steps)) as u32;
                let job_no = done / running.steps;
                let eta = running.duration.saturating_sub(elapsed).as_secs_f64();
                let job = format!("Batch {} out of {}", job_no + 1, running.job_count);
                (fraction, eta, job, running.job_count, job_no, done % running.steps, running.steps)
            }
        };
        Progress {
            fraction,
            eta_seconds,
            job,
            job_count,
            job_no,
            sampling_step,
            sampling_steps,
            interrupted: state.interrupted,
            job_timestamp: state.job_timestamp.clone(),
        }
    }
}
