//! OpenAI as it is today, through the engine against the sandbox: gpt-image-2's free sizes,
//! edits whose mask arrives transparent where the person painted white, streaming previews,
//! and no phantom seeds.

use base64::Engine as _;
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_engine::request::SettingsDraft;
use easel_engine::{Engine, EngineConfig, EventKind};
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use std::sync::{Arc, Mutex};

fn openai(model: &str, prompt: &str, size: (u32, u32)) -> SettingsDraft {
    SettingsDraft {
        prompt: prompt.into(),
        model: model.into(),
        width: size.0.to_string(),
        height: size.1.to_string(),
        ..Default::default()
    }
}

async fn go(draft: SettingsDraft) -> Run {
    run_provider(ProviderKind::OpenAi, Scenario::Success, draft, Some(CANARY_KEY), |_, _| {}).await
}

#[tokio::test(flavor = "multi_thread")]
async fn gpt_image_2_makes_a_free_size_and_gpt_image_1_5_its_own() {
    let r = go(openai("gpt-image-2", "a wide harbour", (1536, 864))).await;
    r.assert_ok();
    assert_eq!((r.images()[0].width, r.images()[0].height), (1536, 864));
    let r = go(openai("gpt-image-1.5", "a tall tower", (1024, 1536))).await;
    r.assert_ok();
    let caps = ProviderKind::OpenAi.build(None, &Default::default()).unwrap().capabilities("gpt-image-1.5");
    let err = openai("gpt-image-1.5", "x", (1536, 864)).validate(&caps).unwrap_err();
    assert!(err.fields["width"][0].contains("only these sizes"), "{:?}", err.fields);
    let long = openai("gpt-image-1.5", &"a very long prompt ".repeat(1600), (1024, 1024));
    assert!(long.prompt.chars().count() > 30_000 && long.validate(&caps).is_ok(), "GPT image models take 32,000 characters");
}

#[tokio::test(flavor = "multi_thread")]
async fn inpainting_sends_an_edit_whose_mask_is_transparent_where_the_person_painted_white() {
    let dir = tempfile::tempdir().unwrap();
    let (start, mask) = (dir.path().join("room.png"), dir.path().join("mask.png"));
    image::RgbImage::from_pixel(96, 64, image::Rgb([200, 80, 40])).save(&start).unwrap();
    image::GrayImage::from_fn(96, 64, |x, _| image::Luma([if x < 48 { 255 } else { 0 }])).save(&mask).unwrap();
    let draft = SettingsDraft {
        init_images: vec![start.display().to_string()],
        mask_image: mask.display().to_string(),
        ..openai("gpt-image-1.5", "a window on the left", (1024, 1024))
    };
    let r = go(draft).await;
    r.assert_ok();
    let sent = r.requests().into_iter().find(|q| q.path == "/v1/images/edits").expect("an edit was sent");
    assert_eq!(sent.body["prompt"], "a window on the left");
    assert_eq!(sent.body["image"]["format"], "png");
    let m = &sent.body["mask"];
    assert_eq!((m["width"].as_u64(), m["height"].as_u64(), m["alpha"].as_bool()), (Some(96), Some(64), Some(true)));
    let png = base64::engine::general_purpose::STANDARD.decode(m["base64"].as_str().unwrap()).unwrap();
    let pixels = image::load_from_memory(&png).unwrap().to_rgba8();
    assert_eq!(pixels.get_pixel(10, 32).0[3], 0, "white: transparent, repainted");
    assert_eq!(pixels.get_pixel(80, 32).0[3], 255, "black: opaque, kept");
    assert!(r.requests().iter().all(|q| q.path != "/v1/images/generations"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_shows_its_previews_and_stores_only_the_final_image() {
    let mut draft = openai("gpt-image-2", "a slow sunrise", (512, 512));
    draft.options.insert("partial_images".into(), "2".into());
    draft.options.insert("output_format".into(), "webp".into());
    draft.options.insert("background".into(), "transparent".into());
    let r = go(draft).await;
    r.assert_ok();
    let previews: Vec<u32> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Preview(p) => Some(p.index),
            _ => None,
        })
        .collect();
    assert_eq!(previews, [0, 1]);
    let images = r.images();
    assert_eq!(images.len(), 1, "previews are never stored");
    assert_eq!(image_files(r.data.path()).len(), 1);
    let kept = image::open(&images[0].path).unwrap();
    assert!(kept.color().has_alpha(), "a transparent WebP stays transparent in the library");
    assert_eq!(kept.to_rgba8().get_pixel(0, 0).0[3], 0);
}

/// The case: `--seed 42` twice with OpenAI (which has no seed) must not record 42
/// nor answer the second request from the library with the first picture.
#[tokio::test(flavor = "multi_thread")]
async fn without_seeds_the_same_request_twice_is_sent_twice_and_records_no_seed() {
    let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Success)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(data.path().to_path_buf(), ProviderKind::OpenAi);
    config.base_url = Some(format!("{}/v1", sandbox.base_url()));
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let engine = Engine::new(config, Arc::new(move |e| sink.lock().unwrap().push(e))).unwrap();
    let draft = SettingsDraft { seed: "42".into(), ..openai("gpt-image-2", "the same lighthouse", (1024, 1024)) };
    let caps = engine.provider().capabilities("gpt-image-2");
    for round in 0..2 {
        let valid = draft.validate(&caps).unwrap();
        assert!(!valid.candidates[0].seed_from_person, "no seed the service would honour");
        let outcomes = engine.run(valid, ApiKey::parse(CANARY_KEY).ok()).await;
        let image = &outcomes[0].images[0];
        assert_eq!((image.seed, image.cached), (None, false), "round {round}");
    }
    let sent = sandbox.requests().into_iter().filter(|q| q.path == "/v1/images/generations").collect::<Vec<_>>();
    assert_eq!(sent.len(), 2, "the second request was sent, not answered from the library");
    assert!(sent[0].body.get("seed").is_none());
    // Candidates without seeds are plain copies: none gets a made-up seed either.
    let three = SettingsDraft { candidates: "3".into(), ..draft.clone() }.validate(&caps).unwrap();
    assert!(three.candidates.iter().all(|c| c.seed == easel_engine::request::Seed::Random && !c.seed_from_person));
}
