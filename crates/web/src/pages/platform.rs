//! Running the platform, for super admins: its schools, and the event consumers with the
//! events parked after failing every attempt, which can be replayed once the cause is fixed.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{Method, StatusCode},
    Form,
};
use campus_contracts::identity::Role;
use serde::{Deserialize, Serialize};

use crate::{
    api::{Failure, Visit},
    frame::{self, Fault, Frame, Me, Rendered, Section},
    pages::views::Page,
    Web,
};

async fn super_admin(web: &Web, visit: &mut Visit) -> Result<Me, Fault> {
    let me = visit.me(web).await?;
    if me.role == Role::SuperAdmin {
        Ok(me)
    } else {
        Err(visit.fail(Failure::Forbidden))
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
) -> Rendered {
    let me = super_admin(&web, &mut visit).await?;
    let path = format!(
        "/api/v1/schools?limit=50&{}",
        serde_urlencoded::to_string(&query).unwrap_or_default()
    );
    let page: Page<SchoolSummary> = web
        .api
        .get(&visit, &path)
        .await
        .map_err(|failure| visit.fail(failure))?;
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
    Ok(frame::render(&page, StatusCode::OK))
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

async fn events_page(web: &Web, visit: &mut Visit, report: Option<ReplayReport>) -> Rendered {
    let me = super_admin(web, visit).await?;
    let consumers: Vec<Consumer> = web
        .api
        .get(visit, "/api/v1/admin/events/consumers")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let parked: Page<Parked> = web
        .api
        .get(visit, "/api/v1/admin/events/parked?limit=100")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let page = EventsPage {
        frame: Frame::new(visit, Some(me), Section::Platform),
        consumers,
        parked: parked.items,
        report,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

pub(crate) async fn events(State(web): State<Web>, mut visit: Visit) -> Rendered {
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
) -> Rendered {
    visit.here = "/platform/events".into();
    if let Some(id) = &form.id {
        let path = format!("/api/v1/admin/events/parked/{id}/replay");
        return Ok(web
            .act(
                &visit,
                Method::POST,
                &path,
                None,
                &form.csrf,
                "/platform/events",
            )
            .await);
    }
    let path = "/api/v1/admin/events/parked/replay";
    let answer = web
        .api
        .call(&visit, Method::POST, path, None, Some(&form.csrf))
        .await;
    match answer.json::<ReplayReport>() {
        Ok(report) => events_page(&web, &mut visit, Some(report)).await,
        Err(failure) => Err(visit.fail(failure)),
    }
}
