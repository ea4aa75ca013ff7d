//! Where data lives: the data directory, the SQLite library and the image files.
//!
//! Layout of the data directory (`EASEL_DATA_DIR`, or the platform data directory):
//! ```text
//! easel.db              jobs, images, diagnostics (SQLite, WAL)
//! images/ab/<sha256>.png  every image, named by its content, original bytes
//! ```
//! An image file is written (atomically) before the row that points at it is
//! committed, so a row never points at a missing file.

use super::diagnostics::Diagnostics;
use super::error::EngineError;
use super::intake::{ImageFormat, VerifiedImage};
use super::provider::RemoteJob;
use super::request::{GenerationSettings, Seed};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The environment variable that moves the data directory.
pub const DATA_DIR_ENV: &str = "EASEL_DATA_DIR";

/// The data directory: `EASEL_DATA_DIR`, else the platform's (e.g. `~/.local/share/easel`).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("io.github", "easel", "easel")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".easel"))
}

/// Mark job `id` done, pointing the cache at `cache_key`.
fn mark_done(c: &Connection, id: &str, cache_key: Option<&str>) -> rusqlite::Result<()> {
    c.execute("UPDATE jobs SET state = 'done', updated_ms = ?3, cache_key = ?2 WHERE id = ?1", params![id, cache_key, now_ms()]).map(drop)
}

/// The `WHERE` clause (and its values) that selects the images `filter` asks for.
fn filter_clause(filter: &ImageFilter) -> (String, Vec<rusqlite::types::Value>) {
    let mut clause = String::from(if filter.trash { "deleted_ms IS NOT NULL" } else { "deleted_ms IS NULL" });
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(q) = filter.text.as_deref().map(fts_query).filter(|q| !q.is_empty()) {
        values.push(q.into());
        clause.push_str(&format!(" AND id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?{})", values.len()));
    }
    if let Some(model) = &filter.model {
        values.push(model.clone().into());
        clause.push_str(&format!(" AND model = ?{}", values.len()));
    }
    if let Some(since) = filter.since_ms {
        values.push(since.into());
        clause.push_str(&format!(" AND created_ms >= ?{}", values.len()));
    }
    if let Some(until) = filter.until_ms {
        values.push(until.into());
        clause.push_str(&format!(" AND created_ms < ?{}", values.len()));
    }
    if filter.starred_only {
        clause.push_str(" AND starred = 1");
    }
    (clause, values)
}

/// Schema migrations, applied in order; `PRAGMA user_version` is the number applied.
/// Never edit a released migration: add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: jobs, images, diagnostics.
    r#"
    CREATE TABLE jobs (
        id            TEXT PRIMARY KEY,
        batch_id      TEXT NOT NULL,
        created_ms    INTEGER NOT NULL,
        updated_ms    INTEGER NOT NULL,
        provider      TEXT NOT NULL,
        base_url      TEXT NOT NULL,
        settings_json TEXT NOT NULL,
        state         TEXT NOT NULL,
        remote_id     TEXT,
        remote_json   TEXT,
        error_json    TEXT,
        cache_key     TEXT
    );
    CREATE INDEX jobs_by_state ON jobs(state);
    CREATE INDEX jobs_by_cache_key ON jobs(cache_key);
    CREATE TABLE images (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id          TEXT NOT NULL REFERENCES jobs(id),
        idx             INTEGER NOT NULL,
        sha256          TEXT NOT NULL,
        path            TEXT NOT NULL,
        format          TEXT NOT NULL,
        bytes           INTEGER NOT NULL,
        width           INTEGER NOT NULL,
        height          INTEGER NOT NULL,
        seed            INTEGER,
        prompt          TEXT NOT NULL,
        negative_prompt TEXT,
        model           TEXT NOT NULL,
        provider        TEXT NOT NULL,
        base_url        TEXT NOT NULL,
        settings_json   TEXT NOT NULL,
        request_id      TEXT,
        created_ms      INTEGER NOT NULL,
        starred         INTEGER NOT NULL DEFAULT 0,
        cost            REAL,
        UNIQUE(job_id, idx)
    );
    CREATE INDEX images_by_created ON images(created_ms DESC);
    CREATE TABLE diagnostics (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id      TEXT,
        created_ms  INTEGER NOT NULL,
        record_json TEXT NOT NULL
    );
    CREATE INDEX diagnostics_by_job ON diagnostics(job_id);
    "#,
    // 2: trash, full-text search over prompts, named presets.
    r#"
    ALTER TABLE images ADD COLUMN deleted_ms INTEGER;
    CREATE INDEX images_by_deleted ON images(deleted_ms);
    CREATE VIRTUAL TABLE images_fts USING fts5(
        prompt, negative_prompt, model, content='images', content_rowid='id', tokenize='unicode61'
    );
    CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
        INSERT INTO images_fts(rowid, prompt, negative_prompt, model)
        VALUES (new.id, new.prompt, new.negative_prompt, new.model);
    END;
    CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
        INSERT INTO images_fts(images_fts, rowid, prompt, negative_prompt, model)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt, old.model);
    END;
    CREATE TRIGGER images_fts_update AFTER UPDATE OF prompt, negative_prompt, model ON images BEGIN
        INSERT INTO images_fts(images_fts, rowid, prompt, negative_prompt, model)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt, old.model);
        INSERT INTO images_fts(rowid, prompt, negative_prompt, model)
        VALUES (new.id, new.prompt, new.negative_prompt, new.model);
    END;
    INSERT INTO images_fts(images_fts) VALUES ('rebuild');
    CREATE TABLE presets (
        name          TEXT PRIMARY KEY,
        settings_json TEXT NOT NULL,
        updated_ms    INTEGER NOT NULL
    );
    "#,
];

