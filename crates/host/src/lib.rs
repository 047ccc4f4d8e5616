//! A process of Campus Hub: which contexts run in it, on which storage and bus, behind one
//! HTTP server, with which background tasks.
//!
//! [`Application::build`] opens and migrates each context's database, starts each context (its
//! one start function gives back routes, subscriptions and tasks), connects the bus and binds
//! the listener; [`Application::run_until_stopped`] serves until the shutdown signal and then
//! drains in order: HTTP first, then event handlers and every context's tasks, then a last
//! outbox flush. The `campus` binary and every context's tests build processes this way.

mod jwks;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::Router;
use campus_bus::{Bus, BusPlan};
use campus_platform::{
    auth::KeyRing,
    config::Config,
    context::{Context, ContextEnv, RunningParts, Services},
    db::{Backend, Db},
    health::{self, Readiness},
    http, metrics, openapi,
    outage::{self, DatabaseWatch},
    people::People,
    rosters::Rosters,
    tasks::Task,
};
use tokio::{net::TcpListener, time::Instant};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use utoipa_axum::router::OpenApiRouter;

pub struct Application {
    config: Arc<Config>,
    listener: TcpListener,
    router: Router,
    /// `/metrics` on a listener of its own (`metrics.listen`).
    metrics: Option<(TcpListener, Router)>,
    bus: Bus,
    databases: Vec<Db>,
    keys: KeyRing,
    /// The keys come from identity's JWKS (identity runs in another process).
    keys_fetched: bool,
    contexts: Vec<&'static str>,
    tasks: Vec<Task>,
}

/// How long a process whose keys come from identity's JWKS waits for them before it starts
/// answering requests anyway (those that need a token then answer 503 until the keys come).
const KEYS_WAIT: Duration = Duration::from_secs(10);

impl Application {
    /// Prepares everything `contexts` (filtered by `config.contexts`) need to serve.
    pub async fn build(config: Config, contexts: Vec<Context>) -> anyhow::Result<Self> {
        Self::build_with_pages(config, contexts, None).await
    }

