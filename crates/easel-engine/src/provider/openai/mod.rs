//! OpenAI-compatible Images API: `POST {base}/images/generations` from words,
//! `POST {base}/images/edits` (multipart) from start images and a mask, `GET {base}/models`.
//!
//! The base URL is the API root including `/v1`, as in OpenAI's SDKs. Quirks handled here
//! (real-services.md §2, protocols.md §2): Bearer or Azure-style `api-key` auth; `size` as
//! `WxH`; never `response_format` for GPT image models; outputs as `b64_json` (maybe with a
//! `data:` prefix) or `url`; streaming answers as server-sent events; `insufficient_quota`
//! 429s are account problems; safety refusals and retired models get their own sentence.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the provider: auth, URLs, which request a job makes |
//! | `models.rs` | the model table: what each model accepts, each row with its source |
//! | `options.rs` | a model's row as the capabilities and options the faces show |
//! | `request.rs` | the generation body and the edit form |
//! | `images.rs` | start images and the mask in the form OpenAI takes |
//! | `parse.rs` | answers, streams, usage and errors |

mod images;
mod models;
mod options;
mod parse;
mod request;

use super::{
    Capabilities, GenerateRequest, Header, HttpCall, InitImage, Method, ModelInfo, Parsed, PartialImage, Provider, ProviderKind, Reply,
    form_call, json_call,
};
use crate::keys::ApiKey;
use crate::request::GenerationSettings;
use serde_json::Value;

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

/// The OpenAI-compatible provider.
pub struct OpenAi {
    base: url::Url,
    auth: AuthStyle,
    /// OpenAI's own server, which no longer has the retired models.
    official: bool,
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
        let official = base.host_str() == Some("api.openai.com");
        Self { base, auth, official }
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
        if self.official { models::CURRENT } else { models::WITH_RETIRED }
    }

    fn capabilities(&self, model: &str) -> Capabilities {
        options::capabilities(model)
    }

    fn generate(&self, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> HttpCall {
        if request.init_images.is_empty() {
            let body = request::generation_body(request.settings);
            return json_call("generate", Method::Post, self.url("images/generations"), Some(body), self.auth_headers(key));
        }
        form_call("generate", self.url("images/edits"), request::edit_form(request), self.auth_headers(key))
    }

    fn parse_generation(&self, reply: &Reply) -> Parsed {
        Parsed { outcome: parse::parse(reply), api_status: None, body_id: None }
    }

    fn prepare_images(&self, settings: &GenerationSettings, init: &mut [InitImage], mask: &mut Option<InitImage>) -> Result<(), String> {
        images::prepare(&settings.model, init, mask)
    }

    fn streams(&self, settings: &GenerationSettings) -> bool {
        models::find(&settings.model).gpt_image() && request::partial_images(settings).is_some()
    }

    fn parse_stream_event(&self, event: Option<&str>, data: &str) -> Option<PartialImage> {
        parse::partial(event, data)
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
            .filter(|id| models::find(id).kind != models::Kind::Other || id.contains("image"))
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> OpenAi {
        OpenAi::new(url::Url::parse(OFFICIAL_BASE).unwrap(), AuthStyle::Bearer)
    }

    #[test]
    fn request_shape_and_auth() {
        let p = provider();
        let key = ApiKey::parse("sk-canary").unwrap();
        let s = GenerationSettings {
            model: "gpt-image-1.5".into(),
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
    fn start_images_make_an_edit_and_diagnostics_show_its_fields_not_its_bytes() {
        let s = GenerationSettings { model: "gpt-image-1.5".into(), prompt: "p".into(), width: 1024, height: 1024, ..Default::default() };
        let image = InitImage { base64: "iVBORw0KGgo=".into(), url: None, mime: "image/png", bytes: 8, width: 8, height: 8 };
        let request = GenerateRequest { settings: &s, init_images: std::slice::from_ref(&image), mask_image: Some(&image) };
        let call = provider().generate(&request, Some(&ApiKey::parse("sk-canary").unwrap()));
        assert_eq!(call.url.as_str(), "https://api.openai.com/v1/images/edits");
        assert!(call.body.is_none() && call.form.is_some());
        let shown = call.redacted_body.unwrap();
        assert_eq!(shown["prompt"], "p");
        assert_eq!(shown["mask"], "(8 bytes of image/png, mask.png)");
    }

    #[test]
    fn only_compatible_servers_offer_the_retired_models() {
        let ids = |p: &OpenAi| p.known_models().iter().map(|m| m.id).collect::<Vec<_>>();
        let official = ids(&provider());
        assert_eq!(provider().default_model(), "gpt-image-2.6-sunburst", "OpenAI's own default (SDK types/responses/tool.py)");
        assert!(official.contains(&"gpt-image-2.5-sunburst") && official.contains(&"chatgpt-image-latest"), "{official:?}");
        assert!(!official.iter().any(|id| id.starts_with("dall-e") || *id == "gpt-image-1"), "shut down: {official:?}");
        let compatible = OpenAi::new(url::Url::parse("https://images.example.com/v1").unwrap(), AuthStyle::Bearer);
        let offered = ids(&compatible);
        assert!(offered.starts_with(&official) && offered.contains(&"dall-e-3") && offered.contains(&"gpt-image-1"), "{offered:?}");
        for id in offered {
            assert_eq!(models::find(id).id, id, "every model offered has its own row");
        }
        let dalle3 = provider().capabilities("dall-e-3");
        assert!(dalle3.exact_sizes && dalle3.size_presets.contains(&(1792, 1024)));
        assert_eq!(dalle3.samples, 1..=1);
        assert!(!dalle3.negative_prompt && dalle3.steps.is_none() && !dalle3.seed);
    }
}
