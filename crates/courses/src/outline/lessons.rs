//! Lessons: added to a module, read by students (a lesson in a locked module answers 403),
//! changed, reordered and removed. A lesson that students of a published course can newly see
//! is announced with LessonPublished.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::courses::{LessonPublished, LessonRevised, LessonWithdrawn};
use campus_platform::{
    error::{Checks, FieldError, Problem},
    http::Json,
    id, markdown,
    openapi::fields,
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_order, editable_module};
use crate::{
    access::CourseAccess,
    content,
    domain::{self, Visibility},
    progress::Standing,
    store::{
        self,
        outline::{LessonRow, Ordered},
        Change,
    },
    Courses,
};

/// A file or page that goes with a lesson, as readers see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Attachment {
    pub name: String,
    pub url: String,
}

/// An attachment as a teacher gives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAttachment {
    #[schema(schema_with = fields::required_text::<{ domain::TITLE_MAX }>)]
    pub name: String,
    /// An http or https address.
    #[schema(schema_with = fields::link::<{ domain::LINK_MAX }>)]
    pub url: String,
}

/// A lesson in full.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct LessonView {
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

impl LessonView {
    fn of(lesson: LessonRow, editable: bool, completed: bool) -> Self {
        Self {
            attachments: serde_json::from_str(&lesson.attachments).unwrap_or_default(),
            body: editable.then_some(lesson.body),
            id: lesson.id,
            module_id: lesson.module_id,
            course_id: lesson.course_id,
            title: lesson.title,
            body_html: lesson.body_html,
            video_url: lesson.video_url,
            video_embed_url: lesson.video_embed_url,
            estimated_minutes: lesson.estimated_minutes,
            required: lesson.required != 0,
            published: lesson.published != 0,
            position: lesson.position,
            completed,
            updated_at: time::rfc3339(lesson.updated_at),
        }
    }
}

/// A lesson's details. Adding a lesson needs a title ([`NewLesson`]); a change gives only the
/// fields it changes; `null` leaves a field as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LessonDetails {
    #[schema(schema_with = fields::optional_required_text::<{ domain::TITLE_MAX }>)]
    pub title: Option<String>,
    /// Markdown; rendered and sanitized for readers.
    #[schema(schema_with = fields::optional_text::<{ domain::LESSON_BODY_MAX }>)]
    pub body: Option<String>,
    /// A YouTube or Vimeo link to one video; blank removes it.
    #[schema(schema_with = video_link_schema)]
    pub video_url: Option<String>,
    #[schema(schema_with = attachments_schema)]
    pub attachments: Option<Vec<NewAttachment>>,
    /// How long the lesson takes, in minutes.
    #[schema(inline)]
    pub estimated_minutes: Option<domain::LessonMinutes>,
    /// Whether it counts towards completing the course (default true).
    pub required: Option<bool>,
    /// Whether students see it (default true).
    pub published: Option<bool>,
}

/// The video links `content::video` accepts.
fn video_link_schema() -> utoipa::openapi::Object {
    let id = "[A-Za-z0-9_-]{6,20}";
    let links = [
        format!(r"(www\.|m\.)?youtube\.com/watch\?v={id}"),
        format!(r"(www\.)?(youtube|youtube-nocookie)\.com/(embed|shorts|live)/{id}"),
        format!(r"(www\.)?youtu\.be/{id}"),
        r"(www\.)?vimeo\.com/[0-9]{1,12}".to_owned(),
        r"(www\.)?player\.vimeo\.com/video/[0-9]{1,12}".to_owned(),
    ];
    fields::optional_pattern(
        &format!(r"^(\s*|https?://({}))$", links.join("|")),
        domain::LINK_MAX,
    )
}

fn attachments_schema() -> utoipa::openapi::Array {
    let mut list = fields::optional_list(Default::default(), domain::ATTACHMENTS_MAX);
    list.items = utoipa::openapi::schema::ArrayItems::RefOrSchema(Box::new(
        utoipa::openapi::Ref::from_schema_name("NewAttachment").into(),
    ));
    list
}

/// A lesson's details with its title: what adding a lesson takes.
#[derive(Debug)]
pub(crate) struct NewLesson(LessonDetails);

