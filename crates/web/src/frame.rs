//! What every page shares: the frame around its content (header, navigation, skip link,
//! footer), the signed-in person, and the pages shown when something goes wrong.

use std::borrow::Borrow;

use askama::Template;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use campus_contracts::identity::Role;
use serde::Deserialize;

use crate::{
    api::{Failure, Visit},
    assets,
    i18n::Tr,
    Web,
};

/// The signed-in person, as `/api/v1/me` describes them.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Me {
    pub id: String,
    pub display_name: String,
    pub bio: Option<String>,
    pub role: Role,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub email_verified: bool,
    /// Told only about the person themself.
    pub second_factor: Option<bool>,
    /// The zone times are shown in when the person has none of their own.
    pub school_time_zone: Option<String>,
    /// Unread notifications, the number on the bell (from the notifications context).
    #[serde(default)]
    pub unread: i64,
    /// Unread messages across the person's conversations, the number beside "Messages" (from
    /// the messaging context).
    #[serde(default)]
    pub messages_unread: i64,
}

impl Me {
    pub(crate) fn is_staff(&self) -> bool {
        self.role != Role::Student
    }

    /// Runs a school (super admins run them all).
    pub(crate) fn is_admin(&self) -> bool {
        matches!(self.role, Role::SchoolAdmin | Role::SuperAdmin)
    }

    /// Posts, comments and chats: everyone of a school (the platform's operators belong to
    /// none).
    pub(crate) fn socializes(&self) -> bool {
        self.role != Role::SuperAdmin
    }

    /// Has a moderation queue: the school's admins and teachers.
    pub(crate) fn moderates(&self) -> bool {
        matches!(self.role, Role::SchoolAdmin | Role::Teacher)
    }

    pub(crate) fn is_super_admin(&self) -> bool {
        self.role == Role::SuperAdmin
    }
}

#[derive(Debug, Deserialize)]
struct Unread {
    unread: i64,
}

/// The parts of the navigation, so the current one is marked for assistive technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Home,
    Feed,
    Courses,
    Grades,
    Calendar,
    Messages,
    Moderation,
    Notifications,
    Account,
    Admin,
    Platform,
    Search,
    None,
}

/// The frame around a page's content.
pub(crate) struct Frame {
    pub tr: Tr,
    pub me: Option<Me>,
    /// For the forms on the page (the sign-out button included).
    pub csrf: String,
    pub section: Section,
}

impl Frame {
    pub(crate) fn new(visit: &Visit, me: Option<Me>, section: Section) -> Self {
        Self {
            tr: visit.tr,
            me,
            csrf: visit.csrf.clone().unwrap_or_default(),
            section,
        }
    }

    /// The message `key` in the page's language.
    pub(crate) fn t(&self, key: impl AsRef<str>) -> String {
        self.tr.t(key.as_ref())
    }

    /// The message `key` with the number `value` as `$name` (templates pass references).
    pub(crate) fn n(&self, key: &str, name: &'static str, value: impl Borrow<i64>) -> String {
        self.tr.n(key, name, *value.borrow())
    }

    /// The message `key` with the text `value` as `$name`.
    pub(crate) fn s(&self, key: &str, name: &'static str, value: impl AsRef<str>) -> String {
        self.tr.s(key, name, value.as_ref())
    }

    /// `aria-current` for a navigation link to `section`.
    pub(crate) fn current(&self, section: Section) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }

    /// An instant from the API, in the person's time zone and language.
    pub(crate) fn when(&self, rfc3339: impl AsRef<str>) -> String {
        crate::when::date_time(&self.tr, rfc3339.as_ref(), self.time_zone())
    }

    /// The person's time zone (their school's when they chose none; none when neither did,
    /// and instants are then shown in UTC).
    pub(crate) fn time_zone(&self) -> Option<&str> {
        self.me
            .as_ref()
            .and_then(|me| me.time_zone.as_deref().or(me.school_time_zone.as_deref()))
    }

    /// The time zone's name for a page's script: [`Frame::time_zone`], or UTC.
    pub(crate) fn time_zone_name(&self) -> &str {
        self.time_zone().unwrap_or("UTC")
    }

    /// For a page's script to write instants as [`Frame::when`] does: its shape, with
    /// `__DAY__`, `__MONTH__`, `__YEAR__` and `__TIME__` where the parts go.
    pub(crate) fn when_shape(&self) -> String {
        crate::when::date_time_shape(&self.tr)
    }

    /// The months' names in the page's language, `|` between them, for a page's script.
    pub(crate) fn months(&self) -> String {
        crate::when::month_names(&self.tr).join("|")
    }

    pub(crate) fn stylesheet(&self) -> &'static str {
        assets::stylesheet()
    }

    pub(crate) fn script(&self) -> &'static str {
        assets::script()
    }

    pub(crate) fn icon(&self) -> &'static str {
        assets::icon()
    }
}

