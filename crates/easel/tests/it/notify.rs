//! Desktop notifications, on a private D-Bus session bus that this test starts: a fake
//! notification server records every `Notify` call the window makes. A job that ends while
//! the window is not in front is notified (with its picture, its prompt, and no sound unless
//! asked for), one in front is not, the setting turns them off, and clicking the notification
//! (the server's `ActionInvoked`) brings the window forward on that picture.
//!
//! Without `dbus-daemon` (it ships in Debian's `dbus` package, which `tests/run.sh` installs)
//! the test says it was skipped.

use crate::ui::{Setup, TestApp};
use easel::app::DbusNotifier;
use easel_sandbox::Scenario;
use egui_kittest::kittest::Queryable as _;
use std::collections::HashMap;
use std::io::BufRead as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use zbus::zvariant::{OwnedValue, Value};

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// A session bus of our own, ended when dropped.
struct Bus {
    daemon: std::process::Child,
    address: String,
}

impl Bus {
    fn start() -> Option<Self> {
        let mut daemon = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        let mut address = String::new();
        std::io::BufReader::new(daemon.stdout.take()?).read_line(&mut address).ok()?;
        Some(Self { daemon, address: address.trim().to_owned() })
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        // The daemon this test started, by its handle.
        if let Err(e) = self.daemon.kill() {
            eprintln!("the private bus did not stop: {e}");
        }
        let _ = self.daemon.wait(); // ignored: it was killed; how it ended does not matter
    }
}

/// One `Notify` call, as the server received it.
#[derive(Clone, Debug)]
struct Call {
    app_name: String,
    replaces_id: u32,
    summary: String,
    body: String,
    actions: Vec<String>,
    /// Each hint in words: strings as they are, numbers and booleans written out.
    hints: HashMap<String, String>,
    id: u32,
}

#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<Call>>>);

impl Recorded {
    fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().clone()
    }
}

/// The fake notification server: it can do actions, bodies, images and sounds.
struct FakeServer {
    calls: Recorded,
    next_id: AtomicU32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeServer {
    fn get_capabilities(&self) -> Vec<String> {
        ["actions", "body", "body-images", "sound"].map(String::from).to_vec()
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let id = if replaces_id != 0 { replaces_id } else { self.next_id.fetch_add(1, Ordering::SeqCst) };
        let hints = hints
            .into_iter()
            .map(|(name, value)| {
                let text = match &*value {
                    Value::Str(s) => s.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::U8(n) => n.to_string(),
                    other => format!("{other}"),
                };
                (name, text)
            })
            .collect();
        self.calls.0.lock().unwrap().push(Call { app_name, replaces_id, summary, body, actions, hints, id });
        id
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("fake".into(), "easel tests".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

/// The private bus, its fake server, and the window using them.
fn window_with_fake_server() -> Option<(Bus, zbus::blocking::Connection, Recorded, TestApp)> {
    let Some(bus) = Bus::start() else {
        eprintln!("skipped: no dbus-daemon to start a private session bus (Debian's dbus package)");
        return None;
    };
    let calls = Recorded::default();
    let server = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name(SERVICE)
        .unwrap()
        .serve_at(PATH, FakeServer { calls: calls.clone(), next_id: AtomicU32::new(41) })
        .unwrap()
        .build()
        .unwrap();
    let setup = Setup { notifier: Arc::new(DbusNotifier::at(bus.address.clone())), ..Setup::new(Scenario::Success) };
    Some((bus, server, calls, TestApp::start(setup)))
}

/// The window is in front (`true`) or in the background.
fn focus(app: &mut TestApp, focused: bool) {
    app.harness.input_mut().focused = focused;
    app.harness.run_steps(2);
}

#[test]
fn a_job_ending_in_the_background_is_notified_and_clicking_it_opens_its_picture() {
    let Some((_bus, server, calls, mut app)) = window_with_fake_server() else { return };
    app.generate("a picture made while watching");
    // Its picture shows before the job has ended: wait for the end, in front.
    app.wait_for_text("Jobs running: 0");
    focus(&mut app, false);
    app.generate("a picture made while away");
    app.step_until("the Notify call", |_| !calls.calls().is_empty());
    let calls = calls.calls();
    assert_eq!(calls.len(), 1, "only the job that ended in the background: {calls:?}");
    let call = &calls[0];
    assert_eq!((call.app_name.as_str(), call.summary.as_str(), call.replaces_id), ("Easel", "Your picture is ready", 0));
    assert!(call.body.contains("a picture made while away"), "{call:?}");
    assert_eq!(call.actions.first().map(String::as_str), Some("default"), "the server can do actions: clicking it does something");
    let stored = app.stored_images().into_iter().find(|i| i.prompt == "a picture made while away").unwrap();
    let image = url::Url::from_file_path(&stored.path).unwrap().to_string();
    assert_eq!(call.hints.get("image-path"), Some(&image), "the picture itself, for desktops that show images");
    assert_eq!(call.hints.get("suppress-sound").map(String::as_str), Some("true"), "no sound unless asked for");
    assert_eq!(call.hints.get("desktop-entry").map(String::as_str), Some(easel::app::APP_ID));

    // The person clicks it: the window comes forward on that picture.
    server.emit_signal(None::<&str>, PATH, SERVICE, "ActionInvoked", &(call.id, "default")).unwrap();
    let asked_forward = std::cell::Cell::new(false);
    app.step_until("the viewer on that picture", |h| {
        let commands = &h.output().viewport_output[&egui::ViewportId::ROOT].commands;
        asked_forward.set(asked_forward.get() || commands.contains(&egui::ViewportCommand::Focus));
        h.query_by_label("« Gallery").is_some()
    });
    assert!(app.harness.query_all_by_label_contains("Image: a picture made while away").next().is_some(), "that picture");
    assert!(asked_forward.get(), "the window asked to be brought forward");
}

#[test]
fn notifications_can_be_turned_off_and_ask_for_a_sound_when_turned_on() {
    let Some((_bus, _server, calls, mut app)) = window_with_fake_server() else { return };
    app.open_settings();
    app.harness.get_by_label("Tell me when Easel is in the background").click_accesskit();
    app.harness.run_steps(2);
    focus(&mut app, false);
    app.generate("a picture nobody is told about");
    app.wait_for_text("Jobs running: 0");
    focus(&mut app, true);
    app.harness.get_by_label("Tell me when Easel is in the background").click_accesskit();
    app.harness.run_steps(2);
    app.harness.get_by_label("With a sound").click_accesskit();
    app.harness.run_steps(2);
    focus(&mut app, false);
    app.generate("a first picture told with a sound");
    app.step_until("the Notify call", |_| !calls.calls().is_empty());
    app.generate("a second picture while still away");
    app.step_until("the second Notify call", |_| calls.calls().len() >= 2);
    let calls = calls.calls();
    assert_eq!(calls.len(), 2, "nothing said while turned off: {calls:?}");
    assert!(calls[0].body.contains("a first picture told with a sound"));
    assert_eq!(calls[0].hints.get("sound-name").map(String::as_str), Some("complete"), "the desktop's own sound");
    assert_eq!(calls[1].replaces_id, calls[0].id, "one notification, updated, not a second one");
    assert_eq!(calls[1].summary, "2 pictures are ready");
}
