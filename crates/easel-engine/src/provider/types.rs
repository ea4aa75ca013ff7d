//! What travels through the [`super::Provider`] trait: models, requests, and what an answer means.

use crate::error::{ErrorCategory, FieldErrors};
use crate::request::GenerationSettings;
use crate::retry::{RateLimitHints, Retry};
use std::time::Duration;

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
    /// The model's plain name, as the picker shows it ("Seedream 4.5").
    pub label: &'static str,
    /// One line on what the model is good at, shown under its name.
    pub description: &'static str,
    pub speed: Speed,
    pub negative_prompt: bool,
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

/// A picture the service sent while still working on the final one (OpenAI's streaming
/// `partial_image` events): shown while the job runs, never stored.
#[derive(Clone, Debug, PartialEq)]
pub struct PartialImage {
    /// Which partial picture this is, from 0.
    pub index: u32,
    /// The picture's base64, as sent.
    pub base64: String,
}

/// Everything one generation request needs.
#[derive(Clone, Copy, Debug)]
pub struct GenerateRequest<'a> {
    pub settings: &'a GenerationSettings,
    /// The start images, the first one first (empty for text-to-image).
    pub init_images: &'a [InitImage],
    /// Inpainting: the mask, the first start image's size.
    pub mask_image: Option<&'a InitImage>,
}

impl<'a> GenerateRequest<'a> {
    /// Text-to-image: no start image, no mask.
    pub fn text(settings: &'a GenerationSettings) -> Self {
        Self { settings, init_images: &[], mask_image: None }
    }

    /// The first start image, which the output's size follows.
    pub fn init_image(&self) -> Option<&'a InitImage> {
        self.init_images.first()
    }
}

/// How far a synchronous generation has got (A1111's progress endpoint).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// 0.0 to 1.0.
    pub fraction: f32,
    pub eta_seconds: Option<f64>,
}

/// A provider job that is still being made, and how to ask for it later.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RemoteJob {
    /// The provider's id for the job; empty in a "still processing" answer that names none
    /// (the job keeps its first answer's).
    pub id: String,
    pub fetch_url: Option<String>,
    pub eta_seconds: Option<f64>,
    /// Where the outputs will appear, handed out ahead of time.
    pub future_links: Vec<String>,
    /// The seeds the first answer reported: the finished fetch is often bare.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<u64>,
    /// What the first answer said the pictures are made with (ModelsLab's queued `meta`).
    #[serde(default, skip_serializing_if = "MadeWith::is_empty")]
    pub made: MadeWith,
}

/// A finished generation: where to get the images.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finished {
    pub remote_id: Option<String>,
    /// Each entry is a URL, inline base64 or a data: URI; intake sorts them out.
    pub outputs: Vec<String>,
    /// The seed of each output, when the provider says.
    pub seeds: Vec<u64>,
    /// What the service counted for the whole request, when it says (OpenAI's `usage`): the
    /// basis of a cost estimate.
    pub usage: Option<TokenUsage>,
    /// What the service says it used, when it reports it (ModelsLab's `meta`).
    pub made: MadeWith,
}

/// What the service says it made the pictures with, where that may differ from what was
/// asked: a rewritten prompt, capped steps, a size of its own. Only what it reported is set.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MadeWith {
    /// The prompt the service used, when it differs from the one sent (ModelsLab rewrites
    /// prompts when asked to, and by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<String>,
}

impl MadeWith {
    /// Nothing reported.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Tokens a service counted for one request (OpenAI image models bill by them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Of `input_tokens`, those that were images (billed at another rate), when said.
    pub input_image_tokens: Option<u64>,
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
