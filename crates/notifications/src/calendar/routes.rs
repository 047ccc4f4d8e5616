//! The calendar's routes: the caller's dates, their private feed's address (shown, made anew,
//! stopped) and the feed itself, which the address alone opens.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use campus_platform::{
    error::Problem,
    http::{Json, Query},
    people::Caller,
    secrets, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{entries, feed, Entry};
use crate::Notifications;

/// The default window: from a day ago to 90 days ahead.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest window one request may ask for.
const LONGEST_WINDOW_DAYS: i64 = 366;
/// What the feed covers: the last 30 days and the next year.
const FEED_PAST_DAYS: i64 = 30;
const FEED_AHEAD_DAYS: i64 = 365;

pub(crate) fn routes(notifications: Notifications) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(calendar))
        .routes(routes!(feed_address, new_feed_address, stop_feed))
        .routes(routes!(subscribed_feed))
        .with_state(notifications)
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct Window {
    /// From when (RFC 3339; default: a day ago).
    pub from: Option<String>,
    /// Until when (RFC 3339; default: 90 days ahead; at most 366 days after `from`).
    pub to: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CalendarAnswer {
    pub items: Vec<Entry>,
}

/// The caller's due dates and quiz windows in the courses they are in, soonest first (at most
/// 500).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(Window), security(("bearer" = [])),
    responses((status = 200, body = CalendarAnswer), (status = 401, body = Problem),
        (status = 422, description = "`from` or `to` is not an RFC 3339 time, or the window is backwards or longer than 366 days", body = Problem)))]
async fn calendar(
    State(notifications): State<Notifications>,
    caller: Caller,
    Query(window): Query<Window>,
) -> Result<Json<CalendarAnswer>> {
    let now = time::now_ms();
    let moment = |field: &str, text: Option<&str>, default: i64| match text {
        None | Some("") => Ok(default),
        Some(text) => time::parse_rfc3339(text).ok_or_else(|| {
            Error::invalid(
                field,
                "not_a_time",
                "an RFC 3339 time, such as 2026-09-01T00:00:00Z",
            )
        }),
    };
    let from = moment("from", window.from.as_deref(), now - DAY_MS)?;
    let to = moment("to", window.to.as_deref(), now + 90 * DAY_MS)?;
    if to < from || to - from > LONGEST_WINDOW_DAYS * DAY_MS {
        return Err(Error::invalid(
            "to",
            "window",
            "after `from`, and at most 366 days after it",
        ));
    }
    let items = entries(
        &notifications.db,
        &caller.school_id,
        &caller.user_id,
        from,
        to,
    )
    .await?;
    Ok(Json(CalendarAnswer { items }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FeedAddress {
    /// The private iCalendar address: whoever has it can read the dates, so it is shown only
    /// to its owner, and asking for a new one retires it.
    pub url: String,
}

/// The caller's private calendar address, once they have asked for one.
#[utoipa::path(get, path = "/api/v1/calendar/feed", tag = "calendar", security(("bearer" = [])),
    responses((status = 200, body = FeedAddress), (status = 401, body = Problem),
        (status = 404, description = "The caller has no calendar address yet", body = Problem)))]
async fn feed_address(
    State(notifications): State<Notifications>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<FeedAddress>> {
    let sealed: Option<(String,)> = sqlx::query_as(
        "SELECT sealed_token FROM calendar_feeds WHERE user_id = $1 AND school_id = $2",
    )
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .fetch_optional(notifications.db.pool())
    .await?;
    let Some((sealed,)) = sealed else {
        return Err(Error::NotFound {
            what: "calendar address",
        });
    };
    // A token sealed with a key since removed cannot be shown: the person makes a new one.
    let token = notifications
        .sealer
        .open(&sealed, &purpose(&caller.user_id))
        .map_err(|_| Error::NotFound {
            what: "calendar address",
        })?;
    Ok(Json(FeedAddress {
        url: address(&notifications, &headers, &token),
    }))
}

/// Makes the caller a new private calendar address; the one before stops working.
#[utoipa::path(post, path = "/api/v1/calendar/feed", tag = "calendar", security(("bearer" = [])),
    responses((status = 201, body = FeedAddress), (status = 401, body = Problem)))]
async fn new_feed_address(
    State(notifications): State<Notifications>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<FeedAddress>)> {
    let token = secrets::random_token()?;
    let sealed = notifications
        .sealer
        .seal(&token, &purpose(&caller.user_id))?;
    let mut uow = notifications.db.begin().await?;
    sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(&caller.user_id)
        .execute(uow.conn())
        .await?;
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, school_id, token_digest, sealed_token, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .bind(secrets::digest(&token))
    .bind(sealed)
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    uow.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(FeedAddress {
            url: address(&notifications, &headers, &token),
        }),
    ))
}

/// Stops the caller's private calendar address.
#[utoipa::path(delete, path = "/api/v1/calendar/feed", tag = "calendar", security(("bearer" = [])),
    responses((status = 204, description = "Stopped (or there was none)"), (status = 401, body = Problem)))]
async fn stop_feed(
    State(notifications): State<Notifications>,
    caller: Caller,
) -> Result<StatusCode> {
    notifications
        .db
        .write_one(
            sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1 AND school_id = $2")
                .bind(&caller.user_id)
                .bind(&caller.school_id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The iCalendar feed at a private address (`<token>.ics`): the owner's due dates from 30
/// days ago to a year ahead. The address is the credential; an unknown, retired or
/// deactivated owner's address answers 404.
#[utoipa::path(get, path = "/api/v1/calendar/feeds/{file}", tag = "calendar", params(("file" = String, Path, description = "`<token>.ics`")),
    responses((status = 200, description = "The feed (RFC 5545)", content_type = "text/calendar", body = String),
        (status = 404, body = Problem)))]
async fn subscribed_feed(
    State(notifications): State<Notifications>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let unknown = || Error::NotFound { what: "calendar" };
    let token = file.strip_suffix(".ics").ok_or_else(unknown)?;
    let owner: Option<(String, String)> =
        sqlx::query_as("SELECT user_id, school_id FROM calendar_feeds WHERE token_digest = $1")
            .bind(secrets::digest(token))
            .fetch_optional(notifications.db.pool())
            .await?;
    let (user_id, school_id) = owner.ok_or_else(unknown)?;
    let person = notifications.people.person(&school_id, &user_id).await?;
    if person.as_ref().is_some_and(|person| !person.is_active()) {
        return Err(unknown());
    }
    let now = time::now_ms();
    let items = entries(
        &notifications.db,
        &school_id,
        &user_id,
        now - FEED_PAST_DAYS * DAY_MS,
        now + FEED_AHEAD_DAYS * DAY_MS,
    )
    .await?;
    let locale = person.and_then(|person| person.locale.clone());
    let document = feed::document(&items, locale.as_deref(), &site(&notifications, &headers));
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"campus-hub.ics\"",
            ),
        ],
        document,
    )
        .into_response())
}

/// What a feed token is sealed for: whose it is.
fn purpose(user_id: &str) -> String {
    format!("notifications.calendar_feed:{user_id}")
}

/// The site's address: `public_url`, or else the address the request came to.
fn site(notifications: &Notifications, headers: &HeaderMap) -> String {
    match &notifications.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

fn address(notifications: &Notifications, headers: &HeaderMap, token: &str) -> String {
    format!(
        "{}/api/v1/calendar/feeds/{token}.ics",
        site(notifications, headers)
    )
}
