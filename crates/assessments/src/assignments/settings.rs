//! Writing an assignment: its settings checked as one whole (a change is merged into the
//! current settings and checked again, so no combination of changes can leave a due date after
//! the cut-off), drafts, publishing and deleting.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::assessments::{
    AssignmentPublished, AssignmentUpdated, AssignmentWithdrawn, GradeRelease, LatePolicy,
};
use campus_platform::{
    error::{Checks, FieldError, Problem},
    http::Json,
    id, markdown,
    openapi::fields,
    people::Caller,
    time, Error, Result,
};
use jiff::tz::TimeZone;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{load, Assignment, AssignmentStatus, GroupMode, SubmissionType};
use crate::{calendar, rubric::Rubric, store, store::AssignmentRow, Assessments};

const TITLE_MAX: usize = 200;
const INSTRUCTIONS_MAX: usize = 100_000;
const FILE_TYPES_MAX: usize = 30;
/// What a file may be when the teacher says nothing: documents, images, plain text.
const DEFAULT_FILE_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
];
const DEFAULT_MAX_FILE_BYTES: i64 = 25 * 1024 * 1024;

/// An assignment's settings as a teacher gives them. Dates are wall-clock times in the
/// school's time zone (`2026-12-10T23:59`) or exact instants (`…Z`, `…+01:00`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAssignment {
    #[schema(schema_with = fields::required_line::<200>)]
    pub title: String,
    /// Markdown.
    #[serde(default)]
    #[schema(schema_with = fields::text::<100000>)]
    pub instructions: String,
    /// A module of the course it belongs to.
    pub module_id: Option<String>,
    #[schema(minimum = 0, maximum = 100000)]
    pub max_points: f64,
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub available_from: Option<String>,
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub due_at: Option<String>,
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub cut_off_at: Option<String>,
    /// Default `["text", "file"]`.
    #[schema(min_items = 1, max_items = 3)]
    pub submission_types: Option<Vec<SubmissionType>>,
    /// MIME types a file may be (`application/pdf`); default: documents, images and text.
    #[schema(max_items = 30)]
    pub file_types: Option<Vec<String>>,
    /// Default 25 MiB; at most the installation's upload limit.
    #[schema(minimum = 1)]
    pub max_file_bytes: Option<i64>,
    /// 0 (the default): as many as the student likes.
    #[schema(minimum = 0, maximum = 100)]
    pub attempts_allowed: Option<i64>,
    pub late_policy: Option<LatePolicy>,
    pub rubric: Option<Rubric>,
    /// Default `individual`.
    pub group_mode: Option<GroupMode>,
    /// Default `as_graded`.
    pub release: Option<GradeRelease>,
}

/// A change to an assignment: what is given replaces the current value; `null` clears an
/// optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignmentChanges {
    #[schema(schema_with = fields::optional_required_line::<200>)]
    pub title: Option<String>,
    #[schema(schema_with = fields::optional_text::<100000>)]
    pub instructions: Option<String>,
    #[serde(default, with = "campus_platform::http::double_option")]
    pub module_id: Option<Option<String>>,
    #[schema(minimum = 0, maximum = 100000)]
    pub max_points: Option<f64>,
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub available_from: Option<Option<String>>,
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub due_at: Option<Option<String>>,
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub cut_off_at: Option<Option<String>>,
    #[schema(min_items = 1, max_items = 3)]
    pub submission_types: Option<Vec<SubmissionType>>,
    #[schema(max_items = 30)]
    pub file_types: Option<Vec<String>>,
    #[schema(minimum = 1)]
    pub max_file_bytes: Option<i64>,
    #[schema(minimum = 0, maximum = 100)]
    pub attempts_allowed: Option<i64>,
    #[serde(default, with = "campus_platform::http::double_option")]
    pub late_policy: Option<Option<LatePolicy>>,
    #[serde(default, with = "campus_platform::http::double_option")]
    pub rubric: Option<Option<Rubric>>,
    pub group_mode: Option<GroupMode>,
    pub release: Option<GradeRelease>,
}

