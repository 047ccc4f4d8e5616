//! A student handing in: text and links as JSON, or a file (with optional text and link) as
//! `multipart/form-data`, streamed to the object store within the assignment's limits.
//!
//! An `Idempotency-Key` makes a retried or double-clicked hand-in one hand-in: the second
//! request finds the first (even when both arrive at once: the key is unique in the table, and
//! the loser's file is deleted). Nothing is kept from a refused hand-in.

use axum::{
    extract::{FromRequest, Multipart, Path, Request, State},
    http::{HeaderMap, StatusCode},
};
use campus_contracts::assessments::AssignmentSubmitted;
use campus_platform::{
    error::{Checks, FieldError, Problem},
    files::{self, Rules, Stored},
    http::{has_json_type, Json},
    id, markdown,
    people::Caller,
    time, Error, Result,
};
use futures::TryStreamExt;
use serde::Deserialize;
use utoipa::ToSchema;

use super::Submission;
use crate::{
    assignments::{self, GroupMode, SubmissionType},
    store::{self, AssignmentRow, NewSubmission},
    Assessments,
};

const TEXT_MAX: usize = 100_000;
const LINK_MAX: usize = 2048;
const KEY_MAX: usize = 200;

/// Work handed in as JSON: text, a link, or both (as the assignment allows).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HandIn {
    /// Markdown.
    #[schema(max_length = 100000)]
    pub text: Option<String>,
    /// An http(s) address.
    #[schema(max_length = 2048)]
    pub link: Option<String>,
}

/// Work handed in with a file: the parts `text` and `link` (optional) and `file`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct HandInUpload {
    pub text: Option<String>,
    pub link: Option<String>,
    #[schema(value_type = String, format = Binary)]
    pub file: Option<Vec<u8>>,
}

