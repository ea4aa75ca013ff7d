//! OpenAI-compatible Images API (`POST {base}/images/generations`).
//!
//! The base URL is the API root including `/v1`, as in OpenAI's SDKs. Quirks
//! handled here (protocols.md §2): Bearer or Azure-style `api-key` auth; `size`
//! as `WxH`; never `response_format` for `gpt-image-*`; outputs as `b64_json`
//! (maybe with a `data:` prefix) or `url`; `insufficient_quota` 429s are account
//! problems; safety refusals get their own message.

use super::answer::{read_json, text_of};
use super::{
    ApiFailure, ApiOutcome, Capabilities, Finished, GenerateRequest, Header, HttpCall, Method, ModelInfo, Parsed, Provider, ProviderKind,
    Reply, Retry, Speed, TokenUsage, json_call,
};
use crate::error::{ErrorCategory, FieldErrors};
use crate::keys::ApiKey;
use crate::retry::RateLimitHints;
use serde_json::{Value, json};

/// The official API root.
pub const OFFICIAL_BASE: &str = "https://api.openai.com/v1";

/// How the key is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: Bearer KEY` (OpenAI and most compatible services).
    #[default]
    Bearer,
    /// `api-key: KEY` (Azure OpenAI deployments).
    ApiKeyHeader,
}

impl AuthStyle {
    /// As `--api-key-header` (and the window's checkbox) ask: the `api-key` header when set.
    pub fn from_flag(api_key_header: bool) -> Self {
        if api_key_header { Self::ApiKeyHeader } else { Self::Bearer }
    }
}

const MODELS: &[ModelInfo] = &[
    ModelInfo {
        id: "gpt-image-1",
        label: "GPT Image 1",
        description: "OpenAI's picture model: follows instructions closely, good with text.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-1-mini",
        label: "GPT Image 1 mini",
        description: "A cheaper, faster GPT Image.",
        speed: Speed::Fast,
        negative_prompt: false,
    },
    ModelInfo {
        id: "dall-e-3",
        label: "DALL·E 3",
        description: "OpenAI's older model (retired by OpenAI in 2026; some compatible servers still offer it).",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "dall-e-2",
        label: "DALL·E 2",
        description: "OpenAI's oldest model (retired by OpenAI in 2026; some compatible servers still offer it).",
        speed: Speed::Fast,
        negative_prompt: false,
    },
];

const GPT_IMAGE_SIZES: &[(u32, u32)] = &[(1024, 1024), (1536, 1024), (1024, 1536)];
const DALLE3_SIZES: &[(u32, u32)] = &[(1024, 1024), (1792, 1024), (1024, 1792)];
const DALLE2_SIZES: &[(u32, u32)] = &[(256, 256), (512, 512), (1024, 1024)];
const OTHER_SIZES: &[(u32, u32)] = &[(512, 512), (768, 768), (1024, 1024), (1024, 768), (768, 1024)];

fn is_gpt_image(model: &str) -> bool {
    model.to_ascii_lowercase().starts_with("gpt-image")
}

/// The OpenAI-compatible provider.
pub struct OpenAi {
    base: url::Url,
    auth: AuthStyle,
}

impl OpenAi {
    pub fn new(base: url::Url, auth: AuthStyle) -> Self {
        // Azure deployments want the api-key header whatever was chosen.
        let azure = base.host_str().is_some_and(|h| h.ends_with(".openai.azure.com"));
        let auth = if azure { AuthStyle::ApiKeyHeader } else { auth };
        let mut base = base;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Self { base, auth }
    }

    fn url(&self, relative: &str) -> url::Url {
        // Keep any query (Azure's api-version) on the joined URL.
        let mut url = self.base.join(relative).unwrap_or_else(|_| self.base.clone());
        url.set_query(self.base.query());
        url
    }

