//! The engine against the sandbox on 127.0.0.1: every row of the error table and
//! every parsing quirk, over real HTTP.

use easel_engine::EventKind;
use easel_engine::error::ErrorCategory;
use easel_engine::intake::ImageFormat;
use easel_engine::request::SettingsDraft;
use easel_sandbox::Scenario;
use easel_testkit::*;
use std::time::Duration;

fn assert_png_files_of_size(r: &Run, w: u32, h: u32) {
    let images = r.images();
    assert!(!images.is_empty());
    for image in images {
        let bytes = std::fs::read(&image.path).unwrap();
        assert!(!bytes.is_empty());
        assert_eq!(bytes.len() as u64, image.bytes);
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (w, h), "{}", image.path.display());
        assert!(image.path.file_name().unwrap().to_string_lossy().starts_with(&image.sha256));
    }
}

// ---------- success and output shapes ----------

#[tokio::test(flavor = "multi_thread")]
async fn success_stores_real_pngs_of_the_requested_size() {
    let d = SettingsDraft { width: "512".into(), height: "384".into(), samples: "2".into(), ..draft("a lighthouse") };
    let r = run(Scenario::Success, d, |_, _| {}).await;
    r.assert_ok();
    assert_eq!(r.images().len(), 2);
    assert_png_files_of_size(&r, 512, 384);
    assert_eq!(r.generate_requests().len(), 1);
    let body = &r.generate_requests()[0].body;
    assert_eq!(body["key"], CANARY_KEY, "the key travels in the body");
    assert_eq!(body["width"], 512);
    // One diagnostics record per exchange: the generate call and two downloads.
    let responses = r.events.iter().filter(|e| matches!(e.kind, EventKind::Response(_))).count();
    assert_eq!(responses, 3);
    let stored = easel_engine::store::Store::open(r.data.path()).unwrap().search(&Default::default(), 10, 0).unwrap();
    assert_eq!(stored.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_output_shape_becomes_a_verified_file() {
    for (scenario, format) in [
        (Scenario::ObjectOutput, ImageFormat::Png),
        (Scenario::Base64Url, ImageFormat::Png),
        (Scenario::InlineBase64, ImageFormat::Png),
        (Scenario::DataUri, ImageFormat::Png),
        (Scenario::JpegOutput, ImageFormat::Jpeg),
    ] {
        let r = run(scenario, draft("shapes"), |_, _| {}).await;
        r.assert_ok();
        let images = r.images();
        assert_eq!(images.len(), 1, "{scenario}");
        assert_eq!(images[0].format, format, "{scenario}");
        assert_png_files_of_size(&r, 256, 256);
    }
}

// ---------- processing and fetch ----------

#[tokio::test(flavor = "multi_thread")]
async fn processing_is_fetched_by_id_after_the_eta_and_never_resubmitted() {
    let r = run(Scenario::Processing, draft("slow"), |_, s| s.processing_polls = 2).await;
    r.assert_ok();
    assert_eq!(r.generate_requests().len(), 1, "never resubmitted");
    let fetches: Vec<_> = r.requests().into_iter().filter(|q| q.path.starts_with("/api/v6/images/fetch/")).collect();
    assert_eq!(fetches.len(), 3, "two processing answers, then success");
    // The first poll waits the server's ETA (1.5 s); the sandbox saw that gap.
    let sent = r.generate_requests()[0].at;
    assert!(fetches[0].at.duration_since(sent) >= Duration::from_millis(1500));
    let first_wait = &r.waits()[0];
    assert_eq!((first_wait.0, first_wait.1.as_str()), (1.5, "processing"));
    assert_eq!(fetches[0].body["key"], CANARY_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn string_ids_are_fetched_as_strings() {
    let r = run(Scenario::ProcessingStringId, draft("ids"), |_, _| {}).await;
    r.assert_ok();
    let fetch = r.requests().into_iter().find(|q| q.path.starts_with("/api/v6/images/fetch/")).unwrap();
    assert!(fetch.path.contains("abc123-def456"), "{}", fetch.path);
}

#[tokio::test(flavor = "multi_thread")]
async fn path_form_404_falls_back_to_the_body_form() {
    let r = run(Scenario::FetchBodyForm, draft("forms"), |_, _| {}).await;
    r.assert_ok();
    let body_form: Vec<_> = r.requests().into_iter().filter(|q| q.path == "/api/v6/images/fetch").collect();
    assert!(!body_form.is_empty());
    assert!(body_form[0].body["request_id"].is_string(), "request_id is sent as a string");
}

#[tokio::test(flavor = "multi_thread")]
async fn output_urls_that_404_at_first_are_retried() {
    let r = run(Scenario::FutureLink404, draft("late file"), |_, _| {}).await;
    r.assert_ok();
    let downloads = r.requests().into_iter().filter(|q| q.path.starts_with("/generations/")).count();
    assert_eq!(downloads, 3, "two 404s, then the image");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_status_ends_the_job_without_resubmitting() {
    for scenario in [Scenario::Failed, Scenario::ProcessingThenFailed] {
        let r = run(scenario, draft("fail"), |_, _| {}).await;
        assert_eq!(r.category(), ErrorCategory::GenerationFailed, "{scenario}");
        assert_eq!(r.generate_requests().len(), 1, "{scenario}: a resubmission could charge twice");
        assert_eq!(r.error().detail.as_deref(), Some("Failed, Try Again"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn processing_forever_stops_at_the_deadline_with_the_job_id() {
    let r = run(Scenario::ProcessingForever, draft("forever"), |c, _| {
        c.policy.processing_deadline = Duration::from_secs(3);
    })
    .await;
    assert_eq!(r.category(), ErrorCategory::Timeout);
    assert_eq!(r.generate_requests().len(), 1);
    assert!(r.error().hint.contains("not sent again"), "{}", r.error().hint);
    assert!(r.error().request_id.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_eta_is_clamped() {
    let r = run(Scenario::BigEta, draft("eta"), |c, _| c.policy.poll_max = Duration::from_secs(2)).await;
    r.assert_ok();
    assert_eq!(r.waits()[0].0, 2.0, "1e9 s clamped to poll_max");
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_ids_still_give_each_job_its_images() {
    let d = SettingsDraft { candidates: "2".into(), ..draft("dupes") };
    let r = run(Scenario::DuplicateId, d, |_, _| {}).await;
    r.assert_ok();
    assert_eq!(r.images().len(), 2);
}

// ---------- the error table ----------

#[tokio::test(flavor = "multi_thread")]
async fn account_and_auth_errors_are_never_retried() {
    for (scenario, category) in [
        (Scenario::Auth401, ErrorCategory::Auth),
        (Scenario::Auth200, ErrorCategory::Auth),
        (Scenario::Credits402, ErrorCategory::Account),
        (Scenario::Plan403, ErrorCategory::Account),
        (Scenario::Quota429, ErrorCategory::Account),
    ] {
        let r = run(scenario, draft("no"), |_, _| {}).await;
        assert_eq!(r.category(), category, "{scenario}");
        assert_eq!(r.generate_requests().len(), 1, "{scenario} must not be retried");
        let err = r.error();
        assert!(!err.message.is_empty() && !err.hint.is_empty());
        assert!(err.detail.is_some(), "{scenario}: the server's words are kept");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors_name_their_fields_whatever_the_http_code() {
    for scenario in [Scenario::Validation400, Scenario::Validation200] {
        let r = run(scenario, draft("v"), |_, _| {}).await;
        assert_eq!(r.category(), ErrorCategory::Validation, "{scenario}");
        assert_eq!(r.error().fields["width"], ["width must be between 256 and 1024"]);
        assert!(r.error().fields.contains_key("samples"));
        assert_eq!(r.generate_requests().len(), 1);
    }
    let r = run(Scenario::MessegeError, draft("m"), |_, _| {}).await;
    assert_eq!(r.category(), ErrorCategory::Validation);
    assert_eq!(r.error().detail.as_deref(), Some("Model not found: sdxl"));
    let r = run(Scenario::ErrorField, draft("e"), |_, _| {}).await;
    assert_eq!(r.category(), ErrorCategory::Validation);
    assert_eq!(r.error().detail.as_deref(), Some("prompt must be a string"));
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_wait_as_told_and_resend_the_same_payload() {
    let r = run(Scenario::RateLimited, draft("busy"), |_, _| {}).await;
    r.assert_ok();
    let sent = r.generate_requests();
    assert_eq!(sent.len(), 3);
    for pair in sent.windows(2) {
        assert!(pair[1].at.duration_since(pair[0].at) >= Duration::from_secs(1), "retry_after 1 honoured");
        assert_eq!(pair[0].body, pair[1].body, "the retry sends the same payload");
    }
    let waits = r.waits();
    assert_eq!(waits[0], (1.0, "rate_limited".into(), "body-retry-after".into()));
    // The wait is on the diagnostics record of the exchange that caused it.
    let waited = r.events.iter().filter(|e| matches!(&e.kind, EventKind::Response(d) if d.wait.is_some())).count();
    assert_eq!(waited, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rate_limit_hint_is_honoured_in_order() {
    for (scenario, min_gap_ms, source) in [
        (Scenario::RateLimitedHeader, 1000, "retry-after"),
        (Scenario::RateLimitedMs, 300, "retry-after-ms"),
        (Scenario::RateLimitedDate, 900, "retry-after"),
        (Scenario::RateLimitedReset, 900, "rate-limit-reset"),
    ] {
        let r = run(scenario, draft("hint"), |_, _| {}).await;
        r.assert_ok();
        let sent = r.generate_requests();
        assert_eq!(sent.len(), 2, "{scenario}");
        let gap = sent[1].at.duration_since(sent[0].at);
        assert!(gap >= Duration::from_millis(min_gap_ms), "{scenario}: waited only {gap:?}");
        assert_eq!(r.waits()[0].2, source, "{scenario}");
    }
    // retry-after-ms wins over Retry-After: 5.
    let r = run(Scenario::RateLimitedMs, draft("ms"), |_, _| {}).await;
    assert!(r.waits()[0].0 < 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_forever_gives_up_after_four_tries() {
    let r = run(Scenario::RateLimitedForever, draft("forever busy"), |_, _| {}).await;
    assert_eq!(r.category(), ErrorCategory::RateLimited);
    assert_eq!(r.generate_requests().len(), 4, "the first request plus 3 retries");
    assert!(r.error().message.contains("4 tries"), "{}", r.error().message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_longer_than_two_minutes_is_not_attempted() {
    let r = run(Scenario::RateLimitedLong, draft("long"), |_, _| {}).await;
    assert_eq!(r.category(), ErrorCategory::RateLimited);
    assert_eq!(r.generate_requests().len(), 1);
    assert!(r.error().message.contains("10 min"), "says the time it asked for: {}", r.error().message);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_once_with_the_same_payload() {
    let r = run(Scenario::ServerErrorOnce, draft("flaky"), |_, _| {}).await;
    r.assert_ok();
    let sent = r.generate_requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body);

    let r = run(Scenario::ServerError, draft("down"), |_, _| {}).await;
    assert_eq!(r.category(), ErrorCategory::Server);
    assert_eq!(r.generate_requests().len(), 2, "once, then give up");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fallback_model_is_tried_once_and_said() {
    let d = SettingsDraft { model: "flux".into(), fallback_model: "sdxl".into(), steps: "30".into(), ..draft("outage") };
    let r = run(Scenario::ModelOutage, d, |_, _| {}).await;
    r.assert_ok();
    let models: Vec<String> = r.generate_requests().iter().map(|q| q.body["model_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(models, ["flux", "flux", "sdxl"]);
    assert!(r.events.iter().any(|e| matches!(&e.kind, EventKind::Fallback { from, to, .. } if from == "flux" && to == "sdxl")));
    assert_eq!(r.images()[0].model, "sdxl", "the image records the model that made it");
}

#[tokio::test(flavor = "multi_thread")]
async fn html_and_empty_answers_are_summarised_not_shown() {
    let r = run(Scenario::Html502, draft("proxy"), |_, _| {}).await;
    assert_eq!(r.category(), ErrorCategory::Server);
    assert_eq!(r.generate_requests().len(), 2, "a 502 is retried once");
    assert!(r.error().message.contains("502 Bad Gateway") && !r.error().message.contains('<'), "{}", r.error().message);
    let excerpt = r.events.iter().find_map(|e| match &e.kind {
        EventKind::Response(d) => d.response_excerpt.clone(),
        _ => None,
    });
    assert!(excerpt.unwrap().contains("<title>"), "the raw page is kept in diagnostics only");

    for scenario in [Scenario::Html200, Scenario::Empty200] {
        let r = run(scenario, draft("junk"), |_, _| {}).await;
        assert_eq!(r.category(), ErrorCategory::Server, "{scenario}");
        assert!(!r.error().message.contains('<'));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_server_times_out_without_a_retry() {
    let r = run(Scenario::Hang, draft("hang"), |c, _| c.timeout = Some(Duration::from_secs(1))).await;
    assert_eq!(r.category(), ErrorCategory::Timeout);
    assert_eq!(r.generate_requests().len(), 1, "a retry could charge twice");
    assert!(r.error().message.contains("1 s"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_downloads_end_as_bad_output_and_write_nothing() {
    for (scenario, downloads) in [(Scenario::EmptyImage, 4), (Scenario::NotAnImage, 4), (Scenario::HugeImage, 1)] {
        let r = run(scenario, draft("bad"), |_, _| {}).await;
        assert_eq!(r.category(), ErrorCategory::BadOutput, "{scenario}");
        let got = r.requests().into_iter().filter(|q| q.path.starts_with("/generations/")).count();
        assert_eq!(got, downloads, "{scenario}: quick re-downloads only for junk, none for a bomb");
        assert!(image_files(r.data.path()).is_empty(), "{scenario}: no junk file written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_listening_is_a_network_error() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = easel_engine::EngineConfig::new(data.path().into(), easel_engine::provider::ProviderKind::ModelsLab);
    config.base_url = Some(format!("http://127.0.0.1:{port}"));
    config.policy = quick_policy();
    let engine = easel_engine::Engine::new(config, std::sync::Arc::new(|_| {})).unwrap();
    let valid = draft("x").validate(&engine.provider().capabilities("sdxl")).unwrap();
    let out = engine.run(valid, easel_engine::keys::ApiKey::parse(CANARY_KEY).unwrap()).await;
    assert_eq!(out[0].error.as_ref().unwrap().category, ErrorCategory::Network);
}

// ---------- cache, candidates, concurrency ----------

#[tokio::test(flavor = "multi_thread")]
async fn a_fixed_seed_repeat_is_served_from_the_library_but_never_for_another_model() {
    let sandbox = easel_sandbox::Sandbox::start(easel_sandbox::SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = easel_engine::EngineConfig::new(data.path().into(), easel_engine::provider::ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let engine = easel_engine::Engine::new(config, std::sync::Arc::new(|_| {})).unwrap();
    let key = easel_engine::keys::ApiKey::parse(CANARY_KEY).unwrap();
    let go = |model: &str| {
        let d = SettingsDraft { seed: "1234".into(), model: model.into(), ..draft("cached fox") };
        d.validate(&engine.provider().capabilities(model)).unwrap()
    };
    let first = engine.run(go("sdxl"), key.clone()).await;
    let second = engine.run(go("sdxl"), key.clone()).await;
    let count = || sandbox.requests().iter().filter(|q| q.path.ends_with("text2img")).count();
    assert_eq!(count(), 1, "the repeat was not sent");
    assert!(second[0].images[0].cached);
    assert_eq!(first[0].images[0].sha256, second[0].images[0].sha256);
    let other = engine.run(go("realistic-vision-51"), key.clone()).await;
    assert_eq!(count(), 2, "another model is never served from the cache");
    assert!(!other[0].images[0].cached);
    let random = engine.run(draft("cached fox").validate(&engine.provider().capabilities("sdxl")).unwrap(), key).await;
    assert!(!random[0].images[0].cached, "a random seed is never cached");
}

#[tokio::test(flavor = "multi_thread")]
async fn candidates_run_as_separate_jobs_with_different_seeds() {
    let d = SettingsDraft { candidates: "3".into(), ..draft("pick one") };
    let r = run(Scenario::Success, d, |_, _| {}).await;
    r.assert_ok();
    let seeds: std::collections::HashSet<String> = r.generate_requests().iter().map(|q| q.body["seed"].to_string()).collect();
    assert_eq!(seeds.len(), 3);
    let hashes: std::collections::HashSet<String> = r.images().iter().map(|i| i.sha256.clone()).collect();
    assert_eq!(hashes.len(), 3, "different seeds, different images");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_concurrency_limit_holds() {
    let d = SettingsDraft { candidates: "6".into(), ..draft("many") };
    let r = run(Scenario::Success, d, |c, s| {
        c.concurrency = 2;
        s.job_duration = Duration::from_millis(300);
    })
    .await;
    r.assert_ok();
    assert_eq!(r.sandbox.max_in_flight(), 2, "two at a time, never more");
    assert_eq!(r.sandbox.rate_limited_count(), 0);
}

// ---------- secrecy ----------

#[tokio::test(flavor = "multi_thread")]
async fn the_key_never_reaches_events_diagnostics_or_the_data_directory() {
    for scenario in [Scenario::Success, Scenario::Auth401, Scenario::Validation400, Scenario::Processing, Scenario::Html502] {
        let r = run(scenario, draft("secret"), |_, _| {}).await;
        let events = serde_json::to_string(&r.events).unwrap();
        assert!(!events.contains(CANARY_KEY), "{scenario}: key in events");
        assert!(events.contains("[redacted]"), "{scenario}: redacted bodies are still shown");
        assert_not_in_files(r.data.path(), CANARY_KEY);
    }
}
