//! AUTOMATIC1111 / Forge WebUI API (`/sdapi/v1/*`, started with `--api`).
//!
//! Quirks handled here (protocols.md §4): `txt2img` is synchronous and long (the
//! job's timeout is minutes), with progress from `/progress` on a second
//! connection; optional HTTP Basic auth (the "key" is `user:password`); `images`
//! are raw base64 and `info` is a JSON *string* holding the real seeds; errors come
//! as `{error, detail, body, errors}` or as FastAPI 422 `detail` lists.

use super::answer::{read_json, text_of};
use super::{
    ApiFailure, ApiOutcome, Capabilities, Finished, GenerateRequest, Header, HttpCall, Method, ModelInfo, Parsed, Progress, Provider,
    ProviderKind, Reply, Retry, Speed, json_call,
};
use crate::error::{ErrorCategory, FieldErrors};
use crate::keys::ApiKey;
use crate::request::Seed;
use crate::retry::RateLimitHints;
use base64::Engine as _;
use serde_json::{Value, json};

/// Where A1111 listens by default.
pub const DEFAULT_BASE: &str = "http://127.0.0.1:7860";

const MODELS: &[ModelInfo] = &[ModelInfo {
    id: "",
    label: "The model loaded on the server",
    description: "Whatever model your server has loaded right now.",
    speed: Speed::Local,
    negative_prompt: true,
}];

const SIZE_PRESETS: &[(u32, u32)] = &[(512, 512), (768, 768), (1024, 1024), (768, 512), (512, 768), (1216, 832), (832, 1216)];

/// The AUTOMATIC1111 / Forge provider.
pub struct A1111 {
    base: url::Url,
}

impl A1111 {
    pub fn new(mut base: url::Url) -> Self {
        base.set_query(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Self { base }
    }

    fn url(&self, relative: &str) -> url::Url {
        self.base.join(relative).unwrap_or_else(|_| self.base.clone())
    }

    /// HTTP Basic when a `user:password` is set (`--api-auth`); nothing otherwise.
    fn auth(key: Option<&ApiKey>) -> Vec<Header> {
        key.map(|k| {
            let token = base64::engine::general_purpose::STANDARD.encode(k.expose());
            let mut h = Header::secret("authorization", format!("Basic {token}"), &token);
            h.shown = "Basic [redacted]".into();
            h
        })
        .into_iter()
        .collect()
    }
}

impl Provider for A1111 {
    fn kind(&self) -> ProviderKind {
        ProviderKind::A1111
    }

    fn base_url(&self) -> &url::Url {
        &self.base
    }

    fn known_models(&self) -> &'static [ModelInfo] {
        MODELS
    }

