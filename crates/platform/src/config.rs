//! The one typed configuration of a Campus Hub process.
//!
//! Sources, later ones winning: built-in defaults, `campus.toml` (or the file named by
//! `CAMPUS_CONFIG`), `CAMPUS_*` environment variables (`__` separates sections, so
//! `CAMPUS_DATABASE__URL` sets `database.url`), then command-line flags. Every setting is
//! described in `docs/configuration.md`; a bad one stops start-up with a message that names it.

use std::{fmt, net::SocketAddr, path::PathBuf};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the embedded shape keeps its SQLite files, outgoing mail and uploads.
    pub data_dir: PathBuf,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// The address users reach this deployment at (behind a proxy, the proxy's address).
    pub public_url: Option<String>,
    /// Contexts this process runs; empty means all of them (the single-process shape).
    pub contexts: Vec<String>,
    pub database: DatabaseConfig,
    pub bus: BusConfig,
    pub http: HttpConfig,
    pub log: LogConfig,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub mail: MailConfig,
    pub signup: SignupConfig,
    pub redis: RedisConfig,
    pub metrics: MetricsConfig,
    pub secrets: SecretsConfig,
    pub files: FilesConfig,
    pub push: PushConfig,
    pub search: SearchConfig,
    pub courses: CoursesConfig,
}

/// The courses context.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoursesConfig {
    /// Course views are tallied in memory and sent as one event per course this often
    /// (seconds, at least 1); a process killed outright loses at most one window of views.
    pub view_window_secs: u64,
}

impl Default for CoursesConfig {
    fn default() -> Self {
        Self {
            view_window_secs: 15,
        }
    }
}

/// The search context's full-text index, kept on the local disk of each process running it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// The folder of this process's index; unset, `<data_dir>/search-index`. Each process
    /// running search needs its own (the index is rebuilt from the database when empty).
    pub index_dir: Option<PathBuf>,
    /// Memory the indexer buffers documents in before writing a segment, in megabytes
    /// (at least 15).
    pub writer_memory_mb: u64,
    /// While changes keep coming, the least time between two commits of the index, in
    /// milliseconds: each commit writes a segment and sets up the next, so under a stream of
    /// changes fewer, larger commits cost the processors less. A change after a quiet spell
    /// longer than this is committed at once. Searches see a change at most this much later.
    pub refresh_ms: u64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            index_dir: None,
            writer_memory_mb: 64,
            refresh_ms: 250,
        }
    }
}

impl SearchConfig {
    /// The index folder for a process whose data directory is `data_dir`.
    pub fn index_dir(&self, data_dir: &std::path::Path) -> PathBuf {
        self.index_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("search-index"))
    }
}

/// Web Push: where the server may deliver browser notifications.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// Push services a browser subscription may name, by host (`*.` matches any subdomain).
    /// The server posts to the endpoint a browser gives, so only these are accepted: another
    /// address could aim the server at the school's own network. Endpoints must be `https`,
    /// except on `localhost` and `127.0.0.1` when listed here (a local test push service).
    pub allowed_hosts: Vec<String>,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            // The push services of Chrome, Edge, Firefox and Safari.
            allowed_hosts: [
                "fcm.googleapis.com",
                "*.notify.windows.com",
                "updates.push.services.mozilla.com",
                "*.push.apple.com",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignupConfig {
    /// Who may create a school with `POST /api/v1/schools`: anyone (`open`) or only super
    /// admins (`super_admin`).
    pub schools: SchoolSignup,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchoolSignup {
    #[default]
    Open,
    SuperAdmin,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp://user:password@host:587` (STARTTLS) or `smtps://…:465`; unset writes each message
    /// as an `.eml` file under `<data_dir>/mail` and logs its link.
    pub smtp_url: Option<ConnectionUrl>,
    /// The sender, e.g. `Campus Hub <no-reply@school.example>`.
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Campus Hub <no-reply@localhost>".to_owned(),
        }
    }
}

/// The key that seals secrets at rest (see `platform::sealing`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// 32 random bytes in base64 (`openssl rand -base64 32`). Unset in the embedded shape, a
    /// key is generated in `<data_dir>/secrets.key`; the distributed shape requires it.
    pub key: Option<SecretText>,
    /// Keys secrets were sealed with before: they still open, and are re-sealed with `key`.
    pub previous_keys: Vec<SecretText>,
}

