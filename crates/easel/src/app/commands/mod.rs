//! The command layer: the one place where the window's requests become engine calls, library
//! reads and writes, key-store calls, file dialogs and decoding. Everything here runs after the
//! frame is drawn, and everything slow runs off the UI thread and reports back as a
//! [`Message`] through the inbox.
//!
//! - this file: [`Commands`] and the engine calls (jobs, models, key check, doctor, sandbox);
//! - `library`: reads and writes of the library (gallery, trash, stars, history, presets);
//! - `keyring`: the key store;
//! - `files`: file dialogs, checking picked images, saving, the logs folder, crash reports;
//! - `images`: decoding images for the gallery, big pictures and their tiles, file thumbnails,
//!   the clipboard;
//! - `editing`: chosen and pasted pictures kept with the library, painted masks, what a
//!   picture was made from, variations;
//! - `costs`: the estimate before Generate, what was spent;
//! - `groups`: trying one prompt on several models;
//! - `notifier`: desktop notifications over D-Bus; `previews`: a job's streamed previews.

mod costs;
mod editing;
mod files;
mod groups;
mod images;
mod keyring;
mod library;
mod notifier;
mod previews;

use super::inbox::{Background, Message};
use super::jobs::{JobsMessage, Resumed, ResumedJob, WaitingService};
use super::keys::KeyMessage;
use super::logging;
use super::prompt::PromptMessage;
use easel_engine::doctor;
use easel_engine::error::EngineError;
use easel_engine::keys::{ApiKey, SecretStore};
use easel_engine::provider::ProviderKind;
use easel_engine::request::{GenerationSettings, ValidRequest};
use easel_engine::{Engine, JobId, Service, ServiceFilter, ServiceSpec};
use std::sync::Arc;

use super::dialogs::{Dialogs, Opener};
use super::notify::Notifier;
pub use files::{Opened, XdgOpener, mark_crash_report_seen, unseen_crash_report};
pub use groups::GroupKeys;
pub use notifier::DbusNotifier;
use std::sync::atomic::AtomicBool;

/// What the command layer works with: the engine, the service new jobs go to, the runtime
/// (through [`Background`]), the key store and the file dialogs. The panels get none of these.
pub struct Commands {
    engine: Engine,
    /// Where the next job goes. Jobs already running keep their own service.
    service: Service,
    bg: Background,
    secrets: Arc<dyn SecretStore>,
    dialogs: Arc<dyn Dialogs>,
    opener: Arc<dyn Opener>,
    notifier: Arc<dyn Notifier>,
    /// Clicks on notifications are listened for (from the first notification on).
    listening: Arc<AtomicBool>,
}

/// The outside world the command layer reaches: the key store, file dialogs, the opener, the
/// desktop's notifications.
pub struct Outside {
    pub secrets: Arc<dyn SecretStore>,
    pub dialogs: Arc<dyn Dialogs>,
    pub opener: Arc<dyn Opener>,
    pub notifier: Arc<dyn Notifier>,
}

impl Commands {
    pub fn new(engine: Engine, bg: Background, outside: Outside) -> Self {
        let Outside { secrets, dialogs, opener, notifier } = outside;
        let listening = Arc::new(AtomicBool::new(false));
        Self { service: engine.default_service(), engine, bg, secrets, dialogs, opener, notifier, listening }
    }

    /// The engine, for what the panels show of it (configuration, library).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The service the next job goes to, for what the panels show of it (provider, capabilities).
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Send the next jobs to `spec`. Running jobs are not touched.
    pub fn use_service(&mut self, spec: &ServiceSpec) -> Result<(), EngineError> {
        self.service = self.engine.connect(spec)?;
        Ok(())
    }

    /// Start the jobs of a checked request on the current service; returns each job's id with
    /// what it sends.
    pub fn submit(&self, request: ValidRequest, key: Option<ApiKey>) -> Vec<(JobId, GenerationSettings)> {
        let settings = request.candidates.clone();
        let started = self.engine.submit_to(&self.service, request, key);
        started.into_iter().map(|(id, _running)| id).zip(settings).collect()
    }

