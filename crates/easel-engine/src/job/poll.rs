//! Polling a job the provider is still making: by the id (and the fetch address) of its first
//! answer, at the intervals [`crate::retry`] sets, until it is finished, failed, or past the
//! deadline. Never resubmitted.
//!
//! A fetch answer that says "still processing" without an id is progress, not a failure:
//! ModelsLab documents exactly that answer for a job still in its queue, and ETAs are often
//! too low, so it is the common case.

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
        if self.service.provider.fetch(&remote, &self.settings, self.key.as_ref(), form).is_none() {
            return self.nothing_to_ask_by(remote);
        }
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
                ApiOutcome::Finished(mut f) => {
                    self.finish_record(record, None);
                    // The documented finished fetch is bare: what the first answer said stands.
                    if f.seeds.is_empty() {
                        f.seeds = std::mem::take(&mut remote.seeds);
                    }
                    if f.made.is_empty() {
                        f.made = std::mem::take(&mut remote.made);
                    }
                    return Ok(f);
                }
                ApiOutcome::Processing(update) => {
                    self.finish_record(record, None);
                    tries.answered();
                    if keep_first_answer(&mut remote, update) {
                        // Something to fetch it by arrived late: keep it for a resume.
                        self.phase(JobPhase::Processing, Some(&remote), None).await;
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
                                ..Finished::default()
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

    /// The service accepted the job but named no way to ask for it: its announced outputs
    /// are waited for when it gave them, else the job ends (it is never sent again).
    fn nothing_to_ask_by(&self, remote: RemoteJob) -> Result<Finished, EngineError> {
        if !remote.future_links.is_empty() {
            return Ok(Finished { remote_id: None, outputs: remote.future_links, seeds: remote.seeds, made: remote.made, usage: None });
        }
        Err(EngineError::new(ErrorCategory::GenerationFailed)
            .with_message("The service accepted the job but gave no job id or address to ask for its result.")
            .with_hint("It was not sent again (that could charge twice). Check your ModelsLab dashboard for the picture."))
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

/// Take in a "still processing" answer: its new ETA, and what the first answer lacked (an id,
/// a fetch address, the future links). The first answer's id and address are kept: later
/// answers often have none. True when the job gained a way to be asked for.
fn keep_first_answer(remote: &mut RemoteJob, update: RemoteJob) -> bool {
    remote.eta_seconds = update.eta_seconds;
    let mut gained = false;
    if remote.id.trim().is_empty() && !update.id.trim().is_empty() {
        remote.id = update.id;
        gained = true;
    }
    if remote.fetch_url.is_none() && update.fetch_url.is_some() {
        remote.fetch_url = update.fetch_url;
        gained = true;
    }
    if remote.future_links.is_empty() {
        remote.future_links = update.future_links;
    }
    gained
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, fetch_url: Option<&str>) -> RemoteJob {
        RemoteJob { id: id.into(), fetch_url: fetch_url.map(str::to_owned), eta_seconds: Some(2.0), ..RemoteJob::default() }
    }

    #[test]
    fn the_first_answers_id_and_address_are_kept_through_id_less_answers() {
        let mut remote = job("134701497", Some("https://modelslab.com/api/v6/images/fetch/134701497"));
        let documented = RemoteJob { eta_seconds: None, ..job("", None) };
        assert!(!keep_first_answer(&mut remote, documented));
        assert_eq!(remote.id, "134701497");
        assert_eq!(remote.fetch_url.as_deref(), Some("https://modelslab.com/api/v6/images/fetch/134701497"));
        assert_eq!(remote.eta_seconds, None, "the newest ETA counts");
        assert!(!keep_first_answer(&mut remote, job("999", None)), "a later, different id does not replace the first");
        assert_eq!(remote.id, "134701497");
        let mut late = job("", None);
        assert!(keep_first_answer(&mut late, job("5", Some("https://x/api/v6/images/fetch/5"))));
        assert_eq!(late.id, "5");
    }
}
