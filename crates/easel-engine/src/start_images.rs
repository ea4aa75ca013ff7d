//! Pictures a person starts from, as the services take them.
//!
//! Any common photo works: it is read upright (the camera's EXIF rotation applied), scaled to
//! a size the model makes while keeping its shape, and re-encoded when its format or file size
//! is not what the service takes. A mask (white = change) follows its start image: it is
//! scaled to the start image's final size, whatever size it was painted or saved at.
//!
//! The sizes are decided by [`fit`], a pure function the faces also use to say beforehand
//! what will be done ("Your 4032×3024 photo will be scaled to 1024×768 for this model").

use crate::capabilities::Capabilities;
use crate::intake::{self, ImageFormat, Limits};
use crate::provider::InitImage;
use base64::Engine as _;
use image::{DynamicImage, ImageDecoder as _, metadata::Orientation};

/// Most bytes a start image may have when it is sent (ModelsLab's base64 and upload limit is
/// 5 MB; the other services take more, so one limit serves them all).
pub const MAX_SENT_BYTES: usize = 5_000_000;

/// What a picture file's header says, without decoding its pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The size as the picture is meant to be seen (the EXIF rotation applied).
    pub width: u32,
    pub height: u32,
    /// The file turns the picture (a phone held upright): it is decoded turned.
    pub rotated: bool,
    pub format: ImageFormat,
    /// The picture has an alpha channel (transparency is kept: it is sent as PNG).
    pub alpha: bool,
}

/// A reader of picture bytes in memory.
type Reader<'b> = image::ImageReader<std::io::Cursor<&'b [u8]>>;

fn reader<'b>(bytes: &'b [u8], limits: &Limits) -> Result<(Reader<'b>, ImageFormat), String> {
    let format = intake::sniff(bytes).ok_or_else(|| "it is not a PNG, JPEG or WebP picture".to_owned())?;
    let image_format = match format {
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Webp => image::ImageFormat::WebP,
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image_format);
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_pixel_bytes);
    reader.limits(l);
    Ok((reader, format))
}

fn plain(e: image::ImageError) -> String {
    match e {
        image::ImageError::Limits(_) => "it is larger than Easel can open".to_owned(),
        other => format!("it is damaged or unusual ({other})"),
    }
}

/// Read a picture's header: its upright size, format and whether it is turned.
pub fn read_header(bytes: &[u8]) -> Result<Header, String> {
    let (reader, format) = reader(bytes, &Limits::start_images())?;
    let mut decoder = reader.into_decoder().map_err(plain)?;
    let (w, h) = decoder.dimensions();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let turned =
        matches!(orientation, Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH);
    let (width, height) = if turned { (h, w) } else { (w, h) };
    Ok(Header { width, height, rotated: orientation != Orientation::NoTransforms, format, alpha: decoder.color_type().has_alpha() })
}

