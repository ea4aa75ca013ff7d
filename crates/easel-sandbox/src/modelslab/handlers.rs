//! One handler per ModelsLab route, in the service's order: the body and the key
//! (`request.rs`), then the scenario's refusals (`scenario.rs`), then the fields, then the
//! images it sends, read the way the service reads them, then the answer.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::answers::{self, INIT_IMAGE_NOT_A_URL, MASK_SIZE_MISMATCH, UNREADABLE_INIT_IMAGE, UNREADABLE_UPLOAD, UPLOAD_TOO_LARGE};
use super::fields::V7_LONG_SIDE;
use super::request::{self, Generation, V6Edit, V7Edit, parse_request};
use super::scenario::{Admission, admission, path_fetch_refused, refused_key};
use super::v7;
use crate::image_store::{FileContent, StoredFile};
use crate::images::{base64_image_size, decode_base64, fit_within_max_side, image_size, is_http_url, supported_format};
use crate::reply::{Rejection, json_response};
use crate::shared::Shared;

/// Largest image `base64_to_url` keeps.
const MAX_UPLOAD_BYTES: usize = 5_000_000;

/// Runs a generation route: the body and key, the scenario's refusals, then `check` (the
/// route's fields) and `answer`.
async fn generation_route<R>(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
    check: impl FnOnce(&Value) -> Result<R, Rejection>,
    answer: impl AsyncFnOnce(&Shared, R) -> Result<Result<Generation, Response>, Rejection>,
) -> Result<Response, Rejection> {
    let arrived = Instant::now();
    let body = parse_request(headers, body)?;
    let admitted = match admission(shared, &body).await {
        Admission::Answer(answer) => return Ok(answer),
        Admission::Admitted(admitted) => admitted,
    };
    let checked = check(&body)?;
    match answer(shared, checked).await? {
        Ok(generation) => admitted.respond(shared, generation, arrived).await,
        Err(refused) => Ok(refused),
    }
}

/// A checked text-to-image request is answered as it is.
async fn as_checked(_: &Shared, generation: Generation) -> Result<Result<Generation, Response>, Rejection> {
    Ok(Ok(generation))
}

/// `POST /api/v6/images/text2img`.
pub(super) async fn text2img(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    generation_route(&shared, &headers, &body, Generation::parse, as_checked).await
}

/// `POST /api/v6/images/img2img`: text2img plus `init_image` and `strength`; the output takes
/// the init image's size when it travels as base64 (a URL is not downloaded: the request's
/// width and height are used then).
pub(super) async fn img2img(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    generation_route(&shared, &headers, &body, |b| V6Edit::parse(b, false), image_to_image_v6).await
}

/// `POST /api/v6/images/inpaint`: img2img plus a `mask_image` of the init image's size.
pub(super) async fn inpaint(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    generation_route(&shared, &headers, &body, |b| V6Edit::parse(b, true), image_to_image_v6).await
}

async fn image_to_image_v6(shared: &Shared, edit: V6Edit) -> Result<Result<Generation, Response>, Rejection> {
    let V6Edit { mut generation, base64, images } = edit;
    let mut sizes = Vec::new();
    for image in images {
        let image = image?;
        if is_http_url(&image) {
            sizes.push(shared.images.published_bytes(&image).and_then(|b| image_size(&b)));
        } else if !base64 {
            return Ok(Err(answers::error_with_200(INIT_IMAGE_NOT_A_URL)));
        } else {
            match base64_image_size(&image) {
                Some(size) => sizes.push(Some(size)),
                None => return Ok(Err(answers::error_with_200(UNREADABLE_INIT_IMAGE))),
            }
        }
    }
    if let [Some(init), Some(mask)] = sizes[..]
        && init != mask
    {
        return Ok(Err(answers::error_with_200(MASK_SIZE_MISMATCH)));
    }
    if let Some(Some((width, height))) = sizes.first() {
        (generation.width, generation.height) = fit_within_max_side(*width, *height);
    }
    Ok(Ok(generation))
}

/// `POST /api/v7/images/text-to-image`: each model of the table with its own fields (an
/// aspect ratio, a size, or neither), any other id by the generic rules.
pub(super) async fn text_to_image_v7(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    generation_route(&shared, &headers, &body, request::v7_text_to_image, as_checked).await
}

