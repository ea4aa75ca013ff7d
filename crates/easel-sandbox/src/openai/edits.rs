//! `POST /v1/images/edits`: the form's files checked as OpenAI checks them (spec
//! `CreateImageEditRequest`): `image` or `image[]` (GPT image models: PNG, WebP or JPEG under
//! 50 MB, up to 16; DALL·E 2: one square PNG under 4 MB), and an optional `mask`, a PNG
//! under 4 MB with an alpha channel, the size of the first image, transparent where to edit.
//! SDK 3.57 adds `markup` for GPT Image 2.5 (`gpt-image-2.5-*`): "a transparent PNG overlaid on
//! the first image to guide the edit", the first image's size, with transparent pixels, never
//! with a mask. (How OpenAI words its refusals of a wrong `markup` is unconfirmed.)

use serde_json::{Map, Value};

use super::answers;
use super::catalog::Family;
use super::request::ImageRequest;
use crate::form::{FieldValue, FormField, has_alpha};
use crate::images::{image_size, supported_format};
use crate::reply::Rejection;

/// Most start images of one edit.
const MAX_IMAGES: usize = 16;
const MAX_GPT_IMAGE_BYTES: usize = 50 * 1024 * 1024;
const MAX_MASK_BYTES: usize = 4 * 1024 * 1024;

/// Checks an edit form: its text fields as any request's, then its files.
pub(super) fn check(fields: Vec<FormField>, legacy: bool) -> Result<ImageRequest, Rejection> {
    let mut text = Map::new();
    let mut images = Vec::new();
    let mut mask = None;
    let mut markup = None;
    for field in fields {
        match (field.name.as_str(), field.value) {
            ("image" | "image[]", FieldValue::File { bytes, .. }) => images.push(bytes),
            ("mask", FieldValue::File { bytes, .. }) => mask = Some(bytes),
            ("markup", FieldValue::File { bytes, .. }) => markup = Some(bytes),
            (name, FieldValue::File { .. }) => {
                return Err(answers::invalid(&format!("Unknown parameter: '{name}'."), name, "unknown_parameter"));
            }
            (name, FieldValue::Text(value)) => {
                text.insert(name.to_owned(), Value::String(value));
            }
        }
    }
    let request = ImageRequest::from_form(&text, legacy)?;
    if images.is_empty() {
        return Err(answers::invalid("Missing required parameter: 'image'.", "image", "missing_required_parameter"));
    }
    let most = if request.family == Family::Dalle2 { 1 } else { MAX_IMAGES };
    if images.len() > most {
        return Err(answers::invalid(
            &format!("Invalid 'image': too many images. Expected at most {most} images, but got {} instead.", images.len()),
            "image",
            "array_above_max_length",
        ));
    }
    let mut first_size = None;
    for (index, bytes) in images.iter().enumerate() {
        let bad = || {
            answers::invalid(
                &format!("Invalid image file or mode for image {}, please check your image file.", index + 1),
                "image",
                "invalid_image_file",
            )
        };
        let format = supported_format(bytes).ok_or_else(bad)?;
        let (width, height) = image_size(bytes).ok_or_else(bad)?;
        if request.family == Family::Dalle2 && (format != image::ImageFormat::Png || width != height || bytes.len() >= MAX_MASK_BYTES) {
            return Err(answers::invalid("Uploaded image must be a PNG, square, and less than 4 MB.", "image", "invalid_image_file"));
        }
        if bytes.len() >= MAX_GPT_IMAGE_BYTES {
            return Err(answers::invalid("Uploaded image must be less than 50 MB.", "image", "invalid_image_file"));
        }
        first_size.get_or_insert((width, height));
    }
    if let (Some(markup), Some(first)) = (markup, first_size) {
        check_markup(&request, &markup, mask.is_some(), first)?;
    }
    if let (Some(mask), Some((width, height))) = (mask, first_size) {
        let format = supported_format(&mask);
        if format != Some(image::ImageFormat::Png) || mask.len() >= MAX_MASK_BYTES {
            return Err(answers::invalid("Invalid mask image: must be a PNG file less than 4 MB.", "mask", "invalid_image_file"));
        }
        if !has_alpha(&mask) {
            return Err(answers::invalid("Invalid mask image format - mask image missing alpha channel", "mask", "invalid_image_file"));
        }
        if image_size(&mask) != Some((width, height)) {
            return Err(answers::invalid(
                "Invalid mask: the mask must have the same dimensions as the image.",
                "mask",
                "invalid_image_file",
            ));
        }
    }
    Ok(request)
}

/// `markup`: for GPT Image 2.5 only, not with a mask, a PNG the first image's size with some
/// transparent pixels.
fn check_markup(request: &ImageRequest, markup: &[u8], with_mask: bool, first: (u32, u32)) -> Result<(), Rejection> {
    if request.family != Family::GptImage25 {
        return Err(answers::invalid(
            &format!("The 'markup' parameter is not supported for model '{}'.", request.model),
            "markup",
            "unsupported_parameter",
        ));
    }
    if with_mask {
        return Err(answers::invalid("'markup' cannot be combined with 'mask'.", "markup", "invalid_value"));
    }
    let decoded = (supported_format(markup) == Some(image::ImageFormat::Png)).then(|| image::load_from_memory(markup).ok()).flatten();
    let Some(picture) = decoded.filter(|p| (p.width(), p.height()) == first) else {
        return Err(answers::invalid(
            "Invalid markup image: must be a PNG file with the same dimensions as the first image.",
            "markup",
            "invalid_image_file",
        ));
    };
    if !picture.to_rgba8().pixels().any(|p| p.0[3] < 255) {
        return Err(answers::invalid("Invalid markup image: it must contain transparent pixels.", "markup", "invalid_image_file"));
    }
    Ok(())
}
