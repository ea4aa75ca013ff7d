//! API keys: where they come from, how they are checked, and where they are kept.
//!
//! The key is wrapped in [`ApiKey`], whose `Debug` and `Display` never show it, so
//! it cannot slip into a log line or an event by accident. Only request builders
//! call [`ApiKey::expose`].

use super::error::{EngineError, ErrorCategory};
use std::fmt;

/// The environment variable that overrides the keyring for one session.
pub const KEY_ENV: &str = "EASEL_API_KEY";
/// The keyring service name; the entry's user is the provider id.
pub const KEYRING_SERVICE: &str = "easel";

/// A secret API key. Shows as `[redacted]` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Trim pasted white space and newlines; refuse empty keys and keys with inner spaces.
    /// The key becomes a secret every log line and crash report of this process is cleaned
    /// of: parse only a key that is used or kept (see [`ApiKey::problem`] to check text as it
    /// is typed).
    pub fn parse(raw: &str) -> Result<Self, KeyProblem> {
        if let Some(problem) = Self::problem(raw) {
            return Err(problem);
        }
        let trimmed = raw.trim();
        remember_secret(trimmed);
        Ok(Self(trimmed.to_owned()))
    }

    /// What is wrong with `raw` as a key, without making it a secret to remove from logs:
    /// for checking a key box while the person types (each partial key is no secret, and
    /// removing "m" from every log line would garble them).
    pub fn problem(raw: &str) -> Option<KeyProblem> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            Some(KeyProblem::Empty)
        } else if trimmed.chars().any(char::is_whitespace) {
            Some(KeyProblem::InnerWhitespace)
        } else if trimmed.chars().any(char::is_control) {
            Some(KeyProblem::ControlCharacters)
        } else {
            None
        }
    }
    /// The secret itself, for request builders and the key store only.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A short hint for the person ("…3f9a"), never enough to use.
    pub fn last_four(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 12 {
            return "…".to_owned();
        }
        format!("…{}", chars[chars.len() - 4..].iter().collect::<String>())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Every key this process has seen, so that text produced far from any job (a panic
/// message, a crash report) can still be scrubbed. Keys are short; the list stays tiny.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn remember_secret(secret: &str) {
    if let Ok(mut secrets) = SECRETS.lock()
        && !secrets.iter().any(|s| s == secret)
    {
        secrets.push(secret.to_owned());
    }
}

/// The secrets known to this process (for redaction only).
pub(crate) fn known_secrets() -> Vec<String> {
    SECRETS.lock().map(|s| s.clone()).unwrap_or_default()
}

/// Why a pasted key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    Empty,
    InnerWhitespace,
    ControlCharacters,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "The key is empty. Paste the key from your provider's dashboard.",
            Self::InnerWhitespace => "The key contains spaces. Copy it again from the dashboard; a key is one unbroken word.",
            Self::ControlCharacters => "The key contains invisible characters. Copy it again from the dashboard.",
        })
    }
}

impl std::error::Error for KeyProblem {}

/// Where the key in use came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `EASEL_API_KEY`: used for this session, never written to the keyring.
    Environment,
    /// The OS keyring.
    Keyring,
    /// Pasted in the window and kept in memory only.
    Session,
}

impl KeySource {
    pub fn label(self) -> &'static str {
        match self {
            Self::Environment => "from EASEL_API_KEY (this session only)",
            Self::Keyring => "saved in the system keychain",
            Self::Session => "this session only (not saved)",
        }
    }
}

/// Why the key store could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// No keyring service is running, or it cannot be reached.
    Unavailable(String),
    /// The keyring is locked and could not be unlocked.
    Locked(String),
    /// Anything else the store reported.
    Other(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(why) => write!(f, "The system keychain is not available ({why})."),
            Self::Locked(why) => write!(f, "The system keychain is locked ({why})."),
            Self::Other(why) => write!(f, "The system keychain reported an error ({why})."),
        }
    }
}

impl std::error::Error for StoreError {}

