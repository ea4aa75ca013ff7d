//! What each ModelsLab route reads from its body, checked the way ModelsLab checks it. The
//! order is the service's: a JSON object with a key (in the body, or in a `key` header as the
//! official CLI also sends it) first, then the scenario (`scenario.rs`), and only then every
//! field at once (400 with a message per field, in error-codes.mdx's words).

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::Api;
use super::answers::invalid_key;
use super::fields::{FieldErrors, V7_LONG_SIDE, aspect_ratio, field_error, flag, image_list, integer, number, text, unit_interval};
use super::v7::{self, Images, Route};
use crate::images::MAX_SIDE;
use crate::pattern::ImageSpec;
use crate::reply::{Rejection, sandbox_error};

/// Largest number of images per request (error-codes.mdx: "samples must be between 1 and 4").
const MAX_SAMPLES: u64 = 4;
/// Largest `num_inference_steps` read (the service caps what it uses; see [`Generation::steps`]).
const MAX_STEPS: u64 = 500;
/// "Values range from 1 to 20, and any value above 20 will be capped at 20"
/// (community-models/openapi.json); Flux takes up to 50.
const COMMUNITY_STEP_CAP: u64 = 20;
const FLUX_STEP_CAP: u64 = 50;
/// What the server adds to a prompt it "enhances" (words from the documented answer of a
/// request that left `enhance_prompt` at its default).
const ENHANCEMENT: &str = ", hyperrealistic, full body, detailed clothing, highly detailed, cinematic lighting, stunningly beautiful";

