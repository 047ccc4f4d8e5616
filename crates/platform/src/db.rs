//! The database handle each context owns: SQLite or PostgreSQL by configuration, one set of SQL.
//!
//! Queries use `$1` placeholders and portable types (TEXT ids, BIGINT milliseconds, TEXT JSON)
//! so the same statement runs on both backends through sqlx's `Any` driver. In the embedded
//! shape each context has its own SQLite file; on PostgreSQL each context has its own schema
//! (or database), so no context can read another's tables.

use std::{
    any::Any as AnyValue,
    borrow::Cow,
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex as StdMutex, RwLock, Weak,
    },
    time::Duration,
};

use anyhow::Context as _;
use futures::future::BoxFuture;
use sqlx::{
    any::{install_default_drivers, AnyConnectOptions, AnyPoolOptions},
    migrate::{Migration, Migrator},
    pool::PoolConnection,
    Any, AnyConnection, AnyPool, Connection, Executor, Transaction, TransactionManager,
};
use tokio::sync::{mpsc, oneshot, Mutex, Notify, OwnedMappedMutexGuard, OwnedMutexGuard};

mod reads;

pub use reads::{ReadConnection, ReadPool};

use crate::{
    config::{Config, DatabaseLayout, SqliteSynchronous},
    events::{write_outbox, NumberedAtCommit, OutboxRow},
    priority,
};

/// The tables of the event backbone, present in every context's database.
static EVENT_TABLES: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The dependency's name as `/readyz` and error messages report it.
    pub fn dependency(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgresql",
        }
    }

    /// `sql` with its parameters as this backend reads them fastest, for statements of many
    /// rows. SQLite keeps numbered parameters (`$1`) in a list it searches from the start for
    /// each one, when it parses the statement and again for each value sqlx binds, so a
    /// statement's cost grows with the square of its parameters: an outbox group's `INSERT` of
    /// 256 events has 1,536. Plain `?` are not listed; so on SQLite, when `$1, $2, …` each
    /// appear once and in order (outside quoted text), they become `?`. Otherwise (a number
    /// used twice, or out of order) the statement is left as written.
    pub fn positional(self, sql: &str) -> Cow<'_, str> {
        if self != Self::Sqlite {
            return Cow::Borrowed(sql);
        }
        let mut out = String::with_capacity(sql.len());
        let mut expected = 1usize;
        let mut quote: Option<char> = None;
        let mut chars = sql.char_indices();
        while let Some((at, c)) = chars.next() {
            match (quote, c) {
                (Some(open), c) if c == open => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '$') => {
                    let digits = sql[at + 1..]
                        .find(|d: char| !d.is_ascii_digit())
                        .unwrap_or(sql.len() - at - 1);
                    if digits > 0 {
                        if sql[at + 1..at + 1 + digits].parse() != Ok(expected) {
                            return Cow::Borrowed(sql);
                        }
                        expected += 1;
                        out.push('?');
                        for _ in 0..digits {
                            chars.next();
                        }
                        continue;
                    }
                }
                (None, _) => {}
            }
            out.push(c);
        }
        if expected == 1 {
            Cow::Borrowed(sql)
        } else {
            Cow::Owned(out)
        }
    }
}

/// A context's database: a pool plus what the outbox relay needs to hear about commits.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    pool: ReadPool,
    backend: Backend,
    context: String,
    /// SQLite's writer (none on PostgreSQL, where units of work use the pool).
    writer: Option<Writer>,
    /// Woken after a transaction that recorded events commits, so the relay moves them at once.
    committed: Notify,
    /// Set while the context's log numbers events as they commit ([`Db::number_at_commit`]).
    numbering: RwLock<Option<Arc<dyn NumberedAtCommit>>>,
}

/// SQLite allows one writer at a time: units of work queue for their turn in the process
/// (instead of colliding into `SQLITE_BUSY`) and then use the writer's own connection.
struct Writer {
    /// A pool of one connection: it opens the writer's connection (with the settings every
    /// connection gets) and closes it with the database.
    pool: AnyPool,
    /// The write turn, which holds the writer's connection: taken from its pool once and kept
    /// (`None` once the database is closed). Never handed back between units of work: sqlx
    /// tests each connection handed back to a pool with a round trip to SQLite's thread for it,
    /// which every transaction would pay, writes waiting behind it.
    turn: Arc<Mutex<Option<PoolConnection<Any>>>>,
    /// Units of work handed to [`Db::write_grouped`], waiting for the next group commit.
    grouped: StdMutex<Vec<Queued>>,
    /// Where group commits run (see [`committer`]).
    commits: mpsc::UnboundedSender<BoxFuture<'static, ()>>,
    /// Something committed since the last checkpoint (see [`checkpoints`]).
    wal_written: AtomicBool,
    /// Frames past which a checkpoint starts the log over (see [`start_log_over`]).
    log_limit_frames: i64,
    /// Bytes past which an idle log's file is emptied: [`KEPT_LOG_BYTES`], or the limit if smaller.
    kept_log_bytes: u64,
    /// The write-ahead log's file.
    log_file: std::path::PathBuf,
}

/// How often committed pages are copied from SQLite's write-ahead log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// The next checkpoint's wait after one that found the log past its limit: writes filling the
/// log faster than a tick allows (a burst of large commits) would otherwise grow it by a whole
/// tick's writes beyond the limit each time.
const CHECKPOINT_SOONER: Duration = Duration::from_millis(50);

