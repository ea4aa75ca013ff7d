//! The AUTOMATIC1111 / Forge WebUI API (`/sdapi/v1/...`), acting out the configured
//! [`crate::Scenario`] in A1111's dialect.
//!
//! `txt2img` and `img2img` are synchronous: a request is held for the configured job duration
//! while `GET /sdapi/v1/progress` reports how far it has got, and generations run one at a time
//! (A1111's queue lock). `POST /sdapi/v1/interrupt` ends the running one early with one image.
//! Requests are counted as in flight but never refused for the queue limit: A1111 has none.
//!
//! HTTP Basic auth is optional as with `--api-auth`: any `Authorization: Basic` credentials, or
//! none, are accepted, except that the auth scenarios refuse every request.
//!
//! | scenario | answer |
//! |---|---|
//! | `success`, `object_output`, `base64_url`, `inline_base64`, `future_link_404`, all `processing*` except `processing_then_failed`, `big_eta`, `duplicate_id` | 200 |
//! | `credits_402`, `plan_403`, `quota_429`, every `rate_limited*` | 200: a local WebUI has no credits, plans or rate limits |
//! | `jpeg_output` | 200 with base64 JPEGs (`samples_format: jpg`) |
//! | `data_uri` | 200 with `data:image/png;base64,` URIs in `images` |
//! | `empty_image`, `not_an_image`, `huge_image` | 200 whose `images` hold an empty string, base64 HTML, a PNG declaring 60000×60000 |
//! | `auth_401`, `auth_200` | 401 `{"detail":"Incorrect username or password"}`, `WWW-Authenticate: Basic` |
//! | `validation_400`, `validation_200`, `content_policy` | 422 FastAPI `detail` list (width) |
//! | `error_field`, `messege_error` | 404 `{"error":"HTTPException","detail":"Sampler not found",…}` |
//! | `server_error_once` / `server_error`, `failed`, `processing_then_failed` | first / every request 500 `OutOfMemoryError` |
//! | `model_outage` | 500 `OutOfMemoryError` when the checkpoint asked for contains `xl` |
//! | `html_502`, `html_200`, `empty_200`, `hang` | as for ModelsLab |
//!
//! Unknown paths answer FastAPI's `{"detail":"Not Found"}` (404), a known path with another
//! method `{"detail":"Method Not Allowed"}` (405).
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the routes, `X-Process-Time`, the 404 under `/sdapi/` |
//! | `handlers.rs` | one function per route |
//! | `request.rs`, `fields.rs` | what txt2img/img2img read, and pydantic-style field checks |
//! | `scenario.rs` | what each scenario makes a generation answer; holding it while it runs |
//! | `state.rs` | the queue lock, the running generation's progress, the loaded checkpoint |
//! | `catalog.rs` | the installed checkpoints, samplers, schedulers and upscalers |
//! | `extras.rs` | the other routes `webuiapi` calls: lists, `png-info`, `extra-single-image` |
//! | `answers.rs` | A1111's answer shapes: FastAPI and middleware errors, the generation answer |

mod answers;
mod catalog;
mod extras;
mod fields;
mod handlers;
mod request;
mod scenario;
mod state;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::header::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};

use crate::shared::Shared;

pub(crate) use state::ProtocolState;

/// The A1111 routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sdapi/v1/txt2img", post(handlers::txt2img))
        .route("/sdapi/v1/img2img", post(handlers::img2img))
        .route("/sdapi/v1/progress", get(handlers::progress))
        .route("/sdapi/v1/interrupt", post(handlers::interrupt))
        .route("/sdapi/v1/sd-models", get(handlers::sd_models))
        .route("/sdapi/v1/samplers", get(handlers::samplers))
        .route("/sdapi/v1/options", get(handlers::get_options).post(handlers::set_options))
        .route("/sdapi/v1/scripts", get(handlers::scripts))
        .route("/sdapi/v1/schedulers", get(handlers::schedulers))
        .route("/sdapi/v1/upscalers", get(handlers::upscalers))
        .route("/sdapi/v1/skip", post(handlers::skip))
        .route("/sdapi/v1/refresh-checkpoints", post(handlers::refresh_checkpoints))
        .route("/sdapi/v1/png-info", post(handlers::png_info))
        .route("/sdapi/v1/extra-single-image", post(handlers::extra_single_image))
        .merge(extras::FIXED.iter().fold(Router::new(), |router, list| {
            router.route(&format!("/sdapi/v1/{list}"), get(move |state| handlers::fixed_list(state, list)))
        }))
        .method_not_allowed_fallback(method_not_allowed)
        .route("/sdapi/{*rest}", any(not_found))
        .route_layer(middleware::from_fn(process_time))
}

/// An unknown route under `/sdapi/`, as FastAPI answers it.
async fn not_found() -> Response {
    answers::fastapi_not_found()
}

/// A known route asked with another method, as FastAPI answers it.
async fn method_not_allowed() -> Response {
    answers::fastapi_method_not_allowed()
}

/// Adds `X-Process-Time` (seconds), as A1111's middleware does.
async fn process_time(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let seconds = format!("{:.4}", started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        response.headers_mut().insert("x-process-time", value);
    }
    response
}

#[cfg(test)]
mod test_calls {
    use serde_json::{Value, json};

    use crate::Sandbox;

    pub(super) fn url(sandbox: &Sandbox, route: &str) -> String {
        format!("{}/sdapi/v1/{route}", sandbox.base_url())
    }

    pub(super) async fn get(url: &str) -> Value {
        reqwest::get(url).await.unwrap().json().await.unwrap()
    }

    /// A small txt2img request with `extra` fields added.
    pub(super) fn small(extra: Value) -> Value {
        let mut body = json!({"prompt": "a cat", "width": 64, "height": 80, "steps": 20});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    }
}
