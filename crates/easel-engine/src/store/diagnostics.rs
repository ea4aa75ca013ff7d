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
}
