//! The real-time hub under load, embedded shape:
//!
//! - N students hold a live connection open (by default 20,000); a sample of them have handed
//!   in work, and the teacher grades it at a steady rate. Latency is from the grade request
//!   being sent to the `notification` frame arriving at that student's socket.
//! - An announcement to a course of M students (by default 2,000), all connected: time until
//!   every in-app notification exists, and until every socket has its frame.
//! - Memory per open connection: the server's resident memory before and after the
//!   connections open, divided by their number.
//!
//! The sockets are held by other processes (this binary's hidden `live-clients` scenario), so
//! the server's memory is its own; all processes share the machine's two cores, and the clock
//! that times a frame from request to arrival. A process may hold at most as many sockets as
//! its open-file limit allows (`ulimit -n`), which bounds the connections one server holds.
//! With `--second-node` (PostgreSQL and NATS) a second `campus serve` process runs the
//! notifications context beside the first, the students' sockets are dealt alternately to the
//! two, and a frame reaches a socket on the other node through NATS: the distributed shape,
//! and the way past one process's open-file limit.

use std::{
    collections::HashMap,
    io::Write as _,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::Context as _;
use clap::Args;
use futures::{SinkExt, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    sync::{Mutex, Semaphore},
};
use tokio_tungstenite::tungstenite::{protocol::WebSocketConfig, Message};

use crate::{
    assess::{call, histogram, ms, Installation},
    startup::resident_kib,
    Storage,
};

#[derive(Args)]
pub struct Options {
    #[arg(long, value_enum, default_value = "sqlite")]
    storage: Storage,
    /// Students holding a live connection.
    #[arg(long, default_value_t = 20_000)]
    connections: usize,
    /// Of them, in the course the announcement goes to.
    #[arg(long, default_value_t = 2_000)]
    course_size: usize,
    /// Grades given (each to a different student of the course), one frame each.
    #[arg(long, default_value_t = 1_000)]
    grades: usize,
    /// Grades per second.
    #[arg(long, default_value_t = 50)]
    rate: u64,
    #[arg(
        long,
        env = "CAMPUS_TEST_POSTGRES_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// A second server process (`campus serve --contexts notifications`, the `campus` binary
    /// beside this one) holds half the sockets; needs `--storage postgres` and NATS.
    #[arg(long)]
    second_node: bool,
    #[arg(
        long,
        env = "CAMPUS_TEST_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    nats_url: String,
}

#[derive(Args)]
pub struct ClientOptions {
    /// The socket's address (`ws://host:port/api/v1/ws`).
    #[arg(long)]
    url: String,
    /// A file of `<client number> <access token>` lines.
    #[arg(long)]
    tokens: std::path::PathBuf,
}

/// Sockets per client process: a process may hold 20,000 open files on this machine (a hard
/// limit a container cannot raise), so the clients are spread over processes.
const SOCKETS_PER_CLIENT_PROCESS: usize = 9_000;

fn epoch_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_micros() as u64)
        .unwrap_or_default()
}

/// The second process: opens a socket per token, says `ready <opened> <failed> <rss KiB>`
/// once all have answered, then `frame <client> <kind> <epoch µs>` for each notification.
pub async fn clients(options: ClientOptions) -> anyhow::Result<()> {
    let tokens: Vec<(usize, String)> = std::fs::read_to_string(&options.tokens)?
        .lines()
        .filter_map(|line| {
            let (n, token) = line.split_once(' ')?;
            Some((n.parse().ok()?, token.to_owned()))
        })
        .collect();
    let expected = tokens.len();
    let (said, mut to_say) = tokio::sync::mpsc::unbounded_channel::<String>();
    let opening = Arc::new(Semaphore::new(256));
    let (opened, mut answered) = tokio::sync::mpsc::unbounded_channel::<bool>();
    for (n, token) in tokens {
        let url = options.url.clone();
        let said = said.clone();
        let opened = opened.clone();
        let opening = opening.clone();
        tokio::spawn(async move {
            // At most so many handshakes at once; the socket stays open after.
            let mut permit = Some(opening.acquire_owned().await);
            let connected = tokio_tungstenite::connect_async_with_config(
                url.as_str(),
                Some(client_socket_config()),
                false,
            )
            .await;
            let Ok((mut socket, _)) = connected else {
                let _ = opened.send(false);
                return;
            };
            let auth = json!({ "type": "auth", "data": { "token": token } }).to_string();
            if socket.send(Message::Text(auth.into())).await.is_err() {
                let _ = opened.send(false);
                return;
            }
            let mut ready = false;
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let arrived = epoch_us();
                let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match frame["type"].as_str() {
                    Some("ready") if !ready => {
                        ready = true;
                        permit.take();
                        let _ = opened.send(true);
                    }
                    Some("notification") => {
                        let kind = frame["data"]["kind"].as_str().unwrap_or("?");
                        let _ = said.send(format!("frame {n} {kind} {arrived}"));
                    }
                    _ => {}
                }
            }
            if !ready {
                let _ = opened.send(false);
            }
        });
    }
    drop(said);
    drop(opened);
    let (mut ok, mut failed) = (0, 0);
    while ok + failed < expected {
        match answered.recv().await {
            Some(true) => ok += 1,
            Some(false) => failed += 1,
            None => break,
        }
    }
    let rss = resident_kib(std::process::id()).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {ok} {failed} {rss}")?;
    out.flush()?;
    drop(out);
    while let Some(line) = to_say.recv().await {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(())
}

