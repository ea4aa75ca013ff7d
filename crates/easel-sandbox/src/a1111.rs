//! The AUTOMATIC1111 / Forge WebUI API (`/sdapi/v1/...`), acting out the configured
//! [`Scenario`] in A1111's dialect.
//!
//! `txt2img` and `img2img` are synchronous: a request is held for the configured job duration
//! while `GET /sdapi/v1/progress` reports how far it has got, and generations run one at a time
//! (A1111's queue lock). `POST /sdapi/v1/interrupt` ends the running one early with one image.
//! Requests are counted as in flight but never refused for the queue limit: A1111 has none.
//!
//! HTTP Basic auth is optional as with `--api-auth`: any `Authorization: Basic` credentials, or
//! none, are accepted, except that the auth scenarios refuse every request.
//!
//! | scenario | answer |
//! |---|---|
//! | `success`, `object_output`, `base64_url`, `inline_base64`, `future_link_404`, all `processing*` except `processing_then_failed`, `big_eta`, `duplicate_id` | 200 |
//! | `credits_402`, `plan_403`, `quota_429`, every `rate_limited*` | 200: a local WebUI has no credits, plans or rate limits |
//! | `jpeg_output` | 200 with base64 JPEGs (`samples_format: jpg`) |
//! | `data_uri` | 200 with `data:image/png;base64,` URIs in `images` |
//! | `empty_image`, `not_an_image`, `huge_image` | 200 whose `images` hold an empty string, base64 HTML, a PNG declaring 60000×60000 |
//! | `auth_401`, `auth_200` | 401 `{"detail":"Incorrect username or password"}`, `WWW-Authenticate: Basic` |
//! | `validation_400`, `validation_200`, `content_policy` | 422 FastAPI `detail` list (width) |
//! | `error_field`, `messege_error` | 404 `{"error":"HTTPException","detail":"Sampler not found",…}` |
//! | `server_error_once` / `server_error`, `failed`, `processing_then_failed` | first / every request 500 `OutOfMemoryError` |
//! | `model_outage` | 500 `OutOfMemoryError` when the checkpoint asked for contains `xl` |
//! | `html_502`, `html_200`, `empty_200`, `hang` | as for ModelsLab |

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use super::modelslab::{self, HANG_TIME, HTML_PAGE, NGINX_502, NOT_AN_IMAGE};
use super::{ImageSpec, InFlight, JobSlot, Rejection, Scenario, Shared, html_response, json_response, lock};

/// The WebUI version named in infotexts.
const VERSION: &str = "v1.10.1";
/// Largest `batch_size` and `n_iter`.
const MAX_BATCH: i64 = 8;

/// A checkpoint as `/sdapi/v1/sd-models` lists it.
struct Checkpoint {
    title: &'static str,
    model_name: &'static str,
    hash: &'static str,
    sha256: &'static str,
    filename: &'static str,
}

impl Checkpoint {
    /// Whether `name` names this checkpoint the ways A1111 accepts: title, file name, model
    /// name or short hash.
    fn answers_to(&self, name: &str) -> bool {
        let name = name.trim();
        let file = self.filename.rsplit('/').next().unwrap_or(self.filename);
        [self.title, file, self.model_name, self.hash].contains(&name)
    }

    fn to_json(&self) -> Value {
        json!({
            "title": self.title,
            "model_name": self.model_name,
            "hash": self.hash,
            "sha256": self.sha256,
            "filename": self.filename,
            "config": null,
        })
    }
}

const CHECKPOINTS: [Checkpoint; 2] = [
    Checkpoint {
        title: "v1-5-pruned-emaonly.safetensors [6ce0161689]",
        model_name: "v1-5-pruned-emaonly",
        hash: "6ce0161689",
        sha256: "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
        filename: "/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors",
    },
    Checkpoint {
        title: "sd_xl_base_1.0.safetensors [31e35c80fc]",
        model_name: "sd_xl_base_1.0",
        hash: "31e35c80fc",
        sha256: "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b",
        filename: "/models/Stable-diffusion/sd_xl_base_1.0.safetensors",
    },
];

/// Sampler names and their aliases.
const SAMPLERS: &[(&str, &[&str])] = &[
    ("DPM++ 2M", &["k_dpmpp_2m"]),
    ("DPM++ SDE", &["k_dpmpp_sde"]),
    ("Euler a", &["k_euler_a", "k_euler_ancestral"]),
    ("Euler", &["k_euler"]),
    ("LMS", &["k_lms"]),
    ("Heun", &["k_heun"]),
    ("DDIM", &[]),
    ("UniPC", &[]),
];

/// A1111-specific state of one sandbox.
pub(super) struct ProtocolState {
    /// One generation at a time, as A1111's `queue_lock`.
    queue: tokio::sync::Mutex<()>,
    progress: Mutex<ProgressState>,
    /// Generation requests admitted so far (`server_error_once` fails the first).
    submissions: AtomicUsize,
    /// Index into [`CHECKPOINTS`] of the `sd_model_checkpoint` option.
    checkpoint: AtomicUsize,
}

