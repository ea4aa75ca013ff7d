//! One [`Diagnostics`] record per HTTP exchange.
//!
//! The window's diagnostics pane, the CLI's `--json` output and the exported
//! report all show this same record. Secrets are removed when the record is
//! built ([`Redactor`]), so nothing downstream has to remember to.

use crate::error::{EngineError, ErrorCategory, FieldErrors};
use crate::provider::answer::{MAX_JSON_VALUES, json_values_within};
use crate::redact::{REDACTED, Redactor, is_secret_field};
use crate::retry::{WaitReason, WaitSource};
use crate::text::cut_at_char_boundary;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest response excerpt kept in a record.
pub const MAX_EXCERPT_BYTES: usize = 2048;

/// Request-id headers worth quoting to support, matched case-insensitively.
pub const REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "cf-ray", "x-amz-cf-id", "x-amz-request-id"];

/// Response headers shown in the pane (besides the request ids).
pub const INTERESTING_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "retry-after",
    "retry-after-ms",
    "x-ratelimit-reset",
    "x-ratelimit-remaining",
    "x-should-retry",
    "date",
    "server",
];

/// Every request id the exchange carried.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cf_ray: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_amz_cf_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_amz_request_id: Option<String>,
    /// The provider's own job id from the body (ModelsLab `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_id: Option<String>,
}

impl RequestIds {
    /// The one id to quote: a header id first, then the body id.
    pub fn primary(&self) -> Option<String> {
        self.x_request_id
            .clone()
            .or_else(|| self.cf_ray.clone())
            .or_else(|| self.x_amz_request_id.clone())
            .or_else(|| self.x_amz_cf_id.clone())
            .or_else(|| self.body_id.clone())
    }
    /// Fill the header ids from a header map.
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Self {
            x_request_id: get("x-request-id"),
            cf_ray: get("cf-ray"),
            x_amz_cf_id: get("x-amz-cf-id"),
            x_amz_request_id: get("x-amz-request-id"),
            body_id: None,
        }
    }
}

/// The wait applied after an exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitInfo {
    pub seconds: f64,
    pub reason: WaitReason,
    pub source: WaitSource,
}

/// The error part of a record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummary {
    pub category: ErrorCategory,
    pub message: String,
    pub hint: String,
}

impl From<&EngineError> for ErrorSummary {
    fn from(e: &EngineError) -> Self {
        Self { category: e.category, message: e.message.clone(), hint: e.hint.clone() }
    }
}

/// One HTTP exchange, as support would want to see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// RFC 3339 time the request was sent.
    pub time: String,
    /// The job this exchange belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    pub provider: String,
    /// What the call was for: "generate", "fetch", "download", "balance".
    pub endpoint: String,
    pub method: String,
    /// The URL path only: no host, no query (a query could hold a key).
    pub path: String,
    pub attempt: u32,
    pub http_status: Option<u16>,
    pub api_status: Option<String>,
    pub request_ids: RequestIds,
    /// The id to quote to support.
    pub request_id: Option<String>,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitInfo>,
    #[serde(default, skip_serializing_if = "FieldErrors::is_empty")]
    pub fields: FieldErrors,
    /// Extra request headers, with secrets replaced ("Bearer [redacted]").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_headers: Vec<(String, String)>,
    /// The JSON sent, with secrets replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    /// The start of the answer, with secrets replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_excerpt: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorSummary>,
    /// Transport-level failure (connection refused, timeout), when there was no HTTP answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_error: Option<String>,
}

impl Diagnostics {
    /// The exchange in one line, no bodies or headers: what the report and the log file show.
    pub fn one_line(&self) -> String {
        format!(
            "{} {} {} attempt {} -> HTTP {} api {} id {} in {} ms",
            self.provider,
            self.method,
            self.path,
            self.attempt,
            self.http_status.map_or("-".to_owned(), |s| s.to_string()),
            self.api_status.as_deref().unwrap_or("-"),
            self.request_id.as_deref().unwrap_or("-"),
            self.duration_ms
        )
    }

