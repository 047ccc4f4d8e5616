//! What the gradebook learns from assessments: grade items appear when work (an assignment or
//! a quiz) is published, change with it and go when it is withdrawn; grades arrive when work
//! is graded, and become visible to students when released. Every grade received is also
//! written to the history. The inbox makes each event count once; assessments' events share
//! the course as subject, so a grade never arrives before its item.

use async_trait::async_trait;
use campus_contracts::assessments::{
    AssignmentPublished, AssignmentUpdated, AssignmentWithdrawn, GradeRelease, GradesReleased,
    LatePolicy, QuizAttemptGraded, QuizPublished, SubmissionGraded,
};
use campus_platform::{
    db::{Backend, Double, UnitOfWork},
    events::{Envelope, Event, Handler, Subscription},
    id, time,
};

pub(crate) fn subscription() -> Subscription {
    Subscription::new(
        "grades",
        vec![
            AssignmentPublished::TYPE,
            AssignmentUpdated::TYPE,
            AssignmentWithdrawn::TYPE,
            SubmissionGraded::TYPE,
            GradesReleased::TYPE,
            QuizPublished::TYPE,
            QuizAttemptGraded::TYPE,
        ],
        Intake,
    )
}

struct Intake;

/// A grade item as an event describes it.
struct ItemFacts<'a> {
    id: &'a str,
    /// `assignment` or `quiz`.
    kind: &'a str,
    school_id: &'a str,
    course_id: &'a str,
    title: &'a str,
    max_points: f64,
    due_at: Option<&'a str>,
    late: Option<LatePolicy>,
    release: GradeRelease,
}

/// A grade as an event gives it.
struct GradeFacts<'a> {
    item_id: &'a str,
    student_id: &'a str,
    course_id: &'a str,
    school_id: &'a str,
    points: f64,
    days_late: i64,
    graded_by: &'a str,
}

