//! What the engine needs to know: [`EngineConfig`], and [`ServiceSpec`], the service as a person
//! names it (command-line flags, the window's settings, a job's row in the library), from which
//! the engine builds the service it talks to.

use crate::cost::PriceTable;
use crate::intake;
use crate::provider::openai::AuthStyle;
use crate::provider::{ProviderKind, ProviderOptions};
use crate::retry::RetryPolicy;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
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

    /// `kind` at `base_url` (`None`: its usual server).
    pub fn at(kind: ProviderKind, base_url: Option<String>) -> Self {
        Self { base_url, ..Self::new(kind) }
    }

    /// The engine's configuration with this service as its first one, its data kept in
    /// `data_dir`; what the faces use. Everything else as [`EngineConfig::new`] sets it, except
    /// that a job's real cost is measured from the balance where the service has one.
    pub fn config(&self, data_dir: PathBuf) -> EngineConfig {
        let mut config = EngineConfig::new(data_dir, self.kind);
        config.base_url.clone_from(&self.base_url);
        config.options.openai_auth = self.openai_auth;
        config.measure_balance = true;
        config
    }

    /// The same service with its address written the one way the library keeps it (the
    /// provider's own form), or `None` for the provider's usual server. An address the provider
    /// refuses is left as it was (building the service then says why).
    pub fn normalized(&self) -> Self {
        let built = |base: Option<&str>| self.kind.build(base, &ProviderOptions::default()).ok().map(|p| p.base_url().to_string());
        let usual = built(None);
        let base_url = match self.base_url.as_deref().map(|b| (b, built(Some(b)))) {
            None => None,
            Some((_, Some(url))) if Some(&url) == usual.as_ref() => None,
            Some((_, Some(url))) => Some(url),
            Some((raw, None)) => Some(raw.to_owned()),
        };
        Self { base_url, ..self.clone() }
    }

    /// Where this service's key is kept in the key store: the provider's id for its usual
    /// server (`modelslab`), the id and the address for any other (`modelslab http://127.0.0.1:7860/`),
    /// so a key is only ever sent to the server it was saved for.
    pub fn key_account(&self) -> String {
        match self.normalized().base_url {
            None => self.kind.id().to_owned(),
            Some(url) => format!("{} {url}", self.kind.id()),
        }
    }

    /// The service in a person's words: "ModelsLab", "ModelsLab at 127.0.0.1:7860".
    pub fn label(&self) -> String {
        match self.normalized().base_url {
            None => self.kind.label().to_owned(),
            Some(url) => {
                let shown = url::Url::parse(&url)
                    .ok()
                    .and_then(|u| u.host_str().map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}"))))
                    .unwrap_or(url);
                format!("{} at {shown}", self.kind.label())
            }
        }
    }

    /// What a job's row keeps of its service, so it is picked up on the same one.
    pub(crate) fn record(&self) -> ServiceRecord {
        let spec = self.normalized();
        ServiceRecord { provider: spec.kind, base_url: spec.base_url, api_key_header: spec.openai_auth == AuthStyle::ApiKeyHeader }
    }
}

/// A service as the library keeps it (`jobs.service_json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ServiceRecord {
    pub provider: ProviderKind,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub api_key_header: bool,
}

impl From<ServiceRecord> for ServiceSpec {
    fn from(r: ServiceRecord) -> Self {
        Self { kind: r.provider, base_url: r.base_url, openai_auth: AuthStyle::from_flag(r.api_key_header) }
    }
}

/// What the engine needs to know: where its data lives, how it waits and retries, and its first
/// service (more are added as jobs name them).
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub provider: ProviderKind,
    /// Replaces the official server (see `--base-url`).
    pub base_url: Option<String>,
    /// Jobs in flight at once on the first service; other services start at their provider's
    /// default ([`ProviderKind::default_concurrency`]) and change with
    /// [`crate::Engine::set_concurrency`].
    pub concurrency: usize,
    /// Overrides the per-attempt timeout of every model.
    pub timeout: Option<Duration>,
    /// Choices only some providers have (OpenAI's auth header style).
    pub options: ProviderOptions,
    pub policy: RetryPolicy,
    pub limits: intake::Limits,
    /// Read the balance before and after jobs on services that have one (ModelsLab), to know
    /// what each job really cost. Off in [`EngineConfig::new`], on in [`ServiceSpec::config`].
    pub measure_balance: bool,
    /// What models cost, where it is published ([`PriceTable::published`]).
    pub prices: Arc<PriceTable>,
}

impl EngineConfig {
    /// The bare engine (tests, benches): no extra balance calls around jobs.
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
            measure_balance: false,
            prices: Arc::new(PriceTable::published()),
        }
    }

    /// The first service.
    pub fn service(&self) -> ServiceSpec {
        ServiceSpec { kind: self.provider, base_url: self.base_url.clone(), openai_auth: self.options.openai_auth }
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
        assert!(config.measure_balance, "the faces measure what jobs cost");
        assert_eq!(config.service(), spec);
        let usual = ServiceSpec::new(ProviderKind::A1111).config("/data".into());
        assert_eq!((usual.base_url, usual.options.openai_auth, usual.concurrency), (None, AuthStyle::Bearer, 1));
        assert!(!EngineConfig::new("/d".into(), ProviderKind::ModelsLab).measure_balance);
    }

    #[test]
    fn a_service_is_named_and_keyed_the_same_however_its_address_is_written() {
        let usual = ServiceSpec::at(ProviderKind::ModelsLab, Some("https://modelslab.com".into()));
        assert_eq!(usual.normalized().base_url, None, "the usual server, spelled out");
        assert_eq!(usual.key_account(), "modelslab");
        assert_eq!(usual.label(), "ModelsLab");
        let local = ServiceSpec::at(ProviderKind::ModelsLab, Some("http://127.0.0.1:7860/api/v6".into()));
        let same = ServiceSpec::at(ProviderKind::ModelsLab, Some("http://127.0.0.1:7860".into()));
        assert_eq!(local.normalized(), same.normalized(), "ModelsLab keeps only scheme, host and port");
        assert_eq!(local.key_account(), "modelslab http://127.0.0.1:7860/");
        assert_eq!(local.label(), "ModelsLab at 127.0.0.1:7860");
        let record = local.record();
        assert_eq!(ServiceSpec::from(record), same.normalized());
        let refused = ServiceSpec::at(ProviderKind::OpenAi, Some("http://example.com/v1".into()));
        assert_eq!(refused.normalized().base_url.as_deref(), Some("http://example.com/v1"), "kept for the error");
    }
}
