//! Assessments' SQL. Every query reaches rows through an assignment already loaded for the
//! caller's school, or names the school itself. Quizzes' statements are in `quizzes`.

pub(crate) mod quizzes;

use campus_platform::{
    db::{Db, Double, UnitOfWork},
    Error, Result,
};
use sqlx::AnyConnection;

/// An assignment as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AssignmentRow {
    pub id: String,
    pub school_id: String,
    pub course_id: String,
    pub module_id: Option<String>,
    pub title: String,
    pub instructions: String,
    pub instructions_html: String,
    pub max_points: f64,
    pub available_from: Option<i64>,
    pub due_at: Option<i64>,
    pub cut_off_at: Option<i64>,
    pub submission_types: String,
    pub file_types: String,
    pub max_file_bytes: i64,
    pub attempts_allowed: i64,
    pub late_percent_per_day: Option<f64>,
    pub late_floor_percent: Option<f64>,
    pub rubric: Option<String>,
    pub group_mode: String,
    pub grade_release: String,
    pub released_at: Option<i64>,
    pub status: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const ASSIGNMENT_COLUMNS: &str = "id, school_id, course_id, module_id, title, instructions, \
    instructions_html, max_points, available_from, due_at, cut_off_at, submission_types, \
    file_types, max_file_bytes, attempts_allowed, late_percent_per_day, late_floor_percent, \
    rubric, group_mode, grade_release, released_at, status, created_by, created_at, updated_at";

/// An assignment of `school_id`, or 404 (another school's ids answer like unknown ones).
pub(crate) async fn assignment(db: &Db, school_id: &str, id: &str) -> Result<AssignmentRow> {
    sqlx::query_as(&format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = $1 AND school_id = $2"
    ))
    .bind(id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(Error::NotFound { what: "assignment" })
}

