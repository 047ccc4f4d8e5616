//! Marking a lesson done: recorded once (LessonCompleted), and completing the last required
//! lesson completes the course once (CourseCompleted), however many requests race.

use axum::extract::{Path, State};
use campus_contracts::courses::{CourseCompleted, LessonCompleted};
use campus_platform::{error::Problem, http::Json, people::Caller, time, Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ProgressView, Standing};
use crate::{access::CourseAccess, domain::Visibility, store, Courses};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Completion {
    pub lesson_id: String,
    pub course_id: String,
    pub completed_at: String,
    /// Whether this completion finished the course (or it was already finished).
    pub course_completed: bool,
    pub progress: ProgressView,
}

/// Marks a lesson done for the calling student. Doing it again changes nothing. Completing
/// the last required lesson completes the course.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/complete", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Completion), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(super) async fn complete_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(lesson_id): Path<String>,
) -> Result<Json<Completion>> {
    let lesson = store::outline::lesson(&courses.db, &caller.school_id, &lesson_id)
        .await?
        .ok_or(Error::NotFound { what: "lesson" })?;
    let access = CourseAccess::load_fresh(&courses, &caller, &lesson.course_id)
        .await
        .map_err(|error| error.unseen_as("lesson"))?;
    if lesson.published == 0 && !access.is_staff() {
        return Err(Error::NotFound { what: "lesson" });
    }
    if !access.is_student() {
        return Err(Error::forbidden(
            "only the course's students record progress",
        ));
    }
    if access.visibility() != Visibility::Published {
        return Err(Error::conflict(
            "course_archived",
            "the course is archived; progress is closed",
        ));
    }
    let standing = Standing::load(&courses.db, &access.outline, &caller.user_id).await?;
    if standing.is_locked(&lesson.module_id) {
        return Err(Error::forbidden(
            "complete the previous module to open this lesson",
        ));
    }
    let course_id = lesson.course_id.clone();
    let (school_id, user_id) = (&caller.school_id, &caller.user_id);
    let now = time::now_ms();
    let mut change = courses.change().await?;
    if store::progress::complete(&mut change, school_id, &course_id, &lesson_id, user_id, now)
        .await?
    {
        change
            .record(
                school_id,
                &LessonCompleted {
                    lesson_id: lesson_id.clone(),
                    course_id: course_id.clone(),
                    school_id: school_id.clone(),
                    user_id: user_id.clone(),
                    estimated_minutes: lesson.estimated_minutes,
                },
            )
            .await?;
    }
    let mut completed = standing.completed_ids.clone();
    completed.insert(lesson_id.clone());
    let after = Standing::of(&access.outline.modules, &access.outline.lessons, &completed);
    if after.is_complete()
        && store::progress::finish_course(&mut change, &course_id, user_id, now).await?
    {
        change
            .record(
                school_id,
                &CourseCompleted {
                    course_id: course_id.clone(),
                    school_id: school_id.clone(),
                    user_id: user_id.clone(),
                },
            )
            .await?;
    }
    let completed_at = store::progress::completed_at(&mut change, &lesson_id, user_id)
        .await?
        .unwrap_or(now);
    change.commit().await?;
    let course_completed_at =
        store::progress::course_completed_at(&courses.db, &course_id, user_id).await?;
    Ok(Json(Completion {
        lesson_id,
        course_id: course_id.clone(),
        completed_at: time::rfc3339(completed_at),
        course_completed: after.is_complete(),
        progress: ProgressView::of(&course_id, &after, course_completed_at),
    }))
}
