//! The person's calendar: what is due in their courses over the next 90 days, and the private
//! address their calendar application subscribes to (shown to copy, made anew, stopped).

use askama::Template;
use axum::{
    extract::State,
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;

use crate::{
    api::{Failure, Visit},
    forms::CsrfForm,
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct Entry {
    pub kind: String,
    pub title: String,
    pub course_title: Option<String>,
    pub opens_at: Option<String>,
    pub due_at: Option<String>,
    pub done: Option<bool>,
    pub link: String,
}

#[derive(Debug, Deserialize)]
struct Entries {
    items: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct FeedAddress {
    url: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    frame: Frame,
    entries: Vec<Entry>,
    feed: Option<String>,
}

pub(crate) async fn calendar(State(web): State<Web>, mut visit: Visit) -> Rendered {
    let me = visit.me(&web).await?;
    let entries: Entries = web
        .api
        .get(&visit, "/api/v1/calendar")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let feed = match web
        .api
        .get::<FeedAddress>(&visit, "/api/v1/calendar/feed")
        .await
    {
        Ok(feed) => Some(feed.url),
        Err(Failure::NotFound) => None,
        Err(failure) => return Err(visit.fail(failure)),
    };
    let page = CalendarPage {
        frame: Frame::new(&visit, Some(me), Section::Calendar),
        entries: entries.items,
        feed,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// Makes a new private address (the old one stops working).
pub(crate) async fn new_feed(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    change_feed(&web, &visit, Method::POST, &form.csrf).await
}

/// Stops the private address.
pub(crate) async fn stop_feed(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    change_feed(&web, &visit, Method::DELETE, &form.csrf).await
}

async fn change_feed(web: &Web, visit: &Visit, method: Method, csrf: &str) -> Rendered {
    web.api
        .call(visit, method, "/api/v1/calendar/feed", None, Some(csrf))
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other("/calendar#subscribe"))
}
