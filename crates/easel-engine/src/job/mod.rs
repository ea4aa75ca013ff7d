//! One job's life: queued → sending → (waiting) → processing → downloading → done | failed.
//!
//! The same loop serves every provider, in rooms of one purpose: sending the generation (and
//! any uploads) in `send`, polling a job the provider is still making in `poll`, downloading,
//! checking and storing its images in `collect` (and, when the disk has no room, holding them
//! until it has: `room`), what it cost in `cost`, and the job's side of each exchange (progress
//! while it runs, waits, the errors a person reads) in `exchange`. Each HTTP exchange leaves
//! one diagnostics record ([`crate::recorder`]); every wait and give-up is decided by
//! [`crate::retry`] and recorded; the job's phase is written to the library before each step,
//! so a job the provider is still making can be fetched after a crash instead of being sent
//! (and paid for) again. A job carries its service ([`ServiceRt`]): its provider and its
//! concurrency limit.

mod collect;
mod cost;
mod exchange;
mod poll;
mod prepare;
mod room;
mod send;
mod slots;

pub(crate) use slots::Slots;

use crate::cost::Ticket;
use crate::error::{EngineError, ErrorCategory};
use crate::keys::ApiKey;
use crate::provider::{ApiOutcome, Finished, InitImage, RemoteJob, TokenUsage};
use crate::recorder::Recorder;
use crate::request::GenerationSettings;
use crate::service::ServiceRt;
use crate::start_images;
use crate::store::{self, ImageRecord, JobPhase, NewJob, StoreError};
use crate::{EventKind, Inner, JobOutcome, JobState};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The images a job stored, or those it stored before the error that ended it.
type Collected = Result<Vec<ImageRecord>, (Vec<ImageRecord>, EngineError)>;

/// What names a job: its id, its press of Generate, its try-on-several-models group and its
/// place in it.
pub(crate) struct Ids {
    pub id: String,
    pub batch: String,
    pub group: Option<String>,
    pub place: u32,
}

pub(crate) struct Job {
    inner: Arc<Inner>,
    service: Arc<ServiceRt>,
    id: String,
    batch_id: String,
    group: Option<String>,
    place: u32,
    settings: GenerationSettings,
    key: Option<ApiKey>,
    /// Sends this job's calls and keeps their diagnostics records.
    recorder: Recorder,
    /// The loaded starting image, for image-to-image.
    init_images: Vec<InitImage>,
    /// The loaded mask, for inpainting.
    mask_image: Option<InitImage>,
    /// The library already says `done` (written with the last image).
    done_in_store: bool,
    /// How long the service keeps the outputs of the request it accepted, when it says.
    outputs_kept: Option<Duration>,
    /// Until when the service keeps this job's outputs (ms since the epoch), once known.
    collect_before_ms: Option<i64>,
    /// Its outputs are addresses the service still serves: a job that could not store them can
    /// be collected again later, never sent again.
    collectable_later: bool,
    /// What the service said the job used (OpenAI's tokens).
    usage: Option<TokenUsage>,
}

impl Job {
    pub(crate) fn new(inner: Arc<Inner>, service: Arc<ServiceRt>, ids: Ids, settings: GenerationSettings, key: Option<ApiKey>) -> Self {
        let recorder = Recorder::new(inner.clone(), service.spec.kind, Some(ids.id.clone()), key.as_ref());
        Self {
            inner,
            service,
            id: ids.id,
            batch_id: ids.batch,
            group: ids.group,
            place: ids.place,
            settings,
            key,
            recorder,
            init_images: Vec::new(),
            mask_image: None,
            done_in_store: false,
            outputs_kept: None,
            collect_before_ms: None,
            collectable_later: false,
            usage: None,
        }
    }

    fn emit(&self, kind: EventKind) {
        self.recorder.emit(kind);
    }

    fn state(&self, state: JobState) {
        self.emit(EventKind::State(state));
    }

    /// Say where the job runs and what it asks, then that it waits for a slot.
    fn started(&self) {
        self.emit(EventKind::Started { service: self.service.info(), model: self.settings.model.clone(), group: self.group.clone() });
        self.state(JobState::Queued);
    }

