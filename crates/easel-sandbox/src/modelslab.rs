//! The ModelsLab protocol, acting out the configured [`Scenario`]:
//!
//! - v6: `text2img`, `img2img`, `inpaint`, both fetch forms, the wallet balance,
//!   `base64_to_url` (the upload v7 clients use for local images) and the public model list;
//! - v7: `text-to-image`, `image-to-image` and `inpaint` (sized by `aspect_ratio`) and the
//!   path-form fetch.
//!
//! v6 and v7 share one job table, so a v7 job can also be fetched through either v6 form (clients
//! fall back to them). Scenario behaviours that other protocols reuse (HTML pages, output files,
//! init-image checks) are `pub(super)` here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::{
    FileContent, ImageSpec, JobSlot, Rejection, SandboxConfig, Scenario, Shared, StoredFile, error_response, html_response, json_response,
    lock, new_uuid,
};

/// The first job id handed out; later ones count up from it.
const FIRST_JOB_ID: u64 = 13_441_520;
/// The id every job gets in [`Scenario::DuplicateId`].
const DUPLICATE_ID: u64 = 777;
/// How long [`Scenario::Hang`] keeps a request waiting.
pub(super) const HANG_TIME: Duration = Duration::from_secs(3600);
/// Largest width or height the sandbox renders.
pub(super) const MAX_SIDE: u64 = 2048;
/// Largest number of images per request, as on the real API.
const MAX_SAMPLES: u64 = 4;
/// Largest `num_inference_steps` accepted.
const MAX_STEPS: u64 = 500;

const INVALID_KEY: &str = "Invalid API key";
const FAILED: &str = "Failed, Try Again";
const SERVER_ERROR: &str = "Internal server error. Please try again.";
const QUEUED_MESSAGE: &str = "Try to fetch request after seconds estimated";
const STILL_PROCESSING: &str = "try again later.";
/// What ModelsLab answers (HTTP 200) when `init_image` cannot be read as an image.
pub(super) const UNREADABLE_INIT_IMAGE: &str = "Unable to fetch image from provided URL";
/// What the sandbox answers (HTTP 200) when a mask is not the init image's size.
const MASK_SIZE_MISMATCH: &str = "mask_image must have the same dimensions as init_image";
/// What `base64_to_url` answers (HTTP 200) for text that is not a base64 image.
const UNREADABLE_UPLOAD: &str = "Invalid base64 image string";
const UPLOAD_TOO_LARGE: &str = "The base64 image exceeds the 5 MB limit";
const MAX_UPLOAD_BYTES: usize = 5_000_000;
/// What the public model list holds: a few of each kind (the real one has thousands).
const PUBLIC_MODELS: &[(&str, &str, &str)] = &[
    ("flux", "Flux", "flux"),
    ("sdxl", "Stable Diffusion XL", "stable_diffusion_xl"),
    ("realistic-vision-51", "Realistic Vision 5.1", "stable_diffusion"),
    ("dreamshaper-8", "DreamShaper 8", "stable_diffusion"),
    ("anything-v5", "Anything V5", "stable_diffusion"),
    ("juggernaut-xl-v10", "Juggernaut XL v10", "stable_diffusion_xl"),
    ("sd-1.5-inpainting", "SD 1.5 Inpainting", "stable_diffusion"),
];
const INIT_IMAGE_NOT_A_URL: &str = "init_image must be a valid url when base64 is a representation of false";
/// The aspect ratios v7 accepts.
const ASPECT_RATIOS: [&str; 7] = ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"];
/// The long side of a v7 image, in pixels.
const V7_LONG_SIDE: u32 = 1024;

pub(super) const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n\
<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n";
pub(super) const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>ModelsLab</title></head>\
<body><h1>Welcome back</h1><p>Please sign in to continue.</p></body></html>\n";
const HTML_404: &str = "<html><body><h1>404 Not Found</h1></body></html>";
pub(super) const NOT_AN_IMAGE: &str = "<html><body>Access denied</body></html>";

/// ModelsLab-specific state of one sandbox.
pub(super) struct ProtocolState {
    next_id: AtomicU64,
    /// text2img requests admitted so far (scenarios like `rate_limited` script the first few).
    submissions: AtomicUsize,
    /// Jobs by id, oldest first. Only [`Scenario::DuplicateId`] puts several under one id.
    jobs: Mutex<HashMap<String, Vec<Job>>>,
}

impl Default for ProtocolState {
    fn default() -> Self {
        Self { next_id: AtomicU64::new(FIRST_JOB_ID), submissions: AtomicUsize::new(0), jobs: Mutex::default() }
    }
}

impl ProtocolState {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn insert(&self, job: Job) {
        lock(&self.jobs).entry(job.key()).or_default().push(job);
    }

    /// Answers one fetch of job `id`, or `None` if there is no such job.
    ///
    /// With duplicate ids the oldest unfinished job answers, so every job completes in turn.
    fn poll(&self, id: &str, config: &SandboxConfig) -> Option<Value> {
        let mut jobs = lock(&self.jobs);
        let same_id = jobs.get_mut(id)?;
        let job = match same_id.iter().position(Job::is_pending) {
            Some(index) => &mut same_id[index],
            None => same_id.last_mut()?,
        };
        Some(job.poll(config))
    }
}

/// The ModelsLab routes.
pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v6/images/text2img", post(text2img))
        .route("/api/v6/images/img2img", post(img2img))
        .route("/api/v6/images/inpaint", post(inpaint))
        .route("/api/v6/base64_to_url", post(base64_to_url))
        .route("/api/v4/dreambooth/model_list", post(model_list))
        .route("/api/v6/images/fetch", post(fetch_by_body))
        .route("/api/v6/images/fetch/{id}", post(fetch_by_path))
        .route("/api/v7/images/text-to-image", post(text_to_image_v7))
        .route("/api/v7/images/image-to-image", post(image_to_image_v7))
        .route("/api/v7/images/inpaint", post(inpaint_v7))
        .route("/api/v7/images/fetch/{id}", post(fetch_by_path))
        .route("/api/wallet_balance", post(wallet_balance))
}