/// The course's assignments in the order they are due (undated last), then as created.
pub(crate) async fn course_assignments(db: &Db, course_id: &str) -> Result<Vec<AssignmentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE course_id = $1 \
         ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, id"
    ))
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn insert_assignment(uow: &mut UnitOfWork, row: &AssignmentRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO assignments ({ASSIGNMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(&row.id)
    .bind(&row.school_id)
    .bind(&row.course_id)
    .bind(&row.module_id)
    .bind(&row.title)
    .bind(&row.instructions)
    .bind(&row.instructions_html)
    .bind(row.max_points)
    .bind(row.available_from)
    .bind(row.due_at)
    .bind(row.cut_off_at)
    .bind(&row.submission_types)
    .bind(&row.file_types)
    .bind(row.max_file_bytes)
    .bind(row.attempts_allowed)
    .bind(Double(row.late_percent_per_day))
    .bind(Double(row.late_floor_percent))
    .bind(&row.rubric)
    .bind(&row.group_mode)
    .bind(&row.grade_release)
    .bind(row.released_at)
    .bind(&row.status)
    .bind(&row.created_by)
    .bind(row.created_at)
    .bind(row.updated_at)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// Writes every setting of the assignment (not its id, school, course or author).
pub(crate) async fn update_assignment(uow: &mut UnitOfWork, row: &AssignmentRow) -> Result<()> {
    sqlx::query(
        "UPDATE assignments SET module_id = $1, title = $2, instructions = $3, \
         instructions_html = $4, max_points = $5, available_from = $6, due_at = $7, \
         cut_off_at = $8, submission_types = $9, file_types = $10, max_file_bytes = $11, \
         attempts_allowed = $12, late_percent_per_day = $13, late_floor_percent = $14, \
         rubric = $15, group_mode = $16, grade_release = $17, released_at = $18, status = $19, \
         updated_at = $20 WHERE id = $21",
    )
    .bind(&row.module_id)
    .bind(&row.title)
    .bind(&row.instructions)
    .bind(&row.instructions_html)
    .bind(row.max_points)
    .bind(row.available_from)
    .bind(row.due_at)
    .bind(row.cut_off_at)
    .bind(&row.submission_types)
    .bind(&row.file_types)
    .bind(row.max_file_bytes)
    .bind(row.attempts_allowed)
    .bind(Double(row.late_percent_per_day))
    .bind(Double(row.late_floor_percent))
    .bind(&row.rubric)
    .bind(&row.group_mode)
    .bind(&row.grade_release)
    .bind(row.released_at)
    .bind(&row.status)
    .bind(row.updated_at)
    .bind(&row.id)
    .execute(uow.conn())
    .await?;
    Ok(())
}

pub(crate) async fn delete_assignment(uow: &mut UnitOfWork, id: &str) -> Result<()> {
    for statement in [
        "DELETE FROM extensions WHERE assignment_id = $1",
        "DELETE FROM assignment_group_members WHERE assignment_id = $1",
        "DELETE FROM assignment_groups WHERE assignment_id = $1",
        "DELETE FROM assignments WHERE id = $1",
    ] {
        sqlx::query(statement).bind(id).execute(uow.conn()).await?;
    }
    Ok(())
}

/// A student's own dates on an assignment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ExtensionRow {
    pub student_id: String,
    pub due_at: Option<i64>,
    pub cut_off_at: Option<i64>,
    pub granted_by: String,
    pub granted_at: i64,
}

pub(crate) async fn extension(
    conn: &mut AnyConnection,
    assignment_id: &str,
    student_id: &str,
) -> Result<Option<ExtensionRow>> {
    Ok(sqlx::query_as(
        "SELECT student_id, due_at, cut_off_at, granted_by, granted_at FROM extensions \
         WHERE assignment_id = $1 AND student_id = $2",
    )
    .bind(assignment_id)
    .bind(student_id)
    .fetch_optional(conn)
    .await?)
}

pub(crate) async fn extensions(db: &Db, assignment_id: &str) -> Result<Vec<ExtensionRow>> {
    Ok(sqlx::query_as(
        "SELECT student_id, due_at, cut_off_at, granted_by, granted_at FROM extensions \
         WHERE assignment_id = $1 ORDER BY student_id",
    )
    .bind(assignment_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn save_extension(
    uow: &mut UnitOfWork,
    assignment_id: &str,
    row: &ExtensionRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO extensions (assignment_id, student_id, due_at, cut_off_at, granted_by, \
         granted_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (assignment_id, student_id) \
         DO UPDATE SET due_at = $3, cut_off_at = $4, granted_by = $5, granted_at = $6",
    )
    .bind(assignment_id)
    .bind(&row.student_id)
    .bind(row.due_at)
    .bind(row.cut_off_at)
    .bind(&row.granted_by)
    .bind(row.granted_at)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// Whether there was an extension to remove.
pub(crate) async fn remove_extension(
    uow: &mut UnitOfWork,
    assignment_id: &str,
    student_id: &str,
) -> Result<bool> {
    let done = sqlx::query("DELETE FROM extensions WHERE assignment_id = $1 AND student_id = $2")
        .bind(assignment_id)
        .bind(student_id)
        .execute(uow.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// One member of one group of a group assignment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct GroupMemberRow {
    pub group_id: String,
    pub name: String,
    pub student_id: String,
}

pub(crate) async fn groups(db: &Db, assignment_id: &str) -> Result<Vec<GroupMemberRow>> {
    Ok(sqlx::query_as(
        "SELECT g.group_id, g.name, m.student_id FROM assignment_groups g \
         JOIN assignment_group_members m ON m.assignment_id = g.assignment_id \
         AND m.group_id = g.group_id WHERE g.assignment_id = $1 ORDER BY g.name, m.student_id",
    )
    .bind(assignment_id)
    .fetch_all(db.pool())
    .await?)
}

/// The group the student is in, and everyone in it (the student included).
pub(crate) async fn group_of(
    conn: &mut AnyConnection,
    assignment_id: &str,
    student_id: &str,
) -> Result<Option<(String, Vec<String>)>> {
    let group: Option<(String,)> = sqlx::query_as(
        "SELECT group_id FROM assignment_group_members WHERE assignment_id = $1 AND student_id = $2",
    )
    .bind(assignment_id)
    .bind(student_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((group_id,)) = group else {
        return Ok(None);
    };
    let members: Vec<(String,)> = sqlx::query_as(
        "SELECT student_id FROM assignment_group_members WHERE assignment_id = $1 AND group_id = $2 \
         ORDER BY student_id",
    )
    .bind(assignment_id)
    .bind(&group_id)
    .fetch_all(conn)
    .await?;
    Ok(Some((
        group_id,
        members.into_iter().map(|(m,)| m).collect(),
    )))
}

/// Replaces the assignment's groups.
pub(crate) async fn set_groups(
    uow: &mut UnitOfWork,
    assignment_id: &str,
    groups: &[(String, String, Vec<String>)],
) -> Result<()> {
    for statement in [
        "DELETE FROM assignment_group_members WHERE assignment_id = $1",
        "DELETE FROM assignment_groups WHERE assignment_id = $1",
    ] {
        sqlx::query(statement)
            .bind(assignment_id)
            .execute(uow.conn())
            .await?;
    }
    for (group_id, name, members) in groups {
        sqlx::query(
            "INSERT INTO assignment_groups (assignment_id, group_id, name) VALUES ($1, $2, $3)",
        )
        .bind(assignment_id)
        .bind(group_id)
        .bind(name)
        .execute(uow.conn())
        .await?;
        for student_id in members {
            sqlx::query(
                "INSERT INTO assignment_group_members (assignment_id, student_id, group_id) \
                 VALUES ($1, $2, $3)",
            )
            .bind(assignment_id)
            .bind(student_id)
            .bind(group_id)
            .execute(uow.conn())
            .await?;
        }
    }
    Ok(())
}

/// A hand-in as stored, with its student's name from the people directory.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SubmissionRow {
    pub id: String,
    pub school_id: String,
    pub course_id: String,
    pub assignment_id: String,
    pub student_id: String,
    pub student_name: Option<String>,
    pub group_id: Option<String>,
    pub attempt: i64,
    pub body: Option<String>,
    pub body_html: Option<String>,
    pub link: Option<String>,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub file_type: Option<String>,
    pub file_size: Option<i64>,
    pub submitted_at: i64,
    pub days_late: i64,
    pub status: String,
    pub points: Option<f64>,
    pub rubric_marks: Option<String>,
    pub comment: Option<String>,
    pub graded_by: Option<String>,
    pub graded_at: Option<i64>,
}

const SUBMISSION_COLUMNS: &str = "s.id, s.school_id, s.course_id, s.assignment_id, \
    s.student_id, p.display_name AS student_name, s.group_id, s.attempt, s.body, s.body_html, \
    s.link, s.file_key, s.file_name, s.file_type, s.file_size, s.submitted_at, s.days_late, \
    s.status, s.points, s.rubric_marks, s.comment, s.graded_by, s.graded_at";

pub(crate) async fn submission(db: &Db, school_id: &str, id: &str) -> Result<SubmissionRow> {
    sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} FROM submissions s \
         LEFT JOIN people p ON p.user_id = s.student_id WHERE s.id = $1 AND s.school_id = $2"
    ))
    .bind(id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(Error::NotFound { what: "submission" })
}

/// The hand-in a student made with `key` (their Idempotency-Key), if they made one.
pub(crate) async fn submission_by_key(
    conn: &mut AnyConnection,
    student_id: &str,
    key: &str,
) -> Result<Option<SubmissionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} FROM submissions s \
         LEFT JOIN people p ON p.user_id = s.student_id \
         WHERE s.student_id = $1 AND s.idempotency_key = $2"
    ))
    .bind(student_id)
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// Every hand-in of one student on the assignment, latest first.
pub(crate) async fn history(
    db: &Db,
    assignment_id: &str,
    student_id: &str,
) -> Result<Vec<SubmissionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} FROM submissions s \
         LEFT JOIN people p ON p.user_id = s.student_id \
         WHERE s.assignment_id = $1 AND s.student_id = $2 ORDER BY s.attempt DESC"
    ))
    .bind(assignment_id)
    .bind(student_id)
    .fetch_all(db.pool())
    .await?)
}

