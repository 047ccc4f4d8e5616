//! The dashboard: my courses with my progress, the latest announcements, what to continue
//! next; for staff, the courses they run; for a school's admins, how people join.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
};
use campus_contracts::identity::Role;
use futures::future::join_all;
use serde::Deserialize;

use crate::{
    api::Visit,
    frame::{self, Frame, Rendered, Section},
    pages::views::{Announcement, CourseSummary, Page, Progress, SchoolSettings},
    Web,
};

/// How many courses' progress and announcements the dashboard gathers.
const COURSES_SHOWN: usize = 24;
/// How many announcements it shows.
const ANNOUNCEMENTS_SHOWN: usize = 5;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DashboardQuery {
    /// `school` right after signing a school up.
    welcome: Option<String>,
}

pub(crate) struct MyCourse {
    pub course: CourseSummary,
    pub progress: Option<Progress>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    frame: Frame,
    name: String,
    studying: Vec<MyCourse>,
    teaching: Vec<CourseSummary>,
    /// The first course with a lesson to do next.
    next: Option<(String, String, String)>,
    announcements: Vec<(Announcement, String)>,
    school: Option<SchoolSettings>,
    new_school: bool,
    may_create: bool,
    /// The person has not confirmed their address yet.
    unconfirmed: bool,
}

pub(crate) async fn dashboard(
    State(web): State<Web>,
    mut visit: Visit,
    Query(query): Query<DashboardQuery>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let mine: Page<CourseSummary> = web
        .api
        .get(&visit, "/api/v1/courses?mine=true&sort=title&limit=100")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let (studying, teaching): (Vec<CourseSummary>, Vec<CourseSummary>) =
        mine.items.into_iter().partition(CourseSummary::studies);
    let progress = join_all(studying.iter().take(COURSES_SHOWN).map(|course| {
        let path = format!("/api/v1/courses/{}/progress", course.id);
        let (web, visit) = (&web, &visit);
        async move { web.api.get::<Progress>(visit, &path).await.ok() }
    }))
    .await;
    let studying: Vec<MyCourse> = studying
        .into_iter()
        .zip(progress.into_iter().chain(std::iter::repeat(None)))
        .map(|(course, progress)| MyCourse { course, progress })
        .collect();
    let announced = join_all(
        studying
            .iter()
            .map(|c| &c.course)
            .chain(teaching.iter())
            .take(COURSES_SHOWN)
            .map(|course| {
                let path = format!(
                    "/api/v1/courses/{}/announcements?limit={ANNOUNCEMENTS_SHOWN}",
                    course.id
                );
                let (web, visit) = (&web, &visit);
                async move {
                    web.api
                        .get::<Page<Announcement>>(visit, &path)
                        .await
                        .map(|page| page.items)
                        .unwrap_or_default()
                }
            }),
    )
    .await;
    let mut announcements: Vec<Announcement> = announced.into_iter().flatten().collect();
    // RFC 3339 instants in UTC sort as text.
    announcements.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    announcements.truncate(ANNOUNCEMENTS_SHOWN);
    let course_title = |id: &str| {
        studying
            .iter()
            .map(|c| &c.course)
            .chain(teaching.iter())
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_default()
    };
    let announcements = announcements
        .into_iter()
        .map(|a| {
            let title = course_title(&a.course_id);
            (a, title)
        })
        .collect();
    let next = studying.iter().find_map(|mine| {
        let next = mine.progress.as_ref()?.next_lesson.as_ref()?;
        Some((
            next.id.clone(),
            next.title.clone(),
            mine.course.title.clone(),
        ))
    });
    let admin = matches!(me.role, Role::SchoolAdmin | Role::SuperAdmin);
    let school = if admin {
        web.api.get(&visit, "/api/v1/school").await.ok()
    } else {
        None
    };
    let page = Dashboard {
        name: me.display_name.clone(),
        may_create: me.is_staff(),
        unconfirmed: !me.email_verified,
        frame: Frame::new(&visit, Some(me), Section::Home),
        studying,
        teaching,
        next,
        announcements,
        school,
        new_school: query.welcome.as_deref() == Some("school"),
    };
    Ok(frame::render(&page, StatusCode::OK))
}
