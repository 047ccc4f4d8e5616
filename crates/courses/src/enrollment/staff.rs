//! Staff managing a course's members: the member list, adding someone with a course role or
//! changing it, and taking someone out.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{error::Problem, http::Json, people::Caller, Error, Result};

use super::{
    check_role_fits, ensure_another_teacher, grant, membership, revoke, MemberList, MemberRole,
    Membership,
};
use crate::{access::CourseAccess, domain::CourseRole, store, Courses};

/// Everyone in the course with their course role: for the course's staff and admins.
#[utoipa::path(get, path = "/api/v1/courses/{id}/members", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MemberList), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn list_members(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
) -> Result<Json<MemberList>> {
    let access = CourseAccess::load(&courses, &caller, &course_id).await?;
    access.require_staff()?;
    let rows = store::members::members(&courses.db, &course_id).await?;
    Ok(Json(MemberList {
        items: rows.into_iter().map(Membership::from).collect(),
    }))
}

/// Adds a person of the school to the course with a course role, or changes their role.
/// Course teachers must be teachers or admins of the school.
#[utoipa::path(put, path = "/api/v1/courses/{id}/members/{user_id}", tag = "courses", params(("id" = String, Path), ("user_id" = String, Path)), request_body = MemberRole, security(("bearer" = [])),
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn set_member(
    State(courses): State<Courses>,
    caller: Caller,
    Path((course_id, user_id)): Path<(String, String)>,
    Json(request): Json<MemberRole>,
) -> Result<Json<Membership>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    access.require_teacher()?;
    access.require_open()?;
    let person = courses
        .people
        .person(&caller.school_id, &user_id)
        .await?
        .ok_or(Error::NotFound { what: "person" })?;
    check_role_fits(&person, request.role).map_err(|e| Error::Validation(vec![e]))?;
    let mut change = courses.change().await?;
    if request.role != CourseRole::Teacher {
        let current = store::members::role_in(&mut change, &course_id, &user_id).await?;
        if current == Some(CourseRole::Teacher) {
            ensure_another_teacher(&mut change, &course_id, &user_id).await?;
        }
    }
    grant(
        &mut change,
        access.course(),
        &user_id,
        request.role,
        "teacher",
    )
    .await?;
    change.commit().await?;
    Ok(Json(membership(&courses, &course_id, &user_id).await?))
}

/// Takes a person out of the course.
#[utoipa::path(delete, path = "/api/v1/courses/{id}/members/{user_id}", tag = "courses", params(("id" = String, Path), ("user_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(super) async fn remove_member(
    State(courses): State<Courses>,
    caller: Caller,
    Path((course_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    access.require_teacher()?;
    let mut change = courses.change().await?;
    revoke(&mut change, access.course(), &user_id, "removed").await?;
    change.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
