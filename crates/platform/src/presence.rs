//! Presence: who has the app open right now, for the people a page shows (a conversation's
//! members). The real-time hub says when a person's socket opens, is still there at each
//! heartbeat, and closes; any context asks who among some people is online.
//!
//! Each process counts the sockets it holds. With `redis.url` set, each process also keeps, for
//! each person it holds a socket of, a field in the Redis hash `presence:<school>:<person>`
//! (the process's id → until when), refreshed at every heartbeat and removed when its last
//! socket of that person closes; the hash expires on its own if a process dies. A person is
//! online if any process holds a socket of theirs. When Redis does not answer, each process
//! knows only its own sockets (documented as the degraded mode).
//!
//! Whoever shows presence live listens to [`Presence::changes`]: a person's first socket in a
//! process opened or their last one there closed. A change says only whom to look at again,
//! since another process may still hold a socket of theirs; the listener asks
//! [`Presence::online`] for the truth. With Redis, each process publishes its changes on the
//! channel `presence_changes` after writing its word, and follows the others'. A process that
//! dies says nothing: its word lapses after [`LASTS`] and nobody is told.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::{id, shared_redis::SharedRedis, tasks::Task, time};

/// The Redis channel (under `redis.key_prefix`) changes travel on.
const CHANGES: &str = "presence_changes";

/// Changes a slow listener may fall behind by before it misses some.
const CHANGES_BACKLOG: usize = 4096;

/// A person whose presence may have changed (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceChange {
    pub school_id: String,
    pub user_id: String,
}

/// How long a process's word that a person is here lasts without a heartbeat.
const LASTS: Duration = Duration::from_secs(90);

#[derive(Clone)]
pub struct Presence {
    /// Sockets this process holds, by `(school, person)`.
    here: Arc<RwLock<HashMap<(String, String), u32>>>,
    shared: Option<Shared>,
    changes: broadcast::Sender<PresenceChange>,
}

#[derive(Clone)]
struct Shared {
    redis: SharedRedis,
    /// This process, as a field of the presence hashes.
    process: Arc<str>,
}

impl Presence {
    /// Presence shared through `redis` when given.
    pub fn new(redis: Option<SharedRedis>) -> Self {
        Self {
            here: Arc::default(),
            shared: redis.map(|redis| Shared {
                redis,
                process: id::new_id_string().into(),
            }),
            changes: broadcast::channel(CHANGES_BACKLOG).0,
        }
    }

    /// The people whose presence may have changed, in any process, from now on.
    pub fn changes(&self) -> broadcast::Receiver<PresenceChange> {
        self.changes.subscribe()
    }

    /// The task that hears the other processes' changes; none without Redis.
    pub fn tasks(&self) -> Vec<Task> {
        let Some(shared) = &self.shared else {
            return Vec::new();
        };
        let (process, changes) = (shared.process.clone(), self.changes.clone());
        vec![shared.redis.follow(
            "presence changes follower",
            CHANGES,
            || {},
            move |message| match serde_json::from_str::<(String, PresenceChange)>(message) {
                Ok((from, change)) if *from != *process => {
                    let _ = changes.send(change);
                }
                Ok(_) => {}
                Err(_) => tracing::warn!("an unreadable presence change on Redis; ignored"),
            },
        )]
    }

    /// A socket of the person opened here.
    pub fn arrived(&self, school_id: &str, user_id: &str) {
        let mut here = self.here.write().unwrap_or_else(|p| p.into_inner());
        let count = here
            .entry((school_id.to_owned(), user_id.to_owned()))
            .or_default();
        *count += 1;
        let first = *count == 1;
        drop(here);
        self.tell(school_id, user_id, true, first);
    }

    /// A socket of the person answered its heartbeat.
    pub fn still_here(&self, school_id: &str, user_id: &str) {
        self.tell(school_id, user_id, true, false);
    }

