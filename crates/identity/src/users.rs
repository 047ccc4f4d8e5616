//! Running a school: its people (list, create, change role, deactivate, reactivate), its
//! settings (registration mode, join code) and its audit log. Admins of the school only, and
//! only their own school: every query is scoped by the caller's school, so another school's
//! ids answer 404 like ids that do not exist.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{
    auth::{AuthUser, Permission, Role},
    error::{FieldError, Problem},
    http::{Json, Query},
    pagination, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    api::{Identity, UserView},
    audit::{self, AuditRow},
    domain::{DisplayName, Registration},
    events::{UserDeactivated, UserReactivated, UserRoleChanged},
    onboarding, roster,
    store::{self, UserRow},
};

pub fn routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(import_users))
        .routes(routes!(invite_user))
        .routes(routes!(get_user))
        .routes(routes!(change_role))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(get_school, update_school))
        .routes(routes!(rotate_join_code))
        .routes(routes!(list_audit))
        .with_state(identity)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    /// Part of a name or email.
    pub q: Option<String>,
    pub role: Option<String>,
    /// `active` or `deactivated`.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

/// `%text%` for LIKE, with the caller's `%`, `_` and `\\` taken literally.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The school's people, filtered and paged by id.
#[utoipa::path(get, path = "/api/v1/users", tag = "identity", params(UserQuery), security(("bearer" = [])),
    responses((status = 200, body = UserPage), (status = 403, body = Problem)))]
async fn list_users(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<UserQuery>,
) -> Result<Json<UserPage>> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    let limit = pagination::limit(query.limit)?;
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "SELECT {} FROM users WHERE school_id = $1 AND id > $2 \
         AND ($3 = '' OR email LIKE $3 ESCAPE '\\' OR LOWER(display_name) LIKE $3 ESCAPE '\\') \
         AND ($4 = '' OR role = $4) AND ($5 = '' OR status = $5) ORDER BY id LIMIT $6",
        store::USER_COLUMNS
    ))
    .bind(&user.school_id)
    .bind(query.cursor.unwrap_or_default())
    .bind(
        query
            .q
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .map(like_pattern)
            .unwrap_or_default(),
    )
    .bind(query.role.unwrap_or_default())
    .bind(query.status.unwrap_or_default())
    .bind(limit + 1)
    .fetch_all(identity.db.pool())
    .await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |u| u.id.clone());
    let items = rows.into_iter().map(UserView::from).collect();
    Ok(Json(UserPage { items, next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    /// `student`, `teacher` or `school_admin`.
    pub role: Role,
    /// The first password; the person should change it.
    pub password: String,
}

/// Creates a person in the school with a role.
#[utoipa::path(post, path = "/api/v1/users", tag = "identity", request_body = NewUser, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(identity): State<Identity>,
    user: AuthUser,
    Json(input): Json<NewUser>,
) -> Result<(StatusCode, Json<UserView>)> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    if input.role == Role::SuperAdmin {
        return Err(Error::forbidden(
            "super admins are created by platform operators",
        ));
    }
    let school = school_of(&identity, &user).await?;
    let prepared = onboarding::prepare_user(
        &school,
        &input.email,
        &input.display_name,
        &input.password,
        input.role,
        "email",
    )
    .await?;
    let mut uow = identity.db.begin().await?;
    onboarding::insert_user(&mut uow, &prepared).await?;
    audit::record(
        &mut uow,
        &user,
        "user.created",
        &prepared.user.id,
        json!({ "role": input.role }),
    )
    .await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(prepared.user.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Check the file and report what would happen, writing nothing.
    pub dry_run: Option<bool>,
}

/// Imports the school's people from a CSV file (a plain spreadsheet with `email`,
/// `display_name` or `first_name`/`last_name`, `role` and optionally `password` and
/// `grade_level`; or OneRoster 1.1 `users.csv`). Every row is checked first: with any bad row
/// nothing is imported and each is reported as `lines[N].field`. People who already have an
/// account are skipped; people without a password are emailed an invitation.
#[utoipa::path(post, path = "/api/v1/users/import", tag = "identity", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 200, body = roster::ImportReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn import_users(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<ImportQuery>,
    body: String,
) -> Result<Json<roster::ImportReport>> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    let school = school_of(&identity, &user).await?;
    let (rows, mut skipped) = roster::parse(&body)?;
    let prepared = roster::prepare(&identity.db, &school, rows, &mut skipped, &|| {}).await?;
    let dry_run = query.dry_run.unwrap_or(false);
    let report = roster::ImportReport {
        dry_run,
        imported: prepared.len(),
        invited: prepared.iter().filter(|p| p.invited()).count(),
        skipped,
    };
    if dry_run {
        return Ok(Json(report));
    }
    let mut uow = identity.db.begin().await?;
    let inserted = roster::insert(&mut uow, prepared).await?;
    audit::record(
        &mut uow,
        &user,
        "users.imported",
        &school.id,
        json!({ "imported": report.imported, "invited": report.invited, "skipped": report.skipped.len() }),
    )
    .await?;
    uow.commit().await?;
    roster::send_invitations(
        &identity.mailer,
        &identity.public_url,
        &school,
        &inserted,
        &|| {},
    )
    .await;
    Ok(Json(report))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Invitation {
    pub email: String,
    pub display_name: String,
    /// `student`, `teacher` or `school_admin`.
    pub role: Role,
}

