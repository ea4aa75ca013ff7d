//! The window's library side, driven by label against the sandbox on 127.0.0.1: jobs left
//! unfinished by an earlier run, search, trash and prompt history.
//!
//! No display is needed: egui_kittest runs the app headless and reads its accessibility tree.

use crate::window::{DEADLINE, Window};
use easel::app::{Deps, EaselApp, NoDialogs};
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_engine::request::SettingsDraft;
use easel_engine::store::{JobPhase, NewJob, Store};
use easel_engine::{Engine, EngineConfig, Event, EventKind, JobState};
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::MemoryStore;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sandbox-key-0123456789";

/// The window under test. Fields drop in order: the window first, the runtime last.
struct TestApp {
    window: Window,
    sandbox: Sandbox,
    data: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
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
    /// A window on `data`, talking to `sandbox` (both may already hold state).
    fn open(runtime: tokio::runtime::Runtime, sandbox: Sandbox, data: tempfile::TempDir) -> Self {
        let deps = Deps {
            runtime: runtime.handle().clone(),
            secrets: Arc::new(MemoryStore::default()),
            dialogs: Arc::new(NoDialogs),
            data_dir: data.path().to_path_buf(),
            provider: ProviderKind::ModelsLab,
            base_url: Some(sandbox.base_url()),
            env_key: Ok(Some(ApiKey::parse(KEY).unwrap())),
            api_key_header: false,
            opener: Arc::new(crate::ui::FakeOpener::default()),
            notifier: Arc::new(easel::app::NoNotifier),
        };
        let harness = Harness::builder().with_size(egui::vec2(1280.0, 800.0)).build_eframe(|cc| EaselApp::new(cc, deps));
        let mut app = Self { window: Window { harness }, sandbox, data, _runtime: runtime };
        app.harness.run_steps(3);
        app.open_more_settings();
        app
    }

    fn start(scenario: Scenario) -> Self {
        let runtime = runtime();
        let sandbox = runtime.block_on(Sandbox::start(SandboxConfig::new(scenario))).unwrap();
        Self::open(runtime, sandbox, tempfile::tempdir().unwrap())
    }

    fn store(&self) -> Store {
        Store::open(self.data.path()).unwrap()
    }

    fn text2img_requests(&self) -> usize {
        self.sandbox.requests().iter().filter(|q| q.path.ends_with("/text2img")).count()
    }
}

/// An earlier run stopped while the provider was making one job and right after sending
/// another. The window fetches the first by its stored id (no second text2img) and shows the
/// second as unknown, resubmitting it only after a warning about a second charge.
#[test]
fn unfinished_jobs_are_fetched_or_shown_as_unknown_at_start_up() {
    let runtime = runtime();
    let data = tempfile::tempdir().unwrap();
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxConfig { job_duration: Duration::from_secs(2), ..SandboxConfig::new(Scenario::Processing) }))
        .unwrap();

    // The earlier run: a real job, stopped while the provider is making it.
    let mut config = EngineConfig::new(data.path().to_path_buf(), ProviderKind::ModelsLab);
    config.base_url = Some(sandbox.base_url());
    let (events, states) = std::sync::mpsc::channel();
    let engine = {
        let _entered = runtime.enter();
        let events = std::sync::Mutex::new(events);
        Engine::new(config, Arc::new(move |e: Event| drop(events.lock().unwrap().send(e.kind)))).unwrap()
    };
    let draft = SettingsDraft { prompt: "a lantern that survived".into(), ..SettingsDraft::default() };
    let valid = draft.validate(&engine.provider().capabilities("flux")).unwrap();
    let settings = valid.candidates[0].clone();
    let (processing_job, running) = engine.submit(valid, ApiKey::parse(KEY).unwrap()).remove(0);
    // The engine stores the phase before it reports it.
    while !matches!(states.recv_timeout(DEADLINE).expect("the job never reached processing"), EventKind::State(JobState::Processing { .. }))
    {
    }
    assert_eq!(easel_testkit::job_phase(engine.store(), &processing_job), Some(JobPhase::Processing));
    running.abort(); // the process died here: the row stays `processing`
    assert!(runtime.block_on(running).unwrap_err().is_cancelled(), "the earlier run is gone");
    // And one job that was sent without any answer.
    let sent = Store::open(data.path()).unwrap();
    let sent_settings = easel_engine::request::GenerationSettings { prompt: "a kite lost in the wind".into(), ..settings };
    let base_url = engine.provider().base_url().to_string();
    let new_job = NewJob::new("j-sentnoanswer", "b-old", "modelslab", &base_url, &sent_settings);
    sent.insert_job(&new_job).unwrap();
    sent.set_job_phase("j-sentnoanswer", JobPhase::Sent, None, None).unwrap();
    drop(engine);
    assert_eq!(sandbox.requests().iter().filter(|q| q.path.ends_with("/text2img")).count(), 1);

    // The next start.
    let mut app = TestApp::open(runtime, sandbox, data);
    app.wait_for_text("unknown: ");
    app.wait_for_text("Image: a lantern that survived");
    // The image is shown as soon as it is on disk; the job is marked done right after.
    let store = app.store();
    app.step_until("the fetched job to be done", |_| easel_testkit::job_phase(&store, &processing_job) == Some(JobPhase::Done));
    assert_eq!(app.text2img_requests(), 1, "the processing job was fetched, not resubmitted");
    let fetches = app.sandbox.requests().iter().filter(|q| q.path.contains("/fetch")).count();
    assert!(fetches >= 1, "fetched by its stored id");
    assert_eq!(easel_testkit::job_phase(&app.store(), &processing_job), Some(JobPhase::Done));
    assert_eq!(easel_testkit::job_phase(&app.store(), "j-sentnoanswer"), Some(JobPhase::Unknown));
    assert!(!app.shows("Image: a kite lost in the wind"), "an unknown job is never sent again on its own");
    app.harness.check_accessibility();

    // The unknown job's row is the first (the fetched one's Retry would ask "Make it again?").
    let unknown_retry = |app: &mut TestApp| {
        app.harness.query_all_by_role_and_label(egui::accesskit::Role::Button, "Retry").next().unwrap().click_accesskit();
        app.harness.run_steps(2);
    };
    unknown_retry(&mut app);
    app.wait_for_text("may charge a second time");
    app.click("Keep it as it is");
    assert_eq!(app.text2img_requests(), 1, "nothing sent without confirmation");
    unknown_retry(&mut app);
    app.click("Send again and maybe pay again");
    app.wait_for_text("Image: a kite lost in the wind");
    assert_eq!(app.text2img_requests(), 2, "resubmitted once, as a new job");
}

