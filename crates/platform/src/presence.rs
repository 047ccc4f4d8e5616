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

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
    time::Duration,
};

use crate::{id, shared_redis::SharedRedis, time};

/// How long a process's word that a person is here lasts without a heartbeat.
const LASTS: Duration = Duration::from_secs(90);

#[derive(Clone, Default)]
pub struct Presence {
    /// Sockets this process holds, by `(school, person)`.
    here: Arc<RwLock<HashMap<(String, String), u32>>>,
    shared: Option<Shared>,
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
        }
    }

    /// A socket of the person opened here.
    pub fn arrived(&self, school_id: &str, user_id: &str) {
        let mut here = self.here.write().unwrap_or_else(|p| p.into_inner());
        *here
            .entry((school_id.to_owned(), user_id.to_owned()))
            .or_default() += 1;
        drop(here);
        self.tell(school_id, user_id, true);
    }

    /// A socket of the person answered its heartbeat.
    pub fn still_here(&self, school_id: &str, user_id: &str) {
        self.tell(school_id, user_id, true);
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
            self.tell(school_id, user_id, false);
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
                for (user, processes) in elsewhere.into_iter().zip(answers) {
                    if processes.values().any(|until| *until > now) {
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

    /// Writes this process's word to Redis, without holding up the socket.
    fn tell(&self, school_id: &str, user_id: &str, here: bool) {
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
}
