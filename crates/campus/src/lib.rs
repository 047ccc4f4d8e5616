//! The composition of Campus Hub: which contexts run in this process, on which storage and
//! bus, behind one HTTP server.
//!
//! [`Application::build`] opens and migrates each context's database, connects the bus,
//! registers routes and subscriptions and binds the listener; [`Application::run_until_stopped`]
//! serves until the shutdown signal and then drains in order: HTTP first, then event handlers,
//! then a last outbox flush.

pub mod admin;
pub mod contexts;
pub mod demo;
mod jwks;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::{routing::get, Extension, Router};
use campus_bus::{Bus, BusPlan};
use campus_platform::{
    auth::KeyRing,
    config::Config,
    context::{Context, ContextEnv},
    db::Db,
    health::{self, Readiness},
    http, metrics, openapi,
    shared_redis::SharedRedis,
};
use tokio::{net::TcpListener, time::Instant};
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;

pub struct Application {
    config: Arc<Config>,
    listener: TcpListener,
    router: Router,
    bus: Bus,
    databases: Vec<Db>,
    keys: KeyRing,
    contexts: Vec<&'static str>,
    /// Ends the contexts' background tasks.
    shutdown: CancellationToken,
}

impl Application {
    /// Prepares everything `contexts` (filtered by `config.contexts`) need to serve.
    pub async fn build(config: Config, contexts: Vec<Context>) -> anyhow::Result<Self> {
        let config = Arc::new(config);
        let contexts = select(&config, contexts)?;
        let keys = KeyRing::default();
        let shutdown = CancellationToken::new();
        let mailer = campus_platform::mail::Mailer::from_config(&config)?;
        let redis = SharedRedis::from_config(&config)?;
        let mut plan = BusPlan::connect(&config).await?;
        let mut readiness = Readiness::default();
        if let Some(redis) = &redis {
            readiness.add(Arc::new(redis.clone()));
        }
        let mut envs = Vec::new();
        for context in &contexts {
            let db = open_and_migrate(&config, context).await?;
            let env = ContextEnv {
                db: db.clone(),
                config: config.clone(),
                keys: keys.clone(),
                shutdown: shutdown.clone(),
                mailer: mailer.clone(),
                redis: redis.clone(),
            };
            plan.produce(&db);
            for subscription in (context.subscriptions)(&env) {
                plan.subscribe(&db, subscription);
            }
            readiness.add(Arc::new(db));
            envs.push(env);
        }
        let bus = plan.build(&config).await?;
        readiness.add(bus.probe());
        if !contexts.iter().any(|c| c.name == "identity") {
            // Identity runs elsewhere: verify tokens with the keys it publishes.
            jwks::spawn_refresher(config.jwks_url(), keys.clone(), shutdown.clone());
            readiness.add(jwks::probe(&keys));
        }
        for (context, env) in contexts.iter().zip(&envs) {
            if let Some(start) = &context.start {
                start(env.clone())
                    .await
                    .with_context(|| format!("Failed to start the {} context", context.name))?;
            }
        }

        let mut api = OpenApiRouter::with_openapi(openapi::base());
        for (context, env) in contexts.iter().zip(&envs) {
            api = api.merge((context.routes)(env));
        }
        api = api.merge(campus_bus::admin::routes(bus.clone()));
        let (routes, document) = api.split_for_parts();
        let router = routes
            .merge(openapi::routes(document))
            .merge(health::routes(readiness))
            .route("/metrics", get(|| async { metrics::render() }))
            .fallback(http::not_found)
            .layer(Extension(keys.clone()));
        let router = http::with_middleware(router, &config);

        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("Failed to listen on {} (listen)", config.listen))?;
        Ok(Self {
            listener,
            router,
            bus,
            databases: envs.into_iter().map(|env| env.db).collect(),
            keys,
            contexts: contexts.iter().map(|c| c.name).collect(),
            shutdown,
            config,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// The keys access tokens are verified with.
    pub fn keys(&self) -> KeyRing {
        self.keys.clone()
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    pub fn database(&self, context: &str) -> Option<&Db> {
        self.databases.iter().find(|db| db.context() == context)
    }

    /// Serves until `shutdown` resolves, then drains within `http.shutdown_grace_secs`.
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
            bus,
            databases,
            contexts,
            shutdown: background,
            ..
        } = self;
        bus.start();
        metrics::upkeep();
        let stop_accepting = CancellationToken::new();
        let server = tokio::spawn(http::serve(
            listener,
            router,
            stop_accepting.clone().cancelled_owned(),
        ));
        tracing::info!(
            url = %url,
            contexts = %contexts.join(","),
            storage = databases.first().map(|db| db.backend().dependency()).unwrap_or("none"),
            bus = bus.log().dependency(),
            "Campus Hub is ready at {url}"
        );
        shutdown.await;
        tracing::info!("shutting down: draining requests and event handlers");
        let deadline = Instant::now() + Duration::from_secs(config.http.shutdown_grace_secs);
        stop_accepting.cancel();
        match tokio::time::timeout_at(deadline, server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => tracing::error!(%error, "HTTP server failed"),
            Ok(Err(error)) => tracing::error!(%error, "HTTP server task failed"),
            Err(_) => tracing::warn!("requests still running at the deadline were cut off"),
        }
        background.cancel();
        let remaining = deadline.saturating_duration_since(Instant::now());
        if !bus.shutdown(remaining).await {
            tracing::warn!("event handlers still running at the deadline were cut off");
        }
        // A connection still held by work cut off at the deadline must not keep us up.
        let closing = futures::future::join_all(databases.iter().map(|db| db.close()));
        if tokio::time::timeout_at(deadline + Duration::from_secs(1), closing)
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use at the deadline were abandoned");
        }
        tracing::info!("stopped");
        Ok(())
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
    db.migrate(context.migrations).await?;
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
