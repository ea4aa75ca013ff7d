//! Jobs in the library: recorded before anything is sent, moved through their phases, and
//! found again after a restart. What resuming after a crash reads.

use super::{Store, StoreError, from_json, now_ms, readable, rfc3339};
use crate::config::{ServiceRecord, ServiceSpec};
use crate::error::EngineError;
use crate::provider::RemoteJob;
use crate::request::{GenerationSettings, Seed};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A job that did not finish, as found in the library.
#[derive(Clone, Debug, PartialEq)]
pub struct UnfinishedJob {
    pub id: String,
    pub batch_id: String,
    pub phase: JobPhase,
    pub provider: String,
    pub base_url: String,
    pub settings: GenerationSettings,
    pub remote: Option<RemoteJob>,
    pub created_ms: i64,
    /// The service it was sent to, as it was named (older rows have only `provider` and
    /// `base_url`, and their service is built from those).
    pub service: ServiceSpec,
    /// The try-on-several-models group it belongs to.
    pub group_id: Option<String>,
    /// Until when the service keeps its outputs (ms since the epoch), when that is known.
    pub collect_before_ms: Option<i64>,
}

/// A job as the jobs list shows it after a restart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobSummary {
    pub id: String,
    pub state: JobPhase,
    pub prompt: String,
    pub model: String,
    pub remote_id: Option<String>,
    pub error: Option<EngineError>,
    pub created: String,
    /// The provider's id and server it was sent to.
    pub provider: String,
    pub base_url: String,
    pub group: Option<String>,
    /// Until when the service keeps its outputs, for a job not collected yet (ms since the epoch).
    pub collect_before_ms: Option<i64>,
}

/// Where a job is in its life. Stored as text in `jobs.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobPhase {
    /// Recorded, not yet sent.
    Pending,
    /// The request went out; no answer recorded yet.
    Sent,
    /// The provider is making it; `remote_json` says how to fetch it.
    Processing,
    Downloading,
    Done,
    Failed,
    Cancelled,
    /// Sent, but Easel stopped before any answer: it may have been made (and charged).
    /// Never resubmitted automatically.
    Unknown,
}

impl JobPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Processing => "processing",
            Self::Downloading => "downloading",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Unknown => "unknown",
        }
    }
    pub(super) fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Processing, Self::Downloading, Self::Done, Self::Failed, Self::Cancelled, Self::Unknown]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// What a new job row holds.
pub struct NewJob<'a> {
    pub id: &'a str,
    pub batch_id: &'a str,
    pub provider: &'a str,
    pub base_url: &'a str,
    pub settings: &'a GenerationSettings,
    pub cache_key: Option<&'a str>,
    /// The service as it was named, so the job is picked up on the same one.
    pub service: Option<&'a ServiceSpec>,
    /// The try-on-several-models group it belongs to, and its place there (the order the
    /// person listed the models in).
    pub group_id: Option<&'a str>,
    pub group_place: u32,
}

impl<'a> NewJob<'a> {
    /// A job with no cache key, service record or group.
    pub fn new(id: &'a str, batch_id: &'a str, provider: &'a str, base_url: &'a str, settings: &'a GenerationSettings) -> Self {
        Self { id, batch_id, provider, base_url, settings, cache_key: None, service: None, group_id: None, group_place: 0 }
    }
}

/// The phases a job ends in: the moment it reaches one is when it finished.
const ENDED: [JobPhase; 4] = [JobPhase::Done, JobPhase::Failed, JobPhase::Cancelled, JobPhase::Unknown];

/// Mark job `id` done, pointing the cache at `cache_key`.
pub(super) fn mark_done(c: &Connection, id: &str, cache_key: Option<&str>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE jobs SET state = 'done', updated_ms = ?3, finished_ms = ?3, cache_key = ?2, collect_before_ms = NULL WHERE id = ?1",
        params![id, cache_key, now_ms()],
    )
    .map(drop)
}

