//! ModelsLab's answer shapes: `{"status":"error","message":…}` errors (often with HTTP 200),
//! per-field validation messages, `processing` and `success` bodies, and the account calls'
//! answers. Which scenario gives which answer is `scenario.rs`'s business.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Api;
use crate::reply::{Rejection, json_response, sandbox_error};

const FAILED: &str = "Failed, Try Again";
const QUEUED_MESSAGE: &str = "Try to fetch request after seconds estimated";
const STILL_PROCESSING: &str = "try again later.";
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

/// HTTP 401 for a missing or refused key.
pub(super) fn invalid_key() -> Rejection {
    sandbox_error(StatusCode::UNAUTHORIZED, "Invalid API key")
}

/// A refused key reported with HTTP 200, as ModelsLab often does.
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
    json_response(StatusCode::OK, json!({"status": "error", "message": message}))
}

/// HTTP 400 with a list of messages per field: `{"message": {field: [text]}}`.
pub(super) fn validation_errors(by_field: Map<String, Value>) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, json!({"status": "error", "message": by_field}))
}

/// The canned per-field failure of the validation scenarios (sent with 400 or 200).
pub(super) fn validation_failure() -> Value {
    json!({"status": "error", "message": {
        "width": ["width must be between 256 and 1024"],
        "samples": ["samples must be between 1 and 4"],
    }})
}

pub(super) fn out_of_credits() -> Response {
    sandbox_error(StatusCode::PAYMENT_REQUIRED, "Insufficient credits. Please add more credits to continue.").into_response()
}

pub(super) fn needs_premium_plan() -> Response {
    sandbox_error(StatusCode::FORBIDDEN, "This feature requires a premium subscription").into_response()
}

/// A missing model, under the legacy misspelt `messege` key (HTTP 200).
pub(super) fn model_not_found_messege(model_id: &str) -> Response {
    json_response(StatusCode::OK, json!({"status": "error", "messege": format!("Model not found: {model_id}")}))
}

/// Error text under `error` instead of `message` (HTTP 400).
pub(super) fn error_under_error_key() -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"status": "error", "error": "prompt must be a string"}))
}

pub(super) fn server_error() -> Response {
    sandbox_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error. Please try again.").into_response()
}

pub(super) fn model_unavailable() -> Response {
    sandbox_error(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable. Please try again later.").into_response()
}

/// What a held request answers once the sandbox stops.
pub(super) fn shutting_down() -> Response {
    sandbox_error(StatusCode::SERVICE_UNAVAILABLE, "The sandbox is shutting down").into_response()
}

pub(super) fn render_failed() -> Rejection {
    sandbox_error(StatusCode::INTERNAL_SERVER_ERROR, "Could not render image")
}

pub(super) fn request_not_found(id: &str) -> Response {
    sandbox_error(StatusCode::NOT_FOUND, format!("Request not found: {id}")).into_response()
}

// --- rate limits (HTTP 429 bodies; the sandbox counts and sends them) ------------------------

/// The queue-limit body, with `retry_after` seconds.
pub(super) fn queue_full(retry_after: u64) -> Value {
    json!({
        "status": "error",
        "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",
        "retry_after": retry_after,
    })
}

/// A rate-limit body whose only timing hints are in the headers.
pub(super) fn queue_full_without_hint() -> Value {
    json!({"status": "error", "message": "Rate limit exceeded. Maximum 5 queued requests allowed."})
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
    json!({"status": "failed", "id": id, "message": FAILED, "output": ""})
}

/// A finished generation; v7 answers also carry the first output as `output_url`.
pub(super) fn success(id: &Value, output: &Value, meta: &Value, api: Api) -> Value {
    let mut body = json!({
        "status": "success",
        "id": id,
        "output": output,
        "proxy_links": output,
        "meta": meta,
    });
    if api == Api::V7 {
        let first = match output {
            Value::Array(entries) => entries.first(),
            Value::Object(entries) => entries.get("0"),
            _ => None,
        };
        body["output_url"] = first.cloned().unwrap_or(Value::Null);
    }
    body
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
        let mut body = json!({
            "status": "processing",
            "tip": SANDBOX_TIP,
            "eta": self.eta,
            "fetch_result": self.fetch_result,
            "id": self.id,
            "output": [],
            "meta": self.meta,
            "future_links": self.future_links,
        });
        body[self.message_key] = json!(QUEUED_MESSAGE);
        body
    }
}

/// A fetch of a job that is not ready yet.
pub(super) fn still_processing(id: &Value, message_key: &'static str) -> Value {
    let mut body = json!({"status": "processing", "output": "", "id": id});
    body[message_key] = json!(STILL_PROCESSING);
    body
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

/// `base64_to_url`'s answer: the upload's id and URL.
pub(super) fn uploaded(id: u64, url: &str) -> Response {
    json_response(StatusCode::OK, json!({"status": "success", "id": id, "output": [url]}))
}
