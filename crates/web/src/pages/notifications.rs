//! The person's notifications: newest first, unread marked, each opened through a form that
//! marks it read on the way to its page, and all marked read at once; and the choice of what
//! they are told, in the app and by email, and when email must wait.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    Form,
};
use std::collections::HashMap;

use serde::Deserialize;

use crate::{
    api::Visit,
    forms::{CsrfForm, FormErrors},
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
    let local = campus_platform::web_session::is_local_path(&form.to);
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
    email: String,
    push: bool,
}

#[derive(Debug, Deserialize)]
struct PushSubscriptions {
    public_key: String,
    subscriptions: Vec<Device>,
}

/// A browser the person subscribed to push.
#[derive(Debug, Deserialize)]
struct Device {
    id: String,
    service: String,
    created_at: String,
}

#[derive(Debug, Deserialize)]
struct QuietHours {
    from: String,
    until: String,
}

#[derive(Debug, Deserialize)]
struct Preferences {
    categories: Vec<Choice>,
    quiet_hours: Option<QuietHours>,
    digest_at: String,
    time_zone: String,
}

#[derive(Template)]
#[template(path = "notification_preferences.html")]
struct PreferencesPage {
    frame: Frame,
    choices: Vec<ChoiceView>,
    /// Email held during quiet hours.
    quiet: bool,
    quiet_from: String,
    quiet_until: String,
    digest_at: String,
    /// "In your time zone, Europe/Madrid."
    zone_hint: String,
    errors: FormErrors,
    saved: bool,
    /// The key a browser subscribes to push with.
    push_key: String,
    /// `(id, "Chrome's push service, since 3 December")`.
    devices: Vec<(String, String)>,
}

/// One category: whether it is told in the app, how by email, its label and what it covers.
struct ChoiceView {
    category: String,
    in_app: bool,
    label: String,
    hint: String,
    push: bool,
    /// `(value, label, selected)` of the email choice.
    email: Vec<(&'static str, String, bool)>,
}

/// `?saved=1`: the page comes back from a save.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

impl Saved {
    pub(crate) fn is_saved(&self) -> bool {
        self.saved.is_some()
    }
}

/// Email's three ways, in the order the choice lists them.
const EMAIL_MODES: [&str; 3] = ["immediately", "daily", "off"];

/// What the person is told of, where, and when email must wait.
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
    let devices: PushSubscriptions = web
        .api
        .get(&visit, "/api/v1/me/push-subscriptions")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let frame = Frame::new(&visit, Some(me), Section::Notifications);
    let page = preferences_page(frame, preferences, devices, None, saved.saved.is_some());
    Ok(frame::render(&page, StatusCode::OK))
}