/// Copies what committed from the write-ahead log into the database file, every
/// [`CHECKPOINT_EVERY`] while writes come, on a reading connection, until the database is
/// dropped or closed. SQLite's own checkpoint (every 1,000 pages, switched off on these
/// connections) runs inside the commit that crosses the mark, with the process's write turn
/// still held, so every unit queued behind that commit waited for the copy and the file's
/// sync; a passive checkpoint takes no write lock, and writers go on while it runs.
async fn checkpoints(db: Weak<Inner>) {
    let mut wait = CHECKPOINT_EVERY;
    loop {
        tokio::time::sleep(wait).await;
        wait = CHECKPOINT_EVERY;
        let Some(inner) = db.upgrade() else {
            return;
        };
        if inner.pool.is_closed() {
            return;
        }
        let Some(writer) = &inner.writer else {
            return;
        };
        if !writer.wal_written.swap(false, Ordering::AcqRel) {
            // Nothing committed since the last tick: a burst's log can give its space back.
            let size = std::fs::metadata(&writer.log_file).map_or(0, |file| file.len());
            if size > writer.kept_log_bytes {
                if let Err(error) = start_log_over(writer, "TRUNCATE").await {
                    tracing::debug!(context = %inner.context, %error, "log not truncated");
                }
            }
            continue;
        }
        // (whether a reader held it up, frames in the log, frames copied)
        let made: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&inner.pool)
                .await;
        match made {
            Ok((_, frames, _)) if frames >= writer.log_limit_frames => {
                // Writes outran the ticks: look again sooner, while they last.
                wait = CHECKPOINT_SOONER;
                // A second pass copies what committed during the first, so that little is left
                // to copy while the writers wait.
                let restarted = match inner.pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                    Ok(_) => start_log_over(writer, "RESTART").await,
                    Err(error) => Err(error),
                };
                if let Err(error) = restarted {
                    tracing::debug!(context = %inner.context, %error, "log not restarted");
                }
            }
            Ok(_) => {}
            Err(error) => {
                // Tried again at the next tick; the log keeps everything meanwhile.
                writer.wal_written.store(true, Ordering::Release);
                tracing::debug!(context = %inner.context, %error, "checkpoint not made");
            }
        }
    }
}

/// SQLite's `busy_timeout` on every connection: how long a statement waits for another
/// process's lock before failing.
const BUSY_TIMEOUT_MS: u64 = 5000;

/// How long a log restart waits for readers still on the old log before giving up until the
/// next checkpoint: reads take milliseconds, and writers wait while it does.
const RESTART_WAIT_MS: u64 = 10;

/// Most of the write-ahead log's file kept while nothing is written: a busy minute's log stays
/// allocated while the writes go on, an idle database does not keep an exam's.
const KEPT_LOG_BYTES: u64 = 64 * 1024 * 1024;

/// Starts the write-ahead log over from its beginning (`mode` `RESTART`), or also gives its
/// file's space back (`TRUNCATE`, only while nothing is written: cutting the file of a log
/// that was just written can wait for the disk, 82 ms in an exam's burst). SQLite starts
/// the log over by itself when a writer finds every frame copied and no reader on the log;
/// under an exam's burst, with reads and commits never pausing, that moment never came, and
/// the log grew by 90 MB a second until the burst ended (`docs/benchmarks.md`, 2026-12-06):
/// each frame written to new space in the file, and nothing bounding it under sustained load.
/// The process's writers wait (its write turn) while the checkpoint copies what the last
/// passive one left and waits, briefly, for readers to move off the old log.
async fn start_log_over(writer: &Writer, mode: &str) -> Result<(), sqlx::Error> {
    let mut turn = writer.turn.clone().lock_owned().await;
    let conn: &mut AnyConnection = turn.as_mut().ok_or(sqlx::Error::PoolClosed)?;
    conn.execute(&*format!("PRAGMA busy_timeout = {RESTART_WAIT_MS}"))
        .await?;
    let restarted = conn
        .execute(&*format!("PRAGMA wal_checkpoint({mode})"))
        .await;
    conn.execute(&*format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))
        .await?;
    restarted.map(drop)
}

/// A thread of the writer's own, running its group commits: a group makes one round trip to
/// SQLite's connection thread per statement while it holds the write lock, and each time that
/// thread answers, the group must be picked up again at once. On the request runtime it would
/// wait its turn behind every ready request between statements (under an exam's last-minute
/// burst, three times as long per unit as the statements themselves took, with the processors
/// half idle); here nothing else waits before it. The thread ends when the database is
/// dropped (the last sender goes).
fn committer(context: &str) -> anyhow::Result<mpsc::UnboundedSender<BoxFuture<'static, ()>>> {
    let (commits, mut queue) = mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // At the process's priority, above the request runtime's threads (see `priority`).
    priority::spawn_at_process_priority(format!("writer-{context}"), move || {
        runtime.block_on(async move {
            while let Some(group) = queue.recv().await {
                tokio::spawn(group);
            }
        });
    })
    .with_context(|| format!("Failed to start the {context} database's writer"))?;
    Ok(commits)
}

/// A statement with its values bound, as sqlx makes one for any backend.
pub type Statement<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// A unit of work's writes, as a function that can run again: [`Db::write_grouped`] runs
/// several in one transaction and replays the others when one of them fails.
pub type Writes<T> =
    dyn for<'a> Fn(&'a mut UnitOfWork) -> BoxFuture<'a, crate::Result<T>> + Send + Sync;

type Outcome = crate::Result<Box<dyn AnyValue + Send>>;

struct Queued {
    writes: Arc<Writes<Box<dyn AnyValue + Send>>>,
    reply: oneshot::Sender<Outcome>,
}

/// The most units of work committed together: bounds how long one group holds the write lock.
const MOST_GROUPED: usize = 256;

