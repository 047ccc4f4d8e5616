//! The catalogue, a course's own page, and enrolling in it.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    Form,
};
use campus_contracts::courses::Visibility;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Failure, Visit},
    forms::{CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::views::{Announcement, CourseSummary, CourseView, Page, Progress},
    Web,
};

/// The catalogue's filters, as the page's search form sends them and the API takes them.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub(crate) struct Filters {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    grade_level: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    sort: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
}

#[derive(Template)]
#[template(path = "catalogue.html")]
struct Catalogue {
    frame: Frame,
    filters: Filters,
    courses: Vec<CourseSummary>,
    /// The address of the next page, if there is one.
    more: Option<String>,
    filtered: bool,
    may_create: bool,
}

pub(crate) async fn catalogue(
    State(web): State<Web>,
    mut visit: Visit,
    Query(filters): Query<Filters>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let sort = match filters.sort.as_str() {
        "title" | "newest" | "oldest" => filters.sort.clone(),
        _ => String::new(),
    };
    let filters = Filters { sort, ..filters };
    let query = serde_urlencoded::to_string(&filters).unwrap_or_default();
    let page: Page<CourseSummary> = match web
        .api
        .get(&visit, &format!("/api/v1/courses?limit=24&{query}"))
        .await
    {
        Ok(page) => page,
        // A cursor from an older page, or a filter the API refuses: show the first page.
        Err(Failure::Refused { .. }) if !filters.cursor.is_empty() => {
            return Ok(frame::see_other("/courses"))
        }
        Err(failure) => return Err(visit.fail(failure)),
    };
    let more = page.next_cursor.map(|cursor| {
        let next = Filters {
            cursor,
            q: filters.q.clone(),
            subject: filters.subject.clone(),
            grade_level: filters.grade_level.clone(),
            sort: filters.sort.clone(),
        };
        format!(
            "/courses?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    });
    let filtered =
        !(filters.q.is_empty() && filters.subject.is_empty() && filters.grade_level.is_empty());
    let page = Catalogue {
        may_create: me.is_staff(),
        frame: Frame::new(&visit, Some(me), Section::Courses),
        filters,
        courses: page.items,
        more,
        filtered,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "course.html")]
struct CoursePage {
    frame: Frame,
    course: CourseView,
    progress: Option<Progress>,
    announcements: Vec<Announcement>,
    /// Whether the visitor may enroll from here, and whether a code is asked.
    enroll: Option<bool>,
    errors: FormErrors,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CourseQuery {
    done: Option<String>,
}

pub(crate) async fn course(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<CourseQuery>,
) -> Rendered {
    let notice = query
        .done
        .as_deref()
        .and_then(|done| visit.tr.maybe(&format!("course-done-{done}")));
    show_course(&web, &mut visit, &id, FormErrors::default(), notice).await
}

/// The course's page, with `errors` from a form on it, or a `notice` of what was just done.
pub(crate) async fn show_course(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    errors: FormErrors,
    notice: Option<String>,
) -> Rendered {
    let me = visit.me(web).await?;
    let course: CourseView = web
        .api
        .get(visit, &format!("/api/v1/courses/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let progress = if course.summary.studies() {
        web.api
            .get(visit, &format!("/api/v1/courses/{id}/progress"))
            .await
            .ok()
    } else {
        None
    };
    let announcements = if course.summary.my_role.is_some() {
        web.api
            .get::<Page<Announcement>>(
                visit,
                &format!("/api/v1/courses/{id}/announcements?limit=5"),
            )
            .await
            .map(|page| page.items)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let summary = &course.summary;
    let enroll = (summary.my_role.is_none()
        && summary.visibility == Visibility::Published
        && summary.enrollment_mode != "closed")
        .then(|| summary.enrollment_mode == "code");
    let status = errors.status();
    let page = CoursePage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course,
        progress,
        announcements,
        enroll,
        errors,
        notice,
    };
    Ok(frame::render(&page, status))
}

#[derive(Debug, Deserialize)]
pub(crate) struct EnrollForm {
    csrf: String,
    code: Option<String>,
}

pub(crate) async fn enroll(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<EnrollForm>,
) -> Rendered {
    // Signed out meanwhile: come back to the course, not to this form's address.
    visit.here = format!("/courses/{id}");
    let body = form
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|code| json!({ "code": code }));
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{id}/enroll"),
            body.as_ref(),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/courses/{id}"))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => show_course(&web, &mut visit, &id, errors, None).await,
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

/// Leaves the course (a student's own place in it).
pub(crate) async fn leave(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}");
    let path = format!("/api/v1/courses/{id}/enroll");
    let then = format!("/courses/{id}?done=left");
    Ok(web
        .act(&visit, Method::DELETE, &path, None, &form.csrf, &then)
        .await)
}
