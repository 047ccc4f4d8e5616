//! The notifications context: turns what happens in the school into the messages people
//! want. It learns everything from events (published work, hand-ins, grades, announcements,
//! enrollments), keeps the rosters it needs from courses' events, and tells each person once:
//! never about their own action, and a burst of similar events as one notification.
//!
//! Rooms: `intake` (events into notifications: who is told what), `telling` (writing one
//! notification for many people, collapsing bursts), `wording` (what a notification says, in
//! the reader's language), `in_app` (the in-app list, its unread count, marking read).

pub(crate) mod in_app;
pub(crate) mod intake;
pub(crate) mod telling;
pub(crate) mod wording;

use std::sync::Arc;

use campus_platform::{
    context::{Context, ContextEnv, Running},
    db::Db,
    people::People,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every notifications handler is given.
#[derive(Clone)]
pub(crate) struct Notifications(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub people: People,
}

impl std::ops::Deref for Notifications {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Notifications> for People {
    fn from_ref(notifications: &Notifications) -> Self {
        notifications.people.clone()
    }
}

pub fn context() -> Context {
    Context::new("notifications", &MIGRATIONS, start)
        .with_people()
        .with_rosters()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let notifications = Notifications(Arc::new(Parts {
        db: env.db.clone(),
        people: env.people()?,
    }));
    Ok(Running::new(in_app::routes(notifications)).subscribe(intake::subscription()))
}
