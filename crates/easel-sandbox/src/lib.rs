//! A local imitation of the hosted image-generation APIs, for trying Easel without credits and
//! for driving integration tests over real HTTP.
//!
//! The sandbox listens on 127.0.0.1 only. It speaks ModelsLab v6 and v7 (`/api/...`), the
//! OpenAI Images API (`/v1/images/generations`) and AUTOMATIC1111/Forge (`/sdapi/v1/...`), all
//! at once; one [`Scenario`] scripts the behaviours, quirks and failure modes of every protocol.
//! It answers with synthetic test-pattern images, never real generations.
//!
//! This module holds what every protocol shares: configuration, the server itself, the request
//! log, in-flight job accounting and the `/generations/{file}` image store. Each protocol lives
//! in its own submodule and contributes routes through a `routes()` function.

mod a1111;
mod modelslab;
mod openai;
mod pattern;
mod scenario;

pub use pattern::oversized_png;
pub use scenario::Scenario;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Largest request body the sandbox reads; bigger bodies get HTTP 413.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// How the sandbox behaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The scripted behaviour for generation requests.
    pub scenario: Scenario,
    /// Port to listen on; 0 picks any free port. The address is always 127.0.0.1.
    pub port: u16,
    /// Most generation jobs in flight at once; a further submission gets HTTP 429.
    pub queue_limit: usize,
    /// How long a generation takes. Scenarios that answer at once delay their success response
    /// by this; queued scenarios keep answering "processing" until it has elapsed.
    pub job_duration: Duration,
    /// How many fetches a queued job answers with "processing" before it can be ready.
    pub processing_polls: u32,
    /// How long each image download is held before its bytes are sent (to test a crash mid-download).
    pub download_delay: Duration,
    /// `base64_to_url` answers with a URL but keeps nothing behind it, so a generation that
    /// uses it cannot fetch its starting image (as when an upload has expired).
    pub forget_uploads: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            scenario: Scenario::default(),
            port: 0,
            queue_limit: 5,
            job_duration: Duration::ZERO,
            processing_polls: 1,
            download_delay: Duration::ZERO,
            forget_uploads: false,
        }
    }
}

impl SandboxConfig {
    /// The default configuration with the given scenario.
    pub fn new(scenario: Scenario) -> Self {
        Self { scenario, ..Self::default() }
    }
}

/// One request as the sandbox received it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    /// When the request arrived.
    pub at: Instant,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path, without the query string.
    pub path: String,
    /// Query string, if any (without the `?`).
    pub query: Option<String>,
    /// All request headers, in order, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, or `Null` when it is empty or not JSON.
    pub body: Value,
}

/// A running sandbox server. Dropping it (or calling [`Sandbox::shutdown`]) stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// Never sent on: dropping it tells the server and any waiting handler to stop.
    _stop: watch::Sender<()>,
}

impl Sandbox {
    /// Binds 127.0.0.1 on the configured port and starts serving on the current tokio runtime.
    ///
    /// Returns once the socket is listening, so requests can be sent right away.
    pub async fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared::new(config, addr, stopped.clone()));
        let app = router(Arc::clone(&shared));
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(wait_for_stop(stopped)).await;
            if let Err(err) = served {
                eprintln!("easel sandbox: server error: {err}");
            }
        });
        Ok(Sandbox { addr, shared, _stop: stop })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients should use, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// The largest number of generation jobs that were in flight at the same time.
    pub fn max_in_flight(&self) -> usize {
        lock(&self.shared.in_flight.counts).peak
    }

    /// How many HTTP 429 responses were sent.
    pub fn rate_limited_count(&self) -> usize {
        self.shared.rate_limited.load(Ordering::Relaxed)
    }

    /// Change how long image downloads are held, from now on.
    pub fn set_download_delay(&self, delay: Duration) {
        self.shared.download_delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Stops the server: it accepts no new connections, finishes the responses under way and
    /// cuts short handlers that are waiting (such as the `hang` scenario).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).field("scenario", &self.shared.config.scenario).finish_non_exhaustive()
    }
}

/// Runs a sandbox until Ctrl+C, announcing its address on stdout. Used by `easel sandbox`.
pub async fn serve_forever(config: SandboxConfig) -> io::Result<()> {
    let scenario = config.scenario;
    let sandbox = Sandbox::start(config).await?;
    println!("Easel sandbox listening on {} (scenario: {}) — test patterns only, no real images", sandbox.base_url(), scenario.name());
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown();
    Ok(())
}

