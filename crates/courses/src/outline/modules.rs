//! Modules: added at the end of a course, renamed, locked behind the previous one, reordered
//! and removed.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{
    error::Problem, http::Json, id, openapi::fields, people::Caller, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_order, editable_course, editable_module};
use crate::{
    domain,
    store::{self, outline::Ordered},
    Courses,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ModuleView {
    pub id: String,
    pub course_id: String,
    pub title: String,
    pub position: i64,
    pub requires_previous: bool,
}

/// A new module: its title, and whether it waits for the previous one (default false).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewModule {
    #[schema(schema_with = fields::required_text::<{ domain::TITLE_MAX }>)]
    pub title: String,
    /// Whether the previous module must be completed before this one opens.
    #[serde(default)]
    pub requires_previous: Option<bool>,
}

/// A change to a module: only the fields given; `null` leaves a field as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ModuleDetails {
    #[schema(schema_with = fields::optional_required_text::<{ domain::TITLE_MAX }>)]
    pub title: Option<String>,
    /// Whether the previous module must be completed before this one opens.
    pub requires_previous: Option<bool>,
}

/// Appends a module to the course.
#[utoipa::path(post, path = "/api/v1/courses/{id}/modules", tag = "courses", params(("id" = String, Path)), request_body = NewModule, security(("bearer" = [])),
    responses((status = 201, body = ModuleView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn add_module(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(details): Json<NewModule>,
) -> Result<(StatusCode, Json<ModuleView>)> {
    let access = editable_course(&courses, &caller, &course_id).await?;
    let title = domain::required_text("title", &details.title, domain::TITLE_MAX)
        .map_err(|e| Error::Validation(vec![e]))?;
    let requires_previous = details.requires_previous.unwrap_or(false);
    let id = id::new_id_string();
    let mut change = courses.change().await?;
    let position =
        store::outline::add_module(&mut change, access.course(), &id, &title, requires_previous)
            .await?;
    change.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(ModuleView {
            id,
            course_id: access.course().id.clone(),
            title,
            position,
            requires_previous,
        }),
    ))
}

/// Renames a module or changes whether it waits for the previous one.
#[utoipa::path(patch, path = "/api/v1/modules/{id}", tag = "courses", params(("id" = String, Path)), request_body = ModuleDetails, security(("bearer" = [])),
    responses((status = 200, body = ModuleView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn update_module(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
    Json(details): Json<ModuleDetails>,
) -> Result<Json<ModuleView>> {
    let (mut module, access) = editable_module(&courses, &caller, &id).await?;
    if let Some(title) = &details.title {
        module.title = domain::required_text("title", title, domain::TITLE_MAX)
            .map_err(|e| Error::Validation(vec![e]))?;
    }
    if let Some(requires) = details.requires_previous {
        module.requires_previous = i64::from(requires);
    }
    let mut change = courses.change().await?;
    store::outline::update_module(&mut change, access.course(), &module).await?;
    change.commit().await?;
    Ok(Json(ModuleView {
        id: module.id,
        course_id: module.course_id,
        title: module.title,
        position: module.position,
        requires_previous: module.requires_previous != 0,
    }))
}

/// Removes a module with its lessons and the progress recorded on them.
#[utoipa::path(delete, path = "/api/v1/modules/{id}", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem)))]
pub(super) async fn delete_module(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let (module, access) = editable_module(&courses, &caller, &id).await?;
    let mut change = courses.change().await?;
    for lesson_id in store::outline::lesson_ids(&mut change, &module.id).await? {
        super::lessons::announce_change(&mut change, &access, &lesson_id, true, None).await?;
    }
    store::outline::delete_module(&mut change, access.course(), &module.id).await?;
    change.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModuleOrder {
    /// Every module of the course, each once, in the new order.
    pub module_ids: Vec<String>,
}

/// Puts the course's modules in a new order. The list must name each module exactly once.
#[utoipa::path(put, path = "/api/v1/courses/{id}/modules/order", tag = "courses", params(("id" = String, Path)), request_body = ModuleOrder, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn reorder_modules(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(order): Json<ModuleOrder>,
) -> Result<StatusCode> {
    let access = editable_course(&courses, &caller, &course_id).await?;
    let mut change = courses.change().await?;
    let current = store::outline::module_ids(&mut change, &access.course().id).await?;
    check_order("module_ids", &current, &order.module_ids)?;
    store::outline::set_order(
        &mut change,
        access.course(),
        Ordered::Modules,
        &order.module_ids,
    )
    .await?;
    change.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