    /// As [`Application::build`], and serves the web application's `pages` around the API.
    pub async fn build_with_pages(
        config: Config,
        contexts: Vec<Context>,
        pages: Option<http::Pages>,
    ) -> anyhow::Result<Self> {
        let config = Arc::new(config);
        let contexts = select(&config, contexts)?;
        let identity_elsewhere = !contexts.iter().any(|c| c.name == "identity");
        if identity_elsewhere {
            jwks::check_url(&config.jwks_url(), config.auth.allow_plain_http_jwks)?;
        }
        let keys = KeyRing::default();
        let services = Arc::new(Services::new(
            contexts.iter().map(|context| context.name).collect(),
            config.bus.url.is_some(),
        ));
        let mut plan = BusPlan::connect(&config).await?;
        let mut tasks = Vec::new();
        tasks.extend(plan.fan_out(services.live(), &config));
        let mut readiness = Readiness::default();
        let mut api = OpenApiRouter::with_openapi(openapi::base());
        let mut databases = Vec::new();
        for context in &contexts {
            let db = open_and_migrate(&config, context).await?;
            let forgetting = services.forgetting(&config)?;
            let people = context
                .keeps_people
                .then(|| People::new(db.clone(), &forgetting));
            let rosters = context
                .keeps_rosters
                .then(|| Rosters::new(db.clone(), &forgetting));
            let env = ContextEnv::new(
                db.clone(),
                config.clone(),
                keys.clone(),
                people.clone(),
                rosters.clone(),
                services.clone(),
            );
            let running = context
                .start(env)
                .await
                .with_context(|| format!("Failed to start the {} context", context.name))?;
            let RunningParts {
                routes,
                subscriptions,
                tasks: context_tasks,
                probes,
            } = running.into_parts();
            plan.produce(&db);
            for subscription in subscriptions {
                plan.subscribe(&db, subscription);
            }
            if let Some(people) = people {
                plan.subscribe(&db, people.subscription());
            }
            if let Some(rosters) = rosters {
                plan.subscribe(&db, rosters.subscription());
            }
            let clashes = openapi::clashing_schemas(api.get_openapi(), routes.get_openapi());
            anyhow::ensure!(
                clashes.is_empty(),
                "the {} context names API schemas another context defines otherwise: {}",
                context.name,
                clashes.join(", ")
            );
            api = api.merge(routes);
            tasks.extend(context_tasks);
            readiness.add(Arc::new(db.clone()));
            for probe in probes {
                readiness.add(probe);
            }
            databases.push(db);
        }
        // Every process refuses the access tokens of sessions identity has ended, learning of
        // them from identity's events and, across replicas, through Redis.
        let ended_sessions = keys.ended_sessions().clone();
        let redis = services.redis(&config)?;
        // (The embedded bus carries only the events of contexts in this process; a process
        // without identity on it has tokens from nowhere to end.)
        let identity_events_reach_here = !identity_elsewhere || config.bus.url.is_some();
        if let Some(db) = databases.first().filter(|_| identity_events_reach_here) {
            plan.subscribe(db, ended_sessions.subscription(redis.clone()));
        }
        if let Some(redis) = redis {
            tasks.push(ended_sessions.follower(redis));
        }
        // What one process's changes forget of its caches, the others forget too.
        tasks.extend(services.forgetting(&config)?.tasks());
        // Who came or went in another process, for the pages that show presence live.
        if let Some(presence) = services.presence_in_use() {
            tasks.extend(presence.tasks());
        }
        if let Some(redis) = services.redis_in_use() {
            readiness.add(Arc::new(redis));
        }
        let bus = plan.build(&config).await?;
        readiness.add(bus.probe());
        if identity_elsewhere {
            // Identity runs elsewhere: verify tokens with the keys it publishes.
            tasks.push(jwks::refresher(config.jwks_url(), keys.clone()));
            readiness.add(jwks::probe(&keys));
        }
        api = api.merge(campus_bus::admin::routes(bus.clone()));
        let (routes, mut document) = api.split_for_parts();
        openapi::declare_error_answers(&mut document);
        let middleware_document = document.clone();
        let router = routes
            .merge(openapi::routes(document))
            .merge(health::routes(readiness));
        // `/metrics` beside the API, unless it has a listener of its own.
        let metrics_routes = metrics::routes(config.metrics.token.clone());
        let (router, metrics_listener) = match config.metrics.listen {
            None => (router.merge(metrics_routes), None),
            Some(address) => {
                let listener = TcpListener::bind(address)
                    .await
                    .with_context(|| format!("Failed to listen on {address} (metrics.listen)"))?;
                (
                    router,
                    Some((listener, metrics_routes.fallback(http::not_found))),
                )
            }
        };
        let api = http::api(router, &middleware_document);
        // SQLite is a file beside the process: only a database server can be out of reach.
        let api = match databases.first() {
            Some(db) if db.backend() == Backend::Postgres => {
                outage::guard(api, DatabaseWatch::new(db.clone()))
            }
            _ => api,
        };
        let app = match pages {
            Some(pages) => pages(api, &config),
            None => api,
        };
        let router = http::with_middleware(app, &config, keys.clone());

        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("Failed to listen on {} (listen)", config.listen))?;
        Ok(Self {
            listener,
            router,
            metrics: metrics_listener,
            bus,
            databases,
            keys,
            keys_fetched: identity_elsewhere,
            contexts: contexts.iter().map(|c| c.name).collect(),
            tasks,
            config,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// Where `/metrics` is served when it has a listener of its own.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// The keys access tokens are verified with.
    pub fn keys(&self) -> KeyRing {
        self.keys.clone()
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// The contexts this process runs, in start order.
    pub fn contexts(&self) -> &[&'static str] {
        &self.contexts
    }

    pub fn database(&self, context: &str) -> Option<&Db> {
        self.databases.iter().find(|db| db.context() == context)
    }

    /// The names of the background tasks the contexts asked for.
    pub fn task_names(&self) -> Vec<&'static str> {
        self.tasks.iter().map(Task::name).collect()
    }

    /// Serves until `shutdown` resolves, then drains within `http.shutdown_grace_secs`.
    /// Returns once every context's task and every event handler has stopped; an error says
    /// what was still running at the deadline and was cut off.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let url = match &self.config.public_url {
            Some(_) => self.config.public_url(),
            None => format!("http://{}", self.address()),
        };
        let Self {
            config,
            listener,
            router,
            metrics: metrics_server,
            bus,
            databases,
            contexts,
            tasks,
            keys,
            keys_fetched,
            ..
        } = self;
        bus.start();
        metrics::upkeep();
        let background = CancellationToken::new();
        let tracker = TaskTracker::new();
        for task in tasks {
            tracker.spawn(task.start(background.clone()));
        }
        tracker.close();
        if keys_fetched {
            wait_for_keys(&keys).await;
        }
        let stop_accepting = CancellationToken::new();
        let server = tokio::spawn(http::serve(
            listener,
            router,
            stop_accepting.clone().cancelled_owned(),
        ));
        let metrics_server = metrics_server.map(|(listener, router)| {
            tokio::spawn(http::serve(
                listener,
                router,
                stop_accepting.clone().cancelled_owned(),
            ))
        });
        tracing::info!(
            url = %url,
            contexts = %contexts.join(","),
            storage = databases.first().map(|db| db.backend().dependency()).unwrap_or("none"),
            bus = bus.log().dependency(),
            "Campus Hub is ready at {url}"
        );
        shutdown.await;
        tracing::info!("shutting down: draining requests, event handlers and background tasks");
        let deadline = Instant::now() + Duration::from_secs(config.http.shutdown_grace_secs);
        stop_accepting.cancel();
        match tokio::time::timeout_at(deadline, server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => tracing::error!(%error, "HTTP server failed"),
            Ok(Err(error)) => tracing::error!(%error, "HTTP server task failed"),
            Err(_) => tracing::warn!("requests still running at the deadline were cut off"),
        }
        if let Some(server) = metrics_server {
            // A scrape is quick; one still running at the deadline is simply dropped.
            let _ = tokio::time::timeout_at(deadline, server).await;
        }
        background.cancel();
        let remaining = deadline.saturating_duration_since(Instant::now());
        let (bus_done, tasks_done) = tokio::join!(
            bus.shutdown(remaining),
            tokio::time::timeout(remaining, tracker.wait())
        );
        let mut cut_off = Vec::new();
        if !bus_done {
            cut_off.push("event handlers".to_owned());
        }
        if tasks_done.is_err() {
            cut_off.push(format!("{} background tasks", tracker.len()));
        }
        // A connection still held by work cut off at the deadline must not keep us up.
        let closing = futures::future::join_all(databases.iter().map(|db| db.close()));
        if tokio::time::timeout_at(deadline + Duration::from_secs(1), closing)
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use at the deadline were abandoned");
        }
        if !cut_off.is_empty() {
            anyhow::bail!(
                "stopped, but {} still running at the deadline were cut off",
                cut_off.join(" and ")
            );
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Holds back the first answer until the JWKS refresher has the keys (a few milliseconds when
/// identity answers), at most [`KEYS_WAIT`]. The listener is already bound: a request that
/// arrives meanwhile waits in its queue and is answered once the process can check its token.
/// Without this, a process restarted behind a proxy that does not watch `/readyz` (nginx
/// after a crash) would answer its first requests 503.
async fn wait_for_keys(keys: &KeyRing) {
    let deadline = Instant::now() + KEYS_WAIT;
    while keys.is_empty() {
        if Instant::now() >= deadline {
            tracing::warn!(
                "serving without token keys: requests that need a token answer 503 until identity's JWKS answers"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Applies every selected context's migrations and exits; `campus migrate`.
pub async fn migrate(config: &Config, contexts: Vec<Context>) -> anyhow::Result<Vec<&'static str>> {
    let contexts = select(config, contexts)?;
    for context in &contexts {
        open_and_migrate(config, context).await?.close().await;
    }
    Ok(contexts.iter().map(|c| c.name).collect())
}

async fn open_and_migrate(config: &Config, context: &Context) -> anyhow::Result<Db> {
    let db = Db::open(config, context.name).await?;
    db.migrate(&context.migrators()).await?;
    Ok(db)
}

/// The contexts `config.contexts` names (all when empty); an unknown name stops start-up.
fn select(config: &Config, contexts: Vec<Context>) -> anyhow::Result<Vec<Context>> {
    for name in &config.contexts {
        if !contexts.iter().any(|c| c.name == name) {
            let known: Vec<&str> = contexts.iter().map(|c| c.name).collect();
            anyhow::bail!(
                "invalid configuration: `contexts` names `{name}`, which is not a context; known contexts: {}",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            );
        }
    }
    Ok(contexts
        .into_iter()
        .filter(|c| config.runs(c.name))
        .collect())
}

/// A future that resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled, so a signal that arrives while the server is
/// still starting is not lost (nor does it kill the process outright).
pub fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}
