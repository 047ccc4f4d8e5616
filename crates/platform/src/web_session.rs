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

/// The header that carries the CSRF token back.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Where the refresh cookie is sent.
pub const SESSION_PATH: &str = "/api/v1/auth/session";

/// Whether `target` is a path on this site, safe to send a browser back to after signing in:
/// it starts with one `/` (not `//`, which browsers read as another host) and holds no
/// backslash (`/\host` is read the same way) or control character.
pub fn is_local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && target.len() <= 2000
        && !target.chars().any(|c| c.is_control() || c == '\\')
}

/// The session's cookie names. Served over https they carry the browser-enforced prefixes:
/// `__Host-` (only set by this host, over https, for the whole site: no subdomain or plain-http
/// page can plant one) for the access and CSRF cookies, and `__Secure-` for the refresh cookie,
/// which is sent to one path only and so cannot be `__Host-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieNames {
    /// The access token (a JWT, like the bearer token).
    pub access: &'static str,
    /// The refresh token; sent only to the session routes.
    pub refresh: &'static str,
    /// The CSRF token, readable by the page.
    pub csrf: &'static str,
    /// Whether the cookies are `Secure` (the site is served over https).
    pub secure: bool,
}

impl CookieNames {
    pub const PLAIN: Self = Self {
        access: "campus_access",
        refresh: "campus_refresh",
        csrf: "campus_csrf",
        secure: false,
    };
    pub const PREFIXED: Self = Self {
        access: "__Host-campus_access",
        refresh: "__Secure-campus_refresh",
        csrf: "__Host-campus_csrf",
        secure: true,
    };

    /// The names for a site at `public_url`.
    pub fn for_site(public_url: &str) -> Self {
        if public_url.starts_with("https://") {
            Self::PREFIXED
        } else {
            Self::PLAIN
        }
    }

    /// The names this request's site uses (installed by the platform's middleware).
    pub fn of(parts: &Parts) -> Self {
        parts
            .extensions
            .get::<Self>()
            .copied()
            .unwrap_or(Self::PLAIN)
    }

    /// A `Set-Cookie` value for cookie `name` (one of these): httpOnly unless it is the CSRF
    /// cookie, `Secure` over https, `max_age` 0 to clear it.
    pub fn set_cookie(&self, name: &str, value: &str, path: &str, max_age_secs: i64) -> String {
        let mut cookie = cookie::Cookie::build((name, value))
            .path(path)
            .same_site(if name == self.refresh {
                cookie::SameSite::Strict
            } else {
                cookie::SameSite::Lax
            })
            .http_only(name != self.csrf)
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(max_age_secs))
            .build();
        if max_age_secs == 0 {
            // Keeps the path: a removal only reaches the cookie set with the same one.
            cookie.make_removal();
        }
        cookie.to_string()
    }
}

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
    let names = CookieNames::of(parts);
    let Some(token) = cookie(&parts.headers, names.access) else {
        return Ok(None);
    };
    check_csrf(names, &parts.method, &parts.headers)?;
    Ok(Some(token))
}

