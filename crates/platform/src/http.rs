//! The HTTP server: the middleware every route gets, and serving with graceful shutdown.
//!
//! Outermost first: panics become 500 problems; each request gets an id (`x-request-id`,
//! kept when the client or proxy sent one) and a span that continues the caller's W3C
//! `traceparent`; security headers; CORS when origins are configured; bare error statuses
//! from layers become problem+json; then the request timeout and body-size limit.

use std::{future::Future, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, FromRequest, MatchedPath, Request},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use serde::de::DeserializeOwned;
use tokio::{net::TcpListener, time::Instant};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
};
use tracing::Instrument;

use crate::{auth::KeyRing, config::Config, error, id, metrics, telemetry};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The Content-Security-Policy for everything the server sends unless a route sets its own.
pub const DEFAULT_CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The API's routes as they are served: with the per-route checks (see [`per_route`]) and a
/// problem+json 404 for paths no route matches. `document` says which operations take a body.
pub fn api(routes: Router, document: &utoipa::openapi::OpenApi) -> Router {
    routes
        .fallback(not_found)
        .route_layer(middleware::from_fn_with_state(
            DeclaredBodies::of(document),
            per_route,
        ))
}

/// Builds the web application's pages around the served API (see `campus-web`): the pages
/// call `api` in-process, and pass every request they do not serve on to it.
pub type Pages = fn(api: Router, config: &Config) -> Router;

/// Wraps the whole application (the [`api`], and the pages when served) in the platform's
/// middleware; `keys` verify access tokens.
///
/// The stack wraps the router once, as one service, rather than each route (as
/// `Router::layer` does): a request then clones each layer once instead of a boxed chain of
/// them per route, which on the catalogue cost more than the handler (docs/benchmarks.md).
pub fn with_middleware(routes: Router, config: &Config, keys: KeyRing) -> Router {
    let http = &config.http;
    let cors = (!http.cors_origins.is_empty()).then(|| cors(&http.cors_origins));
    let headers = SecurityHeaders::new(config.public_url().starts_with("https://"));
    let stack = tower::ServiceBuilder::new()
        .layer(CatchPanicLayer::custom(|_| {
            error::problem_for_status(StatusCode::INTERNAL_SERVER_ERROR)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, UlidRequestId))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(tower::layer::layer_fn(RequestSpan))
        .map_response(move |response| headers.apply(response))
        .option_layer(cors)
        .map_response(problems_for_bare_errors)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(http.request_timeout_secs),
        ))
        // The body limit wraps the answer's body type; the middleware above takes axum's.
        .map_response(IntoResponse::into_response)
        .layer(middleware::from_fn_with_state(
            BodyLimits {
                body: http.body_limit_bytes as u64,
                upload: config.files.upload_limit_bytes,
            },
            limit_body,
        ))
        .layer(DefaultBodyLimit::max(http.body_limit_bytes))
        .layer(axum::Extension(keys))
        .layer(axum::Extension(crate::web_session::CookieNames::for_site(
            &config.public_url(),
        )))
        .service(routes);
    Router::new().fallback_service(stack)
}

/// How large a request body may be: uploads (`multipart/form-data`) have their own limit.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    body: u64,
    upload: u64,
}

/// Refuses a body whose declared length passes its limit (413) and cuts off one that passes
/// it while streaming, so no route reads more than the limit whatever the client claims.
/// Upload routes lift axum's buffering limit (`DefaultBodyLimit`) and stream within this one.
async fn limit_body(
    axum::extract::State(limits): axum::extract::State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let upload = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let limit = if upload { limits.upload } else { limits.body };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return crate::Error::PayloadTooLarge.into_response();
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Serves `app` until `shutdown` resolves, then stops accepting and lets in-flight requests
/// finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds per-client rate limits.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[derive(Clone, Copy)]
struct UlidRequestId;

impl MakeRequestId for UlidRequestId {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&id::new_id_string())
            .ok()
            .map(RequestId::new)
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            REQUEST_ID,
        ])
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(3600))
}

/// The headers every answer carries: a strict Content-Security-Policy (unless the route set
/// its own), no sniffing, no framing, no referrer, no cross-origin opener, no powerful
/// features, and HSTS when served over https.
#[derive(Clone)]
struct SecurityHeaders(std::sync::Arc<Vec<(HeaderName, HeaderValue)>>);

