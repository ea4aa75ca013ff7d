//! One handler per A1111 route. Every route first lets the auth scenarios refuse it; the
//! generation routes then check the body (`request.rs`) and hand it to `scenario.rs`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::fields::parse_object;
use super::request::{Mode, Params};
use super::scenario::{generate, refusal};
use super::{answers, extras};
use crate::shared::Shared;

/// `POST /sdapi/v1/txt2img`.
pub(super) async fn txt2img(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    generation(&shared, &body, Mode::Txt2Img).await
}

/// `POST /sdapi/v1/img2img`: the output is at the requested width and height.
pub(super) async fn img2img(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    generation(&shared, &body, Mode::Img2Img).await
}

async fn generation(shared: &Shared, body: &[u8], mode: Mode) -> Response {
    if let Some(refused) = refusal(shared) {
        return refused;
    }
    match Params::parse(body, mode) {
        Ok(params) => generate(shared, params).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET /sdapi/v1/progress`.
pub(super) async fn progress(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(|| answers::progress(&shared.a1111.progress()))
}

/// `POST /sdapi/v1/interrupt`: ends the running generation, if any; answers `{}`.
pub(super) async fn interrupt(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(|| {
        shared.a1111.interrupt();
        answers::empty_object()
    })
}

/// `GET /sdapi/v1/sd-models`.
pub(super) async fn sd_models(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(answers::checkpoints)
}

/// `GET /sdapi/v1/samplers`.
pub(super) async fn samplers(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(answers::samplers)
}

/// `GET /sdapi/v1/options` (a few of A1111's many options).
pub(super) async fn get_options(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(|| answers::options(shared.a1111.loaded_checkpoint()))
}

/// `POST /sdapi/v1/options`: only `sd_model_checkpoint` has an effect.
pub(super) async fn set_options(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    let body = match parse_object(&body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    if let Some(wanted) = body.get("sd_model_checkpoint").and_then(Value::as_str)
        && !shared.a1111.load_checkpoint(wanted)
    {
        return answers::checkpoint_not_found(wanted);
    }
    answers::null()
}

/// `GET /sdapi/v1/scripts`, which webuiapi reads at start-up.
pub(super) async fn scripts(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(extras::scripts)
}

/// `GET /sdapi/v1/schedulers`.
pub(super) async fn schedulers(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(extras::schedulers)
}

/// `GET /sdapi/v1/upscalers`.
pub(super) async fn upscalers(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(extras::upscalers)
}

/// `GET /sdapi/v1/{list}` for the lists that answer a fixed value ([`extras::FIXED`]).
pub(super) async fn fixed_list(State(shared): State<Arc<Shared>>, list: &'static str) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    match extras::fixed(list) {
        Some(value) => crate::reply::json_response(axum::http::StatusCode::OK, value),
        None => answers::fastapi_not_found(),
    }
}

/// `POST /sdapi/v1/skip`: skips the running image (here: ends it like an interrupt).
pub(super) async fn skip(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(|| {
        shared.a1111.interrupt();
        answers::empty_object()
    })
}

/// `POST /sdapi/v1/refresh-checkpoints`: answers `null`.
pub(super) async fn refresh_checkpoints(State(shared): State<Arc<Shared>>) -> Response {
    refusal(&shared).unwrap_or_else(answers::null)
}

/// `POST /sdapi/v1/png-info`.
pub(super) async fn png_info(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    match parse_object(&body) {
        Ok(body) => extras::png_info(&body),
        Err(rejection) => rejection.into_response(),
    }
}

/// `POST /sdapi/v1/extra-single-image`.
pub(super) async fn extra_single_image(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Some(refused) = refusal(&shared) {
        return refused;
    }
    match parse_object(&body) {
        Ok(body) => extras::extra_single_image(&body).await,
        Err(rejection) => rejection.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_calls::{get, small, url};
    use crate::test_support::post;
    use crate::{Sandbox, SandboxConfig, Scenario};
    use serde_json::{Value, json};
    use std::time::{Duration, Instant};

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
}
