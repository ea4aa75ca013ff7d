//! `multipart/form-data` bodies (OpenAI's image edits): reading their fields, and showing them
//! as JSON in the request log, so tests can check what a client uploaded.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart};
use axum::http::{HeaderMap, Request, header};
use serde_json::{Map, Value, json};

use crate::images::{encode_base64, image_size, supported_format};

/// One field of a form.
pub(crate) struct FormField {
    pub(crate) name: String,
    pub(crate) value: FieldValue,
}

/// A field's text, or the file it carries.
pub(crate) enum FieldValue {
    Text(String),
    File { file_name: Option<String>, content_type: Option<String>, bytes: Bytes },
}

/// Whether the body is declared a multipart form.
pub(crate) fn is_multipart(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim_start().starts_with("multipart/form-data"))
}

/// Every field of a multipart body, in order; `Err` says why it does not read as one.
pub(crate) async fn read(headers: &HeaderMap, body: Bytes) -> Result<Vec<FormField>, String> {
    let mut request = Request::new(Body::from(body));
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        request.headers_mut().insert(header::CONTENT_TYPE, content_type.clone());
    }
    let mut form = Multipart::from_request(request, &()).await.map_err(|e| e.body_text())?;
    let mut fields = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| e.body_text())?;
        let value = if file_name.is_some() {
            FieldValue::File { file_name, content_type, bytes }
        } else {
            FieldValue::Text(String::from_utf8_lossy(&bytes).into_owned())
        };
        fields.push(FormField { name, value });
    }
    Ok(fields)
}

/// The form as the request log shows it: text fields as strings, files as what they are
/// (`file_name`, `content_type`, `bytes`, and for images `format`, `width`, `height`,
/// `alpha`, then the file itself as `base64`); a field sent more than once as a list.
pub(crate) fn as_json(fields: &[FormField]) -> Value {
    let mut shown = Map::new();
    for field in fields {
        let value = match &field.value {
            FieldValue::Text(text) => Value::String(text.clone()),
            FieldValue::File { file_name, content_type, bytes } => {
                let mut file = json!({"file_name": file_name, "content_type": content_type, "bytes": bytes.len()});
                if let (Some(format), Some((width, height))) = (supported_format(bytes), image_size(bytes)) {
                    file["format"] = json!(format.extensions_str().first().copied().unwrap_or("image"));
                    file["width"] = json!(width);
                    file["height"] = json!(height);
                    file["alpha"] = json!(has_alpha(bytes));
                }
                file["base64"] = json!(encode_base64(bytes));
                file
            }
        };
        match shown.get_mut(&field.name) {
            Some(Value::Array(items)) if field.name.ends_with("[]") => items.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None if field.name.ends_with("[]") => {
                shown.insert(field.name.clone(), Value::Array(vec![value]));
            }
            None => {
                shown.insert(field.name.clone(), value);
            }
        }
    }
    Value::Object(shown)
}

/// Whether an encoded image has an alpha channel (by its header, not its pixels).
pub(crate) fn has_alpha(bytes: &[u8]) -> bool {
    let Some(format) = supported_format(bytes) else { return false };
    image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_decoder()
        .map(|decoder| image::ImageDecoder::color_type(&decoder).has_alpha())
        .unwrap_or(false)
}