/// An earlier run stopped while two services were each making a job: the window, opened on
/// one of them, picks both up, each on its own service, without resubmitting either.
#[test]
fn at_start_every_unfinished_job_is_picked_up_on_its_own_service() {
    let runtime = runtime();
    let data = tempfile::tempdir().unwrap();
    let queued = || SandboxConfig { job_duration: Duration::from_secs(2), ..SandboxConfig::new(Scenario::Processing) };
    let (a, b) = runtime.block_on(async { (Sandbox::start(queued()).await.unwrap(), Sandbox::start(queued()).await.unwrap()) });

    // The earlier run: one engine, a job on each sandbox, stopped while both are processing.
    let mut config = EngineConfig::new(data.path().to_path_buf(), ProviderKind::ModelsLab);
    config.base_url = Some(a.base_url());
    let (events, states) = std::sync::mpsc::channel();
    let engine = {
        let _entered = runtime.enter();
        let events = std::sync::Mutex::new(events);
        Engine::new(config, Arc::new(move |e: Event| drop(events.lock().unwrap().send(e.kind)))).unwrap()
    };
    let on_b = {
        let _entered = runtime.enter();
        engine.connect(&easel_engine::ServiceSpec::at(ProviderKind::ModelsLab, Some(b.base_url()))).unwrap()
    };
    let request = |prompt: &str| {
        let draft = SettingsDraft { prompt: prompt.into(), ..SettingsDraft::default() };
        draft.validate(&engine.provider().capabilities("flux")).unwrap()
    };
    let key = ApiKey::parse(KEY).unwrap();
    let mut running = engine.submit(request("a lantern on a"), key.clone());
    running.extend(engine.submit_to(&on_b, request("a lantern on b"), key));
    let mut processing = 0;
    while processing < 2 {
        if matches!(states.recv_timeout(DEADLINE).expect("both jobs reach processing"), EventKind::State(JobState::Processing { .. })) {
            processing += 1;
        }
    }
    for (_, handle) in &running {
        handle.abort();
    }
    drop(engine);

    let mut app = TestApp::open(runtime, a, data);
    app.wait_for_text("Image: a lantern on a");
    app.wait_for_text("Image: a lantern on b");
    assert_eq!(app.text2img_requests(), 1, "A's job fetched, not resubmitted");
    assert_eq!(b.requests().iter().filter(|q| q.path.ends_with("/text2img")).count(), 1, "B's job fetched on B");
    assert!(b.requests().iter().any(|q| q.path.contains("/fetch")), "by its stored id");
    let store = app.store();
    app.step_until("both jobs done", |_| store.unfinished_jobs().unwrap().is_empty());
}

