//! One handler per OpenAI route: the key first (from the headers), then the body
//! (`request.rs`), then the scenario (`scenario.rs`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::request::ImageRequest;
use super::scenario::{refuses_keys, respond};
use super::{answers, edits};
use crate::form;
use crate::shared::Shared;

/// `GET /v1/models`.
pub(super) async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(refused) = key_refusal(&shared, &headers) {
        return refused;
    }
    answers::model_list(shared.config.legacy_openai_models)
}

/// `GET /v1/models/{model}`.
pub(super) async fn model(State(shared): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(refused) = key_refusal(&shared, &headers) {
        return refused;
    }
    answers::model(&id, shared.config.legacy_openai_models)
}

/// `POST /v1/images/generations`.
pub(super) async fn generations(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = key_refusal(&shared, &headers) {
        return refused;
    }
    match ImageRequest::from_json(&body, shared.config.legacy_openai_models) {
        Ok(request) => admitted(&shared, &request).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// `POST /v1/images/edits` (multipart).
pub(super) async fn edits(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = key_refusal(&shared, &headers) {
        return refused;
    }
    if !form::is_multipart(&headers) {
        return answers::invalid(
            "Invalid Content-Type header (application/json), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')",
            "",
            "invalid_content_type",
        )
        .into_response();
    }
    let fields = match form::read(&headers, body).await {
        Ok(fields) => fields,
        Err(_) => return answers::malformed_json().into_response(),
    };
    match edits::check(fields, shared.config.legacy_openai_models) {
        Ok(request) => admitted(&shared, &request).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// A missing key (401 without a key), or a key the scenario refuses.
fn key_refusal(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let Some(key) = api_key(headers) else { return Some(answers::missing_key()) };
    refuses_keys(shared).then(|| answers::incorrect_key(Some(&mask_key(&key))))
}

/// A checked request within the queue limit acts out the scenario.
async fn admitted(shared: &Shared, request: &ImageRequest) -> Response {
    let Some(_slot) = shared.in_flight.try_acquire() else {
        return answers::rate_limited(shared, answers::retry_hints(1));
    };
    let nth = shared.openai.next_submission();
    respond(shared, request, nth).await
}

/// The key from `Authorization: Bearer KEY` or `api-key: KEY`; empty keys do not count.
fn api_key(headers: &HeaderMap) -> Option<String> {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(token)
    });
    let api_key = headers.get("api-key").and_then(|value| value.to_str().ok());
    bearer.into_iter().chain(api_key).map(str::trim).find(|key| !key.is_empty()).map(str::to_owned)
}

/// The key as OpenAI echoes it: the first 3 and last 4 characters, the rest starred; a short
/// key is starred entirely.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::super::test_calls::{BEARER, call};
    use super::*;
    use crate::{Sandbox, SandboxConfig, Scenario};
    use serde_json::json;

    #[tokio::test]
    async fn bearer_api_key_or_nothing() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let body = json!({"model": "gpt-image-2", "prompt": "x", "size": "256x256"});
        let (status, _, _) = call(&sandbox, BEARER, body.clone()).await;
        assert_eq!(status, 200);
        let (status, _, _) = call(&sandbox, Some(("api-key", "azure-key")), body.clone()).await;
        assert_eq!(status, 200);
        let (status, headers, reply) = call(&sandbox, None, body.clone()).await;
        assert_eq!(status, 401);
        assert_eq!(reply["error"]["type"], "invalid_request_error");
        assert!(headers.contains_key("x-request-id"));
        let (status, _, _) = call(&sandbox, Some(("authorization", "Bearer ")), body).await;
        assert_eq!(status, 401);

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Auth401)).await.unwrap();
        let (status, _, reply) = call(&sandbox, BEARER, json!({})).await;
        assert_eq!(status, 401);
        assert_eq!(reply["error"]["code"], "invalid_api_key");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains("sk-*********") && !message.contains("0123456789abcdef"));
    }

    #[test]
    fn keys_are_masked_like_openai() {
        assert_eq!(mask_key("sk-abcdefgh1234"), "sk-********1234");
        assert_eq!(mask_key("short"), "*****");
    }
}