/// Which ModelsLab API a job came through: it decides the `fetch_result` URL and whether
/// answers carry `output_url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    V6,
    V7,
}

impl Api {
    /// The path-form fetch route of this API, without the id.
    fn fetch_path(self) -> &'static str {
        match self {
            Api::V6 => "/api/v6/images/fetch",
            Api::V7 => "/api/v7/images/fetch",
        }
    }
}

/// `POST /api/v6/images/text2img`.
async fn text2img(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    let arrived = Instant::now();
    let body = parse_request(&body)?;
    let generation = Generation::parse(&body)?;
    admit(&shared, generation, arrived).await
}

/// `POST /api/v6/images/img2img`: text2img plus `init_image` and `strength`; the output takes
/// the init image's size when it travels as base64 (a URL is not downloaded: the request's
/// width and height are used then).
async fn img2img(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    image_to_image_v6(&shared, body, false).await
}

/// `POST /api/v6/images/inpaint`: img2img plus a `mask_image` of the init image's size.
async fn inpaint(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    image_to_image_v6(&shared, body, true).await
}

async fn image_to_image_v6(shared: &Shared, body: Bytes, with_mask: bool) -> Result<Response, Rejection> {
    let arrived = Instant::now();
    let body = parse_request(&body)?;
    let mut errors = FieldErrors::default();
    let strength = errors.check("strength", unit_interval(&body, "strength"));
    if body.get("init_image").is_none_or(Value::is_null) {
        errors.add("init_image", "The init image field is required.".to_owned());
    }
    if with_mask && body.get("mask_image").is_none_or(Value::is_null) {
        errors.add("mask_image", "The mask image field is required.".to_owned());
    }
    let mut generation = Generation::read(&body, errors)?;
    generation.strength = strength;
    let base64 = flag(&body, "base64");
    let mut sizes = Vec::new();
    for field in ["init_image", "mask_image"].into_iter().take(if with_mask { 2 } else { 1 }) {
        let Some(Value::String(image)) = body.get(field) else {
            return Err(field_errors(field, &format!("The {} must be a string.", field.replace('_', " "))));
        };
        let image = image.trim();
        if is_http_url(image) {
            sizes.push(shared.published_bytes(image).and_then(|b| image_size(&b)));
        } else if !base64 {
            return Ok(error_with_200(INIT_IMAGE_NOT_A_URL));
        } else {
            match decode_init_image(image) {
                Some(size) => sizes.push(Some(size)),
                None => return Ok(error_with_200(UNREADABLE_INIT_IMAGE)),
            }
        }
    }
    if let [Some(init), Some(mask)] = sizes[..]
        && init != mask
    {
        return Ok(error_with_200(MASK_SIZE_MISMATCH));
    }
    if let Some(Some((width, height))) = sizes.first() {
        (generation.width, generation.height) = fit_within_max_side(*width, *height);
    }
    admit(shared, generation, arrived).await
}

/// `POST /api/v7/images/text-to-image`: like v6 text2img, sized by a required `aspect_ratio`.
async fn text_to_image_v7(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    let arrived = Instant::now();
    let body = parse_request(&body)?;
    let mut errors = FieldErrors::default();
    let size = errors.check("aspect_ratio", aspect_ratio(&body, true));
    let mut generation = Generation::read(&body, errors)?;
    generation.api = Api::V7;
    if let Some((width, height)) = size {
        (generation.width, generation.height) = (width, height);
    }
    admit(&shared, generation, arrived).await
}

/// `POST /api/v7/images/image-to-image`: v7 text-to-image plus `init_image`, a URL or base64
/// (with or without a `data:` prefix, no `base64` flag needed) or an array of them for
/// multi-reference models. `aspect_ratio` is optional here: without it the output takes the
/// first readable init image's size (1024×1024 when no init image can be read). A URL of this
/// sandbox's own (an upload) must exist, as the real service must be able to fetch it.
async fn image_to_image_v7(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    image_to_image_v7_with(&shared, body, false).await
}

/// `POST /api/v7/images/inpaint`: image-to-image plus `mask_image` (a URL or base64) of the
/// init image's size.
async fn inpaint_v7(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    image_to_image_v7_with(&shared, body, true).await
}

async fn image_to_image_v7_with(shared: &Shared, body: Bytes, with_mask: bool) -> Result<Response, Rejection> {
    let arrived = Instant::now();
    let body = parse_request(&body)?;
    let mut errors = FieldErrors::default();
    let ratio_size = errors.check("aspect_ratio", aspect_ratio(&body, false));
    let strength = errors.check("strength", unit_interval(&body, "strength"));
    let inits = image_list(&body, "init_image", &mut errors);
    let masks = if with_mask { image_list(&body, "mask_image", &mut errors) } else { Vec::new() };
    let mut generation = Generation::read(&body, errors)?;
    generation.api = Api::V7;
    generation.strength = strength;
    let mut sizes = Vec::new();
    for image in inits.iter().chain(masks.first()) {
        let size = if is_http_url(image) {
            if image.starts_with(&shared.base_url) {
                match shared.published_bytes(image).and_then(|b| image_size(&b)) {
                    Some(size) => Some(size),
                    None => return Ok(error_with_200(UNREADABLE_INIT_IMAGE)),
                }
            } else {
                None
            }
        } else {
            match decode_init_image(image) {
                Some(size) => Some(size),
                None => return Ok(error_with_200(UNREADABLE_INIT_IMAGE)),
            }
        };
        sizes.push(size);
    }
    if with_mask
        && let (Some(Some(init)), Some(Some(mask))) = (sizes.first(), sizes.last())
        && init != mask
    {
        return Ok(error_with_200(MASK_SIZE_MISMATCH));
    }
    let init_size = sizes.iter().take(inits.len()).flatten().next().copied();
    let (width, height) = ratio_size.or(init_size.map(|(w, h)| fit_within_max_side(w, h))).unwrap_or((V7_LONG_SIDE, V7_LONG_SIDE));
    (generation.width, generation.height) = (width, height);
    admit(shared, generation, arrived).await
}

