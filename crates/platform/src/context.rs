//! How a bounded context plugs into the process.
//!
//! Each context crate exposes one [`Context`]: its name, its migrations, whether it keeps the
//! people directory, and one async function that starts it. Starting receives what the context
//! needs ([`ContextEnv`]) and returns what it runs ([`Running`]): its routes, its subscriptions
//! and its background tasks. The process composes the chosen contexts and owns every task, so
//! adding a context is one crate and one line in the binary.

use std::{future::Future, pin::Pin, sync::Arc};

use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    auth::KeyRing, cache::Forgetting, config::Config, db::Db, events::Subscription, health::Probe,
    live::Live, mail::Mailer, people::People, presence::Presence, rosters::Rosters,
    sealing::Sealer, shared_redis::SharedRedis, tasks::Task,
};

type StartFn = Box<
    dyn Fn(ContextEnv) -> Pin<Box<dyn Future<Output = anyhow::Result<Running>> + Send>>
        + Send
        + Sync,
>;

/// A bounded context's registration.
pub struct Context {
    /// Lowercase, e.g. `identity`; also its stream, database file or schema, and event prefix.
    pub name: &'static str,
    pub migrations: &'static Migrator,
    /// Whether the context keeps the shared people directory (see [`crate::people`]).
    pub keeps_people: bool,
    /// Whether the context keeps course rosters (see [`crate::rosters`]).
    pub keeps_rosters: bool,
    /// Whether the context sends mail (see [`crate::outgoing_mail`]).
    pub sends_mail: bool,
    start: StartFn,
}

impl Context {
    /// A context that starts with `start`, once its database is migrated.
    pub fn new<F, Fut>(name: &'static str, migrations: &'static Migrator, start: F) -> Self
    where
        F: Fn(ContextEnv) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Running>> + Send + 'static,
    {
        Self {
            name,
            migrations,
            keeps_people: false,
            keeps_rosters: false,
            sends_mail: false,
            start: Box::new(move |env| Box::pin(start(env))),
        }
    }

    /// The context keeps the people directory: its database gets the directory's table, the
    /// directory follows identity's events, and its handlers may take a
    /// [`Caller`](crate::people::Caller).
    pub fn with_people(mut self) -> Self {
        self.keeps_people = true;
        self
    }

    /// The context keeps course rosters: its database gets the rosters' tables, the rosters
    /// follow courses' events, and its handlers may ask how a caller stands towards a course.
    pub fn with_rosters(mut self) -> Self {
        self.keeps_rosters = true;
        self
    }

    /// The context sends mail: its database gets the outgoing-mail queue, which its
    /// [`Postman`](crate::outgoing_mail::Postman) delivers.
    pub fn with_outgoing_mail(mut self) -> Self {
        self.sends_mail = true;
        self
    }

    /// Every migrator the context's database needs, in addition to the event tables.
    pub fn migrators(&self) -> Vec<&'static Migrator> {
        let mut all = vec![self.migrations];
        if self.keeps_people {
            all.push(&crate::people::MIGRATIONS);
        }
        if self.keeps_rosters {
            all.push(&crate::rosters::MIGRATIONS);
        }
        if self.sends_mail {
            all.push(&crate::outgoing_mail::MIGRATIONS);
        }
        all
    }

    pub async fn start(&self, env: ContextEnv) -> anyhow::Result<Running> {
        (self.start)(env).await
    }
}

/// What a context is given when the process starts it.
#[derive(Clone)]
pub struct ContextEnv {
    /// The context's own database; no other context's tables are reachable from it.
    pub db: Db,
    pub config: Arc<Config>,
    /// The public keys access tokens verify against (identity keeps it filled).
    pub keys: KeyRing,
    people: Option<People>,
    rosters: Option<Rosters>,
    services: Arc<Services>,
}

impl ContextEnv {
    pub fn new(
        db: Db,
        config: Arc<Config>,
        keys: KeyRing,
        people: Option<People>,
        rosters: Option<Rosters>,
        services: Arc<Services>,
    ) -> Self {
        Self {
            db,
            config,
            keys,
            people,
            rosters,
            services,
        }
    }

    /// The context's people directory; an error unless it was registered `with_people`.
    pub fn people(&self) -> anyhow::Result<People> {
        self.people.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "the {} context keeps no people directory; register it with `with_people()`",
                self.db.context()
            )
        })
    }

    /// The context's course rosters; an error unless it was registered `with_rosters`.
    pub fn rosters(&self) -> anyhow::Result<Rosters> {
        self.rosters.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "the {} context keeps no course rosters; register it with `with_rosters()`",
                self.db.context()
            )
        })
    }

    /// Outgoing email, set up the first time a context asks for it.
    pub fn mailer(&self) -> anyhow::Result<Mailer> {
        self.services.mailer(&self.config)
    }

    /// The installation's Redis, when `redis.url` is set.
    pub fn redis(&self) -> anyhow::Result<Option<SharedRedis>> {
        self.services.redis(&self.config)
    }

    /// Tells the installation's other processes what a shared cache forgot (see
    /// [`crate::cache::ReadCache::shared`]).
    pub fn forgetting(&self) -> anyhow::Result<Forgetting> {
        self.services.forgetting(&self.config)
    }

    /// Live delivery to the real-time hub (see [`crate::live`]).
    pub fn live(&self) -> Live {
        self.services.live.clone()
    }

    /// Whether the context can follow `context`'s events: always through NATS JetStream, and in
    /// the embedded shape only when that context runs in this process (its log is a table of
    /// its database). A subscription that is a courtesy rather than the context's purpose (an
    /// audit entry for another context's action) is made only when this holds, so a process
    /// running a few contexts on the embedded bus still starts.
    pub fn hears_from(&self, context: &str) -> bool {
        self.services.shared_bus || self.services.here.contains(&context)
    }

    /// Whether the context is the only one this process runs (a process of its own in the
    /// scaled-out shape), so that its own readiness is the process's.
    pub fn runs_alone(&self) -> bool {
        self.services.here.len() == 1
    }

    /// Who has the app open (see [`crate::presence`]): the hub keeps it, others ask it.
    pub fn presence(&self) -> anyhow::Result<Presence> {
        self.services.presence(&self.config)
    }

    /// What seals the context's secrets at rest, with the installation's key.
    pub fn sealer(&self) -> anyhow::Result<Arc<Sealer>> {
        self.services.sealer(&self.config)
    }
}

