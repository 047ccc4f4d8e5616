//! Running a school: its people (list, create, change role, deactivate, reactivate), its
//! settings (registration mode, join code) and its audit log. A school's admins act in their
//! own school only; super admins name the school they act in with `?school=<slug>`. Every query
//! is scoped by that school, so another school's ids answer 404 like ids that do not exist.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::identity::AccountStatus;
use campus_contracts::identity::{UserDeactivated, UserReactivated, UserRoleChanged};
use campus_platform::{
    auth::{AuthUser, Permission, Role},
    error::Problem,
    http::{Json, Query},
    pagination::{self, Page},
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    api::{Identity, UserView},
    audit::{self, AuditRow},
    domain::{DisplayName, Registration},
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
        .routes(routes!(list_schools))
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
#[utoipa::path(get, path = "/api/v1/users", tag = "identity", params(UserQuery, InSchool), security(("bearer" = [])),
    responses((status = 200, body = Page<UserView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_users(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<UserQuery>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<Page<UserView>>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    let limit = pagination::limit(query.limit)?;
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "SELECT {} FROM users WHERE school_id = $1 AND id > $2 \
         AND ($3 = '' OR email LIKE $3 ESCAPE '\\' OR LOWER(display_name) LIKE $3 ESCAPE '\\') \
         AND ($4 = '' OR role = $4) AND ($5 = '' OR status = $5) ORDER BY id LIMIT $6",
        store::USER_COLUMNS
    ))
    .bind(&acting.school.id)
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
    Ok(Json(
        Page::of(rows, limit, |u| u.id.clone()).map(UserView::from),
    ))
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
#[utoipa::path(post, path = "/api/v1/users", tag = "identity", params(InSchool), request_body = NewUser, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(in_school): Query<InSchool>,
    Json(input): Json<NewUser>,
) -> Result<(StatusCode, Json<UserView>)> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    if input.role == Role::SuperAdmin {
        return Err(Error::forbidden(
            "super admins are created by platform operators",
        ));
    }
    let prepared = onboarding::prepare_user(
        &acting.school,
        &input.email,
        &input.display_name,
        &input.password,
        input.role,
        "email",
    )
    .await?;
    let mut uow = identity.db.begin().await?;
    onboarding::insert_user(&mut uow, &prepared).await?;
    acting
        .audit(
            &mut uow,
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
#[utoipa::path(post, path = "/api/v1/users/import", tag = "identity", params(ImportQuery, InSchool),
    request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 200, body = roster::ImportReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn import_users(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<ImportQuery>,
    Query(in_school): Query<InSchool>,
    body: String,
) -> Result<Json<roster::ImportReport>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    let school = &acting.school;
    let (rows, mut skipped) = roster::parse(&body)?;
    let prepared = roster::prepare(&identity.db, school, rows, &mut skipped, &|| {}).await?;
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
    acting
        .audit(
            &mut uow,
            "users.imported",
            &school.id,
            json!({ "imported": report.imported, "invited": report.invited, "skipped": report.skipped.len() }),
        )
        .await?;
    roster::queue_invitations(&mut uow, &identity.public_url, school, &inserted).await?;
    uow.commit().await?;
    identity.postman.ring();
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
#[utoipa::path(post, path = "/api/v1/users/invitations", tag = "identity", params(InSchool), request_body = Invitation, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn invite_user(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(in_school): Query<InSchool>,
    Json(input): Json<Invitation>,
) -> Result<(StatusCode, Json<UserView>)> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    if input.role == Role::SuperAdmin {
        return Err(Error::forbidden(
            "super admins are created by platform operators",
        ));
    }
    let school = &acting.school;
    let row = roster::Row {
        line: 1,
        email: input.email,
        display_name: input.display_name,
        role: input.role,
        password: None,
        grade_level: None,
    };
    let mut skipped = Vec::new();
    let prepared = roster::prepare(&identity.db, school, vec![row], &mut skipped, &|| {})
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
    acting
        .audit(
            &mut uow,
            "user.invited",
            &invited.id,
            json!({ "role": input.role }),
        )
        .await?;
    roster::queue_invitations(&mut uow, &identity.public_url, school, &inserted).await?;
    uow.commit().await?;
    identity.postman.ring();
    let view = UserView::from(inserted[0].0.clone());
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct InSchool {
    /// Super admins only: the slug of the school to act in (default: the caller's own).
    pub school: Option<String>,
}

/// Who acts, and in which school.
struct Acting {
    by: AuthUser,
    school: store::SchoolRow,
}

impl Acting {
    /// The caller, allowed `permission` by their token and by their account as it is now (a
    /// demoted or deactivated admin loses these routes at once, not when their token expires),
    /// in their own school or — for super admins — the school they name.
    async fn resolve(
        identity: &Identity,
        user: AuthUser,
        permission: Permission,
        in_school: InSchool,
    ) -> Result<Self> {
        let allowed = authorize(identity, &user, permission).await?;
        Self::in_school(identity, user, allowed, in_school).await
    }

    /// The caller in their own school, or in the school they name when both their token and
    /// their account (`allowed`, as it is now) operate the platform.
    async fn in_school(
        identity: &Identity,
        user: AuthUser,
        allowed: &[Permission],
        in_school: InSchool,
    ) -> Result<Self> {
        let own = store::school_by_id(&identity.db, &user.school_id)
            .await?
            .ok_or(Error::NotFound { what: "school" })?;
        let school = match in_school.school.map(|s| s.trim().to_ascii_lowercase()) {
            None => own,
            Some(slug) if slug == own.slug => own,
            Some(slug) => {
                if !(user.can(Permission::OperatePlatform)
                    && allowed.contains(&Permission::OperatePlatform))
                {
                    return Err(Error::forbidden("only super admins act in another school"));
                }
                store::school_by_slug(&identity.db, &slug)
                    .await?
                    .ok_or(Error::NotFound { what: "school" })?
            }
        };
        Ok(Self { by: user, school })
    }

    /// One of the school's people.
    async fn member(&self, identity: &Identity, id: &str) -> Result<UserRow> {
        store::user(&identity.db, &self.school.id, id)
            .await?
            .ok_or(Error::NotFound { what: "user" })
    }

    async fn audit(
        &self,
        uow: &mut campus_platform::db::UnitOfWork,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        audit::record(
            uow,
            &self.school.id,
            &self.by.user_id,
            action,
            target,
            detail,
        )
        .await
    }
}

/// The token's role must allow it, and so must the account as it is now; returns what the
/// account may do.
async fn authorize(
    identity: &Identity,
    user: &AuthUser,
    permission: Permission,
) -> Result<&'static [Permission]> {
    user.require(permission)?;
    let allowed = permissions_now(identity, user).await?;
    if !allowed.contains(&permission) {
        return Err(Error::forbidden("your role does not allow this"));
    }
    Ok(allowed)
}