/// A required image field: one string, or a non-empty array of strings.
fn image_list(body: &Value, field: &str, errors: &mut FieldErrors) -> Vec<String> {
    let name = field.replace('_', " ");
    match body.get(field) {
        Some(Value::String(image)) => vec![image.trim().to_owned()],
        Some(Value::Array(images)) if !images.is_empty() => images.iter().filter_map(Value::as_str).map(|i| i.trim().to_owned()).collect(),
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            errors.add(field, format!("The {name} field is required."));
            Vec::new()
        }
        Some(_) => {
            errors.add(field, format!("The {name} must be a string or an array of strings."));
            Vec::new()
        }
    }
}

/// The size of an encoded PNG, JPEG or WebP image.
fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let format = image::guess_format(bytes).ok()?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg | image::ImageFormat::WebP) {
        return None;
    }
    image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .ok()
        .filter(|&(width, height)| width > 0 && height > 0)
}

/// `POST /api/v6/base64_to_url` with `{"key", "base64_string"}` (a data URI or bare base64):
/// stores the image and answers `{status, id, output: [url]}`. At most 5 MB of image.
async fn base64_to_url(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    let body = parse_request(&body)?;
    if let Some(refused) = refused_key(&shared) {
        return Ok(refused);
    }
    let Some(text) = body.get("base64_string").and_then(Value::as_str) else {
        return Err(field_errors("base64_string", "The base64 string field is required."));
    };
    let Some(bytes) = decode_base64_image(text) else {
        return Ok(error_with_200(UNREADABLE_UPLOAD));
    };
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Ok(error_with_200(UPLOAD_TOO_LARGE));
    }
    let Some(content_type) = image::guess_format(&bytes).ok().and_then(|f| match f {
        image::ImageFormat::Png => Some("image/png"),
        image::ImageFormat::Jpeg => Some("image/jpeg"),
        image::ImageFormat::WebP => Some("image/webp"),
        _ => None,
    }) else {
        return Ok(error_with_200(UNREADABLE_UPLOAD));
    };
    let extension = content_type.trim_start_matches("image/");
    let id = shared.modelslab.next_id();
    let file = Arc::new(StoredFile::new(FileContent::Raw { content_type, bytes: bytes.into() }));
    let name = format!("upload-{id}.{extension}");
    let url = if shared.config.forget_uploads { format!("{}/generations/{name}", shared.base_url) } else { shared.publish(name, file) };
    Ok(json_response(StatusCode::OK, json!({"status": "success", "id": id, "output": [url]})))
}

/// Base64 (an optional `data:…;base64,` prefix, whitespace and missing padding tolerated).
fn decode_base64_image(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
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

/// `POST /api/v4/dreambooth/model_list`: the public models, as a bare JSON array.
async fn model_list(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    parse_request(&body)?;
    Ok(refused_key(&shared).unwrap_or_else(|| {
        json_response(
            StatusCode::OK,
            Value::Array(
                PUBLIC_MODELS
                    .iter()
                    .map(|(id, name, category)| {
                        json!({"model_id": id, "model_name": name, "model_category": category, "status": "model_ready"})
                    })
                    .collect(),
            ),
        )
    }))
}

/// Takes a place in the queue (or answers 429) and acts out the scenario.
async fn admit(shared: &Shared, generation: Generation, arrived: Instant) -> Result<Response, Rejection> {
    let Some(slot) = shared.in_flight.try_acquire() else {
        return Ok(shared.too_many_requests(queue_full(1), []));
    };
    let nth = shared.modelslab.submissions.fetch_add(1, Ordering::Relaxed);
    respond(shared, generation, slot, nth, arrived).await
}

/// Acts out the scenario for the `nth` admitted submission. The job stops counting as in flight
/// when `slot` is dropped: at the end of this function, or when a queued job completes.
async fn respond(shared: &Shared, generation: Generation, slot: JobSlot, nth: usize, arrived: Instant) -> Result<Response, Rejection> {
    use Scenario as S;
    Ok(match shared.config.scenario {
        S::Processing
        | S::ProcessingStringId
        | S::FetchBodyForm
        | S::ProcessingThenFailed
        | S::ProcessingForever
        | S::BigEta
        | S::DuplicateId => enqueue(shared, &generation, slot),
        S::Failed => json_response(StatusCode::OK, json!({"status": "failed", "id": "", "message": FAILED, "output": ""})),
        S::Auth401 => invalid_key().into_response(),
        S::Auth200 => invalid_key_with_200(),
        S::Credits402 => error_response(StatusCode::PAYMENT_REQUIRED, "Insufficient credits. Please add more credits to continue."),
        S::Plan403 => error_response(StatusCode::FORBIDDEN, "This feature requires a premium subscription"),
        S::Validation400 | S::ContentPolicy => json_response(StatusCode::BAD_REQUEST, validation_failure()),
        S::Validation200 => json_response(StatusCode::OK, validation_failure()),
        S::MessegeError => {
            json_response(StatusCode::OK, json!({"status": "error", "messege": format!("Model not found: {}", generation.model_id)}))
        }
        S::ErrorField => json_response(StatusCode::BAD_REQUEST, json!({"status": "error", "error": "prompt must be a string"})),
        S::RateLimited if nth < 2 => shared.too_many_requests(queue_full(1), []),
        S::RateLimitedHeader if nth == 0 => shared
            .too_many_requests(json!({"status": "error", "message": "Too many requests"}), [(header::RETRY_AFTER, HeaderValue::from(1))]),
        S::RateLimitedMs if nth == 0 => shared.too_many_requests(
            queue_full_without_hint(),
            [(HeaderName::from_static("retry-after-ms"), HeaderValue::from(300)), (header::RETRY_AFTER, HeaderValue::from(5))],
        ),
        S::RateLimitedDate if nth == 0 => {
            let now = SystemTime::now();
            shared.too_many_requests(
                queue_full_without_hint(),
                [(header::RETRY_AFTER, http_date(now + Duration::from_secs(2))), (header::DATE, http_date(now))],
            )
        }
        S::RateLimitedReset if nth == 0 => {
            let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() + 2;
            shared.too_many_requests(queue_full_without_hint(), [(HeaderName::from_static("x-ratelimit-reset"), HeaderValue::from(reset))])
        }
        S::RateLimitedForever => shared.too_many_requests(queue_full(1), []),
        S::RateLimitedLong => shared.too_many_requests(queue_full(600), []),
        S::Quota429 => shared.too_many_requests(
            json!({"status": "error",
                   "message": "Daily quota exceeded: insufficient credits for this request"}),
            [],
        ),
        S::ServerErrorOnce if nth == 0 => error_response(StatusCode::INTERNAL_SERVER_ERROR, SERVER_ERROR),
        S::ServerError => error_response(StatusCode::INTERNAL_SERVER_ERROR, SERVER_ERROR),
        S::ModelOutage if generation.model_id == "flux" => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable. Please try again later.")
        }
        S::Html502 => html_response(StatusCode::BAD_GATEWAY, NGINX_502),
        S::Html200 => html_response(StatusCode::OK, HTML_PAGE),
        S::Empty200 => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")]).into_response(),
        S::Hang => {
            shared.pause(HANG_TIME).await;
            error_response(StatusCode::SERVICE_UNAVAILABLE, "The sandbox is shutting down")
        }
        S::Success
        | S::ObjectOutput
        | S::Base64Url
        | S::InlineBase64
        | S::DataUri
        | S::JpegOutput
        | S::FutureLink404
        | S::EmptyImage
        | S::NotAnImage
        | S::HugeImage
        | S::RateLimited
        | S::RateLimitedHeader
        | S::RateLimitedMs
        | S::RateLimitedDate
        | S::RateLimitedReset
        | S::ServerErrorOnce
        | S::ModelOutage => succeed(shared, &generation, arrived).await?,
    })
}

