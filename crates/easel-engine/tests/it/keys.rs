//! Finding the key: the one rule every face uses (EASEL_API_KEY, then the key store, none for
//! a server that needs none), against a key store in memory.

use easel_engine::error::ErrorCategory;
use easel_engine::keys::{self, ApiKey, KeySource, SecretStore, StoreError, find_key};
use easel_testkit::MemoryStore;

#[test]
fn a_key_is_found_in_the_store_and_only_a_keyless_provider_may_have_none() {
    // EASEL_API_KEY is left alone here: tests run in parallel and share the environment.
    if std::env::var_os(keys::KEY_ENV).is_some() {
        return;
    }
    let store = MemoryStore::default();
    let key = ApiKey::parse("k-1234567890").unwrap();
    store.set("modelslab", &key).unwrap();
    assert_eq!(find_key("modelslab", true, &store).unwrap(), Some((key, KeySource::Keyring)));
    let missing = find_key("openai", true, &store).unwrap_err();
    assert_eq!(missing.category, ErrorCategory::Auth);
    assert!(missing.message.contains("openai"), "{}", missing.message);
    assert_eq!(find_key("a1111", false, &store).unwrap(), None, "a server that needs no key");
    // A key store that cannot be read is no reason to stop a keyless server either.
    *store.fail_with.lock().unwrap() = Some(StoreError::Unavailable("test".into()));
    assert_eq!(find_key("a1111", false, &store).unwrap(), None);
    let err = find_key("modelslab", true, &store).unwrap_err();
    assert!(err.detail.unwrap().contains("not available"), "the store's trouble is kept as the detail");
}
