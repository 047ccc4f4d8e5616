//! The OpenAPI 3.1 document, assembled from every running context's routes, served at
//! `/api/openapi.json` with a browsable reference at `/api/docs`.
//!
//! Routes declare what is particular to them (their success answers, and refusals such as 403
//! or 409 with their meaning). The error answers that follow from what an operation *is* are
//! declared once, here, by [`declare_error_answers`]: a secured operation can answer 401, one
//! with a body 400, 413, 415 and 422 (one without a body refuses one with 400), one with a
//! query 422, one with a path id 404, every operation 408 and 503; and every error answer comes
//! as `application/problem+json`.

use axum::{
    http::{header, HeaderValue},
    routing::get,
    Json, Router,
};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::{
    header::HeaderBuilder,
    path::{Operation, ParameterIn, PathItem},
    security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder, Ref,
    RefOr, Response, ResponseBuilder,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{FieldError, Problem, PROBLEM_CONTENT_TYPE};

/// The schema names `theirs` shares with `ours` but defines otherwise. Merging two documents
/// keeps one schema per name, so a clash would quietly describe one context's body with
/// another's; the host refuses to start with one.
pub fn clashing_schemas(ours: &OpenApi, theirs: &OpenApi) -> Vec<String> {
    let (Some(ours), Some(theirs)) = (&ours.components, &theirs.components) else {
        return Vec::new();
    };
    theirs
        .schemas
        .iter()
        .filter(|(name, schema)| {
            ours.schemas.get(*name).is_some_and(|mine| {
                serde_json::to_value(mine).ok() != serde_json::to_value(schema).ok()
            })
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The document's frame: title, version, the bearer scheme and the shared problem schema.
pub fn base() -> OpenApi {
    let components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        )
        .schema_from::<Problem>()
        .schema_from::<FieldError>()
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Campus Hub API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "REST API of Campus Hub. Errors are RFC 9457 `application/problem+json` \
                     with a stable `code`; lists use cursor pagination (`?cursor=&limit=`).",
                ))
                .build(),
        )
        .components(Some(components))
        .build()
}

/// The reference UI (Swagger UI) is served from files inside the binary, so it works on a
/// machine with no internet and loads nothing from anyone else. Its page sets inline styles
/// and data: icons; nothing else of this page's policy is looser than the rest of the site's.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Adds the error answers every operation can give by its kind (see the module's text), and
/// makes every error answer `application/problem+json` with the `Problem` schema.
pub fn declare_error_answers(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            declare_for(operation);
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn declare_for(operation: &mut Operation) {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let takes_body = operation.request_body.is_some();
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
    let (has_query, has_path) = (has(ParameterIn::Query), has(ParameterIn::Path));
    let mut answers: Vec<(&str, &str)> = Vec::new();
    if secured {
        answers.push((
            "401",
            "No valid access token (or session), or the account is deactivated",
        ));
    }
    if !takes_body {
        answers.push((
            "400",
            "This operation takes no request body (`unexpected_body`)",
        ));
    } else {
        answers.push(("400", "The body is not valid JSON (`malformed_json`)"));
        answers.push(("413", "The body is larger than the server accepts"));
        answers.push(("415", "The body is not sent as `application/json`"));
    }
    if takes_body || has_query {
        answers.push(("422", "A field breaks its rules; `errors` lists each one"));
    }
    if has_path {
        answers.push(("404", "No such resource, or one the caller may not know of"));
    }
    answers.push(("408", "The request took too long and was stopped"));
    answers.push((
        "503",
        "A dependency (database, bus) is unavailable; try again later",
    ));
    let responses = &mut operation.responses.responses;
    for (status, description) in answers {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    }
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response) {
            as_problem(status, response);
        }
    }
}