/// What the caller's account may do as it is now (401 once it is deactivated).
async fn permissions_now(identity: &Identity, user: &AuthUser) -> Result<&'static [Permission]> {
    let account = crate::api::current(identity, user).await?;
    Ok(campus_platform::auth::permissions_of(account.role))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "identity", params(("id" = String, Path), InSchool), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_user(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<UserView>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    Ok(Json(acting.member(&identity, &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: Role,
}

/// Changes a person's role. Nobody changes their own role, and nobody grants super admin.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "identity", params(("id" = String, Path), InSchool), request_body = RoleChange,
    security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn change_role(
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
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND school_id = $4")
        .bind(input.role.as_str())
        .bind(time::now_ms())
        .bind(&target.id)
        .bind(&acting.school.id)
        .execute(uow.conn())
        .await?;
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

/// Deactivates a person: they cannot sign in, and their sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "identity", params(("id" = String, Path), InSchool), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn deactivate(
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
    let mut uow = identity.db.begin().await?;
    set_status(&mut uow, &target, "deactivated").await?;
    if target.status != AccountStatus::Deactivated {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(time::now_ms())
        .bind(&target.id)
        .execute(uow.conn())
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
async fn reactivate(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<UserView>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    let target = acting.member(&identity, &id).await?;
    let mut uow = identity.db.begin().await?;
    set_status(&mut uow, &target, "active").await?;
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

async fn set_status(
    uow: &mut campus_platform::db::UnitOfWork,
    target: &UserRow,
    status: &str,
) -> Result<()> {
    sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3 AND school_id = $4")
        .bind(status)
        .bind(time::now_ms())
        .bind(&target.id)
        .bind(&target.school_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SchoolSettings {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub registration: Registration,
    /// Shown to the school's admins only.
    pub join_code: Option<String>,
}

/// The caller's school (or, for super admins, the school named); its admins also see the join
/// code.
#[utoipa::path(get, path = "/api/v1/school", tag = "identity", params(InSchool), security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_school(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(in_school): Query<InSchool>,
) -> Result<Json<SchoolSettings>> {
    let allowed = permissions_now(&identity, &user).await?;
    let admin = allowed.contains(&Permission::ManageSchool);
    let school = Acting::in_school(&identity, user, allowed, in_school)
        .await?
        .school;
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
    pub registration: Option<Registration>,
}

/// Renames the school or changes how people join it.
#[utoipa::path(patch, path = "/api/v1/school", tag = "identity", params(InSchool), request_body = SchoolChange, security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_school(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(in_school): Query<InSchool>,
    Json(input): Json<SchoolChange>,
) -> Result<Json<SchoolSettings>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageSchool, in_school).await?;
    let name = match &input.name {
        Some(name) => Some(
            DisplayName::parse("name", name)
                .map_err(|e| Error::Validation(vec![e]))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let school = acting.school.clone();
    let next_name = name.unwrap_or(school.name.clone());
    let next_registration = input.registration.unwrap_or(school.registration);
    let mut uow = identity.db.begin().await?;
    sqlx::query("UPDATE schools SET name = $1, registration = $2 WHERE id = $3")
        .bind(&next_name)
        .bind(next_registration.as_str())
        .bind(&school.id)
        .execute(uow.conn())
        .await?;
    acting
        .audit(
            &mut uow,
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
#[utoipa::path(post, path = "/api/v1/school/join-code", tag = "identity", params(InSchool), security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn rotate_join_code(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(in_school): Query<InSchool>,
) -> Result<Json<SchoolSettings>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageSchool, in_school).await?;
    let school = acting.school.clone();
    let code = onboarding::join_code();
    let mut uow = identity.db.begin().await?;
    sqlx::query("UPDATE schools SET join_code = $1 WHERE id = $2")
        .bind(&code)
        .bind(&school.id)
        .execute(uow.conn())
        .await?;
    acting
        .audit(&mut uow, "school.join_code_rotated", &school.id, json!({}))
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

/// The school's audit log, oldest first, filtered by action, actor or target.
#[utoipa::path(get, path = "/api/v1/audit", tag = "identity", params(AuditQuery, InSchool), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditRow>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_audit(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<AuditQuery>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<Page<AuditRow>>> {
    let acting = Acting::resolve(&identity, user, Permission::ReadAuditLog, in_school).await?;
    let limit = pagination::limit(query.limit)?;
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, actor_id, action, target, detail, at FROM audit_log WHERE school_id = $1 AND id > $2 \
         AND ($3 = '' OR action = $3) AND ($4 = '' OR actor_id = $4) AND ($5 = '' OR target = $5) \
         ORDER BY id LIMIT $6",
    )
    .bind(&acting.school.id)
    .bind(query.cursor.unwrap_or_default())
    .bind(query.action.unwrap_or_default())
    .bind(query.actor.unwrap_or_default())
    .bind(query.target.unwrap_or_default())
    .bind(limit + 1)
    .fetch_all(identity.db.pool())
    .await?;
    Ok(Json(Page::of(rows, limit, |a| a.id.clone())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SchoolQuery {
    /// Part of a slug or name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct SchoolSummary {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// `open`, `code` or `invite`.
    pub registration: String,
    /// People with an account, active or not.
    pub people: i64,
}

/// Every school on the platform, for super admins, who then act in one with `?school=<slug>`.
#[utoipa::path(get, path = "/api/v1/schools", tag = "identity", params(SchoolQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<SchoolSummary>), (status = 403, body = Problem)))]
async fn list_schools(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<SchoolQuery>,
) -> Result<Json<Page<SchoolSummary>>> {
    authorize(&identity, &user, Permission::OperatePlatform).await?;
    let limit = pagination::limit(query.limit)?;
    let rows: Vec<SchoolSummary> = sqlx::query_as(
        "SELECT s.id, s.slug, s.name, s.registration, \
         (SELECT COUNT(*) FROM users u WHERE u.school_id = s.id) AS people \
         FROM schools s WHERE s.id > $1 \
         AND ($2 = '' OR s.slug LIKE $2 ESCAPE '\\' OR LOWER(s.name) LIKE $2 ESCAPE '\\') \
         ORDER BY s.id LIMIT $3",
    )
    .bind(query.cursor.unwrap_or_default())
    .bind(
        query
            .q
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .map(like_pattern)
            .unwrap_or_default(),
    )
    .bind(limit + 1)
    .fetch_all(identity.db.pool())
    .await?;
    Ok(Json(Page::of(rows, limit, |s| s.id.clone())))
}
