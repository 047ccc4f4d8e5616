//! Courses themselves: creating, changing, publishing, archiving and duplicating them, the
//! school's catalogue, and one course with its outline.

use campus_contracts::courses::{
    CourseArchived, CourseCreated, CoursePublished, CourseUpdated, EnrollmentGranted,
    LessonPublished,
};
use std::collections::HashSet;

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{
    auth::Permission,
    error::Checks,
    error::Problem,
    http::{Json, Query},
    id,
    pagination::{self, Page},
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::CourseAccess,
    content,
    domain::{self, CourseRole, EnrollmentMode, Visibility},
    progress,
    shelf::ShelvedCourse,
    store::{self, CourseRow, LessonHead, COURSE_COLUMNS},
    Courses,
};

pub fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_courses, create_course))
        .routes(routes!(get_course, update_course))
        .routes(routes!(publish_course))
        .routes(routes!(archive_course))
        .routes(routes!(duplicate_course))
        .routes(routes!(rotate_enrollment_code))
        .with_state(courses)
}

/// A course as the catalogue lists it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourseSummary {
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
    /// The caller's role in the course, if they have a place in it.
    pub my_role: Option<CourseRole>,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
}

impl CourseSummary {
    fn of(row: &CourseRow, my_role: Option<CourseRole>) -> Self {
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
            my_role,
            created_at: time::rfc3339(row.created_at),
            updated_at: time::rfc3339(row.updated_at),
            published_at: row.published_at.map(time::rfc3339),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Most recently created first (the default).
    #[default]
    Newest,
    Oldest,
    /// By title, A to Z.
    Title,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CatalogueQuery {
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tag: Option<String>,
    /// Words from the title, summary or tags.
    pub q: Option<String>,
    /// `draft`, `published` or `archived`; by default published courses and the drafts the
    /// caller runs.
    pub visibility: Option<Visibility>,
    /// Only courses the caller has a place in.
    pub mine: Option<bool>,
    pub sort: Option<Sort>,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// The school's catalogue: published courses for everyone, plus the drafts the caller teaches
/// (all drafts for the school's admins). Filter by subject, grade level, tag and text; sort by
/// newest, oldest or title; page with `cursor`.
#[utoipa::path(get, path = "/api/v1/courses", tag = "courses", params(CatalogueQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<CourseSummary>), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn list_courses(
    State(courses): State<Courses>,
    caller: Caller,
    Query(query): Query<CatalogueQuery>,
) -> Result<Json<Page<CourseSummary>>> {
    let limit = pagination::limit(query.limit)?;
    let shelf = courses.caches.shelf(&courses.db, &caller.school_id).await?;
    let places = courses
        .caches
        .places(&courses.db, &caller.school_id, &caller.user_id)
        .await?;
    let admin = caller.is_admin();
    let subject = normalised(query.subject);
    let grade = normalised(query.grade_level);
    let tag = normalised(query.tag);
    let text = normalised(query.q);
    let mine = query.mine.unwrap_or(false);
    let cursor = query.cursor.unwrap_or_default();
    let listed = |course: &ShelvedCourse| {
        let row = &course.row;
        let visibility = row.visibility;
        let place = places.get(&row.id).copied();
        // The rule of `CourseAccess::can_see`, applied to the whole shelf.
        let visible = match visibility {
            Visibility::Published => true,
            Visibility::Draft => admin || course.staff.contains(&caller.user_id),
            Visibility::Archived => admin || place.is_some(),
        };
        let wanted_visibility = match query.visibility {
            None => visibility != Visibility::Archived,
            Some(asked) => visibility == asked,
        };
        let matches = |value: &Option<String>, wanted: &str| {
            wanted.is_empty() || value.as_deref().is_some_and(|v| v.to_lowercase() == wanted)
        };
        visible
            && wanted_visibility
            && (!mine || place.is_some())
            && matches(&row.subject, &subject)
            && matches(&row.grade_level, &grade)
            && (tag.is_empty() || course.tags.contains(&tag))
            && (text.is_empty() || course.search_text.contains(&text))
    };
    let ordered: Box<dyn Iterator<Item = &ShelvedCourse>> = match query.sort.unwrap_or_default() {
        Sort::Newest => Box::new(
            shelf
                .courses
                .iter()
                .rev()
                .filter(|c| cursor.is_empty() || c.row.id < cursor),
        ),
        Sort::Oldest => Box::new(shelf.courses.iter().filter(|c| c.row.id > cursor)),
        Sort::Title => {
            // Resume after the cursor's course; an unknown cursor has nothing after it.
            let after = (!cursor.is_empty()).then(|| {
                shelf
                    .courses
                    .iter()
                    .find(|c| c.row.id == cursor)
                    .map(|c| (c.sort_title.as_str(), c.row.id.as_str()))
            });
            Box::new(shelf.by_title.iter().map(|&i| &shelf.courses[i]).filter(
                move |c| match after {
                    None => true,
                    Some(None) => false,
                    Some(Some(key)) => (c.sort_title.as_str(), c.row.id.as_str()) > key,
                },
            ))
        }
    };
    let wanted = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let page: Vec<&ShelvedCourse> = ordered.filter(|c| listed(c)).take(wanted).collect();
    let page = Page::of(page, limit, |c| c.row.id.clone())
        .map(|c| CourseSummary::of(&c.row, places.get(&c.row.id).copied()));
    Ok(Json(page))
}

fn normalised(filter: Option<String>) -> String {
    filter.map(|f| f.trim().to_lowercase()).unwrap_or_default()
}

/// A course with everything a reader of it needs: its details, its teachers and its outline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourseView {
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
pub struct Person {
    pub user_id: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModuleOutline {
    pub id: String,
    pub title: String,
    pub position: i64,
    pub requires_previous: bool,
    /// For students: whether the module waits for the previous one to be completed.
    pub locked: bool,
    pub lessons: Vec<LessonOutline>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LessonOutline {
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

/// One course and its outline (modules and lesson titles). Drafts answer 404 to students.
#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn get_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load(&courses, &caller, &id).await?;
    Ok(Json(view(&courses, &caller, &access).await?))
}

async fn view(courses: &Courses, caller: &Caller, access: &CourseAccess) -> Result<CourseView> {
    let course = access.course();
    let outline = &access.outline;
    let completed: HashSet<String> = if access.membership.is_some() {
        store::completed_lessons(&courses.db, &course.id, &caller.user_id)
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
    let standing = progress::Standing::of(&outline.modules, &outline.lessons, &completed);
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

/// What a teacher gives to start a course. Only `title` is required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CourseDetails {
    pub title: Option<String>,
    pub summary: Option<String>,
    /// Markdown; rendered and sanitized for readers.
    pub description: Option<String>,
    /// Empty text clears it.
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tags: Option<Vec<String>>,
    pub cover_image_url: Option<String>,
    /// A language tag such as `en` or `fr-CA`.
    pub language: Option<String>,
    /// `open` (default), `code` or `closed`.
    pub enrollment_mode: Option<EnrollmentMode>,
    /// Whether anyone in the school may read the lessons (default false: members only).
    pub public: Option<bool>,
    /// 0 (default) for free; a paid course cannot be self-enrolled until billing runs.
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
}

impl CourseDetails {
    /// Applies these details over `course`, checking every field given.
    fn apply(self, course: &mut CourseRow) -> Result<()> {
        let mut checks = Checks::default();
        if let Some(title) = &self.title {
            if let Some(title) = checks.check(domain::required_text("title", title, 200)) {
                course.title = title;
            }
        }
        if let Some(summary) = &self.summary {
            if let Some(summary) = checks.check(domain::bounded_text("summary", summary, 500)) {
                course.summary = summary;
            }
        }
        if let Some(description) = &self.description {
            if let Some(text) =
                checks.check(domain::bounded_text("description", description, 50_000))
            {
                course.description_html = content::render_markdown(&text);
                course.description = text;
            }
        }
        if let Some(subject) = &self.subject {
            if let Some(subject) =
                checks.check(domain::optional_label("subject", Some(subject), 80))
            {
                course.subject = subject;
            }
        }
        if let Some(grade) = &self.grade_level {
            if let Some(grade) =
                checks.check(domain::optional_label("grade_level", Some(grade), 40))
            {
                course.grade_level = grade;
            }
        }
        if let Some(tags) = &self.tags {
            if let Some(tags) = checks.check(domain::tags("tags", tags)) {
                course.tags = serde_json::to_string(&tags).map_err(anyhow::Error::from)?;
            }
        }
        if let Some(link) = &self.cover_image_url {
            course.cover_image_url = if link.trim().is_empty() {
                None
            } else {
                checks.check(content::web_link("cover_image_url", link))
            };
        }
        if let Some(language) = &self.language {
            if let Some(language) = checks.check(domain::language("language", Some(language))) {
                course.language = language;
            }
        }
        if let Some(mode) = self.enrollment_mode {
            course.enrollment_mode = mode;
        }
        if let Some(public) = self.public {
            course.public = i64::from(public);
        }
        if self.price_cents.is_some() || self.currency.is_some() {
            let cents = self.price_cents.unwrap_or(course.price_cents);
            let currency = match &self.currency {
                Some(currency) => Some(currency.as_str()),
                None => course.currency.as_deref(),
            };
            if let Some((cents, currency)) = checks.check(domain::price(cents, currency)) {
                course.price_cents = cents;
                course.currency = currency;
            }
        }
        checks.finish()
    }
}

/// Starts a course as a draft, with the caller as its teacher.
#[utoipa::path(post, path = "/api/v1/courses", tag = "courses", request_body = CourseDetails, security(("bearer" = [])),
    responses((status = 201, body = CourseView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_course(
    State(courses): State<Courses>,
    caller: Caller,
    Json(details): Json<CourseDetails>,
) -> Result<(StatusCode, Json<CourseView>)> {
    caller.require(Permission::Teach)?;
    if details.title.is_none() {
        return Err(Error::invalid(
            "title",
            "required",
            "a course needs a title",
        ));
    }
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
    let mut uow = courses.db.begin().await?;
    insert_course(&mut uow, &course).await?;
    add_teacher(&mut uow, &course, &caller.user_id).await?;
    uow.record(
        &course.school_id,
        &CourseCreated {
            course_id: course.id.clone(),
            school_id: course.school_id.clone(),
            title: course.title.clone(),
            created_by: caller.user_id.clone(),
            copied_from: None,
        },
    )
    .await?;
    uow.commit().await?;
    courses.caches.forget_course(&caller.school_id, &course.id);
    courses
        .caches
        .forget_places(&caller.school_id, &caller.user_id);
    let access = CourseAccess::load(&courses, &caller, &course.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&courses, &caller, &access).await?),
    ))
}

async fn insert_course(
    uow: &mut campus_platform::db::UnitOfWork,
    course: &CourseRow,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO courses ({COURSE_COLUMNS}, sort_title, search_text) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, '', '')"
    ))
    .bind(&course.id)
    .bind(&course.school_id)
    .bind(&course.title)
    .bind(&course.summary)
    .bind(&course.description)
    .bind(&course.description_html)
    .bind(&course.subject)
    .bind(&course.grade_level)
    .bind(&course.tags)
    .bind(&course.cover_image_url)
    .bind(&course.language)
    .bind(course.visibility.as_str())
    .bind(course.public)
    .bind(course.enrollment_mode.as_str())
    .bind(&course.enrollment_code)
    .bind(course.price_cents)
    .bind(&course.currency)
    .bind(&course.created_by)
    .bind(course.created_at)
    .bind(course.updated_at)
    .bind(course.published_at)
    .execute(uow.conn())
    .await?;
    store::index_course(
        uow.conn(),
        &course.id,
        &course.school_id,
        &course.title,
        &course.summary,
        &course.tag_list(),
    )
    .await
}

/// Gives the course's creator their place as its teacher, and says so.
async fn add_teacher(
    uow: &mut campus_platform::db::UnitOfWork,
    course: &CourseRow,
    user_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO members (course_id, user_id, school_id, role, joined_at) VALUES ($1, $2, $3, 'teacher', $4)",
    )
    .bind(&course.id)
    .bind(user_id)
    .bind(&course.school_id)
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    uow.record(
        &course.school_id,
        &EnrollmentGranted {
            course_id: course.id.clone(),
            school_id: course.school_id.clone(),
            user_id: user_id.to_owned(),
            course_role: CourseRole::Teacher,
            source: "teacher".into(),
        },
    )
    .await?;
    Ok(())
}

