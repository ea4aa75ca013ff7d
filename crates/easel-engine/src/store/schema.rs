//! The library's schema: numbered migrations, each applied once, never edited once released.
//!
//! Each migration has its own number and stands on its own (it needs only the tables of
//! migrations 1 and 2), so migrations written side by side apply in any order: the library
//! keeps which numbers it has applied (`schema_migrations`), and `PRAGMA user_version` holds
//! the highest, so an older Easel refuses a library a newer one has changed.

use super::StoreError;
use rusqlite::{Connection, OptionalExtension};

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

/// One migration: its number and its SQL.
pub(super) struct Migration {
    pub version: i64,
    pub sql: &'static str,
}

/// Schema migrations, applied in order of their numbers. Never edit a released migration:
/// add a new one, with a number of its own.
pub(super) const MIGRATIONS: &[Migration] = &[
    // 1: jobs, images, diagnostics.
    Migration {
        version: 1,
        sql: r#"
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
    },
    // 2: trash, full-text search over prompts, named presets.
    Migration {
        version: 2,
        sql: concat!(
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
    },
    // 3: what the service says it made an image with, where that differs from its settings
    // (ModelsLab's `meta`: the prompt it used after rewriting it, the steps it capped).
    Migration {
        version: 3,
        sql: r#"
    ALTER TABLE images ADD COLUMN made_json TEXT;
    "#,
    },
    // 4: a job's service, its try-on-several-models group, when it ended, what it cost and
    // until when the service keeps its outputs; a picture's cost, and what the library check
    // found about its file.
    Migration {
        version: 4,
        sql: r#"
    ALTER TABLE jobs ADD COLUMN service_json TEXT;
    ALTER TABLE jobs ADD COLUMN group_id TEXT;
    ALTER TABLE jobs ADD COLUMN group_place INTEGER;
    ALTER TABLE jobs ADD COLUMN finished_ms INTEGER;
    ALTER TABLE jobs ADD COLUMN cost REAL;
    ALTER TABLE jobs ADD COLUMN cost_currency TEXT;
    ALTER TABLE jobs ADD COLUMN cost_source TEXT;
    ALTER TABLE jobs ADD COLUMN usage_json TEXT;
    ALTER TABLE jobs ADD COLUMN collect_before_ms INTEGER;
    CREATE INDEX jobs_by_group ON jobs(group_id) WHERE group_id IS NOT NULL;
    ALTER TABLE images ADD COLUMN cost_currency TEXT;
    ALTER TABLE images ADD COLUMN cost_source TEXT;
    ALTER TABLE images ADD COLUMN recovered INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE images ADD COLUMN file_problem TEXT;
    CREATE INDEX images_by_sha256 ON images(sha256);
    "#,
    },
    // 5: search finds word forms ("cats" finds "a cat", "running" finds "runs"): the full-text
    // index is built again with the Porter stemmer in front of unicode61.
    Migration {
        version: 5,
        sql: concat!(
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
    },
];

/// The migrations whose SQL ran in libraries made before `schema_migrations` existed, when
/// migrations were applied by their place in a list: 4 was an empty placeholder then, so a
/// library of that time has not really applied it.
const BEFORE_THE_TABLE: &[i64] = &[1, 2, 3, 5];

/// The highest migration number this build knows.
pub(super) fn newest() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = newest();
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    let applied = applied(conn, found)?;
    if let Some(&unknown) = applied.iter().find(|v| !MIGRATIONS.iter().any(|m| m.version == **v)) {
        return Err(StoreError::TooNew { found: unknown, known });
    }
    let mut pending: Vec<&Migration> = MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)).collect();
    pending.sort_by_key(|m| m.version);
    for migration in pending {
        let tx = conn.transaction()?;
        tx.execute_batch(migration.sql)?;
        tx.execute("INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)", [migration.version, super::now_ms()])?;
        let highest: i64 = tx.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| r.get(0))?;
        tx.pragma_update(None, "user_version", highest)?;
        tx.commit()?;
    }
    Ok(())
}

/// The migrations the library has: from `schema_migrations`, or, in a library from before it
/// existed (whose migrations were applied in order), those of [`BEFORE_THE_TABLE`] up to
/// `user_version`.
fn applied(conn: &Connection, user_version: i64) -> Result<Vec<i64>, StoreError> {
    let has_table: Option<String> = conn
        .query_row("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", [], |r| r.get(0))
        .optional()?;
    if has_table.is_none() {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)")?;
        for version in BEFORE_THE_TABLE.iter().filter(|v| **v <= user_version) {
            tx.execute("INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, 0)", [version])?;
        }
        tx.commit()?;
    }
    let mut stmt = conn.prepare("SELECT version FROM schema_migrations ORDER BY version")?;
    let versions = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(versions)
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
        assert_eq!(v, newest());
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
            tx.execute_batch(MIGRATIONS[0].sql).unwrap();
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
        assert_eq!(v, newest());
    }

    #[test]
    fn a_library_from_the_numbered_list_gets_the_migrations_that_were_placeholders_then() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        {
            // Applied by place: 1, 2, 3, the empty 4, then 5.
            let conn = Connection::open(dir.path().join("easel.db")).unwrap();
            for v in [1, 2, 3, 5] {
                conn.execute_batch(MIGRATIONS.iter().find(|m| m.version == v).unwrap().sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 5).unwrap();
        }
        Store::open(dir.path()).unwrap();
        let conn = Connection::open(dir.path().join("easel.db")).unwrap();
        let has = |column: &str| conn.prepare(&format!("SELECT {column} FROM jobs")).is_ok();
        assert!(has("service_json") && has("group_place"), "migration 4 ran");
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, newest());
    }

    #[test]
    fn a_migration_numbered_below_the_applied_ones_is_still_applied_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        {
            // A library made by a build that had migrations 1 and 4 but not yet 2.
            let conn = Connection::open(dir.path().join("easel.db")).unwrap();
            let by_number = |v: i64| MIGRATIONS.iter().find(|m| m.version == v).unwrap().sql;
            conn.execute_batch(by_number(1)).unwrap();
            conn.execute_batch(by_number(4)).unwrap();
            conn.execute_batch("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)").unwrap();
            conn.execute_batch("INSERT INTO schema_migrations VALUES (1, 0), (4, 0); PRAGMA user_version = 4;").unwrap();
        }
        Store::open(dir.path()).unwrap();
        Store::open(dir.path()).unwrap();
        let conn = Connection::open(dir.path().join("easel.db")).unwrap();
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(versions, MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>(), "each applied once");
        conn.query_row("SELECT COUNT(*) FROM presets", [], |r| r.get::<_, i64>(0)).expect("migration 2's table is there");
        // A library that has a migration this build does not know is refused.
        conn.execute("INSERT INTO schema_migrations (version, applied_ms) VALUES (999, 0)", []).unwrap();
        drop(conn);
        assert!(matches!(Store::open(dir.path()), Err(StoreError::TooNew { found: 999, .. })));
    }
}
