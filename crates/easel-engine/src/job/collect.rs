//! Collecting a finished job's images: download or decode each output, verify it, store it,
//! then tell the faces. Re-downloads and not-ready waits are decided by [`crate::retry`].

use super::{Collected, Job, in_store};
use crate::error::{EngineError, ErrorCategory};
use crate::http::{HttpCall, Method, TransportKind};
use crate::intake::{self, IntakeError, OutputEntry, VerifiedImage};
use crate::provider::{Finished, MadeWith, RemoteJob};
use crate::recorder::{Exchange, transport_error};
use crate::request::GenerationSettings;
use crate::request::Seed;
use crate::retry::{Decision, DownloadTries, DownloadTrouble};
use crate::store::{ImageRecord, JobPhase, NewImage, StoreError, now_ms};
use crate::{EventKind, JobState};
use std::sync::Arc;
use std::time::Instant;

impl Job {
    /// Download or decode each output, verify it, store it, then record it.
    pub(super) async fn collect(&mut self, mut finished: Finished, started: Instant) -> Collected {
        let deadline = started + self.inner.config.policy.processing_deadline;
        self.usage = finished.usage.or(self.usage);
        // Never more images than were asked for (and paid for): a server listing a thousand
        // outputs must not make a job download and store a thousand files.
        finished.outputs.truncate(self.settings.samples.max(1) as usize);
        // Keep where the outputs are, so a crash mid-download resumes without resubmitting.
        let outputs_at = RemoteJob {
            id: finished.remote_id.clone().unwrap_or_default(),
            fetch_url: None,
            eta_seconds: None,
            future_links: finished.outputs.iter().filter(|o| o.starts_with("http")).cloned().collect(),
            seeds: finished.seeds.clone(),
            made: finished.made.clone(),
        };
        self.phase(JobPhase::Downloading, Some(&outputs_at), None).await;
        self.collectable_later = !finished.outputs.is_empty() && outputs_at.future_links.len() == finished.outputs.len();
        self.note_collect_before().await;
        let total = finished.outputs.len() as u32;
        let mut images = Vec::new();
        let mut first_error = None;
        let made = differences(&finished.made, &self.settings);
        // A seed the service never saw is no image's seed (older records may hold one).
        let seeded = self.service.provider.capabilities(&self.settings.model).seed;
        let base_seed = match self.settings.seed {
            Seed::Fixed(n) if seeded => Some(n),
            _ => None,
        };
        for (index, entry) in finished.outputs.iter().enumerate() {
            let index = index as u32;
            self.state(JobState::Downloading { index: index + 1, total });
            let verified = match intake::classify(entry) {
                OutputEntry::Url(url) => self.download(&url, deadline).await,
                OutputEntry::Inline(text) => intake::decode_base64_text(&text, self.limits().max_download_bytes)
                    .and_then(|bytes| intake::verify(bytes, &self.limits()))
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
            let picture = Picture { image: Arc::new(verified), index, seed, request_id: finished.remote_id.clone(), finishes };
            let saved = match self.save(picture.clone(), &made).await {
                Ok(record) => Ok(record),
                Err(why) => self.save_when_there_is_room(picture, &made, (total - index) as usize, why).await,
            };
            match saved {
                Ok(record) => {
                    self.done_in_store |= last;
                    self.emit(EventKind::Image(Box::new(record.clone())));
                    images.push(record);
                }
                Err(e) if e.category == ErrorCategory::Storage => {
                    // Nothing more can be saved: the rest stay at the service, for later.
                    first_error = Some(e);
                    break;
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

    /// What this job's images are checked against: an enlarged picture may be 8192 pixels a
    /// side (and its file over 100 MB).
    fn limits(&self) -> intake::Limits {
        if self.settings.upscale.is_some() { intake::Limits::upscaled() } else { self.inner.config.limits }
    }

    /// Note until when the service keeps the outputs, when it says how long it keeps them.
    async fn note_collect_before(&mut self) {
        let Some(kept) = self.outputs_kept.filter(|_| self.collectable_later && self.collect_before_ms.is_none()) else { return };
        let until_ms = now_ms() + kept.as_millis() as i64;
        self.collect_before_ms = Some(until_ms);
        let (store, id) = (self.inner.store.clone(), self.id.clone());
        if let Err(why) = in_store(move || store.set_collect_before(&id, until_ms)).await {
            tracing::warn!("job {}: the library did not note until when its outputs are kept: {why}", self.id);
        }
    }

    /// Store one verified picture; with `finishes` (the job's real cache key), also mark the
    /// job done in the same commit.
    pub(super) async fn save(&self, picture: Picture, made: &MadeWith) -> Result<ImageRecord, StoreError> {
        let Picture { image, index, seed, request_id, finishes } = picture;
        let made = made.clone();
        let store = self.inner.store.clone();
        let settings = self.settings.clone();
        let job_id = self.id.clone();
        let batch_id = self.batch_id.clone();
        let provider = self.service.provider.kind().id();
        let base_url = self.service.provider.base_url().to_string();
        in_store(move || {
            let meta = NewImage {
                job_id: &job_id,
                batch_id: &batch_id,
                index,
                seed,
                settings: &settings,
                provider,
                base_url: &base_url,
                request_id: request_id.as_deref(),
                made: Some(&made),
            };
            match finishes {
                Some(cache_key) => store.add_last_image(&image, &meta, cache_key.as_deref()),
                None => store.add_image(&image, &meta),
            }
        })
        .await
    }

    /// Download one output URL: wait while it is not there yet (404/403 until the deadline),
    /// re-download a few times quickly when it serves junk, then give up as bad output.
    async fn download(&mut self, url: &str, deadline: Instant) -> Result<VerifiedImage, EngineError> {
        let policy = self.inner.config.policy.clone();
        let limits = self.limits();
        let Ok(parsed_url) = url::Url::parse(url) else {
            return Err(EngineError::new(ErrorCategory::BadOutput).with_message("The service sent an image address that is not valid."));
        };
        if !matches!(parsed_url.scheme(), "http" | "https") {
            return Err(EngineError::new(ErrorCategory::BadOutput)
                .with_message(format!("The service sent an image address Easel does not fetch ({}:).", parsed_url.scheme())));
        }
        let call = HttpCall {
            endpoint: "download",
            method: Method::Get,
            url: parsed_url,
            headers: Vec::new(),
            body: None,
            form: None,
            redacted_body: None,
        };
        let mut tries = DownloadTries::default();
        loop {
            let timeout = self.attempt_timeout();
            let client = self.inner.clients.download.clone();
            let (exchange, mut record) = self.exchange_with(&client, &call, timeout, limits.max_download_bytes).await;
            let time_left = deadline.saturating_duration_since(Instant::now());
            let (decision, err) = match exchange {
                Exchange::Transport(t) => {
                    let err = if t.kind == TransportKind::TooLarge {
                        bad_output(&IntakeError::DownloadTooLarge(limits.max_download_bytes >> 20))
                    } else {
                        transport_error(&t, timeout)
                    };
                    (tries.after(&policy, DownloadTrouble::Transport(t.kind), time_left), err)
                }
                Exchange::Reply(reply) if !(200..=299).contains(&reply.status) => {
                    let status = reply.status;
                    let err = if matches!(status, 403 | 404) {
                        EngineError::new(ErrorCategory::BadOutput)
                            .with_message(format!("The image never appeared at its address (HTTP {status})."))
                    } else {
                        EngineError::new(if status >= 500 { ErrorCategory::Server } else { ErrorCategory::BadOutput })
                            .with_message(format!("Downloading the image failed (HTTP {status})."))
                    };
                    (tries.after(&policy, DownloadTrouble::Status(status), time_left), err.with_http_status(Some(status)))
                }
                Exchange::Reply(reply) => {
                    match intake::bytes_from_download(reply.body.to_vec(), &limits).and_then(|b| intake::verify(b, &limits)) {
                        Ok(v) => {
                            self.finish_record(record, None);
                            return Ok(v);
                        }
                        Err(e) => {
                            let decision = tries.after(&policy, DownloadTrouble::Unusable(&e), time_left);
                            let err = bad_output(&e).with_http_status(Some(reply.status));
                            if decision == Decision::Stop && tries.bad() > policy.bad_download_retries {
                                // The quick re-downloads ran out: say so (the record keeps the first words).
                                self.finish_record(record, Some(&err));
                                return Err(err.with_message(format!(
                                    "The service said it succeeded, but the image it sent is not usable ({e}), even after {} downloads.",
                                    tries.bad()
                                )));
                            }
                            (decision, err)
                        }
                    }
                }
            };
            match decision {
                Decision::Retry { wait, reason, source } => self.wait_after(&mut record, wait, reason, source).await,
                Decision::Fallback | Decision::NextPoll | Decision::Stop | Decision::GiveUp(_) => return Err(self.ended(record, err)),
            }
        }
    }
}

/// What the service reported that differs from the settings sent: the library keeps the
/// person's own prompt and settings, and beside them what was really used.
fn differences(made: &MadeWith, settings: &GenerationSettings) -> MadeWith {
    let differs = |used: &Option<String>, asked: &str| used.clone().filter(|u| u.trim() != asked.trim());
    MadeWith {
        prompt: differs(&made.prompt, &settings.prompt),
        model: differs(&made.model, &settings.model),
        steps: made.steps.filter(|s| *s != settings.steps),
        guidance: made.guidance.filter(|g| (g - settings.guidance).abs() > 0.001),
        width: made.width.filter(|w| *w != settings.width),
        height: made.height.filter(|h| *h != settings.height),
        scheduler: made.scheduler.clone(),
    }
}

/// A verified picture on its way into the library, and where it goes.
#[derive(Clone)]
pub(super) struct Picture {
    pub image: Arc<VerifiedImage>,
    pub index: u32,
    pub seed: Option<u64>,
    pub request_id: Option<String>,
    /// `Some(cache key)` for the job's last picture: the job is marked done with it.
    pub finishes: Option<Option<String>>,
}

fn bad_output(e: &IntakeError) -> EngineError {
    EngineError::new(ErrorCategory::BadOutput).with_message(format!(
        "The service said it succeeded, but the image it sent is not usable: {}.",
        e.to_string().trim_end_matches('.')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_service_changed_is_kept_beside_the_settings() {
        let settings = GenerationSettings { prompt: "women playing tennis".into(), model: "sdxl".into(), steps: 20, ..Default::default() };
        let made = MadeWith {
            prompt: Some("women playing tennis, hyperrealistic, full body, detailed clothing".into()),
            model: Some("sdxl".into()),
            steps: Some(20),
            width: Some(1024),
            ..MadeWith::default()
        };
        let kept = differences(&made, &settings);
        assert_eq!(kept.prompt, made.prompt, "a rewritten prompt is kept beside the person's");
        assert_eq!((kept.model, kept.steps, kept.width), (None, None, Some(1024)));
        let same = MadeWith { prompt: Some(" women playing tennis ".into()), ..MadeWith::default() };
        assert!(differences(&same, &settings).is_empty(), "the prompt as typed is not kept twice");
    }
}
