//! Keeping this process's index a copy of the documents table.
//!
//! The indexer follows the table by the change counter: it applies every row changed after
//! its position and commits the position with the index, so a restart resumes where the last
//! commit left off, without reindexing. An index never built is built from the whole table.
//! A reindex request (`campus search reindex`) is answered by every live replica: it removes
//! the school's documents and writes them again from the table in one commit, so the old
//! index answers searches until the new one is complete.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard, PoisonError,
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use campus_platform::{db::Db, health::Probe, id, tasks::Task, time};
use tokio::sync::Notify;

use crate::{
    documents,
    index::{Position, SearchIndex},
};

/// How often a replica looks for changes when nothing woke it (another process's changes).
const POLL: Duration = Duration::from_millis(200);
/// Rows applied per batch.
const BATCH: i64 = 2_000;
/// How often a replica says it is alive and how far it got.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// A replica silent this long is taken to be gone.
pub(crate) const ALIVE_WITHIN_MS: i64 = 10_000;

/// Wakes the indexer of this process when a listener committed a change.
#[derive(Clone, Default)]
pub(crate) struct Wake(Arc<Notify>);

impl Wake {
    pub(crate) fn now(&self) {
        self.0.notify_one();
    }
}

/// A reindex request.
#[derive(sqlx::FromRow)]
struct Request {
    school_id: Option<String>,
    requested_at: i64,
}

pub(crate) struct Indexer {
    db: Db,
    index: Arc<SearchIndex>,
    replica_id: String,
    state: Mutex<State>,
    /// A step has completed since the process started: the index holds what the table held
    /// then (built, if it never was, and caught up).
    caught_up: AtomicBool,
}

struct State {
    position: Option<Position>,
    rebuilt_upto: i64,
    last_heartbeat: Option<Instant>,
}

