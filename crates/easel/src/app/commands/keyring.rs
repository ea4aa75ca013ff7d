//! The key store (the OS keyring in production, memory in tests), asked on tokio's blocking
//! pool: reading, saving and forgetting the provider's key.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::keys::KeyMessage;
use easel_engine::keys::ApiKey;

impl Commands {
    /// The current service's entry in the key store: each server has its own key.
    fn key_entry(&self) -> String {
        self.service.key_account()
    }

    /// Read the saved key (at start-up, when `EASEL_API_KEY` gave none).
    pub fn load_key(&self) {
        let (secrets, entry) = (self.secrets.clone(), self.key_entry());
        self.bg.blocking(move || Message::Keys(KeyMessage::Loaded(secrets.get(&entry))));
    }

    /// Keep the key in the key store for next time.
    pub fn save_key(&self, key: ApiKey) {
        let (secrets, entry) = (self.secrets.clone(), self.key_entry());
        self.bg.blocking(move || {
            let result = secrets.set(&entry, &key);
            Message::Keys(KeyMessage::Saved { key, result })
        });
    }

    /// Remove the saved key from the key store.
    pub fn forget_key(&self) {
        let (secrets, entry) = (self.secrets.clone(), self.key_entry());
        self.bg.blocking(move || Message::Keys(KeyMessage::Forgotten(secrets.delete(&entry))));
    }
}
