//! ModelsLab's answers as its documentation shows them: the files of
//! `tests/corpus/modelslab-docs/` (each names its source), built into the sandbox so that it
//! answers in the documented shapes. The engine's tests read the same files through Easel's
//! parser, so the imitation and the parser are held to one quotation, not to each other.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

macro_rules! documented {
    ($($name:ident = $file:literal;)*) => {
        $(pub(super) static $name: LazyLock<Value> =
            LazyLock::new(|| body(include_str!(concat!("../../../../tests/corpus/modelslab-docs/", $file)), $file));)*
        /// Every documented answer the sandbox uses, by file name (for its tests).
        #[cfg(test)]
        pub(super) fn all() -> Vec<(&'static str, &'static Value)> {
            vec![$(($file, &*$name)),*]
        }
    };
}

documented! {
    TEXT2IMG_SUCCESS = "text2img_success.json";
    TEXT2IMG_PROCESSING = "text2img_processing.json";
    FETCH_SUCCESS = "fetch_success.json";
    FETCH_PROCESSING = "fetch_processing.json";
    REALTIME_FETCH_PROCESSING = "realtime_fetch_processing.json";
    INVALID_KEY = "error_401_invalid_key.json";
    CREDITS = "error_402_credits.json";
    PLAN = "error_403_plan.json";
    QUEUE_FULL = "error_429_queue_full.json";
    SERVER_ERROR = "error_500_server.json";
    UNAVAILABLE = "error_503_unavailable.json";
    MODEL_NOT_FOUND = "error_model_not_found.json";
    IMAGE_URL = "error_image_url.json";
    FAILED = "failed.json";
    WALLET_BALANCE = "wallet_balance.json";
    REQUEST_COUNT = "request_count.json";
    BASE64_TO_URL = "base64_to_url.json";
}

/// The `body` of a documented answer file. A file that does not read (a broken corpus) gives
/// an error answer that says so, never a panic in a running sandbox; the tests catch it.
fn body(text: &str, file: &str) -> Value {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|wrapper| wrapper.get("body").filter(|b| b.is_object()).cloned())
        .unwrap_or_else(|| json!({"status": "error", "message": format!("The sandbox's documented answer {file} does not read")}))
}

/// A documented answer with some of its fields replaced (and added).
pub(super) fn with(answer: &Value, fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let mut map: Map<String, Value> = answer.as_object().cloned().unwrap_or_default();
    for (key, value) in fields {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

/// The text of a documented answer's `message`, for answers built around it.
pub(super) fn message(answer: &Value) -> &str {
    answer.get("message").and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_answer_reads_and_has_a_status() {
        for (file, answer) in all() {
            let status = answer.get("status").and_then(Value::as_str);
            assert!(matches!(status, Some("success" | "processing" | "error" | "failed")), "{file}: {answer}");
        }
        assert!(FETCH_PROCESSING.get("id").is_none(), "the documented queued fetch has no id");
        assert_eq!(QUEUE_FULL["retry_after"], 30);
    }
}
