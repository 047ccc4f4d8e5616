//! The platform's schools, for super admins, who then act in one with `?school=<slug>`.

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

use super::authorize;
use crate::{
    api::Identity,
    store::{self, directory::SchoolSummary},
};

#[derive(Debug, Deserialize, IntoParams)]
pub struct SchoolQuery {
    /// Part of a slug or name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// Every school on the platform, for super admins, who then act in one with `?school=<slug>`.
#[utoipa::path(get, path = "/api/v1/schools", tag = "identity", params(SchoolQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<SchoolSummary>), (status = 403, body = Problem)))]
pub(super) async fn list_schools(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<SchoolQuery>,
) -> Result<Json<Page<SchoolSummary>>> {
    authorize(&identity, &user, Permission::OperatePlatform).await?;
    let limit = pagination::limit(query.limit);
    let after = query.cursor.as_deref().unwrap_or_default();
    let rows = store::directory::schools(&identity.db, query.q.as_deref(), after, limit).await?;
    Ok(Json(Page::of(rows, limit, |s| s.id.clone())))
}
