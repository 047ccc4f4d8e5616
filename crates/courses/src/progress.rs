//! Where students stand: completing lessons, their own progress through a course, and the
//! class view teachers use to see who is where and who is stuck.
//!
//! Progress counts the published, required lessons. A module that requires the previous one
//! stays locked until every required lesson of the previous module is done. Completing the
//! last required lesson completes the course, once.

use campus_contracts::courses::{CourseCompleted, LessonCompleted};
use std::collections::{HashMap, HashSet};

use axum::extract::{Path, State};
use campus_platform::{
    db::Db,
    error::Problem,
    http::{Json, Query},
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::CourseAccess,
    domain::{self, Visibility},
    shelf::Outline,
    store::{self, LessonHead, ModuleRow},
    Courses,
};

pub fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(complete_lesson))
        .routes(routes!(my_progress))
        .routes(routes!(class_progress))
        .with_state(courses)
}

/// One student's standing in one course, computed from the outline and their completions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub modules: Vec<ModuleStanding>,
    pub required: i64,
    pub completed: i64,
    /// The first published lesson, in course order, not yet done and not locked.
    pub next_lesson: Option<(String, String)>,
    completed_ids: HashSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleStanding {
    pub module_id: String,
    pub title: String,
    pub required: i64,
    pub completed: i64,
    pub locked: bool,
}

impl Standing {
    /// `lessons` are those the student can see (published), in any order.
    pub fn of(modules: &[ModuleRow], lessons: &[LessonHead], completed: &HashSet<String>) -> Self {
        let mut ordered: Vec<&ModuleRow> = modules.iter().collect();
        ordered.sort_by_key(|m| (m.position, m.id.clone()));
        let mut standings = Vec::with_capacity(ordered.len());
        let mut previous_done = true;
        let mut next_lesson = None;
        for module in ordered {
            let mut in_module: Vec<&LessonHead> = lessons
                .iter()
                .filter(|l| l.module_id == module.id && l.published != 0)
                .collect();
            in_module.sort_by_key(|l| (l.position, l.id.clone()));
            let required: Vec<&&LessonHead> =
                in_module.iter().filter(|l| l.required != 0).collect();
            let done = required
                .iter()
                .filter(|l| completed.contains(&l.id))
                .count();
            let locked = module.requires_previous != 0 && !previous_done;
            if !locked && next_lesson.is_none() {
                next_lesson = in_module
                    .iter()
                    .find(|l| !completed.contains(&l.id))
                    .map(|l| (l.id.clone(), l.title.clone()));
            }
            let module_done = done == required.len();
            previous_done = module_done && !locked;
            standings.push(ModuleStanding {
                module_id: module.id.clone(),
                title: module.title.clone(),
                required: count(required.len()),
                completed: count(done),
                locked,
            });
        }
        Self {
            required: standings.iter().map(|m| m.required).sum(),
            completed: standings.iter().map(|m| m.completed).sum(),
            modules: standings,
            next_lesson,
            completed_ids: completed.clone(),
        }
    }

    /// Reads the student's completions (one query) and computes against the outline.
    pub async fn load(db: &Db, outline: &Outline, user_id: &str) -> Result<Self> {
        let completed = store::completed_lessons(db, &outline.course.id, user_id).await?;
        Ok(Self::of(
            &outline.modules,
            &outline.lessons,
            &completed.into_iter().collect(),
        ))
    }

    pub fn is_locked(&self, module_id: &str) -> bool {
        self.modules
            .iter()
            .any(|m| m.module_id == module_id && m.locked)
    }

    pub fn has_completed(&self, lesson_id: &str) -> bool {
        self.completed_ids.contains(lesson_id)
    }

    pub fn percent(&self) -> i64 {
        domain::percent(self.completed, self.required)
    }

