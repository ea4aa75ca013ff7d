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

use super::{
    ApiFailure, ApiOutcome, Balance, Capabilities, Finished, GenerateRequest, HttpCall, InitImage, Method, ModelInfo, Parsed, Provider,
    ProviderKind, RemoteJob, Reply, Retry, Speed, json_call,
};
use crate::diagnostics::cut_at_char_boundary;
use crate::error::{ErrorCategory, FieldErrors};
use crate::keys::ApiKey;
use crate::request::{GenerationSettings, Seed};
use serde_json::{Map, Value, json};

/// The official server.
pub const OFFICIAL_BASE: &str = "https://modelslab.com";

const MODELS: &[ModelInfo] = &[
    ModelInfo { id: "flux", label: "Flux (high quality)", speed: Speed::Quality, negative_prompt: false },
    ModelInfo { id: "imagen-4", label: "Imagen 4 (v7)", speed: Speed::Quality, negative_prompt: false },
    ModelInfo { id: "seedream-4.5", label: "Seedream 4.5 (v7)", speed: Speed::Quality, negative_prompt: false },
    ModelInfo { id: "nano-banana-pro", label: "Nano Banana Pro (v7)", speed: Speed::Quality, negative_prompt: false },
    ModelInfo { id: "sdxl", label: "Stable Diffusion XL", speed: Speed::Quality, negative_prompt: true },
    ModelInfo { id: "realistic-vision-51", label: "Realistic Vision 5.1", speed: Speed::Fast, negative_prompt: true },
    ModelInfo { id: "dreamshaper-8", label: "DreamShaper 8", speed: Speed::Fast, negative_prompt: true },
    ModelInfo { id: "anything-v5", label: "Anything V5 (anime)", speed: Speed::Fast, negative_prompt: true },
];

/// Provider-hosted models that live only on the v7 API and take an aspect ratio.
const V7_MODELS: &[&str] = &["imagen-4", "imagen-4.0-ultra", "seedream-4.5", "gen4_image", "nano-banana-pro"];
const ASPECT_RATIOS: &[&str] = &["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"];

/// Most model ids kept from the model list (it has thousands; the picker filters them).
const MAX_LISTED_MODELS: usize = 20_000;

/// A starting image as v7 wants it: its uploaded URL (a data URI if the upload was skipped).
fn image_reference(image: &InitImage) -> String {
    image.url.clone().unwrap_or_else(|| format!("data:{};base64,{}", image.mime, image.base64))
}

/// Which ModelsLab API a model lives on: "choosing v6 or v7 follows the model".
fn is_v7(model: &str) -> bool {
    V7_MODELS.iter().any(|m| m.eq_ignore_ascii_case(model))
}

const SIZE_PRESETS: &[(u32, u32)] = &[(512, 512), (768, 768), (1024, 1024), (768, 512), (512, 768), (1024, 576), (576, 1024)];

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

/// Is this a Flux-family model (no negative prompt, steps 20–50)?
fn is_flux(model: &str) -> bool {
    model.eq_ignore_ascii_case("flux") || model.to_ascii_lowercase().starts_with("flux-")
}

impl Provider for ModelsLab {
    fn kind(&self) -> ProviderKind {
        ProviderKind::ModelsLab
    }

    fn base_url(&self) -> &url::Url {
        &self.base
    }

