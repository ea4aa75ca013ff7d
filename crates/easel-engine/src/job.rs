//! One job's life: queued → sending → (waiting) → processing → downloading → done | failed.
//!
//! The same loop serves every provider. Each HTTP exchange produces one
//! diagnostics record; each wait and each give-up is decided by `retry` and
//! recorded; the job's phase is written to the library before each step, so a
//! job the provider is still making can be fetched after a crash instead of
//! being sent (and paid for) again.

use super::diagnostics::{self, Diagnostics, ErrorSummary, RequestIds, WaitInfo, interesting_headers, now_rfc3339};
use super::error::{EngineError, ErrorCategory};
use super::http::{self, MAX_API_BODY, TransportError, TransportKind};
use super::intake::{self, IntakeError, OutputEntry, VerifiedImage};
use super::keys::ApiKey;
use super::provider::{
    ApiFailure, ApiOutcome, Balance, Finished, GenerateRequest, HttpCall, InitImage, Method, Parsed, RemoteJob, Reply, Retry,
};
use super::redact::Redactor;
use super::request::{GenerationSettings, Seed};
use super::retry::{self, Decision, WaitReason, WaitSource};
use super::store::{self, ImageRecord, JobPhase, NewImage, NewJob};
use super::{Event, EventKind, Inner, JobOutcome, JobState};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub(super) struct Job {
    inner: Arc<Inner>,
    id: String,
    batch_id: String,
    settings: GenerationSettings,
    key: Option<ApiKey>,
    redactor: Redactor,
    /// The loaded starting image, for image-to-image.
    init_image: Option<InitImage>,
    /// The loaded mask, for inpainting.
    mask_image: Option<InitImage>,
    /// Counts every HTTP exchange of this job, for the diagnostics "attempt" column.
    exchanges: u32,
    /// The library already says `done` (written with the last image).
    done_in_store: bool,
}

/// How one exchange went, before interpretation.
enum Exchange {
    Reply(Reply),
    Transport(TransportError),
}

impl Job {
    pub(super) fn new(inner: Arc<Inner>, id: String, batch_id: String, settings: GenerationSettings, key: Option<ApiKey>) -> Self {
        let redactor = Redactor::new(key.as_ref());
        Self { inner, id, batch_id, settings, key, redactor, init_image: None, mask_image: None, exchanges: 0, done_in_store: false }
    }

    fn emit(&self, kind: EventKind) {
        (self.inner.sink)(Event { job: self.id.clone(), kind });
    }

    fn state(&self, state: JobState) {
        self.emit(EventKind::State(state));
    }

    /// Write the job's phase; a library failure is reported but does not stop a paid job.
    async fn phase(&self, phase: JobPhase, remote: Option<&RemoteJob>, error: Option<&EngineError>) {
        let store = self.inner.store.clone();
        let (id, remote, error) = (self.id.clone(), remote.cloned(), error.cloned());
        let _ = tokio::task::spawn_blocking(move || store.set_job_phase(&id, phase, remote.as_ref(), error.as_ref())).await;
    }

    pub(super) async fn run(mut self) -> JobOutcome {
        self.state(JobState::Queued);
        let provider_id = self.inner.provider.kind().id();
        let base_url = self.inner.provider.base_url().to_string();
        let wanted_key = store::cache_key(provider_id, &base_url, &self.settings);

        // Record the job before anything is sent.
        let recorded = {
            let store = self.inner.store.clone();
            let (id, batch, settings, key) = (self.id.clone(), self.batch_id.clone(), self.settings.clone(), wanted_key.clone());
            tokio::task::spawn_blocking(move || {
                store.insert_job(&NewJob {
                    id: &id,
                    batch_id: &batch,
                    provider: provider_id,
                    base_url: &base_url,
                    settings: &settings,
                    cache_key: key.as_deref(),
                })
            })
            .await
        };
        if !matches!(recorded, Ok(Ok(()))) {
            let err = EngineError::new(ErrorCategory::Network)
                .with_message("Easel could not record the job in its library, so it did not send it.")
                .with_hint("Check that the data folder is writable and the disk is not full.");
            return self.fail(Vec::new(), err).await;
        }

        // A fixed seed with identical settings is answered from the library.
        if self.settings.seed_from_person
            && let Some(key) = &wanted_key
            && let Some(images) = self.answer_from_cache(key).await
        {
            return images;
        }

        let permit = match self.inner.slots.clone().acquire_owned().await {
            Ok(p) => p,
            Err(_) => return self.fail(Vec::new(), EngineError::new(ErrorCategory::Cancelled)).await,
        };
        let result = self.generate_and_collect().await;
        drop(permit);
        self.finish(result).await
    }