/// `POST /api/v7/images/image-to-image`: an editing model with its start images in the form
/// its schema names (an array, one, or a pair), each a URL or base64 (with or without a
/// `data:` prefix). Without a shape the output takes the first readable init image's size
/// (1024×1024 when none can be read). A URL of this sandbox's own (an upload) must exist, as
/// the real service must be able to fetch it.
pub(super) async fn image_to_image_v7(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    generation_route(&shared, &headers, &body, |b| V7Edit::parse(b, false), edit_v7).await
}

/// `POST /api/v7/images/inpaint`: image-to-image plus `mask_image` (a URL or base64) of the
/// init image's size. (No source says which models it serves: it takes any.)
pub(super) async fn inpaint_v7(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    generation_route(&shared, &headers, &body, |b| V7Edit::parse(b, true), inpaint_edit_v7).await
}

async fn edit_v7(shared: &Shared, edit: V7Edit) -> Result<Result<Generation, Response>, Rejection> {
    image_to_image_v7_with(shared, edit, false).await
}

async fn inpaint_edit_v7(shared: &Shared, edit: V7Edit) -> Result<Result<Generation, Response>, Rejection> {
    image_to_image_v7_with(shared, edit, true).await
}

async fn image_to_image_v7_with(shared: &Shared, edit: V7Edit, with_mask: bool) -> Result<Result<Generation, Response>, Rejection> {
    let V7Edit { mut generation, ratio_size, inits, masks } = edit;
    let mut sizes = Vec::new();
    for image in inits.iter().chain(masks.first()) {
        let size = if is_http_url(image) {
            if image.starts_with(&shared.base_url) {
                match shared.images.published_bytes(image).and_then(|b| image_size(&b)) {
                    Some(size) => Some(size),
                    None => return Ok(Err(answers::error_with_200(UNREADABLE_INIT_IMAGE))),
                }
            } else {
                None
            }
        } else {
            match base64_image_size(image) {
                Some(size) => Some(size),
                None => return Ok(Err(answers::error_with_200(UNREADABLE_INIT_IMAGE))),
            }
        };
        sizes.push(size);
    }
    if with_mask
        && let (Some(Some(init)), Some(Some(mask))) = (sizes.first(), sizes.last())
        && init != mask
    {
        return Ok(Err(answers::error_with_200(MASK_SIZE_MISMATCH)));
    }
    let init_size = sizes.iter().take(inits.len()).flatten().next().copied();
    let (width, height) = ratio_size.or(init_size.map(|(w, h)| fit_within_max_side(w, h))).unwrap_or((V7_LONG_SIDE, V7_LONG_SIDE));
    (generation.width, generation.height) = (width, height);
    Ok(Ok(generation))
}

/// `POST /api/v6/base64_to_url` with `{"key", "base64_string"}` (a data URI or bare base64):
/// stores the image and answers `{status, id, output: [url]}`. At most 5 MB of image.
pub(super) async fn base64_to_url(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    let body = parse_request(&headers, &body)?;
    if let Some(refused) = refused_key(&shared) {
        return Ok(refused);
    }
    let Some(bytes) = decode_base64(request::upload_text(&body)?) else {
        return Ok(answers::error_with_200(UNREADABLE_UPLOAD));
    };
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Ok(answers::error_with_200(UPLOAD_TOO_LARGE));
    }
    let Some(content_type) = supported_format(&bytes).map(|format| format.to_mime_type()) else {
        return Ok(answers::error_with_200(UNREADABLE_UPLOAD));
    };
    let extension = content_type.trim_start_matches("image/");
    let id = shared.modelslab.next_id();
    let name = format!("upload-{id}.{extension}");
    let url = if shared.config.forget_uploads {
        shared.images.url_of(&name)
    } else {
        shared.images.publish(name, Arc::new(StoredFile::new(FileContent::Raw { content_type, bytes: bytes.into() })))
    };
    Ok(answers::uploaded(id, &url))
}

/// `POST /api/v4/dreambooth/model_list`: the public models.
pub(super) async fn model_list(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    parse_request(&headers, &body)?;
    Ok(refused_key(&shared).unwrap_or_else(answers::public_models))
}

