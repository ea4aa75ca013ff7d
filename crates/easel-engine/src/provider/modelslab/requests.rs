//! The requests ModelsLab is sent, shaped as its official clients send them: v6 with the
//! common fields and flags as "yes"/"no" (the SDK's `Optional[str]`), v7 with only the fields
//! each model's SDK schema names, and the fetch forms in the order worth trying.

use super::models::{self, Api, DEFAULT_SCHEDULER, ENHANCE_PROMPT, Editing, Images, Shape};
use crate::provider::{GenerateRequest, InitImage, RemoteJob};
use crate::request::Seed;
use serde_json::{Map, Value, json};

/// Where a request goes and what it says.
pub(super) struct Body {
    pub path: &'static str,
    pub body: Value,
}

/// "yes" or "no", as the SDK and ModelsLab's own clients send flags.
fn flag(on: bool) -> Value {
    Value::String(if on { "yes" } else { "no" }.to_owned())
}

/// A starting image as v7 wants it: its uploaded URL (a data URI if the upload was skipped).
fn image_reference(image: &InitImage) -> Value {
    Value::String(image.url.clone().unwrap_or_else(|| format!("data:{};base64,{}", image.mime, image.base64)))
}

/// The generation request for `request`, with `key` in the body.
pub(super) fn generate(request: &GenerateRequest<'_>, key: &str) -> Body {
    match models::api(&request.settings.model) {
        Api::V7 => v7(request, key),
        Api::V6 => v6(request, key),
    }
}

/// v6: text2img, img2img or inpaint. The server rewrites the prompt unless `enhance_prompt` is
/// "no", so it is always sent; steps above a model's cap were capped when the settings were
/// checked; start images travel as base64, which needs `base64: "yes"`.
fn v6(request: &GenerateRequest<'_>, key: &str) -> Body {
    let s = request.settings;
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
        "safety_checker": flag(false),
        "enhance_prompt": flag(s.option(ENHANCE_PROMPT) == Some("yes")),
        "base64": flag(false),
        "webhook": null,
        "track_id": null,
    });
    if models::spec(&s.model).is_some() {
        // The SDK's BFL schemas on v6 name no steps, samples or seed.
        for field in ["num_inference_steps", "samples", "seed", "enhance_prompt"] {
            remove(&mut body, field);
        }
    }
    let Some(init) = request.init_image() else {
        return Body { path: "/api/v6/images/text2img", body };
    };
    // Its size decides the output's; the output may come back as base64 too (intake reads both).
    body["init_image"] = Value::String(init.base64.clone());
    body["base64"] = flag(true);
    body["strength"] = json!(s.strength);
    body["width"] = json!(init.width);
    body["height"] = json!(init.height);
    if !models::is_flux(&s.model) {
        body["scheduler"] = Value::String(DEFAULT_SCHEDULER.to_owned());
    }
    match request.mask_image {
        Some(mask) => {
            body["mask_image"] = Value::String(mask.base64.clone());
            // The official inpaint example names the step count `steps`.
            body["steps"] = json!(s.steps);
            Body { path: "/api/v6/images/inpaint", body }
        }
        None => Body { path: "/api/v6/images/img2img", body },
    }
}

/// v7: text-to-image, or image-to-image with the editing model's id, its start images as the
/// SDK sends them, and its shape. Only the fields the model's schema names are sent.
fn v7(request: &GenerateRequest<'_>, key: &str) -> Body {
    let s = request.settings;
    let spec = models::spec(&s.model);
    let mut body = json!({"key": key, "model_id": s.model, "prompt": s.prompt});
    let edit = spec.and_then(|m| m.editing()).filter(|_| !request.init_images.is_empty());
    let (path, shape) = match edit {
        Some(edit) => {
            add_images(&mut body, edit, request.init_images);
            ("/api/v7/images/image-to-image", edit.shape)
        }
        None => ("/api/v7/images/text-to-image", spec.and_then(|m| m.text).unwrap_or(Shape::Service)),
    };
    match shape {
        Shape::Ratio { .. } => {
            if let Some(ratio) = &s.aspect_ratio {
                body["aspect_ratio"] = Value::String(ratio.clone());
            }
        }
        Shape::Size { .. } => {
            body["width"] = json!(s.width);
            body["height"] = json!(s.height);
        }
        Shape::Service => {}
    }
    if edit.is_none() && spec.is_some_and(|m| m.max_samples > 1) {
        body["samples"] = json!(s.samples);
    }
    Body { path, body }
}

/// The editing model id and its start images: an array, one, or a pair.
fn add_images(body: &mut Value, edit: &Editing, images: &[InitImage]) {
    body["model_id"] = Value::String(edit.model_id.to_owned());
    let mut references = images.iter().take(edit.max_images as usize).map(image_reference);
    match edit.images {
        Images::Array => body["init_image"] = Value::Array(references.collect()),
        Images::One => body["init_image"] = references.next().unwrap_or(Value::Null),
        Images::Pair => {
            body["init_image"] = references.next().unwrap_or(Value::Null);
            body["init_image_2"] = references.next().unwrap_or(Value::Null);
        }
    }
}

fn remove(body: &mut Value, field: &str) {
    if let Some(map) = body.as_object_mut() {
        map.remove(field);
    }
}

/// One way of asking for a queued job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum FetchForm {
    /// `POST <path>` with `{"key"}`.
    Path(String),
    /// `POST /api/v6/images/fetch` with `{"key", "request_id"}`.
    Body,
}

/// The ways to ask for `job`, best first: the `fetch_result` the service named (its path, on
/// the server in use: the key never goes to another host), then the path form of the job's
/// API, then v6's path and body forms, which public clients fall back to.
pub(super) fn fetch_forms(job: &RemoteJob, model: &str) -> Vec<FetchForm> {
    let mut forms = Vec::new();
    if let Some(path) = job.fetch_url.as_deref().and_then(fetch_result_path) {
        forms.push(FetchForm::Path(path));
    }
    let id = job.id.trim();
    if !id.is_empty() {
        let mut segment = url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
        segment = segment.replace('+', "%20");
        if models::api(model) == Api::V7 {
            forms.push(FetchForm::Path(format!("/api/v7/images/fetch/{segment}")));
        }
        forms.push(FetchForm::Path(format!("/api/v6/images/fetch/{segment}")));
        forms.push(FetchForm::Body);
    }
    let mut seen = Vec::new();
    forms.retain(|f| {
        let new = !seen.contains(f);
        seen.push(f.clone());
        new
    });
    forms
}

/// The path of a `fetch_result` address, when it is one of ModelsLab's fetch routes.
fn fetch_result_path(address: &str) -> Option<String> {
    let url = url::Url::parse(address.trim()).ok()?;
    let path = url.path();
    let fetch = path.starts_with("/api/") && path.contains("/fetch/") && !path.ends_with('/') && !path.contains("..");
    fetch.then(|| path.to_owned())
}

/// The body of a fetch in `form`.
pub(super) fn fetch_body(form: &FetchForm, job: &RemoteJob, key: &str) -> Value {
    let mut body = Map::new();
    body.insert("key".into(), Value::String(key.to_owned()));
    if *form == FetchForm::Body {
        body.insert("request_id".into(), Value::String(job.id.trim().to_owned()));
    }
    Value::Object(body)
}