/// Resolves once the [`Sandbox`] owning the matching sender is gone.
async fn wait_for_stop(mut stopped: watch::Receiver<()>) {
    // The sender never sends, so this only returns (with an error) once it is dropped.
    while stopped.changed().await.is_ok() {}
}

/// State shared by every handler of one sandbox.
struct Shared {
    config: SandboxConfig,
    base_url: String,
    log: Mutex<Vec<LoggedRequest>>,
    in_flight: Arc<InFlight>,
    rate_limited: AtomicUsize,
    files: Mutex<HashMap<String, Arc<StoredFile>>>,
    /// The current download delay in milliseconds (starts at `config.download_delay`).
    download_delay_ms: std::sync::atomic::AtomicU64,
    stopped: watch::Receiver<()>,
    modelslab: modelslab::ProtocolState,
    openai: openai::ProtocolState,
    a1111: a1111::ProtocolState,
}

impl Shared {
    fn new(config: SandboxConfig, addr: SocketAddr, stopped: watch::Receiver<()>) -> Self {
        Self {
            base_url: format!("http://{addr}"),
            log: Mutex::default(),
            in_flight: Arc::new(InFlight { limit: config.queue_limit, counts: Mutex::default() }),
            rate_limited: AtomicUsize::new(0),
            download_delay_ms: std::sync::atomic::AtomicU64::new(config.download_delay.as_millis() as u64),
            files: Mutex::default(),
            stopped,
            modelslab: modelslab::ProtocolState::default(),
            openai: openai::ProtocolState::default(),
            a1111: a1111::ProtocolState::default(),
            config,
        }
    }

    /// Sleeps for `duration`, or less if the sandbox is shutting down.
    async fn pause(&self, duration: Duration) {
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            () = wait_for_stop(self.stopped.clone()) => {}
        }
    }

    /// Builds an HTTP 429 response with `body` and extra `headers`, and counts it.
    fn too_many_requests<const N: usize>(&self, body: Value, headers: [(HeaderName, HeaderValue); N]) -> Response {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, body);
        response.headers_mut().extend(headers);
        response
    }

    /// The bytes behind one of this sandbox's own image URLs, if it serves that file.
    fn published_bytes(&self, url: &str) -> Option<Bytes> {
        let name = url.strip_prefix(&self.base_url)?.strip_prefix("/generations/")?;
        let file = lock(&self.files).get(name).cloned()?;
        Some(file.bytes())
    }

    /// Stores `file` under `name` in the image store and returns its public URL.
    fn publish(&self, name: String, file: Arc<StoredFile>) -> String {
        let url = format!("{}/generations/{name}", self.base_url);
        lock(&self.files).insert(name, file);
        url
    }
}

/// Counts generation jobs in flight and enforces the queue limit.
struct InFlight {
    limit: usize,
    counts: Mutex<InFlightCounts>,
}

#[derive(Default)]
struct InFlightCounts {
    current: usize,
    peak: usize,
}

impl InFlight {
    /// Admits one more job, unless `limit` jobs are already in flight.
    fn try_acquire(self: &Arc<Self>) -> Option<JobSlot> {
        let mut counts = lock(&self.counts);
        if counts.current >= self.limit {
            return None;
        }
        counts.current += 1;
        counts.peak = counts.peak.max(counts.current);
        Some(JobSlot(Arc::clone(self)))
    }
}

/// One job's place in the in-flight count; the job stops counting when this is dropped.
struct JobSlot(Arc<InFlight>);

impl Drop for JobSlot {
    fn drop(&mut self) {
        lock(&self.0.counts).current -= 1;
    }
}

/// What an image URL serves.
enum FileContent {
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

/// Which test pattern to draw.
#[derive(Clone, Copy, Debug)]
struct ImageSpec {
    width: u32,
    height: u32,
    seed: u64,
}

impl ImageSpec {
    fn png(self) -> Vec<u8> {
        pattern::encode_png(&pattern::test_pattern(self.width, self.height, self.seed))
    }

    fn jpeg(self) -> Vec<u8> {
        pattern::encode_jpeg(&pattern::test_pattern(self.width, self.height, self.seed))
    }

