//! Who is told what. Each event the context subscribes to becomes one notice for the people
//! it concerns, found in the rosters this context keeps from courses' events: new work for the
//! course's students, a hand-in for its teachers, a released grade for its student, an
//! announcement for every member, a place in a course for the person given it (not when they
//! took it themselves). A grade given under manual release waits in `held_grades` until the
//! teacher releases the work. The inbox makes each event count once. Notices are told at the
//! end of the run of events being handled, the same notice to several people in one go (see
//! `telling::tell_at_end`).

use async_trait::async_trait;
use campus_contracts::{
    assessments::{
        AssignmentPublished, AssignmentSubmitted, AssignmentUpdated, GradesReleased,
        QuizAttemptGraded, QuizPublished, SubmissionGraded,
    },
    courses::{AnnouncementPosted, EnrollmentGranted},
};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
    live::Live,
    rosters,
};

use crate::{
    preferences::Category,
    telling::{tell_at_end, tell_put_off, Notice, Title},
};

pub(crate) fn subscription(live: Live) -> Subscription {
    Subscription::new(
        "notices",
        vec![
            AssignmentPublished::TYPE,
            AssignmentUpdated::TYPE,
            AssignmentSubmitted::TYPE,
            SubmissionGraded::TYPE,
            GradesReleased::TYPE,
            QuizPublished::TYPE,
            QuizAttemptGraded::TYPE,
            AnnouncementPosted::TYPE,
            EnrollmentGranted::TYPE,
        ],
        Intake { live },
    )
    // A notice goes to the course's roster as it stood when the event happened.
    .after(rosters::SUBSCRIPTION)
}

struct Intake {
    /// Where what is told goes live, once it has committed.
    live: Live,
}

/// Which places of a course a notice goes to.
#[derive(Clone, Copy)]
enum Places {
    Students,
    Staff,
    Everyone,
}

