//! Editing pictures in the window, driven by label as a person would, against the sandbox:
//! make a picture, press "Edit this picture", paint over part of it with the mouse, type the
//! change, Generate — for ModelsLab, OpenAI and AUTOMATIC1111, checking the mask each service
//! received. Also: Ctrl+V with a picture, several start images (reorder, remove), a mask that
//! marks nothing, Vary, Upscale and Compare.

use crate::ui::{FakeDialogs, Setup, TestApp};
use base64::Engine as _;
use easel_engine::provider::ProviderKind;
use easel_sandbox::Scenario;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use std::sync::Arc;

/// What the gallery calls a picture.
fn label_of(image: &easel_engine::store::ImageRecord) -> String {
    let seed = image.seed.map_or("random".to_owned(), |s| s.to_string());
    format!("Image: {} ({}×{}, seed {seed})", image.prompt, image.width, image.height)
}

pub(crate) fn decode(text: &str) -> image::DynamicImage {
    let text = text.split_once("base64,").map_or(text, |(_, b)| b);
    image::load_from_memory(&base64::engine::general_purpose::STANDARD.decode(text).unwrap()).unwrap()
}

/// Paint one stroke across the painter's picture from `from` to `to`, each a fraction of the
/// picture's width and height, with the mouse. `size` is the picture's size in pixels.
fn paint(app: &mut TestApp, size: (u32, u32), from: (f32, f32), to: (f32, f32)) {
    let area = app.harness.get_by_label_contains(": paint over the part to change").rect();
    let scale = (area.width() / size.0 as f32).min(area.height() / size.1 as f32);
    let picture = egui::Rect::from_center_size(area.center(), egui::vec2(size.0 as f32, size.1 as f32) * scale);
    let at = |(x, y): (f32, f32)| picture.min + egui::vec2(x * picture.width(), y * picture.height());
    app.harness.hover_at(at(from));
    app.harness.step();
    app.harness.drag_at(at(from));
    app.harness.step();
    for i in 1..=8 {
        let t = i as f32 / 8.0;
        app.harness.hover_at(at((from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t)));
        app.harness.step();
    }
    app.harness.drop_at(at(to));
    app.harness.run_steps(2);
}

/// Make a picture from `prompt` and open it in the viewer; its library record.
fn make_and_open(app: &mut TestApp, prompt: &str) -> easel_engine::store::ImageRecord {
    app.generate(prompt);
    let made = app.stored_images().remove(0);
    app.harness.get_by_label_contains(&format!("Image: {prompt}")).click_accesskit();
    app.harness.run_steps(2);
    made
}

/// The provider's model for these tests, and the request its edits go to.
fn edit_setup(kind: ProviderKind) -> (Setup, Option<&'static str>, &'static str) {
    let setup = Setup { provider: kind, ..Setup::new(Scenario::Success) };
    match kind {
        ProviderKind::ModelsLab => (setup, None, "/api/v6/images/inpaint"),
        ProviderKind::OpenAi => (setup, Some("gpt-image-1.5"), "/v1/images/edits"),
        ProviderKind::A1111 => (setup, None, "/sdapi/v1/img2img"),
    }
}

/// The mask a request carried, as white-is-change grey (OpenAI's transparency turned back).
pub(crate) fn received_mask(kind: ProviderKind, body: &serde_json::Value) -> image::GrayImage {
    match kind {
        ProviderKind::ModelsLab => decode(body["mask_image"].as_str().unwrap()).to_luma8(),
        ProviderKind::A1111 => decode(body["mask"].as_str().unwrap()).to_luma8(),
        ProviderKind::OpenAi => {
            let rgba = decode(body["mask"]["base64"].as_str().unwrap()).to_rgba8();
            image::GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| image::Luma([255 - rgba.get_pixel(x, y).0[3]]))
        }
    }
}

#[test]
fn make_a_picture_press_edit_paint_part_of_it_and_get_the_edited_picture_with_every_provider() {
    for kind in [ProviderKind::ModelsLab, ProviderKind::OpenAi, ProviderKind::A1111] {
        let (setup, model, route) = edit_setup(kind);
        let mut app = TestApp::start(setup);
        if let Some(model) = model {
            app.set_field("Model id (any model the service has)", model);
        }
        let made = make_and_open(&mut app, "a quiet harbour");
        app.click("Edit this picture");
        app.wait_for_text(": paint over the part to change");
        assert!(app.shows("Starting from this picture") && app.shows("The whole picture changes."), "{kind:?}");
        // Mark the left third of the picture, top to bottom.
        paint(&mut app, (made.width, made.height), (0.15, 0.1), (0.15, 0.9));
        app.wait_for_text("Only the painted part changes.");
        app.set_field("Prompt", "a lighthouse on the left");
        app.click("Generate");
        app.wait_for_text("Image: a lighthouse on the left");

        let request = app.sandbox.requests().into_iter().find(|r| r.path == route).unwrap_or_else(|| panic!("{kind:?}: no {route}"));
        let mask = received_mask(kind, &request.body);
        let (w, h) = mask.dimensions();
        assert_eq!((w, h), (made.width, made.height), "{kind:?}: the mask is the start image's size");
        assert_eq!(mask.get_pixel(w * 15 / 100, h / 2).0[0], 255, "{kind:?}: changed where the brush went");
        assert_eq!(mask.get_pixel(w * 80 / 100, h / 2).0[0], 0, "{kind:?}: kept elsewhere");
        app.harness.check_accessibility();
    }
}

