//! The search context: find any course, lesson, post, comment or person of the school, as
//! you type, in English and Spanish, and a conversation's messages for its members.
//!
//! Search never reads another context's tables. Its listeners turn the other contexts'
//! events into rows of its documents table (with who may find each), and each process
//! running search keeps a full-text index (tantivy) on its own disk as a copy of that table,
//! following it by a change counter. The index can be deleted and rebuilt at any time; a
//! restart resumes from the position committed with it.
//!
//! Rooms: `domain` (kinds, audiences, languages, typo distance; no I/O), `listeners/` (events
//! → documents), `documents` (the table), `index/` (tantivy: fields, analyzers, asking),
//! `indexer` (following the table, rebuilding), `reach` (what a searcher may reach),
//! `routes` (the API) and `trending`.

pub(crate) mod documents;
pub(crate) mod domain;
pub(crate) mod index;
pub(crate) mod indexer;
pub(crate) mod listeners;
pub(crate) mod reach;
pub(crate) mod routes;
pub(crate) mod trending;

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use campus_platform::{
    config::Config,
    context::{Context, ContextEnv, Running},
    db::Db,
    id,
    people::People,
    tasks::Task,
    time,
};
use sqlx::migrate::Migrator;

use crate::{
    index::SearchIndex,
    indexer::{IndexReadiness, Indexer, Wake, ALIVE_WITHIN_MS},
};

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// How often trending's counts older than a week are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60 * 60);

/// What every search handler is given.
#[derive(Clone)]
pub(crate) struct Search(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub people: People,
    pub index: Arc<SearchIndex>,
    /// Recent searchers' places and blocks.
    pub reaches: reach::Reaches,
}

impl std::ops::Deref for Search {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Search> for People {
    fn from_ref(search: &Search) -> Self {
        search.people.clone()
    }
}

pub fn context() -> Context {
    Context::new("search", &MIGRATIONS, start).with_people()
}

fn writer_memory(config: &Config) -> usize {
    usize::try_from(config.search.writer_memory_mb.saturating_mul(1024 * 1024))
        .unwrap_or(usize::MAX)
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let dir = env.config.search.index_dir(&env.config.data_dir);
    let index = Arc::new(SearchIndex::open(&dir, writer_memory(&env.config))?);
    let indexer = Arc::new(Indexer::new(env.db.clone(), index.clone())?);
    let wake = Wake::default();
    let search = Search(Arc::new(Parts {
        db: env.db.clone(),
        people: env.people()?,
        index,
        reaches: reach::Reaches::default(),
    }));
    let db = env.db.clone();
    let mut running = Running::new(routes::routes(search))
        .probe(Arc::new(IndexReadiness {
            indexer: indexer.clone(),
            essential: env.runs_alone(),
        }))
        .task(indexer.task(
            wake.clone(),
            Duration::from_millis(env.config.search.refresh_ms),
        ))
        .task(Task::every(
            "forget old trending counts",
            FORGET_EVERY,
            move || {
                let db = db.clone();
                async move {
                    if let Err(error) = trending::forget_old(&db).await {
                        tracing::warn!(error = %error, "old trending counts not forgotten");
                    }
                }
            },
        ));
    for subscription in listeners::subscriptions(&env, &wake) {
        running = running.subscribe(subscription);
    }
    Ok(running)
}

/// What `campus search reindex` did.
pub struct Reindexed {
    pub documents: u64,
    /// The rebuilt index's size on disk, when this command rebuilt it.
    pub bytes: Option<u64>,
    /// Running replicas that rebuilt their own index (none: this command rebuilt the index
    /// in the data directory itself).
    pub replicas: usize,
}

/// Rebuilds the search index of one school (by id) or of all from search's documents table,
/// reporting `(done, total)` as it goes. Running replicas rebuild their own indexes while
/// they keep answering from the old one; with none running, the index under the configured
/// folder is rebuilt here.
pub async fn reindex(
    config: &Config,
    school_id: Option<&str>,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<Reindexed> {
    let context = context();
    let db = Db::open(config, context.name).await?;
    db.migrate(&context.migrators()).await?;
    let requested_at = time::now_ms();
    let live: Vec<(String,)> =
        sqlx::query_as("SELECT replica_id FROM search_replicas WHERE heartbeat_at > $1")
            .bind(requested_at - ALIVE_WITHIN_MS)
            .fetch_all(db.pool())
            .await?;
    if live.is_empty() {
        let dir = config.search.index_dir(&config.data_dir);
        let index = Arc::new(
            SearchIndex::open(&dir, writer_memory(config))
                .context("No running process answered, and the index folder is in use")?,
        );
        let rebuilt = indexer::rebuild(&db, &index, school_id, |done, total| {
            progress(done, total);
            async { Ok(()) }
        })
        .await?;
        db.close().await;
        let (_, bytes) = index.stats()?;
        return Ok(Reindexed {
            documents: rebuilt.documents,
            bytes: Some(bytes),
            replicas: 0,
        });
    }
    db.write_one(
        sqlx::query("INSERT INTO search_reindex (id, school_id, requested_at) VALUES ($1, $2, $3)")
            .bind(id::new_id_string())
            .bind(school_id)
            .bind(requested_at),
    )
    .await?;
    let replicas = live.len();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT rebuilt_upto, progress_done, progress_total FROM search_replicas \
             WHERE heartbeat_at > $1",
        )
        .bind(time::now_ms() - ALIVE_WITHIN_MS)
        .fetch_all(db.pool())
        .await?;
        let pending: Vec<&(i64, i64, i64)> =
            rows.iter().filter(|row| row.0 < requested_at).collect();
        let done: i64 = rows.iter().map(|row| row.1).min().unwrap_or_default();
        let total: i64 = rows.iter().map(|row| row.2).max().unwrap_or_default();
        progress(
            u64::try_from(done).unwrap_or_default(),
            u64::try_from(total).unwrap_or_default(),
        );
        if pending.is_empty() {
            db.close().await;
            return Ok(Reindexed {
                documents: u64::try_from(total).unwrap_or_default(),
                bytes: None,
                replicas,
            });
        }
    }
}
