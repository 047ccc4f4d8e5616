//! The school's messaging rules: read by anyone of the school (pages explain them), changed
//! by its admins.

use axum::extract::State;
use campus_platform::{auth::Permission, error::Problem, http::Json, people::Caller, time, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{domain::Rules, store, Messaging};

pub(crate) fn routes(messaging: Messaging) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(show_settings, change_settings))
        .with_state(messaging)
}

/// Who may message whom in the school. Students always reach the teachers of their courses,
/// and adults reach a student only through a course they teach.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessagingSettings {
    /// Students may start conversations with classmates of the courses they share.
    pub student_direct_messages: bool,
}

/// The school's messaging rules.
#[utoipa::path(get, path = "/api/v1/messaging/settings", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = MessagingSettings), (status = 401, body = Problem)))]
async fn show_settings(
    State(messaging): State<Messaging>,
    caller: Caller,
) -> Result<Json<MessagingSettings>> {
    let rules = store::rules(&messaging.db, &caller.school_id).await?;
    Ok(Json(MessagingSettings {
        student_direct_messages: rules.student_direct_messages,
    }))
}

/// Changes the school's messaging rules: the school's admins. Conversations already started
/// go on; the rules decide who may start new ones.
#[utoipa::path(put, path = "/api/v1/messaging/settings", tag = "messaging", request_body = MessagingSettings, security(("bearer" = [])),
    responses((status = 200, body = MessagingSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn change_settings(
    State(messaging): State<Messaging>,
    caller: Caller,
    Json(input): Json<MessagingSettings>,
) -> Result<Json<MessagingSettings>> {
    caller.require(Permission::ManageSchool)?;
    let mut uow = messaging.db.begin().await?;
    store::save_rules(
        &mut uow,
        &caller.school_id,
        Rules {
            student_direct_messages: input.student_direct_messages,
        },
        &caller.user_id,
        time::now_ms(),
    )
    .await?;
    uow.commit().await?;
    Ok(Json(input))
}