/// The answer's body is a Problem, as `application/problem+json`.
fn as_problem(status: &str, response: &mut Response) {
    response.content.clear();
    response.content.insert(
        PROBLEM_CONTENT_TYPE.to_owned(),
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    let header = match status {
        "401" => Some(("WWW-Authenticate", "`Bearer`")),
        "429" => Some(("Retry-After", "Seconds to wait before trying again")),
        "503" => Some(("Retry-After", "Seconds to wait before trying again")),
        _ => None,
    };
    if let Some((name, description)) = header {
        response.headers.entry(name.to_owned()).or_insert_with(|| {
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(utoipa::openapi::Type::String))
                .description(Some(description))
                .build()
        });
    }
}

/// Declares that every operation of `router` may answer 429 (its rate limit), as the layer
/// that limits them is put on.
pub fn rate_limited(
    mut router: utoipa_axum::router::OpenApiRouter,
) -> utoipa_axum::router::OpenApiRouter {
    for item in router.get_openapi_mut().paths.paths.values_mut() {
        for operation in operations_mut(item) {
            operation.responses.responses.insert(
                "429".to_owned(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description("Too many requests from this client; see `Retry-After`")
                        .build(),
                ),
            );
        }
    }
    router
}

/// Swagger UI at `/api/docs`, reading the document from `/api/openapi.json` (served beside it,
/// once).
fn docs_ui() -> SwaggerUi {
    SwaggerUi::new("/api/docs").config(
        utoipa_swagger_ui::Config::from("/api/openapi.json")
            .try_it_out_enabled(true)
            .display_request_duration(true)
            .persist_authorization(false),
    )
}

pub fn routes(document: OpenApi) -> Router {
    let json = serde_json::to_value(&document).unwrap_or_default();
    Router::new()
        .route("/api/openapi.json", get(move || async move { Json(json) }))
        .merge(
            Router::from(docs_ui()).layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            )),
        )
}

/// What the API document says of text fields, from the limits their checks use: a field is
/// annotated `#[schema(schema_with = fields::required_text::<{ TITLE_MAX }>)]` next to the
/// check that uses `TITLE_MAX`. Text is trimmed before it is checked, so the limits hold for
/// what a client sends; control characters other than tab and line breaks are refused.
pub mod fields {
    use utoipa::openapi::{
        schema::{SchemaType, Type},
        Object, ObjectBuilder,
    };

    /// Any character but the control characters the checks refuse.
    const CHARACTER: &str = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";
    /// The same, on one line.
    const LINE_CHARACTER: &str = r"[^\u0000-\u001f\u007f-\u009f]";
    /// A character that is not blank.
    const VISIBLE: &str = r"[^\s\u0000-\u001f\u007f-\u009f]";

    fn string(max: usize, pattern: String, nullable: bool) -> Object {
        let kind = if nullable {
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::Type(Type::String)
        };
        ObjectBuilder::new()
            .schema_type(kind)
            .max_length(Some(max))
            .pattern(Some(pattern))
            .build()
    }

    /// Text of at most `MAX` characters; blank allowed.
    pub fn text<const MAX: usize>() -> Object {
        string(MAX, format!("^{CHARACTER}*$"), false)
    }

    /// Text of at most `MAX` characters with something in it.
    pub fn required_text<const MAX: usize>() -> Object {
        string(MAX, format!("^{CHARACTER}*{VISIBLE}{CHARACTER}*$"), false)
    }

    /// Text of at most `MAX` characters with something in it, or `null` to leave it as it is.
    pub fn optional_required_text<const MAX: usize>() -> Object {
        string(MAX, format!("^{CHARACTER}*{VISIBLE}{CHARACTER}*$"), true)
    }

    /// Text of at most `MAX` characters, blank allowed, or `null` to leave it as it is.
    pub fn optional_text<const MAX: usize>() -> Object {
        string(MAX, format!("^{CHARACTER}*$"), true)
    }

    /// One line of at most `MAX` characters (blank clears it), or `null` to leave it as it is.
    pub fn optional_line<const MAX: usize>() -> Object {
        string(MAX, format!("^{LINE_CHARACTER}*$"), true)
    }

    /// One line of at most `MAX` characters with something in it (a name).
    pub fn required_line<const MAX: usize>() -> Object {
        string(
            MAX,
            format!("^{LINE_CHARACTER}*{VISIBLE}{LINE_CHARACTER}*$"),
            false,
        )
    }

