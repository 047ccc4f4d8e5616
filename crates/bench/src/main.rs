//! `campus-bench`: measures Campus Hub against the budgets of design section 7.
//!
//! Each scenario runs the real composition (`campus_host::Application`) in this process on the
//! chosen backends, drives it at a target rate for a fixed time, and prints throughput and
//! latency percentiles as a Markdown table row for `docs/benchmarks.md`.

mod assess;
mod chat;
mod events;
mod live;
mod mixed;
mod reads;
mod search;
mod startup;

use clap::{Parser, Subcommand, ValueEnum};

/// The same allocator as the `campus` binary, so the bare server it is compared with differs
/// only in what Campus Hub adds.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "campus-bench",
    about = "Load and latency harness for Campus Hub"
)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Event backbone: commits with one event each at a target rate; measures commit →
    /// handled latency in a consuming context.
    Events(events::Options),
    /// A class starts a timed quiz at once and submits within the minute: latency per step,
    /// errors, and one attempt and one grade per student afterwards.
    Exam(assess::ExamOptions),
    /// Chat: connected students in direct conversations, messages at a target rate; send →
    /// frame latency at the other member.
    Chat(chat::Options),
    /// The gradebook's CSV export of a course of N students × M items.
    GradebookExport(assess::ExportOptions),
    /// The real-time hub: N open live connections, grade → frame latency, memory per
    /// connection, and an announcement to a whole course of connected students.
    Live(live::Options),
    /// Holds the live connections for `live` in a process of their own.
    #[command(hide = true)]
    LiveClients(live::ClientOptions),
    /// Search over a school of `--documents` documents: query and suggestion throughput and
    /// latency, event → searchable lag at `--rate` posts per second, index size and rebuild
    /// time.
    Search(search::Options),
    /// A school day's mix (browse, open a course, read and complete lessons, enroll and leave,
    /// hand in, grade, chat, notifications) against the embedded shape, or against a running
    /// deployment with `--url`: requests/s and latency by step, and events/s.
    Mixed(mixed::Options),
    /// Cold start to ready and idle memory of the `campus` binary.
    Startup(startup::Options),
    /// Authenticated reads of the hottest routes (the catalogue, a course outline) against
    /// the `campus` binary, from concurrent keep-alive connections.
    Reads(reads::Options),
    /// Serves a bare axum JSON handler at `/healthz` (no middleware): what `reads --route
    /// bare` measures Campus Hub against.
    #[command(hide = true)]
    ServeBare {
        #[arg(long)]
        port: u16,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Storage {
    Sqlite,
    Postgres,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Bus {
    Embedded,
    Nats,
}

fn main() -> anyhow::Result<()> {
    // The servers it starts in its own process allocate as `campus` does.
    campus::allocator::settle();
    // Its servers' threads are prioritised as `campus` prioritises them (platform::priority).
    campus_platform::priority::keep_spawner()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(campus_platform::priority::runtime_thread)
        .on_thread_unpark(campus_platform::priority::runtime_thread)
        .build()?
        .block_on(run(Cli::parse().scenario))
}

async fn run(scenario: Scenario) -> anyhow::Result<()> {
    match scenario {
        Scenario::Events(options) => events::run(options).await,
        Scenario::Startup(options) => startup::run(options),
        Scenario::Exam(options) => assess::exam(options).await,
        Scenario::Chat(options) => chat::run(options).await,
        Scenario::Search(options) => search::run(options).await,
        Scenario::GradebookExport(options) => assess::gradebook_export(options).await,
        Scenario::Reads(options) => reads::run(options).await,
        Scenario::Mixed(options) => mixed::run(options).await,
        Scenario::Live(options) => live::run(options).await,
        Scenario::LiveClients(options) => live::clients(options).await,
        Scenario::ServeBare { port } => serve_bare(port).await,
    }
}

/// A JSON answer from axum with nothing in between: the framework's own cost.
async fn serve_bare(port: u16) -> anyhow::Result<()> {
    let answer = || async { axum::Json(serde_json::json!({ "status": "ok" })) };
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(answer))
        .route("/readyz", axum::routing::get(answer));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
