//! The test harness: backends, a running app, tokens, and waiting for eventual effects.

pub mod people;
pub mod proxy;
pub mod smtp;

use std::{fmt, future::Future, time::Duration};

use campus_host::Application;
use campus_platform::{
    auth::{Claims, Role},
    config::{Config, ConnectionUrl},
    context::Context,
    id, telemetry,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use sqlx::{AnyConnection, Connection, Executor};
use tokio::{sync::oneshot, task::JoinHandle};

/// One storage × bus combination.
#[derive(Clone)]
pub struct Backend {
    pub postgres: Option<String>,
    pub nats: Option<String>,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let storage = if self.postgres.is_some() {
            "postgresql"
        } else {
            "sqlite"
        };
        let bus = if self.nats.is_some() {
            "nats"
        } else {
            "embedded"
        };
        write!(f, "{storage}+{bus}")
    }
}

/// Every combination this machine can run: SQLite and the embedded log always, PostgreSQL
/// and NATS when their URLs are set.
pub fn backends() -> Vec<Backend> {
    let postgres = std::env::var("CAMPUS_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let nats = std::env::var("CAMPUS_TEST_NATS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let mut all = vec![Backend {
        postgres: None,
        nats: None,
    }];
    if let Some(pg) = &postgres {
        all.push(Backend {
            postgres: Some(pg.clone()),
            nats: None,
        });
    }
    if let Some(nats) = &nats {
        all.push(Backend {
            postgres: None,
            nats: Some(nats.clone()),
        });
    }
    if let (Some(pg), Some(nats)) = (&postgres, &nats) {
        all.push(Backend {
            postgres: Some(pg.clone()),
            nats: Some(nats.clone()),
        });
    }
    all
}

pub fn postgres_url() -> Option<String> {
    std::env::var("CAMPUS_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub fn redis_url() -> Option<String> {
    std::env::var("CAMPUS_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub fn nats_url() -> Option<String> {
    std::env::var("CAMPUS_TEST_NATS_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Isolated storage for one test: a fresh data directory, PostgreSQL database and NATS
/// namespace, reused across restarts of the app within the test.
pub struct TestEnv {
    pub backend: Backend,
    pub config: Config,
    database: Option<(String, String)>,
}

impl TestEnv {
    pub async fn new(backend: &Backend) -> Self {
        telemetry::init_for_tests();
        let unique = id::new_id_string().to_lowercase();
        let mut config = Config::default();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.data_dir = std::env::temp_dir().join(format!("campus-test-{unique}"));
        config.bus.retry_initial_ms = 10;
        config.bus.retry_max_ms = 200;
        config.bus.relay_poll_ms = 200;
        config.http.shutdown_grace_secs = 10;
        let mut database = None;
        if let Some(admin_url) = &backend.postgres {
            let name = format!("campus_test_{unique}");
            let mut conn = connect_admin(admin_url).await;
            conn.execute(sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\"")))
                .await
                .expect("create database");
            conn.close().await.ok();
            let url = with_database(admin_url, &name);
            config.database.url = Some(ConnectionUrl::new(url));
            config.database.max_connections = 4;
            database = Some((admin_url.clone(), name));
        }
        if let Some(nats) = &backend.nats {
            config.bus.url = Some(ConnectionUrl::new(nats.clone()));
            config.bus.namespace = format!("t{unique}");
        }
        Self {
            backend: backend.clone(),
            config,
            database,
        }
    }

    /// Builds the app (databases migrated, bus connected) without starting it.
    pub async fn build(&self, contexts: Vec<Context>) -> Application {
        Application::build(self.config.clone(), contexts)
            .await
            .expect("build app")
    }

    pub async fn start(&self, contexts: Vec<Context>) -> TestApp {
        TestApp::run(self.build(contexts).await)
    }

    /// Drops what the test created.
    pub async fn cleanup(self) {
        std::fs::remove_dir_all(&self.config.data_dir).ok();
        if let Some((admin_url, name)) = self.database {
            let mut conn = connect_admin(&admin_url).await;
            conn.execute(sqlx::raw_sql(&format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .await
            .ok();
            conn.close().await.ok();
        }
        if let Some(url) = &self.backend.nats {
            if let Ok(log) =
                campus_bus::jetstream::JetStreamLog::connect(url, &self.config.bus).await
            {
                log.delete_streams(&["identity", "courses", "ledger", "tally"])
                    .await;
            }
        }
    }
}

async fn connect_admin(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(url)
        .await
        .expect("connect to PostgreSQL")
}

/// `postgres://host/db?x` with `db` replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let server = base
        .rsplit_once('/')
        .map(|(server, _)| server)
        .unwrap_or(base);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A running app and an HTTP client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub bus: campus_bus::Bus,
    databases: Vec<campus_platform::db::Db>,
    /// The test signing key (PKCS#8), whose public half is in `keys`.
    signing_key: Vec<u8>,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub fn run(app: Application) -> Self {
        let address = format!("http://{}", app.address());
        let keys = app.keys();
        let bus = app.bus().clone();
        let databases = ["identity", "courses", "ledger", "tally"]
            .iter()
            .filter_map(|c| app.database(c).cloned())
            .collect();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let signing = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        keys.insert_ed25519("test-key", signing.public_key().as_ref());
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            address,
            client: reqwest::Client::new(),
            bus,
            databases,
            signing_key: pkcs8.as_ref().to_vec(),
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    pub fn db(&self, context: &str) -> &campus_platform::db::Db {
        self.databases
            .iter()
            .find(|db| db.context() == context)
            .expect("context runs")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A valid access token for a new user of `role` in school `school`.
    pub fn token(&self, role: Role, school: &str) -> String {
        self.token_for(&id::new_id_string(), role, school)
    }

    /// A valid access token (signed with the test key) naming `user` in `school`.
    pub fn token_for(&self, user: &str, role: Role, school: &str) -> String {
        let now = campus_platform::time::now_ms() / 1000;
        let claims = Claims {
            sub: user.to_owned(),
            school: school.to_owned(),
            role,
            exp: now + 300,
            iat: now,
            jti: id::new_id_string(),
            typ: "access".to_owned(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("test-key".to_owned());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_ed_der(&self.signing_key),
        )
        .unwrap()
    }

    pub fn super_admin(&self) -> String {
        self.token(Role::SuperAdmin, "platform")
    }

    /// Graceful shutdown, as on SIGTERM; fails the test if it does not finish in time.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(12), handle)
                .await
                .expect("shutdown within the grace period")
                .expect("app task")
                .expect("app stopped cleanly");
        }
    }
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
