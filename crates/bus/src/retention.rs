//! Keeping the event tables bounded.
//!
//! Published outbox rows older than `bus.retention_hours` are deleted — on the embedded log
//! only once every consumer of the stream has read past them, so a stopped consumer loses
//! nothing. Inbox rows are kept twice as long: a redelivery can only come from the log, and
//! nothing older than the retention is left there to redeliver.

use std::collections::HashMap;

use campus_platform::{db::Db, time};

use crate::{embedded, Bus};

impl Bus {
    /// Deletes what `bus.retention_hours` allows; returns (outbox rows, inbox rows) removed.
    pub async fn prune(&self) -> anyhow::Result<(u64, u64)> {
        let retention_ms = i64::try_from(self.config().retention_hours)
            .unwrap_or(i64::MAX / 3_600_000)
            .saturating_mul(3_600_000);
        self.prune_older_than(retention_ms).await
    }

    /// Deletes published events older than `retention_ms` (that every embedded consumer has
    /// read) and inbox rows older than twice that.
    pub async fn prune_older_than(&self, retention_ms: i64) -> anyhow::Result<(u64, u64)> {
        let cutoff = time::now_ms().saturating_sub(retention_ms);
        let embedded = self.log().dependency() == "embedded";
        let mut outbox = 0;
        for db in self.producers() {
            outbox += if embedded {
                // Only what every consumer of this stream has already read, and never the
                // newest row: the log's head position is read from it.
                let mut floor = i64::MAX;
                for consumer in self
                    .consumers()
                    .iter()
                    .filter(|c| c.spec.stream == db.context())
                {
                    floor = floor.min(embedded::saved_position(&consumer.spec).await?);
                }
                delete_in_chunks(
                    db,
                    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at IS NOT NULL \
                     AND published_at < $1 AND position <= $2 \
                     AND position < (SELECT MAX(position) FROM outbox) LIMIT 1000)",
                    cutoff,
                    Some(floor),
                )
                .await?
            } else {
                delete_in_chunks(
                    db,
                    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at IS NOT NULL \
                     AND published_at < $1 LIMIT 1000)",
                    cutoff,
                    None,
                )
                .await?
            };
        }
        let mut inbox = 0;
        let consumer_dbs: HashMap<&str, &Db> = self
            .consumers()
            .iter()
            .map(|c| (c.spec.db.context(), &c.spec.db))
            .collect();
        let inbox_cutoff = time::now_ms().saturating_sub(retention_ms.saturating_mul(2));
        for db in consumer_dbs.values() {
            inbox += delete_in_chunks(
                db,
                "DELETE FROM inbox WHERE (subscription, event_id) IN \
                 (SELECT subscription, event_id FROM inbox WHERE handled_at < $1 LIMIT 1000)",
                inbox_cutoff,
                None,
            )
            .await?;
        }
        if outbox + inbox > 0 {
            tracing::info!(outbox, inbox, "pruned event tables");
        }
        Ok((outbox, inbox))
    }
}

/// Runs a `LIMIT 1000` delete until it removes nothing, each chunk in its own unit of work so
/// writers (on SQLite, queued on the same lock) are never held up for long.
async fn delete_in_chunks(
    db: &Db,
    sql: &str,
    cutoff: i64,
    floor: Option<i64>,
) -> anyhow::Result<u64> {
    let mut total = 0;
    loop {
        let mut uow = db.begin().await?;
        let mut query = sqlx::query(sql).bind(cutoff);
        if let Some(floor) = floor {
            query = query.bind(floor);
        }
        let deleted = query.execute(uow.conn()).await?.rows_affected();
        uow.commit().await?;
        total += deleted;
        if deleted < 1000 {
            return Ok(total);
        }
    }
}
