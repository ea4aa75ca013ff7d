//! ModelsLab as it really answers (issue 10): the documented answers read as they must be,
//! a queued job fetched through id-less answers, the prompt as typed, the settings the
//! service really used kept, and v7 editing with every editing model of the table, through
//! a sandbox that checks each model as the official SDK describes it.

use easel_engine::error::ErrorCategory;
use easel_engine::provider::modelslab::{ModelsLab, parse_generation};
use easel_engine::provider::{ApiOutcome, Provider, Reply};
use easel_engine::request::SettingsDraft;
use easel_engine::store::Store;
use easel_sandbox::Scenario;
use easel_testkit::*;
use serde_json::Value;
use std::path::Path;

fn reply(status: u16, body: &Value) -> Reply {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    Reply { status, headers, body: serde_json::to_vec(body).unwrap().into() }
}

/// Every answer of `tests/corpus/modelslab-docs/` is read as its file says it must be.
#[test]
fn documented_answers_read_as_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/modelslab-docs");
    let provider = ModelsLab::new(None);
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert!(file["source"].as_str().is_some_and(|s| s.len() > 20), "{name} names no source");
        let answer = reply(file["http_status"].as_u64().unwrap() as u16, &file["body"]);
        let reads_as = file["reads_as"].as_str().unwrap();
        match reads_as {
            "balance" => assert!(provider.parse_balance(&answer).is_ok(), "{name}"),
            "queue_count" => assert!(provider.parse_queue_count(&answer).is_some(), "{name}"),
            "upload" => assert!(provider.parse_upload(&answer).is_ok(), "{name}"),
            _ => {
                let outcome = parse_generation(&answer).outcome;
                let got = match &outcome {
                    ApiOutcome::Finished(_) => "finished".to_owned(),
                    ApiOutcome::Processing(_) => "processing".to_owned(),
                    ApiOutcome::Failed(f) => format!("failed:{}", f.category.as_str()),
                };
                assert!(got == reads_as || (reads_as == "failed" && got.starts_with("failed:")), "{name}: {got}, not {reads_as}");
                if let ApiOutcome::Processing(job) = &outcome {
                    assert_eq!(job.id.is_empty(), file["body"].get("id").is_none(), "{name}: the id is the body's, or none");
                }
                if let ApiOutcome::Failed(f) = &outcome
                    && f.category == ErrorCategory::RateLimited
                {
                    assert_eq!((f.hints.queue_limit, f.hints.body_retry_after), (Some(5), Some(30.0)), "{name}");
                }
            }
        }
        read += 1;
    }
    assert!(read >= 20, "only {read} documented answers");
}

/// The library's record of the run's images.
fn stored(r: &Run) -> Vec<easel_engine::store::ImageRecord> {
    Store::open(r.data.path()).unwrap().search(&Default::default(), 50, 0).unwrap()
}

/// The ETA is too low: the fetches answer "processing" with no id (as documented) three times,
/// and the job is fetched to its image by the id of its first answer, and sent once.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_eta_is_too_low_is_fetched_through_id_less_answers() {
    let d = SettingsDraft { samples: "2".into(), ..draft("a slow lighthouse") };
    let r = run(Scenario::Processing, d, |_, s| s.processing_polls = 3).await;
    r.assert_ok();
    assert_eq!(r.generate_requests().len(), 1, "never sent twice");
    let fetches = r.requests().into_iter().filter(|q| q.path.starts_with("/api/v6/images/fetch/")).count();
    assert_eq!(fetches, 4, "three id-less processing answers, then the bare success");
    let images = r.images();
    assert_eq!(images.len(), 2);
    // The seed came with the first answer's meta (the finished fetch is bare): seed + index.
    let seeds: Vec<u64> = images.iter().map(|i| i.seed.unwrap()).collect();
    assert_eq!(seeds[1], seeds[0] + 1, "{seeds:?}");
}

/// Nothing asks the service to rewrite the prompt unless the person does; when it does, the
/// library keeps both: the prompt typed, and the one the service used.
#[tokio::test(flavor = "multi_thread")]
async fn the_prompt_typed_is_the_prompt_sent() {
    let r = run(Scenario::Success, draft("women playing tennis"), |_, _| {}).await;
    r.assert_ok();
    let sent = &r.generate_requests()[0].body;
    assert_eq!((sent["enhance_prompt"].as_str(), sent["safety_checker"].as_str()), (Some("no"), Some("no")));
    assert_eq!(sent["num_inference_steps"], 20, "30 asked; the service caps community models at 20");
    let image = &stored(&r)[0];
    assert_eq!((image.prompt.as_str(), image.made.prompt.as_deref()), ("women playing tennis", None));

    let mut asked = draft("women playing tennis");
    asked.options.insert("enhance_prompt".into(), "yes".into());
    let r = run(Scenario::Success, asked, |_, _| {}).await;
    r.assert_ok();
    assert_eq!(r.generate_requests()[0].body["enhance_prompt"], "yes");
    let image = &stored(&r)[0];
    assert_eq!(image.prompt, "women playing tennis", "the person's prompt stays");
    let used = image.made.prompt.as_deref().unwrap();
    assert!(used.starts_with("women playing tennis, hyperrealistic"), "{used}");
}

