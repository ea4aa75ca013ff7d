//! A key store in memory, in place of the OS keyring, that can be told to fail.

use easel_engine::keys::{ApiKey, SecretStore, StoreError};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// A key store in memory, for tests: the window's and the engine's.
#[derive(Default)]
pub struct MemoryStore {
    keys: Mutex<HashMap<String, ApiKey>>,
    /// When set, every call fails with this error (to test the window's honesty).
    pub fail_with: Mutex<Option<StoreError>>,
}

impl MemoryStore {
    fn check(&self) -> Result<MutexGuard<'_, HashMap<String, ApiKey>>, StoreError> {
        if let Some(err) = self.fail_with.lock().map_err(|_| StoreError::Other("poisoned".into()))?.clone() {
            return Err(err);
        }
        self.keys.lock().map_err(|_| StoreError::Other("poisoned".into()))
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, provider: &str) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.check()?.get(provider).cloned())
    }
    fn set(&self, provider: &str, key: &ApiKey) -> Result<(), StoreError> {
        self.check()?.insert(provider.to_owned(), key.clone());
        Ok(())
    }
    fn delete(&self, provider: &str) -> Result<(), StoreError> {
        self.check()?.remove(provider);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trips_and_can_fail_honestly() {
        let store = MemoryStore::default();
        let key = ApiKey::parse("k-1234567890").unwrap();
        store.set("modelslab", &key).unwrap();
        assert_eq!(store.get("modelslab").unwrap(), Some(key.clone()));
        store.delete("modelslab").unwrap();
        assert_eq!(store.get("modelslab").unwrap(), None);
        *store.fail_with.lock().unwrap() = Some(StoreError::Locked("test".into()));
        assert!(store.set("modelslab", &key).is_err());
    }
}
