//! The audit log: who did what to whom, written in the same transaction as the action.

use campus_platform::{auth::AuthUser, db::UnitOfWork, id, time, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Records a privileged action by `actor` on `target`.
pub async fn record(
    uow: &mut UnitOfWork,
    actor: &AuthUser,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, school_id, actor_id, action, target, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id::new_id_string())
    .bind(&actor.school_id)
    .bind(&actor.user_id)
    .bind(action)
    .bind(target)
    .bind(detail.to_string())
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    Ok(())
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
