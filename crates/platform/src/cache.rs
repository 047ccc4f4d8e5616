//! Short-lived in-process caches for the hottest reads (the catalogue, who a caller is).
//!
//! An entry lives at most its cache's time to live, so a change made by another process is
//! seen within that bound; a change made in this process forgets the entries it touches at
//! once. A load that raced with a forget is not kept: every forget moves a generation
//! counter, and a load only stores its result if the generation did not move while it read.

use std::{
    future::Future,
    hash::Hash,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use quick_cache::sync::Cache;

pub struct ReadCache<K, V> {
    entries: Cache<K, (V, Instant)>,
    ttl: Duration,
    generation: AtomicU64,
}

impl<K, V> ReadCache<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    /// Holds up to `capacity` entries (least recently used go first), each for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Cache::new(capacity),
            ttl,
            generation: AtomicU64::new(0),
        }
    }

    /// The cached value, or what `load` reads (kept unless a forget raced with it).
    pub async fn get_or_load<E, F, Fut>(&self, key: &K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some((value, loaded)) = self.entries.get(key) {
            if loaded.elapsed() < self.ttl {
                return Ok(value);
            }
            self.entries.remove(key);
        }
        // One caller loads; others asking for the same key meanwhile wait for its result
        // instead of all reading the database at once when a hot entry expires.
        let guard = match self.entries.get_value_or_guard_async(key).await {
            Ok((value, _)) => return Ok(value),
            Err(guard) => guard,
        };
        let generation = self.generation.load(Ordering::Acquire);
        let value = load().await?;
        if self.generation.load(Ordering::Acquire) == generation {
            let _ = guard.insert((value.clone(), Instant::now()));
        }
        Ok(value)
    }

    /// Drops `key`, after a change to what it holds.
    pub fn forget(&self, key: &K) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_forgotten_entry_is_loaded_again() {
        let cache = ReadCache::new(10, Duration::from_secs(60));
        let load = |n: u32| async move { Ok::<_, ()>(n) };
        assert_eq!(cache.get_or_load(&"k", || load(1)).await, Ok(1));
        assert_eq!(cache.get_or_load(&"k", || load(2)).await, Ok(1));
        cache.forget(&"k");
        assert_eq!(cache.get_or_load(&"k", || load(3)).await, Ok(3));
    }

    #[tokio::test]
    async fn a_load_that_raced_with_a_forget_is_not_kept() {
        let cache = ReadCache::new(10, Duration::from_secs(60));
        let value = cache
            .get_or_load(&"k", || async {
                // A change lands while the old value is being read.
                cache.forget(&"k");
                Ok::<_, ()>("old")
            })
            .await;
        assert_eq!(value, Ok("old"));
        assert_eq!(
            cache
                .get_or_load(&"k", || async { Ok::<_, ()>("new") })
                .await,
            Ok("new")
        );
    }

    #[tokio::test]
    async fn entries_expire() {
        let cache = ReadCache::new(10, Duration::from_millis(20));
        cache
            .get_or_load(&"k", || async { Ok::<_, ()>(1) })
            .await
            .ok();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            cache.get_or_load(&"k", || async { Ok::<_, ()>(2) }).await,
            Ok(2)
        );
    }
}
