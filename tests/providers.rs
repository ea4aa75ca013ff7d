//! Every provider through the same scenario suite against the sandbox: success,
//! each error class, waits and retries, the key never leaked. Plus what is
//! particular to each: ModelsLab v7, OpenAI's auth and refusals, A1111's progress,
//! seeds and interrupt, and image-to-image.

mod common;

use common::*;
use easel::engine::error::ErrorCategory;
use easel::engine::provider::ProviderKind;
use easel::engine::request::SettingsDraft;
use easel::engine::{EventKind, JobState};
use easel::sandbox::Scenario;
use std::time::Duration;

fn draft_for(kind: ProviderKind) -> SettingsDraft {
    match kind {
        ProviderKind::ModelsLab => draft("a kite over the sea"),
        ProviderKind::OpenAi => SettingsDraft {
            prompt: "a kite over the sea".into(),
            model: "gpt-image-1".into(),
            width: "1024".into(),
            height: "1024".into(),
            ..Default::default()
        },
        ProviderKind::A1111 => SettingsDraft {
            prompt: "a kite over the sea".into(),
            model: String::new(),
            width: "256".into(),
            height: "256".into(),
            steps: "20".into(),
            ..Default::default()
        },
    }
}

fn generate_path(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::ModelsLab => "/api/v6/images/text2img",
        ProviderKind::OpenAi => "/v1/images/generations",
        ProviderKind::A1111 => "/sdapi/v1/txt2img",
    }
}

async fn go(kind: ProviderKind, scenario: Scenario) -> Run {
    go_with(kind, scenario, |_| {}).await
}

async fn go_with(kind: ProviderKind, scenario: Scenario, tweak: impl FnOnce(&mut easel::engine::EngineConfig)) -> Run {
    let r = run_provider(kind, scenario, draft_for(kind), Some(CANARY_KEY), |c, _| tweak(c)).await;
    let events = serde_json::to_string(&r.events).unwrap();
    assert!(!events.contains(CANARY_KEY), "{kind:?}/{scenario}: the key leaked into events");
    assert_not_in_files(r.data.path(), CANARY_KEY);
    r
}

