//! The library's schema: migrations applied in order, never edited once released.

use super::StoreError;
use rusqlite::Connection;

/// The triggers that keep the full-text index in step with the images, and its first build:
/// the same in migration 2 and in migration 5, which builds the index again.
macro_rules! fts_triggers {
    () => {
        r#"
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
    "#
    };
}

/// Schema migrations, applied in order; `PRAGMA user_version` is the number applied.
/// Never edit a released migration: add a new one.
pub(super) const MIGRATIONS: &[&str] = &[
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
    concat!(
        r#"
    ALTER TABLE images ADD COLUMN deleted_ms INTEGER;
    CREATE INDEX images_by_deleted ON images(deleted_ms);
    CREATE VIRTUAL TABLE images_fts USING fts5(
        prompt, negative_prompt, model, content='images', content_rowid='id', tokenize='unicode61'
    );
"#,
        fts_triggers!(),
        r#"    CREATE TABLE presets (
        name          TEXT PRIMARY KEY,
        settings_json TEXT NOT NULL,
        updated_ms    INTEGER NOT NULL
    );
    "#
    ),
    // 3: what the service says it made an image with, where that differs from its settings
    // (ModelsLab's `meta`: the prompt it used after rewriting it, the steps it capped).
    r#"
    ALTER TABLE images ADD COLUMN made_json TEXT;
    "#,
    // 4: taken by other work being merged beside this one (its migration goes here).
    "-- 4: reserved",
    // 5: search finds word forms ("cats" finds "a cat", "running" finds "runs"): the full-text
    // index is built again with the Porter stemmer in front of unicode61.
    concat!(
        r#"
    DROP TRIGGER images_fts_insert;
    DROP TRIGGER images_fts_delete;
    DROP TRIGGER images_fts_update;
    DROP TABLE images_fts;
    CREATE VIRTUAL TABLE images_fts USING fts5(
        prompt, negative_prompt, model, content='images', content_rowid='id', tokenize='porter unicode61'
    );
"#,
        fts_triggers!()
    ),
    // 6: taken by the work on many services at once, being merged beside this one.
    "-- 6: reserved",
    // 7: pictures made from another one (an edit, an enlargement) find it by its content:
    // the images' sha256 is indexed.
    "CREATE INDEX images_by_sha256 ON images(sha256);",
];

pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ImageFilter, Store};

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
        let forms = store.search(&ImageFilter { text: Some("lighthouses".into()), ..Default::default() }, 10, 0).unwrap();
        assert_eq!(forms.len(), 1, "the rebuilt index (schema 5) finds word forms of old prompts too");
        store.trash(found[0].id).unwrap();
        assert_eq!(store.count_matching(&ImageFilter::default()).unwrap(), 0, "the new trash column works on old rows");
        let conn = Connection::open(dir.path().join("easel.db")).unwrap();
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }
}