/// `GET /api/v6/model-search/{modelId}?key=…`: what a v7 model of the table takes, as a JSON
/// Schema per endpoint; 404 for any other id.
pub(super) async fn model_search(State(shared): State<Arc<Shared>>, Path(id): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    let in_query = uri.query().unwrap_or_default().split('&').any(|pair| pair.strip_prefix("key=").is_some_and(|k| !k.is_empty()));
    let keyed = in_query || headers.contains_key("key");
    if !keyed {
        return answers::invalid_key().into_response();
    }
    if let Some(refused) = refused_key(&shared) {
        return refused;
    }
    match v7::details(&id) {
        Some(details) => json_response(StatusCode::OK, details),
        None => json_response(StatusCode::NOT_FOUND, json!({"status": "error", "message": format!("Model not found: {id}")})),
    }
}

/// `POST /api/v6/processing/request_count`: how many of the account's jobs are being made.
pub(super) async fn request_count(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    parse_request(&headers, &body)?;
    Ok(refused_key(&shared).unwrap_or_else(|| answers::request_count(shared.modelslab.processing())))
}

/// `POST /api/wallet_balance`.
pub(super) async fn wallet_balance(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    parse_request(&headers, &body)?;
    Ok(refused_key(&shared).unwrap_or_else(|| answers::wallet_balance(shared.wallet.balance())))
}