#[test]
fn a_painting_that_marks_nothing_is_refused_before_anything_is_sent() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    let made = make_and_open(&mut app, "a red door");
    app.click("Edit this picture");
    app.wait_for_text(": paint over the part to change");
    paint(&mut app, (made.width, made.height), (0.5, 0.5), (0.6, 0.6));
    app.click("Clear");
    app.wait_for_text("Nothing is marked: paint over the part to change.");
    let before = app.sent().len();
    app.click("Generate");
    app.wait_for_text("Paint the part to change first");
    assert_eq!(app.sent().len(), before, "nothing was sent");
    app.click("Change the whole picture");
    app.wait_for_text("The whole picture changes.");
    app.click("Generate");
    let sandbox = &app.sandbox;
    let sent = || sandbox.requests().iter().any(|r| r.path == "/api/v6/images/img2img");
    app.window.step_until("the whole picture sent", |_| sent());
    assert!(app.sandbox.requests().iter().all(|r| r.path != "/api/v6/images/inpaint"), "no mask went");
}

#[test]
fn ctrl_v_with_a_picture_on_the_clipboard_sets_the_start_image() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.set_field("Prompt", "the pasted scene at night");
    let pixels = egui::ColorImage::filled([640, 480], egui::Color32::from_rgb(30, 120, 200));
    app.harness.event(egui::Event::PasteImage(Arc::new(pixels)));
    app.wait_for_text("Start picture 1: pasted-picture.png");
    app.click("Generate");
    app.wait_for_text("Image: the pasted scene at night");
    let sent = app.sandbox.requests().into_iter().find(|r| r.path == "/api/v6/images/img2img").expect("img2img");
    let start = decode(sent.body["init_image"].as_str().unwrap());
    assert_eq!((start.width(), start.height()), (640, 480));
    assert!(app.data.path().join("inputs").is_dir(), "the pasted picture is kept with the library");
}

#[test]
fn several_start_images_can_be_reordered_and_removed_and_travel_in_that_order() {
    let pictures = tempfile::tempdir().unwrap();
    let files: Vec<_> = ["red", "green", "blue"]
        .iter()
        .zip([[220, 20, 20], [20, 200, 20], [20, 20, 220]])
        .map(|(name, rgb)| {
            let path = pictures.path().join(format!("{name}.png"));
            image::RgbImage::from_pixel(64, 64, image::Rgb(rgb)).save(&path).unwrap();
            path
        })
        .collect();
    let dialogs = FakeDialogs::picking_in_turn(files);
    let mut app = TestApp::start(Setup { provider: ProviderKind::OpenAi, dialogs, ..Setup::new(Scenario::Success) });
    app.set_field("Model id (any model the service has)", "gpt-image-1.5");
    app.set_field("Prompt", "the three colours in one scarf");
    app.click("Start from a picture...");
    app.wait_for_text("Start picture 1: red.png");
    for (n, name) in [(2, "green"), (3, "blue")] {
        app.click("Add a picture...");
        app.wait_for_text(&format!("Start picture {n}: {name}.png"));
    }
    assert!(app.shows("3 of at most 16"));
    app.click("Move picture 3 earlier");
    app.wait_for_text("Start picture 2: blue.png");
    app.click("Remove picture 1");
    app.wait_for_text("Start picture 1: blue.png");
    assert!(app.shows("Start picture 2: green.png") && !app.shows("red.png"));
    app.harness.check_accessibility();
    app.click("Generate");
    app.wait_for_text("Image: the three colours in one scarf");
    let edit = app.sandbox.requests().into_iter().find(|r| r.path == "/v1/images/edits").unwrap();
    let images = edit.body["image[]"].as_array().expect("two images travel as image[]");
    let colours: Vec<[u8; 3]> = images.iter().map(|i| decode(i["base64"].as_str().unwrap()).to_rgb8().get_pixel(8, 8).0).collect();
    assert_eq!(colours, [[20, 20, 220], [20, 200, 20]], "blue first, then green");
}