    /// Pick up a job the provider was making when Easel stopped: fetch it by its stored id
    /// (or download its recorded outputs). It is never sent again.
    pub(super) async fn resume(mut self, remote: RemoteJob) -> JobOutcome {
        self.state(JobState::Queued);
        let permit = match self.inner.slots.clone().acquire_owned().await {
            Ok(p) => p,
            Err(_) => return self.fail(Vec::new(), EngineError::new(ErrorCategory::Cancelled)).await,
        };
        let started = Instant::now();
        let finished = if remote.id.is_empty() {
            Ok(Finished { remote_id: None, outputs: remote.future_links.clone(), seeds: Vec::new() })
        } else {
            self.poll(remote, started).await
        };
        let result = match finished {
            Ok(f) => self.collect(f, started).await,
            Err(e) => Err((Vec::new(), e)),
        };
        drop(permit);
        self.finish(result).await
    }

    async fn finish(self, result: Result<Vec<ImageRecord>, (Vec<ImageRecord>, EngineError)>) -> JobOutcome {
        match result {
            Ok(images) => {
                if !self.done_in_store {
                    let real_key = self.real_cache_key();
                    let store = self.inner.store.clone();
                    let id = self.id.clone();
                    let _ = tokio::task::spawn_blocking(move || store.finish_job(&id, real_key.as_deref())).await;
                }
                self.state(JobState::Done { images: images.len() });
                self.emit(EventKind::Finished { ok: true, images: images.len() });
                JobOutcome { job: self.id, images, error: None }
            }
            Err((images, err)) => self.fail(images, err).await,
        }
    }

    /// The cache key of the settings that really made the images (after a fallback, another
    /// model's).
    fn real_cache_key(&self) -> Option<String> {
        store::cache_key(self.inner.provider.kind().id(), self.inner.provider.base_url().as_str(), &self.settings)
    }

    async fn fail(self, images: Vec<ImageRecord>, err: EngineError) -> JobOutcome {
        self.phase(JobPhase::Failed, None, Some(&err)).await;
        self.emit(EventKind::Error(Box::new(err.clone())));
        self.state(JobState::Failed { category: err.category });
        self.emit(EventKind::Finished { ok: false, images: images.len() });
        JobOutcome { job: self.id, images, error: Some(err) }
    }

