//! The installation's Redis (`redis.url`), shared by all its processes: today the credential
//! rate limits are counted there. Connecting is lazy and reconnects on its own, so a process
//! starts while Redis is down; `/readyz` reports it, and callers fall back to what they can do
//! alone.

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use futures::StreamExt as _;

use crate::{config::Config, health::Probe, tasks::Task};

/// How long a follower waits before subscribing again after Redis failed.
const FOLLOW_AGAIN_AFTER: Duration = Duration::from_secs(1);

/// An answer later than this counts as Redis being unavailable: sign-in must not hang on it.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct SharedRedis {
    client: redis::Client,
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl SharedRedis {
    /// The configured Redis, or `None` when `redis.url` is unset.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = &config.redis.url else {
            return Ok(None);
        };
        let client = redis::Client::open(url.expose()).context("Invalid redis.url")?;
        let settings = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let connection = ConnectionManager::new_lazy_with_config(client.clone(), settings)
            .context("Invalid redis.url")?;
        Ok(Some(Self {
            client,
            connection,
            prefix: config.redis.key_prefix.as_str().into(),
        }))
    }

    /// `<key_prefix>:<name>`.
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    /// A handle on the shared, multiplexed connection.
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// A task that hands every message published on `channel` (under the prefix) to `heard`,
    /// until shutdown. It subscribes again after Redis failed, and calls `subscribed` each time
    /// it has (re)subscribed: what was published while it was not listening is lost, and the
    /// caller may have to start afresh.
    pub fn follow(
        &self,
        name: &'static str,
        channel: &str,
        subscribed: impl Fn() + Send + 'static,
        heard: impl Fn(&str) + Send + 'static,
    ) -> Task {
        let (redis, channel) = (self.clone(), self.key(channel));
        Task::new(name, move |shutdown| async move {
            let mut failing = false;
            loop {
                match redis.subscriber(&channel).await {
                    Ok(mut subscription) => {
                        subscribed();
                        if failing {
                            tracing::info!(task = name, "following Redis again");
                        }
                        failing = false;
                        let mut messages = subscription.on_message();
                        loop {
                            tokio::select! {
                                _ = shutdown.cancelled() => return,
                                message = messages.next() => match message {
                                    Some(message) => {
                                        if let Ok(text) = message.get_payload::<String>() {
                                            heard(&text);
                                        }
                                    }
                                    None => break,
                                },
                            }
                        }
                    }
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!(%error, task = name, "cannot follow Redis; this process goes on alone until it can");
                    }
                    Err(_) => {}
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(FOLLOW_AGAIN_AFTER) => {}
                }
            }
        })
    }

    /// A connection of its own subscribed to `channel` (a subscribed connection can do nothing
    /// else).
    pub async fn subscriber(&self, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
        let mut subscription =
            match tokio::time::timeout(CONNECT_TIMEOUT, self.client.get_async_pubsub()).await {
                Ok(subscription) => subscription?,
                Err(_) => {
                    return Err(redis::RedisError::from(std::io::Error::from(
                        std::io::ErrorKind::TimedOut,
                    )))
                }
            };
        subscription.subscribe(channel).await?;
        Ok(subscription)
    }
}

#[async_trait]
impl Probe for SharedRedis {
    fn dependency(&self) -> &'static str {
        "redis"
    }

    fn target(&self) -> String {
        "shared".into()
    }

    /// Without Redis each process counts rate limits on its own and passes ended sessions on
    /// through the bus only: it serves on.
    fn essential(&self) -> bool {
        false
    }

    async fn check(&self) -> anyhow::Result<()> {
        let mut connection = self.connection();
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(())
    }
}