/// The page for `preferences`, or for what the person sent (`sent`) with its errors.
fn preferences_page(
    frame: Frame,
    preferences: Preferences,
    devices: PushSubscriptions,
    sent: Option<(&HashMap<String, String>, FormErrors)>,
    saved: bool,
) -> PreferencesPage {
    let choices = preferences
        .categories
        .into_iter()
        .map(|choice| {
            let (in_app, email, push) = match &sent {
                Some((form, _)) => (
                    form.contains_key(&format!("{}-app", choice.category)),
                    form.get(&format!("{}-email", choice.category))
                        .cloned()
                        .unwrap_or(choice.email),
                    form.contains_key(&format!("{}-push", choice.category)),
                ),
                None => (choice.in_app, choice.email, choice.push),
            };
            ChoiceView {
                label: frame.t(format!("preferences-{}", choice.category)),
                hint: frame.t(format!("preferences-{}-hint", choice.category)),
                email: EMAIL_MODES
                    .iter()
                    .map(|mode| {
                        (
                            *mode,
                            frame.t(format!("preferences-email-{mode}")),
                            *mode == email,
                        )
                    })
                    .collect(),
                category: choice.category,
                in_app,
                push,
            }
        })
        .collect();
    let zone_hint = frame
        .tr
        .s("preferences-zone", "zone", &preferences.time_zone);
    let stored = preferences.quiet_hours;
    let (quiet, quiet_from, quiet_until, digest_at, errors) = match sent {
        Some((form, errors)) => {
            let field = |name: &str| form.get(name).cloned().unwrap_or_default();
            (
                form.contains_key("quiet"),
                field("quiet_from"),
                field("quiet_until"),
                field("digest_at"),
                errors,
            )
        }
        None => (
            stored.is_some(),
            stored
                .as_ref()
                .map_or_else(|| "21:00".to_owned(), |q| q.from.clone()),
            stored
                .as_ref()
                .map_or_else(|| "07:00".to_owned(), |q| q.until.clone()),
            preferences.digest_at,
            FormErrors::default(),
        ),
    };
    let time_zone = preferences.time_zone.clone();
    let devices_shown = devices
        .subscriptions
        .into_iter()
        .map(|device| {
            let since = crate::when::date_time(&frame.tr, &device.created_at, Some(&time_zone));
            let label = frame.tr.with(
                "preferences-device",
                &[("service", device.service.into()), ("since", since.into())],
            );
            (device.id, label)
        })
        .collect();
    PreferencesPage {
        push_key: devices.public_key,
        devices: devices_shown,
        frame,
        choices,
        quiet,
        quiet_from,
        quiet_until,
        digest_at,
        zone_hint,
        errors,
        saved,
    }
}

/// Saves the whole form: each category's two channels, the quiet hours and the digest time.
pub(crate) async fn save_preferences(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<HashMap<String, String>>,
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
            let email = form
                .get(&format!("{}-email", choice.category))
                .filter(|mode| EMAIL_MODES.contains(&mode.as_str()))
                .unwrap_or(&choice.email);
            serde_json::json!({
                "category": choice.category,
                "in_app": form.contains_key(&format!("{}-app", choice.category)),
                "email": email,
                "push": form.contains_key(&format!("{}-push", choice.category)),
            })
        })
        .collect();
    let field = |name: &str| {
        form.get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let quiet_hours = if form.contains_key("quiet") {
        serde_json::json!({ "from": field("quiet_from"), "until": field("quiet_until") })
    } else {
        serde_json::Value::Null
    };
    let csrf = form.get("csrf").map(String::as_str).unwrap_or_default();
    let answer = web
        .api
        .call(
            &visit,
            Method::PUT,
            "/api/v1/me/notification-preferences",
            Some(&serde_json::json!({
                "categories": categories,
                "quiet_hours": quiet_hours,
                "digest_at": field("digest_at"),
            })),
            Some(csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other("/notifications/preferences?saved=1")),
        Err(failure) => {
            let errors = FormErrors::of(&visit.tr, failure)
                .map_err(|failure| visit.fail(failure))?
                .renamed(|field| field.replace('.', "_").replace("quiet_hours_", "quiet_"))
                .labelled(
                    &visit.tr,
                    &[
                        ("quiet_from", "preferences-quiet-from"),
                        ("quiet_until", "preferences-quiet-until"),
                        ("digest_at", "preferences-digest-at"),
                    ],
                );
            let devices: PushSubscriptions = web
                .api
                .get(&visit, "/api/v1/me/push-subscriptions")
                .await
                .map_err(|failure| visit.fail(failure))?;
            let me = visit.me(&web).await?;
            let frame = Frame::new(&visit, Some(me), Section::Notifications);
            let page = preferences_page(frame, current, devices, Some((&form, errors)), false);
            let status = page.errors.status();
            Ok(frame::render(&page, status))
        }
    }
}

/// Stops pushing to one of the person's browsers.
pub(crate) async fn stop_device(
    State(web): State<Web>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> axum::response::Response {
    web.act(
        &visit,
        Method::DELETE,
        &format!("/api/v1/me/push-subscriptions/{id}"),
        None,
        &form.csrf,
        "/notifications/preferences?saved=1",
    )
    .await
}
