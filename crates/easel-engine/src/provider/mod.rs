//! Providers: one file each, holding request building, response parsing and
//! error mapping together behind the [`Provider`] trait.
//!
//! A provider never performs I/O. It turns settings into [`HttpCall`]s and turns
//! [`Reply`]s into [`ApiOutcome`]s; the job runner does the sending, waiting
//! and retrying, the same way for every provider.

pub mod a1111;
pub mod modelslab;
pub mod openai;

use super::error::{ErrorCategory, FieldErrors};
use super::keys::ApiKey;
use super::request::GenerationSettings;
use super::retry::RateLimitHints;
use serde_json::Value;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

/// The providers Easel speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    ModelsLab,
    OpenAi,
    A1111,
}

impl ProviderKind {
    pub const ALL: &[ProviderKind] = &[ProviderKind::ModelsLab, ProviderKind::OpenAi, ProviderKind::A1111];
    /// The id used on the command line, in the keyring and in the library.
    pub fn id(self) -> &'static str {
        match self {
            Self::ModelsLab => "modelslab",
            Self::OpenAi => "openai",
            Self::A1111 => "a1111",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::ModelsLab => "ModelsLab",
            Self::OpenAi => "OpenAI-compatible",
            Self::A1111 => "AUTOMATIC1111 / Forge",
        }
    }
    /// Where a person gets a key.
    pub fn key_page(self) -> &'static str {
        match self {
            Self::ModelsLab => "https://modelslab.com/dashboard/api-keys",
            Self::OpenAi => "https://platform.openai.com/api-keys",
            Self::A1111 => "https://github.com/AUTOMATIC1111/stable-diffusion-webui/wiki/API",
        }
    }
    /// The official (or usual) server, and what `--base-url` means for this provider.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::ModelsLab => modelslab::OFFICIAL_BASE,
            Self::OpenAi => openai::OFFICIAL_BASE,
            Self::A1111 => a1111::DEFAULT_BASE,
        }
    }
    /// Whether a key is required (A1111 runs without one unless `--api-auth` is set).
    pub fn needs_key(self) -> bool {
        !matches!(self, Self::A1111)
    }
    /// What the secret is called in the window.
    pub fn key_label(self) -> &'static str {
        match self {
            Self::A1111 => "user:password (only if the server uses --api-auth)",
            _ => "API key",
        }
    }
    /// Plain http is allowed on the local network only for self-hosted servers.
    pub fn allows_lan_http(self) -> bool {
        matches!(self, Self::A1111)
    }
    /// Jobs in flight at once by default: ModelsLab pay-as-you-go queues 5; A1111 runs one at a time.
    pub fn default_concurrency(self) -> usize {
        match self {
            Self::A1111 => 1,
            _ => 5,
        }
    }
    pub fn parse(id: &str) -> Option<Self> {
        let id = id.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.id().eq_ignore_ascii_case(id))
            .or_else(|| ["automatic1111", "forge", "sdapi"].iter().any(|a| a.eq_ignore_ascii_case(id)).then_some(Self::A1111))
    }
    /// Build the provider, optionally pointed at another server.
    pub fn build(self, base_url: Option<&str>, options: &ProviderOptions) -> Result<Box<dyn Provider>, String> {
        let base = check_base_url(self, base_url.unwrap_or(self.default_base_url()))?;
        Ok(match self {
            Self::ModelsLab => Box::new(modelslab::ModelsLab::new(Some(base.url))),
            Self::OpenAi => Box::new(openai::OpenAi::new(base.url, options.openai_auth)),
            Self::A1111 => Box::new(a1111::A1111::new(base.url)),
        })
    }
}

/// Choices that only some providers have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProviderOptions {
    pub openai_auth: openai::AuthStyle,
}

/// A checked server address, with a note for the person when it is plain http on a LAN.
#[derive(Clone, Debug, PartialEq)]
pub struct BaseUrl {
    pub url: url::Url,
    pub note: Option<String>,
}

