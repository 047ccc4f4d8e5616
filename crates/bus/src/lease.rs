//! One consumer at a time per subscription on a shared bus. JetStream lets every process that
//! runs a context pull from the subscription's durable consumer, and two processes handling a
//! course's events side by side could commit them out of order: a student who joined and left
//! would stay on a roster. So each subscription is leased, in the consuming context's own
//! database (`consumer_leases`), to one process: it renews the lease every second, the others
//! wait, and one takes over once the lease has lapsed ([`LEASE_FOR`]) or its holder gave it
//! up on shutdown.
//!
//! Every unit of work the holder commits first checks, in the same transaction, that it still
//! holds the lease (on PostgreSQL with a shared row lock, so a takeover waits for the unit to
//! commit): a holder that lost it can never commit after its successor began. A new holder
//! first rewinds the consumer to what was acknowledged in order ([`EventLog::rewind`]), so
//! the events its predecessor fetched but never acknowledged come again before newer ones;
//! those it had handled are found in the inbox and skipped.

use std::time::Duration;

use campus_platform::{
    db::{Backend, UnitOfWork},
    id, time,
};

use crate::ConsumerSpec;

/// How long a lease lasts without being renewed.
pub(crate) const LEASE_FOR: Duration = Duration::from_secs(5);
/// How often the holder renews it, and a waiting process tries to take it.
pub(crate) const RENEW_EVERY: Duration = Duration::from_secs(1);

/// This process's claim on one subscription.
pub(crate) struct Lease {
    spec: ConsumerSpec,
    holder: String,
}

/// A unit of work began after this process lost its lease; the events come again to the holder.
#[derive(Debug, thiserror::Error)]
#[error("this process no longer holds the lease on {0}")]
pub(crate) struct LeaseLost(String);

impl Lease {
    pub(crate) fn new(spec: ConsumerSpec) -> Self {
        Self {
            spec,
            holder: id::new_id_string(),
        }
    }

    /// Takes the lease if it is free, lapsed or already ours, for [`LEASE_FOR`] from now;
    /// whether this process holds it.
    pub(crate) async fn take(&self) -> anyhow::Result<bool> {
        let now = time::now_ms();
        let taken = sqlx::query(
            "INSERT INTO consumer_leases (subscription, stream, holder, until) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (subscription, stream) DO UPDATE \
             SET holder = $3, until = $4 \
             WHERE consumer_leases.holder = $3 OR consumer_leases.until < $5",
        )
        .bind(&self.spec.subscription)
        .bind(&self.spec.stream)
        .bind(&self.holder)
        .bind(now + LEASE_FOR.as_millis() as i64)
        .bind(now)
        .execute(self.spec.db.pool())
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Gives the lease up (shutdown), so another process takes over at once.
    pub(crate) async fn give_up(&self) {
        let _ = sqlx::query(
            "DELETE FROM consumer_leases WHERE subscription = $1 AND stream = $2 AND holder = $3",
        )
        .bind(&self.spec.subscription)
        .bind(&self.spec.stream)
        .bind(&self.holder)
        .execute(self.spec.db.pool())
        .await;
    }

    /// Fails the unit of work unless this process still holds the lease; on PostgreSQL the
    /// lease row stays locked until the unit commits, so nobody takes over meanwhile.
    pub(crate) async fn check(&self, uow: &mut UnitOfWork) -> anyhow::Result<()> {
        let lock = match self.spec.db.backend() {
            Backend::Postgres => " FOR SHARE",
            Backend::Sqlite => "",
        };
        let held: Option<(String,)> = sqlx::query_as(&format!(
            "SELECT holder FROM consumer_leases WHERE subscription = $1 AND stream = $2 \
             AND holder = $3 AND until > $4{lock}"
        ))
        .bind(&self.spec.subscription)
        .bind(&self.spec.stream)
        .bind(&self.holder)
        .bind(time::now_ms())
        .fetch_optional(uow.conn())
        .await?;
        match held {
            Some(_) => Ok(()),
            None => Err(LeaseLost(self.spec.subscription.clone()).into()),
        }
    }
}
