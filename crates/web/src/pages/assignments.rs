//! Assignments: a course's list, and an assignment's page, where a student reads the
//! instructions, hands in (text, a link, a file: dropped on the field or chosen, with upload
//! progress when JavaScript runs) and sees their earlier hand-ins with the teacher's feedback.

use askama::Template;
use axum::{
    extract::{Path, Query, Request, State},
    http::{HeaderName, HeaderValue, StatusCode},
};
use serde::Deserialize;

use crate::{
    api::Visit,
    forms::FormErrors,
    frame::{self, Frame, Rendered, Section},
    pages::grades::number,
    Web,
};

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Assignment {
    pub id: String,
    pub course_id: String,
    pub title: String,
    pub instructions_html: String,
    pub max_points: f64,
    pub due_at: Option<String>,
    pub cut_off_at: Option<String>,
    pub my_due_at: Option<String>,
    pub submission_types: Vec<String>,
    pub file_types: Vec<String>,
    /// Shown to students before they hand in, and to the course's staff in the grading view.
    pub rubric: Option<crate::pages::grading::Rubric>,
    pub max_file_bytes: i64,
    pub status: String,
    /// `individual` or `group`.
    pub group_mode: String,
    /// `as_graded` or `manual`.
    pub release: String,
    pub grades_released: bool,
}

impl Assignment {
    pub(crate) fn takes(&self, kind: &str) -> bool {
        self.submission_types.iter().any(|t| t == kind)
    }

    /// The due date that applies to the visitor.
    pub(crate) fn due(&self) -> Option<&String> {
        self.my_due_at.as_ref().or(self.due_at.as_ref())
    }

    /// What a grade's rubric marks say, criterion by criterion: `(criterion, level, points)`.
    /// A mark naming a level the rubric no longer has is left out.
    pub(crate) fn marked(&self, grade: &GradeView) -> Vec<(String, String, String)> {
        let (Some(rubric), Some(marks)) = (&self.rubric, &grade.rubric) else {
            return Vec::new();
        };
        rubric
            .criteria
            .iter()
            .filter_map(|criterion| {
                let chosen = marks.get(&criterion.id)?.as_str()?;
                let level = criterion.levels.iter().find(|level| level.id == chosen)?;
                Some((
                    criterion.title.clone(),
                    level.title.clone(),
                    number(&level.points),
                ))
            })
            .collect()
    }

    pub(crate) fn max_megabytes(&self) -> String {
        number(&(self.max_file_bytes as f64 / (1024.0 * 1024.0)))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Submission {
    pub id: String,
    pub student_name: Option<String>,
    pub attempt: i64,
    pub body_html: Option<String>,
    pub link: Option<String>,
    pub file: Option<FileInfo>,
    pub submitted_at: String,
    pub days_late: i64,
    pub status: String,
    pub grade: Option<GradeView>,
    /// Files the teacher handed back (shown to the student once the grade is released).
    #[serde(default)]
    pub feedback_files: Vec<FileInfo>,
}

impl Submission {
    /// The message naming its status.
    pub(crate) fn status_key(&self) -> String {
        format!("submission-status-{}", self.status)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct FileInfo {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GradeView {
    pub points: Option<f64>,
    pub max_points: f64,
    /// The level chosen for each rubric criterion.
    pub rubric: Option<serde_json::Map<String, serde_json::Value>>,
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CourseTitle {
    id: String,
    title: String,
    /// The Markdown source: given to those who may change the course.
    description: Option<String>,
}

impl CourseTitle {
    /// Whether the visitor sets work in the course.
    fn editable(&self) -> bool {
        self.description.is_some()
    }
}

#[derive(Template)]
#[template(path = "assignments.html")]
struct AssignmentsPage {
    frame: Frame,
    course: CourseTitle,
    assignments: Vec<Assignment>,
    quizzes: Vec<crate::pages::quizzes::Quiz>,
}

pub(crate) async fn list(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let course: CourseTitle = web
        .api
        .get(&visit, &format!("/api/v1/courses/{course_id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let assignments: Vec<Assignment> = web
        .api
        .get(&visit, &format!("/api/v1/courses/{course_id}/assignments"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let quizzes = web
        .api
        .get(&visit, &format!("/api/v1/courses/{course_id}/quizzes"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let page = AssignmentsPage {
        frame: Frame::new(&visit, Some(me), Section::Courses),
        course,
        assignments,
        quizzes,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "assignment.html")]
struct AssignmentPage {
    frame: Frame,
    assignment: Assignment,
    submissions: Vec<Submission>,
    /// Whether the visitor hands in (a student of the course) or grades.
    student: bool,
    /// A fresh key for the hand-in form: a double-click sends it twice, the API keeps one.
    key: String,
    errors: FormErrors,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shown {
    handed_in: Option<String>,
    /// What a teacher just did: `saved`, `published` or `released`.
    done: Option<String>,
}

pub(crate) async fn assignment(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Rendered {
    let page = page(&web, &mut visit, &id, FormErrors::default()).await?;
    let notice = match (shown.handed_in, shown.done.as_deref()) {
        (Some(_), _) => Some(page.frame.t("assignment-handed-in")),
        (_, Some(done @ ("saved" | "published" | "released"))) => {
            Some(page.frame.t(format!("assignment-{done}")))
        }
        _ => None,
    };
    Ok(frame::render(
        &AssignmentPage { notice, ..page },
        StatusCode::OK,
    ))
}

async fn page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    errors: FormErrors,
) -> Result<AssignmentPage, frame::Fault> {
    let me = visit.me(web).await?;
    let assignment: Assignment = web
        .api
        .get(visit, &format!("/api/v1/assignments/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let submissions: Vec<Submission> = web
        .api
        .get(visit, &format!("/api/v1/assignments/{id}/submissions"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let student = !me.is_staff();
    Ok(AssignmentPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        assignment,
        submissions,
        student,
        key: campus_platform::id::new_id_string(),
        errors,
        notice: None,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct HandInTicket {
    csrf: String,
    key: String,
}

/// The hand-in form (`multipart/form-data`): streamed on to the API as it arrives. The CSRF
/// token and the hand-in's key ride in the form's address, since the body is the file.
pub(crate) async fn hand_in(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(ticket): Query<HandInTicket>,
    request: Request,
) -> Rendered {
    visit.here = format!("/assignments/{id}");
    let key = HeaderValue::from_str(&ticket.key).unwrap_or(HeaderValue::from_static("invalid"));
    let answer = web
        .api
        .forward(
            &visit,
            &format!("/api/v1/assignments/{id}/submissions"),
            request,
            &ticket.csrf,
            &[(HeaderName::from_static("idempotency-key"), key)],
        )
        .await;
    if answer.status.is_success() {
        return Ok(frame::see_other(&format!("/assignments/{id}?handed_in=1")));
    }
    let errors =
        FormErrors::of(&visit.tr, answer.failure()).map_err(|failure| visit.fail(failure))?;
    let page = page(&web, &mut visit, &id, errors).await?;
    let status = page.errors.status();
    Ok(frame::render(&page, status))
}
