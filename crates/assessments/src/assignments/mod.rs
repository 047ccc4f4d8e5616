//! Assignments: what a teacher asks a course's students to hand in, and by when.
//!
//! Rooms: `settings` (writing and checking an assignment's settings, drafts and publishing),
//! `extensions` (a student's own dates) and `groups` (who hands in together). Reading them is
//! here. Students see published assignments once they are available; drafts and other
//! courses' assignments answer 404 like unknown ones.

mod extensions;
mod groups;
mod settings;

use campus_contracts::assessments::{GradeRelease, LatePolicy};
use campus_platform::{
    error::Problem, http::Json, people::Caller, rosters::Standing, time, Error, Result,
};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    calendar,
    rubric::Rubric,
    store::{self, AssignmentRow},
    Assessments,
};

pub(crate) fn routes(assessments: Assessments) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_assignments, settings::create_assignment))
        .routes(routes!(
            get_assignment,
            settings::update_assignment,
            settings::delete_assignment
        ))
        .routes(routes!(settings::publish_assignment))
        .routes(routes!(extensions::list_extensions))
        .routes(routes!(
            extensions::grant_extension,
            extensions::remove_extension
        ))
        .routes(routes!(groups::list_groups, groups::set_groups))
        .with_state(assessments)
}

/// What a student may hand in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SubmissionType {
    /// Text written in the page (Markdown).
    Text,
    /// One uploaded file.
    File,
    /// A web address.
    Link,
}

campus_contracts::text_enum!(SubmissionType, "submission type", {
    Text => "text",
    File => "file",
    Link => "link",
});

/// Whether each student hands in their own work, or a group hands in once for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GroupMode {
    Individual,
    Group,
}

