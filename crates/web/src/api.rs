//! The contexts' published API, called in-process for the visitor of a page.
//!
//! A page's request becomes one or more API requests carrying what identifies the visitor and
//! their client: the session cookie, the CSRF token their form posted, the client's address
//! (for per-client rate limits), their language and request id. Nothing is fetched over the
//! network and nothing is trusted that the API would not trust from the browser itself.

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
    Router,
};
use campus_platform::{
    auth::KeyRing,
    http::REQUEST_ID,
    web_session::{self, CookieNames, CSRF_HEADER},
};
use serde::{de::DeserializeOwned, Deserialize};
use tower::ServiceExt as _;

use crate::{i18n::Tr, Web};

/// The largest answer a page reads from the API (an outline, a page of courses).
const ANSWER_LIMIT: usize = 8 * 1024 * 1024;

/// The headers of the browser's request that the API sees too.
const PASSED_ON: [HeaderName; 8] = [
    header::COOKIE,
    // With `Origin`, tells the API whether a sign-in form came from this site.
    header::HOST,
    header::ACCEPT_LANGUAGE,
    header::USER_AGENT,
    header::ORIGIN,
    HeaderName::from_static("sec-fetch-site"),
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("traceparent"),
];

#[derive(Clone)]
pub(crate) struct Api(Router);

impl Api {
    pub(crate) fn new(router: Router) -> Self {
        Self(router)
    }

    pub(crate) fn router(&self) -> Router {
        self.0.clone()
    }

    /// `method path` for `visit`, with `body` as JSON; `csrf` is the token the visitor's form
    /// carried, for requests that change something.
    pub(crate) async fn call(
        &self,
        visit: &Visit,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        csrf: Option<&str>,
    ) -> Answer {
        match body {
            Some(body) => {
                let bytes = serde_json::to_vec(body).unwrap_or_default();
                self.call_with_body(visit, method, path, "application/json", bytes, csrf)
                    .await
            }
            None => self.send(visit, method, path, None, csrf, None).await,
        }
    }

    /// `method path` for `visit` with a body of `content_type`.
    pub(crate) async fn call_with_body(
        &self,
        visit: &Visit,
        method: Method,
        path: &str,
        content_type: &'static str,
        body: Vec<u8>,
        csrf: Option<&str>,
    ) -> Answer {
        self.send(visit, method, path, Some((content_type, body)), csrf, None)
            .await
    }

    /// `POST path` for `visit` with the body of the page's own request (a form that uploads),
    /// streamed on as it arrives (an upload is never held whole), its content type kept, and
    /// `extra` headers (an `Idempotency-Key`).
    pub(crate) async fn forward(
        &self,
        visit: &Visit,
        path: &str,
        page_request: axum::extract::Request,
        csrf: &str,
        extra: &[(header::HeaderName, HeaderValue)],
    ) -> Answer {
        let content_type = page_request
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        let body = Body::new(page_request.into_body());
        let mut request = axum::http::Request::builder()
            .method(Method::POST)
            .uri(path)
            .body(body)
            .unwrap_or_default();
        request
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
        for (name, value) in extra {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        self.dispatch(visit, request, Some(csrf), None).await
    }

    async fn send(
        &self,
        visit: &Visit,
        method: Method,
        path: &str,
        body: Option<(&'static str, Vec<u8>)>,
        csrf: Option<&str>,
        accept: Option<&'static str>,
    ) -> Answer {
        let content_type = body.as_ref().map(|(content_type, _)| *content_type);
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(match body {
                Some((_, bytes)) => Body::from(bytes),
                None => Body::empty(),
            })
            .unwrap_or_default();
        if let Some(content_type) = content_type {
            request
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        self.dispatch(visit, request, csrf, accept).await
    }

    /// Sends `request` for `visit`: their headers and cookies, the CSRF token, and what the
    /// API's middleware would have put in a request from the network.
    async fn dispatch(
        &self,
        visit: &Visit,
        mut request: axum::http::Request<Body>,
        csrf: Option<&str>,
        accept: Option<&'static str>,
    ) -> Answer {
        let headers = request.headers_mut();
        // The request's own headers (its content type) win over the visitor's.
        let own: Vec<HeaderName> = headers.keys().cloned().collect();
        for (name, value) in visit.headers.iter() {
            if !own.contains(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        if let Some(token) = csrf.and_then(|t| HeaderValue::from_str(t).ok()) {
            headers.insert(CSRF_HEADER, token);
        }
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        }
        let extensions = request.extensions_mut();
        if let Some(peer) = visit.peer {
            extensions.insert(ConnectInfo(peer));
        }
        if let Some(keys) = &visit.keys {
            extensions.insert(keys.clone());
        }
        extensions.insert(visit.cookie_names);
        let response = match self.0.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, ANSWER_LIMIT)
            .await
            .unwrap_or_default();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `GET path` for `visit`, asking for `accept` (a download, such as a CSV export): the
    /// answer as the API gave it.
    pub(crate) async fn get_as(&self, visit: &Visit, path: &str, accept: &'static str) -> Answer {
        self.send(visit, Method::GET, path, None, None, Some(accept))
            .await
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        visit: &Visit,
        path: &str,
    ) -> Result<T, Failure> {
        self.call(visit, Method::GET, path, None, None).await.json()
    }
}

/// The API's answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: axum::body::Bytes,
}

impl Answer {
    /// The body as `T` when the request succeeded; otherwise what went wrong.
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T, Failure> {
        if !self.status.is_success() {
            return Err(self.failure());
        }
        serde_json::from_slice(&self.body).map_err(|error| {
            tracing::error!(%error, "a page could not read the API's answer");
            Failure::Broken
        })
    }

    /// Success, with nothing to read.
    pub(crate) fn done(self) -> Result<Answer, Failure> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(self.failure())
        }
    }

    pub(crate) fn failure(&self) -> Failure {
        let problem: Option<Problem> = serde_json::from_slice(&self.body).ok();
        match (self.status, problem) {
            (StatusCode::UNAUTHORIZED, _) => Failure::SignedOut,
            (StatusCode::NOT_FOUND, _) => Failure::NotFound,
            (StatusCode::FORBIDDEN, Some(problem)) if problem.code == "forbidden" => {
                Failure::Forbidden
            }
            (status, Some(problem)) if status.is_client_error() => Failure::Refused {
                problem,
                retry_after: self
                    .headers
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok()),
            },
            (status, _) => {
                tracing::warn!(%status, "the API failed a page's request");
                Failure::Broken
            }
        }
    }