impl Db {
    /// Opens (creating when needed) the database of `context`.
    pub async fn open(config: &Config, context: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !context.is_empty() && context.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "context name `{context}` must be lowercase letters and underscores"
        );
        install_default_drivers();
        let database = &config.database;
        let (url, backend) = match &database.url {
            None => {
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!(
                        "Failed to create data directory {}",
                        config.data_dir.display()
                    )
                })?;
                let file = config.data_dir.join(format!("{context}.db"));
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Backend::Sqlite,
                )
            }
            Some(url) => {
                let url = match database.layout {
                    DatabaseLayout::Schema => {
                        create_schema(url.expose(), context).await?;
                        url.expose().to_owned()
                    }
                    DatabaseLayout::Database => create_database(url.expose(), context).await?,
                };
                (url, Backend::Postgres)
            }
        };
        let options: AnyConnectOptions = url
            .parse()
            .with_context(|| format!("Failed to parse database URL for {context}"))?;
        let schema = context.to_owned();
        let layout = database.layout;
        let log_limit = database.sqlite_log_limit_mib.saturating_mul(1024 * 1024);
        let synchronous = match database.sqlite_synchronous {
            SqliteSynchronous::Normal => "NORMAL",
            SqliteSynchronous::Full => "FULL",
        };
        let pool_options = move |connections: u32| {
            let schema = schema.clone();
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(database.acquire_timeout_secs))
                // A local file does not drop its connections: checking one before each use
                // would cost a round trip to SQLite's worker thread every time.
                .test_before_acquire(backend == Backend::Postgres)
                .after_connect(move |conn, _| {
                    let schema = schema.clone();
                    Box::pin(async move {
                        match backend {
                            Backend::Sqlite => {
                                // Checkpoints are made apart from commits (see `checkpoints`).
                                let pragmas = format!(
                                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; \
                                     PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous}; \
                                     PRAGMA wal_autocheckpoint = 0;"
                                );
                                conn.execute(sqlx::raw_sql(&pragmas)).await?;
                            }
                            Backend::Postgres if layout == DatabaseLayout::Schema => {
                                conn.execute(sqlx::raw_sql(&format!(
                                    "SET search_path TO \"{schema}\""
                                )))
                                .await?;
                            }
                            Backend::Postgres => {}
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_options(database.max_connections)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("Failed to connect to the {context} database"))?;
        let pool = ReadPool::new(
            pool,
            backend == Backend::Sqlite,
            database.max_connections,
            Duration::from_secs(database.acquire_timeout_secs),
        );
        // SQLite writes one transaction at a time: its units of work get a connection of their
        // own, so a writer never waits for the readers to hand one back while it holds the
        // write lock.
        let writer = match backend {
            Backend::Sqlite => {
                let commits = committer(context)?;
                // The writer's one connection is kept for the process's life and opened from
                // the writer's thread, so SQLite's thread for it starts there, at the writer's
                // priority (see `priority`).
                let pool = pool_options(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_lazy_with(options);
                let (opened, first) = oneshot::channel();
                let opening = pool.clone();
                let open: BoxFuture<'static, ()> = Box::pin(async move {
                    let _ = opened.send(opening.acquire().await);
                });
                commits
                    .send(open)
                    .map_err(|_| anyhow::anyhow!("the {context} database's writer stopped"))?;
                let mut connection = first
                    .await
                    .map_err(|_| anyhow::anyhow!("the {context} database's writer stopped"))?
                    .with_context(|| format!("Failed to connect to the {context} database"))?;
                priority::writers_exist();
                let (page_size,): (i64,) = sqlx::query_as("PRAGMA page_size")
                    .fetch_one(&mut *connection)
                    .await
                    .with_context(|| format!("Failed to read the {context} database"))?;
                let log_limit_frames =
                    i64::try_from(log_limit / page_size.max(512) as u64).unwrap_or(i64::MAX);
                Some(Writer {
                    pool,
                    turn: Arc::new(Mutex::new(Some(connection))),
                    grouped: StdMutex::new(Vec::new()),
                    commits,
                    wal_written: AtomicBool::new(false),
                    log_limit_frames,
                    kept_log_bytes: log_limit.min(KEPT_LOG_BYTES),
                    log_file: config.data_dir.join(format!("{context}.db-wal")),
                })
            }
            Backend::Postgres => None,
        };
        let inner = Arc::new(Inner {
            pool,
            backend,
            context: context.to_owned(),
            writer,
            committed: Notify::new(),
            numbering: RwLock::new(None),
        });
        if inner.writer.is_some() {
            tokio::spawn(checkpoints(Arc::downgrade(&inner)));
        }
        Ok(Self { inner })
    }

    /// The connections for reads. Writes go through [`Db::begin`].
    pub fn pool(&self) -> &ReadPool {
        &self.inner.pool
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub fn context(&self) -> &str {
        &self.inner.context
    }

    /// Starts a unit of work: a transaction in which state changes and the events announcing
    /// them are written together.
    pub async fn begin(&self) -> crate::Result<UnitOfWork> {
        let tx = match &self.inner.writer {
            Some(writer) => {
                let turn = writer.turn.clone().lock_owned().await;
                Tx::Writer(WriterTx::begin(turn).await?)
            }
            None => Tx::Pooled(self.inner.pool.begin().await?),
        };
        Ok(UnitOfWork {
            tx,
            db: self.clone(),
            outbox: Vec::new(),
            after_commit: Vec::new(),
            put_off: http::Extensions::new(),
        })
    }

    /// Runs one statement that changes nothing others must learn of (housekeeping, a mail's
    /// delivery state) as a unit of work of its own. Never through [`Db::pool`]: on SQLite a
    /// write there would fight the writer for the file's lock, each side sleeping in SQLite's
    /// busy handler until the other lets go.
    pub async fn write_one<'q>(
        &self,
        statement: Statement<'q>,
    ) -> crate::Result<sqlx::any::AnyQueryResult> {
        let mut uow = self.begin().await?;
        let done = statement.execute(uow.conn()).await?;
        uow.commit().await?;
        Ok(done)
    }

    /// Runs `writes` as a unit of work and commits it, possibly together with other units
    /// handed over at the same moment: on SQLite, whoever gets the write lock next commits
    /// every unit that queued while it waited in one transaction (one `BEGIN` and one `COMMIT`
    /// for many), which is what lets a burst of small writes (quiz submissions at the end of
    /// an exam) go faster than one transaction each allows. Each unit sees the writes of those
    /// before it, as if they had run one after the other.
    ///
    /// `writes` must change nothing but what it writes through the unit, because it may run
    /// more than once: when one unit of a group fails, the group rolls back, that unit gets
    /// its error, and the others run again without it. Its result is answered only once the
    /// group committed. On PostgreSQL, where writers do not queue for one lock, each unit is
    /// its own transaction.
    pub async fn write_grouped<T, F>(&self, writes: F) -> crate::Result<T>
    where
        T: Send + 'static,
        F: for<'a> Fn(&'a mut UnitOfWork) -> BoxFuture<'a, crate::Result<T>>
            + Send
            + Sync
            + 'static,
    {
        let Some(writer) = &self.inner.writer else {
            let mut uow = self.begin().await?;
            let done = writes(&mut uow).await?;
            uow.commit().await?;
            return Ok(done);
        };
        let erased: Arc<Writes<Box<dyn AnyValue + Send>>> = Arc::new(move |uow| {
            let run = writes(uow);
            Box::pin(async move {
                run.await
                    .map(|done| Box::new(done) as Box<dyn AnyValue + Send>)
            })
        });
        let (reply, mut outcome) = oneshot::channel();
        lock(&writer.grouped).push(Queued {
            writes: erased,
            reply,
        });
        loop {
            tokio::select! {
                biased;
                done = &mut outcome => {
                    let done = done.map_err(|_| {
                        crate::Error::internal(anyhow::anyhow!("a group commit stopped before answering"))
                    })??;
                    return done.downcast::<T>().map(|done| *done).map_err(|_| {
                        crate::Error::internal(anyhow::anyhow!("a group commit answered the wrong type"))
                    });
                }
                turn = writer.turn.clone().lock_owned() => {
                    let queued: Vec<Queued> = {
                        let mut waiting = lock(&writer.grouped);
                        let take = waiting.len().min(MOST_GROUPED);
                        waiting.drain(..take).collect()
                    };
                    if !queued.is_empty() {
                        // On a task of its own: a request dropped half-way (its client went
                        // away) must not take the others' writes down with it. On the
                        // writer's thread, or here if that thread is gone.
                        let group = Box::pin(commit_group(self.clone(), turn, queued));
                        if let Err(mpsc::error::SendError(group)) = writer.commits.send(group) {
                            tokio::spawn(group);
                        }
                    }
                }
            }
        }
    }

    /// Applies the event tables and then the context's own migrations (with those of the
    /// platform components it uses), in version order.
    pub async fn migrate(&self, migrations: &[&Migrator]) -> anyhow::Result<()> {
        let migrator = combined(migrations)?;
        let mut conn = self.inner.pool.acquire().await?;
        // `run_direct`, which `run` calls with the connection it acquires: `run` on a borrowed
        // connection ties its `Acquire` to the borrow, and a future holding it is then not
        // `Send` for every lifetime (sqlx's own note on `run_direct`).
        migrator
            .run_direct(&mut *conn)
            .await
            .with_context(|| format!("Failed to migrate the {} database", self.inner.context))?;
        let applied: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations")
            .fetch_all(&mut *conn)
            .await?;
        drop(conn);
        let known: HashSet<i64> = migrator.iter().map(|m| m.version).collect();
        let newer: Vec<i64> = applied
            .into_iter()
            .map(|(version,)| version)
            .filter(|version| !known.contains(version))
            .collect();
        if !newer.is_empty() {
            tracing::warn!(
                context = %self.inner.context,
                ?newer,
                "the database has migrations of a newer release; serving on its expanded schema"
            );
        }
        Ok(())
    }

    /// A round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.inner.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    /// Whether a new connection to the database server opens now, within a second: unlike the
    /// pool, which keeps retrying a refused connection until its acquire timeout.
    pub async fn connects_now(&self) -> bool {
        let options = self.inner.pool.connect_options();
        match tokio::time::timeout(
            Duration::from_secs(1),
            AnyConnection::connect_with(&options),
        )
        .await
        {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                true
            }
            _ => false,
        }
    }

    /// Resolves when a transaction that recorded events for the relay has committed (or
    /// immediately, if one committed since the last call).
    pub async fn committed(&self) {
        self.inner.committed.notified().await;
    }

    /// From now on, units of work give their events their positions in the log as they write
    /// them, publish them in the same transaction, and hand them to `log` once committed: the
    /// relay no longer reads each one back from the table and numbers it in a transaction of
    /// its own. Only where one transaction writes at a time (SQLite's writer), so positions
    /// follow commit order; a unit that finds rows waiting for the relay (committed before, or
    /// by another process) leaves its own to the relay too, so none is numbered before an older
    /// one. Returns whether numbering is on.
    pub fn number_at_commit(&self, log: Arc<dyn NumberedAtCommit>) -> bool {
        if self.inner.writer.is_none() {
            return false;
        }
        *self.numbering_mut() = Some(log);
        true
    }

    /// Whether units of work number and publish their events as they commit.
    pub fn numbers_at_commit(&self) -> bool {
        self.numbering().is_some()
    }

    /// Units of work leave their events to the relay again (its log is stopping).
    pub fn stop_numbering(&self) {
        *self.numbering_mut() = None;
    }

    fn numbering(&self) -> Option<Arc<dyn NumberedAtCommit>> {
        self.inner
            .numbering
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn numbering_mut(&self) -> std::sync::RwLockWriteGuard<'_, Option<Arc<dyn NumberedAtCommit>>> {
        self.inner
            .numbering
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes the events of a transaction about to commit: numbered when the log numbers them
    /// at commit (see [`Db::number_at_commit`]).
    async fn write_events(
        &self,
        tx: &mut AnyConnection,
        outbox: &[OutboxRow],
    ) -> Result<Option<(i64, Arc<dyn NumberedAtCommit>)>, sqlx::Error> {
        let numbering = self.numbering().filter(|_| !outbox.is_empty());
        let first = write_outbox(tx, self.backend(), outbox, numbering.is_some()).await?;
        Ok(first.zip(numbering))
    }

    /// After the commit, with the write lock still held: the numbered events go to their log,
    /// the others wake the relay; on SQLite the next checkpoint has pages to copy.
    fn announce(&self, outbox: Vec<OutboxRow>, numbered: Option<(i64, Arc<dyn NumberedAtCommit>)>) {
        if let Some(writer) = &self.inner.writer {
            writer.wal_written.store(true, Ordering::Release);
        }
        match numbered {
            Some((first, log)) => {
                log.committed(first, outbox.into_iter().map(|row| row.event).collect())
            }
            None if !outbox.is_empty() => self.inner.committed.notify_one(),
            None => {}
        }
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.inner.writer {
            // Closing the pool waits for its connection, which the write turn keeps.
            if let Some(connection) = writer.turn.lock().await.take() {
                let _ = connection.close().await;
            }
            writer.pool.close().await;
        }
        self.inner.pool.close().await;
    }
}

