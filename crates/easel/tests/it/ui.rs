//! The window, driven by label like a person would, against the sandbox on 127.0.0.1.
//!
//! No display is needed: egui_kittest runs the app headless and reads its accessibility tree.
//! Each test builds its own tokio runtime (the engine and the sandbox run there) and steps the
//! UI from the test thread until a condition holds, with a deadline.

use crate::window::{DEADLINE, Window, texts};
use base64::Engine as _;
use easel::app::{Deps, DialogReply, Dialogs, EaselApp, Opener};
use easel_engine::keys::{ApiKey, SecretStore, StoreError};
use easel_engine::provider::ProviderKind;
use easel_engine::store::Store;
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::MemoryStore;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const KEY: &str = "sandbox-key-0123456789";

/// A save dialog that "chooses" a fixed path at once, and remembers the name it was offered.
pub(crate) struct FakeDialogs {
    /// Whether the desktop can show these dialogs (no portal: false).
    pub(crate) available: bool,
    pub(crate) choose: PathBuf,
    pub(crate) offered: Mutex<Vec<String>>,
    /// The files "picked" by the open dialog, in turn; the last one again and again.
    pub(crate) picks: Mutex<Vec<PathBuf>>,
}

impl FakeDialogs {
    pub(crate) fn choosing(path: PathBuf) -> Arc<Self> {
        Arc::new(Self { available: true, choose: path, offered: Mutex::new(Vec::new()), picks: Mutex::default() })
    }

    pub(crate) fn picking(file: PathBuf) -> Arc<Self> {
        Self::picking_in_turn(vec![file])
    }

    pub(crate) fn picking_in_turn(files: Vec<PathBuf>) -> Arc<Self> {
        Arc::new(Self {
            available: true,
            choose: std::env::temp_dir().join("easel-ui-test-unused.png"),
            offered: Mutex::new(Vec::new()),
            picks: Mutex::new(files),
        })
    }
}

impl Dialogs for FakeDialogs {
    fn save_file(&self, default_name: &str, reply: DialogReply) {
        self.offered.lock().unwrap().push(default_name.to_owned());
        reply(Some(self.choose.clone()));
    }
    fn pick_folder(&self, reply: DialogReply) {
        reply(Some(self.choose.clone()));
    }
    fn available(&self) -> bool {
        self.available
    }
    fn pick_file(&self, reply: DialogReply) {
        let mut picks = self.picks.lock().unwrap();
        let pick = if picks.len() > 1 { Some(picks.remove(0)) } else { picks.first().cloned() };
        drop(picks);
        reply(pick);
    }
}

/// No key window is open.
fn h_no_key_panel(app: &TestApp) -> bool {
    app.harness.query_by_label("API key").is_none()
}

/// What a test starts with.
pub(crate) struct Setup {
    pub(crate) scenario: Scenario,
    /// Anything else about the sandbox (its scenario is `scenario`).
    pub(crate) sandbox_config: SandboxConfig,
    /// The key "from EASEL_API_KEY" (passed in, never read from the environment).
    pub(crate) env_key: Option<&'static str>,
    pub(crate) secrets: Arc<MemoryStore>,
    pub(crate) dialogs: Arc<dyn Dialogs>,
    /// A data folder that already holds a library (a fresh one otherwise).
    pub(crate) library: Option<tempfile::TempDir>,
    pub(crate) provider: ProviderKind,
    /// As `easel gui --api-key-header`.
    pub(crate) api_key_header: bool,
    /// Unfold "More settings" at the start (the tests of those fields); folded as on a first start otherwise.
    pub(crate) more_settings: bool,
    /// The window's size.
    pub(crate) size: egui::Vec2,
    /// What opens links and folders.
    pub(crate) opener: Arc<dyn Opener>,
    /// Desktop notifications (none, unless the test is about them).
    pub(crate) notifier: Arc<dyn easel::app::Notifier>,
}

impl Setup {
    pub(crate) fn new(scenario: Scenario) -> Self {
        Self {
            scenario,
            sandbox_config: SandboxConfig::new(scenario),
            env_key: Some(KEY),
            secrets: Arc::new(MemoryStore::default()),
            dialogs: FakeDialogs::choosing(std::env::temp_dir().join("easel-ui-test-unused.png")),
            library: None,
            provider: ProviderKind::ModelsLab,
            api_key_header: false,
            more_settings: true,
            size: egui::vec2(1280.0, 800.0),
            opener: Arc::new(FakeOpener::default()),
            notifier: Arc::new(easel::app::NoNotifier),
        }
    }
}

