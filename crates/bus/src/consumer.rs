//! Durable consumers: each subscription reads its streams in order and handles every event
//! effectively once.
//!
//! For each event: in one transaction of the consuming context, insert the inbox row (an event
//! already there was handled before and is skipped), run the handler, and on the embedded log
//! save the new position; a batch of events shares one transaction, and its inbox rows one
//! statement, while its handlers succeed. A failing handler is retried in place with exponential backoff, so
//! later events of the same aggregate wait their turn; after `bus.max_attempts` the event is
//! parked and the consumer moves on.
//!
//! On a bus several processes share, a subscription is consumed by one process at a time
//! (see `lease`), which keeps a course's events in order. A subscription that follows another
//! of its context (`Subscription::after`) takes each batch only once the other's consumer of
//! the same stream has finished with it.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use campus_platform::{
    config::BusConfig,
    db::{next_chunk, value_rows, Db, UnitOfWork},
    events::{Envelope, Handler},
    id, metrics as names, telemetry, time,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    lease::{Lease, LeaseLost, LEASE_FOR, RENEW_EVERY},
    log::{Delivery, EventLog},
};

/// One subscription's durable interest in one stream.
#[derive(Clone)]
pub struct ConsumerSpec {
    /// The consuming context's database: inbox, positions and parked events live there.
    pub db: Db,
    /// `<context>.<subscription>`, unique in the deployment.
    pub subscription: String,
    pub stream: String,
    pub event_types: Vec<String>,
}

#[derive(Clone)]
pub struct Consumer {
    pub spec: ConsumerSpec,
    pub handler: Arc<dyn Handler>,
    /// The consumer of the same stream this one follows (`Subscription::after`): an event is
    /// handed to the handler only once that consumer has finished with it.
    pub after: Option<ConsumerSpec>,
}

/// How one delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Handled,
    /// Already in the inbox: a redelivery, skipped.
    Duplicate,
}

pub(crate) struct Runner {
    consumer: Consumer,
    log: Arc<dyn EventLog>,
    max_attempts: u32,
    retry_initial: Duration,
    retry_max: Duration,
    /// This process's claim on the subscription, when other processes may consume it too.
    lease: Option<Arc<Lease>>,
    /// How far the consumer this one follows was last seen to have got.
    leader_reached: AtomicI64,
}

impl Runner {
    pub(crate) fn new(consumer: Consumer, log: Arc<dyn EventLog>, config: &BusConfig) -> Self {
        let lease = log
            .shared_between_processes()
            .then(|| Arc::new(Lease::new(consumer.spec.clone())));
        Self {
            consumer,
            log,
            max_attempts: config.max_attempts,
            retry_initial: Duration::from_millis(config.retry_initial_ms),
            retry_max: Duration::from_millis(config.retry_max_ms),
            lease,
            leader_reached: AtomicI64::new(0),
        }
    }

    /// Consumes until `cancel` fires; a handler already running is let finish. On a shared
    /// bus, only while this process holds the subscription's lease: it waits for the lease,
    /// rewinds the consumer to what was acknowledged in order, consumes while it renews the
    /// lease, and gives the lease up on shutdown.
    pub(crate) async fn run(self, cancel: CancellationToken) {
        let Some(lease) = self.lease.clone() else {
            self.consume(&cancel).await;
            return;
        };
        let spec = &self.consumer.spec;
        while !cancel.is_cancelled() {
            match lease.take().await {
                Ok(true) => {}
                Ok(false) => {
                    sleep_or_cancel(RENEW_EVERY, &cancel).await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(subscription = %spec.subscription, error = format!("{error:#}"), "cannot take the consumer lease; retrying");
                    sleep_or_cancel(self.retry_max.min(LEASE_FOR), &cancel).await;
                    continue;
                }
            }
            if let Err(error) = self.log.rewind(spec).await {
                tracing::warn!(subscription = %spec.subscription, error = format!("{error:#}"), "cannot rewind the consumer; retrying");
                lease.give_up().await;
                sleep_or_cancel(RENEW_EVERY, &cancel).await;
                continue;
            }
            tracing::debug!(subscription = %spec.subscription, stream = %spec.stream, "consuming: this process holds the lease");
            let holding = cancel.child_token();
            let renewing = tokio::spawn(keep_renewing(lease.clone(), holding.clone()));
            self.consume(&holding).await;
            holding.cancel();
            let _ = renewing.await;
            if cancel.is_cancelled() {
                lease.give_up().await;
                return;
            }
            tracing::info!(subscription = %spec.subscription, stream = %spec.stream, "the consumer lease passed to another process; waiting to take it again");
        }
    }

