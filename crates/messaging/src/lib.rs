//! The messaging context: conversations between people of one school, delivered live. Direct
//! conversations join two people, group conversations a few, and every course has a class
//! channel whose members are the course's (kept from courses' enrollment events, through the
//! rosters). Who may start a conversation with whom is the school's rule, with safe defaults
//! for a school of minors (see `domain`).
//!
//! Rooms: `domain` (the rules, no I/O), `store` (SQL), `access` (a conversation as one caller
//! may use it, who hears of it, and the courses that join people), `contacts` (whom the caller
//! may reach), `conversations` (listing, starting, receipts, typing),
//! `messages` (history, sending, editing, deleting), `files` (what a
//! message carries), `moderation` (reports and what
//! moderators decide), `settings` (the school's rules), `blocks`
//! (blocks learned from social), `presence` (who came or went, told live) and `frames` (what
//! the live socket carries).

pub(crate) mod access;
pub(crate) mod blocks;
pub(crate) mod contacts;
pub(crate) mod conversations;
pub(crate) mod domain;
pub(crate) mod files;
pub(crate) mod frames;
pub(crate) mod messages;
pub(crate) mod moderation;
pub(crate) mod presence;
pub(crate) mod settings;
pub(crate) mod store;

use std::sync::Arc;

use campus_platform::{
    context::{Context, ContextEnv, Running},
    db::Db,
    files::Files,
    live::Live,
    people::People,
    presence::Presence,
    rate_limit::PersonLimiter,
    rosters::Rosters,
    tasks::Task,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every messaging handler is given.
#[derive(Clone)]
pub(crate) struct Messaging(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub people: People,
    pub rosters: Rosters,
    /// Frames to the members' sockets, wherever the hub runs.
    pub live: Live,
    /// Which members have the app open.
    pub presence: Presence,
    /// How fast one person may send messages.
    pub sending: PersonLimiter,
    /// Hot reads of every send, kept in memory (see `store::Caches`).
    pub caches: store::Caches,
    /// Where files sent in conversations are kept.
    pub files: Files,
}

impl std::ops::Deref for Messaging {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Messaging> for People {
    fn from_ref(messaging: &Messaging) -> Self {
        messaging.people.clone()
    }
}

pub fn context() -> Context {
    Context::new("messaging", &MIGRATIONS, start)
        .with_people()
        .with_rosters()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let sending = PersonLimiter::new("messages", domain::MESSAGES_PER_MINUTE, env.redis()?);
    let messaging = Messaging(Arc::new(Parts {
        db: env.db.clone(),
        people: env.people()?,
        rosters: env.rosters()?,
        live: env.live(),
        presence: env.presence()?,
        sending: sending.clone(),
        caches: store::Caches::new(&env.forgetting()?),
        files: Files::from_config(&env.config)?,
    }));
    let messaging_caches = messaging.caches.clone();
    let routes = conversations::routes(messaging.clone())
        .merge(messages::routes(messaging.clone()))
        .merge(contacts::routes(messaging.clone()))
        .merge(moderation::routes(messaging.clone()))
        .merge(settings::routes(messaging.clone()));
    let mut running = Running::new(routes)
        .task(forget_idle_senders(sending))
        .task(presence::teller(messaging));
    // Blocks are social's: where social runs nowhere this process can hear, nobody blocks.
    if env.hears_from("social") {
        running = running.subscribe(blocks::subscription(messaging_caches));
    }
    Ok(running)
}

/// Keeps the per-person send allowance's memory bounded.
fn forget_idle_senders(sending: PersonLimiter) -> Task {
    Task::every(
        "forget idle senders",
        std::time::Duration::from_secs(60),
        move || {
            let sending = sending.clone();
            async move { sending.forget_idle() }
        },
    )
}
