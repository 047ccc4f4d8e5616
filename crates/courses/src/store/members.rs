//! Places in courses: who is in which course with which course role. A change to a person's
//! places is forgotten from their cached places; a change to a course's staff also from the
//! shelf and the outline (which show teachers).

use std::collections::HashMap;

use campus_platform::{db::Db, time, Result};

use super::{Change, CourseRow};
use crate::domain::CourseRole;

/// A place in a course, with the person's name and email from the people directory.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub course_id: String,
    pub user_id: String,
    #[sqlx(try_from = "String")]
    pub role: CourseRole,
    pub joined_at: i64,
    pub completed_at: Option<i64>,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

const MEMBER_SELECT: &str = "SELECT m.course_id, m.user_id, m.role, m.joined_at, m.completed_at, \
     p.display_name, p.email FROM members m LEFT JOIN people p ON p.user_id = m.user_id";

pub(crate) async fn member(db: &Db, course_id: &str, user_id: &str) -> Result<Option<MemberRow>> {
    Ok(sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.course_id = $1 AND m.user_id = $2"
    ))
    .bind(course_id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Everyone in the course: teachers, then assistants, then students, by name.
pub(crate) async fn members(db: &Db, course_id: &str) -> Result<Vec<MemberRow>> {
    Ok(sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.course_id = $1 ORDER BY CASE m.role WHEN 'teacher' THEN 0 \
         WHEN 'assistant' THEN 1 ELSE 2 END, p.display_name, m.user_id"
    ))
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

/// The course's students by name.
pub(crate) async fn students(db: &Db, course_id: &str) -> Result<Vec<MemberRow>> {
    Ok(sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.course_id = $1 AND m.role = 'student' \
         ORDER BY p.display_name, m.user_id"
    ))
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

/// The courses a person has a place in, with their role in each.
pub(crate) async fn places(
    db: &Db,
    school_id: &str,
    user_id: &str,
) -> Result<HashMap<String, CourseRole>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT course_id, role FROM members WHERE school_id = $1 AND user_id = $2")
            .bind(school_id)
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    rows.into_iter()
        .map(|(course, role)| Ok((course, role.parse::<CourseRole>()?)))
        .collect()
}

/// The teachers and assistants of every course of the school: (course, person, role).
pub(crate) async fn staff_of_school(
    db: &Db,
    school_id: &str,
) -> Result<Vec<(String, String, CourseRole)>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT course_id, user_id, role FROM members WHERE school_id = $1 AND role <> 'student'",
    )
    .bind(school_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(course, user, role)| Ok((course, user, role.parse()?)))
        .collect()
}

/// The person's role in the course as this change sees it.
pub(crate) async fn role_in(
    change: &mut Change,
    course_id: &str,
    user_id: &str,
) -> Result<Option<CourseRole>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM members WHERE course_id = $1 AND user_id = $2")
            .bind(course_id)
            .bind(user_id)
            .fetch_optional(change.conn())
            .await?;
    Ok(row.map(|(role,)| role.parse()).transpose()?)
}

/// Gives the person a place with `role`, unless they have one. Inserting first makes two
/// racing requests for the same person (a double click) give one place: the second, waiting
/// on the key, finds it taken. Returns whether the place is new.
pub(crate) async fn add(
    change: &mut Change,
    course: &CourseRow,
    user_id: &str,
    role: CourseRole,
) -> Result<bool> {
    let added = sqlx::query(
        "INSERT INTO members (course_id, user_id, school_id, role, joined_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (course_id, user_id) DO NOTHING",
    )
    .bind(&course.id)
    .bind(user_id)
    .bind(&course.school_id)
    .bind(role.as_str())
    .bind(time::now_ms())
    .execute(change.conn())
    .await?
    .rows_affected()
        == 1;
    if added {
        changed(change, course, user_id, role.is_staff());
    }
    Ok(added)
}

/// Changes the person's role in the course; returns whether it was different.
pub(crate) async fn set_role(
    change: &mut Change,
    course: &CourseRow,
    user_id: &str,
    role: CourseRole,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE members SET role = $1 WHERE course_id = $2 AND user_id = $3 AND role <> $1",
    )
    .bind(role.as_str())
    .bind(&course.id)
    .bind(user_id)
    .execute(change.conn())
    .await?
    .rows_affected()
        > 0;
    if updated {
        // Whatever the role was, the staff may have changed.
        changed(change, course, user_id, true);
    }
    Ok(updated)
}

/// Takes the person's place and their progress in the course.
pub(crate) async fn remove(
    change: &mut Change,
    course: &CourseRow,
    user_id: &str,
    role: CourseRole,
) -> Result<()> {
    sqlx::query("DELETE FROM completions WHERE course_id = $1 AND user_id = $2")
        .bind(&course.id)
        .bind(user_id)
        .execute(change.conn())
        .await?;
    sqlx::query("DELETE FROM members WHERE course_id = $1 AND user_id = $2")
        .bind(&course.id)
        .bind(user_id)
        .execute(change.conn())
        .await?;
    changed(change, course, user_id, role.is_staff());
    Ok(())
}

/// How many teachers the course has besides `user_id`.
pub(crate) async fn other_teachers(
    change: &mut Change,
    course_id: &str,
    user_id: &str,
) -> Result<i64> {
    let (others,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM members WHERE course_id = $1 AND role = 'teacher' AND user_id <> $2",
    )
    .bind(course_id)
    .bind(user_id)
    .fetch_one(change.conn())
    .await?;
    Ok(others)
}

fn changed(change: &mut Change, course: &CourseRow, user_id: &str, staff: bool) {
    change.places_changed(&course.school_id, user_id);
    if staff {
        change.course_changed(&course.school_id, &course.id);
    }
}