/// Changes the course's details; only the fields given. Teachers of the course and admins.
#[utoipa::path(patch, path = "/api/v1/courses/{id}", tag = "courses", params(("id" = String, Path)), request_body = CourseDetails, security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
    Json(details): Json<CourseDetails>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    access.require_open()?;
    let mut course = access.course().clone();
    details.apply(&mut course)?;
    course.updated_at = time::now_ms();
    let mut uow = courses.db.begin().await?;
    sqlx::query(
        "UPDATE courses SET title = $1, summary = $2, description = $3, description_html = $4, \
         subject = $5, grade_level = $6, tags = $7, cover_image_url = $8, language = $9, \
         enrollment_mode = $10, public = $11, price_cents = $12, currency = $13, updated_at = $14 \
         WHERE id = $15 AND school_id = $16",
    )
    .bind(&course.title)
    .bind(&course.summary)
    .bind(&course.description)
    .bind(&course.description_html)
    .bind(&course.subject)
    .bind(&course.grade_level)
    .bind(&course.tags)
    .bind(&course.cover_image_url)
    .bind(&course.language)
    .bind(course.enrollment_mode.as_str())
    .bind(course.public)
    .bind(course.price_cents)
    .bind(&course.currency)
    .bind(course.updated_at)
    .bind(&course.id)
    .bind(&course.school_id)
    .execute(uow.conn())
    .await?;
    store::index_course(
        uow.conn(),
        &course.id,
        &course.school_id,
        &course.title,
        &course.summary,
        &course.tag_list(),
    )
    .await?;
    uow.record(&course.school_id, &updated_event(&course))
        .await?;
    uow.commit().await?;
    courses.caches.forget_course(&caller.school_id, &id);
    let access = CourseAccess::load(&courses, &caller, &id).await?;
    Ok(Json(view(&courses, &caller, &access).await?))
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
    }
}