    async fn answer_from_cache(&self, key: &str) -> Option<JobOutcome> {
        let store = self.inner.store.clone();
        let key = key.to_owned();
        let mut images = tokio::task::spawn_blocking(move || store.cached_images(&key)).await.ok()?.ok()?;
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

    async fn generate_and_collect(&mut self) -> Result<Vec<ImageRecord>, (Vec<ImageRecord>, EngineError)> {
        let started = Instant::now();
        if let Some(init) = self.settings.init_image.clone() {
            self.init_image = Some(load_init_image(init.path, "starting image").await.map_err(|e| (Vec::new(), e))?);
        }
        if let Some(mask) = self.settings.mask_image.clone() {
            self.mask_image = Some(load_init_image(mask.path, "mask").await.map_err(|e| (Vec::new(), e))?);
        }
        self.upload_images().await.map_err(|e| (Vec::new(), e))?;
        let finished = match self.generate().await.map_err(|e| (Vec::new(), e))? {
            ApiOutcome::Finished(f) => f,
            ApiOutcome::Processing(remote) => self.poll(remote, started).await.map_err(|e| (Vec::new(), e))?,
            ApiOutcome::Failed(f) => return Err((Vec::new(), self.error_from(&f, None, None))),
        };
        self.collect(finished, started).await
    }

    /// The per-attempt timeout for the current model.
    fn attempt_timeout(&self) -> Duration {
        self.inner.config.timeout.unwrap_or_else(|| self.inner.provider.speed(&self.settings.model).attempt_timeout())
    }

    /// Send the generation request, with rate-limit waits, one server-error retry,
    /// and one try of the fallback model.
    async fn generate(&mut self) -> Result<ApiOutcome, EngineError> {
        let policy = self.inner.config.policy.clone();
        let mut rate_limited_tries = 0u32;
        let mut server_retries = 0u32;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let request =
                GenerateRequest { settings: &self.settings, init_image: self.init_image.as_ref(), mask_image: self.mask_image.as_ref() };
            let call = self.inner.provider.generate(&request, self.key.as_ref());
            self.state(JobState::Sending { attempt });
            self.phase(JobPhase::Sent, None, None).await;
            let timeout = self.attempt_timeout();
            let (exchange, mut record) = self.exchange_with_progress(&call, timeout).await;
            let reply = match exchange {
                Exchange::Reply(reply) => reply,
                Exchange::Transport(t) => {
                    let err = transport_error(&t, timeout);
                    let retryable = matches!(t.kind, TransportKind::Reset | TransportKind::Connect);
                    if retryable && server_retries < policy.server_error_retries {
                        server_retries += 1;
                        self.wait_after(&mut record, policy.server_error_wait, WaitReason::ServerError, WaitSource::Backoff).await;
                        continue;
                    }
                    if retryable && self.switch_to_fallback() {
                        server_retries = 0;
                        self.finish_record(record, None);
                        continue;
                    }
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
            };
            let parsed = self.inner.provider.parse_generation(&reply);
            self.annotate(&mut record, &parsed);
            let failure = match parsed.outcome {
                ApiOutcome::Failed(f) => f,
                outcome => {
                    self.finish_record(record, None);
                    return Ok(outcome);
                }
            };
            match failure.retry {
                Retry::RateLimited => {
                    rate_limited_tries += 1;
                    // Refused, not queued: nothing is in flight or charged while we wait.
                    self.phase(JobPhase::Pending, None, None).await;
                    self.wait_for_rate_limit(record, rate_limited_tries, &failure, &reply, parsed.body_id.as_deref()).await?;
                }
                Retry::ServerError if server_retries < policy.server_error_retries => {
                    server_retries += 1;
                    self.wait_after(&mut record, policy.server_error_wait, WaitReason::ServerError, WaitSource::Backoff).await;
                }
                Retry::ServerError if self.switch_to_fallback() => {
                    server_retries = 0;
                    self.finish_record(record, None);
                }
                Retry::ServerError | Retry::No => {
                    let err = self.error_from(&failure, Some(&reply), parsed.body_id.as_deref());
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
            }
        }
    }

    /// After a 429: wait as long as the policy allows and return `Ok`, or give up. The record
    /// is finished either way.
    async fn wait_for_rate_limit(
        &self,
        mut record: Diagnostics,
        tries: u32,
        failure: &ApiFailure,
        reply: &Reply,
        body_id: Option<&str>,
    ) -> Result<(), EngineError> {
        let jitter = rand::random::<f64>();
        match retry::after_rate_limit(&self.inner.config.policy, tries, &failure.hints, SystemTime::now(), jitter) {
            Decision::Retry { wait, reason, source } => {
                self.wait_after(&mut record, wait, reason, source).await;
                Ok(())
            }
            Decision::GiveUp(err) => {
                let err = self.decorate(err, failure, reply, body_id);
                self.finish_record(record, Some(&err));
                Err(err)
            }
        }
    }

    /// For APIs that take starting images only as URLs: upload the init image and the mask
    /// once per job (nothing is generated, so nothing is charged, until they are up).
    async fn upload_images(&mut self) -> Result<(), EngineError> {
        for mask in [false, true] {
            let image = if mask { self.mask_image.as_ref() } else { self.init_image.as_ref() };
            let Some(call) = image.and_then(|i| self.inner.provider.upload(&self.settings, i, self.key.as_ref())) else {
                continue;
            };
            self.state(JobState::Uploading);
            let url = self.upload(&call).await?;
            let image = if mask { self.mask_image.as_mut() } else { self.init_image.as_mut() };
            if let Some(image) = image {
                image.url = Some(url);
            }
        }
        Ok(())
    }

    /// One upload, with the same rate-limit waits and server-error retry as a generation.
    async fn upload(&mut self, call: &HttpCall) -> Result<String, EngineError> {
        const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);
        let policy = self.inner.config.policy.clone();
        let (mut rate_limited_tries, mut server_retries) = (0u32, 0u32);
        loop {
            let (exchange, mut record) = self.exchange(call, UPLOAD_TIMEOUT, MAX_API_BODY).await;
            let reply = match exchange {
                Exchange::Reply(reply) => reply,
                Exchange::Transport(t) => {
                    let err = transport_error(&t, UPLOAD_TIMEOUT);
                    if matches!(t.kind, TransportKind::Reset | TransportKind::Connect) && server_retries < policy.server_error_retries {
                        server_retries += 1;
                        self.wait_after(&mut record, policy.server_error_wait, WaitReason::ServerError, WaitSource::Backoff).await;
                        continue;
                    }
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
            };
            let failure = match self.inner.provider.parse_upload(&reply) {
                Ok(url) => {
                    self.finish_record(record, None);
                    return Ok(url);
                }
                Err(failure) => failure,
            };
            record.fields = super::error::bound_fields(failure.fields.clone());
            match failure.retry {
                Retry::RateLimited => {
                    rate_limited_tries += 1;
                    self.wait_for_rate_limit(record, rate_limited_tries, &failure, &reply, None).await?;
                }
                Retry::ServerError if server_retries < policy.server_error_retries => {
                    server_retries += 1;
                    self.wait_after(&mut record, policy.server_error_wait, WaitReason::ServerError, WaitSource::Backoff).await;
                }
                Retry::ServerError | Retry::No => {
                    let err = self.error_from(&failure, Some(&reply), None);
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
            }
        }
    }

    /// Move to the fallback model once, and say so. False when there is none left.
    fn switch_to_fallback(&mut self) -> bool {
        let Some(fallback) = self.settings.fallback_model.take() else { return false };
        let from = std::mem::replace(&mut self.settings.model, fallback.clone());
        self.emit(EventKind::Fallback {
            from: from.clone(),
            message: format!("The model {from} failed twice, so Easel is trying the fallback model {fallback} once."),
            to: fallback,
        });
        true
    }

    /// Poll a processing job until it is finished, failed, or past the deadline. Never resubmits.
    async fn poll(&mut self, mut remote: RemoteJob, started: Instant) -> Result<Finished, EngineError> {
        let policy = self.inner.config.policy.clone();
        let deadline = started + policy.processing_deadline;
        let mut polls = 0u32;
        let mut form = 0usize;
        let mut consecutive_failures = 0u32;
        let mut forms_refused = 0usize;
        self.phase(JobPhase::Processing, Some(&remote), None).await;
        loop {
            let wait = retry::poll_interval(&policy, polls, remote.eta_seconds);
            if Instant::now() + wait > deadline {
                return Err(self.still_processing(&remote, policy.processing_deadline));
            }
            self.state(JobState::Processing { eta_seconds: Some(wait.as_secs_f64()) });
            self.emit(EventKind::Wait { seconds: wait.as_secs_f64(), reason: WaitReason::Processing, source: WaitSource::Eta });
            tokio::time::sleep(wait).await;
            polls += 1;

            let Some(call) = self.inner.provider.fetch(&remote, &self.settings, self.key.as_ref(), form) else {
                return Err(EngineError::new(ErrorCategory::Server)
                    .with_message("The service has no way to ask for this job's result.")
                    .with_request_id(Some(remote.id.clone())));
            };
            let timeout = self.attempt_timeout().min(Duration::from_secs(60));
            let (exchange, mut record) = self.exchange(&call, timeout, MAX_API_BODY).await;
            let reply = match exchange {
                Exchange::Reply(reply) => reply,
                Exchange::Transport(t) => {
                    // Asking again is free and cannot charge twice; keep trying within limits.
                    consecutive_failures += 1;
                    let err = transport_error(&t, timeout).with_request_id(Some(remote.id.clone()));
                    self.finish_record(record, Some(&err));
                    if consecutive_failures >= 5 {
                        return Err(err);
                    }
                    continue;
                }
            };
            let parsed = self.inner.provider.parse_generation(&reply);
            self.annotate(&mut record, &parsed);
            match parsed.outcome {
                ApiOutcome::Finished(f) => {
                    self.finish_record(record, None);
                    return Ok(f);
                }
                ApiOutcome::Processing(update) => {
                    self.finish_record(record, None);
                    consecutive_failures = 0;
                    remote.eta_seconds = update.eta_seconds;
                    if remote.future_links.is_empty() {
                        remote.future_links = update.future_links;
                    }
                }
                ApiOutcome::Failed(f) if reply.status == 404 && f.category != ErrorCategory::GenerationFailed => {
                    // This form of fetch is not there: try the next form, then the future links.
                    self.finish_record(record, None);
                    forms_refused += 1;
                    form += 1;
                    polls = 0;
                    remote.eta_seconds = None;
                    if self.inner.provider.fetch(&remote, &self.settings, self.key.as_ref(), form).is_none() {
                        if !remote.future_links.is_empty() {
                            return Ok(Finished {
                                remote_id: Some(remote.id.clone()),
                                outputs: remote.future_links.clone(),
                                seeds: Vec::new(),
                            });
                        }
                        let err = self
                            .decorate(EngineError::new(ErrorCategory::GenerationFailed), &f, &reply, Some(&remote.id))
                            .with_message(format!("The service no longer knows this job ({forms_refused} ways of asking were refused)."));
                        return Err(err);
                    }
                }
                ApiOutcome::Failed(f) => {
                    match f.retry {
                        Retry::RateLimited => {
                            let wait = retry::server_requested_wait(&f.hints, SystemTime::now())
                                .map_or(policy.poll_max, |(w, _)| w.clamp(policy.poll_min, policy.max_server_wait));
                            self.wait_after(&mut record, wait, WaitReason::RateLimited, WaitSource::RetryAfter).await;
                            continue;
                        }
                        Retry::ServerError if consecutive_failures < 3 => {
                            consecutive_failures += 1;
                            self.finish_record(record, None);
                            continue;
                        }
                        _ => {}
                    }
                    let mut err = self.error_from(&f, Some(&reply), Some(&remote.id));
                    if err.category == ErrorCategory::Validation {
                        // The settings were accepted when the job was sent: a refused fetch
                        // means the job is lost, and it may have been charged.
                        err = self.decorate(EngineError::new(ErrorCategory::GenerationFailed), &f, &reply, Some(&remote.id));
                    }
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
            }
        }
    }

    fn still_processing(&self, remote: &RemoteJob, deadline: Duration) -> EngineError {
        EngineError::new(ErrorCategory::Timeout)
            .with_message(format!(
                "The service was still making the image after {}, so Easel stopped waiting.",
                retry::human_duration(deadline)
            ))
            .with_hint(format!(
                "It was not sent again (that could charge twice). Its job id is {}; it may still finish on the provider's side.",
                remote.id
            ))
            .with_request_id(Some(remote.id.clone()))
    }

    /// Download or decode each output, verify it, store it, then record it.
    async fn collect(&mut self, mut finished: Finished, started: Instant) -> Result<Vec<ImageRecord>, (Vec<ImageRecord>, EngineError)> {
        let deadline = started + self.inner.config.policy.processing_deadline;
        // Never more images than were asked for (and paid for): a server listing a thousand
        // outputs must not make a job download and store a thousand files.
        finished.outputs.truncate(self.settings.samples.max(1) as usize);
        // Keep where the outputs are, so a crash mid-download resumes without resubmitting.
        let outputs_at = RemoteJob {
            id: finished.remote_id.clone().unwrap_or_default(),
            fetch_url: None,
            eta_seconds: None,
            future_links: finished.outputs.iter().filter(|o| o.starts_with("http")).cloned().collect(),
        };
        self.phase(JobPhase::Downloading, Some(&outputs_at), None).await;
        let total = finished.outputs.len() as u32;
        let mut images = Vec::new();
        let mut first_error = None;
        let base_seed = match self.settings.seed {
            Seed::Fixed(n) => Some(n),
            Seed::Random => None,
        };
        for (index, entry) in finished.outputs.iter().enumerate() {
            let index = index as u32;
            self.state(JobState::Downloading { index: index + 1, total });
            let verified = match intake::classify(entry) {
                OutputEntry::Url(url) => self.download(&url, deadline).await,
                OutputEntry::Inline(text) => intake::decode_base64_text(&text, self.inner.config.limits.max_download_bytes)
                    .and_then(|bytes| intake::verify(bytes, &self.inner.config.limits))
                    .map_err(|e| bad_output(&e)),
            };
            let verified = match verified {
                Ok(v) => v,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let seed = finished.seeds.get(index as usize).copied().or(base_seed.map(|s| s + u64::from(index)));
            // The last image of a job with no failure also marks the job done, in one commit.
            let finishes = (index + 1 == total && first_error.is_none()).then(|| self.real_cache_key());
            let last = finishes.is_some();
            match self.save(verified, index, seed, finished.remote_id.clone(), finishes).await {
                Ok(record) => {
                    self.done_in_store |= last;
                    self.emit(EventKind::Image(Box::new(record.clone())));
                    images.push(record);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            None => Ok(images),
            Some(e) => Err((images, e.with_request_id(finished.remote_id.clone()))),
        }
    }

    /// Store one verified image; with `finishes` (the job's real cache key), also mark the job
    /// done in the same commit.
    async fn save(
        &self,
        image: VerifiedImage,
        index: u32,
        seed: Option<u64>,
        request_id: Option<String>,
        finishes: Option<Option<String>>,
    ) -> Result<ImageRecord, EngineError> {
        let store = self.inner.store.clone();
        let settings = self.settings.clone();
        let job_id = self.id.clone();
        let batch_id = self.batch_id.clone();
        let provider = self.inner.provider.kind().id();
        let base_url = self.inner.provider.base_url().to_string();
        tokio::task::spawn_blocking(move || {
            let meta = NewImage {
                job_id: &job_id,
                batch_id: &batch_id,
                index,
                seed,
                settings: &settings,
                provider,
                base_url: &base_url,
                request_id: request_id.as_deref(),
            };
            match finishes {
                Some(cache_key) => store.add_last_image(&image, &meta, cache_key.as_deref()),
                None => store.add_image(&image, &meta),
            }
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|why| {
            EngineError::new(ErrorCategory::Network)
                .with_message("The image arrived but Easel could not save it to disk.")
                .with_hint("Check that the data folder is writable and the disk is not full, then press Retry.")
                .with_detail(why)
        })
    }

    /// Download one output URL: wait while it is not there yet (404/403 until the deadline),
    /// re-download a few times quickly when it serves junk, then give up as bad output.
    async fn download(&mut self, url: &str, deadline: Instant) -> Result<VerifiedImage, EngineError> {
        let policy = self.inner.config.policy.clone();
        let limits = self.inner.config.limits;
        let Ok(parsed_url) = url::Url::parse(url) else {
            return Err(EngineError::new(ErrorCategory::BadOutput).with_message("The service sent an image address that is not valid."));
        };
        if !matches!(parsed_url.scheme(), "http" | "https") {
            return Err(EngineError::new(ErrorCategory::BadOutput)
                .with_message(format!("The service sent an image address Easel does not fetch ({}:).", parsed_url.scheme())));
        }
        let call =
            HttpCall { endpoint: "download", method: Method::Get, url: parsed_url, headers: Vec::new(), body: None, redacted_body: None };
        let mut bad_tries = 0u32;
        let mut transport_tries = 0u32;
        loop {
            let timeout = self.attempt_timeout();
            let client = self.inner.clients.download.clone();
            let (exchange, mut record) = self.exchange_with(&client, &call, timeout, limits.max_download_bytes).await;
            let reply = match exchange {
                Exchange::Reply(r) => r,
                Exchange::Transport(t) if t.kind == TransportKind::TooLarge => {
                    let err = bad_output(&IntakeError::DownloadTooLarge(limits.max_download_bytes >> 20));
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
                Exchange::Transport(t) => {
                    transport_tries += 1;
                    let err = transport_error(&t, timeout);
                    if transport_tries <= 2 && t.kind != TransportKind::Redirect && Instant::now() < deadline {
                        self.wait_after(&mut record, policy.bad_download_wait, WaitReason::Download, WaitSource::Backoff).await;
                        continue;
                    }
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
            };
            match reply.status {
                200..=299 => {}
                403 | 404 => {
                    // Future links answer 404/403 until the file exists.
                    if Instant::now() + policy.not_ready_wait < deadline {
                        self.wait_after(&mut record, policy.not_ready_wait, WaitReason::Download, WaitSource::Backoff).await;
                        continue;
                    }
                    let err = EngineError::new(ErrorCategory::BadOutput)
                        .with_message(format!("The image never appeared at its address (HTTP {}).", reply.status))
                        .with_http_status(Some(reply.status));
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
                status => {
                    bad_tries += 1;
                    let err = EngineError::new(if status >= 500 { ErrorCategory::Server } else { ErrorCategory::BadOutput })
                        .with_message(format!("Downloading the image failed (HTTP {status})."))
                        .with_http_status(Some(status));
                    if bad_tries <= policy.bad_download_retries {
                        self.wait_after(&mut record, policy.bad_download_wait, WaitReason::Download, WaitSource::Backoff).await;
                        continue;
                    }
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
            }
            let checked = intake::bytes_from_download(reply.body.to_vec(), &limits).and_then(|b| intake::verify(b, &limits));
            match checked {
                Ok(v) => {
                    self.finish_record(record, None);
                    return Ok(v);
                }
                // A size problem will not change on a second download.
                Err(e @ (IntakeError::TooLarge { .. } | IntakeError::DownloadTooLarge(_))) => {
                    let err = bad_output(&e).with_http_status(Some(reply.status));
                    self.finish_record(record, Some(&err));
                    return Err(err);
                }
                Err(e) => {
                    bad_tries += 1;
                    let err = bad_output(&e).with_http_status(Some(reply.status));
                    if bad_tries <= policy.bad_download_retries {
                        self.wait_after(&mut record, policy.bad_download_wait, WaitReason::Download, WaitSource::Backoff).await;
                        continue;
                    }
                    self.finish_record(record, Some(&err));
                    return Err(err.with_message(format!(
                        "The service said it succeeded, but the image it sent is not usable ({e}), even after {bad_tries} downloads."
                    )));
                }
            }
        }
    }

    /// The generation exchange; for synchronous servers with a progress endpoint (A1111),
    /// progress is read on a second connection meanwhile and shown as the job's state.
    async fn exchange_with_progress(&mut self, call: &HttpCall, timeout: Duration) -> (Exchange, Diagnostics) {
        let Some(progress_call) = self.inner.provider.progress(self.key.as_ref()) else {
            return self.exchange(call, timeout, MAX_API_BODY).await;
        };
        let inner = self.inner.clone();
        let job = self.id.clone();
        let watcher = async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let (result, _) = http::send(&inner.clients.api, &progress_call, Duration::from_secs(10), 1 << 20).await;
                if let Some(p) = result.ok().and_then(|r| inner.provider.parse_progress(&r))
                    && p.fraction > 0.0
                {
                    let state = JobState::Generating { progress: p.fraction, eta_seconds: p.eta_seconds };
                    (inner.sink)(Event { job: job.clone(), kind: EventKind::State(state) });
                }
            }
        };
        tokio::select! {
            done = self.exchange(call, timeout, MAX_API_BODY) => done,
            () = watcher => unreachable!("the progress loop never ends by itself"),
        }
    }

    async fn exchange(&mut self, call: &HttpCall, timeout: Duration, max_body: u64) -> (Exchange, Diagnostics) {
        let client = self.inner.clients.api.clone();
        self.exchange_with(&client, call, timeout, max_body).await
    }

    /// One HTTP exchange and its diagnostics record (not yet emitted).
    async fn exchange_with(
        &mut self,
        client: &reqwest::Client,
        call: &HttpCall,
        timeout: Duration,
        max_body: u64,
    ) -> (Exchange, Diagnostics) {
        self.exchanges += 1;
        let path = self.redactor.text(call.url.path());
        self.emit(EventKind::Request {
            endpoint: call.endpoint.to_owned(),
            method: call.method.as_str().to_owned(),
            path: path.clone(),
            attempt: self.exchanges,
            model: self.settings.model.clone(),
        });
        let time = now_rfc3339();
        let (result, elapsed) = http::send(client, call, timeout, max_body).await;
        let mut record = Diagnostics {
            time,
            job: Some(self.id.clone()),
            provider: self.inner.provider.kind().id().to_owned(),
            endpoint: call.endpoint.to_owned(),
            method: call.method.as_str().to_owned(),
            path,
            attempt: self.exchanges,
            http_status: None,
            api_status: None,
            request_ids: RequestIds::default(),
            request_id: None,
            duration_ms: elapsed.as_millis() as u64,
            eta_seconds: None,
            wait: None,
            fields: Default::default(),
            request_headers: call.headers.iter().map(|h| (h.name.to_owned(), self.redactor.text(&h.shown))).collect(),
            request_body: call.redacted_body.as_ref().map(|b| self.redactor.json(b)),
            response_excerpt: None,
            response_headers: Vec::new(),
            error: None,
            transport_error: None,
        };
        let exchange = match result {
            Ok(reply) => {
                record.http_status = Some(reply.status);
                record.request_ids = RequestIds::from_headers(&reply.headers);
                record.request_id = record.request_ids.primary();
                record.response_headers = interesting_headers(&reply.headers, &self.redactor);
                if call.endpoint != "download" || !(200..300).contains(&reply.status) {
                    record.response_excerpt = diagnostics::excerpt(&self.redactor, &reply.body);
                } else {
                    record.response_excerpt = Some(format!("({} bytes of image data)", reply.body.len()));
                }
                Exchange::Reply(reply)
            }
            Err(t) => {
                record.transport_error = Some(self.redactor.text(&t.text));
                Exchange::Transport(t)
            }
        };
        (exchange, record)
    }

    /// Fill the record with what the parser read.
    fn annotate(&self, record: &mut Diagnostics, parsed: &Parsed) {
        record.api_status = parsed.api_status.clone();
        record.request_ids.body_id = parsed.body_id.clone();
        record.request_id = record.request_ids.primary();
        match &parsed.outcome {
            ApiOutcome::Processing(r) => record.eta_seconds = r.eta_seconds,
            ApiOutcome::Failed(f) => record.fields = super::error::bound_fields(f.fields.clone()),
            ApiOutcome::Finished(_) => {}
        }
    }

    /// Emit and keep a record, with the error it ended in, if any.
    fn finish_record(&self, mut record: Diagnostics, error: Option<&EngineError>) {
        if let Some(e) = error {
            record.error = Some(ErrorSummary::from(e));
        }
        let store = self.inner.store.clone();
        let kept = record.clone();
        self.inner.runtime.spawn_blocking(move || store.add_diagnostics(&kept));
        self.emit(EventKind::Response(Box::new(record)));
    }

    /// Record the wait on the exchange that caused it, tell the faces, and wait.
    async fn wait_after(&self, record: &mut Diagnostics, wait: Duration, reason: WaitReason, source: WaitSource) {
        record.wait = Some(WaitInfo { seconds: wait.as_secs_f64(), reason, source });
        self.finish_record(record.clone(), None);
        self.emit(EventKind::Wait { seconds: wait.as_secs_f64(), reason, source });
        self.state(JobState::Waiting { seconds: wait.as_secs_f64(), reason });
        tokio::time::sleep(wait).await;
    }

    /// The person-facing error for a provider failure, with the server's words kept.
    fn error_from(&self, f: &ApiFailure, reply: Option<&Reply>, body_id: Option<&str>) -> EngineError {
        // Name fields as the person knows them (diagnostics keep the server's own names).
        let mut fields = crate::error::FieldErrors::new();
        for (name, messages) in &f.fields {
            fields.entry(super::provider::draft_field(name).to_owned()).or_default().extend(messages.iter().cloned());
        }
        let mut err = EngineError::new(f.category).with_fields(fields);
        if let Some(m) = &f.message {
            err = err.with_message(m.clone());
        }
        match reply {
            Some(r) => self.decorate(err, f, r, body_id),
            None => err,
        }
    }

    /// Add the HTTP status, request id and the provider's own (redacted) words.
    fn decorate(&self, mut err: EngineError, f: &ApiFailure, reply: &Reply, body_id: Option<&str>) -> EngineError {
        if let Some(detail) = &f.detail {
            err = err.with_detail(self.redactor.text(detail));
        }
        let mut ids = RequestIds::from_headers(&reply.headers);
        ids.body_id = body_id.map(str::to_owned).or_else(|| f.remote_id.clone());
        err.with_http_status(Some(reply.status)).with_request_id(ids.primary())
    }
}

fn transport_error(t: &TransportError, timeout: Duration) -> EngineError {
    match t.kind {
        TransportKind::Timeout => EngineError::new(ErrorCategory::Timeout)
            .with_message(format!("The service did not answer within {}.", retry::human_duration(timeout)))
            .with_detail(&t.text),
        TransportKind::Redirect => EngineError::new(ErrorCategory::Network)
            .with_message("The server sent Easel somewhere else, and Easel did not follow (it could expose your key or be unsafe).")
            .with_hint("Check the server address in the settings.")
            .with_detail(&t.text),
        TransportKind::TooLarge => EngineError::new(ErrorCategory::Server)
            .with_message("The service sent an answer far larger than any real one, so Easel stopped reading it.")
            .with_detail(&t.text),
        TransportKind::Connect => {
            EngineError::new(ErrorCategory::Network).with_message("Easel could not connect to the service.").with_detail(&t.text)
        }
        TransportKind::Reset | TransportKind::Other => EngineError::new(ErrorCategory::Network)
            .with_message("The connection to the service broke before the answer was complete.")
            .with_detail(&t.text),
    }
}

fn bad_output(e: &IntakeError) -> EngineError {
    EngineError::new(ErrorCategory::BadOutput).with_message(format!(
        "The service said it succeeded, but the image it sent is not usable: {}.",
        e.to_string().trim_end_matches('.')
    ))
}

/// Load and check the starting image for image-to-image, off the async threads.
async fn load_init_image(path: std::path::PathBuf, what: &'static str) -> Result<InitImage, EngineError> {
    use base64::Engine as _;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let read = tokio::task::spawn_blocking(move || -> Result<InitImage, String> {
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let v = intake::verify(bytes, &intake::Limits::default()).map_err(|e| e.to_string())?;
        Ok(InitImage {
            base64: base64::engine::general_purpose::STANDARD.encode(&v.bytes),
            url: None,
            mime: v.format.mime(),
            bytes: v.bytes.len(),
            width: v.width,
            height: v.height,
        })
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    read.map_err(|why| {
        EngineError::new(ErrorCategory::Validation)
            .with_message(format!("The {what} {name} could not be used: {why}."))
            .with_hint("Choose the image again (it may have been moved or changed). Nothing was sent.")
    })
}

/// The key check: the provider's balance call, or another cheap authenticated call.
pub(super) async fn check_key(inner: &Arc<Inner>, key: Option<&ApiKey>) -> Result<Option<Balance>, EngineError> {
    let redactor = Redactor::new(key);
    let to_error = |f: ApiFailure, status: u16| {
        let mut err = EngineError::new(f.category).with_http_status(Some(status));
        if let Some(m) = f.message {
            err = err.with_message(m);
        }
        if let Some(d) = f.detail {
            err = err.with_detail(redactor.text(&d));
        }
        err
    };
    let timeout = Duration::from_secs(30);
    if let Some(call) = inner.provider.balance(key) {
        let (result, _) = http::send(&inner.clients.api, &call, timeout, MAX_API_BODY).await;
        let reply = result.map_err(|t| transport_error(&t, timeout))?;
        return inner.provider.parse_balance(&reply).map(Some).map_err(|f| to_error(f, reply.status));
    }
    let Some(call) = inner.provider.key_check(key) else { return Ok(None) };
    let (result, _) = http::send(&inner.clients.api, &call, timeout, MAX_API_BODY).await;
    let reply = result.map_err(|t| transport_error(&t, timeout))?;
    inner.provider.parse_key_check(&reply).map(|()| None).map_err(|f| to_error(f, reply.status))
}

/// The server's model list (ModelsLab's public models, A1111 checkpoints, OpenAI image
/// models), for the pickers.
pub(super) async fn list_models(inner: &Arc<Inner>, key: Option<&ApiKey>) -> Result<Vec<String>, EngineError> {
    let Some(call) = inner.provider.models(key) else { return Ok(Vec::new()) };
    let timeout = Duration::from_secs(30);
    let (result, _) = http::send(&inner.clients.api, &call, timeout, MAX_API_BODY).await;
    let reply = result.map_err(|t| transport_error(&t, timeout))?;
    let failure = if (200..300).contains(&reply.status) {
        inner.provider.models_failure(&reply)
    } else {
        Some(match inner.provider.parse_generation(&reply).outcome {
            ApiOutcome::Failed(f) => f,
            _ => ApiFailure::new(ErrorCategory::Server, Retry::No),
        })
    };
    if let Some(f) = failure {
        // A refused key or an empty account says so; anything else is about the list itself.
        let own_words = matches!(f.category, ErrorCategory::Auth | ErrorCategory::Account | ErrorCategory::RateLimited);
        let message =
            f.message.filter(|_| own_words).unwrap_or_else(|| format!("The server did not list its models (HTTP {}).", reply.status));
        return Err(EngineError::new(f.category).with_message(message).with_http_status(Some(reply.status)));
    }
    Ok(inner.provider.parse_models(&reply))
}
