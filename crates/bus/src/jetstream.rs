//! NATS JetStream as the bus, for the distributed shape.
//!
//! One stream per publishing context (`CAMPUS_<CONTEXT>`, subjects `campus.<context>.>`), one
//! durable pull consumer per (subscription, stream) with explicit acks. The relay publishes
//! with `Nats-Msg-Id` set to the event id, so a publish retried after a crash within the
//! duplicate window is dropped by the server; past that window the consumers' inboxes still
//! make handling effectively-once. The relay marks an outbox row published only after
//! JetStream acknowledged it. `bus.namespace` prefixes subjects and stream names, so several
//! deployments can share one NATS cluster.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::{
    connection::State,
    jetstream::{
        self,
        consumer::{pull, AckPolicy, DeliverPolicy},
        context::Publish,
        stream::{self, StorageType},
    },
};
use async_trait::async_trait;
use campus_platform::{config::BusConfig, db::Db, events::Envelope, time};
use futures::{FutureExt, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::{
    log::{Ack, Deliveries, Delivery, EventLog, OutboxRow},
    ConsumerSpec,
};

/// How long JetStream waits for an ack before redelivering; handlers still retrying send
/// progress acks to hold it off.
const ACK_WAIT: Duration = Duration::from_secs(30);
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Most events handed to a consumer at once (and so committed in one transaction).
const MAX_BATCH: usize = 256;

pub struct JetStreamLog {
    client: async_nats::Client,
    js: jetstream::Context,
    namespace: String,
    retention: Duration,
}

impl JetStreamLog {
    /// The connection, shared with live fan-out.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub async fn connect(url: &str, config: &BusConfig) -> anyhow::Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name("campus")
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        let js = jetstream::new(client.clone());
        Ok(Self {
            client,
            js,
            namespace: config.namespace.clone(),
            retention: Duration::from_secs(config.retention_hours * 3600),
        })
    }

    /// `campus.identity.user_registered.v1` → `<namespace>.identity.user_registered.v1`.
    fn subject(&self, event_type: &str) -> String {
        match event_type.strip_prefix("campus.") {
            Some(rest) => format!("{}.{rest}", self.namespace),
            None => event_type.to_owned(),
        }
    }

    fn stream_name(&self, stream: &str) -> String {
        format!("{}_{}", self.namespace, stream).to_uppercase()
    }

    fn durable_name(spec: &ConsumerSpec) -> String {
        spec.subscription.replace('.', "-")
    }

    /// The durable consumer's settings, delivering from `deliver_policy` when it is made.
    fn consumer_config(&self, spec: &ConsumerSpec, deliver_policy: DeliverPolicy) -> pull::Config {
        pull::Config {
            durable_name: Some(Self::durable_name(spec)),
            // NATS before 2.10 takes one filter; the runner skips other event types.
            filter_subject: format!("{}.{}.>", self.namespace, spec.stream),
            ack_policy: AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            deliver_policy,
            max_ack_pending: 1024,
            ..Default::default()
        }
    }

    async fn consumer(
        &self,
        spec: &ConsumerSpec,
    ) -> anyhow::Result<jetstream::consumer::PullConsumer> {
        let stream = self.js.get_stream(self.stream_name(&spec.stream)).await?;
        let consumer = stream
            .get_or_create_consumer(
                &Self::durable_name(spec),
                self.consumer_config(spec, DeliverPolicy::All),
            )
            .await?;
        Ok(consumer)
    }

    /// Removes this namespace's streams; for test suites cleaning up after themselves.
    pub async fn delete_streams(&self, streams: &[&str]) {
        for stream in streams {
            let _ = self.js.delete_stream(self.stream_name(stream)).await;
        }
    }

    /// Messages stored in `stream`, for tests of publish deduplication.
    pub async fn stored_messages(&self, stream: &str) -> anyhow::Result<u64> {
        let mut stream = self.js.get_stream(self.stream_name(stream)).await?;
        Ok(stream.info().await?.state.messages)
    }
}

