//! One test's isolated storage (a data directory, a PostgreSQL database, a NATS namespace),
//! shared by every app the test starts, and removed when the test ends, however it ends.

use std::{
    collections::BTreeSet,
    path::PathBuf,
    sync::{Mutex, PoisonError},
};

use campus_host::Application;
use campus_platform::{
    config::{BusConfig, Config, ConnectionUrl, SecretText},
    context::Context,
    id, telemetry,
};
use sqlx::{AnyConnection, Connection, Executor};

use crate::{Backend, TestApp};

/// Isolated storage for one test: a fresh data directory, PostgreSQL database and NATS
/// namespace, reused across restarts of the app within the test. Dropping it removes them all
/// (so a failing test leaves nothing behind); [`TestEnv::cleanup`] does the same without
/// blocking.
pub struct TestEnv {
    pub backend: Backend,
    /// What apps are built with; a test may change it before it starts one.
    pub config: Config,
    /// The administrator's URL and the name of the database made for this test.
    database: Option<(String, String)>,
    /// The streams of every app built here: its contexts' own and those they consume, which
    /// the bus creates on NATS too. `build` takes `&self`, hence the lock.
    streams: Mutex<BTreeSet<String>>,
    cleaned: bool,
}

impl TestEnv {
    pub async fn new(backend: &Backend) -> Self {
        telemetry::init_for_tests();
        let unique = id::new_id_string().to_lowercase();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: std::env::temp_dir().join(format!("campus-test-{unique}")),
            ..Config::default()
        };
        // Quick retries and polls, so tests of eventual effects wait milliseconds, not seconds.
        config.bus.retry_initial_ms = 10;
        config.bus.retry_max_ms = 200;
        config.bus.relay_poll_ms = 200;
        config.http.shutdown_grace_secs = 10;
        config.courses.view_window_secs = 1;
        let mut database = None;
        if let Some(admin_url) = &backend.postgres {
            let name = format!("campus_test_{unique}");
            let mut conn = connect_admin(admin_url)
                .await
                .expect("connect to PostgreSQL");
            conn.execute(sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\"")))
                .await
                .expect("create database");
            conn.close().await.ok();
            let url = with_database(admin_url, &name);
            config.database.url = Some(ConnectionUrl::new(url));
            config.database.max_connections = 4;
            // Processes sharing a database share the key that seals its secrets.
            config.secrets.key = Some(SecretText::new(base64_key()));
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
            streams: Mutex::new(BTreeSet::new()),
            cleaned: false,
        }
    }

    /// Builds the app (databases migrated, bus connected) without starting it.
    pub async fn build(&self, contexts: Vec<Context>) -> Application {
        self.build_with_pages(contexts, None).await
    }

    /// Builds the app, serving `pages` (the web application) around its API.
    pub async fn build_with_pages(
        &self,
        contexts: Vec<Context>,
        pages: Option<campus_platform::http::Pages>,
    ) -> Application {
        let app = Application::build_with_pages(self.config.clone(), contexts, pages)
            .await
            .expect("build app");
        let consumed = app.bus().consumers().iter().map(|c| c.spec.stream.clone());
        let own = app.contexts().iter().map(|name| (*name).to_owned());
        self.streams.lock().unwrap().extend(own.chain(consumed));
        app
    }

    /// Builds and starts the app.
    pub async fn start(&self, contexts: Vec<Context>) -> TestApp {
        TestApp::run(self.build(contexts).await)
    }

    /// Builds and starts the app with the web application's `pages`.
    pub async fn start_with_pages(
        &self,
        contexts: Vec<Context>,
        pages: campus_platform::http::Pages,
    ) -> TestApp {
        TestApp::run(self.build_with_pages(contexts, Some(pages)).await)
    }

    /// Streams a process outside the test made (one per context it ran), so that they are
    /// removed with the rest.
    pub fn made_streams<'a>(&self, contexts: impl IntoIterator<Item = &'a str>) {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(contexts.into_iter().map(str::to_owned));
    }

    /// Removes what the test created, now; dropping the env afterwards does nothing more.
    pub async fn cleanup(mut self) {
        self.leftovers().remove().await;
        self.cleaned = true;
    }

    fn leftovers(&self) -> Leftovers {
        Leftovers {
            data_dir: self.config.data_dir.clone(),
            database: self.database.clone(),
            nats: self
                .backend
                .nats
                .clone()
                .map(|url| (url, self.config.bus.clone())),
            streams: self
                .streams
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

impl Drop for TestEnv {
    /// A test that panicked (or just ended) without `cleanup` still removes its database,
    /// files and streams. Drop cannot await, and blocking on the test's own runtime from
    /// inside it would panic, so the removal runs on a runtime of its own in a thread.
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let leftovers = self.leftovers();
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(leftovers.remove());
            }
        });
        // Nothing here may panic: a second panic while a test unwinds aborts the whole run.
        let _ = removal.join();
    }
}

/// What a test leaves behind until it is removed.
struct Leftovers {
    data_dir: PathBuf,
    database: Option<(String, String)>,
    nats: Option<(String, BusConfig)>,
    streams: BTreeSet<String>,
}

impl Leftovers {
    /// Removes everything it can, ignoring what is already gone.
    async fn remove(self) {
        std::fs::remove_dir_all(&self.data_dir).ok();
        if let Some((admin_url, name)) = &self.database {
            if let Ok(mut conn) = connect_admin(admin_url).await {
                // FORCE: an app the failed test never stopped may still hold connections.
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                conn.execute(sqlx::raw_sql(&drop)).await.ok();
                conn.close().await.ok();
            }
        }
        if let Some((url, bus)) = &self.nats {
            if let Ok(log) = campus_bus::jetstream::JetStreamLog::connect(url, bus).await {
                let streams: Vec<&str> = self.streams.iter().map(String::as_str).collect();
                log.delete_streams(&streams).await;
            }
        }
    }
}

/// 32 random bytes in base64, as `openssl rand -base64 32` makes them.
fn base64_key() -> String {
    use base64::Engine as _;
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut bytes).unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn connect_admin(url: &str) -> sqlx::Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(url).await
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

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_test_database_replaces_the_administrators_one() {
        assert_eq!(
            with_database(
                "postgres://u@h:5432/postgres?sslmode=disable",
                "campus_test_x"
            ),
            "postgres://u@h:5432/campus_test_x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h/postgres", "t"),
            "postgres://h/t"
        );
    }
}