/// Check a `--base-url`: https anywhere; plain http only on this machine, or on the local
/// network for self-hosted servers (the key would otherwise cross the internet unencrypted).
pub fn check_base_url(kind: ProviderKind, text: &str) -> Result<BaseUrl, String> {
    let url = parse_base_url(text)?;
    if url.scheme() == "https" {
        return Ok(BaseUrl { url, note: None });
    }
    match host_scope(&url) {
        HostScope::Loopback => Ok(BaseUrl { url, note: None }),
        HostScope::Private if kind.allows_lan_http() => Ok(BaseUrl {
            note: Some(format!(
                "{} is on your local network over plain http: the connection is not encrypted.",
                url.host_str().unwrap_or_default()
            )),
            url,
        }),
        _ => Err(format!(
            "'{text}' uses plain http to a computer outside this one{}; use https:// so your key is not sent unencrypted",
            if kind.allows_lan_http() { " and your local network" } else { "" }
        )),
    }
}

enum HostScope {
    Loopback,
    Private,
    Public,
}

fn host_scope(url: &url::Url) -> HostScope {
    match url.host() {
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => HostScope::Loopback,
        Some(url::Host::Domain(d)) if d.ends_with(".local") || d.ends_with(".lan") || !d.contains('.') => HostScope::Private,
        Some(url::Host::Ipv4(ip)) => ip_scope(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => ip_scope(IpAddr::V6(ip)),
        _ => HostScope::Public,
    }
}

fn ip_scope(ip: IpAddr) -> HostScope {
    match ip {
        _ if ip.is_loopback() => HostScope::Loopback,
        IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => HostScope::Private,
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80 => HostScope::Private,
        _ => HostScope::Public,
    }
}

/// Most JSON values (array items, object members, containers) an API answer may hold.
/// Real answers hold dozens; parsed, every value costs 32 bytes or more however short its
/// text, so a cap on bytes alone lets `[0,0,0,…]` grow sixteen-fold in memory.
pub const MAX_JSON_VALUES: usize = 100_000;

/// Whether `body` holds at most `max` JSON values, counted without parsing (commas and
/// openings outside strings). Allocation-free, linear, and total on any bytes.
pub fn json_values_within(body: &[u8], max: usize) -> bool {
    let mut count = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => {
                count += 1;
                if count > max {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// Check a `--base-url`: http or https, a host, nothing else.
pub fn parse_base_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("'{text}' is not a web address ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{text}' must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{text}' has no host name"));
    }
    Ok(url)
}

/// What a provider accepts for a model, so both faces show and check only that.
#[derive(Clone, Debug, PartialEq)]
pub struct Capabilities {
    pub size: RangeInclusive<u32>,
    pub size_multiple: u32,
    pub size_presets: &'static [(u32, u32)],
    pub samples: RangeInclusive<u32>,
    pub steps: Option<RangeInclusive<u32>>,
    pub guidance: Option<RangeInclusive<f32>>,
    pub seed: bool,
    pub negative_prompt: bool,
    /// Why the negative prompt is hidden, when it is.
    pub negative_prompt_note: Option<&'static str>,
    pub max_prompt_chars: usize,
    /// The provider can report a credit balance.
    pub balance: bool,
    /// When not empty, the model takes one of these aspect ratios instead of a width and height.
    pub aspect_ratios: &'static [&'static str],
    /// Only the preset sizes are accepted (OpenAI's models).
    pub exact_sizes: bool,
    /// Image-to-image from a local file is possible with this model.
    pub img2img: bool,
    /// Inpainting (image-to-image with a mask) is possible with this model.
    pub inpaint: bool,
    /// A model id must be given (A1111 can use whatever the server has loaded).
    pub model_required: bool,
}

/// Fast models answer within a minute; quality models may take two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Fast,
    Quality,
    /// A self-hosted server that answers only when the image is done (A1111): minutes.
    Local,
}

impl Speed {
    /// The per-attempt HTTP timeout for this kind of model.
    pub fn attempt_timeout(self) -> Duration {
        match self {
            Self::Fast => Duration::from_secs(60),
            Self::Quality => Duration::from_secs(120),
            Self::Local => Duration::from_secs(600),
        }
    }
}

