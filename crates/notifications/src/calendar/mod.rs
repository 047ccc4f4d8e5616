//! The calendar: each person's upcoming due dates and quiz windows, from the courses they are
//! in, as a JSON list (`GET /api/v1/calendar`) and as a private iCalendar feed a calendar
//! application subscribes to. The feed's address holds a 256-bit secret; it is stored as a
//! digest (to find its owner) and sealed (so the person's page can show it again), and
//! asking for a new one retires the old.
//!
//! Rooms: `dates` (the read model, from assessments' events), `routes` (the API), `feed` (the
//! iCalendar document).

pub(crate) mod dates;
pub(crate) mod feed;
pub(crate) mod routes;

use campus_platform::{db::Db, time};
use serde::Serialize;
use utoipa::ToSchema;

/// One date on a person's calendar.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[schema(as = CalendarEntry)]
pub(crate) struct Entry {
    /// The assignment or quiz.
    pub id: String,
    /// `assignment` or `quiz`.
    pub kind: String,
    pub title: String,
    pub course_id: String,
    pub course_title: Option<String>,
    /// When it opens (an assignment's available-from, a quiz's opening).
    pub opens_at: Option<String>,
    /// When it is due (for a student, their own extended date where they have one); a quiz's
    /// closing.
    pub due_at: Option<String>,
    /// For a student: whether they have handed it in (or finished the quiz). Absent for the
    /// course's staff.
    pub done: Option<bool>,
    /// The page to open it on.
    pub link: String,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    item_id: String,
    kind: String,
    title: String,
    course_id: String,
    course_title: Option<String>,
    opens_at: Option<i64>,
    due_at: Option<i64>,
    course_role: String,
    done: i64,
}

/// The most dates one answer lists.
const AT_MOST: usize = 500;

/// `user_id`'s dates in `[from, to]` (ms), by due date: those due in the range, and those
/// opening in it.
pub(crate) async fn entries(
    db: &Db,
    school_id: &str,
    user_id: &str,
    from: i64,
    to: i64,
) -> campus_platform::Result<Vec<Entry>> {
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT i.item_id, i.kind, i.title, i.course_id, c.title AS course_title, i.opens_at, \
         COALESCE(x.due_at, i.due_at) AS due_at, p.course_role, \
         CASE WHEN h.item_id IS NULL THEN 0 ELSE 1 END AS done \
         FROM roster_places p \
         JOIN calendar_items i ON i.course_id = p.course_id \
         LEFT JOIN calendar_extensions x ON x.item_id = i.item_id AND x.student_id = p.user_id \
         LEFT JOIN handed_in h ON h.item_id = i.item_id AND h.student_id = p.user_id \
         LEFT JOIN roster_courses c ON c.course_id = i.course_id \
         WHERE p.user_id = $1 AND p.school_id = $2 AND i.school_id = $2 \
         AND ((COALESCE(x.due_at, i.due_at) >= $3 AND COALESCE(x.due_at, i.due_at) <= $4) \
           OR (i.opens_at >= $3 AND i.opens_at <= $4)) \
         ORDER BY COALESCE(x.due_at, i.due_at, i.opens_at), i.item_id LIMIT {AT_MOST}"
    ))
    .bind(user_id)
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Entry {
            link: match row.kind.as_str() {
                "quiz" => format!("/quizzes/{}", row.item_id),
                _ => format!("/assignments/{}", row.item_id),
            },
            done: (row.course_role == "student").then_some(row.done != 0),
            id: row.item_id,
            kind: row.kind,
            title: row.title,
            course_id: row.course_id,
            course_title: row.course_title,
            opens_at: row.opens_at.map(time::rfc3339),
            due_at: row.due_at.map(time::rfc3339),
        })
        .collect())
}
