//! The calendar's read model, kept from assessments' events: the dates of published work, each
//! student's extensions, and what each student has handed in.

use async_trait::async_trait;
use campus_contracts::assessments::{
    AssignmentPublished, AssignmentSubmitted, AssignmentUpdated, AssignmentWithdrawn,
    DueDateExtended, QuizAttemptGraded, QuizPublished,
};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
    time,
};

pub(crate) fn subscription() -> Subscription {
    Subscription::new(
        "calendar",
        vec![
            AssignmentPublished::TYPE,
            AssignmentUpdated::TYPE,
            AssignmentWithdrawn::TYPE,
            DueDateExtended::TYPE,
            AssignmentSubmitted::TYPE,
            QuizPublished::TYPE,
            QuizAttemptGraded::TYPE,
        ],
        Dates,
    )
}

struct Dates;

/// One item's dates as an event states them.
struct Item<'a> {
    item_id: &'a str,
    school_id: &'a str,
    course_id: &'a str,
    kind: &'static str,
    title: &'a str,
    opens_at: Option<&'a str>,
    due_at: Option<&'a str>,
}

#[async_trait]
impl Handler for Dates {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let hand_in = [AssignmentSubmitted::TYPE, QuizAttemptGraded::TYPE];
        if !hand_in.contains(&event.event_type.as_str()) {
            // The run's hand-ins so far go first: this event may withdraw their work.
            write_handed_in(uow).await?;
        }
        match event.event_type.as_str() {
            AssignmentPublished::TYPE => {
                let a: AssignmentPublished = event.data_as()?;
                keep(
                    uow,
                    &Item {
                        item_id: &a.assignment_id,
                        school_id: &a.school_id,
                        course_id: &a.course_id,
                        kind: "assignment",
                        title: &a.title,
                        opens_at: a.available_from.as_deref(),
                        due_at: a.due_at.as_deref(),
                    },
                )
                .await?;
            }
            AssignmentUpdated::TYPE => {
                let a: AssignmentUpdated = event.data_as()?;
                keep(
                    uow,
                    &Item {
                        item_id: &a.assignment_id,
                        school_id: &a.school_id,
                        course_id: &a.course_id,
                        kind: "assignment",
                        title: &a.title,
                        opens_at: a.available_from.as_deref(),
                        due_at: a.due_at.as_deref(),
                    },
                )
                .await?;
            }
            QuizPublished::TYPE => {
                let q: QuizPublished = event.data_as()?;
                keep(
                    uow,
                    &Item {
                        item_id: &q.quiz_id,
                        school_id: &q.school_id,
                        course_id: &q.course_id,
                        kind: "quiz",
                        title: &q.title,
                        opens_at: q.opens_at.as_deref(),
                        due_at: q.closes_at.as_deref(),
                    },
                )
                .await?;
            }
            AssignmentWithdrawn::TYPE => {
                let a: AssignmentWithdrawn = event.data_as()?;
                for table in ["calendar_items", "calendar_extensions", "handed_in"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE item_id = $1"))
                        .bind(&a.assignment_id)
                        .execute(uow.conn())
                        .await?;
                }
            }
            DueDateExtended::TYPE => {
                let e: DueDateExtended = event.data_as()?;
                sqlx::query(
                    "DELETE FROM calendar_extensions WHERE item_id = $1 AND student_id = $2",
                )
                .bind(&e.assignment_id)
                .bind(&e.student_id)
                .execute(uow.conn())
                .await?;
                // No date: the extension was taken back.
                if let Some(due_at) = e.due_at.as_deref().and_then(time::parse_rfc3339) {
                    sqlx::query(
                        "INSERT INTO calendar_extensions (item_id, student_id, due_at) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(&e.assignment_id)
                    .bind(&e.student_id)
                    .bind(due_at)
                    .execute(uow.conn())
                    .await?;
                }
            }
            AssignmentSubmitted::TYPE => {
                let s: AssignmentSubmitted = event.data_as()?;
                handed(uow, &s.assignment_id, &s.student_id);
            }
            QuizAttemptGraded::TYPE => {
                let q: QuizAttemptGraded = event.data_as()?;
                handed(uow, &q.quiz_id, &q.student_id);
            }
            _ => {}
        }
        Ok(())
    }

    async fn finish(&self, uow: &mut UnitOfWork) -> anyhow::Result<()> {
        write_handed_in(uow).await
    }
}

async fn keep(uow: &mut UnitOfWork, item: &Item<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO calendar_items \
         (item_id, school_id, course_id, kind, title, opens_at, due_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (item_id) DO UPDATE SET title = excluded.title, \
         opens_at = excluded.opens_at, due_at = excluded.due_at, updated_at = excluded.updated_at",
    )
    .bind(item.item_id)
    .bind(item.school_id)
    .bind(item.course_id)
    .bind(item.kind)
    .bind(item.title)
    .bind(item.opens_at.and_then(time::parse_rfc3339))
    .bind(item.due_at.and_then(time::parse_rfc3339))
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// What a run of events handed in, written at the run's end or before its next event of
/// another kind ([`write_handed_in`]): an exam's hand-ins, an event each, are one statement.
#[derive(Default, Clone)]
struct HandedIn(Vec<(String, String)>);

/// Rows per `INSERT` of hand-ins (two parameters each).
const HANDED_IN_PER_INSERT: usize = 256;

fn handed(uow: &mut UnitOfWork, item_id: &str, student_id: &str) {
    uow.put_off::<HandedIn>()
        .0
        .push((item_id.to_owned(), student_id.to_owned()));
}

/// Writes the hand-ins put off by [`handed`].
async fn write_handed_in(uow: &mut UnitOfWork) -> anyhow::Result<()> {
    let Some(HandedIn(rows)) = uow.take_put_off::<HandedIn>() else {
        return Ok(());
    };
    uow.write_rows(
        &rows,
        2,
        HANDED_IN_PER_INSERT,
        |values| {
            format!(
                "INSERT INTO handed_in (item_id, student_id) VALUES {values} \
                 ON CONFLICT (item_id, student_id) DO NOTHING"
            )
        },
        |insert, (item_id, student_id)| insert.bind(item_id).bind(student_id),
    )
    .await?;
    Ok(())
}