    /// Write the job's phase. What resuming after a crash reads, so a failure is logged; every
    /// phase but `sent` may be lost without harm (see [`Job::phase_before_sending`]): the job
    /// then looks less far along than it is, and a job that looks sent is never resubmitted.
    async fn phase(&self, phase: JobPhase, remote: Option<&RemoteJob>, error: Option<&EngineError>) {
        if let Err(why) = self.write_phase(phase, remote, error).await {
            tracing::error!("job {}: the library did not take its phase '{}': {why}", self.id, phase.as_str());
        }
    }

    /// Write `sent` before a request goes out. Without it, a crash would leave the job looking
    /// never sent, and starting again would call it "nothing was charged": so when the library
    /// does not take it, the request is not sent.
    async fn phase_before_sending(&self) -> Result<(), EngineError> {
        self.write_phase(JobPhase::Sent, None, None).await.map_err(|why| {
            tracing::error!("job {}: the library did not take its phase 'sent', so it was not sent: {why}", self.id);
            store::storage_error(&why, "Easel could not note in its library that it is sending this job, so it did not send it.")
        })
    }

    async fn write_phase(&self, phase: JobPhase, remote: Option<&RemoteJob>, error: Option<&EngineError>) -> Result<(), StoreError> {
        let store = self.inner.store.clone();
        let (id, remote, error) = (self.id.clone(), remote.cloned(), error.cloned());
        in_store(move || store.set_job_phase(&id, phase, remote.as_ref(), error.as_ref())).await
    }

    pub(crate) async fn run(mut self) -> JobOutcome {
        self.started();
        let provider_id = self.service.spec.kind.id();
        let base_url = self.service.provider.base_url().to_string();
        let wanted_key = store::cache_key(provider_id, &base_url, &self.settings);

        // Record the job before anything is sent.
        let recorded = {
            let store = self.inner.store.clone();
            let (id, batch, settings, key) = (self.id.clone(), self.batch_id.clone(), self.settings.clone(), wanted_key.clone());
            let (service, group, place) = (self.service.spec.clone(), self.group.clone(), self.place);
            in_store(move || {
                store.insert_job(&NewJob {
                    cache_key: key.as_deref(),
                    service: Some(&service),
                    group_id: group.as_deref(),
                    group_place: place,
                    ..NewJob::new(&id, &batch, provider_id, &base_url, &settings)
                })
            })
            .await
        };
        if let Err(why) = recorded {
            tracing::error!("job {}: the library did not record it, so it was not sent: {why}", self.id);
            let err = store::storage_error(&why, "Easel could not record the job in its library, so it did not send it.");
            return self.fail(Vec::new(), err).await;
        }

        // A fixed seed with identical settings is answered from the library, where the
        // service honours seeds (elsewhere the same settings make another picture).
        if self.settings.seed_from_person
            && self.service.provider.capabilities(&self.settings.model).seed
            && let Some(key) = &wanted_key
            && let Some(images) = self.answer_from_cache(key).await
        {
            return images;
        }

        let permit = match self.service.slots.acquire().await {
            Ok(p) => p,
            Err(_) => return self.fail(Vec::new(), EngineError::new(ErrorCategory::Cancelled)).await,
        };
        let ticket = crate::cost::Ledger::enter(&self.inner, &self.service, self.key.as_ref(), &self.id, &mut self.recorder).await;
        let result = self.generate_and_collect().await;
        drop(permit);
        self.settle_cost(&result, ticket).await;
        self.finish(result).await
    }

    /// Pick up a job the provider was making when Easel stopped: fetch it by its stored id
    /// (or download its recorded outputs). It is never sent again.
    pub(crate) async fn resume(mut self, remote: RemoteJob, collect_before_ms: Option<i64>) -> JobOutcome {
        self.started();
        self.collect_before_ms = collect_before_ms;
        let permit = match self.service.slots.acquire().await {
            Ok(p) => p,
            Err(_) => return self.fail(Vec::new(), EngineError::new(ErrorCategory::Cancelled)).await,
        };
        let started = Instant::now();
        let finished = if remote.id.is_empty() {
            Ok(Finished {
                remote_id: None,
                outputs: remote.future_links.clone(),
                seeds: remote.seeds.clone(),
                made: remote.made.clone(),
                usage: None,
            })
        } else {
            self.poll(remote, started).await
        };
        let result = match finished {
            Ok(f) => self.collect(f, started).await,
            Err(e) => Err((Vec::new(), e)),
        };
        drop(permit);
        // Charged before the restart: what it cost can no longer be measured.
        self.settle_cost(&result, None::<Ticket>).await;
        self.finish(result).await
    }