/// An opener that opens nothing: it remembers what it was asked to open, and can fail as a
/// computer without a browser does.
#[derive(Default)]
pub struct FakeOpener {
    pub opened: Mutex<Vec<String>>,
    pub fail: bool,
}

impl Opener for FakeOpener {
    fn open(&self, target: &str) -> Result<(), String> {
        self.opened.lock().unwrap().push(target.to_owned());
        if self.fail { Err("This computer has nothing Easel can open it with (xdg-open is missing).".to_owned()) } else { Ok(()) }
    }
}

/// The window under test, with its sandbox, data folder and runtime.
/// Fields drop in order: the window first, the runtime last.
pub(crate) struct TestApp {
    pub(crate) window: Window,
    pub(crate) sandbox: Sandbox,
    pub(crate) data: tempfile::TempDir,
    pub(crate) _runtime: tokio::runtime::Runtime,
}

impl std::ops::Deref for TestApp {
    type Target = Window;
    fn deref(&self) -> &Window {
        &self.window
    }
}

impl std::ops::DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut Window {
        &mut self.window
    }
}

impl TestApp {
    /// What the window sent besides reading the model list (which it does on its own).
    pub(crate) fn sent(&self) -> Vec<easel_sandbox::LoggedRequest> {
        self.sandbox.requests().into_iter().filter(|r| r.path != "/api/v4/dreambooth/model_list").collect()
    }

    pub(crate) fn start(setup: Setup) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let sandbox = runtime.block_on(Sandbox::start(SandboxConfig { scenario: setup.scenario, ..setup.sandbox_config })).unwrap();
        let data = setup.library.unwrap_or_else(|| tempfile::tempdir().unwrap());
        let deps = Deps {
            runtime: runtime.handle().clone(),
            secrets: setup.secrets,
            dialogs: setup.dialogs,
            data_dir: data.path().to_path_buf(),
            provider: setup.provider,
            base_url: Some(match setup.provider {
                ProviderKind::OpenAi => format!("{}/v1", sandbox.base_url()),
                _ => sandbox.base_url(),
            }),
            env_key: Ok(setup.env_key.map(|k| ApiKey::parse(k).unwrap())),
            api_key_header: setup.api_key_header,
            opener: setup.opener,
            notifier: setup.notifier,
        };
        let harness = Harness::builder().with_size(setup.size).build_eframe(|cc| EaselApp::new(cc, deps));
        let mut app = Self { window: Window { harness }, sandbox, data, _runtime: runtime };
        app.harness.run_steps(3);
        if setup.more_settings {
            app.open_more_settings();
        }
        app
    }

    /// Pick another service in the provider picker, at `base_url`, and wait for the switch.
    pub(crate) fn switch_to(&mut self, provider: &str, base_url: &str) {
        self.open_settings();
        self.harness.get_by_role_and_label(Role::RadioButton, provider).click_accesskit();
        self.harness.run_steps(2);
        self.set_field("Server address", base_url);
        self.click("Use this service");
        self.wait_for_text(&format!("Service: {provider}"));
        self.harness.run_steps(2);
        self.open_more_settings();
    }

    /// What the prompt box holds.
    fn prompt_text(&self) -> String {
        self.harness.get_by_label("Prompt").value().unwrap_or_default()
    }

    /// The images the engine stored in the data folder.
    pub(crate) fn stored_images(&self) -> Vec<easel_engine::store::ImageRecord> {
        Store::open(self.data.path()).unwrap().search(&Default::default(), 10, 0).unwrap()
    }
}

