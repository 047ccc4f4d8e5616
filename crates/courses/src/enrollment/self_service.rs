//! A student's own place: enrolling (in an open course, or with its code) and dropping.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{
    auth::Permission,
    error::Problem,
    http::{Json, OptionalJson},
    people::Caller,
    Error, Result,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{grant, membership, revoke, Membership};
use crate::{
    access::CourseAccess,
    domain::{CourseRole, EnrollmentMode, Visibility},
    store, Courses,
};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct EnrollRequest {
    /// The course's enrollment code, for courses enrolled by code.
    pub code: Option<String>,
}

/// Enrolls the calling student. Open courses take anyone in the school; `code` courses need
/// the course's code; closed courses and paid courses do not take self-enrollment. Enrolling
/// again answers 200 with the existing place.
#[utoipa::path(post, path = "/api/v1/courses/{id}/enroll", tag = "courses", params(("id" = String, Path)), request_body = EnrollRequest, security(("bearer" = [])),
    responses((status = 201, body = Membership), (status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn enroll(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    // Only courses enrolled by code need a body.
    OptionalJson(request): OptionalJson<EnrollRequest>,
) -> Result<(StatusCode, Json<Membership>)> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    caller.require(Permission::Learn)?;
    if let Some(existing) = store::members::member(&courses.db, &course_id, &caller.user_id).await?
    {
        return Ok((StatusCode::OK, Json(existing.into())));
    }
    let course = access.course();
    if access.visibility() != Visibility::Published {
        return Err(Error::conflict(
            "course_archived",
            "the course is archived and takes no one new",
        ));
    }
    match course.enrollment_mode {
        EnrollmentMode::Closed => {
            return Err(Error::forbidden(
                "this course's teachers enroll its students",
            ));
        }
        EnrollmentMode::Code => {
            let given = request.code.unwrap_or_default().trim().to_uppercase();
            if given.is_empty() {
                return Err(Error::invalid(
                    "code",
                    "required",
                    "this course needs its enrollment code",
                ));
            }
            if given != course.enrollment_code {
                return Err(Error::invalid(
                    "code",
                    "wrong_code",
                    "that is not this course's enrollment code",
                ));
            }
        }
        EnrollmentMode::Open => {}
    }
    if course.price_cents > 0 {
        return Err(Error::conflict(
            "payment_required",
            "this is a paid course; payment is not available yet, so a teacher must add you",
        ));
    }
    let mut change = courses.change().await?;
    let added = grant(
        &mut change,
        course,
        &caller.user_id,
        CourseRole::Student,
        "self",
    )
    .await?;
    change.commit().await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(membership(&courses, &course_id, &caller.user_id).await?),
    ))
}

/// Leaves the course. The student's progress in it is removed with their place.
#[utoipa::path(delete, path = "/api/v1/courses/{id}/enroll", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(super) async fn drop_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
) -> Result<StatusCode> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    if access.membership.is_none() {
        return Err(Error::NotFound { what: "enrollment" });
    }
    let mut change = courses.change().await?;
    revoke(&mut change, access.course(), &caller.user_id, "dropped").await?;
    change.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