/// Somewhere to keep one key per provider. The window uses the OS keyring; tests use
/// easel-testkit's `MemoryStore`.
pub trait SecretStore: Send + Sync {
    fn get(&self, provider: &str) -> Result<Option<ApiKey>, StoreError>;
    fn set(&self, provider: &str, key: &ApiKey) -> Result<(), StoreError>;
    fn delete(&self, provider: &str) -> Result<(), StoreError>;
}

/// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows),
/// through keyring 4, which fails loudly instead of silently using a mock.
///
/// Calls are blocking D-Bus round-trips: call them off the UI thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyringStore;

impl KeyringStore {
    fn entry(provider: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(KEYRING_SERVICE, provider).map_err(map_keyring_error)
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, provider: &str) -> Result<Option<ApiKey>, StoreError> {
        match Self::entry(provider)?.get_password() {
            Ok(secret) => Ok(ApiKey::parse(&secret).ok()),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
    fn set(&self, provider: &str, key: &ApiKey) -> Result<(), StoreError> {
        let entry = Self::entry(provider)?;
        entry.set_password(key.expose()).map_err(map_keyring_error)?;
        // Read it back through a fresh entry: never claim a save that did not persist.
        match Self::entry(provider)?.get_password() {
            Ok(back) if back == key.expose() => Ok(()),
            Ok(_) => Err(StoreError::Other("the saved key could not be read back".into())),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
    fn delete(&self, provider: &str) -> Result<(), StoreError> {
        match Self::entry(provider)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

fn map_keyring_error(e: keyring::Error) -> StoreError {
    let text = e.to_string();
    match e {
        keyring::Error::NoStorageAccess(_) => StoreError::Locked(text),
        keyring::Error::PlatformFailure(_) | keyring::Error::NoDefaultStore => StoreError::Unavailable(text),
        _ => StoreError::Other(text),
    }
}

/// The key from `EASEL_API_KEY`, if set. A set but unusable value is an error, not a silent fallback.
pub fn key_from_env() -> Result<Option<ApiKey>, EngineError> {
    match std::env::var(KEY_ENV) {
        Ok(raw) => ApiKey::parse(&raw).map(Some).map_err(|problem| {
            EngineError::new(ErrorCategory::Auth)
                .with_message(format!("{KEY_ENV} is set but unusable: {problem}"))
                .with_hint(format!("Fix or unset {KEY_ENV}."))
        }),
        Err(_) => Ok(None),
    }
}

/// The key in use for one provider and where it came from; `None` when the provider runs
/// without a key and none was given.
pub type FoundKey = Option<(ApiKey, KeySource)>;

/// What the faces say of a provider that runs without a key when none was given.
pub const NO_KEY_NEEDED: &str = "no key: this server needs none unless it uses --api-auth";

/// Find the key for `provider`, in the one order every face uses: `EASEL_API_KEY` first (set
/// but unusable is an error, whatever the provider), then the key store. Without either, a
/// provider that `needs_key` is an error in plain words, and one that runs without a key
/// (A1111 without `--api-auth`) gets `Ok(None)`. Blocking (the key store is a D-Bus call on
/// Linux): never on the window's thread.
pub fn find_key(provider: &str, needs_key: bool, store: &dyn SecretStore) -> Result<FoundKey, EngineError> {
    find_key_as(provider, provider, needs_key, store)
}

/// The same for one service: its own entry in the key store ([`crate::ServiceSpec::key_account`]),
/// named in the error as the person knows it.
pub fn find_service_key(service: &crate::ServiceSpec, store: &dyn SecretStore) -> Result<FoundKey, EngineError> {
    find_key_as(&service.key_account(), &service.label(), service.kind.needs_key(), store)
}

fn find_key_as(entry: &str, name: &str, needs_key: bool, store: &dyn SecretStore) -> Result<FoundKey, EngineError> {
    if let Some(key) = key_from_env()? {
        return Ok(Some((key, KeySource::Environment)));
    }
    match store.get(entry) {
        Ok(Some(key)) => Ok(Some((key, KeySource::Keyring))),
        Ok(None) => key_or_none(None, needs_key, || no_key_error(name, None)),
        Err(e) => key_or_none(None, needs_key, || no_key_error(name, Some(e))),
    }
}

/// The same rule for a face that has already looked (the window reads `EASEL_API_KEY` at start
/// and the key store in the background): the key it holds; without one, `Ok(None)` for a
/// provider that runs without a key, and `missing()` for one that needs it.
pub fn key_or_none(held: FoundKey, needs_key: bool, missing: impl FnOnce() -> EngineError) -> Result<FoundKey, EngineError> {
    match held {
        Some(found) => Ok(Some(found)),
        None if !needs_key => Ok(None),
        None => Err(missing()),
    }
}

fn no_key_error(provider: &str, store_error: Option<StoreError>) -> EngineError {
    let mut err = EngineError::new(ErrorCategory::Auth).with_message(format!("No API key for {provider} was found.")).with_hint(format!(
        "Set the environment variable {KEY_ENV}, or open the Easel window and save your key (it is kept in the system keychain)."
    ));
    if let Some(e) = store_error {
        err = err.with_detail(e.to_string());
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_keys_are_trimmed() {
        let key = ApiKey::parse("  \tabc123XYZ\r\n").unwrap();
        assert_eq!(key.expose(), "abc123XYZ");
    }

    #[test]
    fn keys_with_inner_spaces_or_nothing_are_refused() {
        assert_eq!(ApiKey::parse("abc 123"), Err(KeyProblem::InnerWhitespace));
        assert_eq!(ApiKey::parse("abc\n123"), Err(KeyProblem::InnerWhitespace));
        assert_eq!(ApiKey::parse("   \n"), Err(KeyProblem::Empty));
        assert_eq!(ApiKey::parse("ab\u{7}c"), Err(KeyProblem::ControlCharacters));
    }

    /// Checking a key as it is typed makes no secret of it: otherwise every partial key ("m",
    /// "mo"…) would be cut out of every log line ("[redacted]odelslab POST /api/v6/i…").
    #[test]
    fn checking_typed_text_makes_no_secret_and_only_a_parsed_key_is_cleaned_from_logs() {
        let typed = "modelslab-typed-key-0123";
        for end in 1..typed.len() {
            assert_eq!(ApiKey::problem(&typed[..end]), None);
        }
        assert_eq!(ApiKey::problem("  "), Some(KeyProblem::Empty));
        assert_eq!(ApiKey::problem("a b"), Some(KeyProblem::InnerWhitespace));
        let line = "modelslab POST /api/v6/images/text2img attempt 1";
        assert_eq!(crate::redact::Redactor::all_known().text(line), line, "no partial key is a secret");
        let key = ApiKey::parse(typed).unwrap();
        let cleaned = crate::redact::Redactor::all_known().text(&format!("{line} key={}", key.expose()));
        assert_eq!(cleaned, format!("{line} key=[redacted]"));
    }

    #[test]
    fn the_key_never_shows_in_debug_or_display() {
        let key = ApiKey::parse("sk-live-very-secret-canary").unwrap();
        assert!(!format!("{key:?}").contains("canary"));
        assert!(!format!("{key}").contains("canary"));
        assert_eq!(key.last_four(), "…nary");
        assert_eq!(ApiKey::parse("short").unwrap().last_four(), "…");
    }

    #[test]
    fn a_held_key_or_none_follows_the_same_rule() {
        let key = ApiKey::parse("k-1234567890").unwrap();
        let held = Some((key, KeySource::Session));
        let missing = || EngineError::new(ErrorCategory::Auth).with_message("No key is set.");
        assert_eq!(key_or_none(held.clone(), true, missing).unwrap(), held);
        assert_eq!(key_or_none(None, false, missing).unwrap(), None);
        assert_eq!(key_or_none(None, true, missing).unwrap_err().message, "No key is set.");
    }
}
