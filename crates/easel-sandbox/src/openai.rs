//! The OpenAI Images API (`POST /v1/images/generations`), acting out the configured
//! [`Scenario`] in OpenAI's dialect.
//!
//! Authentication is `Authorization: Bearer KEY` or Azure's `api-key: KEY`; neither gives 401.
//! Every answer carries `x-request-id`, `openai-processing-ms`, `openai-version` and the
//! `x-ratelimit-*-requests` headers. Errors are `{"error":{"message","type","param","code"}}`.
//!
//! | scenario | answer |
//! |---|---|
//! | `success`, `processing*` (no async API here), `big_eta`, `duplicate_id` | 200 |
//! | `object_output` | 200 with Together-style extras: `id`, `model`, `object: "list"`, `data[].index` |
//! | `inline_base64` | 200 `b64_json`, even when `url` was asked for (like DeepInfra) |
//! | `data_uri` | 200 `b64_json` as a `data:image/png;base64,` URI, even when `url` was asked for (like xAI) |
//! | `base64_url`, `future_link_404`, `empty_image`, `not_an_image`, `huge_image`, `jpeg_output` | 200; the `url` form serves the scenario's file from the image store, the `b64_json` form carries the same bytes |
//! | `auth_401`, `auth_200` | 401 `invalid_api_key` (checked before the body) |
//! | `credits_402`, `quota_429` | 429 `insufficient_quota` |
//! | `plan_403` | 403 organization must be verified |
//! | `validation_400`, `validation_200` | 400 `invalid_value`, param `size` |
//! | `content_policy` | 400 `content_policy_violation` |
//! | `messege_error` | 404 `model_not_found` |
//! | `error_field` | 400 whose `error` is a bare string (as some compatible gateways send) |
//! | `rate_limited` | first two: 429 `rate_limit_exceeded`, `retry-after: 1`, `retry-after-ms: 1000` |
//! | `rate_limited_header`, `_ms`, `_date`, `_reset` | first: 429 with the ModelsLab scenario's header hints |
//! | `rate_limited_forever` / `rate_limited_long` | every request 429, `retry-after: 1` / `600` |
//! | `server_error_once` / `server_error` | first / every request 500 `server_error` |
//! | `failed`, `processing_then_failed` | 500 `server_error` (the generation fails) |
//! | `model_outage` | 503 for model `dall-e-3` only |
//! | `html_502`, `html_200`, `empty_200`, `hang` | as for ModelsLab |
//!
//! The queue limit applies: a request over it gets the `rate_limited` 429.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::modelslab::{self, HANG_TIME, HTML_PAGE, NGINX_502, NOT_AN_IMAGE, http_date};
use super::{ImageSpec, Rejection, Scenario, Shared, html_response, json_response, new_uuid};

/// What `x-ratelimit-limit-requests` announces.
const REQUEST_LIMIT: u32 = 60;
/// Largest `n`.
const MAX_IMAGES: u64 = 10;
/// Smallest and largest side `size` may ask for.
const SIDES: std::ops::RangeInclusive<u32> = 256..=2048;
/// The size used when `size` is absent or `auto`.
const DEFAULT_SIDE: u32 = 1024;

const SERVER_ERROR: &str = "The server had an error while processing your request. Sorry about that! \
You can retry your request, or contact us through our help center at help.openai.com if the error persists.";

/// OpenAI-specific state of one sandbox.
#[derive(Default)]
pub(super) struct ProtocolState {
    /// Generation requests admitted so far (scenarios like `rate_limited` script the first few).
    submissions: AtomicUsize,
}

/// The OpenAI routes.
pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/images/generations", post(generations))
        .route("/v1/models", axum::routing::get(models))
        .route_layer(middleware::from_fn(common_headers))
}

/// Adds the headers OpenAI sends on every answer, unless the handler set them already.
async fn common_headers(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let elapsed = started.elapsed().as_millis() as u64;
    let headers = response.headers_mut();
    let request_id = format!("req_{:032x}", rand::random::<u128>());
    for (name, value) in [
        ("x-request-id", HeaderValue::from_str(&request_id).ok()),
        ("openai-processing-ms", Some(HeaderValue::from(elapsed))),
        ("openai-version", Some(HeaderValue::from_static("2020-10-01"))),
        ("x-ratelimit-limit-requests", Some(HeaderValue::from(REQUEST_LIMIT))),
        ("x-ratelimit-remaining-requests", Some(HeaderValue::from(REQUEST_LIMIT - 1))),
        ("x-ratelimit-reset-requests", Some(HeaderValue::from_static("1s"))),
    ] {
        if let Some(value) = value {
            headers.entry(HeaderName::from_static(name)).or_insert(value);
        }
    }
    response
}

