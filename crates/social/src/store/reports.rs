//! Reports of posts and comments, and the moderators' decisions that close them.

use campus_platform::{
    db::{Db, UnitOfWork},
    Result,
};

pub(crate) struct NewReport<'a> {
    pub id: &'a str,
    pub school_id: &'a str,
    pub subject_kind: &'a str,
    pub subject_id: &'a str,
    pub post_id: &'a str,
    pub reporter_id: &'a str,
    pub reason: &'a str,
    pub now: i64,
}

/// Files a report; `false` when the reporter already has one open about the same subject.
pub(crate) async fn insert(uow: &mut UnitOfWork, new: &NewReport<'_>) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO reports (id, school_id, subject_kind, subject_id, post_id, reporter_id, \
         reason, status, created_at, resolved_by, resolved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, NULL, NULL) ON CONFLICT DO NOTHING",
    )
    .bind(new.id)
    .bind(new.school_id)
    .bind(new.subject_kind)
    .bind(new.subject_id)
    .bind(new.post_id)
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
    pub subject_kind: String,
    pub subject_id: String,
    pub post_id: String,
    pub reason: String,
}

/// The school's open reports, oldest first (at most `limit`).
pub(crate) async fn open(db: &Db, school_id: &str, limit: i64) -> Result<Vec<OpenReport>> {
    Ok(sqlx::query_as(
        "SELECT subject_kind, subject_id, post_id, reason FROM reports \
         WHERE school_id = $1 AND status = 'open' ORDER BY id LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// The school's posts and comments the word list held, as `(kind, id, post id)`, oldest first.
pub(crate) async fn held(
    db: &Db,
    school_id: &str,
    limit: i64,
) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT 'post', id, id FROM posts WHERE school_id = $1 AND status = 'held' \
         UNION ALL SELECT 'comment', id, post_id FROM comments \
         WHERE school_id = $1 AND status = 'held' ORDER BY 2 LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Closes the subject's open reports with `outcome` (`hidden`, `dismissed`, `restored`).
pub(crate) async fn resolve(
    uow: &mut UnitOfWork,
    subject_id: &str,
    outcome: &str,
    by: &str,
    now: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE reports SET status = $1, resolved_by = $2, resolved_at = $3 \
         WHERE subject_id = $4 AND status = 'open'",
    )
    .bind(outcome)
    .bind(by)
    .bind(now)
    .bind(subject_id)
    .execute(uow.conn())
    .await?
    .rows_affected())
}