impl<'de> Deserialize<'de> for NewLesson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let details = LessonDetails::deserialize(deserializer)?;
        if details.title.is_none() {
            return Err(serde::de::Error::missing_field("title"));
        }
        Ok(Self(details))
    }
}

impl utoipa::PartialSchema for NewLesson {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        campus_platform::openapi::requiring(
            <LessonDetails as utoipa::PartialSchema>::schema(),
            &[("title", fields::required_text::<{ domain::TITLE_MAX }>())],
        )
    }
}

impl ToSchema for NewLesson {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::Schema>)>) {
        <LessonDetails as ToSchema>::schemas(schemas);
        schemas.push((
            "NewAttachment".to_owned(),
            <NewAttachment as utoipa::PartialSchema>::schema(),
        ));
    }
}

impl LessonDetails {
    fn apply(self, lesson: &mut LessonRow) -> Result<()> {
        let mut checks = Checks::default();
        if let Some(title) = &self.title {
            if let Some(title) =
                checks.check(domain::required_text("title", title, domain::TITLE_MAX))
            {
                lesson.title = title;
            }
        }
        if let Some(body) = &self.body {
            if let Some(body) =
                checks.check(domain::bounded_text("body", body, domain::LESSON_BODY_MAX))
            {
                lesson.body_html = markdown::render(&body);
                lesson.body = body;
            }
        }
        if let Some(link) = &self.video_url {
            if link.trim().is_empty() {
                lesson.video_url = None;
                lesson.video_embed_url = None;
            } else if let Some(video) = checks.check(content::video("video_url", link)) {
                lesson.video_url = Some(video.link);
                lesson.video_embed_url = Some(video.embed);
            }
        }
        if let Some(attachments) = &self.attachments {
            if attachments.len() > domain::ATTACHMENTS_MAX {
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
                    domain::TITLE_MAX,
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
        if let Some(minutes) = self.estimated_minutes {
            lesson.estimated_minutes = Some(minutes.get());
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
#[utoipa::path(post, path = "/api/v1/modules/{id}/lessons", tag = "courses", params(("id" = String, Path)), request_body = NewLesson, security(("bearer" = [])),
    responses((status = 201, body = LessonView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn add_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(module_id): Path<String>,
    Json(NewLesson(details)): Json<NewLesson>,
) -> Result<(StatusCode, Json<LessonView>)> {
    let (module, access) = editable_module(&courses, &caller, &module_id).await?;
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
        updated_at: time::now_ms(),
    };
    details.apply(&mut lesson)?;
    let mut change = courses.change().await?;
    store::outline::add_lesson(&mut change, access.course(), &mut lesson).await?;
    if lesson.published != 0 {
        announce(&mut change, &access, &lesson).await?;
    }
    change.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(LessonView::of(lesson, true, false)),
    ))
}

/// Records LessonPublished when students of a published course can now see the lesson.
async fn announce(change: &mut Change, access: &CourseAccess, lesson: &LessonRow) -> Result<()> {
    if access.visibility() == Visibility::Published {
        change
            .record(
                &access.course().school_id,
                &LessonPublished {
                    lesson_id: lesson.id.clone(),
                    module_id: lesson.module_id.clone(),
                    course_id: lesson.course_id.clone(),
                    school_id: access.course().school_id.clone(),
                    title: lesson.title.clone(),
                    body: Some(lesson.body.clone()),
                },
            )
            .await?;
    }
    Ok(())
}

/// Tells the others what students of a published course now see of a lesson that changed:
/// newly published, revised, or gone (unpublished or removed: `lesson` is `None`).
pub(super) async fn announce_change(
    change: &mut Change,
    access: &CourseAccess,
    lesson_id: &str,
    before: bool,
    lesson: Option<&LessonRow>,
) -> Result<()> {
    if access.visibility() != Visibility::Published {
        return Ok(());
    }
    let school_id = &access.course().school_id;
    match lesson.filter(|lesson| lesson.published != 0) {
        Some(lesson) if !before => announce(change, access, lesson).await?,
        Some(lesson) => {
            change
                .record(
                    school_id,
                    &LessonRevised {
                        lesson_id: lesson.id.clone(),
                        module_id: lesson.module_id.clone(),
                        course_id: lesson.course_id.clone(),
                        school_id: school_id.clone(),
                        title: lesson.title.clone(),
                        body: lesson.body.clone(),
                    },
                )
                .await?;
        }
        None if before => {
            change
                .record(
                    school_id,
                    &LessonWithdrawn {
                        lesson_id: lesson_id.to_owned(),
                        course_id: access.course().id.clone(),
                        school_id: school_id.clone(),
                    },
                )
                .await?;
        }
        None => {}
    }
    Ok(())
}

/// The lesson with its course; `fresh` for changes, which must not build on a cached course.
/// An unpublished lesson is as invisible to students as a missing one.
async fn lesson_for(
    courses: &Courses,
    caller: &Caller,
    lesson_id: &str,
    fresh: bool,
) -> Result<(LessonRow, CourseAccess)> {
    let lesson = store::outline::lesson(&courses.db, &caller.school_id, lesson_id)
        .await?
        .ok_or(Error::NotFound { what: "lesson" })?;
    let access = if fresh {
        CourseAccess::load_fresh(courses, caller, &lesson.course_id).await
    } else {
        CourseAccess::load(courses, caller, &lesson.course_id).await
    }
    .map_err(|error| error.unseen_as("lesson"))?;
    if lesson.published == 0 && !access.is_staff() {
        return Err(Error::NotFound { what: "lesson" });
    }
    Ok((lesson, access))
}

/// One lesson with its rendered body. Members of the course (or anyone in the school, for a
/// public course) may read it; a lesson in a module still locked for the caller answers 403.
#[utoipa::path(get, path = "/api/v1/lessons/{id}", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = LessonView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn get_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<LessonView>> {
    let (lesson, access) = lesson_for(&courses, &caller, &id, false).await?;
    access.require_lessons()?;
    let mut completed = false;
    if access.is_student() {
        let standing = Standing::load(&courses.db, &access.outline, &caller.user_id).await?;
        if standing.is_locked(&lesson.module_id) {
            return Err(Error::forbidden(
                "complete the previous module to open this lesson",
            ));
        }
        completed = standing.has_completed(&lesson.id);
    }
    let editable = access.require_teacher().is_ok();
    Ok(Json(LessonView::of(lesson, editable, completed)))
}

/// Changes a lesson; only the fields given.
#[utoipa::path(patch, path = "/api/v1/lessons/{id}", tag = "courses", params(("id" = String, Path)), request_body = LessonDetails, security(("bearer" = [])),
    responses((status = 200, body = LessonView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn update_lesson(
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
    let mut change = courses.change().await?;
    store::outline::update_lesson(&mut change, access.course(), &lesson).await?;
    let id = lesson.id.clone();
    announce_change(&mut change, &access, &id, was_published, Some(&lesson)).await?;
    change.commit().await?;
    Ok(Json(LessonView::of(lesson, true, false)))
}

/// Removes a lesson and the progress recorded on it.
#[utoipa::path(delete, path = "/api/v1/lessons/{id}", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem)))]
pub(super) async fn delete_lesson(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let (lesson, access) = lesson_for(&courses, &caller, &id, true).await?;
    access.require_teacher()?;
    access.require_open()?;
    let mut change = courses.change().await?;
    store::outline::delete_lesson(&mut change, access.course(), &lesson.id).await?;
    announce_change(
        &mut change,
        &access,
        &lesson.id,
        lesson.published != 0,
        None,
    )
    .await?;
    change.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LessonOrder {
    /// Every lesson of the module, each once, in the new order.
    pub lesson_ids: Vec<String>,
}

/// Puts a module's lessons in a new order. The list must name each lesson exactly once.
#[utoipa::path(put, path = "/api/v1/modules/{id}/lessons/order", tag = "courses", params(("id" = String, Path)), request_body = LessonOrder, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn reorder_lessons(
    State(courses): State<Courses>,
    caller: Caller,
    Path(module_id): Path<String>,
    Json(order): Json<LessonOrder>,
) -> Result<StatusCode> {
    let (module, access) = editable_module(&courses, &caller, &module_id).await?;
    let mut change = courses.change().await?;
    let current = store::outline::lesson_ids(&mut change, &module.id).await?;
    check_order("lesson_ids", &current, &order.lesson_ids)?;
    store::outline::set_order(
        &mut change,
        access.course(),
        Ordered::Lessons,
        &order.lesson_ids,
    )
    .await?;
    change.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
