//! Reading ModelsLab's answers: the body's `status` decides, the HTTP code is a hint.

use crate::error::{ErrorCategory, FieldErrors};
use crate::provider::answer::read_json;
use crate::provider::{ApiFailure, ApiOutcome, Balance, Finished, MadeWith, Parsed, RemoteJob, Reply, Retry};
use crate::retry::{self, RateLimitHints};
use crate::text::cut_at_char_boundary;
use serde_json::{Map, Value};

/// Most model ids kept from the model list (it has thousands; the picker filters them).
const MAX_LISTED_MODELS: usize = 20_000;

/// Parse a generate or fetch answer.
pub fn parse_generation(reply: &Reply) -> Parsed {
    let body = match read_json(reply) {
        Ok(body) => body,
        Err(failure) => return Parsed { outcome: ApiOutcome::Failed(failure), api_status: None, body_id: None },
    };
    let api_status = status_word(&body);
    let body_id = body.get("id").and_then(id_string);
    let outcome = match api_status.as_deref() {
        Some("success") | Some("ok") => {
            let mut outputs = string_list(body.get("output"));
            if outputs.is_empty() {
                outputs = string_list(body.get("proxy_links"));
            }
            if outputs.is_empty()
                && let Some(url) = body.get("output_url").and_then(Value::as_str).map(str::trim).filter(|u| !u.is_empty())
            {
                outputs.push(url.to_owned());
            }
            if outputs.is_empty() {
                let mut failure = ApiFailure::new(ErrorCategory::BadOutput, Retry::No);
                failure.message = Some("The service said it succeeded but sent no images.".into());
                failure.detail = message_text(&body);
                ApiOutcome::Failed(failure)
            } else {
                let seeds = seeds(&body, outputs.len());
                ApiOutcome::Finished(Finished { remote_id: body_id.clone(), outputs, seeds, usage: None, made: made_with(&body) })
            }
        }
        // Still being made. A fetch of a queued job answers without an `id` (documented:
        // `{"status":"processing","messege":"try again later.","output":""}`): that is
        // progress, and the job keeps the id of its first answer (an empty id here).
        Some("processing") | Some("queued") | Some("pending") => ApiOutcome::Processing(RemoteJob {
            id: body_id.clone().unwrap_or_default(),
            fetch_url: body.get("fetch_result").and_then(Value::as_str).map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned),
            eta_seconds: body.get("eta").and_then(number_lenient).filter(|e| e.is_finite()),
            future_links: string_list(body.get("future_links")),
            seeds: seeds(&body, 0),
            made: made_with(&body),
        }),
        _ => ApiOutcome::Failed(map_error(reply, &body)),
    };
    Parsed { outcome, api_status, body_id }
}

/// `processing/request_count`'s answer: how many of the account's jobs are being made.
pub(super) fn queue_count(reply: &Reply) -> Option<u32> {
    let body = read_json(reply).ok()?;
    if !(200..300).contains(&reply.status) || status_word(&body).as_deref() != Some("success") {
        return None;
    }
    body.get("processing_count").and_then(number_lenient).filter(|n| n.is_finite() && *n >= 0.0).map(|n| n.min(1000.0) as u32)
}

/// Read an upload answer: the URL ModelsLab will fetch the starting image from.
pub(super) fn upload(reply: &Reply) -> Result<String, ApiFailure> {
    let body = read_json(reply)?;
    if matches!(status_word(&body).as_deref(), Some("success") | Some("ok")) {
        let url = string_list(body.get("output")).into_iter().next().filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        if let Some(url) = url {
            return Ok(url);
        }
        let mut failure = ApiFailure::new(ErrorCategory::BadOutput, Retry::No);
        failure.message = Some("The service took the starting image but gave no address for it.".into());
        failure.detail = message_text(&body);
        return Err(failure);
    }
    let mut failure = map_error(reply, &body);
    // Auth, credits, rate limits and outages keep their own words; anything else is about
    // the image itself.
    if failure.category == ErrorCategory::Validation || (failure.category == ErrorCategory::Server && failure.retry == Retry::No) {
        failure.category = ErrorCategory::Validation;
        let said = failure.detail.as_deref().map(|d| format!(" It said: {d}")).unwrap_or_default();
        let message = format!("The service could not accept the starting image.{said}");
        if failure.fields.is_empty() {
            failure.fields.insert("init_image".to_owned(), vec![message.clone()]);
        }
        failure.message = Some(message);
    }
    Err(failure)
}

