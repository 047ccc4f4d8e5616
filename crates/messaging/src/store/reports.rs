//! Reports of messages, and the moderators' decisions that close them.

use campus_platform::{
    db::{Db, UnitOfWork},
    Result,
};

pub(crate) struct NewReport<'a> {
    pub id: &'a str,
    pub school_id: &'a str,
    pub message_id: &'a str,
    pub conversation_id: &'a str,
    pub reporter_id: &'a str,
    pub reason: &'a str,
    pub now: i64,
}

/// Files a report; `false` when the reporter already has one open about the same message.
pub(crate) async fn insert(uow: &mut UnitOfWork, new: &NewReport<'_>) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO message_reports (id, school_id, message_id, conversation_id, reporter_id, \
         reason, status, created_at, resolved_by, resolved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, NULL, NULL) ON CONFLICT DO NOTHING",
    )
    .bind(new.id)
    .bind(new.school_id)
    .bind(new.message_id)
    .bind(new.conversation_id)
    .bind(new.reporter_id)
    .bind(new.reason)
    .bind(new.now)
    .execute(uow.conn())
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct OpenReport {
    pub message_id: String,
    pub conversation_id: String,
    pub reason: String,
    pub created_at: i64,
}

/// The school's open reports, oldest first (at most `limit`).
pub(crate) async fn open(db: &Db, school_id: &str, limit: i64) -> Result<Vec<OpenReport>> {
    Ok(sqlx::query_as(
        "SELECT message_id, conversation_id, reason, created_at FROM message_reports \
         WHERE school_id = $1 AND status = 'open' ORDER BY id LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Closes the message's open reports with `outcome` (`hidden`, `restored`, `dismissed`).
pub(crate) async fn resolve(
    uow: &mut UnitOfWork,
    message_id: &str,
    outcome: &str,
    by: &str,
    now: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE message_reports SET status = $1, resolved_by = $2, resolved_at = $3 \
         WHERE message_id = $4 AND status = 'open'",
    )
    .bind(outcome)
    .bind(by)
    .bind(now)
    .bind(message_id)
    .execute(uow.conn())
    .await?
    .rows_affected())
}
