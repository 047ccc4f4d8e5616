//! A person's account: their role, whether they may sign in, and resetting their second factor.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::identity::{
    AccountStatus, Role, UserDeactivated, UserReactivated, UserRoleChanged,
};
use campus_platform::{
    auth::{AuthUser, Permission},
    error::Problem,
    http::{Json, Query},
    Error, Result,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{Acting, InSchool};
use crate::{
    api::{Identity, UserView},
    sessions,
    store::{self, UserRow},
    two_factor,
};

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: Role,
}

/// Changes a person's role. Nobody changes their own role, and nobody grants super admin.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "identity", params(("id" = String, Path), InSchool), request_body = RoleChange,
    security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn change_role(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(in_school): Query<InSchool>,
    Json(input): Json<RoleChange>,
) -> Result<Json<UserView>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    if id == acting.by.user_id {
        return Err(Error::forbidden("you cannot change your own role"));
    }
    if input.role == Role::SuperAdmin {
        return Err(Error::forbidden("super admin is not granted here"));
    }
    let target = acting.member(&identity, &id).await?;
    if target.role == Role::SuperAdmin {
        return Err(Error::forbidden("a super admin's role is not changed here"));
    }
    let mut uow = identity.db.begin().await?;
    store::set_role(&mut uow, &target, input.role).await?;
    if target.role != input.role {
        uow.record(
            &acting.school.id,
            &UserRoleChanged {
                user_id: target.id.clone(),
                school_id: target.school_id.clone(),
                old_role: target.role,
                new_role: input.role,
            },
        )
        .await?;
        acting
            .audit(
                &mut uow,
                "user.role_changed",
                &target.id,
                json!({ "from": target.role, "to": input.role }),
            )
            .await?;
    }
    uow.commit().await?;
    Ok(Json(
        UserRow {
            role: input.role,
            ..target
        }
        .into(),
    ))
}

/// Deactivates a person: they cannot sign in, and their sessions end. Nobody deactivates
/// themselves, and a super admin is not deactivated through the API (like their role, that is
/// left to operators on the server).
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "identity", params(("id" = String, Path), InSchool), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn deactivate(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<UserView>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    if id == acting.by.user_id {
        return Err(Error::forbidden("you cannot deactivate yourself"));
    }
    let target = acting.member(&identity, &id).await?;
    if target.role == Role::SuperAdmin {
        return Err(Error::forbidden(
            "a super admin is not deactivated here; operators do it on the server",
        ));
    }
    let mut uow = identity.db.begin().await?;
    store::set_status(&mut uow, &target, AccountStatus::Deactivated).await?;
    if target.status != AccountStatus::Deactivated {
        sessions::end(
            &mut uow,
            &identity.keys.ended_sessions(),
            &target.school_id,
            &target.id,
            sessions::Ending::Every,
        )
        .await?;
        uow.record(
            &acting.school.id,
            &UserDeactivated {
                user_id: target.id.clone(),
                school_id: target.school_id.clone(),
            },
        )
        .await?;
        acting
            .audit(&mut uow, "user.deactivated", &target.id, json!({}))
            .await?;
    }
    uow.commit().await?;
    Ok(Json(
        UserRow {
            status: AccountStatus::Deactivated,
            ..target
        }
        .into(),
    ))
}

/// Lets a deactivated person sign in again.
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "identity", params(("id" = String, Path), InSchool), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn reactivate(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<UserView>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    let target = acting.member(&identity, &id).await?;
    let mut uow = identity.db.begin().await?;
    store::set_status(&mut uow, &target, AccountStatus::Active).await?;
    if target.status != AccountStatus::Active {
        uow.record(
            &acting.school.id,
            &UserReactivated {
                user_id: target.id.clone(),
                school_id: target.school_id.clone(),
            },
        )
        .await?;
        acting
            .audit(&mut uow, "user.reactivated", &target.id, json!({}))
            .await?;
    }
    uow.commit().await?;
    Ok(Json(
        UserRow {
            status: AccountStatus::Active,
            ..target
        }
        .into(),
    ))
}

/// Removes a person's second factor: for someone who lost their authenticator app and recovery
/// codes, or whose account had a factor put on it by someone else. Every session of theirs
/// ends, they are told by email, and the audit log records who did it. One's own factor is
/// turned off at `/api/v1/me/2fa/disable`, with the password and a code.
#[utoipa::path(post, path = "/api/v1/users/{id}/2fa/reset", tag = "identity", params(("id" = String, Path), InSchool), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The person has no second factor (`no_second_factor`)", body = Problem)))]
pub(super) async fn reset_second_factor(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(in_school): Query<InSchool>,
) -> Result<StatusCode> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    if id == acting.by.user_id {
        return Err(Error::forbidden(
            "turn your own second factor off at /api/v1/me/2fa/disable",
        ));
    }
    let target = acting.member(&identity, &id).await?;
    if target.role == Role::SuperAdmin {
        return Err(Error::forbidden(
            "a super admin's second factor is not reset here",
        ));
    }
    if !two_factor::enrolled(&identity.db, &target.id).await? {
        return Err(Error::conflict(
            "no_second_factor",
            "this person has no second factor",
        ));
    }
    let mut uow = identity.db.begin().await?;
    two_factor::remove(&mut uow, &target.id).await?;
    sessions::end(
        &mut uow,
        &identity.keys.ended_sessions(),
        &target.school_id,
        &target.id,
        sessions::Ending::Every,
    )
    .await?;
    acting
        .audit(&mut uow, "two_factor.reset", &target.id, json!({}))
        .await?;
    two_factor::tell_owner(
        &mut uow,
        &identity.sealer,
        &target,
        "An administrator of your school removed the second factor of your Campus Hub account \
         and ended its sessions. Sign in with your password, and turn a second factor on again \
         if you want one.",
    )
    .await?;
    uow.commit().await?;
    identity.postman.ring();
    Ok(StatusCode::NO_CONTENT)
}
