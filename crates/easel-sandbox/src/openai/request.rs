//! Reading and checking an image request the way OpenAI does, per model: the first problem
//! found gives a 400 naming its `param`, in OpenAI's wording. Generations arrive as JSON,
//! edits as a form whose fields are all text; both are checked by the same rules (spec
//! `CreateImageRequest`, `CreateImageEditRequest`, and where it says more, the SDK 3.57's
//! `types/image_generate_params.py` and `image_edit_params.py`; `null` counts as absent, as
//! the spec's `nullable` says).
//!
//! Not taken: GIF and SVG output and their fields (`frame_count`, `frame_duration_ms`, `svg`),
//! which the SDK says need preview or project access, which the sandbox's account has not;
//! they are refused as unknown values and parameters (OpenAI's own wording for that is
//! unconfirmed).

use serde_json::{Map, Value};

use super::answers;
use super::catalog::Family;
use crate::reply::Rejection;

/// Largest `n`.
const MAX_IMAGES: u64 = 10;

/// The fields a generation takes.
const GENERATION_FIELDS: &[&str] = &[
    "prompt",
    "complexity",
    "model",
    "n",
    "quality",
    "response_format",
    "output_format",
    "output_compression",
    "stream",
    "partial_images",
    "size",
    "moderation",
    "background",
    "style",
    "user",
    "safety_identifier",
];
/// The fields an edit takes besides its files.
const EDIT_FIELDS: &[&str] = &[
    "prompt",
    "complexity",
    "background",
    "model",
    "n",
    "size",
    "response_format",
    "output_format",
    "output_compression",
    "user",
    "safety_identifier",
    "input_fidelity",
    "stream",
    "partial_images",
    "quality",
];

/// A checked request for `n` images.
pub(super) struct ImageRequest {
    pub(super) model: String,
    pub(super) family: Family,
    pub(super) prompt: String,
    pub(super) n: u32,
    pub(super) width: u32,
    pub(super) height: u32,
    /// `size` as sent, for error messages.
    pub(super) size_text: String,
    response_format: Option<String>,
    pub(super) quality: Option<String>,
    background: Option<String>,
    output_format: Option<String>,
    pub(super) stream: bool,
    pub(super) partial_images: u32,
    /// An edit (`/v1/images/edits`) rather than a generation.
    pub(super) edit: bool,
}

/// Reads the request's fields; `form`: they came as text and numbers are read from it.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    form: bool,
}

impl Fields<'_> {
    /// The field, `None` when absent or `null`.
    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn text(&self, name: &str) -> Result<Option<String>, Rejection> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(invalid_type(name, "a string", other)),
        }
    }

    fn integer(&self, name: &str) -> Result<Option<i64>, Rejection> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(text)) if self.form => {
                text.trim().parse().map(Some).map_err(|_| invalid_type(name, "an integer", &Value::String(text.clone())))
            }
            Some(other) => Err(invalid_type(name, "an integer", other)),
        }
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, Rejection> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(text)) if self.form && matches!(text.as_str(), "true" | "false") => Ok(Some(text == "true")),
            Some(other) => Err(invalid_type(name, "a boolean", other)),
        }
    }

    /// A string that must be one of `allowed`.
    fn choice(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, Rejection> {
        let Some(value) = self.text(name)? else { return Ok(None) };
        if allowed.contains(&value.as_str()) {
            return Ok(Some(value));
        }
        let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        Err(answers::invalid(&format!("Invalid value: '{value}'. Supported values are: {}.", list.join(", ")), name, "invalid_value"))
    }
}

fn invalid_type(name: &str, wanted: &str, got: &Value) -> Rejection {
    answers::invalid(&format!("Invalid type for '{name}': expected {wanted}, but got {} instead.", json_type(got)), name, "invalid_type")
}

/// A parameter this model family does not take.
fn not_for_model(name: &str, model: &str) -> Rejection {
    answers::invalid(&format!("The '{name}' parameter is not supported for model '{model}'."), name, "unsupported_parameter")
}

impl ImageRequest {
    /// Parses a JSON generation body, or gives the answer OpenAI would send for its first
    /// problem (an unknown model: 404).
    pub(super) fn from_json(bytes: &[u8], legacy: bool) -> Result<Self, Rejection> {
        let body: Value = serde_json::from_slice(bytes).ok().filter(Value::is_object).ok_or_else(answers::malformed_json)?;
        let Value::Object(map) = body else { return Err(answers::malformed_json()) };
        Self::check(&Fields { map: &map, form: false }, legacy, false)
    }

    /// Checks the text fields of an edit form (its files are checked in `edits.rs`).
    pub(super) fn from_form(map: &Map<String, Value>, legacy: bool) -> Result<Self, Rejection> {
        Self::check(&Fields { map, form: true }, legacy, true)
    }