    /// The problem's explanation, when the answer is a problem.
    pub(crate) fn problem_detail(&self) -> String {
        serde_json::from_slice::<Problem>(&self.body)
            .map(|problem| problem.detail)
            .unwrap_or_default()
    }

    /// The problem's code, when the answer is a problem.
    pub(crate) fn problem_code(&self) -> Option<String> {
        serde_json::from_slice::<Problem>(&self.body)
            .ok()
            .map(|problem| problem.code)
    }

    /// The cookies the API set (a new or ended session), to pass on to the browser.
    pub(crate) fn cookies(&self) -> impl Iterator<Item = &HeaderValue> {
        self.headers.get_all(header::SET_COOKIE).iter()
    }
}

/// Why the API did not do what a page asked.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No session, or it expired.
    SignedOut,
    NotFound,
    /// The visitor may not do this.
    Forbidden,
    /// The request was refused for a reason the visitor can act on (a field, a state).
    Refused {
        problem: Problem,
        retry_after: Option<u64>,
    },
    /// Something failed that the visitor cannot fix.
    Broken,
}

/// A problem+json answer, as pages read it.
#[derive(Debug, Deserialize)]
pub(crate) struct Problem {
    pub code: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub errors: Vec<FieldProblem>,
}

impl Problem {
    /// A problem with one field, for a page that learns it otherwise (the message comes from
    /// the catalogue's `field-<code>`).
    pub(crate) fn on_field(field: &str, code: &str) -> Self {
        Self {
            code: "validation_failed".into(),
            detail: String::new(),
            errors: vec![FieldProblem {
                field: field.into(),
                code: code.into(),
                message: String::new(),
            }],
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// The visitor of a page: what is passed on to the API for them, and what the page needs to
/// know of their request.
pub(crate) struct Visit {
    headers: HeaderMap,
    peer: Option<SocketAddr>,
    keys: Option<KeyRing>,
    cookie_names: CookieNames,
    /// The path and query asked for, to come back to after signing in.
    pub here: String,
    /// The session's CSRF token (from its readable cookie), to put in the page's forms; its
    /// presence also says a session was started in this browser.
    pub csrf: Option<String>,
    pub tr: Tr,
}

impl Visit {
    /// The page's language, now that the person's profile is known.
    pub(crate) fn speak(&mut self, profile_locale: Option<&str>) {
        self.tr = Tr::negotiate(profile_locale, self.headers.get(header::ACCEPT_LANGUAGE));
    }
}

impl FromRequestParts<Web> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &Web) -> Result<Self, Self::Rejection> {
        let mut headers = HeaderMap::new();
        for name in PASSED_ON.iter().chain([&REQUEST_ID]) {
            for value in parts.headers.get_all(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        let cookie_names = CookieNames::of(parts);
        let csrf = web_session::cookie(&parts.headers, cookie_names.csrf).map(str::to_owned);
        Ok(Self {
            tr: Tr::negotiate(None, parts.headers.get(header::ACCEPT_LANGUAGE)),
            peer: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
            keys: parts.extensions.get::<KeyRing>().cloned(),
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            headers,
            cookie_names,
            csrf,
        })
    }
}
