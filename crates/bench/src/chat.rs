//! Chat under load, embedded shape: `--students` students of one course each hold a live
//! connection, paired into direct conversations. Messages are sent at `--rate` per second for
//! `--seconds`, each by one member of a conversation picked in turn; a message's text is the
//! moment it was sent, and its latency is from then to its `message` frame arriving at the
//! other member's socket (the sender's own copy is not counted). Everything runs in this
//! process — the server, the senders and the sockets — sharing the machine's two cores.

use std::{
    borrow::Cow,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::Context as _;
use clap::Args;
use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    assess::{call, histogram, ms, Installation},
    Storage,
};

#[derive(Args)]
pub struct Options {
    #[arg(long, value_enum, default_value = "sqlite")]
    storage: Storage,
    /// Students connected, two to a conversation. Each may send a burst of 60 messages and
    /// then one a second, so a run sends at most about `students × (60 + seconds)` messages.
    #[arg(long, default_value_t = 2_000)]
    students: usize,
    /// Messages per second.
    #[arg(long, default_value_t = 5_000)]
    rate: u64,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Sends waiting for their answer at once, at most.
    #[arg(long, default_value_t = 512)]
    in_flight: usize,
    /// Run only these contexts (comma-separated; all by default), to see what the others'
    /// consumers of messages cost on the same cores. Identity, courses and messaging are
    /// needed.
    #[arg(long, value_delimiter = ',')]
    contexts: Vec<String>,
    #[arg(
        long,
        env = "CAMPUS_TEST_POSTGRES_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
}

fn epoch_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_micros() as u64)
        .unwrap_or_default()
}

/// The send time a message's rendered body carries (`<p>t1733…</p>`).
fn sent_at(body_html: &str) -> Option<u64> {
    let start = body_html.find('t')? + 1;
    let digits: String = body_html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A frame's type, its other fields skipped unread. The sockets share the server's
/// processors, so they read only what the measurement needs, without building a JSON tree of
/// every frame: work the members' own devices would do.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

/// A `message` frame's author and rendered body.
#[derive(Deserialize)]
struct MessageFrame<'a> {
    #[serde(borrow)]
    data: MessageData<'a>,
}

