//! Completions: which lessons each student has done, and when they finished a course.

use campus_platform::{db::Db, Result};

use super::Change;

/// The lessons a person has completed in a course.
pub(crate) async fn completed_lessons(
    db: &Db,
    course_id: &str,
    user_id: &str,
) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT lesson_id FROM completions WHERE course_id = $1 AND user_id = $2")
            .bind(course_id)
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Every completion of the course, in one query: (person, lesson, when).
pub(crate) async fn completions_of_course(
    db: &Db,
    course_id: &str,
) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT user_id, lesson_id, completed_at FROM completions WHERE course_id = $1",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

/// Records a completion unless there is one; returns whether this one is new.
pub(crate) async fn complete(
    change: &mut Change,
    school_id: &str,
    course_id: &str,
    lesson_id: &str,
    user_id: &str,
    at: i64,
) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO completions (lesson_id, user_id, course_id, school_id, completed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (lesson_id, user_id) DO NOTHING",
    )
    .bind(lesson_id)
    .bind(user_id)
    .bind(course_id)
    .bind(school_id)
    .bind(at)
    .execute(change.conn())
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

/// When the person completed the lesson, as this change sees it.
pub(crate) async fn completed_at(
    change: &mut Change,
    lesson_id: &str,
    user_id: &str,
) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT completed_at FROM completions WHERE lesson_id = $1 AND user_id = $2",
    )
    .bind(lesson_id)
    .bind(user_id)
    .fetch_optional(change.conn())
    .await?;
    Ok(row.map(|(at,)| at))
}

/// Sets the course's completion time unless it is set. Only the request that sets it gets
/// `true`, so a double click or two racing requests complete the course once.
pub(crate) async fn finish_course(
    change: &mut Change,
    course_id: &str,
    user_id: &str,
    at: i64,
) -> Result<bool> {
    let finished = sqlx::query(
        "UPDATE members SET completed_at = $1 \
         WHERE course_id = $2 AND user_id = $3 AND completed_at IS NULL",
    )
    .bind(at)
    .bind(course_id)
    .bind(user_id)
    .execute(change.conn())
    .await?
    .rows_affected();
    Ok(finished > 0)
}

/// When the person completed the course, if they did.
pub(crate) async fn course_completed_at(
    db: &Db,
    course_id: &str,
    user_id: &str,
) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT completed_at FROM members WHERE course_id = $1 AND user_id = $2")
            .bind(course_id)
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.and_then(|(at,)| at))
}