/// Each student's latest hand-in on the assignment, in the order a teacher grades them: by
/// name, then id.
pub(crate) async fn latest_submissions(db: &Db, assignment_id: &str) -> Result<Vec<SubmissionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SUBMISSION_COLUMNS} FROM submissions s \
         LEFT JOIN people p ON p.user_id = s.student_id \
         WHERE s.assignment_id = $1 AND s.attempt = (SELECT MAX(l.attempt) FROM submissions l \
         WHERE l.assignment_id = s.assignment_id AND l.student_id = s.student_id) \
         ORDER BY LOWER(COALESCE(p.display_name, '')), s.student_id"
    ))
    .bind(assignment_id)
    .fetch_all(db.pool())
    .await?)
}

/// How many hand-ins the student made on the assignment.
pub(crate) async fn attempts_made(
    conn: &mut AnyConnection,
    assignment_id: &str,
    student_id: &str,
) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM submissions WHERE assignment_id = $1 AND student_id = $2",
    )
    .bind(assignment_id)
    .bind(student_id)
    .fetch_one(conn)
    .await?;
    Ok(count)
}

pub(crate) async fn has_submissions(db: &Db, assignment_id: &str) -> Result<bool> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT id FROM submissions WHERE assignment_id = $1 LIMIT 1")
            .bind(assignment_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// A hand-in to keep.
pub(crate) struct NewSubmission<'a> {
    pub id: &'a str,
    pub assignment: &'a AssignmentRow,
    pub student_id: &'a str,
    pub group_id: Option<&'a str>,
    pub attempt: i64,
    pub body: Option<&'a str>,
    pub body_html: Option<&'a str>,
    pub link: Option<&'a str>,
    pub file: Option<&'a campus_platform::files::Stored>,
    pub file_name: Option<&'a str>,
    pub submitted_at: i64,
    pub days_late: i64,
    pub idempotency_key: Option<&'a str>,
}

