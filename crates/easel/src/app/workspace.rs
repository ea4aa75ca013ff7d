//! The workspace: everything the window shows while the engine runs, and the one place where
//! the person's actions turn into engine calls and background work.

use super::actions::Action;
use super::background::{Background, Inbox, Message};
use super::deps::Deps;
use super::diagnostics_pane::DiagnosticsPane;
use super::dialogs::Dialogs;
use super::gallery::{Gallery, GroupKey, Toolbar};
use super::help::Help;
use super::jobs::Jobs;
use super::keys::{Keys, balance_text};
use super::notices::Notices;
use super::prompt::PromptPanel;
use super::provider_picker::Switch;
use super::saving::Saving;
use super::state::AppState;
use super::status::Status;
use super::textures::{Thumbnails, request_clipboard_image};
use super::viewer::Viewer;
use super::welcome::Welcome;
use easel_engine::diagnostics::{curl_command, report};
use easel_engine::error::EngineError;
use easel_engine::request::ValidRequest;
use easel_engine::store::{Store, StoreError};
use easel_engine::{Engine, Event, EventKind, ServiceSpec};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

/// The running window's state.
pub struct Workspace {
    engine: Engine,
    bg: Background,
    inbox: Receiver<Message>,
    dialogs: Arc<dyn Dialogs>,
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
    /// A provider switch for the app to carry out (it rebuilds the workspace).
    switch: Option<Switch>,
    /// The provider's model list was asked for, with the key ending in these characters.
    models_asked: Option<Option<String>>,
    /// Talking to the built-in sandbox.
    sandbox_mode: bool,
    welcome: Welcome,
    help: Help,
    /// Unfinished jobs from an earlier run were asked for (once, when a key is known).
    resume_started: bool,
    history: super::history::History,
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
            let config = ServiceSpec { kind: deps.provider, base_url: state.base_url.clone(), openai_auth }.config(deps.data_dir.clone());
            let sink = inbox.clone();
            Engine::new(config, Arc::new(move |event| sink.post(Message::Engine(event))))?
        };
        let bg = Background::new(deps.runtime.clone(), inbox);
        let mut gallery = Gallery::default();
        gallery.attach(engine.store().clone(), &bg);
        if new_provider {
            super::prompt::fit_draft(&mut state.draft, engine.provider());
        } else {
            super::prompt::fit_sizes(&mut state.draft, engine.provider());
        }
        let keys = Keys::new(deps.provider, deps.secrets.clone(), deps.env_key.clone(), &bg);
        let thumbs = Thumbnails::with_disk_cache(engine.store().dir().join("thumbs"));
        let history = super::history::History::new(engine.store().clone());
        Ok(Self {
            engine,
            bg,
            inbox: receiver,
            dialogs: deps.dialogs.clone(),
            state,
            keys,
            prompt: PromptPanel::default(),
            jobs: Jobs::default(),
            gallery,
            thumbs,
            viewer: None,
            diagnostics: DiagnosticsPane::default(),
            notices: Notices::default(),
            saving: Saving::default(),
            switch: None,
            models_asked: None,
            sandbox_mode: false,
            welcome: Welcome::default(),
            help: Help::default(),
            resume_started: false,
            history,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A provider switch the person asked for, for the app to carry out.
    pub fn take_switch(&mut self) -> Option<Switch> {
        self.switch.take()
    }

    /// Just switched: fit the draft to the new provider, use the session key (the sandbox's).
    pub fn after_switch(&mut self, session_key: Option<easel_engine::keys::ApiKey>, sandbox: bool) {
        super::prompt::fit_draft(&mut self.state.draft, self.engine.provider());
        if let Some(key) = session_key {
            self.keys.use_for_session(key);
            self.keys.close_panel();
        }
        self.sandbox_mode = sandbox;
        if sandbox {
            self.keys.use_sandbox();
        }
    }

    /// Ask the provider for its models, off the UI thread (the engine caches the answer).
    fn list_models(&mut self) {
        self.models_asked = Some(self.keys.active().map(|k| k.last_four().to_string()));
        self.prompt.models_loading();
        let engine = self.engine.clone();
        let key = self.keys.active().cloned();
        self.bg.spawn(async move { Message::Models(engine.list_models(key.as_ref()).await) });
    }

    /// No key, no image yet: the welcome shows instead of the empty gallery.
    fn shows_welcome(&self) -> bool {
        !self.sandbox_mode
            && !self.keys.looking()
            && self.keys.active().is_none()
            && self.engine.provider().kind().needs_key()
            && self.gallery.len() == 0
            && self.jobs.is_empty()
    }

    /// One frame: take in what happened, draw, then do what was asked. Returns true when the
    /// person asked to go back to the usual server (the app then starts a new workspace).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> bool {
        while let Ok(message) = self.inbox.try_recv() {
            self.handle(message);
        }
        if !self.resume_started && self.keys.ready() {
            self.resume_started = true;
            super::jobs::start_resume(&self.engine, self.keys.active().cloned(), &self.bg);
        }
        let key_now = Some(self.keys.active().map(|k| k.last_four().to_string()));
        if self.models_asked != key_now && !self.keys.looking() && self.keys.ready() {
            self.list_models();
        }
        let mut actions = Vec::new();
        self.shortcuts(ui.ctx(), &mut actions);
        self.panels_ui(ui, &mut actions);
        self.thumbs.end_frame();

        if !actions.is_empty() {
            ui.ctx().request_repaint();
        }
        let mut usual_server = false;
        for action in actions {
            usual_server |= self.apply(action, ui.ctx());
        }
        usual_server
    }

    fn shortcuts(&self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let generate = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::Enter);
        if ctx.input_mut(|i| i.consume_shortcut(&generate)) {
            actions.push(Action::Generate);
        }
        if self.viewer.is_some() && !ctx.egui_wants_keyboard_input() {
            ctx.input(|i| {
                if i.key_pressed(egui::Key::ArrowLeft) {
                    actions.push(Action::StepImage(-1));
                }
                if i.key_pressed(egui::Key::ArrowRight) {
                    actions.push(Action::StepImage(1));
                }
                if i.key_pressed(egui::Key::Escape) {
                    actions.push(Action::CloseViewer);
                }
            });
        }
    }

    fn panels_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::Panel::bottom("easel-status").show(ui, |ui| self.status().ui(ui, actions));
        if self.state.show_diagnostics {
            egui::Panel::bottom("easel-diagnostics")
                .resizable(true)
                .default_size(280.0)
                .show(ui, |ui| self.diagnostics.ui(ui, &mut self.state.errors_only, actions));
        }
        egui::Panel::left("easel-prompt").resizable(true).default_size(340.0).show(ui, |ui| {
            let api_key_header = self.engine.config().options.openai_auth == easel_engine::provider::openai::AuthStyle::ApiKeyHeader;
            self.prompt.ui(ui, &mut self.state.draft, self.engine.provider(), api_key_header, actions);
        });
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui, actions));
        self.keys.ui(ui.ctx(), actions);
        self.help.ui(ui.ctx(), &super::help::logs_dir(&self.engine.config().data_dir), actions);
        self.notices.ui(ui.ctx(), actions);
        if let Some(said) = self.history.ui(ui.ctx(), &mut self.state.draft, &self.bg) {
            self.notices.info(said);
        }
    }

    fn status(&self) -> Status {
        Status {
            key: self.keys.status(),
            provider: self.engine.provider().kind().label(),
            server_override: self.engine.config().base_url.clone(),
            balance: self.keys.balance().map(balance_text),
            in_flight: self.jobs.in_flight(),
            diagnostics_open: self.state.show_diagnostics,
            sandbox: self.sandbox_mode,
        }
    }

    /// Jobs on top; below them the viewer when an image is open, else the gallery.
    fn central_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if !self.jobs.is_empty() {
            egui::Panel::top("easel-jobs").resizable(true).default_size(130.0).show(ui, |ui| self.jobs.ui(ui, actions));
        }
        if self.viewer.is_none() && self.shows_welcome() {
            self.welcome.ui(ui, self.engine.provider().kind(), actions);
            return;
        }
        let saving_busy = self.saving.busy();
        if let Some(viewer) = &mut self.viewer {
            match self.gallery.get(viewer.image()) {
                Some(record) => viewer.ui(ui, record, self.gallery.is_starred(record.id), saving_busy, actions),
                None => actions.push(Action::CloseViewer),
            }
            return;
        }
        let toolbar = Toolbar { embed_parameters: &mut self.state.embed_parameters, saving_busy, history_open: &mut self.history.open };
        self.gallery.ui(ui, &mut self.thumbs, &self.bg, toolbar, actions);
    }

    /// Take in one message from the engine or a background task.
    fn handle(&mut self, message: Message) {
        match message {
            Message::Engine(event) => self.on_event(event),
            Message::KeyLoaded(result) => self.keys.on_loaded(result),
            Message::KeyChecked(result) => self.keys.on_checked(result),
            Message::KeySaved { key, result } => self.keys.on_saved(key, result),
            Message::KeyForgotten(result) => self.keys.on_forgotten(result),
            Message::StoredJobSettings(Ok(Some(settings))) => {
                if self.ready_to_send() {
                    self.submit(ValidRequest { candidates: vec![settings] });
                }
            }
            Message::StoredJobSettings(Ok(None)) => self.notices.error("That job is no longer in the library. Nothing was sent."),
            Message::StoredJobSettings(Err(why)) => {
                self.notices.error(format!("The job's settings could not be read ({why}). Nothing was sent."));
            }
            Message::Thumbnail { image, result } => self.thumbs.on_loaded(image, result),
            Message::FullImage { image, result } => {
                if let Some(viewer) = &mut self.viewer {
                    viewer.on_loaded(image, result);
                }
            }
            Message::ClipboardImage(Ok(image)) => {
                self.bg.ctx().copy_image(image);
                self.notices.info("Image copied. You can paste it into another app.");
            }
            Message::ClipboardImage(Err(why)) => self.notices.error(why),
            Message::SaveTarget { batch, path } => {
                self.saving.on_target(batch, path, self.state.embed_parameters, &self.bg);
            }
            Message::Saved(results) => self.saving.on_saved(results, &mut self.notices),
            Message::Doctor(checks) => self.diagnostics.doctor_finished(checks),
            Message::LibraryChanged { result, listing } => {
                // The gallery was listed again (another view, other filters) while the change
                // was being written: it may have read the library before it, so read it again.
                if self.gallery.listing() != listing {
                    self.gallery.reset(&self.bg);
                }
                if let Err(why) = result {
                    self.notices.error(why);
                }
            }
            Message::Resumed(Ok(jobs)) => {
                self.jobs.resumed(jobs, Instant::now());
                self.jobs.drop_early_events();
            }
            Message::Resumed(Err(why)) => self.notices.error(why),
            Message::History(message) => self.history.on_message(message, &self.bg),
            Message::Gallery(message) => {
                if let Some(sentence) = self.gallery.on_message(message, &self.bg) {
                    self.notices.info(sentence);
                }
            }
            Message::Models(result) => self.prompt.models_listed(result),
            Message::InitImagePicked(Some(path)) => self.check_image(path, false),
            Message::MaskPicked(Some(path)) => self.check_image(path, true),
            Message::InitImagePicked(None) | Message::MaskPicked(None) => {}
            Message::ImageChecked { path, mask: false } => self.prompt.init_image_chosen(&mut self.state.draft, &path),
            Message::ImageChecked { path, mask: true } => self.prompt.mask_chosen(&mut self.state.draft, &path),
            Message::SandboxStarted(Ok(sandbox)) => {
                let key = easel_engine::keys::ApiKey::parse("sandbox-session-key").ok();
                self.switch = Some(Switch {
                    kind: easel_engine::provider::ProviderKind::ModelsLab,
                    base_url: Some(sandbox.base_url()),
                    session_key: key,
                    sandbox: Some(sandbox),
                    api_key_header: false,
                });
            }
            Message::SandboxStarted(Err(why)) => {
                self.welcome.starting_sandbox = false;
                self.notices.error(format!("The sandbox could not start: {why}"));
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        super::logging::event(&event);
        self.jobs.on_event(&event, Instant::now());
        match event.kind {
            EventKind::Image(record) => {
                let job = event.job.unwrap_or_default();
                let key = self.jobs.batch_of(&job).map_or(GroupKey::Job(job), GroupKey::Batch);
                self.gallery.add(*record, key);
            }
            EventKind::Response(record) => self.diagnostics.push(*record),
            EventKind::Error(error) if !error.fields.is_empty() => self.prompt.server_said(&error.fields),
            EventKind::Finished { ok: false, .. } => self.gallery.job_failed(&self.bg),
            _ => {}
        }
    }

    /// Carry out one action. Returns true for [`Action::UseUsualServer`].
    fn apply(&mut self, action: Action, ctx: &egui::Context) -> bool {
        match action {
            Action::Generate => self.generate(),
            Action::CancelJob(job) => self.engine.cancel(&job),
            Action::RetryJob(job) => self.retry(&job),
            Action::RetryStoredJob(job) => {
                let store = self.engine.store().clone();
                self.bg.blocking(move || Message::StoredJobSettings(store.job_settings(&job)));
            }
            Action::ClearFinishedJobs => self.jobs.clear_finished(),
            Action::OpenKeyPanel => self.keys.open_panel(),
            Action::CloseKeyPanel => self.keys.close_panel(),
            Action::TestKey(key) => self.keys.test(key, &self.engine, &self.bg),
            Action::SaveKey(key) => self.keys.save(key, &self.bg),
            Action::ForgetKey => self.keys.forget(&self.bg),
            Action::UseKeyForSession(key) => self.keys.use_for_session(key),
            Action::OpenImage(id) => self.open_image(id),
            Action::CloseViewer => self.viewer = None,
            Action::StepImage(step) => {
                if let Some(next) = self.viewer.as_ref().and_then(|v| self.gallery.neighbour(v.image(), step)) {
                    self.open_image(next);
                }
            }
            Action::ToggleStar(id) => self.toggle_star(id),
            Action::ReuseSettings(id) => self.reuse_settings(id),
            Action::TrashImage(id) => self.trash_image(id),
            Action::UndoTrash(id) => self.untrash_image(id),
            Action::CopyImage(id) => {
                if let Some(record) = self.gallery.get(id) {
                    request_clipboard_image(record, &self.bg);
                }
            }
            Action::SaveImageAs(id) => {
                if let Some(record) = self.gallery.get(id).cloned() {
                    self.saving.save_as(record, self.dialogs.as_ref(), self.bg.inbox());
                }
            }
            Action::SavePickedToFolder => {
                let records = self.gallery.picked();
                if !records.is_empty() {
                    self.saving.save_to_folder(records, self.dialogs.as_ref(), self.bg.inbox());
                }
            }
            Action::CopyCurl(index) => self.copy_curl(index, ctx),
            Action::CopyReport => {
                ctx.copy_text(report(self.diagnostics.records()));
                self.notices.info("Copied the diagnostics report. Your API key is not in it.");
            }
            Action::CheckConnection => self.check_connection(),
            Action::ToggleDiagnostics => self.state.show_diagnostics = !self.state.show_diagnostics,
            Action::UseUsualServer => return true,
            Action::SwitchProvider { kind, base_url, api_key_header } => {
                if self.jobs.in_flight() > 0 {
                    self.notices.error("Wait until the running jobs end, then switch the service.");
                } else {
                    self.switch = Some(Switch { api_key_header, ..Switch::to(kind, base_url) });
                }
            }
            Action::RefreshModels => {
                self.engine.forget_models();
                self.list_models();
            }
            Action::PickInitImage => {
                let inbox = self.bg.inbox().clone();
                self.dialogs.pick_file(Box::new(move |path| inbox.post(Message::InitImagePicked(path))));
            }
            Action::UseDroppedImage(path) => self.check_image(path, false),
            Action::PickMask => {
                let inbox = self.bg.inbox().clone();
                self.dialogs.pick_file(Box::new(move |path| inbox.post(Message::MaskPicked(path))));
            }
            Action::TrySandbox => {
                self.bg.spawn(async {
                    let started = easel_sandbox::Sandbox::start(easel_sandbox::SandboxConfig::new(easel_sandbox::Scenario::Success)).await;
                    Message::SandboxStarted(started.map_err(|e| e.to_string()))
                });
            }
            Action::ToggleHelp => self.help.toggle(),
            Action::OpenLogsFolder => match super::help::open_logs_folder(&self.engine.config().data_dir) {
                Ok(dir) => self.notices.info(format!("Opening the logs folder: {}", dir.display())),
                Err(why) => self.notices.error(why),
            },
        }
        false
    }

    /// Check the draft; if it is valid and there is a key, start its jobs. An invalid draft
    /// sends nothing and explains every field.
    fn generate(&mut self) {
        let caps = self.engine.provider().capabilities(self.state.draft.model.trim());
        let Ok(request) = self.state.draft.validate(&caps) else {
            self.prompt.show_all_problems();
            return;
        };
        if self.ready_to_send() {
            self.prompt.submitted();
            self.submit(request);
        }
    }

    /// Send a job's settings again, as a new job.
    fn retry(&mut self, job: &str) {
        if let Some(settings) = self.jobs.settings_of(job).cloned()
            && self.ready_to_send()
        {
            self.submit(ValidRequest { candidates: vec![settings] });
        }
    }

    /// Read and check a chosen image off the UI thread, then use it: the draft is validated on
    /// every edit, and the check of this file is then remembered.
    fn check_image(&mut self, path: std::path::PathBuf, mask: bool) {
        self.bg.blocking(move || {
            let _ = easel_engine::request::inspect_image(&path);
            Message::ImageChecked { path, mask }
        });
    }

    /// True when requests can go out; otherwise ask for the key.
    fn ready_to_send(&mut self) -> bool {
        let ready = self.keys.ready();
        if !ready {
            self.keys.open_panel();
            self.notices.error("Add your API key first. Nothing was sent.");
        }
        ready
    }

    fn submit(&mut self, request: ValidRequest) {
        let settings = request.candidates.clone();
        let started = self.engine.submit(request, self.keys.active().cloned());
        let jobs = started.into_iter().map(|(id, _running)| id).zip(settings).collect();
        self.jobs.submitted(jobs, Instant::now());
    }

    fn open_image(&mut self, id: i64) {
        if let Some(record) = self.gallery.get(id) {
            self.viewer = Some(Viewer::open(record, &self.bg));
        }
    }

    fn reuse_settings(&mut self, id: i64) {
        if let Some(record) = self.gallery.get(id) {
            self.prompt.reuse(&mut self.state.draft, record);
            self.notices.info("The prompt panel now holds this image's settings.");
        }
    }

    fn toggle_star(&mut self, id: i64) {
        let starred = self.gallery.toggle_star(id);
        self.change_library(move |store| store.set_starred(id, starred), "The star could not be saved");
    }

    /// Move an image to the library's trash (the viewer moves on), with an Undo.
    fn trash_image(&mut self, id: i64) {
        if self.viewer.as_ref().is_some_and(|v| v.image() == id) {
            let next = self.gallery.neighbour(id, 1).or_else(|| self.gallery.neighbour(id, -1));
            self.viewer = None;
            if let Some(next) = next {
                self.open_image(next);
            }
        }
        if self.gallery.remove(id) {
            self.thumbs.forget(id);
            self.change_library(move |store| store.trash(id), "The image could not be moved to the trash");
            self.notices.trashed("Moved to the trash. The file is kept until the trash is emptied.", id);
        }
    }

    fn untrash_image(&mut self, id: i64) {
        self.gallery.restore(id);
        self.change_library(move |store| store.restore(id), "The image could not be taken out of the trash");
    }

    /// Write a change to the library off the UI thread; a failure shows `failure` and why.
    fn change_library(&self, change: impl FnOnce(&Store) -> Result<(), StoreError> + Send + 'static, failure: &'static str) {
        let store = self.engine.store().clone();
        let listing = self.gallery.listing();
        self.bg.blocking(move || Message::LibraryChanged { result: change(&store).map_err(|e| format!("{failure} ({e}).")), listing });
    }

    fn copy_curl(&mut self, index: usize, ctx: &egui::Context) {
        if let Some(record) = self.diagnostics.record(index) {
            ctx.copy_text(curl_command(record, self.engine.provider().base_url()));
            self.notices.info("Copied a curl command. It reads your key from $EASEL_API_KEY.");
        }
    }

    /// The doctor's checks (DNS, connection, TLS, key), run on the runtime.
    fn check_connection(&mut self) {
        self.diagnostics.doctor_started();
        let engine = self.engine.clone();
        let kind = engine.provider().kind();
        let key = easel_engine::keys::key_or_none(self.keys.active_with_source(), kind.needs_key(), || {
            easel_engine::error::EngineError::new(easel_engine::error::ErrorCategory::Auth)
                .with_message("No key is set in the window.")
                .with_hint("Paste your key in the key panel, then check again.")
        });
        self.bg.spawn(async move { Message::Doctor(easel_engine::doctor::checks(&engine, key).await) });
    }
}
