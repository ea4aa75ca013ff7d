//! What the window needs from outside: the runtime, the key store, file dialogs, where data
//! lives and which server to talk to. Tests build this with fakes.

use super::commands::{DbusNotifier, XdgOpener};
use super::dialogs::{Dialogs, Opener, RfdDialogs};
use super::notify::Notifier;
use easel_engine::error::EngineError;
use easel_engine::keys::{self, ApiKey, KeyringStore, SecretStore};
use easel_engine::provider::ProviderKind;
use easel_engine::store::default_data_dir;
use std::path::PathBuf;
use std::sync::Arc;

/// The window's seams to the outside world.
#[derive(Clone)]
pub struct Deps {
    /// The tokio runtime that runs the engine and every background task.
    pub runtime: tokio::runtime::Handle,
    /// Where keys are kept: the OS keyring in production, memory in tests.
    pub secrets: Arc<dyn SecretStore>,
    /// Save and folder dialogs.
    pub dialogs: Arc<dyn Dialogs>,
    /// Opens links and folders (a browser, a file manager).
    pub opener: Arc<dyn Opener>,
    /// Desktop notifications (the session bus's notification service).
    pub notifier: Arc<dyn Notifier>,
    /// The data folder (library database and image files).
    pub data_dir: PathBuf,
    pub provider: ProviderKind,
    /// Another server instead of the provider's usual one (`--base-url`).
    pub base_url: Option<String>,
    /// The key from `EASEL_API_KEY`: used for this session only, never written to the keyring.
    /// An error when the variable is set but unusable.
    pub env_key: Result<Option<ApiKey>, EngineError>,
    /// OpenAI-compatible servers: send the key in an `api-key` header (`--api-key-header`),
    /// as Azure wants, instead of `Authorization: Bearer`.
    pub api_key_header: bool,
}

impl Deps {
    /// The real thing: OS keyring, portal file dialogs, the platform data folder and
    /// `EASEL_API_KEY` from the environment.
    pub fn production(runtime: tokio::runtime::Handle, provider: ProviderKind, base_url: Option<String>, api_key_header: bool) -> Self {
        Self {
            dialogs: Arc::new(RfdDialogs::new(runtime.clone())),
            runtime,
            opener: Arc::new(XdgOpener),
            notifier: Arc::new(DbusNotifier::session()),
            secrets: Arc::new(KeyringStore),
            data_dir: default_data_dir(),
            provider,
            base_url,
            env_key: keys::key_from_env(),
            api_key_header,
        }
    }
}
