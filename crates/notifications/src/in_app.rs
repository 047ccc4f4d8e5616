//! The in-app channel: a person's notifications, newest first, with their unread count, and
//! marking one or all of them read. Only the person sees theirs.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{
    db::Db,
    error::Problem,
    http::{Json, Query},
    pagination::{self, Page},
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    wording::{self, About},
    Notifications,
};

pub(crate) fn routes(notifications: Notifications) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
        .routes(routes!(crate::socket::open_socket))
        .with_state(notifications)
}

/// A notification as its reader sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Notification {
    pub id: String,
    /// `assignments`, `submissions`, `grades`, `announcements`, `courses`, `deadlines` or
    /// `mentions`.
    pub category: String,
    /// `assignment_published`, `quiz_published`, `assignment_submitted`, `submission_graded`,
    /// `quiz_graded`, `announcement_posted`, `enrolled`, `assignment_due_soon` or `quiz_due_soon`.
    pub kind: String,
    /// What it says, in the reader's language.
    pub text: String,
    /// How many similar events it stands for (a burst in one course collapses into one).
    pub count: i64,
    pub course_id: Option<String>,
    /// The assignment, quiz, announcement or course it is about.
    pub subject_id: Option<String>,
    /// The page to open it on.
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A notification as stored, before it is worded for its reader.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NotificationRow {
    pub id: String,
    pub category: String,
    pub kind: String,
    pub course_id: Option<String>,
    pub subject_id: Option<String>,
    pub title: String,
    pub course_title: Option<String>,
    pub count: i64,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// The columns of a [`NotificationRow`], for a query on `notifications n` joined with the
/// roster's `roster_courses c` (the course's current title).
pub(crate) const ROW_COLUMNS: &str = "n.id, n.category, n.kind, n.course_id, n.subject_id, \
     n.title, COALESCE(c.title, n.course_title) AS course_title, n.count, n.created_at, n.read_at";

impl NotificationRow {
    pub(crate) fn shown(self, locale: Option<&str>) -> Notification {
        let text = wording::text(
            &About {
                kind: &self.kind,
                count: self.count,
                title: &self.title,
                course_title: self.course_title.as_deref(),
            },
            locale,
        );
        let subject = self.subject_id.clone().unwrap_or_default();
        let course = self.course_id.clone().unwrap_or_default();
        let link = match self.kind.as_str() {
            "assignment_published" | "submission_graded" | "assignment_submitted"
                if self.count == 1 =>
            {
                format!("/assignments/{subject}")
            }
            "quiz_published" | "quiz_graded" | "quiz_due_soon" if self.count == 1 => {
                format!("/quizzes/{subject}")
            }
            "assignment_due_soon" if self.count == 1 => format!("/assignments/{subject}"),
            "assignment_due_soon" | "quiz_due_soon" => "/calendar".to_owned(),
            "submission_graded" | "quiz_graded" => "/grades".to_owned(),
            "announcement_posted" => format!("/courses/{course}/announcements"),
            "mentioned" if self.count == 1 => format!("/posts/{subject}"),
            "mentioned" => "/feed".to_owned(),
            _ => format!("/courses/{course}"),
        };
        Notification {
            id: self.id,
            category: self.category,
            kind: self.kind,
            text,
            count: self.count,
            course_id: self.course_id,
            subject_id: self.subject_id,
            link,
            created_at: time::rfc3339(self.created_at),
            read_at: self.read_at.map(time::rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ListQuery {
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
    /// Only those not read yet.
    pub unread: Option<bool>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Notification>), (status = 401, body = Problem), (status = 422, description = "A malformed query (`limit` out of 1 to 200)", body = Problem)))]
async fn list_notifications(
    State(notifications): State<Notifications>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Notification>>> {
    let limit = pagination::limit(query.limit);
    let unread = if query.unread.unwrap_or(false) {
        " AND n.read_at IS NULL"
    } else {
        ""
    };
    let before = match query.cursor.as_deref() {
        Some(cursor) if !cursor.is_empty() => " AND n.id < $3",
        _ => "",
    };
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM notifications n LEFT JOIN roster_courses c ON c.course_id = n.course_id \
         WHERE n.user_id = $1 AND n.school_id = $2 AND n.in_app = 1{unread}{before} ORDER BY n.id DESC LIMIT {}",
        limit + 1
    );
    let mut rows = sqlx::query_as::<_, NotificationRow>(&sql)
        .bind(&caller.user_id)
        .bind(&caller.school_id);
    if !before.is_empty() {
        rows = rows.bind(query.cursor.unwrap_or_default());
    }
    let rows = rows.fetch_all(notifications.db.pool()).await?;
    let locale = locale_of(&notifications, &caller).await?;
    Ok(Json(
        Page::of(rows, limit, |row| row.id.clone()).map(|row| row.shown(locale.as_deref())),
    ))
}

/// The reader's language, as the people directory last heard it.
async fn locale_of(notifications: &Notifications, caller: &Caller) -> Result<Option<String>> {
    Ok(notifications
        .people
        .person(&caller.school_id, &caller.user_id)
        .await?
        .and_then(|person| person.locale.clone()))
}

/// How many of a person's notifications are unread.
pub(crate) async fn unread_of(db: &Db, school_id: &str, user_id: &str) -> Result<i64> {
    let (unread,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND school_id = $2 \
         AND in_app = 1 AND read_at IS NULL",
    )
    .bind(user_id)
    .bind(school_id)
    .fetch_one(db.pool())
    .await?;
    Ok(unread)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Unread {
    pub unread: i64,
}

/// How many of the caller's notifications are unread: the number on the bell.
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Unread), (status = 401, body = Problem)))]
async fn unread_count(
    State(notifications): State<Notifications>,
    caller: Caller,
) -> Result<Json<Unread>> {
    let unread = unread_of(&notifications.db, &caller.school_id, &caller.user_id).await?;
    Ok(Json(Unread { unread }))
}