/// `GET /v1/models`: every model of the account, image models among them.
async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let key = api_key(&headers);
    if key.is_none() || matches!(shared.config.scenario, Scenario::Auth401 | Scenario::Auth200) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        );
    }
    let data: Vec<Value> = ["gpt-image-1", "dall-e-3", "dall-e-2", "gpt-4o", "whisper-1"]
        .iter()
        .map(|id| serde_json::json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "system"}))
        .collect();
    super::json_response(StatusCode::OK, serde_json::json!({"object": "list", "data": data}))
}

/// `POST /v1/images/generations`.
async fn generations(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = api_key(&headers) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            None,
            None,
        );
    };
    if matches!(shared.config.scenario, Scenario::Auth401 | Scenario::Auth200) {
        return error(
            StatusCode::UNAUTHORIZED,
            &format!(
                "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
                mask_key(&key)
            ),
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        );
    }
    let request = match ImageRequest::parse(&body) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let Some(_slot) = shared.in_flight.try_acquire() else {
        return rate_limited(&shared, retry_hints(1));
    };
    let nth = shared.openai.submissions.fetch_add(1, Ordering::Relaxed);
    respond(&shared, &request, nth).await
}

/// The key from `Authorization: Bearer KEY` or `api-key: KEY`; empty keys do not count.
fn api_key(headers: &HeaderMap) -> Option<String> {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(token)
    });
    let api_key = headers.get("api-key").and_then(|value| value.to_str().ok());
    bearer.into_iter().chain(api_key).map(str::trim).find(|key| !key.is_empty()).map(str::to_owned)
}

/// The key as OpenAI echoes it: the first 3 and last 4 characters, the rest starred; a short
/// key is starred entirely.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Acts out the scenario for the `nth` admitted request.
async fn respond(shared: &Shared, request: &ImageRequest, nth: usize) -> Response {
    use Scenario as S;
    match shared.config.scenario {
        S::Credits402 | S::Quota429 => shared.too_many_requests(
            error_body(
                "You exceeded your current quota, please check your plan and billing details. \
                 For more information on this error, read the docs: \
                 https://platform.openai.com/docs/guides/error-codes/api-errors.",
                "insufficient_quota",
                None,
                Some("insufficient_quota"),
            ),
            [],
        ),
        S::Plan403 => error(
            StatusCode::FORBIDDEN,
            &format!(
                "Your organization must be verified to use the model `{}`. Please go to: \
                 https://platform.openai.com/settings/organization/general and click on Verify \
                 Organization. If you just verified, it can take up to 15 minutes for access to \
                 propagate.",
                request.model
            ),
            "invalid_request_error",
            None,
            None,
        ),
        S::Validation400 | S::Validation200 => invalid_size(&request.size_text).into_response(),
        S::ContentPolicy => error(
            StatusCode::BAD_REQUEST,
            "Your request was rejected as a result of our safety system. Your prompt may contain \
             text that is not allowed by our safety system.",
            "invalid_request_error",
            None,
            Some("content_policy_violation"),
        ),
        S::MessegeError => error(
            StatusCode::NOT_FOUND,
            &format!("The model `{}` does not exist or you do not have access to it.", request.model),
            "invalid_request_error",
            None,
            Some("model_not_found"),
        ),
        S::ErrorField => json_response(StatusCode::BAD_REQUEST, json!({"error": "Invalid request: prompt must be a string"})),
        S::RateLimited if nth < 2 => rate_limited(shared, retry_hints(1)),
        S::RateLimitedHeader if nth == 0 => rate_limited(shared, vec![(header::RETRY_AFTER, HeaderValue::from(1))]),
        S::RateLimitedMs if nth == 0 => rate_limited(
            shared,
            vec![(HeaderName::from_static("retry-after-ms"), HeaderValue::from(300)), (header::RETRY_AFTER, HeaderValue::from(5))],
        ),
        S::RateLimitedDate if nth == 0 => {
            let now = SystemTime::now();
            rate_limited(shared, vec![(header::RETRY_AFTER, http_date(now + Duration::from_secs(2))), (header::DATE, http_date(now))])
        }
        S::RateLimitedReset if nth == 0 => {
            let reset = unix_time() + 2;
            rate_limited(
                shared,
                vec![
                    (HeaderName::from_static("x-ratelimit-reset"), HeaderValue::from(reset)),
                    (HeaderName::from_static("x-ratelimit-reset-requests"), HeaderValue::from_static("2s")),
                ],
            )
        }
        S::RateLimitedForever => rate_limited(shared, retry_hints(1)),
        S::RateLimitedLong => rate_limited(shared, vec![(header::RETRY_AFTER, HeaderValue::from(600))]),
        S::ServerErrorOnce if nth == 0 => server_error(),
        S::ServerError | S::Failed | S::ProcessingThenFailed => server_error(),
        S::ModelOutage if request.model == "dall-e-3" => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "That model is currently overloaded with other requests. You can retry your request, \
             or contact us through our help center at help.openai.com if the error persists.",
            "server_error",
            None,
            None,
        ),
        S::Html502 => html_response(StatusCode::BAD_GATEWAY, NGINX_502),
        S::Html200 => html_response(StatusCode::OK, HTML_PAGE),
        S::Empty200 => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")]).into_response(),
        S::Hang => {
            shared.pause(HANG_TIME).await;
            server_error()
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
        | S::RateLimited
        | S::RateLimitedHeader
        | S::RateLimitedMs
        | S::RateLimitedDate
        | S::RateLimitedReset
        | S::ServerErrorOnce
        | S::ModelOutage
        | S::EmptyImage
        | S::NotAnImage
        | S::HugeImage
        | S::ProcessingForever
        | S::BigEta
        | S::DuplicateId => succeed(shared, request).await,
    }
}