impl Store {
    /// Record a job before anything is sent. Relaxed: the job's `sent` phase is written (and
    /// synced, taking this row with it) before its request goes out, so a power cut can only
    /// lose a job that was never sent.
    pub fn insert_job(&self, job: &NewJob<'_>) -> Result<(), StoreError> {
        let now = now_ms();
        let settings = serde_json::to_string(job.settings).unwrap_or_default();
        let service = job.service.and_then(|s| serde_json::to_string(&s.record()).ok());
        self.with_relaxed(|c| {
            c.execute(
                "INSERT INTO jobs (id, batch_id, created_ms, updated_ms, provider, base_url, settings_json, state, cache_key,
                     service_json, group_id, group_place)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10)",
                params![
                    job.id,
                    job.batch_id,
                    now,
                    job.provider,
                    job.base_url,
                    settings,
                    job.cache_key,
                    service,
                    job.group_id,
                    job.group_place
                ],
            )
            .map(drop)
        })
    }

    /// Move a job to `phase`, keeping how to fetch it and why it failed.
    pub fn set_job_phase(
        &self,
        id: &str,
        phase: JobPhase,
        remote: Option<&RemoteJob>,
        error: Option<&EngineError>,
    ) -> Result<(), StoreError> {
        let remote_json = remote.and_then(|r| serde_json::to_string(r).ok());
        let error_json = error.and_then(|e| serde_json::to_string(e).ok());
        let ended = ENDED.contains(&phase);
        self.write(|c| {
            c.execute(
                "UPDATE jobs SET state = ?2, updated_ms = ?3,
                     remote_id = COALESCE(?4, remote_id), remote_json = COALESCE(?5, remote_json),
                     error_json = COALESCE(?6, error_json),
                     finished_ms = CASE WHEN ?7 THEN ?3 ELSE finished_ms END
                 WHERE id = ?1",
                params![id, phase.as_str(), now_ms(), remote.map(|r| r.id.as_str()), remote_json, error_json, ended],
            )
            .map(drop)
        })
    }

    /// Note until when the service keeps a job's outputs (ms since the epoch).
    pub fn set_collect_before(&self, id: &str, until_ms: i64) -> Result<(), StoreError> {
        self.write(|c| c.execute("UPDATE jobs SET collect_before_ms = ?2 WHERE id = ?1", params![id, until_ms]).map(drop))
    }

    /// Mark a job cancelled unless it already ended. Returns whether it changed.
    pub fn cancel_job(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE jobs SET state = 'cancelled', updated_ms = ?2, finished_ms = ?2
                 WHERE id = ?1 AND state NOT IN ('done','failed','cancelled')",
                params![id, now_ms()],
            )
            .map(|n| n > 0)
        })
    }

    /// The phase of job `id` (tests read it; the faces read [`Store::recent_jobs`]).
    #[cfg(test)]
    pub(crate) fn job_phase(&self, id: &str) -> Result<Option<JobPhase>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT state FROM jobs WHERE id = ?1", [id], |r| r.get::<_, String>(0))
                .optional()
                .map(|s| s.and_then(|s| JobPhase::parse(&s)))
        })
    }

    /// Mark a job done, pointing the cache at the settings that really produced its images
    /// (after a fallback, another model's): one transaction for one change of state.
    pub fn finish_job(&self, id: &str, cache_key: Option<&str>) -> Result<(), StoreError> {
        self.write(|c| mark_done(c, id, cache_key))
    }

    /// Jobs that had not ended, oldest first: what a restart must pick up.
    pub fn unfinished_jobs(&self) -> Result<Vec<UnfinishedJob>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, state, provider, base_url, settings_json, remote_json, created_ms, batch_id,
                        service_json, group_id, collect_before_ms FROM jobs
                 WHERE state IN ('pending','sent','processing','downloading') ORDER BY created_ms",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?),
                    (r.get::<_, String>(4)?, r.get::<_, Option<String>>(5)?, r.get::<_, i64>(6)?, r.get::<_, String>(7)?),
                    (r.get::<_, Option<String>>(8)?, r.get::<_, Option<String>>(9)?, r.get::<_, Option<i64>>(10)?),
                ))
            })?;
            Ok(rows
                .filter_map(|row| readable("jobs", row))
                .filter_map(|((id, state, provider, base_url), (settings, remote, created_ms, batch_id), (service, group_id, collect))| {
                    let service = match service.and_then(|s| from_json::<ServiceRecord>(format_args!("the service of job {id}"), &s)) {
                        Some(record) => record.into(),
                        None => ServiceSpec::at(crate::provider::ProviderKind::parse(&provider)?, Some(base_url.clone())),
                    };
                    Some(UnfinishedJob {
                        phase: JobPhase::parse(&state)?,
                        settings: from_json(format_args!("the settings of job {id}"), &settings)?,
                        remote: remote.and_then(|r| from_json(format_args!("where to fetch job {id}"), &r)),
                        id,
                        batch_id,
                        provider,
                        base_url,
                        created_ms,
                        service,
                        group_id,
                        collect_before_ms: collect,
                    })
                })
                .collect())
        })
    }

    /// Recent jobs, newest first, for the jobs list and `library jobs`.
    pub fn recent_jobs(&self, limit: u32) -> Result<Vec<JobSummary>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, state, settings_json, remote_id, error_json, created_ms, provider, base_url, group_id, collect_before_ms
                 FROM jobs ORDER BY created_ms DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                    (r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?, r.get::<_, i64>(5)?),
                    (r.get::<_, String>(6)?, r.get::<_, String>(7)?, r.get::<_, Option<String>>(8)?, r.get::<_, Option<i64>>(9)?),
                ))
            })?;
            Ok(rows
                .filter_map(|row| readable("jobs", row))
                .filter_map(|((id, state, settings), (remote_id, error, created_ms), (provider, base_url, group, collect_before_ms))| {
                    let settings: GenerationSettings = from_json(format_args!("the settings of job {id}"), &settings)?;
                    Some(JobSummary {
                        state: JobPhase::parse(&state)?,
                        prompt: settings.prompt,
                        model: settings.model,
                        remote_id,
                        error: error.and_then(|e| from_json(format_args!("the error of job {id}"), &e)),
                        created: rfc3339(created_ms),
                        id,
                        provider,
                        base_url,
                        group,
                        collect_before_ms,
                    })
                })
                .collect())
        })
    }

    /// The settings a job was made with.
    pub fn job_settings(&self, id: &str) -> Result<Option<GenerationSettings>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT settings_json FROM jobs WHERE id = ?1", [id], |r| r.get::<_, String>(0))
                .optional()
                .map(|s| s.and_then(|s| from_json(format_args!("the settings of job {id}"), &s)))
        })
    }
}