/// Creates a person without a password and emails them a link (valid 7 days) to choose one.
#[utoipa::path(post, path = "/api/v1/users/invitations", tag = "identity", request_body = Invitation, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn invite_user(
    State(identity): State<Identity>,
    user: AuthUser,
    Json(input): Json<Invitation>,
) -> Result<(StatusCode, Json<UserView>)> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    if input.role == Role::SuperAdmin {
        return Err(Error::forbidden(
            "super admins are created by platform operators",
        ));
    }
    let school = school_of(&identity, &user).await?;
    let row = roster::Row {
        line: 1,
        email: input.email,
        display_name: input.display_name,
        role: input.role,
        password: None,
        grade_level: None,
    };
    let mut skipped = Vec::new();
    let prepared = roster::prepare(&identity.db, &school, vec![row], &mut skipped, &|| {})
        .await
        .map_err(|error| match error {
            // One person, so name the fields as the request does.
            Error::Validation(errors) => Error::Validation(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.field = e.field.trim_start_matches("lines[1].").to_owned();
                        e
                    })
                    .collect(),
            ),
            other => other,
        })?;
    if !skipped.is_empty() {
        return Err(Error::conflict(
            "email_taken",
            "this email already has an account in this school",
        ));
    }
    let mut uow = identity.db.begin().await?;
    let inserted = roster::insert(&mut uow, prepared).await?;
    let Some((invited, _)) = inserted.first() else {
        return Err(Error::internal(anyhow::anyhow!("nothing was inserted")));
    };
    audit::record(
        &mut uow,
        &user,
        "user.invited",
        &invited.id,
        json!({ "role": input.role }),
    )
    .await?;
    uow.commit().await?;
    roster::send_invitations(
        &identity.mailer,
        &identity.public_url,
        &school,
        &inserted,
        &|| {},
    )
    .await;
    let view = UserView::from(inserted[0].0.clone());
    Ok((StatusCode::CREATED, Json(view)))
}

/// The token's role must allow it, and so must the account as it is now: a demoted or
/// deactivated admin loses these routes at once, not when their token expires.
async fn authorize(identity: &Identity, user: &AuthUser, permission: Permission) -> Result<()> {
    user.require(permission)?;
    let account = crate::api::current(identity, user).await?;
    if !campus_platform::auth::permissions_of(store::role_of(&account.role)).contains(&permission) {
        return Err(Error::forbidden("your role does not allow this"));
    }
    Ok(())
}

async fn school_of(identity: &Identity, user: &AuthUser) -> Result<store::SchoolRow> {
    store::school_by_id(&identity.db, &user.school_id)
        .await?
        .ok_or(Error::NotFound { what: "school" })
}