    /// True when this exchange ended in an error the person should see.
    pub fn is_error(&self) -> bool {
        self.error.is_some() || self.transport_error.is_some()
    }
}

/// A readable, redacted, size-bounded excerpt of a response body. Long base64 runs are
/// shortened so an inline image does not fill the pane.
pub fn excerpt(redactor: &Redactor, body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    // Parse whole bodies up to a bound (inline base64 answers are big but valid JSON);
    // anything larger, or not JSON, is shown as the start of its text.
    let parsed =
        (body.len() <= 16 << 20 && json_values_within(body, MAX_JSON_VALUES)).then(|| serde_json::from_slice::<Value>(body).ok()).flatten();
    let text = match parsed {
        Some(json) => serde_json::to_string_pretty(&shorten_long_strings(&redactor.json(&json))).unwrap_or_default(),
        None => redactor.text(&String::from_utf8_lossy(&body[..body.len().min(64 * 1024)])),
    };
    Some(cut_at_char_boundary(&text, MAX_EXCERPT_BYTES))
}

fn shorten_long_strings(value: &Value) -> Value {
    match value {
        Value::String(s) if s.len() > 200 => Value::String(format!("{}… ({} characters)", cut_at_char_boundary(s, 80), s.chars().count())),
        Value::Array(items) => Value::Array(items.iter().map(shorten_long_strings).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shorten_long_strings(v))).collect()),
        other => other.clone(),
    }
}

/// The response headers the pane shows: request ids, rate-limit and retry headers, content type.
pub fn interesting_headers(headers: &reqwest::header::HeaderMap, redactor: &Redactor) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            INTERESTING_HEADERS.contains(&name)
                || REQUEST_ID_HEADERS.contains(&name)
                || name.starts_with("x-ratelimit-")
                || name.starts_with("openai-")
                || name == "x-process-time"
        })
        .map(|(name, value)| (name.as_str().to_owned(), redactor.text(&String::from_utf8_lossy(value.as_bytes()))))
        .collect();
    out.sort();
    out
}

/// Now, as RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// A multi-line plain-text report of records, for "Copy report" and bug reports.
pub fn report(records: &[Diagnostics]) -> String {
    let mut out = String::from("Easel diagnostics report (API key removed)\n");
    out.push_str(&format!("Easel {}\n\n", env!("CARGO_PKG_VERSION")));
    for r in records {
        out.push_str(&format!("{} {}\n", r.time, r.one_line()));
        if let Some(w) = &r.wait {
            out.push_str(&format!("  waited {:.1} s ({})\n", w.seconds, w.reason.label()));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("  error {}: {}\n  hint: {}\n", e.category, e.message, e.hint));
        }
        if let Some(t) = &r.transport_error {
            out.push_str(&format!("  transport: {t}\n"));
        }
        for (field, messages) in &r.fields {
            out.push_str(&format!("  field {field}: {}\n", messages.join("; ")));
        }
        if let Some(body) = &r.request_body {
            out.push_str(&format!("  request: {body}\n"));
        }
        if let Some(excerpt) = &r.response_excerpt {
            out.push_str(&format!("  response: {}\n", excerpt.replace('\n', "\n    ")));
        }
    }
    out
}

/// The exchange as a `curl` command a person can paste into a terminal. The key
/// appears as `$EASEL_API_KEY`, so the command is safe to share and works once
/// that variable is set.
pub fn curl_command(record: &Diagnostics, base_url: &url::Url) -> String {
    let mut url = base_url.clone();
    url.set_path(&record.path);
    url.set_query(None);
    let mut out = format!("curl -sS -X {} '{}'", record.method, url);
    for (name, shown) in &record.request_headers {
        if name.eq_ignore_ascii_case("authorization") && shown.starts_with("Basic ") {
            // curl builds the Basic header itself from user:password.
            out.push_str(" -u \"$EASEL_API_KEY\"");
        } else {
            let quoted = shown.replace('\'', "'\\''").replace(REDACTED, "'\"$EASEL_API_KEY\"'");
            out.push_str(&format!(" -H '{name}: {quoted}'"));
        }
    }
    if let Some(body) = &record.request_body {
        let placeholder = "__EASEL_KEY__";
        let json = with_key_placeholder(body, placeholder).to_string();
        // Close the single-quoted string around the variable so the shell expands it.
        let quoted = json.replace('\'', "'\\''").replace(placeholder, "'\"$EASEL_API_KEY\"'");
        out.push_str(&format!(" -H 'Content-Type: application/json' -d '{quoted}'"));
    }
    out
}