    fn known_models(&self) -> &'static [ModelInfo] {
        MODELS
    }

    fn capabilities(&self, model: &str) -> Capabilities {
        let flux = is_flux(model);
        let v7 = is_v7(model);
        let negative = !flux && !v7 && MODELS.iter().find(|m| m.id == model).is_none_or(|m| m.negative_prompt);
        Capabilities {
            size: 256..=1024,
            size_multiple: 8,
            size_presets: SIZE_PRESETS,
            samples: 1..=4,
            // The reference disagrees: community models 1–20 (server clamps higher values),
            // FLUX-OAS 1–50, the flux page 20–50. Flux gets its page's range; others 1–50.
            steps: Some(if flux { 20..=50 } else { 1..=50 }),
            guidance: Some(1.0..=20.0),
            seed: true,
            negative_prompt: negative,
            negative_prompt_note: (!negative).then_some(if v7 {
                "This model ignores negative prompts, so the field is hidden."
            } else {
                "Flux ignores negative prompts, so the field is hidden."
            }),
            max_prompt_chars: 2000,
            balance: true,
            aspect_ratios: if v7 { ASPECT_RATIOS } else { &[] },
            exact_sizes: false,
            // v7 takes starting images as URLs: the job uploads local files first (`upload`).
            img2img: true,
            inpaint: true,
            model_required: true,
        }
    }

    fn generate(&self, request: &GenerateRequest<'_>, key: Option<&ApiKey>) -> HttpCall {
        let s = request.settings;
        let key = key.map_or("", ApiKey::expose);
        if is_v7(&s.model) {
            let mut body = json!({
                "key": key,
                "model_id": s.model,
                "prompt": s.prompt,
                "aspect_ratio": s.aspect_ratio.as_deref().unwrap_or("1:1"),
                "samples": s.samples,
                "webhook": null,
                "track_id": null,
            });
            let Some(init) = request.init_image else {
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
        match request.init_image {
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
        let form = if is_v7(&settings.model) { form } else { form + 1 };
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
        is_v7(&settings.model).then(|| {
            let data_uri = format!("data:{};base64,{}", image.mime, image.base64);
            self.post("upload", "/api/v6/base64_to_url", json!({"key": key.map_or("", ApiKey::expose), "base64_string": data_uri}))
        })
    }

    fn parse_upload(&self, reply: &Reply) -> Result<String, ApiFailure> {
        let body = read_json(reply)?;
        if matches!(status_word(&body).as_deref(), Some("success") | Some("ok")) {
            let url = string_list(body.get("output")).into_iter().next().filter(|u| u.starts_with("https://") || u.starts_with("http://"));
            if let Some(url) = url {
                return Ok(url);
            }
            let mut failure = ApiFailure::new(ErrorCategory::BadOutput, Retry::No);
            failure.message = Some("The service took the starting image but gave no address for it.".into());
            failure.detail = message_text(&body);
            return Err(failure);
        }
        let mut failure = map_error(reply, &body);
        // Auth, credits, rate limits and outages keep their own words; anything else is about
        // the image itself.
        if failure.category == ErrorCategory::Validation || (failure.category == ErrorCategory::Server && failure.retry == Retry::No) {
            failure.category = ErrorCategory::Validation;
            let said = failure.detail.as_deref().map(|d| format!(" It said: {d}")).unwrap_or_default();
            let message = format!("The service could not accept the starting image.{said}");
            if failure.fields.is_empty() {
                failure.fields.insert("init_image".to_owned(), vec![message.clone()]);
            }
            failure.message = Some(message);
        }
        Err(failure)
    }

    /// The public model list (legacy but key-only): a bare JSON array, thousands long.
    fn models(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(self.post("models", "/api/v4/dreambooth/model_list", json!({"key": key.map_or("", ApiKey::expose)})))
    }

    fn models_failure(&self, reply: &Reply) -> Option<ApiFailure> {
        if matches!(serde_json::from_slice::<Value>(&reply.body), Ok(Value::Array(_))) {
            return None;
        }
        Some(match read_json(reply) {
            Ok(body) => map_error(reply, &body),
            Err(failure) => failure,
        })
    }

    fn parse_models(&self, reply: &Reply) -> Vec<String> {
        let Ok(Value::Array(entries)) = serde_json::from_slice::<Value>(&reply.body) else { return Vec::new() };
        let mut ids: Vec<String> = entries
            .iter()
            .filter_map(|e| match e {
                Value::String(id) => Some(id.as_str()),
                Value::Object(o) => o.get("model_id").or_else(|| o.get("id")).and_then(Value::as_str),
                _ => None,
            })
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.len() <= 200 && !id.chars().any(char::is_whitespace))
            .map(str::to_owned)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(MAX_LISTED_MODELS);
        ids
    }

    fn balance(&self, key: Option<&ApiKey>) -> Option<HttpCall> {
        Some(self.post("balance", "/api/wallet_balance", json!({"key": key.map_or("", ApiKey::expose)})))
    }

    fn parse_generation(&self, reply: &Reply) -> Parsed {
        parse_generation(reply)
    }

    fn parse_balance(&self, reply: &Reply) -> Result<Balance, ApiFailure> {
        let body = read_json(reply)?;
        if status_word(&body).as_deref() == Some("success") {
            let data = body.get("data").unwrap_or(&body);
            if let Some(amount) = data.get("balance").and_then(number_lenient) {
                let currency = data.get("currency").and_then(Value::as_str).unwrap_or("USD").to_owned();
                return Ok(Balance { amount, currency });
            }
        }
        Err(map_error(reply, &body))
    }
}

/// Parse a generate or fetch answer.
pub fn parse_generation(reply: &Reply) -> Parsed {
    let body = match read_json(reply) {
        Ok(body) => body,
        Err(failure) => return Parsed { outcome: ApiOutcome::Failed(failure), api_status: None, body_id: None },
    };
    let api_status = status_word(&body);
    let body_id = body.get("id").and_then(id_string);
    let outcome = match api_status.as_deref() {
        Some("success") | Some("ok") => {
            let mut outputs = string_list(body.get("output"));
            if outputs.is_empty() {
                outputs = string_list(body.get("proxy_links"));
            }
            if outputs.is_empty()
                && let Some(url) = body.get("output_url").and_then(Value::as_str).map(str::trim).filter(|u| !u.is_empty())
            {
                outputs.push(url.to_owned());
            }
            if outputs.is_empty() {
                let mut failure = ApiFailure::new(ErrorCategory::BadOutput, Retry::No);
                failure.message = Some("The service said it succeeded but sent no images.".into());
                failure.detail = message_text(&body);
                ApiOutcome::Failed(failure)
            } else {
                ApiOutcome::Finished(Finished { remote_id: body_id.clone(), outputs, seeds: seeds(&body) })
            }
        }
        Some("processing") | Some("queued") | Some("pending") => match &body_id {
            Some(id) => ApiOutcome::Processing(RemoteJob {
                id: id.clone(),
                fetch_url: body.get("fetch_result").and_then(Value::as_str).map(str::to_owned),
                eta_seconds: body.get("eta").and_then(number_lenient).filter(|e| e.is_finite()),
                future_links: string_list(body.get("future_links")),
            }),
            None => {
                let mut failure = ApiFailure::new(ErrorCategory::Server, Retry::No);
                failure.message = Some("The service says it is still working but gave no job id to ask about it later.".into());
                failure.detail = message_text(&body);
                ApiOutcome::Failed(failure)
            }
        },
        _ => ApiOutcome::Failed(map_error(reply, &body)),
    };
    Parsed { outcome, api_status, body_id }
}

/// The body as JSON, or a failure that summarises what came instead.
fn read_json(reply: &Reply) -> Result<Value, ApiFailure> {
    if !super::json_values_within(&reply.body, super::MAX_JSON_VALUES) {
        let mut failure = non_json_failure(reply);
        failure.message =
            Some(format!("The service sent an answer far larger than any real one (HTTP {}), so Easel did not read it.", reply.status));
        return Err(failure);
    }
    match serde_json::from_slice::<Value>(&reply.body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) | Err(_) => Err(non_json_failure(reply)),
    }
}

