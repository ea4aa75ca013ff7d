//! Providers: one file each, holding request building, response parsing and
//! error mapping together behind the [`Provider`] trait.
//!
//! A provider never performs I/O. It turns settings into [`HttpCall`]s and turns
//! [`Reply`]s into [`ApiOutcome`]s; the job runner does the sending, waiting
//! and retrying, the same way for every provider.

pub mod modelslab;

use super::error::{ErrorCategory, FieldErrors};
use super::keys::ApiKey;
use super::request::GenerationSettings;
use super::retry::RateLimitHints;
use serde_json::Value;
use std::ops::RangeInclusive;
use std::time::Duration;

/// The providers Easel speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    ModelsLab,
}

impl ProviderKind {
    pub const ALL: &[ProviderKind] = &[ProviderKind::ModelsLab];
    /// The id used on the command line, in the keyring and in the library.
    pub fn id(self) -> &'static str {
        match self {
            Self::ModelsLab => "modelslab",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::ModelsLab => "ModelsLab",
        }
    }
    /// Where a person gets a key.
    pub fn key_page(self) -> &'static str {
        match self {
            Self::ModelsLab => "https://modelslab.com/dashboard/api-keys",
        }
    }
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.id().eq_ignore_ascii_case(id.trim()))
    }
    /// Build the provider, optionally pointed at another server.
    pub fn build(self, base_url: Option<&str>) -> Result<Box<dyn Provider>, String> {
        match self {
            Self::ModelsLab => {
                let base = base_url.map(parse_base_url).transpose()?;
                Ok(Box::new(modelslab::ModelsLab::new(base)))
            }
        }
    }
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
}

/// Fast models answer within a minute; quality models may take two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Fast,
    Quality,
}

impl Speed {
    /// The per-attempt HTTP timeout for this kind of model.
    pub fn attempt_timeout(self) -> Duration {
        match self {
            Self::Fast => Duration::from_secs(60),
            Self::Quality => Duration::from_secs(120),
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
    /// Extra headers; values may hold secrets (never recorded).
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    /// `body` with every secret replaced, for diagnostics.
    pub redacted_body: Option<Value>,
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
        Self {
            category,
            retry,
            message: None,
            detail: None,
            fields: FieldErrors::new(),
            hints: RateLimitHints::default(),
            remote_id: None,
        }
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
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    /// The server root in use (the official one unless overridden).
    fn base_url(&self) -> &url::Url;
    /// Models to offer in pickers; any other id may still be typed.
    fn known_models(&self) -> &'static [ModelInfo];
    /// What the provider accepts for `model`.
    fn capabilities(&self, model: &str) -> Capabilities;
    /// Speed class of a model, for its timeout; unknown models count as quality (the safe, longer wait).
    fn speed(&self, model: &str) -> Speed {
        self.known_models().iter().find(|m| m.id == model).map_or(Speed::Quality, |m| m.speed)
    }
    /// The request that starts a generation.
    fn generate(&self, settings: &GenerationSettings, key: &ApiKey) -> HttpCall;
    /// The request that asks for a processing job; `form` 0 is preferred, higher
    /// numbers are fallbacks. `None` when there is no such form.
    fn fetch(&self, job: &RemoteJob, key: &ApiKey, form: usize) -> Option<HttpCall>;
    /// The request for the credit balance, if the provider has one.
    fn balance(&self, key: &ApiKey) -> Option<HttpCall>;
    /// Read a generate or fetch answer.
    fn parse_generation(&self, reply: &Reply) -> Parsed;
    /// Read a balance answer.
    fn parse_balance(&self, reply: &Reply) -> Result<Balance, ApiFailure>;
}
