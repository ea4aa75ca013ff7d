//! Where secrets are removed: the [`Redactor`], and the marker that replaces a secret.
//!
//! Everything that leaves the engine as text (a diagnostics record, an error's detail, a log
//! line, a crash report) goes through a redactor first, so nothing downstream has to remember
//! to. Request builders mark secrets in the redacted twins of their calls with [`REDACTED`].

use crate::keys::ApiKey;
use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// JSON keys whose values are always secret, whatever they hold.
pub(crate) const SECRET_FIELDS: &[&str] = &["key", "api_key", "apikey", "password", "authorization", "api-key", "token"];

/// Whether a JSON key names a secret.
pub(crate) fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Removes secrets from everything that goes into a record.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(key: Option<&ApiKey>) -> Self {
        Self { secrets: key.map(|k| vec![k.expose().to_owned()]).into_iter().flatten().collect() }
    }
    /// A redactor for every key this process has seen (for crash reports and logs).
    pub fn all_known() -> Self {
        Self { secrets: crate::keys::known_secrets() }
    }
    /// Replace every secret inside `text`.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
    /// Replace secret-named fields and any secret inside strings, recursively.
    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if is_secret_field(k) && !v.is_null() { Value::String(REDACTED.into()) } else { self.json(v) };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redactor_removes_secret_fields_and_secret_text_anywhere() {
        let key = ApiKey::parse("canary-5ecret-key").unwrap();
        let r = Redactor::new(Some(&key));
        let body = json!({"key": "canary-5ecret-key", "prompt": "a cat", "nested": [{"note": "x canary-5ecret-key y"}], "seed": null});
        let red = r.json(&body);
        let text = red.to_string();
        assert!(!text.contains("canary-5ecret-key"), "{text}");
        assert_eq!(red["key"], REDACTED);
        assert_eq!(red["prompt"], "a cat");
        assert_eq!(red["nested"][0]["note"], "x [redacted] y");
        assert_eq!(red["seed"], Value::Null, "an empty secret field stays empty");
        assert_eq!(r.text("plain canary-5ecret-key text"), "plain [redacted] text");
    }
}