    fn png_base64(self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.png())
    }
}

/// An entry of the image store behind `GET /generations/{file}`.
struct StoredFile {
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
    fn new(content: FileContent) -> Self {
        Self { content, available: AtomicBool::new(true), withheld_gets: AtomicU32::new(0), rendered: OnceLock::new() }
    }

    /// Makes the file answer 404 until [`StoredFile::make_available`] is called.
    fn unavailable(self) -> Self {
        self.available.store(false, Ordering::Relaxed);
        self
    }

    /// Makes the first `gets` requests for the file answer 404.
    fn withheld_for(self, gets: u32) -> Self {
        self.withheld_gets.store(gets, Ordering::Relaxed);
        self
    }

    fn make_available(&self) {
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

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(modelslab::routes())
        .merge(openai::routes())
        .merge(a1111::routes())
        .route("/generations/{file}", get(serve_file))
        // Starting images travel as base64 (up to 5 MB of image, so ~6.7 MB of text).
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .fallback(route_not_found)
        .method_not_allowed_fallback(route_not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), log_request))
        .with_state(shared)
}

/// Records every request (including its JSON body) before handing it on.
async fn log_request(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await;
    lock(&shared.log).push(LoggedRequest {
        at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: header_list(&parts.headers),
        body: body.as_ref().ok().and_then(|bytes| serde_json::from_slice(bytes).ok()).unwrap_or(Value::Null),
    });
    match body {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(_) => error_response(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large or unreadable"),
    }
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// `GET /generations/{file}`: the image store.
async fn serve_file(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let file = lock(&shared.files).get(&name).cloned();
    let Some(file) = file.filter(|file| file.admit_get()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = file.content.content_type();
    let delay = Duration::from_millis(shared.download_delay_ms.load(Ordering::SeqCst));
    if !delay.is_zero() {
        let mut stopped = shared.stopped.clone();
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stopped.changed() => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
    match tokio::task::spawn_blocking(move || file.bytes()).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        Err(_) => error_response(StatusCode::INTERNAL_SERVER_ERROR, "Could not render image"),
    }
}

async fn route_not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "Route not found")
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// `{"status":"error","message":…}` with the given HTTP status.
fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    Rejection::new(status, message).into_response()
}

/// A JSON error reply, small enough to travel in `Err` until a handler returns it.
struct Rejection {
    status: StatusCode,
    body: Value,
}

impl Rejection {
    /// `{"status":"error","message":…}` with the given HTTP status.
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let body = json!({"status": "error", "message": message.into()});
        Self { status, body }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        json_response(self.status, self.body)
    }
}

