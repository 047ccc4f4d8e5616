//! Writing one notification for many people in the event's unit of work: never to the person
//! whose action it was, never to a deactivated account, on the channels each person chose
//! (the app and live, and email through the [`crate::email`] sender), and folded into an unread notification
//! of the same kind in the same course from the last half hour (it then counts one more and
//! moves to the top), so a burst of hand-ins is one line, not thirty.

use std::collections::{BTreeSet, HashMap};

use campus_platform::{
    db::{placeholders, value_rows, UnitOfWork},
    id,
    live::{Dispatch, Live},
    time,
};

use crate::{
    in_app::NotificationRow,
    preferences::{Category, EmailMode},
};

/// How long an unread notification keeps absorbing similar ones.
pub(crate) const COLLAPSE_WINDOW_MS: i64 = 30 * 60 * 1000;

/// Rows per `INSERT`: [`COLUMNS`] parameters each, well under both databases' limits.
const ROWS_PER_INSERT: usize = 200;
const COLUMNS: usize = 14;

/// Where one person is told of one category.
#[derive(Clone, Copy)]
struct Channels {
    in_app: bool,
    email: EmailMode,
    /// Pushed to their browsers: they want it and have subscribed one.
    push: bool,
}

/// A recipient as the preferences query reads them: id, status, language, and the category's
/// in-app, email and push settings, and how many browsers they subscribed; then the course's
/// and the work's titles (the same on every row).
type Chosen = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
);

/// The title of the course (parameter `course`) and of the work (parameter `course + 1`), as
/// two columns of a query. They ride with the people's read rather than in reads of their own:
/// a class graded at once is a notice per student, and each read is a hand-over to SQLite's
/// connection thread and back.
fn title_columns(course: usize) -> String {
    format!(
        "(SELECT title FROM roster_courses WHERE course_id = ${course}), \
         (SELECT title FROM work_titles WHERE item_id = ${})",
        course + 1
    )
}

/// What happened, for everyone it concerns alike.
pub(crate) struct Notice<'a> {
    pub school_id: &'a str,
    /// What a person can tune.
    pub category: Category,
    pub kind: &'static str,
    pub course_id: &'a str,
    /// The assignment, quiz or announcement it is about (the course, for an enrollment).
    pub subject_id: &'a str,
    pub title: Title<'a>,
    /// Whose action it was: they are not told.
    pub actor: Option<&'a str>,
}

/// What a notice is called.
pub(crate) enum Title<'a> {
    /// As the event named it.
    Given(&'a str),
    /// The title of the work the notice is about (its subject) as last published, read with
    /// the people told (empty when its publication was never heard of).
    OfWork,
}

/// Notices a run of events told, written when the run ends ([`tell_put_off`]): events that
/// tell the same thing to different people (an exam's grades, one student each) become one
/// read of their preferences, one fold and one insert for all of them, instead of three
/// statements each.
#[derive(Default, Clone)]
struct PutOff(Vec<(Told, BTreeSet<String>)>);

/// A notice as [`PutOff`] keeps it.
#[derive(PartialEq, Clone)]
struct Told {
    school_id: String,
    category: Category,
    kind: &'static str,
    course_id: String,
    subject_id: String,
    /// `None`: the title of the work.
    title: Option<String>,
    actor: Option<String>,
}

impl Told {
    fn of(notice: &Notice<'_>) -> Self {
        Self {
            school_id: notice.school_id.to_owned(),
            category: notice.category,
            kind: notice.kind,
            course_id: notice.course_id.to_owned(),
            subject_id: notice.subject_id.to_owned(),
            title: match notice.title {
                Title::Given(title) => Some(title.to_owned()),
                Title::OfWork => None,
            },
            actor: notice.actor.map(str::to_owned),
        }
    }

    fn notice(&self) -> Notice<'_> {
        Notice {
            school_id: &self.school_id,
            category: self.category,
            kind: self.kind,
            course_id: &self.course_id,
            subject_id: &self.subject_id,
            title: self.title.as_deref().map_or(Title::OfWork, Title::Given),
            actor: self.actor.as_deref(),
        }
    }
}

