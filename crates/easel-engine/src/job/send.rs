//! Sending: the generation request and the uploads before it, each with the waits and
//! retries [`crate::retry`] decides, and the one switch to the fallback model.

use super::Job;
use crate::error::EngineError;
use crate::http::MAX_API_BODY;
use crate::provider::{ApiOutcome, GenerateRequest, HttpCall};
use crate::recorder::{Exchange, Recorder, transport_error};
use crate::retry::{Decision, RateLimitHints, Retry, SendTries, Trouble};
use crate::store::JobPhase;
use crate::{EventKind, JobState};
use std::time::{Duration, SystemTime};

/// How long one upload of a starting image may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

impl Job {
    /// Send the generation request until it is accepted or the retry policy stops: rate-limit
    /// waits, server-error retries, and one try of the fallback model.
    pub(super) async fn generate(&mut self) -> Result<ApiOutcome, EngineError> {
        let policy = self.inner.config.policy.clone();
        let mut tries = SendTries::default();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let request =
                GenerateRequest { settings: &self.settings, init_images: &self.init_images, mask_image: self.mask_image.as_ref() };
            let call = self.service.provider.generate(&request, self.key.as_ref());
            self.state(JobState::Sending { attempt });
            self.phase_before_sending().await?;
            let timeout = self.attempt_timeout();
            let (exchange, mut record) = self.exchange_with_progress(&call, timeout).await;
            let fallback_left = self.settings.fallback_model.is_some();
            let reply = match exchange {
                Exchange::Reply(reply) => reply,
                Exchange::Transport(t) => {
                    let trouble = Trouble::Transport(t.kind);
                    match tries.after(&policy, trouble, fallback_left, &RateLimitHints::default(), SystemTime::now(), rand::random()) {
                        Decision::Retry { wait, reason, source } => self.wait_after(&mut record, wait, reason, source).await,
                        Decision::Fallback => {
                            self.switch_to_fallback();
                            self.finish_record(record, None);
                        }
                        Decision::GiveUp(err) => return Err(self.ended(record, err)),
                        Decision::Stop | Decision::NextPoll => return Err(self.ended(record, transport_error(&t, timeout))),
                    }
                    continue;
                }
            };
            let parsed = self.service.provider.parse_generation(&reply);
            Recorder::annotate(&mut record, &parsed);
            let failure = match parsed.outcome {
                ApiOutcome::Failed(f) => f,
                outcome => {
                    self.finish_record(record, None);
                    self.outputs_kept = self.service.provider.outputs_kept_for(&call);
                    return Ok(outcome);
                }
            };
            if failure.retry == Retry::RateLimited {
                // Refused, not queued: nothing is in flight or charged while we wait.
                self.phase(JobPhase::Pending, None, None).await;
                self.learn_queue_limit(&failure.hints).await;
            }
            let trouble = Trouble::Answer(failure.retry);
            match tries.after(&policy, trouble, fallback_left, &failure.hints, SystemTime::now(), rand::random()) {
                Decision::Retry { wait, reason, source } => self.wait_after(&mut record, wait, reason, source).await,
                Decision::Fallback => {
                    self.switch_to_fallback();
                    self.finish_record(record, None);
                }
                Decision::GiveUp(err) => {
                    let err = self.decorate(err, &failure, &reply, parsed.body_id.as_deref());
                    return Err(self.ended(record, err));
                }
                Decision::Stop | Decision::NextPoll => {
                    let err = self.error_from(&failure, Some(&reply), parsed.body_id.as_deref());
                    return Err(self.ended(record, err));
                }
            }
        }
    }

    /// For APIs that take starting images only as URLs: upload the init image and the mask
    /// once per job (nothing is generated, so nothing is charged, until they are up).
    pub(super) async fn upload_images(&mut self) -> Result<(), EngineError> {
        // The start images in order, then the mask.
        let count = self.init_images.len() + usize::from(self.mask_image.is_some());
        for index in 0..count {
            let image = self.init_images.get(index).or(self.mask_image.as_ref());
            let Some(call) = image.and_then(|i| self.service.provider.upload(&self.settings, i, self.key.as_ref())) else {
                continue;
            };
            self.state(JobState::Uploading);
            let url = self.upload(&call).await?;
            let image = match self.init_images.get_mut(index) {
                Some(image) => Some(image),
                None => self.mask_image.as_mut(),
            };
            if let Some(image) = image {
                image.url = Some(url);
            }
        }
        Ok(())
    }

    /// One upload, with the same rate-limit waits and server-error retries as a generation
    /// (there is no fallback model for an upload).
    async fn upload(&mut self, call: &HttpCall) -> Result<String, EngineError> {
        let policy = self.inner.config.policy.clone();
        let mut tries = SendTries::default();
        loop {
            let (exchange, mut record) = self.exchange(call, UPLOAD_TIMEOUT, MAX_API_BODY).await;
            let reply = match exchange {
                Exchange::Reply(reply) => reply,
                Exchange::Transport(t) => {
                    let trouble = Trouble::Transport(t.kind);
                    match tries.after(&policy, trouble, false, &RateLimitHints::default(), SystemTime::now(), rand::random()) {
                        Decision::Retry { wait, reason, source } => self.wait_after(&mut record, wait, reason, source).await,
                        Decision::GiveUp(err) => return Err(self.ended(record, err)),
                        Decision::Fallback | Decision::Stop | Decision::NextPoll => {
                            return Err(self.ended(record, transport_error(&t, UPLOAD_TIMEOUT)));
                        }
                    }
                    continue;
                }
            };
            let failure = match self.service.provider.parse_upload(&reply) {
                Ok(url) => {
                    self.finish_record(record, None);
                    return Ok(url);
                }
                Err(failure) => failure,
            };
            record.fields = crate::error::bound_fields(failure.fields.clone());
            match tries.after(&policy, Trouble::Answer(failure.retry), false, &failure.hints, SystemTime::now(), rand::random()) {
                Decision::Retry { wait, reason, source } => self.wait_after(&mut record, wait, reason, source).await,
                Decision::GiveUp(err) => {
                    let err = self.decorate(err, &failure, &reply, None);
                    return Err(self.ended(record, err));
                }
                Decision::Fallback | Decision::Stop | Decision::NextPoll => {
                    let err = self.error_from(&failure, Some(&reply), None);
                    return Err(self.ended(record, err));
                }
            }
        }
    }

    /// Move to the fallback model (once: it is taken), and say so.
    fn switch_to_fallback(&mut self) {
        let Some(fallback) = self.settings.fallback_model.take() else { return };
        let from = std::mem::replace(&mut self.settings.model, fallback.clone());
        self.emit(EventKind::Fallback {
            from: from.clone(),
            message: format!("The model {from} failed twice, so Easel is trying the fallback model {fallback} once."),
            to: fallback,
        });
    }
}