fn html_response(status: StatusCode, html: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A random version-4 UUID in its usual hyphenated form, for output file names.
fn new_uuid() -> String {
    let mut bits: u128 = rand::random();
    bits = (bits & !(0xF << 76)) | (0x4 << 76); // version 4
    bits = (bits & !(0x3 << 62)) | (0x2 << 62); // RFC 4122 variant
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Locks a mutex, ignoring poisoning: every critical section leaves the data consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    async fn post(url: &str, body: Value) -> (StatusCode, Value) {
        let response = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, response.json().await.unwrap())
    }

    async fn get(url: &str) -> reqwest::Response {
        reqwest::get(url).await.unwrap()
    }

    fn text2img(sandbox: &Sandbox) -> String {
        format!("{}/api/v6/images/text2img", sandbox.base_url())
    }

    fn generation() -> Value {
        json!({"key": "k", "model_id": "flux", "prompt": "a cat", "width": 64, "height": 48})
    }

    #[tokio::test]
    async fn success_returns_png_of_requested_size() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
        assert_eq!(sandbox.addr().ip(), Ipv4Addr::LOCALHOST);
        let body = json!({"key": "k", "model_id": "flux", "prompt": "a cat",
                          "width": "96", "height": 64, "samples": 2, "seed": 42});
        let (status, reply) = post(&text2img(&sandbox), body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reply["status"], "success");
        assert_eq!(reply["meta"]["seed"], 42);
        assert_eq!(reply["meta"]["seeds"], json!([42, 43]));
        let urls = reply["output"].as_array().unwrap();
        assert_eq!(urls.len(), 2);

        let mut images = Vec::new();
        for url in urls {
            let response = get(url.as_str().unwrap()).await;
            assert_eq!(response.headers()["content-type"], "image/png");
            let image = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
            assert_eq!((image.width(), image.height()), (96, 64));
            images.push(image);
        }
        assert_ne!(images[0], images[1], "each sample uses its own seed");

        let logged = sandbox.requests();
        assert_eq!(logged[0].path, "/api/v6/images/text2img");
        assert_eq!(logged[0].body["prompt"], "a cat");
        assert_eq!(sandbox.max_in_flight(), 1);
    }

    #[tokio::test]
    async fn processing_then_fetch() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Processing)).await.unwrap();
        let (status, queued) = post(&text2img(&sandbox), generation()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(queued["status"], "processing");
        let id = queued["id"].as_u64().unwrap();
        let future_link = queued["future_links"][0].as_str().unwrap().to_owned();
        assert_eq!(get(&future_link).await.status(), 404);

        let fetch_url = queued["fetch_result"].as_str().unwrap().to_owned();
        let (_, first) = post(&fetch_url, json!({"key": "k"})).await;
        assert_eq!(first["status"], "processing");
        assert_eq!(first["output"], "");

        let body_form = format!("{}/api/v6/images/fetch", sandbox.base_url());
        let (_, done) = post(&body_form, json!({"key": "k", "request_id": id.to_string()})).await;
        assert_eq!(done["status"], "success");
        assert_eq!(done["output"][0], future_link.as_str());
        assert_eq!(get(&future_link).await.status(), 200);

        let (status, missing) = post(&format!("{fetch_url}999"), json!({"key": "k"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(missing["status"], "error");
    }

    #[tokio::test]
    async fn queue_limit_answers_429() {
        let config = SandboxConfig { queue_limit: 2, ..SandboxConfig::new(Scenario::ProcessingForever) };
        let sandbox = Sandbox::start(config).await.unwrap();
        for _ in 0..2 {
            let (_, queued) = post(&text2img(&sandbox), generation()).await;
            assert_eq!(queued["status"], "processing");
        }
        let (status, limited) = post(&text2img(&sandbox), generation()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited["retry_after"], 1);
        assert_eq!(sandbox.max_in_flight(), 2);
        assert_eq!(sandbox.rate_limited_count(), 1);
    }

    #[tokio::test]
    async fn huge_image_declares_60000_square() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::HugeImage)).await.unwrap();
        let (_, reply) = post(&text2img(&sandbox), generation()).await;
        let bytes = get(reply["output"][0].as_str().unwrap()).await.bytes().await.unwrap();
        assert!(bytes.len() < 1024);
        let dimensions = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().unwrap().into_dimensions().unwrap();
        assert_eq!(dimensions, (60000, 60000));
    }

    #[tokio::test]
    async fn bad_requests_get_json_errors() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let malformed = reqwest::Client::new().post(text2img(&sandbox)).body("{not json").send().await.unwrap();
        assert_eq!(malformed.status(), 400);
        assert_eq!(malformed.json::<Value>().await.unwrap()["status"], "error");

        let (status, reply) = post(&text2img(&sandbox), json!({"prompt": "x"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply["message"], "Invalid API key");

        let bad_width = json!({"key": "k", "prompt": "x", "width": "wide"});
        let (status, reply) = post(&text2img(&sandbox), bad_width).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(reply["message"]["width"].is_array());

        let (status, reply) = post(&format!("{}/nowhere", sandbox.base_url()), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(reply["message"], "Route not found");

        let wallet = format!("{}/api/wallet_balance", sandbox.base_url());
        let (status, reply) = post(&wallet, json!({"key": "k"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reply["data"]["currency"], "USD");
        assert_eq!(sandbox.max_in_flight(), 0);
    }

    /// The HTTP status and `status` field (`None`: not JSON) of the first text2img reply.
    fn first_reply(scenario: Scenario) -> (u16, Option<&'static str>) {
        use Scenario as S;
        match scenario {
            S::Success
            | S::ObjectOutput
            | S::Base64Url
            | S::InlineBase64
            | S::DataUri
            | S::JpegOutput
            | S::FutureLink404
            | S::EmptyImage
            | S::NotAnImage
            | S::HugeImage => (200, Some("success")),
            S::Processing
            | S::ProcessingStringId
            | S::FetchBodyForm
            | S::ProcessingThenFailed
            | S::ProcessingForever
            | S::BigEta
            | S::DuplicateId => (200, Some("processing")),
            S::Failed => (200, Some("failed")),
            S::Auth200 | S::Validation200 | S::MessegeError => (200, Some("error")),
            S::Auth401 => (401, Some("error")),
            S::Credits402 => (402, Some("error")),
            S::Plan403 => (403, Some("error")),
            S::Validation400 | S::ContentPolicy | S::ErrorField => (400, Some("error")),
            S::RateLimited
            | S::RateLimitedHeader
            | S::RateLimitedMs
            | S::RateLimitedDate
            | S::RateLimitedReset
            | S::RateLimitedForever
            | S::RateLimitedLong
            | S::Quota429 => (429, Some("error")),
            S::ServerErrorOnce | S::ServerError => (500, Some("error")),
            S::ModelOutage => (503, Some("error")),
            S::Html502 => (502, None),
            S::Html200 | S::Empty200 | S::Hang => (200, None),
        }
    }

    #[tokio::test]
    async fn every_scenario_answers_as_scripted() {
        let client = reqwest::Client::new();
        for &scenario in Scenario::ALL {
            if scenario == Scenario::Hang {
                continue;
            }
            let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
            let response = client.post(text2img(&sandbox)).json(&generation()).send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap();
            let json_status = serde_json::from_slice::<Value>(&body).ok().and_then(|body| body["status"].as_str().map(str::to_owned));
            let (want_status, want_json) = first_reply(scenario);
            assert_eq!(status, want_status, "{scenario}");
            assert_eq!(json_status.as_deref(), want_json, "{scenario}");
            let expect_429 = usize::from(want_status == 429);
            assert_eq!(sandbox.rate_limited_count(), expect_429, "{scenario}");
        }
    }

    #[tokio::test]
    async fn output_variants() {
        use base64::Engine as _;
        let decode = |text: &str| base64::engine::general_purpose::STANDARD.decode(text).unwrap();
        let first_output = async |scenario| {
            let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
            let (_, reply) = post(&text2img(&sandbox), generation()).await;
            (sandbox, reply)
        };

        let (_sandbox, reply) = first_output(Scenario::ObjectOutput).await;
        assert!(reply["id"].is_string());
        assert!(reply["output"]["0"].is_string() && reply["proxy_links"]["0"].is_string());

        let (_sandbox, reply) = first_output(Scenario::InlineBase64).await;
        let png = decode(reply["output"][0].as_str().unwrap());
        assert_eq!(image::load_from_memory(&png).unwrap().width(), 64);

        let (_sandbox, reply) = first_output(Scenario::DataUri).await;
        let uri = reply["output"][0].as_str().unwrap();
        let png = decode(uri.strip_prefix("data:image/png;base64,").unwrap());
        assert_eq!(image::load_from_memory(&png).unwrap().height(), 48);

        let (_sandbox, reply) = first_output(Scenario::JpegOutput).await;
        let url = reply["output"][0].as_str().unwrap();
        assert!(url.ends_with(".jpg"));
        let response = get(url).await;
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let jpeg = response.bytes().await.unwrap();
        assert_eq!(image::guess_format(&jpeg).unwrap(), image::ImageFormat::Jpeg);

        let (_sandbox, reply) = first_output(Scenario::Base64Url).await;
        let text = get(reply["output"][0].as_str().unwrap()).await.text().await.unwrap();
        let png = decode(text.strip_suffix('\n').unwrap());
        assert!(image::load_from_memory(&png).is_ok());

        let (_sandbox, reply) = first_output(Scenario::FutureLink404).await;
        let url = reply["output"][0].as_str().unwrap();
        assert_eq!(get(url).await.status(), 404);
        assert_eq!(get(url).await.status(), 404);
        assert_eq!(get(url).await.status(), 200);

        let (_sandbox, reply) = first_output(Scenario::EmptyImage).await;
        let response = get(reply["output"][0].as_str().unwrap()).await;
        assert_eq!(response.status(), 200);
        assert!(response.bytes().await.unwrap().is_empty());

        let (_sandbox, reply) = first_output(Scenario::NotAnImage).await;
        let response = get(reply["output"][0].as_str().unwrap()).await;
        assert_eq!(response.headers()["content-type"], "image/png");
        assert!(response.text().await.unwrap().contains("Access denied"));
    }

    #[tokio::test]
    async fn rate_limit_hints_then_success() {
        let client = reqwest::Client::new();
        for (scenario, header) in [
            (Scenario::RateLimitedHeader, "retry-after"),
            (Scenario::RateLimitedMs, "retry-after-ms"),
            (Scenario::RateLimitedDate, "retry-after"),
            (Scenario::RateLimitedReset, "x-ratelimit-reset"),
        ] {
            let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
            let limited = client.post(text2img(&sandbox)).json(&generation()).send().await.unwrap();
            assert_eq!(limited.status(), 429, "{scenario}");
            assert!(limited.headers().contains_key(header), "{scenario}");
            let (status, reply) = post(&text2img(&sandbox), generation()).await;
            assert_eq!((status, reply["status"].as_str()), (StatusCode::OK, Some("success")));
        }
    }

    #[tokio::test]
    async fn processing_variants() {
        let fetch_by_body = |sandbox: &Sandbox| format!("{}/api/v6/images/fetch", sandbox.base_url());
        let key = json!({"key": "k"});

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::ProcessingStringId)).await.unwrap();
        let (_, queued) = post(&text2img(&sandbox), generation()).await;
        assert!(queued["id"].as_str().unwrap().starts_with("abc123-def456-"));
        assert!(queued["message"].is_string() && queued["messege"].is_null());
        let (_, polled) = post(queued["fetch_result"].as_str().unwrap(), key.clone()).await;
        assert_eq!(polled["message"], "try again later.");

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::FetchBodyForm)).await.unwrap();
        let (_, queued) = post(&text2img(&sandbox), generation()).await;
        let path_form = post_text(queued["fetch_result"].as_str().unwrap()).await;
        assert_eq!(path_form.0, 404);
        assert!(path_form.1.contains("<h1>404 Not Found</h1>"));
        let by_body = json!({"key": "k", "request_id": queued["id"]});
        let (_, first) = post(&fetch_by_body(&sandbox), by_body.clone()).await;
        let (_, second) = post(&fetch_by_body(&sandbox), by_body).await;
        assert_eq!((first["status"].as_str(), second["status"].as_str()), (Some("processing"), Some("success")));

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::ProcessingThenFailed)).await.unwrap();
        let (_, queued) = post(&text2img(&sandbox), generation()).await;
        let fetch_url = queued["fetch_result"].as_str().unwrap();
        post(fetch_url, key.clone()).await;
        let (_, failed) = post(fetch_url, key.clone()).await;
        assert_eq!(failed["status"], "failed");
        assert_eq!(get(queued["future_links"][0].as_str().unwrap()).await.status(), 404);

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::DuplicateId)).await.unwrap();
        let (_, first) = post(&text2img(&sandbox), generation()).await;
        let (_, second) = post(&text2img(&sandbox), generation()).await;
        assert_eq!((first["id"].as_u64(), second["id"].as_u64()), (Some(777), Some(777)));
        assert_eq!(sandbox.max_in_flight(), 2);
    }

    async fn post_text(url: &str) -> (u16, String) {
        let response = reqwest::Client::new().post(url).json(&json!({"key": "k"})).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    #[tokio::test]
    async fn job_duration_overlaps_concurrent_jobs() {
        let config = SandboxConfig { job_duration: Duration::from_millis(100), ..SandboxConfig::new(Scenario::Success) };
        let sandbox = Sandbox::start(config).await.unwrap();
        let url = text2img(&sandbox);
        let replies = tokio::join!(post(&url, generation()), post(&url, generation()), post(&url, generation()));
        assert_eq!(replies.0.1["status"], "success");
        assert_eq!(sandbox.max_in_flight(), 3);
    }

    #[tokio::test]
    async fn hang_never_answers() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Hang)).await.unwrap();
        let outcome = reqwest::Client::new().post(text2img(&sandbox)).json(&generation()).timeout(Duration::from_millis(150)).send().await;
        assert!(outcome.unwrap_err().is_timeout());
        sandbox.shutdown();
    }

    #[test]
    fn uuids_look_like_version_4() {
        let uuid = new_uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!("89ab".contains(&uuid[19..20]));
    }
}
