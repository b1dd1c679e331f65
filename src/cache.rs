//! Caches that stay correct while other processes change the control plane.
//!
//! Every change a cache depends on is announced with `NOTIFY` in the transaction that
//! makes it (`control::changes`), and every process drops the affected entries on
//! receipt. Two rules keep that exact:
//!
//! - **No stale re-insert.** A value loaded while an invalidation happened is not kept:
//!   each invalidation first bumps the [`Freshness`] epoch, and a load inserts only if the
//!   epoch did not move meanwhile (and removes its entry again if it moved during the
//!   insert). A slow read can never put back what a notification removed.
//! - **No trust without a listener.** While the process is not listening (before the
//!   first `LISTEN`, or after the listener lost its connection) caches are bypassed:
//!   every read goes to the database, and the caches are emptied before they are trusted
//!   again.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Whether this process's caches may be trusted, and the epoch of invalidations. One per
/// process, shared by every [`Fresh`] cache; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Freshness {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    epoch: AtomicU64,
    trusted: AtomicBool,
}

impl Freshness {
    /// Untrusted until [`Freshness::trust`]: a process without a listener (the CLI)
    /// always reads the database.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn trusted(&self) -> bool {
        self.inner.trusted.load(Ordering::SeqCst)
    }

    /// The listener is (again) connected and every cache has been emptied since it was
    /// lost.
    pub fn trust(&self) {
        self.inner.trusted.store(true, Ordering::SeqCst);
    }

    /// The listener is gone: notifications may be missed from now on.
    pub fn distrust(&self) {
        self.inner.trusted.store(false, Ordering::SeqCst);
        self.bump();
    }

    fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::SeqCst)
    }

    fn bump(&self) {
        self.inner.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

/// A bounded cache whose entries live at most `ttl` and obey [`Freshness`].
pub struct Fresh<K, V> {
    map: moka::sync::Cache<K, V>,
    freshness: Freshness,
}

impl<K, V> Clone for Fresh<K, V> {
    fn clone(&self) -> Self {
        Self {
            map: self.map.clone(),
            freshness: self.freshness.clone(),
        }
    }
}

impl<K, V> Fresh<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(freshness: &Freshness, capacity: u64, ttl: Duration) -> Self {
        Self {
            map: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            freshness: freshness.clone(),
        }
    }

    /// The cached value, or `load`'s (kept unless an invalidation raced with it).
    pub async fn get_or_load<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        if self.freshness.trusted()
            && let Some(value) = self.map.get(&key)
        {
            return Ok(value);
        }
        let epoch = self.freshness.epoch();
        let value = load.await?;
        if self.freshness.trusted() && self.freshness.epoch() == epoch {
            self.map.insert(key.clone(), value.clone());
            // An invalidation between the check and the insert bumped the epoch first.
            if self.freshness.epoch() != epoch {
                self.map.invalidate(&key);
            }
        }
        Ok(value)
    }

    pub fn invalidate(&self, key: &K) {
        self.freshness.bump();
        self.map.invalidate(key);
    }

    /// Drops every entry whose key matches.
    pub fn invalidate_where(&self, matches: impl Fn(&K) -> bool) {
        self.freshness.bump();
        // Filtering the live entries is exact; moka's predicate invalidation is lazy.
        for (key, _) in self.map.iter() {
            if matches(&key) {
                self.map.invalidate(&*key);
            }
        }
    }

    pub fn clear(&self) {
        self.freshness.bump();
        self.map.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(f: &Freshness) -> Fresh<u32, &'static str> {
        Fresh::new(f, 100, Duration::from_secs(60))
    }

    #[tokio::test]
    async fn untrusted_caches_always_load() {
        let f = Freshness::new();
        let c = cache(&f);
        let v: Result<_, ()> = c.get_or_load(1, async { Ok("db") }).await;
        assert_eq!(v, Ok("db"));
        let v: Result<_, ()> = c.get_or_load(1, async { Ok("db again") }).await;
        assert_eq!(
            v,
            Ok("db again"),
            "nothing is kept before the listener runs"
        );
    }

    #[tokio::test]
    async fn a_load_that_raced_an_invalidation_is_not_kept() {
        let f = Freshness::new();
        f.trust();
        let c = cache(&f);
        let racing = c.clone();
        let v: Result<_, ()> = c
            .get_or_load(1, async move {
                // The notification arrives while the old value is being read.
                racing.invalidate(&1);
                Ok("old")
            })
            .await;
        assert_eq!(v, Ok("old"));
        let v: Result<_, ()> = c.get_or_load(1, async { Ok("new") }).await;
        assert_eq!(v, Ok("new"));
        let v: Result<_, ()> = c.get_or_load(1, async { Ok("unused") }).await;
        assert_eq!(v, Ok("new"), "a clean load is kept");
    }

    #[tokio::test]
    async fn distrust_bypasses_until_trusted_again() {
        let f = Freshness::new();
        f.trust();
        let c = cache(&f);
        let _: Result<_, ()> = c.get_or_load(1, async { Ok("a") }).await;
        f.distrust();
        let v: Result<_, ()> = c.get_or_load(1, async { Ok("b") }).await;
        assert_eq!(v, Ok("b"));
        c.clear();
        f.trust();
        let v: Result<_, ()> = c.get_or_load(1, async { Ok("c") }).await;
        assert_eq!(v, Ok("c"));
        c.invalidate_where(|k| *k == 1);
        let v: Result<_, ()> = c.get_or_load(1, async { Ok("d") }).await;
        assert_eq!(v, Ok("d"));
    }
}
