//! Extensions: a student's own due date and cut-off on one assignment (illness, a family
//! matter, an accommodation). Their lateness is counted from their own due date.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::assessments::DueDateExtended;
use campus_platform::{
    error::{Checks, FieldError, Problem},
    http::Json,
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::load;
use crate::{calendar, store, store::ExtensionRow, Assessments};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Extension {
    pub assignment_id: String,
    pub student_id: String,
    pub student_name: Option<String>,
    pub due_at: Option<String>,
    pub cut_off_at: Option<String>,
    pub granted_by: String,
    pub granted_at: String,
}

/// A student's own dates, in the school's time zone or as exact instants.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewExtension {
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub due_at: Option<String>,
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub cut_off_at: Option<String>,
}

/// The assignment's extensions: for the course's staff.
#[utoipa::path(get, path = "/api/v1/assignments/{id}/extensions", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<Extension>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn list_extensions(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Extension>>> {
    let (assignment, standing) = load(&assessments, &caller, &id).await?;
    standing.require_staff()?;
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let mut shown = Vec::new();
    for row in store::extensions(&assessments.db, &assignment.id).await? {
        let name = assessments
            .people
            .person(&caller.school_id, &row.student_id)
            .await?
            .map(|p| p.display_name.clone());
        shown.push(Extension {
            assignment_id: assignment.id.clone(),
            student_id: row.student_id,
            student_name: name,
            due_at: row.due_at.map(|ms| calendar::show(ms, &zone)),
            cut_off_at: row.cut_off_at.map(|ms| calendar::show(ms, &zone)),
            granted_by: row.granted_by,
            granted_at: time::rfc3339(row.granted_at),
        });
    }
    Ok(Json(shown))
}

/// Gives a student of the course their own due date and cut-off (replacing any they had).
#[utoipa::path(put, path = "/api/v1/assignments/{id}/extensions/{student_id}", tag = "assessments", params(("id" = String, Path), ("student_id" = String, Path)), request_body = NewExtension, security(("bearer" = [])),
    responses((status = 200, body = Extension), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn grant_extension(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path((id, student_id)): Path<(String, String)>,
    Json(input): Json<NewExtension>,
) -> Result<Json<Extension>> {
    let (assignment, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let place = assessments
        .rosters
        .place(&assignment.course_id, &student_id)
        .await?;
    if place != Some(campus_contracts::courses::CourseRole::Student) {
        return Err(Error::NotFound { what: "student" });
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let mut checks = Checks::default();
    let due_at = checks
        .check(calendar::optional_instant(
            "due_at",
            input.due_at.as_deref(),
            &zone,
        ))
        .flatten();
    let cut_off_at = checks
        .check(calendar::optional_instant(
            "cut_off_at",
            input.cut_off_at.as_deref(),
            &zone,
        ))
        .flatten();
    if due_at.is_none() && cut_off_at.is_none() {
        checks.push(FieldError::new(
            "due_at",
            "required",
            "give a due date, a cut-off, or both",
        ));
    }
    if let (Some(due), Some(cut_off)) = (due_at, cut_off_at) {
        if cut_off < due {
            checks.push(FieldError::new(
                "cut_off_at",
                "before_due",
                "the cut-off is before the due date",
            ));
        }
    }
    checks.finish()?;
    let row = ExtensionRow {
        student_id: student_id.clone(),
        due_at,
        cut_off_at,
        granted_by: caller.user_id.clone(),
        granted_at: time::now_ms(),
    };
    let mut uow = assessments.db.begin().await?;
    store::save_extension(&mut uow, &assignment.id, &row).await?;
    if assignment.is_published() {
        uow.record(
            &assignment.school_id,
            &DueDateExtended {
                assignment_id: assignment.id.clone(),
                course_id: assignment.course_id.clone(),
                school_id: assignment.school_id.clone(),
                student_id: student_id.clone(),
                due_at: due_at.map(time::rfc3339),
                cut_off_at: cut_off_at.map(time::rfc3339),
            },
        )
        .await?;
    }
    uow.commit().await?;
    let name = assessments
        .people
        .person(&caller.school_id, &student_id)
        .await?
        .map(|p| p.display_name.clone());
    Ok(Json(Extension {
        assignment_id: assignment.id,
        student_id,
        student_name: name,
        due_at: due_at.map(|ms| calendar::show(ms, &zone)),
        cut_off_at: cut_off_at.map(|ms| calendar::show(ms, &zone)),
        granted_by: row.granted_by,
        granted_at: time::rfc3339(row.granted_at),
    }))
}

/// Takes a student's extension back: the assignment's own dates apply to them again.
#[utoipa::path(delete, path = "/api/v1/assignments/{id}/extensions/{student_id}", tag = "assessments", params(("id" = String, Path), ("student_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem)))]
pub(super) async fn remove_extension(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path((id, student_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let (assignment, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let mut uow = assessments.db.begin().await?;
    if !store::remove_extension(&mut uow, &assignment.id, &student_id).await? {
        return Err(Error::NotFound { what: "extension" });
    }
    if assignment.is_published() {
        uow.record(
            &assignment.school_id,
            &DueDateExtended {
                assignment_id: assignment.id.clone(),
                course_id: assignment.course_id.clone(),
                school_id: assignment.school_id.clone(),
                student_id,
                due_at: None,
                cut_off_at: None,
            },
        )
        .await?;
    }
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
