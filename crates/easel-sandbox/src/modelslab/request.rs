//! What each ModelsLab route reads from its body, checked the way ModelsLab checks it: a JSON
//! object with a `key` first (400 / 401), then every field at once (400 with a message per field).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Api;
use super::answers::invalid_key;
use super::fields::{FieldErrors, aspect_ratio, field_error, flag, image_list, integer, number, text, unit_interval};
use crate::images::MAX_SIDE;
use crate::pattern::ImageSpec;
use crate::reply::{Rejection, sandbox_error};

/// Largest number of images per request, as on the real API.
const MAX_SAMPLES: u64 = 4;
/// Largest `num_inference_steps` accepted.
const MAX_STEPS: u64 = 500;

/// Parses a JSON object body and checks that it carries a non-empty `key`.
pub(super) fn parse_request(bytes: &[u8]) -> Result<Value, Rejection> {
    let body: Value =
        serde_json::from_slice(bytes).map_err(|err| sandbox_error(StatusCode::BAD_REQUEST, format!("Invalid JSON body: {err}")))?;
    if !body.is_object() {
        return Err(sandbox_error(StatusCode::BAD_REQUEST, "The request body must be a JSON object"));
    }
    let has_key = body.get("key").and_then(Value::as_str).is_some_and(|key| !key.trim().is_empty());
    if has_key { Ok(body) } else { Err(invalid_key()) }
}

/// The parts of a generation request the sandbox uses.
pub(super) struct Generation {
    pub(super) model_id: String,
    prompt: String,
    negative_prompt: Option<String>,
    pub(super) width: u32,
    pub(super) height: u32,
    samples: u32,
    steps: Option<u64>,
    guidance_scale: Option<f64>,
    seed: u64,
    /// img2img only: how far the output may stray from the init image.
    strength: Option<f64>,
    pub(super) api: Api,
}

impl Generation {
    /// Reads a v6 text2img request, accepting numbers as JSON numbers or numeric strings.
    pub(super) fn parse(body: &Value) -> Result<Self, Rejection> {
        Self::read(body, FieldErrors::default())
    }

