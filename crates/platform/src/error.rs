//! The platform's error type and its RFC 9457 `application/problem+json` form.
//!
//! Every error a client can see has a stable snake_case `code` (also the tail of its `type`
//! URI), a human `title` and `detail`, and for validation failures the list of fields at fault.
//! Internal errors are logged with their cause and answered with a generic body.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name as the client sent it (`email`, `modules[2].title`).
    pub field: String,
    /// Stable snake_case reason (`required`, `too_long`, `invalid_email`).
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Collects field errors so a request hears about every bad field at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// The value when `result` is good; otherwise `None`, with its error kept for `finish`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// 422 listing every field at fault, or `Ok` when there was none.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed (unparseable JSON, wrong content type).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// Well-formed, but fields break the rules.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("authentication is required")]
    Unauthenticated { detail: String },
    /// The password was right; the account also needs a code from its second factor.
    #[error("a code from the authenticator app is required")]
    SecondFactorRequired,
    #[error("{detail}")]
    Forbidden { detail: String },
    /// Unknown id, or one the caller may not know exists: both answer alike.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the request body is larger than this server accepts")]
    PayloadTooLarge,
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (database, bus) is down; the request may succeed later.
    #[error("{dependency} is unavailable")]
    Unavailable { dependency: String },
    /// Logged with its cause and where it happened; answered with a generic body.
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// The problem+json body. `type` is a URN built from `code`, so it is stable and unique.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The dependency an [`Error::Unavailable`] names when the database is out of reach.
const DATABASE: &str = "database";

/// How long a client should wait before trying again after a 503: outages the platform rides
/// out (a database restart, a failover) last seconds.
const RETRY_UNAVAILABLE_AFTER: HeaderValue = HeaderValue::from_static("1");

impl Error {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// The database is out of reach (see [`crate::outage`]).
    pub fn database_unavailable() -> Self {
        Self::Unavailable {
            dependency: DATABASE.into(),
        }
    }

    /// What the caller may not see is answered as if it did not exist: the thing is not
    /// theirs to find (`NotFound`) or to open (`Forbidden`), so it is `what`'s 404. Anything
    /// else stays what it is: a database that went away answers 503, not "not found".
    pub fn unseen_as(self, what: &'static str) -> Self {
        match self {
            Self::NotFound { .. } | Self::Forbidden { .. } => Self::NotFound { what },
            other => other,
        }
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden {
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    #[track_caller]
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        located(error.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated { .. } | Self::SecondFactorRequired => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients match on; pinned by a test so it never drifts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } | Self::Conflict { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated { .. } => "unauthenticated",
            Self::SecondFactorRequired => "second_factor_required",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            // The cause goes to the log, never to the client.
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            Self::Unauthenticated { detail } => detail.clone(),
            other => other.to_string(),
        };
        Problem {
            type_uri: problem_type(self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

pub fn problem_type(code: &str) -> String {
    format!("urn:campus:problem:{code}")
}

/// A problem+json response for a bare status, used where a layer (timeout, unknown route)
/// answers before any handler could build an `Error`.
pub fn problem_for_status(status: StatusCode) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let reason = status.canonical_reason().unwrap_or("Error");
    let problem = Problem {
        type_uri: problem_type(code),
        title: reason.to_owned(),
        status: status.as_u16(),
        detail: match status {
            StatusCode::NOT_FOUND => "no such resource".to_owned(),
            StatusCode::REQUEST_TIMEOUT => "the request took too long and was stopped".to_owned(),
            _ => reason.to_lowercase(),
        },
        code: code.to_owned(),
        errors: Vec::new(),
    };
    problem_response(status, &problem)
}

fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let mut response = problem_response(self.status(), &self.to_problem());
        if let Self::Unavailable { dependency } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, RETRY_UNAVAILABLE_AFTER);
            if dependency == DATABASE {
                response
                    .extensions_mut()
                    .insert(crate::outage::DatabaseOutOfReach);
            }
        }
        if let Self::RateLimited { retry_after_secs } = self {
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let Self::Unauthenticated { .. } = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            JsonRejection::JsonSyntaxError(error) => Self::bad_request(
                "malformed_json",
                format!("the body is not valid JSON: {}", error.body_text()),
            ),
            // Right syntax, wrong shape: a missing field or a wrong type, which serde names.
            JsonRejection::JsonDataError(error) => Self::Validation(vec![FieldError::new(
                field_of(&error.body_text()),
                "invalid",
                error.body_text(),
            )]),
            JsonRejection::BytesRejection(error) => {
                if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Self::PayloadTooLarge
                } else {
                    Self::bad_request("unreadable_body", error.body_text())
                }
            }
            other => Self::bad_request("bad_request", other.body_text()),
        }
    }
}

impl From<PathRejection> for Error {
    fn from(_: PathRejection) -> Self {
        Self::NotFound { what: "resource" }
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Self::Validation(vec![FieldError::new(
            "query",
            "invalid",
            rejection.body_text(),
        )])
    }
}

/// A stored value that names no known role, status or mode: the data is wrong, never a
/// reason to fall back to a default.
impl From<campus_contracts::UnknownValue> for Error {
    #[track_caller]
    fn from(error: campus_contracts::UnknownValue) -> Self {
        located(anyhow::Error::new(error).context("a stored value is not valid"))
    }
}

/// Where an internal error happened: the `?` that turned it into an [`Error`], so a 500's log
/// line names the statement of the store function that failed (`?` passes its location to
/// these conversions through `#[track_caller]`).
#[track_caller]
fn located(error: anyhow::Error) -> Error {
    let at = std::panic::Location::caller();
    Error::Internal(error.context(format!("at {}:{}", at.file(), at.line())))
}