impl NewAssignment {
    /// The current settings of `row`, as a teacher would give them again (exact instants).
    fn of(row: &AssignmentRow) -> Result<Self> {
        let exact = |ms: Option<i64>| ms.map(time::rfc3339);
        Ok(Self {
            title: row.title.clone(),
            instructions: row.instructions.clone(),
            module_id: row.module_id.clone(),
            max_points: row.max_points,
            available_from: exact(row.available_from),
            due_at: exact(row.due_at),
            cut_off_at: exact(row.cut_off_at),
            submission_types: Some(row.submission_types()?),
            file_types: Some(row.file_types()),
            max_file_bytes: Some(row.max_file_bytes),
            attempts_allowed: Some(row.attempts_allowed),
            late_policy: row.late_policy(),
            rubric: row.rubric()?,
            group_mode: Some(row.group_mode()?),
            release: Some(row.release()?),
        })
    }

    fn apply(mut self, changes: AssignmentChanges) -> Self {
        macro_rules! take {
            ($($field:ident),*) => {$(
                if let Some(value) = changes.$field { self.$field = value; }
            )*};
        }
        take!(
            title,
            instructions,
            max_points,
            module_id,
            available_from,
            due_at,
            cut_off_at,
            late_policy,
            rubric
        );
        macro_rules! take_some {
            ($($field:ident),*) => {$(
                if let Some(value) = changes.$field { self.$field = Some(value); }
            )*};
        }
        take_some!(
            submission_types,
            file_types,
            max_file_bytes,
            attempts_allowed,
            group_mode,
            release
        );
        self
    }

    /// The settings checked as a whole and written onto `row`, or every field at fault.
    fn write_onto(
        &self,
        row: &mut AssignmentRow,
        zone: &TimeZone,
        upload_limit: u64,
    ) -> Result<()> {
        let mut checks = Checks::default();
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > TITLE_MAX {
            checks.push(FieldError::new(
                "title",
                "invalid_title",
                "1 to 200 characters",
            ));
        }
        if self.instructions.chars().count() > INSTRUCTIONS_MAX {
            checks.push(FieldError::new(
                "instructions",
                "too_long",
                "at most 100,000 characters",
            ));
        }
        if !self.max_points.is_finite() || !(0.0..=100_000.0).contains(&self.max_points) {
            checks.push(FieldError::new(
                "max_points",
                "invalid_points",
                "0 to 100,000 points",
            ));
        }
        let available_from = checks
            .check(calendar::optional_instant(
                "available_from",
                self.available_from.as_deref(),
                zone,
            ))
            .flatten();
        let due_at = checks
            .check(calendar::optional_instant(
                "due_at",
                self.due_at.as_deref(),
                zone,
            ))
            .flatten();
        let cut_off_at = checks
            .check(calendar::optional_instant(
                "cut_off_at",
                self.cut_off_at.as_deref(),
                zone,
            ))
            .flatten();
        if let (Some(from), Some(due)) = (available_from, due_at) {
            if due < from {
                checks.push(FieldError::new(
                    "due_at",
                    "before_available",
                    "the due date is before the assignment is available",
                ));
            }
        }
        if let Some(cut_off) = cut_off_at {
            if due_at.is_some_and(|due| cut_off < due) {
                checks.push(FieldError::new(
                    "cut_off_at",
                    "before_due",
                    "the cut-off is before the due date",
                ));
            }
        }
        let types = self
            .submission_types
            .clone()
            .unwrap_or_else(|| vec![SubmissionType::Text, SubmissionType::File]);
        if types.is_empty() {
            checks.push(FieldError::new(
                "submission_types",
                "required",
                "allow at least one way to hand in",
            ));
        }
        let file_types = self
            .file_types
            .clone()
            .unwrap_or_else(|| DEFAULT_FILE_TYPES.iter().map(|t| (*t).to_owned()).collect());
        if file_types.len() > FILE_TYPES_MAX {
            checks.push(FieldError::new(
                "file_types",
                "too_many",
                "at most 30 types",
            ));
        }
        for (i, kind) in file_types.iter().enumerate() {
            if !is_mime_type(kind) {
                checks.push(FieldError::new(
                    format!("file_types[{i}]"),
                    "invalid_type",
                    "a MIME type such as application/pdf",
                ));
            }
        }
        let max_file_bytes = self.max_file_bytes.unwrap_or(DEFAULT_MAX_FILE_BYTES);
        if max_file_bytes < 1 || u64::try_from(max_file_bytes).is_ok_and(|n| n > upload_limit) {
            checks.push(FieldError::new(
                "max_file_bytes",
                "invalid_size",
                format!("1 to {upload_limit} bytes (the installation's upload limit)"),
            ));
        }
        let attempts = self.attempts_allowed.unwrap_or(0);
        if !(0..=100).contains(&attempts) {
            checks.push(FieldError::new(
                "attempts_allowed",
                "invalid_attempts",
                "0 (no limit) to 100",
            ));
        }
        if let Some(late) = &self.late_policy {
            let percent = |x: f64| x.is_finite() && (0.0..=100.0).contains(&x);
            if !percent(late.percent_per_day) {
                checks.push(FieldError::new(
                    "late_policy.percent_per_day",
                    "invalid_percent",
                    "0 to 100",
                ));
            }
            if !percent(late.floor_percent) {
                checks.push(FieldError::new(
                    "late_policy.floor_percent",
                    "invalid_percent",
                    "0 to 100",
                ));
            }
        }
        if let Some(rubric) = &self.rubric {
            let problems = rubric.check("rubric");
            let total = rubric.max_points();
            for problem in problems {
                checks.push(problem);
            }
            if (total - self.max_points).abs() > 1e-9 {
                checks.push(FieldError::new(
                    "rubric",
                    "rubric_total",
                    format!("the rubric's best levels add up to {total}, not the assignment's {} points", self.max_points),
                ));
            }
        }
        checks.finish()?;
        row.title = title.to_owned();
        row.instructions_html = markdown::render(&self.instructions);
        row.instructions = self.instructions.clone();
        row.module_id = self.module_id.clone();
        row.max_points = self.max_points;
        row.available_from = available_from;
        row.due_at = due_at;
        row.cut_off_at = cut_off_at;
        row.submission_types = types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",");
        row.file_types = file_types.join(",");
        row.max_file_bytes = max_file_bytes;
        row.attempts_allowed = attempts;
        row.late_percent_per_day = self.late_policy.map(|l| l.percent_per_day);
        row.late_floor_percent = self.late_policy.map(|l| l.floor_percent);
        row.rubric = self
            .rubric
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(Error::internal)?;
        row.group_mode = self
            .group_mode
            .unwrap_or(GroupMode::Individual)
            .as_str()
            .to_owned();
        row.grade_release = self
            .release
            .unwrap_or(GradeRelease::AsGraded)
            .as_str()
            .to_owned();
        Ok(())
    }
}

