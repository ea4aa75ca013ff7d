//! The ModelsLab protocol, acting out the configured [`crate::Scenario`]:
//!
//! - v6: `text2img`, `img2img`, `inpaint`, both fetch forms, the wallet balance,
//!   `base64_to_url` (the upload v7 clients use for local images), `processing/request_count`,
//!   `model-search/{id}` and the public model list;
//! - v7: `text-to-image` and `image-to-image`, each model with the fields the official SDK's
//!   schema gives it (`v7.rs`), `inpaint`, and the path-form fetch.
//!
//! Its answers are built from ModelsLab's documented ones (`documented.rs`, which reads
//! `tests/corpus/modelslab-docs/`): a queued job's fetch answers `processing` with no `id`,
//! `meta` carries one `seed`, a full queue answers 429 with `retry_after: 30`. It checks the
//! key (in the body or a `key` header) and acts out its scenario before it checks the fields.
//!
//! v6 and v7 share one job table, so a v7 job can also be fetched through either v6 form (clients
//! fall back to them).
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the routes and the 404 under `/api/` |
//! | `handlers.rs` | one function per route: read the request, then act |
//! | `request.rs`, `fields.rs` | what each route reads, and how one field is read and checked |
//! | `v7.rs` | the v7 models and the fields each takes (the sandbox's own table, from the SDK) |
//! | `documented.rs` | the documented answers the others are built from |
//! | `scenario.rs` | what each scenario makes a generation answer |
//! | `state.rs` | the job table (queued and finished jobs) and submission counts |
//! | `answers.rs` | ModelsLab's answer shapes: errors, `processing`, `success`, lists |

mod answers;
mod documented;
mod fields;
mod handlers;
mod request;
mod scenario;
mod state;
mod v7;

use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::{any, get, post};

use crate::canned;
use crate::shared::Shared;

pub(crate) use state::ProtocolState;

/// The ModelsLab routes. Every route is a POST with a JSON body carrying `key`.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v6/images/text2img", post(handlers::text2img))
        .route("/api/v6/images/img2img", post(handlers::img2img))
        .route("/api/v6/images/inpaint", post(handlers::inpaint))
        .route("/api/v6/base64_to_url", post(handlers::base64_to_url))
        .route("/api/v4/dreambooth/model_list", post(handlers::model_list))
        .route("/api/v6/images/fetch", post(handlers::fetch_by_body))
        .route("/api/v6/images/fetch/{id}", post(handlers::fetch_by_path))
        .route("/api/v7/images/text-to-image", post(handlers::text_to_image_v7))
        .route("/api/v7/images/image-to-image", post(handlers::image_to_image_v7))
        .route("/api/v7/images/inpaint", post(handlers::inpaint_v7))
        .route("/api/v7/images/fetch/{id}", post(handlers::fetch_by_path))
        .route("/api/wallet_balance", post(handlers::wallet_balance))
        .route("/api/v6/processing/request_count", post(handlers::request_count))
        .route("/api/v6/model-search/{id}", get(handlers::model_search))
        .method_not_allowed_fallback(not_found)
        .route("/api/{*rest}", any(not_found))
}

/// An unknown route (or method) under `/api/`.
async fn not_found() -> Response {
    canned::route_not_found().await
}

/// Which ModelsLab API a job came through: it decides the `fetch_result` URL and whether
/// answers carry `output_url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    V6,
    V7,
}

impl Api {
    /// The path-form fetch route of this API, without the id.
    fn fetch_path(self) -> &'static str {
        match self {
            Api::V6 => "/api/v6/images/fetch",
            Api::V7 => "/api/v7/images/fetch",
        }
    }
}