#[async_trait]
impl Handler for Intake {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        match event.event_type.as_str() {
            AssignmentPublished::TYPE => {
                let a: AssignmentPublished = event.data_as()?;
                save_item(
                    uow,
                    &ItemFacts {
                        id: &a.assignment_id,
                        kind: "assignment",
                        school_id: &a.school_id,
                        course_id: &a.course_id,
                        title: &a.title,
                        max_points: a.max_points,
                        due_at: a.due_at.as_deref(),
                        late: a.late_policy,
                        release: a.release,
                    },
                )
                .await
            }
            AssignmentUpdated::TYPE => {
                let a: AssignmentUpdated = event.data_as()?;
                save_item(
                    uow,
                    &ItemFacts {
                        id: &a.assignment_id,
                        kind: "assignment",
                        school_id: &a.school_id,
                        course_id: &a.course_id,
                        title: &a.title,
                        max_points: a.max_points,
                        due_at: a.due_at.as_deref(),
                        late: a.late_policy,
                        release: a.release,
                    },
                )
                .await
            }
            QuizPublished::TYPE => {
                let q: QuizPublished = event.data_as()?;
                save_item(
                    uow,
                    &ItemFacts {
                        id: &q.quiz_id,
                        kind: "quiz",
                        school_id: &q.school_id,
                        course_id: &q.course_id,
                        title: &q.title,
                        max_points: q.max_points,
                        // A quiz is due when it closes; attempts past that are not taken.
                        due_at: q.closes_at.as_deref(),
                        late: None,
                        release: q.release,
                    },
                )
                .await
            }
            AssignmentWithdrawn::TYPE => {
                let a: AssignmentWithdrawn = event.data_as()?;
                for statement in [
                    "DELETE FROM grades WHERE item_id = $1",
                    "DELETE FROM grade_items WHERE id = $1",
                ] {
                    sqlx::query(statement)
                        .bind(&a.assignment_id)
                        .execute(uow.conn())
                        .await?;
                }
                Ok(())
            }
            SubmissionGraded::TYPE => {
                let g: SubmissionGraded = event.data_as()?;
                save_grade(
                    uow,
                    &GradeFacts {
                        item_id: &g.assignment_id,
                        student_id: &g.student_id,
                        course_id: &g.course_id,
                        school_id: &g.school_id,
                        points: g.points,
                        days_late: g.days_late,
                        graded_by: &g.graded_by,
                    },
                )
                .await
            }
            QuizAttemptGraded::TYPE => {
                // The quiz's grade is the student's kept score (highest, latest or average).
                let g: QuizAttemptGraded = event.data_as()?;
                save_grade(
                    uow,
                    &GradeFacts {
                        item_id: &g.quiz_id,
                        student_id: &g.student_id,
                        course_id: &g.course_id,
                        school_id: &g.school_id,
                        points: g.kept_points,
                        days_late: 0,
                        graded_by: "quiz",
                    },
                )
                .await
            }
            GradesReleased::TYPE => {
                let r: GradesReleased = event.data_as()?;
                sqlx::query("UPDATE grade_items SET released = 1, updated_at = $1 WHERE id = $2")
                    .bind(time::now_ms())
                    .bind(&r.item_id)
                    .execute(uow.conn())
                    .await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Creates or updates an item; a release already given is never taken back by an update.
async fn save_item(uow: &mut UnitOfWork, item: &ItemFacts<'_>) -> anyhow::Result<()> {
    let now = time::now_ms();
    let released = i64::from(item.release == GradeRelease::AsGraded);
    sqlx::query(
        "INSERT INTO grade_items (id, school_id, course_id, kind, title, max_points, due_at, \
         late_percent_per_day, late_floor_percent, released, category_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $11) \
         ON CONFLICT (id) DO UPDATE SET title = $5, max_points = $6, due_at = $7, \
         late_percent_per_day = $8, late_floor_percent = $9, \
         released = CASE WHEN grade_items.released = 1 THEN 1 ELSE $10 END, updated_at = $11",
    )
    .bind(item.id)
    .bind(item.school_id)
    .bind(item.course_id)
    .bind(item.kind)
    .bind(item.title)
    .bind(item.max_points)
    .bind(item.due_at.and_then(time::parse_rfc3339))
    .bind(Double(item.late.map(|l| l.percent_per_day)))
    .bind(Double(item.late.map(|l| l.floor_percent)))
    .bind(released)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// Keeps a student's grade on an item (overrides and excusals stay) and writes it to the
/// grade's history.
async fn save_grade(uow: &mut UnitOfWork, grade: &GradeFacts<'_>) -> anyhow::Result<()> {
    const GRADE: &str = "INSERT INTO grades (item_id, student_id, course_id, school_id, points, \
         days_late, excused, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7) \
         ON CONFLICT (item_id, student_id) DO UPDATE SET points = $5, days_late = $6, \
         updated_at = $7";
    const HISTORY: &str = "INSERT INTO grade_history (id, item_id, student_id, course_id, \
         change, points, changed_by, reason, changed_at) \
         VALUES ($8, $1, $2, $3, 'graded', $5, $9, NULL, $7)";
    // The grade and its line of history go to the database in one request: a class graded at
    // once is an event per student, and on SQLite each request is a hand-over to the
    // connection's thread and back. PostgreSQL takes the grade in a data-modifying `WITH`.
    let sql = match uow.db().backend() {
        Backend::Sqlite => format!("{GRADE}; {HISTORY}"),
        Backend::Postgres => format!("WITH graded AS ({GRADE} RETURNING item_id) {HISTORY}"),
    };
    sqlx::query(&sql)
        .bind(grade.item_id)
        .bind(grade.student_id)
        .bind(grade.course_id)
        .bind(grade.school_id)
        .bind(grade.points)
        .bind(grade.days_late)
        .bind(time::now_ms())
        .bind(id::new_id_string())
        .bind(grade.graded_by)
        .execute(uow.conn())
        .await?;
    Ok(())
}