/// `type/subtype`, lower case, as sniffed types are named.
fn is_mime_type(text: &str) -> bool {
    let mut parts = text.split('/');
    let token = |part: Option<&str>| {
        part.is_some_and(|p| {
            !p.is_empty()
                && p.len() <= 100
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
        })
    };
    token(parts.next()) && token(parts.next()) && parts.next().is_none()
}

/// The events an assignment's changes become.
pub(crate) trait AssignmentEvent {
    fn published(&self) -> AssignmentPublished;
    fn updated(&self) -> AssignmentUpdated;
}

impl AssignmentEvent for AssignmentRow {
    fn published(&self) -> AssignmentPublished {
        AssignmentPublished {
            assignment_id: self.id.clone(),
            course_id: self.course_id.clone(),
            school_id: self.school_id.clone(),
            module_id: self.module_id.clone(),
            title: self.title.clone(),
            max_points: self.max_points,
            available_from: self.available_from.map(time::rfc3339),
            due_at: self.due_at.map(time::rfc3339),
            late_policy: self.late_policy(),
            release: self.release().unwrap_or(GradeRelease::AsGraded),
        }
    }

    fn updated(&self) -> AssignmentUpdated {
        let p = self.published();
        AssignmentUpdated {
            assignment_id: p.assignment_id,
            course_id: p.course_id,
            school_id: p.school_id,
            module_id: p.module_id,
            title: p.title,
            max_points: p.max_points,
            available_from: p.available_from,
            due_at: p.due_at,
            late_policy: p.late_policy,
            release: p.release,
        }
    }
}

