//! The distributed shape as `deploy/one-machine/up.sh` starts it: nginx routing by path to five
//! campus processes (identity; two of courses, assessments and gradebook; notifications; one
//! with every context) on PostgreSQL, a NATS JetStream server of its own and Redis. Everything
//! below goes through nginx, as a school's users would, except one student's socket, which is
//! held by another process than the one nginx sends sockets to: an announcement reaches both,
//! so a live frame crossed from the process that made it to the other.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use campus_testkit::{eventually, postgres_url, redis_url};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::{connect_async, tungstenite::Message};

const WITHIN: Duration = Duration::from_secs(30);
const PASSWORD: &str = "correct horse battery staple";

/// The deployment, stopped (and its database dropped) when the test ends, pass or fail.
struct Deployment {
    state: PathBuf,
    postgres: String,
    database: String,
}

impl Drop for Deployment {
    fn drop(&mut self) {
        Command::new("bash")
            .arg(repo().join("deploy/one-machine/down.sh"))
            .env("STATE_DIR", &self.state)
            .status()
            .ok();
        Command::new("psql")
            .arg(&self.postgres)
            .args([
                "-qc",
                &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.database),
            ])
            .status()
            .ok();
        std::fs::remove_dir_all(&self.state).ok();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A port nothing listens on, with `also` more after it free too, and the one 4,000 above it
/// (NATS's monitoring port). Chosen below the kernel's ephemeral range (32768 and up here): a
/// port from that range can be taken between this check and the process binding it, by any
/// outgoing connection of the tests running beside this one.
fn free_ports(also: u16) -> u16 {
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new();
    for attempt in 0u32.. {
        let first = 20_000 + (random.hash_one(attempt) % 8_000) as u16;
        let free = (0..=also)
            .chain([4_000])
            .all(|n| std::net::TcpListener::bind(("127.0.0.1", first + n)).is_ok());
        if free {
            return first;
        }
    }
    unreachable!("some port below the ephemeral range is free")
}

fn nginx_installed() -> bool {
    Path::new("/usr/sbin/nginx").exists()
        || Command::new("nginx")
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success())
}

/// POSTs `body` (none when it is `null`) and answers the JSON, failing on a refusal.
async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = client.post(&url);
    if !body.is_null() {
        request = request.json(&body);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {url}: {status} {body}");
    body
}

