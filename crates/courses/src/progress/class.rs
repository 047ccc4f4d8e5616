//! The class view: every student of a course and where they are, for its staff. A fixed
//! number of queries whatever the class size.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, State};
use campus_platform::{
    error::Problem,
    http::{Json, Query, Within},
    people::Caller,
    time, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{NextLesson, Standing};
use crate::{
    access::CourseAccess,
    store::{self, members::MemberRow},
    Courses,
};

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ClassQuery {
    /// A student with no completion for this many days, and not finished, is stuck (default 7).
    #[param(inline)]
    pub stuck_after_days: Option<Within<1, 365>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ClassProgress {
    pub course_id: String,
    pub required_lessons: i64,
    pub students: Vec<StudentProgress>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct StudentProgress {
    pub user_id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub percent: i64,
    pub completed_lessons: i64,
    /// The module the student is working in (their next lesson's), if any.
    pub current_module_id: Option<String>,
    pub next_lesson: Option<NextLesson>,
    pub joined_at: String,
    /// Their last completion, or when they joined.
    pub last_activity_at: String,
    pub completed_at: Option<String>,
    /// Not finished and nothing done for `stuck_after_days` days.
    pub stuck: bool,
}

/// Every student of the course and where they are: for teachers, assistants and admins. Runs
/// a fixed number of queries whatever the class size.
#[utoipa::path(get, path = "/api/v1/courses/{id}/progress/class", tag = "courses", params(("id" = String, Path), ClassQuery), security(("bearer" = [])),
    responses((status = 200, body = ClassProgress), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn class_progress(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Query(query): Query<ClassQuery>,
) -> Result<Json<ClassProgress>> {
    let access = CourseAccess::load(&courses, &caller, &course_id).await?;
    access.require_staff()?;
    let stuck_days = query.stuck_after_days.map_or(7, Within::get);
    let (modules, lessons) = (&access.outline.modules, &access.outline.lessons);
    let students = store::members::students(&courses.db, &course_id).await?;
    let rows = store::progress::completions_of_course(&courses.db, &course_id).await?;
    let mut done: HashMap<String, (HashSet<String>, i64)> = HashMap::new();
    for (user_id, lesson_id, at) in rows {
        let entry = done.entry(user_id).or_default();
        entry.0.insert(lesson_id);
        entry.1 = entry.1.max(at);
    }
    let now = time::now_ms();
    let stuck_before = now - stuck_days * 86_400_000;
    let none = (HashSet::new(), 0);
    let mut required = 0;
    let students = students
        .into_iter()
        .map(|member| {
            let MemberRow {
                user_id,
                joined_at,
                completed_at,
                display_name,
                email,
                ..
            } = member;
            let (completed, last) = done.get(&user_id).unwrap_or(&none);
            let standing = Standing::of(modules, lessons, completed);
            required = standing.required;
            let last_activity = (*last).max(joined_at);
            let current_module_id = standing.next_lesson.as_ref().and_then(|(id, _)| {
                lessons
                    .iter()
                    .find(|l| &l.id == id)
                    .map(|l| l.module_id.clone())
            });
            StudentProgress {
                percent: standing.percent(),
                completed_lessons: standing.completed,
                current_module_id,
                next_lesson: standing
                    .next_lesson
                    .clone()
                    .map(|(id, title)| NextLesson { id, title }),
                joined_at: time::rfc3339(joined_at),
                last_activity_at: time::rfc3339(last_activity),
                completed_at: completed_at.map(time::rfc3339),
                stuck: completed_at.is_none() && last_activity < stuck_before,
                user_id,
                display_name,
                email,
            }
        })
        .collect();
    if required == 0 {
        required = Standing::of(modules, lessons, &HashSet::new()).required;
    }
    Ok(Json(ClassProgress {
        course_id,
        required_lessons: required,
        students,
    }))
}