#[test]
fn a_pasted_key_is_saved_to_the_keychain_and_the_window_says_so() {
    let secrets = Arc::new(MemoryStore::default());
    let mut app = TestApp::start(Setup { env_key: None, secrets: secrets.clone(), ..Setup::new(Scenario::Success) });
    app.step_until("the welcome (no key was found)", |h| h.query_by_label("Paste your key").is_some());
    assert!(h_no_key_panel(&app), "no key window pops up over the welcome page");
    app.click("Paste your key");
    app.step_until("the key panel", |h| h.query_by_label("API key").is_some());
    app.harness.check_accessibility();

    app.set_field("API key", "  pasted-key-0123456789\n");
    app.click("Test key");
    app.wait_for_text("The key works. Balance: 43.60 USD");
    app.click("Save to keychain");
    app.wait_for_text("Saved to the system keychain.");

    // Each server has its own entry: this is the sandbox's, not ModelsLab's usual one.
    let account = easel_engine::ServiceSpec::at(ProviderKind::ModelsLab, Some(app.sandbox.base_url())).key_account();
    let saved = secrets.get(&account).unwrap();
    assert_eq!(saved, Some(ApiKey::parse("pasted-key-0123456789").unwrap()), "trimmed and stored");
    assert_eq!(secrets.get("modelslab").unwrap(), None, "never under another server's name");
    assert!(app.shows("saved in the system keychain"), "the status bar names where the key lives");
}

#[test]
fn a_keychain_that_is_unavailable_is_said_plainly_and_never_reported_as_saved() {
    let secrets = Arc::new(MemoryStore::default());
    *secrets.fail_with.lock().unwrap() = Some(StoreError::Unavailable("no secret service is running".into()));
    let mut app = TestApp::start(Setup { env_key: None, secrets: secrets.clone(), ..Setup::new(Scenario::Success) });
    app.step_until("the welcome", |h| h.query_by_label("Paste your key").is_some());
    app.click("Paste your key");
    app.step_until("the key panel", |h| h.query_by_label("API key").is_some());

    app.set_field("API key", "pasted-key-0123456789");
    app.click("Save to keychain");
    app.wait_for_text("The key was not saved. This computer has no keychain Easel can use");
    assert!(!app.shows("no secret service is running"), "the system's own words stay in the log");
    assert!(!app.shows("Saved to the system keychain"), "never claim a save that did not happen");
    assert!(app.harness.query_by_label("Use for this session only").is_some());

    app.click("Use for this session only");
    app.wait_for_text("this session only (not saved)");
    *secrets.fail_with.lock().unwrap() = None;
    assert_eq!(secrets.get("modelslab").unwrap(), None, "nothing was written");
}

#[test]
fn generate_puts_the_image_in_the_gallery_and_on_disk() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    assert!(app.harness.get_by_label("Prompt").is_focused(), "the prompt box has focus when the window opens");
    assert!(app.shows("from EASEL_API_KEY (this session only)"));

    app.generate("a red fox in snow");

    let images = app.stored_images();
    assert_eq!(images.len(), 1);
    assert!(images[0].path.starts_with(app.data.path()) && images[0].path.is_file(), "{}", images[0].path.display());
    app.wait_for_text("done"); // the job row; the image event comes just before the end
    app.harness.check_accessibility();
}

#[test]
fn a_rate_limit_counts_down_and_then_the_image_arrives() {
    let mut app = TestApp::start(Setup::new(Scenario::RateLimited));
    app.set_field("Prompt", "a lighthouse at dusk");
    app.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);

    app.step_until("the rate-limit countdown", |h| {
        h.query_all_by(|node| {
            let text = node.label().or_else(|| node.value());
            text.is_some_and(|t| t.starts_with("waiting ") && t.ends_with(" s (rate limit)"))
        })
        .next()
        .is_some()
    });
    app.wait_for_text("Image: a lighthouse at dusk");
    assert_eq!(app.sandbox.rate_limited_count(), 2);
}

#[test]
fn a_refused_key_is_explained_and_its_exchange_is_in_the_diagnostics_pane() {
    let mut app = TestApp::start(Setup::new(Scenario::Auth401));
    app.set_field("Prompt", "a cat");
    app.click("Generate");
    app.wait_for_text("failed after ");
    assert!(app.shows("did not accept your API key"), "the plain message, not a status code");

    app.click("Diagnostics");
    app.step_until("the diagnostics table", |h| h.query_by_label("Request id").is_some());
    // The model list asked at start-up may have been refused too: its exchange has a row of its own.
    assert!(app.harness.query_by_label("generate POST /api/v6/images/text2img").is_some(), "the generation has its row");
    assert!(app.harness.query_all_by_label("401").count() >= 1, "the row shows HTTP 401");
    assert!(app.shows("• failed"));

    app.harness.run_steps(2);
    app.harness.get_by_label("generate POST /api/v6/images/text2img").click();
    app.step_until("the exchange's details", |h| h.query_by_label("Copy as curl").is_some());
    app.harness.check_accessibility();
    app.harness.get_by_label("Copy as curl").click_accesskit();
    app.harness.step();
    let copied = copied_text(&app.harness).expect("a curl command was copied");
    assert!(copied.contains("$EASEL_API_KEY") && !copied.contains(KEY), "{copied}");
}

