//! The browsers a person has subscribed to push: what the service worker's
//! `pushManager.subscribe` gave, kept so the server can post to it. The endpoint must be one of
//! the configured push services (`push.allowed_hosts`); the keys must be a real P-256 point and
//! a 16-byte secret.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use base64::{
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
    Engine as _,
};
use campus_platform::{
    db::UnitOfWork,
    error::{Checks, FieldError, Problem},
    http::Json,
    id,
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use web_push_native::p256;

use crate::Notifications;

/// Browsers one person may have subscribed; a new one beyond this retires the oldest.
const MOST_PER_PERSON: i64 = 10;
const LONGEST_ENDPOINT: usize = 2048;

pub(crate) fn routes(notifications: Notifications) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(subscriptions, subscribe_push))
        .routes(routes!(unsubscribe_push))
        .with_state(notifications)
}

/// What a page needs to subscribe a browser, and the browsers subscribed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PushSubscriptions {
    /// The server's VAPID public key (base64url): `applicationServerKey` for
    /// `pushManager.subscribe`.
    pub public_key: String,
    pub subscriptions: Vec<PushSubscriptionShown>,
}

/// A subscribed browser, as its owner sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PushSubscriptionShown {
    pub id: String,
    /// The push service's host (which browser family it is).
    pub service: String,
    pub created_at: String,
    pub last_pushed_at: Option<String>,
}

/// A browser's `PushSubscription`, as `JSON.stringify` gives it.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewPushSubscription {
    #[schema(example = "https://fcm.googleapis.com/fcm/send/abc123")]
    pub endpoint: String,
    pub keys: PushKeys,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct PushKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte authentication secret, base64url.
    pub auth: String,
}

/// The caller's subscribed browsers and the key to subscribe another.
#[utoipa::path(get, path = "/api/v1/me/push-subscriptions", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PushSubscriptions), (status = 401, body = Problem)))]
async fn subscriptions(
    State(notifications): State<Notifications>,
    caller: Caller,
) -> Result<Json<PushSubscriptions>> {
    let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, endpoint, created_at, last_pushed_at FROM push_subscriptions \
         WHERE user_id = $1 AND school_id = $2 ORDER BY created_at DESC",
    )
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .fetch_all(notifications.db.pool())
    .await?;
    Ok(Json(PushSubscriptions {
        public_key: notifications.push_key.clone(),
        subscriptions: rows.into_iter().map(shown).collect(),
    }))
}

/// Subscribes a browser (the same browser again: its keys are renewed). A browser subscribed
/// by someone else before follows the caller from now on; signing out of the session that
/// subscribed it (or deactivation) stops it.
#[utoipa::path(post, path = "/api/v1/me/push-subscriptions", tag = "notifications", request_body = NewPushSubscription, security(("bearer" = [])),
    responses((status = 201, description = "Subscribed", body = PushSubscriptionShown),
        (status = 200, description = "Already subscribed by the caller; keys renewed", body = PushSubscriptionShown),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 415, body = Problem),
        (status = 422, description = "An endpoint that is not an https address of an allowed push service, or keys that are not a P-256 point and a 16-byte secret", body = Problem)))]
async fn subscribe_push(
    State(notifications): State<Notifications>,
    caller: Caller,
    Json(input): Json<NewPushSubscription>,
) -> Result<(StatusCode, Json<PushSubscriptionShown>)> {
    let mut checks = Checks::default();
    checks.check(allowed_endpoint(&input.endpoint, &notifications.push_hosts));
    let p256dh = checks.check(decode("keys.p256dh", &input.keys.p256dh).and_then(|bytes| {
        p256::PublicKey::from_sec1_bytes(&bytes)
            .map(|_| URL_SAFE_NO_PAD.encode(&bytes))
            .map_err(|_| FieldError::new("keys.p256dh", "invalid_key", "not a P-256 public key"))
    }));
    let auth = checks.check(decode("keys.auth", &input.keys.auth).and_then(|bytes| {
        if bytes.len() == 16 {
            Ok(URL_SAFE_NO_PAD.encode(&bytes))
        } else {
            Err(FieldError::new(
                "keys.auth",
                "invalid_key",
                "not a 16-byte secret",
            ))
        }
    }));
    checks.finish()?;
    let (Some(p256dh), Some(auth)) = (p256dh, auth) else {
        return Err(Error::internal(anyhow::anyhow!("checked keys missing")));
    };
    let now = time::now_ms();
    let mut uow = notifications.db.begin().await?;
    let before: Option<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, user_id, created_at, last_pushed_at FROM push_subscriptions WHERE endpoint = $1",
    )
    .bind(&input.endpoint)
    .fetch_optional(uow.conn())
    .await?;
    let (id, status, created_at, last_pushed_at) = match before {
        Some((id, owner, created_at, last)) if owner == caller.user_id => {
            (id, StatusCode::OK, created_at, last)
        }
        Some((earlier, ..)) => {
            // Whoever had this browser before is no longer pushed to through it.
            retire(&mut uow, Browsers::Id(&earlier)).await?;
            (id::new_id_string(), StatusCode::CREATED, now, None)
        }
        None => (id::new_id_string(), StatusCode::CREATED, now, None),
    };
    let sealed_auth = notifications
        .sealer
        .seal(&auth, &auth_purpose(&id))
        .map_err(Error::internal)?;
    sqlx::query(
        "INSERT INTO push_subscriptions (id, user_id, school_id, session_id, endpoint, p256dh, sealed_auth, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) \
         DO UPDATE SET p256dh = excluded.p256dh, sealed_auth = excluded.sealed_auth, \
         session_id = excluded.session_id",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .bind(&caller.session_id)
    .bind(&input.endpoint)
    .bind(&p256dh)
    .bind(&sealed_auth)
    .bind(created_at)
    .execute(uow.conn())
    .await?;
    // The oldest beyond the most a person keeps are retired.
    let kept: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT id FROM push_subscriptions WHERE user_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 1000 OFFSET {MOST_PER_PERSON}"
    ))
    .bind(&caller.user_id)
    .fetch_all(uow.conn())
    .await?;
    for (old,) in kept {
        retire(&mut uow, Browsers::Id(&old)).await?;
    }
    uow.commit().await?;
    Ok((
        status,
        Json(shown((id, input.endpoint, created_at, last_pushed_at))),
    ))
}

