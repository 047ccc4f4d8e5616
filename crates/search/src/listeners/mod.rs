//! What search learns from the other contexts' events: the documents (courses, lessons,
//! posts, comments, people, messages) and what decides who may find them (course visibility,
//! places in courses, roles, conversation members, blocks), plus the activity trending counts.
//! One subscription per publishing context, each taking only the events that can arrive in
//! this process.

mod courses;
mod identity;
mod messaging;
mod social;

use async_trait::async_trait;
use campus_contracts::identity::Role;
use campus_platform::{
    context::ContextEnv,
    db::UnitOfWork,
    events::{Envelope, Handler, Subscription},
    Result,
};

use crate::{
    documents,
    domain::{Audience, DocKind},
    indexer::Wake,
};

/// Search's subscriptions, one per publishing context that can reach this process.
pub(crate) fn subscriptions(env: &ContextEnv, wake: &Wake) -> Vec<Subscription> {
    let mut subscriptions = Vec::new();
    let streams: [(&'static str, &'static str, Vec<&'static str>); 4] = [
        ("courses", "course_documents", courses::EVENTS.to_vec()),
        ("identity", "person_documents", identity::EVENTS.to_vec()),
        ("social", "post_documents", social::EVENTS.to_vec()),
        ("messaging", "message_documents", messaging::EVENTS.to_vec()),
    ];
    for (context, name, events) in streams {
        if env.hears_from(context) {
            subscriptions.push(Subscription::new(
                name,
                events,
                Listener {
                    context,
                    wake: wake.clone(),
                },
            ));
        }
    }
    subscriptions
}

struct Listener {
    context: &'static str,
    wake: Wake,
}

#[async_trait]
impl Handler for Listener {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        match self.context {
            "courses" => courses::handle(uow, event).await?,
            "identity" => identity::handle(uow, event).await?,
            "social" => social::handle(uow, event).await?,
            _ => messaging::handle(uow, event).await?,
        }
        // The local index replica looks at once; the others on their next poll.
        let wake = self.wake.clone();
        uow.after_commit(move || wake.now());
        Ok(())
    }
}

/// The courses `user_id` holds a place in.
async fn courses_of(uow: &mut UnitOfWork, user_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT course_id FROM search_places WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(uow.conn())
            .await?;
    Ok(rows.into_iter().map(|(course_id,)| course_id).collect())
}

/// A person's role, once identity told of them, and whether their school made students'
/// profiles public (once social told of it).
async fn role_of(uow: &mut UnitOfWork, user_id: &str) -> Result<Option<(Role, bool)>> {
    let row: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT p.role, r.student_profiles_public FROM search_people p \
         LEFT JOIN search_school_rules r ON r.school_id = p.school_id WHERE p.user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(uow.conn())
    .await?;
    Ok(row.and_then(|(role, public)| {
        role.parse()
            .ok()
            .map(|role| (role, public.unwrap_or(0) != 0))
    }))
}

/// Who may find `user_id` and what is on their profile (a person not heard of yet is taken
/// for a student of a school with the default rule: the narrower audience).
async fn person_audience(uow: &mut UnitOfWork, user_id: &str) -> Result<Vec<String>> {
    let (role, profiles_public) = role_of(uow, user_id)
        .await?
        .unwrap_or((Role::Student, false));
    let courses = courses_of(uow, user_id).await?;
    Ok(Audience::of_person(
        user_id,
        role,
        &courses,
        profiles_public,
    ))
}

/// Redraws the audience of a person and of what is on their profile.
async fn redraw_person(uow: &mut UnitOfWork, user_id: &str) -> Result<()> {
    let audience = person_audience(uow, user_id).await?;
    documents::redraw(
        uow,
        &Audience::person(user_id),
        &[DocKind::Person, DocKind::Post, DocKind::Comment],
        &audience,
    )
    .await
}

/// What trending counts, per target and day.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Activity {
    /// A student joined the course.
    Enrollment,
    /// Someone (not its staff) opened the course; each person once a day.
    CourseView,
    /// Someone commented on the post.
    Comment,
}

impl Activity {
    /// The `target_kind` its counts are stored under.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Enrollment => "course",
            Self::CourseView => "course_view",
            Self::Comment => "post",
        }
    }
}

/// `n` more of `activity` on `target_id` on `day`.
async fn count_activity(
    uow: &mut UnitOfWork,
    school_id: &str,
    activity: Activity,
    target_id: &str,
    day: i64,
    n: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO search_activity (school_id, target_kind, target_id, day, count) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (target_kind, target_id, day) \
         DO UPDATE SET count = search_activity.count + $5",
    )
    .bind(school_id)
    .bind(activity.key())
    .bind(target_id)
    .bind(day)
    .bind(n)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// Today, as trending's counts are kept.
fn today() -> i64 {
    crate::domain::day_of(campus_platform::time::now_ms())
}
