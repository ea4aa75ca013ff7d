//! The services the engine talks to: one [`Service`] per provider and server, each with its own
//! provider, concurrency limit and cached model list, built the first time a job (or a face)
//! names it and shared by every job on it after that.

use crate::Inner;
use crate::config::ServiceSpec;
use crate::error::{EngineError, ErrorCategory};
use crate::job::Slots;
use crate::keys::ApiKey;
use crate::provider::openai::AuthStyle;
use crate::provider::{Balance, Provider, ProviderKind, ProviderOptions};
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// What tells two services apart: the provider, its server (as the provider writes it) and
/// how the key travels.
pub(crate) type ServiceKey = (ProviderKind, String, bool);

/// One service's running parts.
pub(crate) struct ServiceRt {
    /// Normalized: `base_url` is `None` for the provider's usual server.
    pub(crate) spec: ServiceSpec,
    pub(crate) provider: Box<dyn Provider>,
    /// Jobs in flight at once on this service; fitted to the account's queue cap once the
    /// service says it, or to the person's choice ([`crate::Engine::set_concurrency`]).
    pub(crate) slots: Arc<Slots>,
    /// The server's model list, once asked for.
    pub(crate) models: Mutex<Option<Vec<String>>>,
}

impl ServiceRt {
    /// Build the provider for `spec`; `concurrency` jobs may run on it at once (`chosen`: the
    /// person's number, never raised by the service's word).
    pub(crate) fn build(spec: &ServiceSpec, concurrency: usize, chosen: bool) -> Result<Self, EngineError> {
        let options = ProviderOptions { openai_auth: spec.openai_auth };
        let provider = spec.kind.build(spec.base_url.as_deref(), &options).map_err(|why| {
            EngineError::new(ErrorCategory::Validation)
                .with_message(format!("The server address is not usable: {why}."))
                .with_hint("Give an address like https://modelslab.com or http://127.0.0.1:7860.")
        })?;
        Ok(Self { spec: spec.normalized(), provider, slots: Slots::new(concurrency, chosen), models: Mutex::new(None) })
    }

    pub(crate) fn key(&self) -> ServiceKey {
        (self.spec.kind, self.provider.base_url().to_string(), self.spec.openai_auth == AuthStyle::ApiKeyHeader)
    }

    pub(crate) fn info(&self) -> ServiceInfo {
        ServiceInfo { provider: self.spec.kind.id().to_owned(), base_url: self.provider.base_url().to_string(), label: self.spec.label() }
    }
}

/// A service, as events and the library name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceInfo {
    /// The provider's id (`modelslab`).
    pub provider: String,
    /// The server, as the library keeps it.
    pub base_url: String,
    /// In a person's words: "ModelsLab at 127.0.0.1:7860".
    pub label: String,
}

/// A service of one engine: what the faces hold to send jobs to it, ask for its models or
/// check a key with it. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub(crate) inner: Arc<Inner>,
    pub(crate) rt: Arc<ServiceRt>,
}

impl Service {
    pub fn provider(&self) -> &dyn Provider {
        self.rt.provider.as_ref()
    }

    /// The service, with its address as the library keeps it.
    pub fn spec(&self) -> &ServiceSpec {
        &self.rt.spec
    }

    pub fn kind(&self) -> ProviderKind {
        self.rt.spec.kind
    }

    /// In a person's words: "ModelsLab", "OpenAI-compatible at 127.0.0.1:8080".
    pub fn label(&self) -> String {
        self.rt.spec.label()
    }

    /// Where its key is kept in the key store ([`ServiceSpec::key_account`]).
    pub fn key_account(&self) -> String {
        self.rt.spec.key_account()
    }

    pub fn info(&self) -> ServiceInfo {
        self.rt.info()
    }

    /// Jobs in flight at once on this service.
    pub fn concurrency(&self) -> usize {
        self.rt.slots.total()
    }

    /// True for the same service (provider, server and key header).
    pub fn is(&self, other: &Service) -> bool {
        self.rt.key() == other.rt.key()
    }

    /// Check a key without generating anything: the provider's balance call. Its exchange
    /// leaves a diagnostics record, as an event with no job; a balance it reads is remembered
    /// for the cost warning ([`crate::Engine::estimate`]).
    /// `Ok(None)` when the provider has no balance to show but accepted the key.
    pub async fn check_key<'k>(&self, key: impl Into<Option<&'k ApiKey>>) -> Result<Option<Balance>, EngineError> {
        let key = key.into();
        let balance = crate::lookups::check_key(&self.inner, &self.rt, key).await?;
        if let Some(b) = &balance {
            self.inner.ledger.remember(&self.rt, key, b.clone());
        }
        Ok(balance)
    }

    /// Forget the cached model list, so the next [`Service::list_models`] asks the server again.
    pub fn forget_models(&self) {
        if let Ok(mut cache) = self.rt.models.lock() {
            *cache = None;
        }
    }

    /// The server's models (ModelsLab's public list, A1111 checkpoints, OpenAI image models),
    /// fetched once and cached. Its exchange leaves a diagnostics record, as an event with no job.
    /// Empty for providers without a list; typing any id stays possible.
    pub async fn list_models(&self, key: Option<&ApiKey>) -> Result<Vec<String>, EngineError> {
        if let Some(cached) = self.rt.models.lock().ok().and_then(|m| m.clone()) {
            return Ok(cached);
        }
        let models = crate::lookups::list_models(&self.inner, &self.rt, key).await?;
        if let Ok(mut cache) = self.rt.models.lock() {
            *cache = Some(models.clone());
        }
        Ok(models)
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Service").field(&self.label()).finish()
    }
}
