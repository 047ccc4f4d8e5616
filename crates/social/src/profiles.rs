//! A person's profile as the caller sees it: who they are, whether the school's rules let the
//! caller see their posts, and how the caller stands towards them (following, blocked,
//! muted, may post there).

use axum::extract::{Path, State};
use campus_contracts::{identity::Role, social::PostPlace};
use campus_platform::{
    auth::Permission, error::Problem, http::Json, people::Caller, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{blocks::BlockKind, domain, reading, store, Social};

pub(crate) fn routes(social: Social) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(show_profile))
        .with_state(social)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Profile {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    /// Whether the caller may see the profile's posts (a student's are for the people of
    /// their courses, unless the school made them public).
    pub visible: bool,
    pub following: bool,
    /// The caller blocked or muted them.
    pub block: Option<BlockKind>,
    /// The caller may post here (their own profile, if the school lets them).
    pub may_post: bool,
}

/// A person of the school, as the caller sees them.
#[utoipa::path(get, path = "/api/v1/profiles/{id}", tag = "social", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn show_profile(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Profile>> {
    caller.require(Permission::Socialize)?;
    let person = social
        .people
        .person(&caller.school_id, &id)
        .await?
        .filter(|person| person.is_active())
        .ok_or(Error::NotFound { what: "person" })?;
    let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
    let visible = reading::may_see_profile(&social, &caller, &id, &rules).await?;
    let following = store::graph::follows_of(
        &social.db,
        &social.caches,
        &caller.school_id,
        &caller.user_id,
    )
    .await?
    .iter()
    .any(|follow| follow.target_id == id);
    let block = store::graph::blocks_of(&social.db, &caller.school_id, &caller.user_id)
        .await?
        .into_iter()
        .find(|block| block.blocked_id == id)
        .and_then(|block| block.kind.parse().ok());
    let may_post = id == caller.user_id
        && domain::may_post(caller.role, PostPlace::Profile, false, true, &rules).is_ok();
    Ok(Json(Profile {
        user_id: person.user_id.clone(),
        name: person.display_name.clone(),
        role: person.role,
        visible,
        following,
        block,
        may_post,
    }))
}
