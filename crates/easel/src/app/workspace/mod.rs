//! The workspace: everything the window shows while the engine runs, and the loop that keeps
//! it one-way.
//!
//! Each frame: [`Workspace::logic`] takes in what the engine and the background work sent
//! (it runs even while the window is hidden), then [`Workspace::ui`] draws the panels, which
//! only push [`Action`]s, and carries those out through the command layer.
//!
//! - this file: the workspace's state and the frame's order;
//! - `frame`: how the panels are laid out in the window;
//! - `take_in`: a [`Message`] (an engine event, a background result) to the panel it is for;
//! - `apply`: an [`Action`] to the panels' state and the command layer.

mod apply;
mod frame;
mod take_in;

use super::actions::Action;
use super::commands::{Commands, Outside};
use super::deps::Deps;
use super::diagnostics_pane::DiagnosticsPane;
use super::file_chooser::FileChooser;
use super::gallery::Gallery;
use super::help::Help;
use super::history::History;
use super::inbox::{Background, Inbox, Message};
use super::jobs::Jobs;
use super::keys::Keys;
use super::notices::Notices;
use super::prompt::{self, PromptPanel};
use super::provider_picker::Switch;
use super::saving::Saving;
use super::settings::SettingsWindow;
use super::state::AppState;
use super::textures::Thumbnails;
use super::viewer::Viewer;
use super::welcome::Welcome;
use easel_engine::error::EngineError;
use easel_engine::{Engine, ServiceSpec};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

/// What the workspace asks of the app, which owns it.
pub enum AppRequest {
    /// Talk to another provider or server: the app builds a new workspace.
    Switch(Switch),
    /// Stop using the server override (or the sandbox) and go back to the usual server.
    UsualServer,
}

/// What the window has taken in from the engine so far, read without drawing a frame.
/// Only for the tests that prove `App::logic` alone keeps a hidden window up to date.
#[doc(hidden)]
#[derive(Debug)]
pub struct TakenIn {
    /// Jobs sent in this session that have not ended.
    pub jobs_running: usize,
    /// Images in the gallery.
    pub images: usize,
    /// The exchanges in the diagnostics pane, as "METHOD path".
    pub exchanges: Vec<String>,
}

/// The running window's state.
pub struct Workspace {
    commands: Commands,
    inbox: Receiver<Message>,
    /// What is remembered between runs.
    state: AppState,
    keys: Keys,
    prompt: PromptPanel,
    jobs: Jobs,
    gallery: Gallery,
    thumbs: Thumbnails,
    viewer: Option<Viewer>,
    diagnostics: DiagnosticsPane,
    notices: Notices,
    saving: Saving,
    welcome: Welcome,
    help: Help,
    history: History,
    settings: SettingsWindow,
    /// Easel's own file chooser, while it is open.
    chooser: Option<FileChooser>,
    /// Something for the app to carry out (it rebuilds the workspace).
    request: Option<AppRequest>,
    /// The provider's model list was asked for, with the key ending in these characters.
    models_asked: Option<Option<String>>,
    /// Talking to the built-in sandbox.
    sandbox_mode: bool,
    /// Unfinished jobs from an earlier run were asked for (once, when a key is known).
    resume_started: bool,
}