/// Narrowing a library listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageFilter {
    /// Words to find in the prompt, negative prompt or model (full-text; every word must match).
    pub text: Option<String>,
    pub model: Option<String>,
    /// Only images made at or after / before these times (ms since the epoch).
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub starred_only: bool,
    /// Images in the trash instead of the live library.
    pub trash: bool,
}

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
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Cancelled | Self::Unknown)
    }
    fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Processing, Self::Downloading, Self::Done, Self::Failed, Self::Cancelled, Self::Unknown]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A stored image, as events, the gallery and `library list` report it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageRecord {
    pub id: i64,
    pub job: String,
    /// The press of Generate it came from: candidates of one batch belong side by side.
    #[serde(default)]
    pub batch: String,
    pub index: u32,
    pub path: PathBuf,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
    pub sha256: String,
    pub seed: Option<u64>,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub model: String,
    pub steps: u32,
    pub guidance: f32,
    pub provider: String,
    pub request_id: Option<String>,
    /// RFC 3339.
    pub created: String,
    pub created_ms: i64,
    pub starred: bool,
    /// Served from the local store instead of being generated again.
    #[serde(default)]
    pub cached: bool,
}

/// What a new job row holds.
pub struct NewJob<'a> {
    pub id: &'a str,
    pub batch_id: &'a str,
    pub provider: &'a str,
    pub base_url: &'a str,
    pub settings: &'a GenerationSettings,
    pub cache_key: Option<&'a str>,
}

/// What a new image row holds besides the verified file.
pub struct NewImage<'a> {
    pub job_id: &'a str,
    pub batch_id: &'a str,
    pub index: u32,
    pub seed: Option<u64>,
    pub settings: &'a GenerationSettings,
    pub provider: &'a str,
    pub base_url: &'a str,
    pub request_id: Option<&'a str>,
}

/// The data directory and its library. Cheap to clone; all clones share one connection.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

/// A storage failure, in words.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not use the data folder {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the library database failed: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("the library database is from a newer Easel (schema {found}, this build knows {known})")]
    TooNew { found: i64, known: i64 },
    #[error("the library lock was poisoned by a crash in another thread")]
    Poisoned,
}