/// Commits `queued` in as few transactions as it can, holding the write turn (with the
/// writer's connection in it) throughout: all of them in one while they succeed; a unit that
/// fails gets its error and the group runs again without it.
async fn commit_group(db: Db, turn: WriteTurn, mut queued: Vec<Queued>) {
    let mut tx = match WriterTx::begin(turn).await {
        Ok(tx) => tx,
        Err(error) => return answer_all(queued, &error),
    };
    loop {
        let mut uow = UnitOfWork {
            tx: Tx::Writer(tx),
            db: db.clone(),
            outbox: Vec::new(),
            after_commit: Vec::new(),
            put_off: http::Extensions::new(),
        };
        let mut done = Vec::with_capacity(queued.len());
        let mut failed = None;
        for (index, unit) in queued.iter().enumerate() {
            match (unit.writes)(&mut uow).await {
                Ok(value) => done.push(value),
                Err(error) => {
                    failed = Some((index, error));
                    break;
                }
            }
        }
        match failed {
            None => {
                // The events of all the units, in their order, in a statement or a few.
                let numbered = match db.write_events(uow.tx.conn(), &uow.outbox).await {
                    Ok(numbered) => numbered,
                    Err(error) => return answer_all(queued, &error),
                };
                let held = match uow.tx.commit().await {
                    Ok(held) => held,
                    Err(error) => return answer_all(queued, &error),
                };
                // Announced with the write turn still held (see `Db::announce`).
                db.announce(uow.outbox, numbered);
                drop(held);
                for f in uow.after_commit {
                    f();
                }
                for (unit, value) in queued.into_iter().zip(done) {
                    // The request may have gone away; its writes stand.
                    let _ = unit.reply.send(Ok(value));
                }
                return;
            }
            Some((index, error)) => {
                // The group's transaction (a group is only ever SQLite's), to roll back and
                // begin again without the unit.
                let Tx::Writer(again) = uow.tx else {
                    return;
                };
                tx = again;
                if let Err(error) = tx.rollback().await {
                    return answer_all(queued, &error);
                }
                let unit = queued.remove(index);
                let _ = unit.reply.send(Err(error));
                if queued.is_empty() {
                    return;
                }
                if let Err(error) = tx.begin_again().await {
                    return answer_all(queued, &error);
                }
            }
        }
    }
}

