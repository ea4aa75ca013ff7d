//! Output intake: from whatever the provider handed over to a verified image file.
//!
//! An output entry may be a URL serving image bytes, a URL serving base64 text,
//! inline base64, or a `data:` URI. Whatever it is, the bytes are sniffed by
//! their magic numbers, decoded under hard limits to prove they are an image,
//! and only then written — atomically, named by their sha256, original bytes
//! unchanged. A zero-byte or non-image file is never written.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Hard limits that keep a hostile image from taking the memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest width or height accepted.
    pub max_side: u32,
    /// Largest decoded pixel buffer, in bytes.
    pub max_pixel_bytes: u64,
    /// Largest download or decoded payload, in bytes.
    pub max_download_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_side: 8192, max_pixel_bytes: 64 << 20, max_download_bytes: 64 << 20 }
    }
}

impl Limits {
    /// For pictures a person starts from: phone photos of 48 megapixels and files of tens of
    /// megabytes are common (they are scaled down before anything is sent).
    pub fn start_images() -> Self {
        Self { max_side: 16_384, max_pixel_bytes: 256 << 20, max_download_bytes: 100 << 20 }
    }

    /// For enlarged pictures (upscales): up to 8192 pixels a side, whose PNG can pass 100 MB.
    pub fn upscaled() -> Self {
        Self { max_side: 8192, max_pixel_bytes: 256 << 20, max_download_bytes: 256 << 20 }
    }
}

/// The image formats Easel keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    #[default]
    Png,
    Jpeg,
    Webp,
}

impl ImageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
    fn to_image_crate(self) -> image::ImageFormat {
        match self {
            Self::Png => image::ImageFormat::Png,
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Webp => image::ImageFormat::WebP,
        }
    }
}

/// Why an output is not a usable image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("the image is empty (0 bytes)")]
    Empty,
    #[error("the data is not a PNG, JPEG or WebP image{0}")]
    NotAnImage(String),
    #[error("the image is {width}×{height} pixels, larger than Easel accepts ({max}×{max} and 64 MiB of pixels)")]
    TooLarge { width: u32, height: u32, max: u32 },
    #[error("the download is larger than {0} MiB")]
    DownloadTooLarge(u64),
    #[error("the image data is damaged: {0}")]
    Corrupt(String),
    #[error("the text is not valid base64: {0}")]
    BadBase64(String),
}

/// What kind of thing an output entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputEntry {
    /// An http(s) URL to download.
    Url(String),
    /// Image bytes carried in the entry itself (base64 or a data: URI).
    Inline(String),
}

/// Sort an output entry: a URL to fetch, or inline data to decode.
pub fn classify(entry: &str) -> OutputEntry {
    let trimmed = entry.trim();
    // Base64 has no ':', so anything that starts like `scheme:` (or `//host`) is an address;
    // `data:` URIs are inline data.
    let scheme = trimmed.find(':').map(|i| &trimmed[..i]).filter(|s| {
        s.starts_with(|c: char| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
    });
    match scheme {
        Some(s) if !s.eq_ignore_ascii_case("data") => OutputEntry::Url(trimmed.to_owned()),
        _ if trimmed.starts_with("//") => OutputEntry::Url(trimmed.to_owned()),
        _ => OutputEntry::Inline(trimmed.to_owned()),
    }
}

/// The format, from the magic bytes alone (never from a Content-Type, which may lie).
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else {
        None
    }
}

