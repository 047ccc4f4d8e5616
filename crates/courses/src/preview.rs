//! Previewing Markdown exactly as readers will see it, for editors (the web application's
//! lesson and course editors, or any client's): rendered and sanitized by the same code as
//! lessons, descriptions and announcements, so what a teacher previews is what students get.

use axum::extract::State;
use campus_platform::{error::Problem, http::Json, markdown, people::Caller, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{domain, Courses};

pub(crate) fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(preview))
        .with_state(courses)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MarkdownSource {
    #[schema(max_length = 200_000)]
    pub markdown: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MarkdownPreview {
    /// Rendered and sanitized: safe to insert into a page.
    pub html: String,
}

/// Renders Markdown as a lesson's body would be rendered, without saving anything. For
/// everyone signed in to a school; at most as long as a lesson's body.
#[utoipa::path(post, path = "/api/v1/markdown/preview", tag = "courses", request_body = MarkdownSource, security(("bearer" = [])),
    responses((status = 200, body = MarkdownPreview), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn preview(
    State(_courses): State<Courses>,
    _caller: Caller,
    Json(source): Json<MarkdownSource>,
) -> Result<Json<MarkdownPreview>> {
    if source.markdown.len() > domain::LESSON_BODY_MAX {
        return Err(campus_platform::Error::invalid(
            "markdown",
            "too_long",
            format!("at most {} characters", domain::LESSON_BODY_MAX),
        ));
    }
    Ok(Json(MarkdownPreview {
        html: markdown::render(&source.markdown),
    }))
}
