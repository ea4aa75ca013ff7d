//! Reading OpenAI's answers: the images answer (JSON, or a stream of server-sent events when
//! `stream: true`), its `usage`, and errors mapped to what a person can do.
//!
//! A stream (spec `ImageGenStreamEvent` / `ImageEditStreamEvent`) holds
//! `image_generation.partial_image` (or `image_edit.partial_image`) events with
//! `partial_image_index` and `b64_json`, then one `…completed` event per image with its
//! `b64_json` and `usage`; an `error` event carries `{"error":{…}}` as any error answer does.

use super::models::retired_in;
use crate::error::{ErrorCategory, FieldErrors};
use crate::provider::answer::{read_json, text_of};
use crate::provider::stream;
use crate::provider::{ApiFailure, ApiOutcome, Finished, PartialImage, Reply, Retry, TokenUsage};
use crate::retry::RateLimitHints;
use serde_json::Value;

/// What an answer means.
pub(super) fn parse(reply: &Reply) -> ApiOutcome {
    if (200..300).contains(&reply.status) && is_event_stream(reply) {
        return parse_stream(reply);
    }
    // A proxy page is a proxy page, whoever is behind it: the shared summary says what came.
    let body = match read_json(reply) {
        Ok(body) => body,
        Err(failure) => return ApiOutcome::Failed(failure),
    };
    if (200..300).contains(&reply.status) && body.get("error").is_none_or(Value::is_null) {
        let outputs: Vec<String> = body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("b64_json").and_then(Value::as_str).or_else(|| item.get("url").and_then(Value::as_str)))
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .collect();
        return finished(outputs, usage(&body));
    }
    ApiOutcome::Failed(map_error(reply, &body))
}

fn is_event_stream(reply: &Reply) -> bool {
    reply.content_type().starts_with("text/event-stream")
        || reply.body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|_| {
            let head = String::from_utf8_lossy(&reply.body[..reply.body.len().min(16)]);
            let head = head.trim_start();
            head.starts_with("event:") || head.starts_with("data:")
        })
}

fn finished(outputs: Vec<String>, usage: Option<TokenUsage>) -> ApiOutcome {
    if outputs.is_empty() {
        let mut f = ApiFailure::new(ErrorCategory::BadOutput, Retry::No);
        f.message = Some("The service said it succeeded but sent no images.".into());
        return ApiOutcome::Failed(f);
    }
    ApiOutcome::Finished(Finished { remote_id: None, outputs, seeds: Vec::new(), usage, made: Default::default() })
}

/// A whole stream: the finished images of its `completed` events, their usage added up, or
/// the failure of its `error` event.
fn parse_stream(reply: &Reply) -> ApiOutcome {
    let mut outputs = Vec::new();
    let mut total: Option<TokenUsage> = None;
    for event in stream::events(&reply.body) {
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else { continue };
        let kind = data.get("type").and_then(Value::as_str).or(event.event.as_deref()).unwrap_or_default();
        if data.get("error").is_some_and(|e| !e.is_null()) || kind == "error" {
            return ApiOutcome::Failed(map_error(reply, &data));
        }
        if kind.ends_with(".completed")
            && let Some(b64) = data.get("b64_json").and_then(Value::as_str).filter(|s| !s.trim().is_empty())
        {
            outputs.push(b64.to_owned());
            if let Some(u) = usage(&data) {
                let t = total.get_or_insert_with(TokenUsage::default);
                t.input_tokens += u.input_tokens;
                t.output_tokens += u.output_tokens;
                if let Some(images) = u.input_image_tokens {
                    *t.input_image_tokens.get_or_insert(0) += images;
                }
            }
        }
    }
    finished(outputs, total)
}

