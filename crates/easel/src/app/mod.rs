//! The desktop window: a face on the [`engine`](easel_engine) for people who are not programmers.
//!
//! Paste an API key once, type a prompt, press Generate, keep the images. The window holds no
//! protocol logic: it builds [`SettingsDraft`](easel_engine::request::SettingsDraft)s, asks the
//! engine to check and run them, and draws the [`Event`](easel_engine::Event)s it sends back.
//!
//! How the pieces fit, one way round:
//!
//! ```text
//! panel ──Action──▶ workspace::apply ──▶ commands ──▶ engine / library / keyring / files
//!   ▲                                                          │
//!   └── frame (ui) ◀── panel state ◀── workspace::take_in ◀── Message (inbox) ◀──┘
//!                                      (in App::logic)
//! ```
//!
//! - [`EaselApp`] is the `eframe::App`. It owns a `Workspace` (everything that needs a running
//!   engine) or, when the engine could not start, the plain reason why.
//! - Panels (`prompt`, `gallery`, `jobs`, `keys`, `viewer`, `paint`, `compare`, …) hold their
//!   own state, draw it, and push `Action`s. They never touch the engine, the library or the disk.
//! - The workspace carries actions out after drawing through the command layer (`commands`),
//!   the only code that calls the engine, reads or writes the library, asks the key store,
//!   opens dialogs or decodes images. Everything slow runs off the UI thread.
//! - Results come back as a `Message` through one channel (`inbox`): engine events and
//!   background results, each panel's in its own message type. `App::logic` drains it, so a
//!   hidden or minimised window keeps taking them in.
//! - Colours, spacing and text styles are in `style`.
//! - Outside dependencies come in through [`Deps`], so tests swap the keyring for a memory store
//!   and the file dialogs for a fake.

mod actions;
mod advice;
mod commands;
mod compare;
mod costs;
mod crash_notice;
mod deps;
mod diagnostics_pane;
mod dialogs;
mod file_chooser;
#[cfg(test)]
mod fixtures;
mod gallery;
mod help;
mod history;
mod idle;
mod inbox;
mod jobs;
mod keys;
mod library_check;
mod links;
mod logging;
mod notices;
mod notify;
mod paint;
mod picture;
mod prompt;
mod provider_picker;
mod saving;
mod settings;
mod several_models;
mod state;
mod status;
mod style;
mod textures;
mod viewer;
mod welcome;
mod when;
mod words;
mod workspace;

pub use commands::{DbusNotifier, XdgOpener};
pub use deps::Deps;
pub use dialogs::{DialogReply, Dialogs, NoDialogs, Opener, RfdDialogs};
/// How many images the gallery reads from the library at a time.
pub use gallery::PAGE as GALLERY_PAGE;
pub use notify::{Clicked, NoNotifier, Note, Notifier};
pub use picture::TILE_BUDGET_BYTES;
pub use state::AppState;
#[doc(hidden)]
pub use workspace::TakenIn;

use easel_engine::error::EngineError;
use easel_engine::provider::ProviderKind;
use style::space;
use workspace::{AppRequest, Workspace};

/// The application id (desktop file, Wayland app id, persistence folder).
pub const APP_ID: &str = "io.github.easel.Easel";
/// The window title.
pub const TITLE: &str = "Easel";

/// Open the window on `provider` (at `base_url`, when it is not the usual server; with the
/// key in an `api-key` header when `api_key_header`) and run until it closes; returns the
/// process exit code.
///
/// Builds the multi-thread tokio runtime the engine and all background work run on, keeps it
/// entered for the life of the window, and runs eframe on the main thread.
pub fn run(provider: ProviderKind, base_url: Option<String>, api_key_header: bool) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Easel could not start its background workers: {e}");
            return 1;
        }
    };
    let _guard = runtime.enter();
    let deps = Deps::production(runtime.handle().clone(), provider, base_url, api_key_header);
    // The log file lives as long as the window; without it Easel still runs.
    let _log = match logging::install(&deps.data_dir) {
        Ok(guard) => Some(guard),
        Err(why) => {
            eprintln!("Easel will not keep a log file: {why}.");
            None
        }
    };
    let creator: eframe::AppCreator<'_> = Box::new(move |cc| Ok(Box::new(EaselApp::new(cc, deps))));
    match eframe::run_native(TITLE, native_options(), creator) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("The Easel window could not open: {e}");
            1
        }
    }
}