/// Decode base64 text as providers send it: optional `data:*;base64,` prefix, optional
/// quotes or a Python `b'…'` wrapper, line breaks, standard or URL-safe alphabet,
/// with or without padding. Refuses payloads that would decode past `max_bytes`.
pub fn decode_base64_text(text: &str, max_bytes: u64) -> Result<Vec<u8>, IntakeError> {
    let mut s = text.trim();
    if let Some(rest) = s.strip_prefix("b'").and_then(|r| r.strip_suffix('\'')) {
        s = rest;
    }
    s = s.trim_matches(|c| c == '"' || c == '\'').trim();
    if s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
        let comma = s.find(',').ok_or_else(|| IntakeError::BadBase64("a data: URI without a comma".into()))?;
        if !s[..comma].to_ascii_lowercase().ends_with(";base64") {
            return Err(IntakeError::BadBase64("a data: URI that is not base64".into()));
        }
        s = &s[comma + 1..];
    }
    if s.is_empty() {
        return Err(IntakeError::Empty);
    }
    if (s.len() as u64 / 4).saturating_mul(3) > max_bytes {
        return Err(IntakeError::DownloadTooLarge(max_bytes >> 20));
    }
    let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let unpadded: &[u8] = {
        let end = compact.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
        &compact[..end]
    };
    let url_safe = unpadded.iter().any(|b| *b == b'-' || *b == b'_');
    let engine =
        if url_safe { &base64::engine::general_purpose::URL_SAFE_NO_PAD } else { &base64::engine::general_purpose::STANDARD_NO_PAD };
    let decoded = engine.decode(unpadded).map_err(|e| IntakeError::BadBase64(e.to_string()))?;
    if decoded.len() as u64 > max_bytes {
        return Err(IntakeError::DownloadTooLarge(max_bytes >> 20));
    }
    Ok(decoded)
}

/// Turn a downloaded body into image bytes: the body itself when it sniffs as an image,
/// else base64 text inside it (the "URL that serves base64" case).
pub fn bytes_from_download(body: Vec<u8>, limits: &Limits) -> Result<Vec<u8>, IntakeError> {
    if body.is_empty() {
        return Err(IntakeError::Empty);
    }
    if sniff(&body).is_some() {
        return Ok(body);
    }
    let text = std::str::from_utf8(&body).map_err(|_| IntakeError::NotAnImage(String::new()))?;
    let looks_base64 = {
        let t = text.trim();
        !t.is_empty() && (t.starts_with("data:") || t.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=-_\r\n\t '\"".contains(&b)))
    };
    if !looks_base64 {
        return Err(IntakeError::NotAnImage(describe_junk(text)));
    }
    decode_base64_text(text, limits.max_download_bytes)
}

/// A short, safe description of what came instead of an image.
fn describe_junk(text: &str) -> String {
    let lower = text.trim_start().get(..200).unwrap_or(text.trim_start()).to_ascii_lowercase();
    if lower.starts_with("<!doctype") || lower.starts_with("<html") || lower.contains("<body") {
        " (a web page came instead)".into()
    } else if lower.starts_with('{') || lower.starts_with('[') {
        " (JSON came instead)".into()
    } else {
        String::new()
    }
}

/// A verified image: the original bytes, unchanged, with what decoding proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedImage {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
}

/// Prove `bytes` are a whole image within the limits: check the declared size from the
/// header first (no allocation), then decode fully under allocation limits.
pub fn verify(bytes: Vec<u8>, limits: &Limits) -> Result<VerifiedImage, IntakeError> {
    if bytes.is_empty() {
        return Err(IntakeError::Empty);
    }
    if bytes.len() as u64 > limits.max_download_bytes {
        return Err(IntakeError::DownloadTooLarge(limits.max_download_bytes >> 20));
    }
    let format =
        sniff(&bytes).ok_or_else(|| IntakeError::NotAnImage(std::str::from_utf8(&bytes).map(describe_junk).unwrap_or_default()))?;
    let reader = |l: image::Limits| {
        let mut r = image::ImageReader::with_format(io::Cursor::new(&bytes[..]), format.to_image_crate());
        r.limits(l);
        r
    };
    // Reading the header allocates no pixels; it tells the size the image claims.
    let (width, height) = reader(image::Limits::no_limits()).into_dimensions().map_err(|e| map_image_error(e, limits))?;
    if width == 0 || height == 0 {
        return Err(IntakeError::Corrupt("it has no pixels".into()));
    }
    let pixel_bytes = u64::from(width) * u64::from(height) * 4;
    if width > limits.max_side || height > limits.max_side || pixel_bytes > limits.max_pixel_bytes {
        return Err(IntakeError::TooLarge { width, height, max: limits.max_side });
    }
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits.max_alloc = Some(limits.max_pixel_bytes);
    reader(decode_limits).decode().map_err(|e| map_image_error(e, limits))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    Ok(VerifiedImage { bytes, format, width, height, sha256 })
}

fn map_image_error(e: image::ImageError, limits: &Limits) -> IntakeError {
    match e {
        image::ImageError::Limits(_) => IntakeError::TooLarge { width: 0, height: 0, max: limits.max_side },
        other => IntakeError::Corrupt(other.to_string()),
    }
}