impl SecurityHeaders {
    fn new(over_tls: bool) -> Self {
        let mut fixed = vec![
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ),
            (
                HeaderName::from_static("permissions-policy"),
                "geolocation=(), payment=(), usb=()",
            ),
        ];
        if over_tls {
            fixed.push((
                header::STRICT_TRANSPORT_SECURITY,
                "max-age=31536000; includeSubDomains",
            ));
        }
        Self(std::sync::Arc::new(
            fixed
                .into_iter()
                .map(|(name, value)| (name, HeaderValue::from_static(value)))
                .collect(),
        ))
    }

    fn apply(&self, mut response: Response) -> Response {
        let answer = response.headers_mut();
        for (name, value) in self.0.iter() {
            answer.insert(name.clone(), value.clone());
        }
        if !answer.contains_key(header::CONTENT_SECURITY_POLICY) {
            answer.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DEFAULT_CSP),
            );
        }
        response
    }
}

/// One span per request, continuing the caller's trace, logged when it ends. A tower service
/// of its own rather than `from_fn`, which clones the whole stack inside it for every request.
#[derive(Clone)]
struct RequestSpan<S>(S);

impl<S> tower::Service<Request> for RequestSpan<S>
where
    S: tower::Service<Request, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %request_id,
            status = tracing::field::Empty,
        );
        let traceparent = request
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok());
        telemetry::continue_trace(&span, traceparent);
        let started = Instant::now();
        let answer = span.in_scope(|| self.0.call(request));
        Box::pin(async move {
            let response = answer.instrument(span.clone()).await?;
            let status = response.status().as_u16();
            span.record("status", status);
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            span.in_scope(|| {
                if status >= 500 {
                    tracing::warn!(status, elapsed_ms, "request finished");
                } else {
                    tracing::debug!(status, elapsed_ms, "request finished");
                }
            });
            Ok(response)
        })
    }
}

/// Layers such as the timeout and body limit answer with a bare status or a line of plain
/// text; clients should get the same problem+json as from handlers.
fn problems_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let bare = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|value| value.as_bytes().starts_with(b"text/plain"));
    if (status.is_client_error() || status.is_server_error()) && bare {
        let (parts, _) = response.into_parts();
        let mut problem = error::problem_for_status(status);
        for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
            if let Some(value) = parts.headers.get(&name) {
                problem.headers_mut().insert(name, value.clone());
            }
        }
        return problem;
    }
    response
}

/// Operations that take a body, by route pattern and method.
#[derive(Clone, Default)]
struct DeclaredBodies(std::sync::Arc<std::collections::HashSet<(String, Method)>>);

impl DeclaredBodies {
    fn of(document: &utoipa::openapi::OpenApi) -> Self {
        let mut declared = std::collections::HashSet::new();
        for (path, item) in &document.paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
            ];
            for (method, operation) in operations {
                if operation.as_ref().is_some_and(|o| o.request_body.is_some()) {
                    declared.insert((path.clone(), method));
                }
            }
        }
        Self(std::sync::Arc::new(declared))
    }

    fn takes_body(&self, route: &str, method: &Method) -> bool {
        // A borrowed lookup would need the tuple's parts separately; the set is small and the
        // check runs only for requests that do send a body.
        self.0.contains(&(route.to_owned(), method.clone()))
    }
}

/// What every matched route gets (one middleware, so a request clones the route's service
/// once): a body sent to an operation the API document says takes none is refused with 400
/// `unexpected_body`, so the server accepts exactly what the document describes; and the
/// request is counted and timed by route pattern (never the raw path, so scanners probing
/// random paths cannot blow up the label set).
async fn per_route(
    axum::extract::State(declared): axum::extract::State<DeclaredBodies>,
    route: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let sends_body = request.headers().get(header::CONTENT_LENGTH).map_or(
        request.headers().contains_key(header::TRANSFER_ENCODING),
        |len| len.as_bytes() != b"0",
    );
    if sends_body && !declared.takes_body(route.as_str(), &method) {
        return crate::Error::bad_request(
            "unexpected_body",
            "this operation takes no request body",
        )
        .into_response();
    }
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::http_request(
        &method,
        route.as_str(),
        response.status(),
        started.elapsed(),
    );
    response
}

