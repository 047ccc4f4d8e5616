//! Grading: a teacher scores a submission (a number, or levels of the rubric), comments,
//! hands back files, returns work for revision, moves on to the next ungraded submission, and
//! releases an assignment's grades. Every grade becomes a `SubmissionGraded` event (for the
//! gradebook and notifications); a group's hand-in grades every member.

use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, Query, State},
    http::StatusCode,
};
use campus_contracts::assessments::{GradesReleased, SubmissionGraded, SubmissionReturned};
use campus_platform::{
    error::{Checks, FieldError, Problem},
    files::Rules,
    http::Json,
    id,
    people::Caller,
    time, Error, Result,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    assignments::{self, Assignment},
    rubric::Marks,
    store::{self, FeedbackFileRow, Grade, SubmissionRow},
    submissions::{self, FileInfo, Submission},
    Assessments,
};

const COMMENT_MAX: usize = 20_000;
/// What a teacher may hand back: documents, images, text, audio comments.
const FEEDBACK_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "audio/mpeg",
    "audio/ogg",
    "audio/x-wav",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
];
const FEEDBACK_MAX_BYTES: u64 = 50 * 1024 * 1024;

pub(crate) fn routes(assessments: Assessments) -> OpenApiRouter {
    let uploads = OpenApiRouter::new()
        .routes(routes!(add_feedback_file))
        .layer(DefaultBodyLimit::disable())
        .with_state(assessments.clone());
    OpenApiRouter::new()
        .routes(routes!(grade_submission))
        .routes(routes!(return_submission))
        .routes(routes!(next_ungraded))
        .routes(routes!(release_grades))
        .with_state(assessments)
        .merge(uploads)
}

/// A grade: `points`, or `rubric` (a level for every criterion; the points are their sum).
/// A feedback file: the part `file`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct FeedbackUpload {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GradeRequest {
    #[schema(minimum = 0)]
    pub points: Option<f64>,
    /// The level chosen for each criterion, by criterion id.
    pub rubric: Option<Marks>,
    #[schema(schema_with = campus_platform::openapi::fields::optional_text::<20000>)]
    pub comment: Option<String>,
}

/// Grades a submission (its latest attempt is the one that counts). Regrading replaces the
/// grade; the gradebook keeps the history.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/grade", tag = "assessments", params(("id" = String, Path)), request_body = GradeRequest, security(("bearer" = [])),
    responses((status = 200, body = Submission), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "A later attempt replaced this one (`not_latest`), or the course is archived (`course_archived`)", body = Problem),
        (status = 422, description = "Points above the maximum, or a rubric level missing or unknown", body = Problem)))]
async fn grade_submission(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<GradeRequest>,
) -> Result<Json<Submission>> {
    let (submission, assignment, standing) = submissions::load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    require_latest(&assessments, &submission).await?;
    let rubric = assignment.rubric()?;
    let mut checks = Checks::default();
    let points = match (&input.points, &input.rubric, &rubric) {
        (_, Some(marks), Some(rubric)) => match rubric.score("rubric", marks) {
            Ok(points) => Some(points),
            Err(problems) => {
                problems.into_iter().for_each(|p| checks.push(p));
                None
            }
        },
        (_, Some(_), None) => {
            checks.push(FieldError::new(
                "rubric",
                "no_rubric",
                "this assignment has no rubric; give points",
            ));
            None
        }
        (Some(points), None, _) => Some(*points),
        (None, None, _) => {
            checks.push(FieldError::new(
                "points",
                "required",
                "give points, or a level for every rubric criterion",
            ));
            None
        }
    };
    if let Some(points) = points {
        if !points.is_finite() || points < 0.0 || points > assignment.max_points + 1e-9 {
            checks.push(FieldError::new(
                "points",
                "out_of_range",
                format!("0 to {} points", assignment.max_points),
            ));
        }
    }
    let comment = input
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > COMMENT_MAX) {
        checks.push(FieldError::new(
            "comment",
            "too_long",
            "at most 20,000 characters",
        ));
    }
    checks.finish()?;
    let points = points.unwrap_or_default();
    let marks = input
        .rubric
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(Error::internal)?;
    let now = time::now_ms();
    let released = assignment.grades_released()?;
    let graded = everyone_graded_by(&assessments, &submission).await?;
    let mut uow = assessments.db.begin().await?;
    for row in &graded {
        store::grade(
            &mut uow,
            &row.id,
            &Grade {
                points,
                rubric_marks: marks.as_deref(),
                comment,
                graded_by: &caller.user_id,
                graded_at: now,
            },
        )
        .await?;
        uow.record(
            &assignment.school_id,
            &SubmissionGraded {
                submission_id: row.id.clone(),
                assignment_id: assignment.id.clone(),
                course_id: assignment.course_id.clone(),
                school_id: assignment.school_id.clone(),
                student_id: row.student_id.clone(),
                points,
                max_points: assignment.max_points,
                days_late: row.days_late,
                graded_by: caller.user_id.clone(),
                released,
            },
        )
        .await?;
    }
    uow.commit().await?;
    let row = store::submission(&assessments.db, &caller.school_id, &submission.id).await?;
    let feedback = store::feedback_files(&assessments.db, &row.id).await?;
    Ok(Json(row.view(&assignment, true, feedback)?))
}

