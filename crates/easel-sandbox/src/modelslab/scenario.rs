//! What the configured scenario makes ModelsLab answer: to a checked generation (at once,
//! queued, or one of the failure modes) and to the calls that only check the key.

use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::answers;
use super::request::{Generation, model_of};
use super::state::{Job, Plan, QueuedJob, fetch_key};
use crate::canned;
use crate::image_store::{StoredFile, new_uuid, output_file};
use crate::in_flight::JobSlot;
use crate::pattern::{ImageSpec, off_thread};
use crate::reply::{Rejection, json_response};
use crate::scenario::Scenario;
use crate::shared::Shared;

/// The id every job gets in [`Scenario::DuplicateId`].
const DUPLICATE_ID: u64 = 777;

/// How the key-refusing scenarios answer the calls that only check the key (balance, model
/// list, upload): 401, or an error with HTTP 200. `None` in every other scenario.
pub(super) fn refused_key(shared: &Shared) -> Option<Response> {
    match shared.config.scenario {
        Scenario::Auth401 => Some(answers::invalid_key().into_response()),
        Scenario::Auth200 => Some(answers::invalid_key_with_200()),
        _ => None,
    }
}

/// [`Scenario::FetchBodyForm`] answers the path form of fetch with a web server's HTML 404.
pub(super) fn path_fetch_refused(shared: &Shared) -> Option<Response> {
    (shared.config.scenario == Scenario::FetchBodyForm).then(canned::html_not_found)
}

/// Seconds the documented queue-full answer asks a client to wait (error-codes.mdx).
const QUEUE_FULL_RETRY_AFTER: u64 = 30;
/// Seconds the scripted `rate_limited*` scenarios ask for, so that tests need not wait 30.
const SCRIPTED_RETRY_AFTER: u64 = 1;

/// What the scenario makes of a generation request before its fields are checked, as the
/// service refuses a full queue, a refused key or an empty wallet whatever the body says.
pub(super) enum Admission {
    /// The answer, at once.
    Answer(Response),
    /// A place in the queue: check the request, then [`Admitted::respond`].
    Admitted(Admitted),
}

/// A generation the scenario lets through, holding its place in the queue.
pub(super) struct Admitted {
    slot: JobSlot,
}

/// Takes a place in the queue (or answers the documented 429) and acts out the scenario's
/// refusals. `body` is read only for its model id.
pub(super) async fn admission(shared: &Shared, body: &Value) -> Admission {
    let Some(slot) = shared.in_flight.try_acquire() else {
        let full = answers::queue_full(shared.config.queue_limit, QUEUE_FULL_RETRY_AFTER);
        return Admission::Answer(shared.too_many_requests(full, []));
    };
    let nth = shared.modelslab.next_submission();
    match refusal(shared, model_of(body), nth).await {
        Some(answer) => Admission::Answer(answer),
        None => Admission::Admitted(Admitted { slot }),
    }
}

