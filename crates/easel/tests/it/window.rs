//! Driving the window by label, as a person (or a screen reader) would, for the kittest suites.

use easel::app::EaselApp;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use std::time::{Duration, Instant};

/// One real window on the shared display at a time: the tests find their window by its title
/// and type into whatever has the focus, so two at once would drive each other's windows.
pub static ONE_REAL_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a `tests/window/` script printed (stdout, then stderr), and whether it succeeded.
pub struct ScriptRun {
    pub said: String,
    pub success: bool,
}

/// Run `tests/window/<script>` with the window binary, the sandbox's address and `work` (its
/// scratch folder), inside a private session bus that can start the accessibility bus and
/// nothing else (no portal, no keyring), killed after `seconds`.
pub async fn run_window_script(script: &str, bin: std::ffi::OsString, url: String, work: &std::path::Path, seconds: u32) -> ScriptRun {
    let services = work.join("share/dbus-1/services");
    std::fs::create_dir_all(&services).unwrap();
    std::fs::copy("/usr/share/dbus-1/services/org.a11y.Bus.service", services.join("org.a11y.Bus.service")).unwrap();
    let script = format!("{}/../../tests/window/{script}", env!("CARGO_MANIFEST_DIR"));
    let work = work.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("timeout")
            .args([seconds.to_string().as_str(), "dbus-run-session", "--", "/usr/bin/python3", &script])
            .arg(&bin)
            .arg(&url)
            .arg(&work)
            .env("XDG_DATA_DIRS", work.join("share"))
            // The accessibility bus reads its settings' schemas from the usual place.
            .env("GSETTINGS_SCHEMA_DIR", "/usr/share/glib-2.0/schemas")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    ScriptRun { said, success: out.status.success() }
}

/// How long a condition may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The window under test.
pub struct Window {
    pub harness: Harness<'static, EaselApp>,
}

impl Window {
    /// Step the window until `done` holds, polling every 10 ms, or fail after [`DEADLINE`].
    pub fn step_until(&mut self, what: &str, done: impl Fn(&Harness<'static, EaselApp>) -> bool) {
        let started = Instant::now();
        loop {
            self.harness.step();
            if done(&self.harness) {
                return;
            }
            if started.elapsed() > DEADLINE {
                panic!("gave up after {DEADLINE:?} waiting for {what}; on screen:\n{}", texts(&self.harness).join("\n"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn wait_for_text(&mut self, text: &str) {
        self.step_until(&format!("{text:?} on screen"), |h| h.query_all_by_label_contains(text).next().is_some());
    }

    pub fn shows(&self, text: &str) -> bool {
        self.harness.query_all_by_label_contains(text).next().is_some()
    }

    /// Replace a labelled text field's content (as a screen reader or a paste would).
    pub fn set_field(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).set_text_value_accesskit(text);
        self.harness.run_steps(2);
    }

    /// Press a button the way a screen reader does (an AccessKit click), so a layout that is
    /// still settling cannot make the click miss.
    pub fn click(&mut self, label: &str) {
        self.harness.get_by_role_and_label(Role::Button, label).click_accesskit();
        self.harness.run_steps(2);
    }

    /// Unfold "More settings" in the prompt panel (if it is folded).
    pub fn open_more_settings(&mut self) {
        if self.harness.query_by_label("Pictures per request").is_none() {
            self.harness.get_by_label("More settings").click_accesskit();
            self.step_until("More settings unfolded", |h| h.query_by_label("Pictures per request").is_some());
        }
    }

    /// Open the settings window (if it is closed).
    pub fn open_settings(&mut self) {
        if self.harness.query_by_label("Server address").is_none() {
            self.harness.get_by_role_and_label(Role::Button, "Settings").click_accesskit();
            self.step_until("the settings window", |h| h.query_by_label("Server address").is_some());
        }
    }

    /// Type a prompt and wait until its image is in the gallery.
    pub fn generate(&mut self, prompt: &str) {
        self.set_field("Prompt", prompt);
        self.click("Generate");
        self.wait_for_text(&format!("Image: {prompt}"));
    }
}

/// Every label and value on screen, for failure messages and text checks.
pub fn texts(harness: &Harness<'static, EaselApp>) -> Vec<String> {
    harness
        .query_all_by(|n| n.label().or_else(|| n.value()).is_some_and(|t| !t.is_empty()))
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.value()))
        .collect()
}
