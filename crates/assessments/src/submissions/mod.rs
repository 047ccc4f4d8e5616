//! Submissions: what students hand in (text, a link, a file), every attempt kept, and who may
//! see it: the student (or their group) and the course's staff. Grades show to a student only
//! once released.
//!
//! Rooms: `hand_in` (a student handing in, JSON or a streamed upload) and `files` (downloads,
//! authorised on every request). Reading submissions is here.

mod files;
mod hand_in;

use axum::extract::{DefaultBodyLimit, Path, State};
use campus_platform::{
    error::Problem, http::Json, people::Caller, rosters::Standing, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    assignments,
    rubric::Marks,
    store::{self, AssignmentRow, FeedbackFileRow, SubmissionRow},
    Assessments,
};

pub(crate) fn routes(assessments: Assessments) -> OpenApiRouter {
    // Hand-ins stream within the installation's upload limit (enforced by the platform's
    // body limit), not axum's buffering limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(list_submissions, hand_in::hand_in))
        .layer(DefaultBodyLimit::disable())
        .with_state(assessments.clone());
    OpenApiRouter::new()
        .routes(routes!(get_submission))
        .routes(routes!(files::download_submission_file))
        .routes(routes!(files::download_feedback_file))
        .with_state(assessments)
        .merge(uploads)
}

/// A file handed in or handed back.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FileInfo {
    pub name: String,
    /// As read from its bytes.
    pub content_type: String,
    pub size: i64,
    /// Where to download it (authorised on every request).
    pub url: String,
}

/// A grade as its student (once released) and the course's staff see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct GradeView {
    /// As given, before any late penalty (the gradebook applies the assignment's policy).
    pub points: Option<f64>,
    pub max_points: f64,
    /// The level chosen for each rubric criterion.
    pub rubric: Option<Marks>,
    pub comment: Option<String>,
    pub graded_by: Option<String>,
    pub graded_at: Option<String>,
}

/// `submitted`, `graded` (shown to a student only once released) or `returned` (handed back
/// for revision).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Submission {
    pub id: String,
    pub assignment_id: String,
    pub course_id: String,
    pub student_id: String,
    pub student_name: Option<String>,
    pub group_id: Option<String>,
    pub attempt: i64,
    /// The text handed in, as written (Markdown).
    pub text: Option<String>,
    /// The text handed in, rendered from Markdown and sanitized.
    pub body_html: Option<String>,
    pub link: Option<String>,
    pub file: Option<FileInfo>,
    pub submitted_at: String,
    pub days_late: i64,
    pub status: String,
    pub grade: Option<GradeView>,
    pub feedback_files: Vec<FileInfo>,
}

impl SubmissionRow {
    /// The view of it `staff` (or its student) may have.
    pub(crate) fn view(
        self,
        assignment: &AssignmentRow,
        staff: bool,
        feedback: Vec<FeedbackFileRow>,
    ) -> Result<Submission> {
        let released = staff || assignment.grades_released()?;
        let status = match self.status.as_str() {
            "graded" if !released => "submitted".to_owned(),
            other => other.to_owned(),
        };
        let grade = match self.status.as_str() {
            "graded" if released => Some(GradeView {
                points: self.points,
                max_points: assignment.max_points,
                rubric: self
                    .rubric_marks
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(Error::internal)?,
                comment: self.comment.clone(),
                graded_by: self.graded_by.clone(),
                graded_at: self.graded_at.map(time::rfc3339),
            }),
            // Work handed back carries the teacher's comment, never a grade.
            "returned" => Some(GradeView {
                points: None,
                max_points: assignment.max_points,
                rubric: None,
                comment: self.comment.clone(),
                graded_by: self.graded_by.clone(),
                graded_at: self.graded_at.map(time::rfc3339),
            }),
            _ => None,
        };
        let file = match (&self.file_name, &self.file_type, self.file_size) {
            (Some(name), Some(content_type), Some(size)) => Some(FileInfo {
                name: name.clone(),
                content_type: content_type.clone(),
                size,
                url: format!("/api/v1/submissions/{}/file", self.id),
            }),
            _ => None,
        };
        let feedback_files = if released {
            feedback
                .into_iter()
                .map(|f| FileInfo {
                    url: format!(
                        "/api/v1/submissions/{}/feedback-files/{}",
                        f.submission_id, f.id
                    ),
                    name: f.file_name,
                    content_type: f.file_type,
                    size: f.file_size,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Submission {
            id: self.id,
            assignment_id: self.assignment_id,
            course_id: self.course_id,
            student_id: self.student_id,
            student_name: self.student_name,
            group_id: self.group_id,
            attempt: self.attempt,
            text: self.body,
            body_html: self.body_html,
            link: self.link,
            file,
            submitted_at: time::rfc3339(self.submitted_at),
            days_late: self.days_late,
            status,
            grade,
            feedback_files,
        })
    }
}

/// A submission of the caller's school with its assignment, when the caller may see it: its
/// student, or the course's staff. Anyone else gets 404, as for an unknown id.
pub(crate) async fn load(
    assessments: &Assessments,
    caller: &Caller,
    submission_id: &str,
) -> Result<(SubmissionRow, AssignmentRow, Standing)> {
    let submission = store::submission(&assessments.db, &caller.school_id, submission_id).await?;
    let (assignment, standing) = assignments::load(assessments, caller, &submission.assignment_id)
        .await
        .map_err(|error| error.unseen_as("submission"))?;
    if !standing.is_staff() && submission.student_id != caller.user_id {
        return Err(Error::NotFound { what: "submission" });
    }
    Ok((submission, assignment, standing))
}

/// The assignment's submissions: for the course's staff, each student's latest in grading
/// order (by name); for a student, their own, latest first.
#[utoipa::path(get, path = "/api/v1/assignments/{id}/submissions", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<Submission>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_submissions(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Submission>>> {
    let (assignment, standing) = assignments::load(&assessments, &caller, &id).await?;
    let rows = if standing.is_staff() {
        store::latest_submissions(&assessments.db, &assignment.id).await?
    } else if standing.is_student() {
        store::history(&assessments.db, &assignment.id, &caller.user_id).await?
    } else {
        return Err(Error::forbidden("submissions are for the course's members"));
    };
    let staff = standing.is_staff();
    // Every feedback file of the assignment in one query, whatever the class size.
    let mut feedback: std::collections::HashMap<String, Vec<FeedbackFileRow>> =
        std::collections::HashMap::new();
    for file in store::assignment_feedback_files(&assessments.db, &assignment.id).await? {
        feedback
            .entry(file.submission_id.clone())
            .or_default()
            .push(file);
    }
    let mut shown = Vec::with_capacity(rows.len());
    for row in rows {
        let files = feedback.remove(&row.id).unwrap_or_default();
        shown.push(row.view(&assignment, staff, files)?);
    }
    Ok(Json(shown))
}

/// One submission: for its student and the course's staff.
#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Submission), (status = 404, body = Problem)))]
async fn get_submission(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Submission>> {
    let (submission, assignment, standing) = load(&assessments, &caller, &id).await?;
    let feedback = store::feedback_files(&assessments.db, &submission.id).await?;
    Ok(Json(submission.view(
        &assignment,
        standing.is_staff(),
        feedback,
    )?))
}