/// Sets a new assignment in the course, as a draft: its teachers and the school's admins.
#[utoipa::path(post, path = "/api/v1/courses/{id}/assignments", tag = "assessments", params(("id" = String, Path)), request_body = NewAssignment, security(("bearer" = [])),
    responses((status = 201, body = Assignment), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn create_assignment(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(input): Json<NewAssignment>,
) -> Result<(StatusCode, Json<Assignment>)> {
    let standing = assessments.rosters.standing(&caller, &course_id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let now = time::now_ms();
    let mut row = AssignmentRow {
        id: id::new_id_string(),
        school_id: caller.school_id.clone(),
        course_id,
        module_id: None,
        title: String::new(),
        instructions: String::new(),
        instructions_html: String::new(),
        max_points: 0.0,
        available_from: None,
        due_at: None,
        cut_off_at: None,
        submission_types: String::new(),
        file_types: String::new(),
        max_file_bytes: 0,
        attempts_allowed: 0,
        late_percent_per_day: None,
        late_floor_percent: None,
        rubric: None,
        group_mode: String::new(),
        grade_release: String::new(),
        released_at: None,
        status: AssignmentStatus::Draft.as_str().to_owned(),
        created_by: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    input.write_onto(&mut row, &zone, assessments.upload_limit)?;
    let mut uow = assessments.db.begin().await?;
    store::insert_assignment(&mut uow, &row).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(row.view(&zone, true, None)?)))
}

/// Changes an assignment's settings. Students see a published assignment's changes at once
/// (and the gradebook its points and dates).
#[utoipa::path(patch, path = "/api/v1/assignments/{id}", tag = "assessments", params(("id" = String, Path)), request_body = AssignmentChanges, security(("bearer" = [])),
    responses((status = 200, body = Assignment), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`), or the assignment has hand-ins and the change would alter how they are graded (`has_submissions`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn update_assignment(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(changes): Json<AssignmentChanges>,
) -> Result<Json<Assignment>> {
    let (mut row, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let regroups = changes
        .group_mode
        .is_some_and(|mode| Some(mode) != row.group_mode().ok());
    if regroups && store::has_submissions(&assessments.db, &row.id).await? {
        return Err(Error::conflict(
            "has_submissions",
            "work was handed in already; individual or group can no longer change",
        ));
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    NewAssignment::of(&row)?.apply(changes).write_onto(
        &mut row,
        &zone,
        assessments.upload_limit,
    )?;
    row.updated_at = time::now_ms();
    let mut uow = assessments.db.begin().await?;
    store::update_assignment(&mut uow, &row).await?;
    if row.is_published() {
        uow.record(&row.school_id, &row.updated()).await?;
    }
    uow.commit().await?;
    Ok(Json(row.view(&zone, true, None)?))
}

/// Deletes an assignment nobody has handed in yet.
#[utoipa::path(delete, path = "/api/v1/assignments/{id}", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Work was handed in (`has_submissions`), or the course is archived (`course_archived`)", body = Problem)))]
pub(super) async fn delete_assignment(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let (row, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    if store::has_submissions(&assessments.db, &row.id).await? {
        return Err(Error::conflict(
            "has_submissions",
            "work was handed in for this assignment; it cannot be deleted",
        ));
    }
    let mut uow = assessments.db.begin().await?;
    store::delete_assignment(&mut uow, &row.id).await?;
    if row.is_published() {
        uow.record(
            &row.school_id,
            &AssignmentWithdrawn {
                assignment_id: row.id.clone(),
                course_id: row.course_id.clone(),
                school_id: row.school_id.clone(),
            },
        )
        .await?;
    }
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publishes a draft: the course's students see it from its `available_from`, and it becomes
/// a grade item. Publishing a published assignment changes nothing.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/publish", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Assignment), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem)))]
pub(super) async fn publish_assignment(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Assignment>> {
    let (mut row, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    if !row.is_published() {
        row.status = AssignmentStatus::Published.as_str().to_owned();
        row.updated_at = time::now_ms();
        let mut uow = assessments.db.begin().await?;
        store::update_assignment(&mut uow, &row).await?;
        uow.record(&row.school_id, &row.published()).await?;
        uow.commit().await?;
    }
    Ok(Json(row.view(&zone, true, None)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_are_mime_types() {
        assert!(is_mime_type("application/pdf"));
        assert!(is_mime_type("application/vnd.oasis.opendocument.text"));
        for wrong in [
            "pdf",
            "application/",
            "Application/PDF",
            "a/b/c",
            "text/plain; charset=utf-8",
        ] {
            assert!(!is_mime_type(wrong), "{wrong}");
        }
    }
}
