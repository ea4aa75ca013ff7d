//! Diagnostics records in the library: one per HTTP exchange, kept with its job (or with no
//! job, for the engine's own calls).

use super::{Store, StoreError, from_json, now_ms, readable};
use crate::diagnostics::Diagnostics;
use rusqlite::params;

impl Store {
    /// Keep one diagnostics record. Relaxed: support information, not money; a power cut may
    /// lose the last few records.
    pub fn add_diagnostics(&self, record: &Diagnostics) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).unwrap_or_default();
        self.with_relaxed(|c| {
            c.execute("INSERT INTO diagnostics (job_id, created_ms, record_json) VALUES (?1, ?2, ?3)", params![record.job, now_ms(), json])
                .map(drop)
        })
    }

    /// Every diagnostics record of a job, oldest first.
    pub fn diagnostics_for(&self, job: &str) -> Result<Vec<Diagnostics>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT record_json FROM diagnostics WHERE job_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([job], |r| r.get::<_, String>(0))?;
            Ok(rows
                .filter_map(|row| readable("diagnostics", row))
                .filter_map(|json| from_json(format_args!("a diagnostics record of job {job}"), &json))
                .collect())
        })
    }

    /// The newest `limit` records of one service (`provider` as the records name it), oldest
    /// first: what the window's diagnostics pane shows again after a restart. Only the newest
    /// few thousand records are looked through, so a large library starts as fast as a new one.
    pub fn recent_diagnostics(&self, provider: &str, limit: u32) -> Result<Vec<Diagnostics>, StoreError> {
        let mut records: Vec<Diagnostics> = self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT record_json FROM (SELECT id, record_json FROM diagnostics ORDER BY id DESC LIMIT ?3)
                 WHERE json_extract(record_json, '$.provider') = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(rusqlite::params![provider, limit, i64::from(limit).saturating_mul(4).max(1000)], |r| r.get::<_, String>(0))?;
            Ok(rows.filter_map(|row| readable("diagnostics", row)).filter_map(|json| from_json("a diagnostics record", &json)).collect())
        })?;
        records.reverse();
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(provider: &str, job: Option<&str>, path: &str) -> Diagnostics {
        let mut record: Diagnostics = serde_json::from_value(serde_json::json!({
            "time": "2026-12-01T10:00:00Z", "provider": provider, "endpoint": "generate", "method": "POST",
            "path": path, "attempt": 1, "http_status": 200, "api_status": null, "request_ids": {},
            "request_id": null, "duration_ms": 5
        }))
        .expect("a valid record");
        record.job = job.map(str::to_owned);
        record
    }

    #[test]
    fn the_recent_records_of_one_service_come_back_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for i in 0..5 {
            store.add_diagnostics(&record("modelslab", Some("j1"), &format!("/ml/{i}"))).unwrap();
            store.add_diagnostics(&record("openai", None, &format!("/oa/{i}"))).unwrap();
        }
        let recent = store.recent_diagnostics("modelslab", 3).unwrap();
        assert_eq!(recent.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["/ml/2", "/ml/3", "/ml/4"]);
        assert_eq!(store.recent_diagnostics("openai", 10).unwrap().len(), 5);
        assert_eq!(store.recent_diagnostics("a1111", 10).unwrap().len(), 0);
        assert_eq!(store.diagnostics_for("j1").unwrap().len(), 5, "and every record of one job");
    }
}