impl Store {
    /// Open (or create) the library in `dir`, applying any pending migrations.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io { path: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir.join("images")).map_err(io)?;
        let mut conn = Connection::open(dir.join("easel.db"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        // A writer killed between writing and renaming leaves a temporary file: tidy those
        // (never another running Easel's).
        super::intake::sweep_temporary_files(&dir.join("images"));
        super::intake::sweep_temporary_files(&dir.join("thumbs"));
        Ok(Self { dir: dir.to_path_buf(), conn: Arc::new(Mutex::new(conn)) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn images_dir(&self) -> PathBuf {
        self.dir.join("images")
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        Ok(f(&conn)?)
    }

    /// A write that need not survive a power cut on its own: committed without waiting for
    /// the disk (`synchronous = NORMAL`). In WAL mode the next ordinary (FULL) commit syncs the
    /// log, and with it every relaxed commit before it, so the order of what survives holds.
    /// Only for rows whose loss cannot cost money: see the callers.
    fn with_relaxed<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = f(&conn);
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(result?)
    }

    /// Record a job before anything is sent. Relaxed: the job's `sent` phase is written (and
    /// synced, taking this row with it) before its request goes out, so a power cut can only
    /// lose a job that was never sent.
    pub fn insert_job(&self, job: &NewJob<'_>) -> Result<(), StoreError> {
        let now = now_ms();
        let settings = serde_json::to_string(job.settings).unwrap_or_default();
        self.with_relaxed(|c| {
            c.execute(
                "INSERT INTO jobs (id, batch_id, created_ms, updated_ms, provider, base_url, settings_json, state, cache_key)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, 'pending', ?7)",
                params![job.id, job.batch_id, now, job.provider, job.base_url, settings, job.cache_key],
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
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = ?2, updated_ms = ?3,
                     remote_id = COALESCE(?4, remote_id), remote_json = COALESCE(?5, remote_json),
                     error_json = COALESCE(?6, error_json)
                 WHERE id = ?1",
                params![id, phase.as_str(), now_ms(), remote.map(|r| r.id.as_str()), remote_json, error_json],
            )
            .map(drop)
        })
    }

    /// Mark a job cancelled unless it already ended. Returns whether it changed.
    pub fn cancel_job(&self, id: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = 'cancelled', updated_ms = ?2 WHERE id = ?1 AND state NOT IN ('done','failed','cancelled')",
                params![id, now_ms()],
            )
            .map(|n| n > 0)
        })
    }