/// Makes the course visible to the school (also brings back an archived course). Its
/// published lessons are announced with it, as they become visible to students now.
#[utoipa::path(post, path = "/api/v1/courses/{id}/publish", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn publish_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    if access.visibility() != Visibility::Published {
        let course = access.course();
        let now = time::now_ms();
        let mut uow = courses.db.begin().await?;
        sqlx::query(
            "UPDATE courses SET visibility = 'published', published_at = COALESCE(published_at, $1), \
             updated_at = $1 WHERE id = $2 AND school_id = $3",
        )
        .bind(now)
        .bind(&course.id)
        .bind(&course.school_id)
        .execute(uow.conn())
        .await?;
        uow.record(
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
            },
        )
        .await?;
        let lessons: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT l.id, l.module_id, l.title FROM lessons l JOIN modules m ON m.id = l.module_id \
             WHERE l.course_id = $1 AND l.published = 1 ORDER BY m.position, l.position",
        )
        .bind(&course.id)
        .fetch_all(uow.conn())
        .await?;
        for (lesson_id, module_id, title) in lessons {
            uow.record(
                &course.school_id,
                &LessonPublished {
                    lesson_id,
                    module_id,
                    course_id: course.id.clone(),
                    school_id: course.school_id.clone(),
                    title,
                },
            )
            .await?;
        }
        uow.commit().await?;
        courses.caches.forget_course(&caller.school_id, &id);
    }
    let access = CourseAccess::load(&courses, &caller, &id).await?;
    Ok(Json(view(&courses, &caller, &access).await?))
}

