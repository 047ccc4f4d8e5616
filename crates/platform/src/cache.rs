//! Short-lived in-process caches for the hottest reads (the catalogue, who a caller is).
//!
//! An entry lives at most its cache's time to live, so a change made by another process is
//! seen within that bound; a change made in this process forgets the entries it touches at
//! once. A load that raced with a forget is not kept: every forget moves a generation
//! counter, and a load only stores its result if the generation did not move while it read.
//!
//! A cache made with [`ReadCache::shared`] also tells the installation's other processes what
//! it forgot, through Redis ([`Forgetting`]): someone whose change went through one process and
//! whose next request reaches another (a form's redirect behind a proxy that alternates them)
//! reads their change there too, instead of the other process's copy from before it.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, Weak,
    },
    time::{Duration, Instant},
};

use quick_cache::sync::Cache;
use serde::{de::DeserializeOwned, Serialize};
use tokio::sync::mpsc;

use crate::{shared_redis::SharedRedis, tasks::Task};

pub struct ReadCache<K, V> {
    entries: Arc<Entries<K, V>>,
    /// Tells the other processes about a forget, for a [`ReadCache::shared`] cache.
    tell: Option<Tell<K>>,
}

/// What a key holds: a value as read at a moment, or word that its read just failed, for the
/// callers that were waiting on that read (see [`ReadCache::get_or_load`]).
#[derive(Clone)]
enum Slot<V> {
    Loaded(V, Instant),
    Failed,
}

/// Publishes a forgotten key (see [`Forgetting`]).
type Tell<K> = Box<dyn Fn(&K) + Send + Sync>;

struct Entries<K, V> {
    entries: Cache<K, Slot<V>>,
    ttl: Duration,
    generation: AtomicU64,
}

impl<K, V> Entries<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    fn forget(&self, key: &K) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.remove(key);
    }

    fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.clear();
    }
}

impl<K, V> ReadCache<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    /// Holds up to `capacity` entries (least recently used go first), each for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Arc::new(Entries {
                entries: Cache::new(capacity),
                ttl,
                generation: AtomicU64::new(0),
            }),
            tell: None,
        }
    }

    /// The cached value, or what `load` reads (kept unless a forget raced with it).
    ///
    /// Callers that waited for another's read of the same key share its failure instead of
    /// reading again in turn: while the database is out of reach each read waits out the pool's
    /// acquire timeout, and a chain of callers each reading after the one before failed would
    /// answer the last of them only after several timeouts (a request seen failing after 9.9 s
    /// with a 5 s timeout). They are answered "unavailable", which a client may retry; the next
    /// caller to come reads again.
    pub async fn get_or_load<E, F, Fut>(&self, key: &K, load: F) -> Result<V, E>
    where
        E: From<crate::Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cache = &self.entries;
        match cache.entries.get(key) {
            Some(Slot::Loaded(value, loaded)) if loaded.elapsed() < cache.ttl => return Ok(value),
            // Expired, or a failure the callers waiting on it have heard: read again.
            Some(_) => {
                cache.entries.remove(key);
            }
            None => {}
        }
        // One caller loads; others asking for the same key meanwhile wait for its result
        // instead of all reading the database at once when a hot entry expires.
        let guard = match cache.entries.get_value_or_guard_async(key).await {
            Ok(Slot::Loaded(value, _)) => return Ok(value),
            Ok(Slot::Failed) => return Err(crate::Error::database_unavailable().into()),
            Err(guard) => guard,
        };
        let generation = cache.generation.load(Ordering::Acquire);
        match load().await {
            Ok(value) => {
                if cache.generation.load(Ordering::Acquire) == generation {
                    let _ = guard.insert(Slot::Loaded(value.clone(), Instant::now()));
                }
                Ok(value)
            }
            Err(error) => {
                let _ = guard.insert(Slot::Failed);
                Err(error)
            }
        }
    }

    /// Keeps `value` for `key` as just written, so the next caller need not load it: only for
    /// values that never change once written (no forget can race with the write).
    pub fn remember(&self, key: K, value: V) {
        self.entries
            .entries
            .insert(key, Slot::Loaded(value, Instant::now()));
    }

    /// Drops `key`, after a change to what it holds (in every process, for a shared cache).
    pub fn forget(&self, key: &K) {
        self.entries.forget(key);
        if let Some(tell) = &self.tell {
            tell(key);
        }
    }
}

