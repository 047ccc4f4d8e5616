//! What the gradebook learns from assessments: grade items appear when work is published,
//! change with it and go when it is withdrawn; grades arrive when work is graded, and become
//! visible to students when released. Every grade received is also written to the history.
//! The inbox makes each event count once; assessments' events share the course as subject, so
//! a grade never arrives before its item.

use async_trait::async_trait;
use campus_contracts::assessments::{
    AssignmentPublished, AssignmentUpdated, AssignmentWithdrawn, GradeRelease, GradesReleased,
    LatePolicy, SubmissionGraded,
};
use campus_platform::{
    db::UnitOfWork,
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
        ],
        Intake,
    )
}

struct Intake;

/// A grade item as an event describes it.
struct ItemFacts<'a> {
    id: &'a str,
    school_id: &'a str,
    course_id: &'a str,
    title: &'a str,
    max_points: f64,
    due_at: Option<&'a str>,
    late: Option<LatePolicy>,
    release: GradeRelease,
}

#[async_trait]
impl Handler for Intake {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        match event.event_type.as_str() {
            AssignmentPublished::TYPE => {
                let a: AssignmentPublished = event.data_as()?;
                save_item(
                    uow,
                    &facts(
                        &a.assignment_id,
                        &a.school_id,
                        &a.course_id,
                        &a.title,
                        a.max_points,
                        a.due_at.as_deref(),
                        a.late_policy,
                        a.release,
                    ),
                )
                .await
            }
            AssignmentUpdated::TYPE => {
                let a: AssignmentUpdated = event.data_as()?;
                save_item(
                    uow,
                    &facts(
                        &a.assignment_id,
                        &a.school_id,
                        &a.course_id,
                        &a.title,
                        a.max_points,
                        a.due_at.as_deref(),
                        a.late_policy,
                        a.release,
                    ),
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
                let now = time::now_ms();
                sqlx::query(
                    "INSERT INTO grades (item_id, student_id, course_id, school_id, points, days_late, \
                     excused, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7) \
                     ON CONFLICT (item_id, student_id) DO UPDATE SET points = $5, days_late = $6, updated_at = $7",
                )
                .bind(&g.assignment_id)
                .bind(&g.student_id)
                .bind(&g.course_id)
                .bind(&g.school_id)
                .bind(g.points)
                .bind(g.days_late)
                .bind(now)
                .execute(uow.conn())
                .await?;
                sqlx::query(
                    "INSERT INTO grade_history (id, item_id, student_id, course_id, change, points, \
                     changed_by, reason, changed_at) VALUES ($1, $2, $3, $4, 'graded', $5, $6, NULL, $7)",
                )
                .bind(id::new_id_string())
                .bind(&g.assignment_id)
                .bind(&g.student_id)
                .bind(&g.course_id)
                .bind(g.points)
                .bind(&g.graded_by)
                .bind(now)
                .execute(uow.conn())
                .await?;
                Ok(())
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

#[allow(clippy::too_many_arguments)]
fn facts<'a>(
    id: &'a str,
    school_id: &'a str,
    course_id: &'a str,
    title: &'a str,
    max_points: f64,
    due_at: Option<&'a str>,
    late: Option<LatePolicy>,
    release: GradeRelease,
) -> ItemFacts<'a> {
    ItemFacts {
        id,
        school_id,
        course_id,
        title,
        max_points,
        due_at,
        late,
        release,
    }
}

/// Creates or updates an item; a release already given is never taken back by an update.
async fn save_item(uow: &mut UnitOfWork, item: &ItemFacts<'_>) -> anyhow::Result<()> {
    let now = time::now_ms();
    let released = i64::from(item.release == GradeRelease::AsGraded);
    sqlx::query(
        "INSERT INTO grade_items (id, school_id, course_id, kind, title, max_points, due_at, \
         late_percent_per_day, late_floor_percent, released, category_id, created_at, updated_at) \
         VALUES ($1, $2, $3, 'assignment', $4, $5, $6, $7, $8, $9, NULL, $10, $10) \
         ON CONFLICT (id) DO UPDATE SET title = $4, max_points = $5, due_at = $6, \
         late_percent_per_day = $7, late_floor_percent = $8, \
         released = CASE WHEN grade_items.released = 1 THEN 1 ELSE $9 END, updated_at = $10",
    )
    .bind(item.id)
    .bind(item.school_id)
    .bind(item.course_id)
    .bind(item.title)
    .bind(item.max_points)
    .bind(item.due_at.and_then(time::parse_rfc3339))
    .bind(item.late.map(|l| l.percent_per_day))
    .bind(item.late.map(|l| l.floor_percent))
    .bind(released)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Ok(())
}