/// The group's transaction itself failed: every unit in it gets the database's error.
fn answer_all(queued: Vec<Queued>, error: &sqlx::Error) {
    for unit in queued {
        let _ = unit.reply.send(Err(same_error(error)));
    }
}

/// One database error for each unit of a failed group (`sqlx::Error` is not `Clone`).
fn same_error(error: &sqlx::Error) -> crate::Error {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            crate::Error::database_unavailable()
        }
        other => crate::Error::internal(anyhow::anyhow!("a group commit failed: {other}")),
    }
}

/// The queue's lock; a panic while it was held cannot leave the list half-changed.
fn lock<T>(mutex: &StdMutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Platform migrations and the context's, as one list; versions must not collide.
fn combined(context: &[&Migrator]) -> anyhow::Result<Migrator> {
    let mut seen = HashSet::new();
    let mut migrations: Vec<Migration> = Vec::new();
    let all = EVENT_TABLES
        .iter()
        .chain(context.iter().flat_map(|migrator| migrator.iter()));
    for migration in all {
        anyhow::ensure!(
            seen.insert(migration.version),
            "two migrations share version {}; give `{}` a new timestamp",
            migration.version,
            migration.description
        );
        migrations.push(migration.clone());
    }
    migrations.sort_by_key(|m| m.version);
    Ok(Migrator {
        migrations: Cow::Owned(migrations),
        // A newer release's migrations may already be applied: during a rolling upgrade the
        // new release migrates while this one's processes serve, and one of them may restart
        // before its turn. Migrations only expand (tests/api/migrations.rs), so this release's
        // code still works on that schema; refusing to start would turn a crash into an outage.
        ignore_missing: true,
        locking: true,
        no_tx: false,
    })
}

async fn create_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    let mut conn = AnyConnection::connect(url)
        .await
        .context("Failed to connect to PostgreSQL")?;
    // Two processes starting together may both try; the loser's error is harmless.
    let created = conn
        .execute(sqlx::raw_sql(&format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .await;
    if let Err(error) = created {
        tracing::debug!(%error, schema, "schema creation raced");
    }
    conn.close().await.ok();
    Ok(())
}

/// For the database-per-context layout: `…/campus` becomes `…/campus_<context>`, created
/// when missing.
async fn create_database(url: &str, context: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (server, database) = base
        .rsplit_once('/')
        .context("database.url has no database name")?;
    let name = format!("{database}_{context}");
    let mut conn = AnyConnection::connect(url)
        .await
        .context("Failed to connect to PostgreSQL")?;
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await?;
    if exists.is_none() {
        if let Err(error) = conn
            .execute(sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\"")))
            .await
        {
            tracing::debug!(%error, name, "database creation raced");
        }
    }
    conn.close().await.ok();
    Ok(match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    })
}

/// A transaction plus the events it will publish; dropping it without `commit` rolls back
/// both, so a failed request leaves nothing half-written and announces nothing.
pub struct UnitOfWork {
    tx: Tx,
    db: Db,
    /// Events recorded in this unit, written to the outbox table just before it commits: one
    /// statement for all of them instead of one each, which on SQLite is one hand-over to its
    /// connection's thread instead of many while the write lock is held.
    outbox: Vec<OutboxRow>,
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
    /// What an event handler put off until its run's end, one value per type (see
    /// [`UnitOfWork::put_off`]), in `http`'s map by type, as requests' extensions are.
    put_off: http::Extensions,
}

impl UnitOfWork {
    /// The connection to run this unit's statements on.
    pub fn conn(&mut self) -> &mut AnyConnection {
        self.tx.conn()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn queue_for_outbox(&mut self, row: OutboxRow) {
        self.outbox.push(row);
    }

    /// Runs `f` once this unit has committed, never if it rolls back: how a change makes the
    /// in-memory copies it touched (caches) forget what they held.
    pub fn after_commit(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(f));
    }