    fn check(f: &Fields<'_>, legacy: bool, edit: bool) -> Result<Self, Rejection> {
        let known = if edit { EDIT_FIELDS } else { GENERATION_FIELDS };
        if let Some(unknown) = f.map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(answers::invalid(&format!("Unknown parameter: '{unknown}'."), unknown, "unknown_parameter"));
        }
        let prompt = match f.text("prompt")? {
            None => return Err(answers::invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")),
            Some(p) if p.trim().is_empty() => {
                return Err(answers::invalid(
                    "Invalid 'prompt': string too short. Expected a string with minimum length 1, but got an empty string instead.",
                    "prompt",
                    "string_below_min_length",
                ));
            }
            Some(p) => p,
        };
        // The spec's defaults: dall-e-2 for generations, gpt-image-1.5 for edits. (The SDK says
        // only "Specify a model explicitly"; what OpenAI does without one now is unconfirmed.)
        let model = f.text("model")?.map(|m| m.trim().to_owned()).unwrap_or_else(|| if edit { "gpt-image-1.5" } else { "dall-e-2" }.into());
        let family = Family::of(&model, legacy).ok_or_else(|| answers::model_not_found_rejection(&model))?;
        if edit && family == Family::Dalle3 {
            return Err(answers::invalid("Image editing is not supported for model 'dall-e-3'.", "model", "invalid_value"));
        }
        let limit = family.max_prompt();
        if prompt.chars().count() > limit {
            return Err(answers::invalid(
                &format!(
                    "Invalid 'prompt': string too long. Expected a string with maximum length {limit}, but got a string with length {} instead.",
                    prompt.chars().count()
                ),
                "prompt",
                "string_above_max_length",
            ));
        }
        let n = match f.integer("n")? {
            None => 1,
            Some(n) if n < 1 => {
                return Err(answers::invalid(
                    &format!("Invalid 'n': integer below minimum value. Expected a value >= 1, but got {n} instead."),
                    "n",
                    "integer_below_min_value",
                ));
            }
            Some(n) if n as u64 > MAX_IMAGES => {
                return Err(answers::invalid(
                    &format!("Invalid 'n': integer above maximum value. Expected a value <= {MAX_IMAGES}, but got {n} instead."),
                    "n",
                    "integer_above_max_value",
                ));
            }
            Some(n) => n as u32,
        };
        if family == Family::Dalle3 && n > 1 {
            return Err(answers::invalid("You must provide n=1 for this model.", "n", "invalid_value"));
        }
        let default_size = if family == Family::Dalle2 || edit { "1024x1024" } else { "auto" };
        let size_text = match f.get("size") {
            None => default_size.to_owned(),
            Some(Value::String(size)) => size.clone(),
            Some(other) => other.to_string(),
        };
        let (width, height) = family.size(&size_text, edit).ok_or_else(|| answers::invalid_size(&size_text, &family.size_help(edit)))?;
        let response_format = if family.gpt_image() {
            if f.get("response_format").is_some() {
                return Err(answers::invalid("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter"));
            }
            None
        } else {
            f.choice("response_format", &["url", "b64_json"])?
        };
        let quality = f.choice("quality", family.qualities())?;
        let gpt_only = ["background", "output_format", "output_compression", "moderation", "stream", "partial_images", "complexity"];
        if !family.gpt_image()
            && let Some(name) = gpt_only.iter().find(|name| f.get(name).is_some())
        {
            return Err(not_for_model(name, &model));
        }
        if family != Family::Dalle3 && f.get("style").is_some() {
            return Err(not_for_model("style", &model));
        }
        f.choice("style", &["vivid", "natural"])?;
        f.choice("moderation", &["low", "auto"])?;
        if let Some(fidelities) = family.fidelities(&model) {
            f.choice("input_fidelity", fidelities)?;
        } else if f.get("input_fidelity").is_some() {
            return Err(not_for_model("input_fidelity", &model));
        }
        f.choice("complexity", &["low", "medium", "high"])?;
        let background = f.choice("background", &["transparent", "opaque", "auto"])?;
        let output_format = f.choice("output_format", &["png", "jpeg", "webp"])?;
        let lossy = matches!(output_format.as_deref(), Some("jpeg" | "webp"));
        if background.as_deref() == Some("transparent") && !matches!(output_format.as_deref(), None | Some("png" | "webp")) {
            return Err(answers::invalid(
                "Transparent background is not supported for the 'jpeg' output format. Use 'png' or 'webp'.",
                "background",
                "invalid_value",
            ));
        }
        match f.integer("output_compression")? {
            Some(c) if !(0..=100).contains(&c) => {
                return Err(answers::invalid(
                    &format!("Invalid 'output_compression': expected a value between 0 and 100, but got {c} instead."),
                    "output_compression",
                    "invalid_value",
                ));
            }
            Some(c) if c < 100 && !lossy => {
                return Err(answers::invalid(
                    "Compression less than 100 is not supported for PNG output format.",
                    "output_compression",
                    "invalid_value",
                ));
            }
            _ => {}
        }
        let stream = f.boolean("stream")?.unwrap_or(false);
        let partial_images = match f.integer("partial_images")? {
            None => 0,
            Some(p) if (0..=3).contains(&p) => p as u32,
            Some(p) => {
                return Err(answers::invalid(
                    &format!("Invalid 'partial_images': expected a value between 0 and 3, but got {p} instead."),
                    "partial_images",
                    "invalid_value",
                ));
            }
        };
        Ok(Self {
            model,
            family,
            prompt,
            n,
            width,
            height,
            size_text,
            response_format,
            quality,
            background,
            output_format,
            stream,
            partial_images,
            edit,
        })
    }

