//! A whole class enrolled at once from a list of emails or user ids: every entry is checked
//! first, and either everyone is enrolled or no one.

use axum::extract::{Path, State};
use campus_platform::{
    error::{FieldError, Problem},
    http::Json,
    openapi::fields,
    people::Caller,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_role_fits, grant};
use crate::{access::CourseAccess, domain::CourseRole, store, Courses};

/// The longest class list taken at once.
const MAX_ROSTER: usize = 2_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Roster {
    /// The class list: each entry an email address or a user id of someone in the school. An
    /// account its owner registered and whose address is not yet confirmed is not found by
    /// email (`unconfirmed_address`), only by its id.
    #[schema(schema_with = class_list_schema)]
    pub people: Vec<String>,
    /// The course role they get (default `student`).
    #[serde(default)]
    pub role: Option<CourseRole>,
}

fn class_list_schema() -> utoipa::openapi::Array {
    let entry = fields::required_text::<254>();
    let mut list = fields::list(entry, MAX_ROSTER);
    list.min_items = Some(1);
    list
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RosterResult {
    /// People given a place now.
    pub enrolled: usize,
    /// People who already had that place.
    pub unchanged: usize,
}

/// Enrolls a whole class at once from a list of emails or user ids. Every entry is checked
/// first; if any is unknown, deactivated or unfit for the role, nobody is enrolled and each
/// bad entry is reported by its position (`people[3]`).
#[utoipa::path(post, path = "/api/v1/courses/{id}/roster", tag = "courses", params(("id" = String, Path)), request_body = Roster, security(("bearer" = [])),
    responses((status = 200, body = RosterResult), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn enroll_roster(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(roster): Json<Roster>,
) -> Result<Json<RosterResult>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    access.require_teacher()?;
    access.require_open()?;
    if roster.people.is_empty() || roster.people.len() > MAX_ROSTER {
        return Err(Error::invalid(
            "people",
            "out_of_range",
            format!("between 1 and {MAX_ROSTER} entries"),
        ));
    }
    let role = roster.role.unwrap_or(CourseRole::Student);
    // One query for the whole school's people: a roster costs the same whatever its size.
    let known = courses.people.of_school(&caller.school_id).await?;
    let mut errors = Vec::new();
    let mut chosen: Vec<String> = Vec::new();
    for (i, entry) in roster.people.iter().enumerate() {
        let wanted = entry.trim().to_lowercase();
        let found = known
            .iter()
            .find(|person| person.email == wanted || person.user_id.to_lowercase() == wanted);
        let field = format!("people[{i}]");
        match found {
            None => errors.push(FieldError::new(
                &field,
                "unknown_person",
                format!("no one in the school is `{}`", entry.trim()),
            )),
            // Whoever registered an address first must not become its owner's place in class.
            Some(person) if person.email == wanted && !person.address_trusted => {
                errors.push(FieldError::new(
                    &field,
                    "unconfirmed_address",
                    format!(
                        "the account with `{}` registered itself and has not confirmed the \
                         address; add it by its user id if it is the right person",
                        entry.trim()
                    ),
                ))
            }
            Some(person) => match check_role_fits(person, role) {
                Err(error) => errors.push(FieldError::new(&field, &error.code, error.message)),
                Ok(()) if !chosen.contains(&person.user_id) => chosen.push(person.user_id.clone()),
                Ok(()) => {}
            },
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let mut change = courses.change().await?;
    let mut enrolled = 0;
    let mut unchanged = 0;
    for user_id in &chosen {
        // A roster adds people; it never changes the role of someone already in the course.
        if store::members::role_in(&mut change, &course_id, user_id)
            .await?
            .is_some()
        {
            unchanged += 1;
        } else {
            grant(&mut change, access.course(), user_id, role, "roster").await?;
            enrolled += 1;
        }
    }
    change.commit().await?;
    Ok(Json(RosterResult {
        enrolled,
        unchanged,
    }))
}
