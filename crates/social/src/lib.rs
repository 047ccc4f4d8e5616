//! The social context: a school-safe campus feed. People post in three places (the school's
//! feed, a course's feed for its members, their own profile), comment one level deep, react
//! from a small fixed set and follow people and courses; the home feed gathers what they
//! follow and their courses. A school built for minors first: its rules decide who posts
//! where and who sees a student's profile, its word list holds posts for a moderator before
//! anyone sees them, anyone can report, moderators (admins, and teachers for their courses)
//! hide, restore or dismiss from their queue, and people block and mute others.
//!
//! Rooms: `domain` (the rules, no I/O), `store/` (SQL), `reading` (what a caller may see and
//! moderate), `mentions` (who `@name` names and may be told), `posts` (posts, comments, reactions), `images` (a post's picture), `feed` (the home feed), `follows`,
//! `profiles` (a person as the caller sees them), `blocks`, `moderation` (reports, the queue, moderators' actions), `news` (a new post told to open
//! pages) and `settings` (the
//! school's rules and word list).

pub(crate) mod blocks;
pub(crate) mod domain;
pub(crate) mod feed;
pub(crate) mod follows;
pub(crate) mod images;
pub(crate) mod mentions;
pub(crate) mod moderation;
pub(crate) mod news;
pub(crate) mod posts;
pub(crate) mod profiles;
pub(crate) mod reading;
pub(crate) mod settings;
pub(crate) mod store;

use std::sync::Arc;

use campus_platform::{
    context::{Context, ContextEnv, Running},
    db::Db,
    files::Files,
    live::Live,
    people::People,
    rate_limit::PersonLimiter,
    rosters::Rosters,
    tasks::Task,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every social handler is given.
#[derive(Clone)]
pub(crate) struct Social(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub people: People,
    pub rosters: Rosters,
    /// How fast one person may post and comment.
    pub writing: PersonLimiter,
    /// The feed's hot reads (rules, follows, blocks), kept in memory for a moment.
    pub caches: store::Caches,
    /// Where posts' pictures are kept.
    pub files: Files,
    /// Frames to readers' open pages, wherever the hub runs.
    pub live: Live,
}

impl std::ops::Deref for Social {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Social> for People {
    fn from_ref(social: &Social) -> Self {
        social.people.clone()
    }
}

pub fn context() -> Context {
    Context::new("social", &MIGRATIONS, start)
        .with_people()
        .with_rosters()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let writing = PersonLimiter::new("posts", domain::WRITES_PER_MINUTE, env.redis()?);
    let social = Social(Arc::new(Parts {
        db: env.db.clone(),
        people: env.people()?,
        rosters: env.rosters()?,
        writing: writing.clone(),
        caches: store::Caches::new(&env.forgetting()?),
        files: Files::from_config(&env.config)?,
        live: env.live(),
    }));
    let routes = posts::routes(social.clone())
        .merge(feed::routes(social.clone()))
        .merge(follows::routes(social.clone()))
        .merge(blocks::routes(social.clone()))
        .merge(moderation::routes(social.clone()))
        .merge(profiles::routes(social.clone()))
        .merge(settings::routes(social));
    Ok(Running::new(routes).task(Task::every(
        "forget idle writers",
        std::time::Duration::from_secs(60),
        move || {
            let writing = writing.clone();
            async move { writing.forget_idle() }
        },
    )))
}
