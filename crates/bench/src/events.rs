//! The event backbone under load.
//!
//! Writers commit one `Tick` per transaction in the `bench_source` context, paced to the
//! target rate; the `bench_sink` context handles each tick (inbox row plus one insert) and
//! records the time from the producer's commit returning to the handler running inside the
//! consumer's transaction.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use async_trait::async_trait;
use campus_host::Application;
use campus_platform::{
    config::{Config, ConnectionUrl},
    context::{Context, Running},
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
    id, time,
};
use clap::Args;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

use crate::{Bus, Storage};

static SOURCE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/source");
static SINK_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sink");

#[derive(Args)]
pub struct Options {
    #[arg(long, value_enum, default_value = "sqlite")]
    storage: Storage,
    #[arg(long, value_enum, default_value = "embedded")]
    bus: Bus,
    /// Events per second to commit.
    #[arg(long, default_value_t = 2000)]
    rate: u32,
    /// How long to produce.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent writers sharing the rate.
    #[arg(long, default_value_t = 8)]
    writers: u32,
    #[arg(
        long,
        env = "CAMPUS_TEST_POSTGRES_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    #[arg(
        long,
        env = "CAMPUS_TEST_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    nats_url: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Tick {
    id: String,
}

impl Event for Tick {
    const TYPE: &'static str = "campus.bench_source.tick.v1";

    fn subject(&self) -> String {
        self.id.clone()
    }
}

/// Commit instants by event id, filled by writers and drained by the handler.
type Committed = Arc<Mutex<HashMap<String, Instant>>>;

struct Sink {
    committed: Committed,
    latencies: Arc<Mutex<Histogram<u64>>>,
}