/// A non-JSON (or non-object) answer: a proxy page, an empty body, junk.
fn non_json_failure(reply: &Reply) -> ApiFailure {
    let status = reply.status;
    let retry = if (500..=599).contains(&status) || status == 429 { Retry::ServerError } else { Retry::No };
    let mut failure = ApiFailure::new(ErrorCategory::Server, retry);
    let what = if reply.body.iter().all(u8::is_ascii_whitespace) {
        "an empty answer".to_owned()
    } else if looks_like_html(reply) {
        match html_title(&reply.body) {
            Some(title) => format!("a web page (\"{title}\") instead of data"),
            None => "a web page instead of data".to_owned(),
        }
    } else {
        "an answer that is not the API's data".to_owned()
    };
    failure.message = Some(format!("The service sent {what} (HTTP {status}), so something between you and it is failing."));
    if status == 429 {
        failure.category = ErrorCategory::RateLimited;
        failure.retry = Retry::RateLimited;
    }
    failure.hints = reply.header_hints();
    failure
}

fn looks_like_html(reply: &Reply) -> bool {
    reply.content_type().contains("html") || {
        let head = String::from_utf8_lossy(&reply.body[..reply.body.len().min(512)]).to_ascii_lowercase();
        head.contains("<html") || head.contains("<!doctype")
    }
}