/// A browser's sign-in must come from this site's own pages: a request another site made the
/// browser send (a form posted from elsewhere, which would sign the victim into the attacker's
/// account: login CSRF) is refused. Browsers say where a request comes from in
/// `Sec-Fetch-Site` and `Origin`; a client that sends neither is not a browser and has no
/// ambient session to abuse.
pub fn check_same_origin(headers: &HeaderMap, public_url: &str) -> Result<(), Error> {
    let refused = || Error::forbidden("sign in from this site's own pages");
    // The browser sets `Sec-Fetch-Site` and no page can change it, so where it is sent it
    // decides; `Origin` is the check for browsers without it. (A form posted under this
    // site's `Referrer-Policy: no-referrer` carries `Origin: null`, so `Origin` alone would
    // refuse the site's own sign-in page.)
    if let Some(site) = headers.get("sec-fetch-site") {
        return if matches!(site.as_bytes(), b"same-origin" | b"none") {
            Ok(())
        } else {
            Err(refused())
        };
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let same = origin.eq_ignore_ascii_case(public_url.trim_end_matches('/'))
        || origin_host.is_some_and(|h| !host.is_empty() && h.eq_ignore_ascii_case(host));
    if same {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Reads pass; anything else must repeat the CSRF cookie in the `X-CSRF-Token` header.
pub fn check_csrf(names: CookieNames, method: &Method, headers: &HeaderMap) -> Result<(), Error> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let expected = cookie(headers, names.csrf).unwrap_or_default();
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
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
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
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        for local in ["/", "/courses/01J?tab=outline", "/lessons/1#top"] {
            assert!(is_local_path(local), "{local}");
        }
        for elsewhere in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "/ok\nLocation: x",
            "javascript:alert(1)",
        ] {
            assert!(!is_local_path(elsewhere), "{elsewhere}");
        }
    }

    #[test]
    fn writes_need_the_csrf_token_reads_do_not() {
        let cookies = "campus_access=jwt; campus_csrf=0123456789abcdef0123";
        let without = headers(&[("cookie", cookies)]);
        let names = CookieNames::PLAIN;
        assert!(check_csrf(names, &Method::GET, &without).is_ok());
        assert!(check_csrf(names, &Method::POST, &without).is_err());
        let wrong = headers(&[
            ("cookie", cookies),
            ("x-csrf-token", "0123456789abcdef0124"),
        ]);
        assert!(check_csrf(names, &Method::POST, &wrong).is_err());
        let right = headers(&[
            ("cookie", cookies),
            ("x-csrf-token", "0123456789abcdef0123"),
        ]);
        assert!(check_csrf(names, &Method::DELETE, &right).is_ok());
        // No CSRF cookie at all: an empty header does not match an empty cookie.
        let bare = headers(&[("cookie", "campus_access=jwt"), ("x-csrf-token", "")]);
        assert!(check_csrf(names, &Method::POST, &bare).is_err());
    }

    #[test]
    fn session_cookies_are_http_only_and_same_site() {
        let secure = CookieNames::PREFIXED;
        let access = secure.set_cookie(secure.access, "v", "/", 900);
        assert!(
            access.contains("HttpOnly")
                && access.contains("SameSite=Lax")
                && access.contains("Secure"),
            "{access}"
        );
        let plain = CookieNames::PLAIN;
        let csrf = plain.set_cookie(plain.csrf, "v", "/", 900);
        assert!(
            !csrf.contains("HttpOnly") && !csrf.contains("Secure"),
            "{csrf}"
        );
        let refresh = plain.set_cookie(plain.refresh, "v", SESSION_PATH, 60);
        assert!(
            refresh.contains("SameSite=Strict") && refresh.contains("Path=/api/v1/auth/session"),
            "{refresh}"
        );
        assert!(plain
            .set_cookie(plain.access, "", "/", 0)
            .contains("Max-Age=0"));
        assert!(access.starts_with("__Host-campus_access="), "{access}");
        assert_eq!(CookieNames::for_site("https://campus.example"), secure);
        assert_eq!(CookieNames::for_site("http://127.0.0.1:8080"), plain);
    }

    #[test]
    fn sign_in_from_another_site_is_refused() {
        let site = "http://127.0.0.1:8080";
        let ok = |pairs: &[(&str, &str)]| check_same_origin(&headers(pairs), site).is_ok();
        assert!(ok(&[]), "not a browser");
        assert!(ok(&[("origin", site), ("sec-fetch-site", "same-origin")]));
        assert!(ok(&[
            ("origin", "http://campus.local:9000"),
            ("host", "campus.local:9000")
        ]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(
            !ok(&[("sec-fetch-site", "same-site")]),
            "a sibling subdomain is another site"
        );
        assert!(!ok(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:8080")
        ]));
        assert!(!ok(&[("origin", "null")]));
        assert!(
            ok(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            "the site's own form under no-referrer"
        );
        assert!(!ok(&[("origin", site), ("sec-fetch-site", "cross-site")]));
    }
}