/// Where uploaded files are kept (see `platform::files`): a folder, or an S3-compatible bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    /// Largest upload (a `multipart/form-data` request) any route accepts; each route's own
    /// limit (an assignment's maximum file size) is usually smaller and is enforced while the
    /// bytes arrive. Other requests keep `http.body_limit_bytes`.
    pub upload_limit_bytes: u64,
    /// The bucket; set, files go to S3 (or any S3-compatible store) instead of
    /// `<data_dir>/files`.
    pub s3_bucket: Option<String>,
    /// The region (default `us-east-1`, which S3-compatible servers accept).
    pub s3_region: Option<String>,
    /// The server, for S3-compatible stores (MinIO, Ceph, Garage): `https://s3.school.example`.
    /// Unset, Amazon S3.
    pub s3_endpoint: Option<String>,
    pub s3_access_key_id: Option<SecretText>,
    pub s3_secret_access_key: Option<SecretText>,
    /// Allow an `http://` endpoint (only for a store on this machine or a private network).
    pub s3_allow_http: bool,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            upload_limit_bytes: 100 * 1024 * 1024,
            s3_bucket: None,
            s3_region: None,
            s3_endpoint: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
        }
    }
}

/// Where Prometheus scrapes `/metrics`, and what it must show.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` on this address only (for example a port only the monitoring network
    /// reaches) instead of beside the API.
    pub listen: Option<SocketAddr>,
    /// Require `Authorization: Bearer <token>` on `/metrics`.
    pub token: Option<SecretText>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:6379[/db]`: credential rate limits are counted there, and
    /// presence, ended sessions and cache forgets pass through it, so every process of an
    /// installation shares them. Unset, each process counts and remembers on its own.
    pub url: Option<ConnectionUrl>,
    /// Prefix of every key, so several installations can share one Redis.
    pub key_prefix: String,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            key_prefix: "campus".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Where a process that does not run the identity context fetches the public keys access
    /// tokens are signed with, e.g. `https://identity.internal/.well-known/jwks.json`.
    /// Unset, it is `<public_url>/.well-known/jwks.json`. Unused where identity runs.
    pub jwks_url: Option<String>,
    /// Fetch the keys over plain `http://` from a host other than this machine. Off: anyone
    /// on the path of a plain answer could add keys of their own and sign any token, so
    /// `jwks_url` must be `https://` unless it names a loopback address. Turn on only where
    /// nobody else can reach the network between the processes.
    pub allow_plain_http_jwks: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…` for the distributed shape; unset means one SQLite file per context.
    pub url: Option<ConnectionUrl>,
    /// On PostgreSQL: one schema per context in the database (`schema`), or one database per
    /// context named `<database>_<context>` (`database`).
    pub layout: DatabaseLayout,
    /// Pool size per context.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    pub acquire_timeout_secs: u64,
    /// SQLite's `synchronous` pragma. `normal` (WAL) survives a crash of the process; `full`
    /// also survives a power cut, at the price of a disk flush on every commit.
    pub sqlite_synchronous: SqliteSynchronous,
    /// How large a SQLite file's write-ahead log may grow, in MiB, while writes and reads never
    /// pause long enough for it to start over; then writers wait a moment while it restarts.
    pub sqlite_log_limit_mib: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSynchronous {
    Normal,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseLayout {
    Schema,
    Database,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// `nats://…` for NATS JetStream; unset means the embedded event log.
    pub url: Option<ConnectionUrl>,
    /// Prefix of NATS subjects and stream names, so deployments can share a NATS cluster.
    pub namespace: String,
    /// Handler attempts before an event is parked for an administrator.
    pub max_attempts: u32,
    /// First retry delay; each further attempt doubles it, up to `retry_max_ms`.
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    /// Outbox rows the relay moves per round trip.
    pub relay_batch: u32,
    /// How often the relay looks for rows committed by other processes.
    pub relay_poll_ms: u64,
    /// How long published events are kept (embedded log and JetStream streams).
    pub retention_hours: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// A request still running after this long is answered with 408.
    pub request_timeout_secs: u64,
    /// Largest accepted request body; larger ones are answered with 413.
    pub body_limit_bytes: usize,
    /// Browser origins allowed to call the API cross-origin; empty allows none.
    pub cors_origins: Vec<String>,
    /// How long a graceful shutdown waits for in-flight work before giving up.
    pub shutdown_grace_secs: u64,
    /// Requests a minute one client address may make to credential endpoints (sign-in,
    /// registration, refresh, password reset).
    pub credential_requests_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` is believed when finding a client's address.
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `auto` (pretty in a terminal, JSON otherwise), `pretty` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `info,campus_bus=debug`; `RUST_LOG` wins when set.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Auto,
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// OTLP/HTTP endpoint traces are exported to, e.g. `http://127.0.0.1:4318`; unset exports
    /// nothing (trace ids are still made and carried through requests and events).
    pub otlp_endpoint: Option<ConnectionUrl>,
    pub service_name: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./campus-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            contexts: Vec::new(),
            database: DatabaseConfig::default(),
            bus: BusConfig::default(),
            http: HttpConfig::default(),
            log: LogConfig::default(),
            telemetry: TelemetryConfig::default(),
            auth: AuthConfig::default(),
            mail: MailConfig::default(),
            signup: SignupConfig::default(),
            redis: RedisConfig::default(),
            metrics: MetricsConfig::default(),
            secrets: SecretsConfig::default(),
            files: FilesConfig::default(),
            push: PushConfig::default(),
            search: SearchConfig::default(),
            courses: CoursesConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            layout: DatabaseLayout::Schema,
            max_connections: 8,
            acquire_timeout_secs: 5,
            sqlite_synchronous: SqliteSynchronous::Normal,
            sqlite_log_limit_mib: 1024,
        }
    }
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            url: None,
            namespace: "campus".to_owned(),
            max_attempts: 8,
            retry_initial_ms: 100,
            retry_max_ms: 30_000,
            relay_batch: 256,
            relay_poll_ms: 1_000,
            retention_hours: 168,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            request_timeout_secs: 30,
            body_limit_bytes: 2 * 1024 * 1024,
            cors_origins: Vec::new(),
            shutdown_grace_secs: 10,
            credential_requests_per_minute: 300,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Auto,
            filter: "info".to_owned(),
        }
    }
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: "campus".to_owned(),
        }
    }
}

