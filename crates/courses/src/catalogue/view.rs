//! How a course is shown: in the catalogue ([`CourseSummary`]) and on its own page, with its
//! teachers and outline as the caller may see it ([`CourseView`]).

use std::collections::HashSet;

use campus_platform::{people::Caller, time, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    access::CourseAccess,
    domain::{CourseRole, EnrollmentMode, Visibility},
    progress::Standing,
    store::{self, CourseRow, LessonHead},
    Courses,
};

/// A course as the catalogue lists it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CourseSummary {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tags: Vec<String>,
    pub cover_image_url: Option<String>,
    pub language: Option<String>,
    pub visibility: Visibility,
    /// Whether anyone in the school may read the lessons, not only members.
    pub public: bool,
    pub enrollment_mode: EnrollmentMode,
    /// 0 for a free course.
    pub price_cents: i64,
    pub currency: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    /// The caller's role in the course, if they have a place in it. (Last: the catalogue
    /// writes everything before it once per course, see [`CourseSummary::json_before_role`].)
    pub my_role: Option<CourseRole>,
}

impl CourseSummary {
    pub(crate) fn of(row: &CourseRow, my_role: Option<CourseRole>) -> Self {
        Self {
            id: row.id.clone(),
            title: row.title.clone(),
            summary: row.summary.clone(),
            subject: row.subject.clone(),
            grade_level: row.grade_level.clone(),
            tags: row.tag_list(),
            cover_image_url: row.cover_image_url.clone(),
            language: row.language.clone(),
            visibility: row.visibility,
            public: row.public != 0,
            enrollment_mode: row.enrollment_mode,
            price_cents: row.price_cents,
            currency: row.currency.clone(),
            created_at: time::rfc3339(row.created_at),
            updated_at: time::rfc3339(row.updated_at),
            published_at: row.published_at.map(time::rfc3339),
            my_role,
        }
    }

    /// The course's summary as JSON up to the value of its last field, `my_role`, which
    /// differs per reader: the catalogue writes this once per course and completes it for
    /// each request with [`CourseSummary::role_json`] and `}`.
    pub(crate) fn json_before_role(row: &CourseRow) -> String {
        let whole = serde_json::to_string(&Self::of(row, None)).unwrap_or_default();
        match whole.strip_suffix("null}") {
            Some(before) => before.to_owned(),
            None => whole,
        }
    }

    /// `my_role`'s value as JSON.
    pub(crate) fn role_json(role: Option<CourseRole>) -> &'static str {
        match role {
            None => "null",
            Some(CourseRole::Teacher) => "\"teacher\"",
            Some(CourseRole::Assistant) => "\"assistant\"",
            Some(CourseRole::Student) => "\"student\"",
        }
    }
}

/// A course with everything a reader of it needs: its details, its teachers and its outline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CourseView {
    #[serde(flatten)]
    pub summary: CourseSummary,
    /// The Markdown source; only for those who may change the course.
    pub description: Option<String>,
    /// The description rendered and sanitized.
    pub description_html: String,
    /// Only for the course's staff.
    pub enrollment_code: Option<String>,
    pub teachers: Vec<Person>,
    pub modules: Vec<ModuleOutline>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Person {
    pub user_id: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ModuleOutline {
    pub id: String,
    pub title: String,
    pub position: i64,
    pub requires_previous: bool,
    /// For students: whether the module waits for the previous one to be completed.
    pub locked: bool,
    pub lessons: Vec<LessonOutline>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct LessonOutline {
    pub id: String,
    pub title: String,
    pub position: i64,
    pub estimated_minutes: Option<i64>,
    pub required: bool,
    /// Students only see published lessons.
    pub published: bool,
    pub has_video: bool,
    /// For the caller.
    pub completed: bool,
}

/// The course as `caller` may see it (one query for their completions, the rest from memory).
pub(crate) async fn course_view(
    courses: &Courses,
    caller: &Caller,
    access: &CourseAccess,
) -> Result<CourseView> {
    let course = access.course();
    let outline = &access.outline;
    let completed: HashSet<String> = if access.membership.is_some() {
        store::progress::completed_lessons(&courses.db, &course.id, &caller.user_id)
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let staff = access.is_staff();
    let lessons: Vec<&LessonHead> = outline
        .lessons
        .iter()
        .filter(|lesson| staff || lesson.published != 0)
        .collect();
    let standing = Standing::of(&outline.modules, &outline.lessons, &completed);
    let modules = outline
        .modules
        .iter()
        .map(|module| ModuleOutline {
            id: module.id.clone(),
            title: module.title.clone(),
            position: module.position,
            requires_previous: module.requires_previous != 0,
            locked: !staff && standing.is_locked(&module.id),
            lessons: lessons
                .iter()
                .filter(|lesson| lesson.module_id == module.id)
                .map(|lesson| LessonOutline {
                    id: lesson.id.clone(),
                    title: lesson.title.clone(),
                    position: lesson.position,
                    estimated_minutes: lesson.estimated_minutes,
                    required: lesson.required != 0,
                    published: lesson.published != 0,
                    has_video: lesson.has_video != 0,
                    completed: completed.contains(&lesson.id),
                })
                .collect(),
        })
        .collect();
    let can_edit = access.require_teacher().is_ok();
    Ok(CourseView {
        summary: CourseSummary::of(course, access.membership),
        description: can_edit.then(|| course.description.clone()),
        description_html: course.description_html.clone(),
        enrollment_code: staff.then(|| course.enrollment_code.clone()),
        teachers: outline
            .teachers
            .iter()
            .map(|teacher| Person {
                user_id: teacher.user_id.clone(),
                display_name: teacher
                    .display_name
                    .clone()
                    .unwrap_or_else(|| "Teacher".to_owned()),
            })
            .collect(),
        modules,
    })
}

/// The course as the caller sees it right after they changed it.
pub(crate) async fn fresh_view(
    courses: &Courses,
    caller: &Caller,
    course_id: &str,
) -> Result<CourseView> {
    let access = CourseAccess::load(courses, caller, course_id).await?;
    course_view(courses, caller, &access).await
}
