//! Synthetic test-pattern images, so nobody mistakes sandbox output for a real generation.
//!
//! A pattern is a diagonal gradient between two seed-dependent hues, overlaid with a 64-pixel
//! checkerboard, a centre crosshair and a dashed black-and-white border. Everything is integer
//! arithmetic, so a 1024×1024 pattern renders in a few milliseconds.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage};

use crate::images::encode_base64;

/// Side of one checkerboard cell, in pixels.
const CHECKER: u32 = 64;
/// Length of one dash of the border, in pixels.
const DASH: u32 = 8;
/// JPEG quality used by [`encode_jpeg`].
const JPEG_QUALITY: u8 = 90;

/// Which test pattern to draw.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ImageSpec {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) seed: u64,
}

impl ImageSpec {
    pub(crate) fn png(self) -> Vec<u8> {
        encode_png(&test_pattern(self.width, self.height, self.seed))
    }

    pub(crate) fn jpeg(self) -> Vec<u8> {
        encode_jpeg(&test_pattern(self.width, self.height, self.seed))
    }

    pub(crate) fn png_base64(self) -> String {
        encode_base64(&self.png())
    }

    /// The pattern in `format`; with `transparent`, everything outside an ellipse inscribed in
    /// the picture is fully transparent (PNG and WebP keep it; JPEG has no alpha).
    pub(crate) fn encoded(self, format: ImageFormat, transparent: bool) -> Vec<u8> {
        let rgb = test_pattern(self.width, self.height, self.seed);
        if format == ImageFormat::Jpeg {
            return encode_jpeg(&rgb);
        }
        let mut out = Vec::new();
        let written = if transparent {
            let (w, h) = (f64::from(self.width), f64::from(self.height));
            let rgba = image::RgbaImage::from_fn(self.width, self.height, |x, y| {
                let (dx, dy) = ((f64::from(x) + 0.5) / w * 2.0 - 1.0, (f64::from(y) + 0.5) / h * 2.0 - 1.0);
                let [r, g, b] = rgb.get_pixel(x, y).0;
                image::Rgba([r, g, b, if dx * dx + dy * dy <= 1.0 { 255 } else { 0 }])
            });
            rgba.write_to(&mut Cursor::new(&mut out), format)
        } else {
            rgb.write_to(&mut Cursor::new(&mut out), format)
        };
        written.expect("encoding a test pattern as PNG or lossless WebP into memory cannot fail");
        out
    }
}

/// Runs CPU-bound work (rendering and encoding images) off the async threads. `None`, said on
/// stderr, if the work panicked.
pub(crate) async fn off_thread<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => Some(done),
        Err(err) => {
            eprintln!("easel sandbox: {what} failed: {err}");
            None
        }
    }
}

/// Renders the test pattern for `seed` at exactly `width`×`height` pixels.
///
/// The result is deterministic in `(width, height, seed)`; different seeds give different hues.
pub(crate) fn test_pattern(width: u32, height: u32, seed: u64) -> RgbImage {
    let mixed = splitmix64(seed);
    let hue_start = (mixed % 360) as u32;
    // The second hue is 90–270° away from the first, so the gradient is always visible.
    let hue_end = (hue_start + 90 + ((mixed >> 32) % 180) as u32) % 360;
    let (start, end) = (hue_to_rgb(hue_start), hue_to_rgb(hue_end));

    let span = (u64::from(width) + u64::from(height)).saturating_sub(2).max(1);
    let border = (width.min(height) / 64).max(2);
    let (mid_x, mid_y) = (width / 2, height / 2);

    RgbImage::from_fn(width, height, |x, y| {
        let on_border = x < border || y < border || x >= width.saturating_sub(border) || y >= height.saturating_sub(border);
        if on_border {
            return if ((x + y) / DASH).is_multiple_of(2) { Rgb([255, 255, 255]) } else { Rgb([0, 0, 0]) };
        }
        if x == mid_x || y == mid_y {
            return Rgb([255, 255, 255]);
        }
        let t = (u64::from(x) + u64::from(y)) * 255 / span;
        let mut pixel = Rgb([lerp(start[0], end[0], t), lerp(start[1], end[1], t), lerp(start[2], end[2], t)]);
        if ((x / CHECKER) + (y / CHECKER)) % 2 == 1 {
            pixel.0 = pixel.0.map(|c| c / 4 * 3);
        }
        pixel
    })
}

/// Encodes an image as PNG.
pub(crate) fn encode_png(img: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    img.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).expect("PNG-encoding an RGB8 image into memory cannot fail");
    bytes
}

