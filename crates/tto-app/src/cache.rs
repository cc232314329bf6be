//! Cached aggregates of lists (totals, facet values, status counts).
//!
//! A total over 100,000 rows costs milliseconds, paid on every page view. Each cached value
//! is stored with the change-feed head it was computed at; reading the head is one primary
//! key lookup, and any committed write anywhere (any node) moves it, so a cached value is
//! never used after the data changed. Entries are bounded: the map is cleared when full.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// Largest number of entries per map before it is cleared.
const CAPACITY: usize = 4096;

pub(crate) struct Versioned<K, V> {
    map: Mutex<HashMap<K, (i64, V)>>,
}

impl<K, V> Default for Versioned<K, V> {
    fn default() -> Self {
        Versioned { map: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash, V: Clone> Versioned<K, V> {
    /// The value computed at feed head `head`, if any.
    pub(crate) fn get(&self, key: &K, head: i64) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|(at, _)| *at == head).map(|(_, v)| v.clone())
    }

    pub(crate) fn put(&self, key: K, head: i64, value: V) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, (head, value));
    }
}

/// Key of a cached list page.
pub(crate) type ListKey =
    (tto_store::Scope, tto_store::achievements::Filter, tto_store::achievements::Sort, tto_store::achievements::Page);

/// Sessions looked up recently, by token hash, with when they were read. A session read
/// less than [`SESSION_REUSE`] ago is reused; sign-out, password changes and user changes
/// in this process clear the map, and other nodes see such changes within `SESSION_REUSE`.
pub(crate) struct SessionCache {
    map: Mutex<HashMap<String, (std::time::Instant, tto_store::accounts::SessionRecord)>>,
}

pub(crate) const SESSION_REUSE: std::time::Duration = std::time::Duration::from_secs(2);

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache { map: Mutex::new(HashMap::new()) }
    }
}

impl SessionCache {
    pub(crate) fn get(&self, hash: &str) -> Option<tto_store::accounts::SessionRecord> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(hash).filter(|(at, _)| at.elapsed() < SESSION_REUSE).map(|(_, r)| r.clone())
    }

    pub(crate) fn put(&self, hash: String, record: tto_store::accounts::SessionRecord) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(hash, (std::time::Instant::now(), record));
    }

    pub(crate) fn clear(&self) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[derive(Default)]
pub(crate) struct ReadCache {
    /// Held while a missing value is computed, so concurrent requests for it wait for one
    /// computation instead of all running the same expensive query (after every write,
    /// every cached aggregate is stale at once).
    pub fill: tokio::sync::Mutex<()>,
    pub sessions: SessionCache,
    pub lists: Versioned<ListKey, std::sync::Arc<crate::achievements::Listing>>,
    pub counts: Versioned<(tto_store::Scope, tto_store::achievements::Filter), i64>,
    pub disciplines: Versioned<tto_store::Scope, Vec<String>>,
    pub by_status: Versioned<tto_store::Scope, Vec<(tto_domain::AchievementStatus, i64)>>,
    pub institutions: Versioned<(), i64>,
}
