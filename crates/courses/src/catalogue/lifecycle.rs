//! A course's life: published to the school, archived when the term ends, and the code
//! students enroll with.

use axum::extract::{Path, State};
use campus_contracts::courses::{CourseArchived, CoursePublished, LessonPublished};
use campus_platform::{error::Problem, http::Json, id, people::Caller, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::view::{fresh_view, CourseView};
use crate::{access::CourseAccess, domain::Visibility, store, Courses};

/// Makes the course visible to the school (also brings back an archived course). Its
/// published lessons are announced with it, as they become visible to students now.
#[utoipa::path(post, path = "/api/v1/courses/{id}/publish", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn publish_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    if access.visibility() != Visibility::Published {
        let course = access.course();
        let mut change = courses.change().await?;
        store::courses::publish(&mut change, course).await?;
        change
            .record(
                &course.school_id,
                &CoursePublished {
                    course_id: course.id.clone(),
                    school_id: course.school_id.clone(),
                    title: course.title.clone(),
                    summary: course.summary.clone(),
                    subject: course.subject.clone(),
                    grade_level: course.grade_level.clone(),
                    tags: course.tag_list(),
                    public: course.public != 0,
                    language: course.language.clone(),
                },
            )
            .await?;
        for (lesson_id, module_id, title, body) in
            store::outline::published_lessons(&mut change, &course.id).await?
        {
            change
                .record(
                    &course.school_id,
                    &LessonPublished {
                        lesson_id,
                        module_id,
                        course_id: course.id.clone(),
                        school_id: course.school_id.clone(),
                        title,
                        body: Some(body),
                    },
                )
                .await?;
        }
        change.commit().await?;
    }
    Ok(Json(fresh_view(&courses, &caller, &id).await?))
}

/// Closes the course: it leaves the catalogue, members keep read access, nothing changes.
#[utoipa::path(post, path = "/api/v1/courses/{id}/archive", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn archive_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    if access.visibility() != Visibility::Archived {
        let course = access.course();
        let mut change = courses.change().await?;
        store::courses::archive(&mut change, course).await?;
        change
            .record(
                &course.school_id,
                &CourseArchived {
                    course_id: course.id.clone(),
                    school_id: course.school_id.clone(),
                },
            )
            .await?;
        change.commit().await?;
    }
    Ok(Json(fresh_view(&courses, &caller, &id).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EnrollmentCode {
    pub enrollment_code: String,
}

/// Replaces the course's enrollment code; the old one stops working.
#[utoipa::path(post, path = "/api/v1/courses/{id}/enrollment-code", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = EnrollmentCode), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn rotate_enrollment_code(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentCode>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    let code = id::short_code();
    let mut change = courses.change().await?;
    store::courses::set_enrollment_code(&mut change, access.course(), &code).await?;
    change.commit().await?;
    Ok(Json(EnrollmentCode {
        enrollment_code: code,
    }))
}