/// Window options: app id, title, icon and a sensible first size. The theme is left to
/// egui's default (`ThemePreference::System`), which follows the desktop's light or dark mode.
fn native_options() -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_app_id(APP_ID)
        .with_title(TITLE)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 480.0]);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon-256.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => eprintln!("The window icon could not be read: {e}"),
    }
    eframe::NativeOptions { viewport, ..Default::default() }
}

/// The Easel window.
pub struct EaselApp {
    deps: Deps,
    screen: Screen,
    /// The provider and `EASEL_API_KEY` the window started with: the key is used for that
    /// provider only, never sent to another one after a switch.
    launch: (ProviderKind, Result<Option<easel_engine::keys::ApiKey>, EngineError>),
    /// The built-in sandbox, once started ("Try the sandbox"): it keeps running after a switch,
    /// so jobs sent to it finish.
    sandbox: Option<easel_sandbox::Sandbox>,
    /// A crash report from the last run, offered once.
    crash: Option<crash_notice::CrashNotice>,
    /// The text cursor blinks only while the person is typing or clicking.
    blink: idle::Blink,
    /// Says the data folder is in use while the window is open (a run that ends without
    /// removing it is noticed at the next start, which then checks the library).
    _running: easel_engine::store::RunMarker,
}

/// What the window shows: the workspace, or why it could not start.
enum Screen {
    Ready(Box<Workspace>),
    /// The engine could not start (unusable server address, data folder not writable).
    Failed(Box<StartupFailure>),
}

/// Why the engine could not start, and the remembered state to keep for next time.
struct StartupFailure {
    error: EngineError,
    state: AppState,
}

impl EaselApp {
    /// Build the window's state. Needs no window: tests call it through egui_kittest.
    pub fn new(cc: &eframe::CreationContext<'_>, deps: Deps) -> Self {
        let mut state = AppState::load(cc.storage);
        // The command line wins over what was remembered (later switches are the person's).
        if deps.api_key_header {
            state.openai_api_key_header = true;
        }
        let (running, crashed) = easel_engine::store::RunMarker::claim(&deps.data_dir);
        let screen = Self::start(&cc.egui_ctx, &deps, state);
        if let (true, Screen::Ready(workspace)) = (crashed, &screen) {
            workspace.check_library_after_crash();
        }
        let launch = (deps.provider, deps.env_key.clone());
        let crash = commands::unseen_crash_report(&deps.data_dir).map(|(report, text)| crash_notice::CrashNotice::new(report, text));
        Self { deps, screen, launch, sandbox: None, crash, blink: idle::Blink::default(), _running: running }
    }

    fn start(ctx: &egui::Context, deps: &Deps, state: AppState) -> Screen {
        match Workspace::new(ctx, deps, state.clone()) {
            Ok(workspace) => Screen::Ready(Box::new(workspace)),
            Err(error) => Screen::Failed(Box::new(StartupFailure { error: *error, state })),
        }
    }

    /// Go back to the usual server (the person turned the override off, or left the sandbox);
    /// when the engine could not start, start it again there.
    fn restart_with_usual_server(&mut self, ctx: &egui::Context) {
        if let Screen::Ready(workspace) = &self.screen {
            let header = workspace.state().openai_api_key_header;
            let switch = provider_picker::Switch { api_key_header: header, ..provider_picker::Switch::to(self.deps.provider, None) };
            self.switch_provider(switch);
            return;
        }
        let Screen::Failed(failure) = &self.screen else { return };
        let mut state = failure.state.clone();
        state.base_url = None;
        self.deps.base_url = None;
        if self.sandbox.take().is_some() {
            self.deps.env_key = self.launch_key(self.deps.provider);
        }
        self.screen = Self::start(ctx, &self.deps, state);
    }

    /// `EASEL_API_KEY` for `kind`: only for the provider the window started with.
    /// (The same shape as `Deps::env_key`, which it fills.)
    #[allow(clippy::result_large_err)]
    fn launch_key(&self, kind: ProviderKind) -> Result<Option<easel_engine::keys::ApiKey>, EngineError> {
        if kind == self.launch.0 { self.launch.1.clone() } else { Ok(None) }
    }

