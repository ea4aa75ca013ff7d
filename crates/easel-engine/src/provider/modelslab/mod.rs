//! ModelsLab v6 (`https://modelslab.com/api/v6/...`).
//!
//! Quirks handled here (see shared/reference/protocols.md §1):
//! - the key travels in the JSON body as `key`;
//! - errors can arrive with HTTP 200, so the body's `status` decides, and the HTTP code is a hint;
//! - the message may be under `message`, `messege` (sic) or `error`, and may be a string
//!   or an object of field → list of messages (validation);
//! - `output`/`proxy_links` may be an array, an index-keyed object, or `""` while processing;
//! - `id` may be an integer or a string; `eta` may be a float;
//! - non-JSON answers (proxy error pages) are summarised, never shown raw.

mod models;
mod parse;

pub use parse::parse_generation;

use crate::capabilities::Capabilities;
use crate::keys::ApiKey;
use crate::provider::{
    ApiFailure, Balance, GenerateRequest, HttpCall, InitImage, Method, ModelInfo, Parsed, Provider, ProviderKind, RemoteJob, Reply,
    json_call,
};
use crate::request::{GenerationSettings, Seed};
use serde_json::{Value, json};

/// The official server.
pub const OFFICIAL_BASE: &str = "https://modelslab.com";

/// A starting image as v7 wants it: its uploaded URL (a data URI if the upload was skipped).
fn image_reference(image: &InitImage) -> String {
    image.url.clone().unwrap_or_else(|| format!("data:{};base64,{}", image.mime, image.base64))
}

/// The ModelsLab v6 provider.
pub struct ModelsLab {
    base: url::Url,
}

impl ModelsLab {
    /// `base` replaces the scheme, host and port of the official endpoint; paths stay official.
    pub fn new(base: Option<url::Url>) -> Self {
        let mut url = url::Url::parse(OFFICIAL_BASE).expect("the official base URL parses");
        if let Some(b) = base {
            url = b;
        }
        url.set_path("/");
        url.set_query(None);
        url.set_fragment(None);
        Self { base: url }
    }

    fn url(&self, path: &str) -> url::Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    fn post(&self, endpoint: &'static str, path: &str, body: Value) -> HttpCall {
        json_call(endpoint, Method::Post, self.url(path), Some(body), Vec::new())
    }
}

impl Provider for ModelsLab {
    fn kind(&self) -> ProviderKind {
        ProviderKind::ModelsLab
    }

    fn base_url(&self) -> &url::Url {
        &self.base
    }

