//! What each person wants to be told, category by category: work set in their courses,
//! hand-ins to mark, grades, announcements, places in courses, deadlines. Every category is on
//! until the person turns it off; a category turned off is neither stored nor sent live.

use axum::extract::State;
use campus_platform::{error::Problem, http::Json, people::Caller, time, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::Notifications;

/// What a person can tune, as the notifications store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationCategory)]
pub(crate) enum Category {
    /// Work set in their courses.
    Assignments,
    /// Hand-ins to mark (teachers).
    Submissions,
    /// Grades released to them.
    Grades,
    Announcements,
    /// A place in a course given to them.
    Courses,
    /// Work due within a day.
    Deadlines,
}

impl Category {
    pub(crate) const ALL: [Category; 6] = [
        Category::Assignments,
        Category::Submissions,
        Category::Grades,
        Category::Announcements,
        Category::Courses,
        Category::Deadlines,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Assignments => "assignments",
            Category::Submissions => "submissions",
            Category::Grades => "grades",
            Category::Announcements => "announcements",
            Category::Courses => "courses",
            Category::Deadlines => "deadlines",
        }
    }
}

pub(crate) fn routes(notifications: Notifications) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(preferences, set_preferences))
        .with_state(notifications)
}

/// One category's setting.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = NotificationChoice)]
pub(crate) struct Choice {
    pub category: Category,
    /// Told in the app (and live on open pages).
    pub in_app: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = NotificationPreferences)]
pub(crate) struct Preferences {
    /// Every category, in a fixed order (on a `PUT`, only those to change; a category named
    /// twice takes its last setting).
    pub categories: Vec<Choice>,
}

/// What the caller chose to be told, every category listed.
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 401, body = Problem)))]
async fn preferences(
    State(notifications): State<Notifications>,
    caller: Caller,
) -> Result<Json<Preferences>> {
    Ok(Json(current(&notifications, &caller).await?))
}

/// Changes the categories named; the others keep their setting.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "notifications", request_body = Preferences, security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 415, body = Problem), (status = 422, description = "A category that does not exist", body = Problem)))]
async fn set_preferences(
    State(notifications): State<Notifications>,
    caller: Caller,
    Json(input): Json<Preferences>,
) -> Result<Json<Preferences>> {
    let now = time::now_ms();
    let mut uow = notifications.db.begin().await?;
    for choice in &input.categories {
        sqlx::query(
            "INSERT INTO notification_preferences (user_id, school_id, category, in_app, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, category) \
             DO UPDATE SET in_app = excluded.in_app, updated_at = excluded.updated_at",
        )
        .bind(&caller.user_id)
        .bind(&caller.school_id)
        .bind(choice.category.as_str())
        .bind(i64::from(choice.in_app))
        .bind(now)
        .execute(uow.conn())
        .await?;
    }
    uow.commit().await?;
    Ok(Json(current(&notifications, &caller).await?))
}

async fn current(notifications: &Notifications, caller: &Caller) -> Result<Preferences> {
    let off: Vec<(String,)> = sqlx::query_as(
        "SELECT category FROM notification_preferences \
         WHERE user_id = $1 AND school_id = $2 AND in_app = 0",
    )
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .fetch_all(notifications.db.pool())
    .await?;
    Ok(Preferences {
        categories: Category::ALL
            .into_iter()
            .map(|category| Choice {
                category,
                in_app: !off.iter().any(|(name,)| name == category.as_str()),
            })
            .collect(),
    })
}
