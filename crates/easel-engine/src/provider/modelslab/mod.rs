//! ModelsLab (`https://modelslab.com/api/...`): v6 for community models, v7 for the
//! provider-hosted ones, each model as the official clients send it.
//!
//! | file | holds |
//! |---|---|
//! | `models.rs` | the per-model table (API, fields, shapes, editing model, start images), with sources |
//! | `requests.rs` | the generation and fetch requests |
//! | `parse.rs` | reading answers: the body's `status` decides, the HTTP code is a hint |
//! | `search.rs` | the service's model search, which wins over the table where it answers |
//! | `upscale.rs` | enlarging pictures: super resolution and its fetch |
//!
//! Quirks handled (shared/reference/real-services.md §1, which corrects protocols.md §1):
//! - the key travels in the JSON body as `key`;
//! - errors can arrive with HTTP 200; the message may be under `message`, `messege` (sic) or
//!   `error`, a string or an object of field → list of messages (validation);
//! - a queued job's fetch answers `processing` with no `id`: the id of the first answer is
//!   kept, and `fetch_result` is asked first;
//! - `output`/`proxy_links` may be an array, an index-keyed object, or `""` while processing;
//! - `id` may be an integer or a string; `eta` may be a float;
//! - the server rewrites prompts unless told `enhance_prompt: "no"`;
//! - non-JSON answers (proxy error pages) are summarised, never shown raw.

mod models;
mod parse;
mod requests;
mod search;
mod upscale;

pub use parse::parse_generation;

use crate::capabilities::Capabilities;
use crate::keys::ApiKey;
use crate::provider::{
    ApiFailure, Balance, GenerateRequest, HttpCall, InitImage, Method, ModelInfo, Parsed, Provider, ProviderKind, RemoteJob, Reply,
    json_call,
};
use crate::request::GenerationSettings;
use models::Api;
use requests::FetchForm;
use serde_json::{Value, json};

/// The official server.
pub const OFFICIAL_BASE: &str = "https://modelslab.com";

/// The ModelsLab provider.
pub struct ModelsLab {
    base: url::Url,
    /// What the service's model search said, by model id.
    learned: search::Learned,
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
        Self { base: url, learned: search::Learned::default() }
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

fn exposed(key: Option<&ApiKey>) -> &str {
    key.map_or("", ApiKey::expose)
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
        self.learned.apply(model, models::capabilities(model))
    }

    fn upscaler(&self) -> Option<crate::capabilities::Upscaler> {
        Some(upscale::UPSCALER)
    }

    /// `temp: "yes"` outputs are deleted after 24 hours (real-services.md §1.4).
    fn outputs_kept_for(&self, sent: &HttpCall) -> Option<std::time::Duration> {
        let temp = sent.body.as_ref().and_then(|b| b.get("temp"));
        matches!(temp, Some(Value::String(s)) if s == "yes").then(|| std::time::Duration::from_secs(24 * 3600))
    }