/// A model Easel knows something about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelInfo {
    pub id: &'static str,
    pub label: &'static str,
    pub speed: Speed,
    pub negative_prompt: bool,
}

/// HTTP methods the providers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// One HTTP request, fully described, with its redacted twin for diagnostics.
#[derive(Clone, Debug)]
pub struct HttpCall {
    /// "generate", "fetch", "balance": shown in diagnostics.
    pub endpoint: &'static str,
    pub method: Method,
    pub url: url::Url,
    /// Extra headers, each with the form diagnostics may show.
    pub headers: Vec<Header>,
    pub body: Option<Value>,
    /// `body` with every secret replaced, for diagnostics.
    pub redacted_body: Option<Value>,
}

/// A request header; `shown` replaces `value` in diagnostics (e.g. "Bearer [redacted]").
#[derive(Clone, Debug)]
pub struct Header {
    pub name: &'static str,
    pub value: String,
    pub shown: String,
}

impl Header {
    /// A header holding a secret: shown with `[redacted]` in place of `secret`.
    pub fn secret(name: &'static str, value: String, secret: &str) -> Self {
        let shown = value.replace(secret, super::diagnostics::REDACTED);
        Self { name, value, shown }
    }
}

/// An image to start from (img2img), loaded and checked by the job.
#[derive(Clone, Debug, PartialEq)]
pub struct InitImage {
    pub base64: String,
    /// Where the provider can fetch it, once uploaded (for APIs that take image URLs only).
    pub url: Option<String>,
    pub mime: &'static str,
    pub bytes: usize,
    pub width: u32,
    pub height: u32,
}

/// Everything one generation request needs.
#[derive(Clone, Copy, Debug)]
pub struct GenerateRequest<'a> {
    pub settings: &'a GenerationSettings,
    pub init_image: Option<&'a InitImage>,
    /// Inpainting: the mask, the init image's size.
    pub mask_image: Option<&'a InitImage>,
}

/// How far a synchronous generation has got (A1111's progress endpoint).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// 0.0 to 1.0.
    pub fraction: f32,
    pub eta_seconds: Option<f64>,
}

/// An HTTP answer, whole.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: bytes::Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }
    /// The hints a rate-limited answer may carry in its headers.
    pub fn header_hints(&self) -> RateLimitHints {
        RateLimitHints {
            retry_after_ms: self.header("retry-after-ms").map(str::to_owned),
            retry_after: self.header("retry-after").map(str::to_owned),
            body_retry_after: None,
            rate_limit_reset: self.header("x-ratelimit-reset").map(str::to_owned),
            date: self.header("date").map(str::to_owned),
        }
    }
}

/// A provider job that is still being made, and how to ask for it later.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RemoteJob {
    pub id: String,
    pub fetch_url: Option<String>,
    pub eta_seconds: Option<f64>,
    /// Where the outputs will appear, handed out ahead of time.
    pub future_links: Vec<String>,
}

/// A finished generation: where to get the images.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub remote_id: Option<String>,
    /// Each entry is a URL, inline base64 or a data: URI; intake sorts them out.
    pub outputs: Vec<String>,
    /// The seed of each output, when the provider says.
    pub seeds: Vec<u64>,
}

/// How to treat a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Never retry: it would fail again, or charge again.
    No,
    /// Rate limited: wait as told, then send again.
    RateLimited,
    /// Server trouble: retry once with the same payload, then the fallback model.
    ServerError,
}

/// A failure the provider reported.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure {
    pub category: ErrorCategory,
    pub retry: Retry,
    /// The plain message, when the provider's situation needs more than the table's words.
    pub message: Option<String>,
    /// The provider's own words, verbatim (redacted and trimmed later).
    pub detail: Option<String>,
    pub fields: FieldErrors,
    /// The rate-limit hints from headers and body.
    pub hints: RateLimitHints,
    pub remote_id: Option<String>,
}

impl ApiFailure {
    pub fn new(category: ErrorCategory, retry: Retry) -> Self {
        Self { category, retry, message: None, detail: None, fields: FieldErrors::new(), hints: RateLimitHints::default(), remote_id: None }
    }
}

