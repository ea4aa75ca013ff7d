//! Enlarging pictures with ModelsLab's super resolution (docs-v2
//! `image-editing/super-resolution.mdx` and `image-editing/openapi.json`,
//! `SuperResolutionRequest`):
//!
//! - `POST /api/v6/image_editing/super_resolution` with `key`, `init_image` (the picture's
//!   **URL**: a local file is uploaded through `base64_to_url` first, like v7's start images),
//!   `model_id` (default `realesr-general-x4v3`), `scale` (an integer), `face_enhance`,
//!   `webhook`, `track_id`;
//! - the answer is ModelsLab's usual `success` / `processing` / `error` shape; a queued job is
//!   fetched at `POST /api/v6/image_editing/fetch/{id}` with `{key}` (the `fetch_result` the
//!   documented processing answer names), then through its future links.
//!
//! The largest side it makes is not documented ("ultra_resolution: 4K+"): Easel asks for at
//! most 8192 pixels a side, the most it keeps.

use super::ModelsLab;
use super::requests::image_reference;
use crate::capabilities::Upscaler;
use crate::keys::ApiKey;
use crate::provider::{GenerateRequest, HttpCall, RemoteJob};
use serde_json::json;

/// How ModelsLab enlarges: the general 4× model, asked for 2× or 4×.
pub(super) const UPSCALER: Upscaler =
    Upscaler { model: "realesr-general-x4v3", factors: &[2, 4], max_side: 8192, service: "ModelsLab's super resolution" };

/// The super-resolution request, for settings that enlarge a picture.
pub(super) fn request(p: &ModelsLab, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> Option<HttpCall> {
    let upscale = request.settings.upscale?;
    let source = request.init_image().map(image_reference).unwrap_or(serde_json::Value::Null);
    let body = json!({
        "key": key.map_or("", ApiKey::expose),
        "init_image": source,
        "model_id": request.settings.model,
        "scale": upscale.factor,
        "face_enhance": false,
        "webhook": null,
        "track_id": null,
    });
    Some(p.post("generate", "/api/v6/image_editing/super_resolution", body))
}

/// The fetch of a queued super-resolution job (one form; then the job's future links).
pub(super) fn fetch(p: &ModelsLab, job: &RemoteJob, key: Option<&ApiKey>, form: usize) -> Option<HttpCall> {
    if form > 0 {
        return None;
    }
    let mut call = p.post("fetch", "/api/v6/image_editing/fetch", json!({"key": key.map_or("", ApiKey::expose)}));
    call.url.path_segments_mut().ok()?.push(&job.id);
    Some(call)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{InitImage, Provider as _};
    use crate::request::{GenerationSettings, InitImageRef};

    #[test]
    fn an_enlargement_sends_the_uploaded_picture_and_its_scale() {
        let p = ModelsLab::new(None);
        let source = InitImageRef { path: "/lib/a.png".into(), sha256: "aa".into(), width: 512, height: 384 };
        let s = GenerationSettings::upscale_of(source, "a fox", 4, &UPSCALER).unwrap();
        assert_eq!((s.width, s.height, s.model.as_str()), (2048, 1536, "realesr-general-x4v3"));
        let image = InitImage {
            base64: "iVBORw0KGgo".into(),
            url: Some("https://pub.example/u/1.png".into()),
            mime: "image/png",
            bytes: 8,
            width: 512,
            height: 384,
        };
        assert!(p.upload(&s, &image, None).is_some(), "the picture travels by URL: uploaded first");
        let key = ApiKey::parse("k").unwrap();
        let call = p.generate(&GenerateRequest { settings: &s, init_images: std::slice::from_ref(&image), mask_image: None }, Some(&key));
        assert_eq!(call.url.path(), "/api/v6/image_editing/super_resolution");
        let body = call.body.unwrap();
        assert_eq!((body["init_image"].as_str(), body["scale"].as_u64()), (Some("https://pub.example/u/1.png"), Some(4)));
        assert_eq!(body["model_id"], "realesr-general-x4v3");
        let job = RemoteJob { id: "77".into(), fetch_url: None, eta_seconds: None, future_links: vec![], ..Default::default() };
        let paths: Vec<String> = (0..3).filter_map(|f| p.fetch(&job, &s, Some(&key), f)).map(|c| c.url.path().to_owned()).collect();
        assert_eq!(paths, ["/api/v6/image_editing/fetch/77"]);
    }

    #[test]
    fn a_picture_at_the_limit_is_not_enlarged_and_says_so() {
        let at = |side: u32| InitImageRef { path: "/a.png".into(), sha256: "aa".into(), width: side, height: side };
        let too_big = GenerationSettings::upscale_of(at(8192), "p", 2, &UPSCALER).unwrap_err();
        assert!(too_big.message.contains("already at the largest size ModelsLab's super resolution makes"), "{}", too_big.message);
        let only_two = GenerationSettings::upscale_of(at(3000), "p", 4, &UPSCALER).unwrap_err();
        assert!(only_two.message.contains("Enlarge it 2× instead"), "{}", only_two.message);
        assert!(GenerationSettings::upscale_of(at(512), "p", 3, &UPSCALER).unwrap_err().message.contains("2× or 4× only"));
    }
}
