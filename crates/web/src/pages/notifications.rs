//! The person's notifications: newest first, unread marked, each opened through a form that
//! marks it read on the way to its page, and all marked read at once.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;

use crate::{
    api::Visit,
    forms::CsrfForm,
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct Notification {
    pub id: String,
    pub text: String,
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NotificationPage {
    items: Vec<Notification>,
    next_cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    frame: Frame,
    notifications: Vec<Notification>,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Paging {
    cursor: Option<String>,
}

/// The inbox, a page at a time.
pub(crate) async fn inbox(
    State(web): State<Web>,
    mut visit: Visit,
    Query(paging): Query<Paging>,
) -> Rendered {
    let me = visit.me(&web).await?;
    // A cursor is a notification's id; anything else starts from the newest.
    let path = match paging.cursor.as_deref() {
        Some(cursor) if !cursor.is_empty() && cursor.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            format!("/api/v1/notifications?cursor={cursor}")
        }
        _ => "/api/v1/notifications".to_owned(),
    };
    let page: NotificationPage = web
        .api
        .get(&visit, &path)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let page = NotificationsPage {
        frame: Frame::new(&visit, Some(me), Section::Notifications),
        notifications: page.items,
        next_cursor: page.next_cursor,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(crate) struct OpenForm {
    csrf: String,
    /// The notification's page, as the list showed it.
    to: String,
}

/// Marks the notification read and goes to its page.
pub(crate) async fn open(
    State(web): State<Web>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<OpenForm>,
) -> Rendered {
    web.api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
            None,
            Some(&form.csrf),
        )
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    // Only a page of this site: a forged form must not send the reader elsewhere.
    let local = form.to.starts_with('/') && !form.to.starts_with("//") && !form.to.contains('\\');
    Ok(frame::see_other(if local {
        &form.to
    } else {
        "/notifications"
    }))
}

/// Marks every notification read.
pub(crate) async fn read_all(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    web.api
        .call(
            &visit,
            Method::POST,
            "/api/v1/notifications/read-all",
            None,
            Some(&form.csrf),
        )
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other("/notifications"))
}