/// What an answer means.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiOutcome {
    Finished(Finished),
    Processing(RemoteJob),
    Failed(ApiFailure),
}

/// What the parser read from an answer, besides its meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub outcome: ApiOutcome,
    /// The body's status word ("success", "processing", "error", "failed").
    pub api_status: Option<String>,
    /// The provider's id for this request, if the body has one.
    pub body_id: Option<String>,
}

/// A credit balance.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Balance {
    pub amount: f64,
    pub currency: String,
}

/// Everything that differs between image APIs.
///
/// Only `generate` and `parse_generation` are required; the rest describe what a
/// provider has (fetching queued jobs, a balance, progress, interrupting, a model list).
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    /// The server root in use (the official one unless overridden).
    fn base_url(&self) -> &url::Url;
    /// Models to offer in pickers; any other id may still be typed.
    fn known_models(&self) -> &'static [ModelInfo];
    /// The model a new person starts with.
    fn default_model(&self) -> &'static str {
        self.known_models().first().map_or("", |m| m.id)
    }
    /// What the provider accepts for `model`.
    fn capabilities(&self, model: &str) -> Capabilities;
    /// Speed class of a model, for its timeout; unknown models count as quality (the safe, longer wait).
    fn speed(&self, model: &str) -> Speed {
        self.known_models().iter().find(|m| m.id == model).map_or(Speed::Quality, |m| m.speed)
    }
    /// The request that starts a generation.
    fn generate(&self, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> HttpCall;
    /// Read a generate or fetch answer.
    fn parse_generation(&self, reply: &Reply) -> Parsed;
    /// For APIs that take starting images only as URLs: the request that uploads `image`
    /// so the provider can fetch it. `None` when the image travels inside the request.
    fn upload(&self, _settings: &GenerationSettings, _image: &InitImage, _key: Option<&ApiKey>) -> Option<HttpCall> {
        None
    }
    /// Read an upload answer: the URL the provider will fetch the image from.
    fn parse_upload(&self, _reply: &Reply) -> Result<String, ApiFailure> {
        Err(ApiFailure::new(ErrorCategory::Server, Retry::No))
    }
    /// The request that asks for a processing job; `form` 0 is preferred, higher
    /// numbers are fallbacks. `None` when there is no such form.
    fn fetch(&self, _job: &RemoteJob, _settings: &GenerationSettings, _key: Option<&ApiKey>, _form: usize) -> Option<HttpCall> {
        None
    }
    /// The request for the credit balance, if the provider has one.
    fn balance(&self, _key: Option<&ApiKey>) -> Option<HttpCall> {
        None
    }
    /// Read a balance answer.
    fn parse_balance(&self, _reply: &Reply) -> Result<Balance, ApiFailure> {
        Err(ApiFailure::new(ErrorCategory::Server, Retry::No))
    }
    /// A cheap authenticated request that proves the key works, for providers without a balance.
    fn key_check(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        self.models(key)
    }
    /// Read a key-check answer: `Ok` when the server accepted the credentials.
    fn parse_key_check(&self, reply: &Reply) -> Result<(), ApiFailure> {
        if (200..300).contains(&reply.status) {
            return Ok(());
        }
        match self.parse_generation(reply).outcome {
            ApiOutcome::Failed(f) => Err(f),
            _ => Err(ApiFailure::new(ErrorCategory::Server, Retry::No)),
        }
    }
    /// The request for progress of a running synchronous generation.
    fn progress(&self, _key: Option<&ApiKey>) -> Option<HttpCall> {
        None
    }
    fn parse_progress(&self, _reply: &Reply) -> Option<Progress> {
        None
    }
    /// The request that stops the generation running on the server.
    fn interrupt(&self, _key: Option<&ApiKey>) -> Option<HttpCall> {
        None
    }
    /// The request that lists the server's models.
    fn models(&self, _key: Option<&ApiKey>) -> Option<HttpCall> {
        None
    }
    /// An error sent in place of the model list with a success status (ModelsLab does this).
    fn models_failure(&self, _reply: &Reply) -> Option<ApiFailure> {
        None
    }
    /// Model ids from a model-list answer.
    fn parse_models(&self, _reply: &Reply) -> Vec<String> {
        Vec::new()
    }
}

