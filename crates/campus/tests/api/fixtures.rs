//! Two small contexts that exist only to exercise the backbone: `ledger` publishes
//! `EntryMade` events, `tally` consumes them with a handler whose failures a test controls.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use async_trait::async_trait;
use axum::http::StatusCode;
use campus_platform::{
    context::{Context, ContextEnv, Running},
    db::{Db, UnitOfWork},
    events::{Envelope, Event, Handler, Subscription},
    http::Json,
    time, Error, Result,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use utoipa_axum::{router::OpenApiRouter, routes};

static LEDGER_MIGRATIONS: Migrator = sqlx::migrate!("tests/api/fixtures/migrations/ledger");
static TALLY_MIGRATIONS: Migrator = sqlx::migrate!("tests/api/fixtures/migrations/tally");

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, utoipa::ToSchema)]
pub struct EntryMade {
    pub account: String,
    pub seq: i64,
}

impl Event for EntryMade {
    const TYPE: &'static str = "campus.ledger.entry_made.v1";

    fn subject(&self) -> String {
        self.account.clone()
    }
}

/// An event no test consumer subscribes to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NoteMade {
    pub account: String,
}

impl Event for NoteMade {
    const TYPE: &'static str = "campus.ledger.note_made.v1";

    fn subject(&self) -> String {
        self.account.clone()
    }
}

pub fn ledger() -> Context {
    Context::new("ledger", &LEDGER_MIGRATIONS, |env: ContextEnv| async move {
        Ok(Running::new(
            OpenApiRouter::new()
                .routes(routes!(make_entry))
                .routes(routes!(wait))
                .with_state(env.db.clone()),
        ))
    })
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recorded {
    pub event_id: String,
    pub traceparent: Option<String>,
}

/// Records an entry; the test route through which events are made over HTTP.
#[utoipa::path(post, path = "/api/v1/ledger/entries", request_body = EntryMade,
    responses((status = 201, body = Recorded)))]
async fn make_entry(
    axum::extract::State(db): axum::extract::State<Db>,
    Json(entry): Json<EntryMade>,
) -> Result<(StatusCode, Json<Recorded>)> {
    if entry.account.len() > 40 {
        return Err(Error::invalid(
            "account",
            "too_long",
            "at most 40 characters",
        ));
    }
    let mut uow = db.begin().await?;
    let envelope = uow.record("school-1", &entry).await?;
    uow.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Recorded {
            event_id: envelope.id,
            traceparent: envelope.traceparent,
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct Wait {
    pub ms: u64,
}

/// Answers after `ms` milliseconds; for the request-timeout test.
#[utoipa::path(get, path = "/api/v1/ledger/wait", params(Wait), responses((status = 204)))]
async fn wait(axum::extract::Query(wait): axum::extract::Query<Wait>) -> StatusCode {
    tokio::time::sleep(std::time::Duration::from_millis(wait.ms)).await;
    StatusCode::NO_CONTENT
}

/// Records one entry in its own committed transaction, as a request would.
pub async fn record_entry(db: &Db, account: &str, seq: i64) -> Envelope {
    let mut uow = db.begin().await.expect("begin");
    let envelope = uow
        .record(
            "school-1",
            &EntryMade {
                account: account.to_owned(),
                seq,
            },
        )
        .await
        .expect("record");
    uow.commit().await.expect("commit");
    envelope
}

/// Records a note, an event the tally does not subscribe to.
pub async fn record_note(db: &Db, account: &str) {
    let mut uow = db.begin().await.expect("begin");
    uow.record(
        "school-1",
        &NoteMade {
            account: account.to_owned(),
        },
    )
    .await
    .expect("record");
    uow.commit().await.expect("commit");
}

/// What the tally handler does, set by each test.
#[derive(Default)]
pub struct TallyBehaviour {
    /// Every call fails while set.
    pub broken: AtomicBool,
    /// How many more times the handler fails for an (account, seq) before succeeding.
    pub failures: Mutex<HashMap<(String, i64), u32>>,
    pub calls: AtomicU64,
    ordinal: AtomicI64,
}

impl TallyBehaviour {
    pub fn fail_times(&self, account: &str, seq: i64, times: u32) {
        self.failures
            .lock()
            .unwrap()
            .insert((account.to_owned(), seq), times);
    }
}

struct Tally(Arc<TallyBehaviour>);

#[async_trait]
impl Handler for Tally {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let entry: EntryMade = event.data_as()?;
        self.0.calls.fetch_add(1, Ordering::SeqCst);
        if self.0.broken.load(Ordering::SeqCst) {
            anyhow::bail!("the tally is broken");
        }
        {
            let mut failures = self.0.failures.lock().unwrap();
            if let Some(left) = failures.get_mut(&(entry.account.clone(), entry.seq)) {
                if *left > 0 {
                    *left -= 1;
                    anyhow::bail!("a transient failure");
                }
            }
        }
        sqlx::query(
            "INSERT INTO tally_entries (event_id, account, seq, handled_at, ordinal) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&event.id)
        .bind(&entry.account)
        .bind(entry.seq)
        .bind(time::now_ms())
        .bind(self.0.ordinal.fetch_add(1, Ordering::SeqCst))
        .execute(uow.conn())
        .await?;
        Ok(())
    }
}

pub fn tally(behaviour: Arc<TallyBehaviour>) -> Context {
    Context::new("tally", &TALLY_MIGRATIONS, move |_| {
        let tally = Tally(behaviour.clone());
        async move {
            Ok(
                Running::new(OpenApiRouter::new()).subscribe(Subscription::new(
                    "entries",
                    vec![EntryMade::TYPE],
                    tally,
                )),
            )
        }
    })
}

/// A second subscription of the tally that follows `entries`: for each entry it notes whether
/// `entries` had already committed it when this one was handed the event.
#[derive(Default)]
pub struct Follower {
    seen: Mutex<Vec<(i64, bool)>>,
}

impl Follower {
    /// `(seq, whether the leader had it)` for each entry, in handling order.
    pub fn seen(&self) -> Vec<(i64, bool)> {
        self.seen.lock().unwrap().clone()
    }
}

struct Following(Arc<Follower>);

#[async_trait]
impl Handler for Following {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let entry: EntryMade = event.data_as()?;
        let (had,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM tally_entries WHERE event_id = $1")
                .bind(&event.id)
                .fetch_one(uow.conn())
                .await?;
        self.0.seen.lock().unwrap().push((entry.seq, had == 1));
        Ok(())
    }
}

/// The tally with a follower of its `entries` subscription.
pub fn tally_followed(behaviour: Arc<TallyBehaviour>, follower: Arc<Follower>) -> Context {
    Context::new("tally", &TALLY_MIGRATIONS, move |_| {
        let tally = Tally(behaviour.clone());
        let following = Following(follower.clone());
        async move {
            Ok(Running::new(OpenApiRouter::new())
                .subscribe(Subscription::new("entries", vec![EntryMade::TYPE], tally))
                .subscribe(
                    Subscription::new("follower", vec![EntryMade::TYPE], following)
                        .after("entries"),
                ))
        }
    })
}

/// The entries the tally holds, in handling order.
pub async fn tallied(db: &Db) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT account, seq FROM tally_entries ORDER BY ordinal")
        .fetch_all(db.pool())
        .await
        .expect("read tally")
}
