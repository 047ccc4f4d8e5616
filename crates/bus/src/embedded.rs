//! The embedded event log: each context's outbox table is its stream.
//!
//! Each committed row gets the next position of its stream and wakes the stream's consumers.
//! On SQLite, where one transaction writes at a time, the unit of work that records an event
//! numbers it as it writes it, so positions follow commit order and the event is published when
//! it commits ([`EventLog::number_at_commit`]); the relay numbers only rows written without that
//! (before the process started numbering, or by another process), and on PostgreSQL, where
//! transactions commit side by side, every row (one publisher per stream, so positions follow
//! publication order). Consumers
//! read rows past their saved position straight from the producer's database and save the new
//! position in their own database, in the same transaction as the inbox row and the handler's
//! changes. This backend serves the single-process shape: every producer runs in-process.
//!
//! The events just published are also kept in memory ([`Recent`]), so consumers that keep up
//! take them from there instead of each reading the rows back from the producer's database; a
//! consumer further behind reads the table.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context as _;
use async_trait::async_trait;
use campus_platform::{
    db::{placeholders, Db},
    events::{Envelope, NumberedAtCommit},
    metrics as names, time,
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
/// A consumer that keeps up takes its next batch no sooner than this after the last one: under
/// a burst each of its runs (a transaction, with its inbox rows and position) then gathers the
/// events of a few commits instead of one each, while an event arriving after a quiet moment is
/// taken at once. One that is behind (its last batch was full) goes on without waiting.
const GATHER: Duration = Duration::from_millis(5);
/// The most published events a stream keeps in memory: at 2,000 a second, two seconds' worth.
const RECENT: usize = 4096;

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
    recent: Mutex<Recent>,
}

/// The latest events published, at consecutive positions up to the head.
#[derive(Default)]
struct Recent {
    /// The position of `events[0]`.
    first: i64,
    events: VecDeque<Envelope>,
}

impl Recent {
    /// Adds `events`, published at positions from `first` on; when they do not follow on (the
    /// window was emptied, or positions were skipped), starts again from them.
    fn extend(&mut self, first: i64, events: Vec<Envelope>) {
        if self.first + self.events.len() as i64 != first {
            self.events.clear();
            self.first = first;
        }
        self.events.extend(events);
        let over = self.events.len().saturating_sub(RECENT);
        self.events.drain(..over);
        self.first += over as i64;
    }

    /// The events of `types` after `after` up to `head` (at most [`BATCH`]), if every position
    /// in between is here; `None` sends the consumer to the table.
    fn after(&self, after: i64, head: i64, types: &[String]) -> Option<Vec<Delivery>> {
        let last = self.first + self.events.len() as i64 - 1;
        if self.events.is_empty() || after + 1 < self.first || head > last {
            return None;
        }
        if after >= head {
            return Some(Vec::new());
        }
        let from = (after + 1 - self.first) as usize;
        let to = (head - self.first + 1) as usize;
        Some(
            self.events
                .range(from..to)
                .zip(after + 1..)
                .filter(|(envelope, _)| types.contains(&envelope.event_type))
                .take(BATCH as usize)
                .map(|(envelope, position)| Delivery {
                    envelope: envelope.clone(),
                    position: Some(position),
                    sequence: position,
                    ack: Ack::Embedded,
                })
                .collect(),
        )
    }
}

fn lock(recent: &Mutex<Recent>) -> std::sync::MutexGuard<'_, Recent> {
    recent.lock().unwrap_or_else(|p| p.into_inner())
}

impl Stream {
    /// `events` are in the log at positions from `first` on: keeps them for the consumers and
    /// wakes them. The head only moves forward: the relay and a unit of work numbering at commit
    /// may finish in either order.
    fn published(&self, first: i64, events: Option<Vec<Envelope>>, count: usize) {
        let last = first + count as i64 - 1;
        match events {
            Some(events) => lock(&self.recent).extend(first, events),
            None => lock(&self.recent).events.clear(),
        }
        self.head.send_if_modified(|head| {
            let moved = last > *head;
            *head = (*head).max(last);
            moved
        });
    }
}