/// `POST /api/v6/images/fetch` with `{"key", "request_id"}`.
pub(super) async fn fetch_by_body(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Result<Response, Rejection> {
    let id = request::fetch_id(&parse_request(&headers, &body)?)?;
    Ok(fetch(&shared, &id))
}

/// `POST /api/v6/images/fetch/{id}` and `/api/v7/images/fetch/{id}` with `{"key"}`.
pub(super) async fn fetch_by_path(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    if let Some(refused) = path_fetch_refused(&shared) {
        return Ok(refused);
    }
    parse_request(&headers, &body)?;
    Ok(fetch(&shared, &id))
}

fn fetch(shared: &Shared, id: &str) -> Response {
    match shared.modelslab.poll(id, &shared.config) {
        Some(body) => json_response(StatusCode::OK, body),
        None => answers::request_not_found(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::ImageSpec;
    use crate::test_support::{generation, get, post, text2img};
    use crate::{Sandbox, SandboxConfig, Scenario};
    use serde_json::{Value, json};

    async fn served_size(url: &str) -> (u32, u32) {
        let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        let image = image::load_from_memory(&bytes).unwrap();
        (image.width(), image.height())
    }

    fn png_base64(width: u32, height: u32) -> String {
        crate::images::encode_base64(&ImageSpec { width, height, seed: 5 }.png())
    }

    #[tokio::test]
    async fn processing_then_fetch() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Processing)).await.unwrap();
        let (status, queued) = post(&text2img(&sandbox), generation()).await;
        assert_eq!(status, 200);
        assert_eq!(queued["status"], "processing");
        let id = queued["id"].as_u64().unwrap();
        let future_link = queued["future_links"][0].as_str().unwrap().to_owned();
        assert_eq!(get(&future_link).await.status(), 404);

        let fetch_url = queued["fetch_result"].as_str().unwrap().to_owned();
        let (_, first) = post(&fetch_url, json!({"key": "k"})).await;
        assert_eq!(first["status"], "processing");
        assert_eq!(first["output"], "");
        assert!(first.get("id").is_none(), "the documented queued fetch has no id: {first}");

        let body_form = format!("{}/api/v6/images/fetch", sandbox.base_url());
        let (_, done) = post(&body_form, json!({"key": "k", "request_id": id.to_string()})).await;
        assert_eq!(done["status"], "success");
        assert_eq!(done["output"][0], future_link.as_str());
        assert_eq!(get(&future_link).await.status(), 200);

        let (status, missing) = post(&format!("{fetch_url}999"), json!({"key": "k"})).await;
        assert_eq!(status, 404);
        assert_eq!(missing["status"], "error");
    }

    #[tokio::test]
    async fn bad_requests_get_json_errors() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let malformed = reqwest::Client::new().post(text2img(&sandbox)).body("{not json").send().await.unwrap();
        assert_eq!(malformed.status(), 400);
        assert_eq!(malformed.json::<Value>().await.unwrap()["status"], "error");

        let (status, reply) = post(&text2img(&sandbox), json!({"prompt": "x"})).await;
        assert_eq!(status, 401);
        assert_eq!(reply["message"], "Invalid API key");

        let bad_width = json!({"key": "k", "prompt": "x", "width": "wide"});
        let (status, reply) = post(&text2img(&sandbox), bad_width).await;
        assert_eq!(status, 400);
        assert!(reply["message"]["width"].is_array());

        let (status, reply) = post(&format!("{}/nowhere", sandbox.base_url()), json!({})).await;
        assert_eq!(status, 404);
        assert_eq!(reply["message"], "Route not found");

        let wallet = format!("{}/api/wallet_balance", sandbox.base_url());
        let (status, reply) = post(&wallet, json!({"key": "k"})).await;
        assert_eq!(status, 200);
        assert_eq!(reply["data"]["currency"], "USD");
        assert_eq!(sandbox.max_in_flight(), 1, "the refused request held its place only while it was checked");
    }

    /// The service's order: the key, then the scenario, then the fields. The official CLI
    /// sends the key in a `key` header as well as in the body; either will do.
    #[tokio::test]
    async fn the_key_and_the_scenario_come_before_the_fields() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Credits402)).await.unwrap();
        let invalid = json!({"key": "k", "prompt": "", "width": "wide"});
        let (status, reply) = post(&text2img(&sandbox), invalid).await;
        assert_eq!((status, reply["message"].as_str()), (402, Some("Insufficient credits. Please add more credits to continue.")));

        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let by_header = reqwest::Client::new()
            .post(text2img(&sandbox))
            .header("key", "k")
            .json(&json!({"prompt": "a cat", "width": 512, "height": 512}))
            .send()
            .await
            .unwrap();
        assert_eq!(by_header.status(), 200);
        assert_eq!(by_header.json::<Value>().await.unwrap()["status"], "success");
    }

    #[tokio::test]
    async fn the_queue_count_and_the_model_search_answer() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::ProcessingForever)).await.unwrap();
        let base = sandbox.base_url();
        for _ in 0..2 {
            post(&text2img(&sandbox), generation()).await;
        }
        let (status, count) = post(&format!("{base}/api/v6/processing/request_count"), json!({"key": "k"})).await;
        assert_eq!((status, count["status"].as_str(), count["processing_count"].as_u64()), (200, Some("success"), Some(2)));

        let details = get(&format!("{base}/api/v6/model-search/seedream-4.5?key=k")).await;
        assert_eq!(details.status(), 200);
        let details: Value = details.json().await.unwrap();
        let endpoints = details["data"]["endpoints"].as_array().unwrap();
        assert_eq!(endpoints[0]["parameters"]["properties"]["aspect_ratio"]["enum"].as_array().unwrap().len(), 8);
        assert_eq!(get(&format!("{base}/api/v6/model-search/sdxl?key=k")).await.status(), 404);
        assert_eq!(get(&format!("{base}/api/v6/model-search/seedream-4.5")).await.status(), 401);
    }

    #[tokio::test]
    async fn v7_text_to_image_has_output_url_and_v7_fetch() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let base = sandbox.base_url();
        let body = json!({"key": "k", "model_id": "imagen-4.0-ultra", "prompt": "a cat",
                          "aspect_ratio": "16:9", "samples": 2});
        let (status, reply) = post(&format!("{base}/api/v7/images/text-to-image"), body).await;
        assert_eq!((status, reply["status"].as_str()), (200, Some("success")));
        let output_url = reply["output_url"].as_str().unwrap();
        assert_eq!(reply["output"][0], output_url);
        assert_eq!(reply["output"].as_array().unwrap().len(), 2);
        assert_eq!(served_size(output_url).await, (1024, 576));

        let id = reply["id"].as_u64().unwrap();
        let (status, fetched) = post(&format!("{base}/api/v7/images/fetch/{id}"), json!({"key": "k"})).await;
        assert_eq!((status, fetched["status"].as_str()), (200, Some("success")));
        assert_eq!(fetched["output_url"], output_url);

        let t2i = format!("{base}/api/v7/images/text-to-image");
        let cases = [
            (json!({"key": "k", "model_id": "imagen-4", "prompt": "p"}), "aspect_ratio", "The aspect ratio field is required."),
            (
                json!({"key": "k", "model_id": "imagen-4", "prompt": "p", "aspect_ratio": "3:2"}),
                "aspect_ratio",
                "aspect_ratio must be one of 1:1, 3:4",
            ),
            (json!({"key": "k", "model_id": "seedream-4.5-i2i", "prompt": "p"}), "model_id", "seedream-4.5-i2i edits pictures"),
            (json!({"key": "k", "model_id": "seedream-t2i", "prompt": "p"}), "width", "The width field is required."),
        ];
        for (body, field, words) in cases {
            let (status, reply) = post(&t2i, body.clone()).await;
            assert_eq!(status, 400, "{body}");
            assert!(reply["message"][field][0].as_str().unwrap().starts_with(words), "{body}: {reply}");
        }
        // What the official CLI sends: width and height, with or without a model id.
        for body in [
            json!({"key": "k", "prompt": "p", "width": 1024, "height": 1024, "samples": 1}),
            json!({"key": "k", "model_id": "flux-2-pro", "prompt": "p", "width": 768, "height": 512}),
            json!({"key": "k", "model_id": "nano-banana-t2i", "prompt": "p"}),
        ] {
            let (status, reply) = post(&t2i, body.clone()).await;
            assert_eq!((status, reply["status"].as_str()), (200, Some("success")), "{body}: {reply}");
        }
        let (_, one) = post(&t2i, json!({"key": "k", "model_id": "imagen-4", "prompt": "p", "aspect_ratio": "1:1", "samples": 4})).await;
        assert_eq!(one["output"].as_array().unwrap().len(), 1, "a model that lists no samples makes one picture");
    }

    #[tokio::test]
    async fn v7_queued_jobs_fetch_by_v7_and_v6_forms() {
        let sandbox = Sandbox::start(SandboxConfig { processing_polls: 0, ..SandboxConfig::new(Scenario::Processing) }).await.unwrap();
        let base = sandbox.base_url();
        let body = json!({"key": "k", "model_id": "imagen-4", "prompt": "p", "aspect_ratio": "1:1"});
        let (_, queued) = post(&format!("{base}/api/v7/images/text-to-image"), body).await;
        assert_eq!(queued["status"], "processing");
        let id = queued["id"].as_u64().unwrap();
        assert_eq!(queued["fetch_result"], format!("{base}/api/v7/images/fetch/{id}"));
        let key = json!({"key": "k"});
        let (_, by_v6_path) = post(&format!("{base}/api/v6/images/fetch/{id}"), key.clone()).await;
        let (_, by_v6_body) = post(&format!("{base}/api/v6/images/fetch"), json!({"key": "k", "request_id": id.to_string()})).await;
        let (_, by_v7) = post(queued["fetch_result"].as_str().unwrap(), key).await;
        for reply in [&by_v6_path, &by_v6_body, &by_v7] {
            assert_eq!(reply["status"], "success");
            assert_eq!(reply["output_url"], queued["future_links"][0]);
        }
    }

    #[tokio::test]
    async fn v6_img2img_answers_at_the_init_image_size() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let url = format!("{}/api/v6/images/img2img", sandbox.base_url());
        let request = |init_image: Value, base64: Value| {
            json!({"key": "k", "model_id": "sdxl", "prompt": "p", "width": 512, "height": 512,
                   "init_image": init_image, "base64": base64, "strength": 0.4})
        };

        let plain = png_base64(40, 24);
        let prefixed = format!("data:image/png;base64,{}", png_base64(24, 40));
        for (init, flag, size) in [(plain, json!(true), (40, 24)), (prefixed, json!("yes"), (24, 40))] {
            let (status, reply) = post(&url, request(json!(init), flag)).await;
            assert_eq!((status, reply["status"].as_str()), (200, Some("success")));
            assert_eq!(reply["meta"]["strength"], 0.4);
            assert_eq!(served_size(reply["output"][0].as_str().unwrap()).await, size);
        }

        let not_an_image = crate::images::encode_base64(b"GIF89a, or text");
        let (status, reply) = post(&url, request(json!(not_an_image), json!(true))).await;
        assert_eq!(status, 200);
        assert_eq!(reply, json!({"status": "error", "message": "Unable to fetch image from provided URL"}));
        let (status, reply) = post(&url, request(json!(png_base64(8, 8)), json!(false))).await;
        assert_eq!(status, 200);
        assert_eq!(reply["message"], INIT_IMAGE_NOT_A_URL);

        let by_url = request(json!("https://example.com/cat.png"), json!(false));
        let (_, reply) = post(&url, by_url).await;
        assert_eq!(served_size(reply["output"][0].as_str().unwrap()).await, (512, 512));

        let (status, reply) = post(
            &url,
            request(json!(png_base64(8, 8)), json!(true))
                .as_object()
                .map(|body| {
                    let mut body = body.clone();
                    body.insert("strength".into(), json!(1.5));
                    Value::Object(body)
                })
                .unwrap(),
        )
        .await;
        assert_eq!(status, 400);
        assert!(reply["message"]["strength"].is_array());
        assert_eq!(sandbox.max_in_flight(), 1);
    }

    #[tokio::test]
    async fn v7_image_to_image_takes_each_models_image_form() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let url = format!("{}/api/v7/images/image-to-image", sandbox.base_url());
        let body = json!({"key": "k", "model_id": "seedream-4.5-i2i", "prompt": "p", "aspect_ratio": "21:9",
                          "init_image": [png_base64(48, 32)]});
        let (_, reply) = post(&url, body).await;
        assert_eq!(served_size(reply["output_url"].as_str().unwrap()).await, (1024, 440));

        let body = json!({"key": "k", "model_id": "nano-banana-pro", "prompt": "p", "aspect_ratio": "4:3",
                          "init_image": ["https://example.com/a.png", "https://example.com/b.png"]});
        let (_, reply) = post(&url, body).await;
        assert_eq!(served_size(reply["output_url"].as_str().unwrap()).await, (1024, 768));

        let body = json!({"key": "k", "model_id": "flux-kontext-pro", "prompt": "p", "init_image": png_base64(40, 24)});
        let (_, reply) = post(&url, body).await;
        assert_eq!(served_size(reply["output_url"].as_str().unwrap()).await, (40, 24), "no ratio: the start image's size");

        let refused = [
            (
                json!({"key": "k", "model_id": "seedream-4.5-i2i", "prompt": "p", "aspect_ratio": "1:1", "init_image": "https://e/a.png"}),
                "init_image",
                "The init image must be an array",
            ),
            (
                json!({"key": "k", "model_id": "seedream-4.5-i2i", "prompt": "p", "aspect_ratio": "3:4", "init_image": ["https://e/a.png"]}),
                "aspect_ratio",
                "aspect_ratio must be one of",
            ),
            (
                json!({"key": "k", "model_id": "gen4_image_turbo", "prompt": "p", "init_image": "https://e/a.png"}),
                "init_image_2",
                "The init image 2 field is required.",
            ),
            (
                json!({"key": "k", "model_id": "imagen-4", "prompt": "p", "init_image": "https://e/a.png"}),
                "model_id",
                "imagen-4 makes pictures from words only",
            ),
            (
                json!({"key": "k", "model_id": "seedream-4.5", "prompt": "p", "aspect_ratio": "1:1", "init_image": ["https://e/a.png"]}),
                "model_id",
                "seedream-4.5 makes pictures from words only",
            ),
        ];
        for (body, field, words) in refused {
            let (status, reply) = post(&url, body.clone()).await;
            assert_eq!(status, 400, "{body}");
            assert!(reply["message"][field][0].as_str().unwrap().starts_with(words), "{body}: {reply}");
        }

        let body = json!({"key": "k", "model_id": "m", "prompt": "p", "init_image": "bm9wZQ=="});
        let (status, reply) = post(&url, body).await;
        assert_eq!((status, reply["message"].as_str()), (200, Some(UNREADABLE_INIT_IMAGE)));
    }
}