#[async_trait]
impl Handler for Sink {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO bench_seen (id, at) VALUES ($1, $2)")
            .bind(&event.id)
            .bind(time::now_ms())
            .execute(uow.conn())
            .await?;
        let started = self
            .committed
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .remove(&event.id);
        if let Some(committed) = started {
            let micros = committed.elapsed().as_micros() as u64;
            if let Ok(mut histogram) = self.latencies.lock() {
                histogram.saturating_record(micros);
            }
        }
        Ok(())
    }
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let unique = id::new_id_string().to_lowercase();
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: std::env::temp_dir().join(format!("campus-bench-{unique}")),
        ..Config::default()
    };
    let mut cleanup_database = None;
    if let Storage::Postgres = options.storage {
        let name = format!("campus_bench_{unique}");
        admin_sql(
            &options.postgres_url,
            &format!("CREATE DATABASE \"{name}\""),
        )
        .await?;
        config.database.url = Some(ConnectionUrl::new(with_database(
            &options.postgres_url,
            &name,
        )));
        cleanup_database = Some(name);
    }
    if let Bus::Nats = options.bus {
        config.bus.url = Some(ConnectionUrl::new(options.nats_url.clone()));
        config.bus.namespace = format!("bench{unique}");
    }

    let committed: Committed = Arc::new(Mutex::new(HashMap::new()));
    let latencies = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1,
        120_000_000,
        3,
    )?));
    let sink = {
        let committed = committed.clone();
        let latencies = latencies.clone();
        Context::new("bench_sink", &SINK_MIGRATIONS, move |_| {
            let sink = Sink {
                committed: committed.clone(),
                latencies: latencies.clone(),
            };
            async move {
                Ok(
                    Running::new(OpenApiRouter::new()).subscribe(Subscription::new(
                        "ticks",
                        vec![Tick::TYPE],
                        sink,
                    )),
                )
            }
        })
    };
    let source = Context::new("bench_source", &SOURCE_MIGRATIONS, |_| async {
        Ok(Running::new(OpenApiRouter::new()))
    });
    let app = Application::build(config.clone(), vec![source, sink]).await?;
    let source_db = app.database("bench_source").context("source runs")?.clone();
    let sink_db = app.database("bench_sink").context("sink runs")?.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let total = u64::from(options.rate) * options.seconds;
    let progress = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events ({per_sec})")?
            .progress_chars("=> "),
    );
    progress.set_message("committing");
    let per_writer = Duration::from_secs_f64(f64::from(options.writers) / f64::from(options.rate));
    let started = Instant::now();
    let mut writers = Vec::new();
    for writer in 0..options.writers {
        let db = source_db.clone();
        let committed = committed.clone();
        let progress = progress.clone();
        let count = total / u64::from(options.writers)
            + u64::from(u64::from(writer) < total % u64::from(options.writers));
        writers.push(tokio::spawn(async move {
            // Each writer has its own schedule, offset so writers interleave.
            let offset = per_writer.mul_f64(f64::from(writer) / f64::from(options.writers));
            let mut commit_times = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
            for n in 0..count {
                let due = started + offset + per_writer.mul_f64(n as f64);
                tokio::time::sleep_until(due.into()).await;
                let began = Instant::now();
                let mut uow = db.begin().await?;
                let tick = Tick {
                    id: id::new_id_string(),
                };
                sqlx::query("INSERT INTO bench_ticks (id, at) VALUES ($1, $2)")
                    .bind(&tick.id)
                    .bind(time::now_ms())
                    .execute(uow.conn())
                    .await?;
                let envelope = uow.record("bench", &tick).await?;
                // Registered before the commit wakes the relay; the clock restarts at commit.
                committed
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .insert(envelope.id.clone(), Instant::now());
                uow.commit().await?;
                if let Some(at) = committed
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .get_mut(&envelope.id)
                {
                    *at = Instant::now();
                }
                commit_times.saturating_record(began.elapsed().as_micros() as u64);
                progress.inc(1);
            }
            anyhow::Ok(commit_times)
        }));
    }
    let mut commit_times = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    for writer in writers {
        commit_times.add(writer.await??)?;
    }
    let produced_in = started.elapsed();
    progress.set_message("draining");
    let drain_deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (seen,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bench_seen")
            .fetch_one(sink_db.pool())
            .await?;
        if seen as u64 >= total || Instant::now() > drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let handled_in = started.elapsed();
    progress.finish_and_clear();
    let (seen,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bench_seen")
        .fetch_one(sink_db.pool())
        .await?;
    let _ = stop.send(());
    server.await??;

    let histogram = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let ms = |micros: u64| micros as f64 / 1000.0;
    println!(
        "events: storage={:?} bus={:?} target={}/s for {}s with {} writers",
        options.storage, options.bus, options.rate, options.seconds, options.writers
    );
    println!(
        "  committed {total} in {:.2}s ({:.0}/s); handled {seen} by {:.2}s ({:.0}/s)",
        produced_in.as_secs_f64(),
        total as f64 / produced_in.as_secs_f64(),
        handled_in.as_secs_f64(),
        seen as f64 / handled_in.as_secs_f64()
    );
    println!(
        "  producer commit: p50 {:.2} ms, p99 {:.2} ms",
        ms(commit_times.value_at_quantile(0.5)),
        ms(commit_times.value_at_quantile(0.99))
    );
    println!(
        "  commit -> handled: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples, mean {:.3} ms, min {} us)",
        ms(histogram.value_at_quantile(0.5)),
        ms(histogram.value_at_quantile(0.95)),
        ms(histogram.value_at_quantile(0.99)),
        ms(histogram.max()),
        histogram.len(),
        histogram.mean() / 1000.0,
        histogram.min()
    );
    println!(
        "| {:?} | {:?} | {}/s | {:.0}/s | {:.2} ms | {:.2} ms | {:.2} ms |",
        options.storage,
        options.bus,
        options.rate,
        seen as f64 / handled_in.as_secs_f64(),
        ms(histogram.value_at_quantile(0.5)),
        ms(histogram.value_at_quantile(0.99)),
        ms(histogram.max()),
    );

    std::fs::remove_dir_all(&config.data_dir).ok();
    if let Some(name) = cleanup_database {
        admin_sql(
            &options.postgres_url,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await?;
    }
    if let Bus::Nats = options.bus {
        let log =
            campus_bus::jetstream::JetStreamLog::connect(&options.nats_url, &config.bus).await?;
        log.delete_streams(&["bench_source"]).await;
    }
    anyhow::ensure!(
        seen as u64 == total,
        "only {seen} of {total} events were handled"
    );
    Ok(())
}

pub(crate) async fn admin_sql(url: &str, sql: &str) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    conn.execute(sqlx::raw_sql(sql)).await?;
    conn.close().await?;
    Ok(())
}

pub(crate) fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}