/// The sha256 of `bytes`, in lower-case hex (files named by their content).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory,
/// fsync, rename, then fsync the directory. Readers see the old file or the whole new one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("the path has no folder"))?;
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("image");
    // The writer's pid is in the name, so a later start can tell a dead writer's leftover
    // (after kill -9) from a file another running Easel is writing right now.
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), rand::random::<u64>()));
    let result = (|| {
        let mut file = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err()
        && let Err(e) = fs::remove_file(&tmp)
    {
        // The write's own error is returned; the leftover is swept at the next start.
        tracing::warn!("the temporary file {} could not be removed: {e}", tmp.display());
    }
    result
}

/// Remove temporary files under `dir` left by writers that died before renaming them:
/// those whose writer process no longer runs (Linux), or that are older than an hour.
/// Returns how many were removed.
pub fn sweep_temporary_files(dir: &Path) -> usize {
    let mut removed = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.starts_with('.') && name.ends_with(".tmp") && writer_is_gone(&name, &entry) && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

fn writer_is_gone(name: &str, entry: &fs::DirEntry) -> bool {
    let old = entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > std::time::Duration::from_secs(3600));
    // ".<file>.<pid>.<random>.tmp": the pid is the second number from the end.
    let pid = name.rsplit('.').nth(2).and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) if pid == std::process::id() => false,
        Some(pid) => old || process_is_gone(pid).unwrap_or(false),
        None => old,
    }
}

/// Whether process `pid` has ended: `Some` where the system tells (Linux), `None` elsewhere.
/// This process never has.
pub(crate) fn process_is_gone(pid: u32) -> Option<bool> {
    if pid == std::process::id() {
        return Some(false);
    }
    Path::new("/proc/self").exists().then(|| !Path::new("/proc").join(pid.to_string()).exists())
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir; // ignored: not a result; directories cannot be synced on this platform
        Ok(())
    }
}

