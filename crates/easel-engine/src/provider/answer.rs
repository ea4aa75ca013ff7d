//! Reading an answer body, the same way for every provider: JSON within bounds, or a plain
//! summary of what came instead (a proxy's error page, an empty body, junk), never shown raw.

use super::ApiFailure;
use crate::error::ErrorCategory;
use crate::http::Reply;
use crate::retry::{RateLimitHints, Retry};
use crate::text::cut_at_char_boundary;
use serde_json::Value;

/// Most JSON values (array items, object members, containers) an API answer may hold.
/// Real answers hold dozens; parsed, every value costs 32 bytes or more however short its
/// text, so a cap on bytes alone lets `[0,0,0,…]` grow sixteen-fold in memory.
pub const MAX_JSON_VALUES: usize = 100_000;

/// Whether `body` holds at most `max` JSON values, counted without parsing (commas and
/// openings outside strings). Allocation-free, linear, and total on any bytes.
pub fn json_values_within(body: &[u8], max: usize) -> bool {
    let mut count = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => {
                count += 1;
                if count > max {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// The body as a JSON object, or a failure that summarises what came instead.
pub fn read_json(reply: &Reply) -> Result<Value, ApiFailure> {
    if !json_values_within(&reply.body, MAX_JSON_VALUES) {
        let mut failure = non_json_failure(reply);
        failure.message =
            Some(format!("The service sent an answer far larger than any real one (HTTP {}), so Easel did not read it.", reply.status));
        return Err(failure);
    }
    match serde_json::from_slice::<Value>(&reply.body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) | Err(_) => Err(non_json_failure(reply)),
    }
}

/// A non-JSON (or non-object) answer: a proxy page, an empty body, junk.
pub fn non_json_failure(reply: &Reply) -> ApiFailure {
    let status = reply.status;
    let retry = if (500..=599).contains(&status) || status == 429 { Retry::ServerError } else { Retry::No };
    let mut failure = ApiFailure::new(ErrorCategory::Server, retry);
    let what = if reply.body.iter().all(u8::is_ascii_whitespace) {
        "an empty answer".to_owned()
    } else if looks_like_html(reply) {
        match html_title(&reply.body) {
            Some(title) => format!("a web page (\"{title}\") instead of data"),
            None => "a web page instead of data".to_owned(),
        }
    } else {
        "an answer that is not the API's data".to_owned()
    };
    failure.message = Some(format!("The service sent {what} (HTTP {status}), so something between you and it is failing."));
    if status == 429 {
        failure.category = ErrorCategory::RateLimited;
        failure.retry = Retry::RateLimited;
    }
    failure.hints = RateLimitHints::from_reply(reply);
    failure
}

fn looks_like_html(reply: &Reply) -> bool {
    reply.content_type().contains("html") || {
        let head = String::from_utf8_lossy(&reply.body[..reply.body.len().min(512)]).to_ascii_lowercase();
        head.contains("<html") || head.contains("<!doctype")
    }
}

/// The text of an HTML `<title>`, trimmed and bounded.
pub fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower[start..].find('>')? + start + 1;
    let close = lower[open_end..].find("</title")? + open_end;
    let title = text[open_end..close].split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then(|| cut_at_char_boundary(&title, 120))
}

/// Text of a JSON error field that may be a string or a list of strings.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(text_of).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str, content_type: &str) -> Reply {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", content_type.parse().unwrap());
        Reply { status, headers, body: bytes::Bytes::from(body.to_owned()) }
    }

    #[test]
    fn json_values_are_counted_outside_strings_only() {
        assert!(json_values_within(br#"{"a":[1,2,3]}"#, 5));
        assert!(!json_values_within(br#"{"a":[1,2,3]}"#, 3));
        assert!(json_values_within(br#"{"a":"[,,,,,,{{{"}"#, 1), "inside a string nothing counts");
        assert!(json_values_within(br#"{"a":"\",,,,"}"#, 1), "an escaped quote does not end the string");
    }

    #[test]
    fn a_proxy_page_is_named_by_its_title_and_a_429_page_is_a_rate_limit() {
        let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        let f = read_json(&reply(502, page, "text/html")).unwrap_err();
        assert_eq!((f.category, f.retry), (ErrorCategory::Server, Retry::ServerError));
        assert!(f.message.unwrap().contains("a web page (\"502 Bad Gateway\")"));
        let f = read_json(&reply(429, "<html>slow down</html>", "text/html")).unwrap_err();
        assert_eq!((f.category, f.retry), (ErrorCategory::RateLimited, Retry::RateLimited));
        let f = read_json(&reply(200, "[1,2]", "application/json")).unwrap_err();
        assert!(f.message.unwrap().contains("not the API's data"), "an array is not an answer object");
    }

    #[test]
    fn error_text_may_be_a_string_or_a_list() {
        assert_eq!(text_of(&serde_json::json!(" bad ")).as_deref(), Some("bad"));
        assert_eq!(text_of(&serde_json::json!(["a", "", "b"])).as_deref(), Some("a; b"));
        assert_eq!(text_of(&serde_json::json!(7)), None);
    }
}
