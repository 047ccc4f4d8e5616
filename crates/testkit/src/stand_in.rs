//! A stand-in for a context a test does not run, so a context can be tested alone: the
//! stand-in's outbox carries the events the real context would publish (fed by
//! [`TestApp::publish`](crate::TestApp::publish)), relayed by the real bus, embedded or NATS.

use std::borrow::Cow;

use campus_platform::context::{Context, Running};
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

/// No tables of its own: every context's database gets the platform's event tables anyway,
/// and they are all a stand-in needs.
static NO_TABLES: Migrator = Migrator {
    migrations: Cow::Borrowed(&[]),
    ignore_missing: false,
    locking: true,
    no_tx: false,
};

/// A context named `name` with nothing but an outbox: no tables of its own, no routes, no
/// subscriptions. Start it beside the context under test in place of the publisher of the
/// events that context consumes (`stand_in("identity")` for people's events).
pub fn stand_in(name: &'static str) -> Context {
    Context::new(name, &NO_TABLES, |_| async {
        Ok(Running::new(OpenApiRouter::new()))
    })
}