    async fn finish(self, result: Collected) -> JobOutcome {
        match result {
            Ok(images) => {
                if !self.done_in_store {
                    self.mark_done().await;
                }
                self.state(JobState::Done { images: images.len() });
                self.emit(EventKind::Finished { ok: true, images: images.len() });
                JobOutcome { job: self.id, images, error: None }
            }
            Err((images, err)) => self.fail(images, err).await,
        }
    }

    /// Mark the job done in the library. Its images are stored already; should this fail, the
    /// next start fetches or downloads the job again (never resubmits it), so it is logged.
    async fn mark_done(&self) {
        let real_key = self.real_cache_key();
        let store = self.inner.store.clone();
        let id = self.id.clone();
        if let Err(why) = in_store(move || store.finish_job(&id, real_key.as_deref())).await {
            tracing::error!("job {}: the library did not mark it done: {why}", self.id);
        }
    }

    /// The cache key of the settings that really made the images (after a fallback, another
    /// model's).
    fn real_cache_key(&self) -> Option<String> {
        store::cache_key(self.service.spec.kind.id(), self.service.provider.base_url().as_str(), &self.settings)
    }

    /// End the job with `err`. A job whose pictures could not be saved but are still at the
    /// service stays unfinished in the library, to be collected later (never sent again), and
    /// says until when the service keeps them.
    async fn fail(self, images: Vec<ImageRecord>, err: EngineError) -> JobOutcome {
        if err.category == ErrorCategory::Storage && self.collectable_later {
            if let Some(until_ms) = self.collect_before_ms {
                self.emit(EventKind::CollectBefore { until_ms, local: self.local_clock(until_ms).await });
            }
        } else {
            self.phase(JobPhase::Failed, None, Some(&err)).await;
        }
        self.emit(EventKind::Error(Box::new(err.clone())));
        self.state(JobState::Failed { category: err.category });
        self.emit(EventKind::Finished { ok: false, images: images.len() });
        JobOutcome { job: self.id, images, error: Some(err) }
    }

    /// `ms` on the wall clock ("14:05"), read off the async threads.
    async fn local_clock(&self, ms: i64) -> String {
        let store = self.inner.store.clone();
        in_store(move || store.local_clock(ms)).await.unwrap_or_else(|why| {
            tracing::warn!("the local time could not be read: {why}");
            store::utc_clock(ms)
        })
    }

    /// The images of an earlier job with the same settings and seed, if the library has them
    /// all. A library that cannot be read answers nothing: the job is then made as usual.
    async fn answer_from_cache(&self, key: &str) -> Option<JobOutcome> {
        let store = self.inner.store.clone();
        let key = key.to_owned();
        let mut images = match in_store(move || store.cached_images(&key)).await {
            Ok(images) => images,
            Err(why) => {
                tracing::warn!("job {}: the library's earlier images could not be read, so it is made anew: {why}", self.id);
                return None;
            }
        };
        if images.is_empty() {
            return None;
        }
        for image in &mut images {
            image.cached = true;
            self.emit(EventKind::Image(Box::new(image.clone())));
        }
        self.phase(JobPhase::Done, None, None).await;
        self.state(JobState::Done { images: images.len() });
        self.emit(EventKind::Finished { ok: true, images: images.len() });
        Some(JobOutcome { job: self.id.clone(), images, error: None })
    }