async fn sign_in(client: &reqwest::Client, base: &str, school: &str, email: &str) -> String {
    let tokens = post(
        client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({ "school": school, "email": email, "password": PASSWORD }),
    )
    .await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_socket(url: String, token: &str) -> Socket {
    let (mut socket, _) = connect_async(url).await.unwrap();
    let auth = json!({ "type": "auth", "data": { "token": token } });
    socket
        .send(Message::Text(auth.to_string().into()))
        .await
        .unwrap();
    let ready = next_frame(&mut socket).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    socket
}

async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WITHIN, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a readable frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// The notification frame whose text mentions `words`, past any other frame.
async fn notification_about(socket: &mut Socket, words: &str) -> Value {
    loop {
        let frame = next_frame(socket).await;
        if frame["type"] == "notification"
            && frame["data"]["text"]
                .as_str()
                .is_some_and(|text| text.contains(words))
        {
            return frame["data"].clone();
        }
    }
}

#[tokio::test]
async fn the_one_machine_deployment_serves_everything_through_nginx() {
    let (Some(postgres), Some(redis)) = (postgres_url(), redis_url()) else {
        eprintln!("CAMPUS_TEST_POSTGRES_URL or CAMPUS_TEST_REDIS_URL is not set; skipping the one-machine deployment");
        return;
    };
    if !nginx_installed() {
        eprintln!("nginx is not installed (apt-get install nginx-light); skipping the one-machine deployment");
        return;
    }
    let suffix = campus_platform::id::new_id_string().to_lowercase();
    let state = std::env::temp_dir().join(format!("campus-one-machine-{suffix}"));
    let port = free_ports(0);
    // Seven processes: identity, two of learning, notifications, web, two of search.
    let first = free_ports(7);
    let nats = free_ports(0);
    let database = format!("campus_om_{suffix}");
    let deployment = Deployment {
        state: state.clone(),
        postgres: postgres.clone(),
        database: database.clone(),
    };
    let started = {
        let (state, postgres, database) = (state.clone(), postgres.clone(), database.clone());
        tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .arg(repo().join("deploy/one-machine/up.sh"))
                .env("CAMPUS_BIN", env!("CARGO_BIN_EXE_campus"))
                .env("STATE_DIR", &state)
                .env("PORT", port.to_string())
                .env("FIRST_PORT", first.to_string())
                .env("NATS_PORT", nats.to_string())
                .env("POSTGRES_URL", &postgres)
                .env("DATABASE", &database)
                .env("REDIS_URL", &redis)
                .env_remove("RUST_LOG")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let logs = || {
        std::fs::read_dir(state.join("logs"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| {
                        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                        let tail: Vec<&str> = text.lines().rev().take(15).collect();
                        format!("--- {}\n{}", e.path().display(), tail.join("\n"))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    assert!(
        started.status.success(),
        "up.sh failed: {}\n{}",
        String::from_utf8_lossy(&started.stderr),
        logs()
    );
    let base = String::from_utf8_lossy(&started.stdout).trim().to_owned();
    assert_eq!(base, format!("http://127.0.0.1:{port}"));
    let client = reqwest::Client::new();

    // The school's admin signs it up; the people are added; everyone signs in (identity).
    let school = format!("om-{}", &suffix[suffix.len() - 8..]);
    let made = post(
        &client,
        format!("{base}/api/v1/schools"),
        None,
        json!({ "slug": school, "name": "One Machine High", "admin_email": "ada@example.org",
                "admin_password": PASSWORD, "admin_name": "Ada" }),
    )
    .await;
    let admin = made["tokens"]["access_token"].as_str().unwrap().to_owned();
    for (email, name, role) in [
        ("tess@example.org", "Tess", "teacher"),
        ("sam@example.org", "Sam", "student"),
        ("kim@example.org", "Kim", "student"),
    ] {
        post(
            &client,
            format!("{base}/api/v1/users"),
            Some(&admin),
            json!({ "email": email, "display_name": name, "role": role, "password": PASSWORD }),
        )
        .await;
    }
    let tess = sign_in(&client, &base, &school, "tess@example.org").await;
    let sam = sign_in(&client, &base, &school, "sam@example.org").await;
    let kim = sign_in(&client, &base, &school, "kim@example.org").await;

    // A course taught and joined (courses, on the learning processes).
    let course = post(
        &client,
        format!("{base}/api/v1/courses"),
        Some(&tess),
        json!({ "title": "Physics" }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        &client,
        format!("{base}/api/v1/courses/{course}/publish"),
        Some(&tess),
        Value::Null,
    )
    .await;
    for student in [&sam, &kim] {
        post(
            &client,
            format!("{base}/api/v1/courses/{course}/enroll"),
            Some(student),
            Value::Null,
        )
        .await;
    }
    // Search, on its own two processes behind nginx, finds the course; each replica keeps a
    // full index, so both answer the same.
    for _ in 0..4 {
        eventually(
            Duration::from_secs(30),
            "search to find the course",
            || async {
                let page: Value = client
                    .get(format!("{base}/api/v1/search?q=physics"))
                    .bearer_auth(&kim)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                (page["items"][0]["title"] == "Physics").then_some(())
            },
        )
        .await;
    }
    // Notifications keeps the course's roster from the enrollment events.
    let db = sqlx::PgPool::connect(&format!(
        "{}/{database}",
        postgres.rsplit_once('/').unwrap().0
    ))
    .await
    .unwrap();
    eventually(WITHIN, "notifications learns the roster", || {
        let (db, course) = (db.clone(), course.clone());
        async move {
            let (count,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM notifications.roster_places WHERE course_id = $1",
            )
            .bind(&course)
            .fetch_one(&db)
            .await
            .ok()?;
            (count == 3).then_some(())
        }
    })
    .await;

    // Sam's socket goes through nginx to the notifications process; Kim's is held by the
    // process running every context. One announcement reaches both.
    let web_port = first + 4;
    let mut sams = open_socket(format!("ws://127.0.0.1:{port}/api/v1/ws"), &sam).await;
    let mut kims = open_socket(format!("ws://127.0.0.1:{web_port}/api/v1/ws"), &kim).await;
    post(
        &client,
        format!("{base}/api/v1/courses/{course}/announcements"),
        Some(&tess),
        json!({ "title": "Lab moved to Friday", "body": "Room 4." }),
    )
    .await;
    let heard = notification_about(&mut sams, "Physics").await;
    let also = notification_about(&mut kims, "Physics").await;
    assert_eq!(heard["kind"], also["kind"], "{heard} {also}");

    in_chromium(&client, &base, &school, &tess, &course).await;

    // The pages come from the process with every context.
    let page = client.get(format!("{base}/sign-in")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .headers()
        .get("content-type")
        .is_some_and(|t| t.to_str().unwrap_or_default().starts_with("text/html")));
    // The signing keys are identity's, published through nginx.
    let keys: Value = client
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!keys["keys"].as_array().unwrap().is_empty(), "{keys}");

    kill_each_process_under_load(&client, &base, &state, &db, &tess, &course).await;
    db.close().await;
    drop(deployment);
}

/// Sam in Chromium, through nginx: signs in on the page (identity's process answers the form
/// through the process with every context), opens the course, and the bell on that page hears
/// an announcement live (the page's socket goes through nginx to the notifications process).
async fn in_chromium(
    client: &reqwest::Client,
    base: &str,
    school: &str,
    teacher: &str,
    course: &str,
) {
    use crate::pages_in_chromium::{browser, fill, live_bell, start_driver, submit};
    let Some(driver) = start_driver().await else {
        eprintln!("chromedriver or Chromium is not installed; skipping the browser part");
        return;
    };
    let sam = browser(&driver, true, 1280).await;
    sam.goto(&format!("{base}/sign-in")).await.unwrap();
    fill(&sam, "school", school).await;
    fill(&sam, "email", "sam@example.org").await;
    fill(&sam, "password", PASSWORD).await;
    submit(&sam, "/sign-in").await;
    sam.goto(&format!("{base}/courses/{course}")).await.unwrap();
    let heading = sam
        .find(fantoccini::Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(heading.contains("Physics"), "{heading}");
    // The page's script opens its socket once the page has loaded; give it a moment.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    post(
        client,
        format!("{base}/api/v1/courses/{course}/announcements"),
        Some(teacher),
        json!({ "title": "Bring goggles", "body": "Safety first." }),
    )
    .await;
    let (_, said) = live_bell(&sam).await;
    assert!(said.contains("Physics"), "{said}");
    sam.close().await.unwrap();
}

/// What one writer saw: ids the server acknowledged, and requests that failed.
#[derive(Default)]
struct Written {
    acknowledged: Vec<String>,
    failed: usize,
}

/// Keeps POSTing `body` to `url` until `running` turns false; a 201 counts as acknowledged.
async fn keep_writing(
    client: reqwest::Client,
    url: String,
    token: String,
    body: Value,
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Written {
    let mut written = Written::default();
    while running.load(std::sync::atomic::Ordering::SeqCst) {
        let answer = client
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        match answer {
            Ok(answer) if answer.status() == 201 => {
                let made: Value = answer.json().await.unwrap_or(Value::Null);
                match made["id"].as_str() {
                    Some(id) => written.acknowledged.push(id.to_owned()),
                    None => written.failed += 1,
                }
            }
            _ => {
                written.failed += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    written
}

/// Each campus process, then the NATS server, killed with SIGKILL in turn and started again
/// while courses and announcements are written through nginx: every acknowledged write is kept, every course
/// reaches assessments, and every announcement becomes exactly one notification line-count per
/// student (none lost, none applied twice).
async fn kill_each_process_under_load(
    client: &reqwest::Client,
    base: &str,
    state: &Path,
    db: &sqlx::PgPool,
    teacher: &str,
    course: &str,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|_| client.clone());
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let courses = tokio::spawn(keep_writing(
        client.clone(),
        format!("{base}/api/v1/courses"),
        teacher.to_owned(),
        json!({ "title": "Made under fire" }),
        running.clone(),
    ));
    let announcements = tokio::spawn(keep_writing(
        client.clone(),
        format!("{base}/api/v1/courses/{course}/announcements"),
        teacher.to_owned(),
        json!({ "title": "Under fire", "body": "Still here." }),
        running.clone(),
    ));
    let mut recovered = Vec::new();
    for name in [
        "identity",
        "learning-1",
        "learning-2",
        "notifications",
        "search-1",
        "web",
        "nats",
    ] {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let began = std::time::Instant::now();
        let restarted = {
            let (state, name) = (state.to_owned(), name.to_owned());
            tokio::task::spawn_blocking(move || {
                Command::new("bash")
                    .arg(repo().join("deploy/one-machine/restart.sh"))
                    .args(["--kill", &name])
                    .env("STATE_DIR", &state)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        };
        assert!(
            restarted.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&restarted.stderr)
        );
        recovered.push((name, began.elapsed()));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    running.store(false, std::sync::atomic::Ordering::SeqCst);
    let courses = courses.await.unwrap();
    let announcements = announcements.await.unwrap();
    assert!(courses.acknowledged.len() > 10 && announcements.acknowledged.len() > 10);

    // Nothing acknowledged is missing.
    let stored = |table: &'static str, ids: Vec<String>| {
        let db = db.clone();
        async move {
            let (count,): (i64,) =
                sqlx::query_as(&format!("SELECT count(*) FROM {table} WHERE id = ANY($1)"))
                    .bind(&ids)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            count as usize
        }
    };
    assert_eq!(
        stored("courses.courses", courses.acknowledged.clone()).await,
        courses.acknowledged.len(),
        "acknowledged courses lost"
    );
    assert_eq!(
        stored("courses.announcements", announcements.acknowledged.clone()).await,
        announcements.acknowledged.len(),
        "acknowledged announcements lost"
    );
    // Every event's effect, exactly once: each course known to assessments, and each
    // announcement counted once in each of the two students' notifications.
    eventually(WITHIN, "every course reaches assessments", || {
        let db = db.clone();
        async move {
            let (missing,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM courses.courses c WHERE NOT EXISTS \
                 (SELECT 1 FROM assessments.roster_courses r WHERE r.course_id = c.id)",
            )
            .fetch_one(&db)
            .await
            .ok()?;
            (missing == 0).then_some(())
        }
    })
    .await;
    let (written,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM courses.announcements WHERE course_id = $1")
            .bind(course)
            .fetch_one(db)
            .await
            .unwrap();
    let counted = eventually(WITHIN, "every announcement notified once", || {
        let (db, course) = (db.clone(), course.to_owned());
        async move {
            let (counted,): (Option<i64>,) = sqlx::query_as(
                "SELECT sum(count)::BIGINT FROM notifications.notifications \
                 WHERE course_id = $1 AND category = 'announcements'",
            )
            .bind(&course)
            .fetch_one(&db)
            .await
            .ok()?;
            let counted = counted.unwrap_or(0);
            (counted >= 2 * written).then_some(counted)
        }
    })
    .await;
    // A moment more, in case a redelivered event is about to be applied a second time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (again,): (Option<i64>,) = sqlx::query_as(
        "SELECT sum(count)::BIGINT FROM notifications.notifications \
         WHERE course_id = $1 AND category = 'announcements'",
    )
    .bind(course)
    .fetch_one(db)
    .await
    .unwrap();
    let lines: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT user_id, count, kind FROM notifications.notifications \
         WHERE course_id = $1 AND category = 'announcements' ORDER BY id",
    )
    .bind(course)
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(
        counted,
        2 * written,
        "announcements notified more than once: {} lines, the first {:?}",
        lines.len(),
        &lines[..lines.len().min(12)]
    );
    assert_eq!(again.unwrap_or(0), 2 * written);
    eprintln!(
        "kill -9 of each process and of NATS under load: {} courses and {} announcements acknowledged \
         ({} and {} requests failed while processes were down), 0 lost, 0 applied twice; \
         back to ready after: {}",
        courses.acknowledged.len(),
        announcements.acknowledged.len(),
        courses.failed,
        announcements.failed,
        recovered
            .iter()
            .map(|(name, took)| format!("{name} {} ms", took.as_millis()))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
