//! One-click unsubscribe (RFC 8058). Each message carries its own address; a `POST` to it
//! (what a mail client sends for its "unsubscribe" button, or the page the footer links to)
//! turns email off for the categories that message was about. A `GET` only says what it
//! would stop: link scanners that follow every address in a message change nothing.

use axum::extract::{Path, State};
use campus_platform::{error::Problem, http::Json, secrets, time, Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    preferences::{mail_waiting_as, Category, EmailMode},
    Notifications,
};

pub(crate) fn routes(notifications: Notifications) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(what_it_stops, unsubscribe))
        .with_state(notifications)
}

/// What an unsubscribe address is about.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = EmailUnsubscribe)]
pub(crate) struct Unsubscribe {
    /// The categories the message was about.
    pub categories: Vec<Category>,
    /// Whether email about all of them is off.
    pub stopped: bool,
}

/// What the address would stop, changing nothing.
#[utoipa::path(get, path = "/api/v1/unsubscribe/{token}", tag = "notifications",
    params(("token" = String, Path, description = "The token from a message's unsubscribe address")),
    responses((status = 200, body = Unsubscribe),
        (status = 404, description = "No such address, or one older than 90 days, or its owner's account is closed", body = Problem)))]
async fn what_it_stops(
    State(notifications): State<Notifications>,
    Path(token): Path<String>,
) -> Result<Json<Unsubscribe>> {
    let link = link_of(&notifications, &token).await?;
    let off: Vec<(String,)> = sqlx::query_as(
        "SELECT category FROM notification_preferences WHERE user_id = $1 AND email = 'off'",
    )
    .bind(&link.user_id)
    .fetch_all(notifications.db.pool())
    .await?;
    let stopped = link
        .categories
        .iter()
        .all(|c| off.iter().any(|(name,)| name == c.as_str()));
    Ok(Json(Unsubscribe {
        categories: link.categories,
        stopped,
    }))
}

/// Turns email off for the message's categories (again: no change). Takes the RFC 8058 form
/// body `List-Unsubscribe=One-Click`, or none; needs no sign-in, as the address is the secret.
#[utoipa::path(post, path = "/api/v1/unsubscribe/{token}", tag = "notifications",
    params(("token" = String, Path, description = "The token from a message's unsubscribe address")),
    request_body(content = OneClick, content_type = "application/x-www-form-urlencoded",
        description = "`List-Unsubscribe=One-Click`, as RFC 8058 clients send it (optional; anything else is ignored)"),
    responses((status = 200, body = Unsubscribe),
        (status = 404, description = "No such address, or one older than 90 days, or its owner's account is closed", body = Problem)))]
async fn unsubscribe(
    State(notifications): State<Notifications>,
    Path(token): Path<String>,
) -> Result<Json<Unsubscribe>> {
    let link = link_of(&notifications, &token).await?;
    let now = time::now_ms();
    let mut uow = notifications.db.begin().await?;
    for category in &link.categories {
        sqlx::query(
            "INSERT INTO notification_preferences (user_id, school_id, category, in_app, email, updated_at) \
             VALUES ($1, $2, $3, 1, 'off', $4) ON CONFLICT (user_id, category) \
             DO UPDATE SET email = 'off', updated_at = excluded.updated_at",
        )
        .bind(&link.user_id)
        .bind(&link.school_id)
        .bind(category.as_str())
        .bind(now)
        .execute(uow.conn())
        .await?;
        mail_waiting_as(&mut uow, &link.user_id, *category, EmailMode::Off).await?;
    }
    uow.commit().await?;
    tracing::info!(user = %link.user_id, categories = link.categories.len(), "email unsubscribed by one-click address");
    Ok(Json(Unsubscribe {
        categories: link.categories,
        stopped: true,
    }))
}

/// The body of a one-click unsubscribe (RFC 8058), for the document: the address alone
/// decides, so the route reads no body.
#[derive(ToSchema)]
#[schema(as = EmailOneClick)]
#[allow(dead_code, reason = "describes the body in the OpenAPI document only")]
pub(crate) struct OneClick {
    #[schema(rename = "List-Unsubscribe", example = "One-Click")]
    list_unsubscribe: Option<String>,
}

struct Link {
    user_id: String,
    school_id: String,
    categories: Vec<Category>,
}

/// The address's owner and categories; 404 for anything else.
async fn link_of(notifications: &Notifications, token: &str) -> Result<Link> {
    let not_found = Error::NotFound {
        what: "unsubscribe address",
    };
    let found: Option<(String, String, String)> = sqlx::query_as(
        "SELECT user_id, school_id, categories FROM unsubscribe_links WHERE token_digest = $1",
    )
    .bind(secrets::digest(token))
    .fetch_optional(notifications.db.pool())
    .await?;
    let Some((user_id, school_id, categories)) = found else {
        return Err(not_found);
    };
    let active = notifications
        .people
        .person(&school_id, &user_id)
        .await?
        .is_some_and(|person| person.is_active());
    if !active {
        return Err(not_found);
    }
    Ok(Link {
        user_id,
        school_id,
        categories: categories.split(',').filter_map(Category::parse).collect(),
    })
}