/// Keeps a hand-in; `false` when another took its attempt number or its Idempotency-Key
/// at the same moment (the unit of work is then spent: roll it back).
pub(crate) async fn insert_submission(
    uow: &mut UnitOfWork,
    new: &NewSubmission<'_>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO submissions (id, school_id, course_id, assignment_id, student_id, group_id, \
         attempt, body, body_html, link, file_key, file_name, file_type, file_size, submitted_at, \
         days_late, status, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, 'submitted', $17)",
    )
    .bind(new.id)
    .bind(&new.assignment.school_id)
    .bind(&new.assignment.course_id)
    .bind(&new.assignment.id)
    .bind(new.student_id)
    .bind(new.group_id)
    .bind(new.attempt)
    .bind(new.body)
    .bind(new.body_html)
    .bind(new.link)
    .bind(new.file.map(|f| f.key.as_str()))
    .bind(new.file_name)
    .bind(new.file.map(|f| f.content_type.as_str()))
    .bind(new.file.map(|f| i64::try_from(f.size).unwrap_or(i64::MAX)))
    .bind(new.submitted_at)
    .bind(new.days_late)
    .bind(new.idempotency_key)
    .execute(uow.conn())
    .await;
    match done {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// A grade given to a hand-in.
pub(crate) struct Grade<'a> {
    pub points: f64,
    pub rubric_marks: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub graded_by: &'a str,
    pub graded_at: i64,
}

pub(crate) async fn grade(
    uow: &mut UnitOfWork,
    submission_id: &str,
    grade: &Grade<'_>,
) -> Result<()> {
    sqlx::query(
        "UPDATE submissions SET status = 'graded', points = $1, rubric_marks = $2, comment = $3, \
         graded_by = $4, graded_at = $5 WHERE id = $6",
    )
    .bind(grade.points)
    .bind(grade.rubric_marks)
    .bind(grade.comment)
    .bind(grade.graded_by)
    .bind(grade.graded_at)
    .bind(submission_id)
    .execute(uow.conn())
    .await?;
    Ok(())
}

pub(crate) async fn return_submission(
    uow: &mut UnitOfWork,
    submission_id: &str,
    comment: Option<&str>,
    by: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE submissions SET status = 'returned', comment = $1, graded_by = $2, graded_at = $3 \
         WHERE id = $4",
    )
    .bind(comment)
    .bind(by)
    .bind(at)
    .bind(submission_id)
    .execute(uow.conn())
    .await?;
    Ok(())
}

pub(crate) async fn mark_released(
    uow: &mut UnitOfWork,
    assignment_id: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE assignments SET released_at = $1, updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(assignment_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// A file a teacher handed back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FeedbackFileRow {
    pub id: String,
    pub submission_id: String,
    pub file_key: String,
    pub file_name: String,
    pub file_type: String,
    pub file_size: i64,
    pub added_by: String,
    pub added_at: i64,
}

pub(crate) async fn feedback_files(db: &Db, submission_id: &str) -> Result<Vec<FeedbackFileRow>> {
    Ok(sqlx::query_as(
        "SELECT id, submission_id, file_key, file_name, file_type, file_size, added_by, added_at \
         FROM feedback_files WHERE submission_id = $1 ORDER BY id",
    )
    .bind(submission_id)
    .fetch_all(db.pool())
    .await?)
}

/// The feedback files of every submission of the assignment, by submission and id.
pub(crate) async fn assignment_feedback_files(
    db: &Db,
    assignment_id: &str,
) -> Result<Vec<FeedbackFileRow>> {
    Ok(sqlx::query_as(
        "SELECT f.id, f.submission_id, f.file_key, f.file_name, f.file_type, f.file_size, \
         f.added_by, f.added_at FROM feedback_files f \
         JOIN submissions s ON s.id = f.submission_id WHERE s.assignment_id = $1 \
         ORDER BY f.submission_id, f.id",
    )
    .bind(assignment_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn insert_feedback_file(
    uow: &mut UnitOfWork,
    row: &FeedbackFileRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO feedback_files (id, submission_id, file_key, file_name, file_type, file_size, \
         added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.id)
    .bind(&row.submission_id)
    .bind(&row.file_key)
    .bind(&row.file_name)
    .bind(&row.file_type)
    .bind(row.file_size)
    .bind(&row.added_by)
    .bind(row.added_at)
    .execute(uow.conn())
    .await?;
    Ok(())
}
