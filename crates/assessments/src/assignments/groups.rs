//! Groups of a group assignment: one member hands in for the whole group, and each member is
//! graded on it.

use std::collections::{BTreeMap, HashSet};

use axum::extract::{Path, State};
use campus_contracts::courses::CourseRole;
use campus_platform::{
    error::{Checks, FieldError, Problem},
    http::Json,
    id,
    people::Caller,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{load, GroupMode};
use crate::{store, Assessments};

const GROUPS_MAX: usize = 200;
const GROUP_SIZE_MAX: usize = 50;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupsRequest {
    #[schema(max_items = 200)]
    pub groups: Vec<NewGroup>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewGroup {
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<100>)]
    pub name: String,
    /// Students of the course; each in one group at most.
    #[schema(min_items = 1, max_items = 50)]
    pub members: Vec<String>,
}

async fn shown(assessments: &Assessments, assignment_id: &str) -> Result<Vec<Group>> {
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in store::groups(&assessments.db, assignment_id).await? {
        groups
            .entry((row.name, row.group_id))
            .or_default()
            .push(row.student_id);
    }
    Ok(groups
        .into_iter()
        .map(|((name, id), members)| Group { id, name, members })
        .collect())
}

/// The assignment's groups: for the course's staff, and for its students on a group
/// assignment (so they know who they work with).
#[utoipa::path(get, path = "/api/v1/assignments/{id}/groups", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<Group>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn list_groups(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Group>>> {
    let (assignment, standing) = load(&assessments, &caller, &id).await?;
    if !standing.is_staff() && !standing.is_student() {
        return Err(Error::forbidden("groups are for the course's members"));
    }
    Ok(Json(shown(&assessments, &assignment.id).await?))
}

/// Sets the groups of a group assignment (replacing them), before anyone hands in.
#[utoipa::path(put, path = "/api/v1/assignments/{id}/groups", tag = "assessments", params(("id" = String, Path)), request_body = GroupsRequest, security(("bearer" = [])),
    responses((status = 200, body = Vec<Group>), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Not a group assignment (`not_group_work`), work was handed in (`has_submissions`), or the course is archived (`course_archived`)", body = Problem),
        (status = 422, body = Problem)))]
pub(super) async fn set_groups(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<GroupsRequest>,
) -> Result<Json<Vec<Group>>> {
    let (assignment, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    if assignment.group_mode()? != GroupMode::Group {
        return Err(Error::conflict(
            "not_group_work",
            "set `group_mode` to `group` first",
        ));
    }
    if store::has_submissions(&assessments.db, &assignment.id).await? {
        return Err(Error::conflict(
            "has_submissions",
            "work was handed in already; the groups can no longer change",
        ));
    }
    let students: HashSet<String> = assessments
        .rosters
        .members(&assignment.course_id)
        .await?
        .into_iter()
        .filter(|p| p.course_role == CourseRole::Student)
        .map(|p| p.user_id)
        .collect();
    let mut checks = Checks::default();
    if input.groups.len() > GROUPS_MAX {
        checks.push(FieldError::new("groups", "too_many", "at most 200 groups"));
    }
    let (mut names, mut placed) = (HashSet::new(), HashSet::new());
    let mut groups = Vec::with_capacity(input.groups.len());
    for (i, group) in input.groups.iter().enumerate() {
        let name = group.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            checks.push(FieldError::new(
                format!("groups[{i}].name"),
                "invalid_name",
                "1 to 100 characters",
            ));
        } else if !names.insert(name.to_lowercase()) {
            checks.push(FieldError::new(
                format!("groups[{i}].name"),
                "duplicate",
                "another group has this name",
            ));
        }
        if group.members.is_empty() || group.members.len() > GROUP_SIZE_MAX {
            checks.push(FieldError::new(
                format!("groups[{i}].members"),
                "group_size",
                "1 to 50 members",
            ));
        }
        for (j, member) in group.members.iter().enumerate() {
            let field = format!("groups[{i}].members[{j}]");
            if !students.contains(member) {
                checks.push(FieldError::new(
                    field,
                    "not_a_student",
                    "not a student of the course",
                ));
            } else if !placed.insert(member.clone()) {
                checks.push(FieldError::new(
                    field,
                    "in_two_groups",
                    "already in another group",
                ));
            }
        }
        groups.push((id::new_id_string(), name.to_owned(), group.members.clone()));
    }
    checks.finish()?;
    let mut uow = assessments.db.begin().await?;
    store::set_groups(&mut uow, &assignment.id, &groups).await?;
    uow.commit().await?;
    Ok(Json(shown(&assessments, &assignment.id).await?))
}
