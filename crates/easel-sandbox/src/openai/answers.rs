//! OpenAI's answer shapes: `{"error":{"message","type","param","code"}}` errors with OpenAI's
//! own wording, the rate-limit 429 with its hints, the images answer and the model list.

use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::REQUEST_LIMIT;
use super::catalog::{IMAGE_MODELS, OTHER_MODELS, RETIRED_MODELS};
use super::request::ImageRequest;
use crate::clock::unix_time;
use crate::reply::{Rejection, json_response};
use crate::scenario::Scenario;
use crate::shared::Shared;

const SERVER_ERROR: &str = "The server had an error while processing your request. Sorry about that! \
You can retry your request, or contact us through our help center at help.openai.com if the error persists.";
const KEY_HELP: &str = "You can find your API key at https://platform.openai.com/account/api-keys.";

// --- the error shape ------------------------------------------------------------------------

/// `{"error":{"message","type","param","code"}}`.
fn error_body(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

fn rejection(status: StatusCode, message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Rejection {
    Rejection::new(status, error_body(message, kind, param, code))
}

fn error(status: StatusCode, message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Response {
    rejection(status, message, kind, param, code).into_response()
}

/// HTTP 400 `invalid_request_error` about `param`.
pub(super) fn invalid(message: &str, param: &str, code: &str) -> Rejection {
    rejection(StatusCode::BAD_REQUEST, message, "invalid_request_error", Some(param), Some(code))
}

// --- request errors -------------------------------------------------------------------------

/// HTTP 401 for a request without any key.
pub(super) fn missing_key() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "You didn't provide an API key. You need to provide your API key in an Authorization \
         header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error",
        None,
        None,
    )
}

/// HTTP 401 `invalid_api_key`, echoing the key masked when there is one to echo.
pub(super) fn incorrect_key(masked_key: Option<&str>) -> Response {
    let message = match masked_key {
        Some(masked) => format!("Incorrect API key provided: {masked}. {KEY_HELP}"),
        None => format!("Incorrect API key provided. {KEY_HELP}"),
    };
    error(StatusCode::UNAUTHORIZED, &message, "invalid_request_error", None, Some("invalid_api_key"))
}

pub(super) fn malformed_json() -> Rejection {
    rejection(
        StatusCode::BAD_REQUEST,
        "We could not parse the JSON body of your request. (HINT: This likely means \
             you aren't using your HTTP library correctly. The OpenAI API expects a JSON \
             payload, but what was sent was not valid JSON.)",
        "invalid_request_error",
        None,
        None,
    )
}

/// HTTP 400 for a `size` the model does not make; `help` names what it makes.
pub(super) fn invalid_size(size: &str, help: &str) -> Rejection {
    invalid(&format!("Invalid value: '{size}'. {help}"), "size", "invalid_value")
}

/// HTTP 404 for an unknown route, as OpenAI answers one: `Invalid URL (METHOD /path)`.
pub(super) fn invalid_url(method: &str, path: &str) -> Response {
    error(StatusCode::NOT_FOUND, &format!("Invalid URL ({method} {path})"), "invalid_request_error", None, None)
}

// --- scenario errors ------------------------------------------------------------------------

/// HTTP 429 `insufficient_quota` (no retry hint: waiting does not help), counted.
pub(super) fn insufficient_quota(shared: &Shared) -> Response {
    let body = error_body(
        "You exceeded your current quota, please check your plan and billing details. \
         For more information on this error, read the docs: \
         https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "insufficient_quota",
        None,
        Some("insufficient_quota"),
    );
    shared.too_many_requests(body, [])
}

pub(super) fn organization_unverified(model: &str) -> Response {
    let message = format!(
        "Your organization must be verified to use the model `{model}`. Please go to: \
         https://platform.openai.com/settings/organization/general and click on Verify \
         Organization. If you just verified, it can take up to 15 minutes for access to \
         propagate."
    );
    error(StatusCode::FORBIDDEN, &message, "invalid_request_error", None, None)
}

pub(super) fn content_policy_violation() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "Your request was rejected as a result of our safety system. Your prompt may contain \
         text that is not allowed by our safety system.",
        "invalid_request_error",
        None,
        Some("content_policy_violation"),
    )
}

pub(super) fn model_not_found(model: &str) -> Response {
    model_not_found_rejection(model).into_response()
}

/// HTTP 404 `model_not_found`, as for a model that does not exist or was shut down.
pub(super) fn model_not_found_rejection(model: &str) -> Rejection {
    let message = format!("The model `{model}` does not exist or you do not have access to it.");
    rejection(StatusCode::NOT_FOUND, &message, "invalid_request_error", None, Some("model_not_found"))
}

/// HTTP 400 whose `error` is a bare string, as some OpenAI-compatible gateways send.
pub(super) fn bare_string_error() -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"error": "Invalid request: prompt must be a string"}))
}

