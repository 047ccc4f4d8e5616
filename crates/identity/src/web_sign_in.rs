//! Web sign-in: the same sign-in as `/api/v1/auth/login` (lockout, second factor), answered
//! with cookies instead of tokens in the body, for the server-rendered web application. See
//! `campus_platform::web_session` for the cookies and the CSRF check every context applies.

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use campus_platform::{
    auth::AuthUser,
    error::Problem,
    web_session::{self, CookieNames, SESSION_PATH},
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    api::{self, Identity, Login},
    secrets,
    sessions::{self, TokenPair, REFRESH_TOKEN_MS},
};

/// Credential routes: rate limited per client with the others.
pub fn credential_routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(open_session, close_session))
        .routes(routes!(refresh_session))
        .routes(routes!(continue_session))
        .with_state(identity)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebSession {
    /// Repeat it in the `X-CSRF-Token` header of every request that changes something (it is
    /// also in the readable `campus_csrf` cookie).
    pub csrf_token: String,
    /// Seconds until the access cookie expires; refresh before then.
    pub expires_in: i64,
}

/// Signs in for the web application: the body is a form (`application/x-www-form-urlencoded`)
/// or JSON with `school`, `email`, `password` and `totp_code`. Answers like
/// `/api/v1/auth/login`, but sets an httpOnly `campus_access` cookie (SameSite=Lax), an
/// httpOnly `campus_refresh` cookie sent only to this path (SameSite=Strict) and a readable
/// `campus_csrf` cookie; over https they are `Secure` and named `__Host-campus_access`,
/// `__Secure-campus_refresh` and `__Host-campus_csrf`. A sign-in another site made the
/// browser send (its `Origin` or `Sec-Fetch-Site` says so) is refused with 403.
#[utoipa::path(post, path = "/api/v1/auth/session", tag = "identity", request_body = Login,
    responses((status = 200, body = WebSession), (status = 401, body = Problem),
        (status = 403, description = "The request came from another site's page", body = Problem),
        (status = 429, body = Problem)))]
async fn open_session(
    State(identity): State<Identity>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    web_session::check_same_origin(&headers, &identity.public_url)?;
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let input: Login = if form {
        serde_urlencoded::from_bytes(&body)
            .map_err(|e| Error::invalid("body", "invalid", e.to_string()))?
    } else {
        campus_platform::http::json_object(&body)?
    };
    let tokens = api::sign_in(&identity, input).await?;
    with_cookies(&identity, &tokens)
}

/// Exchanges the refresh cookie for new cookies; needs the CSRF token. A refresh cookie used
/// twice ends the whole session, as with `/api/v1/auth/refresh`.
#[utoipa::path(post, path = "/api/v1/auth/session/refresh", tag = "identity",
    responses((status = 200, body = WebSession), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn refresh_session(State(identity): State<Identity>, headers: HeaderMap) -> Result<Response> {
    let names = cookie_names(&identity);
    web_session::check_csrf(names, &Method::POST, &headers)?;
    let refresh =
        web_session::cookie(&headers, names.refresh).ok_or_else(|| Error::Unauthenticated {
            detail: "no web session; sign in again".into(),
        })?;
    let tokens = sessions::refresh(&identity.db, &identity.keys, refresh).await?;
    with_cookies(&identity, &tokens)
}

/// Signs out of the web application: ends the session and clears its cookies. Needs the CSRF
/// token. The session is the refresh cookie's or, where that cookie is not sent (a page's
/// sign-out form posts elsewhere), the access cookie's.
#[utoipa::path(delete, path = "/api/v1/auth/session", tag = "identity",
    responses((status = 204), (status = 403, body = Problem)))]