    /// Work of type `T` put off until the end of a run of events, to be done by the handler's
    /// [`crate::events::Handler::finish`] (taken with [`UnitOfWork::take_put_off`]): the value
    /// of that type this unit holds, a new one at first. Dropped with the unit when it rolls
    /// back; [`UnitOfWork::commit`] refuses a unit that still holds any, so nothing put off is
    /// forgotten.
    pub fn put_off<T: Default + Clone + Send + Sync + 'static>(&mut self) -> &mut T {
        self.put_off.get_or_insert_default()
    }

    /// Takes the work of type `T` this unit put off, if any.
    pub fn take_put_off<T: Clone + Send + Sync + 'static>(&mut self) -> Option<T> {
        self.put_off.remove()
    }

    /// Writes `rows` with statements of many rows each, at most `most` rows a statement (in
    /// chunks of [`next_chunk`]'s sizes): `statement` is the SQL around the rows' `VALUES`
    /// (given as [`value_rows`] of `columns` parameters each), `bind` binds one row's values in
    /// their order. On SQLite each statement is one hand-over to the connection's thread.
    pub async fn write_rows<R: Sync>(
        &mut self,
        rows: &[R],
        columns: usize,
        most: usize,
        statement: impl Fn(&str) -> String + Sync,
        bind: impl for<'q> Fn(Statement<'q>, &'q R) -> Statement<'q> + Sync,
    ) -> Result<(), sqlx::Error> {
        let backend = self.db.backend();
        let mut rest = rows;
        while !rest.is_empty() {
            let (chunk, after) = rest.split_at(next_chunk(rest.len(), most));
            let sql = statement(&value_rows(chunk.len(), columns));
            let sql = backend.positional(&sql);
            let query = chunk.iter().fold(sqlx::query(&sql), &bind);
            query.execute(self.tx.conn()).await?;
            rest = after;
        }
        Ok(())
    }

    /// Commits the state change and its events together, hands the events on (to their log
    /// when it numbers them at commit, else to the relay), then runs what waited for the commit.
    pub async fn commit(self) -> crate::Result<()> {
        let Self {
            mut tx,
            db,
            outbox,
            after_commit,
            put_off,
        } = self;
        if !put_off.is_empty() {
            return Err(crate::Error::internal(anyhow::anyhow!(
                "a unit of work was committed with work put off and never done"
            )));
        }
        let numbered = db.write_events(tx.conn(), &outbox).await?;
        let held = tx.commit().await?;
        // Announced with the write turn still held (see `Db::announce`).
        db.announce(outbox, numbered);
        drop(held);
        for f in after_commit {
            f();
        }
        Ok(())
    }
}

/// SQLite's write turn, with the writer's connection in it (see [`Writer::turn`]).
type WriteTurn = OwnedMutexGuard<Option<PoolConnection<Any>>>;

/// A unit of work's transaction.
enum Tx {
    /// On PostgreSQL, on a connection of the pool.
    Pooled(Transaction<'static, Any>),
    /// On SQLite, on the writer's connection, the write turn held until it is dropped.
    Writer(WriterTx),
}

impl Tx {
    fn conn(&mut self) -> &mut AnyConnection {
        match self {
            Self::Pooled(tx) => tx,
            Self::Writer(tx) => tx.conn(),
        }
    }

    /// Commits, and answers the writer's transaction, if it was one: it holds the write turn
    /// until it is dropped, for what must follow the commit before the next one.
    async fn commit(self) -> Result<Option<WriterTx>, sqlx::Error> {
        match self {
            Self::Pooled(tx) => tx.commit().await.map(|()| None),
            Self::Writer(mut tx) => {
                tx.commit().await?;
                Ok(Some(tx))
            }
        }
    }
}

/// A transaction on the writer's connection, as sqlx's `Transaction` makes one on a connection
/// of a pool (the same calls to its transaction manager), but holding the write turn with the
/// connection in it instead of a connection that goes back to a pool. Dropped before it
/// commits or rolls back, it rolls back.
struct WriterTx {
    conn: OwnedMappedMutexGuard<Option<PoolConnection<Any>>, PoolConnection<Any>>,
    open: bool,
}

impl WriterTx {
    /// Begins on the connection the turn holds (refused once the database is closed).
    async fn begin(turn: WriteTurn) -> Result<Self, sqlx::Error> {
        let conn =
            OwnedMutexGuard::try_map(turn, Option::as_mut).map_err(|_| sqlx::Error::PoolClosed)?;
        let mut tx = Self { conn, open: false };
        tx.begin_again().await?;
        Ok(tx)
    }

    /// Begins with `BEGIN IMMEDIATE`, which takes SQLite's write lock at once: a transaction
    /// that read first and then wrote could otherwise meet another process's lock mid-way and
    /// fail. (A `BEGIN` whose caller went away before its answer is rolled back by sqlx.)
    async fn begin_again(&mut self) -> Result<(), sqlx::Error> {
        <Any as sqlx::Database>::TransactionManager::begin(
            &mut self.conn,
            Some("BEGIN IMMEDIATE".into()),
        )
        .await?;
        self.open = true;
        Ok(())
    }

    fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    async fn commit(&mut self) -> Result<(), sqlx::Error> {
        <Any as sqlx::Database>::TransactionManager::commit(&mut self.conn).await?;
        self.open = false;
        Ok(())
    }