/// One event of a stream, read as it arrives: a partial picture, if it is one.
pub(super) fn partial(event: Option<&str>, data: &str) -> Option<PartialImage> {
    let data: Value = serde_json::from_str(data).ok()?;
    let kind = data.get("type").and_then(Value::as_str).or(event)?;
    if !kind.ends_with(".partial_image") {
        return None;
    }
    let index = data.get("partial_image_index").and_then(Value::as_u64).unwrap_or(0) as u32;
    let base64 = data.get("b64_json").and_then(Value::as_str).filter(|s| !s.is_empty())?.to_owned();
    Some(PartialImage { index, base64 })
}

/// The `usage` of a GPT image answer: `input_tokens`, `output_tokens`, and of the input, how many
/// were image tokens (`input_tokens_details.image_tokens`). DALL·E answers have none.
fn usage(body: &Value) -> Option<TokenUsage> {
    let usage = body.get("usage")?;
    Some(TokenUsage {
        input_tokens: usage.get("input_tokens")?.as_u64()?,
        output_tokens: usage.get("output_tokens")?.as_u64()?,
        input_image_tokens: usage.pointer("/input_tokens_details/image_tokens").and_then(Value::as_u64),
    })
}

pub(super) fn map_error(reply: &Reply, body: &Value) -> ApiFailure {
    let err = body.get("error").unwrap_or(body);
    let message = err.get("message").and_then(text_of).or_else(|| err.as_str().map(str::to_owned)).unwrap_or_default();
    let code = err.get("code").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let kind = err.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let param = err.get("param").and_then(Value::as_str).map(str::to_owned);
    let lower = message.to_ascii_lowercase();
    let status = reply.status;
    let retired = retired_in(&message);
    let (category, retry, plain): (ErrorCategory, Retry, Option<String>) = if code == "insufficient_quota"
        || kind == "insufficient_quota"
        || (status == 429 && (lower.contains("quota") || lower.contains("billing")))
    {
        (ErrorCategory::Account, Retry::No, Some("Your account has used up its quota or credit.".into()))
    } else if status == 429 {
        (ErrorCategory::RateLimited, Retry::RateLimited, None)
    } else if code == "content_policy_violation" || code == "moderation_blocked" || lower.contains("safety system") {
        let plain = "The service refused this prompt under its content rules. Change the prompt and try again; nothing was made.";
        (ErrorCategory::Validation, Retry::No, Some(plain.into()))
    } else if status == 401 || code == "invalid_api_key" {
        (ErrorCategory::Auth, Retry::No, Some("The service did not accept your API key.".into()))
    } else if retired.is_some() && (400..500).contains(&status) {
        (ErrorCategory::Validation, Retry::No, retired)
    } else if status == 403 {
        (ErrorCategory::Account, Retry::No, Some("Your account is not allowed to use this model or feature.".into()))
    } else if (500..600).contains(&status) {
        (ErrorCategory::Server, Retry::ServerError, None)
    } else if status == 404 {
        (ErrorCategory::Validation, Retry::No, Some("The service does not know this model (or the address is wrong).".into()))
    } else if code == "invalid_image_file"
        || code == "invalid_image"
        || param.as_deref().is_some_and(|p| p.starts_with("image") || p == "mask")
    {
        (ErrorCategory::Validation, Retry::No, Some("The service could not use the start image or mask.".into()))
    } else {
        (ErrorCategory::Validation, Retry::No, Some("The service refused the request as invalid.".into()))
    };
    let mut fields = FieldErrors::new();
    if category == ErrorCategory::Validation
        && let Some(p) = param
    {
        fields.insert(p, vec![message.clone()]);
    }
    ApiFailure {
        category,
        retry,
        message: plain,
        detail: (!message.is_empty()).then_some(message),
        fields,
        hints: RateLimitHints::from_reply(reply),
        remote_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str, headers: &[(&'static str, &str)]) -> Reply {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Reply { status, headers: map, body: bytes::Bytes::from(body.to_owned()) }
    }

    fn failure(r: &Reply) -> ApiFailure {
        match parse(r) {
            ApiOutcome::Failed(f) => f,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn usage_is_read_for_a_cost_estimate() {
        let body = include_str!("../../../../../tests/corpus/openai/200_gpt_image_b64.json");
        let ApiOutcome::Finished(f) = parse(&reply(200, body, &[])) else { panic!("a finished answer") };
        assert_eq!(f.usage, Some(TokenUsage { input_tokens: 50, output_tokens: 50, input_image_tokens: Some(0) }));
    }

    #[test]
    fn a_stream_gives_its_partial_pictures_live_and_its_completed_images_whole() {
        let body = include_str!("../../../../../tests/corpus/openai/200_stream.txt");
        let r = reply(200, body, &[("content-type", "text/event-stream; charset=utf-8")]);
        let ApiOutcome::Finished(f) = parse(&r) else { panic!("finished") };
        assert_eq!(f.outputs, ["RklOQUw="]);
        assert_eq!(f.usage.map(|u| u.output_tokens), Some(1056));
        let partials: Vec<PartialImage> =
            stream::events(body.as_bytes()).iter().filter_map(|e| partial(e.event.as_deref(), &e.data)).collect();
        assert_eq!(partials.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 1]);
        let failed = "event: error\ndata: {\"type\":\"error\",\"error\":{\"message\":\"Your request was rejected as a result of our safety system.\",\"type\":\"image_generation_user_error\",\"code\":\"moderation_blocked\",\"param\":null}}\n\n";
        let f = failure(&reply(200, failed, &[("content-type", "text/event-stream")]));
        assert!(f.message.unwrap().contains("content rules"));
    }

    #[test]
    fn outputs_may_be_base64_data_uris_or_urls() {
        let r = reply(
            200,
            r#"{"created":1,"data":[{"b64_json":"iVBOR"},{"url":"https://x/y.png"},{"b64_json":"data:image/png;base64,AAA"}]}"#,
            &[],
        );
        match parse(&r) {
            ApiOutcome::Finished(f) => assert_eq!(f.outputs, ["iVBOR", "https://x/y.png", "data:image/png;base64,AAA"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(failure(&reply(200, r#"{"created":1,"data":[]}"#, &[])).category, ErrorCategory::BadOutput);
    }

    #[test]
    fn errors_map_to_categories() {
        let quota = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let f = failure(&reply(429, quota, &[]));
        assert_eq!((f.category, f.retry), (ErrorCategory::Account, Retry::No));
        let rate = r#"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let f = failure(&reply(429, rate, &[("retry-after-ms", "1500"), ("retry-after", "2")]));
        assert_eq!((f.category, f.retry), (ErrorCategory::RateLimited, Retry::RateLimited));
        assert_eq!(f.hints.retry_after_ms.as_deref(), Some("1500"));
        let safety = r#"{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}"#;
        let f = failure(&reply(400, safety, &[]));
        assert_eq!(f.category, ErrorCategory::Validation);
        assert!(f.message.unwrap().contains("content rules"));
        let auth = r#"{"error":{"message":"Incorrect API key provided: sk-ab***","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        assert_eq!(failure(&reply(401, auth, &[])).category, ErrorCategory::Auth);
        let size = r#"{"error":{"message":"Invalid size","type":"invalid_request_error","param":"size","code":null}}"#;
        let f = failure(&reply(400, size, &[]));
        assert_eq!(f.fields["size"], ["Invalid size"]);
        let server = r#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#;
        assert_eq!(failure(&reply(500, server, &[])).retry, Retry::ServerError);
        assert_eq!(
            failure(&reply(502, "<html><title>502 Bad Gateway</title></html>", &[("content-type", "text/html")])).retry,
            Retry::ServerError
        );
        let retired = include_str!("../../../../../tests/corpus/openai/404_model_retired.json");
        let f = failure(&reply(404, retired, &[]));
        assert!(f.message.unwrap().contains("OpenAI shut down DALL·E 3 on 12 May 2026"));
        let mask = r#"{"error":{"message":"Invalid mask image format - mask image missing alpha channel","type":"invalid_request_error","param":null,"code":"invalid_image_file"}}"#;
        assert!(failure(&reply(400, mask, &[])).message.unwrap().contains("start image or mask"));
    }
}