/// A setting that stops start-up: which one, what is wrong, and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {message}")]
pub struct ConfigError {
    pub message: String,
}

impl ConfigError {
    fn setting(name: &str, problem: impl fmt::Display, fix: &str) -> Self {
        Self {
            message: format!("`{name}` {problem}; {fix}"),
        }
    }
}

impl Config {
    /// Loads defaults, the config file, `CAMPUS_*` variables and then `overrides` (the
    /// command-line flags, already in the shape of this struct), and validates the result.
    pub fn load(overrides: impl Serialize) -> Result<Self, ConfigError> {
        // `campus.toml` in the working directory is optional; a file named explicitly must exist.
        let file = match std::env::var("CAMPUS_CONFIG") {
            Ok(path) if !std::path::Path::new(&path).is_file() => {
                return Err(ConfigError {
                    message: format!(
                        "`CAMPUS_CONFIG` names `{path}`, which is not a readable file"
                    ),
                })
            }
            Ok(path) => Some(path),
            Err(_) => std::path::Path::new("campus.toml")
                .is_file()
                .then(|| "campus.toml".to_owned()),
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        let figment = figment
            .merge(Self::environment())
            .merge(Serialized::defaults(overrides));
        let config: Config = figment.extract().map_err(|error| ConfigError {
            message: describe(error),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// `CAMPUS_*` variables naming a section or setting of this struct. Others are left
    /// alone: orchestrators inject variables such as `CAMPUS_PORT` for a service named
    /// `campus`, and those must not stop start-up. Within a section, an unknown key is still
    /// an error, so a typo such as `CAMPUS_DATABASE__URLL` is caught.
    fn environment() -> Env {
        let settings = top_level_settings();
        Env::prefixed("CAMPUS_").split("__").filter(move |key| {
            let key = key.as_str().to_ascii_lowercase();
            let top = key.split('.').next().unwrap_or_default();
            settings.iter().any(|setting| setting == top)
        })
    }

    /// Checks what types alone cannot: schemes, ranges and combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database.url {
            if !(url.0.starts_with("postgres://") || url.0.starts_with("postgresql://")) {
                return Err(ConfigError::setting(
                    "database.url",
                    format!("must be a postgres:// URL, got `{url}`"),
                    "leave it unset for the embedded SQLite files",
                ));
            }
        }
        if let Some(url) = &self.bus.url {
            if !url.0.starts_with("nats://") {
                return Err(ConfigError::setting(
                    "bus.url",
                    format!("must be a nats:// URL, got `{url}`"),
                    "leave it unset for the embedded event log",
                ));
            }
        }
        if let Some(url) = &self.redis.url {
            if !url.0.starts_with("redis://") {
                return Err(ConfigError::setting(
                    "redis.url",
                    format!("must be a redis:// URL, got `{url}`"),
                    "leave it unset to count rate limits in each process",
                ));
            }
        }
        if self.bus.namespace.is_empty()
            || !self
                .bus
                .namespace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(ConfigError::setting(
                "bus.namespace",
                format!(
                    "must be lowercase letters, digits and underscores, got `{}`",
                    self.bus.namespace
                ),
                "for example `campus` or `campus_staging`",
            ));
        }
        let positive = [
            (
                "database.max_connections",
                u64::from(self.database.max_connections),
            ),
            (
                "database.acquire_timeout_secs",
                self.database.acquire_timeout_secs,
            ),
            (
                "database.sqlite_log_limit_mib",
                self.database.sqlite_log_limit_mib,
            ),
            ("bus.max_attempts", u64::from(self.bus.max_attempts)),
            ("bus.retry_initial_ms", self.bus.retry_initial_ms),
            ("bus.relay_batch", u64::from(self.bus.relay_batch)),
            ("bus.relay_poll_ms", self.bus.relay_poll_ms),
            ("bus.retention_hours", self.bus.retention_hours),
            ("http.shutdown_grace_secs", self.http.shutdown_grace_secs),
            (
                "http.credential_requests_per_minute",
                u64::from(self.http.credential_requests_per_minute),
            ),
            ("http.request_timeout_secs", self.http.request_timeout_secs),
            ("http.body_limit_bytes", self.http.body_limit_bytes as u64),
            ("courses.view_window_secs", self.courses.view_window_secs),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(ConfigError::setting(
                    name,
                    "must be greater than 0",
                    "raise it",
                ));
            }
        }
        if self.bus.relay_batch > 1000 {
            return Err(ConfigError::setting(
                "bus.relay_batch",
                format!("is {}, more than 1000", self.bus.relay_batch),
                "larger batches gain nothing and exceed statement parameter limits",
            ));
        }
        if self.bus.retry_max_ms < self.bus.retry_initial_ms {
            return Err(ConfigError::setting(
                "bus.retry_max_ms",
                "is smaller than bus.retry_initial_ms",
                "make it at least as large",
            ));
        }
        if let Some(endpoint) = &self.files.s3_endpoint {
            let plain = endpoint.starts_with("http://");
            if !plain && !endpoint.starts_with("https://") {
                return Err(ConfigError::setting(
                    "files.s3_endpoint",
                    "is not an http(s) address",
                    "give the store's address, such as https://s3.school.example",
                ));
            }
            if plain && !self.files.s3_allow_http {
                return Err(ConfigError::setting(
                    "files.s3_endpoint",
                    "is plain http, which would send files and signatures unencrypted",
                    "use https, or set files.s3_allow_http for a store on a private network",
                ));
            }
        }
        if self.files.s3_bucket.is_some()
            != (self.files.s3_access_key_id.is_some() && self.files.s3_secret_access_key.is_some())
        {
            return Err(ConfigError::setting(
                "files.s3_bucket",
                "needs files.s3_access_key_id and files.s3_secret_access_key (and they need it)",
                "set all three, or none to keep files under the data directory",
            ));
        }
        for proxy in &self.http.trusted_proxies {
            if proxy.parse::<std::net::IpAddr>().is_err() {
                return Err(ConfigError::setting(
                    "http.trusted_proxies",
                    format!("holds `{proxy}`, which is not an IP address"),
                    "list the proxies' addresses, e.g. [\"10.0.0.5\"]",
                ));
            }
        }
        for origin in &self.http.cors_origins {
            if origin.parse::<http::HeaderValue>().is_err()
                || !(origin.starts_with("http://") || origin.starts_with("https://"))
            {
                return Err(ConfigError::setting(
                    "http.cors_origins",
                    format!("holds `{origin}`, which is not an origin"),
                    "write origins as https://host[:port]",
                ));
            }
        }
        if let Some(url) = &self.mail.smtp_url {
            if !(url.expose().starts_with("smtp://") || url.expose().starts_with("smtps://")) {
                return Err(ConfigError::setting(
                    "mail.smtp_url",
                    format!("must be an smtp:// or smtps:// URL, got `{url}`"),
                    "leave it unset to write messages as files",
                ));
            }
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::setting(
                "mail.from",
                format!("is not an address, got `{}`", self.mail.from),
                "write it as `Name <address@host>`",
            ));
        }
        if let Some(url) = &self.auth.jwks_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::setting(
                    "auth.jwks_url",
                    format!("must be an http:// or https:// URL, got `{url}`"),
                    "point it at the identity service's /.well-known/jwks.json",
                ));
            }
        }
        if let Some(token) = &self.metrics.token {
            if token.expose().len() < 16 {
                return Err(ConfigError::setting(
                    "metrics.token",
                    "is shorter than 16 characters".to_owned(),
                    "use a long random value, e.g. `openssl rand -hex 24`",
                ));
            }
        }
        if self
            .metrics
            .listen
            .is_some_and(|address| address == self.listen)
        {
            return Err(ConfigError::setting(
                "metrics.listen",
                "is the same address as listen".to_owned(),
                "give metrics a port of its own, or leave it unset to serve /metrics beside the API",
            ));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::setting(
                    "public_url",
                    format!("must start with http:// or https://, got `{url}`"),
                    "write the full address users open",
                ));
            }
        }
        Ok(())
    }

    /// Where to fetch the token-signing public keys when identity runs elsewhere.
    pub fn jwks_url(&self) -> String {
        self.auth
            .jwks_url
            .clone()
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", self.public_url()))
    }

    /// The address users should open, for log lines and links in emails.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Whether `name` runs in this process.
    pub fn runs(&self, context: &str) -> bool {
        self.contexts.is_empty() || self.contexts.iter().any(|c| c == context)
    }

    /// The effective configuration as TOML, secrets masked, for `campus config`.
    pub fn to_masked_toml(&self) -> String {
        toml_text(self)
    }
}

