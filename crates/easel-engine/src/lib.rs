//! The engine: turns a prompt into stored images through a provider's API.
//!
//! No egui in here. Both faces (the window in `app`, the command line in `cli`)
//! hand the engine settings and a key, and draw the [`Event`]s it sends back.
//! Work runs as tokio tasks on the runtime that was current when the engine was
//! made; nothing here blocks the caller.

pub mod capabilities;
mod config;
pub mod crash;
pub mod diagnostics;
pub mod doctor;
pub mod error;
pub mod export;
pub mod http;
pub mod intake;
mod job;
pub mod keys;
mod lookups;
pub mod mask;
pub mod provider;
mod recorder;
pub mod redact;
pub mod request;
pub mod retry;
pub mod start_images;
pub mod store;
pub mod text;

pub use config::{EngineConfig, ServiceSpec};

use diagnostics::Diagnostics;
use error::{EngineError, ErrorCategory};
use keys::ApiKey;
use provider::{Balance, Provider};
use request::ValidRequest;
use retry::{WaitReason, WaitSource};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{ImageRecord, Store};

/// A job's id (short, random, stable across restarts).
pub type JobId = String;

/// Where a job is, for the job list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a free slot (the concurrency limit).
    Queued,
    /// Handing a starting image to a service that takes images only by address (ModelsLab v7).
    Uploading,
    Sending {
        attempt: u32,
    },
    /// Waiting before the next try or poll.
    Waiting {
        seconds: f64,
        reason: WaitReason,
    },
    /// The provider is making it.
    Processing {
        eta_seconds: Option<f64>,
    },
    /// A synchronous server reports how far it has got (A1111).
    Generating {
        progress: f32,
        eta_seconds: Option<f64>,
    },
    Downloading {
        index: u32,
        total: u32,
    },
    Done {
        images: usize,
    },
    Failed {
        category: ErrorCategory,
    },
    Cancelled,
    /// Sent before Easel stopped, with no answer: maybe made and charged; not resubmitted.
    Unknown,
}

/// Something that happened to a job, or (without a job) to the engine itself: the
/// exchanges of a key check or a model list.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobId>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The kinds of event. The CLI's `--json` prints them as they are (plus its own `done`).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The job moved to a new state (for the window's job list).
    State(JobState),
    /// A request is about to go out (`model` is empty when the request is about no model).
    Request { endpoint: String, method: String, path: String, attempt: u32, model: String },
    /// An HTTP exchange finished: the full diagnostics record.
    Response(Box<Diagnostics>),
    /// The job waits before trying again or polling.
    Wait { seconds: f64, reason: WaitReason, source: WaitSource },
    /// The main model failed; the fallback model is tried once.
    Fallback { from: String, to: String, message: String },
    /// A rough version of the picture, sent while the service is still working on it
    /// (OpenAI's streaming previews). Never stored; the finished image follows as `Image`.
    Preview(Box<Preview>),
    /// An image is safely on disk.
    Image(Box<ImageRecord>),
    /// The job failed (images it already stored are kept).
    Error(Box<EngineError>),
    /// The job ended (successfully or not).
    Finished { ok: bool, images: usize },
}

/// A partial picture of a job still being made, checked like any image (intake's limits).
#[derive(Clone, Debug, Serialize)]
pub struct Preview {
    /// Which preview this is, from 0.
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub mime: &'static str,
    /// The encoded picture (PNG, JPEG or WebP); left out of `--json`.
    #[serde(skip)]
    pub bytes: bytes::Bytes,
}

/// Where events go. The window forwards them to its channel and requests a repaint;
/// the CLI prints them.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// How a job ended.
#[derive(Clone, Debug)]
pub struct JobOutcome {
    pub job: JobId,
    pub images: Vec<ImageRecord>,
    pub error: Option<EngineError>,
}

/// The engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Box<dyn Provider>,
    config: EngineConfig,
    clients: http::Clients,
    store: Store,
    /// Jobs in flight at once; fitted to the account's queue cap once the service says it.
    slots: Arc<job::Slots>,
    sink: EventSink,
    runtime: tokio::runtime::Handle,
    running: Mutex<HashMap<JobId, Running>>,
    models: Mutex<Option<Vec<String>>>,
    /// The per-attempt timeout for every model when set (`config.timeout` at first); the
    /// window's "Allow more time" changes it for the jobs sent after.
    timeout: Mutex<Option<Duration>>,
}

/// A job's task, and the key to interrupt it with on servers that can.
struct Running {
    abort: tokio::task::AbortHandle,
    key: Option<ApiKey>,
}

