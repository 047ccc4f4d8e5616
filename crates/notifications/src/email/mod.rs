//! The email channel. Notifications to be mailed are marked so when they are written (see
//! [`crate::telling`]); a sender looks every few seconds for people with mail waiting and
//! whose time has come ([`schedule`]), words one message for everything waiting
//! ([`letters`]) and queues it in the outgoing-mail outbox in the same unit of work that marks
//! the notifications mailed, so a crash neither loses nor repeats one. Every message carries
//! a one-click unsubscribe address for its categories ([`unsubscribe`]).
//!
//! What a person reads in the app before it is mailed is not mailed; a deactivated account, or
//! an address its owner has not confirmed, gets nothing.

pub(crate) mod letters;
pub(crate) mod schedule;
pub(crate) mod unsubscribe;

use std::{sync::Arc, time::Duration};

use campus_platform::{
    db::{placeholders, Db, UnitOfWork},
    outgoing_mail::{self, Postman},
    people::People,
    sealing::Sealer,
    secrets,
    tasks::Task,
    time,
};

use crate::{
    in_app::{NotificationRow, ROW_COLUMNS},
    preferences::{Category, Rhythm},
};
use letters::{Addresses, Kind};

/// How often the sender looks for mail whose time has come.
const EVERY: Duration = Duration::from_secs(5);
/// People mailed in one look; the rest wait for the next.
const PEOPLE_PER_ROUND: i64 = 500;
/// How long a message's unsubscribe address keeps working.
const KEEP_LINKS_MS: i64 = 90 * 24 * 60 * 60 * 1000;
/// Notifications marked mailed per statement.
const IDS_PER_UPDATE: usize = 500;
/// People whose next mail time is written per statement.
const PEOPLE_PER_INSERT: usize = 200;

/// Turns waiting notifications into mail.
#[derive(Clone)]
pub(crate) struct Sender {
    pub db: Db,
    pub people: People,
    pub sealer: Arc<Sealer>,
    pub postman: Postman,
    /// The site's address, for links in messages.
    pub site: String,
}

/// What one look did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Round {
    pub news: usize,
    pub digests: usize,
}

/// What looking at one person's waiting mail came to.
enum Look {
    Mailed,
    /// Not their time yet: the mail may go at this moment.
    NotBefore(i64),
    /// Nothing to send (read, claimed by another process, or not to be mailed to them).
    Nothing,
}

/// When a person's mail of one kind may next go, and, for news just sent, when it went.
struct Pace<'a> {
    school_id: &'a str,
    user_id: &'a str,
    not_before: Option<i64>,
    sent_at: Option<i64>,
}

