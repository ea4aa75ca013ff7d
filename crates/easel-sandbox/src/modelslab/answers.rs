//! ModelsLab's answer shapes, built from its documented answers (`documented.rs`): errors
//! (often with HTTP 200), per-field validation messages, `processing` and `success` bodies,
//! and the account calls' answers. Which scenario gives which answer is `scenario.rs`'s
//! business.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Api;
use super::documented::{self as doc, with};
use crate::reply::{Rejection, json_response};

const SANDBOX_TIP: &str = "This is the Easel sandbox: the result is a test pattern, not a real image.";
/// What ModelsLab answers (HTTP 200) when `init_image` cannot be read as an image.
pub(super) const UNREADABLE_INIT_IMAGE: &str = "Unable to fetch image from provided URL";
/// What the sandbox answers (HTTP 200) when a mask is not the init image's size.
pub(super) const MASK_SIZE_MISMATCH: &str = "mask_image must have the same dimensions as init_image";
/// What v6 answers (HTTP 200) for base64 sent without the `base64` flag.
pub(super) const INIT_IMAGE_NOT_A_URL: &str = "init_image must be a valid url when base64 is a representation of false";
/// What `base64_to_url` answers (HTTP 200) for text that is not a base64 image.
pub(super) const UNREADABLE_UPLOAD: &str = "Invalid base64 image string";
pub(super) const UPLOAD_TOO_LARGE: &str = "The base64 image exceeds the 5 MB limit";
/// What the public model list holds: a few of each kind (the real one has thousands).
const PUBLIC_MODELS: &[(&str, &str, &str)] = &[
    ("flux", "Flux", "flux"),
    ("sdxl", "Stable Diffusion XL", "stable_diffusion_xl"),
    ("realistic-vision-51", "Realistic Vision 5.1", "stable_diffusion"),
    ("dreamshaper-8", "DreamShaper 8", "stable_diffusion"),
    ("anything-v5", "Anything V5", "stable_diffusion"),
    ("juggernaut-xl-v10", "Juggernaut XL v10", "stable_diffusion_xl"),
    ("sd-1.5-inpainting", "SD 1.5 Inpainting", "stable_diffusion"),
];

// --- errors ---------------------------------------------------------------------------------

/// HTTP 401 for a missing or refused key (error-codes.mdx).
pub(super) fn invalid_key() -> Rejection {
    Rejection::new(StatusCode::UNAUTHORIZED, doc::INVALID_KEY.clone())
}

/// A refused key reported with HTTP 200, as ModelsLab often does (stablediffusionapi docs).
pub(super) fn invalid_key_with_200() -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "status": "error",
            "message": "Invalid Api Key",
            "tip": "1. Make sure you are passing Content-Type: application/json in header.",
        }),
    )
}

/// `{"status":"error","message":…}` with HTTP 200, as ModelsLab reports unusable images.
pub(super) fn error_with_200(message: &str) -> Response {
    json_response(StatusCode::OK, with(&doc::IMAGE_URL, [("message", Value::String(message.to_owned()))]))
}

/// HTTP 400 with a list of messages per field: `{"message": {field: [text]}}`.
pub(super) fn validation_errors(by_field: Map<String, Value>) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, json!({"status": "error", "message": by_field}))
}

/// The canned per-field failure of the validation scenarios (sent with 400 or 200), in the
/// words of error-codes.mdx's validation table.
pub(super) fn validation_failure() -> Value {
    json!({"status": "error", "message": {
        "width": ["width must be between 256 and 1024"],
        "samples": ["samples must be between 1 and 4"],
    }})
}

pub(super) fn out_of_credits() -> Response {
    json_response(StatusCode::PAYMENT_REQUIRED, doc::CREDITS.clone())
}

pub(super) fn needs_premium_plan() -> Response {
    json_response(StatusCode::FORBIDDEN, doc::PLAN.clone())
}

/// A missing model, under the legacy misspelt `messege` key (HTTP 200).
pub(super) fn model_not_found_messege(model_id: &str) -> Response {
    let text = doc::message(&doc::MODEL_NOT_FOUND).replace("invalid_model_name", model_id);
    json_response(StatusCode::OK, json!({"status": "error", "messege": text}))
}

/// Error text under `error` instead of `message` (HTTP 400).
pub(super) fn error_under_error_key() -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"status": "error", "error": "prompt must be a string"}))
}

pub(super) fn server_error() -> Response {
    json_response(StatusCode::INTERNAL_SERVER_ERROR, doc::SERVER_ERROR.clone())
}

pub(super) fn model_unavailable() -> Response {
    json_response(StatusCode::SERVICE_UNAVAILABLE, doc::UNAVAILABLE.clone())
}

/// What a held request answers once the sandbox stops.
pub(super) fn shutting_down() -> Response {
    json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "error", "message": "The sandbox is shutting down"}))
}

pub(super) fn render_failed() -> Rejection {
    Rejection::new(StatusCode::INTERNAL_SERVER_ERROR, doc::SERVER_ERROR.clone())
}

/// No job has this id. Not documented; the error shape is.
pub(super) fn request_not_found(id: &str) -> Response {
    json_response(StatusCode::NOT_FOUND, json!({"status": "error", "message": format!("Request not found: {id}")})).into_response()
}

