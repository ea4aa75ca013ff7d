//! Streaming answers (`stream: true`): server-sent events as OpenAI sends them (spec
//! `ImageGenStreamEvent`, `ImageEditStreamEvent`): for each image, `partial_images` rough
//! versions (`…partial_image` with `partial_image_index`), then `…completed` with the image
//! and its usage. The sandbox sends the events of one answer together, after the job duration.

use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::answers::{answered_quality, usage};
use super::request::ImageRequest;
use crate::clock::unix_time;

/// One finished image of the answer, and its rough versions before it, as base64.
pub(super) struct Streamed {
    pub(super) partials: Vec<String>,
    pub(super) image: String,
}

/// The `text/event-stream` answer.
pub(super) fn response(request: &ImageRequest, images: Vec<Streamed>) -> Response {
    let prefix = if request.edit { "image_edit" } else { "image_generation" };
    let common = json!({
        "background": if request.transparent() { "transparent" } else { "opaque" },
        "created_at": unix_time(),
        "output_format": request.output_format(),
        "quality": answered_quality(request),
        "size": format!("{}x{}", request.width, request.height),
    });
    let mut body = String::new();
    let mut push = |kind: String, mut data: serde_json::Value| {
        data["type"] = json!(kind);
        if let (Some(data), Some(common)) = (data.as_object_mut(), common.as_object()) {
            for (k, v) in common {
                data.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        body.push_str(&format!("event: {kind}\ndata: {data}\n\n"));
    };
    for image in images {
        for (index, partial) in image.partials.into_iter().enumerate() {
            push(format!("{prefix}.partial_image"), json!({"b64_json": partial, "partial_image_index": index}));
        }
        push(format!("{prefix}.completed"), json!({"b64_json": image.image, "usage": usage(request, 1)}));
    }
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    response
}