/// Tells `recipients` about `notice` when the run of events being handled ends (the handler's
/// `finish` calls [`tell_put_off`]), together with the same notice to other people told in the
/// run just before.
pub(crate) fn tell_at_end(
    uow: &mut UnitOfWork,
    notice: &Notice<'_>,
    recipients: impl IntoIterator<Item = String>,
) {
    let told = Told::of(notice);
    let recipients: BTreeSet<String> = recipients.into_iter().collect();
    let put_off = &mut uow.put_off::<PutOff>().0;
    match put_off.last_mut() {
        // Someone told the same twice in one run is told twice, in order, so the second folds
        // the first in (it counts two), as when each event is told on its own.
        Some((last, people)) if *last == told && people.is_disjoint(&recipients) => {
            people.extend(recipients);
        }
        _ => put_off.push((told, recipients)),
    }
}

/// Writes what the run told through [`tell_at_end`], in order.
pub(crate) async fn tell_put_off(uow: &mut UnitOfWork, live: &Live) -> anyhow::Result<()> {
    let Some(PutOff(notices)) = uow.take_put_off::<PutOff>() else {
        return Ok(());
    };
    for (told, recipients) in notices {
        tell(uow, live, &told.notice(), recipients).await?;
    }
    Ok(())
}

/// Tells `recipients` about `notice`, live too once the unit of work commits; answers how
/// many were told.
pub(crate) async fn tell(
    uow: &mut UnitOfWork,
    live: &Live,
    notice: &Notice<'_>,
    recipients: impl IntoIterator<Item = String>,
) -> anyhow::Result<usize> {
    let mut told: BTreeSet<String> = recipients.into_iter().collect();
    if let Some(actor) = notice.actor {
        told.remove(actor);
    }
    if told.is_empty() {
        return Ok(0);
    }
    let recipients: Vec<String> = told.iter().cloned().collect();
    // Each person's language (for what goes live) and channels; deactivated accounts, and
    // people who turned the category off everywhere, are told nothing.
    let mut locales: HashMap<String, String> = HashMap::new();
    let mut channels: HashMap<String, Channels> = HashMap::new();
    let mut titles: Option<(Option<String>, Option<String>)> = None;
    for chunk in recipients.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "SELECT p.user_id, p.status, p.locale, c.in_app, c.email, c.push, \
             (SELECT COUNT(*) FROM push_subscriptions s WHERE s.user_id = p.user_id), {} \
             FROM people p \
             LEFT JOIN notification_preferences c ON c.user_id = p.user_id AND c.category = $1 \
             WHERE p.user_id IN ({})",
            title_columns(2),
            placeholders(4, chunk.len())
        );
        let mut people = sqlx::query_as::<_, Chosen>(&sql)
            .bind(notice.category.as_str())
            .bind(notice.course_id)
            .bind(notice.subject_id);
        for user_id in chunk {
            people = people.bind(user_id);
        }
        for (user_id, status, locale, in_app, email, push, browsers, course, work) in
            people.fetch_all(uow.conn()).await?
        {
            titles.get_or_insert((course, work));
            let chosen = Channels {
                in_app: in_app != Some(0),
                email: email
                    .as_deref()
                    .and_then(EmailMode::parse)
                    .unwrap_or(notice.category.default_email()),
                push: browsers > 0 && push.map_or(notice.category.default_push(), |p| p != 0),
            };
            if status == "deactivated"
                || (!chosen.in_app && chosen.email == EmailMode::Off && !chosen.push)
            {
                told.remove(&user_id);
                continue;
            }
            if let Some(locale) = locale {
                locales.insert(user_id.clone(), locale);
            }
            channels.insert(user_id, chosen);
        }
    }
    if told.is_empty() {
        return Ok(0);
    }
    // Nobody told is in the directory yet: the titles need a read of their own.
    let (course_title, work_title) = match titles {
        Some(titles) => titles,
        None => {
            sqlx::query_as(&format!("SELECT {}", title_columns(1)))
                .bind(notice.course_id)
                .bind(notice.subject_id)
                .fetch_one(uow.conn())
                .await?
        }
    };
    let title = match notice.title {
        Title::Given(title) => title.to_owned(),
        Title::OfWork => work_title.unwrap_or_default(),
    };
    let now = time::now_ms();
    let collapse_key = format!("{}:{}", notice.kind, notice.course_id);
    // What each person has unread of the same kind in the same course: absorbed, then gone.
    // Counted from the rows this unit deleted, not from a read before it: when two processes
    // tell the same course at once (PostgreSQL, read committed), the second one's delete waits
    // for the first and then finds those rows gone, so it starts a line of its own instead of
    // counting the first one's events a second time.
    let since = now - COLLAPSE_WINDOW_MS;
    let told: Vec<String> = told.into_iter().collect();
    let mut earlier: HashMap<String, i64> = HashMap::new();
    for chunk in told.chunks(ROWS_PER_INSERT) {
        let sql = absorb_sql(chunk.len());
        let mut delete = sqlx::query_as::<_, (String, i64)>(&sql)
            .bind(&collapse_key)
            .bind(since);
        for user_id in chunk {
            delete = delete.bind(user_id);
        }
        for (user_id, count) in delete.fetch_all(uow.conn()).await? {
            *earlier.entry(user_id).or_default() += count;
        }
    }
    let mut frames = Vec::with_capacity(told.len());
    for chunk in told.chunks(ROWS_PER_INSERT) {
        let rows = value_rows(chunk.len(), COLUMNS);
        let sql = format!(
            "INSERT INTO notifications (id, school_id, user_id, category, kind, course_id, \
             subject_id, title, course_title, count, collapse_key, created_at, in_app, email) \
             VALUES {rows}"
        );
        let sql = uow.db().backend().positional(&sql);
        let mut insert = sqlx::query(&sql);
        for user_id in chunk {
            // Someone the directory has not heard of yet gets the defaults.
            let chosen = channels.get(user_id).copied().unwrap_or(Channels {
                in_app: true,
                email: notice.category.default_email(),
                push: false,
            });
            let row = NotificationRow {
                id: id::new_id_string(),
                category: notice.category.as_str().to_owned(),
                kind: notice.kind.to_owned(),
                course_id: Some(notice.course_id.to_owned()),
                subject_id: Some(notice.subject_id.to_owned()),
                title: title.clone(),
                course_title: course_title.clone(),
                count: earlier.get(user_id).copied().unwrap_or(0) + 1,
                created_at: now,
                read_at: None,
            };
            insert = insert
                .bind(row.id.clone())
                .bind(notice.school_id)
                .bind(user_id)
                .bind(notice.category.as_str())
                .bind(notice.kind)
                .bind(notice.course_id)
                .bind(notice.subject_id)
                .bind(&title)
                .bind(course_title.clone())
                .bind(row.count)
                .bind(&collapse_key)
                .bind(now)
                .bind(i64::from(chosen.in_app))
                .bind(chosen.email.mailed_as());
            if chosen.in_app {
                frames.push(live_frame(notice.school_id, user_id, row, &locales)?);
            }
        }
        insert.execute(uow.conn()).await?;
        // One push per subscribed browser of those who want this category pushed.
        let pushed: Vec<&String> = chunk
            .iter()
            .filter(|user_id| channels.get(*user_id).is_some_and(|c| c.push))
            .collect();
        if !pushed.is_empty() {
            let sql = format!(
                "INSERT INTO push_deliveries (notification_id, subscription_id, user_id, attempts, next_attempt_at) \
                 SELECT n.id, s.id, n.user_id, 0, $1 FROM notifications n \
                 JOIN push_subscriptions s ON s.user_id = n.user_id \
                 WHERE n.collapse_key = $2 AND n.created_at = $1 AND n.user_id IN ({}) \
                 ON CONFLICT (notification_id, subscription_id) DO NOTHING",
                placeholders(3, pushed.len())
            );
            let mut deliveries = sqlx::query(&sql).bind(now).bind(&collapse_key);
            for user_id in pushed {
                deliveries = deliveries.bind(user_id);
            }
            deliveries.execute(uow.conn()).await?;
        }
    }
    let live = live.clone();
    uow.after_commit(move || live.send(frames));
    Ok(told.len())
}

