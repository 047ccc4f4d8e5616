//! The courses context: what a school teaches. Teachers build courses of ordered modules and
//! lessons; students enroll, work through them and see where they stand; staff announce.
//! Its events feed assessments, the gradebook, notifications, achievements and search.
//!
//! Rooms: `catalogue` (courses and the school's catalogue), `outline` (modules and lessons),
//! `enrollment` (who is in a course), `progress` (completions and standings), `announcements`;
//! `access` decides who may do what, `domain` holds the rules, `content` makes teachers' text
//! safe, `shelf` keeps the hottest reads in memory and `store` holds every SQL statement. Who
//! is who comes from the platform's people directory.

pub(crate) mod access;
pub(crate) mod announcements;
pub(crate) mod catalogue;
pub(crate) mod content;
pub(crate) mod domain;
pub(crate) mod enrollment;
pub(crate) mod outline;
pub(crate) mod preview;
pub(crate) mod progress;
pub(crate) mod shelf;
pub(crate) mod store;

use std::sync::Arc;

use campus_platform::{
    context::{Context, ContextEnv, Running},
    db::Db,
    people::People,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every courses handler is given; one `Arc`, since axum clones a handler's state for
/// every request.
#[derive(Clone)]
pub(crate) struct Courses(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub caches: Arc<shelf::Caches>,
    /// The school's people, for class lists by email and names.
    pub people: People,
    /// Who opened which course in the current window.
    pub views: catalogue::ViewTally,
}

impl std::ops::Deref for Courses {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Courses> for People {
    fn from_ref(courses: &Courses) -> Self {
        courses.people.clone()
    }
}

impl Courses {
    /// Starts a change: every write to courses' data goes through one.
    pub(crate) async fn change(&self) -> campus_platform::Result<store::Change> {
        store::Change::begin(&self.db, &self.caches).await
    }
}

pub fn context() -> Context {
    Context::new("courses", &MIGRATIONS, start).with_people()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let courses = Courses(Arc::new(Parts {
        db: env.db.clone(),
        caches: Arc::new(shelf::Caches::new(&env.forgetting()?)),
        people: env.people()?,
        views: catalogue::ViewTally::default(),
    }));
    let view_window = std::time::Duration::from_secs(env.config.courses.view_window_secs);
    let routes = catalogue::routes(courses.clone())
        .merge(outline::routes(courses.clone()))
        .merge(enrollment::routes(courses.clone()))
        .merge(progress::routes(courses.clone()))
        .merge(preview::routes(courses.clone()))
        .merge(announcements::routes(courses.clone()));
    Ok(Running::new(routes).task(catalogue::views_sender(courses, view_window)))
}
