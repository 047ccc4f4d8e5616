//! The embedded event log: each context's outbox table is its stream.
//!
//! The relay gives each committed row the next position of its stream (a single writer per
//! stream, so positions follow publication order) and wakes the stream's consumers. Consumers
//! read rows past their saved position straight from the producer's database and save the new
//! position in their own database, in the same transaction as the inbox row and the handler's
//! changes. This backend serves the single-process shape: every producer runs in-process.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context as _;
use async_trait::async_trait;
use campus_platform::{
    db::{placeholders, Db},
    events::Envelope,
    time,
};
use sqlx::Row;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{
    log::{Ack, Deliveries, Delivery, EventLog, OutboxRow},
    ConsumerSpec,
};

/// Consumers also look for new rows this often, in case a wake-up was missed.
const IDLE_RECHECK: Duration = Duration::from_secs(1);
const BATCH: i64 = 256;

#[derive(Default)]
pub struct EmbeddedLog {
    streams: Mutex<HashMap<String, Arc<Stream>>>,
}

struct Stream {
    db: Db,
    /// The highest position given out; consumers watch it to wake up.
    head: watch::Sender<i64>,
    /// Serialises publishing so positions are handed out in order.
    publishing: tokio::sync::Mutex<()>,
}

impl EmbeddedLog {
    fn stream(&self, name: &str) -> anyhow::Result<Arc<Stream>> {
        let streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams.get(name).cloned().with_context(|| {
            format!(
                "the embedded bus cannot read stream `{name}`: its context does not run in this \
                 process; run it here, or set bus.url to use NATS JetStream"
            )
        })
    }
}

#[async_trait]
impl EventLog for EmbeddedLog {
    fn dependency(&self) -> &'static str {
        "embedded"
    }

    async fn prepare_stream(&self, stream: &str, producer: Option<&Db>) -> anyhow::Result<()> {
        let Some(db) = producer else {
            return self.stream(stream).map(|_| ());
        };
        if self.stream(stream).is_ok() {
            return Ok(());
        }
        let (head,): (Option<i64>,) = sqlx::query_as("SELECT MAX(position) FROM outbox")
            .fetch_one(db.pool())
            .await?;
        let entry = Arc::new(Stream {
            db: db.clone(),
            head: watch::Sender::new(head.unwrap_or(0)),
            publishing: tokio::sync::Mutex::new(()),
        });
        self.streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(stream.to_owned(), entry);
        Ok(())
    }

    async fn prepare_consumer(&self, spec: &ConsumerSpec) -> anyhow::Result<()> {
        self.stream(&spec.stream).map(|_| ())
    }

    async fn publish(&self, producer: &Db, rows: &[OutboxRow]) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let stream = self.stream(producer.context())?;
        let _one_publisher = stream.publishing.lock().await;
        let mut uow = producer.begin().await?;
        // The head is read from the log itself, inside the transaction, so a restart, another
        // process or a commit whose outcome was unclear cannot make positions repeat.
        let (head,): (Option<i64>,) = sqlx::query_as("SELECT MAX(position) FROM outbox")
            .fetch_one(uow.conn())
            .await?;
        let first = head.unwrap_or(0) + 1;
        // One statement for the batch: row i gets position first + i. A row that already has
        // a position was published before and keeps it, so a relay that crashed after
        // publishing cannot duplicate it; its unused number is a harmless gap.
        // The ids are bound twice (for the `CASE` and for the `IN`) so that every parameter
        // appears once, in order, as SQLite reads fastest (see `Backend::positional`).
        let cases: String = (0..rows.len())
            .map(|i| format!(" WHEN ${} THEN ${}", 2 * i + 2, 2 * i + 3))
            .collect();
        let sql = format!(
            "UPDATE outbox SET published_at = $1, position = CASE id{cases} END \
             WHERE position IS NULL AND id IN ({})",
            placeholders(2 * rows.len() + 2, rows.len())
        );
        let sql = producer.backend().positional(&sql);
        let mut query = sqlx::query(&sql).bind(time::now_ms());
        for (offset, row) in rows.iter().enumerate() {
            query = query.bind(&row.id).bind(first + offset as i64);
        }
        for row in rows {
            query = query.bind(&row.id);
        }
        query.execute(uow.conn()).await?;
        uow.commit().await?;
        stream.head.send_replace(first + rows.len() as i64 - 1);
        Ok(())
    }

    async fn deliveries(&self, spec: &ConsumerSpec) -> anyhow::Result<Box<dyn Deliveries>> {
        let stream = self.stream(&spec.stream)?;
        let position = saved_position(spec).await?;
        Ok(Box::new(EmbeddedDeliveries {
            spec: spec.clone(),
            head: stream.head.subscribe(),
            stream,
            query: read_query(spec.event_types.len()),
            event_types: spec.event_types.clone(),
            position,
        }))
    }

    /// The saved position: it moves with each committed run of the consumer's events, and past
    /// other types' events once none of its own are left before the head.
    async fn handled_through(&self, spec: &ConsumerSpec) -> anyhow::Result<i64> {
        saved_position(spec).await
    }

    async fn lag(&self, spec: &ConsumerSpec) -> anyhow::Result<u64> {
        let stream = self.stream(&spec.stream)?;
        let position = saved_position(spec).await?;
        let sql = format!(
            "SELECT COUNT(*) FROM outbox WHERE position > $1 AND event_type IN ({})",
            placeholders(2, spec.event_types.len())
        );
        let mut query = sqlx::query(&sql).bind(position);
        for event_type in &spec.event_types {
            query = query.bind(event_type);
        }
        let count: i64 = query.fetch_one(stream.db.pool()).await?.try_get(0)?;
        Ok(count.max(0) as u64)
    }

    async fn ping(&self) -> anyhow::Result<()> {
        // The log lives in the contexts' databases, which `/readyz` checks on its own.
        Ok(())
    }
}