    fn known_models(&self) -> &'static [ModelInfo] {
        models::MODELS
    }

    fn capabilities(&self, model: &str) -> Capabilities {
        models::capabilities(model)
    }

    /// `temp: "yes"` outputs are deleted after 24 hours (real-services.md §1.4).
    fn outputs_kept_for(&self, sent: &HttpCall) -> Option<std::time::Duration> {
        let temp = sent.body.as_ref().and_then(|b| b.get("temp"));
        matches!(temp, Some(Value::String(s)) if s == "yes").then(|| std::time::Duration::from_secs(24 * 3600))
    }

    fn generate(&self, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> HttpCall {
        let s = request.settings;
        let key = key.map_or("", ApiKey::expose);
        if models::is_v7(&s.model) {
            let mut body = json!({
                "key": key,
                "model_id": s.model,
                "prompt": s.prompt,
                "aspect_ratio": s.aspect_ratio.as_deref().unwrap_or("1:1"),
                "samples": s.samples,
                "webhook": null,
                "track_id": null,
            });
            let Some(init) = request.init_image() else {
                return self.post("generate", "/api/v7/images/text-to-image", body);
            };
            body["init_image"] = Value::String(image_reference(init));
            body["strength"] = json!(s.strength);
            return match request.mask_image {
                Some(mask) => {
                    body["mask_image"] = Value::String(image_reference(mask));
                    self.post("generate", "/api/v7/images/inpaint", body)
                }
                None => self.post("generate", "/api/v7/images/image-to-image", body),
            };
        }
        let seed = match s.seed {
            Seed::Random => Value::Null,
            Seed::Fixed(n) => json!(n),
        };
        let mut body = json!({
            "key": key,
            "model_id": s.model,
            "prompt": s.prompt,
            "negative_prompt": s.negative_prompt,
            "width": s.width,
            "height": s.height,
            "samples": s.samples,
            "num_inference_steps": s.steps,
            "guidance_scale": s.guidance,
            "seed": seed,
            "safety_checker": false,
            "base64": false,
            "webhook": null,
            "track_id": null,
        });
        match request.init_image() {
            Some(init) => {
                // The init image travels as base64, which needs `base64: true` (the output may then
                // come back as base64 too; intake handles both). Its size decides the output's.
                body["init_image"] = Value::String(init.base64.clone());
                body["base64"] = Value::Bool(true);
                body["strength"] = json!(s.strength);
                body["width"] = json!(init.width);
                body["height"] = json!(init.height);
                match request.mask_image {
                    Some(mask) => {
                        body["mask_image"] = Value::String(mask.base64.clone());
                        // The official inpaint example names the step count `steps`.
                        body["steps"] = json!(s.steps);
                        self.post("generate", "/api/v6/images/inpaint", body)
                    }
                    None => self.post("generate", "/api/v6/images/img2img", body),
                }
            }
            None => self.post("generate", "/api/v6/images/text2img", body),
        }
    }

    fn fetch(&self, job: &RemoteJob, settings: &GenerationSettings, key: Option<&ApiKey>, form: usize) -> Option<HttpCall> {
        let key = key.map_or("", ApiKey::expose);
        // v7 jobs: the v7 path form first; then the v6 forms, which public clients fall back to.
        let form = if models::is_v7(&settings.model) { form } else { form + 1 };
        let path_form = |prefix: &str| -> Option<HttpCall> {
            let mut call = self.post("fetch", prefix, json!({"key": key}));
            call.url.path_segments_mut().ok()?.push(&job.id);
            Some(call)
        };
        match form {
            0 => path_form("/api/v7/images/fetch"),
            // Form B, path form: what `fetch_result` points at, and what the SDKs use.
            1 => path_form("/api/v6/images/fetch"),
            // Form A, body form: the documented fallback.
            2 => Some(self.post("fetch", "/api/v6/images/fetch", json!({"key": key, "request_id": job.id}))),
            _ => None,
        }
    }

    /// v7 takes starting images as URLs, so a local file goes through `base64_to_url` first
    /// (5 MB at most, kept by ModelsLab for 24 hours). v6 takes base64 inside the request.
    fn upload(&self, settings: &GenerationSettings, image: &InitImage, key: Option<&ApiKey>) -> Option<HttpCall> {
        models::is_v7(&settings.model).then(|| {
            let data_uri = format!("data:{};base64,{}", image.mime, image.base64);
            self.post("upload", "/api/v6/base64_to_url", json!({"key": key.map_or("", ApiKey::expose), "base64_string": data_uri}))
        })
    }

    fn parse_upload(&self, reply: &Reply) -> Result<String, ApiFailure> {
        parse::upload(reply)
    }

    /// The public model list (legacy but key-only): a bare JSON array, thousands long.
    fn models(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(self.post("models", "/api/v4/dreambooth/model_list", json!({"key": key.map_or("", ApiKey::expose)})))
    }

    fn models_failure(&self, reply: &Reply) -> Option<ApiFailure> {
        parse::models_failure(reply)
    }

    fn parse_models(&self, reply: &Reply) -> Vec<String> {
        parse::models(reply)
    }

    fn balance(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(self.post("balance", "/api/wallet_balance", json!({"key": key.map_or("", ApiKey::expose)})))
    }

    fn parse_generation(&self, reply: &Reply) -> Parsed {
        parse::parse_generation(reply)
    }

    fn parse_balance(&self, reply: &Reply) -> Result<Balance, ApiFailure> {
        parse::balance(reply)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::error::ErrorCategory;
    use crate::request::SettingsDraft;

    pub(super) fn reply(status: u16, body: &str) -> Reply {
        reply_with(status, body, &[("content-type", "application/json")])
    }

    pub(super) fn reply_with(status: u16, body: &str, headers: &[(&'static str, &str)]) -> Reply {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Reply { status, headers: map, body: bytes::Bytes::from(body.to_owned()) }
    }

    #[test]
    fn generate_puts_the_key_in_the_body_and_redacts_its_twin() {
        let p = ModelsLab::new(Some(url::Url::parse("http://127.0.0.1:9999/ignored/path?q=1").unwrap()));
        let draft = SettingsDraft { prompt: "cat".into(), model: "sdxl".into(), seed: "5".into(), ..Default::default() };
        let settings = draft.validate(&p.capabilities("sdxl")).unwrap().candidates.remove(0);
        let key = ApiKey::parse("secret-canary").unwrap();
        let call = p.generate(&GenerateRequest::text(&settings), Some(&key));
        assert_eq!(call.url.as_str(), "http://127.0.0.1:9999/api/v6/images/text2img");
        let body = call.body.unwrap();
        assert_eq!(body["key"], "secret-canary");
        assert_eq!(body["model_id"], "sdxl");
        assert_eq!(body["seed"], 5);
        assert_eq!(body["num_inference_steps"], 30);
        assert!(!call.redacted_body.unwrap().to_string().contains("secret-canary"));
    }

    #[test]
    fn fetch_has_path_form_then_body_form() {
        let p = ModelsLab::new(None);
        let key = ApiKey::parse("k").unwrap();
        let job = RemoteJob { id: "ab/c 1".into(), fetch_url: None, eta_seconds: None, future_links: vec![] };
        let v6 = GenerationSettings { model: "sdxl".into(), ..Default::default() };
        let a = p.fetch(&job, &v6, Some(&key), 0).unwrap();
        assert_eq!(a.url.as_str(), "https://modelslab.com/api/v6/images/fetch/ab%2Fc%201");
        let b = p.fetch(&job, &v6, Some(&key), 1).unwrap();
        assert_eq!(b.url.path(), "/api/v6/images/fetch");
        assert_eq!(b.body.unwrap()["request_id"], "ab/c 1");
        assert!(p.fetch(&job, &v6, Some(&key), 2).is_none());
        let v7 = GenerationSettings { model: "imagen-4".into(), ..Default::default() };
        let paths: Vec<String> = (0..4).filter_map(|f| p.fetch(&job, &v7, Some(&key), f)).map(|c| c.url.path().to_owned()).collect();
        assert_eq!(paths, ["/api/v7/images/fetch/ab%2Fc%201", "/api/v6/images/fetch/ab%2Fc%201", "/api/v6/images/fetch"]);
    }

    #[test]
    fn v7_models_use_v7_with_an_aspect_ratio() {
        let p = ModelsLab::new(None);
        let caps = p.capabilities("imagen-4");
        assert!(caps.aspect_ratios.contains(&"16:9") && !caps.negative_prompt && caps.img2img() && caps.inpaint);
        let draft = SettingsDraft {
            prompt: "x".into(),
            model: "imagen-4".into(),
            aspect_ratio: "16:9".into(),
            width: "1".into(),
            ..Default::default()
        };
        let s = draft.validate(&caps).unwrap().candidates.remove(0);
        let call = p.generate(&GenerateRequest::text(&s), Some(&ApiKey::parse("k").unwrap()));
        assert_eq!(call.url.path(), "/api/v7/images/text-to-image");
        let body = call.body.unwrap();
        assert_eq!(body["aspect_ratio"], "16:9");
        assert!(body.get("width").is_none());
        let bad = SettingsDraft { aspect_ratio: "5:1".into(), ..draft };
        assert!(bad.validate(&caps).unwrap_err().fields.contains_key("aspect_ratio"));
    }

    #[test]
    fn img2img_sends_base64_and_the_init_size() {
        let p = ModelsLab::new(None);
        let s = GenerationSettings { model: "sdxl".into(), prompt: "p".into(), strength: 0.4, ..Default::default() };
        let init =
            super::super::InitImage { base64: "iVBORw0KGgo".into(), url: None, mime: "image/png", bytes: 8, width: 320, height: 256 };
        let call = p.generate(
            &GenerateRequest { settings: &s, init_images: std::slice::from_ref(&init), mask_image: None },
            Some(&ApiKey::parse("k").unwrap()),
        );
        assert_eq!(call.url.path(), "/api/v6/images/img2img");
        let body = call.body.unwrap();
        assert_eq!((body["base64"].clone(), body["width"].clone(), body["height"].clone()), (json!(true), json!(320), json!(256)));
        assert_eq!(body["strength"], json!(0.4f32));
        assert_eq!(body["init_image"], "iVBORw0KGgo");
    }

    #[test]
    fn balance_is_read_from_data() {
        let p = ModelsLab::new(None);
        let b = p.parse_balance(&reply(200, r#"{"status":"success","data":{"balance":43.6,"currency":"USD"}}"#)).unwrap();
        assert_eq!(b, Balance { amount: 43.6, currency: "USD".into() });
        let e = p.parse_balance(&reply(401, r#"{"status":"error","message":"Invalid API key"}"#)).unwrap_err();
        assert_eq!(e.category, ErrorCategory::Auth);
    }

    #[test]
    fn v7_uploads_starting_images_and_v6_does_not() {
        let p = ModelsLab::new(None);
        let image = InitImage { base64: "iVBORw0KGgo".into(), url: None, mime: "image/png", bytes: 8, width: 8, height: 8 };
        let key = ApiKey::parse("k").unwrap();
        let v6 = GenerationSettings { model: "sdxl".into(), ..Default::default() };
        assert!(p.upload(&v6, &image, Some(&key)).is_none(), "v6 takes base64 in the request");
        let v7 = GenerationSettings { model: "seedream-4.5".into(), ..Default::default() };
        let call = p.upload(&v7, &image, Some(&key)).unwrap();
        assert_eq!(call.url.path(), "/api/v6/base64_to_url");
        assert_eq!(call.body.unwrap()["base64_string"], "data:image/png;base64,iVBORw0KGgo");

        let ok = reply(200, r#"{"status":"success","id":7,"output":["https://pub.example/u/7.png"]}"#);
        assert_eq!(p.parse_upload(&ok).unwrap(), "https://pub.example/u/7.png");
        let refused = p.parse_upload(&reply(200, r#"{"status":"error","message":"Invalid base64 image string"}"#)).unwrap_err();
        assert_eq!(refused.category, ErrorCategory::Validation);
        assert!(refused.message.as_deref().unwrap().contains("could not accept the starting image"));
        assert!(refused.fields.contains_key("init_image"));
        let auth = p.parse_upload(&reply(401, r#"{"status":"error","message":"Invalid API key"}"#)).unwrap_err();
        assert_eq!(auth.category, ErrorCategory::Auth, "a refused key keeps its own message");
        let no_url = p.parse_upload(&reply(200, r#"{"status":"success","output":[]}"#)).unwrap_err();
        assert_eq!(no_url.category, ErrorCategory::BadOutput);
    }

    #[test]
    fn the_model_list_is_a_bare_array_of_strings_or_objects() {
        let p = ModelsLab::new(None);
        let list =
            reply(200, r#"[{"model_id":"sdxl","model_name":"SDXL"},"flux",{"id":"b"},{"model_id":"has space"},{"model_id":"sdxl"},7]"#);
        assert!(p.models_failure(&list).is_none());
        assert_eq!(p.parse_models(&list), ["b", "flux", "sdxl"]);
        let refused = reply(200, r#"{"status":"error","message":"Invalid Api Key"}"#);
        assert_eq!(p.models_failure(&refused).unwrap().category, ErrorCategory::Auth);
        assert!(p.parse_models(&refused).is_empty());
    }
}