impl Default for ProtocolState {
    fn default() -> Self {
        Self {
            queue: tokio::sync::Mutex::new(()),
            progress: Mutex::default(),
            submissions: AtomicUsize::new(0),
            checkpoint: AtomicUsize::new(0),
        }
    }
}

/// What `/sdapi/v1/progress` reports (A1111's `shared.state`).
#[derive(Default)]
struct ProgressState {
    running: Option<Running>,
    /// Set by an interrupt; cleared when the next generation begins.
    interrupted: bool,
    job_timestamp: String,
}

/// The generation being held.
struct Running {
    started: Instant,
    duration: Duration,
    steps: u32,
    job_count: u32,
    interrupt: Arc<Notify>,
}

/// The A1111 routes.
pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sdapi/v1/txt2img", post(txt2img))
        .route("/sdapi/v1/img2img", post(img2img))
        .route("/sdapi/v1/progress", get(progress))
        .route("/sdapi/v1/interrupt", post(interrupt))
        .route("/sdapi/v1/sd-models", get(sd_models))
        .route("/sdapi/v1/samplers", get(samplers))
        .route("/sdapi/v1/options", get(get_options).post(set_options))
        .route_layer(middleware::from_fn(process_time))
}

/// Adds `X-Process-Time` (seconds), as A1111's middleware does.
async fn process_time(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let seconds = format!("{:.4}", started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        response.headers_mut().insert("x-process-time", value);
    }
    response
}

/// The 401 for every request in the auth scenarios, as `--api-auth` with other credentials.
fn refusal(shared: &Shared) -> Option<Response> {
    let scenario = shared.config.scenario;
    if !matches!(scenario, Scenario::Auth401 | Scenario::Auth200) {
        return None;
    }
    let mut response = json_response(StatusCode::UNAUTHORIZED, json!({"detail": "Incorrect username or password"}));
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
    Some(response)
}

