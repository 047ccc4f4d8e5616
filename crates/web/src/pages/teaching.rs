//! Running a course, for its staff: announcements, the people in it (with enrolling a class
//! from a list) and the class's progress with who is stuck.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    response::Response,
    Form,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Failure, Visit},
    forms::{CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::{
        courses,
        views::{ClassProgress, CourseView, Member, Page},
    },
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct AnnouncementForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// Posts an announcement to the course (its members are told).
pub(crate) async fn announce(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<AnnouncementForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}");
    let body = json!({ "title": form.title, "body": form.body });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{id}/announcements"),
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!(
            "/courses/{id}?done=announced#announcements-title"
        ))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let errors = errors.labelled(
                    &visit.tr,
                    &[
                        ("title", "field-announcement-title"),
                        ("body", "field-announcement-body"),
                    ],
                );
                courses::show_course(&web, &mut visit, &id, errors, None).await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Template)]
#[template(path = "course_people.html")]
struct PeoplePage {
    frame: Frame,
    course: CourseView,
    members: Vec<Member>,
    /// The class list as typed, kept when some of it was refused.
    list: String,
    role: String,
    notice: Option<String>,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
    enrolled: Option<usize>,
}

async fn people_page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    list: String,
    role: String,
    notice: Option<String>,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let course: CourseView = web
        .api
        .get(visit, &format!("/api/v1/courses/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let members = members(web, visit, id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let status = errors.status();
    let page = PeoplePage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course,
        members,
        list,
        role,
        notice,
        errors,
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn people(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Rendered {
    let tr = visit.tr;
    let notice = match query.done.as_deref() {
        Some("enrolled") => Some(tr.n(
            "people-enrolled",
            "count",
            i64::try_from(query.enrolled.unwrap_or(0)).unwrap_or(0),
        )),
        Some("removed") => Some(tr.t("people-removed")),
        Some("role") => Some(tr.t("people-role-changed")),
        _ => None,
    };
    people_page(
        &web,
        &mut visit,
        &id,
        String::new(),
        "student".into(),
        notice,
        FormErrors::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct RosterForm {
    csrf: String,
    /// Emails or user ids, one per line (or separated by commas).
    #[serde(default)]
    people: String,
    #[serde(default)]
    role: String,
}

/// Enrolls a class from a list; if any line is refused nobody is enrolled, and each refused
/// line is named with its number and reason.
pub(crate) async fn enroll_list(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<RosterForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/people");
    let entries: Vec<&str> = form
        .people
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let role = match form.role.as_str() {
        "assistant" | "teacher" => form.role.clone(),
        _ => "student".to_owned(),
    };
    let body = json!({ "people": entries, "role": role });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{id}/roster"),
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    #[derive(Deserialize)]
    struct Result {
        enrolled: usize,
    }
    match answer.json::<Result>() {
        Ok(result) => Ok(frame::see_other(&format!(
            "/courses/{id}/people?done=enrolled&enrolled={}",
            result.enrolled
        ))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                // `people[3]` is the fourth entry: say which line, and what it said.
                let tr = visit.tr;
                let mut lines = FormErrors::default();
                for (field, message) in errors.fields {
                    let entry = field
                        .strip_prefix("people[")
                        .and_then(|rest| rest.strip_suffix(']'))
                        .and_then(|n| n.parse::<usize>().ok());
                    let line = match entry.and_then(|n| entries.get(n).map(|e| (n, e))) {
                        Some((n, entry)) => format!(
                            "{} {message}",
                            tr.s("people-line", "entry", &format!("{}: {entry}", n + 1))
                        ),
                        None => message,
                    };
                    lines.fields.push(("people".into(), line));
                }
                lines.general = errors.general;
                people_page(&web, &mut visit, &id, form.people, role, None, lines).await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

pub(crate) async fn remove_member(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, user_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    visit.here = format!("/courses/{id}/people");
    let path = format!("/api/v1/courses/{id}/members/{user_id}");
    let then = format!("/courses/{id}/people?done=removed");
    web.act(&visit, Method::DELETE, &path, None, &form.csrf, &then)
        .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct MemberRoleForm {
    csrf: String,
    role: String,
}

/// Changes a member's role in the course (student, assistant, teacher).
pub(crate) async fn change_member_role(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, user_id)): Path<(String, String)>,
    Form(form): Form<MemberRoleForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/people");
    let answer = web
        .api
        .call(
            &visit,
            Method::PUT,
            &format!("/api/v1/courses/{id}/members/{user_id}"),
            Some(&json!({ "role": form.role })),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/courses/{id}/people?done=role"))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                people_page(
                    &web,
                    &mut visit,
                    &id,
                    String::new(),
                    "student".into(),
                    None,
                    errors,
                )
                .await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Template)]
#[template(path = "class_progress.html")]
struct ClassPage {
    frame: Frame,
    course: CourseView,
    class: ClassProgress,
    stuck_only: bool,
    stuck_count: usize,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ClassQuery {
    stuck: Option<String>,
}

pub(crate) async fn class_progress(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<ClassQuery>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let course: CourseView = web
        .api
        .get(&visit, &format!("/api/v1/courses/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    if !course.run_by_visitor() {
        return Err(visit.fail(Failure::Forbidden));
    }
    let mut class: ClassProgress = web
        .api
        .get(&visit, &format!("/api/v1/courses/{id}/progress/class"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let stuck_count = class.students.iter().filter(|s| s.stuck).count();
    let stuck_only = query.stuck.is_some();
    if stuck_only {
        class.students.retain(|s| s.stuck);
    }
    let page = ClassPage {
        frame: Frame::new(&visit, Some(me), Section::Courses),
        course,
        class,
        stuck_only,
        stuck_count,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// Every member of the course: a class is a few hundred people at most, so the API's pages are
/// read through.
pub(crate) async fn members(web: &Web, visit: &Visit, id: &str) -> Result<Vec<Member>, Failure> {
    let mut members = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/courses/{id}/members?limit=200&cursor={cursor}"),
            None => format!("/api/v1/courses/{id}/members?limit=200"),
        };
        let page: Page<Member> = web.api.get(visit, &path).await?;
        members.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(members),
        }
    }
}