#[test]
fn an_invalid_width_is_explained_at_the_field_and_nothing_is_sent() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.set_field("Prompt", "a tiny house");
    app.set_field("Width", "100");
    app.click("Generate");
    app.harness.run_steps(3);

    let message = app.harness.get_by_label_contains("Width must be from 256 to 1024 pixels (it is 100).");
    let field = app.harness.get_by_label("Width");
    let (message, field) = (message.rect(), field.rect());
    assert!(message.top() >= field.bottom() && message.top() - field.bottom() < 40.0, "{message:?} right under {field:?}");
    assert!(message.left() < field.right() && field.left() < message.right(), "{message:?} lines up with {field:?}");
    assert!(app.sent().is_empty(), "an invalid draft sends nothing");
}

#[test]
fn save_as_goes_through_the_dialog_seam_and_writes_a_valid_png() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("my fox.png");
    let dialogs = FakeDialogs::choosing(target.clone());
    let mut app = TestApp::start(Setup { dialogs: dialogs.clone(), ..Setup::new(Scenario::Success) });
    app.generate("a fox to keep");

    app.harness.get_by_label_contains("Image: a fox to keep").click_accesskit();
    app.step_until("the viewer", |h| h.query_by_label("Save as…").is_some());
    app.harness.check_accessibility();
    app.click("Save as…");
    app.wait_for_text("Saved ");

    assert_png(&target, 512, 512);
    let bytes = std::fs::read(&target).unwrap();
    let parameters = easel_engine::export::read_png_text(&bytes, "parameters").expect("settings are embedded by default");
    assert!(parameters.starts_with("a fox to keep"), "{parameters}");
    let offered = dialogs.offered.lock().unwrap().clone();
    assert!(offered.len() == 1 && offered[0].ends_with(".png"), "a default name was offered: {offered:?}");
}

#[test]
fn switching_provider_keeps_the_prompt_and_shows_only_what_each_provider_supports() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    let root = app.sandbox.base_url();
    app.set_field("Prompt", "a kite over hills");
    assert!(app.shows("Service: ModelsLab"));

    app.switch_to("AUTOMATIC1111 / Forge", &root);
    assert_eq!(app.prompt_text(), "a kite over hills", "the prompt survives the switch");
    assert!(app.harness.query_by_label("Steps").is_some(), "A1111 has steps");
    assert!(app.harness.query_by_label("Negative prompt (what to avoid)").is_some(), "and a negative prompt");
    // The new provider's key is looked up off the UI thread; the ModelsLab key from
    // EASEL_API_KEY must not be carried over.
    app.wait_for_text("No key (none needed)");
    app.wait_for_text("models on the server."); // the model picker filled from sd-models, off the UI thread
    app.harness.check_accessibility();

    app.click("Generate");
    app.wait_for_text("Image: a kite over hills");
    let sent = app.sandbox.requests();
    let txt2img = sent.iter().find(|r| r.path == "/sdapi/v1/txt2img").expect("A1111 txt2img was called");
    assert!(!txt2img.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("authorization")), "no key was sent: {:?}", txt2img.headers);

    app.switch_to("OpenAI-compatible", &format!("{root}/v1"));
    assert_eq!(app.prompt_text(), "a kite over hills");
    assert!(app.harness.query_by_label("Steps").is_none(), "OpenAI has no steps");
    assert!(app.harness.query_by_label("Guidance").is_none(), "nor guidance");
    assert!(app.harness.query_by_label("Negative prompt (what to avoid)").is_none(), "nor a negative prompt");
    assert!(app.harness.query_by_label("Width").is_none(), "GPT Image 2.6 Sunburst, the default, makes only its exact sizes");
    assert!(app.harness.query_by_label("Size").is_some(), "from a list: the size presets");
    app.set_field("Model id (any model the service has)", "gpt-image-2.5-sunburst");
    assert!(app.harness.query_by_label("Width").is_some(), "GPT Image 2.5 Sunburst makes any size within its rules");
    app.harness.check_accessibility();

    app.switch_to("AUTOMATIC1111 / Forge", &root);
    assert!(app.harness.query_by_label("Negative prompt (what to avoid)").is_some(), "the negative prompt returns");
    assert_eq!(app.prompt_text(), "a kite over hills");
}