impl<K, V> ReadCache<K, V>
where
    K: Eq + Hash + Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache whose forgets reach the installation's other processes through `forgetting`,
    /// under `name` (such as `courses.outlines`; caches of one name in a process, such as each
    /// context's copy of the people directory, all forget what one of them is told).
    pub fn shared(
        capacity: usize,
        ttl: Duration,
        name: &'static str,
        forgetting: &Forgetting,
    ) -> Self {
        let mut cache = Self::new(capacity, ttl);
        if let Some(shared) = &forgetting.shared {
            let entries: Arc<dyn ForgetsTold> = cache.entries.clone();
            let mut caches = shared.lock_caches();
            let named = caches.entry(name).or_default();
            named.retain(|cache| cache.strong_count() > 0);
            named.push(Arc::downgrade(&entries));
            drop(caches);
            let shared = shared.clone();
            cache.tell = Some(Box::new(move |key: &K| shared.tell(name, key)));
        }
        cache
    }
}

/// A cache's entries as [`Forgetting`] reaches them, whatever their types.
trait ForgetsTold: Send + Sync {
    fn forget_told(&self, key: serde_json::Value);
    fn forget_all(&self);
}

impl<K, V> ForgetsTold for Entries<K, V>
where
    K: Eq + Hash + Clone + DeserializeOwned + Send + Sync,
    V: Clone + Send + Sync,
{
    fn forget_told(&self, key: serde_json::Value) {
        match serde_json::from_value::<K>(key) {
            Ok(key) => self.forget(&key),
            // Told by a process of another release: forget everything rather than guess.
            Err(_) => Entries::forget_all(self),
        }
    }

    fn forget_all(&self) {
        Entries::forget_all(self);
    }
}

/// The Redis channel (under `redis.key_prefix`) forgets travel on.
const CHANNEL: &str = "cache_forgets";

/// How long before trying Redis again after it failed.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Forgets told between the installation's processes: each forget of a shared cache is
/// published on a Redis channel, and each process forgets what the others publish there. One
/// per process, shared by its contexts. Without Redis (`redis.url` unset: one process) it does
/// nothing; while Redis is away, another process's entries live out their time to live, and
/// once it is back every shared cache starts afresh, since forgets may have been missed.
#[derive(Clone, Default)]
pub struct Forgetting {
    shared: Option<Arc<Shared>>,
    /// This process is the installation's only one (see [`Forgetting::in_the_only_process`]).
    alone: bool,
}

/// How long an entry may live in [`Forgetting::time_to_live`]'s caches when no other process
/// can change what they hold: only a bound on a forget this process itself failed to make.
pub const ALONE_TTL: Duration = Duration::from_secs(600);

/// The process's shared caches, by name.
type Caches = HashMap<&'static str, Vec<Weak<dyn ForgetsTold>>>;

struct Shared {
    redis: SharedRedis,
    /// This process, which skips what it told itself.
    process: String,
    caches: Mutex<Caches>,
    outgoing: mpsc::UnboundedSender<String>,
    to_send: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

impl Shared {
    fn lock_caches(&self) -> std::sync::MutexGuard<'_, Caches> {
        self.caches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queued, so a change's caller does not wait for Redis; the messages leave in order, on
    /// one connection, long before the changed page's next request can reach another process.
    fn tell(&self, name: &str, key: &impl Serialize) {
        let Ok(key) = serde_json::to_value(key) else {
            return;
        };
        let message = serde_json::json!([self.process, name, key]).to_string();
        let _ = self.outgoing.send(message);
    }

    fn told(&self, message: &str) {
        let Ok((process, name, key)) =
            serde_json::from_str::<(String, String, serde_json::Value)>(message)
        else {
            tracing::warn!("an unreadable cache forget on Redis; ignored");
            return;
        };
        if process == self.process {
            return;
        }
        let caches: Vec<_> = self
            .lock_caches()
            .get(name.as_str())
            .into_iter()
            .flatten()
            .filter_map(Weak::upgrade)
            .collect();
        for cache in caches {
            cache.forget_told(key.clone());
        }
    }

    fn forget_everything(&self) {
        let caches: Vec<_> = self
            .lock_caches()
            .values()
            .flatten()
            .filter_map(Weak::upgrade)
            .collect();
        for cache in caches {
            cache.forget_all();
        }
    }
}

impl Forgetting {
    /// Forgets told through `redis`, or kept to this process when there is none.
    pub fn new(redis: Option<SharedRedis>) -> Self {
        let Some(redis) = redis else {
            return Self::default();
        };
        let (outgoing, to_send) = mpsc::unbounded_channel();
        Self {
            shared: Some(Arc::new(Shared {
                redis,
                process: crate::id::new_id_string(),
                caches: Mutex::new(HashMap::new()),
                outgoing,
                to_send: Mutex::new(Some(to_send)),
            })),
            alone: false,
        }
    }

