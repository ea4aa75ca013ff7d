//! The images clients send (base64 text, `data:` URIs, URLs): decoding them, reading their
//! size, and sizing an output after them. Shared by every protocol that takes a start image.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use image::ImageFormat;

/// Largest width or height the sandbox renders.
pub(crate) const MAX_SIDE: u32 = 2048;

/// Standard base64 with padding, as every service sends images.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Base64 (an optional `data:…;base64,` prefix, whitespace and missing padding tolerated).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let text = text.trim();
    let payload = match text.strip_prefix("data:") {
        Some(uri) => uri.split_once(',')?.1,
        None => text,
    };
    let compact: Vec<u8> = payload.bytes().filter(|byte| !byte.is_ascii_whitespace()).collect();
    LENIENT.decode(compact).ok()
}

/// The format of `bytes`, if it is one the services take: PNG, JPEG or WebP.
pub(crate) fn supported_format(bytes: &[u8]) -> Option<ImageFormat> {
    image::guess_format(bytes).ok().filter(|format| matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP))
}

/// The size of an encoded PNG, JPEG or WebP image whose header reads.
pub(crate) fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let format = supported_format(bytes)?;
    image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .ok()
        .filter(|&(width, height)| width > 0 && height > 0)
}

/// Decodes a base64 image (see [`decode_base64`]) and returns its size, if it is a PNG, JPEG
/// or WebP whose header reads.
pub(crate) fn base64_image_size(text: &str) -> Option<(u32, u32)> {
    image_size(&decode_base64(text)?)
}

/// Scales a size down (keeping its proportions) so that neither side exceeds [`MAX_SIDE`].
pub(crate) fn fit_within_max_side(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= MAX_SIDE {
        return (width, height);
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(MAX_SIDE)) / u64::from(long)).max(1) as u32;
    (scale(width), scale(height))
}

/// Whether `text` is an http(s) URL.
pub(crate) fn is_http_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::ImageSpec;

    #[test]
    fn oversized_init_images_are_scaled_to_fit() {
        assert_eq!(fit_within_max_side(4096, 1024), (2048, 512));
        assert_eq!(fit_within_max_side(640, 480), (640, 480));
    }

    #[test]
    fn base64_images_are_read_leniently() {
        let png = encode_base64(&ImageSpec { width: 12, height: 7, seed: 1 }.png());
        let unpadded = png.trim_end_matches('=');
        for text in [png.clone(), format!("data:image/png;base64,{png}"), format!(" {unpadded}\n")] {
            assert_eq!(base64_image_size(&text), Some((12, 7)), "{text:.40}");
        }
        assert_eq!(base64_image_size(&encode_base64(b"GIF89a, or text")), None);
        assert!(is_http_url("HTTPS://example.com/a.png") && !is_http_url("data:image/png;base64,"));
    }
}