/// Decode a picture upright, within `limits`.
pub fn decode_upright(bytes: &[u8], limits: &Limits) -> Result<DynamicImage, String> {
    let (reader, _) = reader(bytes, limits)?;
    let mut decoder = reader.into_decoder().map_err(plain)?;
    let (w, h) = decoder.dimensions();
    if w > limits.max_side || h > limits.max_side || u64::from(w) * u64::from(h) * 4 > limits.max_pixel_bytes {
        return Err(format!("it is {w}×{h} pixels, larger than Easel can open"));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(plain)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The size a start image of `width`×`height` (upright) is sent at for a model with `caps`,
/// keeping its shape: within the sizes the model makes, on its size step. A model that takes
/// start images of any size (OpenAI) gets them as they are, only made smaller past its
/// largest side. A shape no size of the model has (a panorama for a model that makes at most
/// 1024 on a side and at least 256) is refused, in words.
pub fn fit(width: u32, height: u32, caps: &Capabilities) -> Result<(u32, u32), String> {
    let (lo, hi) = (*caps.size.start(), *caps.size.end());
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let (long, short) = (w.max(h), w.min(h));
    if caps.any_init_size {
        if long <= f64::from(hi) {
            return Ok((width, height));
        }
        let s = f64::from(hi) / long;
        return Ok((((w * s).round() as u32).max(1), ((h * s).round() as u32).max(1)));
    }
    let step = caps.size_multiple.max(1);
    let (first, last) = (lo.div_ceil(step) * step, hi / step * step);
    let mut s = (f64::from(last) / long).min(1.0);
    if short * s < f64::from(first) {
        s = f64::from(first) / short;
    }
    if long * s > f64::from(last) + f64::from(step) / 2.0 {
        return Err(format!(
            "The picture is {width}×{height}: too long and narrow for this model, which makes sides from {lo} to {hi} pixels. Crop it closer to a square and try again."
        ));
    }
    let side = |x: f64| (((x * s) / f64::from(step)).round() as u32 * step).clamp(first, last);
    Ok((side(w), side(h)))
}

/// One sentence on what will be done to a start image before it is sent, or `None` when it
/// goes as it is. `bytes` is the file's size.
pub fn note(header: &Header, bytes: u64, caps: &Capabilities) -> Option<String> {
    let (w, h) = fit(header.width, header.height, caps).ok()?;
    let what = if header.format == ImageFormat::Jpeg { "photo" } else { "picture" };
    let scaled = (w, h) != (header.width, header.height);
    Some(match (scaled, header.rotated) {
        (true, true) => {
            format!("Your {}×{} {what} will be turned upright and scaled to {w}×{h} for this model.", header.width, header.height)
        }
        (true, false) => format!("Your {}×{} {what} will be scaled to {w}×{h} for this model.", header.width, header.height),
        (false, true) => format!("Your {what} will be turned upright, as its camera says, before it is sent."),
        (false, false) if bytes > MAX_SENT_BYTES as u64 => {
            format!("Your {:.1} MB {what} will be sent as a smaller file (the service takes up to 5 MB).", bytes as f64 / 1e6)
        }
        (false, false) => return None,
    })
}

/// A start image as `caps` takes it: upright, at the size [`fit`] gives, in a format and file
/// size the service takes. The original bytes go unchanged when nothing needs doing.
pub(crate) fn prepare_start(bytes: &[u8], caps: &Capabilities) -> Result<InitImage, String> {
    let header = read_header(bytes)?;
    let (w, h) = fit(header.width, header.height, caps)?;
    prepare(bytes, &header, (w, h))
}

/// A picture to enlarge: upright and within the byte limit, at its own size.
pub(crate) fn prepare_source(bytes: &[u8]) -> Result<InitImage, String> {
    let header = read_header(bytes)?;
    prepare(bytes, &header, (header.width, header.height))
}

fn prepare(bytes: &[u8], header: &Header, (w, h): (u32, u32)) -> Result<InitImage, String> {
    if (w, h) == (header.width, header.height) && !header.rotated && bytes.len() <= MAX_SENT_BYTES {
        return Ok(loaded(bytes.to_vec(), header.format.mime(), w, h));
    }
    let upright = decode_upright(bytes, &Limits::start_images())?;
    let sized = resized(upright, w, h);
    encode_within_limit(&sized, header.alpha, header.format == ImageFormat::Jpeg)
}

/// Scale to exactly `w`×`h`: area-averaging when making smaller (fast and clean), Catmull-Rom
/// when making larger.
fn resized(image: DynamicImage, w: u32, h: u32) -> DynamicImage {
    if (image.width(), image.height()) == (w, h) {
        image
    } else if w <= image.width() && h <= image.height() {
        image.thumbnail_exact(w, h)
    } else {
        image.resize_exact(w, h, image::imageops::FilterType::CatmullRom)
    }
}

/// PNG (transparency kept) or JPEG, under [`MAX_SENT_BYTES`]: a picture too detailed for
/// that even as a JPEG (a huge noisy photo for a service that takes any size) is made smaller
/// until it fits.
fn encode_within_limit(image: &DynamicImage, alpha: bool, photo: bool) -> Result<InitImage, String> {
    let mut image = std::borrow::Cow::Borrowed(image);
    for _ in 0..6 {
        let (w, h) = (image.width(), image.height());
        if alpha || !photo {
            let png = encode(&image, image::ImageFormat::Png)?;
            if png.len() <= MAX_SENT_BYTES {
                return Ok(loaded(png, "image/png", w, h));
            }
        }
        if !alpha {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            for quality in [92, 85, 75] {
                let mut jpeg = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(&rgb).map_err(|e| e.to_string())?;
                if jpeg.len() <= MAX_SENT_BYTES {
                    return Ok(loaded(jpeg, "image/jpeg", w, h));
                }
            }
        }
        image = std::borrow::Cow::Owned(image.thumbnail_exact((w * 4 / 5).max(1), (h * 4 / 5).max(1)));
    }
    Err("it stays over 5 MB however it is saved; save it smaller".to_owned())
}

fn encode(image: &DynamicImage, format: image::ImageFormat) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut out), format).map_err(|e| e.to_string())?;
    Ok(out)
}

