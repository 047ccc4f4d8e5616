//! Following people and courses: what the home feed gathers.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{
    auth::Permission, error::Problem, http::Json, people::Caller, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{reading, store, Social};

pub(crate) fn routes(social: Social) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_follows, follow))
        .routes(routes!(unfollow))
        .with_state(social)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FollowKind {
    Person,
    Course,
}

campus_contracts::text_enum!(FollowKind, "follow kind", {
    Person => "person",
    Course => "course",
});

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Follow {
    pub kind: FollowKind,
    /// The person's or the course's id.
    pub id: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Following {
    pub items: Vec<FollowView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FollowView {
    pub kind: FollowKind,
    pub id: String,
    pub since: String,
}

/// Whom and what the caller follows.
#[utoipa::path(get, path = "/api/v1/follows", tag = "social", security(("bearer" = [])),
    responses((status = 200, body = Following), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_follows(State(social): State<Social>, caller: Caller) -> Result<Json<Following>> {
    caller.require(Permission::Socialize)?;
    let rows = store::graph::follows_of(
        &social.db,
        &social.caches,
        &caller.school_id,
        &caller.user_id,
    )
    .await?;
    Ok(Json(Following {
        items: rows
            .iter()
            .cloned()
            .filter_map(|row| {
                Some(FollowView {
                    kind: row.target_kind.parse().ok()?,
                    id: row.target_id,
                    since: time::rfc3339(row.created_at),
                })
            })
            .collect(),
    }))
}

/// Follows a person of the school whose profile the caller may see, or a course they may read.
#[utoipa::path(post, path = "/api/v1/follows", tag = "social", request_body = Follow, security(("bearer" = [])),
    responses((status = 201, body = Follow, description = "Followed"), (status = 200, body = Follow, description = "Already followed"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn follow(
    State(social): State<Social>,
    caller: Caller,
    Json(input): Json<Follow>,
) -> Result<(StatusCode, Json<Follow>)> {
    caller.require(Permission::Socialize)?;
    match input.kind {
        FollowKind::Person => {
            if input.id == caller.user_id {
                return Err(Error::invalid(
                    "id",
                    "yourself",
                    "people do not follow themselves",
                ));
            }
            let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
            if !reading::may_see_profile(&social, &caller, &input.id, &rules).await? {
                return Err(Error::forbidden(
                    "the school shows a student's profile to the people of their courses",
                ));
            }
        }
        FollowKind::Course => {
            if !reading::may_read_course(&social, &caller, &input.id).await? {
                return Err(Error::NotFound { what: "course" });
            }
        }
    }
    let mut uow = social.db.begin().await?;
    let new = store::graph::follow(
        &mut uow,
        &social.caches,
        &caller.school_id,
        &caller.user_id,
        input.kind.as_str(),
        &input.id,
        time::now_ms(),
    )
    .await?;
    uow.commit().await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(input)))
}

/// Stops following a person or course.
#[utoipa::path(delete, path = "/api/v1/follows/{id}", tag = "social", params(("id" = String, Path, description = "The person's or the course's id")), security(("bearer" = [])),
    responses((status = 204, description = "No longer followed"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unfollow(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    caller.require(Permission::Socialize)?;
    let mut uow = social.db.begin().await?;
    let gone = store::graph::unfollow(&mut uow, &social.caches, &caller.user_id, &id).await?;
    uow.commit().await?;
    if gone {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound { what: "follow" })
    }
}
