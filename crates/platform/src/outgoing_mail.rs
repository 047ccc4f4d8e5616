//! Outgoing mail as an outbox: a message is queued in the same transaction as what it
//! announces (a token, an account, a notification), and a postman delivers it afterwards,
//! retrying with backoff while the mail server is down and parking it after
//! [`MAX_ATTEMPTS`]. A request never waits for SMTP, so its answer and its timing are the same
//! whether or not a message was sent.
//!
//! Delivery is at least once: a process that stops between sending and recording it sends
//! that message again after [`LEASE_MS`]. Any number of processes of a context may deliver;
//! each message is claimed by one at a time. A context that sends mail registers
//! [`Context::with_outgoing_mail`](crate::context::Context::with_outgoing_mail): the queue's
//! table lives in its own database, and the context runs one [`Postman`].

use std::{sync::Arc, time::Duration};

use sqlx::migrate::Migrator;

use crate::{
    db::{Db, UnitOfWork},
    id,
    mail::{Envelope, Mailer},
    sealing::Sealer,
    tasks::Task,
    time, Result,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The queue's table, in the database of each context that sends mail.
pub static MIGRATIONS: Migrator = sqlx::migrate!("./mail_migrations");

/// Attempts before a message is parked.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed message is left to the process that claimed it.
pub const LEASE_MS: i64 = 120_000;
const FIRST_RETRY_MS: i64 = 30_000;
const LONGEST_RETRY_MS: i64 = 3_600_000;
/// Sent messages are kept (without their body) this long, then forgotten.
const KEEP_SENT_MS: i64 = 7 * 24 * 3_600_000;
/// How often sent messages past [`KEEP_SENT_MS`] are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(600);
/// How often the queue is looked at when nothing wakes the postman.
const POLL: Duration = Duration::from_secs(5);
const BATCH: i64 = 20;

/// A plain-text message. `link` is logged when mail is written to files (never with SMTP), so
/// a local installation can follow it from the terminal.
pub struct Letter {
    /// What it is for: `verification`, `password_reset`, `invitation`, `registration_attempt`,
    /// `notifications`, `digest`.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    /// Where a mail client stops messages like this one with one click (RFC 8058): sent as
    /// `List-Unsubscribe` with `List-Unsubscribe-Post`.
    pub unsubscribe: Option<String>,
}

/// Queues `letter` with the rest of `uow`: it goes out only if the transaction commits. Its
/// body and link are sealed until they are sent (they hold sign-in links).
pub async fn queue(uow: &mut UnitOfWork, sealer: &Sealer, letter: &Letter) -> Result<()> {
    let now = time::now_ms();
    let id = id::new_id_string();
    let context = uow.db().context().to_owned();
    let body = sealer.seal(&letter.body, &body_purpose(&context, &id))?;
    let link = match &letter.link {
        Some(link) => Some(sealer.seal(link, &link_purpose(&context, &id))?),
        None => None,
    };
    // The address stops mail for its owner: sealed like a sign-in link.
    let unsubscribe = match &letter.unsubscribe {
        Some(url) => Some(sealer.seal(url, &unsubscribe_purpose(&context, &id))?),
        None => None,
    };
    sqlx::query(
        "INSERT INTO outgoing_mail (id, kind, recipient, subject, body, link, unsubscribe, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(letter.kind)
    .bind(&letter.to)
    .bind(&letter.subject)
    .bind(&body)
    .bind(&link)
    .bind(&unsubscribe)
    .bind(now)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Ok(())
}

// Each sealed field is bound to its context and message: a value copied elsewhere opens no more.
fn body_purpose(context: &str, id: &str) -> String {
    format!("{context}.mail.body:{id}")
}

fn link_purpose(context: &str, id: &str) -> String {
    format!("{context}.mail.link:{id}")
}

fn unsubscribe_purpose(context: &str, id: &str) -> String {
    format!("{context}.mail.unsubscribe:{id}")
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
    unsubscribe: Option<String>,
    attempts: i64,
    next_attempt_at: i64,
}

/// A queued message's sealed fields, opened.
struct Unsealed {
    body: String,
    link: Option<String>,
    unsubscribe: Option<String>,
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
                "SELECT id, recipient, subject, body, link, unsubscribe, attempts, next_attempt_at \
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
        let claimed = self
            .db
            .write_one(
                sqlx::query(
                    "UPDATE outgoing_mail SET next_attempt_at = $1, attempts = attempts + 1 \
                     WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL AND parked_at IS NULL",
                )
                .bind(now + LEASE_MS)
                .bind(&letter.id)
                .bind(letter.next_attempt_at),
            )
            .await?
            .rows_affected();
        Ok(claimed == 1)
    }

    /// Sends a claimed message and records the outcome; false when it failed.
    async fn deliver(&self, letter: Queued) -> Result<bool> {
        let attempts = letter.attempts + 1;
        let outcome = match self.unsealed(&letter) {
            Ok(Unsealed {
                body,
                link,
                unsubscribe,
            }) => {
                self.mailer
                    .send(&Envelope {
                        to: &letter.recipient,
                        subject: &letter.subject,
                        body: &body,
                        link: link.as_deref(),
                        unsubscribe: unsubscribe.as_deref(),
                    })
                    .await
            }
            Err(error) => Err(error),
        };
        let now = time::now_ms();
        match outcome {
            Ok(()) => {
                self.db
                    .write_one(
                        sqlx::query(
                            "UPDATE outgoing_mail SET sent_at = $1, body = '', link = NULL, unsubscribe = NULL, last_error = NULL \
                             WHERE id = $2",
                        )
                        .bind(now)
                        .bind(&letter.id),
                    )
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
                self.db
                    .write_one(
                        sqlx::query(
                            "UPDATE outgoing_mail SET next_attempt_at = $1, last_error = $2, parked_at = $3 \
                             WHERE id = $4",
                        )
                        .bind(now + retry_after_ms(attempts))
                        .bind(&error)
                        .bind(parked.then_some(now))
                        .bind(&letter.id),
                    )
                    .await?;
                Ok(false)
            }
        }
    }

    /// The letter's sealed fields in clear, for sending.
    fn unsealed(&self, letter: &Queued) -> anyhow::Result<Unsealed> {
        let context = self.db.context();
        let open = |sealed: &Option<String>, purpose: String| -> anyhow::Result<Option<String>> {
            sealed
                .as_deref()
                .map(|value| self.sealer.open(value, &purpose))
                .transpose()
        };
        Ok(Unsealed {
            body: self
                .sealer
                .open(&letter.body, &body_purpose(context, &letter.id))?,
            link: open(&letter.link, link_purpose(context, &letter.id))?,
            unsubscribe: open(
                &letter.unsubscribe,
                unsubscribe_purpose(context, &letter.id),
            )?,
        })
    }

    /// Seals what is waiting in clear or under a previous key with the current key.
    pub async fn reseal(&self) -> anyhow::Result<usize> {
        let context = self.db.context().to_owned();
        let waiting: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, body, link, unsubscribe FROM outgoing_mail WHERE sent_at IS NULL",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut resealed = 0;
        for (id, body, link, unsubscribe) in waiting {
            let stale = |value: &Option<String>| {
                value
                    .as_deref()
                    .is_some_and(|v| self.sealer.needs_resealing(v))
            };
            if !self.sealer.needs_resealing(&body) && !stale(&link) && !stale(&unsubscribe) {
                continue;
            }
            let reseal = |value: &str, purpose: &str| -> anyhow::Result<String> {
                self.sealer
                    .seal(&self.sealer.open(value, purpose)?, purpose)
            };
            let body = reseal(&body, &body_purpose(&context, &id))?;
            let link = link
                .map(|link| reseal(&link, &link_purpose(&context, &id)))
                .transpose()?;
            let unsubscribe = unsubscribe
                .map(|url| reseal(&url, &unsubscribe_purpose(&context, &id)))
                .transpose()?;
            self.db
                .write_one(
                    sqlx::query(
                        "UPDATE outgoing_mail SET body = $1, link = $2, unsubscribe = $3 \
                         WHERE id = $4 AND sent_at IS NULL",
                    )
                    .bind(&body)
                    .bind(&link)
                    .bind(&unsubscribe)
                    .bind(&id),
                )
                .await?;
            resealed += 1;
        }
        Ok(resealed)
    }

    /// Forgets sent messages after a week.
    async fn forget_sent(&self) -> Result<()> {
        self.db
            .write_one(
                sqlx::query("DELETE FROM outgoing_mail WHERE sent_at IS NOT NULL AND sent_at < $1")
                    .bind(time::now_ms() - KEEP_SENT_MS),
            )
            .await?;
        Ok(())
    }

    /// The process's delivery task (see [`Postman::run`]).
    pub fn task(self) -> Task {
        Task::new("postman", move |shutdown| self.run(shutdown))
    }

    /// Delivers until shutdown: when rung, and every few seconds for retries and for mail
    /// queued by other processes (or by `campus admin` while the server was down); forgets
    /// what was sent a week ago now and then. A message being sent when shutdown comes is
    /// finished and recorded before this returns.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut forgotten_at = None::<std::time::Instant>;
        while !shutdown.is_cancelled() {
            if let Err(error) = self.deliver_due(&|| {}, &shutdown).await {
                tracing::warn!(%error, "mail delivery round failed");
            }
            if forgotten_at.is_none_or(|at| at.elapsed() >= FORGET_EVERY) {
                forgotten_at = Some(std::time::Instant::now());
                if let Err(error) = self.forget_sent().await {
                    tracing::warn!(%error, "pruning sent mail failed");
                }
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