/// The cache key: every parameter that changes the output, and where it was made.
pub fn cache_key(provider: &str, base_url: &str, s: &GenerationSettings) -> Option<String> {
    let Seed::Fixed(seed) = s.seed else { return None };
    let mut canonical = serde_json::json!({
        "provider": provider,
        "base_url": base_url,
        "model": s.model,
        "prompt": s.prompt,
        "negative_prompt": s.negative_prompt,
        "width": s.width,
        "height": s.height,
        "samples": s.samples,
        "steps": s.steps,
        "guidance": s.guidance,
        "seed": seed,
        "aspect_ratio": s.aspect_ratio,
        "init_image": s.init_image().map(|i| &i.sha256),
        "strength": s.init_image().map(|_| s.strength),
    });
    // Added only when there are any, so the keys of everything made before they existed hold.
    if s.init_images.len() > 1 {
        canonical["more_init_images"] = s.init_images[1..].iter().map(|i| i.sha256.clone()).collect();
    }
    if !s.options.is_empty() {
        canonical["options"] = serde_json::json!(s.options);
    }
    // Added only when there is one, so the keys of everything made before masks existed hold.
    if let Some(mask) = &s.mask_image {
        canonical["mask_image"] = serde_json::Value::String(mask.sha256.clone());
    }
    use sha2::Digest as _;
    Some(crate::intake::hex(&sha2::Sha256::digest(canonical.to_string().as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::settings;

    #[test]
    fn cache_key_covers_model_and_every_parameter_and_needs_a_fixed_seed() {
        let a = cache_key("modelslab", "https://modelslab.com/", &settings("flux", Seed::Fixed(1))).unwrap();
        let b = cache_key("modelslab", "https://modelslab.com/", &settings("sdxl", Seed::Fixed(1))).unwrap();
        let c = cache_key("modelslab", "http://127.0.0.1:1/", &settings("flux", Seed::Fixed(1))).unwrap();
        let mut wide = settings("flux", Seed::Fixed(1));
        wide.width = 768;
        let d = cache_key("modelslab", "https://modelslab.com/", &wide).unwrap();
        assert_eq!(a.len(), 64);
        assert!(a != b && a != c && a != d && b != c);
        assert_eq!(cache_key("modelslab", "x", &settings("flux", Seed::Random)), None);
        // The same start image with and without a mask (or with another mask) never share a key.
        let init = crate::request::InitImageRef { path: "a.png".into(), sha256: "aa".into(), width: 8, height: 8 };
        let mut img2img = settings("sdxl", Seed::Fixed(1));
        img2img.init_images = vec![init.clone()];
        let mut inpaint = img2img.clone();
        inpaint.mask_image = Some(crate::request::InitImageRef { sha256: "bb".into(), ..init.clone() });
        let mut other_mask = img2img.clone();
        other_mask.mask_image = Some(crate::request::InitImageRef { sha256: "cc".into(), ..init });
        let keys = [&img2img, &inpaint, &other_mask].map(|s| cache_key("modelslab", "u", s).unwrap());
        assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    }

    #[test]
    fn job_phases_round_trip_and_cancel_only_unfinished_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = settings("flux", Seed::Random);
        store.insert_job(&NewJob::new("j1", "b", "modelslab", "u", &s)).unwrap();
        assert_eq!(store.job_phase("j1").unwrap(), Some(JobPhase::Pending));
        let remote = RemoteJob { id: "77".into(), eta_seconds: Some(3.0), ..RemoteJob::default() };
        store.set_job_phase("j1", JobPhase::Processing, Some(&remote), None).unwrap();
        assert_eq!(store.job_phase("j1").unwrap(), Some(JobPhase::Processing));
        assert!(store.cancel_job("j1").unwrap());
        assert!(!store.cancel_job("j1").unwrap(), "already cancelled");
        assert_eq!(store.job_phase("nope").unwrap(), None);
    }

    #[test]
    fn a_job_row_that_no_longer_reads_does_not_hide_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = settings("flux", Seed::Random);
        for id in ["j1", "j2"] {
            store.insert_job(&NewJob::new(id, "b", "modelslab", "u", &s)).unwrap();
        }
        store.with(|c| c.execute("UPDATE jobs SET settings_json = '{not json' WHERE id = 'j1'", [])).unwrap();
        let unfinished: Vec<String> = store.unfinished_jobs().unwrap().into_iter().map(|j| j.id).collect();
        assert_eq!(unfinished, ["j2"]);
        assert_eq!(store.recent_jobs(10).unwrap().len(), 1);
    }
}
