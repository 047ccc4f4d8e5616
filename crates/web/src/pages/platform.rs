//! Running the platform, for super admins: its schools, and the event consumers with the
//! events parked after failing every attempt, which can be replayed once the cause is fixed.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{Method, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use campus_contracts::identity::Role;
use serde::{Deserialize, Serialize};

use crate::{
    api::{Failure, Visit},
    frame::{self, Frame, Me, Section},
    pages::views::Page,
    Web,
};

async fn super_admin(web: &Web, visit: &mut Visit) -> Result<Me, Response> {
    let me = visit.me(web).await.map_err(IntoResponse::into_response)?;
    if me.role == Role::SuperAdmin {
        Ok(me)
    } else {
        Err(visit.show(Failure::Forbidden))
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SchoolSummary {
    slug: String,
    name: String,
    registration: String,
    people: i64,
}

#[derive(Template)]
#[template(path = "platform_schools.html")]
struct SchoolsPage {
    frame: Frame,
    q: String,
    schools: Vec<SchoolSummary>,
    more: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct SchoolsQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
}

pub(crate) async fn schools(
    State(web): State<Web>,
    mut visit: Visit,
    Query(query): Query<SchoolsQuery>,
) -> Response {
    let me = match super_admin(&web, &mut visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let path = format!(
        "/api/v1/schools?limit=50&{}",
        serde_urlencoded::to_string(&query).unwrap_or_default()
    );
    let page: Page<SchoolSummary> = match web.api.get(&visit, &path).await {
        Ok(page) => page,
        Err(failure) => return visit.show(failure),
    };
    let more = page.next_cursor.map(|cursor| {
        let next = SchoolsQuery {
            cursor,
            q: query.q.clone(),
        };
        format!(
            "/platform/schools?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    });
    let page = SchoolsPage {
        frame: Frame::new(&visit, Some(me), Section::Platform),
        q: query.q,
        schools: page.items,
        more,
    };
    frame::render(&page, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub(crate) struct Consumer {
    subscription: String,
    stream: String,
    lag: Option<u64>,
    parked: i64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Parked {
    subscription: String,
    event_type: String,
    error: String,
    attempts: i64,
    parked_at: String,
    id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReplayReport {
    replayed: u32,
    failed: u32,
    remaining: i64,
}

#[derive(Template)]
#[template(path = "platform_events.html")]
struct EventsPage {
    frame: Frame,
    consumers: Vec<Consumer>,
    parked: Vec<Parked>,
    report: Option<ReplayReport>,
}

async fn events_page(web: &Web, visit: &mut Visit, report: Option<ReplayReport>) -> Response {
    let me = match super_admin(web, visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let consumers: Vec<Consumer> = match web.api.get(visit, "/api/v1/admin/events/consumers").await
    {
        Ok(consumers) => consumers,
        Err(failure) => return visit.show(failure),
    };
    let parked: Page<Parked> = match web
        .api
        .get(visit, "/api/v1/admin/events/parked?limit=100")
        .await
    {
        Ok(parked) => parked,
        Err(failure) => return visit.show(failure),
    };
    let page = EventsPage {
        frame: Frame::new(visit, Some(me), Section::Platform),
        consumers,
        parked: parked.items,
        report,
    };
    frame::render(&page, StatusCode::OK)
}

pub(crate) async fn events(State(web): State<Web>, mut visit: Visit) -> Response {
    events_page(&web, &mut visit, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReplayForm {
    csrf: String,
    /// One parked event; without it, every parked event (up to the API's batch).
    id: Option<String>,
}

pub(crate) async fn replay(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<ReplayForm>,
) -> Response {
    visit.here = "/platform/events".into();
    if let Some(id) = &form.id {
        let path = format!("/api/v1/admin/events/parked/{id}/replay");
        return web
            .act(
                &visit,
                Method::POST,
                &path,
                None,
                &form.csrf,
                "/platform/events",
            )
            .await;
    }
    let path = "/api/v1/admin/events/parked/replay";
    let answer = web
        .api
        .call(&visit, Method::POST, path, None, Some(&form.csrf))
        .await;
    match answer.json::<ReplayReport>() {
        Ok(report) => events_page(&web, &mut visit, Some(report)).await,
        Err(failure) => visit.show(failure),
    }
}