    /// GPT image models always answer base64; the others only when asked.
    pub(super) fn wants_base64(&self) -> bool {
        self.family.gpt_image() || self.response_format.as_deref() == Some("b64_json")
    }

    /// The format of the answer's images (`png` unless a GPT image model asked for another).
    pub(super) fn output_format(&self) -> &str {
        self.output_format.as_deref().unwrap_or("png")
    }

    /// Whether the images are made with a transparent background.
    pub(super) fn transparent(&self) -> bool {
        self.background.as_deref() == Some("transparent")
    }
}

/// "string", "an integer", … as OpenAI names JSON types in messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_calls::{BEARER, call};
    use crate::{Sandbox, SandboxConfig};
    use serde_json::json;

    #[tokio::test]
    async fn requests_are_checked_per_model_as_openai_checks_them() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let refused = |body: serde_json::Value, param: &'static str, status: u16| {
            let sandbox = &sandbox;
            async move {
                let (got, _, reply) = call(sandbox, BEARER, body.clone()).await;
                assert_eq!((got, reply["error"]["param"].as_str()), (status, (!param.is_empty()).then_some(param)), "{body}: {reply}");
                for field in ["message", "type", "param", "code"] {
                    assert!(reply["error"].get(field).is_some(), "{field}");
                }
            }
        };
        refused(json!({"model": "gpt-image-1.5", "prompt": "x", "response_format": "b64_json"}), "response_format", 400).await;
        refused(json!({"model": "gpt-image-1.5", "prompt": "x", "size": "1536x864"}), "size", 400).await;
        refused(json!({"model": "gpt-image-2.6-sunburst", "prompt": "x", "size": "1536x864"}), "size", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "quality": "xhigh"}), "quality", 400).await;
        refused(json!({"model": "gpt-image-2.6-flare", "prompt": "x", "quality": "max"}), "quality", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "complexity": "extreme"}), "complexity", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "output_format": "gif"}), "output_format", 400).await;
        refused(json!({"model": "gpt-image-1", "prompt": "x"}), "", 404).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "size": "1600x512"}), "size", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "quality": "hd"}), "quality", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "background": "transparent", "output_format": "jpeg"}), "background", 400)
            .await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "output_compression": 50}), "output_compression", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "partial_images": 4, "stream": true}), "partial_images", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "seed": 42}), "seed", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x".repeat(32_001)}), "prompt", 400).await;
        refused(json!({"model": "gpt-image-2", "prompt": "x", "n": 11}), "n", 400).await;
        refused(json!({"model": "dall-e-3", "prompt": "x"}), "", 404).await;
        refused(json!({"model": "gpt-image-9", "prompt": "x"}), "", 404).await;
        assert_eq!(sandbox.max_in_flight(), 0, "refused before any work");

        let ok = json!({"model": "gpt-image-2", "prompt": "x".repeat(32_000), "size": "1536x864", "quality": "low",
                        "background": "transparent", "output_format": "webp", "output_compression": 80, "moderation": "low",
                        "n": null, "user": "u-1"});
        let (status, _, reply) = call(&sandbox, BEARER, ok).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(
            (reply["size"].as_str(), reply["output_format"].as_str(), reply["background"].as_str()),
            (Some("1536x864"), Some("webp"), Some("transparent"))
        );
        let max = json!({"model": "gpt-image-2.5-sunburst", "prompt": "x", "size": "3840x2160", "quality": "max", "complexity": "high"});
        let (status, _, reply) = call(&sandbox, BEARER, max).await;
        assert_eq!((status, reply["quality"].as_str()), (200, Some("max")), "{reply}");
    }
}