    pub fn cancel(&self, job: &str) {
        self.engine.cancel(job);
    }

    /// Ask the provider for its models (the engine caches the answer unless `again`).
    pub fn list_models(&self, key: Option<ApiKey>, again: bool) {
        if again {
            self.service.forget_models();
        }
        let service = self.service.clone();
        self.bg.spawn(async move { Message::Prompt(PromptMessage::Models(service.list_models(key.as_ref()).await)) });
    }

    /// Check a key with the provider (its balance call); nothing is generated or charged.
    pub fn check_key(&self, key: ApiKey) {
        let service = self.service.clone();
        self.bg.spawn(async move { Message::Keys(KeyMessage::Checked(service.check_key(&key).await)) });
    }

    /// The doctor's checks (DNS, connection, TLS, key), on the runtime. `key` is the key in
    /// use and where it came from, or why there is none.
    pub fn check_connection(&self, key: Result<easel_engine::keys::FoundKey, EngineError>) {
        let service = self.service.clone();
        self.bg.spawn(async move { Message::Doctor(doctor::checks_on(&service, key).await) });
    }

    /// Pick up the jobs an earlier run left unfinished, each on its own service, off the UI
    /// thread: jobs the provider was making are fetched by their stored id (never resubmitted);
    /// jobs sent without an answer come back as unknown; jobs whose key is not available wait.
    /// The current service uses `key` (the window's); `EASEL_API_KEY` (`launch`) serves its
    /// own provider only, as everywhere in the window; other services use their saved key.
    /// Reports through [`JobsMessage::Resumed`].
    pub fn resume(&self, key: Option<ApiKey>, launch: Option<(ProviderKind, ApiKey)>) {
        let (engine, current, secrets) = (self.engine.clone(), self.service.clone(), self.secrets.clone());
        self.bg.blocking(move || {
            let lookup = |service: &Service| -> Result<Option<ApiKey>, EngineError> {
                groups::key_for(service, &current, key.as_ref(), launch.as_ref(), secrets.as_ref()).map_err(|e| {
                    e.with_message(format!("No key for {} is saved, so its unfinished jobs wait.", service.label()))
                        .with_hint("Switch to that service and add its key: its jobs are then picked up.")
                })
            };
            let report = match engine.resume_with(&ServiceFilter::default(), &lookup) {
                Ok(report) => report,
                Err(e) => return resumed(Err(format!("Unfinished jobs could not be picked up: {}", e.message))),
            };
            let waiting_for_key = report
                .services
                .iter()
                .filter(|s| s.waiting_for_key > 0)
                .map(|s| WaitingService { service: s.service.clone(), jobs: s.waiting_for_key })
                .collect();
            let resumed_jobs = report.resumed.into_iter().map(|(id, _running)| (id, false));
            let unknown = report.unknown.into_iter().map(|id| (id, true));
            let jobs = resumed_jobs
                .chain(unknown)
                .filter_map(|(id, unknown)| match library::job_settings(&engine, &id) {
                    Ok(Some(settings)) => Some(ResumedJob { id, settings, unknown }),
                    Ok(None) => None,
                    Err(why) => {
                        logging::note(&format!("the settings of resumed job {id} could not be read: {why}"));
                        None
                    }
                })
                .collect();
            resumed(Ok(Resumed { jobs, waiting_for_key }))
        });
    }

    /// "Try the sandbox": start the built-in sandbox in this process.
    pub fn start_sandbox(&self) {
        self.bg.spawn(async {
            let config = easel_sandbox::SandboxConfig::new(easel_sandbox::Scenario::Success);
            let started = easel_sandbox::Sandbox::start(config).await;
            Message::SandboxStarted(started.map_err(|e| e.to_string()))
        });
    }
}

fn resumed(result: Result<Resumed, String>) -> Message {
    Message::Jobs(JobsMessage::Resumed(result))
}