/// Answers a finished generation after the configured job duration.
async fn succeed(shared: &Shared, generation: &Generation, arrived: Instant) -> Result<Response, Rejection> {
    shared.pause(shared.config.job_duration).await;
    let scenario = shared.config.scenario;
    let entries = match scenario {
        Scenario::InlineBase64 => inline_outputs(generation, "").await?,
        Scenario::DataUri => inline_outputs(generation, "data:image/png;base64,").await?,
        _ => publish_outputs(shared, generation, true).0,
    };
    let number = shared.modelslab.next_id();
    let (id, output) = if scenario == Scenario::ObjectOutput {
        let keyed: Map<String, Value> =
            entries.into_iter().enumerate().map(|(index, entry)| (index.to_string(), Value::String(entry))).collect();
        (json!(number.to_string()), Value::Object(keyed))
    } else {
        (json!(number), json!(entries))
    };
    let job = Job::finished(id, output, generation.meta(), generation.api);
    let mut body = job.final_body();
    body["generationTime"] = json!((arrived.elapsed().as_secs_f64() * 100.0).round() / 100.0);
    body["nsfw_content_detected"] = json!(false);
    shared.modelslab.insert(job);
    Ok(json_response(StatusCode::OK, body))
}

/// Queues a job and answers `processing`; `slot` stays with the job until a fetch completes it.
fn enqueue(shared: &Shared, generation: &Generation, slot: JobSlot) -> Response {
    let scenario = shared.config.scenario;
    let number = shared.modelslab.next_id();
    let id = match scenario {
        Scenario::ProcessingStringId => json!(format!("abc123-def456-{number}")),
        Scenario::DuplicateId => json!(DUPLICATE_ID),
        _ => json!(number),
    };
    let eta = match scenario {
        Scenario::ProcessingForever => 1.0,
        Scenario::BigEta => 1e9,
        _ => 1.5,
    };
    let plan = match scenario {
        Scenario::ProcessingThenFailed => Plan::Fail,
        Scenario::ProcessingForever => Plan::Never,
        _ => Plan::Succeed,
    };
    let (links, files) = publish_outputs(shared, generation, false);
    let job = Job {
        api: generation.api,
        id,
        submitted: Instant::now(),
        polls: 0,
        plan,
        progress: Progress::Pending { _slot: slot },
        files,
        output: json!(links),
        meta: generation.meta(),
        message_key: message_key(scenario),
    };
    let mut body = json!({
        "status": "processing",
        "tip": "This is the Easel sandbox: the result is a test pattern, not a real image.",
        "eta": eta,
        "fetch_result": format!("{}{}/{}", shared.base_url, job.api.fetch_path(), job.key()),
        "id": job.id,
        "output": [],
        "meta": job.meta,
        "future_links": links,
    });
    body[job.message_key] = json!(QUEUED_MESSAGE);
    shared.modelslab.insert(job);
    json_response(StatusCode::OK, body)
}

/// The key real ModelsLab uses for the processing message: usually the misspelt `messege`.
fn message_key(scenario: Scenario) -> &'static str {
    if scenario == Scenario::ProcessingStringId { "message" } else { "messege" }
}

/// Puts one file per sample into the image store; returns their URLs and the files.
fn publish_outputs(shared: &Shared, generation: &Generation, available: bool) -> (Vec<String>, Vec<Arc<StoredFile>>) {
    let scenario = shared.config.scenario;
    let prefix = new_uuid();
    generation
        .images()
        .enumerate()
        .map(|(index, spec)| {
            let (extension, mut file) = output_file(scenario, spec);
            if !available {
                file = file.unavailable();
            }
            let file = Arc::new(file);
            let url = shared.publish(format!("{prefix}-{index}.{extension}"), Arc::clone(&file));
            (url, file)
        })
        .unzip()
}

