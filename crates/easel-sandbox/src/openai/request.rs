//! Reading and checking an image request the way OpenAI does: the first problem found gives
//! a 400 naming its `param`, in OpenAI's wording.

use std::ops::RangeInclusive;

use serde_json::Value;

use super::answers;
use crate::reply::Rejection;

/// Largest `n`.
const MAX_IMAGES: u64 = 10;
/// Smallest and largest side `size` may ask for.
pub(super) const SIDES: RangeInclusive<u32> = 256..=2048;
/// The size used when `size` is absent or `auto`.
const DEFAULT_SIDE: u32 = 1024;

/// A request for `n` images, checked the way OpenAI checks it.
pub(super) struct ImageRequest {
    pub(super) model: String,
    pub(super) prompt: String,
    pub(super) n: u32,
    pub(super) width: u32,
    pub(super) height: u32,
    /// `size` as sent, for error messages.
    pub(super) size_text: String,
    response_format: Option<String>,
    pub(super) quality: Option<String>,
    pub(super) gpt_image: bool,
}

impl ImageRequest {
    /// Parses the body, or gives the 400 OpenAI would send for its first problem.
    pub(super) fn parse(bytes: &[u8]) -> Result<Self, Rejection> {
        let body: Value = serde_json::from_slice(bytes).ok().filter(Value::is_object).ok_or_else(answers::malformed_json)?;
        let prompt = match body.get("prompt") {
            Some(Value::String(prompt)) if !prompt.trim().is_empty() => prompt.clone(),
            None | Some(Value::Null) => {
                return Err(answers::invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"));
            }
            Some(Value::String(_)) => {
                return Err(answers::invalid(
                    "Invalid 'prompt': string too short. Expected a string with minimum length 1, \
                     but got an empty string instead.",
                    "prompt",
                    "string_below_min_length",
                ));
            }
            Some(other) => {
                return Err(answers::invalid(
                    &format!("Invalid type for 'prompt': expected a string, but got {} instead.", json_type(other)),
                    "prompt",
                    "invalid_type",
                ));
            }
        };
        let model = match body.get("model") {
            None | Some(Value::Null) => "dall-e-2".to_owned(),
            Some(Value::String(model)) => model.trim().to_owned(),
            Some(other) => {
                return Err(answers::invalid(
                    &format!("Invalid type for 'model': expected a string, but got {} instead.", json_type(other)),
                    "model",
                    "invalid_type",
                ));
            }
        };
        let gpt_image = model.to_ascii_lowercase().starts_with("gpt-image");
        let n = match body.get("n") {
            None | Some(Value::Null) => 1,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(0) => {
                    return Err(answers::invalid(
                        "Invalid 'n': integer below minimum value. Expected a value >= 1, but \
                         got 0 instead.",
                        "n",
                        "integer_below_min_value",
                    ));
                }
                Some(n) if n <= MAX_IMAGES => n as u32,
                _ => {
                    return Err(answers::invalid(
                        &format!(
                            "Invalid 'n': integer above maximum value. Expected a value <= \
                             {MAX_IMAGES}, but got {n} instead."
                        ),
                        "n",
                        "integer_above_max_value",
                    ));
                }
            },
            Some(other) => {
                return Err(answers::invalid(
                    &format!("Invalid type for 'n': expected an integer, but got {} instead.", json_type(other)),
                    "n",
                    "invalid_type",
                ));
            }
        };
        if model == "dall-e-3" && n > 1 {
            return Err(answers::invalid("You must provide n=1 for this model.", "n", "invalid_value"));
        }
        let size_text = match body.get("size") {
            None | Some(Value::Null) => "auto".to_owned(),
            Some(Value::String(size)) => size.clone(),
            Some(other) => other.to_string(),
        };
        let (width, height) = parse_size(&size_text).ok_or_else(|| answers::invalid_size(&size_text))?;
        let response_format = match body.get("response_format") {
            None | Some(Value::Null) => None,
            Some(_) if gpt_image => {
                return Err(answers::invalid("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter"));
            }
            Some(Value::String(format)) if format == "url" || format == "b64_json" => Some(format.clone()),
            Some(other) => {
                return Err(answers::invalid(
                    &format!("Invalid value: {other}. Supported values are: 'url' and 'b64_json'."),
                    "response_format",
                    "invalid_value",
                ));
            }
        };
        let quality = body.get("quality").and_then(Value::as_str).map(str::to_owned);
        Ok(Self { model, prompt, n, width, height, size_text, response_format, quality, gpt_image })
    }

    /// GPT image models always answer base64; the others only when asked.
    pub(super) fn wants_base64(&self) -> bool {
        self.gpt_image || self.response_format.as_deref() == Some("b64_json")
    }
}

/// `WxH` with both sides in [`SIDES`]; `auto` means 1024×1024.
fn parse_size(size: &str) -> Option<(u32, u32)> {
    let size = size.trim();
    if size == "auto" {
        return Some((DEFAULT_SIDE, DEFAULT_SIDE));
    }
    let (width, height) = size.split_once(['x', 'X'])?;
    let width: u32 = width.trim().parse().ok()?;
    let height: u32 = height.trim().parse().ok()?;
    (SIDES.contains(&width) && SIDES.contains(&height)).then_some((width, height))
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
    use super::*;
    use crate::{Sandbox, SandboxConfig};
    use serde_json::json;

    #[test]
    fn sizes_are_wxh_within_the_sides_or_auto() {
        assert_eq!(parse_size(" 256x320 "), Some((256, 320)));
        assert_eq!(parse_size("1536X1024"), Some((1536, 1024)));
        assert_eq!(parse_size("auto"), Some((1024, 1024)));
        for size in ["100x100", "1024", "4096x1024", "axb"] {
            assert_eq!(parse_size(size), None, "{size}");
        }
    }

    #[tokio::test]
    async fn gpt_image_refuses_response_format_and_sizes_are_checked() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let body = json!({"model": "gpt-image-1", "prompt": "x", "response_format": "b64_json"});
        let (status, _, reply) = call(&sandbox, BEARER, body).await;
        assert_eq!(status, 400);
        assert_eq!(
            reply,
            json!({"error": {"message": "Unknown parameter: 'response_format'.",
                             "type": "invalid_request_error", "param": "response_format",
                             "code": "unknown_parameter"}})
        );
        for size in ["100x100", "1024", "4096x1024", "axb"] {
            let body = json!({"model": "gpt-image-1", "prompt": "x", "size": size});
            let (status, _, reply) = call(&sandbox, BEARER, body).await;
            assert_eq!((status, &reply["error"]["param"]), (400, &json!("size")), "{size}");
        }
        let (status, _, reply) = call(&sandbox, BEARER, json!({"n": 11, "prompt": "x"})).await;
        assert_eq!((status, &reply["error"]["param"]), (400, &json!("n")));
        assert_eq!(sandbox.max_in_flight(), 0);
    }
}