    pub fn job_phase(&self, id: &str) -> Result<Option<JobPhase>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT state FROM jobs WHERE id = ?1", [id], |r| r.get::<_, String>(0))
                .optional()
                .map(|s| s.and_then(|s| JobPhase::parse(&s)))
        })
    }

    /// Mark a job done, pointing the cache at the settings that really produced its images
    /// (after a fallback, another model's): one transaction for one change of state.
    pub fn finish_job(&self, id: &str, cache_key: Option<&str>) -> Result<(), StoreError> {
        self.with(|c| mark_done(c, id, cache_key))
    }

    /// Store a verified image's file, then commit its row. Returns the record.
    pub fn add_image(&self, image: &VerifiedImage, meta: &NewImage<'_>) -> Result<ImageRecord, StoreError> {
        self.add_image_then(image, meta, None)
    }

    /// A job's last image: its row and the job's `done` in one transaction, so one synced
    /// commit, and never a moment when every image is stored but the job is not done.
    /// `cache_key` as for [`Store::finish_job`].
    pub fn add_last_image(&self, image: &VerifiedImage, meta: &NewImage<'_>, cache_key: Option<&str>) -> Result<ImageRecord, StoreError> {
        self.add_image_then(image, meta, Some(cache_key))
    }

    fn add_image_then(&self, image: &VerifiedImage, meta: &NewImage<'_>, finish: Option<Option<&str>>) -> Result<ImageRecord, StoreError> {
        let path = super::intake::store(&self.images_dir(), image).map_err(|source| StoreError::Io { path: self.images_dir(), source })?;
        let relative = path.strip_prefix(&self.dir).unwrap_or(&path).to_string_lossy().into_owned();
        let s = meta.settings;
        let settings = serde_json::to_string(s).unwrap_or_default();
        let created_ms = now_ms();
        let format = serde_json::to_value(image.format).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let id = self.with(|c| {
            let tx = c.unchecked_transaction()?;
            tx.execute(
                "INSERT INTO images (job_id, idx, sha256, path, format, bytes, width, height, seed, prompt,
                     negative_prompt, model, provider, base_url, settings_json, request_id, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                 ON CONFLICT(job_id, idx) DO UPDATE SET sha256 = excluded.sha256, path = excluded.path",
                params![
                    meta.job_id,
                    meta.index,
                    image.sha256,
                    relative,
                    format,
                    image.bytes.len() as i64,
                    image.width,
                    image.height,
                    meta.seed.map(|n| n as i64),
                    s.prompt,
                    s.negative_prompt,
                    s.model,
                    meta.provider,
                    meta.base_url,
                    settings,
                    meta.request_id,
                    created_ms,
                ],
            )?;
            let id = tx.query_row("SELECT id FROM images WHERE job_id = ?1 AND idx = ?2", params![meta.job_id, meta.index], |r| {
                r.get::<_, i64>(0)
            })?;
            if let Some(cache_key) = finish {
                mark_done(&tx, meta.job_id, cache_key)?;
            }
            tx.commit()?;
            Ok(id)
        })?;
        Ok(ImageRecord {
            id,
            job: meta.job_id.to_owned(),
            batch: meta.batch_id.to_owned(),
            index: meta.index,
            path,
            bytes: image.bytes.len() as u64,
            width: image.width,
            height: image.height,
            format: image.format,
            sha256: image.sha256.clone(),
            seed: meta.seed,
            prompt: s.prompt.clone(),
            negative_prompt: s.negative_prompt.clone(),
            model: s.model.clone(),
            steps: s.steps,
            guidance: s.guidance,
            provider: meta.provider.to_owned(),
            request_id: meta.request_id.map(str::to_owned),
            created: rfc3339(created_ms),
            created_ms,
            starred: false,
            cached: false,
        })
    }

    /// Images of the newest finished job with this cache key whose files are all still there.
    pub fn cached_images(&self, cache_key: &str) -> Result<Vec<ImageRecord>, StoreError> {
        let job: Option<String> = self.with(|c| {
            c.query_row("SELECT id FROM jobs WHERE cache_key = ?1 AND state = 'done' ORDER BY created_ms DESC LIMIT 1", [cache_key], |r| {
                r.get(0)
            })
            .optional()
        })?;
        let Some(job) = job else { return Ok(Vec::new()) };
        let images = self.images_where("job_id = ?1 ORDER BY idx", [job])?;
        Ok(if images.iter().all(|i| i.path.is_file()) { images } else { Vec::new() })
    }

    /// The newest images first, `limit` from `offset` (not the trash).
    pub fn recent_images(&self, limit: u32, offset: u32) -> Result<Vec<ImageRecord>, StoreError> {
        self.images_where("deleted_ms IS NULL ORDER BY created_ms DESC, id DESC LIMIT ?1 OFFSET ?2", [limit, offset])
    }

    /// Images matching `filter`, newest first.
    pub fn search(&self, filter: &ImageFilter, limit: u32, offset: u32) -> Result<Vec<ImageRecord>, StoreError> {
        let (mut clause, mut values) = filter_clause(filter);
        values.push(i64::from(limit).into());
        values.push(i64::from(offset).into());
        clause.push_str(&format!(" ORDER BY created_ms DESC, id DESC LIMIT ?{} OFFSET ?{}", values.len() - 1, values.len()));
        self.images_where(&clause, rusqlite::params_from_iter(values))
    }

    /// How many images [`Store::search`] would list for `filter`, over all its pages.
    pub fn count_matching(&self, filter: &ImageFilter) -> Result<u64, StoreError> {
        let (clause, values) = filter_clause(filter);
        self.with(|c| {
            c.query_row(&format!("SELECT COUNT(*) FROM images WHERE {clause}"), rusqlite::params_from_iter(values), |r| r.get::<_, i64>(0))
        })
        .map(|n| n as u64)
    }

    /// How many images are in the library (not the trash).
    pub fn image_count(&self) -> Result<u64, StoreError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM images WHERE deleted_ms IS NULL", [], |r| r.get::<_, i64>(0))).map(|n| n as u64)
    }

    pub fn set_starred(&self, image_id: i64, starred: bool) -> Result<(), StoreError> {
        self.with(|c| c.execute("UPDATE images SET starred = ?2 WHERE id = ?1", params![image_id, starred]).map(drop))
    }

    /// Move an image to the trash (its file stays until the trash is emptied).
    pub fn trash(&self, image_id: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("UPDATE images SET deleted_ms = ?2 WHERE id = ?1 AND deleted_ms IS NULL", params![image_id, now_ms()]).map(drop)
        })
    }

    /// Bring an image back from the trash.
    pub fn restore(&self, image_id: i64) -> Result<(), StoreError> {
        self.with(|c| c.execute("UPDATE images SET deleted_ms = NULL WHERE id = ?1", [image_id]).map(drop))
    }

    /// Delete trashed images for good: rows first, then files no remaining row uses.
    /// Returns how many images were removed.
    pub fn empty_trash(&self) -> Result<usize, StoreError> {
        let removed: Vec<(String, String)> = self.with(|c| {
            let tx = c.unchecked_transaction()?;
            let paths = {
                let mut stmt = tx.prepare("SELECT path, sha256 FROM images WHERE deleted_ms IS NOT NULL")?;
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.execute("DELETE FROM images WHERE deleted_ms IS NOT NULL", [])?;
            tx.commit()?;
            Ok(paths)
        })?;
        for (path, sha) in &removed {
            let still_used: bool =
                self.with(|c| c.query_row("SELECT EXISTS(SELECT 1 FROM images WHERE sha256 = ?1)", [sha], |r| r.get(0)))?;
            // The rows are gone either way; a file that stays behind only takes space.
            if !still_used && let Err(e) = std::fs::remove_file(self.dir.join(path)) {
                tracing::warn!("emptying the trash left the file {path} behind: {e}");
            }
        }
        Ok(removed.len())
    }

    /// Jobs that had not ended, oldest first: what a restart must pick up.
    pub fn unfinished_jobs(&self) -> Result<Vec<UnfinishedJob>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, state, provider, base_url, settings_json, remote_json, created_ms, batch_id FROM jobs
                 WHERE state IN ('pending','sent','processing','downloading') ORDER BY created_ms",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?;
            Ok(rows
                .filter_map(Result::ok)
                .filter_map(|(id, state, provider, base_url, settings, remote, created_ms, batch_id)| {
                    Some(UnfinishedJob {
                        id,
                        batch_id,
                        phase: JobPhase::parse(&state)?,
                        provider,
                        base_url,
                        settings: serde_json::from_str(&settings).ok()?,
                        remote: remote.and_then(|r| serde_json::from_str(&r).ok()),
                        created_ms,
                    })
                })
                .collect())
        })
    }

    /// Recent jobs, newest first, for the jobs list and `library jobs`.
    pub fn recent_jobs(&self, limit: u32) -> Result<Vec<JobSummary>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, state, settings_json, remote_id, error_json, created_ms FROM jobs ORDER BY created_ms DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?;
            Ok(rows
                .filter_map(Result::ok)
                .filter_map(|(id, state, settings, remote_id, error, created_ms)| {
                    let settings: GenerationSettings = serde_json::from_str(&settings).ok()?;
                    Some(JobSummary {
                        id,
                        state: JobPhase::parse(&state)?,
                        prompt: settings.prompt,
                        model: settings.model,
                        remote_id,
                        error: error.and_then(|e| serde_json::from_str(&e).ok()),
                        created: rfc3339(created_ms),
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
                .map(|s| s.and_then(|s| serde_json::from_str(&s).ok()))
        })
    }

    /// Recent prompts with all their settings, newest first, each prompt once.
    pub fn prompt_history(&self, limit: usize) -> Result<Vec<GenerationSettings>, StoreError> {
        let all: Vec<String> = self.with(|c| {
            let mut stmt = c.prepare("SELECT settings_json FROM jobs ORDER BY created_ms DESC LIMIT 2000")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.filter_map(Result::ok).collect())
        })?;
        let mut seen = std::collections::HashSet::new();
        Ok(all
            .iter()
            .filter_map(|s| serde_json::from_str::<GenerationSettings>(s).ok())
            .filter(|s| seen.insert(s.prompt.clone()))
            .take(limit)
            .collect())
    }

    /// Save (or replace) a named preset of settings.
    pub fn save_preset(&self, name: &str, draft: &super::request::SettingsDraft) -> Result<(), StoreError> {
        let json = serde_json::to_string(draft).unwrap_or_default();
        self.with(|c| {
            c.execute(
                "INSERT INTO presets (name, settings_json, updated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET settings_json = excluded.settings_json, updated_ms = excluded.updated_ms",
                params![name, json, now_ms()],
            )
            .map(drop)
        })
    }

    /// Every preset, by name.
    pub fn presets(&self) -> Result<Vec<(String, super::request::SettingsDraft)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT name, settings_json FROM presets ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            Ok(rows.filter_map(Result::ok).filter_map(|(n, j)| Some((n, serde_json::from_str(&j).ok()?))).collect())
        })
    }

    pub fn delete_preset(&self, name: &str) -> Result<(), StoreError> {
        self.with(|c| c.execute("DELETE FROM presets WHERE name = ?1", [name]).map(drop))
    }

    fn images_where<P: rusqlite::Params>(&self, clause: &str, params: P) -> Result<Vec<ImageRecord>, StoreError> {
        let dir = self.dir.clone();
        self.with(|c| {
            let sql = format!(
                "SELECT id, job_id, idx, path, bytes, width, height, format, sha256, seed, prompt, negative_prompt,
                        model, provider, request_id, created_ms, starred, settings_json,
                        (SELECT batch_id FROM jobs WHERE jobs.id = images.job_id) FROM images WHERE {clause}"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params, |r| {
                let format: String = r.get(7)?;
                let created_ms: i64 = r.get(15)?;
                let settings: Option<GenerationSettings> = serde_json::from_str(&r.get::<_, String>(17)?).ok();
                Ok(ImageRecord {
                    id: r.get(0)?,
                    job: r.get(1)?,
                    batch: r.get::<_, Option<String>>(18)?.unwrap_or_default(),
                    index: r.get(2)?,
                    path: dir.join(r.get::<_, String>(3)?),
                    bytes: r.get::<_, i64>(4)? as u64,
                    width: r.get(5)?,
                    height: r.get(6)?,
                    format: serde_json::from_value(serde_json::Value::String(format)).unwrap_or(ImageFormat::Png),
                    sha256: r.get(8)?,
                    seed: r.get::<_, Option<i64>>(9)?.map(|n| n as u64),
                    prompt: r.get(10)?,
                    negative_prompt: r.get(11)?,
                    model: r.get(12)?,
                    steps: settings.as_ref().map_or(0, |s| s.steps),
                    guidance: settings.as_ref().map_or(0.0, |s| s.guidance),
                    provider: r.get(13)?,
                    request_id: r.get(14)?,
                    created: rfc3339(created_ms),
                    created_ms,
                    starred: r.get::<_, i64>(16)? != 0,
                    cached: false,
                })
            })?;
            rows.collect()
        })
    }

    /// Keep a diagnostics record with its job.
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
            Ok(rows.filter_map(Result::ok).filter_map(|j| serde_json::from_str(&j).ok()).collect())
        })
    }
}