/// What the image URL of `spec` serves in `scenario`, and its file extension.
pub(super) fn output_file(scenario: Scenario, spec: ImageSpec) -> (&'static str, StoredFile) {
    let raw = |bytes: Bytes| FileContent::Raw { content_type: "image/png", bytes };
    match scenario {
        Scenario::JpegOutput => ("jpg", StoredFile::new(FileContent::Jpeg(spec))),
        Scenario::Base64Url => ("png", StoredFile::new(FileContent::Base64Png(spec))),
        Scenario::FutureLink404 => ("png", StoredFile::new(FileContent::Png(spec)).withheld_for(2)),
        Scenario::EmptyImage => ("png", StoredFile::new(raw(Bytes::new()))),
        Scenario::NotAnImage => ("png", StoredFile::new(raw(Bytes::from_static(NOT_AN_IMAGE.as_bytes())))),
        Scenario::HugeImage => ("png", StoredFile::new(raw(super::pattern::oversized_png(60_000, 60_000).into()))),
        _ => ("png", StoredFile::new(FileContent::Png(spec))),
    }
}

/// Encodes every sample as base64 PNG right away, each prefixed with `prefix`.
async fn inline_outputs(generation: &Generation, prefix: &'static str) -> Result<Vec<String>, Rejection> {
    let specs: Vec<ImageSpec> = generation.images().collect();
    tokio::task::spawn_blocking(move || specs.into_iter().map(|spec| format!("{prefix}{}", spec.png_base64())).collect())
        .await
        .map_err(|_| Rejection::new(StatusCode::INTERNAL_SERVER_ERROR, "Could not render image"))
}

/// `POST /api/v6/images/fetch` with `{"key", "request_id"}`.
async fn fetch_by_body(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    let body = parse_request(&body)?;
    let id = match body.get("request_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.trim().to_owned(),
        Some(Value::Number(id)) => id.to_string(),
        _ => {
            return Err(field_errors("request_id", "The request id field is required and must be a string or a number."));
        }
    };
    Ok(fetch(&shared, &id))
}

/// `POST /api/v6/images/fetch/{id}` with `{"key"}`.
async fn fetch_by_path(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Result<Response, Rejection> {
    if shared.config.scenario == Scenario::FetchBodyForm {
        return Ok(html_response(StatusCode::NOT_FOUND, HTML_404));
    }
    parse_request(&body)?;
    Ok(fetch(&shared, &id))
}

fn fetch(shared: &Shared, id: &str) -> Response {
    match shared.modelslab.poll(id, &shared.config) {
        Some(body) => json_response(StatusCode::OK, body),
        None => error_response(StatusCode::NOT_FOUND, format!("Request not found: {id}")),
    }
}

/// `POST /api/wallet_balance`.
async fn wallet_balance(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, Rejection> {
    parse_request(&body)?;
    Ok(refused_key(&shared)
        .unwrap_or_else(|| json_response(StatusCode::OK, json!({"status": "success", "data": {"balance": 43.6, "currency": "USD"}}))))
}

/// Parses a JSON object body and checks that it carries a non-empty `key`.
fn parse_request(bytes: &[u8]) -> Result<Value, Rejection> {
    let body: Value =
        serde_json::from_slice(bytes).map_err(|err| Rejection::new(StatusCode::BAD_REQUEST, format!("Invalid JSON body: {err}")))?;
    if !body.is_object() {
        return Err(Rejection::new(StatusCode::BAD_REQUEST, "The request body must be a JSON object"));
    }
    let has_key = body.get("key").and_then(Value::as_str).is_some_and(|key| !key.trim().is_empty());
    if has_key { Ok(body) } else { Err(invalid_key()) }
}

/// How the key-refusing scenarios answer the calls that only check the key (balance, model
/// list, upload): 401, or an error with HTTP 200. `None` in every other scenario.
fn refused_key(shared: &Shared) -> Option<Response> {
    match shared.config.scenario {
        Scenario::Auth401 => Some(invalid_key().into_response()),
        Scenario::Auth200 => Some(invalid_key_with_200()),
        _ => None,
    }
}

fn invalid_key() -> Rejection {
    Rejection::new(StatusCode::UNAUTHORIZED, INVALID_KEY)
}

fn invalid_key_with_200() -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "status": "error",
            "message": "Invalid Api Key",
            "tip": "1. Make sure you are passing Content-Type: application/json in header.",
        }),
    )
}

/// `{"status":"error","message":…}` with HTTP 200, as ModelsLab reports unusable init images.
fn error_with_200(message: &str) -> Response {
    json_response(StatusCode::OK, json!({"status": "error", "message": message}))
}