fn loaded(bytes: Vec<u8>, mime: &'static str, width: u32, height: u32) -> InitImage {
    InitImage { base64: base64::engine::general_purpose::STANDARD.encode(&bytes), url: None, mime, bytes: bytes.len(), width, height }
}

/// A mask as white-is-change grey: a black-and-white mask as it is, one whose transparency
/// marks the part to change (OpenAI's form) with that part white.
pub fn white_is_change(mask: &DynamicImage) -> image::GrayImage {
    let transparent_marks = mask.color().has_alpha() && mask.to_rgba8().pixels().any(|p| p.0[3] < 255);
    if transparent_marks {
        let rgba = mask.to_rgba8();
        image::GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| image::Luma([255 - rgba.get_pixel(x, y).0[3]]))
    } else {
        mask.to_luma8()
    }
}

/// Whether a white-is-change mask marks anything to change.
pub fn marks_something(mask: &image::GrayImage) -> bool {
    mask.pixels().any(|p| p.0[0] >= 128)
}

/// A mask at its start image's final size `width`×`height`, as a white-is-change grey PNG.
pub(crate) fn prepare_mask(bytes: &[u8], width: u32, height: u32) -> Result<InitImage, String> {
    let upright = decode_upright(bytes, &Limits::start_images())?;
    let grey = white_is_change(&upright);
    let sized = if grey.dimensions() == (width, height) {
        grey
    } else {
        image::imageops::resize(&grey, width, height, image::imageops::FilterType::Triangle)
    };
    let png = encode(&DynamicImage::ImageLuma8(sized), image::ImageFormat::Png)?;
    Ok(loaded(png, "image/png", width, height))
}