/// Typing in the search box narrows the gallery to the images whose prompt matches.
#[test]
fn search_narrows_the_gallery() {
    let mut app = TestApp::start(Scenario::Success);
    app.generate("a red fox in snow");
    app.generate("a blue whale at sea");

    app.set_field("Search", "whale");
    app.step_until("only the whale", |h| {
        h.query_by_label_contains("Image: a blue whale").is_some() && h.query_by_label_contains("Image: a red fox").is_none()
    });
    app.set_field("Search", "nothing like this");
    app.wait_for_text("No images match.");
    app.click("Clear filters");
    app.step_until("both images again", |h| {
        h.query_by_label_contains("Image: a blue whale").is_some() && h.query_by_label_contains("Image: a red fox").is_some()
    });
    app.harness.check_accessibility();
}

/// Move to trash, find it in the Trash view, restore it; then trash it again and empty the
/// trash (after a confirmation): the file is gone.
#[test]
fn trash_restore_and_empty_trash() {
    let mut app = TestApp::start(Scenario::Success);
    app.generate("a fox to throw away");
    let path = app.store().search(&Default::default(), 1, 0).unwrap()[0].path.clone();
    let id = app.store().search(&Default::default(), 1, 0).unwrap()[0].id;

    app.trash("a fox to throw away");
    app.click_label("Trash");
    app.wait_for_text("Image: a fox to throw away");
    app.harness.get_by_label_contains("Image: a fox to throw away").click_accesskit();
    app.harness.run_steps(2);
    app.click("Restore selected");
    app.wait_until_restored(id);
    app.step_until("the trash view emptied", |h| h.query_by_label_contains("Image: a fox to throw away").is_none());
    app.click_label("Library");
    app.wait_for_text("Image: a fox to throw away");
    assert!(path.is_file());

    app.trash("a fox to throw away");
    app.click_label("Trash");
    app.wait_for_text("Image: a fox to throw away");
    app.click("Empty trash…");
    app.wait_for_text("deleted from this computer for good");
    app.harness.check_accessibility();
    app.click("Delete for good");
    app.wait_for_text("Emptied the trash: 1 image deleted for good.");
    assert!(!path.exists(), "the file is deleted: {}", path.display());
    assert!(app.store().search(&easel_engine::store::ImageFilter { trash: true, ..Default::default() }, 10, 0).unwrap().is_empty());
    assert_eq!(app.store().count_matching(&Default::default()).unwrap(), 0);
}

impl TestApp {
    /// Open an image in the viewer and move it to the trash there.
    fn trash(&mut self, prompt: &str) {
        self.harness.get_by_label_contains(&format!("Image: {prompt}")).click_accesskit();
        self.step_until("the viewer", |h| h.query_by_label("Move to trash").is_some());
        self.click("Move to trash");
        self.step_until("the image gone from the gallery", |h| h.query_by_label_contains(&format!("Image: {prompt}")).is_none());
    }

    /// Click whatever is labelled exactly `label` (tabs are selectable labels, not buttons).
    fn click_label(&mut self, label: &str) {
        self.harness.get_by_label(label).click_accesskit();
        self.harness.run_steps(2);
    }

    fn wait_until_restored(&mut self, id: i64) {
        let store = self.store();
        self.step_until("the image out of the trash", |_| {
            store.search(&easel_engine::store::ImageFilter::default(), 100, 0).unwrap().iter().any(|r| r.id == id)
        });
    }
}

/// One click on a recent prompt puts it (and its settings) back in the prompt panel; a
/// preset saves the current settings under a name, applies them, and can be deleted.
#[test]
fn prompt_history_and_presets_fill_the_prompt_panel() {
    let mut app = TestApp::start(Scenario::Success);
    app.set_field("Steps", "21");
    app.generate("a castle on a hill");
    app.set_field("Prompt", "something else");
    app.set_field("Steps", "30");

    app.click_label("History and presets");
    app.wait_for_text("a castle on a hill  (flux");
    app.harness.check_accessibility();
    app.harness.get_by_label_contains("a castle on a hill  (flux").click_accesskit();
    app.harness.run_steps(2);
    app.wait_for_text("The prompt panel now holds these settings.");
    assert_eq!(app.field("Prompt"), "a castle on a hill");
    assert_eq!(app.field("Steps"), "21", "all the settings came back");
    app.click("Generate");
    app.step_until("the second castle", |h| h.query_all_by_label_contains("Image: a castle on a hill").count() == 2);

    app.click_label("History and presets");
    app.set_field("Preset name", "Castles");
    app.click("Save current settings");
    app.wait_for_text("Apply Castles");
    app.set_field("Prompt", "a different thing");
    app.click("Apply Castles");
    assert_eq!(app.field("Prompt"), "a castle on a hill");
    app.click_label("History and presets");
    app.wait_for_text("Delete Castles");
    app.click("Delete Castles");
    app.step_until("the preset gone", |h| h.query_by_label("Apply Castles").is_none());
    assert!(app.store().presets().unwrap().is_empty());
}

