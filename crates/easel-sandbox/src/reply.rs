//! JSON reply plumbing every protocol uses: a JSON response, and a [`Rejection`] that carries
//! an error answer through `Err` until a handler returns it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// A JSON error reply in any protocol's shape, small enough to travel in `Err`.
pub(crate) struct Rejection {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Rejection {
    pub(crate) fn new(status: StatusCode, body: Value) -> Self {
        Self { status, body }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        json_response(self.status, self.body)
    }
}

/// `{"status":"error","message":…}`: ModelsLab's error shape, which the sandbox also gives
/// where no protocol answers (an unreadable body, an unknown route, a failed render).
pub(crate) fn sandbox_error(status: StatusCode, message: impl Into<String>) -> Rejection {
    Rejection::new(status, json!({"status": "error", "message": message.into()}))
}