impl NumberedAtCommit for Stream {
    fn committed(&self, first: i64, events: Vec<Envelope>) {
        let count = events.len();
        self.published(first, Some(events), count);
        // What the relay counts for the rows it publishes.
        metrics::counter!(names::EVENTS_PUBLISHED, "stream" => self.db.context().to_owned())
            .increment(count as u64);
    }
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
            recent: Mutex::default(),
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
        let numbered = query.execute(uow.conn()).await?.rows_affected();
        uow.commit().await?;
        // Kept for the consumers when every row got the number it was given here and reads as
        // an envelope; otherwise they read the table, which tells them what went wrong.
        let events: Option<Vec<Envelope>> = (numbered == rows.len() as u64)
            .then(|| {
                rows.iter()
                    .map(|row| serde_json::from_str(&row.envelope).ok())
                    .collect()
            })
            .flatten();
        stream.published(first, events, rows.len());
        Ok(())
    }

    async fn number_at_commit(&self, producer: &Db) -> anyhow::Result<bool> {
        let stream = self.stream(producer.context())?;
        Ok(producer.number_at_commit(stream))
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
            last_handed: None,
            saved: position,
            last_saved: None,
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
    /// When the last batch was handed out, unless it was full.
    last_handed: Option<tokio::time::Instant>,
    /// The position saved, or to be saved by the run of the last batch handed out: below
    /// `position` only while a move past other types' events waits to be saved.
    saved: i64,
    /// When a move past other types' events was last saved.
    last_saved: Option<tokio::time::Instant>,
}

impl EmbeddedDeliveries {
    /// Saves a move past other types' events that is not saved yet.
    async fn save_skipped(&mut self) -> anyhow::Result<()> {
        if self.position > self.saved {
            save_position(&self.spec, self.position).await?;
            self.saved = self.position;
            self.last_saved = Some(tokio::time::Instant::now());
        }
        Ok(())
    }

    /// The consumer's next events up to `head`, from the producer's table.
    async fn read(&self, head: i64) -> anyhow::Result<Vec<Delivery>> {
        let mut query = sqlx::query(&self.query).bind(self.position).bind(head);
        for event_type in &self.event_types {
            query = query.bind(event_type);
        }
        let rows = query.fetch_all(self.stream.db.pool()).await?;
        let mut batch = Vec::with_capacity(rows.len());
        for row in rows {
            let position: i64 = row.try_get(0)?;
            let text: String = row.try_get(1)?;
            let envelope: Envelope = serde_json::from_str(&text)
                .with_context(|| format!("outbox row at position {position} is not an envelope"))?;
            batch.push(Delivery {
                envelope,
                position: Some(position),
                sequence: position,
                ack: Ack::Embedded,
            });
        }
        Ok(batch)
    }
}