/// A JSON POST whose body may hold the key; its redacted twin replaces `key` fields.
pub(crate) fn json_call(endpoint: &'static str, method: Method, url: url::Url, body: Option<Value>, headers: Vec<Header>) -> HttpCall {
    let redacted_body = body.as_ref().map(redact_body);
    HttpCall { endpoint, method, url, headers, body, redacted_body }
}

/// Replace secrets and shorten inline images in a request body, for diagnostics.
fn redact_body(body: &Value) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if k == "key" && !v.is_null() { Value::String(super::diagnostics::REDACTED.into()) } else { redact_body(v) };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_body).collect()),
        Value::String(s) if s.len() > 512 => Value::String(format!("({} characters of image data)", s.len())),
        other => other.clone(),
    }
}

/// The settings field a provider's parameter name belongs to, so a server's validation
/// message can be shown next to the field the person typed into.
pub fn draft_field(server_name: &str) -> &str {
    match server_name {
        "num_inference_steps" | "steps" => "steps",
        "guidance_scale" | "cfg_scale" | "guidance" => "guidance",
        "samples" | "n" | "batch_size" | "n_iter" => "samples",
        "model_id" | "model" | "sd_model_checkpoint" => "model",
        "size" | "width" | "W" => "width",
        "height" | "H" => "height",
        "init_image" | "init_images" | "base64_string" => "init_image",
        "mask_image" | "mask" => "mask_image",
        "strength" | "denoising_strength" => "strength",
        "prompt" | "negative_prompt" | "seed" | "aspect_ratio" => server_name,
        other => other,
    }
}

/// Text of a JSON error field that may be a string or a list of strings.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(text_of).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_this_machine_or_a_self_hosted_lan_server() {
        for ok in ["https://modelslab.com", "http://127.0.0.1:7860", "http://localhost:1", "http://[::1]:8080"] {
            assert!(check_base_url(ProviderKind::ModelsLab, ok).is_ok(), "{ok}");
        }
        for refused in ["http://modelslab.com", "http://192.168.1.20:7860", "ftp://x", "file:///etc/passwd", "http://8.8.8.8"] {
            assert!(check_base_url(ProviderKind::ModelsLab, refused).is_err(), "{refused}");
        }
        let lan = check_base_url(ProviderKind::A1111, "http://192.168.1.20:7860").unwrap();
        assert!(lan.note.unwrap().contains("not encrypted"));
        assert!(check_base_url(ProviderKind::A1111, "http://gpu-box.local:7860").is_ok());
        assert!(check_base_url(ProviderKind::A1111, "http://example.com:7860").is_err());
        assert!(check_base_url(ProviderKind::OpenAi, "http://10.0.0.5/v1").is_err());
    }

    #[test]
    fn server_field_names_map_to_settings_fields() {
        assert_eq!(draft_field("num_inference_steps"), "steps");
        assert_eq!(draft_field("cfg_scale"), "guidance");
        assert_eq!(draft_field("size"), "width");
        assert_eq!(draft_field("n"), "samples");
        assert_eq!(draft_field("denoising_strength"), "strength");
        assert_eq!(draft_field("something_else"), "something_else");
    }

    #[test]
    fn provider_ids_round_trip() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(kind.id()), Some(*kind));
        }
        assert_eq!(ProviderKind::parse("Forge"), Some(ProviderKind::A1111));
        assert_eq!(ProviderKind::parse("nope"), None);
    }

    #[test]
    fn request_bodies_are_redacted_and_images_shortened() {
        let body = serde_json::json!({"key": "sekrit", "init_image": "A".repeat(5000), "prompt": "p"});
        let call = json_call("generate", Method::Post, url::Url::parse("http://127.0.0.1/").unwrap(), Some(body), vec![]);
        let shown = call.redacted_body.unwrap().to_string();
        assert!(!shown.contains("sekrit") && shown.contains("5000 characters of image data"), "{shown}");
    }
}
