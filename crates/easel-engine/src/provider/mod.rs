//! Providers: one module each, holding request building, response parsing and
//! error mapping together behind the [`Provider`] trait.
//!
//! A provider never performs I/O. It turns settings into [`HttpCall`]s and turns
//! [`Reply`]s into [`ApiOutcome`]s; the job runner does the sending, waiting
//! and retrying, the same way for every provider. What they all read the same way (JSON
//! within bounds, a summary of anything else) is in [`answer`].

pub mod a1111;
pub mod answer;
mod base_url;
mod kind;
pub mod modelslab;
pub mod openai;
pub mod stream;
mod types;

pub use crate::capabilities::{Capabilities, Upscaler};
pub use crate::http::{FormPart, FormValue, Header, HttpCall, Method, Reply};
pub use crate::retry::Retry;
pub use base_url::{BaseUrl, check_base_url, parse_base_url};
pub use kind::{ProviderKind, ProviderOptions};
pub use types::{
    ApiFailure, ApiOutcome, Balance, Finished, GenerateRequest, InitImage, MadeWith, ModelInfo, Parsed, PartialImage, Progress, RemoteJob,
    Speed, TokenUsage,
};

use crate::error::ErrorCategory;
use crate::keys::ApiKey;
use crate::redact::REDACTED;
use crate::request::GenerationSettings;
use serde_json::Value;

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
    /// How the service enlarges pictures, if it does: then [`Provider::generate`] sends the
    /// enlarging request for settings with `upscale` set.
    fn upscaler(&self) -> Option<Upscaler> {
        None
    }
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
    /// Turn the loaded start images and mask into what the service accepts (another format, a
    /// smaller size, the mask in the service's convention). Called once per job, off the async
    /// threads, before anything is sent; an `Err` is a plain sentence on why the images cannot
    /// be used, and nothing is sent.
    fn prepare_images(&self, _settings: &GenerationSettings, _init: &mut [InitImage], _mask: &mut Option<InitImage>) -> Result<(), String> {
        Ok(())
    }
    /// Whether the generation answer for `settings` is a stream of server-sent events whose
    /// partial pictures [`Provider::parse_stream_event`] reads as they arrive.
    fn streams(&self, _settings: &GenerationSettings) -> bool {
        false
    }
    /// A partial picture from one server-sent event of a streaming answer (`event` is the
    /// event's name, `data` its data), if it carries one. The finished answer is read whole by
    /// [`Provider::parse_generation`] as usual.
    fn parse_stream_event(&self, _event: Option<&str>, _data: &str) -> Option<PartialImage> {
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
    /// How long the service keeps the outputs of the generation `sent` asked for, when it says
    /// (ModelsLab's `temp` outputs: 24 hours). A job that could not collect them yet tells the
    /// person until when they can be.
    fn outputs_kept_for(&self, _sent: &HttpCall) -> Option<std::time::Duration> {
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
    /// The request that asks the service what `model` takes (ModelsLab's model search), the
    /// first time it is worth asking; `None` otherwise.
    fn model_details(&self, _model: &str, _key: Option<&ApiKey>) -> Option<HttpCall> {
        None
    }
    /// Take in a model-details answer: true when it changed what [`Provider::capabilities`]
    /// says about `model`.
    fn learn_model(&self, _model: &str, _reply: &Reply) -> bool {
        false
    }
    /// The request for how many of the account's jobs the service is making now (ModelsLab's
    /// `processing/request_count`), for services that limit jobs in flight per account.
    fn queue_count(&self, _key: Option<&ApiKey>) -> Option<HttpCall> {
        None
    }
    /// Read a queue-count answer.
    fn parse_queue_count(&self, _reply: &Reply) -> Option<u32> {
        None
    }
}

/// A JSON POST whose body may hold the key; its redacted twin replaces `key` fields.
pub(crate) fn json_call(endpoint: &'static str, method: Method, url: url::Url, body: Option<Value>, headers: Vec<Header>) -> HttpCall {
    let redacted_body = body.as_ref().map(redact_body);
    HttpCall { endpoint, method, url, headers, body, form: None, redacted_body }
}

/// A multipart POST (OpenAI's image edits); diagnostics show its fields, files by their size.
pub(crate) fn form_call(endpoint: &'static str, url: url::Url, form: Vec<FormPart>, headers: Vec<Header>) -> HttpCall {
    let redacted_body = Some(redact_body(&crate::http::form_as_json(&form)));
    HttpCall { endpoint, method: Method::Post, url, headers, body: None, form: Some(form), redacted_body }
}

/// Replace secrets and shorten inline images in a request body, for diagnostics.
fn redact_body(body: &Value) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if k == "key" && !v.is_null() { Value::String(REDACTED.into()) } else { redact_body(v) };
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn request_bodies_are_redacted_and_images_shortened() {
        let body = serde_json::json!({"key": "sekrit", "init_image": "A".repeat(5000), "prompt": "p"});
        let call = json_call("generate", Method::Post, url::Url::parse("http://127.0.0.1/").unwrap(), Some(body), vec![]);
        let shown = call.redacted_body.unwrap().to_string();
        assert!(!shown.contains("sekrit") && shown.contains("5000 characters of image data"), "{shown}");
    }
}