/// Read a balance answer.
pub(super) fn balance(reply: &Reply) -> Result<Balance, ApiFailure> {
    let body = read_json(reply)?;
    if status_word(&body).as_deref() == Some("success") {
        let data = body.get("data").unwrap_or(&body);
        if let Some(amount) = data.get("balance").and_then(number_lenient) {
            let currency = data.get("currency").and_then(Value::as_str).unwrap_or("USD").to_owned();
            return Ok(Balance { amount, currency });
        }
    }
    Err(map_error(reply, &body))
}

/// An error sent in place of the model list, with a success status.
pub(super) fn models_failure(reply: &Reply) -> Option<ApiFailure> {
    if matches!(serde_json::from_slice::<Value>(&reply.body), Ok(Value::Array(_))) {
        return None;
    }
    Some(match read_json(reply) {
        Ok(body) => map_error(reply, &body),
        Err(failure) => failure,
    })
}

/// Model ids from the model list (a bare JSON array of strings or objects).
pub(super) fn models(reply: &Reply) -> Vec<String> {
    let Ok(Value::Array(entries)) = serde_json::from_slice::<Value>(&reply.body) else { return Vec::new() };
    let mut ids: Vec<String> = entries
        .iter()
        .filter_map(|e| match e {
            Value::String(id) => Some(id.as_str()),
            Value::Object(o) => o.get("model_id").or_else(|| o.get("id")).and_then(Value::as_str),
            _ => None,
        })
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 200 && !id.chars().any(char::is_whitespace))
        .map(str::to_owned)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(MAX_LISTED_MODELS);
    ids
}

fn status_word(body: &Value) -> Option<String> {
    body.get("status").and_then(Value::as_str).map(|s| s.trim().to_ascii_lowercase())
}

/// A number sent as a number or as numeric text.
fn number_lenient(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An id sent as a number or a string; empty means none.
fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// `output`-style fields: an array, an index-keyed object (in index order), one string, or `""`.
fn string_list(v: Option<&Value>) -> Vec<String> {
    let strings = |items: Vec<&Value>| -> Vec<String> {
        items.into_iter().filter_map(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    };
    match v {
        Some(Value::Array(items)) => strings(items.iter().collect()),
        Some(Value::Object(map)) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| (k.parse::<u64>().unwrap_or(u64::MAX), (*k).clone()));
            strings(entries.into_iter().map(|(_, v)| v).collect())
        }
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
        _ => Vec::new(),
    }
}

/// The seed of each output: `meta` carries one `seed` (and `n_samples`), and the pictures of
/// one request are made from it counting up. An old-style `seeds` list is read when present.
fn seeds(body: &Value, outputs: usize) -> Vec<u64> {
    let Some(meta) = body.get("meta") else { return Vec::new() };
    if let Some(list) = meta.get("seeds").and_then(Value::as_array) {
        return list.iter().filter_map(|v| number_lenient(v).filter(|n| *n >= 0.0).map(|n| n as u64)).collect();
    }
    let Some(seed) = meta.get("seed").and_then(number_lenient).filter(|s| s.is_finite() && *s >= 0.0 && *s <= u64::MAX as f64) else {
        return Vec::new();
    };
    let samples = meta.get("n_samples").and_then(number_lenient).filter(|n| n.is_finite() && *n >= 1.0).map_or(1, |n| n.min(64.0) as usize);
    (0..samples.max(outputs).min(64)).map(|i| (seed as u64).saturating_add(i as u64)).collect()
}

/// What `meta` says the pictures were made with. Community answers name sizes `W`/`H` and
/// steps `steps`; realtime ones `width`/`height`.
fn made_with(body: &Value) -> MadeWith {
    let Some(meta) = body.get("meta").filter(|m| m.is_object()) else { return MadeWith::default() };
    let text =
        |k: &str| meta.get(k).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(|t| cut_at_char_boundary(t, 4000));
    let whole = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| meta.get(*k).and_then(number_lenient))
            .filter(|n| n.is_finite() && *n >= 0.0 && *n <= 100_000.0)
            .map(|n| n as u32)
    };
    MadeWith {
        prompt: text("prompt"),
        model: text("model_id"),
        steps: whole(&["steps", "num_inference_steps"]),
        guidance: meta
            .get("guidance_scale")
            .and_then(number_lenient)
            .filter(|g| g.is_finite() && (0.0..=100.0).contains(g))
            .map(|g| g as f32),
        width: whole(&["W", "width"]),
        height: whole(&["H", "height"]),
        scheduler: text("scheduler").map(|s| cut_at_char_boundary(&s, 100)),
    }
}

