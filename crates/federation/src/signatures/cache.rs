//! Parsed public keys by key id, so a busy inbox parses each remote key once.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::{PublicKey, SignatureError};

/// Default bound: ~10k remote keys is a few MB and covers a large instance's active peers.
const DEFAULT_CAPACITY: usize = 10_000;

/// A bounded, thread-safe map `key_id -> Arc<PublicKey>`; clones share the same map.
///
/// Eviction when full drops an arbitrary entry: a miss only costs a refetch, so a recency list
/// is not worth the write lock on every read.
#[derive(Clone, Debug)]
pub struct KeyCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    capacity: usize,
    map: RwLock<HashMap<String, Arc<PublicKey>>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache::new(DEFAULT_CAPACITY)
    }
}

impl KeyCache {
    /// An empty cache holding at most `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        KeyCache {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                map: RwLock::new(HashMap::new()),
            }),
        }
    }

    /// The cached key for `key_id`, if any.
    pub fn get(&self, key_id: &str) -> Option<Arc<PublicKey>> {
        self.read().get(key_id).cloned()
    }

    /// Parses `pem` and caches it under `key_id`, replacing any previous key.
    pub fn insert(
        &self,
        key_id: impl Into<String>,
        pem: &str,
    ) -> Result<Arc<PublicKey>, SignatureError> {
        // Parse outside the lock: it is the expensive part.
        let key = Arc::new(PublicKey::from_pem(pem)?);
        let key_id = key_id.into();
        let mut map = self
            .inner
            .map
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.inner.capacity
            && !map.contains_key(&key_id)
            && let Some(victim) = map.keys().next().cloned()
        {
            map.remove(&victim);
        }
        map.insert(key_id, Arc::clone(&key));
        Ok(key)
    }

    /// Forgets `key_id`, e.g. after a mismatch, so the next request refetches a rotated key.
    pub fn remove(&self, key_id: &str) -> Option<Arc<PublicKey>> {
        self.inner
            .map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key_id)
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the cache holds no key.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    // A panic while holding the lock cannot leave the map half-updated (every critical section
    // is a single HashMap call), so a poisoned lock is safe to keep using.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<PublicKey>>> {
        self.inner
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_vectors::PUBLIC_SPKI_PEM;
    use super::*;

    #[test]
    fn is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync::<KeyCache>();
    }

    #[test]
    fn insert_get_remove() {
        let cache = KeyCache::default();
        assert!(cache.get("https://a/actor#main-key").is_none());
        let key = cache
            .insert("https://a/actor#main-key", PUBLIC_SPKI_PEM)
            .unwrap();
        let shared = cache.clone();
        assert!(Arc::ptr_eq(
            &shared.get("https://a/actor#main-key").unwrap(),
            &key
        ));
        assert!(cache.remove("https://a/actor#main-key").is_some());
        assert!(shared.is_empty());
    }

    #[test]
    fn bad_pem_is_not_cached() {
        let cache = KeyCache::default();
        assert!(cache.insert("k", "garbage").is_err());
        assert!(cache.is_empty());
    }

    #[test]
    fn stays_within_capacity() {
        let cache = KeyCache::new(3);
        for i in 0..10 {
            cache.insert(format!("k{i}"), PUBLIC_SPKI_PEM).unwrap();
            assert!(cache.len() <= 3);
        }
        assert!(cache.get("k9").is_some(), "the newest key is kept");
        // Replacing an existing key does not evict another.
        cache.insert("k9", PUBLIC_SPKI_PEM).unwrap();
        assert_eq!(cache.len(), 3);
    }
}