impl From<anyhow::Error> for Error {
    #[track_caller]
    fn from(error: anyhow::Error) -> Self {
        // A database error wrapped on its way up is still the database being away.
        if error
            .chain()
            .any(|cause| cause.downcast_ref().is_some_and(out_of_reach))
        {
            tracing::warn!(error = %format!("{error:#}"), "database unavailable");
            return Self::database_unavailable();
        }
        located(error)
    }
}

impl From<sqlx::Error> for Error {
    #[track_caller]
    fn from(error: sqlx::Error) -> Self {
        if out_of_reach(&error) {
            tracing::warn!(error = %error, "database unavailable");
            return Self::database_unavailable();
        }
        located(error.into())
    }
}

/// The database could not be reached or is going away: no connection in time, a connection
/// cut, or the server shutting down or not yet accepting (SQLSTATE classes 08 and 57P). The
/// same request may succeed once it is back, so the answer is 503, not 500.
fn out_of_reach(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// serde's data errors read "missing field `email` at line 1 column 2" or
/// "name: invalid type ..."; pull out the field name so clients can point at it.
fn field_of(message: &str) -> String {
    if let Some(rest) = message.split("field `").nth(1) {
        if let Some(name) = rest.split('`').next() {
            return name.to_owned();
        }
    }
    let after_prefix = message.split_once(": ").map_or(message, |(_, rest)| rest);
    match after_prefix.split_once(": ") {
        Some((path, _)) if !path.contains(' ') && path != "." => path.to_owned(),
        _ => "body".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_caller_may_not_see_is_not_found_but_an_outage_stays_an_outage() {
        for hidden in [
            Error::NotFound { what: "course" },
            Error::forbidden("not a member"),
        ] {
            assert!(matches!(
                hidden.unseen_as("lesson"),
                Error::NotFound { what: "lesson" }
            ));
        }
        assert!(matches!(
            Error::database_unavailable().unseen_as("lesson"),
            Error::Unavailable { .. }
        ));
        assert!(matches!(
            Error::internal(anyhow::anyhow!("a fault")).unseen_as("lesson"),
            Error::Internal(_)
        ));
    }

    /// Clients match on these codes; changing one breaks them.
    /// A database that went away answers 503 whether the error came straight from sqlx or was
    /// wrapped on its way up; anything else the database says is still a 500.
    #[test]
    fn a_database_out_of_reach_is_unavailable_however_it_arrives() {
        let cut = || sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into());
        for error in [
            Error::from(cut()),
            Error::from(sqlx::Error::PoolTimedOut),
            Error::from(anyhow::Error::from(cut()).context("reading the signing keys")),
        ] {
            assert_eq!(error.to_problem().status, 503, "{error:?}");
        }
        assert_eq!(
            Error::from(sqlx::Error::RowNotFound).to_problem().status,
            500
        );
        let wrapped = anyhow::Error::from(sqlx::Error::ColumnNotFound("x".into())).context("a");
        assert_eq!(Error::from(wrapped).to_problem().status, 500);
    }

    #[test]
    fn wire_codes_are_stable() {
        let cases: Vec<(Error, &str, u16)> = vec![
            (Error::SecondFactorRequired, "second_factor_required", 401),
            (
                Error::invalid("email", "required", "x"),
                "validation_failed",
                422,
            ),
            (
                Error::Unauthenticated { detail: "x".into() },
                "unauthenticated",
                401,
            ),
            (Error::forbidden("x"), "forbidden", 403),
            (Error::NotFound { what: "course" }, "not_found", 404),
            (Error::PayloadTooLarge, "payload_too_large", 413),
            (Error::UnsupportedMediaType, "unsupported_media_type", 415),
            (
                Error::RateLimited {
                    retry_after_secs: 1,
                },
                "rate_limited",
                429,
            ),
            (
                Error::Unavailable {
                    dependency: "nats".into(),
                },
                "unavailable",
                503,
            ),
            (
                Error::internal(anyhow::anyhow!("secret cause")),
                "internal",
                500,
            ),
        ];
        for (error, code, status) in cases {
            let problem = error.to_problem();
            assert_eq!(problem.code, code);
            assert_eq!(problem.status, status);
            assert_eq!(problem.type_uri, format!("urn:campus:problem:{code}"));
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let problem = Error::internal(anyhow::anyhow!("password=hunter2")).to_problem();
        assert!(!problem.detail.contains("hunter2"));
    }

    fn failing_statement() -> Result<()> {
        Err(sqlx::Error::RowNotFound)?;
        Ok(())
    }

    #[test]
    fn an_internal_error_says_where_it_happened() {
        let Err(Error::Internal(cause)) = failing_statement() else {
            panic!("a database error is internal");
        };
        let line = include_str!("error.rs")
            .lines()
            .position(|l| l.trim() == "Err(sqlx::Error::RowNotFound)?;")
            .map(|index| index + 1)
            .unwrap();
        let text = format!("{cause:#}");
        assert!(
            text.contains(&format!("error.rs:{line}")),
            "names the statement's line: {text}"
        );
        assert!(text.contains("no rows returned"), "keeps the cause: {text}");
    }

    #[test]
    fn serde_messages_name_the_field() {
        assert_eq!(field_of("Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2"), "email");
        assert_eq!(field_of("Failed to deserialize the JSON body into the target type: name: invalid type: integer `1`, expected a string at line 1 column 9"), "name");
    }
}