    /// Every required lesson done (and there is at least one).
    pub fn is_complete(&self) -> bool {
        self.required > 0 && self.completed >= self.required
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Completion {
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
async fn complete_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(lesson_id): Path<String>,
) -> Result<axum::Json<Completion>> {
    let lesson: Option<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT course_id, module_id, published, estimated_minutes FROM lessons WHERE id = $1 AND school_id = $2",
    )
    .bind(&lesson_id)
    .bind(&caller.school_id)
    .fetch_optional(courses.db.pool())
    .await?;
    let (course_id, module_id, published, minutes) =
        lesson.ok_or(Error::NotFound { what: "lesson" })?;
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id)
        .await
        .map_err(|_| Error::NotFound { what: "lesson" })?;
    if published == 0 && !access.is_staff() {
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
    if standing.is_locked(&module_id) {
        return Err(Error::forbidden(
            "complete the previous module to open this lesson",
        ));
    }
    let now = time::now_ms();
    let mut uow = courses.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO completions (lesson_id, user_id, course_id, school_id, completed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (lesson_id, user_id) DO NOTHING",
    )
    .bind(&lesson_id)
    .bind(&caller.user_id)
    .bind(&course_id)
    .bind(&caller.school_id)
    .bind(now)
    .execute(uow.conn())
    .await?
    .rows_affected();
    if inserted > 0 {
        uow.record(
            &caller.school_id,
            &LessonCompleted {
                lesson_id: lesson_id.clone(),
                course_id: course_id.clone(),
                school_id: caller.school_id.clone(),
                user_id: caller.user_id.clone(),
                estimated_minutes: minutes,
            },
        )
        .await?;
    }
    let mut completed = standing.completed_ids.clone();
    completed.insert(lesson_id.clone());
    let after = Standing::of(&access.outline.modules, &access.outline.lessons, &completed);
    if after.is_complete() {
        // Only the request that sets completed_at announces it, so a double click or two
        // racing requests complete the course once.
        let finished = sqlx::query(
            "UPDATE members SET completed_at = $1 WHERE course_id = $2 AND user_id = $3 AND completed_at IS NULL",
        )
        .bind(now)
        .bind(&course_id)
        .bind(&caller.user_id)
        .execute(uow.conn())
        .await?
        .rows_affected();
        if finished > 0 {
            uow.record(
                &caller.school_id,
                &CourseCompleted {
                    course_id: course_id.clone(),
                    school_id: caller.school_id.clone(),
                    user_id: caller.user_id.clone(),
                },
            )
            .await?;
        }
    }
    let (completed_at,): (i64,) = sqlx::query_as(
        "SELECT completed_at FROM completions WHERE lesson_id = $1 AND user_id = $2",
    )
    .bind(&lesson_id)
    .bind(&caller.user_id)
    .fetch_one(uow.conn())
    .await?;
    let course_completed_at: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT completed_at FROM members WHERE course_id = $1 AND user_id = $2")
            .bind(&course_id)
            .bind(&caller.user_id)
            .fetch_optional(uow.conn())
            .await?;
    uow.commit().await?;
    Ok(axum::Json(Completion {
        lesson_id,
        course_id: course_id.clone(),
        completed_at: time::rfc3339(completed_at),
        course_completed: after.is_complete(),
        progress: ProgressView::of(&course_id, &after, course_completed_at.and_then(|(at,)| at)),
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProgressView {
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
pub struct NextLesson {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModuleProgress {
    pub module_id: String,
    pub title: String,
    pub percent: i64,
    pub required_lessons: i64,
    pub completed_lessons: i64,
    pub locked: bool,
}

impl ProgressView {
    fn of(course_id: &str, standing: &Standing, completed_at: Option<i64>) -> Self {
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
    let (completed_at,): (Option<i64>,) =
        sqlx::query_as("SELECT completed_at FROM members WHERE course_id = $1 AND user_id = $2")
            .bind(&course_id)
            .bind(&caller.user_id)
            .fetch_one(courses.db.pool())
            .await?;
    Ok(Json(ProgressView::of(&course_id, &standing, completed_at)))
}

#[derive(sqlx::FromRow)]
struct ClassMember {
    user_id: String,
    joined_at: i64,
    completed_at: Option<i64>,
    display_name: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ClassQuery {
    /// A student with no completion for this many days, and not finished, is stuck (default 7).
    pub stuck_after_days: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClassProgress {
    pub course_id: String,
    pub required_lessons: i64,
    pub students: Vec<StudentProgress>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StudentProgress {
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
async fn class_progress(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Query(query): Query<ClassQuery>,
) -> Result<Json<ClassProgress>> {
    let access = CourseAccess::load(&courses, &caller, &course_id).await?;
    access.require_staff()?;
    let stuck_days = query.stuck_after_days.unwrap_or(7);
    if !(1..=365).contains(&stuck_days) {
        return Err(Error::invalid(
            "stuck_after_days",
            "out_of_range",
            "between 1 and 365",
        ));
    }
    let (modules, lessons) = (&access.outline.modules, &access.outline.lessons);
    let students: Vec<ClassMember> = sqlx::query_as(
        "SELECT m.user_id, m.joined_at, m.completed_at, p.display_name, p.email FROM members m \
         LEFT JOIN people p ON p.user_id = m.user_id \
         WHERE m.course_id = $1 AND m.role = 'student' ORDER BY p.display_name, m.user_id",
    )
    .bind(&course_id)
    .fetch_all(courses.db.pool())
    .await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT user_id, lesson_id, completed_at FROM completions WHERE course_id = $1",
    )
    .bind(&course_id)
    .fetch_all(courses.db.pool())
    .await?;
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
            let ClassMember {
                user_id,
                joined_at,
                completed_at,
                display_name,
                email,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn module(id: &str, position: i64, requires_previous: bool) -> ModuleRow {
        ModuleRow {
            id: id.into(),
            course_id: "c".into(),
            title: id.to_uppercase(),
            position,
            requires_previous: i64::from(requires_previous),
        }
    }

    fn lesson(id: &str, module_id: &str, position: i64, required: bool) -> LessonHead {
        LessonHead {
            id: id.into(),
            module_id: module_id.into(),
            title: id.to_uppercase(),
            position,
            estimated_minutes: None,
            required: i64::from(required),
            published: 1,
            has_video: 0,
        }
    }

    #[test]
    fn a_module_stays_locked_until_the_previous_one_is_done() {
        let modules = [module("m1", 0, false), module("m2", 1, true)];
        let lessons = [
            lesson("l1", "m1", 0, true),
            lesson("l2", "m1", 1, false),
            lesson("l3", "m2", 0, true),
        ];
        let fresh = Standing::of(&modules, &lessons, &HashSet::new());
        assert!(fresh.is_locked("m2"));
        assert_eq!(fresh.next_lesson.as_ref().unwrap().0, "l1");
        assert_eq!(fresh.percent(), 0);

        // The optional lesson is not needed to open the next module.
        let done: HashSet<String> = ["l1".to_owned()].into();
        let after = Standing::of(&modules, &lessons, &done);
        assert!(!after.is_locked("m2"));
        assert_eq!(after.percent(), 50);
        assert_eq!(after.next_lesson.as_ref().unwrap().0, "l2");
        assert!(!after.is_complete());

        let all: HashSet<String> = ["l1".to_owned(), "l3".to_owned()].into();
        assert!(Standing::of(&modules, &lessons, &all).is_complete());
    }

    #[test]
    fn unpublished_lessons_do_not_count() {
        let modules = [module("m1", 0, false)];
        let mut hidden = lesson("l2", "m1", 1, true);
        hidden.published = 0;
        let lessons = [lesson("l1", "m1", 0, true), hidden];
        let done: HashSet<String> = ["l1".to_owned()].into();
        let standing = Standing::of(&modules, &lessons, &done);
        assert_eq!(standing.required, 1);
        assert!(standing.is_complete());
    }

    #[test]
    fn a_course_without_required_lessons_is_never_complete() {
        let standing = Standing::of(&[module("m1", 0, false)], &[], &HashSet::new());
        assert!(!standing.is_complete());
        assert_eq!(standing.percent(), 0);
    }
}
