//! The courses context: what a school teaches. Teachers build courses of ordered modules and
//! lessons; students enroll, work through them and see where they stand; staff announce.
//! Its events feed assessments, the gradebook, notifications, achievements and search.
//!
//! Rooms: `catalogue` (courses and the school's catalogue), `outline` (modules and lessons),
//! `enrollment` (who is in a course), `progress` (completions and standings), `announcements`,
//! `access` (who may do what), `reactions` (what courses learns from identity).

pub mod access;
pub mod announcements;
pub mod catalogue;
pub mod content;
pub mod domain;
pub mod enrollment;
pub mod outline;
pub mod progress;
pub mod reactions;
pub mod shelf;
pub mod store;

use std::sync::Arc;

use campus_platform::{
    context::{Context, ContextEnv},
    db::Db,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every courses handler is given.
#[derive(Clone)]
pub struct Courses {
    pub db: Db,
    pub caches: Arc<shelf::Caches>,
}

pub fn context() -> Context {
    // Shared by the routes and the reactions, which forget what identity's events change.
    let caches = Arc::new(shelf::Caches::default());
    let for_reactions = caches.clone();
    Context::new("courses", &MIGRATIONS)
        .routes(move |env: &ContextEnv| {
            let courses = Courses {
                db: env.db.clone(),
                caches: caches.clone(),
            };
            catalogue::routes(courses.clone())
                .merge(outline::routes(courses.clone()))
                .merge(enrollment::routes(courses.clone()))
                .merge(progress::routes(courses.clone()))
                .merge(announcements::routes(courses))
        })
        .subscriptions(move |_| reactions::subscriptions(for_reactions.clone()))
}
