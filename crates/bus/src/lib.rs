//! The event backbone (design section 5).
//!
//! Contexts record events in their outbox inside the transaction that changes their state
//! (`campus_platform::events`). This crate moves them on and delivers them:
//!
//! - [`relay`] publishes committed outbox rows to the bus, in order, marking a row published
//!   only once the bus has it;
//! - [`EventLog`] is the bus: the [`embedded`] log (the outbox tables themselves, each row given
//!   a position) or NATS JetStream ([`jetstream`]);
//! - [`consumer`] runs each subscription as a durable consumer: the handler and the inbox row
//!   commit together, failures retry with exponential backoff, and an event that keeps failing
//!   is parked for an administrator ([`admin`]) to inspect and replay;
//! - [`schema`] keeps the published events' JSON Schemas and checks their compatibility.

pub mod admin;
pub mod consumer;
pub mod embedded;
pub mod jetstream;
mod lease;
mod live;
mod log;
pub mod relay;
mod retention;
pub mod schema;

use std::{collections::HashMap, sync::Arc, time::Duration};

use anyhow::Context as _;
use campus_platform::tasks::{every, Task};
use campus_platform::{
    config::Config,
    db::Db,
    events::{stream_of, Subscription},
    health::Probe,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// How often the lag and outbox-depth gauges are brought up to date.
const GAUGES_EVERY: Duration = Duration::from_secs(5);
/// How often events past their retention are pruned.
const RETENTION_EVERY: Duration = Duration::from_secs(600);

pub use consumer::ConsumerSpec;
pub use log::{Delivery, EventLog, OutboxRow};

/// The running backbone of one process: its relays and consumers.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

struct Inner {
    log: Arc<dyn EventLog>,
    config: campus_platform::config::BusConfig,
    /// Contexts running here, whose outboxes this process relays.
    producers: HashMap<String, Db>,
    consumers: Vec<consumer::Consumer>,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

/// What the process hands the bus before it starts.
pub struct BusPlan {
    log: Arc<dyn EventLog>,
    /// The NATS connection, in the distributed shape.
    nats: Option<async_nats::Client>,
    producers: HashMap<String, Db>,
    subscriptions: Vec<(Db, Subscription)>,
}

impl BusPlan {
    /// Connects to the configured bus: NATS JetStream when `bus.url` is set, else embedded.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let (log, nats): (Arc<dyn EventLog>, _) = match &config.bus.url {
            Some(url) => {
                let log = jetstream::JetStreamLog::connect(url.expose(), &config.bus)
                    .await
                    .with_context(|| format!("Failed to connect to NATS at {url} (bus.url)"))?;
                let client = log.client().clone();
                (Arc::new(log), Some(client))
            }
            None => (Arc::new(embedded::EmbeddedLog::default()), None),
        };
        Ok(Self {
            log,
            nats,
            producers: HashMap::new(),
            subscriptions: Vec::new(),
        })
    }

    /// Live dispatches reach every process of the installation: through NATS in the
    /// distributed shape (the returned task follows what the others publish), in memory in
    /// the embedded one.
    pub fn fan_out(&self, live: &campus_platform::live::Live, config: &Config) -> Option<Task> {
        let client = self.nats.clone()?;
        Some(live::NatsFanout::new(client, &config.bus.namespace).install(live))
    }

    /// A context running in this process: its outbox is relayed from here.
    pub fn produce(&mut self, db: &Db) {
        self.producers.insert(db.context().to_owned(), db.clone());
    }

    /// A subscription of the context whose database is `db`.
    pub fn subscribe(&mut self, db: &Db, subscription: Subscription) {
        self.subscriptions.push((db.clone(), subscription));
    }

    /// Prepares streams and durable consumers; nothing runs until [`Bus::start`].
    pub async fn build(self, config: &Config) -> anyhow::Result<Bus> {
        let Self {
            log,
            nats: _,
            producers,
            subscriptions,
        } = self;
        for db in producers.values() {
            log.prepare_stream(db.context(), Some(db)).await?;
        }
        let mut consumers = Vec::new();
        // Follower subscription → the subscription it follows, both as `<context>.<name>`.
        let mut follows: HashMap<String, String> = HashMap::new();
        for (db, subscription) in subscriptions {
            let mut by_stream: HashMap<&str, Vec<String>> = HashMap::new();
            for event_type in &subscription.event_types {
                let stream = stream_of(event_type).with_context(|| {
                    format!(
                        "subscription {} names a malformed event type {event_type}",
                        subscription.name
                    )
                })?;
                by_stream
                    .entry(stream)
                    .or_default()
                    .push((*event_type).to_owned());
            }
            for (stream, event_types) in by_stream {
                log.prepare_stream(stream, producers.get(stream)).await?;
                let spec = ConsumerSpec {
                    db: db.clone(),
                    subscription: format!("{}.{}", db.context(), subscription.name),
                    stream: stream.to_owned(),
                    event_types,
                };
                log.prepare_consumer(&spec).await?;
                consumers.push(consumer::Consumer {
                    spec,
                    handler: subscription.handler.clone(),
                    after: None,
                });
            }
            if let Some(leader) = subscription.after {
                follows.insert(
                    format!("{}.{}", db.context(), subscription.name),
                    format!("{}.{leader}", db.context()),
                );
            }
        }
        // Followers learn their leaders' consumers on the streams both read; on a stream only
        // the follower reads there is no order between them to keep.
        for (follower, leader) in &follows {
            anyhow::ensure!(
                consumers.iter().any(|c| c.spec.subscription == *leader),
                "subscription {follower} follows {leader}, which does not exist"
            );
        }
        let specs: Vec<ConsumerSpec> = consumers.iter().map(|c| c.spec.clone()).collect();
        for consumer in &mut consumers {
            let Some(leader) = follows.get(&consumer.spec.subscription) else {
                continue;
            };
            consumer.after = specs
                .iter()
                .find(|other| other.subscription == *leader && other.stream == consumer.spec.stream)
                .cloned();
        }
        Ok(Bus {
            inner: Arc::new(Inner {
                log,
                config: config.bus.clone(),
                producers,
                consumers,
                cancel: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        })
    }
}

impl Bus {
    /// Starts a relay per producing context and a loop per consumer.
    pub fn start(&self) {
        let inner = &self.inner;
        for db in inner.producers.values() {
            let relay = relay::Relay::new(db.clone(), inner.log.clone(), &inner.config);
            inner.tasks.spawn(relay.run(inner.cancel.clone()));
        }
        for consumer in &inner.consumers {
            let runner = consumer::Runner::new(consumer.clone(), inner.log.clone(), &inner.config);
            inner.tasks.spawn(runner.run(inner.cancel.clone()));
        }
        // Gauges and retention run at start, then periodically.
        let bus = self.clone();
        inner.tasks.spawn(async move {
            bus.report_gauges().await;
            every(GAUGES_EVERY, bus.inner.cancel.clone(), || {
                bus.report_gauges()
            })
            .await;
        });
        let bus = self.clone();
        inner.tasks.spawn(async move {
            bus.apply_retention().await;
            every(RETENTION_EVERY, bus.inner.cancel.clone(), || {
                bus.apply_retention()
            })
            .await;
        });
    }

    /// Stops consuming (a handler already running finishes), flushes the outboxes one last
    /// time, and waits up to `grace` for all of it.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.inner.cancel.cancel();
        self.inner.tasks.close();
        tokio::time::timeout(grace, self.inner.tasks.wait())
            .await
            .is_ok()
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.inner.log
    }

    /// Databases of the contexts whose outboxes this process relays.
    pub fn producers(&self) -> impl Iterator<Item = &Db> {
        self.inner.producers.values()
    }

    pub fn consumers(&self) -> &[consumer::Consumer] {
        &self.inner.consumers
    }

    pub fn config(&self) -> &campus_platform::config::BusConfig {
        &self.inner.config
    }

    /// The bus as a `/readyz` dependency.
    pub fn probe(&self) -> Arc<dyn Probe> {
        Arc::new(log::LogProbe(self.inner.log.clone()))
    }

    async fn apply_retention(&self) {
        if let Err(error) = self.prune().await {
            tracing::warn!(
                error = format!("{error:#}"),
                "pruning the event tables failed"
            );
        }
    }

    /// Keeps the lag and outbox-depth gauges current for `/metrics`.
    async fn report_gauges(&self) {
        for consumer in &self.inner.consumers {
            if let Ok(lag) = self.inner.log.lag(&consumer.spec).await {
                metrics::gauge!(
                    campus_platform::metrics::CONSUMER_LAG,
                    "subscription" => consumer.spec.subscription.clone(),
                    "stream" => consumer.spec.stream.clone()
                )
                .set(lag as f64);
            }
        }
        for db in self.inner.producers.values() {
            if let Ok(depth) = relay::outbox_depth(db).await {
                metrics::gauge!(campus_platform::metrics::OUTBOX_DEPTH, "context" => db.context().to_owned())
                        .set(depth as f64);
            }
        }
        campus_platform::metrics::upkeep();
    }
}
