//! Social's SQL, by sub-domain: `posts` (posts, comments, reactions), `graph` (follows,
//! blocks and mutes), `reports` (reports and moderators' decisions) and `rules` (the school's
//! settings). Every query names the school, or reaches rows through a post already loaded for
//! the caller's school.

pub(crate) mod graph;
pub(crate) mod posts;
pub(crate) mod reports;
pub(crate) mod rules;

use std::{sync::Arc, time::Duration};

use campus_platform::{
    cache::{Forgetting, ReadCache},
    db::UnitOfWork,
};

use crate::domain::Rules;

/// How stale a cached read may be when another process made the change and Redis could not
/// tell this one; a change is forgotten as soon as it commits, here and through Redis in the
/// other processes.
const TTL: Duration = Duration::from_secs(2);

/// The reads every feed request makes, kept in memory: the school's rules, whom a person
/// follows, whose posts they are not shown, and each school's newest posts.
#[derive(Clone)]
pub(crate) struct Caches {
    pub(crate) rules: Arc<ReadCache<String, Rules>>,
    pub(crate) follows: Arc<ReadCache<String, Arc<Vec<graph::FollowRow>>>>,
    pub(crate) unwanted: Arc<ReadCache<String, Arc<Vec<String>>>>,
    pub(crate) recent: Arc<ReadCache<String, Arc<posts::Recent>>>,
}

impl Caches {
    /// Forgets reach the installation's other processes through `forgetting`.
    pub(crate) fn new(forgetting: &Forgetting) -> Self {
        Self {
            rules: Arc::new(ReadCache::shared(10_000, TTL, "social.rules", forgetting)),
            follows: Arc::new(ReadCache::shared(
                100_000,
                TTL,
                "social.follows",
                forgetting,
            )),
            unwanted: Arc::new(ReadCache::shared(
                100_000,
                TTL,
                "social.unwanted",
                forgetting,
            )),
            // A school's window holds up to `posts::RECENT` posts of up to 5,000 characters
            // (each twice: Markdown and HTML): a few hundred kilobytes for most schools, a few
            // megabytes at worst, so only the busiest schools' windows are kept.
            recent: Arc::new(ReadCache::shared(256, TTL, "social.recent", forgetting)),
        }
    }

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