#[test]
fn switching_service_while_a_job_runs_is_allowed_and_the_job_finishes() {
    let mut setup = Setup::new(Scenario::Processing);
    setup.sandbox_config.job_duration = Duration::from_secs(2);
    let mut app = TestApp::start(setup);
    let root = app.sandbox.base_url();
    app.set_field("Prompt", "a boat that keeps sailing");
    app.click("Generate");
    app.step_until("the job being made", |h| texts(h).iter().any(|t| t.starts_with("being made")));

    app.switch_to("AUTOMATIC1111 / Forge", &root);
    assert!(app.shows("Service: AUTOMATIC1111 / Forge"), "switched while the job runs");
    app.wait_for_text("Image: a boat that keeps sailing");
    let sent = app.sandbox.requests();
    assert!(sent.iter().any(|r| r.path.contains("/fetch")), "the ModelsLab job was fetched on ModelsLab");
    assert_eq!(sent.iter().filter(|r| r.path.ends_with("/text2img")).count(), 1, "and never resubmitted");
    assert!(!sent.iter().any(|r| r.path == "/sdapi/v1/txt2img"), "nothing went to the new service by itself");
    assert_eq!(app.stored_images().len(), 1);
    assert_eq!(app.stored_images()[0].provider, "modelslab", "the job kept its own service");

    // The next job goes to the new service.
    app.set_field("Prompt", "a kite on the new service");
    app.click("Generate");
    app.wait_for_text("Image: a kite on the new service");
    assert!(app.sandbox.requests().iter().any(|r| r.path == "/sdapi/v1/txt2img"));
}

#[test]
fn a_lan_server_over_plain_http_is_noted_and_a_remote_one_is_refused() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.open_settings();
    app.harness.get_by_role_and_label(Role::RadioButton, "AUTOMATIC1111 / Forge").click_accesskit();
    app.harness.run_steps(2);
    assert_eq!(app.harness.get_by_label("Server address").value().as_deref(), Some("http://127.0.0.1:7860"), "its default");
    app.set_field("Server address", "http://192.168.1.20:7860");
    assert!(app.shows("192.168.1.20 is on your local network over plain http"));
    assert!(!app.harness.get_by_role_and_label(Role::Button, "Use this service").accesskit_node().is_disabled());

    app.harness.get_by_role_and_label(Role::RadioButton, "ModelsLab").click_accesskit();
    app.harness.run_steps(2);
    app.set_field("Server address", "http://192.168.1.20:7860");
    assert!(app.shows("use https://"), "ModelsLab keys never cross the network unencrypted");
    assert!(app.harness.get_by_role_and_label(Role::Button, "Use this service").accesskit_node().is_disabled());
    assert!(app.sent().is_empty(), "nothing switched, nothing sent");
}

#[test]
fn a_model_that_takes_an_aspect_ratio_gets_an_aspect_ratio_picker_instead_of_a_size() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    assert!(app.harness.query_by_label("Width").is_some());
    assert!(app.harness.query_by_label("Aspect ratio").is_none());
    app.set_field("Model id (any model the service has)", "imagen-4");
    app.harness.run_steps(2);
    assert!(app.harness.query_by_role_and_label(Role::ComboBox, "Aspect ratio").is_some());
    assert!(app.harness.query_by_label("Width").is_none() && app.harness.query_by_label("Height").is_none());
    assert!(app.harness.query_by_label("Negative prompt (what to avoid)").is_none(), "imagen-4 takes none");
    assert!(app.harness.query_by_label("Start from a picture...").is_none(), "Imagen has no image-to-image");
    app.set_field("Model id (any model the service has)", "seedream-4.5");
    app.harness.run_steps(2);
    assert!(app.harness.query_by_label("Start from a picture...").is_some(), "Seedream edits (uploaded first on v7)");
    app.harness.check_accessibility();
}