    /// Send the next jobs to another provider or server: the same workspace and engine, so the
    /// prompt is kept and running jobs finish where they were sent; the service's own keyring
    /// entry is read.
    fn switch_provider(&mut self, mut switch: provider_picker::Switch) {
        if !matches!(self.screen, Screen::Ready(_)) {
            return;
        }
        self.deps.provider = switch.kind;
        self.deps.base_url.clone_from(&switch.base_url);
        self.deps.env_key = if switch.session_key.is_some() { Ok(None) } else { self.launch_key(switch.kind) };
        let sandbox = switch.sandbox.is_some();
        logging::note(&format!(
            "switched to {}{}",
            switch.kind.id(),
            if sandbox {
                " (built-in sandbox)"
            } else if switch.base_url.is_some() {
                " (another server)"
            } else {
                ""
            }
        ));
        if let Some(started) = switch.sandbox.take() {
            self.sandbox = Some(started);
        }
        if let Screen::Ready(workspace) = &mut self.screen {
            workspace.switch_service(&switch, self.deps.env_key.clone(), sandbox);
        }
    }
}

impl EaselApp {
    /// Carry out what the workspace asked of the app: another provider, the usual server.
    fn follow_request(&mut self, ctx: &egui::Context) {
        let request = match &mut self.screen {
            Screen::Ready(workspace) => workspace.take_request(),
            Screen::Failed(_) => None,
        };
        match request {
            Some(AppRequest::Switch(switch)) => self.switch_provider(switch),
            Some(AppRequest::UsualServer) => self.restart_with_usual_server(ctx),
            None => {}
        }
    }

    /// What the window has taken in so far, without drawing (`None`: the engine did not
    /// start). Only for tests.
    #[doc(hidden)]
    pub fn taken_in(&self) -> Option<TakenIn> {
        match &self.screen {
            Screen::Ready(workspace) => Some(workspace.taken_in()),
            Screen::Failed(_) => None,
        }
    }

    /// The person dismissed the crash notice: its report is marked seen.
    fn dismiss_crash_report(&mut self, report: std::path::PathBuf) {
        self.crash = None;
        commands::mark_crash_report_seen(&self.deps.runtime, report);
    }
}

impl eframe::App for EaselApp {
    /// Take in what the engine and the background work sent. eframe calls this before every
    /// frame and also while the window is hidden or minimised, so jobs keep being followed.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.blink.update(ctx);
        if let Screen::Ready(workspace) = &mut self.screen {
            workspace.logic(ctx);
        }
        self.follow_request(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        match &mut self.screen {
            Screen::Ready(workspace) => workspace.ui(ui),
            Screen::Failed(failure) => {
                if failed_ui(ui, &failure.error, failure.state.base_url.is_some()) {
                    self.restart_with_usual_server(ui.ctx());
                }
            }
        }
        self.follow_request(ui.ctx());
        if let Some(report) = self.crash.as_mut().and_then(|notice| notice.ui(ui.ctx())) {
            self.dismiss_crash_report(report);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        match &self.screen {
            // The sandbox lives only as long as this run: never remember its address.
            Screen::Ready(workspace) if workspace.in_sandbox() => {
                AppState { base_url: None, ..workspace.state().clone() }.save(storage);
            }
            Screen::Ready(workspace) => workspace.state().save(storage),
            Screen::Failed(failure) => failure.state.save(storage),
        }
    }
}

/// The whole window when the engine could not start. Returns true when the person asks to
/// go back to the usual server.
fn failed_ui(ui: &mut egui::Ui, error: &EngineError, has_override: bool) -> bool {
    let mut usual = false;
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("Easel could not start");
        ui.add_space(space::PARAGRAPH);
        ui.label(&error.message);
        ui.label(format!("What to do: {}", error.hint));
        if let Some(detail) = &error.detail {
            ui.weak(detail);
        }
        if has_override {
            ui.add_space(space::PARAGRAPH);
            usual = ui.button("Use the usual server").clicked();
        }
    });
    usual
}
