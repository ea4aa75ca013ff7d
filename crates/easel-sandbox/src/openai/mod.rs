//! The OpenAI Images API (`POST /v1/images/generations`, `POST /v1/images/edits`,
//! `GET /v1/models`), acting out the configured [`crate::Scenario`] in OpenAI's dialect.
//!
//! Requests are checked per model as OpenAI does (sizes, enums, prompt lengths, unknown
//! parameters, `response_format` refused for GPT image models; DALL·E refused as shut down
//! unless `legacy_openai_models`). Answers honour `output_format` and `background`
//! (transparent PNG/WebP), and `stream: true` answers server-sent events with
//! `partial_images` previews. Unknown routes answer OpenAI's `Invalid URL` 404.
//!
//! Authentication is `Authorization: Bearer KEY` or Azure's `api-key: KEY`; neither gives 401.
//! Every answer carries `x-request-id`, `openai-processing-ms`, `openai-version` and the
//! `x-ratelimit-*-requests` headers. Errors are `{"error":{"message","type","param","code"}}`.
//!
//! | scenario | answer |
//! |---|---|
//! | `success`, `processing*` (no async API here), `big_eta`, `duplicate_id` | 200 |
//! | `object_output` | 200 with Together-style extras: `id`, `model`, `object: "list"`, `data[].index` |
//! | `inline_base64` | 200 `b64_json`, even when `url` was asked for (like DeepInfra) |
//! | `data_uri` | 200 `b64_json` as a `data:image/png;base64,` URI, even when `url` was asked for (like xAI) |
//! | `base64_url`, `future_link_404`, `empty_image`, `not_an_image`, `huge_image`, `jpeg_output` | 200; the `url` form serves the scenario's file from the image store, the `b64_json` form carries the same bytes |
//! | `auth_401`, `auth_200` | 401 `invalid_api_key` (checked before the body) |
//! | `credits_402`, `quota_429` | 429 `insufficient_quota` |
//! | `plan_403` | 403 organization must be verified |
//! | `validation_400`, `validation_200` | 400 `invalid_value`, param `size` |
//! | `content_policy` | 400 `content_policy_violation` |
//! | `messege_error` | 404 `model_not_found` |
//! | `error_field` | 400 whose `error` is a bare string (as some compatible gateways send) |
//! | `rate_limited` | first two: 429 `rate_limit_exceeded`, `retry-after: 1`, `retry-after-ms: 1000` |
//! | `rate_limited_header`, `_ms`, `_date`, `_reset` | first: 429 with the ModelsLab scenario's header hints |
//! | `rate_limited_forever` / `rate_limited_long` | every request 429, `retry-after: 1` / `600` |
//! | `server_error_once` / `server_error` | first / every request 500 `server_error` |
//! | `failed`, `processing_then_failed` | 500 `server_error` (the generation fails) |
//! | `model_outage` | 503 for `gpt-image-2` models only |
//! | `html_502`, `html_200`, `empty_200`, `hang` | as for ModelsLab |
//!
//! The queue limit applies: a request over it gets the `rate_limited` 429.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the routes, the headers on every answer, the 404 under `/v1/` |
//! | `handlers.rs` | one function per route, and reading the key |
//! | `catalog.rs` | the models and what each takes |
//! | `request.rs` | reading and checking a request's fields as OpenAI does |
//! | `edits.rs` | the files of an edit: start images and the mask |
//! | `stream.rs` | the server-sent events of a streaming answer |
//! | `scenario.rs` | what each scenario makes a generation answer |
//! | `state.rs` | submission counts |
//! | `answers.rs` | OpenAI's answer shapes: errors, rate limits, the images answer |

mod answers;
mod catalog;
mod edits;
mod handlers;
mod request;
mod scenario;
mod state;
mod stream;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};

use crate::shared::Shared;

pub(crate) use state::ProtocolState;

/// What `x-ratelimit-limit-requests` announces.
const REQUEST_LIMIT: u32 = 60;

/// The OpenAI routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/images/generations", post(handlers::generations))
        .route("/v1/images/edits", post(handlers::edits))
        .route("/v1/models", get(handlers::models))
        .route("/v1/models/{model}", get(handlers::model))
        .method_not_allowed_fallback(not_found)
        .route("/v1/{*rest}", any(not_found))
        .route_layer(middleware::from_fn(common_headers))
}

/// An unknown route (or method) under `/v1/`, answered as OpenAI does.
async fn not_found(method: Method, uri: Uri) -> Response {
    answers::invalid_url(method.as_str(), uri.path())
}

/// Adds the headers OpenAI sends on every answer, unless the handler set them already.
async fn common_headers(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let elapsed = started.elapsed().as_millis() as u64;
    let headers = response.headers_mut();
    let request_id = format!("req_{:032x}", rand::random::<u128>());
    for (name, value) in [
        ("x-request-id", HeaderValue::from_str(&request_id).ok()),
        ("openai-processing-ms", Some(HeaderValue::from(elapsed))),
        ("openai-version", Some(HeaderValue::from_static("2020-10-01"))),
        ("x-ratelimit-limit-requests", Some(HeaderValue::from(REQUEST_LIMIT))),
        ("x-ratelimit-remaining-requests", Some(HeaderValue::from(REQUEST_LIMIT - 1))),
        ("x-ratelimit-reset-requests", Some(HeaderValue::from_static("1s"))),
    ] {
        if let Some(value) = value {
            headers.entry(HeaderName::from_static(name)).or_insert(value);
        }
    }
    response
}

#[cfg(test)]
mod test_calls {
    use serde_json::Value;

    use crate::Sandbox;

    /// A key that is long enough to be masked in error messages.
    pub(super) const BEARER: Option<(&str, &str)> = Some(("authorization", "Bearer sk-test-0123456789abcdef"));

    pub(super) fn generations_url(sandbox: &Sandbox) -> String {
        format!("{}/v1/images/generations", sandbox.base_url())
    }

    /// POSTs `body` to the generations route with the `auth` header, if any.
    pub(super) async fn call(sandbox: &Sandbox, auth: Option<(&str, &str)>, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = reqwest::Client::new().post(generations_url(sandbox)).json(&body);
        if let Some((name, value)) = auth {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.json().await.unwrap())
    }
}
