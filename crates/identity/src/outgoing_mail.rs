//! Outgoing mail as an outbox: a message is queued in the same transaction as the token or
//! account it announces, and a postman delivers it afterwards, retrying with backoff while the
//! mail server is down and parking it after [`MAX_ATTEMPTS`]. A request never waits for SMTP,
//! so its answer and its timing are the same whether or not a message was sent.
//!
//! Delivery is at least once: a process that stops between sending and recording it sends
//! that message again after [`LEASE_MS`]. Any number of identity processes may deliver; each
//! message is claimed by one at a time.

use std::{sync::Arc, time::Duration};

use campus_platform::{
    db::{Db, UnitOfWork},
    id,
    mail::Mailer,
    sealing::Sealer,
    time, Result,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Attempts before a message is parked.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed message is left to the process that claimed it.
pub const LEASE_MS: i64 = 120_000;
const FIRST_RETRY_MS: i64 = 30_000;
const LONGEST_RETRY_MS: i64 = 3_600_000;
/// Sent messages are kept (without their body) this long, then forgotten.
const KEEP_SENT_MS: i64 = 7 * 24 * 3_600_000;
/// How often the queue is looked at when nothing wakes the postman.
const POLL: Duration = Duration::from_secs(5);
const BATCH: i64 = 20;

/// A plain-text message. `link` is logged when mail is written to files (never with SMTP), so
/// a local installation can follow it from the terminal.
pub struct Letter {
    /// What it is for: `verification`, `password_reset`, `invitation`, `registration_attempt`.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
}

/// Queues `letter` with the rest of `uow`: it goes out only if the transaction commits. Its
/// body and link are sealed until they are sent (they hold sign-in links).
pub async fn queue(uow: &mut UnitOfWork, sealer: &Sealer, letter: &Letter) -> Result<()> {
    let now = time::now_ms();
    let id = id::new_id_string();
    let body = sealer.seal(&letter.body, &body_purpose(&id))?;
    let link = match &letter.link {
        Some(link) => Some(sealer.seal(link, &link_purpose(&id))?),
        None => None,
    };
    sqlx::query(
        "INSERT INTO outgoing_mail (id, kind, recipient, subject, body, link, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(letter.kind)
    .bind(&letter.to)
    .bind(&letter.subject)
    .bind(&body)
    .bind(&link)
    .bind(now)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Ok(())
}

fn body_purpose(id: &str) -> String {
    format!("identity.mail.body:{id}")
}

fn link_purpose(id: &str) -> String {
    format!("identity.mail.link:{id}")
}

/// Whether a message of `kind` to `to` was queued since `since` (ms).
pub async fn queued_since(uow: &mut UnitOfWork, to: &str, kind: &str, since: i64) -> Result<bool> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM outgoing_mail WHERE recipient = $1 AND kind = $2 AND created_at > $3 LIMIT 1",
    )
    .bind(to)
    .bind(kind)
    .bind(since)
    .fetch_optional(uow.conn())
    .await?;
    Ok(found.is_some())
}

/// Wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn retry_after_ms(attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 16) as u32;
    (FIRST_RETRY_MS << doublings).min(LONGEST_RETRY_MS)
}

#[derive(sqlx::FromRow)]
struct Queued {
    id: String,
    recipient: String,
    subject: String,
    body: String,
    link: Option<String>,
    attempts: i64,
    next_attempt_at: i64,
}

/// What one round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
}

/// Delivers queued mail.
#[derive(Clone)]
pub struct Postman {
    db: Db,
    mailer: Mailer,
    sealer: Arc<Sealer>,
    bell: Arc<Notify>,
}

impl Postman {
    pub fn new(db: Db, mailer: Mailer, sealer: Arc<Sealer>) -> Self {
        Self {
            db,
            mailer,
            sealer,
            bell: Arc::new(Notify::new()),
        }
    }

    /// Something was queued: deliver now rather than at the next poll.
    pub fn ring(&self) {
        self.bell.notify_one();
    }

    /// Delivers every message that is due, calling `progress` after each. Once `stop` is
    /// cancelled no further message is taken; the one being sent is finished and recorded.
    pub async fn deliver_due(
        &self,
        progress: &(dyn Fn() + Send + Sync),
        stop: &CancellationToken,
    ) -> Result<Round> {
        let mut round = Round::default();
        while !stop.is_cancelled() {
            let now = time::now_ms();
            let due: Vec<Queued> = sqlx::query_as(
                "SELECT id, recipient, subject, body, link, attempts, next_attempt_at \
                 FROM outgoing_mail WHERE sent_at IS NULL AND parked_at IS NULL \
                 AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
            )
            .bind(now)
            .bind(BATCH)
            .fetch_all(self.db.pool())
            .await?;
            if due.is_empty() {
                return Ok(round);
            }
            for letter in due {
                if stop.is_cancelled() {
                    break;
                }
                if !self.claim(&letter, now).await? {
                    continue;
                }
                if self.deliver(letter).await? {
                    round.sent += 1;
                } else {
                    round.failed += 1;
                }
                progress();
            }
        }
        Ok(round)
    }

