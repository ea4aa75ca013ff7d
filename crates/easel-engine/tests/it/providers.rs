//! Every provider through the same scenario suite against the sandbox: success,
//! each error class, waits and retries, the key never leaked. Plus what is
//! particular to each: ModelsLab v7, OpenAI's auth and refusals, A1111's progress,
//! seeds and interrupt, and image-to-image.

use easel_engine::error::ErrorCategory;
use easel_engine::provider::ProviderKind;
use easel_engine::request::SettingsDraft;
use easel_engine::{EventKind, JobState};
use easel_sandbox::Scenario;
use easel_testkit::*;
use std::time::Duration;

fn draft_for(kind: ProviderKind) -> SettingsDraft {
    match kind {
        ProviderKind::ModelsLab => draft("a kite over the sea"),
        ProviderKind::OpenAi => SettingsDraft {
            prompt: "a kite over the sea".into(),
            model: "gpt-image-1.5".into(),
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

async fn go_with(kind: ProviderKind, scenario: Scenario, tweak: impl FnOnce(&mut easel_engine::EngineConfig)) -> Run {
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
        c.options.openai_auth = easel_engine::provider::openai::AuthStyle::ApiKeyHeader;
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
    use easel_engine::{Engine, EngineConfig};
    let mut sc = easel_sandbox::SandboxConfig::new(Scenario::Success);
    sc.job_duration = Duration::from_secs(30);
    let sandbox = easel_sandbox::Sandbox::start(sc).await.unwrap();
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

/// A mask that repaints the left half.
fn write_mask(dir: &std::path::Path, w: u32, h: u32) -> std::path::PathBuf {
    let path = dir.join(format!("mask-{w}x{h}.png"));
    image::GrayImage::from_fn(w, h, |x, _| image::Luma([if x < w / 2 { 255 } else { 0 }])).save(&path).unwrap();
    path
}

/// The body of the first request to `path`.
fn body_sent_to(r: &Run, path: &str) -> serde_json::Value {
    let paths: Vec<String> = r.requests().iter().map(|q| q.path.clone()).collect();
    r.requests().into_iter().find(|q| q.path == path).unwrap_or_else(|| panic!("nothing sent to {path}: {paths:?}")).body
}

#[tokio::test(flavor = "multi_thread")]
async fn image_to_image_for_modelslab_and_a1111() {
    let dir = tempfile::tempdir().unwrap();
    let init = write_png(dir.path(), 320, 256);
    let init_text = init.display().to_string();

    let d = SettingsDraft { init_images: vec![init_text.clone()], strength: "0.45".into(), ..draft("make it winter") };
    let r = run(Scenario::Success, d, |_, _| {}).await;
    r.assert_ok();
    let sent = r.requests().into_iter().find(|q| q.path == "/api/v6/images/img2img").expect("the img2img endpoint");
    assert_eq!(sent.body["base64"], "yes", "flags as the official SDK sends them");
    assert_eq!(sent.body["scheduler"], "UniPCMultistepScheduler", "the docs ask SD/SDXL edits for one");
    assert!(sent.body["init_image"].as_str().unwrap().len() > 100);
    assert_eq!(sent.body["strength"].as_f64().map(|s| (s * 100.0).round()), Some(45.0));
    assert_eq!((r.images()[0].width, r.images()[0].height), (320, 256), "output takes the init image's size");
    // Diagnostics never hold the whole image.
    let record = r.events.iter().find_map(|e| match &e.kind {
        EventKind::Response(d) if d.endpoint == "generate" => d.request_body.clone(),
        _ => None,
    });
    assert!(record.unwrap()["init_image"].as_str().unwrap().contains("characters of image data"));

    let d = SettingsDraft { init_images: vec![init_text], strength: "0.6".into(), ..draft_for(ProviderKind::A1111) };
    let r = run_provider(ProviderKind::A1111, Scenario::Success, d, None, |_, _| {}).await;
    r.assert_ok();
    let sent = r.requests().into_iter().find(|q| q.path == "/sdapi/v1/img2img").expect("the img2img endpoint");
    assert!(sent.body["init_images"][0].as_str().unwrap().len() > 100);
    assert_eq!(sent.body["denoising_strength"].as_f64().map(|s| (s * 10.0).round()), Some(6.0));
}

/// Inpainting: the starting image plus a mask of its size. ModelsLab v6 sends both as base64
/// to `inpaint`; A1111 sends the mask with img2img.
#[tokio::test(flavor = "multi_thread")]
async fn inpainting_for_modelslab_v6_and_a1111() {
    let dir = tempfile::tempdir().unwrap();
    let init = write_png(dir.path(), 320, 256).display().to_string();
    let mask = write_mask(dir.path(), 320, 256).display().to_string();

    let d = SettingsDraft { init_images: vec![init.clone()], mask_image: mask.clone(), ..draft("a door in the wall") };
    let r = run(Scenario::Success, d, |_, _| {}).await;
    r.assert_ok();
    let sent = body_sent_to(&r, "/api/v6/images/inpaint");
    assert!(sent["mask_image"].as_str().unwrap().len() > 100, "the mask travels as base64");
    assert_ne!(sent["mask_image"], sent["init_image"]);
    assert_eq!((sent["base64"].clone(), sent["steps"].clone()), (serde_json::json!("yes"), sent["num_inference_steps"].clone()));
    assert_eq!((r.images()[0].width, r.images()[0].height), (320, 256));
    assert!(r.requests().iter().all(|q| q.path != "/api/v6/images/img2img"));

    let d = SettingsDraft { init_images: vec![init], mask_image: mask, ..draft_for(ProviderKind::A1111) };
    let r = run_provider(ProviderKind::A1111, Scenario::Success, d, None, |_, _| {}).await;
    r.assert_ok();
    let sent = body_sent_to(&r, "/sdapi/v1/img2img");
    assert!(sent["mask"].as_str().unwrap().len() > 100);
    assert_ne!(sent["mask"], sent["init_images"][0]);
}

/// ModelsLab v7 takes starting images as URLs: the job uploads each local file once
/// (`base64_to_url`), then sends the editing model's id with the URLs as the SDK sends them.
/// No source says which models v7 inpainting serves, so a mask is refused before sending.
#[tokio::test(flavor = "multi_thread")]
async fn modelslab_v7_uploads_local_images_first() {
    let dir = tempfile::tempdir().unwrap();
    let init = write_png(dir.path(), 320, 256).display().to_string();
    let mask = write_mask(dir.path(), 320, 256).display().to_string();
    let v7 = |init: &str, mask: &str| SettingsDraft {
        model: "seedream-4.5".into(),
        aspect_ratio: "4:3".into(),
        init_images: vec![init.into()],
        mask_image: mask.into(),
        ..draft("the same room at night")
    };

    let r = run(Scenario::Success, v7(&init, ""), |_, _| {}).await;
    r.assert_ok();
    let paths: Vec<String> = r.requests().iter().map(|q| q.path.clone()).filter(|p| !p.starts_with("/api/v6/model-search/")).collect();
    assert_eq!(paths[..2], ["/api/v6/base64_to_url", "/api/v7/images/image-to-image"], "{paths:?}");
    let upload = body_sent_to(&r, "/api/v6/base64_to_url");
    assert!(upload["base64_string"].as_str().unwrap().starts_with("data:image/png;base64,"));
    let sent = body_sent_to(&r, "/api/v7/images/image-to-image");
    assert_eq!((sent["model_id"].as_str(), sent["aspect_ratio"].as_str()), (Some("seedream-4.5-i2i"), Some("4:3")));
    let url = sent["init_image"][0].as_str().unwrap();
    assert!(url.starts_with(&r.sandbox.base_url()) && url.contains("/generations/upload-"), "{url}");
    assert_eq!(r.images().len(), 1);
    let uploads: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Response(d) if d.endpoint == "upload" => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(uploads.len(), 1, "one diagnostics record for the upload");
    assert!(r.events.iter().any(|e| matches!(e.kind, EventKind::State(JobState::Uploading))), "the job says it is uploading");
    assert!(uploads[0].request_body.as_ref().unwrap()["base64_string"].as_str().unwrap().contains("characters of image data"));
    assert!(!serde_json::to_string(&r.events).unwrap().contains(CANARY_KEY));

    let caps = easel_engine::provider::Provider::capabilities(&easel_engine::provider::modelslab::ModelsLab::new(None), "seedream-4.5");
    let refused = v7(&init, &mask).validate(&caps).unwrap_err();
    assert!(refused.fields["mask_image"][0].contains("cannot repaint part of an image"), "{:?}", refused.fields);

    // A refused key stops at the upload: nothing is generated (or charged).
    let r = run(Scenario::Auth401, v7(&init, ""), |_, _| {}).await;
    assert_eq!(r.category(), ErrorCategory::Auth);
    assert!(r.requests().iter().all(|q| !q.path.starts_with("/api/v7/")), "no generation after a failed upload");
}

/// The service cannot read a starting image it was given: the message names the image and
/// shows at its field.
#[tokio::test(flavor = "multi_thread")]
async fn an_image_the_service_cannot_read_is_explained_at_its_field() {
    let dir = tempfile::tempdir().unwrap();
    // A valid PNG whose pixels the client accepts but the service's decoder cannot fetch: the
    // sandbox answers as ModelsLab does when it cannot fetch a URL (HTTP 200, status error).
    let init = write_png(dir.path(), 320, 256).display().to_string();
    let d = SettingsDraft { model: "seedream-4.5".into(), init_images: vec![init], ..draft("x") };
    let r = run(Scenario::Success, d, |_, sandbox| sandbox.forget_uploads = true).await;
    let err = r.error();
    assert_eq!(err.category, ErrorCategory::Validation);
    assert!(err.message.contains("starting image"), "{}", err.message);
    assert!(err.fields.contains_key("init_image"), "{:?}", err.fields);
}

/// ModelsLab's public model list fills the model picker (typing any id stays possible).
#[tokio::test(flavor = "multi_thread")]
async fn modelslab_lists_its_public_models() {
    let sandbox = easel_sandbox::Sandbox::start(easel_sandbox::SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = easel_engine::EngineConfig::new(data.path().to_path_buf(), ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let engine = easel_engine::Engine::new(config, std::sync::Arc::new(|_| {})).unwrap();
    let key = easel_engine::keys::ApiKey::parse(CANARY_KEY).unwrap();
    let models = engine.list_models(Some(&key)).await.unwrap();
    assert!(models.contains(&"sdxl".to_owned()) && models.contains(&"juggernaut-xl-v10".to_owned()), "{models:?}");
    let sent = sandbox.requests().into_iter().find(|q| q.path == "/api/v4/dreambooth/model_list").unwrap();
    assert_eq!(sent.body["key"], CANARY_KEY, "the key travels in the body, as everywhere on ModelsLab");

    // A refused key sent with HTTP 200 is an error, not an empty list.
    let sandbox = easel_sandbox::Sandbox::start(easel_sandbox::SandboxConfig::new(Scenario::Auth200)).await.unwrap();
    let mut config = easel_engine::EngineConfig::new(data.path().to_path_buf(), ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let engine = easel_engine::Engine::new(config, std::sync::Arc::new(|_| {})).unwrap();
    let err = engine.list_models(Some(&key)).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Auth, "{err:?}");
}

/// A key check and a model list are not jobs, yet each exchange leaves one diagnostics record,
/// like every other: in the library and as an event that names no job, the key redacted.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_check_and_a_model_list_each_leave_one_record() {
    let sandbox = easel_sandbox::Sandbox::start(easel_sandbox::SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = easel_engine::EngineConfig::new(data.path().to_path_buf(), ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = events.clone();
    let engine = easel_engine::Engine::new(config, std::sync::Arc::new(move |e| sink.lock().unwrap().push(e))).unwrap();
    let key = easel_engine::keys::ApiKey::parse(CANARY_KEY).unwrap();
    let stored = || -> Vec<String> {
        let db = rusqlite::Connection::open(data.path().join("easel.db")).unwrap();
        let mut rows = db.prepare("SELECT record_json FROM diagnostics WHERE job_id IS NULL ORDER BY id").unwrap();
        rows.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let responses = || -> Vec<easel_engine::diagnostics::Diagnostics> {
        let events = events.lock().unwrap();
        assert!(events.iter().all(|e| e.job.is_none()), "lookups belong to no job");
        events.iter().filter_map(|e| if let EventKind::Response(d) = &e.kind { Some((**d).clone()) } else { None }).collect()
    };

    engine.check_key(&key).await.unwrap();
    let records = responses();
    assert_eq!(records.iter().map(|d| d.endpoint.as_str()).collect::<Vec<_>>(), ["balance"]);
    assert_eq!(records[0].request_body.as_ref().unwrap()["key"], "[redacted]");
    assert_eq!(stored().len(), 1, "kept in the library before check_key returned");

    engine.list_models(Some(&key)).await.unwrap();
    assert_eq!(responses().iter().map(|d| d.endpoint.as_str()).collect::<Vec<_>>(), ["balance", "models"]);
    assert_eq!(stored().len(), 2);
    let json = serde_json::to_string(&*events.lock().unwrap()).unwrap();
    assert!(!json.contains(CANARY_KEY) && !stored().concat().contains(CANARY_KEY), "the key is redacted everywhere");
    assert!(!json.contains(r#""job""#), "the events name no job: {json}");

    // A refused check keeps its record too, with the error it ended in.
    let sandbox = easel_sandbox::Sandbox::start(easel_sandbox::SandboxConfig::new(Scenario::Auth401)).await.unwrap();
    let mut config = easel_engine::EngineConfig::new(data.path().to_path_buf(), ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let engine = easel_engine::Engine::new(config, std::sync::Arc::new(|_| {})).unwrap();
    assert_eq!(engine.check_key(&key).await.unwrap_err().category, ErrorCategory::Auth);
    let last: easel_engine::diagnostics::Diagnostics = serde_json::from_str(stored().last().unwrap()).unwrap();
    assert_eq!((last.endpoint.as_str(), last.http_status), ("balance", Some(401)));
    assert_eq!(last.error.map(|e| e.category), Some(ErrorCategory::Auth));
}

/// A mask needs a starting image of its size, and a model that can repaint.
#[test]
fn masks_are_checked_before_sending() {
    use easel_engine::provider::Provider as _;
    let dir = tempfile::tempdir().unwrap();
    let init = write_png(dir.path(), 320, 256).display().to_string();
    let mask = write_mask(dir.path(), 320, 256).display().to_string();
    let small_mask = write_mask(dir.path(), 160, 128).display().to_string();
    let caps = easel_engine::provider::modelslab::ModelsLab::new(None).capabilities("sdxl");

    let d = SettingsDraft { mask_image: mask.clone(), ..draft("x") };
    assert!(d.validate(&caps).unwrap_err().fields["mask_image"][0].contains("starting image"));
    let d = SettingsDraft { init_images: vec![init.clone()], mask_image: small_mask, ..draft("x") };
    let err = d.validate(&caps).unwrap_err();
    assert!(err.fields["mask_image"][0].contains("160×128") && err.fields["mask_image"][0].contains("320×256"), "{:?}", err.fields);
    let d = SettingsDraft { init_images: vec![init.clone()], mask_image: mask.clone(), ..draft("x") };
    let valid = d.validate(&caps).unwrap();
    assert_eq!(valid.candidates[0].mask_image.as_ref().map(|m| (m.width, m.height)), Some((320, 256)));

    let openai = ProviderKind::OpenAi.build(None, &Default::default()).unwrap().capabilities("dall-e-3");
    assert!(!openai.inpaint, "DALL·E 3 has no edits");
}

#[test]
fn bad_init_images_are_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let caps = easel_engine::provider::modelslab::ModelsLab::new(None);
    let caps = easel_engine::provider::Provider::capabilities(&caps, "sdxl");
    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, b"<html>not an image</html>").unwrap();
    let big = write_png(dir.path(), 2000, 300);
    for (path, why) in [(not_image, "PNG, JPEG or WebP"), (big, "between"), (dir.path().join("missing.png"), "cannot open")] {
        let d = SettingsDraft { init_images: vec![path.display().to_string()], ..draft("x") };
        let err = d.validate(&caps).unwrap_err();
        assert!(err.fields["init_image"][0].contains(why), "{:?}", err.fields);
    }
}

#[test]
fn plain_http_to_the_internet_is_refused() {
    use easel_engine::provider::{ProviderKind, check_base_url};
    assert!(check_base_url(ProviderKind::OpenAi, "http://api.example.com/v1").is_err());
    assert!(check_base_url(ProviderKind::A1111, "http://192.168.0.9:7860").unwrap().note.is_some());
}
