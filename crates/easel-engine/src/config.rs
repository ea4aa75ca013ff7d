//! What the engine needs to know: [`EngineConfig`], and [`ServiceSpec`], the service as a person
//! names it (command-line flags, the window's settings), from which both faces build one.

use crate::intake;
use crate::provider::openai::AuthStyle;
use crate::provider::{ProviderKind, ProviderOptions};
use crate::retry::RetryPolicy;
use std::path::PathBuf;
use std::time::Duration;

/// Which service to talk to: the provider, another server instead of its usual one, and how
/// an OpenAI-compatible server takes the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub kind: ProviderKind,
    /// Replaces the provider's usual server (`--base-url`).
    pub base_url: Option<String>,
    /// OpenAI-compatible servers: `Authorization: Bearer`, or the `api-key` header Azure wants
    /// (`--api-key-header`).
    pub openai_auth: AuthStyle,
}

impl ServiceSpec {
    /// The provider's usual server, with its usual way of sending the key.
    pub fn new(kind: ProviderKind) -> Self {
        Self { kind, base_url: None, openai_auth: AuthStyle::default() }
    }

    /// The engine's configuration for this service, its data kept in `data_dir`; everything
    /// else as [`EngineConfig::new`] sets it.
    pub fn config(&self, data_dir: PathBuf) -> EngineConfig {
        let mut config = EngineConfig::new(data_dir, self.kind);
        config.base_url.clone_from(&self.base_url);
        config.options.openai_auth = self.openai_auth;
        config
    }
}

/// What the engine needs to know.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub provider: ProviderKind,
    /// Replaces the official server (see `--base-url`).
    pub base_url: Option<String>,
    /// Jobs in flight at once for this account.
    pub concurrency: usize,
    /// Overrides the per-attempt timeout of every model.
    pub timeout: Option<Duration>,
    /// Choices only some providers have (OpenAI's auth header style).
    pub options: ProviderOptions,
    pub policy: RetryPolicy,
    pub limits: intake::Limits,
}

impl EngineConfig {
    pub fn new(data_dir: PathBuf, provider: ProviderKind) -> Self {
        Self {
            data_dir,
            provider,
            base_url: None,
            concurrency: provider.default_concurrency(),
            timeout: None,
            options: ProviderOptions::default(),
            policy: RetryPolicy::default(),
            limits: intake::Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_becomes_the_engine_configuration_for_it() {
        let spec = ServiceSpec {
            kind: ProviderKind::OpenAi,
            base_url: Some("https://x.openai.azure.com/v1".into()),
            openai_auth: AuthStyle::ApiKeyHeader,
        };
        let config = spec.config("/data".into());
        assert_eq!((config.provider, config.base_url.as_deref()), (ProviderKind::OpenAi, Some("https://x.openai.azure.com/v1")));
        assert_eq!(config.options.openai_auth, AuthStyle::ApiKeyHeader);
        assert_eq!(config.data_dir, PathBuf::from("/data"));
        let usual = ServiceSpec::new(ProviderKind::A1111).config("/data".into());
        assert_eq!((usual.base_url, usual.options.openai_auth, usual.concurrency), (None, AuthStyle::Bearer, 1));
    }
}
