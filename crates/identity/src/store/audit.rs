//! The audit log: who did what to whom, written in the same transaction as the action.

use campus_platform::{
    db::{Db, UnitOfWork},
    id, time, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Records a privileged action in `school_id` by `actor_id` (a person's id, or
/// [`operator`] for the server's command line) on `target`.
pub async fn record(
    uow: &mut UnitOfWork,
    school_id: &str,
    actor_id: &str,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, school_id, actor_id, action, target, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id::new_id_string())
    .bind(school_id)
    .bind(actor_id)
    .bind(action)
    .bind(target)
    .bind(detail.to_string())
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// The actor of `campus admin` commands: `operator:<account>` with the server account that ran
/// them, since no one is signed in.
pub fn operator() -> String {
    let account = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("operator:{account}")
}

#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub actor_id: String,
    /// e.g. `user.created`, `user.role_changed`, `user.deactivated`, `school.updated`.
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: i64,
}

/// Which entries of a school's audit log to list.
pub struct AuditFilter<'a> {
    pub action: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub target: Option<&'a str>,
    /// List entries after this id.
    pub after: &'a str,
    pub limit: i64,
}

/// A page of the school's audit log, oldest first, one more than `limit`.
pub async fn entries(db: &Db, school_id: &str, filter: &AuditFilter<'_>) -> Result<Vec<AuditRow>> {
    Ok(sqlx::query_as(
        "SELECT id, actor_id, action, target, detail, at FROM audit_log \
         WHERE school_id = $1 AND id > $2 AND ($3 = '' OR action = $3) \
         AND ($4 = '' OR actor_id = $4) AND ($5 = '' OR target = $5) ORDER BY id LIMIT $6",
    )
    .bind(school_id)
    .bind(filter.after)
    .bind(filter.action.unwrap_or_default())
    .bind(filter.actor.unwrap_or_default())
    .bind(filter.target.unwrap_or_default())
    .bind(filter.limit + 1)
    .fetch_all(db.pool())
    .await?)
}