    /// Consumes until `cancel` fires; a handler already running is let finish.
    async fn consume(&self, cancel: &CancellationToken) {
        let cancel = cancel.clone();
        let spec = &self.consumer.spec;
        let mut reconnect_delay = self.retry_initial;
        while !cancel.is_cancelled() {
            let mut deliveries = match self.log.deliveries(spec).await {
                Ok(deliveries) => deliveries,
                Err(error) => {
                    tracing::warn!(subscription = %spec.subscription, error = format!("{error:#}"), "cannot open consumer; retrying");
                    sleep_or_cancel(reconnect_delay, &cancel).await;
                    reconnect_delay = (reconnect_delay * 2).min(self.retry_max);
                    continue;
                }
            };
            loop {
                let batch = match deliveries.next_batch(&cancel).await {
                    Ok(batch) => batch,
                    Err(error) => {
                        tracing::warn!(subscription = %spec.subscription, error = format!("{error:#}"), "consumer interrupted; reopening");
                        sleep_or_cancel(reconnect_delay, &cancel).await;
                        reconnect_delay = (reconnect_delay * 2).min(self.retry_max);
                        break;
                    }
                };
                reconnect_delay = self.retry_initial;
                if batch.is_empty() && cancel.is_cancelled() {
                    return;
                }
                if !(self.follow_leader(&batch, &cancel).await
                    && self.deliver_batch(&batch, &cancel).await)
                {
                    // Shutdown: give back what was not finished (acked ones ignore this), in
                    // order, so it comes again before anything newer.
                    for delivery in &batch {
                        delivery.release().await;
                    }
                    deliveries.release().await;
                    return;
                }
            }
        }
    }

    /// Waits until the consumer this one follows has finished with every event of the batch.
    /// It never waits for this one, so the wait ends as soon as it catches up; if it is retrying
    /// an event, this one waits with it, which is the order the follower asked for. False when
    /// shutdown interrupted.
    async fn follow_leader(&self, batch: &[Delivery], cancel: &CancellationToken) -> bool {
        let Some(leader) = &self.consumer.after else {
            return true;
        };
        let Some(needed) = batch.iter().map(|delivery| delivery.sequence).max() else {
            return true;
        };
        let mut held_since = std::time::Instant::now();
        let mut warned = false;
        loop {
            if self.leader_reached.load(Ordering::Relaxed) >= needed {
                return true;
            }
            match self.log.handled_through(leader).await {
                Ok(reached) => {
                    self.leader_reached.fetch_max(reached, Ordering::Relaxed);
                    if reached >= needed {
                        return true;
                    }
                }
                Err(error) if !warned => {
                    warned = true;
                    tracing::warn!(subscription = %self.consumer.spec.subscription, leader = %leader.subscription, error = format!("{error:#}"), "cannot read how far the followed consumer got; retrying");
                }
                Err(_) => {}
            }
            if held_since.elapsed() >= PROGRESS_EVERY {
                // Still ours: JetStream must not hand the batch to anyone else meanwhile.
                for delivery in batch {
                    delivery.in_progress().await;
                }
                held_since = std::time::Instant::now();
            }
            if !sleep_or_cancel(FOLLOW_POLL, cancel).await {
                return false;
            }
        }
    }

