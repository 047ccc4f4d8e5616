//! Blocks and mutes. Muting hides a person's posts and comments from the one who muted them,
//! and nobody else learns of it. Blocking does that too, and the blocked person sees nothing
//! new from the blocker and cannot message them (messaging follows `person_blocked`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::social::{PersonBlocked, PersonUnblocked};
use campus_platform::{
    auth::Permission, error::Problem, http::Json, people::Caller, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{store, Social};

pub(crate) fn routes(social: Social) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_blocks, block))
        .routes(routes!(unblock))
        .with_state(social)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BlockKind {
    Block,
    Mute,
}

campus_contracts::text_enum!(BlockKind, "block kind", {
    Block => "block",
    Mute => "mute",
});

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Blocking {
    pub user_id: String,
    pub kind: BlockKind,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BlockView {
    pub user_id: String,
    pub name: Option<String>,
    pub kind: BlockKind,
    pub since: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Blocks {
    pub items: Vec<BlockView>,
}

/// Whom the caller blocked or muted.
#[utoipa::path(get, path = "/api/v1/blocks", tag = "social", security(("bearer" = [])),
    responses((status = 200, body = Blocks), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_blocks(State(social): State<Social>, caller: Caller) -> Result<Json<Blocks>> {
    caller.require(Permission::Socialize)?;
    let mut items = Vec::new();
    for row in store::graph::blocks_of(&social.db, &caller.school_id, &caller.user_id).await? {
        let name = social
            .people
            .person(&caller.school_id, &row.blocked_id)
            .await?
            .map(|person| person.display_name.clone());
        if let Ok(kind) = row.kind.parse() {
            items.push(BlockView {
                user_id: row.blocked_id,
                name,
                kind,
                since: time::rfc3339(row.created_at),
            });
        }
    }
    Ok(Json(Blocks { items }))
}

/// Blocks or mutes a person of the school (a mute becomes a block and back).
#[utoipa::path(post, path = "/api/v1/blocks", tag = "social", request_body = Blocking, security(("bearer" = [])),
    responses((status = 200, body = Blocking), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, description = "No one in the school has this id", body = Problem), (status = 422, body = Problem)))]
async fn block(
    State(social): State<Social>,
    caller: Caller,
    Json(input): Json<Blocking>,
) -> Result<Json<Blocking>> {
    caller.require(Permission::Socialize)?;
    if input.user_id == caller.user_id {
        return Err(Error::invalid(
            "user_id",
            "yourself",
            "people do not block themselves",
        ));
    }
    if social
        .people
        .person(&caller.school_id, &input.user_id)
        .await?
        .is_none()
    {
        return Err(Error::NotFound { what: "person" });
    }
    let mut uow = social.db.begin().await?;
    let before = store::graph::block(
        &mut uow,
        &social.caches,
        &caller.school_id,
        &caller.user_id,
        &input.user_id,
        input.kind.as_str(),
        time::now_ms(),
    )
    .await?;
    let was_block = before.as_deref() == Some("block");
    let change = (input.kind == BlockKind::Block, was_block);
    let (school_id, blocker_id, blocked_id) = (
        caller.school_id.clone(),
        caller.user_id.clone(),
        input.user_id.clone(),
    );
    match change {
        (true, false) => {
            uow.record(
                &caller.school_id,
                &PersonBlocked {
                    school_id,
                    blocker_id,
                    blocked_id,
                },
            )
            .await?;
        }
        (false, true) => {
            uow.record(
                &caller.school_id,
                &PersonUnblocked {
                    school_id,
                    blocker_id,
                    blocked_id,
                },
            )
            .await?;
        }
        _ => {}
    }
    uow.commit().await?;
    Ok(Json(input))
}

/// Lifts a block or mute.
#[utoipa::path(delete, path = "/api/v1/blocks/{user_id}", tag = "social", params(("user_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Lifted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unblock(
    State(social): State<Social>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<StatusCode> {
    caller.require(Permission::Socialize)?;
    let mut uow = social.db.begin().await?;
    let before = store::graph::unblock(&mut uow, &social.caches, &caller.user_id, &user_id).await?;
    if before.as_deref() == Some("block") {
        uow.record(
            &caller.school_id,
            &PersonUnblocked {
                school_id: caller.school_id.clone(),
                blocker_id: caller.user_id.clone(),
                blocked_id: user_id,
            },
        )
        .await?;
    }
    uow.commit().await?;
    if before.is_some() {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound { what: "block" })
    }
}