impl TestApp {
    fn field(&self, label: &str) -> String {
        self.harness.get_by_label(label).value().unwrap_or_default()
    }
}

/// The Failed jobs view says why each job failed, and "Try again" sends a failed one anew
/// with the same settings.
#[test]
fn a_failed_job_can_be_tried_again_from_the_failed_jobs_view() {
    let mut app = TestApp::start(Scenario::Failed);
    app.set_field("Prompt", "a lighthouse that will not render");
    app.click("Generate");
    app.click_label("Failed jobs");
    app.step_until("the failed job listed", |h| {
        h.query_all_by_label_contains("The service could not make").next().is_some() && h.query_by_label("Try again").is_some()
    });
    assert_eq!(app.text2img_requests(), 1);
    app.harness.check_accessibility();

    app.click("Try again");
    app.wait_for_text("may have made this job (and charged for it)");
    app.click("Try again and maybe pay again");
    let started = std::time::Instant::now();
    while app.text2img_requests() < 2 {
        assert!(started.elapsed() < DEADLINE, "Try again sent nothing");
        app.harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent: Vec<_> = app.sandbox.requests().into_iter().filter(|q| q.path.ends_with("/text2img")).collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].body["prompt"], "a lighthouse that will not render", "the same settings");
}

/// A library bigger than one page: the gallery says how many images there are before every
/// page is read, and keeps the number right as images come and go.
#[test]
fn the_gallery_counts_every_image_before_reading_them_all() {
    let runtime = runtime();
    let data = tempfile::tempdir().unwrap();
    let total = easel::app::GALLERY_PAGE as usize + 1;
    {
        let store = Store::open(data.path()).unwrap();
        let settings =
            easel_engine::request::GenerationSettings { prompt: "an old picture".into(), model: "sdxl".into(), ..Default::default() };
        let job = NewJob::new("j-old", "b-old", "modelslab", "u", &settings);
        store.insert_job(&job).unwrap();
        for i in 0..total {
            let pixel = image::Rgb([(i % 256) as u8, (i / 256) as u8, 7]);
            let mut png = Vec::new();
            image::RgbImage::from_pixel(8, 8, pixel).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
            let verified = easel_engine::intake::verify(png, &Default::default()).unwrap();
            let meta = easel_engine::store::NewImage {
                job_id: "j-old",
                batch_id: "b-old",
                index: i as u32,
                seed: None,
                settings: &settings,
                provider: "modelslab",
                base_url: "u",
                request_id: None,
                made: None,
            };
            store.add_image(&verified, &meta).unwrap();
        }
    }
    let sandbox = runtime.block_on(Sandbox::start(SandboxConfig::new(Scenario::Success))).unwrap();
    let mut app = TestApp::open(runtime, sandbox, data);
    app.wait_for_text(&format!("{total} images"));
    app.generate("one more picture");
    app.wait_for_text(&format!("{} images", total + 1));
    app.trash("one more picture");
    app.click("« Gallery"); // the viewer moved on to the next image
    app.wait_for_text(&format!("{total} images"));
}

/// Yesterday's failure can be reported today: after a restart the diagnostics pane shows the
/// exchanges of earlier runs again, and the failed-jobs view copies a past job's report.
#[test]
fn diagnostics_and_reports_of_past_jobs_are_kept_across_restarts() {
    let mut app = TestApp::start(Scenario::Failed);
    let prompt = "a lighthouse that will not render, with a long description of the light on the water at dusk";
    app.set_field("Prompt", prompt);
    app.click("Generate");
    app.wait_for_text("failed after ");
    let TestApp { window, sandbox, data, _runtime } = app;
    drop(window);

    let mut app = TestApp::open(_runtime, sandbox, data);
    app.click("Diagnostics");
    app.step_until("the earlier run's exchange", |h| h.query_by_label("generate POST /api/v6/images/text2img").is_some());
    let copy = app.harness.get_by_role_and_label(egui::accesskit::Role::Button, "Copy report");
    assert!(!egui_kittest::kittest::NodeT::accesskit_node(&copy).is_disabled(), "a report can be copied after a restart");
    app.click("Diagnostics");

    app.click_label("Failed jobs");
    app.step_until("the failed job, whole", |h| h.query_by_label(prompt).is_some());
    assert!(app.shows("just now") || app.shows("min ago"), "a time as people read it");
    app.harness.get_by_role_and_label(egui::accesskit::Role::Button, "Copy report").click_accesskit();
    app.step_until("the job's report copied", |h| crate::ui::copied_text(h).is_some_and(|t| t.contains("/api/v6/images/text2img")));
}