/// Store a verified image under `images_dir/ab/<sha256>.<ext>` (content-addressed, so
/// storing the same image twice is a no-op) and return its path.
pub fn store(images_dir: &Path, image: &VerifiedImage) -> io::Result<PathBuf> {
    let path = images_dir.join(&image.sha256[..2]).join(format!("{}.{}", image.sha256, image.format.extension()));
    let already_there = fs::metadata(&path).is_ok_and(|m| m.len() == image.bytes.len() as u64);
    if !already_there {
        write_atomically(&path, &image.bytes)?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        img.write_to(&mut io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([x as u8, 10, 200]));
        let mut out = Vec::new();
        img.write_to(&mut io::Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
        out
    }

    #[test]
    fn sniffs_magic_bytes_only() {
        assert_eq!(sniff(&png(2, 2)), Some(ImageFormat::Png));
        assert_eq!(sniff(&jpeg(8, 8)), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
    }

    #[test]
    fn classifies_entries() {
        assert_eq!(classify(" https://x/y.png "), OutputEntry::Url("https://x/y.png".into()));
        assert_eq!(classify("HTTP://x/y.png"), OutputEntry::Url("HTTP://x/y.png".into()));
        assert_eq!(classify("iVBORw0KGgo="), OutputEntry::Inline("iVBORw0KGgo=".into()));
        assert_eq!(classify("data:image/png;base64,AAAA"), OutputEntry::Inline("data:image/png;base64,AAAA".into()));
    }

    #[test]
    fn decodes_every_base64_shape_providers_send() {
        let bytes = png(3, 3);
        let std = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        let wrapped: String = std.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n");
        for text in [
            std.clone(),
            format!("data:image/png;base64,{std}"),
            format!("DATA:image/png;BASE64,{std}"),
            format!("\"{std}\""),
            format!("b'{std}'"),
            format!("  {wrapped}\n"),
            url,
            std.trim_end_matches('=').to_owned(),
        ] {
            assert_eq!(decode_base64_text(&text, 1 << 20).unwrap(), bytes, "{}", &text[..20]);
        }
        assert!(matches!(decode_base64_text("data:image/png,plain", 1 << 20), Err(IntakeError::BadBase64(_))));
        assert!(matches!(decode_base64_text("!!!not base64!!!", 1 << 20), Err(IntakeError::BadBase64(_))));
        assert_eq!(decode_base64_text("  ", 1 << 20), Err(IntakeError::Empty));
        assert!(matches!(decode_base64_text(&"A".repeat(4000), 1000), Err(IntakeError::DownloadTooLarge(_))));
    }

    #[test]
    fn downloads_may_be_bytes_or_base64_text() {
        let bytes = png(4, 4);
        let limits = Limits::default();
        assert_eq!(bytes_from_download(bytes.clone(), &limits).unwrap(), bytes);
        let text = format!("{}\n", base64::engine::general_purpose::STANDARD.encode(&bytes));
        assert_eq!(bytes_from_download(text.into_bytes(), &limits).unwrap(), bytes);
        assert_eq!(bytes_from_download(Vec::new(), &limits), Err(IntakeError::Empty));
        let html = bytes_from_download(b"<html><body>Access denied</body></html>".to_vec(), &limits).unwrap_err();
        assert_eq!(html, IntakeError::NotAnImage(" (a web page came instead)".into()));
        assert!(matches!(bytes_from_download(vec![0xff, 0x00, 0x13], &limits), Err(IntakeError::NotAnImage(_))));
    }

    #[test]
    fn verify_reports_size_and_hash_of_the_original_bytes() {
        let bytes = png(40, 30);
        let v = verify(bytes.clone(), &Limits::default()).unwrap();
        assert_eq!((v.width, v.height, v.format), (40, 30, ImageFormat::Png));
        assert_eq!(v.bytes, bytes);
        assert_eq!(v.sha256, hex(&Sha256::digest(&bytes)));
        assert_eq!(v.sha256.len(), 64);
        let j = verify(jpeg(16, 8), &Limits::default()).unwrap();
        assert_eq!((j.width, j.height, j.format), (16, 8, ImageFormat::Jpeg));
    }

    #[test]
    fn decompression_bombs_are_refused_from_the_header() {
        let bomb = easel_sandbox::oversized_png(60000, 60000);
        assert!(bomb.len() < 200);
        assert_eq!(verify(bomb, &Limits::default()), Err(IntakeError::TooLarge { width: 60000, height: 60000, max: 8192 }));
        // Within each side's limit but over the pixel budget.
        assert!(matches!(verify(easel_sandbox::oversized_png(8192, 8192), &Limits::default()), Err(IntakeError::TooLarge { .. })));
    }

    #[test]
    fn truncated_and_junk_images_are_refused() {
        let bytes = png(64, 64);
        let cut = bytes[..bytes.len() / 2].to_vec();
        assert!(matches!(verify(cut, &Limits::default()), Err(IntakeError::Corrupt(_))));
        assert_eq!(verify(Vec::new(), &Limits::default()), Err(IntakeError::Empty));
        assert!(matches!(verify(b"GIF89a....".to_vec(), &Limits::default()), Err(IntakeError::NotAnImage(_))));
        let small = Limits { max_download_bytes: 10, ..Limits::default() };
        assert!(matches!(verify(bytes, &small), Err(IntakeError::DownloadTooLarge(_))));
    }

    #[test]
    fn leftovers_of_dead_writers_are_swept_but_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ab");
        fs::create_dir_all(&sub).unwrap();
        // pid 4194304 is above Linux's pid_max, so no process has it.
        let dead = sub.join(".ab12.png.4194304.77.tmp");
        let mine = sub.join(format!(".ab34.png.{}.88.tmp", std::process::id()));
        let image = sub.join("ab56.png");
        for f in [&dead, &mine, &image] {
            fs::write(f, b"x").unwrap();
        }
        assert_eq!(sweep_temporary_files(dir.path()), 1);
        assert!(!dead.exists() && mine.exists() && image.exists());
    }

    #[test]
    fn store_is_atomic_content_addressed_and_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let v = verify(png(5, 5), &Limits::default()).unwrap();
        let path = store(dir.path(), &v).unwrap();
        assert_eq!(path, dir.path().join(&v.sha256[..2]).join(format!("{}.png", v.sha256)));
        assert_eq!(fs::read(&path).unwrap(), v.bytes);
        assert_eq!(store(dir.path(), &v).unwrap(), path);
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left behind");
    }
}
