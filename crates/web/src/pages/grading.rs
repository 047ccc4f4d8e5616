//! The teacher's grading view: one hand-in at a time, in grading order (by student), with the
//! rubric's levels or a score, a comment, "return for revision", and the way to the previous
//! and next hand-ins (`j` / `k` on the keyboard); saving a grade moves on to the next ungraded
//! one.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{
    api::Visit,
    forms::FormErrors,
    frame::{self, Frame, Rendered, Section},
    pages::assignments::{Assignment, Submission},
    Web,
};

/// A rubric as the assignment shows it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Rubric {
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Criterion {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Level {
    pub id: String,
    pub title: String,
    pub points: f64,
}

#[derive(Template)]
#[template(path = "grading.html")]
struct GradingPage {
    frame: Frame,
    assignment: Assignment,
    rubric: Option<Rubric>,
    submission: Submission,
    /// The level already chosen for each criterion, by criterion id.
    chosen: Map<String, Value>,
    previous: Option<String>,
    next: Option<String>,
    /// Where in the class's hand-ins this one is, and how many there are.
    place: (usize, usize),
    errors: FormErrors,
}

impl GradingPage {
    fn is_chosen(&self, criterion: &str, level: &str) -> bool {
        self.chosen.get(criterion).and_then(Value::as_str) == Some(level)
    }
}

async fn page(
    web: &Web,
    visit: &mut Visit,
    assignment_id: &str,
    submission_id: &str,
    errors: FormErrors,
) -> Result<GradingPage, frame::Fault> {
    let me = visit.me(web).await?;
    // Grading is the staff's: a student, whose own hand-ins the API would list, finds no such
    // page (the API refuses their grades anyway).
    if !me.is_staff() {
        return Err(visit.fail(crate::api::Failure::NotFound));
    }
    let assignment: Assignment = web
        .api
        .get(visit, &format!("/api/v1/assignments/{assignment_id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let all: Vec<Submission> = web
        .api
        .get(
            visit,
            &format!("/api/v1/assignments/{assignment_id}/submissions"),
        )
        .await
        .map_err(|failure| visit.fail(failure))?;
    let at = all
        .iter()
        .position(|s| s.id == submission_id)
        .ok_or_else(|| visit.fail(crate::api::Failure::NotFound))?;
    let submission = all[at].clone();
    let chosen = submission
        .grade
        .as_ref()
        .and_then(|g| g.rubric.clone())
        .unwrap_or_default();
    Ok(GradingPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        previous: at.checked_sub(1).map(|i| all[i].id.clone()),
        next: all.get(at + 1).map(|s| s.id.clone()),
        place: (at + 1, all.len()),
        rubric: assignment.rubric.clone(),
        assignment,
        submission,
        chosen,
        errors,
    })
}

pub(crate) async fn grading(
    State(web): State<Web>,
    mut visit: Visit,
    Path((assignment_id, submission_id)): Path<(String, String)>,
) -> Rendered {
    let page = page(
        &web,
        &mut visit,
        &assignment_id,
        &submission_id,
        FormErrors::default(),
    )
    .await?;
    Ok(frame::render(&page, StatusCode::OK))
}

/// Saves the grade (points, or a level for each criterion as `level.<criterion id>`) or
/// returns the work for revision, then goes on to the next ungraded hand-in (or back to the
/// assignment when none is left).
pub(crate) async fn grade(
    State(web): State<Web>,
    mut visit: Visit,
    Path((assignment_id, submission_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/assignments/{assignment_id}/grade/{submission_id}");
    let field = |name: &str| {
        fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.trim().to_owned())
    };
    let csrf = field("csrf").unwrap_or_default();
    let comment = field("comment").filter(|c| !c.is_empty());
    let returning = field("return").is_some();
    let (path, body) = if returning {
        (
            format!("/api/v1/submissions/{submission_id}/return"),
            json!({ "comment": comment.unwrap_or_default() }),
        )
    } else {
        let levels: Map<String, Value> = fields
            .iter()
            .filter_map(|(name, value)| {
                let criterion = name.strip_prefix("level.")?;
                Some((criterion.to_owned(), Value::String(value.clone())))
            })
            .collect();
        let mut body = Map::new();
        if levels.is_empty() {
            let points = field("points").unwrap_or_default().replace(',', ".");
            body.insert(
                "points".to_owned(),
                points
                    .parse::<f64>()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
            );
        } else {
            body.insert("rubric".to_owned(), Value::Object(levels));
        }
        if let Some(comment) = comment {
            body.insert("comment".to_owned(), Value::String(comment));
        }
        (
            format!("/api/v1/submissions/{submission_id}/grade"),
            Value::Object(body),
        )
    };
    let answer = web
        .api
        .call(&visit, Method::POST, &path, Some(&body), Some(&csrf))
        .await;
    if let Err(failure) = answer.done() {
        let errors = FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
        let page = page(&web, &mut visit, &assignment_id, &submission_id, errors).await?;
        let status = page.errors.status();
        return Ok(frame::render(&page, status));
    }
    let next = web
        .api
        .call(
            &visit,
            Method::GET,
            &format!("/api/v1/assignments/{assignment_id}/next-ungraded?after={submission_id}"),
            None,
            None,
        )
        .await;
    match next.json::<Submission>() {
        Ok(next) => Ok(frame::see_other(&format!(
            "/assignments/{assignment_id}/grade/{}",
            next.id
        ))),
        Err(_) => Ok(frame::see_other(&format!("/assignments/{assignment_id}"))),
    }
}

/// The form that attaches a feedback file (`multipart/form-data`): streamed on to the API as
/// it arrives, like a hand-in; the CSRF token rides in the form's address.
pub(crate) async fn attach(
    State(web): State<Web>,
    mut visit: Visit,
    Path((assignment_id, submission_id)): Path<(String, String)>,
    Query(ticket): Query<crate::forms::CsrfForm>,
    request: axum::extract::Request,
) -> Rendered {
    let here = format!("/assignments/{assignment_id}/grade/{submission_id}");
    visit.here = here.clone();
    let answer = web
        .api
        .forward(
            &visit,
            &format!("/api/v1/submissions/{submission_id}/feedback-files"),
            request,
            &ticket.csrf,
            &[],
        )
        .await;
    if answer.status.is_success() {
        return Ok(frame::see_other(&format!("{here}#feedback-files")));
    }
    let errors =
        FormErrors::of(&visit.tr, answer.failure()).map_err(|failure| visit.fail(failure))?;
    let page = page(&web, &mut visit, &assignment_id, &submission_id, errors).await?;
    let status = page.errors.status();
    Ok(frame::render(&page, status))
}
