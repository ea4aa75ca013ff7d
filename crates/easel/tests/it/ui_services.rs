//! The window with many jobs on many services: each job says where it runs, every picture what
//! it cost (or that the cost is not known), one prompt goes to several models at once and comes
//! back side by side, the library is checked from the settings, jobs waiting for a key say so
//! with the fix one click away, and streamed previews make way for the stored picture.

use crate::ui::{Setup, TestApp, copied_text};
use crate::window::texts;
use easel_engine::provider::ProviderKind;
use easel_engine::store::{JobPhase, NewJob, Store};
use easel_sandbox::Scenario;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;

/// The ModelsLab sandbox charges this much per picture (its default).
const PRICE: &str = "$0.002";

#[test]
fn each_job_says_its_service_and_each_picture_what_it_cost() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.set_field("Prompt", "a fox with a price");
    app.wait_for_text("What this costs is not known before it is made.");
    app.click("Generate");
    app.wait_for_text("Image: a fox with a price");
    let port = app.sandbox.base_url().rsplit(':').next().unwrap().trim_end_matches('/').to_owned();
    app.wait_for_text(&format!(" on ModelsLab at 127.0.0.1:{port}"));
    app.wait_for_text(&format!("Spent today: {PRICE}"));
    // What it cost last time is what the next one should cost: no number is invented before.
    app.wait_for_text(&format!("This should cost about {PRICE}."));

    app.harness.query_all_by_label_contains("Image: a fox with a price").next().unwrap().click_accesskit();
    app.step_until("the viewer", |h| h.query_by_label("Cost").is_some());
    assert!(app.harness.query_by_label(PRICE).is_some(), "the picture's own cost in the viewer: {:?}", texts(&app.harness));
    let stored = app.stored_images();
    assert_eq!(stored[0].cost.as_ref().map(|c| c.amount), Some(0.002), "the library has it too");
    app.harness.check_accessibility();
}

#[test]
fn the_estimate_warns_when_a_batch_could_cost_more_than_the_balance_left() {
    let mut setup = Setup::new(Scenario::Success);
    setup.sandbox_config.starting_balance = 0.003;
    let mut app = TestApp::start(setup);
    app.generate("a first picture that leaves little");
    app.wait_for_text(&format!("This should cost about {PRICE}."));
    app.set_field("Pictures per request", "2");
    app.wait_for_text("This could cost up to $0.004, more than the $0.001 left on your");
    assert_eq!(app.sent().iter().filter(|r| r.path.ends_with("/text2img")).count(), 1, "a warning sends nothing");
}

#[test]
fn copy_as_curl_uses_the_address_of_the_service_the_job_went_to() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    let root = app.sandbox.base_url();
    app.generate("a job on the first server");
    app.switch_to("AUTOMATIC1111 / Forge", "http://127.0.0.1:9");
    app.click("Diagnostics");
    app.step_until("the diagnostics table", |h| h.query_by_label("generate POST /api/v6/images/text2img").is_some());
    app.harness.run_steps(2);
    app.harness.get_by_label("generate POST /api/v6/images/text2img").click();
    app.step_until("the exchange's details", |h| h.query_by_label("Copy as curl").is_some());
    app.harness.get_by_label("Copy as curl").click_accesskit();
    app.harness.step();
    let curl = copied_text(&app.harness).expect("a copied command");
    assert!(curl.contains(&format!("{}/api/v6/images/text2img", root.trim_end_matches('/'))), "{curl}");
    assert!(!curl.contains("127.0.0.1:9/"), "not the service in use now: {curl}");
}

#[test]
fn one_prompt_on_two_models_comes_back_side_by_side_with_their_costs() {
    let mut app = TestApp::start(Setup { more_settings: false, ..Setup::new(Scenario::Success) });
    app.set_field("Prompt", "a hare tried twice");
    app.click("Try on several models…");
    app.step_until("the window", |h| h.query_by_label("Make them all").is_some());
    let models: Vec<String> = ["Model 1 id (any model the service has)", "Model 2 id (any model the service has)"]
        .iter()
        .map(|label| app.harness.get_by_label(label).value().unwrap_or_default())
        .collect();
    assert_ne!(models[0], models[1], "two models to compare: {models:?}");
    app.click("Make them all");
    app.wait_for_text("One prompt on 2 models");
    app.step_until("both pictures", |h| h.query_all_by_label_contains("Image: a hare tried twice").count() >= 2);
    app.step_until("both costs", |h| h.query_all_by_label_contains("Cost: $").count() == 2);
    for model in &models {
        assert!(app.shows(model), "each column names its model: {model}");
    }
    assert!(app.shows("Made in "), "and how long it took");
    let sent: Vec<String> = app.sent().iter().filter_map(|r| r.body["model_id"].as_str().map(str::to_owned)).collect();
    for model in &models {
        assert!(sent.contains(model), "{model} was sent: {sent:?}");
    }

    app.harness.query_all_by_label("Star as the winner").next().unwrap().click_accesskit();
    app.harness.run_steps(2);
    let store = Store::open(app.data.path()).unwrap();
    app.step_until("the winner starred", |_| store.search(&Default::default(), 10, 0).unwrap().iter().any(|i| i.starred));
    app.harness.query_all_by_label("Use these settings").next().unwrap().click_accesskit();
    app.wait_for_text("The prompt panel now holds this image's settings.");
    app.click("« Gallery");
    app.wait_for_text("Gallery");
    app.harness.check_accessibility();
}