/// Encodes an image as JPEG (quality 90).
pub(crate) fn encode_jpeg(img: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode_image(img)
        .expect("JPEG-encoding an RGB8 image of at most 65535 px a side into memory cannot fail");
    bytes
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` RGB pixels.
///
/// The file is well-formed up to its first (tiny) IDAT chunk, so decoders read the dimensions and
/// only fail, or try to allocate a huge buffer, when decoding pixels. Used to check that clients
/// look at the declared size before decoding.
pub fn oversized_png(width: u32, height: u32) -> Vec<u8> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    /// A zlib stream holding one zero byte: the filter byte of the first scanline, nothing more.
    const ONE_ZERO_BYTE: [u8; 9] = [0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01];

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);

    let mut png = SIGNATURE.to_vec();
    push_chunk(&mut png, b"IHDR", &ihdr);
    push_chunk(&mut png, b"IDAT", &ONE_ZERO_BYTE);
    push_chunk(&mut png, b"IEND", &[]);
    png
}

/// Inserts a `keyword` text chunk right after IHDR (`tEXt` for ASCII text, else UTF-8 `iTXt`),
/// as AUTOMATIC1111 stores its infotext under `parameters`. Leaves a too-short `png` as it is.
pub(crate) fn with_text_chunk(mut png: Vec<u8>, keyword: &str, text: &str) -> Vec<u8> {
    // The 8-byte signature, then IHDR: length, type, 13 bytes of data, CRC.
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < AFTER_IHDR {
        return png;
    }
    let mut data = keyword.as_bytes().to_vec();
    let kind = if text.is_ascii() {
        data.push(0);
        b"tEXt"
    } else {
        // Keyword, no compression, no language tag, no translated keyword, UTF-8 text.
        data.extend_from_slice(&[0; 5]);
        b"iTXt"
    };
    data.extend_from_slice(text.as_bytes());
    let mut chunk = Vec::with_capacity(data.len() + 12);
    push_chunk(&mut chunk, kind, &data);
    png.splice(AFTER_IHDR..AFTER_IHDR, chunk);
    png
}

/// Appends one PNG chunk: length, type, data and the CRC of type and data.
fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).expect("PNG chunks built here are smaller than a request body (8 MB)");
    png.extend_from_slice(&len.to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// SplitMix64 finaliser: spreads nearby seeds far apart.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fully saturated colour for `hue` in degrees (0–359), slightly darkened so white lines show.
fn hue_to_rgb(hue: u32) -> [u8; 3] {
    const V: u32 = 230;
    let rise = ((hue % 60) * V / 60) as u8;
    let fall = V as u8 - rise;
    let v = V as u8;
    match hue / 60 {
        0 => [v, rise, 0],
        1 => [fall, v, 0],
        2 => [0, v, rise],
        3 => [0, fall, v],
        4 => [rise, 0, v],
        _ => [v, 0, fall],
    }
}

/// Linear blend of `from` and `to`, with `t` in 0–255.
fn lerp(from: u8, to: u8, t: u64) -> u8 {
    let (from, to) = (u64::from(from), u64::from(to));
    ((from * (255 - t) + to * t) / 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_has_requested_size_and_depends_on_seed() {
        let a = test_pattern(300, 200, 1);
        assert_eq!(a.dimensions(), (300, 200));
        assert_eq!(a, test_pattern(300, 200, 1));
        assert_ne!(a, test_pattern(300, 200, 2));
        assert_eq!(test_pattern(1, 1, 0).dimensions(), (1, 1));
    }

    #[test]
    fn encodings_decode_back() {
        let img = test_pattern(64, 48, 7);
        let png = image::load_from_memory(&encode_png(&img)).unwrap();
        assert_eq!(png.to_rgb8(), img);
        let jpeg = image::load_from_memory(&encode_jpeg(&img)).unwrap();
        assert_eq!((jpeg.width(), jpeg.height()), (64, 48));
    }

    #[test]
    fn oversized_png_ends_with_the_standard_iend_chunk() {
        // Every PNG ends with the same 12 bytes: an empty IEND chunk and its CRC.
        let png = oversized_png(60000, 60000);
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    }

    #[test]
    fn text_chunks_follow_ihdr_and_keep_the_png_readable() {
        let plain = ImageSpec { width: 8, height: 8, seed: 0 }.png();
        let ascii = with_text_chunk(plain.clone(), "parameters", "a cat");
        assert_eq!(&ascii[37..41], b"tEXt");
        assert!(ascii.windows(16).any(|w| w == b"parameters\0a cat"));
        let utf8 = with_text_chunk(plain, "parameters", "café");
        assert!(utf8.windows(4).any(|w| w == b"iTXt"));
        for png in [ascii, utf8] {
            assert!(image::load_from_memory(&png).is_ok());
        }
    }
}