/// Only the latest attempt is graded or returned: an older one was replaced by its student.
async fn require_latest(assessments: &Assessments, submission: &SubmissionRow) -> Result<()> {
    let history = store::history(
        &assessments.db,
        &submission.assignment_id,
        &submission.student_id,
    )
    .await?;
    if history
        .first()
        .is_some_and(|latest| latest.id != submission.id)
    {
        return Err(Error::conflict(
            "not_latest",
            "the student handed in again since; grade their latest attempt",
        ));
    }
    Ok(())
}

/// The submission and, for a group's hand-in, each other member's copy of it.
async fn everyone_graded_by(
    assessments: &Assessments,
    submission: &SubmissionRow,
) -> Result<Vec<SubmissionRow>> {
    let Some(group_id) = &submission.group_id else {
        return Ok(vec![submission.clone()]);
    };
    Ok(
        store::latest_submissions(&assessments.db, &submission.assignment_id)
            .await?
            .into_iter()
            .filter(|row| {
                row.group_id.as_deref() == Some(group_id)
                    && row.submitted_at == submission.submitted_at
            })
            .collect(),
    )
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReturnRequest {
    /// What to revise.
    #[schema(schema_with = campus_platform::openapi::fields::required_text::<20000>)]
    pub comment: String,
}

/// Hands work back to its student for revision, with a comment; they may hand in again even
/// when out of attempts.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/return", tag = "assessments", params(("id" = String, Path)), request_body = ReturnRequest, security(("bearer" = [])),
    responses((status = 200, body = Submission), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "A later attempt replaced this one (`not_latest`), or the course is archived (`course_archived`)", body = Problem),
        (status = 422, body = Problem)))]