/// What reading a notification in the app sets besides `read_at`: one not mailed yet is no
/// longer to be, and leaves the mail's waiting list (its partial index) at once, rather than
/// every look at the waiting mail searching it for what has been read since.
const NOT_TO_BE_MAILED: &str = "email = CASE WHEN emailed_at IS NULL THEN NULL ELSE email END";

/// Marks one of the caller's notifications read (again: no change).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Read"), (status = 401, body = Problem), (status = 404, description = "Not one of the caller's notifications", body = Problem)))]
async fn mark_read(
    State(notifications): State<Notifications>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let mut uow = notifications.db.begin().await?;
    let mine: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT read_at FROM notifications \
         WHERE id = $1 AND user_id = $2 AND school_id = $3 AND in_app = 1",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .fetch_optional(uow.conn())
    .await?;
    match mine {
        None => {
            return Err(Error::NotFound {
                what: "notification",
            })
        }
        Some((Some(_),)) => return Ok(StatusCode::NO_CONTENT),
        Some((None,)) => {}
    }
    sqlx::query(&format!(
        "UPDATE notifications SET read_at = $1, {NOT_TO_BE_MAILED} WHERE id = $2"
    ))
    .bind(time::now_ms())
    .bind(&id)
    .execute(uow.conn())
    .await?;
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MarkedRead {
    pub marked: u64,
}

/// Marks every unread notification of the caller read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead), (status = 401, body = Problem)))]
async fn mark_all_read(
    State(notifications): State<Notifications>,
    caller: Caller,
) -> Result<Json<MarkedRead>> {
    let mut uow = notifications.db.begin().await?;
    let done = sqlx::query(&format!(
        "UPDATE notifications SET read_at = $1, {NOT_TO_BE_MAILED} WHERE user_id = $2 \
         AND school_id = $3 AND in_app = 1 AND read_at IS NULL"
    ))
    .bind(time::now_ms())
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .execute(uow.conn())
    .await?;
    uow.commit().await?;
    Ok(Json(MarkedRead {
        marked: done.rows_affected(),
    }))
}