fn sends(r: &Run, kind: ProviderKind) -> usize {
    r.requests().iter().filter(|q| q.path == generate_path(kind)).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_passes_the_common_suite() {
    for kind in ProviderKind::ALL.iter().copied() {
        // Success: a real image on disk.
        let r = go(kind, Scenario::Success).await;
        r.assert_ok();
        let img = &r.images()[0];
        assert!(image::open(&img.path).is_ok(), "{kind:?}");
        assert_eq!(sends(&r, kind), 1);

        // Auth.
        let r = go(kind, Scenario::Auth401).await;
        assert_eq!(r.category(), ErrorCategory::Auth, "{kind:?}");
        assert_eq!(sends(&r, kind), 1, "{kind:?}: auth is never retried");

        // Validation, with the field named.
        let r = go(kind, Scenario::Validation400).await;
        assert_eq!(r.category(), ErrorCategory::Validation, "{kind:?}");
        assert!(!r.error().fields.is_empty(), "{kind:?}: the field is named");

        // Server error: once more with the same payload, then give up.
        let r = go(kind, Scenario::ServerErrorOnce).await;
        r.assert_ok();
        let bodies: Vec<_> = r.requests().into_iter().filter(|q| q.path == generate_path(kind)).map(|q| q.body).collect();
        assert_eq!(bodies.len(), 2, "{kind:?}");
        assert_eq!(bodies[0], bodies[1], "{kind:?}: same payload");
        let r = go(kind, Scenario::ServerError).await;
        assert_eq!(r.category(), ErrorCategory::Server, "{kind:?}");
        assert_eq!(sends(&r, kind), 2, "{kind:?}");

        // A silent server: the timeout category, no retry.
        let r = go_with(kind, Scenario::Hang, |c| c.timeout = Some(Duration::from_secs(1))).await;
        assert_eq!(r.category(), ErrorCategory::Timeout, "{kind:?}");
        assert_eq!(sends(&r, kind), 1, "{kind:?}");

        // Junk instead of an image.
        let r = go(kind, Scenario::Html200).await;
        assert_eq!(r.category(), ErrorCategory::Server, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hosted_providers_wait_on_rate_limits_and_stop_on_quota() {
    for kind in [ProviderKind::ModelsLab, ProviderKind::OpenAi] {
        let r = go(kind, Scenario::RateLimited).await;
        r.assert_ok();
        assert_eq!(sends(&r, kind), 3, "{kind:?}");
        assert!(r.waits().iter().all(|w| w.1 == "rate_limited" && w.0 >= 1.0), "{kind:?}: {:?}", r.waits());
        let r = go(kind, Scenario::Quota429).await;
        assert_eq!(r.category(), ErrorCategory::Account, "{kind:?}");
        assert_eq!(sends(&r, kind), 1, "{kind:?}: quota is an account problem, never retried");
        let r = go(kind, Scenario::RateLimitedMs).await;
        r.assert_ok();
        assert!(r.waits()[0].0 < 1.0, "{kind:?}: retry-after-ms wins");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn modelslab_v7_models_use_v7_and_an_aspect_ratio() {
    let d = SettingsDraft { model: "imagen-4".into(), aspect_ratio: "16:9".into(), ..draft("a wide beach") };
    let r = run(Scenario::Processing, d, |_, _| {}).await;
    r.assert_ok();
    let paths: Vec<String> = r.requests().iter().map(|q| q.path.clone()).collect();
    assert!(paths.contains(&"/api/v7/images/text-to-image".to_owned()), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("/api/v7/images/fetch/")), "{paths:?}");
    let img = &r.images()[0];
    assert!(img.width > img.height, "16:9 is wide: {}×{}", img.width, img.height);
    assert_eq!(r.generate_requests().len(), 0, "never the v6 endpoint");
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_sends_bearer_or_api_key_and_records_request_ids() {
    let r = go(ProviderKind::OpenAi, Scenario::Success).await;
    let sent = r.requests().into_iter().find(|q| q.path == "/v1/images/generations").unwrap();
    let auth = sent.headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone());
    assert_eq!(auth.as_deref(), Some(format!("Bearer {CANARY_KEY}").as_str()));
    assert!(sent.body.get("response_format").is_none(), "never sent to gpt-image models");
    assert_eq!(sent.body["size"], "1024x1024");
    let record = r.events.iter().find_map(|e| match &e.kind {
        EventKind::Response(d) if d.endpoint == "generate" => Some(d.clone()),
        _ => None,
    });
    let record = record.unwrap();
    assert!(record.request_id.as_deref().is_some_and(|id| id.starts_with("req_")), "{:?}", record.request_id);
    assert!(record.response_headers.iter().any(|(k, _)| k.starts_with("x-ratelimit-")), "rate-limit headers are shown");
    assert_eq!(record.request_headers, [("authorization".to_owned(), "Bearer [redacted]".to_owned())]);

    let r = go_with(ProviderKind::OpenAi, Scenario::Success, |c| {
        c.options.openai_auth = easel::engine::provider::openai::AuthStyle::ApiKeyHeader;
    })
    .await;
    r.assert_ok();
    let sent = r.requests().into_iter().find(|q| q.path == "/v1/images/generations").unwrap();
    assert!(sent.headers.iter().any(|(k, v)| k == "api-key" && v == CANARY_KEY));
    assert!(!sent.headers.iter().any(|(k, _)| k == "authorization"));
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_safety_refusals_get_their_own_message() {
    let r = go(ProviderKind::OpenAi, Scenario::ContentPolicy).await;
    assert_eq!(r.category(), ErrorCategory::Validation);
    assert!(r.error().message.contains("content rules"), "{}", r.error().message);
    assert!(r.error().detail.as_deref().unwrap_or_default().contains("safety system"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a1111_reports_progress_real_seeds_and_needs_no_key() {
    let d = SettingsDraft { seed: "321".into(), samples: "2".into(), ..draft_for(ProviderKind::A1111) };
    let r = run_provider(ProviderKind::A1111, Scenario::Success, d, None, |_, s| s.job_duration = Duration::from_millis(2500)).await;
    r.assert_ok();
    let seeds: Vec<Option<u64>> = r.images().iter().map(|i| i.seed).collect();
    assert_eq!(seeds, [Some(321), Some(322)], "seeds come from the info string");
    assert!(
        r.events.iter().any(|e| matches!(e.kind, EventKind::State(JobState::Generating { progress, .. }) if progress > 0.0)),
        "progress from /sdapi/v1/progress is shown"
    );
    let sent = r.requests().into_iter().find(|q| q.path == "/sdapi/v1/txt2img").unwrap();
    assert!(!sent.headers.iter().any(|(k, _)| k == "authorization"), "no key, no auth header");
}

#[tokio::test(flavor = "multi_thread")]
async fn a1111_cancel_interrupts_the_server() {
    use easel::engine::{Engine, EngineConfig};
    let mut sc = easel::sandbox::SandboxConfig::new(Scenario::Success);
    sc.job_duration = Duration::from_secs(30);
    let sandbox = easel::sandbox::Sandbox::start(sc).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(data.path().into(), ProviderKind::A1111);
    config.base_url = Some(sandbox.base_url());
    let engine = Engine::new(config, std::sync::Arc::new(|_| {})).unwrap();
    let valid = draft_for(ProviderKind::A1111).validate(&engine.provider().capabilities("")).unwrap();
    let jobs = engine.submit(valid, None);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !sandbox.requests().iter().any(|q| q.path == "/sdapi/v1/txt2img") {
        assert!(std::time::Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    engine.cancel(&jobs[0].0);
    while !sandbox.requests().iter().any(|q| q.path == "/sdapi/v1/interrupt") {
        assert!(std::time::Instant::now() < deadline, "the server was never told to stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn write_png(dir: &std::path::Path, w: u32, h: u32) -> std::path::PathBuf {
    let path = dir.join("start.png");
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])).save(&path).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn image_to_image_for_modelslab_and_a1111() {
    let dir = tempfile::tempdir().unwrap();
    let init = write_png(dir.path(), 320, 256);
    let init_text = init.display().to_string();

    let d = SettingsDraft { init_image: init_text.clone(), strength: "0.45".into(), ..draft("make it winter") };
    let r = run(Scenario::Success, d, |_, _| {}).await;
    r.assert_ok();
    let sent = r.requests().into_iter().find(|q| q.path == "/api/v6/images/img2img").expect("the img2img endpoint");
    assert_eq!(sent.body["base64"], true);
    assert!(sent.body["init_image"].as_str().unwrap().len() > 100);
    assert_eq!(sent.body["strength"].as_f64().map(|s| (s * 100.0).round()), Some(45.0));
    assert_eq!((r.images()[0].width, r.images()[0].height), (320, 256), "output takes the init image's size");
    // Diagnostics never hold the whole image.
    let record = r.events.iter().find_map(|e| match &e.kind {
        EventKind::Response(d) if d.endpoint == "generate" => d.request_body.clone(),
        _ => None,
    });
    assert!(record.unwrap()["init_image"].as_str().unwrap().contains("characters of image data"));

    let d = SettingsDraft { init_image: init_text, strength: "0.6".into(), ..draft_for(ProviderKind::A1111) };
    let r = run_provider(ProviderKind::A1111, Scenario::Success, d, None, |_, _| {}).await;
    r.assert_ok();
    let sent = r.requests().into_iter().find(|q| q.path == "/sdapi/v1/img2img").expect("the img2img endpoint");
    assert!(sent.body["init_images"][0].as_str().unwrap().len() > 100);
    assert_eq!(sent.body["denoising_strength"].as_f64().map(|s| (s * 10.0).round()), Some(6.0));
}

#[test]
fn bad_init_images_are_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let caps = easel::engine::provider::modelslab::ModelsLab::new(None);
    let caps = easel::engine::provider::Provider::capabilities(&caps, "sdxl");
    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, b"<html>not an image</html>").unwrap();
    let big = write_png(dir.path(), 2000, 300);
    for (path, why) in [(not_image, "PNG, JPEG or WebP"), (big, "between"), (dir.path().join("missing.png"), "cannot open")] {
        let d = SettingsDraft { init_image: path.display().to_string(), ..draft("x") };
        let err = d.validate(&caps).unwrap_err();
        assert!(err.fields["init_image"][0].contains(why), "{:?}", err.fields);
    }
}

#[test]
fn plain_http_to_the_internet_is_refused() {
    use easel::engine::provider::{ProviderKind, check_base_url};
    assert!(check_base_url(ProviderKind::OpenAi, "http://api.example.com/v1").is_err());
    assert!(check_base_url(ProviderKind::A1111, "http://192.168.0.9:7860").unwrap().note.is_some());
}
