//! The argument types several commands share: which provider and server, and how a
//! command-line mistake is explained.

use clap::Args;
use easel_engine::EngineConfig;
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::keys::{self, KeyringStore};
use easel_engine::provider::ProviderKind;
use easel_engine::store::default_data_dir;

/// Which provider, and where.
#[derive(Args, Debug, Clone, Default)]
pub struct ProviderArgs {
    /// The provider: modelslab, openai or a1111.
    #[arg(long, default_value = "modelslab")]
    pub provider: String,
    /// Another server. ModelsLab: replaces scheme, host and port. OpenAI: the API root
    /// including /v1. A1111: the server root (default http://127.0.0.1:7860).
    #[arg(long)]
    pub base_url: Option<String>,
    /// OpenAI-compatible: send the key in an `api-key` header (Azure) instead of Bearer.
    #[arg(long)]
    pub api_key_header: bool,
}

impl ProviderArgs {
    pub fn kind(&self) -> Result<ProviderKind, EngineError> {
        ProviderKind::parse(&self.provider)
            .ok_or_else(|| usage_error(format!("Unknown provider '{}'. Use: modelslab, openai or a1111.", self.provider), "provider"))
    }

    pub fn config(&self, kind: ProviderKind) -> EngineConfig {
        let mut config = EngineConfig::new(default_data_dir(), kind);
        config.base_url = self.base_url.clone();
        if self.api_key_header {
            config.options.openai_auth = easel_engine::provider::openai::AuthStyle::ApiKeyHeader;
        }
        config
    }
}

/// The key for `kind`, or none for a server that needs none (A1111 without --api-auth).
pub fn credentials(kind: ProviderKind) -> Result<Option<keys::ApiKey>, EngineError> {
    match keys::resolve_key(kind.id(), &KeyringStore) {
        Ok((key, _)) => Ok(Some(key)),
        Err(_) if !kind.needs_key() && keys::key_from_env().is_ok() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A mistake on the command line, as a validation error naming the `field`.
pub fn usage_error(message: String, field: &str) -> EngineError {
    let mut fields = easel_engine::error::FieldErrors::new();
    fields.insert(field.to_owned(), vec![message.clone()]);
    EngineError::new(ErrorCategory::Validation).with_message(message).with_fields(fields)
}