#[test]
fn image_to_image_sends_the_picked_file_to_img2img() {
    let pictures = tempfile::tempdir().unwrap();
    let start = pictures.path().join("start.png");
    image::RgbImage::from_pixel(512, 512, image::Rgb([200, 80, 40])).save(&start).unwrap();
    let mut app = TestApp::start(Setup { dialogs: FakeDialogs::picking(start), ..Setup::new(Scenario::Success) });

    app.set_field("Prompt", "the same scene at night");
    app.click("Start from a picture...");
    app.wait_for_text("Start picture 1: start.png");
    assert!(app.harness.query_by_role_and_label(Role::Slider, "Strength").is_some(), "a strength slider");
    assert!(app.harness.query_by_role_and_label(Role::Button, "Remove").is_some(), "and a way to stop using it");
    app.harness.check_accessibility();

    app.click("Generate");
    app.wait_for_text("Image: the same scene at night");
    let paths: Vec<String> = app.sandbox.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.iter().any(|p| p == "/api/v6/images/img2img"), "{paths:?}");
    assert!(!paths.iter().any(|p| p == "/api/v6/images/text2img"), "{paths:?}");
}

/// Inpainting from the window with a mask file: a start image, then a mask that repaints part
/// of it (of any size, as long as it has the picture's shape). A mask of another shape is
/// explained at its field before anything is sent.
#[test]
fn a_mask_repaints_only_part_of_the_start_image() {
    let pictures = tempfile::tempdir().unwrap();
    let start = pictures.path().join("room.png");
    image::RgbImage::from_pixel(512, 384, image::Rgb([200, 80, 40])).save(&start).unwrap();
    let square = pictures.path().join("square-mask.png");
    image::GrayImage::from_pixel(256, 256, image::Luma([255])).save(&square).unwrap();
    let mask = pictures.path().join("window-mask.png");
    image::GrayImage::from_fn(256, 192, |x, _| image::Luma([if x < 128 { 255 } else { 0 }])).save(&mask).unwrap();
    let dialogs = FakeDialogs::picking_in_turn(vec![start, square, mask]);
    let mut app = TestApp::start(Setup { dialogs, ..Setup::new(Scenario::Success) });

    app.set_field("Prompt", "a window in the left wall");
    app.click("Start from a picture...");
    app.wait_for_text("Start picture 1: room.png");
    assert!(app.shows("The whole picture changes."));
    app.click("Load a mask file...");
    app.wait_for_text("Only the part marked in square-mask.png changes.");
    app.wait_for_text("The mask is 256×256 pixels but the start image is 512×384");
    app.click("Generate");
    assert!(app.sent().is_empty(), "a mask of another shape sends nothing");

    app.click("Change the whole picture");
    app.click("Load a mask file...");
    app.wait_for_text("Only the part marked in window-mask.png changes.");
    assert!(!app.shows("The mask is 256×256"), "the new mask fits: half the size, the same shape");
    app.harness.check_accessibility();
    app.click("Generate");
    app.wait_for_text("Image: a window in the left wall");
    let inpaint = app.sandbox.requests().into_iter().find(|r| r.path == "/api/v6/images/inpaint").expect("an inpaint request");
    let sent =
        image::load_from_memory(&base64::engine::general_purpose::STANDARD.decode(inpaint.body["mask_image"].as_str().unwrap()).unwrap())
            .unwrap()
            .to_luma8();
    assert_eq!(sent.dimensions(), (512, 384), "the mask follows the start image's size");
    assert_eq!((sent.get_pixel(100, 200).0[0], sent.get_pixel(400, 200).0[0]), (255, 0));

    // Removing the start image removes its mask too.
    app.click("Remove");
    assert!(!app.shows("window-mask.png") && !app.shows("Start picture 1: room.png"));
}

/// `easel gui --provider openai --api-key-header`: the window sends the key the Azure way.
#[test]
fn the_api_key_header_option_from_the_command_line_reaches_the_window() {
    let mut app = TestApp::start(Setup { provider: ProviderKind::OpenAi, api_key_header: true, ..Setup::new(Scenario::Success) });
    app.set_field("Model id (any model the service has)", "gpt-image-2");
    app.generate("a kite in the style of a blueprint");
    let sent = app.sandbox.requests().into_iter().find(|r| r.path == "/v1/images/generations").unwrap();
    let header = |name: &str| sent.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(header("api-key").as_deref(), Some(KEY));
    assert_eq!(header("authorization"), None, "no Bearer as well");
}

/// A file dropped on the window, as the windowing backend would hand it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_picture_dropped_on_the_window_becomes_the_start_image() {
    let pictures = tempfile::tempdir().unwrap();
    let start = pictures.path().join("dropped.png");
    image::RgbImage::from_pixel(512, 512, image::Rgb([20, 80, 200])).save(&start).unwrap();
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.set_field("Prompt", "the dropped scene in autumn");
    app.harness.input_mut().dropped_files.push(Arc::new(Dropped(start)));
    app.wait_for_text("Start picture 1: dropped.png");

    app.click("Generate");
    app.wait_for_text("Image: the dropped scene in autumn");
    assert!(app.sandbox.requests().iter().any(|r| r.path == "/api/v6/images/img2img"));
}

