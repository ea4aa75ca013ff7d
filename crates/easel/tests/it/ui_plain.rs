//! The window as a person who does not code meets it: a first screen in plain words that fits
//! a laptop's screen, failures with their fix one click away, retries that ask before they
//! may charge again, a key panel that says what it does, and the sandbox always in reach.

use crate::ui::{FakeDialogs, FakeOpener, Setup, TestApp, copied_text};
use easel_sandbox::Scenario;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use std::sync::Arc;

/// The window's sizes people have: a small laptop, a common screen.
const SIZES: [(f32, f32); 2] = [(1024.0, 640.0), (1366.0, 768.0)];

/// What the first screen must not say: settings for people who know the APIs.
const JARGON: &[&str] = &[
    "Steps",
    "Guidance",
    "Seed",
    "Candidates",
    "Images per request",
    "Model id",
    "Fallback model",
    "Server address",
    "(v7)",
    "ignores negative prompts",
];

fn first_start(size: (f32, f32)) -> TestApp {
    TestApp::start(Setup { more_settings: false, size: egui::vec2(size.0, size.1), ..Setup::new(Scenario::Success) })
}

/// The node labelled `label` (with `role`, if given) lies wholly inside the window.
fn assert_inside(app: &TestApp, role: Option<Role>, label: &str, size: (f32, f32)) {
    let node = match role {
        Some(role) => app.harness.get_by_role_and_label(role, label),
        None => app.harness.get_by_label(label),
    };
    let rect = node.rect();
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size.0, size.1));
    assert!(window.contains_rect(rect), "{label:?} at {rect:?} is not inside the {size:?} window");
}

#[test]
fn the_first_screen_is_in_plain_words_and_fits_a_small_laptop_and_a_common_screen() {
    for size in SIZES {
        let mut app = first_start(size);
        for label in ["Prompt", "Picture shape", "Square", "Portrait", "Landscape", "Model", "How many pictures", "More settings"] {
            assert!(app.harness.query_all_by_label(label).next().is_some(), "{label:?} is on the first screen at {size:?}");
        }
        assert!(app.shows("Detailed, natural-looking pictures"), "one plain line on the chosen model");
        for jargon in JARGON {
            assert!(!app.shows(jargon), "{jargon:?} is not on the first screen at {size:?}");
        }
        assert_inside(&app, Some(Role::Button), "Generate", size);
        for control in
            ["History and presets", "Save selected to folder… (0)", "Clear selection", "Failed jobs", "Settings", "Help", "Diagnostics"]
        {
            assert_inside(&app, None, control, size);
        }
        // Everything else unfolded: the form scrolls, Generate stays in view.
        app.open_more_settings();
        assert!(app.shows("Steps") && app.shows("Fallback model (optional)"));
        assert_inside(&app, Some(Role::Button), "Generate", size);
        app.harness.check_accessibility();
    }
}

#[test]
fn a_picture_shape_is_sent_as_a_size_the_model_makes() {
    let mut app = first_start((1366.0, 768.0));
    app.harness.get_by_label("Portrait").click_accesskit();
    app.harness.run_steps(2);
    app.generate("a tall lighthouse");
    let sent = app.sent().into_iter().find(|r| r.path.ends_with("/text2img")).expect("a generation request");
    assert_eq!((sent.body["width"].as_u64(), sent.body["height"].as_u64()), (Some(512), Some(768)), "{}", sent.body);
}

#[test]
fn the_left_panel_changes_width_only_when_dragged() {
    let mut app = first_start((1024.0, 640.0));
    let before = app.harness.get_by_role_and_label(Role::Button, "Generate").rect();
    app.open_more_settings();
    // A very long model id and a failure about it: nothing may widen the panel.
    app.set_field("Model id (any model the service has)", &"a-very-long-model-name-without-any-spaces".repeat(8));
    app.set_field("Prompt", "");
    app.click("Generate");
    app.harness.run_steps(4);
    let after = app.harness.get_by_role_and_label(Role::Button, "Generate").rect();
    assert!((after.width() - before.width()).abs() < 1.0 && (after.left() - before.left()).abs() < 1.0, "{before:?} became {after:?}");
}

