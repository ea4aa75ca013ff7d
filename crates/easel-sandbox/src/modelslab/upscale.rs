//! ModelsLab's super resolution (docs-v2 `image-editing/super-resolution.mdx`, and
//! `SuperResolutionRequest` in `image-editing/openapi.json`): `POST
//! /api/v6/image_editing/super_resolution` with `key`, `init_image` (a URL), `model_id`
//! (one of five upscalers, default `realesr-general-x4v3`), `scale` (an integer) and
//! `face_enhance`. The sandbox really enlarges the picture it is given (so a test can look at
//! the result), up to 8192 pixels a side; the queued scenarios answer `processing` with a
//! `fetch_result` at `/api/v6/image_editing/fetch/{id}`, which the job table answers.
//!
//! Unconfirmed: what the service answers for a picture it will not enlarge (too large), and
//! whether it takes base64 (the docs say URL only; the sandbox takes either, as v7 does).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::Api;
use super::answers::{self, UNREADABLE_INIT_IMAGE};
use super::fields::{FieldErrors, integer, text};
use super::request::parse_request;
use super::scenario::refused_key;
use super::state::{Job, Plan, QueuedJob};
use crate::image_store::{FileContent, StoredFile, new_uuid};
use crate::images::{decode_base64, is_http_url};
use crate::reply::{Rejection, json_response};
use crate::scenario::Scenario;
use crate::shared::Shared;

/// The upscalers the documentation lists.
const MODELS: [&str; 5] =
    ["RealESRGAN_x4plus", "RealESRGAN_x4plus_anime_6B", "RealESRGAN_x2plus", "realesr-general-x4v3", "ultra_resolution"];
/// The largest side the sandbox makes.
const MAX_SIDE: u32 = 8192;
/// What the sandbox answers (HTTP 200) when the enlarged picture would be too large.
pub(super) const TOO_LARGE: &str = "The upscaled image would exceed the maximum resolution of 8192 pixels";

