//! Polling a job the provider is still making: by its id, at the intervals [`crate::retry`]
//! sets, until it is finished, failed, or past the deadline. Never resubmitted.

use super::Job;
use crate::error::{EngineError, ErrorCategory};
use crate::http::MAX_API_BODY;
use crate::provider::{ApiOutcome, Finished, RemoteJob};
use crate::recorder::{Exchange, Recorder, transport_error};
use crate::retry::{self, Decision, PollTries, RateLimitHints, Trouble, WaitReason, WaitSource};
use crate::store::JobPhase;
use crate::{EventKind, JobState};
use std::time::{Duration, Instant, SystemTime};

impl Job {
    /// Poll a processing job until it is finished, failed, or past the deadline.
    pub(super) async fn poll(&mut self, mut remote: RemoteJob, started: Instant) -> Result<Finished, EngineError> {
        let policy = self.inner.config.policy.clone();
        let mut polls = 0u32;
        let mut form = 0usize;
        let mut tries = PollTries::default();
        let mut forms_refused = 0usize;
        self.phase(JobPhase::Processing, Some(&remote), None).await;
        loop {
            let Some(wait) = retry::next_poll(&policy, polls, remote.eta_seconds, started.elapsed()) else {
                return Err(self.still_processing(&remote, policy.processing_deadline));
            };
            self.state(JobState::Processing { eta_seconds: Some(wait.as_secs_f64()) });
            self.emit(EventKind::Wait { seconds: wait.as_secs_f64(), reason: WaitReason::Processing, source: WaitSource::Eta });
            tokio::time::sleep(wait).await;
            polls += 1;

            let Some(call) = self.service.provider.fetch(&remote, &self.settings, self.key.as_ref(), form) else {
                return Err(EngineError::new(ErrorCategory::Server)
                    .with_message("The service has no way to ask for this job's result.")
                    .with_request_id(Some(remote.id.clone())));
            };
            let timeout = self.attempt_timeout().min(Duration::from_secs(60));
            let (exchange, mut record) = self.exchange(&call, timeout, MAX_API_BODY).await;
            let reply = match exchange {
                Exchange::Reply(reply) => reply,
                Exchange::Transport(t) => {
                    let err = transport_error(&t, timeout).with_request_id(Some(remote.id.clone()));
                    self.finish_record(record, Some(&err));
                    // Asking again is free and cannot charge twice: the next poll asks again.
                    if tries.after(&policy, Trouble::Transport(t.kind), &RateLimitHints::default(), SystemTime::now()) == Decision::NextPoll
                    {
                        continue;
                    }
                    return Err(err);
                }
            };
            let parsed = self.service.provider.parse_generation(&reply);
            Recorder::annotate(&mut record, &parsed);
            match parsed.outcome {
                ApiOutcome::Finished(f) => {
                    self.finish_record(record, None);
                    return Ok(f);
                }
                ApiOutcome::Processing(update) => {
                    self.finish_record(record, None);
                    tries.answered();
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
                    if self.service.provider.fetch(&remote, &self.settings, self.key.as_ref(), form).is_none() {
                        if !remote.future_links.is_empty() {
                            return Ok(Finished {
                                remote_id: Some(remote.id.clone()),
                                outputs: remote.future_links.clone(),
                                seeds: Vec::new(),
                                usage: None,
                            });
                        }
                        let err = self
                            .decorate(EngineError::new(ErrorCategory::GenerationFailed), &f, &reply, Some(&remote.id))
                            .with_message(format!("The service no longer knows this job ({forms_refused} ways of asking were refused)."));
                        return Err(err);
                    }
                }
                ApiOutcome::Failed(f) => {
                    match tries.after(&policy, Trouble::Answer(f.retry), &f.hints, SystemTime::now()) {
                        Decision::Retry { wait, reason, source } => {
                            self.wait_after(&mut record, wait, reason, source).await;
                            continue;
                        }
                        Decision::NextPoll => {
                            self.finish_record(record, None);
                            continue;
                        }
                        Decision::Fallback | Decision::Stop | Decision::GiveUp(_) => {}
                    }
                    let mut err = self.error_from(&f, Some(&reply), Some(&remote.id));
                    if err.category == ErrorCategory::Validation {
                        // The settings were accepted when the job was sent: a refused fetch
                        // means the job is lost, and it may have been charged.
                        err = self.decorate(EngineError::new(ErrorCategory::GenerationFailed), &f, &reply, Some(&remote.id));
                    }
                    return Err(self.ended(record, err));
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
}