#[test]
fn a_refused_key_shows_what_to_do_in_view_and_change_key_opens_the_key_window() {
    let mut app = TestApp::start(Setup::new(Scenario::Auth401));
    app.set_field("Prompt", "a cat");
    app.click("Generate");
    app.wait_for_text("What to do: ");
    assert!(app.shows("The service did not accept your API key"), "the sentence, without hovering");
    app.click("Change key");
    app.step_until("the key window", |h| h.query_by_label("API key").is_some());
    app.harness.check_accessibility();
}

#[test]
fn add_credits_opens_the_dashboard_and_shows_its_address_when_no_browser_opens() {
    let opener = Arc::new(FakeOpener { fail: true, ..FakeOpener::default() });
    let mut app = TestApp::start(Setup { opener: opener.clone(), ..Setup::new(Scenario::Credits402) });
    app.set_field("Prompt", "a cat");
    app.click("Generate");
    app.wait_for_text("What to do: ");
    app.click("Add credits");
    app.wait_for_text("Easel could not open the page.");
    assert!(app.shows("https://modelslab.com/dashboard"), "the address is there to copy");
    assert_eq!(opener.opened.lock().unwrap().as_slice(), ["https://modelslab.com/dashboard"]);
    app.harness.get_by_role_and_label(Role::Button, "Copy address").click_accesskit();
    app.harness.step();
    assert_eq!(copied_text(&app.harness).as_deref(), Some("https://modelslab.com/dashboard"));
}

#[test]
fn retry_on_a_finished_job_asks_before_it_charges_again() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.generate("a fox to keep");
    app.wait_for_text("done in ");
    let sent = app.sent().len();
    app.click("Retry");
    app.wait_for_text("Make it again?");
    app.click("Keep it as it is");
    assert_eq!(app.sent().len(), sent, "nothing was sent");
    app.click("Retry");
    app.click("Make it again (charged again)");
    app.step_until("the second job", |_| true);
    app.wait_for_text("Jobs running: 0");
    assert!(app.sent().len() > sent, "sent again once the person said so");
}

#[test]
fn test_key_with_an_empty_box_tests_the_key_in_use() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.harness.get_by_role_and_label(Role::Button, "Key …6789 from EASEL_API_KEY (this session only)").click_accesskit();
    app.step_until("the key window", |h| h.query_by_label("Test key").is_some());
    app.click("Test key");
    app.wait_for_text("The key works. Balance: 43.60 USD");
    assert!(!app.shows("The key is empty"));
}

#[test]
fn a_key_the_service_just_refused_is_not_saved_without_a_warning() {
    let secrets = Arc::new(easel_testkit::MemoryStore::default());
    let mut app = TestApp::start(Setup { env_key: None, secrets: secrets.clone(), ..Setup::new(Scenario::Auth401) });
    app.step_until("the welcome", |h| h.query_by_label("Paste your key").is_some());
    app.click("Paste your key");
    app.step_until("the key window", |h| h.query_by_label("API key").is_some());
    app.set_field("API key", "refused-key-0123456789");
    app.click("Test key");
    app.wait_for_text("did not accept your API key");
    app.click("Save to keychain");
    app.wait_for_text("The service refused this key a moment ago.");
    app.click("Don't save it");
    assert_eq!(easel_engine::keys::SecretStore::get(secrets.as_ref(), "modelslab").unwrap(), None, "not saved");
}

#[test]
fn the_sandbox_can_be_entered_again_from_settings_after_leaving_it() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    for _ in 0..2 {
        app.open_settings();
        app.click("Try the sandbox");
        app.step_until("the sandbox", |h| h.query_all_by_label("Leave the sandbox").next().is_some());
        app.harness.get_by_role_and_label(Role::Button, "Leave the sandbox").click_accesskit();
        app.step_until("back on the real service", |h| h.query_by_label("Leave the sandbox").is_none());
    }
}

#[test]
fn search_finds_word_forms() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.generate("a cat on a wall");
    app.set_field("Search", "cats");
    app.harness.run_steps(3);
    app.wait_for_text("Image: a cat on a wall");
    app.set_field("Search", "dogs");
    app.step_until("no match", |h| h.query_by_label_contains("Image: a cat on a wall").is_none());
}

