//! ModelsLab's v7 models as the service checks them: each takes its own fields, from the
//! schemas of the official Python SDK (`modelslab-py` 0.2.3, `providers/*/schemas.py` and
//! `api.py`). A text-to-image id sent to image-to-image is refused, and the other way round;
//! an editing model gets its start images in the form its schema names. A model id the table
//! does not know (or none, as the official CLI sends by default) goes by the generic rules:
//! width and height, an aspect ratio, or neither.
//!
//! This table is the sandbox's own, written from the SDK and not from Easel: the sandbox
//! imitates the service, and must be able to disagree with Easel.

use serde_json::{Value, json};

/// Which v7 route a model serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Route {
    TextToImage,
    ImageToImage,
}

/// How an image-to-image model takes its start images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Images {
    /// `init_image`: one URL (or base64).
    One,
    /// `init_image`: a JSON array of at most this many.
    Array(usize),
    /// `init_image` and `init_image_2`, both required.
    Pair,
}

/// One model on one route.
#[derive(Clone, Copy, Debug)]
pub(super) struct Model {
    pub(super) id: &'static str,
    pub(super) route: Route,
    /// The aspect ratios it takes, and whether one is required.
    pub(super) ratios: Option<(&'static [&'static str], bool)>,
    /// It takes `width` and `height` (both required), from 512 to 1024.
    pub(super) sized: bool,
    /// Most pictures per request (`samples` is ignored by models that do not list it).
    pub(super) max_samples: u32,
    pub(super) images: Option<Images>,
    pub(super) provider: &'static str,
}

const IMAGEN: &[&str] = &["1:1", "3:4", "4:3", "9:16", "16:9"];
const SEEDREAM: &[&str] = &["1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"];
const SEEDREAM_EDIT: &[&str] = &["1:1", "4:3", "16:9", "9:16", "3:2", "2:3", "21:9"];
const KONTEXT: &[&str] = &["21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"];
const GEN4: &[&str] = &["16:9", "9:16", "1:1", "85:48", "4:3", "3:4", "113:48", "88:38", "7:3"];
/// What the generic rules take for models the table does not know.
pub(super) const GENERIC_RATIOS: &[&str] = &["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9"];

const fn t2i(id: &'static str, ratios: Option<(&'static [&'static str], bool)>, provider: &'static str) -> Model {
    Model { id, route: Route::TextToImage, ratios, sized: false, max_samples: 1, images: None, provider }
}

const fn i2i(id: &'static str, images: Images, ratios: Option<(&'static [&'static str], bool)>, provider: &'static str) -> Model {
    Model { id, route: Route::ImageToImage, ratios, sized: false, max_samples: 1, images: Some(images), provider }
}

pub(super) const MODELS: &[Model] = &[
    t2i("imagen-4", Some((IMAGEN, true)), "google"),
    t2i("imagen-4.0-fast-generate", Some((IMAGEN, true)), "google"),
    Model { max_samples: 4, ..t2i("imagen-4.0-ultra", Some((IMAGEN, true)), "google") },
    t2i("imagen-3", None, "google"),
    t2i("nano-banana-t2i", None, "google"),
    i2i("nano-banana", Images::Pair, None, "google"),
    t2i("nano-banana-pro", Some((IMAGEN, false)), "google"),
    i2i("nano-banana-pro", Images::Array(14), Some((IMAGEN, false)), "google"),
    t2i("seedream-4.5", Some((SEEDREAM, true)), "byteplus"),
    i2i("seedream-4.5-i2i", Images::Array(10), Some((SEEDREAM_EDIT, true)), "byteplus"),
    t2i("seedream-4", Some((SEEDREAM, true)), "byteplus"),
    i2i("seedream-4.0-i2i", Images::Array(10), None, "byteplus"),
    Model { sized: true, ..t2i("seedream-t2i", None, "byteplus") },
    i2i("seededit-i2i", Images::One, None, "byteplus"),
    Model { sized: true, ..t2i("flux-2-pro", None, "bfl") },
    i2i("flux-2-pro", Images::Array(10), None, "bfl"),
    i2i("flux-kontext-pro", Images::One, Some((KONTEXT, false)), "bfl"),
    t2i("gen4_image", Some((GEN4, true)), "runway"),
    i2i("gen4_image_turbo", Images::Pair, None, "runway"),
];

/// The model `id` on `route`, if the table knows it there.
pub(super) fn find(id: &str, route: Route) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.id == id && m.route == route)
}

/// Whether the table knows `id` on any route.
pub(super) fn known(id: &str) -> bool {
    MODELS.iter().any(|m| m.id == id)
}

/// What `model-search/{id}` answers for a model of the table: its endpoints, each with a JSON
/// Schema of its parameters. The documentation says only that the answer "includes
/// `parameters` JSON Schema"; this shape is the sandbox's reading of that sentence.
pub(super) fn details(id: &str) -> Option<Value> {
    let endpoints: Vec<Value> = MODELS.iter().filter(|m| m.id == id).map(endpoint).collect();
    let first = MODELS.iter().find(|m| m.id == id)?;
    Some(json!({
        "status": "success",
        "data": {"model_id": id, "name": id, "provider": first.provider, "feature": "imagen", "endpoints": endpoints},
    }))
}

fn endpoint(model: &Model) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = vec![json!("prompt"), json!("model_id")];
    properties.insert("prompt".into(), json!({"type": "string"}));
    properties.insert("model_id".into(), json!({"type": "string", "enum": [model.id]}));
    if let Some((ratios, needed)) = model.ratios {
        properties.insert("aspect_ratio".into(), json!({"type": "string", "enum": ratios}));
        if needed {
            required.push(json!("aspect_ratio"));
        }
    }
    if model.sized {
        for side in ["width", "height"] {
            properties.insert(side.into(), json!({"type": "integer", "minimum": 512, "maximum": 1024}));
            required.push(json!(side));
        }
    }
    if model.max_samples > 1 {
        properties.insert("samples".into(), json!({"type": "integer", "minimum": 1, "maximum": model.max_samples}));
    }
    match model.images {
        Some(Images::Array(max)) => {
            properties.insert("init_image".into(), json!({"type": "array", "items": {"type": "string"}, "maxItems": max}));
        }
        Some(Images::One) => {
            properties.insert("init_image".into(), json!({"type": "string"}));
        }
        Some(Images::Pair) => {
            properties.insert("init_image".into(), json!({"type": "string"}));
            properties.insert("init_image_2".into(), json!({"type": "string"}));
            required.push(json!("init_image_2"));
        }
        None => {}
    }
    if model.images.is_some() {
        required.push(json!("init_image"));
    }
    let path = match model.route {
        Route::TextToImage => "/api/v7/images/text-to-image",
        Route::ImageToImage => "/api/v7/images/image-to-image",
    };
    json!({"endpoint": path, "parameters": {"type": "object", "required": required, "properties": properties}})
}