    /// Handles a batch in as few transactions as it can: all of it in one while handlers
    /// succeed; when one fails, what came before it commits, the failing event goes through
    /// the retry path (its first attempt already spent), and the rest continues the same way.
    async fn deliver_batch(&self, batch: &[Delivery], cancel: &CancellationToken) -> bool {
        let spec = &self.consumer.spec;
        let handler = self.consumer.handler.as_ref();
        let mut rest = batch;
        while !rest.is_empty() {
            match handle_run(spec, handler, rest, self.lease.as_deref()).await {
                Ok(Run::Complete(outcomes)) => {
                    self.finish(rest, &outcomes).await;
                    return true;
                }
                Ok(Run::FailedAt(index, error)) => {
                    let (done, failing) = (&rest[..index], &rest[index]);
                    if !done.is_empty() {
                        // They succeeded a moment ago; commit them without the failing one.
                        match handle_run(spec, handler, done, self.lease.as_deref()).await {
                            Ok(Run::Complete(outcomes)) => self.finish(done, &outcomes).await,
                            _ => {
                                for delivery in done {
                                    if !self.deliver(delivery, 0, cancel).await {
                                        return false;
                                    }
                                }
                            }
                        }
                    }
                    // A database failure is no handler attempt.
                    let spent = u32::from(!is_infrastructure(&error));
                    record(spec, "failed");
                    tracing::warn!(subscription = %spec.subscription, event_id = %failing.envelope.id, attempt = 1, error = format!("{error:#}"), "handler failed");
                    let delay = backoff(self.retry_initial, self.retry_max, 1);
                    if !self.wait(failing, delay, cancel).await {
                        return false;
                    }
                    if !self.deliver(failing, spent, cancel).await {
                        return false;
                    }
                    rest = &rest[index + 1..];
                }
                // Another process holds the subscription now: stop, and hand the batch back.
                Err(error) if error.is::<LeaseLost>() => return false,
                // The database itself failed: go one by one, with retries.
                Err(_) => {
                    for delivery in rest {
                        if !self.deliver(delivery, 0, cancel).await {
                            return false;
                        }
                    }
                    return true;
                }
            }
        }
        true
    }

    /// Acks committed deliveries and counts them by outcome.
    async fn finish(&self, deliveries: &[Delivery], outcomes: &[Option<Outcome>]) {
        let spec = &self.consumer.spec;
        for (delivery, outcome) in deliveries.iter().zip(outcomes) {
            delivery.ack().await;
            if let Some(outcome) = outcome {
                record(spec, outcome_label(*outcome));
                if *outcome == Outcome::Handled {
                    record_latency(spec, &delivery.envelope);
                }
            }
        }
    }