#[test]
fn a_start_image_that_is_not_an_image_is_explained_and_not_used() {
    let pictures = tempfile::tempdir().unwrap();
    let fake = pictures.path().join("notes.png");
    std::fs::write(&fake, "these are notes, not a picture").unwrap();
    let mut app = TestApp::start(Setup { dialogs: FakeDialogs::picking(fake), ..Setup::new(Scenario::Success) });
    app.set_field("Prompt", "a boat");
    app.click("Start from a picture...");
    app.wait_for_text("notes.png cannot be used: it is not a PNG, JPEG or WebP picture");
    assert!(!app.shows("Start picture 1"), "an unusable picture is not used");
    app.click("Generate");
    app.wait_for_text("Image: a boat");
    assert!(app.sandbox.requests().iter().all(|r| r.path != "/api/v6/images/img2img"), "made from words");
}

#[test]
fn try_the_sandbox_from_the_welcome_makes_a_test_image_and_says_so() {
    let mut app = TestApp::start(Setup { env_key: None, ..Setup::new(Scenario::Success) });
    app.step_until("the welcome", |h| h.query_by_label("Try the sandbox").is_some());
    assert!(app.shows("Step 1: Get an API key") && app.shows("Step 3: Try a first prompt"));
    assert!(app.harness.query_by_label("Open the ModelsLab key page").is_some(), "a link to the key page");
    app.harness.check_accessibility();

    app.click("Try the sandbox");
    app.step_until("the sandbox in the status bar", |h| h.query_by_label("Leave the sandbox").is_some());
    app.generate("a test pattern");
    assert!(app.shows("Sandbox: test patterns, no real images, no credits"));
    assert!(app.sent().is_empty(), "the built-in sandbox answered, not the test's one");
    assert_eq!(app.stored_images().len(), 1);

    // The keychain holds the real service's key under the same name: in the sandbox, saving
    // and forgetting are off.
    app.harness.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.starts_with("Key "))).click_accesskit();
    app.step_until("the key panel", |h| h.query_by_role_and_label(Role::Button, "Forget key").is_some());
    for button in ["Save to keychain", "Forget key"] {
        assert!(app.harness.get_by_role_and_label(Role::Button, button).accesskit_node().is_disabled(), "{button}");
    }
}

#[test]
fn the_troubleshooting_page_lists_every_error_category() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.click("Help");
    app.step_until("the troubleshooting table", |h| h.query_by_label("What to do").is_some());
    for row in easel_engine::error::ERROR_TABLE {
        assert!(app.shows(row.message), "{:?}: {}", row.category, row.message);
        assert!(app.shows(row.hint), "{:?}: {}", row.category, row.hint);
    }
    assert!(app.harness.query_by_label("Open logs folder").is_some());
    app.harness.check_accessibility();
    app.harness.get_by_label("Copy diagnostics report").click_accesskit();
    app.harness.step();
    let copied = copied_text(&app.harness).expect("the report was copied");
    assert!(copied.starts_with("Easel diagnostics report") && !copied.contains(KEY), "{copied}");
}

/// The text the last frame put on the clipboard, if any.
pub(crate) fn copied_text(harness: &Harness<'static, EaselApp>) -> Option<String> {
    harness.output().platform_output.commands.iter().find_map(|command| match command {
        egui::OutputCommand::CopyText(text) => Some(text.clone()),
        _ => None,
    })
}

fn assert_png(path: &Path, width: u32, height: u32) {
    let image = image::open(path).unwrap_or_else(|e| panic!("{} is not a readable image: {e}", path.display()));
    assert_eq!((image.width(), image.height()), (width, height));
    assert_eq!(image::ImageFormat::from_path(path).unwrap(), image::ImageFormat::Png);
}