/// The answer of a scenario that refuses the `nth` submission (whatever its fields), if any.
async fn refusal(shared: &Shared, model_id: &str, nth: usize) -> Option<Response> {
    use Scenario as S;
    let limit = shared.config.queue_limit;
    let limited = |body: Value| shared.too_many_requests(body, []);
    Some(match shared.config.scenario {
        S::Failed => json_response(StatusCode::OK, answers::failed(&json!(""))),
        S::Auth401 => answers::invalid_key().into_response(),
        S::Auth200 => answers::invalid_key_with_200(),
        S::Credits402 => answers::out_of_credits(),
        S::Plan403 => answers::needs_premium_plan(),
        S::Validation400 | S::ContentPolicy => json_response(StatusCode::BAD_REQUEST, answers::validation_failure()),
        S::Validation200 => json_response(StatusCode::OK, answers::validation_failure()),
        S::MessegeError => answers::model_not_found_messege(model_id),
        S::ErrorField => answers::error_under_error_key(),
        S::RateLimited if nth < 2 => limited(answers::queue_full(limit, SCRIPTED_RETRY_AFTER)),
        S::RateLimitedHeader if nth == 0 => {
            shared.too_many_requests(answers::too_many_requests(), [(header::RETRY_AFTER, HeaderValue::from(1))])
        }
        S::RateLimitedMs if nth == 0 => shared.too_many_requests(answers::queue_full_without_hint(limit), canned::retry_after_ms_hints()),
        S::RateLimitedDate if nth == 0 => {
            shared.too_many_requests(answers::queue_full_without_hint(limit), canned::retry_after_date_hints())
        }
        S::RateLimitedReset if nth == 0 => shared.too_many_requests(answers::queue_full_without_hint(limit), [canned::reset_epoch_hint()]),
        S::RateLimitedForever => limited(answers::queue_full(limit, SCRIPTED_RETRY_AFTER)),
        S::RateLimitedLong => limited(answers::queue_full(limit, 600)),
        S::Quota429 => limited(answers::daily_quota_exceeded()),
        S::ServerErrorOnce if nth == 0 => answers::server_error(),
        S::ServerError => answers::server_error(),
        S::ModelOutage if model_id == "flux" => answers::model_unavailable(),
        S::Html502 => canned::proxy_error_page(),
        S::Html200 => canned::sign_in_page(),
        S::Empty200 => canned::empty_json(),
        S::Hang => {
            shared.hang().await;
            answers::shutting_down()
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
        | S::ModelOutage
        | S::Processing
        | S::ProcessingStringId
        | S::FetchBodyForm
        | S::ProcessingThenFailed
        | S::ProcessingForever
        | S::BigEta
        | S::DuplicateId => return None,
    })
}

/// Whether the scenario queues its jobs (answers `processing`, then fetch completes them).
fn queues(scenario: Scenario) -> bool {
    use Scenario as S;
    matches!(
        scenario,
        S::Processing
            | S::ProcessingStringId
            | S::FetchBodyForm
            | S::ProcessingThenFailed
            | S::ProcessingForever
            | S::BigEta
            | S::DuplicateId
    )
}

impl Admitted {
    /// Answers a checked generation: queued, or made after the configured job duration. The
    /// job stops counting as in flight when its place is dropped: at the end of this function,
    /// or when a queued job completes.
    pub(super) async fn respond(self, shared: &Shared, generation: Generation, arrived: Instant) -> Result<Response, Rejection> {
        Ok(if queues(shared.config.scenario) {
            enqueue(shared, &generation, self.slot)
        } else {
            succeed(shared, &generation, arrived).await?
        })
    }
}

/// Answers a finished generation after the configured job duration.
async fn succeed(shared: &Shared, generation: &Generation, arrived: Instant) -> Result<Response, Rejection> {
    shared.pause(shared.config.job_duration).await;
    shared.wallet.charge(generation.images().count() as u32);
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
    let mut body = answers::success(&id, &output, &generation.meta(), generation.api);
    if scenario == Scenario::ObjectOutput {
        body["proxy_links"] = output.clone();
    }
    let job = Job::finished(id, output, generation.api);
    body["generationTime"] = json!((arrived.elapsed().as_secs_f64() * 100.0).round() / 100.0);
    body["nsfw_content_detected"] = json!(false);
    shared.modelslab.insert(job);
    Ok(json_response(StatusCode::OK, body))
}

/// Queues a job and answers `processing`; `slot` stays with the job until a fetch completes it.
fn enqueue(shared: &Shared, generation: &Generation, slot: JobSlot) -> Response {
    shared.wallet.charge(generation.images().count() as u32);
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
    // Real ModelsLab usually spells the processing message's key `messege`.
    let message_key = if scenario == Scenario::ProcessingStringId { "message" } else { "messege" };
    let (links, files) = publish_outputs(shared, generation, false);
    let meta = generation.meta();
    let body = answers::Queued {
        id: &id,
        eta,
        fetch_result: format!("{}{}/{}", shared.base_url, generation.api.fetch_path(), fetch_key(&id)),
        meta: &meta,
        future_links: &links,
        message_key,
    }
    .body();
    let job = Job::queued(QueuedJob { api: generation.api, id, plan, slot, files, output: json!(links), message_key });
    shared.modelslab.insert(job);
    json_response(StatusCode::OK, body)
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
            let url = shared.images.publish(format!("{prefix}-{index}.{extension}"), Arc::clone(&file));
            (url, file)
        })
        .unzip()
}

