//! What jobs and pictures cost (written once known, totalled per day and month), and
//! try-on-several-models groups read back side by side.

use super::{ImageRecord, JobPhase, Store, StoreError, from_json, readable, rfc3339};
use crate::config::{ServiceRecord, ServiceSpec};
use crate::cost::{CostSource, CostTotals, JobCost, Money, Period};
use crate::error::EngineError;
use crate::provider::{ProviderKind, TokenUsage};
use crate::request::GenerationSettings;
use rusqlite::params;
use serde::Serialize;

/// One job of a try-on-several-models group, with its pictures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupMember {
    pub job: String,
    /// The service, in a person's words, and as the library keeps it.
    pub service: String,
    pub provider: String,
    pub base_url: String,
    pub model: String,
    pub state: JobPhase,
    /// RFC 3339.
    pub created: String,
    /// How long it took, from Generate to its last picture (or its failure).
    pub seconds: Option<f64>,
    pub cost: Option<Money>,
    pub cost_source: Option<CostSource>,
    pub error: Option<EngineError>,
    pub images: Vec<ImageRecord>,
}

impl Store {
    /// Write what a job cost, and each of its pictures' share.
    pub fn set_job_cost(&self, job: &str, cost: &JobCost) -> Result<(), StoreError> {
        let usage = cost.usage.and_then(|u| serde_json::to_string(&u).ok());
        self.write(|c| {
            let tx = c.unchecked_transaction()?;
            tx.execute(
                "UPDATE jobs SET cost = ?2, cost_currency = ?3, cost_source = ?4, usage_json = COALESCE(?5, usage_json) WHERE id = ?1",
                params![job, cost.amount, cost.currency, cost.source.as_str(), usage],
            )?;
            tx.execute(
                "UPDATE images SET cost = ?2, cost_currency = ?3, cost_source = ?4 WHERE job_id = ?1",
                params![job, cost.per_image(), cost.currency, cost.source.as_str()],
            )?;
            tx.commit()
        })
    }

    /// Keep what the service said a job used, even when no price is known for it yet.
    pub fn set_job_usage(&self, job: &str, usage: &TokenUsage) -> Result<(), StoreError> {
        let usage = serde_json::to_string(usage).unwrap_or_default();
        self.write(|c| c.execute("UPDATE jobs SET usage_json = ?2 WHERE id = ?1", params![job, usage]).map(drop))
    }

