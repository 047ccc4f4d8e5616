//! Web sign-in as browsers carry it: the access token in an httpOnly, SameSite=Lax cookie,
//! and a CSRF token the page sends back on every state-changing request.
//!
//! The CSRF defence is the double-submit kind: `campus_csrf` is a random value in a cookie
//! the page can read, and a request that authenticates by cookie and is not a read must repeat
//! it in the `X-CSRF-Token` header. Another site can make a browser send the cookies (SameSite
//! already stops most of that) but cannot read them, so it cannot repeat the value. Requests
//! with `Authorization: Bearer` carry no ambient credential and need no CSRF token.

use axum::http::{header, request::Parts, HeaderMap, Method};

use crate::Error;

/// The access token (a JWT, like the bearer token).
pub const ACCESS_COOKIE: &str = "campus_access";
/// The refresh token; sent only to the session routes.
pub const REFRESH_COOKIE: &str = "campus_refresh";
/// The CSRF token, readable by the page.
pub const CSRF_COOKIE: &str = "campus_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Where the refresh cookie is sent.
pub const SESSION_PATH: &str = "/api/v1/auth/session";

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The access token from the session cookie, after checking the CSRF token for anything but a
/// read.
pub fn access_token(parts: &Parts) -> Result<Option<&str>, Error> {
    let Some(token) = cookie(&parts.headers, ACCESS_COOKIE) else {
        return Ok(None);
    };
    check_csrf(&parts.method, &parts.headers)?;
    Ok(Some(token))
}

/// Reads pass; anything else must repeat the CSRF cookie in the `X-CSRF-Token` header.
pub fn check_csrf(method: &Method, headers: &HeaderMap) -> Result<(), Error> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let expected = cookie(headers, CSRF_COOKIE).unwrap_or_default();
    let sent = headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if expected.len() >= 16 && same(expected.as_bytes(), sent.as_bytes()) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "send the page's CSRF token in the X-CSRF-Token header",
        ))
    }
}

/// Compares in time that does not depend on where the values differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A `Set-Cookie` value: httpOnly unless it is the CSRF cookie, `Secure` when the platform is
/// served over TLS, `max_age` 0 to clear it.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age_secs: i64, secure: bool) -> String {
    let mut cookie = cookie::Cookie::build((name, value))
        .path(path)
        .same_site(if name == REFRESH_COOKIE {
            cookie::SameSite::Strict
        } else {
            cookie::SameSite::Lax
        })
        .http_only(name != CSRF_COOKIE)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    if max_age_secs == 0 {
        // Keeps the path: a removal only reaches the cookie set with the same one.
        cookie.make_removal();
    }
    cookie.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn writes_need_the_csrf_token_reads_do_not() {
        let cookies = "campus_access=jwt; campus_csrf=0123456789abcdef0123";
        let without = headers(&[("cookie", cookies)]);
        assert!(check_csrf(&Method::GET, &without).is_ok());
        assert!(check_csrf(&Method::POST, &without).is_err());
        let wrong = headers(&[
            ("cookie", cookies),
            ("x-csrf-token", "0123456789abcdef0124"),
        ]);
        assert!(check_csrf(&Method::POST, &wrong).is_err());
        let right = headers(&[
            ("cookie", cookies),
            ("x-csrf-token", "0123456789abcdef0123"),
        ]);
        assert!(check_csrf(&Method::DELETE, &right).is_ok());
        // No CSRF cookie at all: an empty header does not match an empty cookie.
        let bare = headers(&[("cookie", "campus_access=jwt"), ("x-csrf-token", "")]);
        assert!(check_csrf(&Method::POST, &bare).is_err());
    }

    #[test]
    fn session_cookies_are_http_only_and_same_site() {
        let access = set_cookie(ACCESS_COOKIE, "v", "/", 900, true);
        assert!(
            access.contains("HttpOnly")
                && access.contains("SameSite=Lax")
                && access.contains("Secure"),
            "{access}"
        );
        let csrf = set_cookie(CSRF_COOKIE, "v", "/", 900, false);
        assert!(
            !csrf.contains("HttpOnly") && !csrf.contains("Secure"),
            "{csrf}"
        );
        let refresh = set_cookie(REFRESH_COOKIE, "v", SESSION_PATH, 60, false);
        assert!(
            refresh.contains("SameSite=Strict") && refresh.contains("Path=/api/v1/auth/session"),
            "{refresh}"
        );
        assert!(set_cookie(ACCESS_COOKIE, "", "/", 0, false).contains("Max-Age=0"));
    }
}
