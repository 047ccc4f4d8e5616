//! Where students stand: completing lessons, their own progress through a course, and the
//! class view teachers use to see who is where and who is stuck.
//!
//! Progress counts the published, required lessons. A module that requires the previous one
//! stays locked until every required lesson of the previous module is done. Completing the
//! last required lesson completes the course, once.
//!
//! Rooms: `standing` (the rules), `completion` (marking a lesson done), `class` (the class
//! view); a student's own progress is here.

mod class;
mod completion;
mod standing;

use axum::extract::{Path, State};
use campus_platform::{error::Problem, http::Json, people::Caller, time, Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(crate) use standing::Standing;

use crate::{access::CourseAccess, domain, store, Courses};

pub(crate) fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(completion::complete_lesson))
        .routes(routes!(my_progress))
        .routes(routes!(class::class_progress))
        .with_state(courses)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ProgressView {
    pub course_id: String,
    /// Required lessons done, 0 to 100.
    pub percent: i64,
    pub required_lessons: i64,
    pub completed_lessons: i64,
    /// When the course was completed, if it was.
    pub completed_at: Option<String>,
    pub next_lesson: Option<NextLesson>,
    pub modules: Vec<ModuleProgress>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct NextLesson {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ModuleProgress {
    pub module_id: String,
    pub title: String,
    pub percent: i64,
    pub required_lessons: i64,
    pub completed_lessons: i64,
    pub locked: bool,
}

impl ProgressView {
    pub(crate) fn of(course_id: &str, standing: &Standing, completed_at: Option<i64>) -> Self {
        Self {
            course_id: course_id.to_owned(),
            percent: standing.percent(),
            required_lessons: standing.required,
            completed_lessons: standing.completed,
            completed_at: completed_at.map(time::rfc3339),
            next_lesson: standing
                .next_lesson
                .clone()
                .map(|(id, title)| NextLesson { id, title }),
            modules: standing
                .modules
                .iter()
                .map(|m| ModuleProgress {
                    module_id: m.module_id.clone(),
                    title: m.title.clone(),
                    percent: domain::percent(m.completed, m.required),
                    required_lessons: m.required,
                    completed_lessons: m.completed,
                    locked: m.locked,
                })
                .collect(),
        }
    }
}

/// The calling student's progress through a course: percent, per module, and what is next.
#[utoipa::path(get, path = "/api/v1/courses/{id}/progress", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProgressView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn my_progress(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
) -> Result<Json<ProgressView>> {
    let access = CourseAccess::load(&courses, &caller, &course_id).await?;
    if !access.is_student() {
        return Err(Error::forbidden(
            "progress is kept for the course's students; staff use the class view",
        ));
    }
    let standing = Standing::load(&courses.db, &access.outline, &caller.user_id).await?;
    let completed_at =
        store::progress::course_completed_at(&courses.db, &course_id, &caller.user_id).await?;
    Ok(Json(ProgressView::of(&course_id, &standing, completed_at)))
}