/// Whether `text` is an http(s) URL.
fn is_http_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A yes/no flag given as a JSON boolean or as `"yes"`/`"true"`/`"1"` (anything else is no).
fn flag(body: &Value, field: &str) -> bool {
    match body.get(field) {
        Some(Value::Bool(value)) => *value,
        Some(Value::String(text)) => {
            matches!(text.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1")
        }
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

/// Decodes a base64 image (an optional `data:…;base64,` prefix, whitespace and missing padding
/// are tolerated) and returns its size, if it is a PNG, JPEG or WebP whose header reads.
pub(super) fn decode_init_image(text: &str) -> Option<(u32, u32)> {
    image_size(&decode_base64_image(text)?)
}

/// Scales a size down (keeping its proportions) so that neither side exceeds [`MAX_SIDE`].
pub(super) fn fit_within_max_side(width: u32, height: u32) -> (u32, u32) {
    let max = MAX_SIDE as u32;
    let long = width.max(height);
    if long <= max {
        return (width, height);
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(max)) / u64::from(long)).max(1) as u32;
    (scale(width), scale(height))
}

/// The output size for `aspect_ratio`: the long side is [`V7_LONG_SIDE`], the short side is
/// rounded to a multiple of 8. With `required`, a missing ratio is an error.
fn aspect_ratio(body: &Value, required: bool) -> Result<Option<(u32, u32)>, String> {
    let ratio = match body.get("aspect_ratio") {
        None | Some(Value::Null) if !required => return Ok(None),
        Some(Value::String(text)) => ASPECT_RATIOS.iter().find(|known| **known == text.trim()),
        _ => None,
    };
    let Some((w, h)) = ratio.and_then(|ratio| ratio.split_once(':')) else {
        return Err(format!("aspect_ratio must be one of {}", ASPECT_RATIOS.join(", ")));
    };
    let (w, h): (u32, u32) = (w.parse().unwrap_or(1), h.parse().unwrap_or(1));
    let short = |num: u32, den: u32| {
        let exact = f64::from(V7_LONG_SIDE) * f64::from(num) / f64::from(den);
        ((exact / 8.0).round() as u32 * 8).max(8)
    };
    Ok(Some(if w >= h { (V7_LONG_SIDE, short(h, w)) } else { (short(w, h), V7_LONG_SIDE) }))
}

/// A number between 0 and 1 (as a number or numeric string); absent or null gives `None`.
fn unit_interval(body: &Value, field: &str) -> Result<Option<f64>, String> {
    match number(body, field)? {
        Some(value) if !(0.0..=1.0).contains(&value) => Err(format!("{field} must be between 0 and 1")),
        value => Ok(value),
    }
}

fn validation_failure() -> Value {
    json!({"status": "error", "message": {
        "width": ["width must be between 256 and 1024"],
        "samples": ["samples must be between 1 and 4"],
    }})
}

/// The queue-limit body, with `retry_after` seconds.
fn queue_full(retry_after: u64) -> Value {
    json!({
        "status": "error",
        "message": "Rate limit exceeded. Maximum 5 queued requests allowed.",
        "retry_after": retry_after,
    })
}

/// A rate-limit body whose only timing hints are in the headers.
fn queue_full_without_hint() -> Value {
    json!({"status": "error", "message": "Rate limit exceeded. Maximum 5 queued requests allowed."})
}

/// An IMF-fixdate header value.
pub(super) fn http_date(time: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(time)).expect("an IMF-fixdate is a valid header value")
}

/// HTTP 400 with ModelsLab's validation shape: `{"message": {field: [text]}}`.
fn field_errors(field: &str, message: &str) -> Rejection {
    let mut errors = FieldErrors::default();
    errors.add(field, message.to_owned());
    errors.into()
}

/// Validation messages by field, reported together.
#[derive(Default)]
struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    /// Unwraps a field's parse result, recording the error (and giving `None`) if it failed.
    fn check<T>(&mut self, field: &str, result: Result<Option<T>, String>) -> Option<T> {
        result.unwrap_or_else(|message| {
            self.add(field, message);
            None
        })
    }

    fn add(&mut self, field: &str, message: String) {
        if let Value::Array(messages) = self.0.entry(field).or_insert_with(|| Value::Array(Vec::new())) {
            messages.push(Value::String(message));
        }
    }
}

impl From<FieldErrors> for Rejection {
    fn from(errors: FieldErrors) -> Self {
        Rejection { status: StatusCode::BAD_REQUEST, body: json!({"status": "error", "message": errors.0}) }
    }
}

/// The parts of a text2img request the sandbox uses.
struct Generation {
    model_id: String,
    prompt: String,
    negative_prompt: Option<String>,
    width: u32,
    height: u32,
    samples: u32,
    steps: Option<u64>,
    guidance_scale: Option<f64>,
    seed: u64,
    /// img2img only: how far the output may stray from the init image.
    strength: Option<f64>,
    api: Api,
}

impl Generation {
    /// Reads a v6 text2img request, accepting numbers as JSON numbers or numeric strings.
    fn parse(body: &Value) -> Result<Self, Rejection> {
        Self::read(body, FieldErrors::default())
    }

    /// Like [`Generation::parse`], reporting `errors` (found by the caller in extra fields)
    /// together with the common fields' errors.
    fn read(body: &Value, mut errors: FieldErrors) -> Result<Self, Rejection> {
        let model_id = errors.check("model_id", text(body, "model_id"));
        let prompt = errors.check("prompt", text(body, "prompt"));
        let negative_prompt = errors.check("negative_prompt", text(body, "negative_prompt"));
        let width = errors.check("width", integer(body, "width", 1..=MAX_SIDE));
        let height = errors.check("height", integer(body, "height", 1..=MAX_SIDE));
        let samples = errors.check("samples", integer(body, "samples", 1..=MAX_SAMPLES));
        let steps = errors.check("num_inference_steps", integer(body, "num_inference_steps", 1..=MAX_STEPS));
        let guidance_scale = errors.check("guidance_scale", number(body, "guidance_scale"));
        let seed = errors.check("seed", integer(body, "seed", 0..=u64::MAX));

        let prompt = prompt.filter(|prompt| !prompt.trim().is_empty());
        if prompt.is_none() && !errors.0.contains_key("prompt") {
            errors.add("prompt", "The prompt field is required.".to_owned());
        }
        if !errors.0.is_empty() {
            return Err(errors.into());
        }
        // The range checks above keep sides and sample counts well within u32.
        let side = |value: Option<u64>| value.map_or(512, |v| v as u32);
        Ok(Self {
            model_id: model_id.unwrap_or_else(|| "flux".to_owned()),
            prompt: prompt.unwrap_or_default(),
            negative_prompt,
            width: side(width),
            height: side(height),
            samples: samples.map_or(1, |n| n as u32),
            steps,
            guidance_scale,
            seed: seed.unwrap_or_else(|| u64::from(rand::random::<u32>())),
            strength: None,
            api: Api::V6,
        })
    }

    /// The seed of each sample: the request seed, then one more per sample.
    fn seeds(&self) -> impl Iterator<Item = u64> + use<> {
        let first = self.seed;
        (0..u64::from(self.samples)).map(move |index| first.wrapping_add(index))
    }