/// The text of an HTML `<title>`, trimmed and bounded.
pub fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower[start..].find('>')? + start + 1;
    let close = lower[open_end..].find("</title")? + open_end;
    let title = text[open_end..close].split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then(|| cut_at_char_boundary(&title, 120))
}

fn status_word(body: &Value) -> Option<String> {
    body.get("status").and_then(Value::as_str).map(|s| s.trim().to_ascii_lowercase())
}

/// A number sent as a number or as numeric text.
fn number_lenient(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An id sent as a number or a string; empty means none.
fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// `output`-style fields: an array, an index-keyed object (in index order), one string, or `""`.
fn string_list(v: Option<&Value>) -> Vec<String> {
    let strings = |items: Vec<&Value>| -> Vec<String> {
        items.into_iter().filter_map(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    };
    match v {
        Some(Value::Array(items)) => strings(items.iter().collect()),
        Some(Value::Object(map)) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| (k.parse::<u64>().unwrap_or(u64::MAX), (*k).clone()));
            strings(entries.into_iter().map(|(_, v)| v).collect())
        }
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
        _ => Vec::new(),
    }
}

/// The seeds from `meta`: a `seeds` list, or `seed` counting up per output.
fn seeds(body: &Value) -> Vec<u64> {
    let Some(meta) = body.get("meta") else { return Vec::new() };
    if let Some(list) = meta.get("seeds").and_then(Value::as_array) {
        return list.iter().filter_map(|v| number_lenient(v).map(|n| n as u64)).collect();
    }
    match meta.get("seed").and_then(number_lenient) {
        Some(seed) if seed >= 0.0 => vec![seed as u64],
        _ => Vec::new(),
    }
}

/// The error text wherever this API put it, as a string.
fn message_text(body: &Value) -> Option<String> {
    ["message", "messege", "error", "detail"].iter().find_map(|k| match body.get(*k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Object(map)) => Some(flatten_fields(map).values().flatten().cloned().collect::<Vec<_>>().join("; ")),
        _ => None,
    })
}

/// A validation message object: field → list of strings (or one string).
fn field_errors(body: &Value) -> FieldErrors {
    ["message", "messege", "error", "errors"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_object).map(flatten_fields))
        .unwrap_or_default()
}

