//! How a field of an A1111 request is read and checked, the way pydantic does: integral floats
//! and numeric strings pass as integers, and every problem is collected as one `detail` entry.

use std::ops::RangeInclusive;

use serde_json::{Map, Value, json};

use super::answers::{detail, unprocessable};
use crate::reply::Rejection;

/// Parses a JSON object body, or gives FastAPI's 422.
pub(super) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, Rejection> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(unprocessable(vec![detail(json!(["body"]), "field required", "value_error.missing")]));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(body)) => Ok(body),
        Ok(_) => Err(unprocessable(vec![detail(json!(["body"]), "value is not a valid dict", "type_error.dict")])),
        Err(err) => Err(unprocessable(vec![detail(
            json!(["body", err.column().saturating_sub(1)]),
            &format!("Expecting value: line {} column {}", err.line(), err.column()),
            "value_error.jsondecode",
        )])),
    }
}

/// pydantic-style validation errors, collected.
#[derive(Default)]
pub(super) struct Details(Vec<Value>);

impl Details {
    pub(super) fn push(&mut self, field: &[&str], msg: &str, kind: &str) {
        let mut loc = vec!["body"];
        loc.extend_from_slice(field);
        self.push_at(json!(loc), msg, kind);
    }

    pub(super) fn push_at(&mut self, loc: Value, msg: &str, kind: &str) {
        self.0.push(detail(loc, msg, kind));
    }

    /// A string field; absent or null gives `None`.
    pub(super) fn text(&mut self, body: &Map<String, Value>, field: &str) -> Option<String> {
        match body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                self.push(&[field], "str type expected", "type_error.str");
                None
            }
        }
    }

    /// An integer (pydantic also takes integral floats and numeric strings) within `range`.
    pub(super) fn integer(&mut self, body: &Map<String, Value>, field: &str, range: RangeInclusive<i64>, default: i64) -> i64 {
        let value = match body.get(field) {
            None | Some(Value::Null) => return default,
            Some(Value::Number(number)) => {
                number.as_i64().or_else(|| number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
            }
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(_) => None,
        };
        let Some(value) = value else {
            self.push(&[field], "value is not a valid integer", "type_error.integer");
            return default;
        };
        self.in_range(field, value, *range.start(), *range.end()).unwrap_or(default)
    }

    /// A number within `range`.
    pub(super) fn number(&mut self, body: &Map<String, Value>, field: &str, range: RangeInclusive<f64>, default: f64) -> f64 {
        let value = match body.get(field) {
            None | Some(Value::Null) => return default,
            Some(Value::Number(number)) => number.as_f64(),
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(_) => None,
        };
        let Some(value) = value.filter(|value: &f64| value.is_finite()) else {
            self.push(&[field], "value is not a valid float", "type_error.float");
            return default;
        };
        self.in_range(field, value, *range.start(), *range.end()).unwrap_or(default)
    }

    fn in_range<T: PartialOrd + std::fmt::Display>(&mut self, field: &str, value: T, min: T, max: T) -> Option<T> {
        if value < min {
            let msg = format!("ensure this value is greater than or equal to {min}");
            self.push(&[field], &msg, "value_error.number.not_ge");
            None
        } else if value > max {
            let msg = format!("ensure this value is less than or equal to {max}");
            self.push(&[field], &msg, "value_error.number.not_le");
            None
        } else {
            Some(value)
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// FastAPI's 422 listing every error found.
    pub(super) fn into_rejection(self) -> Rejection {
        unprocessable(self.0)
    }
}
