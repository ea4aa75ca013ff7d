//! Trying one prompt on several models: the services offered, each target's key (read from
//! the key store off the UI thread, as resume reads them), the group sent as one, and the
//! group read back from the library for the side-by-side view.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::logging;
use crate::app::several_models::{GroupMessage, ServiceChoice};
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::keys::{ApiKey, SecretStore};
use easel_engine::provider::ProviderKind;
use easel_engine::request::{GenerationSettings, ValidRequest};
use easel_engine::{JobId, Service, ServiceSpec, Target};

/// A group ready to send (every target has the key it needs), or why not (a plain sentence).
pub type GroupKeys = Result<Vec<Target>, String>;

impl Commands {
    /// The service `spec` names, as the engine keeps it (built the first time; no I/O).
    pub fn connect(&self, spec: &ServiceSpec) -> Result<Service, EngineError> {
        self.engine.connect(spec)
    }

    /// The services "Try on several models" offers: the one in use, those `used` this session,
    /// then each provider's usual server.
    pub fn service_choices(&self, used: Vec<ServiceSpec>) -> Vec<ServiceChoice> {
        let choice = |service: &Service| ServiceChoice {
            label: service.label(),
            spec: service.spec().clone(),
            models: service.provider().known_models(),
            default_model: service.provider().default_model(),
        };
        let mut offered = vec![self.service.clone()];
        for spec in used.into_iter().chain(ProviderKind::ALL.iter().map(|kind| ServiceSpec::new(*kind))) {
            match self.engine.connect(&spec) {
                Ok(service) if !offered.iter().any(|o| o.is(&service)) => offered.push(service),
                Ok(_) => {}
                Err(e) => logging::note(&format!("{} cannot be offered for trying several models: {}", spec.label(), e.message)),
            }
        }
        offered.iter().map(choice).collect()
    }

    /// Find each target's key (the window's for the service in use, `EASEL_API_KEY` for its
    /// own provider, the saved key for the others), then report the group ready to send
    /// ([`Message::GroupKeys`]). Nothing is sent from here.
    pub fn find_group_keys(&self, targets: Vec<(Service, ValidRequest)>, key: Option<ApiKey>, launch: Option<(ProviderKind, ApiKey)>) {
        let (current, secrets) = (self.service.clone(), self.secrets.clone());
        self.bg.blocking(move || {
            let mut ready = Vec::new();
            for (service, request) in targets {
                match key_for(&service, &current, key.as_ref(), launch.as_ref(), secrets.as_ref()) {
                    Ok(key) => ready.push(Target { service, request, key }),
                    Err(e) => return Message::GroupKeys(Err(format!("{} Nothing was sent.", e.message))),
                }
            }
            Message::GroupKeys(Ok(ready))
        });
    }

    /// Send a group: every target's jobs start at once. Returns the group's id and each job
    /// with what it sends.
    pub fn submit_group(&self, targets: Vec<Target>) -> (Option<String>, Vec<(JobId, GenerationSettings)>) {
        let settings: Vec<GenerationSettings> = targets.iter().flat_map(|t| t.request.candidates.clone()).collect();
        let submitted = self.engine.submit_group(targets);
        (submitted.group, submitted.jobs.into_iter().map(|(id, _, _)| id).zip(settings).collect())
    }

    /// Read a group's jobs and pictures for the side-by-side view.
    pub fn read_group(&self, group: String) {
        let engine = self.engine.clone();
        self.bg.blocking(move || {
            let result = engine.store().group(&group).map_err(|e| e.to_string());
            Message::Group(GroupMessage::Read { group, result })
        });
    }
}

/// The key for `service`: `key` (the window's) for the service in use, `EASEL_API_KEY`
/// (`launch`) for its own provider only, the saved key otherwise. An error when the service
/// needs a key and none is available.
pub(super) fn key_for(
    service: &Service,
    current: &Service,
    key: Option<&ApiKey>,
    launch: Option<&(ProviderKind, ApiKey)>,
    secrets: &dyn SecretStore,
) -> Result<Option<ApiKey>, EngineError> {
    let found = if service.is(current) {
        key.cloned()
    } else if let Some((_, launch_key)) = launch.filter(|(kind, _)| *kind == service.kind()) {
        Some(launch_key.clone())
    } else {
        secrets.get(&service.key_account()).unwrap_or_else(|why| {
            logging::note(&format!("the key for {} could not be read: {why}", service.label()));
            None
        })
    };
    easel_engine::keys::key_or_none(found.map(|k| (k, easel_engine::keys::KeySource::Keyring)), service.kind().needs_key(), || {
        EngineError::new(ErrorCategory::Auth)
            .with_message(format!("No key for {} is saved.", service.label()))
            .with_hint("Switch to that service in Settings and add its key.")
    })
    .map(|found| found.map(|(key, _)| key))
}
