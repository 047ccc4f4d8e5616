//! Downloads of handed-in and handed-back files. Each is authorised on every request (the
//! submission's student, or the course's staff; feedback files once grades are released), then
//! streamed as an attachment the browser will not sniff, or, on S3, answered with a
//! short-lived signed address.

use std::time::Duration;

use axum::{
    extract::{Path, State},
    response::Response,
};
use campus_platform::{error::Problem, people::Caller, Error, Result};

use super::load;
use crate::{store, Assessments};

/// How long a signed address lives: long enough to start the download, too short to share.
const SIGNED_FOR: Duration = Duration::from_secs(60);

/// The file handed in with a submission.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/file", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The file, as an attachment in the type found in its bytes when it was uploaded (one of those the assignment allows)", content_type = "*/*", body = Vec<u8>),
        (status = 303, description = "On S3: a signed address valid for a minute"),
        (status = 404, body = Problem)))]
pub(super) async fn download_submission_file(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let (submission, _, _) = load(&assessments, &caller, &id).await?;
    let (Some(key), Some(name), Some(content_type)) = (
        &submission.file_key,
        &submission.file_name,
        &submission.file_type,
    ) else {
        return Err(Error::NotFound { what: "file" });
    };
    serve(&assessments, key, name, content_type).await
}

/// A feedback file a teacher handed back on a submission.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/feedback-files/{file_id}", tag = "assessments", params(("id" = String, Path), ("file_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The file, as an attachment in the type found in its bytes when it was uploaded", content_type = "*/*", body = Vec<u8>),
        (status = 303, description = "On S3: a signed address valid for a minute"),
        (status = 404, body = Problem)))]
pub(super) async fn download_feedback_file(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path((id, file_id)): Path<(String, String)>,
) -> Result<Response> {
    let (submission, assignment, standing) = load(&assessments, &caller, &id).await?;
    if !standing.is_staff() && !assignment.grades_released()? {
        return Err(Error::NotFound { what: "file" });
    }
    let file = store::feedback_files(&assessments.db, &submission.id)
        .await?
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or(Error::NotFound { what: "file" })?;
    serve(
        &assessments,
        &file.file_key,
        &file.file_name,
        &file.file_type,
    )
    .await
}

async fn serve(
    assessments: &Assessments,
    key: &str,
    name: &str,
    content_type: &str,
) -> Result<Response> {
    assessments
        .files
        .serve(key, name, content_type, SIGNED_FOR)
        .await
}