impl Engine {
    /// Build an engine. Call it inside a tokio runtime: jobs run on that runtime.
    pub fn new(config: EngineConfig, sink: EventSink) -> Result<Self, EngineError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| EngineError::new(ErrorCategory::Network).with_message("Internal error: the engine needs a tokio runtime."))?;
        let provider = config.provider.build(config.base_url.as_deref(), &config.options).map_err(|why| {
            EngineError::new(ErrorCategory::Validation)
                .with_message(format!("The server address is not usable: {why}."))
                .with_hint("Give an address like https://modelslab.com or http://127.0.0.1:7860.")
        })?;
        let store = Store::open(&config.data_dir).map_err(|e| {
            EngineError::new(ErrorCategory::Network)
                .with_message("Easel could not open its data folder.")
                .with_hint("Check that the data folder exists and is writable (EASEL_DATA_DIR moves it).")
                .with_detail(e.to_string())
        })?;
        let clients =
            http::Clients::new(config.policy.connect_timeout).map_err(|e| EngineError::new(ErrorCategory::Network).with_detail(e))?;
        let slots = job::Slots::new(config.concurrency, config.concurrency != config.provider.default_concurrency());
        let timeout = Mutex::new(config.timeout);
        Ok(Self {
            inner: Arc::new(Inner {
                provider,
                config,
                clients,
                store,
                slots,
                sink,
                runtime,
                running: Mutex::new(HashMap::new()),
                models: Mutex::new(None),
                timeout,
            }),
        })
    }

    pub fn provider(&self) -> &dyn Provider {
        self.inner.provider.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Start one job per candidate. Returns at once; events report progress.
    pub fn submit(&self, request: ValidRequest, key: impl Into<Option<ApiKey>>) -> Vec<(JobId, tokio::task::JoinHandle<JobOutcome>)> {
        let key = key.into();
        let batch_id = new_id("b");
        request
            .candidates
            .into_iter()
            .map(|settings| {
                let id = new_id("j");
                let job = job::Job::new(self.inner.clone(), id.clone(), batch_id.clone(), settings, key.clone());
                let handle = self.inner.runtime.spawn(job.run());
                self.track(&id, handle.abort_handle(), key.clone());
                (id, handle)
            })
            .collect()
    }

    fn track(&self, id: &str, abort: tokio::task::AbortHandle, key: Option<ApiKey>) {
        match self.inner.running.lock() {
            Ok(mut running) => {
                running.retain(|_, r| !r.abort.is_finished());
                running.insert(id.to_owned(), Running { abort, key });
            }
            // Only a panic while holding the list poisons it; the job still runs, but Cancel
            // cannot reach it.
            Err(_) => tracing::error!("job {id} cannot be cancelled: the list of running jobs was poisoned by a crash"),
        }
    }

    /// Submit and wait for every job to end (for the CLI).
    pub async fn run(&self, request: ValidRequest, key: impl Into<Option<ApiKey>>) -> Vec<JobOutcome> {
        let mut outcomes = Vec::new();
        for (id, handle) in self.submit(request, key) {
            outcomes.push(handle.await.unwrap_or_else(|e| JobOutcome {
                job: id,
                images: Vec::new(),
                error: Some(if e.is_cancelled() {
                    EngineError::new(ErrorCategory::Cancelled)
                } else {
                    EngineError::new(ErrorCategory::Network).with_message("Internal error: the job stopped unexpectedly.")
                }),
            }));
        }
        outcomes
    }

    /// Stop waiting for a job. A provider job already running may still finish (and charge).
    pub fn cancel(&self, job: &str) {
        let running = self.inner.running.lock().ok().and_then(|mut r| r.remove(job));
        if let Some(running) = running {
            running.abort.abort();
            // A synchronous server keeps working after we hang up: tell it to stop.
            if let Some(call) = self.inner.provider.interrupt(running.key.as_ref()) {
                let client = self.inner.clients.api.clone();
                let (job, redactor) = (job.to_owned(), redact::Redactor::new(running.key.as_ref()));
                self.inner.runtime.spawn(async move {
                    match http::send(&client, &call, Duration::from_secs(10), 1 << 20).await {
                        (Ok(reply), _) if (200..300).contains(&reply.status) => {}
                        (Ok(reply), _) => tracing::warn!("job {job}: the server did not stop it (HTTP {})", reply.status),
                        (Err(e), _) => tracing::warn!("job {job}: the server could not be told to stop it: {}", redactor.text(&e.text)),
                    }
                });
            }
        }
        let store = self.inner.store.clone();
        let sink = self.inner.sink.clone();
        let job = job.to_owned();
        self.inner.runtime.spawn_blocking(move || match store.cancel_job(&job) {
            Ok(true) => {
                sink(Event { job: Some(job.clone()), kind: EventKind::State(JobState::Cancelled) });
                sink(Event { job: Some(job), kind: EventKind::Finished { ok: false, images: 0 } });
            }
            Ok(false) => {}
            // Its task is stopped; only the library still says it is running, and the next
            // start will find it unfinished and settle it (it is never resubmitted).
            Err(e) => tracing::error!("job {job}: the library did not take its cancellation: {e}"),
        });
    }

    /// Pick up every job this provider and server did not finish (after a crash or a quit):
    /// jobs the provider was making are fetched by their stored id, never resubmitted; jobs
    /// sent without any answer are marked unknown (they may have been charged); jobs never
    /// sent are marked cancelled. Jobs of other providers or servers are left for their engine.
    pub fn resume(&self, key: impl Into<Option<ApiKey>>) -> Result<ResumeReport, EngineError> {
        let key = key.into();
        let unfinished = self.inner.store.unfinished_jobs().map_err(|e| {
            EngineError::new(ErrorCategory::Network).with_message("Easel could not read its library.").with_detail(e.to_string())
        })?;
        let provider = self.inner.provider.kind().id();
        let base_url = self.inner.provider.base_url().to_string();
        let mut report = ResumeReport::default();
        for job in unfinished {
            if job.provider != provider || job.base_url != base_url {
                report.other_servers += 1;
                continue;
            }
            let emit = |kind| (self.inner.sink)(Event { job: Some(job.id.clone()), kind });
            match (job.phase, job.remote) {
                (store::JobPhase::Processing | store::JobPhase::Downloading, Some(remote)) => {
                    let runner = job::Job::new(self.inner.clone(), job.id.clone(), job.batch_id.clone(), job.settings, key.clone());
                    let handle = self.inner.runtime.spawn(runner.resume(remote));
                    self.track(&job.id, handle.abort_handle(), key.clone());
                    report.resumed.push((job.id, handle));
                }
                (store::JobPhase::Pending, _) => {
                    let err = EngineError::new(ErrorCategory::Cancelled)
                        .with_message("Easel stopped before the service accepted this job, so nothing was charged.")
                        .with_hint("Press Retry to send it.");
                    self.settle(&job.id, store::JobPhase::Cancelled, &err);
                    emit(EventKind::Error(Box::new(err)));
                    emit(EventKind::State(JobState::Cancelled));
                    report.cancelled.push(job.id);
                }
                _ => {
                    let err = unknown_job_error();
                    self.settle(&job.id, store::JobPhase::Unknown, &err);
                    emit(EventKind::Error(Box::new(err)));
                    emit(EventKind::State(JobState::Unknown));
                    report.unknown.push(job.id);
                }
            }
        }
        Ok(report)
    }

    /// Write how an unfinished job from an earlier run ended. A failure is logged: the job
    /// stays unfinished in the library, and the next start settles it the same way.
    fn settle(&self, job: &str, phase: store::JobPhase, err: &EngineError) {
        if let Err(e) = self.inner.store.set_job_phase(job, phase, None, Some(err)) {
            tracing::error!("job {job}: the library did not take its phase '{}': {e}", phase.as_str());
        }
    }

    /// Check a key without generating anything: the provider's balance call. Its exchange
    /// leaves a diagnostics record, as an event with no job.
    /// `Ok(None)` when the provider has no balance to show but accepted the key.
    pub async fn check_key<'k>(&self, key: impl Into<Option<&'k ApiKey>>) -> Result<Option<Balance>, EngineError> {
        lookups::check_key(&self.inner, key.into()).await
    }

    /// Allow every try this long from now on (`None`: each model's usual time, 1 to 10 minutes).
    /// Jobs already waiting keep the time they started with.
    pub fn set_timeout(&self, timeout: Option<Duration>) {
        match self.inner.timeout.lock() {
            Ok(mut current) => *current = timeout,
            Err(_) => tracing::error!("the timeout could not be changed: its lock was poisoned by a crash"),
        }
    }

    /// The per-attempt timeout set for every model, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout.lock().ok().and_then(|t| *t)
    }

    /// Forget the cached model list, so the next [`Engine::list_models`] asks the server again.
    pub fn forget_models(&self) {
        if let Ok(mut cache) = self.inner.models.lock() {
            *cache = None;
        }
    }

    /// The server's models (ModelsLab's public list, A1111 checkpoints, OpenAI image models),
    /// fetched once and cached. Its exchange leaves a diagnostics record, as an event with no job.
    /// Empty for providers without a list; typing any id stays possible.
    pub async fn list_models(&self, key: Option<&ApiKey>) -> Result<Vec<String>, EngineError> {
        if let Some(cached) = self.inner.models.lock().ok().and_then(|m| m.clone()) {
            return Ok(cached);
        }
        let models = lookups::list_models(&self.inner, key).await?;
        if let Ok(mut cache) = self.inner.models.lock() {
            *cache = Some(models.clone());
        }
        Ok(models)
    }
}

/// What `resume` found.
#[derive(Default)]
pub struct ResumeReport {
    /// Jobs being fetched again by their provider id.
    pub resumed: Vec<(JobId, tokio::task::JoinHandle<JobOutcome>)>,
    /// Jobs that were sent without an answer: not resubmitted automatically.
    pub unknown: Vec<JobId>,
    /// Jobs that were never sent.
    pub cancelled: Vec<JobId>,
    /// Unfinished jobs that belong to another provider or server.
    pub other_servers: usize,
}

/// What a person sees for a job that was sent but never answered before Easel stopped.
pub fn unknown_job_error() -> EngineError {
    EngineError::new(ErrorCategory::Network)
        .with_message("Unknown: Easel stopped after sending this job and before any answer, so it was not resubmitted automatically.")
        .with_hint("The provider may have made (and charged) it. Resubmit only if you want it made again: that may charge a second time.")
}

/// A short random id with a prefix, e.g. `j-3f9a0c12d4e5`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}
