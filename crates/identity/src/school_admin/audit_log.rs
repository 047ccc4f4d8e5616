//! The school's audit log: who did what to whom, for those who may read it.

use axum::extract::State;
use campus_platform::{
    auth::{AuthUser, Permission},
    error::Problem,
    http::{Json, Query},
    pagination::{self, Page},
    Result,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Acting, InSchool};
use crate::{
    api::Identity,
    store::audit::{self, AuditFilter, AuditRow},
};

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The school's audit log, oldest first, filtered by action, actor or target.
#[utoipa::path(get, path = "/api/v1/audit", tag = "identity", params(AuditQuery, InSchool), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditRow>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn list_audit(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<AuditQuery>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<Page<AuditRow>>> {
    let acting = Acting::resolve(&identity, user, Permission::ReadAuditLog, in_school).await?;
    let limit = pagination::limit(query.limit);
    let filter = AuditFilter {
        action: query.action.as_deref(),
        actor: query.actor.as_deref(),
        target: query.target.as_deref(),
        after: query.cursor.as_deref().unwrap_or_default(),
        limit,
    };
    let rows = audit::entries(&identity.db, &acting.school.id, &filter).await?;
    Ok(Json(Page::of(rows, limit, |a| a.id.clone())))
}