fn flatten_fields(map: &Map<String, Value>) -> FieldErrors {
    let fields = map
        .iter()
        .map(|(field, v)| {
            let messages = match v {
                Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            (field.clone(), messages)
        })
        .collect();
    crate::error::bound_fields(fields)
}

/// Map an error answer to a category, following the HTTP code and the words.
fn map_error(reply: &Reply, body: &Value) -> ApiFailure {
    let status = reply.status;
    let fields = field_errors(body);
    let text = message_text(body).unwrap_or_default();
    let lower = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let mut hints = reply.header_hints();
    hints.body_retry_after = body.get("retry_after").and_then(number_lenient);

    // A starting image or mask the service could not use.
    let image_problem = if has(&["mask"]) {
        Some(("mask_image", "The service could not use the mask. Use a black-and-white image the same size as the starting image."))
    } else if has(&["unable to fetch image", "valid url", "init_image"]) {
        Some(("init_image", "The service could not read the starting image. Try a different PNG or JPEG file."))
    } else {
        None
    };
    let (category, retry, message): (ErrorCategory, Retry, Option<String>) = if status_word(body).as_deref() == Some("failed") {
        (ErrorCategory::GenerationFailed, Retry::No, None)
    } else if !fields.is_empty() {
        (ErrorCategory::Validation, Retry::No, Some("The service refused some settings.".into()))
    } else if status == 429 || has(&["rate limit", "too many requests", "queued requests"]) {
        if has(&["quota", "daily", "credit", "insufficient", "balance"]) {
            (ErrorCategory::Account, Retry::No, Some("Your account has reached its quota or run out of credits.".into()))
        } else {
            (ErrorCategory::RateLimited, Retry::RateLimited, None)
        }
    } else if status == 401 || has(&["api key", "apikey", "unauthori", "invalid key"]) {
        (ErrorCategory::Auth, Retry::No, Some("The service did not accept your API key.".into()))
    } else if status == 402 || has(&["insufficient", "credits", "balance", "expired subscription", "subscription expired"]) {
        (ErrorCategory::Account, Retry::No, Some("Your account has run out of credits.".into()))
    } else if status == 403 || has(&["premium", "subscription", "upgrade", "not allowed on your plan", "plan"]) {
        (ErrorCategory::Account, Retry::No, Some("Your plan does not include this model or feature.".into()))
    } else if (500..=599).contains(&status) || has(&["internal server error", "temporarily unavailable", "try again later", "server error"])
    {
        (ErrorCategory::Server, Retry::ServerError, None)
    } else if has(&["model not found", "model id not found"]) {
        (
            ErrorCategory::Validation,
            Retry::No,
            Some("The service does not know this model id. Check the spelling or pick a model from the list.".into()),
        )
    } else if let Some((field, message)) = image_problem {
        // Shown at the field the person chose the image with.
        let mut fields = fields;
        fields.insert(field.to_owned(), vec![message.to_owned()]);
        return ApiFailure {
            category: ErrorCategory::Validation,
            retry: Retry::No,
            message: Some(message.into()),
            detail: (!text.is_empty()).then_some(text),
            fields,
            hints,
            remote_id: body.get("id").and_then(id_string),
        };
    } else if status == 404 {
        (ErrorCategory::Validation, Retry::No, Some("The service did not recognise this request (not found).".into()))
    } else if (400..=499).contains(&status) || has(&["required", "must be", "invalid"]) {
        (ErrorCategory::Validation, Retry::No, Some("The service refused the request as invalid.".into()))
    } else {
        (ErrorCategory::Server, Retry::No, Some("The service reported an error it did not explain.".into()))
    };
    ApiFailure {
        category,
        retry,
        message,
        detail: (!text.is_empty()).then_some(text),
        fields,
        hints,
        remote_id: body.get("id").and_then(id_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::SettingsDraft;

    fn reply(status: u16, body: &str) -> Reply {
        reply_with(status, body, &[("content-type", "application/json")])
    }

    fn reply_with(status: u16, body: &str, headers: &[(&'static str, &str)]) -> Reply {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Reply { status, headers: map, body: bytes::Bytes::from(body.to_owned()) }
    }

    fn failure(p: Parsed) -> ApiFailure {
        match p.outcome {
            ApiOutcome::Failed(f) => f,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn success_with_arrays() {
        let p = parse_generation(&reply(
            200,
            r#"{"status":"success","generationTime":14.08,"id":13441520,
               "output":["https://pub-x.r2.dev/generations/a-0.png"],
               "proxy_links":["https://cdn2.stablediffusionapi.com/generations/a-0.png"],
               "meta":{"seed":77,"W":512},"nsfw_content_detected":false}"#,
        ));
        assert_eq!(p.api_status.as_deref(), Some("success"));
        assert_eq!(p.body_id.as_deref(), Some("13441520"));
        assert_eq!(
            p.outcome,
            ApiOutcome::Finished(Finished {
                remote_id: Some("13441520".into()),
                outputs: vec!["https://pub-x.r2.dev/generations/a-0.png".into()],
                seeds: vec![77],
            })
        );
    }

    #[test]
    fn output_as_index_keyed_object_keeps_index_order() {
        let p = parse_generation(&reply(200, r#"{"status":"success","id":"abc","output":{"1":"u1","0":"u0","10":"u10","2":"u2"}}"#));
        match p.outcome {
            ApiOutcome::Finished(f) => assert_eq!(f.outputs, ["u0", "u1", "u2", "u10"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn proxy_links_object_used_when_output_is_empty_and_output_url_last() {
        let p = parse_generation(&reply(200, r#"{"status":"success","id":1,"output":[],"proxy_links":{"0":"p0"}}"#));
        assert!(matches!(p.outcome, ApiOutcome::Finished(ref f) if f.outputs == ["p0"]));
        let p = parse_generation(&reply(200, r#"{"status":"success","id":1,"output_url":"https://x/y.png"}"#));
        assert!(matches!(p.outcome, ApiOutcome::Finished(ref f) if f.outputs == ["https://x/y.png"]));
    }

    #[test]
    fn success_without_outputs_is_bad_output() {
        let f = failure(parse_generation(&reply(200, r#"{"status":"success","id":1,"output":""}"#)));
        assert_eq!(f.category, ErrorCategory::BadOutput);
    }

    #[test]
    fn processing_with_int_id_float_eta_and_future_links() {
        let p = parse_generation(&reply(
            200,
            r#"{"status":"processing","tip":"…","eta":2.75,"messege":"Try to fetch request after seconds estimated",
               "fetch_result":"https://modelslab.com/api/v6/images/fetch/134701497","id":134701497,
               "output":[],"meta":{},"future_links":["https://pub-x.r2.dev/generations/0-u.jpg"]}"#,
        ));
        assert_eq!(
            p.outcome,
            ApiOutcome::Processing(RemoteJob {
                id: "134701497".into(),
                fetch_url: Some("https://modelslab.com/api/v6/images/fetch/134701497".into()),
                eta_seconds: Some(2.75),
                future_links: vec!["https://pub-x.r2.dev/generations/0-u.jpg".into()],
            })
        );
    }

    #[test]
    fn processing_fetch_with_empty_string_output_and_string_id() {
        let p = parse_generation(&reply(
            200,
            r#"{"status":"processing","messege":"try again later.","output":"","id":"abc123-def456","eta":"30"}"#,
        ));
        match p.outcome {
            ApiOutcome::Processing(job) => {
                assert_eq!(job.id, "abc123-def456");
                assert_eq!(job.eta_seconds, Some(30.0));
                assert!(job.future_links.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn processing_without_an_id_cannot_be_fetched() {
        let f = failure(parse_generation(&reply(200, r#"{"status":"processing","eta":3}"#)));
        assert_eq!(f.category, ErrorCategory::Server);
        assert_eq!(f.retry, Retry::No, "resending could charge twice");
    }

    #[test]
    fn eta_nan_like_values_are_dropped() {
        let p = parse_generation(&reply(200, r#"{"status":"processing","id":5,"eta":"NaN"}"#));
        assert!(matches!(p.outcome, ApiOutcome::Processing(ref j) if j.eta_seconds.is_none()));
    }

    #[test]
    fn errors_with_http_200_follow_the_body() {
        let f = failure(parse_generation(&reply(200, r#"{"status":"error","message":"Invalid Api Key","tip":"1. Make sure"}"#)));
        assert_eq!(f.category, ErrorCategory::Auth);
        assert_eq!(f.detail.as_deref(), Some("Invalid Api Key"));
    }

    #[test]
    fn legacy_messege_and_error_keys_are_read() {
        let f = failure(parse_generation(&reply(200, r#"{"status":"error","messege":"Model not found: zzz"}"#)));
        assert_eq!(f.category, ErrorCategory::Validation);
        assert_eq!(f.detail.as_deref(), Some("Model not found: zzz"));
        assert!(f.message.unwrap().contains("model id"));
        let f = failure(parse_generation(&reply(400, r#"{"status":"error","error":"prompt must be a string"}"#)));
        assert_eq!(f.category, ErrorCategory::Validation);
        assert_eq!(f.detail.as_deref(), Some("prompt must be a string"));
    }

    #[test]
    fn field_messages_are_validation_whatever_the_code() {
        for status in [200, 400, 422, 500] {
            let f = failure(parse_generation(&reply(
                status,
                r#"{"status":"error","message":{"width":["width must be between 256 and 1024"],"samples":"samples must be between 1 and 4"}}"#,
            )));
            assert_eq!(f.category, ErrorCategory::Validation, "HTTP {status}");
            assert_eq!(f.retry, Retry::No);
            assert_eq!(f.fields["width"], ["width must be between 256 and 1024"]);
            assert_eq!(f.fields["samples"], ["samples must be between 1 and 4"]);
        }
    }

    #[test]
    fn status_codes_map_to_categories() {
        let cases = [
            (401, r#"{"status":"error","message":"Invalid API key"}"#, ErrorCategory::Auth, Retry::No),
            (
                402,
                r#"{"status":"error","message":"Insufficient credits. Please add more credits to continue."}"#,
                ErrorCategory::Account,
                Retry::No,
            ),
            (403, r#"{"status":"error","message":"This feature requires a premium subscription"}"#, ErrorCategory::Account, Retry::No),
            (
                429,
                r#"{"status":"error","message":"Rate limit exceeded. Maximum 5 queued requests allowed.","retry_after":30}"#,
                ErrorCategory::RateLimited,
                Retry::RateLimited,
            ),
            (429, r#"{"status":"error","message":"Daily quota exceeded"}"#, ErrorCategory::Account, Retry::No),
            (
                200,
                r#"{"status":"error","messege":"Rate limit exceeded","tips":"wait for 30 seconds"}"#,
                ErrorCategory::RateLimited,
                Retry::RateLimited,
            ),
            (500, r#"{"status":"error","message":"Internal server error. Please try again."}"#, ErrorCategory::Server, Retry::ServerError),
            (
                503,
                r#"{"status":"error","message":"Service temporarily unavailable. Please try again later."}"#,
                ErrorCategory::Server,
                Retry::ServerError,
            ),
            (200, r#"{"status":"failed","id":"","message":"Failed, Try Again","output":""}"#, ErrorCategory::GenerationFailed, Retry::No),
            (400, r#"{"status":"error","message":"prompt is required"}"#, ErrorCategory::Validation, Retry::No),
            (404, r#"{"status":"error","message":"Route not found"}"#, ErrorCategory::Validation, Retry::No),
            (200, r#"{"status":"mystery"}"#, ErrorCategory::Server, Retry::No),
        ];
        for (status, body, category, retry) in cases {
            let f = failure(parse_generation(&reply(status, body)));
            assert_eq!((f.category, f.retry), (category, retry), "HTTP {status} {body}");
        }
    }

    #[test]
    fn rate_limit_hints_come_from_body_and_headers() {
        let f = failure(parse_generation(&reply_with(
            429,
            r#"{"status":"error","message":"Rate limit exceeded.","retry_after":"7"}"#,
            &[("retry-after", "3"), ("retry-after-ms", "250"), ("x-ratelimit-reset", "1700000000")],
        )));
        assert_eq!(f.hints.body_retry_after, Some(7.0));
        assert_eq!(f.hints.retry_after.as_deref(), Some("3"));
        assert_eq!(f.hints.retry_after_ms.as_deref(), Some("250"));
        assert_eq!(f.hints.rate_limit_reset.as_deref(), Some("1700000000"));
    }

    #[test]
    fn html_pages_are_summarised_never_shown_raw() {
        let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let f = failure(parse_generation(&reply_with(502, page, &[("content-type", "text/html")])));
        assert_eq!((f.category, f.retry), (ErrorCategory::Server, Retry::ServerError));
        let message = f.message.unwrap();
        assert!(message.contains("\"502 Bad Gateway\""), "{message}");
        assert!(!message.contains('<'), "{message}");
        let f = failure(parse_generation(&reply_with(200, page, &[("content-type", "text/html")])));
        assert_eq!((f.category, f.retry), (ErrorCategory::Server, Retry::No));
    }

    #[test]
    fn empty_and_junk_bodies_are_server_errors() {
        for body in ["", "   ", "\u{0}\u{1}junk", "[1,2,3]", "\"just a string\""] {
            let f = failure(parse_generation(&reply(200, body)));
            assert_eq!(f.category, ErrorCategory::Server, "{body:?}");
        }
        let f = failure(parse_generation(&reply(200, "")));
        assert!(f.message.unwrap().contains("empty answer"));
    }

    #[test]
    fn invalid_utf8_does_not_panic() {
        let r = Reply { status: 200, headers: Default::default(), body: bytes::Bytes::from_static(&[0xff, 0xfe, b'{', 0x80]) };
        assert_eq!(failure(parse_generation(&r)).category, ErrorCategory::Server);
    }

    #[test]
    fn generate_puts_the_key_in_the_body_and_redacts_its_twin() {
        let p = ModelsLab::new(Some(url::Url::parse("http://127.0.0.1:9999/ignored/path?q=1").unwrap()));
        let draft = SettingsDraft { prompt: "cat".into(), model: "sdxl".into(), seed: "5".into(), ..Default::default() };
        let settings = draft.validate(&p.capabilities("sdxl")).unwrap().candidates.remove(0);
        let key = ApiKey::parse("secret-canary").unwrap();
        let call = p.generate(&GenerateRequest { settings: &settings, init_image: None, mask_image: None }, Some(&key));
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
        assert!(caps.aspect_ratios.contains(&"16:9") && !caps.negative_prompt && caps.img2img && caps.inpaint);
        let draft = SettingsDraft {
            prompt: "x".into(),
            model: "imagen-4".into(),
            aspect_ratio: "16:9".into(),
            width: "1".into(),
            ..Default::default()
        };
        let s = draft.validate(&caps).unwrap().candidates.remove(0);
        let call = p.generate(&GenerateRequest { settings: &s, init_image: None, mask_image: None }, Some(&ApiKey::parse("k").unwrap()));
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
        let call =
            p.generate(&GenerateRequest { settings: &s, init_image: Some(&init), mask_image: None }, Some(&ApiKey::parse("k").unwrap()));
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

    #[test]
    fn masks_and_unreadable_images_are_named_at_their_field() {
        let mask =
            parse_generation(&reply(200, r#"{"status":"error","message":"mask_image must have the same dimensions as init_image"}"#));
        let ApiOutcome::Failed(f) = mask.outcome else { panic!("a failure") };
        assert!(f.fields.contains_key("mask_image") && f.category == ErrorCategory::Validation, "{f:?}");
        let init = parse_generation(&reply(200, r#"{"status":"error","message":"Unable to fetch image from provided URL"}"#));
        let ApiOutcome::Failed(f) = init.outcome else { panic!("a failure") };
        assert!(f.fields.contains_key("init_image"), "{f:?}");
    }
}