/// A desktop without a file-chooser portal: no dialog could appear, so Easel's own chooser
/// opens, walks to a folder, saves, and asks before it replaces a file.
#[test]
fn without_a_portal_save_as_saves_through_easels_own_chooser_and_asks_before_replacing() {
    let out = tempfile::tempdir().unwrap();
    let dialogs =
        Arc::new(FakeDialogs { available: false, ..Arc::try_unwrap(FakeDialogs::choosing(out.path().join("unused.png"))).ok().unwrap() });
    let mut app = TestApp::start(Setup { dialogs: dialogs.clone(), ..Setup::new(Scenario::Success) });
    app.generate("a fox to keep");
    app.harness.get_by_label_contains("Image: a fox to keep").click_accesskit();
    app.step_until("the viewer", |h| h.query_by_label("Save as…").is_some());

    let save_as = |app: &mut TestApp| {
        app.click("Save as…");
        app.wait_for_text("Save the picture as");
    };
    save_as(&mut app);
    app.set_field("Folder", &out.path().display().to_string());
    app.click("Go");
    app.set_field("File name", "kept");
    app.harness.check_accessibility();
    app.click("Save");
    app.wait_for_text("Saved ");
    assert!(image::open(out.path().join("kept.png")).is_ok(), "a real picture was written");
    assert!(dialogs.offered.lock().unwrap().is_empty(), "the desktop's dialog was never asked for");

    save_as(&mut app);
    app.step_until("the folder it was in last time", |h| h.query_by_label("kept.png").is_some());
    app.set_field("File name", "kept.png");
    app.click("Save");
    app.wait_for_text("kept.png is already there. Replace it?");
    app.click("Keep it, choose another name");
    app.set_field("File name", "another");
    app.click("Save");
    app.step_until("the second file", |_| out.path().join("another.png").is_file());
}

#[test]
fn without_a_portal_a_start_image_is_opened_through_easels_own_chooser() {
    let pictures = tempfile::tempdir().unwrap();
    image::RgbImage::from_pixel(512, 512, image::Rgb([200, 80, 40])).save(pictures.path().join("start.png")).unwrap();
    std::fs::write(pictures.path().join("notes.txt"), "not a picture").unwrap();
    let dialogs =
        Arc::new(FakeDialogs { available: false, ..Arc::try_unwrap(FakeDialogs::picking(pictures.path().join("x.png"))).ok().unwrap() });
    let mut app = TestApp::start(Setup { dialogs, ..Setup::new(Scenario::Success) });
    app.click("Start from a picture...");
    app.wait_for_text("Choose a picture to start from");
    app.set_field("Folder", &pictures.path().display().to_string());
    app.click("Go");
    app.step_until("the picture listed", |h| h.query_by_label("start.png").is_some());
    assert!(!app.shows("notes.txt"), "only pictures are offered");
    app.harness.get_by_label("start.png").click_accesskit();
    app.harness.run_steps(2);
    app.click("Open");
    app.wait_for_text("Start picture 1: start.png");
}

#[test]
fn the_job_list_grows_with_its_jobs_and_no_row_is_cut_in_half() {
    // A panel left to size itself kept the height of the first frame it was drawn in: with
    // three jobs, the second row was cut in half and the third hidden.
    for size in SIZES {
        let mut app = first_start(size);
        for prompt in ["a first lighthouse", "a second lighthouse", "a third lighthouse"] {
            app.generate(prompt);
        }
        app.harness.run_steps(3);
        let gallery = app.harness.get_by_label("Gallery").rect();
        app.harness.run_steps(5);
        assert_eq!(app.harness.get_by_label("Gallery").rect(), gallery, "the list's height settles at {size:?}");
        let rows: Vec<egui::Rect> = app.harness.query_all_by_label_contains(" on ModelsLab at 127.0.0.1").map(|n| n.rect()).collect();
        assert_eq!(rows.len(), 3, "each job's service line at {size:?}");
        for row in &rows {
            assert!(row.bottom() <= gallery.top(), "a job's row at {row:?} runs under the gallery at {gallery:?} ({size:?})");
        }
        assert!(gallery.top() <= size.1 / 3.0 + 60.0, "the list takes at most about a third of the {size:?} window");
    }
}
