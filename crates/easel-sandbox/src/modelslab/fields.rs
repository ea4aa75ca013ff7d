//! How one field of a ModelsLab request is read and checked. ModelsLab takes numbers as JSON
//! numbers or numeric strings and flags as booleans or `"yes"`; every problem is collected in
//! [`FieldErrors`] and answered together.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use super::answers;
use crate::reply::Rejection;

/// The long side of a v7 image, in pixels.
pub(super) const V7_LONG_SIDE: u32 = 1024;

/// Validation messages by field, reported together.
#[derive(Default)]
pub(super) struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    /// Unwraps a field's parse result, recording the error (and giving `None`) if it failed.
    pub(super) fn check<T>(&mut self, field: &str, result: Result<Option<T>, String>) -> Option<T> {
        result.unwrap_or_else(|message| {
            self.add(field, message);
            None
        })
    }

    pub(super) fn add(&mut self, field: &str, message: String) {
        if let Value::Array(messages) = self.0.entry(field).or_insert_with(|| Value::Array(Vec::new())) {
            messages.push(Value::String(message));
        }
    }

    pub(super) fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<FieldErrors> for Rejection {
    fn from(errors: FieldErrors) -> Self {
        answers::validation_errors(errors.0)
    }
}

/// HTTP 400 about one field.
pub(super) fn field_error(field: &str, message: &str) -> Rejection {
    let mut errors = FieldErrors::default();
    errors.add(field, message.to_owned());
    errors.into()
}

/// A string field; absent or null gives `None`.
pub(super) fn text(body: &Value, field: &str) -> Result<Option<String>, String> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(format!("The {field} must be a string.")),
    }
}

/// An integer field given as a number or numeric string, within `range`; absent, null or an
/// empty string gives `None`.
pub(super) fn integer(body: &Value, field: &str, range: RangeInclusive<u64>) -> Result<Option<u64>, String> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
        Some(Value::Number(number)) => number.as_u64(),
        Some(_) => None,
    };
    match value {
        Some(value) if range.contains(&value) => Ok(Some(value)),
        Some(_) => Err(format!("{field} must be between {} and {}", range.start(), range.end())),
        None => Err(format!("The {field} must be a whole number.")),
    }
}

/// A numeric field given as a number or numeric string; absent, null or empty gives `None`.
pub(super) fn number(body: &Value, field: &str) -> Result<Option<f64>, String> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => text.trim().parse::<f64>().ok(),
        Some(Value::Number(number)) => number.as_f64(),
        Some(_) => None,
    };
    match value {
        Some(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(format!("The {field} must be a number.")),
    }
}

/// A number between 0 and 1 (as a number or numeric string); absent or null gives `None`.
pub(super) fn unit_interval(body: &Value, field: &str) -> Result<Option<f64>, String> {
    match number(body, field)? {
        Some(value) if !(0.0..=1.0).contains(&value) => Err(format!("{field} must be between 0 and 1")),
        value => Ok(value),
    }
}

/// A yes/no flag given as a JSON boolean or as `"yes"`/`"true"`/`"1"` (anything else is no).
pub(super) fn flag(body: &Value, field: &str) -> bool {
    match body.get(field) {
        Some(Value::Bool(value)) => *value,
        Some(Value::String(text)) => {
            matches!(text.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1")
        }
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

/// The output size for `aspect_ratio`, one of `allowed`: the long side is [`V7_LONG_SIDE`],
/// the short side is rounded to a multiple of 8. With `required`, a missing ratio is an error.
pub(super) fn aspect_ratio(body: &Value, allowed: &[&str], required: bool) -> Result<Option<(u32, u32)>, String> {
    let ratio = match body.get("aspect_ratio") {
        None | Some(Value::Null) if !required => return Ok(None),
        None | Some(Value::Null) => return Err("The aspect ratio field is required.".to_owned()),
        Some(Value::String(text)) => allowed.iter().find(|known| **known == text.trim()),
        _ => None,
    };
    let Some((w, h)) = ratio.and_then(|ratio| ratio.split_once(':')) else {
        return Err(format!("aspect_ratio must be one of {}", allowed.join(", ")));
    };
    let (w, h): (u32, u32) = (w.parse().unwrap_or(1).max(1), h.parse().unwrap_or(1).max(1));
    let short = |num: u32, den: u32| {
        let exact = f64::from(V7_LONG_SIDE) * f64::from(num) / f64::from(den);
        ((exact / 8.0).round() as u32 * 8).max(8)
    };
    Ok(Some(if w >= h { (V7_LONG_SIDE, short(h, w)) } else { (short(w, h), V7_LONG_SIDE) }))
}

/// A required image field: one string, or a non-empty array of strings.
pub(super) fn image_list(body: &Value, field: &str, errors: &mut FieldErrors) -> Vec<String> {
    let name = field.replace('_', " ");
    match body.get(field) {
        Some(Value::String(image)) => vec![image.trim().to_owned()],
        Some(Value::Array(images)) if !images.is_empty() => images.iter().filter_map(Value::as_str).map(|i| i.trim().to_owned()).collect(),
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            errors.add(field, format!("The {name} field is required."));
            Vec::new()
        }
        Some(_) => {
            errors.add(field, format!("The {name} must be a string or an array of strings."));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aspect_ratios_keep_the_long_side_and_round_the_short_one() {
        let all = ["3:2", "9:16", "1:1", "85:48"];
        for (ratio, size) in [("3:2", (1024, 680)), ("9:16", (576, 1024)), ("1:1", (1024, 1024)), ("85:48", (1024, 576))] {
            let body = json!({"key": "k", "model_id": "m", "prompt": "p", "aspect_ratio": ratio});
            assert_eq!(aspect_ratio(&body, &all, true), Ok(Some(size)), "{ratio}");
        }
        assert_eq!(aspect_ratio(&json!({}), &all, false), Ok(None));
        assert_eq!(aspect_ratio(&json!({}), &all, true), Err("The aspect ratio field is required.".to_owned()));
        assert!(aspect_ratio(&json!({"aspect_ratio": "2:3"}), &all, false).unwrap_err().starts_with("aspect_ratio must be one of 3:2"));
    }

    #[test]
    fn numbers_come_as_numbers_or_numeric_strings() {
        let body = json!({"w": "96", "h": 64, "empty": " ", "bad": "wide", "big": 9, "flag": "Yes"});
        assert_eq!(integer(&body, "w", 1..=100), Ok(Some(96)));
        assert_eq!(integer(&body, "h", 1..=100), Ok(Some(64)));
        assert_eq!(integer(&body, "empty", 1..=100), Ok(None));
        assert_eq!(integer(&body, "bad", 1..=100), Err("The bad must be a whole number.".to_owned()));
        assert_eq!(integer(&body, "big", 1..=4), Err("big must be between 1 and 4".to_owned()));
        assert!(flag(&body, "flag") && !flag(&body, "w"));
    }
}