    /// Handles one delivery to the end (handled, duplicate or parked), `attempts_made`
    /// attempts having failed already. Returns false when shutdown interrupted it; the event
    /// is then redelivered on the next start.
    async fn deliver(
        &self,
        delivery: &Delivery,
        attempts_made: u32,
        cancel: &CancellationToken,
    ) -> bool {
        let spec = &self.consumer.spec;
        if !spec.event_types.contains(&delivery.envelope.event_type) {
            // Another event type on the same stream (JetStream filters by stream only).
            delivery.ack().await;
            return true;
        }
        let mut attempt = attempts_made;
        loop {
            if attempt >= self.max_attempts {
                // Every attempt was spent before this call (the batch path tried it once).
                return self
                    .park(delivery, attempt, "the handler failed", cancel)
                    .await;
            }
            attempt += 1;
            match handle(
                spec,
                self.consumer.handler.as_ref(),
                &delivery.envelope,
                delivery.position,
                self.lease.as_deref(),
            )
            .await
            {
                Ok(outcome) => {
                    delivery.ack().await;
                    record(spec, outcome_label(outcome));
                    if outcome == Outcome::Handled {
                        record_latency(spec, &delivery.envelope);
                    }
                    return true;
                }
                Err(error) if error.is::<LeaseLost>() => return false,
                Err(error) if is_infrastructure(&error) => {
                    // The database, not the handler, failed: wait for it without spending an
                    // attempt, so an outage parks nothing.
                    attempt -= 1;
                    tracing::warn!(subscription = %spec.subscription, error = format!("{error:#}"), "database unavailable; waiting");
                    if !self.wait(delivery, self.retry_max, cancel).await {
                        return false;
                    }
                }
                Err(error) if attempt >= self.max_attempts => {
                    return self
                        .park(delivery, attempt, &format!("{error:#}"), cancel)
                        .await;
                }
                Err(error) => {
                    record(spec, "failed");
                    let delay = backoff(self.retry_initial, self.retry_max, attempt);
                    tracing::warn!(subscription = %spec.subscription, event_id = %delivery.envelope.id, attempt, retry_in_ms = delay.as_millis() as u64, error = format!("{error:#}"), "handler failed");
                    if !self.wait(delivery, delay, cancel).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Parks the event and acks it. The consumer must not move past an event it could
    /// neither handle nor park, so parking is retried until it succeeds or shutdown.
    async fn park(
        &self,
        delivery: &Delivery,
        attempts: u32,
        reason: &str,
        cancel: &CancellationToken,
    ) -> bool {
        let spec = &self.consumer.spec;
        tracing::error!(subscription = %spec.subscription, event_id = %delivery.envelope.id, attempts, error = %reason, "event parked");
        while let Err(park_error) = park(spec, delivery, reason, attempts).await {
            tracing::error!(
                error = format!("{park_error:#}"),
                "could not park event; retrying"
            );
            if !self.wait(delivery, self.retry_max, cancel).await {
                return false;
            }
        }
        delivery.ack().await;
        record(spec, "parked");
        true
    }

    /// Sleeps `delay`, telling JetStream every few seconds that the event is still being
    /// worked on so it is not redelivered meanwhile. False when shutdown interrupted.
    async fn wait(&self, delivery: &Delivery, delay: Duration, cancel: &CancellationToken) -> bool {
        let mut left = delay;
        while !left.is_zero() {
            delivery.in_progress().await;
            let step = left.min(PROGRESS_EVERY);
            if !sleep_or_cancel(step, cancel).await {
                return false;
            }
            left -= step;
        }
        true
    }
}

/// Renews the lease every second until `holding` is cancelled; cancels it when another process
/// took the lease, or when renewing failed for so long that the lease may have lapsed.
async fn keep_renewing(lease: Arc<Lease>, holding: CancellationToken) {
    let mut renewed = std::time::Instant::now();
    while sleep_or_cancel(RENEW_EVERY, &holding).await {
        match lease.take().await {
            Ok(true) => renewed = std::time::Instant::now(),
            Ok(false) => break,
            Err(_) if renewed.elapsed() + 2 * RENEW_EVERY >= LEASE_FOR => break,
            Err(_) => {}
        }
    }
    holding.cancel();
}

/// How often a waiting consumer renews its claim on a JetStream message (its ack wait is 30 s).
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// How often a follower behind its leader looks again at how far the leader got.
const FOLLOW_POLL: Duration = Duration::from_millis(10);

/// Whether `error` came from the database being unreachable rather than from the handler.
fn is_infrastructure(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::Protocol(_)
            )
        ) || matches!(
            cause.downcast_ref::<campus_platform::Error>(),
            Some(campus_platform::Error::Unavailable { .. })
        )
    })
}

/// Runs `handler` for `envelope` in the consuming context, effectively once.
/// With `lease`, only while this process holds it.
pub(crate) async fn handle(
    spec: &ConsumerSpec,
    handler: &dyn Handler,
    envelope: &Envelope,
    position: Option<i64>,
    lease: Option<&Lease>,
) -> anyhow::Result<Outcome> {
    let span = event_span(spec, envelope);
    async {
        let mut uow = spec.db.begin().await?;
        if let Some(lease) = lease {
            lease.check(&mut uow).await?;
        }
        let outcome = handle_in(&mut uow, spec, handler, envelope).await?;
        if let Some(position) = position {
            save_position(&mut uow, spec, position).await?;
        }
        uow.commit().await?;
        Ok(outcome)
    }
    .instrument(span)
    .await
}

/// How a run of deliveries in one transaction ended.
enum Run {
    /// All committed; the outcome of each delivery (`None` for types not subscribed to).
    Complete(Vec<Option<Outcome>>),
    /// The handler failed at this index; nothing was committed.
    FailedAt(usize, anyhow::Error),
}