pub(super) fn model_overloaded() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "That model is currently overloaded with other requests. You can retry your request, \
         or contact us through our help center at help.openai.com if the error persists.",
        "server_error",
        None,
        None,
    )
}

pub(super) fn server_error() -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, SERVER_ERROR, "server_error", None, None)
}

// --- rate limits ----------------------------------------------------------------------------

/// `retry-after` in seconds plus `retry-after-ms`, as OpenAI sends them.
pub(super) fn retry_hints(seconds: u64) -> Vec<(HeaderName, HeaderValue)> {
    vec![(header::RETRY_AFTER, HeaderValue::from(seconds)), (HeaderName::from_static("retry-after-ms"), HeaderValue::from(seconds * 1000))]
}

/// HTTP 429 "Rate limit reached for requests" with `hints`, counted by the sandbox.
pub(super) fn rate_limited(shared: &Shared, hints: impl IntoIterator<Item = (HeaderName, HeaderValue)>) -> Response {
    let body = error_body(
        &format!(
            "Rate limit reached for requests per minute (RPM) in organization org-sandbox on \
             images: Limit {REQUEST_LIMIT}, Used {REQUEST_LIMIT}, Requested 1. Please try again \
             in 1s. Visit https://platform.openai.com/account/rate-limits to learn more."
        ),
        "requests",
        None,
        Some("rate_limit_exceeded"),
    );
    let mut response = shared.too_many_requests(body, [(HeaderName::from_static("x-ratelimit-remaining-requests"), HeaderValue::from(0))]);
    response.headers_mut().extend(hints);
    response
}

// --- success --------------------------------------------------------------------------------

/// The images answer: one `data` entry per image, each `(field, value)` with `field` being
/// `url` or `b64_json`; GPT image models add their options and `usage`, and
/// [`Scenario::ObjectOutput`] adds Together-style extras.
pub(super) fn images(request: &ImageRequest, scenario: Scenario, entries: Vec<(&'static str, String)>) -> Value {
    let together_style = scenario == Scenario::ObjectOutput;
    let data: Vec<Value> = entries
        .into_iter()
        .enumerate()
        .map(|(index, (field, value))| {
            let mut entry = json!({ field: value });
            if request.model == "dall-e-3" {
                entry["revised_prompt"] = json!(request.prompt);
            }
            if together_style {
                entry["index"] = json!(index);
                entry["type"] = json!(field);
            }
            entry
        })
        .collect();
    let mut body = json!({"created": unix_time(), "data": data});
    if request.family.gpt_image() {
        let format = if scenario == Scenario::JpegOutput { "jpeg" } else { request.output_format() };
        body["background"] = json!(if request.transparent() { "transparent" } else { "opaque" });
        body["output_format"] = json!(format);
        body["size"] = json!(format!("{}x{}", request.width, request.height));
        body["quality"] = json!(answered_quality(request));
        body["usage"] = usage(request, request.n);
    }
    if together_style {
        body["id"] = json!(format!("sandbox-{:016x}", rand::random::<u64>()));
        body["model"] = json!(request.model);
        body["object"] = json!("list");
    }
    body
}

/// The quality an answer reports: what was asked, `auto` answered as `medium`.
pub(super) fn answered_quality(request: &ImageRequest) -> &str {
    match request.quality.as_deref() {
        None | Some("auto") => "medium",
        Some(q) => q,
    }
}

/// The token usage of `images` images: the prompt's words as text tokens (plus 8), the start
/// images as image tokens for an edit, and 1056 output tokens an image.
pub(super) fn usage(request: &ImageRequest, images: u32) -> Value {
    let text_tokens = request.prompt.split_whitespace().count() as u64 + 8;
    let image_tokens = if request.edit { 388 } else { 0 };
    let output_tokens = 1056 * u64::from(images);
    json!({
        "total_tokens": text_tokens + image_tokens + output_tokens,
        "input_tokens": text_tokens + image_tokens,
        "output_tokens": output_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
    })
}

fn model_entry(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "system"})
}

/// The models this server has: OpenAI's current image models and a few others (`legacy`:
/// DALL·E too).
fn listed(legacy: bool) -> impl Iterator<Item = &'static str> {
    IMAGE_MODELS.iter().chain(OTHER_MODELS).chain(RETIRED_MODELS.iter().filter(move |_| legacy)).copied()
}

/// `GET /v1/models`: every model of the account, image models among them.
pub(super) fn model_list(legacy: bool) -> Response {
    let data: Vec<Value> = listed(legacy).map(model_entry).collect();
    json_response(StatusCode::OK, json!({"object": "list", "data": data}))
}

/// `GET /v1/models/{model}`: one model, or 404 as for a model the account cannot use.
pub(super) fn model(id: &str, legacy: bool) -> Response {
    if listed(legacy).any(|m| m == id) {
        return json_response(StatusCode::OK, model_entry(id));
    }
    model_not_found(id)
}