/// Answers with `page`. Pages are personal and may hold a CSRF token: never stored by a cache.
pub(crate) fn render(page: &impl Template, status: StatusCode) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = (status, axum::response::Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::VARY,
                HeaderValue::from_static("Cookie, Accept-Language"),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "").into_response()
        }
    }
}

/// A redirect after a form was handled (303: the browser asks for the next page with GET).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// What a page handler answers: the page, or the page for what went wrong (so `?` works).
pub(crate) type Rendered = Result<Response, Fault>;

/// A page that could not be shown, as the visitor should see it.
pub(crate) struct Fault {
    // Boxed: a fault travels in every page's `Err`, and is rare.
    failure: Box<Failure>,
    tr: Tr,
    here: String,
    session_started: bool,
}

impl Visit {
    /// Turns what went wrong for this visit into the page the visitor sees.
    pub(crate) fn fault(&self) -> impl Fn(Failure) -> Fault + '_ {
        move |failure| Fault {
            failure: Box::new(failure),
            tr: self.tr,
            here: self.here.clone(),
            session_started: self.csrf.is_some(),
        }
    }

    /// What went wrong, as the page the visitor will see.
    pub(crate) fn fail(&self, failure: Failure) -> Fault {
        self.fault()(failure)
    }

    /// The page for what went wrong.
    pub(crate) fn show(&self, failure: Failure) -> Response {
        self.fail(failure).into_response()
    }

    /// The person signed in for this visit; their profile's language from now on.
    pub(crate) async fn me(&mut self, web: &Web) -> Result<Me, Fault> {
        let mut me: Me = web
            .api
            .get(self, "/api/v1/me")
            .await
            .map_err(self.fault())?;
        self.speak(me.locale.as_deref());
        // The counts are no reason to refuse a page: without one, it shows none.
        let visit: &Visit = self;
        let (bell, messages) = futures::join!(
            web.api
                .get::<Unread>(visit, "/api/v1/notifications/unread-count"),
            async {
                if me.socializes() {
                    Some(
                        web.api
                            .get::<Unread>(visit, "/api/v1/conversations/unread-count")
                            .await,
                    )
                } else {
                    None
                }
            }
        );
        match bell {
            Ok(count) => me.unread = count.unread,
            Err(_) => tracing::debug!("the unread count is not available"),
        }
        match messages {
            Some(Ok(count)) => me.messages_unread = count.unread,
            Some(Err(_)) => tracing::debug!("the unread messages count is not available"),
            None => {}
        }
        Ok(me)
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        let next = serde_urlencoded::to_string([("next", self.here.as_str())]).unwrap_or_default();
        let (status, heading, message) = match *self.failure {
            // The access cookie lapsed: renew it where the refresh cookie is sent, else sign in.
            Failure::SignedOut if self.session_started => {
                return see_other(&format!("/api/v1/auth/session/continue?{next}"))
            }
            Failure::SignedOut => return see_other(&format!("/sign-in?{next}")),
            Failure::NotFound => return not_found(self.tr),
            Failure::Forbidden => (
                StatusCode::FORBIDDEN,
                "error-forbidden-heading",
                "error-forbidden-text".to_owned(),
            ),
            Failure::Refused { problem, .. } => (
                StatusCode::CONFLICT,
                "error-refused-heading",
                crate::forms::problem_message(&self.tr, &problem),
            ),
            Failure::Broken => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-broken-heading",
                "error-broken-text".to_owned(),
            ),
        };
        let message = self.tr.maybe(&message).unwrap_or(message);
        error_page(self.tr, status, heading, &message)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    frame: Frame,
    heading: String,
    message: &'a str,
}

fn error_page(tr: Tr, status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage {
        frame: Frame {
            tr,
            me: None,
            csrf: String::new(),
            section: Section::None,
        },
        heading: tr.t(heading),
        message,
    };
    render(&page, status)
}

/// The page for an address that leads nowhere.
pub(crate) fn not_found(tr: Tr) -> Response {
    error_page(
        tr,
        StatusCode::NOT_FOUND,
        "error-not-found-heading",
        &tr.t("error-not-found-text"),
    )
}