/// Closes the course: it leaves the catalogue, members keep read access, nothing changes.
#[utoipa::path(post, path = "/api/v1/courses/{id}/archive", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn archive_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourseView>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    if access.visibility() != Visibility::Archived {
        let course = access.course();
        let mut uow = courses.db.begin().await?;
        sqlx::query(
            "UPDATE courses SET visibility = 'archived', updated_at = $1 WHERE id = $2 AND school_id = $3",
        )
        .bind(time::now_ms())
        .bind(&course.id)
        .bind(&course.school_id)
        .execute(uow.conn())
        .await?;
        uow.record(
            &course.school_id,
            &CourseArchived {
                course_id: course.id.clone(),
                school_id: course.school_id.clone(),
            },
        )
        .await?;
        uow.commit().await?;
        courses.caches.forget_course(&caller.school_id, &id);
    }
    let access = CourseAccess::load(&courses, &caller, &id).await?;
    Ok(Json(view(&courses, &caller, &access).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DuplicateRequest {
    /// The copy's title; by default the original's with " (copy)".
    pub title: Option<String>,
}

/// Copies the course's details, modules and lessons into a new draft for a new term. No
/// members, progress or announcements are copied; the caller is the copy's teacher.
#[utoipa::path(post, path = "/api/v1/courses/{id}/duplicate", tag = "courses", params(("id" = String, Path)), request_body = DuplicateRequest, security(("bearer" = [])),
    responses((status = 201, body = CourseView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn duplicate_course(
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
        Some(title) => {
            domain::required_text("title", title, 200).map_err(|e| Error::Validation(vec![e]))?
        }
        None => {
            let mut title = format!("{} (copy)", original.title);
            if title.chars().count() > 200 {
                title = title.chars().take(200).collect();
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
    let mut uow = courses.db.begin().await?;
    insert_course(&mut uow, &copy).await?;
    add_teacher(&mut uow, &copy, &caller.user_id).await?;
    crate::outline::copy(&mut uow, &original.id, &copy).await?;
    uow.record(
        &copy.school_id,
        &CourseCreated {
            course_id: copy.id.clone(),
            school_id: copy.school_id.clone(),
            title: copy.title.clone(),
            created_by: caller.user_id.clone(),
            copied_from: Some(original.id.clone()),
        },
    )
    .await?;
    uow.commit().await?;
    courses.caches.forget_course(&caller.school_id, &copy.id);
    courses
        .caches
        .forget_places(&caller.school_id, &caller.user_id);
    let access = CourseAccess::load(&courses, &caller, &copy.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&courses, &caller, &access).await?),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentCode {
    pub enrollment_code: String,
}

/// Replaces the course's enrollment code; the old one stops working.
#[utoipa::path(post, path = "/api/v1/courses/{id}/enrollment-code", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = EnrollmentCode), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn rotate_enrollment_code(
    State(courses): State<Courses>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentCode>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &id).await?;
    access.require_teacher()?;
    let code = id::short_code();
    sqlx::query(
        "UPDATE courses SET enrollment_code = $1, updated_at = $2 WHERE id = $3 AND school_id = $4",
    )
    .bind(&code)
    .bind(time::now_ms())
    .bind(&access.course().id)
    .bind(&access.course().school_id)
    .execute(courses.db.pool())
    .await?;
    Ok(Json(EnrollmentCode {
        enrollment_code: code,
    }))
}
