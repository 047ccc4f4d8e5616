//! "Due within a day": a student who has not handed in work due in the next 24 hours is
//! reminded once per due date. A task looks every minute (and once at start) for what is due
//! and not yet reminded of; the reminder and the record that it was sent commit together, so a
//! restart neither loses one nor sends it twice, and two processes racing on one database
//! collide on the record's key rather than both telling.

use std::{collections::BTreeMap, time::Duration};

use campus_platform::{db::Db, live::Live, tasks::Task, time};

use crate::{
    preferences::Category,
    telling::{tell, Notice, Title},
};

/// How far ahead a due date is reminded of.
const AHEAD_MS: i64 = 24 * 60 * 60 * 1000;
/// How often the task looks.
const EVERY: Duration = Duration::from_secs(60);
/// Pairs of student and work handled in one unit of work.
const BATCH: usize = 5000;

pub(crate) fn task(db: Db, live: Live) -> Task {
    Task::new("due-date reminders", move |shutdown| async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {
                    if let Err(error) = remind(&db, &live, time::now_ms()).await {
                        tracing::warn!(%error, "due-date reminders will be tried again");
                    }
                }
            }
        }
    })
}

#[derive(sqlx::FromRow)]
struct Due {
    item_id: String,
    school_id: String,
    course_id: String,
    kind: String,
    title: String,
    student_id: String,
    due_at: i64,
}

/// Reminds every student of what is due in `(now, now + 24 h]` and not handed in; answers
/// how many reminders were written.
pub(crate) async fn remind(db: &Db, live: &Live, now: i64) -> anyhow::Result<usize> {
    let mut uow = db.begin().await?;
    let due: Vec<Due> = sqlx::query_as(&format!(
        "SELECT i.item_id, i.school_id, i.course_id, i.kind, i.title, p.user_id AS student_id, \
         COALESCE(x.due_at, i.due_at) AS due_at \
         FROM calendar_items i \
         JOIN roster_places p ON p.course_id = i.course_id AND p.course_role = 'student' \
         LEFT JOIN calendar_extensions x ON x.item_id = i.item_id AND x.student_id = p.user_id \
         LEFT JOIN handed_in h ON h.item_id = i.item_id AND h.student_id = p.user_id \
         LEFT JOIN reminders_sent r ON r.item_id = i.item_id AND r.student_id = p.user_id \
           AND r.due_at = COALESCE(x.due_at, i.due_at) \
         WHERE h.item_id IS NULL AND r.item_id IS NULL \
         AND COALESCE(x.due_at, i.due_at) > $1 AND COALESCE(x.due_at, i.due_at) <= $2 \
         ORDER BY i.item_id LIMIT {BATCH}"
    ))
    .bind(now)
    .bind(now + AHEAD_MS)
    .fetch_all(uow.conn())
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut by_item: BTreeMap<&str, Vec<&Due>> = BTreeMap::new();
    for pair in &due {
        sqlx::query(
            "INSERT INTO reminders_sent (item_id, student_id, due_at, sent_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&pair.item_id)
        .bind(&pair.student_id)
        .bind(pair.due_at)
        .bind(now)
        .execute(uow.conn())
        .await?;
        by_item.entry(pair.item_id.as_str()).or_default().push(pair);
    }
    for pairs in by_item.values() {
        let first = pairs[0];
        let notice = Notice {
            school_id: &first.school_id,
            category: Category::Deadlines,
            kind: if first.kind == "quiz" {
                "quiz_due_soon"
            } else {
                "assignment_due_soon"
            },
            course_id: &first.course_id,
            subject_id: &first.item_id,
            title: Title::Given(&first.title),
            actor: None,
        };
        tell(
            &mut uow,
            live,
            &notice,
            pairs.iter().map(|pair| pair.student_id.clone()),
        )
        .await?;
    }
    uow.commit().await?;
    Ok(due.len())
}