    /// Like [`Generation::parse`], reporting `errors` (found by the caller in extra fields)
    /// together with the common fields' errors.
    fn read(body: &Value, mut errors: FieldErrors) -> Result<Self, Rejection> {
        let max_side = u64::from(MAX_SIDE);
        let model_id = errors.check("model_id", text(body, "model_id"));
        let prompt = errors.check("prompt", text(body, "prompt"));
        let negative_prompt = errors.check("negative_prompt", text(body, "negative_prompt"));
        let width = errors.check("width", integer(body, "width", 1..=max_side));
        let height = errors.check("height", integer(body, "height", 1..=max_side));
        let samples = errors.check("samples", integer(body, "samples", 1..=MAX_SAMPLES));
        let steps = errors.check("num_inference_steps", integer(body, "num_inference_steps", 1..=MAX_STEPS));
        let guidance_scale = errors.check("guidance_scale", number(body, "guidance_scale"));
        let seed = errors.check("seed", integer(body, "seed", 0..=u64::MAX));

        let prompt = prompt.filter(|prompt| !prompt.trim().is_empty());
        if prompt.is_none() && !errors.has("prompt") {
            errors.add("prompt", "The prompt field is required.".to_owned());
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        // The range checks above keep sides and sample counts well within u32.
        let side = |value: Option<u64>| value.map_or(512, |v| v as u32);
        Ok(Self {
            model_id: model_id.unwrap_or_else(|| "flux".to_owned()),
            prompt: prompt.unwrap_or_default(),
            negative_prompt,
            width: side(width),
            height: side(height),
            samples: samples.map_or(1, |n| n as u32),
            steps,
            guidance_scale,
            seed: seed.unwrap_or_else(|| u64::from(rand::random::<u32>())),
            strength: None,
            api: Api::V6,
        })
    }

    /// The seed of each sample: the request seed, then one more per sample.
    fn seeds(&self) -> impl Iterator<Item = u64> + use<> {
        let first = self.seed;
        (0..u64::from(self.samples)).map(move |index| first.wrapping_add(index))
    }

    /// The test pattern of each sample.
    pub(super) fn images(&self) -> impl Iterator<Item = ImageSpec> + use<> {
        let (width, height) = (self.width, self.height);
        self.seeds().map(move |seed| ImageSpec { width, height, seed })
    }

    /// The `meta` object echoed in responses, with ModelsLab's community-endpoint key names.
    pub(super) fn meta(&self) -> Value {
        let mut meta = json!({
            "model_id": self.model_id,
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "W": self.width,
            "H": self.height,
            "n_samples": self.samples,
            "steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "seed": self.seed,
            "seeds": self.seeds().collect::<Vec<_>>(),
        });
        if let Some(strength) = self.strength {
            meta["strength"] = json!(strength);
        }
        meta
    }
}

/// A v6 `img2img` or `inpaint` request.
pub(super) struct V6Edit {
    pub(super) generation: Generation,
    /// Whether the images travel as base64 (the `base64` flag); else they must be URLs.
    pub(super) base64: bool,
    /// The init image, then (inpaint) the mask: each its trimmed text, or the 400 for a value
    /// that is not a string. ModelsLab reads them in turn, so a later one's 400 comes only
    /// once the earlier ones were read.
    pub(super) images: Vec<Result<String, Rejection>>,
}

impl V6Edit {
    pub(super) fn parse(body: &Value, with_mask: bool) -> Result<Self, Rejection> {
        let mut errors = FieldErrors::default();
        let strength = errors.check("strength", unit_interval(body, "strength"));
        if body.get("init_image").is_none_or(Value::is_null) {
            errors.add("init_image", "The init image field is required.".to_owned());
        }
        if with_mask && body.get("mask_image").is_none_or(Value::is_null) {
            errors.add("mask_image", "The mask image field is required.".to_owned());
        }
        let mut generation = Generation::read(body, errors)?;
        generation.strength = strength;
        let fields = if with_mask { &["init_image", "mask_image"][..] } else { &["init_image"][..] };
        let images = fields
            .iter()
            .map(|&field| match body.get(field) {
                Some(Value::String(image)) => Ok(image.trim().to_owned()),
                _ => Err(field_error(field, &format!("The {} must be a string.", field.replace('_', " ")))),
            })
            .collect();
        Ok(Self { generation, base64: flag(body, "base64"), images })
    }
}

/// A v7 `text-to-image` request: like v6 text2img, sized by a required `aspect_ratio`.
pub(super) fn v7_text_to_image(body: &Value) -> Result<Generation, Rejection> {
    let mut errors = FieldErrors::default();
    let size = errors.check("aspect_ratio", aspect_ratio(body, true));
    let mut generation = Generation::read(body, errors)?;
    generation.api = Api::V7;
    if let Some((width, height)) = size {
        (generation.width, generation.height) = (width, height);
    }
    Ok(generation)
}

/// A v7 `image-to-image` or `inpaint` request.
pub(super) struct V7Edit {
    pub(super) generation: Generation,
    /// The size `aspect_ratio` asks for, if it was sent.
    pub(super) ratio_size: Option<(u32, u32)>,
    /// URLs or base64 (with or without a `data:` prefix), trimmed.
    pub(super) inits: Vec<String>,
    pub(super) masks: Vec<String>,
}

impl V7Edit {
    pub(super) fn parse(body: &Value, with_mask: bool) -> Result<Self, Rejection> {
        let mut errors = FieldErrors::default();
        let ratio_size = errors.check("aspect_ratio", aspect_ratio(body, false));
        let strength = errors.check("strength", unit_interval(body, "strength"));
        let inits = image_list(body, "init_image", &mut errors);
        let masks = if with_mask { image_list(body, "mask_image", &mut errors) } else { Vec::new() };
        let mut generation = Generation::read(body, errors)?;
        generation.api = Api::V7;
        generation.strength = strength;
        Ok(Self { generation, ratio_size, inits, masks })
    }
}

/// The `base64_string` of a `base64_to_url` request.
pub(super) fn upload_text(body: &Value) -> Result<&str, Rejection> {
    body.get("base64_string").and_then(Value::as_str).ok_or_else(|| field_error("base64_string", "The base64 string field is required."))
}

/// The `request_id` of a body-form fetch, as it appears in a fetch URL.
pub(super) fn fetch_id(body: &Value) -> Result<String, Rejection> {
    match body.get("request_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        Some(Value::Number(id)) => Ok(id.to_string()),
        _ => Err(field_error("request_id", "The request id field is required and must be a string or a number.")),
    }
}