    /// What one picture of `model` on this server cost the last time the balance measured it
    /// alone: `(amount, currency, when as RFC 3339)`.
    pub fn last_measured_cost(&self, provider: &str, base_url: &str, model: &str) -> Result<Option<(f64, String, String)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT cost, cost_currency, created_ms FROM images
                 WHERE provider = ?1 AND base_url = ?2 AND model = ?3 AND cost_source = 'balance'
                   AND cost IS NOT NULL AND cost_currency IS NOT NULL
                 ORDER BY created_ms DESC LIMIT 1",
            )?;
            let mut rows = stmt.query_map(params![provider, base_url, model], |r| Ok((r.get(0)?, r.get(1)?, rfc3339(r.get(2)?))))?;
            rows.next().transpose()
        })
    }

    /// What was spent `period` (local time), per currency, and how many pictures made in it have
    /// no known cost.
    pub fn cost_totals(&self, period: Period) -> Result<CostTotals, StoreError> {
        let start = match period {
            Period::Today => "start of day",
            Period::ThisMonth => "start of month",
        };
        self.with(|c| {
            let since: i64 =
                c.query_row("SELECT CAST(strftime('%s', 'now', 'localtime', ?1, 'utc') AS INTEGER) * 1000", [start], |r| r.get(0))?;
            let mut stmt = c.prepare(
                "SELECT cost_currency, SUM(cost), MAX(cost_source IN ('balance_shared', 'usage_estimate')) FROM jobs
                 WHERE cost IS NOT NULL AND cost_currency IS NOT NULL AND created_ms >= ?1
                 GROUP BY cost_currency ORDER BY SUM(cost) DESC",
            )?;
            let mut totals = CostTotals::default();
            for row in stmt.query_map([since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?, r.get::<_, bool>(2)?)))? {
                let (currency, amount, estimated) = row?;
                totals.estimated |= estimated;
                totals.spent.push(Money { amount: (amount * 1e6).round() / 1e6, currency: Some(currency) });
            }
            (totals.images, totals.unknown) = c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(cost_source IS NULL), 0) FROM images WHERE created_ms >= ?1 AND recovered = 0",
                [since],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )?;
            Ok(totals)
        })
    }

    /// The jobs of a try-on-several-models group, oldest first, each with its service, model,
    /// time, cost and pictures: what the gallery shows side by side.
    pub fn group(&self, group_id: &str) -> Result<Vec<GroupMember>, StoreError> {
        let rows = self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, provider, base_url, service_json, settings_json, state, created_ms, finished_ms,
                        cost, cost_currency, cost_source, error_json
                 FROM jobs WHERE group_id = ?1 ORDER BY group_place, created_ms, id",
            )?;
            let rows = stmt.query_map([group_id], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?),
                    (r.get::<_, String>(4)?, r.get::<_, String>(5)?, r.get::<_, i64>(6)?, r.get::<_, Option<i64>>(7)?),
                    (r.get::<_, Option<f64>>(8)?, r.get::<_, Option<String>>(9)?, r.get::<_, Option<String>>(10)?),
                    r.get::<_, Option<String>>(11)?,
                ))
            })?;
            Ok(rows.filter_map(|row| readable("jobs", row)).collect::<Vec<_>>())
        })?;
        let mut members = Vec::new();
        for ((job, provider, base_url, service), (settings, state, created_ms, finished_ms), (cost, currency, source), error) in rows {
            let Some(state) = JobPhase::parse(&state) else { continue };
            let spec = service
                .and_then(|s| from_json::<ServiceRecord>(format_args!("the service of job {job}"), &s))
                .map(ServiceSpec::from)
                .or_else(|| ProviderKind::parse(&provider).map(|kind| ServiceSpec::at(kind, Some(base_url.clone()))));
            let settings: Option<GenerationSettings> = from_json(format_args!("the settings of job {job}"), &settings);
            let images = self.images_where("job_id = ?1 AND deleted_ms IS NULL ORDER BY idx", [&job])?;
            members.push(GroupMember {
                service: spec.map_or_else(|| provider.clone(), |s| s.label()),
                provider,
                base_url,
                model: settings.map(|s| s.model).unwrap_or_default(),
                state,
                created: rfc3339(created_ms),
                seconds: finished_ms.map(|end| (end - created_ms).max(0) as f64 / 1000.0),
                cost: cost.map(|amount| Money { amount, currency }),
                cost_source: source.as_deref().and_then(CostSource::parse),
                error: error.and_then(|e| from_json(format_args!("the error of job {job}"), &e)),
                images,
                job,
            });
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewJob;
    use crate::store::tests::{add, settings};

    #[test]
    fn a_jobs_cost_is_shared_by_its_pictures_and_totalled_for_today() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = add(&store, "j1", "a fox", "flux", 1);
        add(&store, "j2", "a hare", "flux", 2);
        let before = store.cost_totals(Period::Today).unwrap();
        assert_eq!((before.images, before.unknown, before.spent.len()), (2, 2, 0), "nothing known yet: {before:?}");

        let cost = JobCost { amount: 0.004, currency: Some("USD".into()), source: CostSource::Balance, images: 1, usage: None };
        store.set_job_cost("j1", &cost).unwrap();
        let found = store.search(&Default::default(), 10, 0).unwrap();
        let fox = found.iter().find(|i| i.id == a.id).unwrap();
        assert_eq!(fox.cost.as_ref().map(|c| (c.amount, c.source)), Some((0.004, CostSource::Balance)));
        assert_eq!(store.last_measured_cost("modelslab", "u", "flux").unwrap().map(|m| m.0), Some(0.004));
        assert_eq!(store.last_measured_cost("modelslab", "u", "sdxl").unwrap(), None);

        let estimated = JobCost { amount: 0.04, currency: Some("USD".into()), source: CostSource::UsageEstimate, images: 1, usage: None };
        store.set_job_cost("j2", &estimated).unwrap();
        let today = store.cost_totals(Period::Today).unwrap();
        assert_eq!(today.spent, [Money { amount: 0.044, currency: Some("USD".into()) }]);
        assert!(today.estimated, "part of it is an estimate");
        assert_eq!((today.images, today.unknown), (2, 0));
        assert_eq!(store.cost_totals(Period::ThisMonth).unwrap().spent, today.spent);
    }

    #[test]
    fn a_group_reads_back_each_model_with_its_time_cost_and_pictures() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (flux, sdxl) = (settings("flux", crate::request::Seed::Random), settings("sdxl", crate::request::Seed::Random));
        for (place, id, s) in [(1, "j2", &sdxl), (0, "j1", &flux)] {
            store.insert_job(&NewJob { group_id: Some("g-1"), group_place: place, ..NewJob::new(id, id, "modelslab", "u", s) }).unwrap();
        }
        store.set_job_phase("j2", JobPhase::Failed, None, Some(&EngineError::new(crate::error::ErrorCategory::Server))).unwrap();
        let members = store.group("g-1").unwrap();
        assert_eq!(members.iter().map(|m| m.model.as_str()).collect::<Vec<_>>(), ["flux", "sdxl"]);
        assert_eq!(members[1].state, JobPhase::Failed);
        assert!(members[1].seconds.is_some() && members[0].seconds.is_none(), "time is known once a job ended");
        assert!(store.group("g-none").unwrap().is_empty());
    }
}