    async fn rollback(&mut self) -> Result<(), sqlx::Error> {
        <Any as sqlx::Database>::TransactionManager::rollback(&mut self.conn).await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for WriterTx {
    fn drop(&mut self) {
        if self.open {
            // Queued on the connection's thread ahead of anything the next holder sends.
            <Any as sqlx::Database>::TransactionManager::start_rollback(&mut self.conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(13, 2), "$13, $14");
        assert_eq!(value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(next_chunk(1, 256), 1);
        assert_eq!(next_chunk(300, 256), 256);
        assert_eq!(next_chunk(200, 256), 128);
    }

    #[test]
    fn numbered_parameters_in_order_become_positional_on_sqlite() {
        let sql = "INSERT INTO t (a, b) VALUES ($1, $2), ($3, '$9 stays'), ($4, $10)";
        assert_eq!(Backend::Postgres.positional(sql), sql);
        assert_eq!(
            Backend::Sqlite.positional(sql),
            sql,
            "$10 comes out of order"
        );
        let sql = "INSERT INTO t (a, b) VALUES ($1, $2), ($3, '$9 stays'), ($4, \"$x\"), ($5, $6)";
        assert_eq!(
            Backend::Sqlite.positional(sql),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, '$9 stays'), (?, \"$x\"), (?, ?)"
        );
        let many: Vec<String> = (1..=12).map(|n| format!("${n}")).collect();
        let many = format!("SELECT 1 WHERE x IN ({})", many.join(","));
        assert_eq!(
            Backend::Sqlite.positional(&many),
            format!("SELECT 1 WHERE x IN ({})", ["?"; 12].join(","))
        );
        for kept in [
            "UPDATE t SET a = $1 WHERE b = $1",
            "SELECT $2, $1",
            "SELECT 1",
        ] {
            assert_eq!(Backend::Sqlite.positional(kept), kept);
        }
    }

    #[test]
    fn the_event_tables_come_first() {
        let migrator = combined(&[&Migrator::DEFAULT]).unwrap();
        assert_eq!(migrator.iter().count(), EVENT_TABLES.iter().count());
    }

    #[test]
    fn colliding_migration_versions_are_refused() {
        assert!(combined(&[&EVENT_TABLES]).is_err());
    }

    /// A SQLite database of its own in a new directory, with a table of numbered notes.
    async fn notes() -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("campus-db-{}", crate::id::new_id_string()));
        let config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        let db = Db::open(&config, "grouping").await.unwrap();
        sqlx::query("CREATE TABLE notes (n BIGINT PRIMARY KEY)")
            .execute(db.pool())
            .await
            .unwrap();
        (db, dir)
    }

    /// Many units handed over at once: those that succeed all commit (together), each sees
    /// the writes of the ones before it, and one that fails leaves nothing behind and does not
    /// take the others down.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_writes_commit_together_and_a_failing_unit_alone_is_refused() {
        let (db, dir) = notes().await;
        let units: Vec<_> = (0..300i64)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.write_grouped(move |uow| {
                        Box::pin(async move {
                            sqlx::query("INSERT INTO notes (n) VALUES ($1)")
                                .bind(n)
                                .execute(uow.conn())
                                .await?;
                            if n % 7 == 3 {
                                return Err(crate::Error::conflict("refused", "one in seven"));
                            }
                            let (before,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
                                .fetch_one(uow.conn())
                                .await?;
                            Ok(before)
                        })
                    })
                    .await
                })
            })
            .collect();
        for (n, unit) in units.into_iter().enumerate() {
            match unit.await.unwrap() {
                Ok(seen) => assert!(n % 7 != 3 && seen >= 1, "unit {n} saw {seen} rows"),
                Err(crate::Error::Conflict { code, .. }) => {
                    assert!(n % 7 == 3 && code == "refused", "unit {n} refused")
                }
                Err(other) => panic!("unit {n}: {other}"),
            }
        }
        let kept: Vec<(i64,)> = sqlx::query_as("SELECT n FROM notes ORDER BY n")
            .fetch_all(db.pool())
            .await
            .unwrap();
        let expected: Vec<(i64,)> = (0..300).filter(|n| n % 7 != 3).map(|n| (n,)).collect();
        assert_eq!(kept, expected);
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }

    /// The writer's connection outlives its units of work: one dropped before it commits (it
    /// failed, or its request went away), even with a statement still on its way to SQLite,
    /// leaves nothing behind, and the next begins and commits on the same connection. Closing
    /// the database gives the connection up; a unit begun after that is refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_unit_dropped_before_its_commit_leaves_nothing_and_the_writer_goes_on() {
        use futures::FutureExt as _;
        let (db, dir) = notes().await;
        let mut uow = db.begin().await.unwrap();
        sqlx::query("INSERT INTO notes (n) VALUES (1)")
            .execute(uow.conn())
            .await
            .unwrap();
        drop(uow);
        let mut uow = db.begin().await.unwrap();
        // Polled once and dropped: sent to SQLite's thread, its answer never awaited.
        let _ = sqlx::query("INSERT INTO notes (n) VALUES (2)")
            .execute(uow.conn())
            .now_or_never();
        drop(uow);
        let mut uow = db.begin().await.unwrap();
        sqlx::query("INSERT INTO notes (n) VALUES (3)")
            .execute(uow.conn())
            .await
            .unwrap();
        uow.commit().await.unwrap();
        let kept: Vec<(i64,)> = sqlx::query_as("SELECT n FROM notes ORDER BY n")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(kept, vec![(3,)]);
        tokio::time::timeout(Duration::from_secs(5), db.close())
            .await
            .expect("closing gives the writer's connection up");
        assert!(db.begin().await.is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    /// Reads on SQLite share the connections the pool opened, kept apart from sqlx's pool: one
    /// dropped half-way (a stream left after its first row, a statement never awaited) leaves
    /// its connection usable by the next; a read waits for a connection while all are in use
    /// and gives up after the acquire timeout; closing waits for the connections in use and
    /// refuses reads after it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_share_their_connections_and_one_dropped_half_way_leaves_its_connection_usable() {
        use futures::{FutureExt as _, StreamExt as _};
        let dir = std::env::temp_dir().join(format!("campus-db-{}", crate::id::new_id_string()));
        let mut config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        config.database.max_connections = 2;
        config.database.acquire_timeout_secs = 1;
        let db = Db::open(&config, "reading").await.unwrap();
        db.write_one(sqlx::query("CREATE TABLE notes (n BIGINT PRIMARY KEY)"))
            .await
            .unwrap();
        db.write_one(sqlx::query(
            "WITH RECURSIVE up(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM up WHERE n < 1000) \
             INSERT INTO notes (n) SELECT n FROM up",
        ))
        .await
        .unwrap();
        let count = || async {
            let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
                .fetch_one(db.pool())
                .await
                .unwrap();
            count
        };

        for _ in 0..3 {
            let mut rows = sqlx::query("SELECT n FROM notes").fetch(db.pool());
            assert!(rows.next().await.unwrap().is_ok());
            drop(rows);
            let mut conn = db.pool().acquire().await.unwrap();
            let _ = sqlx::query("SELECT n FROM notes")
                .fetch_all(&mut *conn)
                .now_or_never();
            drop(conn);
            assert_eq!(count().await, 1000);
        }

        // Both connections in use: the next read waits, then gives up.
        let mut first = db.pool().acquire().await.unwrap();
        let second = db.pool().acquire().await.unwrap();
        sqlx::query("CREATE TEMP TABLE marked (x BIGINT)")
            .execute(&mut *first)
            .await
            .unwrap();
        let waited = std::time::Instant::now();
        match db.pool().acquire().await {
            Err(sqlx::Error::PoolTimedOut) => {}
            other => panic!("expected the read to time out, got {:?}", other.map(drop)),
        }
        assert!(waited.elapsed() >= Duration::from_millis(900));
        // Handed back, the marked connection (its temporary table is its own) is the one the
        // next read gets.
        drop(first);
        let mut again = db.pool().acquire().await.unwrap();
        sqlx::query("SELECT count(*) FROM marked")
            .execute(&mut *again)
            .await
            .unwrap();
        drop(again);

        let closing = tokio::spawn({
            let db = db.clone();
            async move { db.close().await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !closing.is_finished(),
            "closing waits for the connection in use"
        );
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), closing)
            .await
            .expect("closing ends once the connection comes back")
            .unwrap();
        assert!(db.pool().acquire().await.is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    /// A commit leaves its pages in the write-ahead log (SQLite's own checkpoint is off on
    /// these connections, so no commit waits for one); the checkpointer copies them into the
    /// database file soon after, apart from the commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn committed_pages_reach_the_database_file_apart_from_commits() {
        let (db, dir) = notes().await;
        let (every,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(every, 0);
        let file = dir.join("grouping.db");
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap();
        let before = size();
        db.write_one(sqlx::query(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) \
             INSERT INTO notes (n) SELECT x FROM c",
        ))
        .await
        .unwrap();
        let waited = std::time::Instant::now();
        while size() <= before {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "the database file stayed at {before} bytes"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(count, 20000);
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }

    /// Under commits and reads that never pause, SQLite never finds the moment to start its
    /// log over by itself; past `database.sqlite_log_limit_mib` a checkpoint restarts it, so
    /// the log's file stays near the limit however long the writing goes on, and gives its
    /// space back once the writing stops.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_over_at_its_limit_under_writes_and_reads_that_never_pause() {
        let dir = std::env::temp_dir().join(format!("campus-db-{}", crate::id::new_id_string()));
        let mut config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        config.database.sqlite_log_limit_mib = 1;
        let db = Db::open(&config, "restarts").await.unwrap();
        sqlx::query("CREATE TABLE pages (n BIGINT PRIMARY KEY, body BLOB NOT NULL)")
            .execute(db.pool())
            .await
            .unwrap();
        let reading = Arc::new(AtomicBool::new(true));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (db, reading) = (db.clone(), reading.clone());
                tokio::spawn(async move {
                    while reading.load(Ordering::Relaxed) {
                        let _: (i64,) = sqlx::query_as("SELECT count(*) FROM pages")
                            .fetch_one(db.pool())
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        let log = dir.join("restarts.db-wal");
        let mut largest = 0;
        // About 16 KiB a commit, 8,000 commits: over 120 MiB through a log limited to 1 MiB
        // (with the restarts switched off, its file grows by all of it).
        for n in 0..8000i64 {
            db.write_one(
                sqlx::query("INSERT INTO pages (n, body) VALUES ($1, randomblob(16000))").bind(n),
            )
            .await
            .unwrap();
            largest = largest.max(std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0));
        }
        reading.store(false, Ordering::Relaxed);
        for reader in readers {
            reader.await.unwrap();
        }
        // The limit, plus what commits while a checkpoint runs and up to the next tick, the
        // sooner one once past the limit (8-14 MiB at 37 MB of commits a second on an idle
        // machine, over 24 MiB when the checkpointer waits for a processor).
        assert!(
            largest < 40 * 1024 * 1024,
            "the log's file grew to {largest} bytes"
        );
        // Once nothing is written, the file gives its space back.
        let waited = std::time::Instant::now();
        while std::fs::metadata(&log).map_or(0, |m| m.len()) > 1024 * 1024 {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "the idle log's file kept its space"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }

    /// Units that queue while the write lock is held commit as one group once it is let go:
    /// one failing unit of the group makes the others before it run again, which only a shared
    /// transaction does.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn units_waiting_for_the_write_lock_commit_as_one_group_when_it_is_free() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (db, dir) = notes().await;
        let held = db.begin().await.unwrap();
        let runs = Arc::new(AtomicUsize::new(0));
        let writer = db.inner.writer.as_ref().unwrap();
        let mut units = Vec::new();
        for n in 0..10i64 {
            let (db, runs) = (db.clone(), runs.clone());
            units.push(tokio::spawn(async move {
                db.write_grouped(move |uow| {
                    let runs = runs.clone();
                    Box::pin(async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        if n == 5 {
                            return Err(crate::Error::conflict("refused", "the sixth"));
                        }
                        sqlx::query("INSERT INTO notes (n) VALUES ($1)")
                            .bind(n)
                            .execute(uow.conn())
                            .await?;
                        Ok(())
                    })
                })
                .await
            }));
            // Queued in their order, so that the group meets the failing unit sixth.
            while lock(&writer.grouped).len() <= n as usize {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        held.commit().await.unwrap();
        for (n, unit) in units.into_iter().enumerate() {
            assert_eq!(unit.await.unwrap().is_ok(), n != 5, "unit {n}");
        }
        // Six runs until the sixth failed, then the nine others again, together.
        assert_eq!(runs.load(Ordering::SeqCst), 15);
        let (kept,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(kept, 9);
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
    }
}

/// `count` numbered parameters from `$first` (`$3, $4, $5`), for an `IN (...)` list or a
/// many-row `VALUES` written once for both backends.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `VALUES` of a many-row `INSERT`: `rows` rows of `columns` parameters each, numbered
/// from `$1` (`($1, $2), ($3, $4)`).
pub fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many of `left` rows the next many-row statement takes: the largest power of two that
/// fits, at most `most`, so a connection's statement cache holds a handful of shapes whatever
/// the count.
pub fn next_chunk(left: usize, most: usize) -> usize {
    most.min(1 << left.ilog2())
}

/// A `DOUBLE PRECISION` that may be `NULL`, to bind in place of `Option<f64>`.
///
/// sqlx 0.8's `Any` driver sends a `None` of `f64` to PostgreSQL as a `real` (float4) null,
/// and PostgreSQL keeps the parameter types of a prepared statement: once a statement ran with
/// `None`, the same statement with `Some(x)` on that connection fails ("incorrect binary data
/// format"). This type sends `None` as a double-precision null, so both run on one statement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Double(pub Option<f64>);

impl sqlx::Type<sqlx::Any> for Double {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <f64 as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for Double {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        match self.0 {
            Some(value) => <f64 as sqlx::Encode<sqlx::Any>>::encode_by_ref(&value, buf),
            // The driver maps a null of `f32` (its `Real` kind) to PostgreSQL's float8.
            None => <Option<f32> as sqlx::Encode<sqlx::Any>>::encode_by_ref(&None, buf),
        }
    }
}