campus_contracts::text_enum!(GroupMode, "group mode", {
    Individual => "individual",
    Group => "group",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AssignmentStatus {
    /// Seen by the course's staff only.
    Draft,
    /// Seen by the course's students from `available_from`.
    Published,
}

campus_contracts::text_enum!(AssignmentStatus, "assignment status", {
    Draft => "draft",
    Published => "published",
});

/// An assignment. Instants carry the school's offset on that day; `time_zone` names the zone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Assignment {
    pub id: String,
    pub course_id: String,
    pub module_id: Option<String>,
    pub title: String,
    /// Markdown as written; for the course's staff only.
    pub instructions: Option<String>,
    /// Rendered from Markdown and sanitized.
    pub instructions_html: String,
    pub max_points: f64,
    pub time_zone: String,
    pub available_from: Option<String>,
    pub due_at: Option<String>,
    /// After this nothing more is accepted.
    pub cut_off_at: Option<String>,
    pub submission_types: Vec<SubmissionType>,
    /// MIME types a file may be, as read from its bytes.
    pub file_types: Vec<String>,
    pub max_file_bytes: i64,
    /// 0: no limit.
    pub attempts_allowed: i64,
    pub late_policy: Option<LatePolicy>,
    pub rubric: Option<Rubric>,
    pub group_mode: GroupMode,
    pub release: GradeRelease,
    /// Whether students see their grades (always, once given, under `as_graded`).
    pub grades_released: bool,
    pub status: AssignmentStatus,
    /// For a student: their own due date and cut-off when they have an extension.
    pub my_due_at: Option<String>,
    pub my_cut_off_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl AssignmentRow {
    pub(crate) fn status(&self) -> Result<AssignmentStatus> {
        self.status.parse().map_err(Error::internal)
    }

    pub(crate) fn is_published(&self) -> bool {
        self.status == AssignmentStatus::Published.as_str()
    }

    pub(crate) fn release(&self) -> Result<GradeRelease> {
        self.grade_release.parse().map_err(Error::internal)
    }

    pub(crate) fn group_mode(&self) -> Result<GroupMode> {
        self.group_mode.parse().map_err(Error::internal)
    }

    /// Whether a grade given now is seen by its student now.
    pub(crate) fn grades_released(&self) -> Result<bool> {
        Ok(self.release()? == GradeRelease::AsGraded || self.released_at.is_some())
    }

    pub(crate) fn submission_types(&self) -> Result<Vec<SubmissionType>> {
        split(&self.submission_types)
            .map(|t| t.parse().map_err(Error::internal))
            .collect()
    }

    pub(crate) fn file_types(&self) -> Vec<String> {
        split(&self.file_types).map(str::to_owned).collect()
    }

    pub(crate) fn late_policy(&self) -> Option<LatePolicy> {
        match (self.late_percent_per_day, self.late_floor_percent) {
            (Some(percent_per_day), floor) => Some(LatePolicy {
                percent_per_day,
                floor_percent: floor.unwrap_or(0.0),
            }),
            _ => None,
        }
    }

    pub(crate) fn rubric(&self) -> Result<Option<Rubric>> {
        self.rubric
            .as_deref()
            .map(|text| serde_json::from_str(text).map_err(Error::internal))
            .transpose()
    }

    /// The view of it `caller` may have: staff see the Markdown source, a student their own
    /// dates.
    pub(crate) fn view(
        &self,
        zone: &TimeZone,
        staff: bool,
        extension: Option<&store::ExtensionRow>,
    ) -> Result<Assignment> {
        let show = |ms: Option<i64>| ms.map(|ms| calendar::show(ms, zone));
        Ok(Assignment {
            id: self.id.clone(),
            course_id: self.course_id.clone(),
            module_id: self.module_id.clone(),
            title: self.title.clone(),
            instructions: staff.then(|| self.instructions.clone()),
            instructions_html: self.instructions_html.clone(),
            max_points: self.max_points,
            time_zone: zone.iana_name().unwrap_or("UTC").to_owned(),
            available_from: show(self.available_from),
            due_at: show(self.due_at),
            cut_off_at: show(self.cut_off_at),
            submission_types: self.submission_types()?,
            file_types: self.file_types(),
            max_file_bytes: self.max_file_bytes,
            attempts_allowed: self.attempts_allowed,
            late_policy: self.late_policy(),
            rubric: self.rubric()?,
            group_mode: self.group_mode()?,
            release: self.release()?,
            grades_released: self.grades_released()?,
            status: self.status()?,
            my_due_at: extension.and_then(|e| show(e.due_at)),
            my_cut_off_at: extension.and_then(|e| show(e.cut_off_at)),
            created_at: time::rfc3339(self.created_at),
            updated_at: time::rfc3339(self.updated_at),
        })
    }

    /// Whether a student may see it: published, and available by now.
    pub(crate) fn open_to_students(&self, now: i64) -> bool {
        self.is_published() && self.available_from.is_none_or(|from| from <= now)
    }
}

fn split(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// An assignment of the caller's school with the caller's standing in its course, or 404 when
/// the caller may not see it (a student and a draft, or work not yet available).
pub(crate) async fn load(
    assessments: &Assessments,
    caller: &Caller,
    assignment_id: &str,
) -> Result<(AssignmentRow, Standing)> {
    let assignment = store::assignment(&assessments.db, &caller.school_id, assignment_id).await?;
    let standing = assessments
        .rosters
        .standing(caller, &assignment.course_id)
        .await
        .map_err(|error| error.unseen_as("assignment"))?;
    if !standing.is_staff() && !assignment.open_to_students(time::now_ms()) {
        return Err(Error::NotFound { what: "assignment" });
    }
    Ok((assignment, standing))
}

/// The course's assignments: every one for its staff; published and available ones for its
/// students, each with their own dates.
#[utoipa::path(get, path = "/api/v1/courses/{id}/assignments", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<Assignment>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_assignments(
    axum::extract::State(assessments): axum::extract::State<Assessments>,
    caller: Caller,
    axum::extract::Path(course_id): axum::extract::Path<String>,
) -> Result<Json<Vec<Assignment>>> {
    let standing = assessments.rosters.standing(&caller, &course_id).await?;
    if !standing.is_staff() && standing.role.is_none() {
        return Err(Error::forbidden("assignments are for the course's members"));
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let now = time::now_ms();
    let staff = standing.is_staff();
    let mut shown = Vec::new();
    for row in store::course_assignments(&assessments.db, &course_id).await? {
        if staff {
            shown.push(row.view(&zone, true, None)?);
        } else if row.open_to_students(now) {
            let mut conn = assessments.db.pool().acquire().await?;
            let extension = store::extension(&mut conn, &row.id, &caller.user_id).await?;
            shown.push(row.view(&zone, false, extension.as_ref())?);
        }
    }
    Ok(Json(shown))
}

/// One assignment, for the course's staff and (once published and available) its students.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Assignment), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_assignment(
    axum::extract::State(assessments): axum::extract::State<Assessments>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Assignment>> {
    let (assignment, standing) = load(&assessments, &caller, &id).await?;
    if !standing.is_staff() && standing.role.is_none() {
        return Err(Error::forbidden("assignments are for the course's members"));
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let mut conn = assessments.db.pool().acquire().await?;
    let extension = store::extension(&mut conn, &assignment.id, &caller.user_id).await?;
    Ok(Json(assignment.view(
        &zone,
        standing.is_staff(),
        extension.as_ref(),
    )?))
}