/// `POST /api/v6/image_editing/super_resolution`.
pub(super) async fn super_resolution(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    let body = parse_request(&headers, &body)?;
    if let Some(refused) = refused_key(&shared) {
        return Ok(refused);
    }
    let mut errors = FieldErrors::default();
    let source = errors.check("init_image", text(&body, "init_image"));
    let model = errors.check("model_id", text(&body, "model_id")).unwrap_or_else(|| "realesr-general-x4v3".to_owned());
    let scale = errors.check("scale", integer(&body, "scale", 1..=8)).unwrap_or(3) as u32;
    if source.is_none() && !errors.has("init_image") {
        errors.add("init_image", "The init image field is required.".to_owned());
    }
    if !MODELS.contains(&model.as_str()) && !errors.has("model_id") {
        errors.add("model_id", format!("model_id must be one of {}", MODELS.join(", ")));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let source = source.unwrap_or_default();
    let bytes = if is_http_url(&source) { shared.images.published_bytes(&source).map(|b| b.to_vec()) } else { decode_base64(&source) };
    let Some(picture) = bytes.and_then(|b| image::load_from_memory(&b).ok()) else {
        return Ok(answers::error_with_200(UNREADABLE_INIT_IMAGE));
    };
    let (width, height) = (picture.width().saturating_mul(scale), picture.height().saturating_mul(scale));
    if width.max(height) > MAX_SIDE {
        return Ok(answers::error_with_200(TOO_LARGE));
    }
    let enlarged = crate::pattern::off_thread("upscaling", move || {
        let scaled = picture.resize_exact(width, height, image::imageops::FilterType::Triangle);
        let mut png = Vec::new();
        scaled.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map(|()| png)
    })
    .await;
    let Some(Ok(png)) = enlarged else { return Ok(answers::server_error()) };
    let queued = matches!(shared.config.scenario, Scenario::Processing | Scenario::ProcessingStringId | Scenario::ProcessingForever);
    let mut file = StoredFile::new(FileContent::Raw { content_type: "image/png", bytes: png.into() });
    if queued {
        file = file.unavailable();
    }
    let file = Arc::new(file);
    let url = shared.images.publish(format!("{}_out.png", new_uuid()), Arc::clone(&file));
    let id = json!(shared.modelslab.next_id());
    let meta = json!({"init_image": source_for_meta(&source), "upscale_factor": scale, "model_id": model, "face_enhance": false});
    if !queued {
        let body = answers::success(&id, &json!([url]), &meta, Api::V6);
        shared.modelslab.insert(Job::finished(id, json!([url]), Api::V6));
        return Ok(json_response(StatusCode::OK, body));
    }
    let Some(slot) = shared.in_flight.try_acquire() else {
        return Ok(shared.too_many_requests(answers::queue_full(shared.config.queue_limit, 30), []));
    };
    let plan = if shared.config.scenario == Scenario::ProcessingForever { Plan::Never } else { Plan::Succeed };
    let body = answers::Queued {
        id: &id,
        eta: 1.5,
        fetch_result: format!("{}/api/v6/image_editing/fetch/{id}", shared.base_url),
        meta: &meta,
        future_links: std::slice::from_ref(&url),
        message_key: "message",
    }
    .body();
    let job = QueuedJob { api: Api::V6, id, plan, slot, files: vec![file], output: json!([url]), message_key: "message" };
    shared.modelslab.insert(Job::queued(job));
    Ok(json_response(StatusCode::OK, body))
}

/// The source as the answer's `meta` echoes it: a URL as it is, base64 shortened.
fn source_for_meta(source: &str) -> Value {
    if is_http_url(source) { json!(source) } else { json!(format!("({} characters of base64)", source.len())) }
}

#[cfg(test)]
mod tests {
    use crate::pattern::ImageSpec;
    use crate::test_support::post;
    use crate::{Sandbox, SandboxConfig, Scenario};
    use serde_json::json;

    async fn size_at(url: &str) -> (u32, u32) {
        let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        let image = image::load_from_memory(&bytes).unwrap();
        (image.width(), image.height())
    }

    #[tokio::test]
    async fn an_uploaded_picture_comes_back_enlarged_at_once_or_through_its_fetch() {
        for scenario in [Scenario::Success, Scenario::Processing] {
            let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
            let base = sandbox.base_url();
            let png = crate::images::encode_base64(&ImageSpec { width: 40, height: 30, seed: 3 }.png());
            let (_, uploaded) =
                post(&format!("{base}/api/v6/base64_to_url"), json!({"key": "k", "base64_string": format!("data:image/png;base64,{png}")}))
                    .await;
            let source = uploaded["output"][0].as_str().unwrap().to_owned();
            let request = json!({"key": "k", "init_image": source, "model_id": "realesr-general-x4v3", "scale": 2, "face_enhance": false});
            let (status, answer) = post(&format!("{base}/api/v6/image_editing/super_resolution"), request).await;
            assert_eq!(status, 200, "{answer}");
            let output = if scenario == Scenario::Success {
                assert_eq!(answer["status"], "success");
                answer["output"][0].as_str().unwrap().to_owned()
            } else {
                assert_eq!(answer["status"], "processing");
                let fetch = answer["fetch_result"].as_str().unwrap().to_owned();
                assert!(fetch.contains("/api/v6/image_editing/fetch/"), "{fetch}");
                // The first fetch answers processing (one poll, as configured), the next the picture.
                let (_, first) = post(&fetch, json!({"key": "k"})).await;
                assert_eq!(first["status"], "processing", "{first}");
                let (_, done) = post(&fetch, json!({"key": "k"})).await;
                assert_eq!(done["status"], "success", "{done}");
                done["output"][0].as_str().unwrap().to_owned()
            };
            assert_eq!(size_at(&output).await, (80, 60));
        }
    }

    #[tokio::test]
    async fn too_large_unreadable_and_unknown_models_are_refused() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let url = format!("{}/api/v6/image_editing/super_resolution", sandbox.base_url());
        let big = crate::images::encode_base64(&ImageSpec { width: 3000, height: 8, seed: 1 }.png());
        let (_, answer) = post(&url, json!({"key": "k", "init_image": big, "scale": 4})).await;
        assert_eq!(answer["message"], super::TOO_LARGE);
        let (_, answer) = post(&url, json!({"key": "k", "init_image": "https://example.com/cat.png"})).await;
        assert_eq!(answer["message"], super::UNREADABLE_INIT_IMAGE);
        let (status, answer) = post(&url, json!({"key": "k", "init_image": "x", "model_id": "bigger"})).await;
        assert_eq!(status, 400);
        assert!(answer["message"]["model_id"].is_array(), "{answer}");
    }
}
