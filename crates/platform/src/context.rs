//! How a bounded context plugs into the platform.
//!
//! Each context crate exposes one [`Context`] value: its name, its migrations, its routes, its
//! subscriptions and the events it publishes. The `campus` binary composes the chosen set;
//! adding a context is one crate and one line there.

use std::{future::Future, pin::Pin, sync::Arc};

use tokio_util::sync::CancellationToken;

use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

use crate::{auth::KeyRing, config::Config, db::Db, events::Subscription};

/// What a context is given when the process starts it.
#[derive(Clone)]
pub struct ContextEnv {
    /// The context's own database; no other context's tables are reachable from it.
    pub db: Db,
    pub config: Arc<Config>,
    /// The public keys access tokens verify against (identity keeps it filled).
    pub keys: KeyRing,
    /// Cancelled when the process shuts down; background tasks a context starts end with it.
    pub shutdown: CancellationToken,
    /// Outgoing email.
    pub mailer: crate::mail::Mailer,
    /// The installation's Redis, when `redis.url` is set.
    pub redis: Option<crate::shared_redis::SharedRedis>,
}

/// Builds a context's routes from what it was given.
pub type RoutesFn = Box<dyn Fn(&ContextEnv) -> OpenApiRouter + Send + Sync>;
/// Runs once at start, after migrations and before the first request.
pub type StartFn = Box<
    dyn Fn(ContextEnv) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> + Send + Sync,
>;
/// Builds a context's subscriptions from what it was given.
pub type SubscriptionsFn = Box<dyn Fn(&ContextEnv) -> Vec<Subscription> + Send + Sync>;

/// A bounded context's registration.
pub struct Context {
    /// Lowercase, e.g. `identity`; also its stream, database file or schema, and event prefix.
    pub name: &'static str,
    pub migrations: &'static Migrator,
    /// The context's HTTP routes, documented for OpenAPI.
    pub routes: RoutesFn,
    /// The other contexts' events it reacts to.
    pub subscriptions: SubscriptionsFn,
    /// Work to do at start (load keys, start a background task).
    pub start: Option<StartFn>,
}

impl Context {
    /// A context with no routes, subscriptions or events yet; fill in what it has.
    pub fn new(name: &'static str, migrations: &'static Migrator) -> Self {
        Self {
            name,
            migrations,
            routes: Box::new(|_| OpenApiRouter::new()),
            subscriptions: Box::new(|_| Vec::new()),
            start: None,
        }
    }

    pub fn routes(
        mut self,
        routes: impl Fn(&ContextEnv) -> OpenApiRouter + Send + Sync + 'static,
    ) -> Self {
        self.routes = Box::new(routes);
        self
    }

    pub fn subscriptions(
        mut self,
        subscriptions: impl Fn(&ContextEnv) -> Vec<Subscription> + Send + Sync + 'static,
    ) -> Self {
        self.subscriptions = Box::new(subscriptions);
        self
    }

    pub fn on_start<F, Fut>(mut self, start: F) -> Self
    where
        F: Fn(ContextEnv) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.start = Some(Box::new(move |env| Box::pin(start(env))));
        self
    }
}