    /// A socket of the person closed here.
    pub fn left(&self, school_id: &str, user_id: &str) {
        let mut here = self.here.write().unwrap_or_else(|p| p.into_inner());
        let key = (school_id.to_owned(), user_id.to_owned());
        let gone = match here.get_mut(&key) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                here.remove(&key);
                true
            }
            None => false,
        };
        drop(here);
        if gone {
            self.tell(school_id, user_id, false, true);
        }
    }

    /// Who among `users` of `school_id` is online, here or (with Redis) in any process.
    pub async fn online(&self, school_id: &str, users: &[String]) -> HashSet<String> {
        let mut online: HashSet<String> = {
            let here = self.here.read().unwrap_or_else(|p| p.into_inner());
            users
                .iter()
                .filter(|user| here.contains_key(&(school_id.to_owned(), (*user).clone())))
                .cloned()
                .collect()
        };
        let Some(shared) = &self.shared else {
            return online;
        };
        let elsewhere: Vec<&String> = users
            .iter()
            .filter(|user| !online.contains(*user))
            .collect();
        if elsewhere.is_empty() {
            return online;
        }
        let mut pipe = redis::pipe();
        for user in &elsewhere {
            pipe.hgetall(shared.redis.key(&format!("presence:{school_id}:{user}")));
        }
        let mut connection = shared.redis.connection();
        let now = time::now_ms();
        match pipe
            .query_async::<Vec<HashMap<String, i64>>>(&mut connection)
            .await
        {
            Ok(answers) => {
                // This process's own word may lag its sockets; what it holds is known above.
                for (user, processes) in elsewhere.into_iter().zip(answers) {
                    if processes
                        .iter()
                        .any(|(process, until)| **process != *shared.process && *until > now)
                    {
                        online.insert(user.clone());
                    }
                }
            }
            Err(error) => {
                tracing::debug!(%error, "presence from this process only: Redis did not answer")
            }
        }
        online
    }

    /// Tells this process's listeners of a change at once, and writes this process's word to
    /// Redis (then the change, for the other processes) without holding up the socket.
    fn tell(&self, school_id: &str, user_id: &str, here: bool, changed: bool) {
        let change = changed.then(|| PresenceChange {
            school_id: school_id.to_owned(),
            user_id: user_id.to_owned(),
        });
        if let Some(change) = &change {
            let _ = self.changes.send(change.clone());
        }
        let Some(shared) = self.shared.clone() else {
            return;
        };
        let key = shared.redis.key(&format!("presence:{school_id}:{user_id}"));
        tokio::spawn(async move {
            let mut connection = shared.redis.connection();
            let mut pipe = redis::pipe();
            if here {
                let until = time::now_ms() + LASTS.as_millis() as i64;
                pipe.hset(&key, shared.process.as_ref(), until)
                    .ignore()
                    .pexpire(&key, LASTS.as_millis() as i64)
                    .ignore();
            } else {
                pipe.hdel(&key, shared.process.as_ref()).ignore();
            }
            if let Some(change) = change {
                let message = serde_json::json!([shared.process.as_ref(), change]).to_string();
                pipe.publish(shared.redis.key(CHANGES), message).ignore();
            }
            if let Err(error) = pipe.query_async::<()>(&mut connection).await {
                tracing::debug!(%error, "presence not shared: Redis did not answer");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_person_is_online_while_a_socket_of_theirs_is_open() {
        let presence = Presence::new(None);
        let people = vec!["sam".to_owned(), "kim".to_owned()];
        presence.arrived("s", "sam");
        presence.arrived("s", "sam");
        assert_eq!(
            presence.online("s", &people).await,
            HashSet::from(["sam".to_owned()])
        );
        assert!(
            presence.online("other", &people).await.is_empty(),
            "per school"
        );
        presence.left("s", "sam");
        assert_eq!(
            presence.online("s", &people).await.len(),
            1,
            "one socket is still open"
        );
        presence.left("s", "sam");
        assert!(presence.online("s", &people).await.is_empty());
    }

    #[tokio::test]
    async fn a_first_arrival_and_a_last_leaving_are_changes() {
        let presence = Presence::new(None);
        let mut changes = presence.changes();
        let sam = PresenceChange {
            school_id: "s".into(),
            user_id: "sam".into(),
        };
        presence.arrived("s", "sam");
        presence.arrived("s", "sam");
        presence.still_here("s", "sam");
        presence.left("s", "sam");
        presence.left("s", "sam");
        assert_eq!(changes.try_recv().unwrap(), sam, "the first socket");
        assert_eq!(changes.try_recv().unwrap(), sam, "the last socket");
        assert!(changes.try_recv().is_err(), "nothing in between");
    }

    #[tokio::test]
    async fn another_process_hears_of_a_change_and_sees_the_truth_through_redis() {
        let Ok(url) = std::env::var("CAMPUS_TEST_REDIS_URL") else {
            eprintln!("CAMPUS_TEST_REDIS_URL is not set; skipped");
            return;
        };
        let mut config = crate::config::Config::default();
        config.redis.url = Some(crate::config::ConnectionUrl::new(url));
        config.redis.key_prefix = format!("presence-{}", crate::id::new_id_string());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let process = || {
            let presence = Presence::new(SharedRedis::from_config(&config).unwrap());
            for task in presence.tasks() {
                tokio::spawn(task.start(shutdown.clone()));
            }
            presence
        };
        let (hub, other) = (process(), process());
        let mut changes = other.changes();
        let sam = vec!["sam".to_owned()];
        let heard = |changes: &mut broadcast::Receiver<PresenceChange>| {
            let mut changes = changes.resubscribe();
            async move {
                tokio::time::timeout(Duration::from_secs(2), changes.recv())
                    .await
                    .expect("no change arrived")
                    .unwrap()
            }
        };
        // The follower may still be subscribing: arrive until the other process hears it.
        let mut arrived = None;
        for _ in 0..40 {
            let listening = heard(&mut changes);
            hub.arrived("s", "sam");
            if let Ok(change) = tokio::time::timeout(Duration::from_millis(100), listening).await {
                arrived = Some(change);
                break;
            }
            hub.left("s", "sam");
            // Its leaving is heard before the next try listens.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            arrived.expect("the other process never heard").user_id,
            "sam"
        );
        assert_eq!(
            other.online("s", &sam).await,
            HashSet::from(["sam".to_owned()])
        );
        let listening = heard(&mut changes);
        hub.left("s", "sam");
        assert_eq!(listening.await.user_id, "sam");
        assert!(
            other.online("s", &sam).await.is_empty(),
            "the word was taken back first"
        );
        shutdown.cancel();
    }
}
