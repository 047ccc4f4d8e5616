//! How a bounded context plugs into the platform.
//!
//! Each context crate exposes one [`Context`] value: its name, its migrations, its routes, its
//! subscriptions and the events it publishes. The `campus` binary composes the chosen set;
//! adding a context is one crate and one line there.

use std::sync::Arc;

use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

use crate::{auth::KeyRing, config::Config, db::Db, events::{EventSchema, Subscription}};

/// What a context is given when the process starts it.
#[derive(Clone)]
pub struct ContextEnv {
    /// The context's own database; no other context's tables are reachable from it.
    pub db: Db,
    pub config: Arc<Config>,
    /// The public keys access tokens verify against (identity keeps it filled).
    pub keys: KeyRing,
}

/// A bounded context's registration.
pub struct Context {
    /// Lowercase, e.g. `identity`; also its stream, database file or schema, and event prefix.
    pub name: &'static str,
    pub migrations: &'static Migrator,
    /// The context's HTTP routes, documented for OpenAPI.
    pub routes: fn(&ContextEnv) -> OpenApiRouter,
    /// The other contexts' events it reacts to.
    pub subscriptions: fn(&ContextEnv) -> Vec<Subscription>,
    /// The events it publishes, for the catalogue and the compatibility test.
    pub events: fn() -> Vec<EventSchema>,
}

impl Context {
    /// No subscriptions, for contexts that only publish.
    pub fn no_subscriptions(_: &ContextEnv) -> Vec<Subscription> {
        Vec::new()
    }
}
