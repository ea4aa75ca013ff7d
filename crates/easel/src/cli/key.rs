//! `easel key`: keep, show or forget the API key in the system keychain. The key is read
//! from standard input, so it never shows in the process list.

use clap::{Args, Subcommand};
use easel_engine::ServiceSpec;
use easel_engine::error::ErrorCategory;
use easel_engine::keys::{self, ApiKey, KeyringStore, SecretStore};
use easel_engine::provider::ProviderKind;

#[derive(Args, Debug, Clone)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub action: KeyAction,
    /// The provider the key is for.
    #[arg(long, default_value = "modelslab", global = true)]
    pub provider: String,
    /// The server the key is for, when it is not the provider's usual one: each server has its
    /// own key, so a key is only ever sent where it was saved for.
    #[arg(long, global = true)]
    pub base_url: Option<String>,
}

/// What to do with the key.
#[derive(Subcommand, Debug, Clone, Copy)]
pub enum KeyAction {
    /// Read a key from standard input (so it never shows in the process list) and save it.
    Set,
    /// Say whether a key is saved, and where it comes from (never the key itself).
    Status,
    /// Remove the saved key.
    Forget,
}

pub fn run(KeyArgs { action, provider, base_url }: &KeyArgs) -> i32 {
    let action = *action;
    let Some(kind) = ProviderKind::parse(provider) else {
        eprintln!("Unknown provider '{provider}'. Use: modelslab, openai or a1111.");
        return 2;
    };
    let store = KeyringStore;
    let service = ServiceSpec::at(kind, base_url.clone());
    let account = service.key_account();
    let id = account.as_str();
    let label = service.label();
    match action {
        KeyAction::Set => {
            let mut raw = String::new();
            if let Err(e) = std::io::stdin().read_line(&mut raw) {
                eprintln!("Could not read the key from standard input: {e}");
                return 1;
            }
            let key = match ApiKey::parse(&raw) {
                Ok(k) => k,
                Err(problem) => {
                    eprintln!("{problem}");
                    return ErrorCategory::Auth.exit_code();
                }
            };
            match store.set(id, &key) {
                Ok(()) => {
                    println!("Saved the {} key ({}) in the system keychain.", label, key.last_four());
                    0
                }
                Err(e) => {
                    eprintln!("{e} The key was NOT saved. You can set {} for this session instead.", keys::KEY_ENV);
                    1
                }
            }
        }
        KeyAction::Status => {
            if let Ok(Some(key)) = keys::key_from_env() {
                println!("Using {} from {} (this session only).", key.last_four(), keys::KEY_ENV);
            }
            match store.get(id) {
                Ok(Some(key)) => {
                    println!("A {} key ({}) is saved in the system keychain.", label, key.last_four());
                    0
                }
                Ok(None) => {
                    println!("No {} key is saved in the system keychain.", label);
                    ErrorCategory::Auth.exit_code()
                }
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        KeyAction::Forget => match store.delete(id) {
            Ok(()) => {
                println!("The {} key is no longer in the system keychain.", label);
                0
            }
            Err(e) => {
                eprintln!("{e}");
                1
            }
        },
    }
}