    fn generate(&self, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> HttpCall {
        if let Some(call) = upscale::request(self, request, key) {
            return call;
        }
        let built = requests::generate(request, exposed(key));
        self.post("generate", built.path, built.body)
    }

    /// Form 0 is the `fetch_result` the service named, then the path form of the job's API,
    /// then v6's path and body forms.
    fn fetch(&self, job: &RemoteJob, settings: &GenerationSettings, key: Option<&ApiKey>, form: usize) -> Option<HttpCall> {
        if settings.upscale.is_some() {
            return upscale::fetch(self, job, key, form);
        }
        let forms = requests::fetch_forms(job, &settings.model);
        let chosen = forms.get(form)?;
        let body = requests::fetch_body(chosen, job, exposed(key));
        Some(match chosen {
            FetchForm::Path(path) => self.post("fetch", path, body),
            FetchForm::Body => self.post("fetch", "/api/v6/images/fetch", body),
        })
    }

    /// v7 (and super resolution) take pictures as URLs, so a local file goes through
    /// `base64_to_url` first (5 MB at most, kept by ModelsLab for 24 hours). v6 takes base64
    /// inside the request.
    fn upload(&self, settings: &GenerationSettings, image: &InitImage, key: Option<&ApiKey>) -> Option<HttpCall> {
        (models::api(&settings.model) == Api::V7 || settings.upscale.is_some()).then(|| {
            let data_uri = format!("data:{};base64,{}", image.mime, image.base64);
            self.post("upload", "/api/v6/base64_to_url", json!({"key": exposed(key), "base64_string": data_uri}))
        })
    }

    fn parse_upload(&self, reply: &Reply) -> Result<String, ApiFailure> {
        parse::upload(reply)
    }

    /// The public model list (legacy but key-only): a bare JSON array, thousands long.
    fn models(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(self.post("models", "/api/v4/dreambooth/model_list", json!({"key": exposed(key)})))
    }

    fn models_failure(&self, reply: &Reply) -> Option<ApiFailure> {
        parse::models_failure(reply)
    }

    fn parse_models(&self, reply: &Reply) -> Vec<String> {
        parse::models(reply)
    }

    fn model_details(&self, model: &str, key: Option<&ApiKey>) -> Option<HttpCall> {
        let call = search::request(&self.base, model, key)?;
        self.learned.asking(model).then_some(call)
    }

    fn learn_model(&self, model: &str, reply: &Reply) -> bool {
        self.learned.learn(model, reply)
    }

    fn balance(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(self.post("balance", "/api/wallet_balance", json!({"key": exposed(key)})))
    }

    fn queue_count(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(self.post("queue_count", "/api/v6/processing/request_count", json!({"key": exposed(key)})))
    }

    fn parse_queue_count(&self, reply: &Reply) -> Option<u32> {
        parse::queue_count(reply)
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

    fn image(url: Option<&str>) -> InitImage {
        InitImage { base64: "iVBORw0KGgo".into(), url: url.map(str::to_owned), mime: "image/png", bytes: 8, width: 320, height: 256 }
    }

    fn body_of(p: &ModelsLab, settings: &GenerationSettings, images: &[InitImage]) -> (String, Value) {
        let call = p.generate(&GenerateRequest { settings, init_images: images, mask_image: None }, Some(&ApiKey::parse("k").unwrap()));
        (call.url.path().to_owned(), call.body.unwrap())
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
        assert_eq!(body["num_inference_steps"], 20, "30 asked, capped as the service caps it");
        assert!(!call.redacted_body.unwrap().to_string().contains("secret-canary"));
    }

    #[test]
    fn the_prompt_typed_is_the_prompt_sent_and_flags_are_yes_or_no() {
        let p = ModelsLab::new(None);
        let plain = SettingsDraft { prompt: "women playing tennis".into(), model: "sdxl".into(), ..Default::default() };
        let s = plain.validate(&p.capabilities("sdxl")).unwrap().candidates.remove(0);
        let (_, body) = body_of(&p, &s, &[]);
        assert_eq!(
            (body["enhance_prompt"].as_str(), body["safety_checker"].as_str(), body["base64"].as_str()),
            (Some("no"), Some("no"), Some("no"))
        );
        let mut asked = plain.clone();
        asked.options.insert("enhance_prompt".into(), "yes".into());
        let s = asked.validate(&p.capabilities("sdxl")).unwrap().candidates.remove(0);
        assert_eq!(body_of(&p, &s, &[]).1["enhance_prompt"], "yes");
        let flux = SettingsDraft { model: "flux".into(), ..plain };
        let s = flux.validate(&p.capabilities("flux")).unwrap().candidates.remove(0);
        assert_eq!(body_of(&p, &s, &[]).1["enhance_prompt"], "no", "sent to Flux too: harmless, and never a rewrite");
    }

    #[test]
    fn fetch_asks_the_named_address_first_then_the_path_and_body_forms() {
        let p = ModelsLab::new(Some(url::Url::parse("http://127.0.0.1:9999").unwrap()));
        let key = ApiKey::parse("k").unwrap();
        let job = RemoteJob { id: "ab/c 1".into(), ..RemoteJob::default() };
        let v6 = GenerationSettings { model: "sdxl".into(), ..Default::default() };
        let paths = |job: &RemoteJob, s: &GenerationSettings| -> Vec<String> {
            (0..6).filter_map(|f| p.fetch(job, s, Some(&key), f)).map(|c| c.url.path().to_owned()).collect()
        };
        assert_eq!(paths(&job, &v6), ["/api/v6/images/fetch/ab%2Fc%201", "/api/v6/images/fetch"]);
        assert_eq!(p.fetch(&job, &v6, Some(&key), 1).unwrap().body.unwrap()["request_id"], "ab/c 1");
        let v7 = GenerationSettings { model: "imagen-4".into(), ..Default::default() };
        assert_eq!(paths(&job, &v7), ["/api/v7/images/fetch/ab%2Fc%201", "/api/v6/images/fetch/ab%2Fc%201", "/api/v6/images/fetch"]);

        // The documented fetch_result, on the server in use: the key never goes elsewhere.
        let named =
            RemoteJob { id: "134701497".into(), fetch_url: Some("https://elsewhere.example/api/v6/images/fetch/134701497".into()), ..job };
        let first = p.fetch(&named, &v6, Some(&key), 0).unwrap();
        assert_eq!(first.url.as_str(), "http://127.0.0.1:9999/api/v6/images/fetch/134701497");
        assert_eq!(paths(&named, &v6).len(), 2, "the same address is not asked twice");
        let only_address = RemoteJob { id: String::new(), ..named.clone() };
        assert_eq!(paths(&only_address, &v6), ["/api/v6/images/fetch/134701497"]);
        let nothing = RemoteJob { id: String::new(), fetch_url: Some("https://x/not-a-fetch".into()), ..named };
        assert!(p.fetch(&nothing, &v6, Some(&key), 0).is_none());
    }

    #[test]
    fn v7_text_to_image_sends_only_the_fields_the_model_takes() {
        let p = ModelsLab::new(None);
        let caps = p.capabilities("imagen-4");
        assert!(caps.aspect_ratios.contains(&"16:9") && !caps.negative_prompt && !caps.img2img() && !caps.inpaint);
        let draft = SettingsDraft {
            prompt: "x".into(),
            model: "imagen-4".into(),
            aspect_ratio: "16:9".into(),
            samples: "1".into(),
            ..Default::default()
        };
        let s = draft.validate(&caps).unwrap().candidates.remove(0);
        let (path, body) = body_of(&p, &s, &[]);
        assert_eq!(path, "/api/v7/images/text-to-image");
        let fields: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, ["aspect_ratio", "key", "model_id", "prompt"], "no samples, size, seed or steps for Imagen 4");
        let bad = SettingsDraft { aspect_ratio: "3:2".into(), ..draft.clone() };
        assert!(bad.validate(&caps).unwrap_err().fields["aspect_ratio"][0].contains("1:1, 3:4, 4:3, 9:16, 16:9"));

        let ultra = SettingsDraft { model: "imagen-4.0-ultra".into(), samples: "3".into(), ..draft.clone() };
        let s = ultra.validate(&p.capabilities("imagen-4.0-ultra")).unwrap().candidates.remove(0);
        assert_eq!(body_of(&p, &s, &[]).1["samples"], 3);
        let sized = SettingsDraft { model: "flux-2-pro".into(), width: "768".into(), height: "512".into(), ..draft };
        let s = sized.validate(&p.capabilities("flux-2-pro")).unwrap().candidates.remove(0);
        let (_, body) = body_of(&p, &s, &[]);
        assert_eq!((body["width"].as_u64(), body["height"].as_u64(), body.get("aspect_ratio")), (Some(768), Some(512), None));
    }

    #[test]
    fn v7_editing_uses_the_editing_model_and_the_sdks_image_shape() {
        let p = ModelsLab::new(None);
        let urls: Vec<InitImage> = (0..3).map(|i| image(Some(&format!("https://u.example/{i}.png")))).collect();
        let edit = |model: &str, ratio: &str, images: &[InitImage]| {
            let s = GenerationSettings { model: model.into(), prompt: "p".into(), aspect_ratio: Some(ratio.into()), ..Default::default() };
            body_of(&p, &s, images)
        };
        let (path, body) = edit("seedream-4.5", "21:9", &urls[..1]);
        assert_eq!(path, "/api/v7/images/image-to-image");
        assert_eq!(body["model_id"], "seedream-4.5-i2i");
        assert_eq!(body["init_image"], json!(["https://u.example/0.png"]), "an array, even for one picture");
        assert_eq!(body["aspect_ratio"], "21:9");
        let (_, body) = edit("nano-banana-pro", "1:1", &urls);
        assert_eq!((body["model_id"].as_str(), body["init_image"].as_array().map(Vec::len)), (Some("nano-banana-pro"), Some(3)));
        let (_, body) = edit("flux-kontext-pro", "16:9", &urls[..1]);
        assert_eq!((body["init_image"].as_str(), body["aspect_ratio"].as_str()), (Some("https://u.example/0.png"), Some("16:9")));
        let (_, body) = edit("gen4_image", "16:9", &urls[..2]);
        assert_eq!(body["model_id"], "gen4_image_turbo");
        assert_eq!(
            (body["init_image"].as_str(), body["init_image_2"].as_str()),
            (Some("https://u.example/0.png"), Some("https://u.example/1.png"))
        );
        assert!(body.get("aspect_ratio").is_none(), "Gen-4 Turbo takes no ratio");
        let (_, body) = edit("seedream-4", "1:1", &urls[..2]);
        assert_eq!((body["model_id"].as_str(), body.get("aspect_ratio")), (Some("seedream-4.0-i2i"), None));
    }

    #[test]
    fn refusals_before_sending_name_the_field() {
        let p = ModelsLab::new(None);
        let dir = tempfile::tempdir().unwrap();
        let start = dir.path().join("start.png");
        image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3])).save(&start).unwrap();
        let with_image = |model: &str, ratio: &str, n: usize| SettingsDraft {
            prompt: "p".into(),
            model: model.into(),
            aspect_ratio: ratio.into(),
            init_images: vec![start.display().to_string(); n],
            ..Default::default()
        };
        let refused = |d: SettingsDraft| d.validate(&p.capabilities(&d.model)).unwrap_err().fields;
        assert!(refused(with_image("imagen-4", "1:1", 1))["init_image"][0].contains("cannot start from an image"));
        assert!(refused(with_image("seedream-4.5", "3:4", 1))["aspect_ratio"][0].contains("When it edits a picture"));
        assert!(refused(with_image("flux-kontext-pro", "1:1", 0))["init_image"][0].contains("choose a start image"));
        assert!(refused(with_image("nano-banana", "1:1", 1))["init_image"][0].contains("choose 1 more start image"));
        assert!(refused(with_image("gen4_image", "16:9", 1))["init_image"][0].contains("combines 2 pictures"));
        assert!(refused(with_image("seedream-4.5", "1:1", 11))["init_image"][0].contains("at most 10"));
        assert!(with_image("seedream-4.5", "1:1", 10).validate(&p.capabilities("seedream-4.5")).is_ok());
        assert!(with_image("gen4_image", "16:9", 0).validate(&p.capabilities("gen4_image")).is_ok(), "words alone are fine");
    }

    #[test]
    fn img2img_sends_base64_the_init_size_and_the_scheduler() {
        let p = ModelsLab::new(None);
        let s = GenerationSettings { model: "sdxl".into(), prompt: "p".into(), strength: 0.4, ..Default::default() };
        let (path, body) = body_of(&p, &s, &[image(None)]);
        assert_eq!(path, "/api/v6/images/img2img");
        assert_eq!((body["base64"].clone(), body["width"].clone(), body["height"].clone()), (json!("yes"), json!(320), json!(256)));
        assert_eq!(body["strength"], json!(0.4f32));
        assert_eq!(body["init_image"], "iVBORw0KGgo");
        assert_eq!(body["scheduler"], "UniPCMultistepScheduler", "the docs ask SD/SDXL edits for a scheduler");
        let flux = GenerationSettings { model: "flux".into(), ..s };
        assert!(body_of(&p, &flux, &[image(None)]).1.get("scheduler").is_none(), "Flux does not need one");
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