#[test]
fn the_next_start_offers_the_last_crash_report_once() {
    let data = tempfile::tempdir().unwrap();
    let crashes = data.path().join("crashes");
    std::fs::create_dir_all(&crashes).unwrap();
    std::fs::write(crashes.join("crash-1.txt"), "Easel 0.1.0 crashed.\nWhat: something broke\n").unwrap();
    let mut app = TestApp::start(Setup { library: Some(data), ..Setup::new(Scenario::Success) });
    app.wait_for_text("Easel closed unexpectedly last time");
    assert!(app.shows("It holds no API key"));
    app.click("Show report");
    app.wait_for_text("something broke");
    app.click("Dismiss");
    assert!(!app.shows("Easel closed unexpectedly last time"));
    // Marked seen off the UI thread, right after the click.
    let data = app.data.path().to_path_buf();
    app.step_until("the report marked seen", |_| easel_engine::crash::unseen_reports(&data).is_empty());
    assert!(easel_engine::crash::unseen_reports(app.data.path()).is_empty(), "offered once, then marked seen");
    assert!(app.data.path().join("crashes/crash-1.seen").is_file(), "the report itself is kept");
}

/// A minimised window: eframe then runs only `App::logic`, never `ui`. The window still takes
/// in what the engine sends (the job's end, its image, its exchange), and the image that
/// arrived meanwhile is there on the first frame once it is shown again.
#[test]
fn a_hidden_window_keeps_taking_in_what_the_engine_sends() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.set_field("Prompt", "a fox made while minimised");
    // One frame: it takes the click and sends the job after drawing; then the window hides.
    app.harness.get_by_role_and_label(Role::Button, "Generate").click_accesskit();
    app.harness.step();
    assert!(!app.shows("Image: a fox made while minimised"), "not made yet");
    // Read from the window's own state: no frame is drawn while it is hidden.
    let taken_in = |app: &TestApp| app.harness.state().taken_in().expect("the engine started");
    assert_eq!(taken_in(&app).jobs_running, 1, "the job was sent");

    let ctx = app.harness.ctx.clone();
    let mut frame = eframe::Frame::_new_kittest();
    let started = Instant::now();
    while taken_in(&app).jobs_running > 0 {
        assert!(started.elapsed() < DEADLINE, "logic alone never took the job's end in: {:?}", taken_in(&app));
        let _logic = ctx.run_logic(&egui::RawInput::default(), |ctx| eframe::App::logic(app.harness.state_mut(), ctx, &mut frame));
        std::thread::sleep(Duration::from_millis(10));
    }
    let seen = taken_in(&app);
    assert_eq!(seen.images, 1, "its image is in the gallery: {seen:?}");
    assert!(seen.exchanges.iter().any(|e| e == "POST /api/v6/images/text2img"), "and its exchange in the diagnostics: {seen:?}");

    app.harness.step();
    assert!(app.shows("Image: a fox made while minimised"), "drawn on the first frame after showing again");
}

/// "Use these settings again" on an image brings back everything its job sent, the fallback
/// model and the images per request too, with the image's own seed.
#[test]
fn use_these_settings_again_brings_back_every_setting_of_the_image() {
    let mut app = TestApp::start(Setup::new(Scenario::Success));
    app.set_field("Fallback model (optional)", "sdxl");
    app.set_field("Pictures per request", "2");
    app.set_field("Steps", "21");
    app.set_field("Prompt", "a fox to make again");
    app.click("Generate");
    app.step_until("both images", |h| h.query_all_by_label_contains("Image: a fox to make again").count() == 2);
    app.set_field("Prompt", "something else");
    app.set_field("Fallback model (optional)", "");
    app.set_field("Pictures per request", "1");
    app.set_field("Steps", "30");

    let image = app.harness.query_all_by_label_contains("Image: a fox to make again").next().unwrap();
    let label = image.accesskit_node().label().unwrap_or_default();
    image.click_accesskit();
    app.step_until("the viewer", |h| h.query_by_label("Use these settings again").is_some());
    app.click("Use these settings again");
    app.wait_for_text("The prompt panel now holds this image's settings.");
    app.click("« Gallery");

    let field = |app: &TestApp, label: &str| app.harness.get_by_label(label).value().unwrap_or_default();
    assert_eq!(field(&app, "Prompt"), "a fox to make again");
    assert_eq!(field(&app, "Fallback model (optional)"), "sdxl", "the fallback model is kept");
    assert_eq!(field(&app, "Pictures per request"), "2", "and the images per request");
    assert_eq!(field(&app, "Steps"), "21");
    let seed = field(&app, "Seed");
    assert!(label.contains(&format!("seed {seed})")), "the image's own seed {seed:?}: {label}");
}