#[derive(Deserialize)]
struct MessageData<'a> {
    #[serde(borrow)]
    author_id: Cow<'a, str>,
    #[serde(borrow)]
    body_html: Cow<'a, str>,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(options.students >= 2, "at least two students");
    let site = Installation::start_with_bus(
        options.storage,
        &options.postgres_url,
        None,
        &options.contexts,
    )
    .await?;
    let course = site.course().await?;
    let students = site
        .students_of_school(&course, options.students, options.students)
        .await?;
    let tokens: Vec<String> = students
        .iter()
        .map(|student| site.token(student))
        .collect::<anyhow::Result<_>>()?;
    eprintln!("{} students seeded; starting conversations", students.len());

    // Pairs: student 2i writes with student 2i + 1.
    let pairs = students.len() / 2;
    let started = futures::stream::iter(0..pairs)
        .map(|pair| {
            let (client, base) = (site.client.clone(), site.base.clone());
            let (token, other) = (tokens[2 * pair].clone(), students[2 * pair + 1].clone());
            async move {
                let conversation = call(
                    &client,
                    Method::POST,
                    &format!("{base}/api/v1/conversations"),
                    Some(&token),
                    Some(json!({ "member_ids": [other] })),
                )
                .await?;
                anyhow::Ok(conversation["id"].as_str().context("no id")?.to_owned())
            }
        })
        .buffered(32)
        .collect::<Vec<_>>()
        .await;
    let conversations: Vec<String> = started.into_iter().collect::<anyhow::Result<_>>()?;

    // A socket per student; each records the latency of the frames of others' messages.
    let (latencies, mut arrived) = mpsc::unbounded_channel::<u64>();
    let (opened, mut answered) = mpsc::unbounded_channel::<bool>();
    let url = format!("{}/api/v1/ws", site.base.replacen("http://", "ws://", 1));
    let opening = Arc::new(Semaphore::new(128));
    for (student, token) in students.iter().zip(&tokens) {
        let (url, token, me) = (url.clone(), token.clone(), student.clone());
        let (latencies, opened, opening) = (latencies.clone(), opened.clone(), opening.clone());
        tokio::spawn(async move {
            let mut permit = Some(opening.acquire_owned().await);
            let config = Some(crate::live::client_socket_config());
            let connected =
                tokio_tungstenite::connect_async_with_config(url.as_str(), config, false).await;
            let Ok((mut socket, _)) = connected else {
                let _ = opened.send(false);
                return;
            };
            let auth = json!({ "type": "auth", "data": { "token": token } }).to_string();
            if socket.send(Message::Text(auth.into())).await.is_err() {
                let _ = opened.send(false);
                return;
            }
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let now = epoch_us();
                let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
                    continue;
                };
                match &*frame.kind {
                    "ready" if permit.is_some() => {
                        permit.take();
                        let _ = opened.send(true);
                    }
                    "message" => {
                        let Ok(MessageFrame { data }) = serde_json::from_str(&text) else {
                            continue;
                        };
                        if data.author_id != me.as_str() {
                            if let Some(sent) = sent_at(&data.body_html) {
                                let _ = latencies.send(now.saturating_sub(sent));
                            }
                        }
                    }
                    _ => {}
                }
            }
        });
    }
    drop(latencies);
    drop(opened);
    let (mut ready, mut refused) = (0, 0);
    while ready + refused < students.len() {
        match answered.recv().await {
            Some(true) => ready += 1,
            Some(false) => refused += 1,
            None => break,
        }
    }
    anyhow::ensure!(refused == 0, "{refused} sockets did not open");
    eprintln!(
        "{ready} sockets open; sending {} messages a second for {} s",
        options.rate, options.seconds
    );

    // Each conversation's address, parsed once.
    let posting: Vec<reqwest::Url> = conversations
        .iter()
        .map(|id| format!("{}/api/v1/conversations/{id}/messages", site.base).parse())
        .collect::<Result<_, _>>()?;
    // Open loop: the sends of each millisecond leave on time whether or not earlier ones are
    // answered, up to `--in-flight` at once (past that the harness, not the server, is late).
    let accepted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut late = 0u64;
    let in_flight = Arc::new(Semaphore::new(options.in_flight));
    let total = options.rate * options.seconds;
    let start = Instant::now();
    let mut sends = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = start + Duration::from_micros(n * 1_000_000 / options.rate);
        tokio::time::sleep_until(due.into()).await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            late += 1;
            continue;
        };
        let pair = (n as usize) % conversations.len();
        // The two members take turns, a round of conversations apart.
        let sender = 2 * pair + ((n as usize) / conversations.len()) % 2;
        let client = site.client.clone();
        let (token, url) = (tokens[sender].clone(), posting[pair].clone());
        let (accepted, failed) = (accepted.clone(), failed.clone());
        sends.push(tokio::spawn(async move {
            let answer = client
                .post(url)
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(format!(r#"{{"body":"t{}"}}"#, epoch_us()))
                .send()
                .await;
            let answer = match answer {
                // Read to its end, so the connection serves the next send.
                Ok(answer) => Some((answer.status().as_u16(), answer.bytes().await.is_ok())),
                Err(_) => None,
            };
            match answer {
                Some((201, true)) => accepted.fetch_add(1, Ordering::Relaxed),
                _ => failed.fetch_add(1, Ordering::Relaxed),
            };
            drop(permit);
        }));
    }
    for send in sends {
        send.await?;
    }
    let sending = start.elapsed().as_secs_f64();
    // Frames still on their way.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut latency = histogram()?;
    while let Ok(us) = arrived.try_recv() {
        latency.saturating_record(us.max(1));
    }
    let accepted = accepted.load(Ordering::Relaxed);
    println!(
        "| chat, {} students in {} direct conversations, {} msg/s target, {} s | {:.0} messages/s accepted ({} accepted, {} failed, {} not sent: harness at its in-flight limit) | {} frames delivered to the other member ({:.0}/s) | send → frame p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms |",
        students.len(),
        conversations.len(),
        options.rate,
        options.seconds,
        accepted as f64 / sending,
        accepted,
        failed.load(Ordering::Relaxed),
        late,
        latency.len(),
        latency.len() as f64 / sending,
        ms(&latency, 0.5),
        ms(&latency, 0.99),
        ms(&latency, 0.999),
        latency.max() as f64 / 1000.0,
    );
    site.stop().await
}
