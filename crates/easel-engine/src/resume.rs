//! Picking up what an earlier run left unfinished, each job on its own service: jobs the
//! provider was making are fetched by their stored id (never resubmitted), jobs sent without
//! any answer are marked unknown, jobs never sent are marked cancelled, and a job whose key is
//! not available waits for it, untouched.

use crate::error::{EngineError, ErrorCategory};
use crate::keys::ApiKey;
use crate::provider::ProviderKind;
use crate::service::ServiceInfo;
use crate::store::{self, JobPhase, UnfinishedJob};
use crate::{Engine, Event, EventKind, JobId, JobOutcome, JobState, Service, ServiceSpec, job, unknown_job_error};

/// Which services to resume: all of them by default; `--provider` and `--base-url` narrow it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceFilter {
    pub kind: Option<ProviderKind>,
    /// A server address, written any way the provider takes it.
    pub base_url: Option<String>,
}

impl ServiceFilter {
    pub fn matches(&self, service: &Service) -> bool {
        if self.kind.is_some_and(|kind| kind != service.kind()) {
            return false;
        }
        match &self.base_url {
            None => true,
            Some(url) => ServiceSpec::at(service.kind(), Some(url.clone())).normalized().base_url == service.spec().base_url,
        }
    }
}

/// A job left as it was because its service's key is not available.
#[derive(Clone, Debug)]
pub struct WaitingForKey {
    pub job: JobId,
    pub error: EngineError,
    /// Until when the service keeps its outputs, when that is known (ms since the epoch).
    pub collect_before_ms: Option<i64>,
}

/// What resuming did on one service.
#[derive(Clone, Debug)]
pub struct ServiceResume {
    pub service: ServiceInfo,
    pub resumed: usize,
    pub unknown: usize,
    pub cancelled: usize,
    pub waiting_for_key: usize,
    /// Why this service's jobs could not be picked up at all (its address is refused now),
    /// or why they wait (no key).
    pub problem: Option<EngineError>,
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
    /// Jobs left as they were until their key is available.
    pub waiting_for_key: Vec<WaitingForKey>,
    /// Per service, in the order their oldest job was made.
    pub services: Vec<ServiceResume>,
    /// Unfinished jobs of services the filter left out.
    pub left_out: usize,
}

pub(crate) fn resume(
    engine: &Engine,
    only: &ServiceFilter,
    keys: &dyn Fn(&Service) -> Result<Option<ApiKey>, EngineError>,
) -> Result<ResumeReport, EngineError> {
    let inner = &engine.inner;
    let unfinished = inner.store.unfinished_jobs().map_err(|e| store::storage_error(&e, "Easel could not read its library."))?;
    // One group per service, in the order its oldest job was made.
    let mut groups: Vec<(ServiceSpec, Vec<UnfinishedJob>)> = Vec::new();
    for job in unfinished {
        let spec = job.service.normalized();
        match groups.iter_mut().find(|(s, _)| *s == spec) {
            Some((_, jobs)) => jobs.push(job),
            None => groups.push((spec, vec![job])),
        }
    }
    // Jobs this engine is running already (a second resume, once a key was added) are left alone.
    let running: Vec<JobId> = inner
        .running
        .lock()
        .map(|r| r.iter().filter(|(_, r)| !r.abort.is_finished()).map(|(id, _)| id.clone()).collect())
        .unwrap_or_default();
    let mut report = ResumeReport::default();
    for (spec, mut jobs) in groups {
        jobs.retain(|job| !running.contains(&job.id));
        if jobs.is_empty() {
            continue;
        }
        let service = match engine.connect(&spec) {
            Ok(service) => service,
            Err(problem) => {
                let info = ServiceInfo {
                    provider: spec.kind.id().to_owned(),
                    base_url: spec.base_url.clone().unwrap_or_default(),
                    label: spec.label(),
                };
                tracing::warn!("{} job(s) on {} stay unfinished: {}", jobs.len(), info.label, problem.message);
                report.services.push(ServiceResume {
                    service: info,
                    resumed: 0,
                    unknown: 0,
                    cancelled: 0,
                    waiting_for_key: 0,
                    problem: Some(problem),
                });
                continue;
            }
        };
        if !only.matches(&service) {
            report.left_out += jobs.len();
            continue;
        }
        let mut summary =
            ServiceResume { service: service.info(), resumed: 0, unknown: 0, cancelled: 0, waiting_for_key: 0, problem: None };
        // The key is asked for once, and only when a job needs it.
        let mut key: Option<Result<Option<ApiKey>, EngineError>> = None;
        for job in jobs {
            let emit = |kind| (inner.sink)(Event { job: Some(job.id.clone()), kind });
            match (job.phase, job.remote.clone()) {
                (JobPhase::Processing | JobPhase::Downloading, Some(remote)) => match key.get_or_insert_with(|| keys(&service)) {
                    Ok(key) => {
                        let ids = job::Ids { id: job.id.clone(), batch: job.batch_id.clone(), group: job.group_id.clone(), place: 0 };
                        let runner = job::Job::new(inner.clone(), service.rt.clone(), ids, job.settings, key.clone());
                        let handle = inner.runtime.spawn(runner.resume(remote, job.collect_before_ms));
                        engine.track(&job.id, handle.abort_handle(), key.clone(), &service.rt);
                        report.resumed.push((job.id, handle));
                        summary.resumed += 1;
                    }
                    Err(problem) => {
                        if let Some(until_ms) = job.collect_before_ms {
                            emit(EventKind::CollectBefore { until_ms, local: local_clock(engine, until_ms) });
                        }
                        summary.problem = Some(problem.clone());
                        summary.waiting_for_key += 1;
                        report.waiting_for_key.push(WaitingForKey {
                            job: job.id,
                            error: problem.clone(),
                            collect_before_ms: job.collect_before_ms,
                        });
                    }
                },
                (JobPhase::Pending, _) => {
                    let err = EngineError::new(ErrorCategory::Cancelled)
                        .with_message("Easel stopped before the service accepted this job, so nothing was charged.")
                        .with_hint("Press Retry to send it.");
                    settle(engine, &job.id, JobPhase::Cancelled, &err);
                    emit(EventKind::Error(Box::new(err)));
                    emit(EventKind::State(JobState::Cancelled));
                    report.cancelled.push(job.id);
                    summary.cancelled += 1;
                }
                _ => {
                    let err = unknown_job_error();
                    settle(engine, &job.id, JobPhase::Unknown, &err);
                    emit(EventKind::Error(Box::new(err)));
                    emit(EventKind::State(JobState::Unknown));
                    report.unknown.push(job.id);
                    summary.unknown += 1;
                }
            }
        }
        report.services.push(summary);
    }
    Ok(report)
}

/// Write how an unfinished job from an earlier run ended. A failure is logged: the job
/// stays unfinished in the library, and the next start settles it the same way.
fn settle(engine: &Engine, job: &str, phase: JobPhase, err: &EngineError) {
    if let Err(e) = engine.inner.store.set_job_phase(job, phase, None, Some(err)) {
        tracing::error!("job {job}: the library did not take its phase '{}': {e}", phase.as_str());
    }
}

/// `until_ms` on the wall clock; the bare time in UTC if the library cannot say.
fn local_clock(engine: &Engine, until_ms: i64) -> String {
    engine.inner.store.local_clock(until_ms).unwrap_or_else(|e| {
        tracing::warn!("the local time could not be read: {e}");
        crate::store::utc_clock(until_ms)
    })
}
