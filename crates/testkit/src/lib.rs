//! The API test harness of Campus Hub, for the binary's tests and for each context's own.
//!
//! A test gets a [`TestEnv`] (a fresh data directory, PostgreSQL database and NATS namespace),
//! starts the contexts it is about in a real server on a random port ([`TestEnv::start`] →
//! [`TestApp`]) and drives it over HTTP, waiting for eventual effects with [`eventually`].
//! [`each_backend!`] and [`each_storage!`] turn one test into one named test per backend, so a
//! failure names where it failed; the environment cleans up after itself, also when a test
//! panics. A context can be tested alone: [`stand_in`] takes the place of a context whose
//! events it consumes, and [`TestApp::publish`] feeds them.

// Test code fails loudly by design: a harness that cannot create a database or reach the
// server it started should stop the test right there, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod backend;
mod env;
mod macros;
pub mod people;
pub mod proxy;
pub mod smtp;
mod stand_in;

use std::{future::Future, time::Duration};

use campus_platform::{
    context::Context,
    db::{Db, Statement},
};

pub use app::TestApp;
pub use backend::{nats_url, postgres_url, redis_url, Backend, Storage, Transport};
pub use env::{with_database, TestEnv};
pub use stand_in::stand_in;

/// Runs `test` in a fresh environment on `storage` × `transport`, or, when this machine has no
/// server for it (its URL variable is unset), says so and returns: what [`each_backend!`] and
/// [`each_storage!`] call for each backend.
pub async fn run_on<F, Fut>(storage: Storage, transport: Transport, test: F)
where
    F: FnOnce(TestEnv) -> Fut,
    Fut: Future<Output = ()>,
{
    match Backend::on_this_machine(storage, transport) {
        Ok(backend) => test(TestEnv::new(&backend).await).await,
        Err(missing) => eprintln!("skipped on {storage}+{transport}: {missing} is not set"),
    }
}

/// The steps of SQLite's plan for `query` (a statement behind `EXPLAIN QUERY PLAN`, with its
/// values bound) on `context`'s database, freshly migrated: for tests that an index serves a
/// statement. One line a step, as SQLite words it.
pub async fn sqlite_plan<'q>(context: &Context, query: Statement<'q>) -> Vec<String> {
    let backend = Backend::on_this_machine(Storage::Sqlite, Transport::Embedded).unwrap();
    let env = TestEnv::new(&backend).await;
    let db = Db::open(&env.config, context.name).await.unwrap();
    db.migrate(&context.migrators()).await.unwrap();
    let rows = query.fetch_all(db.pool()).await.unwrap();
    rows.iter()
        .map(|row| sqlx::Row::try_get::<String, _>(row, 3).unwrap())
        .collect()
}

/// Polls `check` until it returns `Some`, failing the test after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits (up to 20 s) until `context`'s copy of a course's roster holds `places` places: the
/// contexts that keep rosters learn them from courses' events, a moment after the change.
pub async fn roster_has(app: &TestApp, context: &str, course_id: &str, places: i64) {
    let what = format!("{context} to hear of the course's {places} places");
    eventually(Duration::from_secs(20), &what, || async {
        let (known,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM roster_places WHERE course_id = $1")
                .bind(course_id)
                .fetch_one(app.db(context).pool())
                .await
                .unwrap_or((-1,));
        (known == places).then_some(())
    })
    .await;
}