/// Encodes every sample as base64 PNG right away, each prefixed with `prefix`.
async fn inline_outputs(generation: &Generation, prefix: &'static str) -> Result<Vec<String>, Rejection> {
    let specs: Vec<ImageSpec> = generation.images().collect();
    off_thread("encoding images", move || specs.into_iter().map(|spec| format!("{prefix}{}", spec.png_base64())).collect())
        .await
        .ok_or_else(answers::render_failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{decode_base64, generation, get, post, post_text, text2img};
    use crate::{Sandbox, SandboxConfig};
    use std::io::Cursor;
    use std::time::Duration;

    #[tokio::test]
    async fn huge_image_declares_60000_square() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::HugeImage)).await.unwrap();
        let (_, reply) = post(&text2img(&sandbox), generation()).await;
        let bytes = get(reply["output"][0].as_str().unwrap()).await.bytes().await.unwrap();
        assert!(bytes.len() < 1024);
        let dimensions = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().unwrap().into_dimensions().unwrap();
        assert_eq!(dimensions, (60000, 60000));
    }

    /// The HTTP status and `status` field (`None`: not JSON) of the first text2img reply.
    fn first_reply(scenario: Scenario) -> (u16, Option<&'static str>) {
        use Scenario as S;
        if queues(scenario) {
            return (200, Some("processing"));
        }
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
            queued => unreachable!("{queued} queues: answered above"),
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
        let first_output = async |scenario| {
            let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
            let (_, reply) = post(&text2img(&sandbox), generation()).await;
            (sandbox, reply)
        };

        let (_sandbox, reply) = first_output(Scenario::ObjectOutput).await;
        assert!(reply["id"].is_string());
        assert!(reply["output"]["0"].is_string() && reply["proxy_links"]["0"].is_string());

        let (_sandbox, reply) = first_output(Scenario::InlineBase64).await;
        let png = decode_base64(reply["output"][0].as_str().unwrap());
        assert_eq!(image::load_from_memory(&png).unwrap().width(), 320);

        let (_sandbox, reply) = first_output(Scenario::DataUri).await;
        let uri = reply["output"][0].as_str().unwrap();
        let png = decode_base64(uri.strip_prefix("data:image/png;base64,").unwrap());
        assert_eq!(image::load_from_memory(&png).unwrap().height(), 256);

        let (_sandbox, reply) = first_output(Scenario::JpegOutput).await;
        let url = reply["output"][0].as_str().unwrap();
        assert!(url.ends_with(".jpg"));
        let response = get(url).await;
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let jpeg = response.bytes().await.unwrap();
        assert_eq!(image::guess_format(&jpeg).unwrap(), image::ImageFormat::Jpeg);

        let (_sandbox, reply) = first_output(Scenario::Base64Url).await;
        let text = get(reply["output"][0].as_str().unwrap()).await.text().await.unwrap();
        let png = decode_base64(text.strip_suffix('\n').unwrap());
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
            assert_eq!((status, reply["status"].as_str()), (200, Some("success")));
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
        let path_form = post_text(queued["fetch_result"].as_str().unwrap(), key.clone()).await;
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

    #[tokio::test]
    async fn hang_never_answers() {
        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Hang)).await.unwrap();
        let outcome = reqwest::Client::new().post(text2img(&sandbox)).json(&generation()).timeout(Duration::from_millis(150)).send().await;
        assert!(outcome.unwrap_err().is_timeout());
        sandbox.shutdown();
    }
}
