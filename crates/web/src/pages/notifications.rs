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

#[derive(Debug, Deserialize)]
struct Choice {
    category: String,
    in_app: bool,
}

#[derive(Debug, Deserialize)]
struct Preferences {
    categories: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "notification_preferences.html")]
struct PreferencesPage {
    frame: Frame,
    choices: Vec<ChoiceView>,
    saved: bool,
}

/// One checkbox: the category, whether it is told, its label and what it covers.
struct ChoiceView {
    category: String,
    on: bool,
    label: String,
    hint: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

/// Which categories the person is told of, as checkboxes.
pub(crate) async fn preferences(
    State(web): State<Web>,
    mut visit: Visit,
    Query(saved): Query<Saved>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let preferences: Preferences = web
        .api
        .get(&visit, "/api/v1/me/notification-preferences")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let frame = Frame::new(&visit, Some(me), Section::Notifications);
    let choices = preferences
        .categories
        .into_iter()
        .map(|choice| ChoiceView {
            label: frame.t(format!("preferences-{}", choice.category)),
            hint: frame.t(format!("preferences-{}-hint", choice.category)),
            category: choice.category,
            on: choice.in_app,
        })
        .collect();
    let page = PreferencesPage {
        frame,
        choices,
        saved: saved.saved.is_some(),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// Saves the checkboxes: a category checked is told, one left unchecked is not.
pub(crate) async fn save_preferences(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Rendered {
    let current: Preferences = web
        .api
        .get(&visit, "/api/v1/me/notification-preferences")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let categories: Vec<serde_json::Value> = current
        .categories
        .iter()
        .map(|choice| {
            serde_json::json!({
                "category": choice.category,
                "in_app": form.contains_key(&choice.category),
            })
        })
        .collect();
    let csrf = form.get("csrf").map(String::as_str).unwrap_or_default();
    web.api
        .call(
            &visit,
            Method::PUT,
            "/api/v1/me/notification-preferences",
            Some(&serde_json::json!({ "categories": categories })),
            Some(csrf),
        )
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other("/notifications/preferences?saved=1"))
}
