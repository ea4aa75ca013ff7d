//! The library check: every picture's row against its file (there, and still the bytes its
//! sha256 names), and every image file against a row. What can be repaired is: a file with no
//! row is added back as recovered (its settings are lost), a missing or changed file is marked
//! on its row (and unmarked once it is back). It runs when the person asks (`easel library
//! check`, the window's button) and at start when the previous run did not end cleanly
//! ([`RunMarker`]).

use super::{Store, StoreError, now_ms};
use crate::intake::{self, Limits};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What the check found wrong with a picture's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileProblem {
    /// The file is gone.
    Missing,
    /// The file is there but holds other bytes than the picture (damaged or replaced).
    Changed,
}

impl FileProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Changed => "changed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Missing, Self::Changed].into_iter().find(|p| p.as_str() == text)
    }
}

/// One thing the check found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "found", rename_all = "snake_case")]
pub enum Finding {
    /// A picture's file is gone; its row is marked.
    Missing { image: i64, path: PathBuf },
    /// A picture's file holds other bytes than its sha256 names; its row is marked.
    Changed { image: i64, path: PathBuf },
    /// A picture marked missing or changed has its right file again; the mark is gone.
    Restored { image: i64, path: PathBuf },
    /// An image file had no row: it is in the library again, as recovered.
    Recovered { image: i64, path: PathBuf },
    /// A file in the images folder is not a whole picture; it is left where it is.
    Unreadable { path: PathBuf, why: String },
    /// A second copy of a picture the library already has; it is left where it is.
    Duplicate { path: PathBuf },
}

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CheckReport {
    /// Rows and files looked at.
    pub rows: u64,
    pub files: u64,
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Nothing was wrong.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// Something is still wrong after the repairs: a picture whose file is missing or changed.
    pub fn needs_attention(&self) -> bool {
        self.findings.iter().any(|f| matches!(f, Finding::Missing { .. } | Finding::Changed { .. }))
    }

    /// What it found, in one plain sentence.
    pub fn summary(&self) -> String {
        let count = |pred: fn(&Finding) -> bool| self.findings.iter().filter(|f| pred(f)).count();
        let parts: Vec<String> = [
            (count(|f| matches!(f, Finding::Missing { .. })), "picture file(s) missing (marked in the library)"),
            (count(|f| matches!(f, Finding::Changed { .. })), "picture file(s) damaged or replaced (marked)"),
            (count(|f| matches!(f, Finding::Restored { .. })), "picture file(s) back in place"),
            (count(|f| matches!(f, Finding::Recovered { .. })), "picture(s) found without a record and added back as recovered"),
            (count(|f| matches!(f, Finding::Unreadable { .. })), "file(s) in the images folder that are not pictures (left alone)"),
            (count(|f| matches!(f, Finding::Duplicate { .. })), "extra copy(ies) of pictures already in the library (left alone)"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            format!("The library is in order: {} picture(s), each with its file.", self.rows)
        } else {
            format!("Checked {} picture(s) and {} file(s): {}.", self.rows, self.files, parts.join("; "))
        }
    }
}

impl Store {
    /// Check every row against its file and every image file against a row, and repair what
    /// can be repaired (see the module). Reads every image file: off the UI thread.
    pub fn check_library(&self) -> Result<CheckReport, StoreError> {
        let rows: Vec<(i64, String, String, Option<String>)> = self.with(|c| {
            let mut stmt = c.prepare("SELECT id, path, sha256, file_problem FROM images ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect()
        })?;
        let mut report = CheckReport { rows: rows.len() as u64, ..CheckReport::default() };
        let mut known_paths = HashSet::new();
        let mut known_shas = HashSet::new();
        let mut marks = Vec::new();
        for (id, relative, sha, marked) in rows {
            let path = self.dir.join(&relative);
            let found = match std::fs::read(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(FileProblem::Missing),
                Err(e) => return Err(StoreError::Io { path, source: e }),
                Ok(bytes) => (sha256_hex(&bytes) != sha).then_some(FileProblem::Changed),
            };
            let marked = marked.as_deref().and_then(FileProblem::parse);
            if found != marked {
                marks.push((id, found));
            }
            match found {
                Some(FileProblem::Missing) => report.findings.push(Finding::Missing { image: id, path }),
                Some(FileProblem::Changed) => report.findings.push(Finding::Changed { image: id, path }),
                None if marked.is_some() => report.findings.push(Finding::Restored { image: id, path }),
                None => {}
            }
            known_paths.insert(relative);
            known_shas.insert(sha);
        }
        self.write(|c| {
            let tx = c.unchecked_transaction()?;
            for (id, problem) in &marks {
                tx.execute("UPDATE images SET file_problem = ?2 WHERE id = ?1", params![id, problem.map(FileProblem::as_str)])?;
            }
            tx.commit()
        })?;
        self.recover_orphans(&known_paths, &mut known_shas, &mut report)?;
        Ok(report)
    }

    /// Add back every image file that has no row.
    fn recover_orphans(
        &self,
        known_paths: &HashSet<String>,
        known_shas: &mut HashSet<String>,
        report: &mut CheckReport,
    ) -> Result<(), StoreError> {
        let mut recovery_job = None;
        for path in image_files(&self.images_dir()) {
            report.files += 1;
            let relative = path.strip_prefix(&self.dir).unwrap_or(&path).to_string_lossy().into_owned();
            if known_paths.contains(&relative) {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|source| StoreError::Io { path: path.clone(), source })?;
            let image = match intake::verify(bytes, &Limits::default()) {
                Ok(image) => image,
                Err(why) => {
                    report.findings.push(Finding::Unreadable { path, why: why.to_string() });
                    continue;
                }
            };
            if !known_shas.insert(image.sha256.clone()) {
                report.findings.push(Finding::Duplicate { path });
                continue;
            }
            // A file under another name is stored again under its own.
            let stored = intake::store(&self.images_dir(), &image).map_err(|source| StoreError::Io { path: path.clone(), source })?;
            let job = match &recovery_job {
                Some(job) => job,
                None => recovery_job.insert(self.recovery_job()?),
            };
            let created_ms = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or_else(now_ms, |d| d.as_millis() as i64);
            let stored_relative = stored.strip_prefix(&self.dir).unwrap_or(&stored).to_string_lossy().into_owned();
            let format = serde_json::to_value(image.format).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let id = self.write(|c| {
                c.execute(
                    "INSERT INTO images (job_id, idx, sha256, path, format, bytes, width, height, prompt, model, provider, base_url,
                         settings_json, created_ms, recovered)
                     VALUES (?1, (SELECT COUNT(*) FROM images WHERE job_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, '', '', '', '', '{}', ?8, 1)",
                    params![job, image.sha256, stored_relative, format, image.bytes.len() as i64, image.width, image.height, created_ms],
                )?;
                Ok(c.last_insert_rowid())
            })?;
            report.findings.push(Finding::Recovered { image: id, path: stored });
        }
        Ok(())
    }

    /// The job recovered pictures are filed under (one per check that finds any).
    fn recovery_job(&self) -> Result<String, StoreError> {
        let id = crate::new_id("j-recovered");
        let now = now_ms();
        let settings = serde_json::to_string(&crate::request::GenerationSettings::default()).unwrap_or_default();
        self.write(|c| {
            c.execute(
                "INSERT INTO jobs (id, batch_id, created_ms, updated_ms, finished_ms, provider, base_url, settings_json, state)
                 VALUES (?1, ?1, ?2, ?2, ?2, '', '', ?3, 'done')",
                params![id, now, settings],
            )
        })?;
        Ok(id)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    intake::hex(&sha2::Sha256::digest(bytes))
}

/// Every picture file under `dir` (temporary files of writers are not pictures yet).
fn image_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if !entry.file_name().to_string_lossy().starts_with('.') {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Says this process uses the data folder, and whether the last process that did ended
/// without saying goodbye (killed, crashed, the power went): a file per running process in
/// `running/`, removed when the marker is dropped.
pub struct RunMarker {
    path: Option<PathBuf>,
}

impl RunMarker {
    /// Mark this process as using `data_dir`. Returns the marker and whether an earlier run
    /// ended without removing its own (then the library should be checked).
    pub fn claim(data_dir: &Path) -> (Self, bool) {
        let dir = data_dir.join("running");
        let own = std::process::id();
        let mut crashed = false;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            // Where the system cannot tell whether a process still runs, a marker that stayed
            // counts as a crash: checking once too often costs only time.
            if pid != own && intake::process_is_gone(pid).unwrap_or(true) {
                crashed = true;
                if let Err(e) = std::fs::remove_file(entry.path()) {
                    tracing::warn!("the marker of an earlier run could not be removed: {e}");
                }
            }
        }
        let path = dir.join(own.to_string());
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, b""));
        match written {
            Ok(()) => (Self { path: Some(path) }, crashed),
            Err(e) => {
                tracing::warn!("Easel could not mark its data folder as in use ({e}); a crash will not be noticed at the next start");
                (Self { path: None }, crashed)
            }
        }
    }
}

impl Drop for RunMarker {
    fn drop(&mut self) {
        if let Some(path) = &self.path
            && let Err(e) = std::fs::remove_file(path)
        {
            tracing::warn!("the data folder's in-use marker could not be removed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::add;

    #[test]
    fn a_deleted_file_an_orphan_and_a_changed_file_are_found_and_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let kept = add(&store, "j1", "kept", "flux", 1);
        let deleted = add(&store, "j2", "deleted", "flux", 2);
        let changed = add(&store, "j3", "changed", "flux", 3);
        assert!(store.check_library().unwrap().is_clean());

        let deleted_bytes = std::fs::read(&deleted.path).unwrap();
        std::fs::remove_file(&deleted.path).unwrap();
        std::fs::write(&changed.path, b"not the picture any more").unwrap();
        // An orphan: a picture file whose row was lost (as when the disk filled up in between).
        let orphan = add(&store, "j4", "orphan", "flux", 4);
        store.with(|c| c.execute("DELETE FROM images WHERE id = ?1", [orphan.id])).unwrap();
        std::fs::write(dir.path().join("images").join("stray.txt"), b"hello").unwrap();

        let report = store.check_library().unwrap();
        assert!(report.findings.contains(&Finding::Missing { image: deleted.id, path: deleted.path.clone() }), "{report:?}");
        assert!(report.findings.contains(&Finding::Changed { image: changed.id, path: changed.path.clone() }));
        assert!(report.findings.iter().any(|f| matches!(f, Finding::Recovered { path, .. } if *path == orphan.path)));
        assert!(report.findings.iter().any(|f| matches!(f, Finding::Unreadable { .. })));
        assert!(report.needs_attention());
        assert!(report.summary().contains("1 picture file(s) missing"), "{}", report.summary());

        let listed = store.search(&Default::default(), 10, 0).unwrap();
        let by_id = |id| listed.iter().find(|i| i.id == id).unwrap();
        assert_eq!(by_id(deleted.id).file_problem, Some(FileProblem::Missing));
        assert_eq!(by_id(changed.id).file_problem, Some(FileProblem::Changed));
        assert_eq!(by_id(kept.id).file_problem, None);
        let recovered = listed.iter().find(|i| i.recovered).expect("the orphan is in the library again");
        assert_eq!(recovered.sha256, orphan.sha256);
        assert_eq!(listed.len(), 4);

        // Repairs hold: a second check finds only what is still wrong, and a file put back is unmarked.
        std::fs::write(&deleted.path, deleted_bytes).unwrap();
        let again = store.check_library().unwrap();
        assert!(!again.findings.iter().any(|f| matches!(f, Finding::Recovered { .. })), "recovered once: {again:?}");
        assert!(again.findings.contains(&Finding::Restored { image: deleted.id, path: deleted.path.clone() }), "{again:?}");
        assert!(again.findings.contains(&Finding::Changed { image: changed.id, path: changed.path.clone() }), "still wrong");
        let listed = store.search(&Default::default(), 10, 0).unwrap();
        assert_eq!(listed.iter().find(|i| i.id == deleted.id).unwrap().file_problem, None);
    }

    #[test]
    fn the_real_row_takes_the_place_of_a_recovered_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let orphan = add(&store, "j1", "lost row", "flux", 9);
        store.with(|c| c.execute("DELETE FROM images WHERE id = ?1", [orphan.id])).unwrap();
        store.check_library().unwrap();
        assert!(store.search(&Default::default(), 10, 0).unwrap()[0].recovered);
        // The job that made it stores it after all (it held the picture while the disk was full).
        let again = add(&store, "j1-again", "lost row", "flux", 9);
        let listed = store.search(&Default::default(), 10, 0).unwrap();
        assert_eq!(listed.len(), 1, "one row for one picture");
        assert!(!listed[0].recovered && listed[0].id == again.id);
    }

    #[test]
    fn a_marker_left_by_a_process_that_is_gone_means_the_last_run_crashed() {
        let dir = tempfile::tempdir().unwrap();
        let (marker, crashed) = RunMarker::claim(dir.path());
        assert!(!crashed, "a fresh folder");
        let (second, crashed) = RunMarker::claim(dir.path());
        assert!(!crashed, "this process is still running");
        drop((marker, second));
        assert!(!RunMarker::claim(dir.path()).1, "a clean exit leaves no marker");
        // A process id that cannot be running (above Linux's pid_max).
        std::fs::write(dir.path().join("running").join("4194305"), b"").unwrap();
        if Path::new("/proc/self").exists() {
            assert!(RunMarker::claim(dir.path()).1);
            assert!(!RunMarker::claim(dir.path()).1, "said once");
        }
    }
}