/// The error text wherever this API put it, as a string.
fn message_text(body: &Value) -> Option<String> {
    ["message", "messege", "error", "detail"].iter().find_map(|k| match body.get(*k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Object(map)) => Some(flatten_fields(map).values().flatten().cloned().collect::<Vec<_>>().join("; ")),
        _ => None,
    })
}

/// A validation message object: field → list of strings (or one string).
fn field_errors(body: &Value) -> FieldErrors {
    ["message", "messege", "error", "errors"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_object).map(flatten_fields))
        .unwrap_or_default()
}

fn flatten_fields(map: &Map<String, Value>) -> FieldErrors {
    let fields = map
        .iter()
        .map(|(field, v)| {
            let messages = match v {
                Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            (field.clone(), messages)
        })
        .collect();
    crate::error::bound_fields(fields)
}

/// Map an error answer to a category, following the HTTP code and the words.
fn map_error(reply: &Reply, body: &Value) -> ApiFailure {
    let status = reply.status;
    let fields = field_errors(body);
    let text = message_text(body).unwrap_or_default();
    let lower = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let mut hints = RateLimitHints::from_reply(reply);
    hints.body_retry_after = body.get("retry_after").and_then(number_lenient);
    // "Rate limit exceeded. Maximum 5 queued requests allowed.": the account's queue cap.
    hints.queue_limit = retry::queue_limit_in(&text);

    // A starting image or mask the service could not use.
    let image_problem = if has(&["mask"]) {
        Some(("mask_image", "The service could not use the mask. Use a black-and-white image the same size as the starting image."))
    } else if has(&["unable to fetch image", "valid url", "init_image"]) {
        Some(("init_image", "The service could not read the starting image. Try a different PNG or JPEG file."))
    } else {
        None
    };
    let (category, retry, message): (ErrorCategory, Retry, Option<String>) = if status_word(body).as_deref() == Some("failed") {
        (ErrorCategory::GenerationFailed, Retry::No, None)
    } else if !fields.is_empty() {
        (ErrorCategory::Validation, Retry::No, Some("The service refused some settings.".into()))
    } else if status == 429 || has(&["rate limit", "too many requests", "queued requests"]) {
        if has(&["quota", "daily", "credit", "insufficient", "balance"]) {
            (ErrorCategory::Account, Retry::No, Some("Your account has reached its quota or run out of credits.".into()))
        } else {
            (ErrorCategory::RateLimited, Retry::RateLimited, None)
        }
    } else if status == 401 || has(&["api key", "apikey", "unauthori", "invalid key"]) {
        (ErrorCategory::Auth, Retry::No, Some("The service did not accept your API key.".into()))
    } else if status == 402 || has(&["insufficient", "credits", "balance", "expired subscription", "subscription expired"]) {
        (ErrorCategory::Account, Retry::No, Some("Your account has run out of credits.".into()))
    } else if status == 403 || has(&["premium", "subscription", "upgrade", "not allowed on your plan", "plan"]) {
        (ErrorCategory::Account, Retry::No, Some("Your plan does not include this model or feature.".into()))
    } else if (500..=599).contains(&status) || has(&["internal server error", "temporarily unavailable", "try again later", "server error"])
    {
        (ErrorCategory::Server, Retry::ServerError, None)
    } else if has(&["model not found", "model id not found"]) {
        (
            ErrorCategory::Validation,
            Retry::No,
            Some("The service does not know this model id. Check the spelling or pick a model from the list.".into()),
        )
    } else if let Some((field, message)) = image_problem {
        // Shown at the field the person chose the image with.
        let mut fields = fields;
        fields.insert(field.to_owned(), vec![message.to_owned()]);
        return ApiFailure {
            category: ErrorCategory::Validation,
            retry: Retry::No,
            message: Some(message.into()),
            detail: (!text.is_empty()).then_some(text),
            fields,
            hints,
            remote_id: body.get("id").and_then(id_string),
        };
    } else if status == 404 {
        (ErrorCategory::Validation, Retry::No, Some("The service did not recognise this request (not found).".into()))
    } else if (400..=499).contains(&status) || has(&["required", "must be", "invalid"]) {
        (ErrorCategory::Validation, Retry::No, Some("The service refused the request as invalid.".into()))
    } else {
        (ErrorCategory::Server, Retry::No, Some("The service reported an error it did not explain.".into()))
    };
    ApiFailure {
        category,
        retry,
        message,
        detail: (!text.is_empty()).then_some(text),
        fields,
        hints,
        remote_id: body.get("id").and_then(id_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::modelslab::tests::{reply, reply_with};

    fn failure(p: Parsed) -> ApiFailure {
        match p.outcome {
            ApiOutcome::Failed(f) => f,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn success_with_arrays() {
        let p = parse_generation(&reply(
            200,
            r#"{"status":"success","generationTime":14.08,"id":13441520,
               "output":["https://pub-x.r2.dev/generations/a-0.png"],
               "proxy_links":["https://cdn2.stablediffusionapi.com/generations/a-0.png"],
               "meta":{"seed":77,"W":512,"steps":20,"n_samples":1,"prompt":"a cat, highly detailed"},"nsfw_content_detected":false}"#,
        ));
        assert_eq!(p.api_status.as_deref(), Some("success"));
        assert_eq!(p.body_id.as_deref(), Some("13441520"));
        assert_eq!(
            p.outcome,
            ApiOutcome::Finished(Finished {
                remote_id: Some("13441520".into()),
                outputs: vec!["https://pub-x.r2.dev/generations/a-0.png".into()],
                seeds: vec![77],
                usage: None,
                made: MadeWith { prompt: Some("a cat, highly detailed".into()), steps: Some(20), width: Some(512), ..MadeWith::default() },
            })
        );
    }

    #[test]
    fn one_seed_in_meta_gives_each_picture_its_own_counting_up() {
        let p =
            parse_generation(&reply(200, r#"{"status":"success","id":1,"output":["a","b","c"],"meta":{"seed":3292243727,"n_samples":3}}"#));
        let ApiOutcome::Finished(f) = p.outcome else { panic!("finished") };
        assert_eq!(f.seeds, [3292243727, 3292243728, 3292243729]);
        let p = parse_generation(&reply(200, r#"{"status":"success","id":1,"output":["a","b"],"meta":{"seed":"9"}}"#));
        let ApiOutcome::Finished(f) = p.outcome else { panic!("finished") };
        assert_eq!(f.seeds, [9, 10], "n_samples missing: one seed per output");
    }

    #[test]
    fn the_queue_count_is_read_from_a_success() {
        let count = |status, body| queue_count(&reply(status, body));
        assert_eq!(
            count(200, r#"{"status":"success","processing_count":3,"message":"Current processing request count retrieved successfully"}"#),
            Some(3)
        );
        assert_eq!(count(429, r#"{"status":"error","message":"Too many requests"}"#), None);
        assert_eq!(count(200, r#"{"status":"success","processing_count":-1}"#), None);
    }

    #[test]
    fn output_as_index_keyed_object_keeps_index_order() {
        let p = parse_generation(&reply(200, r#"{"status":"success","id":"abc","output":{"1":"u1","0":"u0","10":"u10","2":"u2"}}"#));
        match p.outcome {
            ApiOutcome::Finished(f) => assert_eq!(f.outputs, ["u0", "u1", "u2", "u10"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn proxy_links_object_used_when_output_is_empty_and_output_url_last() {
        let p = parse_generation(&reply(200, r#"{"status":"success","id":1,"output":[],"proxy_links":{"0":"p0"}}"#));
        assert!(matches!(p.outcome, ApiOutcome::Finished(ref f) if f.outputs == ["p0"]));
        let p = parse_generation(&reply(200, r#"{"status":"success","id":1,"output_url":"https://x/y.png"}"#));
        assert!(matches!(p.outcome, ApiOutcome::Finished(ref f) if f.outputs == ["https://x/y.png"]));
    }

    #[test]
    fn success_without_outputs_is_bad_output() {
        let f = failure(parse_generation(&reply(200, r#"{"status":"success","id":1,"output":""}"#)));
        assert_eq!(f.category, ErrorCategory::BadOutput);
    }

    #[test]
    fn processing_with_int_id_float_eta_and_future_links() {
        let p = parse_generation(&reply(
            200,
            r#"{"status":"processing","tip":"…","eta":2.75,"messege":"Try to fetch request after seconds estimated",
               "fetch_result":"https://modelslab.com/api/v6/images/fetch/134701497","id":134701497,
               "output":[],"meta":{},"future_links":["https://pub-x.r2.dev/generations/0-u.jpg"]}"#,
        ));
        assert_eq!(
            p.outcome,
            ApiOutcome::Processing(RemoteJob {
                id: "134701497".into(),
                fetch_url: Some("https://modelslab.com/api/v6/images/fetch/134701497".into()),
                eta_seconds: Some(2.75),
                future_links: vec!["https://pub-x.r2.dev/generations/0-u.jpg".into()],
                ..RemoteJob::default()
            })
        );
    }

    #[test]
    fn processing_fetch_with_empty_string_output_and_string_id() {
        let p = parse_generation(&reply(
            200,
            r#"{"status":"processing","messege":"try again later.","output":"","id":"abc123-def456","eta":"30"}"#,
        ));
        match p.outcome {
            ApiOutcome::Processing(job) => {
                assert_eq!(job.id, "abc123-def456");
                assert_eq!(job.eta_seconds, Some(30.0));
                assert!(job.future_links.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn processing_without_an_id_is_progress() {
        // The documented answer of a fetch while the job is still queued.
        let p = parse_generation(&reply(200, r#"{"status":"processing","messege":"try again later.","output":"","tip":"Get 20x faster"}"#));
        assert_eq!(p.outcome, ApiOutcome::Processing(RemoteJob::default()));
        assert_eq!(p.body_id, None);
    }

    #[test]
    fn eta_nan_like_values_are_dropped() {
        let p = parse_generation(&reply(200, r#"{"status":"processing","id":5,"eta":"NaN"}"#));
        assert!(matches!(p.outcome, ApiOutcome::Processing(ref j) if j.eta_seconds.is_none()));
    }

    #[test]
    fn errors_with_http_200_follow_the_body() {
        let f = failure(parse_generation(&reply(200, r#"{"status":"error","message":"Invalid Api Key","tip":"1. Make sure"}"#)));
        assert_eq!(f.category, ErrorCategory::Auth);
        assert_eq!(f.detail.as_deref(), Some("Invalid Api Key"));
    }

    #[test]
    fn legacy_messege_and_error_keys_are_read() {
        let f = failure(parse_generation(&reply(200, r#"{"status":"error","messege":"Model not found: zzz"}"#)));
        assert_eq!(f.category, ErrorCategory::Validation);
        assert_eq!(f.detail.as_deref(), Some("Model not found: zzz"));
        assert!(f.message.unwrap().contains("model id"));
        let f = failure(parse_generation(&reply(400, r#"{"status":"error","error":"prompt must be a string"}"#)));
        assert_eq!(f.category, ErrorCategory::Validation);
        assert_eq!(f.detail.as_deref(), Some("prompt must be a string"));
    }

    #[test]
    fn field_messages_are_validation_whatever_the_code() {
        for status in [200, 400, 422, 500] {
            let f = failure(parse_generation(&reply(
                status,
                r#"{"status":"error","message":{"width":["width must be between 256 and 1024"],"samples":"samples must be between 1 and 4"}}"#,
            )));
            assert_eq!(f.category, ErrorCategory::Validation, "HTTP {status}");
            assert_eq!(f.retry, Retry::No);
            assert_eq!(f.fields["width"], ["width must be between 256 and 1024"]);
            assert_eq!(f.fields["samples"], ["samples must be between 1 and 4"]);
        }
    }

    #[test]
    fn status_codes_map_to_categories() {
        let cases = [
            (401, r#"{"status":"error","message":"Invalid API key"}"#, ErrorCategory::Auth, Retry::No),
            (
                402,
                r#"{"status":"error","message":"Insufficient credits. Please add more credits to continue."}"#,
                ErrorCategory::Account,
                Retry::No,
            ),
            (403, r#"{"status":"error","message":"This feature requires a premium subscription"}"#, ErrorCategory::Account, Retry::No),
            (
                429,
                r#"{"status":"error","message":"Rate limit exceeded. Maximum 5 queued requests allowed.","retry_after":30}"#,
                ErrorCategory::RateLimited,
                Retry::RateLimited,
            ),
            (429, r#"{"status":"error","message":"Daily quota exceeded"}"#, ErrorCategory::Account, Retry::No),
            (
                200,
                r#"{"status":"error","messege":"Rate limit exceeded","tips":"wait for 30 seconds"}"#,
                ErrorCategory::RateLimited,
                Retry::RateLimited,
            ),
            (500, r#"{"status":"error","message":"Internal server error. Please try again."}"#, ErrorCategory::Server, Retry::ServerError),
            (
                503,
                r#"{"status":"error","message":"Service temporarily unavailable. Please try again later."}"#,
                ErrorCategory::Server,
                Retry::ServerError,
            ),
            (200, r#"{"status":"failed","id":"","message":"Failed, Try Again","output":""}"#, ErrorCategory::GenerationFailed, Retry::No),
            (400, r#"{"status":"error","message":"prompt is required"}"#, ErrorCategory::Validation, Retry::No),
            (404, r#"{"status":"error","message":"Route not found"}"#, ErrorCategory::Validation, Retry::No),
            (200, r#"{"status":"mystery"}"#, ErrorCategory::Server, Retry::No),
        ];
        for (status, body, category, retry) in cases {
            let f = failure(parse_generation(&reply(status, body)));
            assert_eq!((f.category, f.retry), (category, retry), "HTTP {status} {body}");
        }
    }

    #[test]
    fn rate_limit_hints_come_from_body_and_headers() {
        let f = failure(parse_generation(&reply_with(
            429,
            r#"{"status":"error","message":"Rate limit exceeded.","retry_after":"7"}"#,
            &[("retry-after", "3"), ("retry-after-ms", "250"), ("x-ratelimit-reset", "1700000000")],
        )));
        assert_eq!(f.hints.body_retry_after, Some(7.0));
        assert_eq!(f.hints.retry_after.as_deref(), Some("3"));
        assert_eq!(f.hints.retry_after_ms.as_deref(), Some("250"));
        assert_eq!(f.hints.rate_limit_reset.as_deref(), Some("1700000000"));
        let f = failure(parse_generation(&reply(
            429,
            r#"{"status":"error","message":"Rate limit exceeded. Maximum 10 queued requests allowed.","retry_after":30}"#,
        )));
        assert_eq!((f.hints.queue_limit, f.hints.body_retry_after), (Some(10), Some(30.0)));
    }

    #[test]
    fn html_pages_are_summarised_never_shown_raw() {
        let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let f = failure(parse_generation(&reply_with(502, page, &[("content-type", "text/html")])));
        assert_eq!((f.category, f.retry), (ErrorCategory::Server, Retry::ServerError));
        let message = f.message.unwrap();
        assert!(message.contains("\"502 Bad Gateway\""), "{message}");
        assert!(!message.contains('<'), "{message}");
        let f = failure(parse_generation(&reply_with(200, page, &[("content-type", "text/html")])));
        assert_eq!((f.category, f.retry), (ErrorCategory::Server, Retry::No));
    }

    #[test]
    fn empty_and_junk_bodies_are_server_errors() {
        for body in ["", "   ", "\u{0}\u{1}junk", "[1,2,3]", "\"just a string\""] {
            let f = failure(parse_generation(&reply(200, body)));
            assert_eq!(f.category, ErrorCategory::Server, "{body:?}");
        }
        let f = failure(parse_generation(&reply(200, "")));
        assert!(f.message.unwrap().contains("empty answer"));
    }

    #[test]
    fn invalid_utf8_does_not_panic() {
        let r = Reply { status: 200, headers: Default::default(), body: bytes::Bytes::from_static(&[0xff, 0xfe, b'{', 0x80]) };
        assert_eq!(failure(parse_generation(&r)).category, ErrorCategory::Server);
    }

    #[test]
    fn masks_and_unreadable_images_are_named_at_their_field() {
        let mask =
            parse_generation(&reply(200, r#"{"status":"error","message":"mask_image must have the same dimensions as init_image"}"#));
        let ApiOutcome::Failed(f) = mask.outcome else { panic!("a failure") };
        assert!(f.fields.contains_key("mask_image") && f.category == ErrorCategory::Validation, "{f:?}");
        let init = parse_generation(&reply(200, r#"{"status":"error","message":"Unable to fetch image from provided URL"}"#));
        let ApiOutcome::Failed(f) = init.outcome else { panic!("a failure") };
        assert!(f.fields.contains_key("init_image"), "{f:?}");
    }
}
