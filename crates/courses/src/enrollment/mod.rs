//! Who is in a course: students enrolling themselves (with the course's code when it has
//! one) and dropping, staff adding and removing people and setting their course roles, and a
//! whole class enrolled from a roster list at once.
//!
//! Rooms: `self_service` (a student's own place), `staff` (staff managing the members) and
//! `roster` (a class list at once). Granting and taking places, with their events, is here.

mod roster;
mod self_service;
mod staff;

use campus_contracts::courses::{EnrollmentGranted, EnrollmentRevoked};
use campus_platform::{auth::Permission, error::FieldError, people::Person, time, Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    domain::CourseRole,
    store::{self, members::MemberRow, Change, CourseRow},
    Courses,
};

pub(crate) fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(self_service::enroll, self_service::drop_course))
        .routes(routes!(staff::list_members))
        .routes(routes!(staff::set_member, staff::remove_member))
        .routes(routes!(roster::enroll_roster))
        .with_state(courses)
}

/// A place in a course.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Membership {
    pub course_id: String,
    pub user_id: String,
    pub role: CourseRole,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub joined_at: String,
    pub completed_at: Option<String>,
}

impl From<MemberRow> for Membership {
    fn from(row: MemberRow) -> Self {
        Self {
            course_id: row.course_id,
            user_id: row.user_id,
            role: row.role,
            display_name: row.display_name,
            email: row.email,
            joined_at: time::rfc3339(row.joined_at),
            completed_at: row.completed_at.map(time::rfc3339),
        }
    }
}

/// The person's place in the course as it is now.
async fn membership(courses: &Courses, course_id: &str, user_id: &str) -> Result<Membership> {
    store::members::member(&courses.db, course_id, user_id)
        .await?
        .map(Membership::from)
        .ok_or(Error::NotFound { what: "member" })
}

/// Gives `user_id` a place with `role`, or changes their role; records EnrollmentGranted when
/// anything changed. Returns whether they are new to the course.
async fn grant(
    change: &mut Change,
    course: &CourseRow,
    user_id: &str,
    role: CourseRole,
    source: &str,
) -> Result<bool> {
    let added = store::members::add(change, course, user_id, role).await?;
    if !added && !store::members::set_role(change, course, user_id, role).await? {
        return Ok(false);
    }
    change
        .record(
            &course.school_id,
            &EnrollmentGranted {
                course_id: course.id.clone(),
                school_id: course.school_id.clone(),
                user_id: user_id.to_owned(),
                course_role: role,
                source: source.into(),
            },
        )
        .await?;
    Ok(added)
}

/// Takes `user_id` out of the course, keeping at least one teacher.
async fn revoke(
    change: &mut Change,
    course: &CourseRow,
    user_id: &str,
    reason: &str,
) -> Result<()> {
    let role = store::members::role_in(change, &course.id, user_id)
        .await?
        .ok_or(Error::NotFound { what: "member" })?;
    if role == CourseRole::Teacher {
        ensure_another_teacher(change, &course.id, user_id).await?;
    }
    store::members::remove(change, course, user_id, role).await?;
    change
        .record(
            &course.school_id,
            &EnrollmentRevoked {
                course_id: course.id.clone(),
                school_id: course.school_id.clone(),
                user_id: user_id.to_owned(),
                reason: reason.into(),
            },
        )
        .await
}

async fn ensure_another_teacher(change: &mut Change, course_id: &str, user_id: &str) -> Result<()> {
    if store::members::other_teachers(change, course_id, user_id).await? == 0 {
        return Err(Error::conflict(
            "last_teacher",
            "a course keeps at least one teacher; add another teacher first",
        ));
    }
    Ok(())
}

/// Whether a person of the school may take `role` in a course.
fn check_role_fits(person: &Person, role: CourseRole) -> Result<(), FieldError> {
    if !person.is_active() {
        return Err(FieldError::new(
            "user_id",
            "deactivated",
            "this account is deactivated",
        ));
    }
    if role == CourseRole::Teacher && !person.can(Permission::Teach) {
        return Err(FieldError::new(
            "role",
            "not_a_teacher",
            "only the school's teachers and admins can teach a course",
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MemberList {
    pub items: Vec<Membership>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberRole {
    pub role: CourseRole,
}
