//! What the configured scenario makes A1111 answer (the table in the module docs of `a1111`),
//! and holding a generation for the job duration while progress reports on it.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

use super::answers::{self, Generated};
use super::catalog::{CHECKPOINTS, Checkpoint};
use super::request::Params;
use super::state::Running;
use crate::canned;
use crate::clock::compact_utc;
use crate::images::encode_base64;
use crate::pattern::{ImageSpec, off_thread, with_text_chunk};
use crate::scenario::Scenario;
use crate::shared::Shared;

/// The 401 for every request in the auth scenarios, as `--api-auth` with other credentials.
pub(super) fn refusal(shared: &Shared) -> Option<Response> {
    matches!(shared.config.scenario, Scenario::Auth401 | Scenario::Auth200).then(answers::incorrect_credentials)
}

/// Acts out the scenario for one checked generation request.
pub(super) async fn generate(shared: &Shared, params: Params) -> Response {
    use Scenario as S;
    let _slot = shared.in_flight.acquire_unlimited();
    let nth = shared.a1111.next_submission();
    let loaded = shared.a1111.loaded_checkpoint();
    let asked_checkpoint = params.checkpoint.clone().unwrap_or_else(|| loaded.title.to_owned());
    match shared.config.scenario {
        S::Validation400 | S::Validation200 | S::ContentPolicy => answers::width_too_small(),
        S::ErrorField | S::MessegeError => answers::sampler_not_found().into_response(),
        S::ServerErrorOnce if nth == 0 => answers::out_of_memory(),
        S::ServerError | S::Failed | S::ProcessingThenFailed => answers::out_of_memory(),
        S::ModelOutage if asked_checkpoint.to_ascii_lowercase().contains("xl") => answers::out_of_memory(),
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
            // An unknown override is ignored: the loaded model is used.
            let checkpoint = CHECKPOINTS.iter().find(|checkpoint| checkpoint.answers_to(&asked_checkpoint)).unwrap_or(loaded);
            run(shared, params, checkpoint).await
        }
    }
}

/// Holds the generation for the job duration (unless interrupted) and answers its images.
async fn run(shared: &Shared, params: Params, checkpoint: &'static Checkpoint) -> Response {
    let _turn = shared.a1111.take_turn().await;
    let total = params.batch_size * params.n_iter;
    let first_seed = if params.seed == -1 { i64::from(rand::random::<u32>()) } else { params.seed };
    let seeds: Vec<i64> = (0..i64::from(total)).map(|i| first_seed + i).collect();
    let interrupt = Arc::new(Notify::new());
    let job_timestamp = compact_utc(SystemTime::now());
    let running = Running {
        started: Instant::now(),
        duration: shared.config.job_duration,
        steps: params.steps,
        job_count: params.n_iter,
        interrupt: Arc::clone(&interrupt),
    };
    shared.a1111.begin(running, job_timestamp.clone());
    let interrupted = tokio::select! {
        () = shared.pause(shared.config.job_duration) => false,
        () = interrupt.notified() => true,
    };
    shared.a1111.finish();

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
        off_thread("encoding images", move || jobs.into_iter().map(|(spec, text)| encode_image(scenario, spec, &text)).collect()).await;
    let Some(images) = images else {
        return answers::out_of_memory();
    };
    Generated { params: &params, checkpoint, first_seed, seeds: &seeds, infotexts, job_timestamp, images }.into_response()
}

/// One entry of `images`: raw base64 of a PNG carrying the infotext, or the scenario's variant.
fn encode_image(scenario: Scenario, spec: ImageSpec, infotext: &str) -> String {
    if let Some(junk) = canned::broken_image(scenario) {
        return encode_base64(&junk);
    }
    match scenario {
        Scenario::JpegOutput => encode_base64(&spec.jpeg()),
        Scenario::DataUri => format!("data:image/png;base64,{}", spec.png_base64()),
        _ => encode_base64(&with_text_chunk(spec.png(), "parameters", infotext)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_calls::{small, url};
    use crate::test_support::{decode_image, post};
    use crate::{Sandbox, SandboxConfig, Scenario};
    use serde_json::{Value, json};

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
        let image = decode_image(first);
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
}