async fn close_session(
    State(identity): State<Identity>,
    // An expired or already ended access cookie still signs out: the cookies are cleared.
    user: std::result::Result<AuthUser, Error>,
    headers: HeaderMap,
) -> Result<Response> {
    let names = cookie_names(&identity);
    web_session::check_csrf(names, &Method::DELETE, &headers)?;
    let user = user.ok();
    if let Some(refresh) = web_session::cookie(&headers, names.refresh) {
        sessions::logout(&identity.db, &identity.keys, refresh).await?;
    } else if let Some(user) = user.filter(|user| !user.session_id.is_empty()) {
        let ended = sessions::revoke(
            &identity.db,
            &identity.keys,
            &user.school_id,
            &user.user_id,
            &user.session_id,
        )
        .await;
        match ended {
            Ok(()) | Err(Error::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    clear_cookies(&mut response, names)?;
    Ok(response)
}

fn clear_cookies(response: &mut Response, names: CookieNames) -> Result<()> {
    for (name, path) in [
        (names.access, "/"),
        (names.csrf, "/"),
        (names.refresh, SESSION_PATH),
    ] {
        append(response, &names.set_cookie(name, "", path, 0))?;
    }
    Ok(())
}

/// How long after a page renewed the session another renewal with the same refresh cookie is
/// taken for a second tab racing it, rather than a replay.
const RENEWAL_RACE_MS: i64 = 30_000;

#[derive(Debug, Deserialize, IntoParams)]
struct Continue {
    /// Where to go back to: a path on this site (`/courses/01J...`). Anything else goes home.
    next: Option<String>,
}

/// Renews the web session for a page whose access cookie has expired, then sends the browser
/// back: the refresh cookie is sent only under this path, so a page cannot renew it itself.
/// Answers 303 to `next` with fresh cookies, or, without a live session, to the sign-in page
/// (with `next` kept) and with the session's cookies cleared. A second renewal with a cookie
/// renewed less than 30 s before (two tabs at once) goes to the sign-in page with the cookies
/// untouched; that page sends a signed-in browser on to `next`. Another site cannot use it to
/// renew a session: the refresh cookie is `SameSite=Strict`, so it is not sent when another
/// site's page leads here.
#[utoipa::path(get, path = "/api/v1/auth/session/continue", tag = "identity", params(Continue),
    responses((status = 303, description = "Back to `next` with a renewed session, or to the sign-in page",
        headers(("location" = String, description = "Where to go next"))),
        (status = 429, body = Problem)))]
async fn continue_session(
    State(identity): State<Identity>,
    Query(query): Query<Continue>,
    headers: HeaderMap,
) -> Result<Response> {
    let names = cookie_names(&identity);
    let next = query
        .next
        .as_deref()
        .filter(|next| web_session::is_local_path(next))
        .unwrap_or("/");
    let refresh = web_session::cookie(&headers, names.refresh);
    let renewed = match refresh {
        Some(refresh) => {
            sessions::refresh_or_race(&identity.db, &identity.keys, refresh, RENEWAL_RACE_MS)
                .await
                .map_err(|_| ())
        }
        None => Err(()),
    };
    match renewed {
        // Two tabs renewing at once: the other one just did, and the browser holds (or is
        // about to hold) its cookies. Leave them be and go through the sign-in page, which
        // sends a signed-in browser straight on (and shows the form to one whose renewal
        // answer was lost, rather than looping here).
        Ok(None) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            redirect(&mut response, &sign_in_then(next)?)?;
            Ok(response)
        }
        Ok(Some(tokens)) => {
            let mut response = with_cookies(&identity, &tokens)?;
            redirect(&mut response, next)?;
            Ok(response)
        }
        Err(()) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            redirect(&mut response, &sign_in_then(next)?)?;
            clear_cookies(&mut response, names)?;
            Ok(response)
        }
    }
}

/// The sign-in page, coming back to `next` afterwards.
fn sign_in_then(next: &str) -> Result<String> {
    let query = serde_urlencoded::to_string([("next", next)])
        .map_err(|e| Error::internal(anyhow::Error::from(e)))?;
    Ok(format!("/sign-in?{query}"))
}

fn redirect(response: &mut Response, to: &str) -> Result<()> {
    *response.status_mut() = StatusCode::SEE_OTHER;
    let location =
        HeaderValue::from_str(to).map_err(|e| Error::internal(anyhow::Error::from(e)))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(())
}

fn cookie_names(identity: &Identity) -> CookieNames {
    CookieNames::for_site(&identity.public_url)
}

fn append(response: &mut Response, cookie: &str) -> Result<()> {
    let value =
        HeaderValue::from_str(cookie).map_err(|e| Error::internal(anyhow::Error::from(e)))?;
    response.headers_mut().append(header::SET_COOKIE, value);
    Ok(())
}

fn with_cookies(identity: &Identity, tokens: &TokenPair) -> Result<Response> {
    let csrf = secrets::random_token()?;
    let names = cookie_names(identity);
    let mut response = axum::Json(WebSession {
        csrf_token: csrf.clone(),
        expires_in: tokens.expires_in,
    })
    .into_response();
    let session_secs = REFRESH_TOKEN_MS / 1000;
    append(
        &mut response,
        &names.set_cookie(names.access, &tokens.access_token, "/", tokens.expires_in),
    )?;
    append(
        &mut response,
        &names.set_cookie(
            names.refresh,
            &tokens.refresh_token,
            SESSION_PATH,
            session_secs,
        ),
    )?;
    append(
        &mut response,
        &names.set_cookie(names.csrf, &csrf, "/", session_secs),
    )?;
    // Tokens in cookies must not be cached by anything in between.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