#[async_trait]
impl Deliveries for EmbeddedDeliveries {
    async fn next_batch(&mut self, cancel: &CancellationToken) -> anyhow::Result<Vec<Delivery>> {
        loop {
            if cancel.is_cancelled() {
                self.save_skipped().await?;
                return Ok(Vec::new());
            }
            // Busy: let the burst gather for the rest of the moment (see `GATHER`).
            if let Some(gathered) = self.last_handed.map(|at| at + GATHER) {
                if gathered > tokio::time::Instant::now() {
                    tokio::select! {
                        _ = cancel.cancelled() => continue,
                        _ = tokio::time::sleep_until(gathered) => {}
                    }
                }
            }
            // Rows up to the head are committed; mark it seen before reading, so a publish
            // during the read wakes us.
            let head = *self.head.borrow_and_update();
            let recent = lock(&self.stream.recent).after(self.position, head, &self.event_types);
            let batch = match recent {
                Some(batch) => batch,
                None => self.read(head).await?,
            };
            if let Some(last) = batch.last() {
                // The run of this batch saves its position, and with it any move before it.
                self.position = last.sequence;
                self.saved = last.sequence;
                self.last_handed = (batch.len() < BATCH as usize).then(tokio::time::Instant::now);
                return Ok(batch);
            }
            if head > self.position {
                // Nothing of ours up to the head: move past the other types' events, so a
                // consumer of a rare event type neither rescans them nor holds back retention.
                self.position = head;
            }
            // Saved at most once a moment: during a burst of other types' events a save at
            // each wake-up would be a transaction of its own for every publish.
            let save_due = (self.position > self.saved).then(|| {
                self.last_saved
                    .map_or(tokio::time::Instant::now(), |at| at + GATHER)
            });
            if save_due.is_some_and(|due| due <= tokio::time::Instant::now()) {
                self.save_skipped().await?;
                continue;
            }
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = self.head.changed() => {}
                _ = tokio::time::sleep_until(save_due.unwrap_or_else(tokio::time::Instant::now)), if save_due.is_some() => {
                    self.save_skipped().await?;
                }
                _ = tokio::time::sleep(IDLE_RECHECK) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, n: i64) -> Envelope {
        serde_json::from_value(serde_json::json!({
            "specversion": "1.0", "id": format!("e{n}"), "source": "courses", "type": event_type,
            "time": "2026-12-05T00:00:00Z", "subject": "c", "datacontenttype": "application/json",
            "data": {}, "tenant": "s"
        }))
        .unwrap()
    }

    fn positions(batch: Option<Vec<Delivery>>) -> Option<Vec<i64>> {
        batch.map(|batch| batch.iter().map(|d| d.sequence).collect())
    }

    /// What the window answers is exactly what the table would: the consumer's types, after its
    /// position, up to the head; anything it does not hold entirely goes to the table.
    #[test]
    fn the_window_answers_only_what_it_holds_entirely() {
        let types = vec!["a".to_owned()];
        let mut recent = Recent::default();
        assert!(
            recent.after(0, 0, &types).is_none(),
            "empty: read the table"
        );
        recent.extend(
            11,
            (11..=14)
                .map(|n| event(if n % 2 == 0 { "a" } else { "b" }, n))
                .collect(),
        );
        assert_eq!(positions(recent.after(10, 14, &types)), Some(vec![12, 14]));
        assert_eq!(positions(recent.after(12, 13, &types)), Some(vec![]));
        assert_eq!(positions(recent.after(14, 14, &types)), Some(vec![]));
        assert!(
            recent.after(9, 14, &types).is_none(),
            "position 10 is not held"
        );
        assert!(
            recent.after(10, 15, &types).is_none(),
            "the head is past the window"
        );
        // Following on, the window grows; a jump starts it again.
        recent.extend(15, vec![event("a", 15)]);
        assert_eq!(positions(recent.after(13, 15, &types)), Some(vec![14, 15]));
        recent.extend(20, vec![event("a", 20)]);
        assert!(recent.after(15, 20, &types).is_none());
        assert_eq!(positions(recent.after(19, 20, &types)), Some(vec![20]));
    }

    #[test]
    fn the_window_keeps_the_latest_and_answers_a_batch_at_most() {
        let types = vec!["a".to_owned()];
        let mut recent = Recent::default();
        let many = RECENT as i64 + 100;
        recent.extend(1, (1..=many).map(|n| event("a", n)).collect());
        assert_eq!(recent.events.len(), RECENT);
        assert_eq!(recent.first, 101);
        assert!(recent.after(99, many, &types).is_none());
        let batch = positions(recent.after(100, many, &types)).unwrap();
        assert_eq!(batch.len(), BATCH as usize);
        assert_eq!(batch[0], 101);
    }

    /// A stream in a database of its own and one consumer of its events of type `a`.
    struct Fixture {
        dir: std::path::PathBuf,
        db: Db,
        log: EmbeddedLog,
        spec: ConsumerSpec,
        stream: Arc<Stream>,
    }

    impl Fixture {
        async fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "campus-bus-{}",
                campus_platform::id::new_id_string()
            ));
            let config = campus_platform::config::Config {
                data_dir: dir.clone(),
                ..Default::default()
            };
            let db = Db::open(&config, name).await.unwrap();
            db.migrate(&[]).await.unwrap();
            let log = EmbeddedLog::default();
            log.prepare_stream(name, Some(&db)).await.unwrap();
            let spec = ConsumerSpec {
                db: db.clone(),
                subscription: format!("tally.{name}"),
                stream: name.to_owned(),
                event_types: vec!["a".to_owned()],
            };
            let stream = log.stream(name).unwrap();
            Self {
                dir,
                db,
                log,
                spec,
                stream,
            }
        }

        async fn end(self) {
            self.db.close().await;
            let _ = std::fs::remove_dir_all(self.dir);
        }
    }

    /// A consumer that has just taken a batch takes its next one only once `GATHER` has passed,
    /// with everything published meanwhile; after a quiet moment an event is handed over at
    /// once, and so is the rest of a backlog after a full batch.
    #[tokio::test]
    async fn a_consumer_that_keeps_up_gathers_a_moment_of_events_and_takes_a_lone_one_at_once() {
        let fixture = Fixture::new("gathering").await;
        let mut deliveries = fixture.log.deliveries(&fixture.spec).await.unwrap();
        let stream = fixture.stream.clone();
        let publish = {
            let stream = stream.clone();
            move |n: i64| stream.published(n, Some(vec![event("a", n)]), 1)
        };
        let cancel = CancellationToken::new();
        let batch = |batch: Vec<Delivery>| batch.iter().map(|d| d.sequence).collect::<Vec<_>>();

        // The clock moves only when every task waits: the waits below are exact.
        tokio::time::pause();
        let start = tokio::time::Instant::now();
        publish(1);
        assert_eq!(
            batch(deliveries.next_batch(&cancel).await.unwrap()),
            vec![1]
        );
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the first event is taken at once"
        );

        publish(2);
        let publisher = tokio::spawn({
            let publish = publish.clone();
            async move {
                for n in 3..=4 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    publish(n);
                }
            }
        });
        assert_eq!(
            batch(deliveries.next_batch(&cancel).await.unwrap()),
            vec![2, 3, 4]
        );
        // The timer counts whole milliseconds, rounding a deadline up.
        let waited = start.elapsed();
        assert!(
            GATHER <= waited && waited <= GATHER + Duration::from_millis(1),
            "the next batch waits for the rest of the moment, not {waited:?}"
        );
        publisher.await.unwrap();

        tokio::time::sleep(GATHER * 10).await;
        let quiet = tokio::time::Instant::now();
        publish(5);
        assert_eq!(
            batch(deliveries.next_batch(&cancel).await.unwrap()),
            vec![5]
        );
        assert_eq!(
            quiet.elapsed(),
            Duration::ZERO,
            "after a quiet moment, at once"
        );

        // Behind: after a full batch, the next at once.
        let many = BATCH + 50;
        stream.published(
            6,
            Some((6..6 + many).map(|n| event("a", n)).collect()),
            many as usize,
        );
        let full = deliveries.next_batch(&cancel).await.unwrap();
        assert_eq!(full.len(), BATCH as usize);
        let behind = tokio::time::Instant::now();
        assert_eq!(deliveries.next_batch(&cancel).await.unwrap().len(), 50);
        assert_eq!(
            behind.elapsed(),
            Duration::ZERO,
            "a consumer behind does not wait"
        );
        fixture.end().await;
    }

    /// A consumer none of whose events are in a burst moves past them and saves that at once
    /// after a quiet moment, then at most once a moment (`GATHER`) while the burst lasts, and
    /// the last move is saved before long.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_other_types_is_saved_as_passed_once_a_moment_not_at_every_event() {
        let fixture = Fixture::new("skipping").await;
        let db = &fixture.db;
        // Every save of a position, counted by the database itself.
        for statement in [
            "CREATE TABLE saves (n INTEGER PRIMARY KEY)",
            "CREATE TRIGGER saved_first AFTER INSERT ON consumer_positions BEGIN INSERT INTO saves (n) VALUES (NULL); END",
            "CREATE TRIGGER saved_again AFTER UPDATE ON consumer_positions BEGIN INSERT INTO saves (n) VALUES (NULL); END",
        ] {
            sqlx::query(statement).execute(db.pool()).await.unwrap();
        }
        let saves = || async {
            let (saves,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM saves")
                .fetch_one(db.pool())
                .await
                .unwrap();
            saves
        };
        let spec = &fixture.spec;
        let mut deliveries = fixture.log.deliveries(spec).await.unwrap();
        let stream = &fixture.stream;
        let cancel = CancellationToken::new();
        let consumer = tokio::spawn({
            let cancel = cancel.clone();
            async move { deliveries.next_batch(&cancel).await.unwrap() }
        });
        let saved_through = |position: i64| {
            let spec = spec.clone();
            async move {
                let waited = std::time::Instant::now();
                while saved_position(&spec).await.unwrap() < position {
                    assert!(
                        waited.elapsed() < Duration::from_secs(10),
                        "position {position} never saved"
                    );
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        };

        // After a quiet moment, the first move is saved at once.
        stream.published(1, Some(vec![event("b", 1)]), 1);
        saved_through(1).await;
        assert_eq!(saves().await, 1);

        // A burst of forty, a millisecond apart: the consumer wakes for each.
        let began = std::time::Instant::now();
        for n in 2..=41 {
            tokio::time::sleep(Duration::from_millis(1)).await;
            stream.published(n, Some(vec![event("b", n)]), 1);
        }
        saved_through(41).await;
        let moments = began.elapsed().as_millis() as i64 / GATHER.as_millis() as i64;
        let burst = saves().await - 1;
        assert!(
            burst <= moments + 1,
            "{burst} saves in {moments} moments of other types' events"
        );

        // Its own event ends the wait, with nothing skipped.
        stream.published(42, Some(vec![event("a", 42)]), 1);
        let batch = consumer.await.unwrap();
        assert_eq!(
            batch.iter().map(|d| d.sequence).collect::<Vec<_>>(),
            vec![42]
        );
        fixture.end().await;
    }
}
