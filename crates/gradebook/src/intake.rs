//! What the gradebook learns from assessments: grade items appear when work (an assignment or
//! a quiz) is published, change with it and go when it is withdrawn; grades arrive when work
//! is graded, and become visible to students when released. Every grade received is also
//! written to the history. The inbox makes each event count once; assessments' events share
//! the course as subject, so a grade never arrives before its item.
//!
//! An exam's grades arrive as an event per student: a run of them is written at the run's end
//! (or before its next event of another kind), a statement per many students.

use std::collections::HashMap;

use async_trait::async_trait;
use campus_contracts::assessments::{
    AssignmentPublished, AssignmentUpdated, AssignmentWithdrawn, GradeRelease, GradesReleased,
    LatePolicy, QuizAttemptGraded, QuizPublished, SubmissionGraded,
};
use campus_platform::{
    db::{Double, UnitOfWork},
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

/// A grade as an event gives it, kept until the run writes it ([`write_graded`]).
#[derive(Clone)]
struct Grade {
    item_id: String,
    student_id: String,
    course_id: String,
    school_id: String,
    points: f64,
    days_late: i64,
    graded_by: String,
    /// When it arrived: the grade's `updated_at` and its history line's `changed_at`.
    at: i64,
}

impl Grade {
    fn key(&self) -> (String, String) {
        (self.item_id.clone(), self.student_id.clone())
    }
}

#[async_trait]
impl Handler for Intake {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let grades = [SubmissionGraded::TYPE, QuizAttemptGraded::TYPE];
        if !grades.contains(&event.event_type.as_str()) {
            // The run's grades so far go first: this event may withdraw their item.
            write_graded(uow).await?;
        }
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
                graded(
                    uow,
                    Grade {
                        item_id: g.assignment_id,
                        student_id: g.student_id,
                        course_id: g.course_id,
                        school_id: g.school_id,
                        points: g.points,
                        days_late: g.days_late,
                        graded_by: g.graded_by,
                        at: time::now_ms(),
                    },
                );
                Ok(())
            }
            QuizAttemptGraded::TYPE => {
                // The quiz's grade is the student's kept score (highest, latest or average).
                let g: QuizAttemptGraded = event.data_as()?;
                graded(
                    uow,
                    Grade {
                        item_id: g.quiz_id,
                        student_id: g.student_id,
                        course_id: g.course_id,
                        school_id: g.school_id,
                        points: g.kept_points,
                        days_late: 0,
                        graded_by: "quiz".to_owned(),
                        at: time::now_ms(),
                    },
                );
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

    async fn finish(&self, uow: &mut UnitOfWork) -> anyhow::Result<()> {
        write_graded(uow).await
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

/// The grades a run of events gave, in order ([`graded`]).
#[derive(Default, Clone)]
struct Graded {
    /// Every grade given: each is a line of the grade's history.
    given: Vec<Grade>,
    /// Where in `given` each item and student's latest grade is: the one their row keeps.
    /// A student graded twice in a run (a second attempt) is one row, as a statement that
    /// writes many rows may change each only once (PostgreSQL refuses otherwise).
    latest: HashMap<(String, String), usize>,
}

/// Rows per `INSERT` of grades or of their history (eight parameters each).
const GRADES_PER_INSERT: usize = 128;

fn graded(uow: &mut UnitOfWork, grade: Grade) {
    let run = uow.put_off::<Graded>();
    run.latest.insert(grade.key(), run.given.len());
    run.given.push(grade);
}

/// Keeps each student's latest grade of the run on its item (overrides and excusals stay) and
/// writes every grade of the run to the history.
async fn write_graded(uow: &mut UnitOfWork) -> anyhow::Result<()> {
    let Some(Graded { given, latest }) = uow.take_put_off::<Graded>() else {
        return Ok(());
    };
    let mut kept: Vec<usize> = latest.into_values().collect();
    kept.sort_unstable();
    let kept: Vec<&Grade> = kept.iter().map(|&at| &given[at]).collect();
    uow.write_rows(
        &kept,
        8,
        GRADES_PER_INSERT,
        |values| {
            format!(
                "INSERT INTO grades (item_id, student_id, course_id, school_id, points, \
                 days_late, excused, updated_at) VALUES {values} \
                 ON CONFLICT (item_id, student_id) DO UPDATE SET points = excluded.points, \
                 days_late = excluded.days_late, updated_at = excluded.updated_at"
            )
        },
        |insert, grade| {
            insert
                .bind(&grade.item_id)
                .bind(&grade.student_id)
                .bind(&grade.course_id)
                .bind(&grade.school_id)
                .bind(grade.points)
                .bind(grade.days_late)
                .bind(0_i64)
                .bind(grade.at)
        },
    )
    .await?;
    uow.write_rows(
        &given,
        8,
        GRADES_PER_INSERT,
        |values| {
            format!(
                "INSERT INTO grade_history (id, item_id, student_id, course_id, change, \
                 points, changed_by, changed_at) VALUES {values}"
            )
        },
        |insert, grade| {
            insert
                .bind(id::new_id_string())
                .bind(&grade.item_id)
                .bind(&grade.student_id)
                .bind(&grade.course_id)
                .bind("graded")
                .bind(grade.points)
                .bind(&grade.graded_by)
                .bind(grade.at)
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use campus_platform::db::Db;
    use campus_testkit::{each_storage, TestEnv};

    use super::*;

    fn quiz_graded(student: &str, kept_points: f64) -> QuizAttemptGraded {
        QuizAttemptGraded {
            attempt_id: id::new_id_string(),
            quiz_id: "quiz".to_owned(),
            course_id: "course".to_owned(),
            school_id: "school".to_owned(),
            student_id: student.to_owned(),
            points: kept_points,
            kept_points,
            max_points: 10.0,
            released: false,
        }
    }

    async fn handle_run(uow: &mut UnitOfWork, events: &[Envelope]) {
        for event in events {
            Intake.handle(uow, event).await.unwrap();
        }
        Intake.finish(uow).await.unwrap();
    }

    each_storage! {
        /// A run's grades are written together: each student keeps their latest grade of the
        /// run (a second attempt graded in the same run included), overrides and excusals
        /// stay, every grade is a line of history, and an event of another kind in the run
        /// (here withdrawing the work) comes after the grades before it.
        async fn a_runs_grades_are_written_together_and_in_order(env: TestEnv) {
            let db = Db::open(&env.config, "gradebook").await.unwrap();
            db.migrate(&crate::context().migrators()).await.unwrap();
            let quiz = QuizPublished {
                quiz_id: "quiz".to_owned(),
                course_id: "course".to_owned(),
                school_id: "school".to_owned(),
                module_id: None,
                title: "Fractions".to_owned(),
                max_points: 10.0,
                opens_at: None,
                closes_at: None,
                release: GradeRelease::Manual,
            };
            let mut uow = db.begin().await.unwrap();
            handle_run(&mut uow, &[Envelope::new("school", &quiz).unwrap()]).await;
            uow.commit().await.unwrap();
            sqlx::query(
                "INSERT INTO grades (item_id, student_id, course_id, school_id, points, \
                 days_late, excused, override_points, override_reason, updated_at) \
                 VALUES ('quiz', 'bo', 'course', 'school', NULL, 0, 1, 9.5, 'ill', 1)",
            )
            .execute(db.pool())
            .await
            .unwrap();

            let essay = SubmissionGraded {
                submission_id: "submission".to_owned(),
                assignment_id: "essay".to_owned(),
                course_id: "course".to_owned(),
                school_id: "school".to_owned(),
                student_id: "ann".to_owned(),
                points: 4.0,
                max_points: 5.0,
                days_late: 0,
                graded_by: "teacher".to_owned(),
                released: true,
            };
            let withdrawn = AssignmentWithdrawn {
                assignment_id: "essay".to_owned(),
                course_id: "course".to_owned(),
                school_id: "school".to_owned(),
            };
            let events = [
                Envelope::new("school", &quiz_graded("ann", 3.0)).unwrap(),
                Envelope::new("school", &essay).unwrap(),
                Envelope::new("school", &quiz_graded("bo", 5.0)).unwrap(),
                Envelope::new("school", &quiz_graded("ann", 7.0)).unwrap(),
                Envelope::new("school", &withdrawn).unwrap(),
                Envelope::new("school", &quiz_graded("cy", 4.0)).unwrap(),
                Envelope::new("school", &quiz_graded("cy", 6.0)).unwrap(),
            ];
            let mut uow = db.begin().await.unwrap();
            handle_run(&mut uow, &events).await;
            uow.commit().await.unwrap();

            let grades: Vec<(String, String, f64, i64, Option<f64>)> = sqlx::query_as(
                "SELECT item_id, student_id, points, excused, override_points FROM grades \
                 ORDER BY item_id, student_id",
            )
            .fetch_all(db.pool())
            .await
            .unwrap();
            let grade = |item: &str, student: &str, points, excused, over| {
                (item.to_owned(), student.to_owned(), points, excused, over)
            };
            assert_eq!(
                grades,
                [
                    grade("quiz", "ann", 7.0, 0, None),
                    grade("quiz", "bo", 5.0, 1, Some(9.5)),
                    grade("quiz", "cy", 6.0, 0, None),
                ],
                "the essay's grade went with the essay"
            );
            let history: Vec<(String, String, f64, String)> = sqlx::query_as(
                "SELECT item_id, student_id, points, changed_by FROM grade_history \
                 ORDER BY student_id, item_id, points",
            )
            .fetch_all(db.pool())
            .await
            .unwrap();
            let line = |item: &str, student: &str, points, by: &str| {
                (item.to_owned(), student.to_owned(), points, by.to_owned())
            };
            assert_eq!(
                history,
                [
                    line("essay", "ann", 4.0, "teacher"),
                    line("quiz", "ann", 3.0, "quiz"),
                    line("quiz", "ann", 7.0, "quiz"),
                    line("quiz", "bo", 5.0, "quiz"),
                    line("quiz", "cy", 4.0, "quiz"),
                    line("quiz", "cy", 6.0, "quiz"),
                ]
            );
            db.close().await;
            env.cleanup().await;
        }
    }
}
