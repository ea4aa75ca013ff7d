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
//! - `apply`: an [`Action`] to the panels' state and the command layer;
//! - `editing`: the same for editing pictures (start images, painting, variations,
//!   enlarging, comparing) and what comes back for it;
//! - `services`: jobs on several services and models, their costs, the library check and the
//!   notifications when jobs end in the background.

mod apply;
mod editing;
mod frame;
mod services;
mod take_in;

use super::actions::Action;
use super::commands::{Commands, Outside};
use super::compare::Compare;
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
use super::paint::Painter;
use super::picture::Pictures;
use super::prompt::{self, PromptPanel};
use super::provider_picker::Switch;
use super::saving::Saving;
use super::settings::SettingsWindow;
use super::state::AppState;
use super::textures::{FileThumbs, Thumbnails};
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
    /// Thumbnails of files: the start images, masks, what a picture was made from.
    files: FileThumbs,
    /// Big pictures on screen (viewer, painter, comparison) and their tiles.
    pictures: Pictures,
    viewer: Option<Viewer>,
    /// Painting the part of the first start image to change, while open.
    painter: Option<Painter>,
    /// Two pictures compared, while open.
    compare: Option<Compare>,
    /// Painted masks asked to be written, and the one last written: each is the latest only
    /// while no newer one was asked for (and the mask was not removed meanwhile).
    masks_asked: u64,
    mask_saved: u64,
    /// Generate was pressed while the painted mask was being written: generate once it is.
    generate_after_mask: bool,
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
    /// `EASEL_API_KEY`, for the provider the window started with (never sent to another one).
    launch_key: Option<(easel_engine::provider::ProviderKind, easel_engine::keys::ApiKey)>,
    /// Unfinished jobs from an earlier run were asked for, with the current service's key
    /// ending in these characters (asked again when jobs wait for a key and it changes).
    resumed_with: Option<Option<String>>,
    /// The window's share of many services: costs, groups, the library check, notifications.
    more: services::More,
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
                Outside {
                    secrets: deps.secrets.clone(),
                    dialogs: deps.dialogs.clone(),
                    opener: deps.opener.clone(),
                    notifier: deps.notifier.clone(),
                },
            ),
            inbox: receiver,
            state,
            keys: Keys::new(deps.provider, deps.env_key.clone()),
            prompt: PromptPanel::default(),
            jobs: Jobs::default(),
            gallery: Gallery::default(),
            thumbs,
            files: FileThumbs::default(),
            pictures: Pictures::with_tile_workers(crate::app::inbox::pixel_workers()),
            viewer: None,
            painter: None,
            compare: None,
            masks_asked: 0,
            mask_saved: 0,
            generate_after_mask: false,
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
            launch_key: deps.env_key.clone().ok().flatten().map(|key| (deps.provider, key)),
            resumed_with: None,
            more: services::More::default(),
        };
        if workspace.keys.looking() {
            workspace.commands.load_key();
        }
        workspace.commands.read_recent_diagnostics();
        workspace.commands.read_cost_totals();
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

    /// The previous run ended without saying goodbye: check the library (and say what was
    /// found and repaired, if anything).
    pub fn check_library_after_crash(&self) {
        self.commands.check_library();
    }

    /// Talking to the built-in sandbox.
    pub fn in_sandbox(&self) -> bool {
        self.sandbox_mode
    }

    /// Send the next jobs to another service (`sandbox`: the built-in one): the draft is fitted
    /// to its provider, its own key is looked up (`env_key` is `EASEL_API_KEY` when it is for
    /// this provider) or the session key used. Running jobs keep going on their own service.
    pub fn switch_service(&mut self, switch: &Switch, env_key: Result<Option<easel_engine::keys::ApiKey>, EngineError>, sandbox: bool) {
        let openai_auth = easel_engine::provider::openai::AuthStyle::from_flag(switch.api_key_header);
        let spec = ServiceSpec { kind: switch.kind, base_url: switch.base_url.clone(), openai_auth };
        if let Err(e) = self.commands.use_service(&spec) {
            self.notices.error(format!("{} {}", e.message, e.hint));
            return;
        }
        self.state.adopt(switch.kind.id(), None);
        self.state.base_url.clone_from(&switch.base_url);
        self.state.openai_api_key_header = switch.api_key_header;
        prompt::fit_draft(&mut self.state.draft, self.commands.service().provider());
        self.keys = Keys::new(switch.kind, env_key);
        if let Some(key) = &switch.session_key {
            self.keys.use_for_session(key.clone());
            self.keys.close_panel();
        } else if self.keys.looking() {
            self.commands.load_key();
        }
        self.sandbox_mode = sandbox;
        self.welcome.starting_sandbox = false;
        // The choice is made: the settings window closes, as it did when the window was rebuilt.
        self.settings.open = false;
        if sandbox {
            self.keys.use_sandbox();
        }
        if std::mem::take(&mut self.more.keys_after_switch) {
            self.keys.open_panel();
        }
        self.models_asked = None;
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
        let key_now = Some(self.keys.active().map(|k| k.last_four().to_string()));
        // Every unfinished job, each on its own service, once the key store was read; again
        // when jobs wait for a key and the key in use changed.
        let first = self.resumed_with.is_none();
        if !self.keys.looking() && (first || (self.jobs.waiting_for_key() > 0 && self.resumed_with != key_now)) {
            self.resumed_with = key_now.clone();
            self.commands.resume(self.keys.active().cloned(), self.launch_key.clone());
        }
        if self.models_asked != key_now && !self.keys.looking() && self.keys.ready() {
            self.list_models(false);
        }
        self.follow_focus(ctx);
        self.refresh_estimate();
        self.apply_all(actions, ctx);
    }

    /// One frame: draw, then do what was asked.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let mut actions = Vec::new();
        self.shortcuts(ui.ctx(), &mut actions);
        self.panels_ui(ui, &mut actions);
        self.commands.decode_thumbnails(self.thumbs.take_wanted());
        self.thumbs.end_frame();
        let (pictures, tiles) = self.pictures.take_wanted();
        self.commands.load_pictures(pictures);
        self.commands.cut_tiles(tiles);
        self.pictures.end_frame();
        self.commands.decode_file_thumbs(self.files.take_wanted());
        self.files.end_frame();
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
