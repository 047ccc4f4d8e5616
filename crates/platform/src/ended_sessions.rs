//! Sessions that have ended — signed out, ended from the session list, ended by a password
//! reset or a deactivation, or revoked because their refresh token was copied — so their access
//! tokens are refused at once rather than when they expire.
//!
//! Every access token names its session (`sid`). Identity records `SessionsEnded` in the same
//! transaction that revokes the sessions, and applies it to its own process's list as soon as
//! that commits. Every process learns it from identity's events: the process subscribes one of
//! its contexts to them ([`EndedSessions::subscription`]). With several replicas of one group
//! of contexts, only one replica receives each event, so with `redis.url` set the replica that
//! handles it also appends the ended sessions to a Redis stream that every process reads each
//! second ([`EndedSessions::follower`]). An entry is kept until the tokens of its session must
//! have expired.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use campus_contracts::identity::SessionsEnded;
use redis::streams::{StreamReadOptions, StreamReadReply};

use crate::{
    auth::ACCESS_TOKEN_LIFETIME,
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
    shared_redis::SharedRedis,
    tasks::Task,
    time,
};

/// How long an ended session is remembered: until its last access token has expired, with
/// the leeway token checks allow for clocks.
const REMEMBER_FOR: Duration = ACCESS_TOKEN_LIFETIME.saturating_add(Duration::from_secs(60));
/// How often a process reads the shared stream.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// The stream keeps entries about this long (trimmed on each append).
const STREAM_KEEPS_MS: i64 = 20 * 60 * 1000;

/// The process's list of ended sessions. Cheap to clone; clones share the list.
#[derive(Clone, Default)]
pub struct EndedSessions {
    /// Session id → when it may be forgotten.
    ended: Arc<RwLock<HashMap<String, Instant>>>,
}

impl EndedSessions {
    /// Refuses the access tokens of these sessions from now on.
    pub fn end<I, S>(&self, session_ids: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let now = Instant::now();
        let mut ended = self.ended.write().unwrap_or_else(|p| p.into_inner());
        ended.retain(|_, forget_at| *forget_at > now);
        for id in session_ids {
            let id = id.into();
            if !id.is_empty() {
                ended.insert(id, now + REMEMBER_FOR);
            }
        }
    }

    /// Whether the session has ended. Tokens issued before sessions were named carry none.
    pub fn has_ended(&self, session_id: &str) -> bool {
        if session_id.is_empty() {
            return false;
        }
        let ended = self.ended.read().unwrap_or_else(|p| p.into_inner());
        ended
            .get(session_id)
            .is_some_and(|forget_at| *forget_at > Instant::now())
    }

    /// The subscription through which a process learns of ended sessions from identity's
    /// events; with `redis`, it also tells the installation's other processes.
    pub fn subscription(&self, redis: Option<SharedRedis>) -> Subscription {
        Subscription::new(
            "ended_sessions",
            vec![SessionsEnded::TYPE],
            Listener {
                sessions: self.clone(),
                redis,
            },
        )
    }

    /// Reads the installation's stream of ended sessions every second, from what it still
    /// holds at start, until shutdown.
    pub fn follower(&self, redis: SharedRedis) -> Task {
        let sessions = self.clone();
        Task::new("ended sessions follower", move |shutdown| async move {
            let key = redis.key(STREAM);
            let mut last_id = "0".to_owned();
            let mut failing = false;
            loop {
                match sessions.read_stream(&redis, &key, &last_id).await {
                    Ok(newest) => {
                        if failing {
                            tracing::info!("reading ended sessions from Redis again");
                        }
                        failing = false;
                        last_id = newest.unwrap_or(last_id);
                    }
                    Err(error) => {
                        if !failing {
                            tracing::warn!(%error, "cannot read ended sessions from Redis; this process learns of them from events alone until it can");
                        }
                        failing = true;
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(FOLLOW_EVERY) => {}
                }
            }
        })
    }

    /// Applies the stream's entries after `after`; returns the id of the newest one read.
    async fn read_stream(
        &self,
        redis: &SharedRedis,
        key: &str,
        after: &str,
    ) -> redis::RedisResult<Option<String>> {
        let mut connection = redis.connection();
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg(StreamReadOptions::default().count(10_000))
            .arg("STREAMS")
            .arg(key)
            .arg(after)
            .query_async(&mut connection)
            .await?;
        let entries: Vec<_> = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|stream| stream.ids)
            .collect();
        self.end(
            entries
                .iter()
                .filter_map(|entry| entry.get::<String>(FIELD)),
        );
        Ok(entries.last().map(|entry| entry.id.clone()))
    }
}

/// The Redis stream (under `redis.key_prefix`) and the field of each entry.
const STREAM: &str = "ended_sessions";
const FIELD: &str = "sid";

struct Listener {
    sessions: EndedSessions,
    redis: Option<SharedRedis>,
}

#[async_trait]
impl Handler for Listener {
    async fn handle(&self, _uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        if event.event_type != SessionsEnded::TYPE {
            return Ok(());
        }
        let ended: SessionsEnded = event.data_as()?;
        self.sessions.end(ended.session_ids.iter().cloned());
        if let Some(redis) = &self.redis {
            // Failing here retries the event, so the other processes do hear of it.
            let mut connection = redis.connection();
            let oldest_kept = time::now_ms() - STREAM_KEEPS_MS;
            let mut pipe = redis::pipe();
            for id in &ended.session_ids {
                pipe.cmd("XADD")
                    .arg(redis.key(STREAM))
                    .arg("MINID")
                    .arg("~")
                    .arg(oldest_kept)
                    .arg("*")
                    .arg(FIELD)
                    .arg(id)
                    .ignore();
            }
            pipe.query_async::<()>(&mut connection).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_session_is_refused_and_unnamed_ones_never_are() {
        let sessions = EndedSessions::default();
        assert!(!sessions.has_ended("s1"));
        sessions.end(["s1"]);
        assert!(sessions.has_ended("s1"));
        assert!(!sessions.has_ended("s2"));
        sessions.end([""]);
        assert!(
            !sessions.has_ended(""),
            "tokens without a session are not refused here"
        );
    }
}
