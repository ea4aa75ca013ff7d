//! The API key: where the one in use came from, and the panel to paste, test, save or forget it.
//!
//! The window never claims a key was saved unless the key store said so, and never writes
//! `EASEL_API_KEY` to the keyring. The key store itself is asked by the command layer; this
//! module keeps what it answered ([`KeyMessage`]).

mod panel;

use easel_engine::error::EngineError;
use easel_engine::keys::{ApiKey, KeySource, StoreError};
use easel_engine::provider::{Balance, ProviderKind};

/// Why the keychain buttons are off while the built-in sandbox is in use.
const SANDBOX_KEYCHAIN: &str = "The built-in sandbox needs no key, so Easel leaves your saved key in the keychain alone while you try it.";

/// What the key store and the key check answered.
pub enum KeyMessage {
    /// The key store was read at start-up.
    Loaded(Result<Option<ApiKey>, StoreError>),
    /// "Test key" finished.
    Checked(Result<Option<Balance>, EngineError>),
    /// "Save to keychain" finished; the key is kept so it can be used if the save worked.
    Saved { key: ApiKey, result: Result<(), StoreError> },
    /// "Forget key" finished.
    Forgotten(Result<(), StoreError>),
}

/// The key in use and what is known about it.
pub struct Keys {
    provider: ProviderKind,
    active: Option<(ApiKey, KeySource)>,
    balance: Option<Balance>,
    /// The key store is still being read at start-up.
    looking: bool,
    /// Why the keychain could not be used, at start-up.
    keychain_problem: Option<StoreError>,
    /// `EASEL_API_KEY` is set but unusable.
    env_problem: Option<EngineError>,
    /// Talking to the built-in sandbox: the keychain (which holds the real service's key
    /// under the same provider name) is left alone.
    sandbox: bool,
    panel: KeyPanel,
}

/// The key panel's own state.
#[derive(Default)]
struct KeyPanel {
    open: bool,
    /// What was pasted. Cleared once the key is in use, so the secret does not linger.
    input: String,
    /// What is wrong with `input`, checked when it changes (not every frame, and without
    /// making each partial key a secret to clean from the logs).
    input_problem: Option<easel_engine::keys::KeyProblem>,
    /// The key the service refused at the last test: saving it asks first.
    refused: Option<ApiKey>,
    /// The key being tested now.
    tested: Option<ApiKey>,
    /// Save the refused key anyway? (asked in the panel)
    confirm_save: Option<ApiKey>,
    busy: Option<Busy>,
    feedback: Option<Feedback>,
    /// The keychain refused a save: offer to use the pasted key for this session instead.
    save_failed: bool,
}

/// What the key panel waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    Testing,
    Saving,
    Forgetting,
}

/// The answer to the last button press.
struct Feedback {
    good: bool,
    text: String,
    hint: Option<String>,
}

impl Feedback {
    fn good(text: impl Into<String>) -> Self {
        Self { good: true, text: text.into(), hint: None }
    }
    fn bad(text: impl Into<String>, hint: Option<String>) -> Self {
        Self { good: false, text: text.into(), hint }
    }
}

impl Keys {
    /// Use `EASEL_API_KEY` if it is set; otherwise the key store is to be read
    /// ([`Self::looking`] says so until it answered).
    pub fn new(provider: ProviderKind, env_key: Result<Option<ApiKey>, EngineError>) -> Self {
        let mut keys = Self {
            provider,
            active: None,
            balance: None,
            looking: false,
            keychain_problem: None,
            env_problem: None,
            sandbox: false,
            panel: KeyPanel::default(),
        };
        match env_key {
            Ok(Some(key)) => keys.active = Some((key, KeySource::Environment)),
            Ok(None) => keys.looking = true,
            Err(problem) => {
                keys.env_problem = Some(problem);
                keys.looking = true;
            }
        }
        keys
    }

    /// Take in what the key store or the key check answered.
    pub fn on_message(&mut self, message: KeyMessage) {
        match message {
            KeyMessage::Loaded(result) => self.on_loaded(result),
            KeyMessage::Checked(result) => self.on_checked(result),
            KeyMessage::Saved { key, result } => self.on_saved(key, result),
            KeyMessage::Forgotten(result) => self.on_forgotten(result),
        }
    }

    /// The key to send with requests, if there is one.
    pub fn active(&self) -> Option<&ApiKey> {
        self.active.as_ref().map(|(key, _)| key)
    }

    /// The key in use and where it came from, for the connection check.
    pub fn active_with_source(&self) -> Option<(ApiKey, KeySource)> {
        self.active.clone()
    }

    /// The key store is still being read at start-up.
    pub fn looking(&self) -> bool {
        self.looking
    }

    pub fn balance(&self) -> Option<&Balance> {
        self.balance.as_ref()
    }

    /// Whether requests can go out: there is a key, or the provider needs none.
    pub fn ready(&self) -> bool {
        self.active.is_some() || !self.provider.needs_key()
    }

    /// One line for the status bar.
    pub fn status(&self) -> String {
        match &self.active {
            Some((key, source)) => format!("Key {} {}", key.last_four(), source.label()),
            None if self.looking => "Looking for your key…".to_owned(),
            None if !self.provider.needs_key() => "No key (none needed)".to_owned(),
            None => "No key yet".to_owned(),
        }
    }

