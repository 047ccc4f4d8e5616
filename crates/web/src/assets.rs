//! The stylesheet, script and icon, served from the binary under names that carry a hash of
//! their content: a page always links the current version, so browsers and proxies may keep
//! each one for a year without ever serving a stale copy.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

struct Asset {
    /// `campus.<hash>.css`
    name: String,
    content_type: &'static str,
    body: &'static str,
}

impl Asset {
    fn new(stem: &str, extension: &str, content_type: &'static str, body: &'static str) -> Self {
        let digest = Sha256::digest(body.as_bytes());
        let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            name: format!("{stem}.{hash}.{extension}"),
            content_type,
            body,
        }
    }
}

static ASSETS: LazyLock<[Asset; 3]> = LazyLock::new(|| {
    [
        Asset::new(
            "campus",
            "css",
            "text/css; charset=utf-8",
            include_str!("../assets/campus.css"),
        ),
        Asset::new(
            "campus",
            "js",
            "text/javascript; charset=utf-8",
            include_str!("../assets/campus.js"),
        ),
        Asset::new(
            "icon",
            "svg",
            "image/svg+xml",
            include_str!("../assets/icon.svg"),
        ),
    ]
});

/// The stylesheet's current name.
pub(crate) fn stylesheet() -> &'static str {
    &ASSETS[0].name
}

/// The script's current name.
pub(crate) fn script() -> &'static str {
    &ASSETS[1].name
}

/// The icon's current name.
pub(crate) fn icon() -> &'static str {
    &ASSETS[2].name
}

pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The push worker, at the site's root so that its scope is every page. Browsers check it
/// for updates on their own; it is not kept long.
pub(crate) async fn push_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../assets/push-worker.js"),
    )
        .into_response()
}
