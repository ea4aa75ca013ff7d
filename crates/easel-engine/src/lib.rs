//! The engine: turns a prompt into stored images through the APIs of any number of services.
//!
//! No egui in here. Both faces (the window in `app`, the command line in `cli`) hand the engine
//! settings, a service and a key, and draw the [`Event`]s it sends back. Each job carries its
//! service ([`Service`]: provider, server, concurrency limit), so jobs on several services run
//! at once, and each is picked up again on its own service after a restart ([`Engine::resume_with`]).
//! Work runs as tokio tasks on the runtime that was current when the engine was made; nothing
//! here blocks the caller.

pub mod capabilities;
mod config;
pub mod cost;
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
mod resume;
pub mod retry;
mod service;
pub mod start_images;
pub mod store;
pub mod text;

pub use config::{EngineConfig, ServiceSpec};
pub use resume::{ResumeReport, ServiceFilter, ServiceResume, WaitingForKey};
pub use service::{Service, ServiceInfo};

use cost::{Estimate, JobCost};
use diagnostics::Diagnostics;
use error::{EngineError, ErrorCategory};
use keys::ApiKey;
use provider::{Balance, Provider};
use request::ValidRequest;
use retry::{WaitReason, WaitSource};
use serde::Serialize;
use service::{ServiceKey, ServiceRt};
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
    /// Waiting for a free slot (the service's concurrency limit).
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
    /// Pictures arrived but the disk has no room (or the data folder cannot be written):
    /// `pictures` wait to be saved (held in memory, or still at the service), trying again in
    /// `seconds`; `problem` says why in one sentence ("The disk is full."). Nothing is sent again.
    WaitingForRoom {
        pictures: usize,
        seconds: f64,
        problem: String,
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
    /// A job began (or was picked up again after a restart): where it runs and what it asks.
    Started {
        service: ServiceInfo,
        model: String,
        /// The try-on-several-models group it belongs to, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
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
    /// What the job cost, once known (it may come after `finished` when jobs on the same key
    /// overlapped: the balance is read once the last of them ends).
    Cost(Box<JobCost>),
    /// The job's pictures could not be collected yet; the service keeps them until `until_ms`
    /// (ms since the epoch), `local` is that time in words ("14:05", "14:05 tomorrow").
    CollectBefore { until_ms: i64, local: String },
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

/// One request for one service, with the key for it: a member of a try-on-several-models group.
pub struct Target {
    pub service: Service,
    pub request: ValidRequest,
    pub key: Option<ApiKey>,
}

/// Jobs started by one submission: each job's id, service and task.
pub struct Submitted {
    /// The try-on-several-models group, for [`Store::group`] (`None` for a single service).
    pub group: Option<String>,
    pub jobs: Vec<(JobId, Service, tokio::task::JoinHandle<JobOutcome>)>,
}

/// The engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: EngineConfig,
    clients: http::Clients,
    store: Store,
    sink: EventSink,
    runtime: tokio::runtime::Handle,
    /// The first service (the configuration's), and every service a job has named since.
    first: Arc<ServiceRt>,
    services: Mutex<HashMap<ServiceKey, Arc<ServiceRt>>>,
    running: Mutex<HashMap<JobId, Running>>,
    ledger: cost::Ledger,
    /// The per-attempt timeout for every model when set (`config.timeout` at first); the
    /// window's "Allow more time" changes it for the jobs sent after.
    timeout: Mutex<Option<Duration>>,
}

/// A job's task, and what interrupting it on servers that can takes.
struct Running {
    abort: tokio::task::AbortHandle,
    key: Option<ApiKey>,
    service: Arc<ServiceRt>,
}

impl Engine {
    /// Build an engine. Call it inside a tokio runtime: jobs run on that runtime.
    pub fn new(config: EngineConfig, sink: EventSink) -> Result<Self, EngineError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| EngineError::new(ErrorCategory::Network).with_message("Internal error: the engine needs a tokio runtime."))?;
        // A number the person chose is never raised by what the service says its queue allows.
        let chosen = config.concurrency != config.provider.default_concurrency();
        let first = Arc::new(ServiceRt::build(&config.service(), config.concurrency, chosen)?);
        let store = Store::open(&config.data_dir).map_err(|e| store::storage_error(&e, "Easel could not open its data folder."))?;
        let clients =
            http::Clients::new(config.policy.connect_timeout).map_err(|e| EngineError::new(ErrorCategory::Network).with_detail(e))?;
        let services = Mutex::new(HashMap::from([(first.key(), first.clone())]));
        let timeout = Mutex::new(config.timeout);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                clients,
                store,
                sink,
                runtime,
                first,
                services,
                running: Mutex::new(HashMap::new()),
                ledger: cost::Ledger::default(),
                timeout,
            }),
        })
    }

    /// The first service's provider.
    pub fn provider(&self) -> &dyn Provider {
        self.inner.first.provider.as_ref()
    }

    /// The first service (the one the configuration names).
    pub fn default_service(&self) -> Service {
        Service { inner: self.inner.clone(), rt: self.inner.first.clone() }
    }

    /// The service `spec` names, built the first time it is asked for (an address the provider
    /// refuses is a validation error). Jobs on one service share its concurrency limit.
    pub fn connect(&self, spec: &ServiceSpec) -> Result<Service, EngineError> {
        let built = ServiceRt::build(spec, spec.kind.default_concurrency(), false)?;
        let rt = match self.inner.services.lock() {
            Ok(mut services) => services.entry(built.key()).or_insert_with(|| Arc::new(built)).clone(),
            Err(_) => Arc::new(built),
        };
        Ok(Service { inner: self.inner.clone(), rt })
    }

    /// Let `limit` jobs run at once on `service`, as the person chose: what the service later
    /// says its queue allows may lower it, never raise it.
    pub fn set_concurrency(&self, service: &Service, limit: usize) {
        let _entered = self.inner.runtime.enter();
        service.rt.slots.choose(limit);
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Start one job per candidate on the first service. Returns at once; events report progress.
    pub fn submit(&self, request: ValidRequest, key: impl Into<Option<ApiKey>>) -> Vec<(JobId, tokio::task::JoinHandle<JobOutcome>)> {
        self.submit_to(&self.default_service(), request, key)
    }

    /// Start one job per candidate on `service`.
    pub fn submit_to(
        &self,
        service: &Service,
        request: ValidRequest,
        key: impl Into<Option<ApiKey>>,
    ) -> Vec<(JobId, tokio::task::JoinHandle<JobOutcome>)> {
        self.start(service, request, key.into(), None).into_iter().map(|(id, _, handle)| (id, handle)).collect()
    }

    /// Try one prompt on several models, on one service or several: every target's jobs start
    /// at once and belong to one group, which the library keeps side by side ([`Store::group`]).
    /// One target is an ordinary submission (no group).
    pub fn submit_group(&self, targets: Vec<Target>) -> Submitted {
        let group = (targets.len() > 1).then(|| new_id("g"));
        let jobs = targets
            .into_iter()
            .enumerate()
            .flat_map(|(place, target)| {
                let group = group.as_deref().map(|g| (g, place as u32));
                self.start(&target.service, target.request, target.key, group)
            })
            .collect();
        Submitted { group, jobs }
    }

    fn start(
        &self,
        service: &Service,
        request: ValidRequest,
        key: Option<ApiKey>,
        group: Option<(&str, u32)>,
    ) -> Vec<(JobId, Service, tokio::task::JoinHandle<JobOutcome>)> {
        let batch_id = new_id("b");
        request
            .candidates
            .into_iter()
            .map(|settings| {
                let id = new_id("j");
                let ids = job::Ids {
                    id: id.clone(),
                    batch: batch_id.clone(),
                    group: group.map(|(g, _)| g.to_owned()),
                    place: group.map_or(0, |(_, p)| p),
                };
                let job = job::Job::new(self.inner.clone(), service.rt.clone(), ids, settings, key.clone());
                let handle = self.inner.runtime.spawn(job.run());
                self.track(&id, handle.abort_handle(), key.clone(), &service.rt);
                (id, service.clone(), handle)
            })
            .collect()
    }

    fn track(&self, id: &str, abort: tokio::task::AbortHandle, key: Option<ApiKey>, service: &Arc<ServiceRt>) {
        match self.inner.running.lock() {
            Ok(mut running) => {
                running.retain(|_, r| !r.abort.is_finished());
                running.insert(id.to_owned(), Running { abort, key, service: service.clone() });
            }
            // Only a panic while holding the list poisons it; the job still runs, but Cancel
            // cannot reach it.
            Err(_) => tracing::error!("job {id} cannot be cancelled: the list of running jobs was poisoned by a crash"),
        }
    }

    /// Submit to the first service and wait for every job to end (for the CLI).
    pub async fn run(&self, request: ValidRequest, key: impl Into<Option<ApiKey>>) -> Vec<JobOutcome> {
        join_all(self.submit(request, key)).await
    }

    /// Submit a group and wait for every job to end (for the CLI).
    pub async fn run_group(&self, targets: Vec<Target>) -> Vec<JobOutcome> {
        join_all(self.submit_group(targets).jobs.into_iter().map(|(id, _, handle)| (id, handle)).collect()).await
    }

    /// Stop waiting for a job. A provider job already running may still finish (and charge).
    pub fn cancel(&self, job: &str) {
        let running = self.inner.running.lock().ok().and_then(|mut r| r.remove(job));
        if let Some(running) = running {
            running.abort.abort();
            // A synchronous server keeps working after we hang up: tell it to stop.
            if let Some(call) = running.service.provider.interrupt(running.key.as_ref()) {
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

    /// Pick up every job an earlier run did not finish, each on its own service, with `key` for
    /// the first service (services that need no key run without one; the others wait for their
    /// key: see [`Engine::resume_with`]).
    pub fn resume(&self, key: impl Into<Option<ApiKey>>) -> Result<ResumeReport, EngineError> {
        let key = key.into();
        let first = self.default_service();
        self.resume_with(&ServiceFilter::default(), &|service: &Service| {
            if service.is(&first) {
                Ok(key.clone())
            } else {
                keys::key_or_none(None, service.kind().needs_key(), || no_key(service)).map(|found| found.map(|(key, _)| key))
            }
        })
    }

    /// Pick up every job an earlier run did not finish (after a crash or a quit) that `only`
    /// names, each on its own service with the key `keys` gives for it (blocking is fine: the
    /// key store is a D-Bus call on Linux): jobs the provider was making are fetched by their
    /// stored id, never resubmitted; jobs sent without any answer are marked unknown (they may
    /// have been charged); jobs never sent are marked cancelled. A job whose key is not
    /// available says so and stays as it is, to be picked up when it is.
    pub fn resume_with(
        &self,
        only: &ServiceFilter,
        keys: &dyn Fn(&Service) -> Result<Option<ApiKey>, EngineError>,
    ) -> Result<ResumeReport, EngineError> {
        resume::resume(self, only, keys)
    }

    /// Check a key with the first service ([`Service::check_key`]).
    pub async fn check_key<'k>(&self, key: impl Into<Option<&'k ApiKey>>) -> Result<Option<Balance>, EngineError> {
        self.default_service().check_key(key).await
    }

    /// Allow every try this long from now on (`None`: each model's usual time, 1 to 10 minutes),
    /// on every service. Jobs already waiting keep the time they started with.
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

    /// Forget the first service's cached model list ([`Service::forget_models`]).
    pub fn forget_models(&self) {
        self.default_service().forget_models();
    }

    /// The first service's models ([`Service::list_models`]).
    pub async fn list_models(&self, key: Option<&ApiKey>) -> Result<Vec<String>, EngineError> {
        self.default_service().list_models(key).await
    }

    /// What the jobs of each `(service, request, key)` should cost, before anything is sent,
    /// with a warning when they could cost more than the balance last seen for that key.
    /// Reads the library (what a model cost when last measured): off the UI thread.
    pub fn estimate(&self, targets: &[(&Service, &ValidRequest, Option<&ApiKey>)]) -> Estimate {
        let store = &self.inner.store;
        let measured = |service: &Service, model: &str| match store.last_measured_cost(service.kind().id(), &service.info().base_url, model)
        {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!("what {model} cost before could not be read, so its estimate is unknown: {e}");
                None
            }
        };
        let balance = |service: &Service, key: Option<&ApiKey>| self.inner.ledger.known(&service.rt, key);
        Estimate::of(targets, measured, balance)
    }

    /// The balance last seen for `key` on `service` (read by a key check or around jobs).
    pub fn known_balance(&self, service: &Service, key: Option<&ApiKey>) -> Option<Balance> {
        self.inner.ledger.known(&service.rt, key)
    }
}

/// Wait for every job's task; a task that did not end by itself is reported as such.
async fn join_all(jobs: Vec<(JobId, tokio::task::JoinHandle<JobOutcome>)>) -> Vec<JobOutcome> {
    let mut outcomes = Vec::new();
    for (id, handle) in jobs {
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

/// What a job on `service` says when no key for it was given.
fn no_key(service: &Service) -> EngineError {
    EngineError::new(ErrorCategory::Auth)
        .with_message(format!("No API key for {} is available, so its unfinished jobs wait.", service.label()))
        .with_hint("Add the key for this service (in the window, or with easel key set), then open Easel or run easel resume again.")
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
