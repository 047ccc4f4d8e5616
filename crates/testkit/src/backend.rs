//! The storage and bus backends a test can run on, and which of them this machine offers:
//! SQLite and the embedded log always, PostgreSQL and NATS JetStream when
//! `CAMPUS_TEST_POSTGRES_URL` / `CAMPUS_TEST_NATS_URL` name a server.

use std::fmt;

const POSTGRES_URL: &str = "CAMPUS_TEST_POSTGRES_URL";
const NATS_URL: &str = "CAMPUS_TEST_NATS_URL";
const REDIS_URL: &str = "CAMPUS_TEST_REDIS_URL";

/// Where a test's contexts keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Sqlite,
    Postgresql,
}

/// How a test's events travel from the publishing context to the consuming ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// The outbox tables themselves, read in process.
    Embedded,
    Nats,
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Storage::Sqlite => "sqlite",
            Storage::Postgresql => "postgresql",
        })
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Embedded => "embedded",
            Transport::Nats => "nats",
        })
    }
}

/// One storage × bus combination, with the servers it uses (none for SQLite and the
/// embedded log).
#[derive(Debug, Clone)]
pub struct Backend {
    /// An administrator's URL of the PostgreSQL server; each test gets its own database there.
    pub postgres: Option<String>,
    /// The NATS server; each test gets its own namespace of streams there.
    pub nats: Option<String>,
}

impl Backend {
    /// `storage` × `transport` with this machine's servers, or the name of the environment
    /// variable that would have to name one.
    pub fn on_this_machine(storage: Storage, transport: Transport) -> Result<Self, &'static str> {
        let postgres = match storage {
            Storage::Sqlite => None,
            Storage::Postgresql => Some(postgres_url().ok_or(POSTGRES_URL)?),
        };
        let nats = match transport {
            Transport::Embedded => None,
            Transport::Nats => Some(nats_url().ok_or(NATS_URL)?),
        };
        Ok(Self { postgres, nats })
    }

    pub fn storage(&self) -> Storage {
        match self.postgres {
            Some(_) => Storage::Postgresql,
            None => Storage::Sqlite,
        }
    }

    pub fn transport(&self) -> Transport {
        match self.nats {
            Some(_) => Transport::Nats,
            None => Transport::Embedded,
        }
    }
}

/// `sqlite+embedded`, `postgresql+nats`, …
impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.storage(), self.transport())
    }
}

/// The PostgreSQL server tests may create databases on, when there is one.
pub fn postgres_url() -> Option<String> {
    set(POSTGRES_URL)
}

/// The NATS server tests may create streams on, when there is one.
pub fn nats_url() -> Option<String> {
    set(NATS_URL)
}

/// The Redis server tests may share rate limits through, when there is one.
pub fn redis_url() -> Option<String> {
    set(REDIS_URL)
}

/// An unset and an empty variable both mean "not on this machine".
fn set(variable: &str) -> Option<String> {
    std::env::var(variable).ok().filter(|url| !url.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_is_named_storage_plus_transport() {
        let named = |postgres: Option<&str>, nats: Option<&str>| {
            Backend {
                postgres: postgres.map(str::to_owned),
                nats: nats.map(str::to_owned),
            }
            .to_string()
        };
        assert_eq!(named(None, None), "sqlite+embedded");
        assert_eq!(named(Some("postgres://db"), None), "postgresql+embedded");
        assert_eq!(named(None, Some("nats://bus")), "sqlite+nats");
        assert_eq!(
            named(Some("postgres://db"), Some("nats://bus")),
            "postgresql+nats"
        );
    }

    #[test]
    fn sqlite_and_the_embedded_log_run_everywhere() {
        let backend = Backend::on_this_machine(Storage::Sqlite, Transport::Embedded).unwrap();
        assert_eq!((backend.postgres, backend.nats), (None, None));
    }
}