fn with_key_placeholder(value: &Value, placeholder: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if v.as_str() == Some(REDACTED) && is_secret_field(k) {
                        Value::String(placeholder.into())
                    } else {
                        with_key_placeholder(v, placeholder)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| with_key_placeholder(v, placeholder)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::ApiKey;
    use serde_json::json;

    #[test]
    fn curl_command_uses_the_environment_variable_for_the_key() {
        let key = ApiKey::parse("canary-curl-key").unwrap();
        let r = Redactor::new(Some(&key));
        let record = Diagnostics {
            time: now_rfc3339(),
            job: None,
            provider: "modelslab".into(),
            endpoint: "generate".into(),
            method: "POST".into(),
            path: "/api/v6/images/text2img".into(),
            attempt: 1,
            http_status: Some(200),
            api_status: None,
            request_ids: RequestIds::default(),
            request_id: None,
            duration_ms: 1,
            eta_seconds: None,
            wait: None,
            fields: FieldErrors::new(),
            request_headers: vec![("authorization".into(), "Bearer [redacted]".into())],
            request_body: Some(r.json(&json!({"key": "canary-curl-key", "prompt": "it's a cat"}))),
            response_excerpt: None,
            response_headers: vec![],
            error: None,
            transport_error: None,
        };
        let base = url::Url::parse("http://127.0.0.1:7860/").unwrap();
        let cmd = curl_command(&record, &base);
        assert!(!cmd.contains("canary"), "{cmd}");
        assert!(cmd.starts_with("curl -sS -X POST 'http://127.0.0.1:7860/api/v6/images/text2img'"), "{cmd}");
        assert!(cmd.contains(r#"'"$EASEL_API_KEY"'"#), "{cmd}");
        assert!(cmd.contains(r#"-H 'authorization: Bearer '"$EASEL_API_KEY"''"#), "{cmd}");
        // The shell would see: {"key":"<value of $EASEL_API_KEY>","prompt":"it's a cat"}
        assert!(cmd.contains(r#""prompt":"it'\''s a cat""#), "{cmd}");
    }

    #[test]
    fn excerpts_are_redacted() {
        let key = ApiKey::parse("canary-5ecret-key").unwrap();
        let r = Redactor::new(Some(&key));
        assert!(excerpt(&r, br#"{"echo":"canary-5ecret-key"}"#).unwrap().contains(REDACTED));
        assert!(excerpt(&r, br#"{"key":"anything"}"#).unwrap().contains(REDACTED));
        assert!(!excerpt(&r, b"plain canary-5ecret-key text").unwrap().contains("canary"));
    }

    #[test]
    fn excerpt_is_bounded_and_shortens_base64() {
        let r = Redactor::default();
        let big = json!({"output": ["A".repeat(100_000)]}).to_string();
        let shown = excerpt(&r, big.as_bytes()).unwrap();
        assert!(shown.len() <= MAX_EXCERPT_BYTES + 4);
        assert!(shown.contains("100000 characters"), "{shown}");
        assert_eq!(excerpt(&r, b""), None);
        let html = "<html>".repeat(10_000);
        assert!(excerpt(&r, html.as_bytes()).unwrap().len() <= MAX_EXCERPT_BYTES + 4);
    }

    #[test]
    fn primary_request_id_prefers_headers_then_body() {
        let mut ids = RequestIds { body_id: Some("123".into()), ..Default::default() };
        assert_eq!(ids.primary().as_deref(), Some("123"));
        ids.cf_ray = Some("8a1b-SJC".into());
        assert_eq!(ids.primary().as_deref(), Some("8a1b-SJC"));
        ids.x_request_id = Some("req_1".into());
        assert_eq!(ids.primary().as_deref(), Some("req_1"));
    }
}
