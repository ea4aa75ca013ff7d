//! Which services Easel speaks to, what each calls things, and building the provider for one.

use super::base_url::check_base_url;
use super::{Provider, a1111, modelslab, openai};

/// The providers Easel speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    ModelsLab,
    OpenAi,
    A1111,
}

impl ProviderKind {
    pub const ALL: &[ProviderKind] = &[ProviderKind::ModelsLab, ProviderKind::OpenAi, ProviderKind::A1111];
    /// The id used on the command line, in the keyring and in the library.
    pub fn id(self) -> &'static str {
        match self {
            Self::ModelsLab => "modelslab",
            Self::OpenAi => "openai",
            Self::A1111 => "a1111",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::ModelsLab => "ModelsLab",
            Self::OpenAi => "OpenAI-compatible",
            Self::A1111 => "AUTOMATIC1111 / Forge",
        }
    }
    /// Where a person gets a key.
    pub fn key_page(self) -> &'static str {
        match self {
            Self::ModelsLab => "https://modelslab.com/dashboard/api-keys",
            Self::OpenAi => "https://platform.openai.com/api-keys",
            Self::A1111 => "https://github.com/AUTOMATIC1111/stable-diffusion-webui/wiki/API",
        }
    }
    /// Where a person adds credits or changes their plan, for services that charge.
    pub fn billing_page(self) -> Option<&'static str> {
        match self {
            Self::ModelsLab => Some("https://modelslab.com/dashboard"),
            Self::OpenAi => Some("https://platform.openai.com/settings/organization/billing/overview"),
            Self::A1111 => None,
        }
    }
    /// The official (or usual) server, and what `--base-url` means for this provider.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::ModelsLab => modelslab::OFFICIAL_BASE,
            Self::OpenAi => openai::OFFICIAL_BASE,
            Self::A1111 => a1111::DEFAULT_BASE,
        }
    }
    /// Whether a key is required (A1111 runs without one unless `--api-auth` is set).
    pub fn needs_key(self) -> bool {
        !matches!(self, Self::A1111)
    }
    /// What the secret is called in the window.
    pub fn key_label(self) -> &'static str {
        match self {
            Self::A1111 => "user:password (only if the server uses --api-auth)",
            _ => "API key",
        }
    }
    /// Plain http is allowed on the local network only for self-hosted servers.
    pub fn allows_lan_http(self) -> bool {
        matches!(self, Self::A1111)
    }
    /// Jobs in flight at once by default: ModelsLab pay-as-you-go queues 5; A1111 runs one at a time.
    pub fn default_concurrency(self) -> usize {
        match self {
            Self::A1111 => 1,
            _ => 5,
        }
    }
    pub fn parse(id: &str) -> Option<Self> {
        let id = id.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.id().eq_ignore_ascii_case(id))
            .or_else(|| ["automatic1111", "forge", "sdapi"].iter().any(|a| a.eq_ignore_ascii_case(id)).then_some(Self::A1111))
    }
    /// Build the provider, optionally pointed at another server.
    pub fn build(self, base_url: Option<&str>, options: &ProviderOptions) -> Result<Box<dyn Provider>, String> {
        let base = check_base_url(self, base_url.unwrap_or(self.default_base_url()))?;
        Ok(match self {
            Self::ModelsLab => Box::new(modelslab::ModelsLab::new(Some(base.url))),
            Self::OpenAi => Box::new(openai::OpenAi::new(base.url, options.openai_auth)),
            Self::A1111 => Box::new(a1111::A1111::new(base.url)),
        })
    }
}

/// Choices that only some providers have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProviderOptions {
    pub openai_auth: openai::AuthStyle,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_round_trip() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(kind.id()), Some(*kind));
        }
        assert_eq!(ProviderKind::parse("Forge"), Some(ProviderKind::A1111));
        assert_eq!(ProviderKind::parse("nope"), None);
    }
}