    pub fn open_panel(&mut self) {
        self.panel.open = true;
    }

    pub fn close_panel(&mut self) {
        self.panel.open = false;
        self.panel.feedback = None;
    }

    /// The key store answered at start-up. Without a key (and a provider that needs one),
    /// the panel opens to ask for it.
    fn on_loaded(&mut self, result: Result<Option<ApiKey>, StoreError>) {
        self.looking = false;
        match result {
            Ok(Some(key)) if self.active.is_none() => self.active = Some((key, KeySource::Keyring)),
            Ok(Some(_)) => {}
            Ok(None) => {}
            Err(problem) => {
                note_keychain(&problem);
                self.keychain_problem = Some(problem);
            }
        }
        // No pop-up over the welcome page, which has its own "Paste your key": the panel
        // opens when asked, or when Generate needs a key.
    }

    /// A key is being checked with the provider (its balance call).
    pub fn testing(&mut self) {
        self.panel.busy = Some(Busy::Testing);
        self.panel.feedback = None;
    }

    /// A key is being checked with the provider (its balance call).
    pub fn testing_key(&mut self, key: &ApiKey) {
        self.testing();
        self.panel.tested = Some(key.clone());
    }

    fn on_checked(&mut self, result: Result<Option<Balance>, EngineError>) {
        self.panel.busy = None;
        let tested = self.panel.tested.take();
        self.panel.refused = match &result {
            Err(e) if e.category == easel_engine::error::ErrorCategory::Auth => tested,
            _ => None,
        };
        self.panel.feedback = Some(match result {
            Ok(Some(balance)) => {
                let text = format!("The key works. Balance: {}", balance_text(&balance));
                self.balance = Some(balance);
                Feedback::good(text)
            }
            Ok(None) => Feedback::good("The key works."),
            Err(e) => Feedback::bad(e.message, Some(e.hint)),
        });
    }

    /// The built-in sandbox is in use: saving or forgetting would touch the real key.
    pub fn use_sandbox(&mut self) {
        self.sandbox = true;
    }

    /// The person asked to write the key to the key store (or to delete it). Returns whether
    /// to go ahead: in the sandbox the keychain holds the real service's key, so not.
    pub fn start_keychain_change(&mut self, busy: Busy) -> bool {
        if self.sandbox {
            self.panel.feedback = Some(Feedback::bad(SANDBOX_KEYCHAIN.to_owned(), None));
            return false;
        }
        self.panel.busy = Some(busy);
        self.panel.feedback = None;
        true
    }

    fn on_saved(&mut self, key: ApiKey, result: Result<(), StoreError>) {
        self.panel.busy = None;
        match result {
            Ok(()) => {
                if !matches!(self.active, Some((_, KeySource::Environment))) {
                    self.active = Some((key, KeySource::Keyring));
                }
                self.keychain_problem = None;
                self.panel.save_failed = false;
                self.panel.input.clear();
                self.panel.feedback = Some(Feedback::good("Saved to the system keychain."));
            }
            Err(problem) => {
                note_keychain(&problem);
                self.panel.feedback = Some(Feedback::bad(
                    format!("The key was not saved. {}", plain_keychain(&problem)),
                    Some("You can still use the key for this session only; Easel will ask for it again next time.".into()),
                ));
                self.panel.save_failed = true;
            }
        }
    }

    fn on_forgotten(&mut self, result: Result<(), StoreError>) {
        self.panel.busy = None;
        self.panel.feedback = Some(match result {
            Ok(()) => {
                if matches!(self.active, Some((_, KeySource::Environment))) {
                    Feedback::good(concat!(
                        "The key was removed from the system keychain. ",
                        "The key from EASEL_API_KEY is still used for this session."
                    ))
                } else {
                    self.active = None;
                    self.balance = None;
                    Feedback::good("The key was removed from the system keychain.")
                }
            }
            Err(problem) => {
                note_keychain(&problem);
                Feedback::bad(format!("The key was not removed. {}", plain_keychain(&problem)), None)
            }
        });
    }

    /// Keep the key in memory only.
    pub fn use_for_session(&mut self, key: ApiKey) {
        if !matches!(self.active, Some((_, KeySource::Environment))) {
            self.active = Some((key, KeySource::Session));
        }
        self.panel.save_failed = false;
        self.panel.input.clear();
        self.panel.feedback = Some(Feedback::good("Using the key for this session only. It is not saved."));
    }
}

/// What went wrong with the keychain in plain words (the system's own words go to the log
/// when the keychain answers: see [`note_keychain`]).
pub fn plain_keychain(problem: &StoreError) -> String {
    match problem {
        StoreError::Unavailable(_) => {
            "This computer has no keychain Easel can use (such as GNOME Keyring or KWallet), so the key cannot be kept for next time."
                .to_owned()
        }
        StoreError::Locked(_) => "The system keychain is locked. Unlock it (logging in again does), then try again.".to_owned(),
        StoreError::Other(_) => "The system keychain could not keep the key.".to_owned(),
    }
}

/// Keep the keychain's own words in the log.
fn note_keychain(problem: &StoreError) {
    crate::app::logging::note(&format!("the keychain said: {problem}"));
}

/// "43.60 USD".
pub fn balance_text(balance: &Balance) -> String {
    format!("{:.2} {}", balance.amount, balance.currency)
}