#[async_trait]
impl EventLog for JetStreamLog {
    fn dependency(&self) -> &'static str {
        "nats"
    }

    async fn prepare_stream(&self, stream: &str, _producer: Option<&Db>) -> anyhow::Result<()> {
        self.js
            .get_or_create_stream(stream::Config {
                name: self.stream_name(stream),
                subjects: vec![format!("{}.{stream}.>", self.namespace)],
                storage: StorageType::File,
                max_age: self.retention,
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await
            .with_context(|| format!("Failed to create the JetStream stream for {stream}"))?;
        Ok(())
    }

    async fn prepare_consumer(&self, spec: &ConsumerSpec) -> anyhow::Result<()> {
        self.consumer(spec).await.map(|_| ())
    }

    /// Every process running a context pulls from the same durable consumers.
    fn shared_between_processes(&self) -> bool {
        true
    }

    /// JetStream would redeliver what the previous holder left unacknowledged only after its
    /// ack wait, behind the newer events it hands out meanwhile; so the consumer is made again
    /// from the first event not acknowledged in order.
    async fn rewind(&self, spec: &ConsumerSpec) -> anyhow::Result<()> {
        let mut consumer = self.consumer(spec).await?;
        let info = consumer.info().await?;
        if info.num_ack_pending == 0 {
            return Ok(());
        }
        let start_sequence = info.ack_floor.stream_sequence + 1;
        let stream = self.js.get_stream(self.stream_name(&spec.stream)).await?;
        stream.delete_consumer(&Self::durable_name(spec)).await?;
        stream
            .create_consumer(
                self.consumer_config(spec, DeliverPolicy::ByStartSequence { start_sequence }),
            )
            .await?;
        tracing::info!(subscription = %spec.subscription, pending = info.num_ack_pending, start_sequence, "consumer rewound to the first event not acknowledged in order");
        Ok(())
    }

    async fn publish(&self, producer: &Db, rows: &[OutboxRow]) -> anyhow::Result<()> {
        // Send the whole batch, then wait for the acks: one round trip per batch, not per event.
        let mut pending = Vec::with_capacity(rows.len());
        for row in rows {
            let publish = Publish::build()
                .message_id(&row.id)
                .header("Content-Type", "application/cloudevents+json")
                .payload(row.envelope.clone().into());
            pending.push(
                self.js
                    .send_publish(self.subject(&row.event_type), publish)
                    .await?,
            );
        }
        for ack in pending {
            ack.await
                .context("JetStream did not acknowledge a publish")?;
        }
        let mut uow = producer.begin().await?;
        let now = time::now_ms();
        for row in rows {
            sqlx::query("UPDATE outbox SET published_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&row.id)
                .execute(uow.conn())
                .await?;
        }
        uow.commit().await?;
        Ok(())
    }

    async fn deliveries(&self, spec: &ConsumerSpec) -> anyhow::Result<Box<dyn Deliveries>> {
        let consumer = self.consumer(spec).await?;
        let messages = consumer.messages().await?;
        Ok(Box::new(JetStreamDeliveries { messages }))
    }

    /// The consumer's ack floor: every event up to it was acknowledged, and the runner acks an
    /// event only once it is committed, skipped as another type, or parked.
    async fn handled_through(&self, spec: &ConsumerSpec) -> anyhow::Result<i64> {
        // A handle without the stream's own info: one request to the server, not two, as a
        // follower behind its leader asks every few milliseconds.
        let stream = self
            .js
            .get_stream_no_info(self.stream_name(&spec.stream))
            .await?;
        let info = stream.consumer_info(Self::durable_name(spec)).await?;
        Ok(info.ack_floor.stream_sequence as i64)
    }

    async fn lag(&self, spec: &ConsumerSpec) -> anyhow::Result<u64> {
        let stream = self
            .js
            .get_stream_no_info(self.stream_name(&spec.stream))
            .await?;
        let info = stream.consumer_info(Self::durable_name(spec)).await?;
        Ok(info.num_pending + info.num_ack_pending as u64)
    }

    async fn ping(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.client.connection_state() == State::Connected,
            "not connected to NATS"
        );
        self.client.flush().await.context("NATS did not answer")?;
        Ok(())
    }
}

struct JetStreamDeliveries {
    messages: pull::Stream,
}

#[async_trait]
impl Deliveries for JetStreamDeliveries {
    async fn next_batch(&mut self, cancel: &CancellationToken) -> anyhow::Result<Vec<Delivery>> {
        let mut batch = Vec::new();
        loop {
            // Wait for the first message; then take what has already arrived too, so a busy
            // consumer commits many events at once.
            let next = if batch.is_empty() {
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(batch),
                    next = self.messages.next() => next,
                }
            } else {
                match self.messages.next().now_or_never() {
                    Some(next) => next,
                    None => return Ok(batch),
                }
            };
            let message = match next {
                Some(Ok(message)) => message,
                // A missed heartbeat (the runner was busy longer than the heartbeat window) or
                // a failed pull leaves the stream usable: keep reading it, in order, rather
                // than reopen and let newer messages overtake the ones already fetched.
                Some(Err(error))
                    if !matches!(error.kind(), pull::MessagesErrorKind::ConsumerDeleted) =>
                {
                    tracing::debug!(%error, "JetStream consumer hiccup; continuing");
                    if batch.is_empty() {
                        continue;
                    }
                    return Ok(batch);
                }
                Some(Err(error)) if batch.is_empty() => {
                    anyhow::bail!("JetStream consumer failed: {error}")
                }
                None if batch.is_empty() => anyhow::bail!("the JetStream consumer closed"),
                Some(Err(_)) | None => return Ok(batch),
            };
            let sequence = match message.info() {
                Ok(info) => info.stream_sequence as i64,
                Err(error) => {
                    // Not a JetStream delivery at all: nothing to order it by, nothing to ack.
                    tracing::error!(%error, subject = %message.subject, "a message without JetStream metadata dropped");
                    continue;
                }
            };
            match serde_json::from_slice::<Envelope>(&message.payload) {
                Ok(envelope) => batch.push(Delivery {
                    envelope,
                    position: None,
                    sequence,
                    ack: Ack::JetStream(Box::new(message)),
                }),
                Err(error) => {
                    // Not ours to handle and never will be: drop it rather than block the stream.
                    tracing::error!(%error, subject = %message.subject, "unreadable event dropped");
                    let _ = message.ack_with(jetstream::AckKind::Term).await;
                }
            }
            if batch.len() >= MAX_BATCH {
                return Ok(batch);
            }
        }
    }

    async fn release(&mut self) {
        // Fetched but never handled (shutdown): hand them back in order, so they come again
        // before anything newer.
        while let Some(Some(Ok(message))) = self.messages.next().now_or_never() {
            let _ = message.ack_with(jetstream::AckKind::Nak(None)).await;
        }
    }
}
