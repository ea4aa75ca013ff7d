//! Start images and masks as OpenAI's edits take them (spec `CreateImageEditRequest`):
//!
//! - the mask is a PNG **with an alpha channel**, fully transparent where the picture is to be
//!   repainted, the same size as the first image, under 4 MB. Easel's masks (like ModelsLab's
//!   and A1111's) are black and white, white where to repaint: each is turned into OpenAI's
//!   form here. A mask that already has transparency is taken as OpenAI-style and kept so.
//! - Most GPT image models take PNG, WebP and JPEG start images; DALL·E 2, compatible
//!   servers' own models and those whose formats OpenAI does not state a PNG (DALL·E 2: square,
//!   under 4 MB). What a model does not take is converted to PNG (`models.rs` says which).

use super::models::{self, StartImages};
use crate::provider::InitImage;
use base64::Engine as _;
use image::{DynamicImage, GenericImageView, ImageFormat, Pixel as _, RgbaImage};

/// Largest mask (and DALL·E 2 start image) OpenAI takes.
pub(super) const MAX_MASK_BYTES: usize = 4 * 1024 * 1024;

/// Make the loaded start images and mask fit what `model` takes.
pub(super) fn prepare(model: &str, init: &mut [InitImage], mask: &mut Option<InitImage>) -> Result<(), String> {
    let takes = models::find(model).start_images;
    for image in init.iter_mut() {
        let png_only = !matches!(takes, StartImages::AnyFormat(_));
        if takes == StartImages::SquarePng && image.width != image.height {
            return Err(format!(
                "DALL·E 2 edits only square pictures, and this start image is {}×{}. Crop it square, or choose a GPT Image model.",
                image.width, image.height
            ));
        }
        if png_only && image.mime != "image/png" {
            *image = to_png(&decode(image)?, image)?;
        }
    }
    if let (Some(first), Some(person_mask)) = (init.first(), mask.as_ref()) {
        *mask = Some(alpha_mask(&decode(person_mask)?, first.width, first.height)?);
    }
    Ok(())
}

fn decode(image: &InitImage) -> Result<DynamicImage, String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(&image.base64).map_err(|e| e.to_string())?;
    image::load_from_memory(&bytes).map_err(|e| format!("the picture could not be read ({e})"))
}

fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(out)
}

fn loaded(bytes: Vec<u8>, width: u32, height: u32) -> InitImage {
    InitImage {
        bytes: bytes.len(),
        base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        url: None,
        mime: "image/png",
        width,
        height,
    }
}

fn to_png(image: &DynamicImage, was: &InitImage) -> Result<InitImage, String> {
    let png = encode_png(image)?;
    Ok(InitImage { url: was.url.clone(), ..loaded(png, image.width(), image.height()) })
}

/// OpenAI's mask from the person's: transparent where the person marked white (repaint),
/// opaque where black (keep), at `width`×`height`, as a PNG under [`MAX_MASK_BYTES`].
pub(super) fn alpha_mask(person: &DynamicImage, width: u32, height: u32) -> Result<InitImage, String> {
    let sized = if person.dimensions() == (width, height) {
        person.clone()
    } else {
        person.resize_exact(width, height, image::imageops::FilterType::Triangle)
    };
    let already_openai_style = sized.color().has_alpha() && sized.to_rgba8().pixels().any(|p| p.0[3] < 255);
    let alpha_of = |x: u32, y: u32| -> u8 {
        if already_openai_style { sized.get_pixel(x, y).0[3] } else { 255 - sized.get_pixel(x, y).to_luma().0[0] }
    };
    let soft = RgbaImage::from_fn(width, height, |x, y| image::Rgba([0, 0, 0, alpha_of(x, y)]));
    let png = encode_png(&DynamicImage::ImageRgba8(soft.clone()))?;
    if png.len() < MAX_MASK_BYTES {
        return Ok(loaded(png, width, height));
    }
    // A mask with soft, noisy edges can be large: all or nothing compresses far better.
    let hard = RgbaImage::from_fn(width, height, |x, y| image::Rgba([0, 0, 0, if soft.get_pixel(x, y).0[3] < 128 { 0 } else { 255 }]));
    let png = encode_png(&DynamicImage::ImageRgba8(hard))?;
    if png.len() < MAX_MASK_BYTES {
        return Ok(loaded(png, width, height));
    }
    Err(format!("The mask is too detailed for OpenAI's 4 MB limit even as plain black and white ({} MB).", png.len() >> 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded_png(image: DynamicImage) -> InitImage {
        let png = encode_png(&image).unwrap();
        loaded(png, image.width(), image.height())
    }

    #[test]
    fn white_becomes_transparent_and_the_mask_takes_the_first_images_size() {
        // Left half white (repaint), right half black (keep), at half the picture's size.
        let person = image::GrayImage::from_fn(32, 16, |x, _| image::Luma([if x < 16 { 255 } else { 0 }]));
        let start = loaded_png(DynamicImage::ImageRgb8(image::RgbImage::new(64, 32)));
        let mut init = vec![start];
        let mut mask = Some(loaded_png(DynamicImage::ImageLuma8(person)));
        prepare("gpt-image-1.5", &mut init, &mut mask).unwrap();
        let mask = mask.unwrap();
        assert_eq!((mask.width, mask.height, mask.mime), (64, 32, "image/png"));
        let decoded = decode(&mask).unwrap();
        assert!(decoded.color().has_alpha(), "OpenAI needs an alpha channel");
        let rgba = decoded.to_rgba8();
        assert_eq!(rgba.get_pixel(4, 16).0[3], 0, "white: transparent, repainted");
        assert_eq!(rgba.get_pixel(60, 16).0[3], 255, "black: opaque, kept");
    }

    #[test]
    fn an_openai_style_mask_is_kept_and_dalle_2_wants_square_pngs() {
        let transparent_corner = RgbaImage::from_fn(8, 8, |x, y| image::Rgba([9, 9, 9, if x + y < 4 { 0 } else { 255 }]));
        let m = alpha_mask(&DynamicImage::ImageRgba8(transparent_corner), 8, 8).unwrap();
        let rgba = decode(&m).unwrap().to_rgba8();
        assert_eq!((rgba.get_pixel(0, 0).0[3], rgba.get_pixel(7, 7).0[3]), (0, 255));

        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(image::RgbImage::new(16, 16)).write_to(&mut std::io::Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
        let mut init = vec![InitImage { mime: "image/jpeg", ..loaded(jpeg, 16, 16) }];
        prepare("dall-e-2", &mut init, &mut None).unwrap();
        assert_eq!(init[0].mime, "image/png");
        let mut wide = vec![loaded_png(DynamicImage::ImageRgb8(image::RgbImage::new(16, 8)))];
        assert!(prepare("dall-e-2", &mut wide, &mut None).unwrap_err().contains("square"));
        let mut kept = vec![InitImage { mime: "image/jpeg", ..init[0].clone() }];
        prepare("gpt-image-2", &mut kept, &mut None).unwrap();
        assert_eq!(kept[0].mime, "image/jpeg", "GPT image models take JPEG as it is");
    }
}
