//! The outbox relay: moves a context's committed events to the bus.
//!
//! Woken by each commit that recorded events (and every `bus.relay_poll_ms` for rows written
//! by other processes), it publishes unpublished rows in id order — ids grow with time, so an
//! aggregate's events keep their order — and leaves a row unpublished until the bus has it.
//! A crash between commit and publish therefore only delays the event until the next start.
//!
//! Once it has published what it found at start, it asks the log whether the context's units
//! of work may publish their events themselves as they commit (the embedded log on SQLite);
//! from then on it only looks for rows written without that, every `bus.relay_poll_ms`.

use std::{sync::Arc, time::Duration};

use campus_platform::{config::BusConfig, db::Db, metrics as names};
use tokio_util::sync::CancellationToken;

use crate::log::{EventLog, OutboxRow};

/// How long the final flush at shutdown may take.
const FINAL_FLUSH: Duration = Duration::from_secs(5);

pub struct Relay {
    db: Db,
    log: Arc<dyn EventLog>,
    batch: i64,
    poll: Duration,
    retry_max: Duration,
}

impl Relay {
    pub fn new(db: Db, log: Arc<dyn EventLog>, config: &BusConfig) -> Self {
        Self {
            db,
            log,
            batch: i64::from(config.relay_batch),
            poll: Duration::from_millis(config.relay_poll_ms),
            retry_max: Duration::from_millis(config.retry_max_ms),
        }
    }

    pub async fn run(self, cancel: CancellationToken) {
        let mut failures = 0u32;
        let mut asked = false;
        loop {
            let wait = match self.relay_once().await {
                Ok(moved) if moved as i64 == self.batch && !cancel.is_cancelled() => {
                    failures = 0;
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    if !asked {
                        asked = self.number_at_commit().await;
                    }
                    self.poll
                }
                Err(error) => {
                    failures += 1;
                    let delay = crate::consumer::backoff(
                        Duration::from_millis(50),
                        self.retry_max,
                        failures,
                    );
                    tracing::warn!(
                        context = self.db.context(),
                        error = format!("{error:#}"),
                        retry_in_ms = delay.as_millis() as u64,
                        "relay could not publish"
                    );
                    delay
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.db.committed(), if failures == 0 => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // Events committed by requests that finished during shutdown still go out now, and
        // those committed after wait in the outbox for the next start.
        self.db.stop_numbering();
        let flush = async {
            while let Ok(moved) = self.relay_once().await {
                if moved == 0 {
                    break;
                }
            }
        };
        if tokio::time::timeout(FINAL_FLUSH, flush).await.is_err() {
            tracing::warn!(
                context = self.db.context(),
                "final outbox flush timed out; the rest goes out on next start"
            );
        }
    }

    /// Asks the log whether the context's units of work may publish their own events as they
    /// commit (only the embedded log on SQLite agrees); false when it could not answer, to be
    /// asked again after the next batch.
    async fn number_at_commit(&self) -> bool {
        match self.log.number_at_commit(&self.db).await {
            Ok(numbering) => {
                tracing::debug!(
                    context = self.db.context(),
                    numbering,
                    "asked whether units of work publish their own events as they commit"
                );
                true
            }
            Err(error) => {
                tracing::warn!(
                    context = self.db.context(),
                    error = format!("{error:#}"),
                    "units of work could not start publishing their own events"
                );
                false
            }
        }
    }

    /// Publishes one batch; returns how many rows it moved.
    pub async fn relay_once(&self) -> anyhow::Result<usize> {
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT id, event_type, subject, envelope FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(self.batch)
        .fetch_all(self.db.pool())
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        self.log.publish(&self.db, &rows).await?;
        metrics::counter!(names::EVENTS_PUBLISHED, "stream" => self.db.context().to_owned())
            .increment(rows.len() as u64);
        Ok(rows.len())
    }
}

/// Committed events not yet published.
pub async fn outbox_depth(db: &Db) -> anyhow::Result<i64> {
    let (depth,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(db.pool())
        .await?;
    Ok(depth)
}