    fn auth_headers(&self, key: Option<&ApiKey>) -> Vec<Header> {
        let Some(key) = key else { return Vec::new() };
        match self.auth {
            AuthStyle::Bearer => vec![Header::secret("authorization", format!("Bearer {}", key.expose()), key.expose())],
            AuthStyle::ApiKeyHeader => vec![Header::secret("api-key", key.expose().to_owned(), key.expose())],
        }
    }
}

impl Provider for OpenAi {
    fn kind(&self) -> ProviderKind {
        ProviderKind::OpenAi
    }

    fn base_url(&self) -> &url::Url {
        &self.base
    }

    fn known_models(&self) -> &'static [ModelInfo] {
        MODELS
    }

    fn capabilities(&self, model: &str) -> Capabilities {
        let lower = model.to_ascii_lowercase();
        let (presets, samples) = if is_gpt_image(&lower) {
            (GPT_IMAGE_SIZES, 1..=10)
        } else if lower == "dall-e-3" {
            (DALLE3_SIZES, 1..=1)
        } else if lower == "dall-e-2" {
            (DALLE2_SIZES, 1..=10)
        } else {
            (OTHER_SIZES, 1..=10)
        };
        let known = is_gpt_image(&lower) || lower.starts_with("dall-e");
        Capabilities {
            size: 256..=1792,
            size_multiple: 16,
            size_presets: presets,
            samples,
            steps: None,
            guidance: None,
            seed: false,
            negative_prompt: false,
            negative_prompt_note: Some("This service has no negative prompt; describe what you want instead."),
            max_prompt_chars: if lower == "dall-e-2" { 1000 } else { 4000 },
            balance: false,
            aspect_ratios: &[],
            exact_sizes: known,
            max_init_images: 0,
            inpaint: false,
            model_required: true,
            options: Vec::new(),
            rules: Default::default(),
        }
    }

    fn generate(&self, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> HttpCall {
        let s = request.settings;
        let mut body = json!({
            "model": s.model,
            "prompt": s.prompt,
            "n": s.samples,
            "size": format!("{}x{}", s.width, s.height),
        });
        // GPT image models always answer base64 and refuse the field; for the others,
        // ask for base64 so there is no short-lived URL to race against.
        if !is_gpt_image(&s.model) {
            body["response_format"] = Value::String("b64_json".into());
        }
        json_call("generate", Method::Post, self.url("images/generations"), Some(body), self.auth_headers(key))
    }

    fn parse_generation(&self, reply: &Reply) -> Parsed {
        let outcome = parse(reply);
        Parsed { outcome, api_status: None, body_id: None }
    }

    fn models(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(json_call("models", Method::Get, self.url("models"), None, self.auth_headers(key)))
    }

    fn parse_models(&self, reply: &Reply) -> Vec<String> {
        let Ok(body) = serde_json::from_slice::<Value>(&reply.body) else { return Vec::new() };
        let mut ids: Vec<String> = body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["id"].as_str())
            .filter(|id| is_gpt_image(id) || id.starts_with("dall-e") || id.contains("image"))
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    }
}

/// The `usage` of a GPT image answer: `input_tokens`, `output_tokens`, and of the input, how many
/// were image tokens (`input_tokens_details.image_tokens`). DALL·E answers have none.
fn usage(body: &Value) -> Option<TokenUsage> {
    let usage = body.get("usage")?;
    Some(TokenUsage {
        input_tokens: usage.get("input_tokens")?.as_u64()?,
        output_tokens: usage.get("output_tokens")?.as_u64()?,
        input_image_tokens: usage.pointer("/input_tokens_details/image_tokens").and_then(Value::as_u64),
    })
}