    fn images(&self) -> impl Iterator<Item = ImageSpec> + use<> {
        let (width, height) = (self.width, self.height);
        self.seeds().map(move |seed| ImageSpec { width, height, seed })
    }

    /// The `meta` object echoed in responses, with ModelsLab's community-endpoint key names.
    fn meta(&self) -> Value {
        let mut meta = json!({
            "model_id": self.model_id,
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "W": self.width,
            "H": self.height,
            "n_samples": self.samples,
            "steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "seed": self.seed,
            "seeds": self.seeds().collect::<Vec<_>>(),
        });
        if let Some(strength) = self.strength {
            meta["strength"] = json!(strength);
        }
        meta
    }
}

/// A string field; absent or null gives `None`.
fn text(body: &Value, field: &str) -> Result<Option<String>, String> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(format!("The {field} must be a string.")),
    }
}

/// An integer field given as a number or numeric string, within `range`; absent, null or an
/// empty string gives `None`.
fn integer(body: &Value, field: &str, range: std::ops::RangeInclusive<u64>) -> Result<Option<u64>, String> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
        Some(Value::Number(number)) => number.as_u64(),
        Some(_) => None,
    };
    match value {
        Some(value) if range.contains(&value) => Ok(Some(value)),
        Some(_) => Err(format!("{field} must be between {} and {}", range.start(), range.end())),
        None => Err(format!("The {field} must be a whole number.")),
    }
}

/// A numeric field given as a number or numeric string; absent, null or empty gives `None`.
fn number(body: &Value, field: &str) -> Result<Option<f64>, String> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => text.trim().parse::<f64>().ok(),
        Some(Value::Number(number)) => number.as_f64(),
        Some(_) => None,
    };
    match value {
        Some(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(format!("The {field} must be a number.")),
    }
}

/// How a queued job ends.
#[derive(Clone, Copy)]
enum Plan {
    Succeed,
    Fail,
    Never,
}

/// Whether a job still counts as in flight.
enum Progress {
    /// Queued; the slot is held only so that dropping it ends the job's in-flight time.
    Pending {
        _slot: JobSlot,
    },
    Finished,
}

/// One generation job, kept so that fetch can answer for it.
struct Job {
    api: Api,
    id: Value,
    submitted: Instant,
    /// Fetches answered `processing` so far.
    polls: u32,
    plan: Plan,
    progress: Progress,
    /// The output files, published when the job succeeds.
    files: Vec<Arc<StoredFile>>,
    output: Value,
    meta: Value,
    /// `messege` or `message`.
    message_key: &'static str,
}

impl Job {
    /// A job that was answered at once and is already complete.
    fn finished(id: Value, output: Value, meta: Value, api: Api) -> Self {
        Self {
            api,
            id,
            submitted: Instant::now(),
            polls: 0,
            plan: Plan::Succeed,
            progress: Progress::Finished,
            files: Vec::new(),
            output,
            meta,
            message_key: "message",
        }
    }

    /// The id as it appears in a fetch URL.
    fn key(&self) -> String {
        match &self.id {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        }
    }

    fn is_pending(&self) -> bool {
        matches!(self.progress, Progress::Pending { .. })
    }

    /// Answers one fetch: `processing` until the job is due, then its final body.
    fn poll(&mut self, config: &SandboxConfig) -> Value {
        if self.is_pending() {
            let due = !matches!(self.plan, Plan::Never)
                && self.submitted.elapsed() >= config.job_duration
                && self.polls >= config.processing_polls;
            if !due {
                self.polls += 1;
                let mut body = json!({"status": "processing", "output": "", "id": self.id});
                body[self.message_key] = json!(STILL_PROCESSING);
                return body;
            }
            self.progress = Progress::Finished;
            if matches!(self.plan, Plan::Succeed) {
                self.files.iter().for_each(|file| file.make_available());
            }
        }
        self.final_body()
    }

