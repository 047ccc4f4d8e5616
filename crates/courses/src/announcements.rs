//! Course announcements: staff post them, members read them, newest first.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::courses::AnnouncementPosted;
use campus_platform::{
    error::{Checks, Problem},
    http::{Json, Query},
    id, markdown,
    openapi::fields,
    pagination::{self, Page},
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::CourseAccess,
    domain,
    store::{
        self,
        announcements::{AnnouncementRow, NewAnnouncement},
    },
    Courses,
};

pub(crate) fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_announcements, post_announcement))
        .with_state(courses)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Announcement {
    pub id: String,
    pub course_id: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub title: String,
    /// Rendered from Markdown and sanitized.
    pub body_html: String,
    pub created_at: String,
}

impl From<AnnouncementRow> for Announcement {
    fn from(row: AnnouncementRow) -> Self {
        Self {
            id: row.id,
            course_id: row.course_id,
            author_id: row.author_id,
            author_name: row.author_name,
            title: row.title,
            body_html: row.body_html,
            created_at: time::rfc3339(row.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct PageQuery {
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The course's announcements, newest first: for its members and staff.
#[utoipa::path(get, path = "/api/v1/courses/{id}/announcements", tag = "courses", params(("id" = String, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Announcement>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_announcements(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Announcement>>> {
    let access = CourseAccess::load(&courses, &caller, &course_id).await?;
    if access.membership.is_none() && !access.is_staff() {
        return Err(Error::forbidden(
            "announcements are for the course's members",
        ));
    }
    let limit = pagination::limit(query.limit);
    let before = query.cursor.unwrap_or_default();
    let rows = store::announcements::page(&courses.db, &course_id, &before, limit).await?;
    Ok(Json(
        Page::of(rows, limit, |row| row.id.clone()).map(Announcement::from),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAnnouncementRequest {
    #[schema(schema_with = fields::required_text::<{ domain::TITLE_MAX }>)]
    pub title: String,
    /// Markdown; rendered and sanitized for readers.
    #[schema(schema_with = fields::required_text::<{ domain::ANNOUNCEMENT_MAX }>)]
    pub body: String,
}

/// Posts an announcement to the course's members: teachers, assistants and admins.
#[utoipa::path(post, path = "/api/v1/courses/{id}/announcements", tag = "courses", params(("id" = String, Path)), request_body = NewAnnouncementRequest, security(("bearer" = [])),
    responses((status = 201, body = Announcement), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
async fn post_announcement(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(input): Json<NewAnnouncementRequest>,
) -> Result<(StatusCode, Json<Announcement>)> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    access.require_staff()?;
    access.require_open()?;
    let mut checks = Checks::default();
    let title = checks.check(domain::required_text(
        "title",
        &input.title,
        domain::TITLE_MAX,
    ));
    let body = checks.check(domain::required_text(
        "body",
        &input.body,
        domain::ANNOUNCEMENT_MAX,
    ));
    checks.finish()?;
    let (title, body) = (title.unwrap_or_default(), body.unwrap_or_default());
    let body_html = markdown::render(&body);
    let id = id::new_id_string();
    let now = time::now_ms();
    let mut change = courses.change().await?;
    store::announcements::insert(
        &mut change,
        &NewAnnouncement {
            id: &id,
            course_id: &course_id,
            school_id: &caller.school_id,
            author_id: &caller.user_id,
            title: &title,
            body: &body,
            body_html: &body_html,
            created_at: now,
        },
    )
    .await?;
    change
        .record(
            &caller.school_id,
            &AnnouncementPosted {
                announcement_id: id.clone(),
                course_id: course_id.clone(),
                school_id: caller.school_id.clone(),
                author_id: caller.user_id.clone(),
                title: title.clone(),
            },
        )
        .await?;
    change.commit().await?;
    let author = courses
        .people
        .person(&caller.school_id, &caller.user_id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Announcement {
            id,
            course_id,
            author_id: caller.user_id,
            author_name: author.map(|person| person.display_name.clone()),
            title,
            body_html,
            created_at: time::rfc3339(now),
        }),
    ))
}
