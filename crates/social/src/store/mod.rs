//! Social's SQL, by sub-domain: `posts` (posts, comments, reactions), `graph` (follows,
//! blocks and mutes), `reports` (reports and moderators' decisions) and `rules` (the school's
//! settings). Every query names the school, or reaches rows through a post already loaded for
//! the caller's school.

pub(crate) mod graph;
pub(crate) mod posts;
pub(crate) mod reports;
pub(crate) mod rules;

use std::{sync::Arc, time::Duration};

use campus_platform::{cache::ReadCache, db::UnitOfWork};

use crate::domain::Rules;

/// How stale a cached read may be when another process made the change; a change made in
/// this process is forgotten as soon as it commits.
const TTL: Duration = Duration::from_secs(2);

/// The reads every feed request makes, kept in memory: the school's rules, whom a person
/// follows, and whose posts they are not shown.
#[derive(Clone)]
pub(crate) struct Caches {
    pub(crate) rules: Arc<ReadCache<String, Rules>>,
    pub(crate) follows: Arc<ReadCache<String, Arc<Vec<graph::FollowRow>>>>,
    pub(crate) unwanted: Arc<ReadCache<String, Arc<Vec<String>>>>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            rules: Arc::new(ReadCache::new(10_000, TTL)),
            follows: Arc::new(ReadCache::new(100_000, TTL)),
            unwanted: Arc::new(ReadCache::new(100_000, TTL)),
        }
    }
}

impl Caches {
    /// After the unit commits, `cache` forgets `keys`.
    pub(crate) fn forget_after<V: Clone + Send + Sync + 'static>(
        uow: &mut UnitOfWork,
        cache: &Arc<ReadCache<String, V>>,
        keys: &[&str],
    ) {
        let cache = cache.clone();
        let keys: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
        uow.after_commit(move || {
            for key in &keys {
                cache.forget(key);
            }
        });
    }
}
