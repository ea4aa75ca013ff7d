//! The image store behind `GET /generations/{file}`: the files a generation's URLs serve
//! (test patterns, uploads, a scenario's broken files), rendered on first request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::canned;
use crate::pattern::{ImageSpec, off_thread};
use crate::reply::sandbox_error;
use crate::scenario::Scenario;
use crate::shared::{Shared, lock};

/// The route the store answers on.
pub(crate) const ROUTE: &str = "/generations/{file}";

/// Every file this sandbox serves, by name.
pub(crate) struct ImageStore {
    /// `http://127.0.0.1:PORT/generations/`.
    url_prefix: String,
    files: Mutex<HashMap<String, Arc<StoredFile>>>,
    /// How long each download is held, in milliseconds (starts at the configured delay).
    download_delay_ms: AtomicU64,
}

impl ImageStore {
    pub(crate) fn new(base_url: &str, download_delay: Duration) -> Self {
        Self {
            url_prefix: format!("{base_url}/generations/"),
            files: Mutex::default(),
            download_delay_ms: AtomicU64::new(download_delay.as_millis() as u64),
        }
    }

    /// The public URL of the file `name` (whether or not it is stored).
    pub(crate) fn url_of(&self, name: &str) -> String {
        format!("{}{name}", self.url_prefix)
    }

    /// Stores `file` under `name` and returns its public URL.
    pub(crate) fn publish(&self, name: String, file: Arc<StoredFile>) -> String {
        let url = self.url_of(&name);
        lock(&self.files).insert(name, file);
        url
    }

    /// The bytes behind one of this sandbox's own image URLs, if it serves that file.
    pub(crate) fn published_bytes(&self, url: &str) -> Option<Bytes> {
        let name = url.strip_prefix(&self.url_prefix)?;
        let file = lock(&self.files).get(name).cloned()?;
        Some(file.bytes())
    }

    pub(crate) fn set_download_delay(&self, delay: Duration) {
        self.download_delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    fn download_delay(&self) -> Duration {
        Duration::from_millis(self.download_delay_ms.load(Ordering::SeqCst))
    }

    fn get(&self, name: &str) -> Option<Arc<StoredFile>> {
        lock(&self.files).get(name).cloned()
    }
}

/// `GET /generations/{file}`: the file, after the download delay; 404 for an unknown file or
/// one that is still withheld; 503 if the sandbox stops during the delay.
pub(crate) async fn serve(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let Some(file) = shared.images.get(&name).filter(|file| file.admit_get()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = file.content.content_type();
    let delay = shared.images.download_delay();
    if !delay.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shared.stopping() => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
    match off_thread("rendering an image", move || file.bytes()).await {
        Some(bytes) => ([(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        None => sandbox_error(StatusCode::INTERNAL_SERVER_ERROR, "Could not render image").into_response(),
    }
}

/// What the image URL of `spec` serves in `scenario`, and its file extension. Shared by every
/// protocol that answers with URLs.
pub(crate) fn output_file(scenario: Scenario, spec: ImageSpec) -> (&'static str, StoredFile) {
    if let Some(junk) = canned::broken_image(scenario) {
        return ("png", StoredFile::new(FileContent::Raw { content_type: "image/png", bytes: junk }));
    }
    match scenario {
        Scenario::JpegOutput => ("jpg", StoredFile::new(FileContent::Jpeg(spec))),
        Scenario::Base64Url => ("png", StoredFile::new(FileContent::Base64Png(spec))),
        Scenario::FutureLink404 => ("png", StoredFile::new(FileContent::Png(spec)).withheld_for(2)),
        _ => ("png", StoredFile::new(FileContent::Png(spec))),
    }
}

/// A random version-4 UUID in its usual hyphenated form, for output file names.
pub(crate) fn new_uuid() -> String {
    let mut bits: u128 = rand::random();
    bits = (bits & !(0xF << 76)) | (0x4 << 76); // version 4
    bits = (bits & !(0x3 << 62)) | (0x2 << 62); // RFC 4122 variant
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// What an image URL serves.
pub(crate) enum FileContent {
    /// The test pattern as PNG.
    Png(ImageSpec),
    /// The test pattern as JPEG.
    Jpeg(ImageSpec),
    /// The PNG of the test pattern as base64 text with a trailing newline.
    Base64Png(ImageSpec),
    /// Fixed bytes, whatever they are.
    Raw { content_type: &'static str, bytes: Bytes },
}

impl FileContent {
    fn content_type(&self) -> &'static str {
        match self {
            FileContent::Png(_) => "image/png",
            FileContent::Jpeg(_) => "image/jpeg",
            FileContent::Base64Png(_) => "text/plain; charset=utf-8",
            FileContent::Raw { content_type, .. } => content_type,
        }
    }

    /// Produces the bytes to serve; CPU-bound for images, so call it off the async threads.
    fn render(&self) -> Bytes {
        match self {
            FileContent::Png(spec) => spec.png().into(),
            FileContent::Jpeg(spec) => spec.jpeg().into(),
            FileContent::Base64Png(spec) => format!("{}\n", spec.png_base64()).into(),
            FileContent::Raw { bytes, .. } => bytes.clone(),
        }
    }
}

/// An entry of the image store.
pub(crate) struct StoredFile {
    content: FileContent,
    /// False while the job producing it is still queued: the URL answers 404 until then.
    available: AtomicBool,
    /// How many more GETs answer 404 before the file is served.
    withheld_gets: AtomicU32,
    /// The rendered bytes, once someone asked for them.
    rendered: OnceLock<Bytes>,
}

impl StoredFile {
    /// A file served from the first request on.
    pub(crate) fn new(content: FileContent) -> Self {
        Self { content, available: AtomicBool::new(true), withheld_gets: AtomicU32::new(0), rendered: OnceLock::new() }
    }

    /// Makes the file answer 404 until [`StoredFile::make_available`] is called.
    pub(crate) fn unavailable(self) -> Self {
        self.available.store(false, Ordering::Relaxed);
        self
    }

    /// Makes the first `gets` requests for the file answer 404.
    fn withheld_for(self, gets: u32) -> Self {
        self.withheld_gets.store(gets, Ordering::Relaxed);
        self
    }

    pub(crate) fn make_available(&self) {
        self.available.store(true, Ordering::Relaxed);
    }

    /// Decides whether this GET is served, consuming one withheld GET if any are left.
    fn admit_get(&self) -> bool {
        self.available.load(Ordering::Relaxed)
            && self.withheld_gets.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_err()
    }

    fn bytes(&self) -> Bytes {
        self.rendered.get_or_init(|| self.content.render()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_look_like_version_4() {
        let uuid = new_uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!("89ab".contains(&uuid[19..20]));
    }

    #[test]
    fn withheld_and_unavailable_files_answer_404_until_released() {
        let spec = ImageSpec { width: 4, height: 4, seed: 0 };
        let (_, withheld) = output_file(Scenario::FutureLink404, spec);
        assert_eq!([withheld.admit_get(), withheld.admit_get(), withheld.admit_get()], [false, false, true]);
        let queued = StoredFile::new(FileContent::Png(spec)).unavailable();
        assert!(!queued.admit_get());
        queued.make_available();
        assert!(queued.admit_get());
    }
}
