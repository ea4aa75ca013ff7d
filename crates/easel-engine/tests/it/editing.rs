//! Editing pictures through the engine against the sandbox: a phone photo as the start image
//! with every provider (scaled to what the model makes, upright, re-encoded), a painted mask
//! following it, masks that mark nothing refused, and enlarging with ModelsLab and A1111.

use base64::Engine as _;
use easel_engine::provider::ProviderKind;
use easel_engine::request::{GenerationSettings, InitImageRef, SettingsDraft, ValidRequest, inspect_image};
use easel_engine::{Engine, EngineConfig};
use easel_sandbox::{LoggedRequest, Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A 4032×3024 phone photo: fine noise over a gradient, as a camera's JPEG, over 5 MB.
fn phone_photo(dir: &Path) -> PathBuf {
    let path = dir.join("IMG_2041.jpg");
    let pixels = image::RgbImage::from_fn(4032, 3024, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(97) >> 24;
        image::Rgb([(x / 16) as u8 ^ n as u8, (y / 12) as u8, 90u8.wrapping_add(n as u8)])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&pixels).unwrap();
    std::fs::write(&path, jpeg).unwrap();
    path
}

/// A mask painted on the photo at its own size: the left quarter marked.
fn painted_mask(dir: &Path, (w, h): (u32, u32)) -> PathBuf {
    let path = dir.join("painted.png");
    image::GrayImage::from_fn(w, h, |x, _| image::Luma([if x < w / 4 { 255 } else { 0 }])).save(&path).unwrap();
    path
}

fn decode(text: &str) -> image::DynamicImage {
    let text = text.split_once("base64,").map_or(text, |(_, b)| b);
    image::load_from_memory(&base64::engine::general_purpose::STANDARD.decode(text).unwrap()).unwrap()
}

/// The start image and the mask the sandbox received, decoded, for each provider's request.
fn received(kind: ProviderKind, requests: &[LoggedRequest]) -> (image::DynamicImage, Option<image::DynamicImage>) {
    let find = |path: &str| requests.iter().find(|r| r.path == path).map(|r| r.body.clone());
    match kind {
        ProviderKind::ModelsLab => {
            let body = find("/api/v6/images/inpaint").or_else(|| find("/api/v6/images/img2img")).expect("an image-to-image request");
            let mask = body["mask_image"].as_str().map(decode);
            (decode(body["init_image"].as_str().unwrap()), mask)
        }
        ProviderKind::OpenAi => {
            let body = find("/v1/images/edits").expect("an edit");
            (decode(body["image"]["base64"].as_str().unwrap()), body["mask"]["base64"].as_str().map(decode))
        }
        ProviderKind::A1111 => {
            let body = find("/sdapi/v1/img2img").expect("an img2img request");
            (decode(body["init_images"][0].as_str().unwrap()), body["mask"].as_str().map(decode))
        }
    }
}

fn caps_of(kind: ProviderKind, model: &str) -> easel_engine::provider::Capabilities {
    let base = (kind == ProviderKind::OpenAi).then_some("https://api.openai.com/v1");
    kind.build(base, &Default::default()).unwrap().capabilities(model)
}

fn draft_for(kind: ProviderKind, start: &Path, mask: Option<&Path>) -> SettingsDraft {
    let base = match kind {
        ProviderKind::ModelsLab => draft("the same street in the snow"),
        ProviderKind::OpenAi => SettingsDraft {
            prompt: "the same street in the snow".into(),
            model: "gpt-image-1.5".into(),
            width: "1536".into(),
            height: "1024".into(),
            ..Default::default()
        },
        ProviderKind::A1111 => SettingsDraft { model: String::new(), steps: "20".into(), ..draft("the same street in the snow") },
    };
    SettingsDraft {
        init_images: vec![start.display().to_string()],
        mask_image: mask.map(|m| m.display().to_string()).unwrap_or_default(),
        ..base
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_4032_by_3024_phone_photo_works_as_a_start_image_with_every_provider() {
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path());
    assert!(std::fs::metadata(&photo).unwrap().len() > 5_000_000, "bigger than ModelsLab takes");
    let mask = painted_mask(dir.path(), (4032, 3024));
    let facts = inspect_image(&photo).unwrap();
    for (kind, sent) in [(ProviderKind::ModelsLab, (1024, 768)), (ProviderKind::OpenAi, (2048, 1536)), (ProviderKind::A1111, (2048, 1536))]
    {
        let caps = caps_of(kind, draft_for(kind, &photo, None).model.trim());
        let said = facts.note(&caps).unwrap();
        assert_eq!(said, format!("Your 4032×3024 photo will be scaled to {}×{} for this model.", sent.0, sent.1), "{kind:?}");
        for with_mask in [false, true] {
            let d = draft_for(kind, &photo, with_mask.then_some(mask.as_path()));
            let r = run_provider(kind, Scenario::Success, d, Some(CANARY_KEY), |_, _| {}).await;
            r.assert_ok();
            let (start, got_mask) = received(kind, &r.requests());
            assert_eq!((start.width(), start.height()), sent, "{kind:?}: the photo keeps its shape at the model's size");
            assert!(r.requests().iter().all(|q| q.body.to_string().len() < 12_000_000), "{kind:?}: nothing near the photo's size is sent");
            let Some(got_mask) = got_mask else {
                assert!(!with_mask, "{kind:?}: the mask was not sent");
                continue;
            };
            assert_eq!((got_mask.width(), got_mask.height()), sent, "{kind:?}: the mask follows the start image's scaling");
            let (inside, outside) = ((sent.0 / 8, sent.1 / 2), (sent.0 * 3 / 4, sent.1 / 2));
            if kind == ProviderKind::OpenAi {
                let rgba = got_mask.to_rgba8();
                assert_eq!(
                    (rgba.get_pixel(inside.0, inside.1).0[3], rgba.get_pixel(outside.0, outside.1).0[3]),
                    (0, 255),
                    "transparent = change"
                );
            } else {
                let grey = got_mask.to_luma8();
                assert_eq!(
                    (grey.get_pixel(inside.0, inside.1).0[0], grey.get_pixel(outside.0, outside.1).0[0]),
                    (255, 0),
                    "white = change"
                );
            }
        }
    }
    // ModelsLab v7 takes it by URL, at any size: the upload is under 5 MB (this noisy photo
    // is made smaller until it is), and keeps the photo's shape.
    let d = SettingsDraft { model: "seedream-4.5".into(), aspect_ratio: "4:3".into(), ..draft_for(ProviderKind::ModelsLab, &photo, None) };
    let r = run(Scenario::Success, d, |_, _| {}).await;
    r.assert_ok();
    let upload = r.requests().into_iter().find(|q| q.path == "/api/v6/base64_to_url").unwrap();
    let text = upload.body["base64_string"].as_str().unwrap();
    assert!(text.len() / 4 * 3 <= 5_000_000, "{} bytes", text.len() / 4 * 3);
    let uploaded = decode(text);
    let ratio = f64::from(uploaded.width()) / f64::from(uploaded.height());
    assert!((ratio - 4.0 / 3.0).abs() < 0.01, "{}×{}", uploaded.width(), uploaded.height());
}

/// A JPEG whose EXIF says "turn me 90° clockwise", as phones held upright write.
fn turned_photo(dir: &Path) -> PathBuf {
    use image::ImageEncoder as _;
    let path = dir.join("upright.jpg");
    let pixels = image::RgbImage::from_fn(640, 480, |x, _| image::Rgb([if x < 320 { 240 } else { 20 }, 60, 60]));
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90);
    let exif = [b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
    encoder.set_exif_metadata(exif.to_vec()).unwrap();
    encoder.write_image(pixels.as_raw(), 640, 480, image::ExtendedColorType::Rgb8).unwrap();
    std::fs::write(&path, jpeg).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_taken_upright_arrives_upright() {
    let dir = tempfile::tempdir().unwrap();
    let photo = turned_photo(dir.path());
    let facts = inspect_image(&photo).unwrap();
    assert_eq!((facts.width, facts.height), (480, 640), "the size as the picture is seen");
    let r = run(Scenario::Success, draft_for(ProviderKind::ModelsLab, &photo, None), |_, _| {}).await;
    r.assert_ok();
    let (start, _) = received(ProviderKind::ModelsLab, &r.requests());
    assert_eq!((start.width(), start.height()), (480, 640));
    assert!(start.to_rgb8().get_pixel(240, 40).0[0] > 200, "what was the left is now the top");
    assert_eq!((r.images()[0].width, r.images()[0].height), (480, 640), "the result is upright too");
}

#[test]
fn a_mask_that_marks_nothing_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start.png");
    image::RgbImage::from_pixel(320, 256, image::Rgb([9, 9, 9])).save(&start).unwrap();
    let blank = dir.path().join("blank.png");
    image::GrayImage::new(320, 256).save(&blank).unwrap();
    let caps = caps_of(ProviderKind::ModelsLab, "sdxl");
    let d = SettingsDraft { init_images: vec![start.display().to_string()], mask_image: blank.display().to_string(), ..draft("a door") };
    let err = d.validate(&caps).unwrap_err();
    assert!(err.fields["mask_image"][0].starts_with("Paint the part to change first"), "{:?}", err.fields);
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xFF\xD8\xFF\xE0 then nothing").unwrap();
    let d = SettingsDraft { init_images: vec![broken.display().to_string()], ..draft("x") };
    let said = &d.validate(&caps).unwrap_err().fields["init_image"][0];
    assert!(said.starts_with("broken.jpg cannot be used: "), "names the file and the reason: {said}");
}

/// Enlarge the picture at `source` with `kind`'s upscaler, through a fresh engine.
async fn enlarge(
    kind: ProviderKind,
    scenario: Scenario,
    source: &Path,
    factor: u32,
) -> (Sandbox, Vec<easel_engine::JobOutcome>, tempfile::TempDir) {
    let sandbox = Sandbox::start(SandboxConfig::new(scenario)).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(data.path().to_path_buf(), kind);
    config.base_url = Some(sandbox.base_url());
    config.policy = quick_policy();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let engine = Engine::new(config, Arc::new(move |e| sink.lock().unwrap().push(e))).unwrap();
    let facts = inspect_image(source).unwrap();
    let reference = InitImageRef { path: source.to_path_buf(), sha256: facts.sha256, width: facts.width, height: facts.height };
    let upscaler = engine.provider().upscaler().expect("this service enlarges");
    let settings = GenerationSettings::upscale_of(reference, "a lighthouse at dusk", factor, &upscaler).unwrap();
    let key = easel_engine::keys::ApiKey::parse(CANARY_KEY).unwrap();
    let outcomes = engine.run(ValidRequest { candidates: vec![settings] }, Some(key)).await;
    (sandbox, outcomes, data)
}

#[tokio::test(flavor = "multi_thread")]
async fn modelslab_and_a1111_enlarge_a_picture_into_a_new_library_image_linked_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("lighthouse.png");
    image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([x as u8, y as u8, 200])).save(&source).unwrap();
    let sha = inspect_image(&source).unwrap().sha256;
    for (kind, scenario, route) in [
        (ProviderKind::ModelsLab, Scenario::Success, "/api/v6/image_editing/super_resolution"),
        (ProviderKind::ModelsLab, Scenario::Processing, "/api/v6/image_editing/fetch/"),
        (ProviderKind::A1111, Scenario::Success, "/sdapi/v1/extra-single-image"),
    ] {
        let (sandbox, outcomes, data) = enlarge(kind, scenario, &source, 2).await;
        let outcome = &outcomes[0];
        assert!(outcome.error.is_none(), "{kind:?}/{scenario}: {:?}", outcome.error);
        let image = &outcome.images[0];
        assert_eq!((image.width, image.height), (192, 128), "{kind:?}/{scenario}");
        let paths: Vec<String> = sandbox.requests().iter().map(|r| r.path.clone()).collect();
        assert!(paths.iter().any(|p| p.starts_with(route)), "{kind:?}/{scenario}: {paths:?}");
        if kind == ProviderKind::ModelsLab {
            assert_eq!(paths[0], "/api/v6/base64_to_url", "the picture is uploaded first: super resolution takes a URL");
        }
        let store = easel_engine::store::Store::open(data.path()).unwrap();
        let settings = store.image_settings(image.id).unwrap().unwrap();
        assert_eq!(settings.upscale.map(|u| u.factor), Some(2));
        assert_eq!(settings.init_images[0].sha256, sha, "linked to the picture it was made from");
        assert_eq!(image.prompt, "a lighthouse at dusk", "found by the same words");
    }
}
