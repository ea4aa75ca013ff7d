//! What a person asked for before: recent prompts with their settings, and named presets.

use super::{Store, StoreError, from_json, now_ms, readable};
use crate::request::{GenerationSettings, SettingsDraft};
use rusqlite::params;

impl Store {
    /// Recent prompts with all their settings, newest first, each prompt once.
    pub fn prompt_history(&self, limit: usize) -> Result<Vec<GenerationSettings>, StoreError> {
        let all: Vec<String> = self.with(|c| {
            let mut stmt = c.prepare("SELECT settings_json FROM jobs ORDER BY created_ms DESC LIMIT 2000")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.filter_map(|row| readable("jobs", row)).collect())
        })?;
        let mut seen = std::collections::HashSet::new();
        Ok(all
            .iter()
            .filter_map(|s| from_json::<GenerationSettings>("the settings of an earlier job", s))
            .filter(|s| seen.insert(s.prompt.clone()))
            .take(limit)
            .collect())
    }

    /// Save (or replace) a named preset of settings.
    pub fn save_preset(&self, name: &str, draft: &SettingsDraft) -> Result<(), StoreError> {
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
    pub fn presets(&self) -> Result<Vec<(String, SettingsDraft)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT name, settings_json FROM presets ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            Ok(rows
                .filter_map(|row| readable("presets", row))
                .filter_map(|(name, json)| {
                    let draft = from_json(format_args!("the preset '{name}'"), &json)?;
                    Some((name, draft))
                })
                .collect())
        })
    }

    pub fn delete_preset(&self, name: &str) -> Result<(), StoreError> {
        self.with(|c| c.execute("DELETE FROM presets WHERE name = ?1", [name]).map(drop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::add;

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
}
