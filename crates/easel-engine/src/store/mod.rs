//! Where data lives: the data directory, the SQLite library and the image files.
//!
//! Layout of the data directory (`EASEL_DATA_DIR`, or the platform data directory):
//! ```text
//! easel.db              jobs, images, diagnostics (SQLite, WAL)
//! images/ab/<sha256>.png  every image, named by its content, original bytes
//! inputs/<sha>-<name>     pictures started from (picked, dropped, pasted), kept with the library
//! masks/<sha256>.png      painted masks (white = change)
//! ```
//! An image file is written (atomically) before the row that points at it is
//! committed, so a row never points at a missing file.
//!
//! The [`Store`] is one connection shared by its clones; its rooms: the schema and its
//! migrations (`schema`), jobs and their phases (`jobs`), images, search and the trash
//! (`images`), what jobs and pictures cost and try-on-several-models groups (`costs`), the
//! library check (`check`), prompt history and presets (`history`), diagnostics records
//! (`diagnostics`), and what a failed write means (`trouble`).

mod check;
mod costs;
mod diagnostics;
pub mod faults;
mod history;
mod images;
mod jobs;
mod schema;
mod trouble;

pub use check::{CheckReport, FileProblem, Finding, RunMarker};
pub use costs::GroupMember;
pub use images::{ImageFilter, ImageRecord, NewImage};
pub use jobs::{JobPhase, JobSummary, NewJob, UnfinishedJob, cache_key};
pub use trouble::{StorageProblem, storage_error};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where pictures a person starts from are kept (pasted, picked, dropped), named by content.
pub const INPUTS_DIR: &str = "inputs";
/// Where painted masks are kept, named by content.
pub const MASKS_DIR: &str = "masks";

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
        schema::migrate(&mut conn)?;
        faults::from_environment(dir);
        // A writer killed between writing and renaming leaves a temporary file: tidy those
        // (never another running Easel's).
        crate::intake::sweep_temporary_files(&dir.join("images"));
        for folder in ["thumbs", INPUTS_DIR, MASKS_DIR] {
            crate::intake::sweep_temporary_files(&dir.join(folder));
        }
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

    /// A write: refused at once while a storage fault is simulated for this folder
    /// ([`faults::simulate`]), otherwise as [`Store::with`].
    fn write<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        faults::check(&self.dir)?;
        self.with(f)
    }

    /// A moment as the clock on the wall shows it: "14:05" today, "14:05 tomorrow", or with its
    /// date further off. (SQLite knows the local time zone; the standard library does not.)
    pub fn local_clock(&self, ms: i64) -> Result<String, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT strftime('%H:%M', ?1 / 1000, 'unixepoch', 'localtime'), date(?1 / 1000, 'unixepoch', 'localtime'),
                        date('now', 'localtime'), date('now', 'localtime', '+1 day')",
                [ms],
                |r| {
                    let (time, day, today, tomorrow): (String, String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                    Ok(if day == today {
                        time
                    } else if day == tomorrow {
                        format!("{time} tomorrow")
                    } else {
                        format!("{day} {time}")
                    })
                },
            )
        })
    }

    /// A write that need not survive a power cut on its own: committed without waiting for
    /// the disk (`synchronous = NORMAL`). In WAL mode the next ordinary (FULL) commit syncs the
    /// log, and with it every relaxed commit before it, so the order of what survives holds.
    /// Only for rows whose loss cannot cost money: see the callers.
    fn with_relaxed<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        faults::check(&self.dir)?;
        let conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = f(&conn);
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(result?)
    }
}

/// A row that could not be read is skipped, and said so in the log: one bad row (written by
/// another version of Easel, say) must not hide the others.
fn readable<T>(table: &str, row: rusqlite::Result<T>) -> Option<T> {
    match row {
        Ok(row) => Some(row),
        Err(e) => {
            tracing::warn!("a row of {table} could not be read, so it is skipped: {e}");
            None
        }
    }
}

/// JSON kept in a row, or `None` (logged) when it no longer reads as `T`.
fn from_json<T: serde::de::DeserializeOwned>(what: impl std::fmt::Display, json: &str) -> Option<T> {
    match serde_json::from_str(json) {
        Ok(value) => Some(value),
        Err(e) => {
            tracing::warn!("{what} could not be read, so it is left out: {e}");
            None
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// A moment as "14:05 UTC", where the local time cannot be had.
pub fn utc_clock(ms: i64) -> String {
    format!("{} UTC", rfc3339(ms).get(11..16).unwrap_or_default())
}

fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::request::{GenerationSettings, Seed};

    pub(crate) fn settings(model: &str, seed: Seed) -> GenerationSettings {
        GenerationSettings { prompt: "a fox".into(), model: model.into(), seed, seed_from_person: true, ..Default::default() }
    }

    pub(crate) fn add(store: &Store, job: &str, prompt: &str, model: &str, shade: u8) -> ImageRecord {
        let mut s = settings(model, Seed::Fixed(u64::from(shade)));
        s.prompt = prompt.into();
        store.insert_job(&NewJob::new(job, "b", "modelslab", "u", &s)).unwrap();
        let img = image::RgbImage::from_pixel(4, 4, image::Rgb([shade, 0, 0]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let v = crate::intake::verify(png, &Default::default()).unwrap();
        let meta = NewImage {
            job_id: job,
            batch_id: "b",
            index: 0,
            seed: Some(1),
            settings: &s,
            provider: "modelslab",
            base_url: "u",
            request_id: None,
            made: None,
        };
        store.add_image(&v, &meta).unwrap()
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

    #[test]
    fn the_local_clock_names_today_tomorrow_or_the_date() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = store.local_clock(now_ms()).unwrap();
        assert_eq!(now.len(), 5, "today: just the time, {now}");
        assert!(now.as_bytes()[2] == b':');
        let later = store.local_clock(now_ms() + 24 * 3600 * 1000).unwrap();
        assert!(later.ends_with("tomorrow"), "{later}");
        assert!(store.local_clock(0).unwrap().starts_with("19"), "far off: with its date");
    }
}