/// Handles `deliveries` in one transaction, saving the last position with them.
async fn handle_run(
    spec: &ConsumerSpec,
    handler: &dyn Handler,
    deliveries: &[Delivery],
    lease: Option<&Lease>,
) -> anyhow::Result<Run> {
    let mut uow = spec.db.begin().await?;
    if let Some(lease) = lease {
        lease.check(&mut uow).await?;
    }
    let subscribed =
        |delivery: &&Delivery| spec.event_types.contains(&delivery.envelope.event_type);
    // The run's inbox rows in one statement, not one each.
    let envelopes: Vec<&Envelope> = deliveries
        .iter()
        .filter(subscribed)
        .map(|delivery| &delivery.envelope)
        .collect();
    let mut fresh = claim(&mut uow, spec, &envelopes).await?;
    let mut outcomes = Vec::with_capacity(deliveries.len());
    for (index, delivery) in deliveries.iter().enumerate() {
        if !subscribed(&delivery) {
            outcomes.push(None);
            continue;
        }
        // Taken out, so the same event twice in one run is handled once.
        if !fresh.remove(&delivery.envelope.id) {
            outcomes.push(Some(Outcome::Duplicate));
            continue;
        }
        let span = event_span(spec, &delivery.envelope);
        match handler
            .handle(&mut uow, &delivery.envelope)
            .instrument(span)
            .await
        {
            Ok(()) => outcomes.push(Some(Outcome::Handled)),
            Err(error) => return Ok(Run::FailedAt(index, error)),
        }
    }
    // What the handler put off for the run. Failing, it names no event: the run's first one
    // handled is taken as the failing one, so it is tried alone and the others after it.
    if let Err(error) = handler.finish(&mut uow).await {
        let first = outcomes
            .iter()
            .position(|outcome| *outcome == Some(Outcome::Handled))
            .unwrap_or(0);
        return Ok(Run::FailedAt(first, error));
    }
    if let Some(position) = deliveries.iter().rev().find_map(|d| d.position) {
        save_position(&mut uow, spec, position).await?;
    }
    uow.commit().await?;
    Ok(Run::Complete(outcomes))
}

fn event_span(spec: &ConsumerSpec, envelope: &Envelope) -> tracing::Span {
    let span = tracing::info_span!(
        "event",
        subscription = %spec.subscription,
        event_type = %envelope.event_type,
        event_id = %envelope.id,
        subject = %envelope.subject,
    );
    telemetry::continue_trace(&span, envelope.traceparent.as_deref());
    span
}

/// The inbox check and the handler, inside the caller's unit of work.
pub(crate) async fn handle_in(
    uow: &mut UnitOfWork,
    spec: &ConsumerSpec,
    handler: &dyn Handler,
    envelope: &Envelope,
) -> anyhow::Result<Outcome> {
    let fresh = !claim(uow, spec, &[envelope]).await?.is_empty();
    if fresh {
        handler.handle(uow, envelope).await?;
        handler.finish(uow).await?;
    }
    Ok(if fresh {
        Outcome::Handled
    } else {
        Outcome::Duplicate
    })
}

/// Writes the inbox rows of `envelopes` in few statements (as many rows each as the largest
/// power of two that fits, so a connection's statement cache holds few shapes); answers the
/// ids that were not there before: the events not handled yet.
async fn claim(
    uow: &mut UnitOfWork,
    spec: &ConsumerSpec,
    mut envelopes: &[&Envelope],
) -> anyhow::Result<HashSet<String>> {
    let now = time::now_ms();
    let mut fresh = HashSet::with_capacity(envelopes.len());
    while !envelopes.is_empty() {
        let take = next_chunk(envelopes.len(), MOST_CLAIMED);
        let (chunk, rest) = envelopes.split_at(take);
        let sql = format!(
            "INSERT INTO inbox (subscription, event_id, handled_at) VALUES {} \
             ON CONFLICT (subscription, event_id) DO NOTHING RETURNING event_id",
            value_rows(take, 3)
        );
        let sql = uow.db().backend().positional(&sql);
        let mut query = sqlx::query_as::<_, (String,)>(&sql);
        for envelope in chunk {
            query = query.bind(&spec.subscription).bind(&envelope.id).bind(now);
        }
        fresh.extend(
            query
                .fetch_all(uow.conn())
                .await?
                .into_iter()
                .map(|(id,)| id),
        );
        envelopes = rest;
    }
    Ok(fresh)
}

/// The most inbox rows one statement writes: 3 parameters each, far below either database's
/// limit on parameters per statement.
const MOST_CLAIMED: usize = 256;