#[test]
fn the_library_check_in_settings_says_what_it_found_and_the_picture_says_its_file_is_missing() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.generate("a picture whose file goes away");
    std::fs::remove_file(&app.stored_images()[0].path).unwrap();
    app.open_settings();
    app.click("Check the library");
    app.wait_for_text("1 picture file(s) missing");
    assert!(app.shows("Missing: "), "the file is named");
    app.harness.get_by_role_and_label(Role::Button, "Settings").click_accesskit();
    // The gallery reads the library again after a check that found something: wait for it.
    let label = "Image: a picture whose file goes away";
    app.step_until("the picture listed again", |h| h.query_all_by_label_contains(label).next().is_some());
    app.harness.query_all_by_label_contains(label).next().unwrap().click_accesskit();
    app.wait_for_text("This picture's file is missing.");
}

#[test]
fn jobs_waiting_for_their_key_say_so_and_the_fix_opens_that_services_key_window() {
    let library = tempfile::tempdir().unwrap();
    let store = Store::open(library.path()).unwrap();
    let draft = easel_engine::request::SettingsDraft {
        prompt: "a job left on OpenAI".into(),
        width: "1024".into(),
        height: "1024".into(),
        ..Default::default()
    };
    let openai = ProviderKind::OpenAi.build(None, &Default::default()).unwrap();
    let settings = draft.validate(&openai.capabilities(openai.default_model())).unwrap().candidates.remove(0);
    let base_url = openai.base_url().to_string();
    store.insert_job(&NewJob::new("j-waits", "b-old", "openai", &base_url, &settings)).unwrap();
    let remote: easel_engine::provider::RemoteJob =
        serde_json::from_value(serde_json::json!({"id": "r-1", "fetch_url": null, "eta_seconds": null, "future_links": []})).unwrap();
    store.set_job_phase("j-waits", JobPhase::Processing, Some(&remote), None).unwrap();
    drop(store);

    let mut app = TestApp::start(Setup { library: Some(library), ..Setup::new(Scenario::Success) });
    app.wait_for_text("1 job from last time on OpenAI-compatible waits for the key of that service.");
    app.click("Add the key for OpenAI-compatible");
    app.wait_for_text("Service: OpenAI");
    app.step_until("the key window", |h| h.query_by_label("API key").is_some());
    let store = Store::open(app.data.path()).unwrap();
    assert_eq!(easel_testkit::job_phase(&store, "j-waits"), Some(JobPhase::Processing), "it waits, untouched, for its key");
}

#[test]
fn streamed_previews_make_way_for_the_stored_picture_in_the_jobs_row() {
    let mut app = TestApp::start(Setup { provider: ProviderKind::OpenAi, ..Setup::new(Scenario::Success) });
    app.harness.get_by_role_and_label(Role::ComboBox, "Previews while it works").click_accesskit();
    app.harness.run_steps(2);
    app.harness.get_by_label("2 previews").click_accesskit();
    app.harness.run_steps(2);
    app.generate("a lighthouse seen early");
    app.step_until("the stored picture in the row", |h| h.query_by_label("The picture this job made").is_some());
    assert!(app.harness.query_by_label("A first look at the picture being made").is_none(), "no preview left once it is stored");
    let sent = app.sent().into_iter().find(|r| r.path.ends_with("/images/generations")).expect("a generation");
    assert_eq!((sent.body["stream"].as_bool(), sent.body["partial_images"].as_u64()), (Some(true), Some(2)), "{}", sent.body);
}

#[test]
fn a_model_that_takes_no_strength_offers_none_and_its_notes_are_in_plain_words() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.set_field("Model id (any model the service has)", "some-unlisted-model");
    app.wait_for_text("limits");
    app.set_field("Model id (any model the service has)", "sdxl");
    app.wait_for_text("ModelsLab uses at most 20 steps for community models");

    let start = std::env::temp_dir().join(format!("easel-strength-{}.png", std::process::id()));
    image::RgbaImage::from_pixel(512, 512, image::Rgba([9, 9, 9, 255])).save(&start).unwrap();
    let mut app = TestApp::start(Setup {
        provider: ProviderKind::OpenAi,
        dialogs: crate::ui::FakeDialogs::picking(start.clone()),
        ..Setup::new(Scenario::Success)
    });
    app.click("Start from a picture...");
    app.wait_for_text("This model decides by itself how much to change the picture.");
    assert!(app.harness.query_by_label("Strength").is_none(), "no strength for OpenAI's edits");
    std::fs::remove_file(start).unwrap();
}