fn toml_text(config: &Config) -> String {
    // `ConnectionUrl` serializes masked, so this text never holds a password. Unset settings
    // are left out, as TOML has no null.
    toml::to_string_pretty(config)
        .unwrap_or_else(|error| format!("# could not render configuration: {error}\n"))
}

/// Figment's message names the key and the source it came from; keep it, say what to do.
fn describe(error: figment::Error) -> String {
    let mut lines = Vec::new();
    for error in error {
        let key = error.path.join(".");
        // figment's own text already says which file or variable the value came from.
        lines.push(if key.is_empty() {
            error.to_string()
        } else {
            format!("`{key}`: {error}")
        });
    }
    lines.join("; ")
}

/// A secret setting (a token, a key) that never appears in logs or printed configuration.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The real value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl Serialize for SecretText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("********")
    }
}

/// A connection URL whose password never appears in logs or printed configuration.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ConnectionUrl(String);

impl ConnectionUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The real URL, for the one place that connects with it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn masked(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return "********".into();
        };
        // The host starts after the last '@' (a password may itself contain '@').
        let (userinfo, host) = match rest.rsplit_once('@') {
            Some((userinfo, host)) => (Some(userinfo), host),
            None => (None, rest),
        };
        // Query parameters such as `password=` or `token=` are secrets too.
        let host = match host.split_once('?') {
            Some((address, query)) => {
                let query: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((name, _)) if is_secret_parameter(name) => format!("{name}=********"),
                        _ => pair.to_owned(),
                    })
                    .collect();
                format!("{address}?{}", query.join("&"))
            }
            None => host.to_owned(),
        };
        match userinfo {
            // user:password@ keeps the user; a lone token@ is all secret.
            Some(userinfo) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:********@{host}"),
                None => format!("{scheme}://********@{host}"),
            },
            None => format!("{scheme}://{host}"),
        }
    }
}

