//! The OpenAPI 3.1 document, assembled from every running context's routes, served at
//! `/api/openapi.json` with a browsable reference at `/api/docs`.

use axum::{
    http::{header, HeaderValue},
    routing::get,
    Json, Router,
};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::{
    security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder,
};
use utoipa_scalar::{Scalar, Servable};

use crate::error::{FieldError, Problem};

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

/// The reference UI loads its script from a CDN; only this page's policy allows that.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; \
     style-src 'self' 'unsafe-inline' https:; font-src 'self' data: https:; img-src 'self' data: https:; \
     connect-src 'self'; object-src 'none'; frame-ancestors 'none'";

pub fn routes(document: OpenApi) -> Router {
    let json = serde_json::to_value(&document).unwrap_or_default();
    Router::new()
        .route("/api/openapi.json", get(move || async move { Json(json) }))
        .merge(Router::from(Scalar::with_url("/api/docs", document)).layer(
            SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            ),
        ))
}