    /// For the process of the single-process shape (the embedded bus, whose producers and
    /// consumers all run in it): the people directory and the rosters change only through
    /// this process's consumers, which forget each entry they change at once.
    pub fn in_the_only_process(mut self) -> Self {
        self.alone = true;
        self
    }

    /// How long an entry of a cache that only its context's consumers change may live:
    /// `elsewhere`, which bounds another process's change whose forget was missed, or
    /// [`ALONE_TTL`] when there is no other process. An exam's students start and submit
    /// minutes apart; with two seconds, each submission read its student and their place in
    /// the course again.
    pub fn time_to_live(&self, elsewhere: Duration) -> Duration {
        if self.alone {
            ALONE_TTL.max(elsewhere)
        } else {
            elsewhere
        }
    }

    /// The tasks that publish this process's forgets and follow the others'; none without
    /// Redis.
    pub fn tasks(&self) -> Vec<Task> {
        let Some(shared) = &self.shared else {
            return Vec::new();
        };
        let Some(to_send) = shared
            .to_send
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
        else {
            return Vec::new();
        };
        vec![teller(shared.clone(), to_send), follower(shared.clone())]
    }
}

/// Publishes this process's forgets, in order. After Redis failed, it tries again at most once
/// per `RETRY_EVERY` and drops the forgets in between rather than queue them without bound:
/// the other processes lost their subscriptions too, and forget everything when they are back.
fn teller(shared: Arc<Shared>, mut to_send: mpsc::UnboundedReceiver<String>) -> Task {
    Task::new("cache forgets teller", move |shutdown| async move {
        let channel = shared.redis.key(CHANNEL);
        let mut failed_at: Option<Instant> = None;
        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => return,
                message = to_send.recv() => match message {
                    Some(message) => message,
                    None => return,
                },
            };
            if failed_at.is_some_and(|at| at.elapsed() < RETRY_EVERY) {
                continue;
            }
            let mut connection = shared.redis.connection();
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&message)
                .query_async(&mut connection)
                .await;
            match (sent, failed_at) {
                (Ok(_), Some(_)) => {
                    failed_at = None;
                    tracing::info!("telling other processes of cache forgets through Redis again");
                }
                (Ok(_), None) => {}
                (Err(error), None) => {
                    failed_at = Some(Instant::now());
                    tracing::warn!(%error, "cannot tell other processes of cache forgets through Redis; their copies live out their time to live");
                }
                (Err(_), Some(_)) => failed_at = Some(Instant::now()),
            }
        }
    })
}