/// Frame arrivals by client, per kind, as the second process reports them.
type Arrivals = Arc<Mutex<HashMap<(usize, String), u64>>>;

/// A client socket as light as the server's: tungstenite zeroes its whole read buffer before
/// every read (128 KiB by default), which thousands of bench sockets would pay in processor
/// time taken from the server on the same cores; no write buffer is kept between frames.
pub(crate) fn client_socket_config() -> WebSocketConfig {
    let mut config = WebSocketConfig::default();
    config.read_buffer_size = 4096;
    config.write_buffer_size = 0;
    config
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.course_size <= options.connections && options.grades <= options.course_size,
        "grades ≤ course size ≤ connections"
    );
    anyhow::ensure!(
        !options.second_node || matches!(options.storage, Storage::Postgres),
        "--second-node needs --storage postgres"
    );
    let site = if options.second_node {
        Installation::start_with_bus(
            options.storage,
            &options.postgres_url,
            Some(&options.nats_url),
            &[],
        )
        .await?
    } else {
        Installation::start(options.storage, &options.postgres_url).await?
    };
    let course = site.course().await?;
    let students = site
        .students_of_school(&course, options.connections, options.course_size)
        .await?;
    // The graded students hand in first, before anyone is connected.
    let assignment = call(
        &site.client,
        Method::POST,
        &format!("{}/api/v1/courses/{course}/assignments", site.base),
        Some(&site.admin),
        Some(json!({ "title": "Essay", "max_points": 10, "submission_types": ["text"] })),
    )
    .await?;
    let assignment = assignment["id"].as_str().context("assignment")?.to_owned();
    call(
        &site.client,
        Method::POST,
        &format!("{}/api/v1/assignments/{assignment}/publish", site.base),
        Some(&site.admin),
        None,
    )
    .await?;
    let progress = bar(options.grades, "hand-ins")?;
    let mut submissions = Vec::with_capacity(options.grades);
    for student in students.iter().take(options.grades) {
        let handed = call(
            &site.client,
            Method::POST,
            &format!("{}/api/v1/assignments/{assignment}/submissions", site.base),
            Some(&site.token(student)?),
            Some(json!({ "text": "My essay." })),
        )
        .await?;
        submissions.push(handed["id"].as_str().context("submission")?.to_owned());
        progress.inc(1);
    }
    progress.finish();
    // Let the publication's notifications settle, so the frames counted below are the
    // grades' and the announcement's.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let second = match options.second_node {
        true => Some(SecondNode::start(&site).await?),
        false => None,
    };
    let mut nodes = vec![(site.base.clone(), None)];
    if let Some(node) = &second {
        nodes.push((node.base.clone(), node.child.id()));
    }
    let before: Vec<u64> = nodes
        .iter()
        .map(|(_, pid)| resident_kib(pid.unwrap_or(std::process::id())))
        .collect::<anyhow::Result<_>>()?;
    let opening = Instant::now();
    let mut children = Vec::new();
    let mut outputs = Vec::new();
    let mut token_files = Vec::new();
    // Student n's socket goes to node n mod nodes: each node holds every other student, graded
    // or not, so grades cross between the nodes as often as not.
    let processes_per_node = students
        .len()
        .div_ceil(nodes.len())
        .div_ceil(SOCKETS_PER_CLIENT_PROCESS)
        .max(1);
    for (node, (base, _)) in nodes.iter().enumerate() {
        let socket_url = format!("{}/api/v1/ws", base.replacen("http://", "ws://", 1));
        let mine: Vec<(usize, &String)> = students
            .iter()
            .enumerate()
            .filter(|(n, _)| n % nodes.len() == node)
            .collect();
        for (part, group) in mine
            .chunks(mine.len().div_ceil(processes_per_node).max(1))
            .enumerate()
        {
            let file = std::env::temp_dir().join(format!(
                "campus-bench-tokens-{}-{node}-{part}",
                std::process::id()
            ));
            let mut tokens = String::new();
            for (n, student) in group {
                tokens.push_str(&format!("{n} {}\n", site.token(student)?));
            }
            std::fs::write(&file, tokens)?;
            let mut child = tokio::process::Command::new(std::env::current_exe()?)
                .args(["live-clients", "--url", &socket_url, "--tokens"])
                .arg(&file)
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()?;
            outputs.push(BufReader::new(child.stdout.take().context("client output")?).lines());
            children.push(child);
            token_files.push(file);
        }
    }
    let (mut opened, mut failed, mut client_rss) = (0, 0, 0);
    for lines in &mut outputs {
        let ready = lines.next_line().await?.context("the clients stopped")?;
        let fields: Vec<u64> = ready
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        let [ok, refused, rss] = fields[..] else {
            anyhow::bail!("unexpected from the clients: {ready}");
        };
        opened += ok;
        failed += refused;
        client_rss += rss;
    }
    let opened_in = opening.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut grew = 0;
    for ((_, pid), before) in nodes.iter().zip(&before) {
        grew += resident_kib(pid.unwrap_or(std::process::id()))?.saturating_sub(*before);
    }
    let per_connection = grew as f64 * 1024.0 / opened.max(1) as f64;

    let arrivals: Arrivals = Arc::default();
    let mut listening = Vec::new();
    for mut lines in outputs {
        let arrivals = arrivals.clone();
        listening.push(tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut fields = line.split_whitespace().skip(1);
                let (Some(n), Some(kind), Some(at)) = (fields.next(), fields.next(), fields.next())
                else {
                    continue;
                };
                if let (Ok(n), Ok(at)) = (n.parse::<usize>(), at.parse::<u64>()) {
                    arrivals.lock().await.insert((n, kind.to_owned()), at);
                }
            }
        }));
    }

    // Grades at a steady rate, each timed from its request to its student's frame.
    let progress = bar(options.grades, "grades")?;
    let sent_at: Arc<Mutex<HashMap<usize, u64>>> = Arc::default();
    let began = Instant::now();
    let mut grading = Vec::new();
    for (n, submission) in submissions.iter().enumerate() {
        let due = began + Duration::from_micros(n as u64 * 1_000_000 / options.rate.max(1));
        tokio::time::sleep_until(due.into()).await;
        let (client, base, admin, sent_at, progress) = (
            site.client.clone(),
            site.base.clone(),
            site.admin.clone(),
            sent_at.clone(),
            progress.clone(),
        );
        let submission = submission.clone();
        grading.push(tokio::spawn(async move {
            sent_at.lock().await.insert(n, epoch_us());
            let graded = call(
                &client,
                Method::POST,
                &format!("{base}/api/v1/submissions/{submission}/grade"),
                Some(&admin),
                Some(json!({ "points": 8 })),
            )
            .await;
            progress.inc(1);
            graded.is_ok()
        }));
    }
    let mut grade_errors = 0;
    for task in grading {
        if !task.await? {
            grade_errors += 1;
        }
    }
    progress.finish();
    let graded_in = began.elapsed();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut latency = histogram()?;
    let mut missing = options.grades;
    while Instant::now() < deadline {
        let got = arrivals.lock().await;
        missing = (0..options.grades)
            .filter(|n| !got.contains_key(&(*n, "submission_graded".to_owned())))
            .count();
        if missing == 0 {
            break;
        }
        drop(got);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    {
        let got = arrivals.lock().await;
        let sent = sent_at.lock().await;
        for (n, at) in sent.iter() {
            if let Some(arrived) = got.get(&(*n, "submission_graded".to_owned())) {
                latency.saturating_record(arrived.saturating_sub(*at));
            }
        }
    }

    // One announcement to the whole course.
    let notifications = site.db("notifications")?.clone();
    let announced_at = epoch_us();
    let posted = Instant::now();
    call(
        &site.client,
        Method::POST,
        &format!("{}/api/v1/courses/{course}/announcements", site.base),
        Some(&site.admin),
        Some(json!({ "title": "Assembly", "body": "In the hall at nine." })),
    )
    .await?;
    let mut stored_in = None;
    let mut delivered_in = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && (stored_in.is_none() || delivered_in.is_none()) {
        if stored_in.is_none() {
            let (stored,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM notifications WHERE kind = 'announcement_posted'",
            )
            .fetch_one(notifications.pool())
            .await?;
            if stored as usize >= options.course_size {
                stored_in = Some(posted.elapsed());
            }
        }
        if delivered_in.is_none() {
            let got = arrivals.lock().await;
            let frames: Vec<u64> = got
                .iter()
                .filter(|((_, kind), _)| kind == "announcement_posted")
                .map(|(_, at)| *at)
                .collect();
            if frames.len() >= options.course_size {
                let last = frames.iter().max().copied().unwrap_or(announced_at);
                delivered_in = Some(Duration::from_micros(last.saturating_sub(announced_at)));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let children_count = children.len();
    for mut child in children {
        let _ = child.kill().await;
    }
    for task in listening {
        task.abort();
    }
    for file in token_files {
        let _ = std::fs::remove_file(file);
    }
    if let Some(node) = second {
        node.stop().await;
    }

    println!(
        "Server processes: {} ({}).",
        nodes.len(),
        if nodes.len() > 1 {
            "PostgreSQL and NATS; sockets dealt alternately, frames cross through NATS"
        } else {
            "embedded in this process"
        }
    );
    println!();
    println!("| open connections | opened in | failed | server memory per connection | client processes | grades | rate | grade → frame p50 / p99 / max | frames missing | grade errors |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {opened} | {:.1} s | {failed} | {:.1} KB | {} MB ({} processes) | {} in {:.1} s | {}/s | {:.1} / {:.1} / {:.1} ms | {missing} | {grade_errors} |",
        opened_in.as_secs_f64(),
        per_connection / 1024.0,
        client_rss / 1024,
        children_count,
        options.grades,
        graded_in.as_secs_f64(),
        options.rate,
        ms(&latency, 0.5),
        ms(&latency, 0.99),
        latency.max() as f64 / 1000.0,
    );
    let shown = |took: Option<Duration>| {
        took.map_or("not within 60 s".to_owned(), |took| {
            format!("{:.0} ms", took.as_secs_f64() * 1000.0)
        })
    };
    println!();
    println!("| announcement to | every in-app notification stored | every connected client has its frame |");
    println!("|---|---|---|");
    println!(
        "| {} students | {} | {} |",
        options.course_size,
        shown(stored_in),
        shown(delivered_in)
    );
    site.stop().await
}

/// A second `campus serve` running the notifications context beside the bench's own server,
/// on the same PostgreSQL database and NATS namespace, trusting the bench's token key through
/// a JWKS document the bench serves.
struct SecondNode {
    base: String,
    child: tokio::process::Child,
    jwks: tokio::task::JoinHandle<()>,
    data_dir: std::path::PathBuf,
}

impl SecondNode {
    async fn start(site: &Installation) -> anyhow::Result<Self> {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
        let jwks = json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
            "kid": crate::assess::BENCH_KEY, "x": URL_SAFE_NO_PAD.encode(&site.bench_public_key) }] });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let jwks_url = format!("http://{}/jwks.json", listener.local_addr()?);
        let router = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
        let jwks = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let data_dir = site.config.data_dir.with_extension("second-node");
        let campus = std::env::current_exe()?
            .parent()
            .context("the bench's folder")?
            .join("campus");
        let config = &site.config;
        let mut command = tokio::process::Command::new(&campus);
        command
            .arg("serve")
            .env("CAMPUS_LISTEN", format!("127.0.0.1:{port}"))
            .env("CAMPUS_DATA_DIR", &data_dir)
            .env("CAMPUS_CONTEXTS", "[notifications]")
            .env("CAMPUS_AUTH__JWKS_URL", &jwks_url)
            .env("CAMPUS_LOG__FILTER", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true);
        if let Some(url) = &config.database.url {
            command.env("CAMPUS_DATABASE__URL", url.expose());
        }
        if let Some(url) = &config.bus.url {
            command.env("CAMPUS_BUS__URL", url.expose());
        }
        command.env("CAMPUS_BUS__NAMESPACE", &config.bus.namespace);
        if let Some(key) = &config.secrets.key {
            command.env("CAMPUS_SECRETS__KEY", key.expose());
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", campus.display()))?;
        let ready = format!("{base}/readyz");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = site.client.get(&ready).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the second node was not ready within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(Self {
            base,
            child,
            jwks,
            data_dir,
        })
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.jwks.abort();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn bar(len: usize, what: &str) -> anyhow::Result<ProgressBar> {
    Ok(ProgressBar::new(len as u64).with_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}})"
        ))?
        .progress_chars("=> "),
    ))
}