async fn save_position(
    uow: &mut UnitOfWork,
    spec: &ConsumerSpec,
    position: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO consumer_positions (subscription, stream, position, updated_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (subscription, stream) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
    )
    .bind(&spec.subscription)
    .bind(&spec.stream)
    .bind(position)
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// Parks the event and moves the consumer past it, in one transaction.
async fn park(
    spec: &ConsumerSpec,
    delivery: &Delivery,
    reason: &str,
    attempts: u32,
) -> anyhow::Result<()> {
    let envelope = &delivery.envelope;
    let mut uow = spec.db.begin().await?;
    sqlx::query(
        "INSERT INTO parked_events (id, subscription, stream, event_id, event_type, envelope, error, attempts, parked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (subscription, event_id) DO NOTHING",
    )
    .bind(id::new_id_string())
    .bind(&spec.subscription)
    .bind(&spec.stream)
    .bind(&envelope.id)
    .bind(&envelope.event_type)
    .bind(serde_json::to_string(envelope)?)
    .bind(truncate(reason, 4000))
    .bind(i64::from(attempts))
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    if let Some(position) = delivery.position {
        save_position(&mut uow, spec, position).await?;
    }
    uow.commit().await?;
    Ok(())
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `initial * 2^(attempt-1)`, capped, with up to 20 % jitter so retries of many consumers
/// do not fall in step.
pub fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let exponential = initial.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let capped = exponential.min(max);
    let jitter = capped.as_millis() as u64 * (id::new_id().random() as u64 % 21) / 100;
    capped + Duration::from_millis(jitter)
}

async fn sleep_or_cancel(delay: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(delay) => true,
    }
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Handled => "handled",
        Outcome::Duplicate => "duplicate",
    }
}

pub(crate) fn record(spec: &ConsumerSpec, outcome: &'static str) {
    metrics::counter!(names::EVENTS_CONSUMED, "subscription" => spec.subscription.clone(), "outcome" => outcome)
        .increment(1);
}