/// Connections a process makes once and shares among the contexts that ask for them; one
/// that no running context needs is never made.
#[derive(Default)]
pub struct Services {
    mailer: std::sync::OnceLock<Mailer>,
    redis: std::sync::OnceLock<Option<SharedRedis>>,
    sealer: std::sync::OnceLock<Arc<Sealer>>,
    presence: std::sync::OnceLock<Presence>,
    forgetting: std::sync::OnceLock<Forgetting>,
    live: Live,
    /// The contexts this process runs.
    here: Vec<&'static str>,
    /// Events travel through NATS JetStream, between processes.
    shared_bus: bool,
}

impl Services {
    /// The services of a process running `here`, on a bus shared between processes or not.
    pub fn new(here: Vec<&'static str>, shared_bus: bool) -> Self {
        Self {
            here,
            shared_bus,
            ..Self::default()
        }
    }

    fn mailer(&self, config: &Config) -> anyhow::Result<Mailer> {
        if let Some(mailer) = self.mailer.get() {
            return Ok(mailer.clone());
        }
        let mailer = Mailer::from_config(config)?;
        Ok(self.mailer.get_or_init(|| mailer).clone())
    }

    /// The installation's Redis when `redis.url` is set, connected on first use.
    pub fn redis(&self, config: &Config) -> anyhow::Result<Option<SharedRedis>> {
        if let Some(redis) = self.redis.get() {
            return Ok(redis.clone());
        }
        let redis = SharedRedis::from_config(config)?;
        Ok(self.redis.get_or_init(|| redis).clone())
    }

    fn sealer(&self, config: &Config) -> anyhow::Result<Arc<Sealer>> {
        if let Some(sealer) = self.sealer.get() {
            return Ok(sealer.clone());
        }
        let sealer = Arc::new(Sealer::from_config(config)?);
        Ok(self.sealer.get_or_init(|| sealer).clone())
    }

    /// The process's presence, shared by every context in it (and through Redis, if set).
    fn presence(&self, config: &Config) -> anyhow::Result<Presence> {
        if let Some(presence) = self.presence.get() {
            return Ok(presence.clone());
        }
        let presence = Presence::new(self.redis(config)?);
        Ok(self.presence.get_or_init(|| presence).clone())
    }

    /// The process's live delivery, shared by every context in it.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The process's cache forgets, shared by every context in it (through Redis, if set).
    pub fn forgetting(&self, config: &Config) -> anyhow::Result<Forgetting> {
        if let Some(forgetting) = self.forgetting.get() {
            return Ok(forgetting.clone());
        }
        let mut forgetting = Forgetting::new(self.redis(config)?);
        // The embedded bus serves one process only.
        if config.bus.url.is_none() {
            forgetting = forgetting.in_the_only_process();
        }
        Ok(self.forgetting.get_or_init(|| forgetting).clone())
    }

    /// The process's presence, if a context asked for it.
    pub fn presence_in_use(&self) -> Option<Presence> {
        self.presence.get().cloned()
    }

    /// Redis, if a context asked for it and it is configured (for `/readyz`).
    pub fn redis_in_use(&self) -> Option<SharedRedis> {
        self.redis.get().cloned().flatten()
    }
}

/// What a started context runs: its routes, its subscriptions and its background tasks.
pub struct Running {
    routes: OpenApiRouter,
    subscriptions: Vec<Subscription>,
    tasks: Vec<Task>,
    probes: Vec<Arc<dyn Probe>>,
}

impl Running {
    /// A context serving `routes` (an empty router for a context without any).
    pub fn new(routes: OpenApiRouter) -> Self {
        Self {
            routes,
            subscriptions: Vec::new(),
            tasks: Vec::new(),
            probes: Vec::new(),
        }
    }

    /// Reacts to other contexts' events.
    pub fn subscribe(mut self, subscription: Subscription) -> Self {
        self.subscriptions.push(subscription);
        self
    }

    /// Runs `task` beside the routes until the process stops.
    pub fn task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Adds a check of the context's own to `/readyz`, beside its database.
    pub fn probe(mut self, probe: Arc<dyn Probe>) -> Self {
        self.probes.push(probe);
        self
    }

    pub fn into_parts(self) -> RunningParts {
        RunningParts {
            routes: self.routes,
            subscriptions: self.subscriptions,
            tasks: self.tasks,
            probes: self.probes,
        }
    }
}

/// A started context taken apart by the host that runs it.
pub struct RunningParts {
    pub routes: OpenApiRouter,
    pub subscriptions: Vec<Subscription>,
    pub tasks: Vec<Task>,
    pub probes: Vec<Arc<dyn Probe>>,
}