/// Turn what a person typed into a safe FTS5 query: each word quoted (so punctuation
/// and FTS syntax are literal), all words required, the last one as a prefix.
fn fts_query(text: &str) -> String {
    let words: Vec<String> =
        text.split_whitespace().map(|w| w.replace('"', "")).filter(|w| !w.is_empty()).map(|w| format!("\"{w}\"")).collect();
    match words.split_last() {
        Some((last, rest)) => {
            let mut q: Vec<String> = rest.to_vec();
            q.push(format!("{last}*"));
            q.join(" ")
        }
        None => String::new(),
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
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
        "init_image": s.init_image.as_ref().map(|i| &i.sha256),
        "strength": s.init_image.as_ref().map(|_| s.strength),
    });
    // Added only when there is one, so the keys of everything made before masks existed hold.
    if let Some(mask) = &s.mask_image {
        canonical["mask_image"] = serde_json::Value::String(mask.sha256.clone());
    }
    use sha2::Digest as _;
    Some(super::intake::hex(&sha2::Sha256::digest(canonical.to_string().as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(model: &str, seed: Seed) -> GenerationSettings {
        GenerationSettings {
            prompt: "a fox".into(),
            negative_prompt: None,
            model: model.into(),
            fallback_model: None,
            width: 512,
            height: 512,
            samples: 1,
            steps: 30,
            guidance: 7.5,
            seed,
            seed_from_person: true,
            ..Default::default()
        }
    }

    #[test]
    fn migrations_apply_once_and_refuse_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path()).unwrap();
        Store::open(dir.path()).unwrap();
        let conn = Connection::open(dir.path().join("easel.db")).unwrap();
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(Store::open(dir.path()), Err(StoreError::TooNew { found: 99, .. })));
    }

    #[test]
    fn a_version_one_library_is_upgraded_and_keeps_its_images_searchable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        {
            // A library as the first release left it: migration 1 only, one image row.
            let mut conn = Connection::open(dir.path().join("easel.db")).unwrap();
            let tx = conn.transaction().unwrap();
            tx.execute_batch(MIGRATIONS[0]).unwrap();
            tx.pragma_update(None, "user_version", 1).unwrap();
            tx.execute(
                "INSERT INTO jobs (id, batch_id, created_ms, updated_ms, provider, base_url, settings_json, state)
                 VALUES ('j-old', 'b', 1, 1, 'modelslab', 'u', '{}', 'done')",
                [],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO images (job_id, idx, sha256, path, format, bytes, width, height, prompt, model,
                     provider, base_url, settings_json, created_ms)
                 VALUES ('j-old', 0, 'aa', 'images/aa.png', 'png', 1, 1, 1, 'an old lighthouse', 'flux', 'modelslab', 'u', '{}', 1)",
                [],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let found = store.search(&ImageFilter { text: Some("lighthouse".into()), ..Default::default() }, 10, 0).unwrap();
        assert_eq!(found.len(), 1, "rows from before the upgrade are in the new full-text index");
        assert_eq!(found[0].batch, "b");
        store.trash(found[0].id).unwrap();
        assert_eq!(store.image_count().unwrap(), 0, "the new trash column works on old rows");
        let conn = Connection::open(dir.path().join("easel.db")).unwrap();
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

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
        img2img.init_image = Some(init.clone());
        let mut inpaint = img2img.clone();
        inpaint.mask_image = Some(crate::request::InitImageRef { sha256: "bb".into(), ..init.clone() });
        let mut other_mask = img2img.clone();
        other_mask.mask_image = Some(crate::request::InitImageRef { sha256: "cc".into(), ..init });
        let keys = [&img2img, &inpaint, &other_mask].map(|s| cache_key("modelslab", "u", s).unwrap());
        assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    }

    #[test]
    fn the_last_image_and_done_are_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = settings("sdxl", Seed::Fixed(9));
        store.insert_job(&NewJob { id: "j1", batch_id: "b", provider: "modelslab", base_url: "u", settings: &s, cache_key: None }).unwrap();
        let png = {
            let mut png = Vec::new();
            image::RgbImage::from_pixel(4, 4, image::Rgb([9, 9, 9]))
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .unwrap();
            png
        };
        let v = super::super::intake::verify(png, &Default::default()).unwrap();
        let meta = NewImage {
            job_id: "j1",
            batch_id: "b",
            index: 0,
            seed: Some(9),
            settings: &s,
            provider: "modelslab",
            base_url: "u",
            request_id: None,
        };
        let record = store.add_last_image(&v, &meta, Some("key-9")).unwrap();
        assert_eq!(store.job_phase("j1").unwrap(), Some(JobPhase::Done));
        assert_eq!(store.cached_images("key-9").unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [record.id]);
    }

    #[test]
    fn relaxed_writes_leave_the_connection_syncing_in_full() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let sync = |store: &Store| store.with(|c| c.pragma_query_value(None, "synchronous", |r| r.get::<_, i64>(0))).unwrap();
        assert_eq!(sync(&store), 2, "FULL");
        add(&store, "j1", "a relaxed insert", "flux", 1);
        let failing = store.with_relaxed(|c| c.execute("INSERT INTO no_such_table VALUES (1)", []));
        assert!(failing.is_err());
        assert_eq!(sync(&store), 2, "FULL again after a relaxed write, even a failed one");
        assert_eq!(store.job_phase("j1").unwrap(), Some(JobPhase::Pending));
    }

    fn add(store: &Store, job: &str, prompt: &str, model: &str, shade: u8) -> ImageRecord {
        let mut s = settings(model, Seed::Fixed(u64::from(shade)));
        s.prompt = prompt.into();
        store.insert_job(&NewJob { id: job, batch_id: "b", provider: "modelslab", base_url: "u", settings: &s, cache_key: None }).unwrap();
        let img = image::RgbImage::from_pixel(4, 4, image::Rgb([shade, 0, 0]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let v = super::super::intake::verify(png, &Default::default()).unwrap();
        let meta = NewImage {
            job_id: job,
            batch_id: "b",
            index: 0,
            seed: Some(1),
            settings: &s,
            provider: "modelslab",
            base_url: "u",
            request_id: None,
        };
        store.add_image(&v, &meta).unwrap()
    }

    #[test]
    fn full_text_search_with_filters() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let fox = add(&store, "j1", "a red fox in the snow", "flux", 1);
        add(&store, "j2", "a blue whale, deep sea", "sdxl", 2);
        add(&store, "j3", "foxglove flowers", "sdxl", 3);
        let find = |f: ImageFilter| store.search(&f, 50, 0).unwrap().into_iter().map(|i| i.prompt).collect::<Vec<_>>();
        let text = |t: &str| ImageFilter { text: Some(t.into()), ..Default::default() };
        assert_eq!(find(text("whale")), ["a blue whale, deep sea"]);
        assert_eq!(find(text("fox")).len(), 2, "the last word is a prefix: fox, foxglove");
        assert_eq!(find(text("red fox")), ["a red fox in the snow"]);
        assert_eq!(find(text("\"unbalanced AND (")), Vec::<String>::new(), "FTS syntax is taken literally");
        assert_eq!(find(ImageFilter { model: Some("sdxl".into()), ..text("fox") }), ["foxglove flowers"]);
        store.set_starred(fox.id, true).unwrap();
        assert_eq!(find(ImageFilter { starred_only: true, ..Default::default() }), ["a red fox in the snow"]);
        assert_eq!(find(ImageFilter { since_ms: Some(now_ms() + 60_000), ..Default::default() }).len(), 0);
        assert_eq!(find(ImageFilter::default()).len(), 3);
        // The count agrees with the listing for every filter.
        for filter in [ImageFilter::default(), text("fox"), ImageFilter { starred_only: true, ..Default::default() }, text("whale")] {
            assert_eq!(store.count_matching(&filter).unwrap() as usize, find(filter.clone()).len(), "{filter:?}");
        }
    }

    #[test]
    fn trash_restore_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = add(&store, "j1", "keep me", "flux", 10);
        let b = add(&store, "j2", "throw me", "flux", 20);
        store.trash(b.id).unwrap();
        assert_eq!(store.image_count().unwrap(), 1);
        assert_eq!(store.search(&ImageFilter { trash: true, ..Default::default() }, 10, 0).unwrap()[0].id, b.id);
        store.restore(b.id).unwrap();
        assert_eq!(store.image_count().unwrap(), 2);
        store.trash(b.id).unwrap();
        assert!(b.path.is_file(), "the file stays until the trash is emptied");
        assert_eq!(store.empty_trash().unwrap(), 1);
        assert!(!b.path.exists());
        assert!(a.path.is_file());
        assert_eq!(store.search(&ImageFilter { text: Some("throw".into()), ..Default::default() }, 10, 0).unwrap().len(), 0);
    }

    #[test]
    fn history_and_presets() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        add(&store, "j1", "first", "flux", 1);
        add(&store, "j2", "second", "sdxl", 2);
        add(&store, "j3", "first", "flux", 3);
        let history: Vec<String> = store.prompt_history(10).unwrap().into_iter().map(|s| s.prompt).collect();
        assert_eq!(history.len(), 2);
        assert!(history.contains(&"first".to_owned()) && history.contains(&"second".to_owned()));
        let draft = crate::request::SettingsDraft { prompt: "preset prompt".into(), ..Default::default() };
        store.save_preset("Portraits", &draft).unwrap();
        store.save_preset("Portraits", &draft).unwrap();
        assert_eq!(store.presets().unwrap(), vec![("Portraits".to_owned(), draft)]);
        store.delete_preset("Portraits").unwrap();
        assert!(store.presets().unwrap().is_empty());
    }

    #[test]
    fn job_phases_round_trip_and_cancel_only_unfinished_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = settings("flux", Seed::Random);
        store.insert_job(&NewJob { id: "j1", batch_id: "b", provider: "modelslab", base_url: "u", settings: &s, cache_key: None }).unwrap();
        assert_eq!(store.job_phase("j1").unwrap(), Some(JobPhase::Pending));
        let remote = RemoteJob { id: "77".into(), fetch_url: None, eta_seconds: Some(3.0), future_links: vec![] };
        store.set_job_phase("j1", JobPhase::Processing, Some(&remote), None).unwrap();
        assert_eq!(store.job_phase("j1").unwrap(), Some(JobPhase::Processing));
        assert!(store.cancel_job("j1").unwrap());
        assert!(!store.cancel_job("j1").unwrap(), "already cancelled");
        assert_eq!(store.job_phase("nope").unwrap(), None);
    }
}