fn record_latency(spec: &ConsumerSpec, envelope: &Envelope) {
    if let Some(at) = time::parse_rfc3339(&envelope.time) {
        let seconds = (time::now_ms() - at).max(0) as f64 / 1000.0;
        metrics::histogram!(names::EVENT_LATENCY, "subscription" => spec.subscription.clone())
            .record(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let initial = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        let first = backoff(initial, max, 1);
        assert!(
            first >= initial && first <= Duration::from_millis(120),
            "{first:?}"
        );
        let third = backoff(initial, max, 3);
        assert!(
            third >= Duration::from_millis(400) && third <= Duration::from_millis(480),
            "{third:?}"
        );
        let late = backoff(initial, max, 30);
        assert!(
            late >= max && late <= Duration::from_millis(1200),
            "{late:?}"
        );
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("ééé", 2), "éé…");
        assert_eq!(truncate("short", 10), "short");
    }

    /// Counts the events it is given.
    struct Counting(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl Handler for Counting {
        async fn handle(&self, _uow: &mut UnitOfWork, _event: &Envelope) -> anyhow::Result<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn delivery(id: &str, event_type: &str, position: i64) -> Delivery {
        let envelope = serde_json::from_value(serde_json::json!({
            "specversion": "1.0", "id": id, "source": "ledger", "type": event_type,
            "time": "2026-12-05T00:00:00Z", "subject": "a", "datacontenttype": "application/json",
            "data": {}, "tenant": "s"
        }))
        .unwrap();
        Delivery {
            envelope,
            position: Some(position),
            sequence: position,
            ack: crate::log::Ack::Embedded,
        }
    }

    /// The type of event the tests' consumer subscribes to.
    const ENTRY: &str = "campus.ledger.entry.v1";

    /// A context's database in a directory of its own and a consumer of [`ENTRY`] events on it.
    async fn tally() -> (Db, std::path::PathBuf, ConsumerSpec) {
        let dir = std::env::temp_dir().join(format!("campus-tally-{}", id::new_id_string()));
        let config = campus_platform::config::Config {
            data_dir: dir.clone(),
            ..Default::default()
        };
        let db = Db::open(&config, "tally").await.unwrap();
        db.migrate(&[]).await.unwrap();
        let spec = ConsumerSpec {
            db: db.clone(),
            subscription: "tally.entries".to_owned(),
            stream: "ledger".to_owned(),
            event_types: vec![ENTRY.to_owned()],
        };
        (db, dir, spec)
    }

    /// One run's inbox rows go in one statement: an event handled before, or twice in the run
    /// (a redelivery landing in the same batch), is handled once; other types are left alone.
    #[tokio::test]
    async fn a_run_handles_each_new_event_once() {
        let (db, dir, spec) = tally().await;
        let handler = Counting(Default::default());
        let entry = ENTRY;
        let outcomes = |run: Run| match run {
            Run::Complete(outcomes) => outcomes,
            Run::FailedAt(index, error) => panic!("failed at {index}: {error:#}"),
        };
        let first = [delivery("e1", entry, 1), delivery("e2", entry, 2)];
        let run = handle_run(&spec, &handler, &first, None).await.unwrap();
        assert_eq!(outcomes(run), vec![Some(Outcome::Handled); 2]);
        let second = [
            delivery("e2", entry, 3),
            delivery("e3", entry, 4),
            delivery("e9", "campus.ledger.other.v1", 5),
            delivery("e3", entry, 6),
        ];
        let run = handle_run(&spec, &handler, &second, None).await.unwrap();
        assert_eq!(
            outcomes(run),
            vec![
                Some(Outcome::Duplicate),
                Some(Outcome::Handled),
                None,
                Some(Outcome::Duplicate)
            ]
        );
        assert_eq!(handler.0.load(Ordering::SeqCst), 3);
        let (inbox,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(inbox, 3);
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }

    /// The ids of a run's events, put off by [`Batching`] until the run's end.
    #[derive(Default, Clone)]
    struct Seen(Vec<String>);

    /// Does its work once per run, for all the run's events; its `finish` fails while told to.
    #[derive(Default)]
    struct Batching {
        runs: std::sync::Mutex<Vec<Vec<String>>>,
        failing: std::sync::atomic::AtomicBool,
    }

    #[async_trait::async_trait]
    impl Handler for Batching {
        async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
            uow.put_off::<Seen>().0.push(event.id.clone());
            Ok(())
        }

        async fn finish(&self, uow: &mut UnitOfWork) -> anyhow::Result<()> {
            let Some(Seen(ids)) = uow.take_put_off::<Seen>() else {
                return Ok(());
            };
            anyhow::ensure!(
                !self.failing.load(Ordering::SeqCst),
                "the run's work failed"
            );
            self.runs.lock().unwrap().push(ids);
            Ok(())
        }
    }

    /// What a handler puts off is done once for its whole run, in the run's unit of work: when
    /// that fails, nothing of the run is kept and the first event is the one retried alone.
    /// A unit still holding work put off refuses to commit.
    #[tokio::test]
    async fn work_put_off_is_done_once_at_the_end_of_the_run() {
        let (db, dir, spec) = tally().await;
        let entry = ENTRY;
        let handler = Batching::default();
        let run = [
            delivery("e0", "campus.ledger.other.v1", 1),
            delivery("e1", entry, 2),
            delivery("e2", entry, 3),
            delivery("e3", entry, 4),
        ];
        match handle_run(&spec, &handler, &run, None).await.unwrap() {
            Run::Complete(outcomes) => assert_eq!(outcomes[1..], [Some(Outcome::Handled); 3]),
            Run::FailedAt(index, error) => panic!("failed at {index}: {error:#}"),
        }
        assert_eq!(*handler.runs.lock().unwrap(), [["e1", "e2", "e3"]]);

        handler.failing.store(true, Ordering::SeqCst);
        let run = [
            delivery("e0", "campus.ledger.other.v1", 5),
            delivery("e4", entry, 6),
            delivery("e5", entry, 7),
        ];
        match handle_run(&spec, &handler, &run, None).await.unwrap() {
            Run::FailedAt(index, _) => assert_eq!(index, 1, "the run's first event handled"),
            Run::Complete(_) => panic!("the run's work failed, so the run must"),
        }
        let (inbox,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(inbox, 3, "nothing of the failed run was kept");
        // Alone, as a failed run's event is tried next, it is finished too.
        handler.failing.store(false, Ordering::SeqCst);
        let outcome = handle(&spec, &handler, &run[1].envelope, None, None)
            .await
            .unwrap();
        assert_eq!(outcome, Outcome::Handled);
        assert_eq!(handler.runs.lock().unwrap().last().unwrap(), &["e4"]);

        let mut uow = db.begin().await.unwrap();
        uow.put_off::<Seen>().0.push("forgotten".to_owned());
        assert!(uow.commit().await.is_err(), "work put off and never done");
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }
}