async fn return_submission(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<ReturnRequest>,
) -> Result<Json<Submission>> {
    let (submission, assignment, standing) = submissions::load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    require_latest(&assessments, &submission).await?;
    let comment = input.comment.trim();
    if comment.is_empty() || comment.chars().count() > COMMENT_MAX {
        return Err(Error::invalid(
            "comment",
            "invalid_comment",
            "say what to revise (1 to 20,000 characters)",
        ));
    }
    let now = time::now_ms();
    let mut uow = assessments.db.begin().await?;
    for row in everyone_graded_by(&assessments, &submission).await? {
        store::return_submission(&mut uow, &row.id, Some(comment), &caller.user_id, now).await?;
        uow.record(
            &assignment.school_id,
            &SubmissionReturned {
                submission_id: row.id.clone(),
                assignment_id: assignment.id.clone(),
                course_id: assignment.course_id.clone(),
                school_id: assignment.school_id.clone(),
                student_id: row.student_id.clone(),
                returned_by: caller.user_id.clone(),
            },
        )
        .await?;
    }
    uow.commit().await?;
    let row = store::submission(&assessments.db, &caller.school_id, &submission.id).await?;
    let feedback = store::feedback_files(&assessments.db, &row.id).await?;
    Ok(Json(row.view(&assignment, true, feedback)?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct NextQuery {
    /// The submission graded last; the next ungraded one after it in grading order (by
    /// student name), wrapping round. Absent: the first ungraded one.
    pub after: Option<String>,
}

/// The next submission waiting for a grade, in grading order: what "next" does in the grading
/// view. 404 when every latest submission is graded or returned.
#[utoipa::path(get, path = "/api/v1/assignments/{id}/next-ungraded", tag = "assessments", params(("id" = String, Path), NextQuery), security(("bearer" = [])),
    responses((status = 200, body = Submission), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn next_ungraded(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<NextQuery>,
) -> Result<Json<Submission>> {
    let (assignment, standing) = assignments::load(&assessments, &caller, &id).await?;
    standing.require_staff()?;
    let latest = store::latest_submissions(&assessments.db, &assignment.id).await?;
    let start = query
        .after
        .as_deref()
        .and_then(|after| latest.iter().position(|row| row.id == after))
        .map_or(0, |at| at + 1);
    let count = latest.len();
    let next = (0..count)
        .map(|step| &latest[(start + step) % count])
        .find(|row| row.status == "submitted" && Some(row.id.as_str()) != query.after.as_deref())
        .cloned()
        .ok_or(Error::NotFound {
            what: "ungraded submission",
        })?;
    let feedback = store::feedback_files(&assessments.db, &next.id).await?;
    Ok(Json(next.view(&assignment, true, feedback)?))
}

/// Releases an assignment's grades: every student sees theirs now, and every later one at
/// once. Releasing again changes nothing.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/release", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Assignment), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem)))]
async fn release_grades(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Assignment>> {
    let (mut assignment, standing) = assignments::load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    if assignment.released_at.is_none() {
        let now = time::now_ms();
        let mut uow = assessments.db.begin().await?;
        store::mark_released(&mut uow, &assignment.id, now).await?;
        uow.record(
            &assignment.school_id,
            &GradesReleased {
                item_id: assignment.id.clone(),
                course_id: assignment.course_id.clone(),
                school_id: assignment.school_id.clone(),
            },
        )
        .await?;
        uow.commit().await?;
        assignment.released_at = Some(now);
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    Ok(Json(assignment.view(&zone, true, None)?))
}

/// Hands a file back with the feedback on a submission (`multipart/form-data`, part `file`):
/// a marked-up copy, an audio comment.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/feedback-files", tag = "assessments", params(("id" = String, Path)),
    request_body(content = FeedbackUpload, content_type = "multipart/form-data"), security(("bearer" = [])),
    responses((status = 201, body = FileInfo), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem),
        (status = 413, description = "Larger than 50 MiB", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn add_feedback_file(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<FileInfo>)> {
    let (submission, _, standing) = submissions::load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let mut form = form.map_err(|_| Error::UnsupportedMediaType)?;
    let file_id = id::new_id_string();
    let key = format!(
        "{}/{}/{}/feedback/{}",
        submission.school_id, submission.assignment_id, submission.id, file_id
    );
    let mut stored = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(campus_platform::files::unreadable_part)?
    {
        if field.name() != Some("file") || stored.is_some() {
            if let Some((file, _)) = &stored {
                let file: &campus_platform::files::Stored = file;
                let _ = assessments.files.delete(&file.key).await;
            }
            return Err(Error::invalid(
                "body",
                "unknown_part",
                "send one part, `file`",
            ));
        }
        let name = campus_platform::files::clean_name(field.file_name().unwrap_or("feedback"));
        let rules = Rules {
            max_bytes: FEEDBACK_MAX_BYTES,
            types: FEEDBACK_TYPES,
        };
        let stream = futures::TryStreamExt::map_err(field, |e| e.body_text());
        let file = assessments
            .files
            .put(&key, Box::pin(stream), &rules, &name)
            .await?;
        stored = Some((file, name));
    }
    let Some((file, name)) = stored else {
        return Err(Error::invalid(
            "file",
            "required",
            "send the file in the part `file`",
        ));
    };
    let row = FeedbackFileRow {
        id: file_id,
        submission_id: submission.id.clone(),
        file_key: file.key.clone(),
        file_name: name,
        file_type: file.content_type.clone(),
        file_size: i64::try_from(file.size).unwrap_or(i64::MAX),
        added_by: caller.user_id.clone(),
        added_at: time::now_ms(),
    };
    let mut uow = assessments.db.begin().await?;
    store::insert_feedback_file(&mut uow, &row).await?;
    if let Err(error) = uow.commit().await {
        let _ = assessments.files.delete(&file.key).await;
        return Err(error);
    }
    Ok((
        StatusCode::CREATED,
        Json(FileInfo {
            url: format!(
                "/api/v1/submissions/{}/feedback-files/{}",
                row.submission_id, row.id
            ),
            name: row.file_name,
            content_type: row.file_type,
            size: row.file_size,
        }),
    ))
}