    async fn generate_and_collect(&mut self) -> Collected {
        let started = Instant::now();
        // What the service says of the model comes first: the start images are fitted to it.
        if self.settings.upscale.is_none() {
            self.check_with_service().await.map_err(|e| (Vec::new(), e))?;
        }
        self.load_images().await.map_err(|e| (Vec::new(), e))?;
        self.prepare_images().await.map_err(|e| (Vec::new(), e))?;
        self.upload_images().await.map_err(|e| (Vec::new(), e))?;
        let finished = match self.generate().await.map_err(|e| (Vec::new(), e))? {
            ApiOutcome::Finished(f) => f,
            ApiOutcome::Processing(remote) => self.poll(remote, started).await.map_err(|e| (Vec::new(), e))?,
            ApiOutcome::Failed(f) => return Err((Vec::new(), self.error_from(&f, None, None))),
        };
        self.collect(finished, started).await
    }

    /// Let the provider put the start images and mask in the form its service takes
    /// (OpenAI: the mask as transparency), off the async threads; nothing is sent before.
    async fn prepare_images(&mut self) -> Result<(), EngineError> {
        if self.init_images.is_empty() && self.mask_image.is_none() {
            return Ok(());
        }
        let service = self.service.clone();
        let settings = self.settings.clone();
        let (mut init, mut mask) = (std::mem::take(&mut self.init_images), self.mask_image.take());
        let prepared = off_thread(move || service.provider.prepare_images(&settings, &mut init, &mut mask).map(|()| (init, mask))).await;
        let (init, mask) = prepared.map_err(|why| {
            EngineError::new(ErrorCategory::Validation)
                .with_message(format!("The start image or mask could not be made ready for the service: {why}"))
                .with_hint("Choose another image or mask. Nothing was sent.")
        })?;
        self.init_images = init;
        self.mask_image = mask;
        Ok(())
    }

    /// The per-attempt timeout for the current model.
    fn attempt_timeout(&self) -> Duration {
        let set = self.inner.timeout.lock().ok().and_then(|t| *t);
        set.unwrap_or_else(|| self.service.provider.speed(&self.settings.model).attempt_timeout())
    }
}

/// Run library work off the async threads; a worker that stopped comes back as the library's
/// error.
async fn in_store<T: Send + 'static>(work: impl FnOnce() -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => Err(StoreError::Io { path: Default::default(), source: std::io::Error::other(e.to_string()) }),
    }
}

/// Run blocking work (files) off the async threads. Its failure, or the worker's, comes back
/// as text.
async fn off_thread<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// What a loaded picture is for: how it is made ready for the service.
#[derive(Clone, Copy)]
enum Role {
    /// A start image: upright, scaled to what the model makes.
    Start,
    /// A picture to enlarge: upright, at its own size.
    Source,
    /// A mask: white-is-change grey at the first start image's final size.
    Mask { width: u32, height: u32 },
}

impl Job {
    /// Load the start images and the mask, each made ready the way its role says.
    async fn load_images(&mut self) -> Result<(), EngineError> {
        let role = if self.settings.upscale.is_some() { Role::Source } else { Role::Start };
        let caps = self.service.provider.capabilities(&self.settings.model);
        for init in self.settings.init_images.clone() {
            self.init_images.push(load_image(init.path, "start image", role, caps.clone()).await?);
        }
        if let (Some(mask), Some(first)) = (self.settings.mask_image.clone(), self.init_images.first()) {
            let role = Role::Mask { width: first.width, height: first.height };
            self.mask_image = Some(load_image(mask.path, "mask", role, caps).await?);
        }
        Ok(())
    }
}

/// Load a start image, picture to enlarge or mask off the async threads, and make it ready
/// for the service (see [`crate::start_images`]).
async fn load_image(
    path: std::path::PathBuf,
    what: &'static str,
    role: Role,
    caps: crate::capabilities::Capabilities,
) -> Result<InitImage, EngineError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let read = off_thread(move || -> Result<InitImage, String> {
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        match role {
            Role::Start => start_images::prepare_start(&bytes, &caps),
            Role::Source => start_images::prepare_source(&bytes),
            Role::Mask { width, height } => start_images::prepare_mask(&bytes, width, height),
        }
    })
    .await;
    read.map_err(|why| {
        EngineError::new(ErrorCategory::Validation)
            .with_message(format!("The {what} {name} could not be used: {why}."))
            .with_hint("Choose the picture again (it may have been moved or changed). Nothing was sent.")
    })
}