// --- rate limits (HTTP 429 bodies; the sandbox counts and sends them) ------------------------

/// The documented queue-limit body: "Maximum `limit` queued requests allowed.", with
/// `retry_after` seconds (the documentation's is 30).
pub(super) fn queue_full(limit: usize, retry_after: u64) -> Value {
    let message = doc::message(&doc::QUEUE_FULL).replace("Maximum 5 ", &format!("Maximum {limit} "));
    with(&doc::QUEUE_FULL, [("message", Value::String(message)), ("retry_after", json!(retry_after))])
}

/// A rate-limit body whose only timing hints are in the headers.
pub(super) fn queue_full_without_hint(limit: usize) -> Value {
    let mut body = queue_full(limit, 0);
    if let Some(map) = body.as_object_mut() {
        map.remove("retry_after");
    }
    body
}

pub(super) fn too_many_requests() -> Value {
    json!({"status": "error", "message": "Too many requests"})
}

/// An exhausted daily quota: a 429 that retrying will not cure.
pub(super) fn daily_quota_exceeded() -> Value {
    json!({"status": "error", "message": "Daily quota exceeded: insufficient credits for this request"})
}

// --- generations ----------------------------------------------------------------------------

/// A generation that failed (`id` is `""` when it failed at once).
pub(super) fn failed(id: &Value) -> Value {
    with(&doc::FAILED, [("id", id.clone())])
}

/// A finished generation, as text2img answers it (with its `meta`); v7 answers also carry the
/// first output as `output_url` (what the official CLI reads).
pub(super) fn success(id: &Value, output: &Value, meta: &Value, api: Api) -> Value {
    let mut body = with(&doc::TEXT2IMG_SUCCESS, [("id", id.clone()), ("output", output.clone()), ("meta", meta.clone())]);
    if api == Api::V7 {
        body["output_url"] = first(output).cloned().unwrap_or(Value::Null);
    }
    body
}

/// A queued job's fetch, once it is done: the documented fetch answer is bare (no `meta`).
pub(super) fn fetched(id: &Value, output: &Value, api: Api) -> Value {
    let mut body = with(&doc::FETCH_SUCCESS, [("id", id.clone()), ("output", output.clone())]);
    if api == Api::V7 {
        body["output_url"] = first(output).cloned().unwrap_or(Value::Null);
    }
    body
}

fn first(output: &Value) -> Option<&Value> {
    match output {
        Value::Array(entries) => entries.first(),
        Value::Object(entries) => entries.get("0"),
        _ => None,
    }
}

/// The first answer to a queued generation. `message_key` is `messege` or `message`.
pub(super) struct Queued<'a> {
    pub(super) id: &'a Value,
    pub(super) eta: f64,
    pub(super) fetch_result: String,
    pub(super) meta: &'a Value,
    pub(super) future_links: &'a [String],
    pub(super) message_key: &'static str,
}

impl Queued<'_> {
    pub(super) fn body(&self) -> Value {
        let mut body = with(
            &doc::TEXT2IMG_PROCESSING,
            [
                ("tip", json!(SANDBOX_TIP)),
                ("eta", json!(self.eta)),
                ("fetch_result", json!(self.fetch_result)),
                ("id", self.id.clone()),
                ("meta", self.meta.clone()),
                ("future_links", json!(self.future_links)),
            ],
        );
        if self.message_key == "message"
            && let Some(map) = body.as_object_mut()
            && let Some(text) = map.remove("messege")
        {
            map.insert("message".into(), text);
        }
        body
    }
}

/// A fetch of a job that is not ready yet: the documented answer, with no `id` (the realtime
/// one spells its key `message`).
pub(super) fn still_processing(message_key: &'static str) -> Value {
    if message_key == "message" { doc::REALTIME_FETCH_PROCESSING.clone() } else { doc::FETCH_PROCESSING.clone() }
}

// --- account and uploads --------------------------------------------------------------------

/// `model_list`: the public models, as a bare JSON array.
pub(super) fn public_models() -> Response {
    let models = PUBLIC_MODELS
        .iter()
        .map(|(id, name, category)| json!({"model_id": id, "model_name": name, "model_category": category, "status": "model_ready"}))
        .collect();
    json_response(StatusCode::OK, Value::Array(models))
}

/// `wallet_balance`: the documented answer, with the sandbox wallet's balance now.
pub(super) fn wallet_balance(balance: f64) -> Response {
    let mut body = doc::WALLET_BALANCE.clone();
    body["data"]["balance"] = json!(balance);
    json_response(StatusCode::OK, body)
}

/// `processing/request_count`: how many of the account's jobs are being made.
pub(super) fn request_count(count: usize) -> Response {
    json_response(StatusCode::OK, with(&doc::REQUEST_COUNT, [("processing_count", json!(count))]))
}

/// `base64_to_url`'s answer: the upload's id and URL.
pub(super) fn uploaded(id: u64, url: &str) -> Response {
    json_response(StatusCode::OK, with(&doc::BASE64_TO_URL, [("id", json!(id)), ("output", json!([url]))]))
}