    fn default_model(&self) -> &'static str {
        ""
    }

    fn speed(&self, _model: &str) -> Speed {
        Speed::Local
    }

    fn capabilities(&self, _model: &str) -> Capabilities {
        Capabilities {
            size: 64..=2048,
            size_multiple: 8,
            size_presets: SIZE_PRESETS,
            samples: 1..=8,
            steps: Some(1..=150),
            guidance: Some(1.0..=30.0),
            seed: true,
            negative_prompt: true,
            negative_prompt_note: None,
            max_prompt_chars: 10_000,
            balance: false,
            aspect_ratios: &[],
            exact_sizes: false,
            free_size: None,
            max_init_images: 1,
            inpaint: true,
            any_init_size: false,
            model_required: false,
            options: Vec::new(),
            option_rules: &[],
            rules: Default::default(),
        }
    }

    fn generate(&self, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> HttpCall {
        let s = request.settings;
        let seed = match s.seed {
            Seed::Random => -1,
            Seed::Fixed(n) => n as i64,
        };
        let mut body = json!({
            "prompt": s.prompt,
            "negative_prompt": s.negative_prompt.clone().unwrap_or_default(),
            "seed": seed,
            "batch_size": s.samples,
            "n_iter": 1,
            "steps": s.steps,
            "cfg_scale": s.guidance,
            "width": s.width,
            "height": s.height,
            "send_images": true,
            "save_images": false,
        });
        // An empty model means "whatever the server has loaded"; otherwise choose it per request.
        if !s.model.trim().is_empty() {
            body["override_settings"] = json!({"sd_model_checkpoint": s.model});
            body["override_settings_restore_afterwards"] = json!(true);
        }
        let path = match request.init_image() {
            Some(init) => {
                body["init_images"] = json!([init.base64]);
                body["denoising_strength"] = json!(s.strength);
                if let Some(mask) = request.mask_image {
                    // White is repainted; the rest of the image is kept as it is.
                    body["mask"] = json!(mask.base64);
                    body["inpainting_fill"] = json!(1);
                }
                "sdapi/v1/img2img"
            }
            None => "sdapi/v1/txt2img",
        };
        json_call("generate", Method::Post, self.url(path), Some(body), Self::auth(key))
    }

    fn parse_generation(&self, reply: &Reply) -> Parsed {
        Parsed { outcome: parse(reply), api_status: None, body_id: None }
    }

    fn progress(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(json_call("progress", Method::Get, self.url("sdapi/v1/progress?skip_current_image=true"), None, Self::auth(key)))
    }

    fn parse_progress(&self, reply: &Reply) -> Option<Progress> {
        let body: Value = serde_json::from_slice(&reply.body).ok()?;
        let fraction = body.get("progress")?.as_f64()?;
        let eta = body.get("eta_relative").and_then(Value::as_f64).filter(|e| e.is_finite() && *e >= 0.0);
        Some(Progress { fraction: fraction.clamp(0.0, 1.0) as f32, eta_seconds: eta })
    }

    fn interrupt(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(json_call("interrupt", Method::Post, self.url("sdapi/v1/interrupt"), Some(json!({})), Self::auth(key)))
    }

    fn models(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(json_call("models", Method::Get, self.url("sdapi/v1/sd-models"), None, Self::auth(key)))
    }

    fn parse_models(&self, reply: &Reply) -> Vec<String> {
        serde_json::from_slice::<Vec<Value>>(&reply.body)
            .unwrap_or_default()
            .iter()
            .filter_map(|m| m.get("title").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
}

fn parse(reply: &Reply) -> ApiOutcome {
    // A proxy page, an empty body or junk: the shared summary says what came instead.
    let body = match read_json(reply) {
        Ok(body) => body,
        Err(failure) => return ApiOutcome::Failed(failure),
    };
    if (200..300).contains(&reply.status)
        && let Some(images) = body.get("images").and_then(Value::as_array)
    {
        let mut outputs: Vec<String> = images.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        let info: Option<Value> = body.get("info").and_then(Value::as_str).and_then(|s| serde_json::from_str(s).ok());
        let seeds: Vec<u64> = info
            .as_ref()
            .and_then(|i| i.get("all_seeds"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        // With a batch, some servers put a grid image first: one more image than seeds.
        if !seeds.is_empty() && outputs.len() == seeds.len() + 1 {
            outputs.remove(0);
        }
        if outputs.is_empty() {
            let mut f = ApiFailure::new(ErrorCategory::BadOutput, Retry::No);
            f.message = Some("The server finished but sent no images (was it interrupted?).".into());
            return ApiOutcome::Failed(f);
        }
        return ApiOutcome::Finished(Finished { remote_id: None, outputs, seeds, usage: None, made: Default::default() });
    }
    ApiOutcome::Failed(map_error(reply, &body))
}

fn map_error(reply: &Reply, body: &Value) -> ApiFailure {
    let status = reply.status;
    let mut fields = FieldErrors::new();
    // FastAPI validation: {"detail": [{"loc": ["body", "width"], "msg": "..."}]}
    if let Some(items) = body.get("detail").and_then(Value::as_array) {
        for item in items {
            let field = item["loc"].as_array().and_then(|l| l.last()).and_then(Value::as_str).unwrap_or("request");
            if let Some(msg) = item.get("msg").and_then(Value::as_str) {
                fields.entry(field.to_owned()).or_default().push(msg.to_owned());
            }
        }
    }
    let detail = ["detail", "errors", "error"].iter().find_map(|k| body.get(*k).and_then(text_of));
    let lower = detail.clone().unwrap_or_default().to_ascii_lowercase();
    let (category, retry, plain): (ErrorCategory, Retry, Option<&str>) = if !fields.is_empty() || status == 422 {
        (ErrorCategory::Validation, Retry::No, Some("The server refused some settings."))
    } else if status == 401 {
        (ErrorCategory::Auth, Retry::No, Some("The server did not accept the user name and password (its --api-auth)."))
    } else if lower.contains("out of memory") {
        (
            ErrorCategory::Server,
            Retry::ServerError,
            Some("The server's graphics card ran out of memory. Try a smaller size or fewer images at once."),
        )
    } else if status == 404 && (lower.contains("sampler") || lower.contains("model") || lower.contains("script")) {
        (ErrorCategory::Validation, Retry::No, Some("The server does not have the sampler, model or script asked for."))
    } else if status == 404 {
        (ErrorCategory::Network, Retry::No, Some("This server has no image API here. Start it with --api and check the address."))
    } else if (500..600).contains(&status) {
        (ErrorCategory::Server, Retry::ServerError, None)
    } else {
        (ErrorCategory::Validation, Retry::No, Some("The server refused the request."))
    };
    ApiFailure {
        category,
        retry,
        message: plain.map(str::to_owned),
        detail,
        fields,
        hints: RateLimitHints::from_reply(reply),
        remote_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::GenerationSettings;

    fn reply(status: u16, body: &str) -> Reply {
        Reply { status, headers: Default::default(), body: bytes::Bytes::from(body.to_owned()) }
    }

    fn provider() -> A1111 {
        A1111::new(url::Url::parse(DEFAULT_BASE).unwrap())
    }

    #[test]
    fn request_shape_with_model_override_and_basic_auth() {
        let s = GenerationSettings {
            prompt: "p".into(),
            model: "sd_xl_base_1.0.safetensors [31e35c80fc]".into(),
            seed: Seed::Fixed(9),
            samples: 2,
            ..Default::default()
        };
        let key = ApiKey::parse("me:secret-pass").unwrap();
        let call = provider().generate(&GenerateRequest::text(&s), Some(&key));
        assert_eq!(call.url.as_str(), "http://127.0.0.1:7860/sdapi/v1/txt2img");
        let body = call.body.unwrap();
        assert_eq!(body["override_settings"]["sd_model_checkpoint"], s.model);
        assert_eq!((body["seed"].as_i64(), body["batch_size"].as_u64()), (Some(9), Some(2)));
        assert_eq!(call.headers[0].value, "Basic bWU6c2VjcmV0LXBhc3M=");
        assert_eq!(call.headers[0].shown, "Basic [redacted]");
        let random = GenerationSettings { model: String::new(), ..s };
        let call = provider().generate(&GenerateRequest::text(&random), None);
        assert!(call.headers.is_empty() && call.body.unwrap().get("override_settings").is_none());
    }

    #[test]
    fn images_are_raw_base64_and_seeds_come_from_the_info_string() {
        let r = reply(200, r#"{"images":["iVBORa","iVBORb"],"parameters":{},"info":"{\"seed\": 5, \"all_seeds\": [5, 6]}"}"#);
        match parse(&r) {
            ApiOutcome::Finished(f) => {
                assert_eq!(f.outputs, ["iVBORa", "iVBORb"]);
                assert_eq!(f.seeds, [5, 6]);
            }
            other => panic!("{other:?}"),
        }
        let with_grid = reply(200, r#"{"images":["grid","a","b"],"info":"{\"all_seeds\": [1, 2]}"}"#);
        assert!(matches!(parse(&with_grid), ApiOutcome::Finished(f) if f.outputs == ["a", "b"]));
    }

    #[test]
    fn errors_map_to_categories() {
        let fastapi =
            r#"{"detail":[{"loc":["body","width"],"msg":"ensure this value is greater than or equal to 64","type":"value_error"}]}"#;
        match parse(&reply(422, fastapi)) {
            ApiOutcome::Failed(f) => {
                assert_eq!(f.category, ErrorCategory::Validation);
                assert_eq!(f.fields["width"], ["ensure this value is greater than or equal to 64"]);
            }
            other => panic!("{other:?}"),
        }
        let oom = r#"{"error":"OutOfMemoryError","detail":"","body":"","errors":"CUDA out of memory. Tried to allocate 2.00 GiB"}"#;
        assert!(
            matches!(parse(&reply(500, oom)), ApiOutcome::Failed(f) if f.retry == Retry::ServerError && f.message.as_deref().is_some_and(|m| m.contains("memory")))
        );
        let sampler = r#"{"error":"HTTPException","detail":"Sampler not found","body":"","errors":""}"#;
        assert!(matches!(parse(&reply(404, sampler)), ApiOutcome::Failed(f) if f.category == ErrorCategory::Validation));
        assert!(
            matches!(parse(&reply(401, r#"{"detail":"Incorrect username or password"}"#)), ApiOutcome::Failed(f) if f.category == ErrorCategory::Auth)
        );
    }

    #[test]
    fn progress_and_models() {
        let p = provider();
        let pr = p.parse_progress(&reply(200, r#"{"progress":0.42,"eta_relative":3.5,"state":{}}"#)).unwrap();
        assert_eq!((pr.fraction, pr.eta_seconds), (0.42, Some(3.5)));
        let models = p.parse_models(&reply(200, r#"[{"title":"a.safetensors [1]","model_name":"a"},{"title":"b [2]"}]"#));
        assert_eq!(models, ["a.safetensors [1]", "b [2]"]);
    }
}