/// Every editing model of the table edits through the sandbox, which checks each request as
/// the official SDK's schema describes it (an array, one picture, or a pair; the ratio).
#[tokio::test(flavor = "multi_thread")]
async fn v7_editing_works_for_every_editing_model() {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start.png");
    image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([x as u8, y as u8, 40])).save(&start).unwrap();
    let cases: &[(&str, &str, usize, &str)] = &[
        ("seedream-4.5", "21:9", 1, "seedream-4.5-i2i"),
        ("seedream-4.5-i2i", "16:9", 3, "seedream-4.5-i2i"),
        ("seedream-4", "1:1", 2, "seedream-4.0-i2i"),
        ("seedream-4.0-i2i", "1:1", 1, "seedream-4.0-i2i"),
        ("seedream-t2i", "1:1", 1, "seededit-i2i"),
        ("seededit-i2i", "1:1", 1, "seededit-i2i"),
        ("nano-banana-pro", "4:3", 3, "nano-banana-pro"),
        ("nano-banana-t2i", "1:1", 2, "nano-banana"),
        ("nano-banana", "1:1", 2, "nano-banana"),
        ("flux-2-pro", "1:1", 2, "flux-2-pro"),
        ("flux-kontext-pro", "16:9", 1, "flux-kontext-pro"),
        ("gen4_image", "16:9", 2, "gen4_image_turbo"),
        ("gen4_image_turbo", "1:1", 2, "gen4_image_turbo"),
    ];
    for &(model, ratio, pictures, editing_id) in cases {
        let d = SettingsDraft {
            model: model.into(),
            aspect_ratio: ratio.into(),
            width: "1024".into(),
            height: "1024".into(),
            init_images: vec![start.display().to_string(); pictures],
            ..draft("the same picture at dusk")
        };
        let r = run(Scenario::Success, d, |_, _| {}).await;
        r.assert_ok();
        let sent = r.requests().into_iter().find(|q| q.path == "/api/v7/images/image-to-image").expect("an editing request");
        assert_eq!(sent.body["model_id"], editing_id, "{model}");
        let uploads = r.requests().iter().filter(|q| q.path == "/api/v6/base64_to_url").count();
        assert_eq!(uploads, pictures, "{model}: each start image goes up once");
        assert_eq!(r.images().len(), 1, "{model}");
    }
}

/// Imagen has no image-to-image: a start image is refused by name before anything is sent.
#[test]
fn imagen_with_a_start_image_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start.png");
    image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3])).save(&start).unwrap();
    let d = SettingsDraft {
        model: "imagen-4".into(),
        aspect_ratio: "1:1".into(),
        init_images: vec![start.display().to_string()],
        ..draft("a cat")
    };
    let err = d.validate(&ModelsLab::new(None).capabilities("imagen-4")).unwrap_err();
    assert_eq!(err.category, ErrorCategory::Validation);
    assert!(err.fields["init_image"][0].contains("cannot start from an image"), "{:?}", err.fields);
    assert!(err.hint.contains("Nothing was sent"), "{}", err.hint);
}

/// The service's model search wins over Easel's table where it answers; a model it does not
/// know keeps the table's (or the generic) rules.
#[tokio::test(flavor = "multi_thread")]
async fn the_model_search_is_asked_once_and_unknown_models_still_work() {
    let d = SettingsDraft { model: "seedream-4.5".into(), aspect_ratio: "21:9".into(), ..draft("a wide valley") };
    let r = run(Scenario::Success, d, |_, _| {}).await;
    r.assert_ok();
    let searches: Vec<_> = r.requests().into_iter().filter(|q| q.path.starts_with("/api/v6/model-search/")).collect();
    assert_eq!(searches.len(), 1);
    assert!(searches[0].query.as_deref().unwrap().starts_with("key="), "the documented API-key form");

    let unknown = SettingsDraft { model: "my-own-merge-v2".into(), ..draft("a fox") };
    let note = ModelsLab::new(None).capabilities("my-own-merge-v2").rules.note;
    assert!(note.is_some_and(|n| n.contains("does not know this model's limits")));
    let r = run(Scenario::Success, unknown, |_, _| {}).await;
    r.assert_ok();
    assert_eq!(r.generate_requests()[0].body["model_id"], "my-own-merge-v2", "the generic v6 rules");
}