#[async_trait]
impl Handler for Intake {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        match event.event_type.as_str() {
            AssignmentPublished::TYPE => {
                let a: AssignmentPublished = event.data_as()?;
                remember_title(uow, &a.assignment_id, &a.course_id, "assignment", &a.title).await?;
                let students = members(uow, &a.course_id, Places::Students).await?;
                let notice = Notice {
                    school_id: &a.school_id,
                    category: Category::Assignments,
                    kind: "assignment_published",
                    course_id: &a.course_id,
                    subject_id: &a.assignment_id,
                    title: Title::Given(&a.title),
                    actor: None,
                };
                tell_at_end(uow, &notice, students);
            }
            AssignmentUpdated::TYPE => {
                let a: AssignmentUpdated = event.data_as()?;
                remember_title(uow, &a.assignment_id, &a.course_id, "assignment", &a.title).await?;
            }
            QuizPublished::TYPE => {
                let q: QuizPublished = event.data_as()?;
                remember_title(uow, &q.quiz_id, &q.course_id, "quiz", &q.title).await?;
                let students = members(uow, &q.course_id, Places::Students).await?;
                let notice = Notice {
                    school_id: &q.school_id,
                    category: Category::Assignments,
                    kind: "quiz_published",
                    course_id: &q.course_id,
                    subject_id: &q.quiz_id,
                    title: Title::Given(&q.title),
                    actor: None,
                };
                tell_at_end(uow, &notice, students);
            }
            AssignmentSubmitted::TYPE => {
                let s: AssignmentSubmitted = event.data_as()?;
                let staff = members(uow, &s.course_id, Places::Staff).await?;
                let notice = Notice {
                    school_id: &s.school_id,
                    category: Category::Submissions,
                    kind: "assignment_submitted",
                    course_id: &s.course_id,
                    subject_id: &s.assignment_id,
                    title: Title::OfWork,
                    actor: Some(&s.student_id),
                };
                tell_at_end(uow, &notice, staff);
            }
            SubmissionGraded::TYPE => {
                let g: SubmissionGraded = event.data_as()?;
                if !g.released {
                    hold(
                        uow,
                        &g.assignment_id,
                        &g.student_id,
                        &g.course_id,
                        &g.school_id,
                    )
                    .await?;
                    return Ok(());
                }
                let notice = Notice {
                    school_id: &g.school_id,
                    category: Category::Grades,
                    kind: "submission_graded",
                    course_id: &g.course_id,
                    subject_id: &g.assignment_id,
                    title: Title::OfWork,
                    actor: Some(&g.graded_by),
                };
                tell_at_end(uow, &notice, [g.student_id]);
            }
            QuizAttemptGraded::TYPE => {
                let g: QuizAttemptGraded = event.data_as()?;
                if !g.released {
                    hold(uow, &g.quiz_id, &g.student_id, &g.course_id, &g.school_id).await?;
                    return Ok(());
                }
                let notice = Notice {
                    school_id: &g.school_id,
                    category: Category::Grades,
                    kind: "quiz_graded",
                    course_id: &g.course_id,
                    subject_id: &g.quiz_id,
                    title: Title::OfWork,
                    actor: None,
                };
                tell_at_end(uow, &notice, [g.student_id]);
            }
            GradesReleased::TYPE => {
                let r: GradesReleased = event.data_as()?;
                let held: Vec<(String,)> =
                    sqlx::query_as("SELECT student_id FROM held_grades WHERE item_id = $1")
                        .bind(&r.item_id)
                        .fetch_all(uow.conn())
                        .await?;
                sqlx::query("DELETE FROM held_grades WHERE item_id = $1")
                    .bind(&r.item_id)
                    .execute(uow.conn())
                    .await?;
                let (kind, title) = match kind_of(uow, &r.item_id).await? {
                    Some((kind, title)) if kind == "quiz" => ("quiz_graded", title),
                    Some((_, title)) => ("submission_graded", title),
                    None => ("submission_graded", String::new()),
                };
                let notice = Notice {
                    school_id: &r.school_id,
                    category: Category::Grades,
                    kind,
                    course_id: &r.course_id,
                    subject_id: &r.item_id,
                    title: Title::Given(&title),
                    actor: None,
                };
                tell_at_end(uow, &notice, held.into_iter().map(|(student,)| student));
            }
            AnnouncementPosted::TYPE => {
                let a: AnnouncementPosted = event.data_as()?;
                let everyone = members(uow, &a.course_id, Places::Everyone).await?;
                let notice = Notice {
                    school_id: &a.school_id,
                    category: Category::Announcements,
                    kind: "announcement_posted",
                    course_id: &a.course_id,
                    subject_id: &a.announcement_id,
                    title: Title::Given(&a.title),
                    actor: Some(&a.author_id),
                };
                tell_at_end(uow, &notice, everyone);
            }
            EnrollmentGranted::TYPE => {
                let e: EnrollmentGranted = event.data_as()?;
                // Enrolling oneself, or making the course, is one's own action.
                if e.source == "self" || e.source == "creator" {
                    return Ok(());
                }
                // The course's title is read when the notification is (the roster may hear of
                // the course after the enrollment).
                let notice = Notice {
                    school_id: &e.school_id,
                    category: Category::Courses,
                    kind: "enrolled",
                    course_id: &e.course_id,
                    subject_id: &e.course_id,
                    title: Title::Given(""),
                    actor: None,
                };
                tell_at_end(uow, &notice, [e.user_id]);
            }
            _ => {}
        }
        Ok(())
    }

    /// What the run's events told, for all of them at once: an exam's grades, handled in a
    /// run, are one notice for its students, not one each.
    async fn finish(&self, uow: &mut UnitOfWork) -> anyhow::Result<()> {
        tell_put_off(uow, &self.live).await
    }
}

/// The people holding `places` in the course, as the roster last heard.
async fn members(
    uow: &mut UnitOfWork,
    course_id: &str,
    places: Places,
) -> anyhow::Result<Vec<String>> {
    let roles = match places {
        Places::Students => "('student')",
        Places::Staff => "('teacher', 'assistant')",
        Places::Everyone => "('student', 'teacher', 'assistant')",
    };
    let rows: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT user_id FROM roster_places WHERE course_id = $1 AND course_role IN {roles}"
    ))
    .bind(course_id)
    .fetch_all(uow.conn())
    .await?;
    Ok(rows.into_iter().map(|(user,)| user).collect())
}

async fn remember_title(
    uow: &mut UnitOfWork,
    item_id: &str,
    course_id: &str,
    kind: &str,
    title: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO work_titles (item_id, course_id, kind, title) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (item_id) DO UPDATE SET title = excluded.title",
    )
    .bind(item_id)
    .bind(course_id)
    .bind(kind)
    .bind(title)
    .execute(uow.conn())
    .await?;
    Ok(())
}

async fn kind_of(uow: &mut UnitOfWork, item_id: &str) -> anyhow::Result<Option<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT kind, title FROM work_titles WHERE item_id = $1")
            .bind(item_id)
            .fetch_optional(uow.conn())
            .await?,
    )
}

async fn hold(
    uow: &mut UnitOfWork,
    item_id: &str,
    student_id: &str,
    course_id: &str,
    school_id: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO held_grades (item_id, student_id, course_id, school_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (item_id, student_id) DO NOTHING",
    )
    .bind(item_id)
    .bind(student_id)
    .bind(course_id)
    .bind(school_id)
    .execute(uow.conn())
    .await?;
    Ok(())
}
