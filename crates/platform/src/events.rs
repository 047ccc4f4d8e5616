//! Events as contexts write and read them: typed, versioned, in a CloudEvents 1.0 envelope.
//!
//! A context announces a state change by recording an [`Event`] in the same [`UnitOfWork`]
//! as the change itself (the transactional outbox); the bus crate moves it on. A context
//! reacts to others' events through a [`Subscription`], whose [`Handler`] runs in a unit of
//! work of the consuming context together with the inbox row that makes it effectively-once.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Events and their schemas are the contexts' published language, defined in `campus-contracts`.
pub use campus_contracts::{stream_of, Event, EventSchema};

use crate::{
    db::{next_chunk, value_rows, Backend, UnitOfWork},
    id, telemetry, time,
};

/// A CloudEvents 1.0 envelope (JSON format) with the `tenant` and `traceparent` extensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope {
    pub specversion: String,
    pub id: String,
    /// The publishing context.
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub time: String,
    pub subject: String,
    pub datacontenttype: String,
    pub data: serde_json::Value,
    /// The school the event belongs to (`platform` for platform-wide events).
    pub tenant: String,
    /// W3C trace context of the request that caused the event, so a trace spans contexts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl Envelope {
    pub fn new<E: Event>(tenant: &str, event: &E) -> crate::Result<Self> {
        let source = stream_of(E::TYPE).ok_or_else(|| {
            anyhow::anyhow!(
                "event type `{}` is not campus.<context>.<name>.v<N>",
                E::TYPE
            )
        })?;
        Ok(Self {
            specversion: "1.0".to_owned(),
            id: id::new_id_string(),
            source: source.to_owned(),
            event_type: E::TYPE.to_owned(),
            time: time::rfc3339(time::now_ms()),
            subject: event.subject(),
            datacontenttype: "application/json".to_owned(),
            data: serde_json::to_value(event).map_err(anyhow::Error::from)?,
            tenant: tenant.to_owned(),
            traceparent: telemetry::current_traceparent(),
        })
    }

    /// The stream (publishing context) the event travels on.
    pub fn stream(&self) -> &str {
        stream_of(&self.event_type).unwrap_or(&self.source)
    }

    /// The typed payload, when this envelope carries an `E`.
    pub fn data_as<E: Event>(&self) -> anyhow::Result<E> {
        anyhow::ensure!(
            self.event_type == E::TYPE,
            "expected {}, got {}",
            E::TYPE,
            self.event_type
        );
        Ok(serde_json::from_value(self.data.clone())?)
    }
}

impl UnitOfWork {
    /// Records `event` in this unit's outbox; it is published only if the unit commits. The
    /// row is written just before the commit, with the other events of the transaction (see
    /// [`UnitOfWork::commit`]).
    pub async fn record<E: Event>(&mut self, tenant: &str, event: &E) -> crate::Result<Envelope> {
        let envelope = Envelope::new(tenant, event)?;
        if envelope.source != self.db().context() {
            let context = self.db().context();
            return Err(anyhow::anyhow!("context {context} cannot publish {}", E::TYPE).into());
        }
        let text = serde_json::to_string(&envelope).map_err(anyhow::Error::from)?;
        self.queue_for_outbox(OutboxRow {
            event: envelope.clone(),
            text,
            created_at: time::now_ms(),
        });
        Ok(envelope)
    }
}

/// An event waiting in its unit of work to be written to the outbox table.
pub(crate) struct OutboxRow {
    pub(crate) event: Envelope,
    /// `event` as the table keeps it.
    text: String,
    created_at: i64,
}

/// Told of a context's events as the transactions that record them commit, when its log
/// numbers them then instead of leaving them to the relay (see [`crate::db::Db::number_at_commit`]).
pub trait NumberedAtCommit: Send + Sync + 'static {
    /// `events` were committed at positions `first`, `first + 1`, …. Called in commit order,
    /// before the next unit of work may write.
    fn committed(&self, first: i64, events: Vec<Envelope>);
}