    /// Takes the message for this process, unless another took it first.
    async fn claim(&self, letter: &Queued, now: i64) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE outgoing_mail SET next_attempt_at = $1, attempts = attempts + 1 \
             WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL AND parked_at IS NULL",
        )
        .bind(now + LEASE_MS)
        .bind(&letter.id)
        .bind(letter.next_attempt_at)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Sends a claimed message and records the outcome; false when it failed.
    async fn deliver(&self, letter: Queued) -> Result<bool> {
        let attempts = letter.attempts + 1;
        let outcome = match self.unsealed(&letter) {
            Ok((body, link)) => {
                self.mailer
                    .send(&letter.recipient, &letter.subject, &body, link.as_deref())
                    .await
            }
            Err(error) => Err(error),
        };
        let now = time::now_ms();
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE outgoing_mail SET sent_at = $1, body = '', link = NULL, last_error = NULL \
                     WHERE id = $2",
                )
                .bind(now)
                .bind(&letter.id)
                .execute(self.db.pool())
                .await?;
                Ok(true)
            }
            Err(error) => {
                let error = format!("{error:#}");
                let parked = attempts >= MAX_ATTEMPTS;
                if parked {
                    tracing::error!(mail = %letter.id, attempts, %error, "mail parked after repeated failures");
                } else {
                    tracing::warn!(mail = %letter.id, attempts, %error, "mail not sent; will retry");
                }
                sqlx::query(
                    "UPDATE outgoing_mail SET next_attempt_at = $1, last_error = $2, parked_at = $3 \
                     WHERE id = $4",
                )
                .bind(now + retry_after_ms(attempts))
                .bind(&error)
                .bind(parked.then_some(now))
                .bind(&letter.id)
                .execute(self.db.pool())
                .await?;
                Ok(false)
            }
        }
    }

    /// The letter's body and link in clear, for sending.
    fn unsealed(&self, letter: &Queued) -> anyhow::Result<(String, Option<String>)> {
        let body = self.sealer.open(&letter.body, &body_purpose(&letter.id))?;
        let link = match &letter.link {
            Some(link) => Some(self.sealer.open(link, &link_purpose(&letter.id))?),
            None => None,
        };
        Ok((body, link))
    }

    /// Seals what is waiting in clear or under a previous key with the current key.
    pub async fn reseal(&self) -> anyhow::Result<usize> {
        let waiting: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT id, body, link FROM outgoing_mail WHERE sent_at IS NULL")
                .fetch_all(self.db.pool())
                .await?;
        let mut resealed = 0;
        for (id, body, link) in waiting {
            let stale = self.sealer.needs_resealing(&body)
                || link
                    .as_deref()
                    .is_some_and(|l| self.sealer.needs_resealing(l));
            if !stale {
                continue;
            }
            let body = self.sealer.seal(
                &self.sealer.open(&body, &body_purpose(&id))?,
                &body_purpose(&id),
            )?;
            let link = match link {
                Some(link) => Some(self.sealer.seal(
                    &self.sealer.open(&link, &link_purpose(&id))?,
                    &link_purpose(&id),
                )?),
                None => None,
            };
            sqlx::query(
                "UPDATE outgoing_mail SET body = $1, link = $2 WHERE id = $3 AND sent_at IS NULL",
            )
            .bind(&body)
            .bind(&link)
            .bind(&id)
            .execute(self.db.pool())
            .await?;
            resealed += 1;
        }
        Ok(resealed)
    }

    /// Forgets sent messages after a week.
    pub async fn forget_sent(&self) -> Result<()> {
        sqlx::query("DELETE FROM outgoing_mail WHERE sent_at IS NOT NULL AND sent_at < $1")
            .bind(time::now_ms() - KEEP_SENT_MS)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Delivers until shutdown: when rung, and every few seconds for retries and for mail
    /// queued by other processes (or by `campus admin` while the server was down). A message
    /// being sent when shutdown comes is finished and recorded before this returns.
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            if let Err(error) = self.deliver_due(&|| {}, &shutdown).await {
                tracing::warn!(%error, "mail delivery round failed");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.bell.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_after_ms(1), 30_000);
        assert_eq!(retry_after_ms(2), 60_000);
        assert_eq!(retry_after_ms(4), 240_000);
        assert_eq!(retry_after_ms(MAX_ATTEMPTS), 3_600_000);
        assert_eq!(retry_after_ms(60), 3_600_000);
    }
}