fn parse(reply: &Reply) -> ApiOutcome {
    // A proxy page is a proxy page, whoever is behind it: the shared summary says what came.
    let body = match read_json(reply) {
        Ok(body) => body,
        Err(failure) => return ApiOutcome::Failed(failure),
    };
    if (200..300).contains(&reply.status) && body.get("error").is_none_or(Value::is_null) {
        let outputs: Vec<String> = body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("b64_json").and_then(Value::as_str).or_else(|| item.get("url").and_then(Value::as_str)))
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .collect();
        if outputs.is_empty() {
            let mut f = ApiFailure::new(ErrorCategory::BadOutput, Retry::No);
            f.message = Some("The service said it succeeded but sent no images.".into());
            return ApiOutcome::Failed(f);
        }
        return ApiOutcome::Finished(Finished {
            remote_id: None,
            outputs,
            seeds: Vec::new(),
            usage: usage(&body),
            made: Default::default(),
        });
    }
    ApiOutcome::Failed(map_error(reply, &body))
}

fn map_error(reply: &Reply, body: &Value) -> ApiFailure {
    let err = body.get("error").unwrap_or(body);
    let message = err.get("message").and_then(text_of).or_else(|| err.as_str().map(str::to_owned)).unwrap_or_default();
    let code = err.get("code").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let kind = err.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let param = err.get("param").and_then(Value::as_str).map(str::to_owned);
    let lower = message.to_ascii_lowercase();
    let status = reply.status;
    let (category, retry, plain): (ErrorCategory, Retry, Option<&str>) = if code == "insufficient_quota"
        || kind == "insufficient_quota"
        || (status == 429 && (lower.contains("quota") || lower.contains("billing")))
    {
        (ErrorCategory::Account, Retry::No, Some("Your account has used up its quota or credit."))
    } else if status == 429 {
        (ErrorCategory::RateLimited, Retry::RateLimited, None)
    } else if code == "content_policy_violation" || lower.contains("safety system") {
        (
            ErrorCategory::Validation,
            Retry::No,
            Some("The service refused this prompt under its content rules. Change the prompt and try again; nothing was made."),
        )
    } else if status == 401 || code == "invalid_api_key" {
        (ErrorCategory::Auth, Retry::No, Some("The service did not accept your API key."))
    } else if status == 403 {
        (ErrorCategory::Account, Retry::No, Some("Your account is not allowed to use this model or feature."))
    } else if (500..600).contains(&status) {
        (ErrorCategory::Server, Retry::ServerError, None)
    } else if status == 404 {
        (ErrorCategory::Validation, Retry::No, Some("The service does not know this model (or the address is wrong)."))
    } else {
        (ErrorCategory::Validation, Retry::No, Some("The service refused the request as invalid."))
    };
    let mut fields = FieldErrors::new();
    if category == ErrorCategory::Validation
        && let Some(p) = param
    {
        fields.insert(p, vec![message.clone()]);
    }
    ApiFailure {
        category,
        retry,
        message: plain.map(str::to_owned),
        detail: (!message.is_empty()).then_some(message),
        fields,
        hints: RateLimitHints::from_reply(reply),
        remote_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::GenerationSettings;

    fn reply(status: u16, body: &str, headers: &[(&'static str, &str)]) -> Reply {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Reply { status, headers: map, body: bytes::Bytes::from(body.to_owned()) }
    }

    fn failure(r: &Reply) -> ApiFailure {
        match parse(r) {
            ApiOutcome::Failed(f) => f,
            other => panic!("{other:?}"),
        }
    }

    fn provider() -> OpenAi {
        OpenAi::new(url::Url::parse(OFFICIAL_BASE).unwrap(), AuthStyle::Bearer)
    }

    #[test]
    fn usage_is_read_for_a_cost_estimate() {
        let body = include_str!("../../../../tests/corpus/openai/200_gpt_image_b64.json");
        let reply = Reply { status: 200, headers: Default::default(), body: bytes::Bytes::from(body) };
        let ApiOutcome::Finished(f) = parse(&reply) else { panic!("a finished answer") };
        assert_eq!(f.usage, Some(TokenUsage { input_tokens: 50, output_tokens: 50, input_image_tokens: Some(0) }));
    }

    #[test]
    fn request_shape_and_auth() {
        let p = provider();
        let key = ApiKey::parse("sk-canary").unwrap();
        let s = GenerationSettings {
            model: "gpt-image-1".into(),
            prompt: "p".into(),
            width: 1536,
            height: 1024,
            samples: 2,
            ..Default::default()
        };
        let call = p.generate(&GenerateRequest::text(&s), Some(&key));
        assert_eq!(call.url.as_str(), "https://api.openai.com/v1/images/generations");
        let body = call.body.unwrap();
        assert_eq!((body["size"].as_str(), body["n"].as_u64()), (Some("1536x1024"), Some(2)));
        assert!(body.get("response_format").is_none(), "never for gpt-image models");
        assert_eq!(call.headers[0].value, "Bearer sk-canary");
        assert_eq!(call.headers[0].shown, "Bearer [redacted]");
        let s = GenerationSettings { model: "dall-e-3".into(), ..s };
        assert_eq!(p.generate(&GenerateRequest::text(&s), Some(&key)).body.unwrap()["response_format"], "b64_json");
        let azure =
            OpenAi::new(url::Url::parse("https://x.openai.azure.com/openai/deployments/d?api-version=2024").unwrap(), AuthStyle::Bearer);
        let call = azure.generate(&GenerateRequest::text(&s), Some(&key));
        assert_eq!(call.headers[0].name, "api-key");
        assert_eq!(call.url.as_str(), "https://x.openai.azure.com/openai/deployments/d/images/generations?api-version=2024");
    }

    #[test]
    fn outputs_may_be_base64_data_uris_or_urls() {
        let r = reply(
            200,
            r#"{"created":1,"data":[{"b64_json":"iVBOR"},{"url":"https://x/y.png"},{"b64_json":"data:image/png;base64,AAA"}]}"#,
            &[],
        );
        match parse(&r) {
            ApiOutcome::Finished(f) => assert_eq!(f.outputs, ["iVBOR", "https://x/y.png", "data:image/png;base64,AAA"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(failure(&reply(200, r#"{"created":1,"data":[]}"#, &[])).category, ErrorCategory::BadOutput);
    }

    #[test]
    fn errors_map_to_categories() {
        let quota = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let f = failure(&reply(429, quota, &[]));
        assert_eq!((f.category, f.retry), (ErrorCategory::Account, Retry::No));
        let rate = r#"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let f = failure(&reply(429, rate, &[("retry-after-ms", "1500"), ("retry-after", "2")]));
        assert_eq!((f.category, f.retry), (ErrorCategory::RateLimited, Retry::RateLimited));
        assert_eq!(f.hints.retry_after_ms.as_deref(), Some("1500"));
        let safety = r#"{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}"#;
        let f = failure(&reply(400, safety, &[]));
        assert_eq!(f.category, ErrorCategory::Validation);
        assert!(f.message.unwrap().contains("content rules"));
        let auth = r#"{"error":{"message":"Incorrect API key provided: sk-ab***","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        assert_eq!(failure(&reply(401, auth, &[])).category, ErrorCategory::Auth);
        let size = r#"{"error":{"message":"Invalid size","type":"invalid_request_error","param":"size","code":null}}"#;
        let f = failure(&reply(400, size, &[]));
        assert_eq!(f.fields["size"], ["Invalid size"]);
        let server = r#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#;
        assert_eq!(failure(&reply(500, server, &[])).retry, Retry::ServerError);
        assert_eq!(
            failure(&reply(502, "<html><title>502 Bad Gateway</title></html>", &[("content-type", "text/html")])).retry,
            Retry::ServerError
        );
    }

    #[test]
    fn only_the_models_sizes_are_accepted() {
        let caps = provider().capabilities("dall-e-3");
        assert!(caps.exact_sizes && caps.size_presets.contains(&(1792, 1024)));
        assert_eq!(caps.samples, 1..=1);
        assert!(!caps.negative_prompt && caps.steps.is_none() && !caps.seed);
    }
}
