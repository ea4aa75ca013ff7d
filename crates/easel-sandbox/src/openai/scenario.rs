//! What the configured scenario makes OpenAI answer to a checked generation request (the
//! table in the module docs of `openai`).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::answers;
use super::request::ImageRequest;
use super::stream::{self, Streamed};
use crate::canned;
use crate::image_store::{new_uuid, output_file};
use crate::images::encode_base64;
use crate::pattern::{ImageSpec, off_thread};
use crate::reply::json_response;
use crate::scenario::Scenario;
use crate::shared::Shared;
use image::ImageFormat;

/// Whether the scenario refuses every key ([`Scenario::Auth401`], [`Scenario::Auth200`]).
pub(super) fn refuses_keys(shared: &Shared) -> bool {
    matches!(shared.config.scenario, Scenario::Auth401 | Scenario::Auth200)
}

/// Acts out the scenario for the `nth` admitted request.
pub(super) async fn respond(shared: &Shared, request: &ImageRequest, nth: usize) -> Response {
    use Scenario as S;
    match shared.config.scenario {
        S::Credits402 | S::Quota429 => answers::insufficient_quota(shared),
        S::Plan403 => answers::organization_unverified(&request.model),
        S::Validation400 | S::Validation200 => {
            answers::invalid_size(&request.size_text, &request.family.size_help(request.edit)).into_response()
        }
        S::ContentPolicy => answers::content_policy_violation(),
        S::MessegeError => answers::model_not_found(&request.model),
        S::ErrorField => answers::bare_string_error(),
        S::RateLimited if nth < 2 => answers::rate_limited(shared, answers::retry_hints(1)),
        S::RateLimitedHeader if nth == 0 => answers::rate_limited(shared, [(header::RETRY_AFTER, HeaderValue::from(1))]),
        S::RateLimitedMs if nth == 0 => answers::rate_limited(shared, canned::retry_after_ms_hints()),
        S::RateLimitedDate if nth == 0 => answers::rate_limited(shared, canned::retry_after_date_hints()),
        S::RateLimitedReset if nth == 0 => answers::rate_limited(
            shared,
            [canned::reset_epoch_hint(), (HeaderName::from_static("x-ratelimit-reset-requests"), HeaderValue::from_static("2s"))],
        ),
        S::RateLimitedForever => answers::rate_limited(shared, answers::retry_hints(1)),
        S::RateLimitedLong => answers::rate_limited(shared, [(header::RETRY_AFTER, HeaderValue::from(600))]),
        S::ServerErrorOnce if nth == 0 => answers::server_error(),
        S::ServerError | S::Failed | S::ProcessingThenFailed => answers::server_error(),
        S::ModelOutage if request.model.starts_with("gpt-image-2") => answers::model_overloaded(),
        S::Html502 => canned::proxy_error_page(),
        S::Html200 => canned::sign_in_page(),
        S::Empty200 => canned::empty_json(),
        S::Hang => {
            shared.hang().await;
            answers::server_error()
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
    let look = Look::of(request, scenario);
    if request.stream {
        let partials = request.partial_images;
        let images = off_thread("encoding images", move || {
            specs
                .into_iter()
                .map(|spec| Streamed {
                    partials: (0..partials).map(|p| look.base64(ImageSpec { seed: spec.seed ^ (0x5eed << p), ..spec })).collect(),
                    image: look.base64(spec),
                })
                .collect::<Vec<_>>()
        })
        .await;
        return match images {
            Some(images) => stream::response(request, images),
            None => answers::server_error(),
        };
    }
    let inline = match scenario {
        Scenario::InlineBase64 => Some(""),
        Scenario::DataUri => Some("data:image/png;base64,"),
        _ if request.wants_base64() => Some(""),
        _ => None,
    };
    let entries: Vec<(&'static str, String)> = match inline {
        Some(prefix) => {
            let encoded = off_thread("encoding images", move || {
                specs.into_iter().map(|spec| format!("{prefix}{}", look.base64(spec))).collect::<Vec<_>>()
            })
            .await;
            match encoded {
                Some(encoded) => encoded.into_iter().map(|b64| ("b64_json", b64)).collect(),
                None => return answers::server_error(),
            }
        }
        None => {
            let prefix = new_uuid();
            specs
                .into_iter()
                .enumerate()
                .map(|(index, spec)| {
                    let (extension, file) = output_file(scenario, spec);
                    let name = format!("{prefix}-{index}.{extension}");
                    ("url", shared.images.publish(name, Arc::new(file)))
                })
                .collect()
        }
    };
    json_response(StatusCode::OK, answers::images(request, scenario, entries))
}

/// How the answer's images look: the format and background asked for, or the scenario's
/// broken file.
#[derive(Clone, Copy)]
struct Look {
    scenario: Scenario,
    format: ImageFormat,
    transparent: bool,
}

impl Look {
    fn of(request: &ImageRequest, scenario: Scenario) -> Self {
        let format = match (scenario, request.output_format()) {
            (Scenario::JpegOutput, _) | (_, "jpeg") => ImageFormat::Jpeg,
            (_, "webp") => ImageFormat::WebP,
            _ => ImageFormat::Png,
        };
        Self { scenario, format, transparent: request.transparent() }
    }

    /// The base64 that a `b64_json` entry carries: the same bytes the `url` form's file would
    /// serve (the picture, or the scenario's broken file), never base64 of base64.
    fn base64(self, spec: ImageSpec) -> String {
        match canned::broken_image(self.scenario) {
            Some(junk) => encode_base64(&junk),
            None => encode_base64(&spec.encoded(self.format, self.transparent)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_calls::{BEARER, call, generations_url};
    use crate::test_support::decode_image;
    use crate::{Sandbox, SandboxConfig, Scenario};
    use serde_json::{Value, json};

    #[tokio::test]
    async fn b64_json_and_url_forms() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let gpt = json!({"model": "gpt-image-2", "prompt": "a cat", "n": 2, "size": "256x320"});
        let (status, headers, reply) = call(&sandbox, BEARER, gpt).await;
        assert_eq!(status, 200);
        assert!(reply["created"].as_u64().unwrap() > 1_600_000_000);
        let data = reply["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        let image = decode_image(data[0]["b64_json"].as_str().unwrap());
        assert_eq!((image.width(), image.height()), (256, 320));
        assert!(reply["usage"]["total_tokens"].is_u64());
        let request_id = headers["x-request-id"].to_str().unwrap();
        assert!(request_id.starts_with("req_") && request_id.len() == 36);
        assert!(headers.contains_key("openai-processing-ms"));
        assert_eq!(headers["x-ratelimit-reset-requests"], "1s");
        assert_eq!(headers["x-ratelimit-remaining-requests"], "59");

        let dalle = json!({"model": "dall-e-2", "prompt": "a cat", "size": "256x256"});
        let (status, _, reply) = call(&sandbox, BEARER, dalle.clone()).await;
        assert_eq!((status, &reply["error"]["code"]), (404, &json!("model_not_found")), "OpenAI shut DALL·E down");
        let sandbox = Sandbox::start(SandboxConfig { legacy_openai_models: true, ..SandboxConfig::default() }).await.unwrap();
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
    async fn quota_and_rate_limits() {
        let body = json!({"model": "gpt-image-1.5", "prompt": "x", "size": "1024x1024"});
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
        let legacy = |scenario| SandboxConfig { legacy_openai_models: true, ..SandboxConfig::new(scenario) };
        let sandbox = Sandbox::start(legacy(Scenario::NotAnImage)).await.unwrap();
        let (_, _, reply) = call(&sandbox, BEARER, dalle.clone()).await;
        let text = reqwest::get(reply["data"][0]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
        assert!(text.contains("Access denied"));

        let sandbox = Sandbox::start(legacy(Scenario::DataUri)).await.unwrap();
        let (_, _, reply) = call(&sandbox, BEARER, dalle).await;
        let uri = reply["data"][0]["b64_json"].as_str().unwrap();
        decode_image(uri.strip_prefix("data:image/png;base64,").unwrap());
    }

    /// The HTTP status of the first answer in each scenario (model `gpt-image-2`).
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
        let body = json!({"model": "gpt-image-2", "prompt": "x", "size": "256x256"});
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
}
