//! The audit log: who did what to whom, written in the same transaction as the action.

use campus_platform::{db::UnitOfWork, id, time, Result};
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