/// Hands in work for an assignment of one of the caller's courses (a student's). Send
/// `Idempotency-Key` to make retries safe: the same key answers the first hand-in again (200).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/submissions", tag = "assessments",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Up to 200 characters; a repeat answers the first hand-in")),
    request_body(content((HandIn = "application/json"), (HandInUpload = "multipart/form-data"))),
    security(("bearer" = [])),
    responses((status = 201, body = Submission), (status = 200, description = "The hand-in this Idempotency-Key already made", body = Submission),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Past the cut-off (`past_cut_off`), no attempts left (`no_attempts_left`), not in a group of a group assignment (`no_group`), another hand-in at the same moment (`hand_in_conflict`), or the course is archived (`course_archived`)", body = Problem),
        (status = 413, description = "The file is larger than the assignment allows", body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn hand_in(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<(StatusCode, Json<Submission>)> {
    let (assignment, standing) = assignments::load(&assessments, &caller, &id).await?;
    standing.require_student()?;
    standing.require_open()?;
    let key = idempotency_key(&headers)?;
    if let Some(key) = &key {
        if let Some(done) = earlier(&assessments, &assignment, &caller, key).await? {
            return Ok((StatusCode::OK, Json(done)));
        }
    }
    let now = time::now_ms();
    let mut conn = assessments.db.pool().acquire().await?;
    let extension = store::extension(&mut conn, &assignment.id, &caller.user_id).await?;
    let (due_at, cut_off_at) = match &extension {
        Some(extension) => (
            extension.due_at.or(assignment.due_at),
            extension.cut_off_at.or(assignment.cut_off_at),
        ),
        None => (assignment.due_at, assignment.cut_off_at),
    };
    if cut_off_at.is_some_and(|cut_off| now > cut_off) {
        return Err(Error::conflict(
            "past_cut_off",
            "the cut-off has passed; nothing more is accepted for this assignment",
        ));
    }
    let members = match assignment.group_mode()? {
        GroupMode::Individual => None,
        GroupMode::Group => Some(
            store::group_of(&mut conn, &assignment.id, &caller.user_id)
                .await?
                .ok_or_else(|| {
                    Error::conflict("no_group", "you are not in a group for this assignment yet")
                })?,
        ),
    };
    // Given back before the next read takes a connection of its own: a request holding one
    // while it waits for another could, with as many such requests as the pool has
    // connections, leave every one of them waiting out the acquire timeout.
    drop(conn);
    // The student's hand-ins so far, latest first: how many, and whether the latest was
    // returned for revision.
    let history = store::history(&assessments.db, &assignment.id, &caller.user_id).await?;
    let made = i64::try_from(history.len()).unwrap_or(i64::MAX);
    let returned = history
        .first()
        .is_some_and(|latest| latest.status == "returned");
    if assignment.attempts_allowed > 0 && made >= assignment.attempts_allowed && !returned {
        return Err(Error::conflict(
            "no_attempts_left",
            format!(
                "this assignment takes {} hand-ins",
                assignment.attempts_allowed
            ),
        ));
    }

    let submission_id = id::new_id_string();
    let work = read_work(&assessments, &assignment, &submission_id, &headers, request).await?;
    let body_html = work.text.as_deref().map(markdown::render);
    let days_late = crate::calendar::days_late(due_at, now);
    let (group_id, students) = match &members {
        Some((group_id, members)) => (Some(group_id.as_str()), members.clone()),
        None => (None, vec![caller.user_id.clone()]),
    };
    let saved = async {
        let mut uow = assessments.db.begin().await?;
        for student_id in &students {
            let mine = student_id == &caller.user_id;
            let id = if mine {
                submission_id.clone()
            } else {
                id::new_id_string()
            };
            let attempt = if mine {
                made + 1
            } else {
                store::attempts_made(uow.conn(), &assignment.id, student_id).await? + 1
            };
            let inserted = store::insert_submission(
                &mut uow,
                &NewSubmission {
                    id: &id,
                    assignment: &assignment,
                    student_id,
                    group_id,
                    attempt,
                    body: work.text.as_deref(),
                    body_html: body_html.as_deref(),
                    link: work.link.as_deref(),
                    file: work.file.as_ref(),
                    file_name: work.file_name.as_deref(),
                    submitted_at: now,
                    days_late,
                    idempotency_key: if mine { key.as_deref() } else { None },
                },
            )
            .await?;
            if !inserted {
                return Ok::<bool, Error>(false);
            }
            uow.record(
                &assignment.school_id,
                &AssignmentSubmitted {
                    submission_id: id,
                    assignment_id: assignment.id.clone(),
                    course_id: assignment.course_id.clone(),
                    school_id: assignment.school_id.clone(),
                    student_id: student_id.clone(),
                    attempt,
                    submitted_at: time::rfc3339(now),
                    days_late,
                },
            )
            .await?;
        }
        uow.commit().await?;
        Ok(true)
    }
    .await;
    match saved {
        Ok(true) => {}
        other => {
            // Nothing is kept from a hand-in that did not land, its file included.
            if let Some(file) = &work.file {
                if let Err(error) = assessments.files.delete(&file.key).await {
                    tracing::warn!(%error, key = %file.key, "could not delete the file of a refused hand-in");
                }
            }
            other?;
            // Another request took this attempt (or this key) at the same moment.
            if let Some(key) = &key {
                if let Some(done) = earlier(&assessments, &assignment, &caller, key).await? {
                    return Ok((StatusCode::OK, Json(done)));
                }
            }
            return Err(Error::conflict(
                "hand_in_conflict",
                "another hand-in arrived at the same moment; look at your submissions before trying again",
            ));
        }
    }
    let row = store::submission(&assessments.db, &caller.school_id, &submission_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(row.view(&assignment, false, Vec::new())?),
    ))
}

/// The hand-in the caller already made with `key`, if any (on this assignment; the same key
/// on another assignment is a client's mistake, refused).
async fn earlier(
    assessments: &Assessments,
    assignment: &AssignmentRow,
    caller: &Caller,
    key: &str,
) -> Result<Option<Submission>> {
    let mut conn = assessments.db.pool().acquire().await?;
    let Some(found) = store::submission_by_key(&mut conn, &caller.user_id, key).await? else {
        return Ok(None);
    };
    if found.assignment_id != assignment.id {
        return Err(Error::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was used for another assignment",
        ));
    }
    let feedback = store::feedback_files(&assessments.db, &found.id).await?;
    Ok(Some(found.view(assignment, false, feedback)?))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > KEY_MAX {
        return Err(Error::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key is 1 to 200 visible characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// What the student handed in, checked against what the assignment takes.
struct Work {
    text: Option<String>,
    link: Option<String>,
    file: Option<Stored>,
    file_name: Option<String>,
}

async fn read_work(
    assessments: &Assessments,
    assignment: &AssignmentRow,
    submission_id: &str,
    headers: &HeaderMap,
    request: Request,
) -> Result<Work> {
    let multipart = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let mut work = Work {
        text: None,
        link: None,
        file: None,
        file_name: None,
    };
    if multipart {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|rejection| Error::bad_request("unreadable_body", rejection.body_text()))?;
        let result = read_parts(assessments, assignment, submission_id, &mut form, &mut work).await;
        if let Err(error) = result {
            if let Some(file) = &work.file {
                let _ = assessments.files.delete(&file.key).await;
            }
            return Err(error);
        }
    } else if has_json_type(headers) {
        let Json(input) = Json::<HandIn>::from_request(request, &()).await?;
        work.text = input.text;
        work.link = input.link;
    } else {
        return Err(Error::UnsupportedMediaType);
    }
    if let Err(error) = check(assignment, &mut work) {
        if let Some(file) = &work.file {
            let _ = assessments.files.delete(&file.key).await;
        }
        return Err(error);
    }
    Ok(work)
}

async fn read_parts(
    assessments: &Assessments,
    assignment: &AssignmentRow,
    submission_id: &str,
    form: &mut Multipart,
    work: &mut Work,
) -> Result<()> {
    while let Some(field) = form.next_field().await.map_err(files::unreadable_part)? {
        match field.name().unwrap_or_default() {
            "text" if work.text.is_none() => {
                work.text = Some(field.text().await.map_err(files::unreadable_part)?)
            }
            "link" if work.link.is_none() => {
                work.link = Some(field.text().await.map_err(files::unreadable_part)?)
            }
            "file" if work.file.is_none() => {
                if !assignment
                    .submission_types()?
                    .contains(&SubmissionType::File)
                {
                    return Err(Error::invalid(
                        "file",
                        "not_accepted",
                        "this assignment takes no files",
                    ));
                }
                let name = campus_platform::files::clean_name(field.file_name().unwrap_or("file"));
                let types = assignment.file_types();
                let types: Vec<&str> = types.iter().map(String::as_str).collect();
                let rules = Rules {
                    max_bytes: u64::try_from(assignment.max_file_bytes).unwrap_or(0),
                    types: &types,
                };
                let key = format!(
                    "{}/{}/{}",
                    assignment.school_id, assignment.id, submission_id
                );
                let stream = field.map_err(|e| e.body_text());
                let stored = assessments
                    .files
                    .put(&key, Box::pin(stream), &rules, &name)
                    .await?;
                work.file = Some(stored);
                work.file_name = Some(name);
            }
            other => {
                return Err(Error::invalid(
                    other,
                    "unknown_part",
                    "send the parts `text`, `link` and `file`, each once",
                ))
            }
        }
    }
    Ok(())
}

/// The hand-in against the assignment's rules: something handed in, only what it takes.
fn check(assignment: &AssignmentRow, work: &mut Work) -> Result<()> {
    let allowed = assignment.submission_types()?;
    let mut checks = Checks::default();
    work.text = work
        .text
        .take()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    work.link = work
        .link
        .take()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    if let Some(text) = &work.text {
        if !allowed.contains(&SubmissionType::Text) {
            checks.push(FieldError::new(
                "text",
                "not_accepted",
                "this assignment takes no text",
            ));
        } else if text.chars().count() > TEXT_MAX {
            checks.push(FieldError::new(
                "text",
                "too_long",
                "at most 100,000 characters",
            ));
        }
    }
    if let Some(link) = &work.link {
        if !allowed.contains(&SubmissionType::Link) {
            checks.push(FieldError::new(
                "link",
                "not_accepted",
                "this assignment takes no links",
            ));
        } else if link.len() > LINK_MAX
            || !url::Url::parse(link)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        {
            checks.push(FieldError::new(
                "link",
                "invalid_link",
                "an http(s) address of at most 2048 characters",
            ));
        }
    }
    if work.text.is_none() && work.link.is_none() && work.file.is_none() {
        let ways: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
        checks.push(FieldError::new(
            "body",
            "nothing_handed_in",
            format!("hand in at least one of: {}", ways.join(", ")),
        ));
    }
    checks.finish()
}