impl Sender {
    pub(crate) fn task(self) -> Task {
        Task::every("notification mail", EVERY, move || {
            let sender = self.clone();
            async move {
                if let Err(error) = sender.round(time::now_ms()).await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "notification mail will be tried again"
                    );
                }
            }
        })
    }

    /// Mails everyone whose time has come as of `now`.
    pub(crate) async fn round(&self, now: i64) -> anyhow::Result<Round> {
        self.db
            .write_one(
                sqlx::query("DELETE FROM unsubscribe_links WHERE created_at < $1")
                    .bind(now - KEEP_LINKS_MS),
            )
            .await?;
        let mut round = Round::default();
        for kind in [Kind::News, Kind::Digest] {
            let waiting = self.waiting(kind, now).await?;
            let mut later = Vec::new();
            for (user_id, school_id, oldest) in &waiting {
                match self.mail(kind, school_id, user_id, *oldest, now).await? {
                    Look::Mailed => match kind {
                        Kind::News => round.news += 1,
                        Kind::Digest => round.digests += 1,
                    },
                    Look::NotBefore(due) => later.push(Pace {
                        school_id,
                        user_id,
                        not_before: Some(due),
                        sent_at: None,
                    }),
                    Look::Nothing => {}
                }
            }
            // Everyone whose time has not come, in one unit of work: after a whole school's
            // notifications (a course of 8,000 filled at once), most people of a look are
            // waiting for their digest, and one transaction each would queue hundreds of
            // commits for the write lock every few seconds.
            if !later.is_empty() {
                let mut uow = self.db.begin().await?;
                remember(&mut uow, kind, &later, now).await?;
                uow.commit().await?;
            }
        }
        if round.news + round.digests > 0 {
            self.postman.ring();
        }
        Ok(round)
    }

    /// People with `kind` mail waiting that they are not known to be unable to receive yet,
    /// with when the oldest of it was written.
    async fn waiting(&self, kind: Kind, now: i64) -> anyhow::Result<Vec<(String, String, i64)>> {
        let not_before = match kind {
            Kind::News => "r.next_mail_at",
            Kind::Digest => "r.next_digest_at",
        };
        Ok(sqlx::query_as(&format!(
            "SELECT n.user_id, n.school_id, MIN(n.created_at) FROM notifications n \
             LEFT JOIN email_rhythm r ON r.user_id = n.user_id \
             WHERE n.email = $1 AND n.emailed_at IS NULL AND n.read_at IS NULL \
             AND ({not_before} IS NULL OR {not_before} <= $2) \
             GROUP BY n.user_id, n.school_id ORDER BY n.user_id LIMIT {PEOPLE_PER_ROUND}"
        ))
        .bind(mode(kind))
        .bind(now)
        .fetch_all(self.db.pool())
        .await?)
    }

    /// Mails one person what waits of `kind` if its time has come, or answers when it will.
    async fn mail(
        &self,
        kind: Kind,
        school_id: &str,
        user_id: &str,
        oldest: i64,
        now: i64,
    ) -> anyhow::Result<Look> {
        // Not heard of yet: the directory will catch up and a later look will mail them.
        let Some(person) = self.people.person(school_id, user_id).await? else {
            return Ok(Look::Nothing);
        };
        if !person.is_active() || !person.address_trusted {
            self.db
                .write_one(
                    sqlx::query(
                        "UPDATE notifications SET email = NULL \
                         WHERE user_id = $1 AND email = $2 AND emailed_at IS NULL",
                    )
                    .bind(user_id)
                    .bind(mode(kind)),
                )
                .await?;
            return Ok(Look::Nothing);
        }
        let zone = self.people.time_zone_of(school_id, user_id).await?;
        let (rhythm, last_sent_at) = Rhythm::of(&self.db, user_id).await?;
        let due = match kind {
            Kind::News => schedule::mail_due(now, last_sent_at, &zone, &rhythm),
            Kind::Digest => schedule::digest_due(oldest, &zone, &rhythm),
        };
        if due > now {
            return Ok(Look::NotBefore(due));
        }
        let mut uow = self.db.begin().await?;
        let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
            "SELECT {ROW_COLUMNS} FROM notifications n \
             LEFT JOIN roster_courses c ON c.course_id = n.course_id \
             WHERE n.user_id = $1 AND n.email = $2 AND n.emailed_at IS NULL \
             AND n.read_at IS NULL ORDER BY n.id DESC"
        ))
        .bind(user_id)
        .bind(mode(kind))
        .fetch_all(uow.conn())
        .await?;
        if rows.is_empty() {
            return Ok(Look::Nothing);
        }
        // Claimed by this look; another process that got there first leaves nothing to claim.
        let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        let mut claimed = 0;
        for chunk in ids.chunks(IDS_PER_UPDATE) {
            let sql = format!(
                "UPDATE notifications SET emailed_at = $1 \
                 WHERE user_id = $2 AND emailed_at IS NULL AND id IN ({})",
                placeholders(3, chunk.len())
            );
            let mut update = sqlx::query(&sql).bind(now).bind(user_id);
            for id in chunk {
                update = update.bind(*id);
            }
            claimed += update.execute(uow.conn()).await?.rows_affected() as usize;
        }
        if claimed != ids.len() {
            // Dropped unfinished: nothing of this look is kept.
            drop(uow);
            return Ok(Look::Nothing);
        }
        let mut categories: Vec<Category> = Vec::new();
        for row in &rows {
            if let Some(category) = Category::parse(&row.category) {
                if !categories.contains(&category) {
                    categories.push(category);
                }
            }
        }
        categories.sort_by_key(|c| Category::ALL.iter().position(|a| a == c));
        let token = secrets::random_token()?;
        sqlx::query(
            "INSERT INTO unsubscribe_links (token_digest, user_id, school_id, categories, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secrets::digest(&token))
        .bind(user_id)
        .bind(school_id)
        .bind(
            categories
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )
        .bind(now)
        .execute(uow.conn())
        .await?;
        let more = rows.len().saturating_sub(letters::MOST_LINES);
        let news: Vec<_> = rows
            .into_iter()
            .take(letters::MOST_LINES)
            .map(|row| row.shown(person.locale.as_deref()))
            .collect();
        let letter = letters::letter(
            kind,
            &person.email,
            person.locale.as_deref(),
            &news,
            more,
            &categories,
            &Addresses {
                site: &self.site,
                token: &token,
            },
        );
        outgoing_mail::queue(&mut uow, &self.sealer, &letter).await?;
        let pace = match kind {
            Kind::News => Pace {
                school_id,
                user_id,
                not_before: Some(now + schedule::PACE_MS),
                sent_at: Some(now),
            },
            Kind::Digest => Pace {
                school_id,
                user_id,
                not_before: None,
                sent_at: None,
            },
        };
        remember(&mut uow, kind, &[pace], now).await?;
        uow.commit().await?;
        Ok(Look::Mailed)
    }
}

/// What a notification's `email` column holds for mail of `kind`.
fn mode(kind: Kind) -> &'static str {
    match kind {
        Kind::News => "immediately",
        Kind::Digest => "daily",
    }
}

/// Records when `kind` mail may next go for each person (and, for news just sent, when).
async fn remember(
    uow: &mut UnitOfWork,
    kind: Kind,
    people: &[Pace<'_>],
    now: i64,
) -> anyhow::Result<()> {
    let column = match kind {
        Kind::News => "next_mail_at",
        Kind::Digest => "next_digest_at",
    };
    uow.write_rows(
        people,
        5,
        PEOPLE_PER_INSERT,
        |rows| {
            format!(
                "INSERT INTO email_rhythm (user_id, school_id, {column}, last_sent_at, \
                 updated_at) VALUES {rows} ON CONFLICT (user_id) DO UPDATE SET \
                 {column} = excluded.{column}, \
                 last_sent_at = COALESCE(excluded.last_sent_at, email_rhythm.last_sent_at)"
            )
        },
        |insert, pace| {
            insert
                .bind(pace.user_id)
                .bind(pace.school_id)
                .bind(pace.not_before)
                .bind(pace.sent_at)
                .bind(now)
        },
    )
    .await?;
    Ok(())
}