    /// One line of at most `MAX` characters with something in it, or `null` to leave it.
    pub fn optional_required_line<const MAX: usize>() -> Object {
        string(
            MAX,
            format!("^{LINE_CHARACTER}*{VISIBLE}{LINE_CHARACTER}*$"),
            true,
        )
    }

    /// One line of at most `max` characters with something in it, none of them in `forbidden`
    /// (which must not need escaping in a character class).
    pub fn required_line_of(max: usize, forbidden: &str) -> Object {
        let allowed = format!(r"[^{forbidden}\u0000-\u001f\u007f-\u009f]");
        let visible = format!(r"[^{forbidden}\s\u0000-\u001f\u007f-\u009f]");
        string(max, format!("^{allowed}*{visible}{allowed}*$"), false)
    }

    /// Text matching `pattern`, at most `max` characters.
    pub fn pattern(pattern: &str, max: usize) -> Object {
        string(max, pattern.to_owned(), false)
    }

    /// Text matching `pattern`, at most `max` characters, or `null`.
    pub fn optional_pattern(pattern: &str, max: usize) -> Object {
        string(max, pattern.to_owned(), true)
    }

    /// A host name of letters, digits and dashes whose last label starts with a letter (a
    /// numeric last label makes a URL parser read the host as an IPv4 address): what every
    /// URL check here accepts.
    pub const HOST: &str =
        r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

    /// An `http(s)` address of at most `MAX` characters; blank removes it; `null` leaves it.
    pub fn optional_link<const MAX: usize>() -> Object {
        let pattern = format!(r"^(\s*|https?://{HOST}(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?)$");
        string(MAX, pattern, true)
    }

    /// An `http(s)` address of at most `MAX` characters.
    pub fn link<const MAX: usize>() -> Object {
        let pattern = format!(r"^https?://{HOST}(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$");
        string(MAX, pattern, false)
    }

    /// A list of at most `max_items` items, or `null` to leave it as it is.
    pub fn optional_list(item: Object, max_items: usize) -> utoipa::openapi::Array {
        utoipa::openapi::ArrayBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
            .items(item)
            .max_items(Some(max_items))
            .build()
    }

    /// A list of at most `max_items` items.
    pub fn list(item: Object, max_items: usize) -> utoipa::openapi::Array {
        utoipa::openapi::ArrayBuilder::new()
            .items(item)
            .max_items(Some(max_items))
            .build()
    }
}

/// The schema of a request body that is `schema` with `fields` required (each with the schema
/// it must then follow): for a creation that needs what a change may leave out.
pub fn requiring(
    schema: RefOr<utoipa::openapi::Schema>,
    fields: &[(&str, utoipa::openapi::Object)],
) -> RefOr<utoipa::openapi::Schema> {
    let RefOr::T(utoipa::openapi::Schema::Object(mut object)) = schema else {
        return schema;
    };
    for (name, field) in fields {
        object
            .properties
            .insert((*name).to_owned(), RefOr::T(field.clone().into()));
        if !object.required.iter().any(|r| r == name) {
            object.required.push((*name).to_owned());
        }
    }
    RefOr::T(utoipa::openapi::Schema::Object(object))
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::{schema::Type, ComponentsBuilder, ObjectBuilder, OpenApiBuilder};

    use super::*;

    fn document(name: &str, property: &str) -> OpenApi {
        let schema = ObjectBuilder::new()
            .property(property, ObjectBuilder::new().schema_type(Type::String))
            .build();
        OpenApiBuilder::new()
            .components(Some(ComponentsBuilder::new().schema(name, schema).build()))
            .build()
    }

    #[test]
    fn a_name_two_contexts_define_otherwise_is_a_clash() {
        let social = document("Queue", "post_id");
        assert_eq!(
            clashing_schemas(&social, &document("Queue", "message_id")),
            ["Queue"]
        );
        assert!(clashing_schemas(&social, &document("Queue", "post_id")).is_empty());
        assert!(clashing_schemas(&social, &document("MessageQueue", "message_id")).is_empty());
    }
}
