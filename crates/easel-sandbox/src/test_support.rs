//! What the sandbox's own tests share: a few HTTP calls and a ModelsLab generation request.

use serde_json::{Value, json};

use crate::Sandbox;

/// POSTs `body` as JSON; the answer's status and its body as JSON.
pub(crate) async fn post(url: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// POSTs `body` as JSON; the answer's status and its body as text.
pub(crate) async fn post_text(url: &str, body: Value) -> (u16, String) {
    let response = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

pub(crate) async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

/// The ModelsLab v6 text2img URL of `sandbox`.
pub(crate) fn text2img(sandbox: &Sandbox) -> String {
    format!("{}/api/v6/images/text2img", sandbox.base_url())
}

/// A small, valid ModelsLab text2img request.
pub(crate) fn generation() -> Value {
    json!({"key": "k", "model_id": "flux", "prompt": "a cat", "width": 320, "height": 256})
}

/// Decodes standard base64 (the tests' images travel so).
pub(crate) fn decode_base64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

/// Decodes a base64 image.
pub(crate) fn decode_image(text: &str) -> image::DynamicImage {
    image::load_from_memory(&decode_base64(text)).unwrap()
}