/// Parses a JSON object body and checks that it carries a key: a non-empty `key` field, or
/// a `key` header (the official CLI sends both).
pub(super) fn parse_request(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, Rejection> {
    let body: Value =
        serde_json::from_slice(bytes).map_err(|err| sandbox_error(StatusCode::BAD_REQUEST, format!("Invalid JSON body: {err}")))?;
    if !body.is_object() {
        return Err(sandbox_error(StatusCode::BAD_REQUEST, "The request body must be a JSON object"));
    }
    let in_body = body.get("key").and_then(Value::as_str).is_some_and(|key| !key.trim().is_empty());
    let in_header = headers.get("key").and_then(|v| v.to_str().ok()).is_some_and(|key| !key.trim().is_empty());
    if in_body || in_header { Ok(body) } else { Err(invalid_key()) }
}

/// The model a request names, read leniently (for the scenarios, before any check).
pub(super) fn model_of(body: &Value) -> &str {
    body.get("model_id").and_then(Value::as_str).unwrap_or("flux")
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
    scheduler: Option<String>,
    /// The server rewrites the prompt unless told `enhance_prompt: "no"` (its default is yes).
    enhance_prompt: bool,
    /// img2img only: how far the output may stray from the init image.
    strength: Option<f64>,
    pub(super) api: Api,
}

impl Generation {
    /// Reads a v6 text2img request: numbers as JSON numbers or numeric strings, sizes from 256
    /// to 1024 and divisible by 8.
    pub(super) fn parse(body: &Value) -> Result<Self, Rejection> {
        Self::read(body, FieldErrors::default(), true)
    }

    /// Like [`Generation::parse`], reporting `errors` (found by the caller in extra fields)
    /// together with the common fields' errors. `documented_sizes`: check width and height as
    /// text2img does (img2img takes its start image's size instead).
    fn read(body: &Value, mut errors: FieldErrors, documented_sizes: bool) -> Result<Self, Rejection> {
        let sides = if documented_sizes { 256..=1024 } else { 1..=u64::from(MAX_SIDE) };
        let model_id = errors.check("model_id", text(body, "model_id"));
        let prompt = errors.check("prompt", text(body, "prompt"));
        let negative_prompt = errors.check("negative_prompt", text(body, "negative_prompt"));
        let width = errors.check("width", integer(body, "width", sides.clone()));
        let height = errors.check("height", integer(body, "height", sides));
        for (field, side) in [("width", width), ("height", height)] {
            if documented_sizes && side.is_some_and(|s| s % 8 != 0) {
                errors.add(field, format!("{field} must be divisible by 8"));
            }
        }
        let samples = errors.check("samples", integer(body, "samples", 1..=MAX_SAMPLES));
        let steps = errors.check("num_inference_steps", integer(body, "num_inference_steps", 1..=MAX_STEPS));
        let guidance_scale = errors.check("guidance_scale", number(body, "guidance_scale"));
        if guidance_scale.is_some_and(|g| !(1.0..=20.0).contains(&g)) {
            errors.add("guidance_scale", "guidance_scale must be between 1 and 20".to_owned());
        }
        let seed = errors.check("seed", integer(body, "seed", 0..=u64::MAX));
        let scheduler = errors.check("scheduler", text(body, "scheduler"));

        let prompt = prompt.filter(|prompt| !prompt.trim().is_empty());
        if prompt.is_none() && !errors.has("prompt") {
            errors.add("prompt", "The prompt field is required.".to_owned());
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let model_id = model_id.unwrap_or_else(|| "flux".to_owned());
        // The range checks above keep sides and sample counts well within u32.
        let side = |value: Option<u64>| value.map_or(512, |v| v as u32);
        Ok(Self {
            enhance_prompt: body.get("enhance_prompt").is_none_or(|_| flag(body, "enhance_prompt")) && model_id != "flux",
            model_id,
            prompt: prompt.unwrap_or_default(),
            negative_prompt,
            width: side(width),
            height: side(height),
            samples: samples.map_or(1, |n| n as u32),
            steps,
            guidance_scale,
            seed: seed.unwrap_or_else(|| u64::from(rand::random::<u32>())),
            scheduler,
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

    /// The steps the service really uses: community models are capped at 20, Flux at 50.
    fn steps(&self) -> Option<u64> {
        let cap = if self.model_id == "flux" { FLUX_STEP_CAP } else { COMMUNITY_STEP_CAP };
        self.steps.map(|s| s.min(cap))
    }

    /// The `meta` object echoed in answers, with the community endpoint's key names: one
    /// `seed` and `n_samples` (never a list of seeds), the prompt as the server used it, the
    /// steps it really took.
    pub(super) fn meta(&self) -> Value {
        let prompt = if self.enhance_prompt && self.api == Api::V6 { format!("{}{ENHANCEMENT}", self.prompt) } else { self.prompt.clone() };
        let yes_no = |on: bool| if on { "yes" } else { "no" };
        let mut meta = json!({
            "prompt": prompt,
            "model_id": self.model_id,
            "negative_prompt": self.negative_prompt,
            "scheduler": self.scheduler.as_deref().unwrap_or("UniPCMultistepScheduler"),
            "safety_checker": "no",
            "W": self.width,
            "H": self.height,
            "guidance_scale": self.guidance_scale.unwrap_or(7.5),
            "seed": self.seed,
            "steps": self.steps().unwrap_or(COMMUNITY_STEP_CAP),
            "n_samples": self.samples,
            "enhance_prompt": yes_no(self.enhance_prompt),
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
        let mut generation = Generation::read(body, errors, false)?;
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

/// The picture size a v7 request asks for: its aspect ratio (checked against the model's),
/// its width and height, or neither.
fn v7_shape(body: &Value, model: Option<&v7::Model>, errors: &mut FieldErrors) -> Option<(u32, u32)> {
    let ratios = model.map_or(Some((v7::GENERIC_RATIOS, false)), |m| m.ratios);
    let ratio = match ratios {
        Some((allowed, required)) => errors.check("aspect_ratio", aspect_ratio(body, allowed, required)),
        None => None,
    };
    let sized = model.is_some_and(|m| m.sized);
    let range = if sized { 512..=1024 } else { 256..=u64::from(MAX_SIDE) };
    let width = errors.check("width", integer(body, "width", range.clone()));
    let height = errors.check("height", integer(body, "height", range));
    for (side, value) in [("width", width), ("height", height)] {
        if sized && value.is_none() && !errors.has(side) {
            errors.add(side, format!("The {side} field is required."));
        }
    }
    ratio.or(width.zip(height).map(|(w, h)| (w as u32, h as u32)))
}

/// A v7 `text-to-image` request. A model of the table takes only its own shape fields; an
/// editing model id is refused; an unknown id (or none, as the official CLI sends by default)
/// goes by the generic rules.
pub(super) fn v7_text_to_image(body: &Value) -> Result<Generation, Rejection> {
    let mut errors = FieldErrors::default();
    let id = body.get("model_id").and_then(Value::as_str).unwrap_or_default();
    let model = v7::find(id, Route::TextToImage);
    if model.is_none() && v7::known(id) {
        errors.add("model_id", format!("{id} edits pictures: send it to /api/v7/images/image-to-image with an init_image."));
    }
    let size = v7_shape(body, model, &mut errors);
    let mut generation = Generation::read(&without_sizes(body), errors, false)?;
    generation.api = Api::V7;
    // Models that list no `samples` make one picture, whatever is sent.
    generation.samples = generation.samples.min(model.map_or(MAX_SAMPLES as u32, |m| m.max_samples));
    (generation.width, generation.height) = size.unwrap_or((V7_LONG_SIDE, V7_LONG_SIDE));
    Ok(generation)
}

/// The body without width and height (v7 checks them itself).
fn without_sizes(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("width");
        map.remove("height");
    }
    body
}

/// A v7 `image-to-image` or `inpaint` request.
pub(super) struct V7Edit {
    pub(super) generation: Generation,
    /// The size the request's shape fields ask for, if they say.
    pub(super) ratio_size: Option<(u32, u32)>,
    /// URLs or base64 (with or without a `data:` prefix), trimmed.
    pub(super) inits: Vec<String>,
    pub(super) masks: Vec<String>,
}

impl V7Edit {
    pub(super) fn parse(body: &Value, with_mask: bool) -> Result<Self, Rejection> {
        let mut errors = FieldErrors::default();
        let id = body.get("model_id").and_then(Value::as_str).unwrap_or_default();
        let model = if with_mask { None } else { v7::find(id, Route::ImageToImage) };
        if !with_mask && model.is_none() && v7::known(id) {
            errors.add("model_id", format!("{id} makes pictures from words only: it cannot edit an init_image."));
        }
        let ratio_size = v7_shape(body, model, &mut errors);
        let strength = errors.check("strength", unit_interval(body, "strength"));
        let inits = match model.and_then(|m| m.images) {
            Some(form) => model_images(body, form, &mut errors),
            None => image_list(body, "init_image", &mut errors),
        };
        let masks = if with_mask { image_list(body, "mask_image", &mut errors) } else { Vec::new() };
        let mut generation = Generation::read(&without_sizes(body), errors, false)?;
        generation.api = Api::V7;
        generation.samples = 1;
        generation.strength = strength;
        Ok(Self { generation, ratio_size, inits, masks })
    }
}

/// The start images in the form the model's schema names.
fn model_images(body: &Value, form: Images, errors: &mut FieldErrors) -> Vec<String> {
    let string = |field: &str, errors: &mut FieldErrors| match body.get(field) {
        Some(Value::String(image)) if !image.trim().is_empty() => Some(image.trim().to_owned()),
        None | Some(Value::Null) => {
            errors.add(field, format!("The {} field is required.", field.replace('_', " ")));
            None
        }
        Some(_) => {
            errors.add(field, format!("The {} must be one image URL.", field.replace('_', " ")));
            None
        }
    };
    match form {
        Images::One => string("init_image", errors).into_iter().collect(),
        Images::Pair => string("init_image", errors).into_iter().chain(string("init_image_2", errors)).collect(),
        Images::Array(max) => match body.get("init_image") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= max && items.iter().all(Value::is_string) => {
                items.iter().filter_map(Value::as_str).map(|i| i.trim().to_owned()).collect()
            }
            Some(Value::Array(items)) if items.len() > max => {
                errors.add("init_image", format!("The init image may hold at most {max} images."));
                Vec::new()
            }
            None | Some(Value::Null) => {
                errors.add("init_image", "The init image field is required.".to_owned());
                Vec::new()
            }
            Some(_) => {
                errors.add("init_image", "The init image must be an array of image URLs.".to_owned());
                Vec::new()
            }
        },
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