    /// The body of a completed job (a `Never` job is never completed).
    fn final_body(&self) -> Value {
        match self.plan {
            Plan::Fail => {
                json!({"status": "failed", "id": self.id, "message": FAILED, "output": ""})
            }
            Plan::Succeed | Plan::Never => {
                let mut body = json!({
                    "status": "success",
                    "id": self.id,
                    "output": self.output,
                    "proxy_links": self.output,
                    "meta": self.meta,
                });
                if self.api == Api::V7 {
                    let first = match &self.output {
                        Value::Array(entries) => entries.first(),
                        Value::Object(entries) => entries.get("0"),
                        _ => None,
                    };
                    body["output_url"] = first.cloned().unwrap_or(Value::Null);
                }
                body
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sandbox;
    use base64::Engine as _;

    async fn post(url: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn image_size(url: &str) -> (u32, u32) {
        let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        let image = image::load_from_memory(&bytes).unwrap();
        (image.width(), image.height())
    }

    fn png_base64(width: u32, height: u32) -> String {
        let png = ImageSpec { width, height, seed: 5 }.png();
        base64::engine::general_purpose::STANDARD.encode(png)
    }

    #[tokio::test]
    async fn v7_text_to_image_has_output_url_and_v7_fetch() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let base = sandbox.base_url();
        let body = json!({"key": "k", "model_id": "imagen-4", "prompt": "a cat",
                          "aspect_ratio": "16:9", "samples": 2});
        let (status, reply) = post(&format!("{base}/api/v7/images/text-to-image"), body).await;
        assert_eq!((status, reply["status"].as_str()), (200, Some("success")));
        let output_url = reply["output_url"].as_str().unwrap();
        assert_eq!(reply["output"][0], output_url);
        assert_eq!(reply["output"].as_array().unwrap().len(), 2);
        assert_eq!(image_size(output_url).await, (1024, 576));

        let id = reply["id"].as_u64().unwrap();
        let (status, fetched) = post(&format!("{base}/api/v7/images/fetch/{id}"), json!({"key": "k"})).await;
        assert_eq!((status, fetched["status"].as_str()), (200, Some("success")));
        assert_eq!(fetched["output_url"], output_url);

        for (ratio, size) in [("3:2", (1024, 680)), ("9:16", (576, 1024)), ("1:1", (1024, 1024))] {
            let body = json!({"key": "k", "model_id": "m", "prompt": "p", "aspect_ratio": ratio});
            assert_eq!(aspect_ratio(&body, true), Ok(Some(size)), "{ratio}");
        }
        for body in [
            json!({"key": "k", "model_id": "m", "prompt": "p"}),
            json!({"key": "k", "model_id": "m", "prompt": "p", "aspect_ratio": "5:1"}),
        ] {
            let (status, reply) = post(&format!("{base}/api/v7/images/text-to-image"), body).await;
            assert_eq!(status, 400);
            let message = reply["message"]["aspect_ratio"][0].as_str().unwrap();
            assert!(message.starts_with("aspect_ratio must be one of 1:1, 16:9"));
        }
    }

    #[tokio::test]
    async fn v7_queued_jobs_fetch_by_v7_and_v6_forms() {
        let sandbox = Sandbox::start(SandboxConfig { processing_polls: 0, ..SandboxConfig::new(Scenario::Processing) }).await.unwrap();
        let base = sandbox.base_url();
        let body = json!({"key": "k", "model_id": "imagen-4", "prompt": "p", "aspect_ratio": "1:1"});
        let (_, queued) = post(&format!("{base}/api/v7/images/text-to-image"), body).await;
        assert_eq!(queued["status"], "processing");
        let id = queued["id"].as_u64().unwrap();
        assert_eq!(queued["fetch_result"], format!("{base}/api/v7/images/fetch/{id}"));
        let key = json!({"key": "k"});
        let (_, by_v6_path) = post(&format!("{base}/api/v6/images/fetch/{id}"), key.clone()).await;
        let (_, by_v6_body) = post(&format!("{base}/api/v6/images/fetch"), json!({"key": "k", "request_id": id.to_string()})).await;
        let (_, by_v7) = post(queued["fetch_result"].as_str().unwrap(), key).await;
        for reply in [&by_v6_path, &by_v6_body, &by_v7] {
            assert_eq!(reply["status"], "success");
            assert_eq!(reply["output_url"], queued["future_links"][0]);
        }
    }

    #[tokio::test]
    async fn v6_img2img_answers_at_the_init_image_size() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let url = format!("{}/api/v6/images/img2img", sandbox.base_url());
        let request = |init_image: Value, base64: Value| {
            json!({"key": "k", "model_id": "sdxl", "prompt": "p", "width": 512, "height": 512,
                   "init_image": init_image, "base64": base64, "strength": 0.4})
        };

        let plain = png_base64(40, 24);
        let prefixed = format!("data:image/png;base64,{}", png_base64(24, 40));
        for (init, flag, size) in [(plain, json!(true), (40, 24)), (prefixed, json!("yes"), (24, 40))] {
            let (status, reply) = post(&url, request(json!(init), flag)).await;
            assert_eq!((status, reply["status"].as_str()), (200, Some("success")));
            assert_eq!(reply["meta"]["strength"], 0.4);
            assert_eq!(image_size(reply["output"][0].as_str().unwrap()).await, size);
        }

        let not_an_image = base64::engine::general_purpose::STANDARD.encode("GIF89a, or text");
        let (status, reply) = post(&url, request(json!(not_an_image), json!(true))).await;
        assert_eq!(status, 200);
        assert_eq!(reply, json!({"status": "error", "message": "Unable to fetch image from provided URL"}));
        let (status, reply) = post(&url, request(json!(png_base64(8, 8)), json!(false))).await;
        assert_eq!(status, 200);
        assert_eq!(reply["message"], INIT_IMAGE_NOT_A_URL);

        let by_url = request(json!("https://example.com/cat.png"), json!(false));
        let (_, reply) = post(&url, by_url).await;
        assert_eq!(image_size(reply["output"][0].as_str().unwrap()).await, (512, 512));

        let (status, reply) = post(
            &url,
            request(json!(png_base64(8, 8)), json!(true))
                .as_object()
                .map(|body| {
                    let mut body = body.clone();
                    body.insert("strength".into(), json!(1.5));
                    Value::Object(body)
                })
                .unwrap(),
        )
        .await;
        assert_eq!(status, 400);
        assert!(reply["message"]["strength"].is_array());
        assert_eq!(sandbox.max_in_flight(), 1);
    }

    #[tokio::test]
    async fn v7_image_to_image_takes_urls_or_base64() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let url = format!("{}/api/v7/images/image-to-image", sandbox.base_url());
        let body = json!({"key": "k", "model_id": "seedream-4.5", "prompt": "p",
                          "init_image": png_base64(48, 32)});
        let (_, reply) = post(&url, body).await;
        assert_eq!(image_size(reply["output_url"].as_str().unwrap()).await, (48, 32));

        let body = json!({"key": "k", "model_id": "nano-banana-pro", "prompt": "p",
                          "aspect_ratio": "4:3",
                          "init_image": ["https://example.com/a.png", "https://example.com/b.png"]});
        let (_, reply) = post(&url, body).await;
        assert_eq!(image_size(reply["output_url"].as_str().unwrap()).await, (1024, 768));

        let body = json!({"key": "k", "model_id": "m", "prompt": "p", "init_image": "bm9wZQ=="});
        let (status, reply) = post(&url, body).await;
        assert_eq!((status, reply["message"].as_str()), (200, Some(UNREADABLE_INIT_IMAGE)));
    }

    #[test]
    fn oversized_init_images_are_scaled_to_fit() {
        assert_eq!(fit_within_max_side(4096, 1024), (2048, 512));
        assert_eq!(fit_within_max_side(640, 480), (640, 480));
    }
}