/// Deletes what `people` persons (`$3`…) have unread under one collapse key (`$1`) since `$2`,
/// answering whose it was and how many events it stood for. The index on the key and the
/// person makes it a lookup per person: by the key alone it read every unread notification of
/// the kind in the course, which for a class graded at once grew with the class.
fn absorb_sql(people: usize) -> String {
    format!(
        "DELETE FROM notifications WHERE collapse_key = $1 AND read_at IS NULL \
         AND created_at >= $2 AND user_id IN ({}) RETURNING user_id, count",
        placeholders(3, people)
    )
}

/// The `notification` frame for one reader, worded in their language.
fn live_frame(
    school_id: &str,
    user_id: &str,
    row: NotificationRow,
    locales: &HashMap<String, String>,
) -> anyhow::Result<Dispatch> {
    let id = row.id.clone();
    let shown = row.shown(locales.get(user_id).map(String::as_str));
    Ok(Dispatch::frame(
        school_id,
        user_id,
        "notification",
        Some(&id),
        &shown,
    )?)
}

#[cfg(test)]
mod tests {
    use campus_platform::db::Db;
    use campus_testkit::{Backend, Storage, TestEnv, Transport};

    use super::*;

    /// A run's alike notices are told together, and someone told twice in the run is told in
    /// order: one line that counts two, as when each event is told on its own.
    #[tokio::test]
    async fn a_runs_alike_notices_are_told_together_and_in_order() {
        let backend = Backend::on_this_machine(Storage::Sqlite, Transport::Embedded).unwrap();
        let env = TestEnv::new(&backend).await;
        let db = Db::open(&env.config, "notifications").await.unwrap();
        db.migrate(&crate::context().migrators()).await.unwrap();
        let graded = Notice {
            school_id: "school",
            category: Category::Grades,
            kind: "quiz_graded",
            course_id: "course",
            subject_id: "quiz",
            title: Title::OfWork,
            actor: None,
        };
        let mut uow = db.begin().await.unwrap();
        for student in ["ann", "bo", "ann", "cy"] {
            tell_at_end(&mut uow, &graded, [student.to_owned()]);
        }
        let put_off = &uow.put_off::<PutOff>().0;
        let told: Vec<Vec<&str>> = put_off
            .iter()
            .map(|(_, people)| people.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(told, [vec!["ann", "bo"], vec!["ann", "cy"]]);
        tell_put_off(&mut uow, &Live::default()).await.unwrap();
        uow.commit().await.unwrap();
        let lines: Vec<(String, i64)> =
            sqlx::query_as("SELECT user_id, count FROM notifications ORDER BY user_id")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(
            lines,
            [("ann".into(), 2), ("bo".into(), 1), ("cy".into(), 1)]
        );
        db.close().await;
        env.cleanup().await;
    }

    /// Absorbing a person's earlier notification looks them up by key and person, so its cost
    /// does not grow with the number of people told under the same key.
    #[tokio::test]
    async fn absorbing_looks_up_each_person_by_key_and_person() {
        let sql = format!("EXPLAIN QUERY PLAN {}", absorb_sql(2));
        let query = sqlx::query(&sql)
            .bind("quiz_graded:course")
            .bind(0_i64)
            .bind("a")
            .bind("b");
        let steps = campus_testkit::sqlite_plan(&crate::context(), query).await;
        assert!(
            steps
                .iter()
                .any(|step| step.contains("notifications_collapse (collapse_key=? AND user_id=?")),
            "{steps:?}"
        );
    }
}