/// Answers a finished generation after the configured job duration.
async fn succeed(shared: &Shared, request: &ImageRequest) -> Response {
    shared.pause(shared.config.job_duration).await;
    let scenario = shared.config.scenario;
    let seed = u64::from(rand::random::<u32>());
    let specs: Vec<ImageSpec> =
        (0..request.n).map(|index| ImageSpec { width: request.width, height: request.height, seed: seed + u64::from(index) }).collect();
    let inline = match scenario {
        Scenario::InlineBase64 => Some(""),
        Scenario::DataUri => Some("data:image/png;base64,"),
        _ if request.wants_base64() => Some(""),
        _ => None,
    };
    let entries: Vec<(&'static str, String)> = match inline {
        Some(prefix) => {
            let encoded = tokio::task::spawn_blocking(move || {
                specs.into_iter().map(|spec| format!("{prefix}{}", base64_payload(scenario, spec))).collect::<Vec<_>>()
            })
            .await;
            match encoded {
                Ok(encoded) => encoded.into_iter().map(|b64| ("b64_json", b64)).collect(),
                Err(_) => return server_error(),
            }
        }
        None => {
            let prefix = new_uuid();
            specs
                .into_iter()
                .enumerate()
                .map(|(index, spec)| {
                    let (extension, file) = modelslab::output_file(scenario, spec);
                    let name = format!("{prefix}-{index}.{extension}");
                    ("url", shared.publish(name, Arc::new(file)))
                })
                .collect()
        }
    };
    let together_style = scenario == Scenario::ObjectOutput;
    let data: Vec<Value> = entries
        .into_iter()
        .enumerate()
        .map(|(index, (field, value))| {
            let mut entry = json!({ field: value });
            if request.model == "dall-e-3" {
                entry["revised_prompt"] = json!(request.prompt);
            }
            if together_style {
                entry["index"] = json!(index);
                entry["type"] = json!(field);
            }
            entry
        })
        .collect();
    let mut body = json!({"created": unix_time(), "data": data});
    if request.gpt_image {
        let format = if scenario == Scenario::JpegOutput { "jpeg" } else { "png" };
        body["background"] = json!("opaque");
        body["output_format"] = json!(format);
        body["size"] = json!(format!("{}x{}", request.width, request.height));
        body["quality"] = json!(request.quality.as_deref().unwrap_or("medium"));
        let prompt_tokens = request.prompt.split_whitespace().count() as u64 + 8;
        let image_tokens = 1056 * u64::from(request.n);
        body["usage"] = json!({
            "total_tokens": prompt_tokens + image_tokens,
            "input_tokens": prompt_tokens,
            "output_tokens": image_tokens,
            "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0},
        });
    }
    if together_style {
        body["id"] = json!(format!("sandbox-{:016x}", rand::random::<u64>()));
        body["model"] = json!(request.model);
        body["object"] = json!("list");
    }
    json_response(StatusCode::OK, body)
}

