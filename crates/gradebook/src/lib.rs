//! The gradebook context: what a student's work adds up to. It learns everything from events
//! (grade items when work is published, grades when it is graded and released, the roster from
//! courses) and never reads assessments' tables; teachers add the course's grading scheme,
//! overrides with a reason, and excusals. Every grade keeps its history.
//!
//! Rooms: `intake` (events into items and grades), `book` (a course's scheme, items and
//! grades, loaded in a fixed number of queries), `views` (the teacher's matrix and its CSV, a
//! student's grades and "what if"), `transcript` (a student's courses), `changes` (scheme, overrides, excusals); `calculation` is
//! the pure grade maths.

pub(crate) mod book;
pub(crate) mod calculation;
pub(crate) mod changes;
pub(crate) mod intake;
pub(crate) mod transcript;
pub(crate) mod views;

use std::sync::Arc;

use campus_platform::{
    context::{Context, ContextEnv, Running},
    db::Db,
    people::People,
    rosters::Rosters,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every gradebook handler is given.
#[derive(Clone)]
pub(crate) struct Gradebook(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub people: People,
    pub rosters: Rosters,
}

impl std::ops::Deref for Gradebook {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Gradebook> for People {
    fn from_ref(gradebook: &Gradebook) -> Self {
        gradebook.people.clone()
    }
}

pub fn context() -> Context {
    Context::new("gradebook", &MIGRATIONS, start)
        .with_people()
        .with_rosters()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let gradebook = Gradebook(Arc::new(Parts {
        db: env.db.clone(),
        people: env.people()?,
        rosters: env.rosters()?,
    }));
    let routes = views::routes(gradebook.clone())
        .merge(changes::routes(gradebook.clone()))
        .merge(transcript::routes(gradebook));
    Ok(Running::new(routes).subscribe(intake::subscription()))
}