/// Writes `rows` to the outbox in their order, in few statements: as many rows per `INSERT` as
/// the largest power of two that fits (at most [`MOST_ROWS`]), so a connection's statement
/// cache holds a handful of shapes whatever the count.
///
/// `numbered`: the rows also get their positions in the log, after the highest given so far,
/// and are published with this transaction; the first position is returned. Only right where
/// one transaction writes at a time (SQLite's writer), so that positions follow commit order.
/// While rows committed without numbers (by another process, or before this one numbered)
/// wait for the relay, these wait with them, so the relay publishes all in order.
pub(crate) async fn write_outbox(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    mut rows: &[OutboxRow],
    numbered: bool,
) -> Result<Option<i64>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(None);
    }
    let first = if numbered {
        let (head, waiting): (Option<i64>, i64) = sqlx::query_as(
            "SELECT MAX(position), \
             (SELECT COUNT(*) FROM outbox WHERE published_at IS NULL) FROM outbox",
        )
        .fetch_one(&mut *conn)
        .await?;
        (waiting == 0).then(|| head.unwrap_or(0) + 1)
    } else {
        None
    };
    let published_at = first.map(|_| time::now_ms());
    let mut position = first;
    while !rows.is_empty() {
        let take = next_chunk(rows.len(), MOST_ROWS);
        let (chunk, rest) = rows.split_at(take);
        let sql = format!(
            "INSERT INTO outbox (id, event_type, subject, tenant, envelope, created_at, \
             published_at, position) VALUES {}",
            value_rows(take, 8)
        );
        let sql = backend.positional(&sql);
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(&row.event.id)
                .bind(&row.event.event_type)
                .bind(&row.event.subject)
                .bind(&row.event.tenant)
                .bind(&row.text)
                .bind(row.created_at)
                .bind(published_at)
                .bind(position);
            position = position.map(|p| p + 1);
        }
        query.execute(&mut *conn).await?;
        rows = rest;
    }
    Ok(first)
}

/// The most outbox rows one statement writes: 8 parameters each stays far below SQLite's and
/// PostgreSQL's limits on parameters per statement.
const MOST_ROWS: usize = 256;

/// What a subscription does with an event, inside the consuming context's unit of work.
/// An error rolls the unit back and the event is retried with backoff, then parked.
///
/// A handler changes nothing but what it writes through `uow`: consumers handle events in
/// batches and may run a handler again after rolling its unit back, and only the unit's
/// writes are undone and deduplicated (by the inbox) in that case.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()>;

    /// Runs once the events of a run (one or many) were handled, in the same unit of work,
    /// before it commits: where a handler does what it put off while handling them
    /// ([`UnitOfWork::put_off`]), so that work alike for many events (an exam's grades, each
    /// telling one student) costs a few statements for the run instead of a few each. An
    /// error undoes the whole run, as an error of `handle` does.
    async fn finish(&self, _uow: &mut UnitOfWork) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A context's durable interest in some event types.
#[derive(Clone)]
pub struct Subscription {
    /// Unique within the consuming context, e.g. `roster`.
    pub name: &'static str,
    pub event_types: Vec<&'static str>,
    pub handler: Arc<dyn Handler>,
    /// Another subscription of the same context this one follows: see [`Subscription::after`].
    pub after: Option<&'static str>,
}

impl Subscription {
    pub fn new(name: &'static str, event_types: Vec<&'static str>, handler: impl Handler) -> Self {
        Self {
            name,
            event_types,
            handler: Arc::new(handler),
            after: None,
        }
    }

    /// Hands this subscription an event only once the context's subscription `leader` has gone
    /// past it, on each stream both read. Subscriptions run side by side, each at its own pace;
    /// a handler that reads what another keeps (a notice that goes to a course's roster) would
    /// otherwise see it as of some other moment — a student enrolled just before an
    /// announcement would miss it, whenever the roster's consumer was the slower one.
    pub fn after(mut self, leader: &'static str) -> Self {
        self.after = Some(leader);
        self
    }
}
