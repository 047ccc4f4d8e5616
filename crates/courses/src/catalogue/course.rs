//! One course: reading it with its outline, starting one, changing its details, and copying
//! it into a new draft for a new term.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::courses::{CourseCreated, CourseUpdated, EnrollmentGranted};
use campus_platform::{
    auth::Permission, error::Problem, http::Json, id, openapi::fields, people::Caller, time, Error,
    Result,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    details::{CourseChange, NewCourse},
    view::{course_view, fresh_view, CourseView},
};
use crate::{
    access::CourseAccess,
    domain::{self, CourseRole, EnrollmentMode, Visibility},
    store::{self, Change, CourseRow},
    Courses,
};

/// One course and its outline (modules and lesson titles). Drafts answer 404 to students.
#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn get_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load(&courses, &caller, &id).await?;
    courses.views.note(&caller, &access);
    Ok(Json(course_view(&courses, &caller, &access).await?))
}

/// Starts a course as a draft, with the caller as its teacher.
#[utoipa::path(post, path = "/api/v1/courses", tag = "courses", request_body = NewCourse, security(("bearer" = [])),
    responses((status = 201, body = CourseView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn create_course(
    State(courses): State<Courses>,
    caller: Caller,
    Json(NewCourse(details)): Json<NewCourse>,
) -> Result<(StatusCode, Json<CourseView>)> {
    caller.require(Permission::Teach)?;
    let now = time::now_ms();
    let mut course = CourseRow {
        id: id::new_id_string(),
        school_id: caller.school_id.clone(),
        title: String::new(),
        summary: String::new(),
        description: String::new(),
        description_html: String::new(),
        subject: None,
        grade_level: None,
        tags: "[]".into(),
        cover_image_url: None,
        language: None,
        visibility: Visibility::Draft,
        public: 0,
        enrollment_mode: EnrollmentMode::Open,
        enrollment_code: id::short_code(),
        price_cents: 0,
        currency: None,
        created_by: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    details.apply(&mut course)?;
    let mut change = courses.change().await?;
    start(&mut change, &course, &caller.user_id, None).await?;
    change.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(fresh_view(&courses, &caller, &course.id).await?),
    ))
}

/// Inserts a new course with `teacher` as its teacher, and says so.
async fn start(
    change: &mut Change,
    course: &CourseRow,
    teacher: &str,
    copied_from: Option<&str>,
) -> Result<()> {
    store::courses::insert(change, course).await?;
    store::members::add(change, course, teacher, CourseRole::Teacher).await?;
    change
        .record(
            &course.school_id,
            &EnrollmentGranted {
                course_id: course.id.clone(),
                school_id: course.school_id.clone(),
                user_id: teacher.to_owned(),
                course_role: CourseRole::Teacher,
                source: "creator".into(),
            },
        )
        .await?;
    change
        .record(
            &course.school_id,
            &CourseCreated {
                course_id: course.id.clone(),
                school_id: course.school_id.clone(),
                title: course.title.clone(),
                created_by: teacher.to_owned(),
                copied_from: copied_from.map(str::to_owned),
            },
        )
        .await
}

/// Changes the course's details; only the fields given. Teachers of the course and admins.
#[utoipa::path(patch, path = "/api/v1/courses/{id}", tag = "courses", params(("id" = String, Path)), request_body = CourseChange, security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn update_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
    Json(CourseChange(details)): Json<CourseChange>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    access.require_open()?;
    let mut course = access.course().clone();
    details.apply(&mut course)?;
    course.updated_at = time::now_ms();
    let mut change = courses.change().await?;
    store::courses::update_details(&mut change, &course).await?;
    change
        .record(&course.school_id, &updated_event(&course))
        .await?;
    change.commit().await?;
    Ok(Json(fresh_view(&courses, &caller, &id).await?))
}

fn updated_event(course: &CourseRow) -> CourseUpdated {
    CourseUpdated {
        course_id: course.id.clone(),
        school_id: course.school_id.clone(),
        title: course.title.clone(),
        summary: course.summary.clone(),
        subject: course.subject.clone(),
        grade_level: course.grade_level.clone(),
        tags: course.tag_list(),
        visibility: course.visibility,
        public: course.public != 0,
        price_cents: course.price_cents,
        currency: course.currency.clone(),
        language: course.language.clone(),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DuplicateRequest {
    /// The copy's title; by default the original's with " (copy)".
    #[schema(schema_with = fields::optional_required_text::<{ domain::TITLE_MAX }>)]
    pub title: Option<String>,
}

/// Copies the course's details, modules and lessons into a new draft for a new term. No
/// members, progress or announcements are copied; the caller is the copy's teacher.
#[utoipa::path(post, path = "/api/v1/courses/{id}/duplicate", tag = "courses", params(("id" = String, Path)), request_body = DuplicateRequest, security(("bearer" = [])),
    responses((status = 201, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn duplicate_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<DuplicateRequest>,
) -> Result<(StatusCode, Json<CourseView>)> {
    caller.require(Permission::Teach)?;
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    let original = access.course();
    let title = match &request.title {
        Some(title) => domain::required_text("title", title, domain::TITLE_MAX)
            .map_err(|e| Error::Validation(vec![e]))?,
        None => {
            let mut title = format!("{} (copy)", original.title);
            if title.chars().count() > domain::TITLE_MAX {
                title = title.chars().take(domain::TITLE_MAX).collect();
            }
            title
        }
    };
    let now = time::now_ms();
    let copy = CourseRow {
        id: id::new_id_string(),
        title,
        visibility: Visibility::Draft,
        enrollment_code: id::short_code(),
        created_by: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
        published_at: None,
        ..original.clone()
    };
    let mut change = courses.change().await?;
    start(&mut change, &copy, &caller.user_id, Some(&original.id)).await?;
    store::outline::copy(&mut change, &original.id, &copy).await?;
    change.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(fresh_view(&courses, &caller, &copy.id).await?),
    ))
}
