//! What a bus backend provides: publishing outbox rows and durable, ordered delivery.

use std::sync::Arc;

use async_trait::async_trait;
use campus_platform::{db::Db, events::Envelope, health::Probe};
use tokio_util::sync::CancellationToken;

use crate::ConsumerSpec;

/// A committed, not yet published event as the relay reads it from an outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub event_type: String,
    pub subject: String,
    pub envelope: String,
}

/// One event handed to a consumer.
pub struct Delivery {
    pub envelope: Envelope,
    /// The embedded log's position, saved with the inbox row; `None` on JetStream, where the
    /// server tracks the consumer's position through acks.
    pub position: Option<i64>,
    /// Where the event sits in its stream, on either log (the embedded log's position,
    /// JetStream's stream sequence): what [`EventLog::handled_through`] is compared with.
    pub sequence: i64,
    pub(crate) ack: Ack,
}

pub(crate) enum Ack {
    Embedded,
    JetStream(Box<async_nats::jetstream::Message>),
}

impl Delivery {
    /// Tells the bus this event is done with (handled, duplicate or parked).
    pub async fn ack(&self) {
        if let Ack::JetStream(message) = &self.ack {
            if let Err(error) = message.ack().await {
                // The event will come again after the ack wait; the inbox makes that harmless.
                tracing::warn!(%error, event_id = %self.envelope.id, "ack failed");
            }
        }
    }

    /// Hands the event back undelivered, to come again before newer ones (shutdown).
    pub async fn release(&self) {
        if let Ack::JetStream(message) = &self.ack {
            let _ = message
                .ack_with(async_nats::jetstream::AckKind::Nak(None))
                .await;
        }
    }

    /// Asks the bus not to redeliver yet: a handler is still retrying this event.
    pub async fn in_progress(&self) {
        if let Ack::JetStream(message) = &self.ack {
            let _ = message
                .ack_with(async_nats::jetstream::AckKind::Progress)
                .await;
        }
    }
}

/// A durable consumer's feed of events, in order.
#[async_trait]
pub trait Deliveries: Send {
    /// The next events; waits for some, and returns none once `cancel` fires.
    async fn next_batch(&mut self, cancel: &CancellationToken) -> anyhow::Result<Vec<Delivery>>;

    /// Gives back whatever was fetched but not yet handed out, when the consumer stops.
    async fn release(&mut self) {}
}

/// A bus backend.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// `embedded` or `nats`.
    fn dependency(&self) -> &'static str;

    /// Makes sure `stream` exists. `producer` is the publishing context's database when that
    /// context runs in this process.
    async fn prepare_stream(&self, stream: &str, producer: Option<&Db>) -> anyhow::Result<()>;

    /// Makes sure the durable consumer exists, so events published from now on are kept for it
    /// even before it first runs.
    async fn prepare_consumer(&self, spec: &ConsumerSpec) -> anyhow::Result<()>;

    /// Whether processes other than this one may consume the same subscriptions (each then
    /// consumes only while it holds the subscription's lease, see `lease`).
    fn shared_between_processes(&self) -> bool {
        false
    }

    /// Makes the consumer deliver again, in order, every event after the last one acknowledged
    /// in order: what a process that stopped holding it had fetched is not left to come back
    /// after newer events.
    async fn rewind(&self, _spec: &ConsumerSpec) -> anyhow::Result<()> {
        Ok(())
    }

    /// Publishes `rows` from `producer`'s outbox, in order, and marks them published once the
    /// bus holds them. Publishing a row twice delivers it once.
    async fn publish(&self, producer: &Db, rows: &[OutboxRow]) -> anyhow::Result<()>;

    /// Asks `producer`'s units of work to publish their events themselves from now on, as
    /// they commit (see `Db::number_at_commit`), leaving the relay only rows written without
    /// it (before, or by another process). Returns whether they do; a log that must receive
    /// each event from the relay says no.
    async fn number_at_commit(&self, _producer: &Db) -> anyhow::Result<bool> {
        Ok(false)
    }

    async fn deliveries(&self, spec: &ConsumerSpec) -> anyhow::Result<Box<dyn Deliveries>>;

    /// How far through its stream the consumer has finished with every event (handled,
    /// skipped as another type, or parked), in [`Delivery::sequence`] terms.
    async fn handled_through(&self, spec: &ConsumerSpec) -> anyhow::Result<i64>;

    /// Events the consumer has yet to process.
    async fn lag(&self, spec: &ConsumerSpec) -> anyhow::Result<u64>;

    /// Whether the bus answers, for `/readyz`.
    async fn ping(&self) -> anyhow::Result<()>;
}

pub(crate) struct LogProbe(pub Arc<dyn EventLog>);

#[async_trait]
impl Probe for LogProbe {
    fn dependency(&self) -> &'static str {
        self.0.dependency()
    }

    fn target(&self) -> String {
        "bus".to_owned()
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.0.ping().await
    }

    /// Without the bus, writes go on (their events wait in the outbox for the relay) and so
    /// do reads; consumers and live frames to other processes resume when it is back.
    fn essential(&self) -> bool {
        false
    }
}