/// Stops pushing to one of the caller's browsers.
#[utoipa::path(delete, path = "/api/v1/me/push-subscriptions/{id}", tag = "notifications", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "No longer pushed to"), (status = 401, body = Problem),
        (status = 404, description = "Not one of the caller's subscriptions", body = Problem)))]
async fn unsubscribe_push(
    State(notifications): State<Notifications>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let mut uow = notifications.db.begin().await?;
    let mine: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM push_subscriptions WHERE id = $1 AND user_id = $2 AND school_id = $3",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .fetch_optional(uow.conn())
    .await?;
    if mine.is_none() {
        return Err(Error::NotFound {
            what: "push subscription",
        });
    }
    retire(&mut uow, Browsers::Id(&id)).await?;
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which subscribed browsers to retire.
pub(crate) enum Browsers<'a> {
    /// One subscription, by id.
    Id(&'a str),
    /// Those subscribed in a sign-in session.
    OfSession(&'a str),
    /// All of a person's.
    Of(&'a str),
}

/// Retires subscribed browsers, with the pushes still waiting for them: the one way a
/// subscription ends (its owner stops it, its push service says it is gone, a newer one
/// replaces it, its session or its owner's account ends).
pub(crate) async fn retire(uow: &mut UnitOfWork, browsers: Browsers<'_>) -> Result<()> {
    let (column, value) = match browsers {
        Browsers::Id(id) => ("id", id),
        Browsers::OfSession(session_id) => ("session_id", session_id),
        Browsers::Of(user_id) => ("user_id", user_id),
    };
    sqlx::query(&format!(
        "DELETE FROM push_deliveries WHERE subscription_id IN \
         (SELECT id FROM push_subscriptions WHERE {column} = $1)"
    ))
    .bind(value)
    .execute(uow.conn())
    .await?;
    sqlx::query(&format!(
        "DELETE FROM push_subscriptions WHERE {column} = $1"
    ))
    .bind(value)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// What the browser's secret is sealed for.
pub(crate) fn auth_purpose(subscription_id: &str) -> String {
    format!("notifications.push.auth:{subscription_id}")
}

fn shown(
    (id, endpoint, created_at, last): (String, String, i64, Option<i64>),
) -> PushSubscriptionShown {
    PushSubscriptionShown {
        id,
        service: reqwest::Url::parse(&endpoint)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default(),
        created_at: time::rfc3339(created_at),
        last_pushed_at: last.map(time::rfc3339),
    }
}

/// Base64url (padded or not), as browsers give keys.
fn decode(field: &str, text: &str) -> std::result::Result<Vec<u8>, FieldError> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|_| FieldError::new(field, "invalid_key", "not base64url"))
}

/// Whether `endpoint` is an address of an allowed push service.
pub(crate) fn allowed_endpoint(
    endpoint: &str,
    hosts: &[String],
) -> std::result::Result<(), FieldError> {
    let refuse = |message: &str| {
        Err(FieldError::new(
            "endpoint",
            "push_service_not_allowed",
            message,
        ))
    };
    if endpoint.len() > LONGEST_ENDPOINT {
        return refuse("too long for a push service address");
    }
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return refuse("not an address");
    };
    let Some(host) = url.host_str() else {
        return refuse("an address without a host");
    };
    let listed = hosts
        .iter()
        .any(|allowed| match allowed.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == allowed,
        });
    let local = host == "localhost" || host == "127.0.0.1";
    match (url.scheme(), listed) {
        (_, false) => refuse("not a push service this installation allows (push.allowed_hosts)"),
        ("https", true) => Ok(()),
        ("http", true) if local => Ok(()),
        _ => refuse("push services are reached over https"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_push_services_over_https() {
        let hosts: Vec<String> = ["fcm.googleapis.com", "*.push.apple.com", "127.0.0.1"]
            .map(str::to_owned)
            .to_vec();
        assert!(allowed_endpoint("https://fcm.googleapis.com/fcm/send/x", &hosts).is_ok());
        assert!(allowed_endpoint("https://web.push.apple.com/abc", &hosts).is_ok());
        assert!(allowed_endpoint("http://127.0.0.1:9999/push/1", &hosts).is_ok());
        for refused in [
            "http://fcm.googleapis.com/fcm/send/x",
            "https://push.apple.com.evil.example/x",
            "https://evil.example/?fcm.googleapis.com",
            "https://10.0.0.5/admin",
            "http://localhost:8080/",
            "not a url",
        ] {
            assert!(allowed_endpoint(refused, &hosts).is_err(), "{refused}");
        }
    }
}