async fn member(identity: &Identity, admin: &AuthUser, id: &str) -> Result<UserRow> {
    store::user(&identity.db, &admin.school_id, id)
        .await?
        .ok_or(Error::NotFound { what: "user" })
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "identity", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_user(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    Ok(Json(member(&identity, &user, &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: Role,
}

/// Changes a person's role. Nobody changes their own role, and nobody grants super admin.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "identity", params(("id" = String, Path)), request_body = RoleChange,
    security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn change_role(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Json(input): Json<RoleChange>,
) -> Result<Json<UserView>> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    if id == user.user_id {
        return Err(Error::forbidden("you cannot change your own role"));
    }
    if input.role == Role::SuperAdmin {
        return Err(Error::forbidden("super admin is not granted here"));
    }
    let target = member(&identity, &user, &id).await?;
    if target.role == Role::SuperAdmin.as_str() {
        return Err(Error::forbidden("a super admin's role is not changed here"));
    }
    let mut uow = identity.db.begin().await?;
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND school_id = $4")
        .bind(input.role.as_str())
        .bind(time::now_ms())
        .bind(&target.id)
        .bind(&user.school_id)
        .execute(uow.conn())
        .await?;
    if target.role != input.role.as_str() {
        uow.record(
            &user.school_id,
            &UserRoleChanged {
                user_id: target.id.clone(),
                school_id: target.school_id.clone(),
                old_role: target.role.clone(),
                new_role: input.role.as_str().to_owned(),
            },
        )
        .await?;
        audit::record(
            &mut uow,
            &user,
            "user.role_changed",
            &target.id,
            json!({ "from": target.role, "to": input.role }),
        )
        .await?;
    }
    uow.commit().await?;
    Ok(Json(
        UserRow {
            role: input.role.as_str().to_owned(),
            ..target
        }
        .into(),
    ))
}

/// Deactivates a person: they cannot sign in, and their sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "identity", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn deactivate(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    if id == user.user_id {
        return Err(Error::forbidden("you cannot deactivate yourself"));
    }
    let target = member(&identity, &user, &id).await?;
    let mut uow = identity.db.begin().await?;
    set_status(&mut uow, &user, &target, "deactivated").await?;
    if target.status != "deactivated" {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(time::now_ms())
        .bind(&target.id)
        .execute(uow.conn())
        .await?;
        uow.record(
            &user.school_id,
            &UserDeactivated {
                user_id: target.id.clone(),
                school_id: target.school_id.clone(),
            },
        )
        .await?;
        audit::record(&mut uow, &user, "user.deactivated", &target.id, json!({})).await?;
    }
    uow.commit().await?;
    Ok(Json(
        UserRow {
            status: "deactivated".into(),
            ..target
        }
        .into(),
    ))
}

/// Lets a deactivated person sign in again.
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "identity", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn reactivate(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>> {
    authorize(&identity, &user, Permission::ManageUsers).await?;
    let target = member(&identity, &user, &id).await?;
    let mut uow = identity.db.begin().await?;
    set_status(&mut uow, &user, &target, "active").await?;
    if target.status != "active" {
        uow.record(
            &user.school_id,
            &UserReactivated {
                user_id: target.id.clone(),
                school_id: target.school_id.clone(),
            },
        )
        .await?;
        audit::record(&mut uow, &user, "user.reactivated", &target.id, json!({})).await?;
    }
    uow.commit().await?;
    Ok(Json(
        UserRow {
            status: "active".into(),
            ..target
        }
        .into(),
    ))
}

async fn set_status(
    uow: &mut campus_platform::db::UnitOfWork,
    admin: &AuthUser,
    target: &UserRow,
    status: &str,
) -> Result<()> {
    sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3 AND school_id = $4")
        .bind(status)
        .bind(time::now_ms())
        .bind(&target.id)
        .bind(&admin.school_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SchoolSettings {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// `open`, `code` or `invite`.
    pub registration: String,
    /// Shown to the school's admins only.
    pub join_code: Option<String>,
}

/// The caller's school; its admins also see the join code.
#[utoipa::path(get, path = "/api/v1/school", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 401, body = Problem)))]
async fn get_school(
    State(identity): State<Identity>,
    user: AuthUser,
) -> Result<Json<SchoolSettings>> {
    let school = school_of(&identity, &user).await?;
    let account = crate::api::current(&identity, &user).await?;
    let admin = campus_platform::auth::permissions_of(store::role_of(&account.role))
        .contains(&Permission::ManageSchool);
    Ok(Json(SchoolSettings {
        id: school.id,
        slug: school.slug,
        name: school.name,
        registration: school.registration,
        join_code: admin.then_some(school.join_code),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolChange {
    pub name: Option<String>,
    /// `open`, `code` or `invite`.
    pub registration: Option<String>,
}

/// Renames the school or changes how people join it.
#[utoipa::path(patch, path = "/api/v1/school", tag = "identity", request_body = SchoolChange, security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn update_school(
    State(identity): State<Identity>,
    user: AuthUser,
    Json(input): Json<SchoolChange>,
) -> Result<Json<SchoolSettings>> {
    authorize(&identity, &user, Permission::ManageSchool).await?;
    let mut errors = Vec::new();
    let name = match &input.name {
        Some(name) => onboarding::valid(DisplayName::parse("name", name), &mut errors)
            .map(|n| n.as_str().to_owned()),
        None => None,
    };
    let registration = match input.registration.as_deref() {
        Some(mode @ ("open" | "code" | "invite")) => Some(Registration::from_stored(mode)),
        Some(_) => {
            errors.push(FieldError::new(
                "registration",
                "invalid",
                "one of open, code, invite",
            ));
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let school = school_of(&identity, &user).await?;
    let next_name = name.unwrap_or(school.name.clone());
    let next_registration =
        registration.map_or(school.registration.clone(), |r| r.as_str().to_owned());
    let mut uow = identity.db.begin().await?;
    sqlx::query("UPDATE schools SET name = $1, registration = $2 WHERE id = $3")
        .bind(&next_name)
        .bind(&next_registration)
        .bind(&school.id)
        .execute(uow.conn())
        .await?;
    audit::record(
        &mut uow,
        &user,
        "school.updated",
        &school.id,
        json!({ "name": next_name, "registration": next_registration }),
    )
    .await?;
    uow.commit().await?;
    Ok(Json(SchoolSettings {
        id: school.id,
        slug: school.slug,
        name: next_name,
        registration: next_registration,
        join_code: Some(school.join_code),
    }))
}

/// Replaces the join code; the old one stops working.
#[utoipa::path(post, path = "/api/v1/school/join-code", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 403, body = Problem)))]
async fn rotate_join_code(
    State(identity): State<Identity>,
    user: AuthUser,
) -> Result<Json<SchoolSettings>> {
    authorize(&identity, &user, Permission::ManageSchool).await?;
    let school = school_of(&identity, &user).await?;
    let code = onboarding::join_code();
    let mut uow = identity.db.begin().await?;
    sqlx::query("UPDATE schools SET join_code = $1 WHERE id = $2")
        .bind(&code)
        .bind(&school.id)
        .execute(uow.conn())
        .await?;
    audit::record(
        &mut uow,
        &user,
        "school.join_code_rotated",
        &school.id,
        json!({}),
    )
    .await?;
    uow.commit().await?;
    Ok(Json(SchoolSettings {
        id: school.id,
        slug: school.slug,
        name: school.name,
        registration: school.registration,
        join_code: Some(code),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    pub next_cursor: Option<String>,
}

/// The school's audit log, oldest first, filtered by action, actor or target.
#[utoipa::path(get, path = "/api/v1/audit", tag = "identity", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem)))]
async fn list_audit(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>> {
    authorize(&identity, &user, Permission::ReadAuditLog).await?;
    let limit = pagination::limit(query.limit)?;
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, actor_id, action, target, detail, at FROM audit_log WHERE school_id = $1 AND id > $2 \
         AND ($3 = '' OR action = $3) AND ($4 = '' OR actor_id = $4) AND ($5 = '' OR target = $5) \
         ORDER BY id LIMIT $6",
    )
    .bind(&user.school_id)
    .bind(query.cursor.unwrap_or_default())
    .bind(query.action.unwrap_or_default())
    .bind(query.actor.unwrap_or_default())
    .bind(query.target.unwrap_or_default())
    .bind(limit + 1)
    .fetch_all(identity.db.pool())
    .await?;
    let (items, next_cursor) = pagination::page(rows, limit, |a| a.id.clone());
    Ok(Json(AuditPage { items, next_cursor }))
}