/// `POST /sdapi/v1/txt2img`.
async fn txt2img(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    match Params::parse(&body, Mode::Txt2Img) {
        Ok(params) => generate(&shared, params).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// `POST /sdapi/v1/img2img`: the output is at the requested width and height.
async fn img2img(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    match Params::parse(&body, Mode::Img2Img) {
        Ok(params) => generate(&shared, params).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// Acts out the scenario for one validated generation request.
async fn generate(shared: &Shared, params: Params) -> Response {
    use Scenario as S;
    let _slot = count_in_flight(&shared.in_flight);
    let nth = shared.a1111.submissions.fetch_add(1, Ordering::Relaxed);
    let asked_checkpoint =
        params.checkpoint.clone().unwrap_or_else(|| CHECKPOINTS[shared.a1111.checkpoint.load(Ordering::Relaxed)].title.to_owned());
    match shared.config.scenario {
        S::Validation400 | S::Validation200 | S::ContentPolicy => unprocessable(vec![json!({
            "loc": ["body", "width"],
            "msg": "ensure this value is greater than or equal to 64",
            "type": "value_error.number.not_ge",
        })])
        .into_response(),
        S::ErrorField | S::MessegeError => sampler_not_found().into_response(),
        S::ServerErrorOnce if nth == 0 => out_of_memory(),
        S::ServerError | S::Failed | S::ProcessingThenFailed => out_of_memory(),
        S::ModelOutage if asked_checkpoint.to_ascii_lowercase().contains("xl") => out_of_memory(),
        S::Html502 => html_response(StatusCode::BAD_GATEWAY, NGINX_502),
        S::Html200 => html_response(StatusCode::OK, HTML_PAGE),
        S::Empty200 => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")]).into_response(),
        S::Hang => {
            shared.pause(HANG_TIME).await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        S::Success
        | S::ObjectOutput
        | S::Base64Url
        | S::InlineBase64
        | S::DataUri
        | S::JpegOutput
        | S::Processing
        | S::ProcessingStringId
        | S::FetchBodyForm
        | S::FutureLink404
        | S::Auth401
        | S::Auth200
        | S::Credits402
        | S::Plan403
        | S::RateLimited
        | S::RateLimitedHeader
        | S::RateLimitedMs
        | S::RateLimitedDate
        | S::RateLimitedReset
        | S::RateLimitedForever
        | S::RateLimitedLong
        | S::Quota429
        | S::ServerErrorOnce
        | S::ModelOutage
        | S::EmptyImage
        | S::NotAnImage
        | S::HugeImage
        | S::ProcessingForever
        | S::BigEta
        | S::DuplicateId => {
            let checkpoint = CHECKPOINTS
                .iter()
                .find(|checkpoint| checkpoint.answers_to(&asked_checkpoint))
                // An unknown override is ignored: the loaded model is used.
                .unwrap_or(&CHECKPOINTS[shared.a1111.checkpoint.load(Ordering::Relaxed)]);
            run(shared, params, checkpoint).await
        }
    }
}

/// Counts a request as in flight without enforcing the queue limit (A1111 queues everything).
fn count_in_flight(in_flight: &Arc<InFlight>) -> JobSlot {
    let mut counts = lock(&in_flight.counts);
    counts.current += 1;
    counts.peak = counts.peak.max(counts.current);
    JobSlot(Arc::clone(in_flight))
}

/// Holds the generation for the job duration (unless interrupted) and answers its images.
async fn run(shared: &Shared, params: Params, checkpoint: &'static Checkpoint) -> Response {
    let _turn = shared.a1111.queue.lock().await;
    let total = params.batch_size * params.n_iter;
    let first_seed = if params.seed == -1 { i64::from(rand::random::<u32>()) } else { params.seed };
    let seeds: Vec<i64> = (0..i64::from(total)).map(|i| first_seed + i).collect();
    let interrupt = Arc::new(Notify::new());
    let job_timestamp = timestamp(SystemTime::now());
    {
        let mut state = lock(&shared.a1111.progress);
        state.running = Some(Running {
            started: Instant::now(),
            duration: shared.config.job_duration,
            steps: params.steps,
            job_count: params.n_iter,
            interrupt: Arc::clone(&interrupt),
        });
        state.interrupted = false;
        state.job_timestamp = job_timestamp.clone();
    }
    let interrupted = tokio::select! {
        () = shared.pause(shared.config.job_duration) => false,
        () = interrupt.notified() => true,
    };
    lock(&shared.a1111.progress).running = None;

    let produced = if interrupted { 1 } else { seeds.len() };
    let infotexts: Vec<String> = seeds[..produced].iter().map(|&seed| params.infotext(seed, checkpoint)).collect();
    let scenario = shared.config.scenario;
    let (width, height) = (params.width, params.height);
    let jobs: Vec<(ImageSpec, String)> = seeds
        .iter()
        .zip(&infotexts)
        .map(|(&seed, text)| {
            let spec = ImageSpec { width, height, seed: seed as u64 };
            (spec, text.clone())
        })
        .collect();
    let images =
        tokio::task::spawn_blocking(move || jobs.into_iter().map(|(spec, text)| encode_image(scenario, spec, &text)).collect::<Vec<_>>())
            .await;
    let Ok(images) = images else {
        return out_of_memory();
    };
    let info = json!({
        "prompt": params.prompt,
        "all_prompts": vec![&params.prompt; seeds.len()],
        "negative_prompt": params.negative_prompt,
        "all_negative_prompts": vec![&params.negative_prompt; seeds.len()],
        "seed": first_seed,
        "all_seeds": seeds,
        "subseed": first_seed + 1,
        "all_subseeds": seeds.iter().map(|seed| seed + 1).collect::<Vec<_>>(),
        "subseed_strength": 0,
        "width": params.width,
        "height": params.height,
        "sampler_name": params.sampler,
        "cfg_scale": params.cfg_scale,
        "steps": params.steps,
        "batch_size": params.batch_size,
        "restore_faces": false,
        "face_restoration_model": null,
        "sd_model_name": checkpoint.model_name,
        "sd_model_hash": checkpoint.hash,
        "sd_vae_name": null,
        "sd_vae_hash": null,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": params.denoising_strength,
        "extra_generation_params": {},
        "index_of_first_image": 0,
        "infotexts": infotexts,
        "styles": [],
        "job_timestamp": job_timestamp,
        "clip_skip": 1,
        "is_using_inpainting_conditioning": false,
        "version": VERSION,
    });
    json_response(StatusCode::OK, json!({"images": images, "parameters": params.echo, "info": info.to_string()}))
}

/// One entry of `images`: raw base64 of a PNG carrying the infotext, or the scenario's variant.
fn encode_image(scenario: Scenario, spec: ImageSpec, infotext: &str) -> String {
    use base64::Engine as _;
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match scenario {
        Scenario::JpegOutput => encode(&spec.jpeg()),
        Scenario::DataUri => format!("data:image/png;base64,{}", spec.png_base64()),
        Scenario::EmptyImage => String::new(),
        Scenario::NotAnImage => encode(NOT_AN_IMAGE.as_bytes()),
        Scenario::HugeImage => encode(&super::pattern::oversized_png(60_000, 60_000)),
        _ => encode(&with_parameters(spec.png(), infotext)),
    }
}

/// Inserts a `parameters` text chunk right after IHDR, as A1111 does for its PNGs.
fn with_parameters(mut png: Vec<u8>, text: &str) -> Vec<u8> {
    // The 8-byte signature, then IHDR: length, type, 13 bytes of data, CRC.
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < AFTER_IHDR {
        return png;
    }
    let (kind, mut data): (&[u8; 4], Vec<u8>) = if text.is_ascii() {
        (b"tEXt", b"parameters\0".to_vec())
    } else {
        // Keyword, no compression, no language tag, no translated keyword, UTF-8 text.
        (b"iTXt", b"parameters\0\0\0\0\0".to_vec())
    };
    data.extend_from_slice(text.as_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(&data);
    let mut chunk = Vec::with_capacity(data.len() + 12);
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(&data);
    chunk.extend_from_slice(&crc.finalize().to_be_bytes());
    png.splice(AFTER_IHDR..AFTER_IHDR, chunk);
    png
}

/// `GET /sdapi/v1/progress`.
async fn progress(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    let state = lock(&shared.a1111.progress);
    let (progress, eta, job, job_count, job_no, step, steps) = match &state.running {
        None => (0.0, 0.0, String::new(), 0, 0, 0, 0),
        Some(running) => {
            let elapsed = running.started.elapsed();
            let fraction =
                if running.duration.is_zero() { 0.0 } else { (elapsed.as_secs_f64() / running.duration.as_secs_f64()).min(0.99) };
            let all_steps = running.steps * running.job_count;
            let done = (fraction * f64::from(all_steps)) as u32;
            let job_no = done / running.steps;
            let eta = running.duration.saturating_sub(elapsed).as_secs_f64();
            let job = format!("Batch {} out of {}", job_no + 1, running.job_count);
            (fraction, eta, job, running.job_count, job_no, done % running.steps, running.steps)
        }
    };
    json_response(
        StatusCode::OK,
        json!({
            "progress": progress,
            "eta_relative": eta,
            "state": {
                "skipped": false,
                "interrupted": state.interrupted,
                "stopping_generation": false,
                "job": job,
                "job_count": job_count,
                "job_timestamp": state.job_timestamp,
                "job_no": job_no,
                "sampling_step": step,
                "sampling_steps": steps,
            },
            "current_image": null,
            "textinfo": null,
        }),
    )
}

/// `POST /sdapi/v1/interrupt`: ends the running generation, if any; answers `{}`.
async fn interrupt(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    let mut state = lock(&shared.a1111.progress);
    // Like A1111's `State.interrupt()`, the flag is set even when nothing runs.
    state.interrupted = true;
    if let Some(running) = &state.running {
        running.interrupt.notify_one();
    }
    json_response(StatusCode::OK, json!({}))
}

/// `GET /sdapi/v1/sd-models`.
async fn sd_models(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    let models: Vec<Value> = CHECKPOINTS.iter().map(Checkpoint::to_json).collect();
    json_response(StatusCode::OK, Value::Array(models))
}

/// `GET /sdapi/v1/samplers`.
async fn samplers(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    let list: Vec<Value> = SAMPLERS.iter().map(|(name, aliases)| json!({"name": name, "aliases": aliases, "options": {}})).collect();
    json_response(StatusCode::OK, Value::Array(list))
}

/// `GET /sdapi/v1/options` (a few of A1111's many options).
async fn get_options(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    let checkpoint = &CHECKPOINTS[shared.a1111.checkpoint.load(Ordering::Relaxed)];
    json_response(
        StatusCode::OK,
        json!({
            "sd_model_checkpoint": checkpoint.title,
            "sd_checkpoint_hash": checkpoint.sha256,
            "samples_format": "png",
        }),
    )
}

/// `POST /sdapi/v1/options`: only `sd_model_checkpoint` has an effect.
async fn set_options(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    let body = match parse_object(&body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    if let Some(wanted) = body.get("sd_model_checkpoint").and_then(Value::as_str) {
        match CHECKPOINTS.iter().position(|c| c.answers_to(wanted)) {
            Some(index) => shared.a1111.checkpoint.store(index, Ordering::Relaxed),
            None => {
                return middleware_error(StatusCode::INTERNAL_SERVER_ERROR, "RuntimeError", "", &format!("model '{wanted}' not found"))
                    .into_response();
            }
        }
    }
    json_response(StatusCode::OK, Value::Null)
}

/// A1111's error middleware shape: `{"error","detail","body","errors"}`.
fn middleware_error(status: StatusCode, error: &str, detail: &str, errors: &str) -> Rejection {
    let body = json!({"error": error, "detail": detail, "body": "", "errors": errors});
    Rejection { status, body }
}

fn out_of_memory() -> Response {
    middleware_error(StatusCode::INTERNAL_SERVER_ERROR, "OutOfMemoryError", "", "CUDA out of memory. Tried to allocate 2.00 GiB")
        .into_response()
}

fn sampler_not_found() -> Rejection {
    middleware_error(StatusCode::NOT_FOUND, "HTTPException", "Sampler not found", "")
}

/// FastAPI's 422 with a `detail` list.
fn unprocessable(detail: Vec<Value>) -> Rejection {
    let body = json!({ "detail": detail });
    Rejection { status: StatusCode::UNPROCESSABLE_ENTITY, body }
}

/// Parses a JSON object body, or gives FastAPI's 422.
fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, Rejection> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(unprocessable(vec![json!({
            "loc": ["body"], "msg": "field required", "type": "value_error.missing",
        })]));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(body)) => Ok(body),
        Ok(_) => Err(unprocessable(vec![json!({
            "loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict",
        })])),
        Err(err) => Err(unprocessable(vec![json!({
            "loc": ["body", err.column().saturating_sub(1)],
            "msg": format!("Expecting value: line {} column {}", err.line(), err.column()),
            "type": "value_error.jsondecode",
        })])),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Txt2Img,
    Img2Img,
}

/// A checked txt2img or img2img request.
struct Params {
    prompt: String,
    negative_prompt: String,
    seed: i64,
    batch_size: u32,
    n_iter: u32,
    steps: u32,
    cfg_scale: f64,
    width: u32,
    height: u32,
    /// The sampler's canonical name.
    sampler: &'static str,
    checkpoint: Option<String>,
    denoising_strength: Option<f64>,
    /// The request with A1111's defaults filled in, echoed as `parameters`.
    echo: Value,
}

impl Params {
    /// Checks the body like A1111 (pydantic's 422s, then 404 for a missing init image or an
    /// unknown sampler, then 422 for an init image that is not an image).
    fn parse(bytes: &[u8], mode: Mode) -> Result<Self, Rejection> {
        let body = parse_object(bytes)?;
        let mut check = Details::default();
        let prompt = check.text(&body, "prompt").unwrap_or_default();
        let negative_prompt = check.text(&body, "negative_prompt").unwrap_or_default();
        let seed = check.integer(&body, "seed", -1..=i64::from(u32::MAX), -1);
        let batch_size = check.integer(&body, "batch_size", 1..=MAX_BATCH, 1);
        let n_iter = check.integer(&body, "n_iter", 1..=MAX_BATCH, 1);
        let steps = check.integer(&body, "steps", 1..=150, 50);
        let cfg_scale = check.number(&body, "cfg_scale", 1.0..=30.0, 7.0);
        let max_side = modelslab::MAX_SIDE as i64;
        let width = check.integer(&body, "width", 64..=max_side, 512);
        let height = check.integer(&body, "height", 64..=max_side, 512);
        let sampler_name = check.text(&body, "sampler_name").or_else(|| check.text(&body, "sampler_index"));
        let checkpoint = match body.get("override_settings") {
            None | Some(Value::Null) => None,
            Some(Value::Object(settings)) => match settings.get("sd_model_checkpoint") {
                Some(Value::String(name)) => Some(name.clone()),
                _ => None,
            },
            Some(_) => {
                check.push(&["override_settings"], "value is not a valid dict", "type_error.dict");
                None
            }
        };
        let denoising_strength = match mode {
            Mode::Txt2Img if body.get("denoising_strength").is_none_or(Value::is_null) => None,
            _ => Some(check.number(&body, "denoising_strength", 0.0..=1.0, 0.75)),
        };
        let init_images = match (mode, body.get("init_images")) {
            (Mode::Txt2Img, _) | (_, None | Some(Value::Null)) => Vec::new(),
            (Mode::Img2Img, Some(Value::Array(list))) => {
                for (index, entry) in list.iter().enumerate() {
                    if !entry.is_string() {
                        check.push_at(json!(["body", "init_images", index]), "str type expected", "type_error.str");
                    }
                }
                list.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            (Mode::Img2Img, Some(_)) => {
                check.push(&["init_images"], "value is not a valid list", "type_error.list");
                Vec::new()
            }
        };
        if !check.0.is_empty() {
            return Err(unprocessable(check.0));
        }
        if mode == Mode::Img2Img && init_images.is_empty() {
            return Err(middleware_error(StatusCode::NOT_FOUND, "HTTPException", "Init image not found", ""));
        }
        let sampler = resolve_sampler(sampler_name.as_deref().unwrap_or("Euler")).ok_or_else(sampler_not_found)?;
        for (index, init) in init_images.iter().enumerate() {
            let lower = init.trim_start().to_ascii_lowercase();
            let is_url = lower.starts_with("http://") || lower.starts_with("https://");
            if !is_url && modelslab::decode_init_image(init).is_none() {
                return Err(unprocessable(vec![json!({
                    "loc": ["body", "init_images", index],
                    "msg": "Invalid encoded image",
                    "type": "value_error",
                })]));
            }
        }

        let mut echo = defaults(mode);
        if let Value::Object(echo) = &mut echo {
            echo.extend(body);
            if mode == Mode::Img2Img && !echo.get("include_init_images").is_some_and(|v| v == &json!(true)) {
                echo.insert("init_images".to_owned(), Value::Null);
            }
        }
        // The range checks above keep every count and side well within u32.
        Ok(Self {
            prompt,
            negative_prompt,
            seed,
            batch_size: batch_size as u32,
            n_iter: n_iter as u32,
            steps: steps as u32,
            cfg_scale,
            width: width as u32,
            height: height as u32,
            sampler,
            checkpoint,
            denoising_strength,
            echo,
        })
    }

    /// The infotext A1111 shows under an image and stores in its PNG.
    fn infotext(&self, seed: i64, checkpoint: &Checkpoint) -> String {
        let mut text = self.prompt.clone();
        if !self.negative_prompt.is_empty() {
            text.push_str("\nNegative prompt: ");
            text.push_str(&self.negative_prompt);
        }
        text.push_str(&format!(
            "\nSteps: {}, Sampler: {}, Schedule type: Automatic, CFG scale: {}, Seed: {seed}, \
             Size: {}x{}, Model hash: {}, Model: {}",
            self.steps, self.sampler, self.cfg_scale, self.width, self.height, checkpoint.hash, checkpoint.model_name
        ));
        if let Some(strength) = self.denoising_strength {
            text.push_str(&format!(", Denoising strength: {strength}"));
        }
        text.push_str(&format!(", Version: {VERSION}"));
        text
    }
}

/// The canonical name of a sampler given by name or alias; a scheduler suffix such as
/// " Karras" (the pre-1.9 names) is allowed.
fn resolve_sampler(name: &str) -> Option<&'static str> {
    let name = name.trim();
    let base = [" Karras", " Exponential"].iter().find_map(|suffix| name.strip_suffix(suffix)).unwrap_or(name);
    SAMPLERS
        .iter()
        .find(|(canonical, aliases)| canonical.eq_ignore_ascii_case(base) || aliases.iter().any(|alias| alias.eq_ignore_ascii_case(base)))
        .map(|(canonical, _)| *canonical)
}

/// A1111's request defaults, the base of the `parameters` echo.
fn defaults(mode: Mode) -> Value {
    let mut defaults = json!({
        "prompt": "", "negative_prompt": "", "styles": null, "seed": -1, "subseed": -1,
        "subseed_strength": 0, "seed_resize_from_h": -1, "seed_resize_from_w": -1,
        "sampler_name": null, "scheduler": null, "batch_size": 1, "n_iter": 1, "steps": 50,
        "cfg_scale": 7.0, "width": 512, "height": 512, "restore_faces": null, "tiling": null,
        "do_not_save_samples": false, "do_not_save_grid": false, "eta": null,
        "denoising_strength": null, "override_settings": null,
        "override_settings_restore_afterwards": true, "refiner_checkpoint": null,
        "refiner_switch_at": null, "disable_extra_networks": false, "comments": null,
        "sampler_index": "Euler", "script_name": null, "script_args": [], "send_images": true,
        "save_images": false, "alwayson_scripts": {}, "force_task_id": null, "infotext": null,
    });
    match mode {
        Mode::Txt2Img => {
            for (key, value) in [
                ("enable_hr", json!(false)),
                ("hr_scale", json!(2.0)),
                ("hr_upscaler", Value::Null),
                ("hr_second_pass_steps", json!(0)),
                ("hr_resize_x", json!(0)),
                ("hr_resize_y", json!(0)),
            ] {
                defaults[key] = value;
            }
        }
        Mode::Img2Img => {
            for (key, value) in [
                ("init_images", Value::Null),
                ("resize_mode", json!(0)),
                ("image_cfg_scale", Value::Null),
                ("mask", Value::Null),
                ("denoising_strength", json!(0.75)),
                ("include_init_images", json!(false)),
            ] {
                defaults[key] = value;
            }
        }
    }
    defaults
}

/// pydantic-style validation errors, collected.
#[derive(Default)]
struct Details(Vec<Value>);

impl Details {
    fn push(&mut self, field: &[&str], msg: &str, kind: &str) {
        let mut loc = vec!["body"];
        loc.extend_from_slice(field);
        self.push_at(json!(loc), msg, kind);
    }

    fn push_at(&mut self, loc: Value, msg: &str, kind: &str) {
        self.0.push(json!({"loc": loc, "msg": msg, "type": kind}));
    }

    /// A string field; absent or null gives `None`.
    fn text(&mut self, body: &Map<String, Value>, field: &str) -> Option<String> {
        match body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                self.push(&[field], "str type expected", "type_error.str");
                None
            }
        }
    }

    /// An integer (pydantic also takes integral floats and numeric strings) within `range`.
    fn integer(&mut self, body: &Map<String, Value>, field: &str, range: std::ops::RangeInclusive<i64>, default: i64) -> i64 {
        let value = match body.get(field) {
            None | Some(Value::Null) => return default,
            Some(Value::Number(number)) => {
                number.as_i64().or_else(|| number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
            }
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(_) => None,
        };
        let Some(value) = value else {
            self.push(&[field], "value is not a valid integer", "type_error.integer");
            return default;
        };
        self.in_range(field, value, *range.start(), *range.end()).unwrap_or(default)
    }

    /// A number within `range`.
    fn number(&mut self, body: &Map<String, Value>, field: &str, range: std::ops::RangeInclusive<f64>, default: f64) -> f64 {
        let value = match body.get(field) {
            None | Some(Value::Null) => return default,
            Some(Value::Number(number)) => number.as_f64(),
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(_) => None,
        };
        let Some(value) = value.filter(|value: &f64| value.is_finite()) else {
            self.push(&[field], "value is not a valid float", "type_error.float");
            return default;
        };
        self.in_range(field, value, *range.start(), *range.end()).unwrap_or(default)
    }

    fn in_range<T: PartialOrd + std::fmt::Display>(&mut self, field: &str, value: T, min: T, max: T) -> Option<T> {
        if value < min {
            let msg = format!("ensure this value is greater than or equal to {min}");
            self.push(&[field], &msg, "value_error.number.not_ge");
            None
        } else if value > max {
            let msg = format!("ensure this value is less than or equal to {max}");
            self.push(&[field], &msg, "value_error.number.not_le");
            None
        } else {
            Some(value)
        }
    }
}

/// `YYYYmmddHHMMSS` in UTC, A1111's `job_timestamp`.
fn timestamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}{:02}{:02}{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sandbox, SandboxConfig};
    use base64::Engine as _;

    fn url(sandbox: &Sandbox, route: &str) -> String {
        format!("{}/sdapi/v1/{route}", sandbox.base_url())
    }

    async fn post(url: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn get(url: &str) -> Value {
        reqwest::get(url).await.unwrap().json().await.unwrap()
    }

    fn decode(text: &str) -> image::DynamicImage {
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
        image::load_from_memory(&bytes).unwrap()
    }

    fn small(extra: Value) -> Value {
        let mut body = json!({"prompt": "a cat", "width": 64, "height": 80, "steps": 20});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    }

    #[tokio::test]
    async fn txt2img_answers_images_and_an_info_string() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let body = small(json!({"seed": 42, "batch_size": 2, "n_iter": 2,
            "sampler_name": "DPM++ 2M Karras",
            "override_settings": {"sd_model_checkpoint": "sd_xl_base_1.0.safetensors [31e35c80fc]"}}));
        let response =
            reqwest::Client::new().post(url(&sandbox, "txt2img")).basic_auth("user", Some("pass")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("x-process-time"));
        let reply: Value = response.json().await.unwrap();
        let images = reply["images"].as_array().unwrap();
        assert_eq!(images.len(), 4);
        let first = images[0].as_str().unwrap();
        assert!(first.starts_with("iVBOR"), "raw base64 PNG, no data: prefix");
        let image = decode(first);
        assert_eq!((image.width(), image.height()), (64, 80));
        let info: Value = serde_json::from_str(reply["info"].as_str().unwrap()).unwrap();
        assert_eq!(info["seed"], 42);
        assert_eq!(info["all_seeds"], json!([42, 43, 44, 45]));
        assert_eq!(info["sd_model_name"], "sd_xl_base_1.0");
        assert_eq!(info["infotexts"].as_array().unwrap().len(), 4);
        assert!(info["infotexts"][1].as_str().unwrap().contains("Seed: 43"));
        assert_eq!(reply["parameters"]["seed"], 42);
        assert_eq!(reply["parameters"]["cfg_scale"], 7.0);

        let (_, random) = post(&url(&sandbox, "txt2img"), small(json!({"seed": -1}))).await;
        let info: Value = serde_json::from_str(random["info"].as_str().unwrap()).unwrap();
        assert!(info["seed"].as_i64().unwrap() >= 0);
    }

    #[tokio::test]
    async fn progress_grows_while_a_job_is_held_and_interrupt_ends_it() {
        let config = SandboxConfig { job_duration: Duration::from_millis(300), ..SandboxConfig::default() };
        let sandbox = Sandbox::start(config).await.unwrap();
        let idle = get(&url(&sandbox, "progress")).await;
        assert_eq!((idle["progress"].as_f64(), idle["eta_relative"].as_f64()), (Some(0.0), Some(0.0)));

        let txt2img = url(&sandbox, "txt2img");
        let held = tokio::spawn(async move { post(&txt2img, small(json!({}))).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let early = get(&url(&sandbox, "progress")).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let later = get(&url(&sandbox, "progress")).await;
        let (early_p, later_p) = (early["progress"].as_f64().unwrap(), later["progress"].as_f64().unwrap());
        assert!(0.0 < early_p && early_p < later_p && later_p < 1.0, "{early_p} {later_p}");
        assert!(later["eta_relative"].as_f64().unwrap() < early["eta_relative"].as_f64().unwrap());
        assert_eq!(later["state"]["sampling_steps"], 20);
        assert_eq!(later["state"]["job_count"], 1);
        assert!(later["state"]["sampling_step"].as_u64().unwrap() >= 1);
        assert!(later["current_image"].is_null() && later["textinfo"].is_null());
        let (status, done) = held.await.unwrap();
        assert_eq!((status, done["images"].as_array().unwrap().len()), (200, 1));
        assert_eq!(get(&url(&sandbox, "progress")).await["progress"], 0.0);

        let config = SandboxConfig { job_duration: Duration::from_secs(30), ..SandboxConfig::default() };
        let sandbox = Sandbox::start(config).await.unwrap();
        let started = Instant::now();
        let txt2img = url(&sandbox, "txt2img");
        let held = tokio::spawn(async move { post(&txt2img, small(json!({"batch_size": 3}))).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, reply) = post(&url(&sandbox, "interrupt"), json!({})).await;
        assert_eq!((status, reply), (200, json!({})));
        let (status, done) = held.await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!((status, done["images"].as_array().unwrap().len()), (200, 1));
        let info: Value = serde_json::from_str(done["info"].as_str().unwrap()).unwrap();
        assert_eq!(info["all_seeds"].as_array().unwrap().len(), 3);
        assert_eq!(get(&url(&sandbox, "progress")).await["state"]["interrupted"], true);
        assert!(sandbox.requests().iter().any(|r| r.path == "/sdapi/v1/interrupt"));
    }

    #[tokio::test]
    async fn lists_models_samplers_and_options() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let models = get(&url(&sandbox, "sd-models")).await;
        assert_eq!(models[0]["title"], "v1-5-pruned-emaonly.safetensors [6ce0161689]");
        assert_eq!(models[0]["hash"], "6ce0161689");
        assert!(models[0]["config"].is_null());
        assert_eq!(models[1]["model_name"], "sd_xl_base_1.0");
        assert!(get(&url(&sandbox, "samplers")).await[0]["name"].is_string());
        let options = get(&url(&sandbox, "options")).await;
        assert_eq!(options["sd_model_checkpoint"], models[0]["title"]);
    }

    #[tokio::test]
    async fn errors_in_a1111_shapes() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let (status, reply) = post(&url(&sandbox, "txt2img"), small(json!({"width": 8}))).await;
        assert_eq!(status, 422);
        assert_eq!(reply["detail"][0]["loc"], json!(["body", "width"]));
        assert_eq!(reply["detail"][0]["type"], "value_error.number.not_ge");
        let (status, reply) = post(&url(&sandbox, "txt2img"), small(json!({"sampler_name": "Nope"}))).await;
        assert_eq!((status, &reply["detail"]), (404, &json!("Sampler not found")));

        let (status, reply) = post(&url(&sandbox, "img2img"), small(json!({"init_images": ["bm90IGFuIGltYWdl"]}))).await;
        assert_eq!(status, 422);
        assert_eq!(reply["detail"][0]["loc"], json!(["body", "init_images", 0]));
        let png = base64::engine::general_purpose::STANDARD.encode(ImageSpec { width: 20, height: 10, seed: 1 }.png());
        let (status, reply) = post(
            &url(&sandbox, "img2img"),
            small(json!({"init_images": [format!("data:image/png;base64,{png}")],
                         "denoising_strength": 0.4})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(decode(reply["images"][0].as_str().unwrap()).width(), 64);
        assert!(reply["parameters"]["init_images"].is_null());

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Validation400)).await.unwrap();
        let (status, reply) = post(&url(&sandbox, "txt2img"), small(json!({}))).await;
        assert_eq!(status, 422);
        assert_eq!(
            reply,
            json!({"detail": [{"loc": ["body", "width"],
            "msg": "ensure this value is greater than or equal to 64",
            "type": "value_error.number.not_ge"}]})
        );

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::ModelOutage)).await.unwrap();
        let (status, _) = post(&url(&sandbox, "txt2img"), small(json!({}))).await;
        assert_eq!(status, 200);
        let xl = small(json!({"override_settings": {"sd_model_checkpoint": "sd_xl_base_1.0"}}));
        let (status, reply) = post(&url(&sandbox, "txt2img"), xl).await;
        assert_eq!((status, &reply["error"]), (500, &json!("OutOfMemoryError")));
    }

    #[tokio::test]
    async fn basic_auth_is_refused_in_auth_scenarios() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Auth401)).await.unwrap();
        let response = reqwest::Client::new()
            .post(url(&sandbox, "txt2img"))
            .basic_auth("user", Some("wrong"))
            .json(&small(json!({})))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Basic");
        let reply: Value = response.json().await.unwrap();
        assert_eq!(reply, json!({"detail": "Incorrect username or password"}));
        let models = reqwest::get(url(&sandbox, "sd-models")).await.unwrap();
        assert_eq!(models.status(), 401);

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Credits402)).await.unwrap();
        let (status, _) = post(&url(&sandbox, "txt2img"), small(json!({}))).await;
        assert_eq!(status, 200, "a local WebUI has no credits");
    }

    #[tokio::test]
    async fn every_scenario_answers_as_documented() {
        use Scenario as S;
        let xl = small(json!({"override_settings": {"sd_model_checkpoint": "sd_xl_base_1.0"}}));
        for &scenario in Scenario::ALL {
            if scenario == S::Hang {
                continue;
            }
            let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
            let response = reqwest::Client::new().post(url(&sandbox, "txt2img")).json(&xl).send().await.unwrap();
            let want = match scenario {
                S::Auth401 | S::Auth200 => 401,
                S::Validation400 | S::Validation200 | S::ContentPolicy => 422,
                S::ErrorField | S::MessegeError => 404,
                S::ServerErrorOnce | S::ServerError | S::Failed | S::ProcessingThenFailed | S::ModelOutage => 500,
                S::Html502 => 502,
                _ => 200,
            };
            assert_eq!(response.status().as_u16(), want, "{scenario}");
            let text = response.text().await.unwrap();
            if want == 200 && text.starts_with('{') {
                let reply: Value = serde_json::from_str(&text).unwrap();
                assert!(reply["images"][0].is_string(), "{scenario}");
                assert!(reply["info"].is_string(), "{scenario}");
            }
        }
    }

    #[test]
    fn timestamps_and_text_chunks() {
        let march = UNIX_EPOCH + Duration::from_secs(1_709_251_200 + 3661);
        assert_eq!(timestamp(march), "20240301010101");
        let png = with_parameters(ImageSpec { width: 8, height: 8, seed: 0 }.png(), "café");
        assert!(png.windows(4).any(|w| w == b"iTXt"));
        assert!(image::load_from_memory(&png).is_ok());
    }
}
