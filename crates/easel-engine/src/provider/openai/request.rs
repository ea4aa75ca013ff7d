//! The two requests a generation may be: `POST images/generations` (JSON, from words) and
//! `POST images/edits` (multipart, from start images and maybe a mask).
//!
//! What each carries follows the spec's `CreateImageRequest` and `CreateImageEditRequest`:
//! GPT image models get their options and never `response_format` (they always answer
//! base64); the others are asked for `b64_json`, so there is no short-lived URL to race
//! against. Several start images travel as `image[]`, one as `image`, as OpenAI's SDK sends
//! them.

use super::models;
use crate::http::{FormPart, FormValue};
use crate::provider::{GenerateRequest, InitImage};
use crate::request::GenerationSettings;
use base64::Engine as _;
use serde_json::{Map, Value, json};

/// The fields of either request, as JSON values (a form sends each as text). An edit takes
/// no `moderation` and no `style`, a generation no `input_fidelity` (spec and SDK 3.57).
fn common_fields(s: &GenerationSettings, edit: bool) -> Map<String, Value> {
    let row = models::find(&s.model);
    let mut fields = Map::new();
    fields.insert("model".into(), json!(s.model));
    fields.insert("prompt".into(), json!(s.prompt));
    fields.insert("n".into(), json!(s.samples));
    fields.insert("size".into(), json!(format!("{}x{}", s.width, s.height)));
    if row.gpt_image() {
        let not_here = if edit { "moderation" } else { "input_fidelity" };
        for id in ["quality", "background", "moderation", "output_format", "input_fidelity"] {
            if let Some(value) = s.option(id).filter(|_| id != not_here) {
                fields.insert(id.into(), json!(value));
            }
        }
        // Compression means something only for the lossy formats, and is refused otherwise.
        if matches!(s.option("output_format"), Some("jpeg" | "webp"))
            && let Some(level) = s.option("output_compression").and_then(|v| v.parse::<u8>().ok())
        {
            fields.insert("output_compression".into(), json!(level));
        }
        if let Some(previews) = partial_images(s) {
            fields.insert("stream".into(), json!(true));
            fields.insert("partial_images".into(), json!(previews));
        }
    } else {
        for id in ["quality", "style"] {
            if let Some(value) = s.option(id).filter(|_| !(edit && id == "style")) {
                fields.insert(id.into(), json!(value));
            }
        }
        fields.insert("response_format".into(), json!("b64_json"));
    }
    fields
}

/// How many partial pictures to stream, when the person asked for any.
pub(super) fn partial_images(s: &GenerationSettings) -> Option<u8> {
    s.option("partial_images").and_then(|v| v.parse::<u8>().ok()).filter(|n| (1..=3).contains(n))
}

/// The JSON body of `images/generations`.
pub(super) fn generation_body(s: &GenerationSettings) -> Value {
    Value::Object(common_fields(s, false))
}

/// The form of `images/edits`: the start images, the mask, then every other field.
pub(super) fn edit_form(request: &GenerateRequest<'_>) -> Vec<FormPart> {
    let s = request.settings;
    let name = if request.init_images.len() > 1 { "image[]" } else { "image" };
    let mut form: Vec<FormPart> =
        request.init_images.iter().enumerate().map(|(i, image)| file_part(name, &format!("image-{}", i + 1), image)).collect();
    if let Some(mask) = request.mask_image {
        form.push(file_part("mask", "mask", mask));
    }
    for (field, value) in common_fields(s, true) {
        let text = match value {
            Value::String(text) => text,
            other => other.to_string(),
        };
        form.push(FormPart { name: field, value: FormValue::Text(text) });
    }
    form
}

fn file_part(name: &str, stem: &str, image: &InitImage) -> FormPart {
    let extension = match image.mime {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    };
    // Loaded images are our own base64 of verified bytes; it always decodes.
    let bytes = base64::engine::general_purpose::STANDARD.decode(&image.base64).unwrap_or_default();
    FormPart {
        name: name.to_owned(),
        value: FormValue::File { file_name: format!("{stem}.{extension}"), mime: image.mime, bytes: bytes.into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn settings(model: &str, options: &[(&str, &str)]) -> GenerationSettings {
        GenerationSettings {
            model: model.into(),
            prompt: "a fox".into(),
            width: 1536,
            height: 864,
            samples: 2,
            options: options.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>(),
            ..Default::default()
        }
    }

    #[test]
    fn gpt_image_bodies_carry_their_options_and_no_response_format() {
        let s = settings(
            "gpt-image-2",
            &[
                ("quality", "high"),
                ("background", "transparent"),
                ("output_format", "webp"),
                ("output_compression", "75"),
                ("partial_images", "2"),
            ],
        );
        let body = generation_body(&s);
        assert_eq!(body["size"], "1536x864");
        assert_eq!(
            (body["quality"].as_str(), body["background"].as_str(), body["output_format"].as_str()),
            (Some("high"), Some("transparent"), Some("webp"))
        );
        assert_eq!(
            (body["output_compression"].as_u64(), body["stream"].as_bool(), body["partial_images"].as_u64()),
            (Some(75), Some(true), Some(2))
        );
        assert!(body.get("response_format").is_none());
        let png =
            generation_body(&settings("gpt-image-1.5", &[("output_format", "png"), ("output_compression", "75"), ("partial_images", "0")]));
        assert!(png.get("output_compression").is_none() && png.get("stream").is_none(), "{png}");
        let dalle = generation_body(&settings("dall-e-3", &[("quality", "hd"), ("style", "natural")]));
        assert_eq!((dalle["response_format"].as_str(), dalle["style"].as_str()), (Some("b64_json"), Some("natural")));
    }

    #[test]
    fn several_start_images_travel_as_an_array_then_the_mask() {
        let image = InitImage { base64: "iVBORw0KGgo=".into(), url: None, mime: "image/png", bytes: 8, width: 8, height: 8 };
        let s = settings("gpt-image-1.5", &[]);
        let two = [image.clone(), InitImage { mime: "image/jpeg", ..image.clone() }];
        let request = GenerateRequest { settings: &s, init_images: &two, mask_image: Some(&image) };
        let form = edit_form(&request);
        let names: Vec<&str> = form.iter().map(|p| p.name.as_str()).take(4).collect();
        assert_eq!(names, ["image[]", "image[]", "mask", "model"]);
        assert!(matches!(&form[1].value, FormValue::File { file_name, .. } if file_name == "image-2.jpg"));
        let one = GenerateRequest { settings: &s, init_images: std::slice::from_ref(&image), mask_image: None };
        assert_eq!(edit_form(&one)[0].name, "image");
    }

    #[test]
    fn input_fidelity_goes_with_edits_and_moderation_with_generations() {
        let s = settings("gpt-image-1.5", &[("input_fidelity", "high"), ("moderation", "low")]);
        let image = InitImage { base64: "iVBORw0KGgo=".into(), url: None, mime: "image/png", bytes: 8, width: 8, height: 8 };
        let form = edit_form(&GenerateRequest { settings: &s, init_images: std::slice::from_ref(&image), mask_image: None });
        let text = |name: &str| form.iter().find(|p| p.name == name).map(|p| matches!(&p.value, FormValue::Text(t) if t == "high"));
        assert_eq!((text("input_fidelity"), text("moderation").is_some()), (Some(true), false));
        let body = generation_body(&s);
        assert!(body.get("input_fidelity").is_none() && body["moderation"] == "low", "{body}");
    }
}