/// Forgets what the other processes tell, until shutdown; after Redis was away, forgets
/// everything once it is back, since forgets told meanwhile were lost.
fn follower(shared: Arc<Shared>) -> Task {
    let (on_subscribed, on_message) = (shared.clone(), shared.clone());
    shared.redis.follow(
        "cache forgets follower",
        CHANNEL,
        move || on_subscribed.forget_everything(),
        move |message| on_message.told(message),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A load's error, in these tests.
    #[derive(Debug, PartialEq)]
    struct Failed(&'static str);

    impl From<crate::Error> for Failed {
        fn from(_: crate::Error) -> Self {
            Failed("shared")
        }
    }

    /// Another process's change can only be missed where there is another process.
    #[test]
    fn entries_live_long_only_in_the_only_process() {
        let elsewhere = Duration::from_secs(2);
        assert_eq!(Forgetting::default().time_to_live(elsewhere), elsewhere);
        assert_eq!(
            Forgetting::default()
                .in_the_only_process()
                .time_to_live(elsewhere),
            ALONE_TTL
        );
    }

    /// Whoever waited for a read that failed hears of the failure at once instead of reading
    /// again after it (and waiting as long); the next caller reads again.
    #[tokio::test]
    async fn callers_waiting_on_a_failed_read_share_its_failure() {
        let cache = ReadCache::<&str, u32>::new(10, Duration::from_secs(60));
        let first = cache.get_or_load(&"k", || async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Err(Failed("the first read"))
        });
        let waiting = async {
            // Asks while the first read is under way.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let asked = Instant::now();
            let answer = cache
                .get_or_load(&"k", || async { Err(Failed("a second read")) })
                .await;
            (answer, asked.elapsed())
        };
        let (first, (waited, took)) = tokio::join!(first, waiting);
        assert_eq!(first, Err(Failed("the first read")));
        assert_eq!(waited, Err(Failed("shared")), "it did not read again");
        assert!(took < Duration::from_millis(290), "{took:?}");
        assert_eq!(
            cache
                .get_or_load(&"k", || async { Ok::<_, Failed>(7) })
                .await,
            Ok(7),
            "a caller after the failure reads again"
        );
    }

    #[tokio::test]
    async fn a_forgotten_entry_is_loaded_again() {
        let cache = ReadCache::new(10, Duration::from_secs(60));
        let load = |n: u32| async move { Ok::<_, Failed>(n) };
        assert_eq!(cache.get_or_load(&"k", || load(1)).await, Ok(1));
        assert_eq!(cache.get_or_load(&"k", || load(2)).await, Ok(1));
        cache.forget(&"k");
        assert_eq!(cache.get_or_load(&"k", || load(3)).await, Ok(3));
    }

    /// A value its writer remembers is answered without a load, and replaces what was kept.
    #[tokio::test]
    async fn a_remembered_value_needs_no_load() {
        let cache = ReadCache::new(10, Duration::from_secs(60));
        let unread = || async { Err::<u32, _>(Failed("loaded")) };
        cache.remember("k", 7);
        assert_eq!(cache.get_or_load(&"k", unread).await, Ok(7));
        cache.remember("k", 8);
        assert_eq!(cache.get_or_load(&"k", unread).await, Ok(8));
    }

    #[tokio::test]
    async fn a_load_that_raced_with_a_forget_is_not_kept() {
        let cache = ReadCache::new(10, Duration::from_secs(60));
        let value = cache
            .get_or_load(&"k", || async {
                // A change lands while the old value is being read.
                cache.forget(&"k");
                Ok::<_, Failed>("old")
            })
            .await;
        assert_eq!(value, Ok("old"));
        assert_eq!(
            cache
                .get_or_load(&"k", || async { Ok::<_, Failed>("new") })
                .await,
            Ok("new")
        );
    }

    /// Two processes on one Redis: what one forgets, the other forgets within milliseconds,
    /// not after the entry's time to live; the one that forgot does not hear itself.
    #[tokio::test]
    async fn a_forget_reaches_the_other_processes_through_redis() {
        let Ok(url) = std::env::var("CAMPUS_TEST_REDIS_URL") else {
            eprintln!("CAMPUS_TEST_REDIS_URL is not set; skipped");
            return;
        };
        let mut config = crate::config::Config::default();
        config.redis.url = Some(crate::config::ConnectionUrl::new(url));
        config.redis.key_prefix = format!("forgets-{}", crate::id::new_id_string());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let process = || {
            let forgetting = Forgetting::new(SharedRedis::from_config(&config).unwrap());
            for task in forgetting.tasks() {
                tokio::spawn(task.start(shutdown.clone()));
            }
            let cache: ReadCache<(String, String), u32> =
                ReadCache::shared(10, Duration::from_secs(3600), "test.numbers", &forgetting);
            cache
        };
        let (one, other) = (process(), process());
        let key = ("school".to_owned(), "course".to_owned());
        // Both are listening once a forget of each reaches the other.
        for (cache, told) in [(&other, &one), (&one, &other)] {
            let mut heard = false;
            for _ in 0..100 {
                cache
                    .get_or_load(&key, || async { Ok::<_, Failed>(1) })
                    .await
                    .ok();
                told.forget(&key);
                tokio::time::sleep(Duration::from_millis(20)).await;
                if cache
                    .get_or_load(&key, || async { Ok::<_, Failed>(2) })
                    .await
                    == Ok(2)
                {
                    heard = true;
                    break;
                }
                cache.forget(&key);
            }
            assert!(heard, "a forget never arrived");
            cache.forget(&key);
        }
        other
            .get_or_load(&key, || async { Ok::<_, Failed>(1) })
            .await
            .ok();
        let told = Instant::now();
        one.forget(&key);
        let mut took = None;
        while told.elapsed() < Duration::from_secs(2) {
            if other
                .get_or_load(&key, || async { Ok::<_, Failed>(3) })
                .await
                == Ok(3)
            {
                took = Some(told.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let took = took.expect("the other process still holds what was forgotten");
        assert!(took < Duration::from_millis(500), "{took:?}");
        eprintln!("a forget reached the other process in {took:?}");
        // What a process forgot itself it does not forget again when Redis echoes it.
        one.get_or_load(&key, || async { Ok::<_, Failed>(4) })
            .await
            .ok();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            one.get_or_load(&key, || async { Ok::<_, Failed>(5) }).await,
            Ok(4)
        );
        shutdown.cancel();
    }

    #[tokio::test]
    async fn entries_expire() {
        let cache = ReadCache::new(10, Duration::from_millis(20));
        cache
            .get_or_load(&"k", || async { Ok::<_, Failed>(1) })
            .await
            .ok();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            cache
                .get_or_load(&"k", || async { Ok::<_, Failed>(2) })
                .await,
            Ok(2)
        );
    }
}