/// The position this consumer has handled up to, from its own database.
pub(crate) async fn saved_position(spec: &ConsumerSpec) -> anyhow::Result<i64> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT position FROM consumer_positions WHERE subscription = $1 AND stream = $2",
    )
    .bind(&spec.subscription)
    .bind(&spec.stream)
    .fetch_optional(spec.db.pool())
    .await?;
    Ok(row.map(|(p,)| p).unwrap_or(0))
}

/// Saves a position reached without handling anything (no events of the consumer's types).
async fn save_position(spec: &ConsumerSpec, position: i64) -> anyhow::Result<()> {
    let mut uow = spec.db.begin().await?;
    sqlx::query(
        "INSERT INTO consumer_positions (subscription, stream, position, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (subscription, stream) \
         DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at \
         WHERE consumer_positions.position < excluded.position",
    )
    .bind(&spec.subscription)
    .bind(&spec.stream)
    .bind(position)
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    uow.commit().await?;
    Ok(())
}

fn read_query(types: usize) -> String {
    format!(
        "SELECT position, envelope FROM outbox WHERE position > $1 AND position <= $2 \
         AND event_type IN ({}) ORDER BY position LIMIT {BATCH}",
        placeholders(3, types)
    )
}

struct EmbeddedDeliveries {
    spec: ConsumerSpec,
    stream: Arc<Stream>,
    head: watch::Receiver<i64>,
    query: String,
    event_types: Vec<String>,
    position: i64,
}

#[async_trait]
impl Deliveries for EmbeddedDeliveries {
    async fn next_batch(&mut self, cancel: &CancellationToken) -> anyhow::Result<Vec<Delivery>> {
        loop {
            if cancel.is_cancelled() {
                return Ok(Vec::new());
            }
            // Rows up to the head are committed; mark it seen before reading, so a publish
            // during the read wakes us.
            let head = *self.head.borrow_and_update();
            let mut query = sqlx::query(&self.query).bind(self.position).bind(head);
            for event_type in &self.event_types {
                query = query.bind(event_type);
            }
            let rows = query.fetch_all(self.stream.db.pool()).await?;
            if !rows.is_empty() {
                let mut batch = Vec::with_capacity(rows.len());
                for row in rows {
                    let position: i64 = row.try_get(0)?;
                    let text: String = row.try_get(1)?;
                    let envelope: Envelope = serde_json::from_str(&text).with_context(|| {
                        format!("outbox row at position {position} is not an envelope")
                    })?;
                    batch.push(Delivery {
                        envelope,
                        position: Some(position),
                        sequence: position,
                        ack: Ack::Embedded,
                    });
                    self.position = position;
                }
                return Ok(batch);
            }
            if head > self.position {
                // Nothing of ours up to the head: move past the other types' events, so a
                // consumer of a rare event type neither rescans them nor holds back retention.
                save_position(&self.spec, head).await?;
                self.position = head;
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(Vec::new()),
                _ = self.head.changed() => {}
                _ = tokio::time::sleep(IDLE_RECHECK) => {}
            }
        }
    }
}