fn is_secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "pass", "token", "secret", "key", "sslpassword"]
        .iter()
        .any(|s| name.contains(s))
}

impl fmt::Debug for ConnectionUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for ConnectionUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for ConnectionUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

/// The names of the top-level settings and sections, read off the struct itself so that a new
/// section can be set from the environment like every other.
fn top_level_settings() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_can_be_set_from_the_environment() {
        let settings = top_level_settings();
        for section in [
            "data_dir",
            "listen",
            "public_url",
            "contexts",
            "database",
            "bus",
            "http",
            "log",
            "telemetry",
            "auth",
            "mail",
            "signup",
            "redis",
            "metrics",
            "secrets",
            "files",
            "push",
            "search",
        ] {
            assert!(
                settings.iter().any(|s| s == section),
                "{section} in {settings:?}"
            );
        }
    }

    #[test]
    fn a_connection_url_never_prints_its_password() {
        let url = ConnectionUrl::new("postgres://campus:hunter2@db:5432/campus");
        assert_eq!(url.to_string(), "postgres://campus:********@db:5432/campus");
        assert!(!format!("{url:?}").contains("hunter2"));
        let mut config = Config::default();
        config.database.url = Some(url);
        assert!(!config.to_masked_toml().contains("hunter2"));
        assert!(config.to_masked_toml().contains("[database]"));
    }

    #[test]
    fn tokens_and_query_secrets_are_masked_too() {
        let token = ConnectionUrl::new("nats://s3cr3t@nats:4222");
        assert_eq!(token.to_string(), "nats://********@nats:4222");
        let query = ConnectionUrl::new("postgres://db/campus?user=campus&password=hunter2");
        assert_eq!(
            query.to_string(),
            "postgres://db/campus?user=campus&password=********"
        );
        let at_sign = ConnectionUrl::new("postgres://campus:p@ss@db/campus");
        assert_eq!(at_sign.to_string(), "postgres://campus:********@db/campus");
    }

    #[test]
    fn a_wrong_scheme_names_the_setting() {
        let mut config = Config::default();
        config.bus.url = Some(ConnectionUrl::new("redis://localhost"));
        let message = config.validate().unwrap_err().to_string();
        assert!(message.contains("bus.url"), "{message}");
        let mut config = Config::default();
        config.redis.url = Some(ConnectionUrl::new("nats://localhost"));
        let message = config.validate().unwrap_err().to_string();
        assert!(message.contains("redis.url"), "{message}");
        config.redis.url = Some(ConnectionUrl::new("redis://:secret@localhost:6379/0"));
        config.validate().unwrap();
    }

    #[test]
    fn zero_where_a_count_is_needed_names_the_setting() {
        let mut config = Config::default();
        config.bus.max_attempts = 0;
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("bus.max_attempts"));
    }

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn an_s3_store_needs_its_credentials_and_https() {
        let mut config = Config::default();
        config.files.s3_bucket = Some("campus-files".into());
        let missing = config.validate().unwrap_err().to_string();
        assert!(missing.contains("files.s3_bucket"), "{missing}");
        config.files.s3_access_key_id = Some(SecretText::new("id"));
        config.files.s3_secret_access_key = Some(SecretText::new("hunter2"));
        config.validate().unwrap();
        config.files.s3_endpoint = Some("http://10.0.0.5:9000".into());
        let plain = config.validate().unwrap_err().to_string();
        assert!(plain.contains("files.s3_allow_http"), "{plain}");
        config.files.s3_allow_http = true;
        config.validate().unwrap();
        assert!(!config.to_masked_toml().contains("hunter2"));
    }
}
