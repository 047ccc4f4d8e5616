//! The school's settings: its name, how people join it, and its join code.

use axum::extract::State;
use campus_contracts::identity::SchoolUpdated;
use campus_platform::{
    auth::{AuthUser, Permission},
    error::Problem,
    http::{Json, Query},
    locale::TimeZoneName,
    openapi::fields,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{permissions_now, Acting, InSchool};
use crate::{
    api::Identity,
    domain::{DisplayName, Registration},
    onboarding, store,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SchoolSettings {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub registration: Registration,
    /// Shown to the school's admins only.
    pub join_code: Option<String>,
    /// The IANA time zone the school keeps its calendar in.
    pub time_zone: String,
}

/// The caller's school (or, for super admins, the school named); its admins also see the join
/// code.
#[utoipa::path(get, path = "/api/v1/school", tag = "identity", params(InSchool), security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn get_school(
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
        time_zone: school.time_zone,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolChange {
    #[schema(schema_with = fields::optional_required_line::<{ DisplayName::MAX_LENGTH }>)]
    pub name: Option<String>,
    pub registration: Option<Registration>,
    /// An IANA time zone name such as `Europe/Madrid`.
    #[schema(schema_with = TimeZoneName::optional_schema)]
    pub time_zone: Option<String>,
}

/// Renames the school, changes how people join it, or moves its calendar to another time
/// zone; a new name or time zone is announced (`SchoolUpdated`).
#[utoipa::path(patch, path = "/api/v1/school", tag = "identity", params(InSchool), request_body = SchoolChange, security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn update_school(
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
    let time_zone = match &input.time_zone {
        Some(zone) => Some(
            TimeZoneName::parse("time_zone", zone)
                .map_err(|e| Error::Validation(vec![e]))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let school = acting.school.clone();
    let next_name = name.unwrap_or(school.name.clone());
    let next_registration = input.registration.unwrap_or(school.registration);
    let next_zone = time_zone.unwrap_or(school.time_zone.clone());
    let mut uow = identity.db.begin().await?;
    store::update_school(
        &mut uow,
        &school.id,
        &next_name,
        next_registration,
        &next_zone,
    )
    .await?;
    acting
        .audit(
            &mut uow,
            "school.updated",
            &school.id,
            json!({ "name": next_name, "registration": next_registration, "time_zone": next_zone }),
        )
        .await?;
    if next_name != school.name || next_zone != school.time_zone {
        uow.record(
            &school.id,
            &SchoolUpdated {
                school_id: school.id.clone(),
                name: next_name.clone(),
                time_zone: next_zone.clone(),
            },
        )
        .await?;
    }
    uow.commit().await?;
    Ok(Json(SchoolSettings {
        id: school.id,
        slug: school.slug,
        name: next_name,
        registration: next_registration,
        join_code: Some(school.join_code),
        time_zone: next_zone,
    }))
}

/// Replaces the join code; the old one stops working.
#[utoipa::path(post, path = "/api/v1/school/join-code", tag = "identity", params(InSchool), security(("bearer" = [])),
    responses((status = 200, body = SchoolSettings), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn rotate_join_code(
    State(identity): State<Identity>,
    user: AuthUser,
    Query(in_school): Query<InSchool>,
) -> Result<Json<SchoolSettings>> {
    let acting = Acting::resolve(&identity, user, Permission::ManageSchool, in_school).await?;
    let school = acting.school.clone();
    let code = onboarding::join_code();
    let mut uow = identity.db.begin().await?;
    store::set_join_code(&mut uow, &school.id, &code).await?;
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
        time_zone: school.time_zone,
    }))
}
