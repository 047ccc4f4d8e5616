//! A course's structure: ordered modules, ordered lessons inside them, and the lessons
//! themselves (Markdown body, video, attachments). Only the course's teachers and the school's
//! admins change it; students read published lessons of courses they may read.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::courses::LessonPublished;
use campus_platform::{
    db::UnitOfWork,
    error::Checks,
    error::{FieldError, Problem},
    http::Json,
    id,
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::CourseAccess,
    content,
    domain::{self, Visibility},
    progress,
    store::{self, CourseRow},
    Courses,
};

pub fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(add_module))
        .routes(routes!(update_module, delete_module))
        .routes(routes!(reorder_modules))
        .routes(routes!(add_lesson))
        .routes(routes!(get_lesson, update_lesson, delete_lesson))
        .routes(routes!(reorder_lessons))
        .with_state(courses)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModuleView {
    pub id: String,
    pub course_id: String,
    pub title: String,
    pub position: i64,
    pub requires_previous: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleDetails {
    pub title: Option<String>,
    /// Whether the previous module must be completed before this one opens.
    pub requires_previous: Option<bool>,
}

/// The module with the course it belongs to, loaded for the caller.
async fn module_for(
    courses: &Courses,
    caller: &Caller,
    module_id: &str,
) -> Result<(store::ModuleRow, CourseAccess)> {
    let module: store::ModuleRow = sqlx::query_as(
        "SELECT id, course_id, title, position, requires_previous FROM modules \
         WHERE id = $1 AND school_id = $2",
    )
    .bind(module_id)
    .bind(&caller.school_id)
    .fetch_optional(courses.db.pool())
    .await?
    .ok_or(Error::NotFound { what: "module" })?;
    let access = CourseAccess::load_fresh(courses, caller, &module.course_id)
        .await
        .map_err(|_| Error::NotFound { what: "module" })?;
    Ok((module, access))
}

/// For changes: the caller teaches the course and it is not archived.
async fn editable_module(
    courses: &Courses,
    caller: &Caller,
    module_id: &str,
) -> Result<(store::ModuleRow, CourseAccess)> {
    let (module, access) = module_for(courses, &caller, module_id).await?;
    access.require_teacher()?;
    access.require_open()?;
    Ok((module, access))
}

async fn editable_course(
    courses: &Courses,
    caller: &Caller,
    course_id: &str,
) -> Result<CourseAccess> {
    let access = CourseAccess::load_fresh(courses, &caller, course_id).await?;
    access.require_teacher()?;
    access.require_open()?;
    Ok(access)
}

/// Appends a module to the course.
#[utoipa::path(post, path = "/api/v1/courses/{id}/modules", tag = "courses", params(("id" = String, Path)), request_body = ModuleDetails, security(("bearer" = [])),
    responses((status = 201, body = ModuleView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_module(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(details): Json<ModuleDetails>,
) -> Result<(StatusCode, Json<ModuleView>)> {
    let access = editable_course(&courses, &caller, &course_id).await?;
    let title = domain::required_text("title", details.title.as_deref().unwrap_or_default(), 200)
        .map_err(|e| Error::Validation(vec![e]))?;
    let now = time::now_ms();
    let id = id::new_id_string();
    let mut uow = courses.db.begin().await?;
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(position) FROM modules WHERE course_id = $1")
            .bind(&access.course().id)
            .fetch_one(uow.conn())
            .await?;
    let position = last.map_or(0, |p| p + 1);
    let requires_previous = details.requires_previous.unwrap_or(false);
    sqlx::query(
        "INSERT INTO modules (id, course_id, school_id, title, position, requires_previous, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&access.course().id)
    .bind(&access.course().school_id)
    .bind(&title)
    .bind(position)
    .bind(i64::from(requires_previous))
    .bind(now)
    .execute(uow.conn())
    .await?;
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
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

/// Marks the course changed, so its `updated_at` tells readers the outline moved.
async fn touch(uow: &mut UnitOfWork, course: &CourseRow) -> Result<()> {
    sqlx::query("UPDATE courses SET updated_at = $1 WHERE id = $2")
        .bind(time::now_ms())
        .bind(&course.id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// Renames a module or changes whether it waits for the previous one.
#[utoipa::path(patch, path = "/api/v1/modules/{id}", tag = "courses", params(("id" = String, Path)), request_body = ModuleDetails, security(("bearer" = [])),
    responses((status = 200, body = ModuleView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_module(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
    Json(details): Json<ModuleDetails>,
) -> Result<Json<ModuleView>> {
    let (mut module, access) = editable_module(&courses, &caller, &id).await?;
    if let Some(title) = &details.title {
        module.title =
            domain::required_text("title", title, 200).map_err(|e| Error::Validation(vec![e]))?;
    }
    if let Some(requires) = details.requires_previous {
        module.requires_previous = i64::from(requires);
    }
    let mut uow = courses.db.begin().await?;
    sqlx::query(
        "UPDATE modules SET title = $1, requires_previous = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(&module.title)
    .bind(module.requires_previous)
    .bind(time::now_ms())
    .bind(&module.id)
    .execute(uow.conn())
    .await?;
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
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
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_module(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let (module, access) = editable_module(&courses, &caller, &id).await?;
    let mut uow = courses.db.begin().await?;
    sqlx::query(
        "DELETE FROM completions WHERE lesson_id IN (SELECT id FROM lessons WHERE module_id = $1)",
    )
    .bind(&module.id)
    .execute(uow.conn())
    .await?;
    sqlx::query("DELETE FROM lessons WHERE module_id = $1")
        .bind(&module.id)
        .execute(uow.conn())
        .await?;
    sqlx::query("DELETE FROM modules WHERE id = $1")
        .bind(&module.id)
        .execute(uow.conn())
        .await?;
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleOrder {
    /// Every module of the course, each once, in the new order.
    pub module_ids: Vec<String>,
}

/// Puts the course's modules in a new order. The list must name each module exactly once.
#[utoipa::path(put, path = "/api/v1/courses/{id}/modules/order", tag = "courses", params(("id" = String, Path)), request_body = ModuleOrder, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn reorder_modules(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(order): Json<ModuleOrder>,
) -> Result<StatusCode> {
    let access = editable_course(&courses, &caller, &course_id).await?;
    let mut uow = courses.db.begin().await?;
    let current: Vec<(String,)> = sqlx::query_as("SELECT id FROM modules WHERE course_id = $1")
        .bind(&access.course().id)
        .fetch_all(uow.conn())
        .await?;
    reorder(
        &mut uow,
        "modules",
        "module_ids",
        current,
        &order.module_ids,
    )
    .await?;
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
    Ok(StatusCode::NO_CONTENT)
}

/// Writes positions 0.. in the order asked, after checking it names exactly the current rows.
async fn reorder(
    uow: &mut UnitOfWork,
    table: &'static str,
    field: &str,
    current: Vec<(String,)>,
    asked: &[String],
) -> Result<()> {
    let current: Vec<String> = current.into_iter().map(|(id,)| id).collect();
    if !domain::same_items(&current, asked) {
        return Err(Error::invalid(
            field,
            "order_mismatch",
            format!(
                "list each of the {} current items exactly once",
                current.len()
            ),
        ));
    }
    for (position, id) in asked.iter().enumerate() {
        sqlx::query(&format!(
            "UPDATE {table} SET position = $1, updated_at = $2 WHERE id = $3"
        ))
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(time::now_ms())
        .bind(id)
        .execute(uow.conn())
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub name: String,
    /// An http or https address.
    pub url: String,
}

/// A lesson in full.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LessonView {
    pub id: String,
    pub module_id: String,
    pub course_id: String,
    pub title: String,
    /// The Markdown source; only for those who may change the lesson.
    pub body: Option<String>,
    /// The body rendered and sanitized: safe to insert into a page.
    pub body_html: String,
    pub video_url: Option<String>,
    /// The player address for an allowed video host.
    pub video_embed_url: Option<String>,
    pub attachments: Vec<Attachment>,
    pub estimated_minutes: Option<i64>,
    pub required: bool,
    pub published: bool,
    pub position: i64,
    /// For the caller.
    pub completed: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct LessonRow {
    id: String,
    module_id: String,
    course_id: String,
    title: String,
    body: String,
    body_html: String,
    video_url: Option<String>,
    video_embed_url: Option<String>,
    attachments: String,
    estimated_minutes: Option<i64>,
    required: i64,
    published: i64,
    position: i64,
    updated_at: i64,
}

const LESSON_COLUMNS: &str = "id, module_id, course_id, title, body, body_html, video_url, \
     video_embed_url, attachments, estimated_minutes, required, published, position, updated_at";

impl LessonRow {
    fn view(self, editable: bool, completed: bool) -> LessonView {
        LessonView {
            attachments: serde_json::from_str(&self.attachments).unwrap_or_default(),
            body: editable.then_some(self.body),
            id: self.id,
            module_id: self.module_id,
            course_id: self.course_id,
            title: self.title,
            body_html: self.body_html,
            video_url: self.video_url,
            video_embed_url: self.video_embed_url,
            estimated_minutes: self.estimated_minutes,
            required: self.required != 0,
            published: self.published != 0,
            position: self.position,
            completed,
            updated_at: time::rfc3339(self.updated_at),
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LessonDetails {
    pub title: Option<String>,
    /// Markdown; rendered and sanitized for readers.
    pub body: Option<String>,
    /// A YouTube or Vimeo link; empty text removes it.
    pub video_url: Option<String>,
    pub attachments: Option<Vec<Attachment>>,
    /// 1 to 600.
    pub estimated_minutes: Option<i64>,
    /// Whether it counts towards completing the course (default true).
    pub required: Option<bool>,
    /// Whether students see it (default true).
    pub published: Option<bool>,
}

impl LessonDetails {
    fn apply(self, lesson: &mut LessonRow) -> Result<()> {
        let mut checks = Checks::default();
        if let Some(title) = &self.title {
            if let Some(title) = checks.check(domain::required_text("title", title, 200)) {
                lesson.title = title;
            }
        }
        if let Some(body) = &self.body {
            if let Some(body) = checks.check(domain::bounded_text("body", body, 200_000)) {
                lesson.body_html = content::render_markdown(&body);
                lesson.body = body;
            }
        }
        if let Some(link) = &self.video_url {
            if link.trim().is_empty() {
                lesson.video_url = None;
                lesson.video_embed_url = None;
            } else if let Some(embed) = checks.check(content::video_embed("video_url", link)) {
                lesson.video_url = Some(link.trim().to_owned());
                lesson.video_embed_url = Some(embed);
            }
        }
        if let Some(attachments) = &self.attachments {
            if attachments.len() > 20 {
                checks.push(FieldError::new(
                    "attachments",
                    "too_many",
                    "at most 20 attachments",
                ));
            }
            let mut clean = Vec::with_capacity(attachments.len());
            for (i, attachment) in attachments.iter().enumerate() {
                let name = checks.check(domain::required_text(
                    &format!("attachments[{i}].name"),
                    &attachment.name,
                    200,
                ));
                let url = checks.check(content::web_link(
                    &format!("attachments[{i}].url"),
                    &attachment.url,
                ));
                if let (Some(name), Some(url)) = (name, url) {
                    clean.push(Attachment { name, url });
                }
            }
            lesson.attachments = serde_json::to_string(&clean).map_err(anyhow::Error::from)?;
        }
        if self.estimated_minutes.is_some() {
            lesson.estimated_minutes = checks
                .check(domain::minutes("estimated_minutes", self.estimated_minutes))
                .flatten();
        }
        if let Some(required) = self.required {
            lesson.required = i64::from(required);
        }
        if let Some(published) = self.published {
            lesson.published = i64::from(published);
        }
        checks.finish()
    }
}

/// Appends a lesson to a module.
#[utoipa::path(post, path = "/api/v1/modules/{id}/lessons", tag = "courses", params(("id" = String, Path)), request_body = LessonDetails, security(("bearer" = [])),
    responses((status = 201, body = LessonView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(module_id): Path<String>,
    Json(details): Json<LessonDetails>,
) -> Result<(StatusCode, Json<LessonView>)> {
    let (module, access) = editable_module(&courses, &caller, &module_id).await?;
    if details.title.is_none() {
        return Err(Error::invalid(
            "title",
            "required",
            "a lesson needs a title",
        ));
    }
    let now = time::now_ms();
    let mut lesson = LessonRow {
        id: id::new_id_string(),
        module_id: module.id.clone(),
        course_id: module.course_id.clone(),
        title: String::new(),
        body: String::new(),
        body_html: String::new(),
        video_url: None,
        video_embed_url: None,
        attachments: "[]".into(),
        estimated_minutes: None,
        required: 1,
        published: 1,
        position: 0,
        updated_at: now,
    };
    details.apply(&mut lesson)?;
    let mut uow = courses.db.begin().await?;
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(position) FROM lessons WHERE module_id = $1")
            .bind(&module.id)
            .fetch_one(uow.conn())
            .await?;
    lesson.position = last.map_or(0, |p| p + 1);
    sqlx::query(&format!(
        "INSERT INTO lessons ({LESSON_COLUMNS}, school_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14)"
    ))
    .bind(&lesson.id)
    .bind(&lesson.module_id)
    .bind(&lesson.course_id)
    .bind(&lesson.title)
    .bind(&lesson.body)
    .bind(&lesson.body_html)
    .bind(&lesson.video_url)
    .bind(&lesson.video_embed_url)
    .bind(&lesson.attachments)
    .bind(lesson.estimated_minutes)
    .bind(lesson.required)
    .bind(lesson.published)
    .bind(lesson.position)
    .bind(now)
    .bind(&access.course().school_id)
    .execute(uow.conn())
    .await?;
    if lesson.published != 0 {
        announce(&mut uow, &access, &lesson).await?;
    }
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
    Ok((StatusCode::CREATED, Json(lesson.view(true, false))))
}

/// Records LessonPublished when students of a published course can now see the lesson.
async fn announce(uow: &mut UnitOfWork, access: &CourseAccess, lesson: &LessonRow) -> Result<()> {
    if access.visibility() == Visibility::Published {
        uow.record(
            &access.course().school_id,
            &LessonPublished {
                lesson_id: lesson.id.clone(),
                module_id: lesson.module_id.clone(),
                course_id: lesson.course_id.clone(),
                school_id: access.course().school_id.clone(),
                title: lesson.title.clone(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The lesson with its course; `fresh` for changes, which must not build on a cached course.
async fn lesson_for(
    courses: &Courses,
    caller: &Caller,
    lesson_id: &str,
    fresh: bool,
) -> Result<(LessonRow, CourseAccess)> {
    let lesson: LessonRow = sqlx::query_as(&format!(
        "SELECT {LESSON_COLUMNS} FROM lessons WHERE id = $1 AND school_id = $2"
    ))
    .bind(lesson_id)
    .bind(&caller.school_id)
    .fetch_optional(courses.db.pool())
    .await?
    .ok_or(Error::NotFound { what: "lesson" })?;
    let access = if fresh {
        CourseAccess::load_fresh(courses, caller, &lesson.course_id).await
    } else {
        CourseAccess::load(courses, caller, &lesson.course_id).await
    }
    .map_err(|_| Error::NotFound { what: "lesson" })?;
    // An unpublished lesson is as invisible to students as a missing one.
    if lesson.published == 0 && !access.is_staff() {
        return Err(Error::NotFound { what: "lesson" });
    }
    Ok((lesson, access))
}

/// One lesson with its rendered body. Members of the course (or anyone in the school, for a
/// public course) may read it; a lesson in a module still locked for the caller answers 403.
#[utoipa::path(get, path = "/api/v1/lessons/{id}", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = LessonView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<LessonView>> {
    let (lesson, access) = lesson_for(&courses, &caller, &id, false).await?;
    access.require_lessons()?;
    let mut completed = false;
    if access.is_student() {
        let standing =
            progress::Standing::load(&courses.db, &access.outline, &caller.user_id).await?;
        if standing.is_locked(&lesson.module_id) {
            return Err(Error::forbidden(
                "complete the previous module to open this lesson",
            ));
        }
        completed = standing.has_completed(&lesson.id);
    }
    let editable = access.require_teacher().is_ok();
    Ok(Json(lesson.view(editable, completed)))
}

/// Changes a lesson; only the fields given.
#[utoipa::path(patch, path = "/api/v1/lessons/{id}", tag = "courses", params(("id" = String, Path)), request_body = LessonDetails, security(("bearer" = [])),
    responses((status = 200, body = LessonView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
    Json(details): Json<LessonDetails>,
) -> Result<Json<LessonView>> {
    let (mut lesson, access) = lesson_for(&courses, &caller, &id, true).await?;
    access.require_teacher()?;
    access.require_open()?;
    let was_published = lesson.published != 0;
    details.apply(&mut lesson)?;
    lesson.updated_at = time::now_ms();
    let mut uow = courses.db.begin().await?;
    sqlx::query(
        "UPDATE lessons SET title = $1, body = $2, body_html = $3, video_url = $4, video_embed_url = $5, \
         attachments = $6, estimated_minutes = $7, required = $8, published = $9, updated_at = $10 \
         WHERE id = $11",
    )
    .bind(&lesson.title)
    .bind(&lesson.body)
    .bind(&lesson.body_html)
    .bind(&lesson.video_url)
    .bind(&lesson.video_embed_url)
    .bind(&lesson.attachments)
    .bind(lesson.estimated_minutes)
    .bind(lesson.required)
    .bind(lesson.published)
    .bind(lesson.updated_at)
    .bind(&lesson.id)
    .execute(uow.conn())
    .await?;
    if !was_published && lesson.published != 0 {
        announce(&mut uow, &access, &lesson).await?;
    }
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
    Ok(Json(lesson.view(true, false)))
}

/// Removes a lesson and the progress recorded on it.
#[utoipa::path(delete, path = "/api/v1/lessons/{id}", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let (lesson, access) = lesson_for(&courses, &caller, &id, true).await?;
    access.require_teacher()?;
    access.require_open()?;
    let mut uow = courses.db.begin().await?;
    sqlx::query("DELETE FROM completions WHERE lesson_id = $1")
        .bind(&lesson.id)
        .execute(uow.conn())
        .await?;
    sqlx::query("DELETE FROM lessons WHERE id = $1")
        .bind(&lesson.id)
        .execute(uow.conn())
        .await?;
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LessonOrder {
    /// Every lesson of the module, each once, in the new order.
    pub lesson_ids: Vec<String>,
}

/// Puts a module's lessons in a new order. The list must name each lesson exactly once.
#[utoipa::path(put, path = "/api/v1/modules/{id}/lessons/order", tag = "courses", params(("id" = String, Path)), request_body = LessonOrder, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn reorder_lessons(
    State(courses): State<Courses>,
    caller: Caller,
    Path(module_id): Path<String>,
    Json(order): Json<LessonOrder>,
) -> Result<StatusCode> {
    let (module, access) = editable_module(&courses, &caller, &module_id).await?;
    let mut uow = courses.db.begin().await?;
    let current: Vec<(String,)> = sqlx::query_as("SELECT id FROM lessons WHERE module_id = $1")
        .bind(&module.id)
        .fetch_all(uow.conn())
        .await?;
    reorder(
        &mut uow,
        "lessons",
        "lesson_ids",
        current,
        &order.lesson_ids,
    )
    .await?;
    touch(&mut uow, access.course()).await?;
    uow.commit().await?;
    courses
        .caches
        .forget_course(&access.course().school_id, &access.course().id);
    Ok(StatusCode::NO_CONTENT)
}

/// Copies a course's modules and lessons into `copy`, with new ids, in the same order.
pub async fn copy(uow: &mut UnitOfWork, from_course: &str, copy: &CourseRow) -> Result<()> {
    let now = time::now_ms();
    let modules: Vec<store::ModuleRow> = sqlx::query_as(
        "SELECT id, course_id, title, position, requires_previous FROM modules WHERE course_id = $1",
    )
    .bind(from_course)
    .fetch_all(uow.conn())
    .await?;
    for module in modules {
        let module_id = id::new_id_string();
        sqlx::query(
            "INSERT INTO modules (id, course_id, school_id, title, position, requires_previous, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&module_id)
        .bind(&copy.id)
        .bind(&copy.school_id)
        .bind(&module.title)
        .bind(module.position)
        .bind(module.requires_previous)
        .bind(now)
        .execute(uow.conn())
        .await?;
        let lessons: Vec<LessonRow> = sqlx::query_as(&format!(
            "SELECT {LESSON_COLUMNS} FROM lessons WHERE module_id = $1"
        ))
        .bind(&module.id)
        .fetch_all(uow.conn())
        .await?;
        for lesson in lessons {
            sqlx::query(&format!(
                "INSERT INTO lessons ({LESSON_COLUMNS}, school_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14)"
            ))
            .bind(id::new_id_string())
            .bind(&module_id)
            .bind(&copy.id)
            .bind(&lesson.title)
            .bind(&lesson.body)
            .bind(&lesson.body_html)
            .bind(&lesson.video_url)
            .bind(&lesson.video_embed_url)
            .bind(&lesson.attachments)
            .bind(lesson.estimated_minutes)
            .bind(lesson.required)
            .bind(lesson.published)
            .bind(lesson.position)
            .bind(now)
            .bind(&copy.school_id)
            .execute(uow.conn())
            .await?;
        }
    }
    Ok(())
}