impl Workspace {
    /// Start the engine (its events come back through the inbox), then read the key store
    /// and the library in the background.
    pub fn new(ctx: &egui::Context, deps: &Deps, mut state: AppState) -> Result<Self, Box<EngineError>> {
        let new_provider = state.adopt(deps.provider.id(), deps.base_url.as_deref());
        let (inbox, receiver) = Inbox::new(ctx.clone());
        let engine = {
            let _entered = deps.runtime.enter();
            let openai_auth = easel_engine::provider::openai::AuthStyle::from_flag(state.openai_api_key_header);
            let mut config =
                ServiceSpec { kind: deps.provider, base_url: state.base_url.clone(), openai_auth }.config(deps.data_dir.clone());
            config.timeout = state.timeout_minutes.map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
            let sink = inbox.clone();
            Engine::new(config, Arc::new(move |event| sink.post(Message::Engine(event))))?
        };
        if new_provider {
            prompt::fit_draft(&mut state.draft, engine.provider());
        } else {
            prompt::fit_sizes(&mut state.draft, engine.provider());
        }
        let thumbs = Thumbnails::with_disk_cache(engine.config().data_dir.join("thumbs"));
        let bg = Background::new(deps.runtime.clone(), inbox);
        let mut workspace = Self {
            commands: Commands::new(
                engine,
                bg,
                Outside { secrets: deps.secrets.clone(), dialogs: deps.dialogs.clone(), opener: deps.opener.clone() },
            ),
            inbox: receiver,
            state,
            keys: Keys::new(deps.provider, deps.env_key.clone()),
            prompt: PromptPanel::default(),
            jobs: Jobs::default(),
            gallery: Gallery::default(),
            thumbs,
            viewer: None,
            diagnostics: DiagnosticsPane::default(),
            notices: Notices::default(),
            saving: Saving::default(),
            welcome: Welcome::default(),
            help: Help::default(),
            history: History::default(),
            settings: SettingsWindow::default(),
            chooser: None,
            request: None,
            models_asked: None,
            sandbox_mode: false,
            resume_started: false,
        };
        if workspace.keys.looking() {
            workspace.commands.load_key();
        }
        workspace.commands.read_recent_diagnostics();
        let mut actions = Vec::new();
        workspace.gallery.reset(&mut actions);
        workspace.apply_all(actions, ctx);
        Ok(workspace)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What the window has taken in so far (for tests; see [`TakenIn`]).
    pub fn taken_in(&self) -> TakenIn {
        TakenIn {
            jobs_running: self.jobs.in_flight(),
            images: self.gallery.len(),
            exchanges: self.diagnostics.records().iter().map(|r| format!("{} {}", r.method, r.path)).collect(),
        }
    }

    /// What the person asked of the app (a provider switch, the usual server), if anything.
    pub fn take_request(&mut self) -> Option<AppRequest> {
        self.request.take()
    }

    /// Just switched: fit the draft to the new provider, use the session key (the sandbox's).
    pub fn after_switch(&mut self, session_key: Option<easel_engine::keys::ApiKey>, sandbox: bool) {
        prompt::fit_draft(&mut self.state.draft, self.commands.engine().provider());
        if let Some(key) = session_key {
            self.keys.use_for_session(key);
            self.keys.close_panel();
        }
        self.sandbox_mode = sandbox;
        if sandbox {
            self.keys.use_sandbox();
        }
    }

    /// Take in everything the engine and the background work sent since the last call, and
    /// start what follows from it. Draws nothing, so it runs while the window is hidden too.
    pub fn logic(&mut self, ctx: &egui::Context) {
        let mut actions = Vec::new();
        while let Ok(message) = self.inbox.try_recv() {
            self.take_in(message, ctx, &mut actions);
        }
        for job in self.jobs.due_retries(std::time::Instant::now()) {
            actions.push(Action::RetryJob(job));
        }
        if let Some(next) = self.jobs.next_retry(std::time::Instant::now()) {
            ctx.request_repaint_after(next);
        }
        if !self.resume_started && self.keys.ready() {
            self.resume_started = true;
            self.commands.resume(self.keys.active().cloned());
        }
        let key_now = Some(self.keys.active().map(|k| k.last_four().to_string()));
        if self.models_asked != key_now && !self.keys.looking() && self.keys.ready() {
            self.list_models(false);
        }
        self.apply_all(actions, ctx);
    }

    /// One frame: draw, then do what was asked.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let mut actions = Vec::new();
        self.shortcuts(ui.ctx(), &mut actions);
        self.panels_ui(ui, &mut actions);
        self.commands.decode_thumbnails(self.thumbs.take_wanted());
        self.thumbs.end_frame();
        if !actions.is_empty() {
            ui.ctx().request_repaint();
        }
        self.apply_all(actions, ui.ctx());
    }

    /// Carry out actions, and those that carrying them out asked for.
    fn apply_all(&mut self, actions: Vec<Action>, ctx: &egui::Context) {
        for action in actions {
            self.apply(action, ctx);
        }
    }

    /// Ask the provider for its models, off the UI thread (the engine caches the answer
    /// unless `again`).
    fn list_models(&mut self, again: bool) {
        self.models_asked = Some(self.keys.active().map(|k| k.last_four().to_string()));
        self.prompt.models_loading();
        self.commands.list_models(self.keys.active().cloned(), again);
    }
}