/// Whether a mask of `mask` (upright) has the shape of a start image of `start`: it is
/// stretched to the start image's size, so their proportions must agree within 2 %.
pub fn same_shape(mask: (u32, u32), start: (u32, u32)) -> bool {
    let ratio = |(w, h): (u32, u32)| f64::from(w.max(1)) / f64::from(h.max(1));
    (ratio(mask) / ratio(start) - 1.0).abs() <= 0.02
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(kind: crate::provider::ProviderKind, model: &str) -> Capabilities {
        let base = (kind == crate::provider::ProviderKind::OpenAi).then_some("https://api.openai.com/v1");
        kind.build(base, &Default::default()).unwrap().capabilities(model)
    }

    /// A JPEG whose EXIF says "turn me 90° clockwise" (orientation 6), as phones write.
    pub(crate) fn turned_jpeg(width: u32, height: u32) -> Vec<u8> {
        use image::ImageEncoder as _;
        let pixels = image::RgbImage::from_fn(width, height, |x, _| image::Rgb([if x < width / 2 { 250 } else { 10 }, 90, 40]));
        let mut out = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
        // TIFF header (little endian), one IFD entry: Orientation (0x0112), SHORT, 1, value 6.
        let exif = [b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
        encoder.set_exif_metadata(exif.to_vec()).unwrap();
        encoder.write_image(pixels.as_raw(), width, height, image::ExtendedColorType::Rgb8).unwrap();
        out
    }

    #[test]
    fn photos_keep_their_shape_within_what_the_model_makes() {
        use crate::provider::ProviderKind::*;
        let sdxl = caps(ModelsLab, "sdxl");
        assert_eq!(fit(4032, 3024, &sdxl), Ok((1024, 768)), "a phone photo");
        assert_eq!(fit(3024, 4032, &sdxl), Ok((768, 1024)));
        assert_eq!(fit(512, 512, &sdxl), Ok((512, 512)), "already fine: unchanged");
        assert_eq!(fit(300, 200, &sdxl), Ok((384, 256)), "too small: made larger to the model's least side");
        assert_eq!(fit(1000, 999, &sdxl), Ok((1000, 1000)), "onto the size step of 8");
        assert!(fit(4000, 300, &sdxl).unwrap_err().contains("too long and narrow"));
        let forge = caps(A1111, "");
        assert_eq!(fit(4032, 3024, &forge), Ok((2048, 1536)));
        let gpt = caps(OpenAi, "gpt-image-1.5");
        assert_eq!(fit(1000, 333, &gpt), Ok((1000, 333)), "any size is taken as it is");
        let (w, h) = fit(4032, 3024, &gpt).unwrap();
        assert_eq!((w, h), (2048, 1536), "only made smaller past the model's largest side");
    }

    #[test]
    fn a_turned_photo_is_read_upright_and_said_so() {
        let jpeg = turned_jpeg(64, 32);
        let header = read_header(&jpeg).unwrap();
        assert_eq!((header.width, header.height, header.rotated, header.format), (32, 64, true, ImageFormat::Jpeg));
        let upright = decode_upright(&jpeg, &Limits::start_images()).unwrap();
        assert_eq!((upright.width(), upright.height()), (32, 64));
        // The left half was red; turned clockwise it is the top half.
        let top = upright.to_rgb8().get_pixel(16, 4).0;
        assert!(top[0] > 200, "{top:?}");
        let sdxl = caps(crate::provider::ProviderKind::ModelsLab, "sdxl");
        let said = note(&header, jpeg.len() as u64, &sdxl).unwrap();
        assert_eq!(said, "Your 32×64 photo will be turned upright and scaled to 256×512 for this model.");
        let prepared = prepare_start(&jpeg, &sdxl).unwrap();
        assert_eq!((prepared.width, prepared.height, prepared.mime), (256, 512, "image/jpeg"));
    }

    #[test]
    fn pictures_that_fit_go_as_they_are_and_big_files_smaller() {
        let sdxl = caps(crate::provider::ProviderKind::ModelsLab, "sdxl");
        let png = encode(&DynamicImage::ImageRgb8(image::RgbImage::from_pixel(512, 384, image::Rgb([1, 2, 3]))), image::ImageFormat::Png)
            .unwrap();
        let header = read_header(&png).unwrap();
        assert_eq!(note(&header, png.len() as u64, &sdxl), None);
        let sent = prepare_start(&png, &sdxl).unwrap();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&sent.base64).unwrap(), png, "the original bytes");
        // Noise does not compress: a 1024×1024 PNG of it is over 3 MB; as JPEG it fits.
        let noisy = image::RgbImage::from_fn(1024, 1024, |x, y| {
            let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(97);
            image::Rgb([n as u8, (n >> 8) as u8, (n >> 16) as u8])
        });
        let big = encode_within_limit(&DynamicImage::ImageRgb8(noisy), false, false).unwrap();
        assert!(big.bytes <= MAX_SENT_BYTES);
        let said = note(&Header { width: 1024, height: 1024, rotated: false, format: ImageFormat::Png, alpha: false }, 22_900_000, &sdxl);
        assert_eq!(said.as_deref(), Some("Your 22.9 MB picture will be sent as a smaller file (the service takes up to 5 MB)."));
    }

    #[test]
    fn masks_follow_their_start_image_and_read_either_convention() {
        let half = image::GrayImage::from_fn(40, 30, |x, _| image::Luma([if x < 20 { 255 } else { 0 }]));
        let png = encode(&DynamicImage::ImageLuma8(half.clone()), image::ImageFormat::Png).unwrap();
        let mask = prepare_mask(&png, 1024, 768).unwrap();
        assert_eq!((mask.width, mask.height), (1024, 768));
        let back = image::load_from_memory(&base64::engine::general_purpose::STANDARD.decode(&mask.base64).unwrap()).unwrap().to_luma8();
        assert_eq!((back.get_pixel(100, 300).0[0], back.get_pixel(900, 300).0[0]), (255, 0));
        // OpenAI's form: transparent where to change.
        let openai = image::RgbaImage::from_fn(40, 30, |x, _| image::Rgba([0, 0, 0, if x < 20 { 0 } else { 255 }]));
        assert_eq!(white_is_change(&DynamicImage::ImageRgba8(openai)), half);
        assert!(marks_something(&half) && !marks_something(&image::GrayImage::new(4, 4)));
        assert!(same_shape((40, 30), (4032, 3024)) && !same_shape((40, 40), (4032, 3024)));
    }
}
