//! Images in the library: stored (file first, then the row), listed, searched (full text over
//! the prompts), starred, trashed and restored.

use super::check::FileProblem;
use super::jobs::mark_done;
use super::{Store, StoreError, now_ms, rfc3339};
use crate::cost::{CostSource, ImageCost};
use crate::intake::{ImageFormat, VerifiedImage};
use crate::provider::MadeWith;
use crate::request::GenerationSettings;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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

/// A stored image, as events, the gallery and `library list` report it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// What the service says it used where that differs from the settings (a rewritten
    /// prompt, capped steps): the person's prompt stays in `prompt`.
    #[serde(default, skip_serializing_if = "MadeWith::is_empty")]
    pub made: MadeWith,
    /// The server it was made on, as the library keeps it.
    #[serde(default)]
    pub base_url: String,
    /// The try-on-several-models group its job belongs to ([`Store::group`]).
    #[serde(default)]
    pub group: Option<String>,
    /// What it cost, once known; `None` while (or when) that is unknown.
    #[serde(default)]
    pub cost: Option<ImageCost>,
    /// Found by the library check with no row, and added back: its settings are lost.
    #[serde(default)]
    pub recovered: bool,
    /// What the library check found wrong with its file, if anything.
    #[serde(default)]
    pub file_problem: Option<FileProblem>,
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
    /// What the service reported it used, when it differs from `settings`.
    pub made: Option<&'a MadeWith>,
}

impl Store {
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
        super::faults::check(&self.dir)?;
        let path = crate::intake::store(&self.images_dir(), image).map_err(|source| StoreError::Io { path: self.images_dir(), source })?;
        let relative = path.strip_prefix(&self.dir).unwrap_or(&path).to_string_lossy().into_owned();
        let s = meta.settings;
        let settings = serde_json::to_string(s).unwrap_or_default();
        let created_ms = now_ms();
        let format = serde_json::to_value(image.format).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let made = meta.made.filter(|m| !m.is_empty()).cloned().unwrap_or_default();
        let made_json = (!made.is_empty()).then(|| serde_json::to_string(&made).unwrap_or_default());
        let id = self.with(|c| {
            let tx = c.unchecked_transaction()?;
            // The library check may have added this file back as recovered (its row was lost
            // to a full disk): the real row takes its place.
            tx.execute("DELETE FROM images WHERE sha256 = ?1 AND recovered = 1", [&image.sha256])?;
            tx.execute(
                "INSERT INTO images (job_id, idx, sha256, path, format, bytes, width, height, seed, prompt,
                     negative_prompt, model, provider, base_url, settings_json, request_id, created_ms, made_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
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
                    made_json,
                ],
            )?;
            let id = tx.query_row("SELECT id FROM images WHERE job_id = ?1 AND idx = ?2", params![meta.job_id, meta.index], |r| {
                r.get::<_, i64>(0)
            })?;
            if let Some(cache_key) = finish {
                mark_done(&tx, meta.job_id, cache_key)?;
            }
            let group = tx.query_row("SELECT group_id FROM jobs WHERE id = ?1", [meta.job_id], |r| r.get::<_, Option<String>>(0))?;
            tx.commit()?;
            Ok((id, group))
        })?;
        let (id, group) = id;
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
            made,
            base_url: meta.base_url.to_owned(),
            group,
            cost: None,
            recovered: false,
            file_problem: None,
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

    /// The settings an image was made with (as its row keeps them), if the library has it.
    pub fn image_settings(&self, image_id: i64) -> Result<Option<GenerationSettings>, StoreError> {
        let json: Option<String> =
            self.with(|c| c.query_row("SELECT settings_json FROM images WHERE id = ?1", [image_id], |r| r.get(0)).optional())?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// The images whose file has this content, those not in the trash first, newest first:
    /// how a picture finds the one it was made from.
    pub fn images_with_sha256(&self, sha256: &str) -> Result<Vec<ImageRecord>, StoreError> {
        self.images_where("sha256 = ?1 ORDER BY deleted_ms IS NOT NULL, created_ms DESC, id DESC", [sha256])
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

    pub(super) fn images_where<P: rusqlite::Params>(&self, clause: &str, params: P) -> Result<Vec<ImageRecord>, StoreError> {
        let dir = self.dir.clone();
        self.with(|c| {
            let sql = format!(
                "SELECT id, job_id, idx, path, bytes, width, height, format, sha256, seed, prompt, negative_prompt,
                        model, provider, request_id, created_ms, starred, settings_json,
                        (SELECT batch_id FROM jobs WHERE jobs.id = images.job_id), made_json, base_url,
                        (SELECT group_id FROM jobs WHERE jobs.id = images.job_id),
                        cost, cost_currency, cost_source, recovered, file_problem FROM images WHERE {clause}"
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
                    made: r
                        .get::<_, Option<String>>(19)?
                        .and_then(|j| super::from_json("an image's service report", &j))
                        .unwrap_or_default(),
                    base_url: r.get(20)?,
                    group: r.get(21)?,
                    cost: image_cost(r.get(22)?, r.get(23)?, r.get(24)?),
                    recovered: r.get::<_, i64>(25)? != 0,
                    file_problem: r.get::<_, Option<String>>(26)?.as_deref().and_then(FileProblem::parse),
                })
            })?;
            rows.collect()
        })
    }
}

/// A picture's cost from its row: only with a known source (a number alone is not a cost).
fn image_cost(amount: Option<f64>, currency: Option<String>, source: Option<String>) -> Option<ImageCost> {
    Some(ImageCost { amount: amount?, currency, source: CostSource::parse(source.as_deref()?)? })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Seed;
    use crate::store::tests::{add, settings};
    use crate::store::{JobPhase, NewJob};

    #[test]
    fn the_last_image_and_done_are_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let s = settings("sdxl", Seed::Fixed(9));
        store.insert_job(&NewJob::new("j1", "b", "modelslab", "u", &s)).unwrap();
        let png = {
            let mut png = Vec::new();
            image::RgbImage::from_pixel(4, 4, image::Rgb([9, 9, 9]))
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .unwrap();
            png
        };
        let v = crate::intake::verify(png, &Default::default()).unwrap();
        let meta = NewImage {
            job_id: "j1",
            batch_id: "b",
            index: 0,
            seed: Some(9),
            settings: &s,
            provider: "modelslab",
            base_url: "u",
            request_id: None,
            made: None,
        };
        let record = store.add_last_image(&v, &meta, Some("key-9")).unwrap();
        assert_eq!(store.job_phase("j1").unwrap(), Some(JobPhase::Done));
        assert_eq!(store.cached_images("key-9").unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [record.id]);
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
        assert_eq!(find(text("whales")), ["a blue whale, deep sea"], "word forms: whales finds a whale");
        assert_eq!(find(text("foxes in the snows")), ["a red fox in the snow"], "every word, in any of its forms");
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
        assert_eq!(store.count_matching(&ImageFilter::default()).unwrap(), 1);
        assert_eq!(store.search(&ImageFilter { trash: true, ..Default::default() }, 10, 0).unwrap()[0].id, b.id);
        store.restore(b.id).unwrap();
        assert_eq!(store.count_matching(&ImageFilter::default()).unwrap(), 2);
        store.trash(b.id).unwrap();
        assert!(b.path.is_file(), "the file stays until the trash is emptied");
        assert_eq!(store.empty_trash().unwrap(), 1);
        assert!(!b.path.exists());
        assert!(a.path.is_file());
        assert_eq!(store.search(&ImageFilter { text: Some("throw".into()), ..Default::default() }, 10, 0).unwrap().len(), 0);
    }
}