/// The answer for paths no route matches.
pub async fn not_found() -> Response {
    error::problem_for_status(StatusCode::NOT_FOUND).into_response()
}

/// JSON in and out. Every request body of the API is a JSON object; a malformed or mis-shaped
/// one is answered as problem+json: 415 without a JSON content type, 400 for bad syntax, 422
/// naming the field for a wrong shape (or `body` for anything but an object), 413 when too
/// large.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = crate::Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = has_json_type(request.headers());
        let body = read_body(request, state).await?;
        if !is_json {
            return Err(crate::Error::UnsupportedMediaType);
        }
        json_object(&body).map(Json)
    }
}

/// A JSON body that may be left out: an empty body, or JSON `null` (which the OpenAPI schema
/// of an optional body allows), reads as `T::default()`; one that is there is read like
/// [`Json`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = crate::Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = has_json_type(request.headers());
        let body = read_body(request, state).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        if !is_json {
            return Err(crate::Error::UnsupportedMediaType);
        }
        if body.trim_ascii() == b"null" {
            return Ok(Self(T::default()));
        }
        json_object(&body).map(OptionalJson)
    }
}

/// `application/json` or any `+json` type.
pub fn has_json_type(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json"))
}

async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, crate::Error> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                crate::Error::PayloadTooLarge
            } else {
                crate::Error::bad_request("unreadable_body", rejection.body_text())
            }
        })
}

/// Reads a JSON object into `T`: 400 for bad syntax, 422 for the wrong shape.
pub fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, crate::Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
    {
        return Err(crate::Error::invalid(
            "body",
            "not_an_object",
            "the body must be a JSON object",
        ));
    }
    axum::Json::<T>::from_bytes(body)
        .map(|axum::Json(value)| value)
        .map_err(crate::Error::from)
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query-string parameters. A malformed or mis-typed query is answered as problem+json 422
/// naming the parameter at fault, like a bad JSON field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = crate::Error;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|error| {
                let field = error.path().to_string();
                let field = if field == "." {
                    "query".to_owned()
                } else {
                    field
                };
                crate::Error::invalid(&field, "invalid", error.inner().to_string())
            })
    }
}

/// A whole number within `MIN..=MAX`, read from a query or a body: both the check and what the
/// API document says of it come from this one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Within<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Within<MIN, MAX> {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl<const MIN: i64, const MAX: i64> serde::Serialize for Within<MIN, MAX> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de, const MIN: i64, const MAX: i64> serde::Deserialize<'de> for Within<MIN, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WholeNumber::<MIN, MAX>)
    }
}

/// Reads a whole number in range: from JSON an integer or a float with nothing after the point
/// (JSON Schema counts `3.0` as an integer), from a query string its digits.
struct WholeNumber<const MIN: i64, const MAX: i64>;

impl<const MIN: i64, const MAX: i64> WholeNumber<MIN, MAX> {
    fn check<E: serde::de::Error>(value: i128) -> Result<Within<MIN, MAX>, E> {
        if (i128::from(MIN)..=i128::from(MAX)).contains(&value) {
            Ok(Within(value as i64))
        } else {
            Err(E::custom(format!("must be between {MIN} and {MAX}")))
        }
    }
}

impl<const MIN: i64, const MAX: i64> serde::de::Visitor<'_> for WholeNumber<MIN, MAX> {
    type Value = Within<MIN, MAX>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a whole number between {MIN} and {MAX}")
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Self::check(i128::from(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Self::check(i128::from(value))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        if value.fract() == 0.0 && value.abs() < 1e18 {
            Self::check(value as i128)
        } else {
            Err(E::custom("must be a whole number"))
        }
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
        let value: i128 = value
            .trim()
            .parse()
            .map_err(|_| E::custom("must be a whole number"))?;
        Self::check(value)
    }
}

impl<const MIN: i64, const MAX: i64> utoipa::PartialSchema for Within<MIN, MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(MIN as f64))
            .maximum(Some(MAX as f64))
            .into()
    }
}

impl<const MIN: i64, const MAX: i64> utoipa::ToSchema for Within<MIN, MAX> {}

/// For a field of a partial update (`PATCH`) that may be cleared: absent → `None` (leave it),
/// `null` → `Some(None)` (clear it), a value → `Some(Some(value))`. Use with
/// `#[serde(default, with = "campus_platform::http::double_option")]`.
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}
