//! A1111's answer shapes: FastAPI's 422 `detail` list, the error middleware's
//! `{"error","detail","body","errors"}`, the generation answer with its `info` string, and the
//! progress, options and list answers.

use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::catalog::{CHECKPOINTS, Checkpoint, SAMPLERS, VERSION};
use super::request::Params;
use super::state::Progress;
use crate::reply::{Rejection, json_response};

// --- errors ---------------------------------------------------------------------------------

/// A1111's error middleware shape: `{"error","detail","body","errors"}`.
fn middleware_error(status: StatusCode, error: &str, detail: &str, errors: &str) -> Rejection {
    Rejection::new(status, json!({"error": error, "detail": detail, "body": "", "errors": errors}))
}

/// FastAPI's 422 with a `detail` list.
pub(super) fn unprocessable(detail: Vec<Value>) -> Rejection {
    Rejection::new(StatusCode::UNPROCESSABLE_ENTITY, json!({ "detail": detail }))
}

/// One pydantic validation error of a `detail` list.
pub(super) fn detail(loc: Value, msg: &str, kind: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
}

/// FastAPI's 404 for a path no route serves.
pub(super) fn fastapi_not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
}

/// FastAPI's 405 for a route asked with a method it does not take.
pub(super) fn fastapi_method_not_allowed() -> Response {
    json_response(StatusCode::METHOD_NOT_ALLOWED, json!({"detail": "Method Not Allowed"}))
}

/// The 401 of `--api-auth` with other credentials.
pub(super) fn incorrect_credentials() -> Response {
    let mut response = json_response(StatusCode::UNAUTHORIZED, json!({"detail": "Incorrect username or password"}));
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
    response
}

pub(super) fn out_of_memory() -> Response {
    middleware_error(StatusCode::INTERNAL_SERVER_ERROR, "OutOfMemoryError", "", "CUDA out of memory. Tried to allocate 2.00 GiB")
        .into_response()
}

pub(super) fn sampler_not_found() -> Rejection {
    middleware_error(StatusCode::NOT_FOUND, "HTTPException", "Sampler not found", "")
}

pub(super) fn init_image_not_found() -> Rejection {
    middleware_error(StatusCode::NOT_FOUND, "HTTPException", "Init image not found", "")
}

/// `POST /sdapi/v1/options` naming a checkpoint that is not installed.
pub(super) fn checkpoint_not_found(name: &str) -> Response {
    middleware_error(StatusCode::INTERNAL_SERVER_ERROR, "RuntimeError", "", &format!("model '{name}' not found")).into_response()
}

/// The validation scenarios' 422: a width below the minimum.
pub(super) fn width_too_small() -> Response {
    unprocessable(vec![detail(json!(["body", "width"]), "ensure this value is greater than or equal to 64", "value_error.number.not_ge")])
        .into_response()
}

/// What a held request answers once the sandbox stops.
pub(super) fn shutting_down() -> Response {
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

// --- generations ----------------------------------------------------------------------------

/// One finished generation: the images, the request echoed with defaults as `parameters`, and
/// `info`, a JSON object serialised into a string.
pub(super) struct Generated<'a> {
    pub(super) params: &'a Params,
    pub(super) checkpoint: &'a Checkpoint,
    pub(super) first_seed: i64,
    /// Every seed of the batch, also of images an interrupt cut off.
    pub(super) seeds: &'a [i64],
    pub(super) infotexts: Vec<String>,
    pub(super) job_timestamp: String,
    pub(super) images: Vec<String>,
}

impl Generated<'_> {
    pub(super) fn into_response(self) -> Response {
        let Generated { params, checkpoint, first_seed, seeds, infotexts, job_timestamp, images } = self;
        let info = json!({
            "prompt": params.prompt,
            "all_prompts": vec![&params.prompt; seeds.len()],
            "negative_prompt": params.negative_prompt,
            "all_negative_prompts": vec![&params.negative_prompt; seeds.len()],
            "seed": first_seed,
            "all_seeds": seeds,
            "subseed": first_seed + 1,
            "all_subseeds": seeds.iter().map(|seed| seed + 1).collect::<Vec<_>>(),
            "subseed_strength": 0,
            "width": params.width,
            "height": params.height,
            "sampler_name": params.sampler,
            "cfg_scale": params.cfg_scale,
            "steps": params.steps,
            "batch_size": params.batch_size,
            "restore_faces": false,
            "face_restoration_model": null,
            "sd_model_name": checkpoint.model_name,
            "sd_model_hash": checkpoint.hash,
            "sd_vae_name": null,
            "sd_vae_hash": null,
            "seed_resize_from_w": -1,
            "seed_resize_from_h": -1,
            "denoising_strength": params.denoising_strength,
            "extra_generation_params": {},
            "index_of_first_image": 0,
            "infotexts": infotexts,
            "styles": [],
            "job_timestamp": job_timestamp,
            "clip_skip": 1,
            "is_using_inpainting_conditioning": false,
            "version": VERSION,
        });
        json_response(StatusCode::OK, json!({"images": images, "parameters": params.echo, "info": info.to_string()}))
    }
}

// --- progress, options, lists ---------------------------------------------------------------

pub(super) fn progress(progress: &Progress) -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "progress": progress.fraction,
            "eta_relative": progress.eta_seconds,
            "state": {
                "skipped": false,
                "interrupted": progress.interrupted,
                "stopping_generation": false,
                "job": progress.job,
                "job_count": progress.job_count,
                "job_timestamp": progress.job_timestamp,
                "job_no": progress.job_no,
                "sampling_step": progress.sampling_step,
                "sampling_steps": progress.sampling_steps,
            },
            "current_image": null,
            "textinfo": null,
        }),
    )
}

/// `{}`, as `POST /sdapi/v1/interrupt` answers.
pub(super) fn empty_object() -> Response {
    json_response(StatusCode::OK, json!({}))
}

/// `null`, as `POST /sdapi/v1/options` answers.
pub(super) fn null() -> Response {
    json_response(StatusCode::OK, Value::Null)
}

/// A few of A1111's many options.
pub(super) fn options(checkpoint: &Checkpoint) -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "sd_model_checkpoint": checkpoint.title,
            "sd_checkpoint_hash": checkpoint.sha256,
            "samples_format": "png",
        }),
    )
}

pub(super) fn checkpoints() -> Response {
    json_response(StatusCode::OK, Value::Array(CHECKPOINTS.iter().map(Checkpoint::to_json).collect()))
}

pub(super) fn samplers() -> Response {
    let list = SAMPLERS.iter().map(|(name, aliases)| json!({"name": name, "aliases": aliases, "options": {}})).collect();
    json_response(StatusCode::OK, Value::Array(list))
}