/// The base64 that a `b64_json` entry carries in `scenario`: the same bytes the `url` form's
/// file would serve (a PNG, or the scenario's broken file), never base64 of base64.
fn base64_payload(scenario: Scenario, spec: ImageSpec) -> String {
    use base64::Engine as _;
    let bytes: Vec<u8> = match scenario {
        Scenario::EmptyImage => Vec::new(),
        Scenario::NotAnImage => NOT_AN_IMAGE.as_bytes().to_vec(),
        Scenario::HugeImage => super::pattern::oversized_png(60_000, 60_000),
        Scenario::JpegOutput => spec.jpeg(),
        _ => return spec.png_base64(),
    };
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A request for `n` images, checked the way OpenAI checks it.
struct ImageRequest {
    model: String,
    prompt: String,
    n: u32,
    width: u32,
    height: u32,
    /// `size` as sent, for error messages.
    size_text: String,
    response_format: Option<String>,
    quality: Option<String>,
    gpt_image: bool,
}

impl ImageRequest {
    /// Parses the body, or gives the 400 OpenAI would send for its first problem.
    fn parse(bytes: &[u8]) -> Result<Self, Rejection> {
        let body: Value = serde_json::from_slice(bytes).ok().filter(Value::is_object).ok_or_else(|| {
            rejection(
                StatusCode::BAD_REQUEST,
                "We could not parse the JSON body of your request. (HINT: This likely means \
                     you aren't using your HTTP library correctly. The OpenAI API expects a JSON \
                     payload, but what was sent was not valid JSON.)",
                "invalid_request_error",
                None,
                None,
            )
        })?;
        let prompt = match body.get("prompt") {
            Some(Value::String(prompt)) if !prompt.trim().is_empty() => prompt.clone(),
            None | Some(Value::Null) => {
                return Err(invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"));
            }
            Some(Value::String(_)) => {
                return Err(invalid(
                    "Invalid 'prompt': string too short. Expected a string with minimum length 1, \
                     but got an empty string instead.",
                    "prompt",
                    "string_below_min_length",
                ));
            }
            Some(other) => {
                return Err(invalid(
                    &format!("Invalid type for 'prompt': expected a string, but got {} instead.", json_type(other)),
                    "prompt",
                    "invalid_type",
                ));
            }
        };
        let model = match body.get("model") {
            None | Some(Value::Null) => "dall-e-2".to_owned(),
            Some(Value::String(model)) => model.trim().to_owned(),
            Some(other) => {
                return Err(invalid(
                    &format!("Invalid type for 'model': expected a string, but got {} instead.", json_type(other)),
                    "model",
                    "invalid_type",
                ));
            }
        };
        let gpt_image = model.to_ascii_lowercase().starts_with("gpt-image");
        let n = match body.get("n") {
            None | Some(Value::Null) => 1,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(0) => {
                    return Err(invalid(
                        "Invalid 'n': integer below minimum value. Expected a value >= 1, but \
                         got 0 instead.",
                        "n",
                        "integer_below_min_value",
                    ));
                }
                Some(n) if n <= MAX_IMAGES => n as u32,
                _ => {
                    return Err(invalid(
                        &format!(
                            "Invalid 'n': integer above maximum value. Expected a value <= \
                             {MAX_IMAGES}, but got {n} instead."
                        ),
                        "n",
                        "integer_above_max_value",
                    ));
                }
            },
            Some(other) => {
                return Err(invalid(
                    &format!("Invalid type for 'n': expected an integer, but got {} instead.", json_type(other)),
                    "n",
                    "invalid_type",
                ));
            }
        };
        if model == "dall-e-3" && n > 1 {
            return Err(invalid("You must provide n=1 for this model.", "n", "invalid_value"));
        }
        let size_text = match body.get("size") {
            None | Some(Value::Null) => "auto".to_owned(),
            Some(Value::String(size)) => size.clone(),
            Some(other) => other.to_string(),
        };
        let (width, height) = parse_size(&size_text).ok_or_else(|| invalid_size(&size_text))?;
        let response_format = match body.get("response_format") {
            None | Some(Value::Null) => None,
            Some(_) if gpt_image => {
                return Err(invalid("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter"));
            }
            Some(Value::String(format)) if format == "url" || format == "b64_json" => Some(format.clone()),
            Some(other) => {
                return Err(invalid(
                    &format!("Invalid value: {other}. Supported values are: 'url' and 'b64_json'."),
                    "response_format",
                    "invalid_value",
                ));
            }
        };
        let quality = body.get("quality").and_then(Value::as_str).map(str::to_owned);
        Ok(Self { model, prompt, n, width, height, size_text, response_format, quality, gpt_image })
    }

    /// GPT image models always answer base64; the others only when asked.
    fn wants_base64(&self) -> bool {
        self.gpt_image || self.response_format.as_deref() == Some("b64_json")
    }
}

/// `WxH` with both sides in [`SIDES`]; `auto` means 1024×1024.
fn parse_size(size: &str) -> Option<(u32, u32)> {
    let size = size.trim();
    if size == "auto" {
        return Some((DEFAULT_SIDE, DEFAULT_SIDE));
    }
    let (width, height) = size.split_once(['x', 'X'])?;
    let width: u32 = width.trim().parse().ok()?;
    let height: u32 = height.trim().parse().ok()?;
    (SIDES.contains(&width) && SIDES.contains(&height)).then_some((width, height))
}

/// "string", "an integer", … as OpenAI names JSON types in messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `{"error":{"message","type","param","code"}}`.
fn error_body(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

fn rejection(status: StatusCode, message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Rejection {
    let body = error_body(message, kind, param, code);
    Rejection { status, body }
}

fn error(status: StatusCode, message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Response {
    rejection(status, message, kind, param, code).into_response()
}

/// HTTP 400 `invalid_request_error` about `param`.
fn invalid(message: &str, param: &str, code: &str) -> Rejection {
    rejection(StatusCode::BAD_REQUEST, message, "invalid_request_error", Some(param), Some(code))
}

fn invalid_size(size: &str) -> Rejection {
    invalid(
        &format!(
            "Invalid value: '{size}'. Supported values are: WxH with both sides between {} and \
             {} (such as '1024x1024', '1536x1024', '1024x1536'), and 'auto'.",
            SIDES.start(),
            SIDES.end()
        ),
        "size",
        "invalid_value",
    )
}

fn server_error() -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, SERVER_ERROR, "server_error", None, None)
}

/// `retry-after` in seconds plus `retry-after-ms`, as OpenAI sends them.
fn retry_hints(seconds: u64) -> Vec<(HeaderName, HeaderValue)> {
    vec![(header::RETRY_AFTER, HeaderValue::from(seconds)), (HeaderName::from_static("retry-after-ms"), HeaderValue::from(seconds * 1000))]
}

/// HTTP 429 "Rate limit reached for requests" with `hints`, counted by the sandbox.
fn rate_limited(shared: &Shared, hints: Vec<(HeaderName, HeaderValue)>) -> Response {
    let body = error_body(
        &format!(
            "Rate limit reached for requests per minute (RPM) in organization org-sandbox on \
             images: Limit {REQUEST_LIMIT}, Used {REQUEST_LIMIT}, Requested 1. Please try again \
             in 1s. Visit https://platform.openai.com/account/rate-limits to learn more."
        ),
        "requests",
        None,
        Some("rate_limit_exceeded"),
    );
    let mut response = shared.too_many_requests(body, [(HeaderName::from_static("x-ratelimit-remaining-requests"), HeaderValue::from(0))]);
    response.headers_mut().extend(hints);
    response
}

fn unix_time() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sandbox, SandboxConfig};

    fn generations_url(sandbox: &Sandbox) -> String {
        format!("{}/v1/images/generations", sandbox.base_url())
    }

    async fn call(sandbox: &Sandbox, auth: Option<(&str, &str)>, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = reqwest::Client::new().post(generations_url(sandbox)).json(&body);
        if let Some((name, value)) = auth {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.json().await.unwrap())
    }

    const BEARER: Option<(&str, &str)> = Some(("authorization", "Bearer sk-test-0123456789abcdef"));

    fn decode(text: &str) -> image::DynamicImage {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
        image::load_from_memory(&bytes).unwrap()
    }

    #[tokio::test]
    async fn b64_json_and_url_forms() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let gpt = json!({"model": "gpt-image-1", "prompt": "a cat", "n": 2, "size": "256x320"});
        let (status, headers, reply) = call(&sandbox, BEARER, gpt).await;
        assert_eq!(status, 200);
        assert!(reply["created"].as_u64().unwrap() > 1_600_000_000);
        let data = reply["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        let image = decode(data[0]["b64_json"].as_str().unwrap());
        assert_eq!((image.width(), image.height()), (256, 320));
        assert!(reply["usage"]["total_tokens"].is_u64());
        let request_id = headers["x-request-id"].to_str().unwrap();
        assert!(request_id.starts_with("req_") && request_id.len() == 36);
        assert!(headers.contains_key("openai-processing-ms"));
        assert_eq!(headers["x-ratelimit-reset-requests"], "1s");
        assert_eq!(headers["x-ratelimit-remaining-requests"], "59");

        let dalle = json!({"model": "dall-e-2", "prompt": "a cat", "size": "256x256"});
        let (status, _, reply) = call(&sandbox, BEARER, dalle.clone()).await;
        assert_eq!(status, 200);
        let url = reply["data"][0]["url"].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/generations/", sandbox.base_url())));
        let png = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        assert_eq!(image::load_from_memory(&png).unwrap().width(), 256);

        let mut b64 = dalle;
        b64["response_format"] = json!("b64_json");
        let (_, _, reply) = call(&sandbox, BEARER, b64).await;
        assert!(reply["data"][0]["b64_json"].is_string() && reply["data"][0]["url"].is_null());
    }

    #[tokio::test]
    async fn bearer_api_key_or_nothing() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let body = json!({"model": "dall-e-2", "prompt": "x", "size": "256x256",
                          "response_format": "b64_json"});
        let (status, _, _) = call(&sandbox, BEARER, body.clone()).await;
        assert_eq!(status, 200);
        let (status, _, _) = call(&sandbox, Some(("api-key", "azure-key")), body.clone()).await;
        assert_eq!(status, 200);
        let (status, headers, reply) = call(&sandbox, None, body.clone()).await;
        assert_eq!(status, 401);
        assert_eq!(reply["error"]["type"], "invalid_request_error");
        assert!(headers.contains_key("x-request-id"));
        let (status, _, _) = call(&sandbox, Some(("authorization", "Bearer ")), body).await;
        assert_eq!(status, 401);

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Auth401)).await.unwrap();
        let (status, _, reply) = call(&sandbox, BEARER, json!({})).await;
        assert_eq!(status, 401);
        assert_eq!(reply["error"]["code"], "invalid_api_key");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains("sk-*********") && !message.contains("0123456789abcdef"));
    }

    #[tokio::test]
    async fn gpt_image_refuses_response_format_and_sizes_are_checked() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let body = json!({"model": "gpt-image-1", "prompt": "x", "response_format": "b64_json"});
        let (status, _, reply) = call(&sandbox, BEARER, body).await;
        assert_eq!(status, 400);
        assert_eq!(
            reply,
            json!({"error": {"message": "Unknown parameter: 'response_format'.",
                             "type": "invalid_request_error", "param": "response_format",
                             "code": "unknown_parameter"}})
        );
        for size in ["100x100", "1024", "4096x1024", "axb"] {
            let body = json!({"model": "gpt-image-1", "prompt": "x", "size": size});
            let (status, _, reply) = call(&sandbox, BEARER, body).await;
            assert_eq!((status, &reply["error"]["param"]), (400, &json!("size")), "{size}");
        }
        let (status, _, reply) = call(&sandbox, BEARER, json!({"n": 11, "prompt": "x"})).await;
        assert_eq!((status, &reply["error"]["param"]), (400, &json!("n")));
        assert_eq!(sandbox.max_in_flight(), 0);
    }

    #[tokio::test]
    async fn quota_and_rate_limits() {
        let body = json!({"model": "gpt-image-1", "prompt": "x", "size": "256x256"});
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Quota429)).await.unwrap();
        let (status, headers, reply) = call(&sandbox, BEARER, body.clone()).await;
        assert_eq!(status, 429);
        assert_eq!(reply["error"]["type"], "insufficient_quota");
        assert_eq!(reply["error"]["code"], "insufficient_quota");
        assert!(reply["error"]["param"].is_null());
        assert!(!headers.contains_key("retry-after"));

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::RateLimited)).await.unwrap();
        for _ in 0..2 {
            let (status, headers, reply) = call(&sandbox, BEARER, body.clone()).await;
            assert_eq!(status, 429);
            assert_eq!(reply["error"]["type"], "requests");
            assert!(reply["error"]["message"].as_str().unwrap().starts_with("Rate limit reached for requests"));
            assert_eq!(headers["retry-after"], "1");
            assert_eq!(headers["retry-after-ms"], "1000");
            assert_eq!(headers["x-ratelimit-remaining-requests"], "0");
        }
        let (status, _, _) = call(&sandbox, BEARER, body.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(sandbox.rate_limited_count(), 2);

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::RateLimitedLong)).await.unwrap();
        let (_, headers, _) = call(&sandbox, BEARER, body.clone()).await;
        assert_eq!(headers["retry-after"], "600");

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::ContentPolicy)).await.unwrap();
        let (status, _, reply) = call(&sandbox, BEARER, body).await;
        assert_eq!(status, 400);
        assert_eq!(reply["error"]["code"], "content_policy_violation");
    }

    #[tokio::test]
    async fn url_form_serves_broken_files_and_data_uri_is_forced() {
        let dalle = json!({"model": "dall-e-2", "prompt": "x", "size": "256x256"});
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::NotAnImage)).await.unwrap();
        let (_, _, reply) = call(&sandbox, BEARER, dalle.clone()).await;
        let text = reqwest::get(reply["data"][0]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
        assert!(text.contains("Access denied"));

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::DataUri)).await.unwrap();
        let (_, _, reply) = call(&sandbox, BEARER, dalle).await;
        let uri = reply["data"][0]["b64_json"].as_str().unwrap();
        decode(uri.strip_prefix("data:image/png;base64,").unwrap());
    }

    /// The HTTP status of the first answer in each scenario (model `dall-e-3`, b64_json).
    fn first_status(scenario: Scenario) -> u16 {
        use Scenario as S;
        match scenario {
            S::Auth401 | S::Auth200 => 401,
            S::Plan403 => 403,
            S::Validation400 | S::Validation200 | S::ContentPolicy | S::ErrorField => 400,
            S::MessegeError => 404,
            S::Credits402
            | S::Quota429
            | S::RateLimited
            | S::RateLimitedHeader
            | S::RateLimitedMs
            | S::RateLimitedDate
            | S::RateLimitedReset
            | S::RateLimitedForever
            | S::RateLimitedLong => 429,
            S::ServerErrorOnce | S::ServerError | S::Failed | S::ProcessingThenFailed => 500,
            S::Html502 => 502,
            S::ModelOutage => 503,
            _ => 200,
        }
    }

    #[tokio::test]
    async fn every_scenario_answers_as_documented() {
        let body = json!({"model": "dall-e-3", "prompt": "x", "size": "256x256",
                          "response_format": "b64_json"});
        for &scenario in Scenario::ALL {
            if scenario == Scenario::Hang {
                continue;
            }
            let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
            let response = reqwest::Client::new().post(generations_url(&sandbox)).bearer_auth("sk-test").json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            assert_eq!(status, first_status(scenario), "{scenario}");
            assert!(response.headers().contains_key("x-request-id"), "{scenario}");
            let text = response.text().await.unwrap();
            let reply: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            match status {
                200 if text.starts_with('{') => assert!(reply["data"][0].is_object(), "{scenario}"),
                200 | 502 => {}
                _ if scenario == Scenario::ErrorField => assert!(reply["error"].is_string()),
                _ => {
                    let error = &reply["error"];
                    for field in ["message", "type", "param", "code"] {
                        assert!(error.get(field).is_some(), "{scenario}: {field}");
                    }
                }
            }
        }
    }

    #[test]
    fn keys_are_masked_like_openai() {
        assert_eq!(mask_key("sk-abcdefgh1234"), "sk-********1234");
        assert_eq!(mask_key("short"), "*****");
    }
}
