//! The argument types several commands share: which provider and server, and how a
//! command-line mistake is explained.

use clap::Args;
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::keys::{self, KeyringStore};
use easel_engine::provider::ProviderKind;
use easel_engine::provider::openai::AuthStyle;
use easel_engine::store::default_data_dir;
use easel_engine::{EngineConfig, ServiceSpec};

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

    /// The service these flags name, for a provider already checked.
    pub fn service(&self, kind: ProviderKind) -> ServiceSpec {
        ServiceSpec { kind, base_url: self.base_url.clone(), openai_auth: AuthStyle::from_flag(self.api_key_header) }
    }

    pub fn config(&self, kind: ProviderKind) -> EngineConfig {
        self.service(kind).config(default_data_dir())
    }
}

/// The service the flags name (an unknown provider is a usage error).
impl TryFrom<&ProviderArgs> for ServiceSpec {
    type Error = EngineError;
    fn try_from(args: &ProviderArgs) -> Result<Self, EngineError> {
        Ok(args.service(args.kind()?))
    }
}

/// The key for `service` (`EASEL_API_KEY`, which this command uses for every service, else
/// the service's own entry in the system keychain), or none for a server that needs none (A1111
/// without --api-auth).
pub fn credentials(service: &ServiceSpec) -> Result<Option<keys::ApiKey>, EngineError> {
    Ok(keys::find_service_key(service, &KeyringStore)?.map(|(key, _)| key))
}

/// A mistake on the command line, as a validation error naming the `field`.
pub fn usage_error(message: String, field: &str) -> EngineError {
    let mut fields = easel_engine::error::FieldErrors::new();
    fields.insert(field.to_owned(), vec![message.clone()]);
    EngineError::new(ErrorCategory::Validation).with_message(message).with_fields(fields)
}
