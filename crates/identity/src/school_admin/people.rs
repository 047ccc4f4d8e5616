//! The school's people: listing and searching them, one person, and adding people one at a
//! time, by invitation, or from a spreadsheet.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::identity::{AccountStatus, Role};
use campus_platform::{
    auth::{AuthUser, Permission},
    error::Problem,
    http::{Json, Query},
    pagination::{self, Page},
    Error, Result,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{Acting, InSchool};
use crate::{
    api::{Identity, UserView},
    domain::{DisplayName, Email, Password},
    onboarding, roster,
    store::{self, directory::PeopleFilter},
};

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    /// Part of a name or email.
    pub q: Option<String>,
    #[param(inline)]
    pub role: Option<Role>,
    #[param(inline)]
    pub status: Option<AccountStatus>,
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The school's people, filtered and paged by id.
#[utoipa::path(get, path = "/api/v1/users", tag = "identity", params(UserQuery, InSchool), security(("bearer" = [])),
    responses((status = 200, body = Page<UserView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn list_users(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(query): Query<UserQuery>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<Page<UserView>>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    let limit = pagination::limit(query.limit);
    let filter = PeopleFilter {
        text: query.q.as_deref(),
        role: query.role,
        status: query.status,
        after: query.cursor.as_deref().unwrap_or_default(),
        limit,
    };
    let rows = store::directory::people(&identity.db, &acting.school.id, &filter).await?;
    Ok(Json(
        Page::of(rows, limit, |u| u.id.clone()).map(UserView::from),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = DisplayName::schema)]
    pub display_name: String,
    /// `student`, `teacher` or `school_admin`.
    pub role: Role,
    /// The first password; the person should change it.
    #[schema(schema_with = Password::schema)]
    pub password: String,
}

/// Creates a person in the school with a role.
#[utoipa::path(post, path = "/api/v1/users", tag = "identity", params(InSchool), request_body = NewUser, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn create_user(
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
pub(super) async fn import_users(
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
    roster::queue_invitations(
        &mut uow,
        &identity.sealer,
        &identity.public_url,
        school,
        &inserted,
    )
    .await?;
    uow.commit().await?;
    identity.postman.ring();
    Ok(Json(report))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Invitation {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = DisplayName::schema)]
    pub display_name: String,
    /// `student`, `teacher` or `school_admin`.
    pub role: Role,
}

/// Creates a person without a password and emails them a link (valid 7 days) to choose one.
#[utoipa::path(post, path = "/api/v1/users/invitations", tag = "identity", params(InSchool), request_body = Invitation, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 404, description = "No school has the slug given in `school`", body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn invite_user(
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
    roster::queue_invitations(
        &mut uow,
        &identity.sealer,
        &identity.public_url,
        school,
        &inserted,
    )
    .await?;
    uow.commit().await?;
    identity.postman.ring();
    let view = UserView::from(inserted[0].0.clone());
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "identity", params(("id" = String, Path), InSchool), security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn get_user(
    State(identity): State<Identity>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(in_school): Query<InSchool>,
) -> Result<Json<UserView>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageUsers, in_school).await?;
    Ok(Json(acting.member(&identity, &id).await?.into()))
}