impl Indexer {
    pub(crate) fn new(db: Db, index: Arc<SearchIndex>) -> anyhow::Result<Self> {
        let position = index.position()?;
        Ok(Self {
            db,
            index,
            replica_id: id::new_id_string(),
            state: Mutex::new(State {
                position,
                // Requests made before this replica started are already answered by a build
                // from the table (a new index) or were made for the replicas of that time.
                rebuilt_upto: time::now_ms(),
                last_heartbeat: None,
            }),
            caught_up: AtomicBool::new(false),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The background task: a step whenever woken, or every [`POLL`]; but, while changes
    /// keep coming, no sooner than `refresh` after the last commit (see `search.refresh_ms`).
    pub(crate) fn task(self: Arc<Self>, wake: Wake, refresh: Duration) -> Task {
        Task::new("search indexer", move |shutdown| async move {
            let mut committed: Option<Instant> = None;
            loop {
                match self.step().await {
                    Ok(true) => committed = Some(Instant::now()),
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "search indexing failed; trying again"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => {
                        self.retire().await;
                        return;
                    }
                    _ = wake.0.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
                if let Some(committed) = committed {
                    tokio::select! {
                        _ = shutdown.cancelled() => {
                            self.retire().await;
                            return;
                        }
                        _ = tokio::time::sleep_until((committed + refresh).into()) => {}
                    }
                }
            }
        })
    }

    /// Builds the index if it never was, answers reindex requests, applies what changed;
    /// whether it committed changes.
    pub(crate) async fn step(&self) -> anyhow::Result<bool> {
        let (position, rebuilt_upto) = {
            let state = self.state();
            (state.position.clone(), state.rebuilt_upto)
        };
        if position.is_none() {
            self.rebuild(None).await?;
        }
        let requests: Vec<Request> = sqlx::query_as(
            "SELECT school_id, requested_at FROM search_reindex WHERE requested_at > $1 \
             ORDER BY requested_at",
        )
        .bind(rebuilt_upto)
        .fetch_all(self.db.pool())
        .await?;
        for request in requests {
            self.rebuild(request.school_id.as_deref()).await?;
            self.state().rebuilt_upto = request.requested_at;
            self.heartbeat(true).await?;
        }
        let followed = self.follow().await?;
        self.caught_up.store(true, Ordering::Release);
        self.heartbeat(false).await?;
        Ok(followed)
    }

    /// Applies the rows changed after the position, batch by batch; whether there were any.
    async fn follow(&self) -> anyhow::Result<bool> {
        let mut applied = false;
        loop {
            let Some(position) = self.state().position.clone() else {
                return Ok(applied);
            };
            let rows = documents::changed_after(&self.db, (position.0, &position.1), BATCH).await?;
            let Some(last) = rows.last() else {
                return Ok(applied);
            };
            applied = true;
            let next = (last.seq, last.doc_id.clone());
            let full = rows.len() as i64 == BATCH;
            let index = self.index.clone();
            let committed = next.clone();
            tokio::task::spawn_blocking(move || {
                index.apply(&rows)?;
                index.commit(&committed)
            })
            .await??;
            self.state().position = Some(next);
            if !full {
                return Ok(true);
            }
        }
    }

    /// Writes one school's documents (or all) again from the table, in one commit.
    async fn rebuild(&self, school_id: Option<&str>) -> anyhow::Result<()> {
        let started = Instant::now();
        let db = self.db.clone();
        let replica_id = self.replica_id.clone();
        let written = rebuild(&self.db, &self.index, school_id, |done, total| {
            let (db, replica_id) = (db.clone(), replica_id.clone());
            async move { report_progress(&db, &replica_id, done, total).await }
        })
        .await?;
        let mut state = self.state();
        // After one school's rebuild the others' changes since the old position are still to
        // be applied (the school's own again, harmlessly); after a full one, only what came
        // after the rebuild read the table.
        state.position = Some(match (state.position.take(), written.position) {
            (Some(old), _) if school_id.is_some() => old,
            (Some(old), new) if old > new => old,
            (_, new) => new,
        });
        tracing::info!(
            school = school_id.unwrap_or("every school"),
            documents = written.documents,
            seconds = started.elapsed().as_secs_f64(),
            "search index rebuilt"
        );
        Ok(())
    }

    /// Leaves the replicas' table at shutdown, so a reindex does not wait for this one.
    async fn retire(&self) {
        if let Err(error) = self
            .db
            .write_one(
                sqlx::query("DELETE FROM search_replicas WHERE replica_id = $1")
                    .bind(&self.replica_id),
            )
            .await
        {
            tracing::warn!(%error, "could not leave the search replicas' table");
        }
    }

    async fn heartbeat(&self, now: bool) -> anyhow::Result<()> {
        let (position, rebuilt_upto) = {
            let mut state = self.state();
            if !now
                && state
                    .last_heartbeat
                    .is_some_and(|last| last.elapsed() < HEARTBEAT)
            {
                return Ok(());
            }
            state.last_heartbeat = Some(Instant::now());
            (
                state.position.as_ref().map_or(0, |position| position.0),
                state.rebuilt_upto,
            )
        };
        let now_ms = time::now_ms();
        // One unit: the heartbeat, and replicas gone for a day forgotten.
        let mut uow = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO search_replicas (replica_id, position, rebuilt_upto, progress_done, \
             progress_total, heartbeat_at) VALUES ($1, $2, $3, 0, 0, $4) \
             ON CONFLICT (replica_id) DO UPDATE SET position = excluded.position, \
             rebuilt_upto = excluded.rebuilt_upto, heartbeat_at = excluded.heartbeat_at",
        )
        .bind(&self.replica_id)
        .bind(position)
        .bind(rebuilt_upto)
        .bind(now_ms)
        .execute(uow.conn())
        .await?;
        sqlx::query("DELETE FROM search_replicas WHERE heartbeat_at < $1")
            .bind(now_ms - 86_400_000)
            .execute(uow.conn())
            .await?;
        uow.commit().await?;
        Ok(())
    }
}

async fn report_progress(db: &Db, replica_id: &str, done: u64, total: u64) -> anyhow::Result<()> {
    db.write_one(
        sqlx::query(
            "INSERT INTO search_replicas (replica_id, position, rebuilt_upto, progress_done, \
             progress_total, heartbeat_at) VALUES ($1, 0, 0, $2, $3, $4) \
             ON CONFLICT (replica_id) DO UPDATE SET progress_done = excluded.progress_done, \
             progress_total = excluded.progress_total, heartbeat_at = excluded.heartbeat_at",
        )
        .bind(replica_id)
        .bind(i64::try_from(done).unwrap_or(i64::MAX))
        .bind(i64::try_from(total).unwrap_or(i64::MAX))
        .bind(time::now_ms()),
    )
    .await?;
    Ok(())
}

/// What a rebuild wrote.
pub(crate) struct Rebuilt {
    pub documents: u64,
    /// The position the rebuilt index is current to.
    pub position: Position,
}

/// Removes the school's documents (or all) from `index` and writes every live one from the
/// table, committing once at the end; `progress(done, total)` follows along.
pub(crate) async fn rebuild<F, Fut>(
    db: &Db,
    index: &Arc<SearchIndex>,
    school_id: Option<&str>,
    mut progress: F,
) -> anyhow::Result<Rebuilt>
where
    F: FnMut(u64, u64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    // Everything stamped up to the counter's value is committed and will be read below;
    // whatever changes later has a higher value and is applied after.
    let (total, counter) = documents::census(db, school_id).await?;
    let total = u64::try_from(total).unwrap_or_default();
    {
        let index = index.clone();
        let school_id = school_id.map(str::to_owned);
        tokio::task::spawn_blocking(move || index.clear(school_id.as_deref())).await??;
    }
    progress(0, total).await?;
    let mut after = String::new();
    let mut done = 0;
    loop {
        let rows = documents::live_after(db, school_id, &after, BATCH).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.doc_id.clone();
        done += rows.len() as u64;
        let index = index.clone();
        tokio::task::spawn_blocking(move || index.apply(&rows)).await??;
        progress(done, total.max(done)).await?;
    }
    let position = (counter, String::new());
    {
        let index = index.clone();
        let position = position.clone();
        tokio::task::spawn_blocking(move || index.commit(&position)).await??;
    }
    Ok(Rebuilt {
        documents: done,
        position,
    })
}

/// `/readyz`'s check of the index: until the first build or catch-up after start completes,
/// searches would miss documents the table holds. Essential in a process running search
/// alone (a load balancer sends searches to replicas that are current); elsewhere the
/// process answers `degraded`, since its other contexts serve meanwhile.
pub(crate) struct IndexReadiness {
    pub indexer: Arc<Indexer>,
    pub essential: bool,
}

#[async_trait]
impl Probe for IndexReadiness {
    fn dependency(&self) -> &'static str {
        "search-index"
    }

    fn target(&self) -> String {
        "search".to_owned()
    }

    async fn check(&self) -> anyhow::Result<()> {
        if self.indexer.caught_up.load(Ordering::Acquire) {
            Ok(())
        } else {
            anyhow::bail!("the index is still being built or caught up after start")
        }
    }

    fn essential(&self) -> bool {
        self.essential
    }
}

#[cfg(test)]
mod tests {
    use campus_platform::config::Config;

    use super::*;

    #[tokio::test]
    async fn readiness_waits_for_the_first_catch_up() {
        let config = Config {
            data_dir: std::env::temp_dir()
                .join(format!("campus-search-ready-{}", id::new_id_string())),
            ..Config::default()
        };
        let db = Db::open(&config, "search").await.unwrap();
        db.migrate(&[&crate::MIGRATIONS]).await.unwrap();
        let index = Arc::new(SearchIndex::in_memory().unwrap());
        let indexer = Arc::new(Indexer::new(db.clone(), index).unwrap());
        let probe = IndexReadiness {
            indexer: indexer.clone(),
            essential: true,
        };
        assert!(
            probe.check().await.is_err(),
            "ready before the index was built"
        );
        indexer.step().await.unwrap();
        probe.check().await.unwrap();
        db.close().await;
        std::fs::remove_dir_all(&config.data_dir).ok();
    }
}
