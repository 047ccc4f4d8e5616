//! The page an email's "stop these emails" link opens: it says what the address stops and
//! stops it only when the button is pressed (a link scanner following the address changes
//! nothing). No sign-in is needed: the address is the secret.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{Method, StatusCode},
};
use serde::Deserialize;

use crate::{
    api::{Failure, Visit},
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Deserialize)]
struct Unsubscribe {
    categories: Vec<String>,
    stopped: bool,
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    frame: Frame,
    token: String,
    /// What the address is about, in the page's language; `None` when it no longer works.
    topics: Option<String>,
    /// Email about them is off (just now, or already).
    stopped: bool,
    /// Stopped by this visit's button.
    done: bool,
}

/// What the address would stop, with the button that stops it.
pub(crate) async fn page(
    State(web): State<Web>,
    visit: Visit,
    Path(token): Path<String>,
) -> Rendered {
    answer(&web, visit, token, Method::GET).await
}

/// Stops it.
pub(crate) async fn stop(
    State(web): State<Web>,
    visit: Visit,
    Path(token): Path<String>,
) -> Rendered {
    answer(&web, visit, token, Method::POST).await
}

async fn answer(web: &Web, visit: Visit, token: String, method: Method) -> Rendered {
    let done = method == Method::POST;
    // Only a token's characters reach the API's path.
    let looks_like_one = !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let found = if looks_like_one {
        web.api
            .call(
                &visit,
                method,
                &format!("/api/v1/unsubscribe/{token}"),
                None,
                None,
            )
            .await
            .json::<Unsubscribe>()
    } else {
        Err(Failure::NotFound)
    };
    let frame = Frame::new(&visit, None, Section::None);
    let (topics, stopped, status) = match found {
        Ok(found) => {
            let topics = found
                .categories
                .iter()
                .map(|category| frame.t(format!("preferences-{category}")))
                .collect::<Vec<_>>()
                .join(", ");
            (Some(topics), found.stopped, StatusCode::OK)
        }
        Err(Failure::NotFound) => (None, false, StatusCode::NOT_FOUND),
        Err(failure) => return Err(visit.fail(failure)),
    };
    let page = UnsubscribePage {
        frame,
        token,
        topics,
        stopped,
        done,
    };
    Ok(frame::render(&page, status))
}