#[test]
fn vary_upscale_and_compare_from_the_viewer_and_the_gallery() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    let first = make_and_open(&mut app, "a kite over the sea");

    app.click("Vary");
    app.step_until("the variation", |h| h.query_all_by_label_contains("Image: a kite over the sea").count() >= 2);
    let sent =
        app.sandbox.requests().into_iter().find(|r| r.path == "/api/v6/images/img2img").expect("a variation starts from the picture");
    assert_eq!(sent.body["prompt"], "a kite over the sea");
    assert_eq!(sent.body["strength"].as_f64().map(|s| (s * 100.0).round()), Some(30.0), "a low strength");

    // The variation shows in the gallery; back to the first picture to enlarge it.
    app.harness.get_by_label(&label_of(&first)).click_accesskit();
    app.harness.run_steps(2);
    app.harness.get_by_role_and_label(Role::Button, "Upscale").click_accesskit();
    app.harness.run_steps(2);
    let twice = format!("2× larger ({}×{})", first.width * 2, first.height * 2);
    app.click(&twice);
    let data = app.data.path().to_path_buf();
    let enlarged_stored = move || {
        easel_engine::store::Store::open(&data).unwrap().search(&Default::default(), 10, 0).unwrap().into_iter().any(|i| i.width > 600)
    };
    app.window.step_until("the enlarged picture in the library", |_| enlarged_stored());
    assert!(app.sandbox.requests().iter().any(|r| r.path == "/api/v6/image_editing/super_resolution"));
    let enlarged = app.stored_images().into_iter().find(|i| i.width == first.width * 2).expect("the enlarged picture is in the library");
    assert_eq!(enlarged.prompt, first.prompt);

    // The enlarged picture says what it was made from, and opens it.
    app.wait_for_text(&label_of(&enlarged));
    app.harness.get_by_label(&label_of(&enlarged)).click_accesskit();
    app.harness.run_steps(2);
    app.wait_for_text("Enlarged 2× from");
    app.harness.get_by_label_contains("Made from: Image: a kite over the sea").click_accesskit();
    app.harness.run_steps(2);

    // Compare the first picture with its enlargement.
    app.click("« Gallery");
    for image in [&first, &enlarged] {
        app.harness.get_by_label(&label_of(image)).click_modifiers(egui::Modifiers::COMMAND);
        app.harness.run_steps(2);
    }
    app.click("Compare");
    app.wait_for_text("Comparison of two pictures");
    app.harness.get_by_role_and_label(Role::Button, "Side by side").click_accesskit();
    app.harness.run_steps(2);
    app.harness.check_accessibility();
    app.click("« Gallery");
    assert!(app.harness.query_by_label("Comparison of two pictures").is_none());
}

#[test]
fn openai_cannot_enlarge_and_says_so() {
    let mut app = TestApp::start(Setup { provider: ProviderKind::OpenAi, ..Setup::new(Scenario::Success) });
    app.set_field("Model id (any model the service has)", "gpt-image-1.5");
    app.generate("a small boat");
    app.harness.get_by_label_contains("Image: a small boat").click_accesskit();
    app.harness.run_steps(2);
    let upscale = app.harness.get_by_role_and_label(Role::Button, "Upscale");
    assert!(upscale.accesskit_node().is_disabled(), "OpenAI has no upscaler: nothing to send");
}

#[test]
fn a_loaded_mask_file_is_shown_in_the_painter_and_painting_adds_to_it() {
    let pictures = tempfile::tempdir().unwrap();
    let start = pictures.path().join("wall.png");
    image::RgbImage::from_pixel(512, 384, image::Rgb([200, 80, 40])).save(&start).unwrap();
    let mask = pictures.path().join("left-half.png");
    image::GrayImage::from_fn(512, 384, |x, _| image::Luma([if x < 256 { 255 } else { 0 }])).save(&mask).unwrap();
    let mut app = TestApp::start(Setup { dialogs: FakeDialogs::picking_in_turn(vec![start, mask]), ..Setup::new(Scenario::Success) });
    app.set_field("Prompt", "ivy on the wall");
    app.click("Start from a picture...");
    app.wait_for_text("Start picture 1: wall.png");
    app.click("Load a mask file...");
    app.wait_for_text("Only the part marked in left-half.png changes.");
    app.click("Paint");
    app.wait_for_text(": paint over the part to change");
    app.wait_for_text("The tinted part changes; the rest stays as it is.");
    // A stroke near the right edge, top to bottom, adds to what the file marked.
    paint(&mut app, (512, 384), (0.9, 0.1), (0.9, 0.9));
    app.wait_for_text("Only the painted part changes.");
    app.click("Generate");
    app.wait_for_text("Image: ivy on the wall");
    let request = app.sandbox.requests().into_iter().find(|r| r.path == "/api/v6/images/inpaint").expect("an inpaint request");
    let sent = received_mask(ProviderKind::ModelsLab, &request.body);
    let at = |x: u32| sent.get_pixel(x, 192).0[0];
    assert_eq!((at(100), at(400), at(461)), (255, 0, 255), "the file's left half, nothing in between, and the stroke");
}
