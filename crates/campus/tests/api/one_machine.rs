//! The distributed shape as `deploy/one-machine/up.sh` starts it: nginx routing by path to ten
//! campus processes, two of each group (identity; courses, assessments and gradebook;
//! notifications; search; every context) on PostgreSQL, a NATS JetStream server of its own and
//! Redis. Everything below goes through nginx, as a school's users would, except one student's
//! socket, which is held by a process nginx sends no sockets to: an announcement reaches both,
//! so a live frame crossed from the process that made it to the other. Then every process is
//! restarted in turn under load (0 failed requests), and every process and NATS is killed in
//! turn under load (0 acknowledged writes lost, 0 events applied twice), and Redis and
//! PostgreSQL are crashed under it. The load mixes courses, announcements, hand-ins, grades,
//! enrollments and messages.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use campus_testkit::eventually;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::{connect_async, tungstenite::Message};

const WITHIN: Duration = Duration::from_secs(30);
const PASSWORD: &str = "correct horse battery staple";

/// The deployment, stopped (its PostgreSQL, Redis and NATS included) and removed when the test
/// ends, pass or fail.
struct Deployment {
    state: PathBuf,
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", logs(&self.state));
        }
        Command::new("bash")
            .arg(repo().join("deploy/one-machine/down.sh"))
            .env("STATE_DIR", &self.state)
            .status()
            .ok();
        std::fs::remove_dir_all(&self.state).ok();
    }
}

/// The last lines of each of the deployment's logs.
fn logs(state: &Path) -> String {
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

/// The port of the deployment's process called `name` (from up.sh's list of processes).
fn process_port(state: &Path, name: &str) -> u16 {
    let processes = std::fs::read_to_string(state.join("run/processes")).unwrap();
    processes
        .lines()
        .find_map(|line| {
            let mut fields = line.split_whitespace();
            (fields.next() == Some(name)).then(|| fields.next().unwrap().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no process {name} in {processes}"))
}

fn nginx_installed() -> bool {
    Path::new("/usr/sbin/nginx").exists() || on_path("nginx")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).exists()))
}

/// PostgreSQL's server programs (the deployment starts a server of its own) and redis-server.
fn postgres_and_redis_installed() -> bool {
    let debian = std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|mut versions| {
        versions.any(|v| v.is_ok_and(|v| v.path().join("bin/initdb").exists()))
    });
    (debian || on_path("initdb")) && on_path("redis-server")
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
    if !postgres_and_redis_installed() {
        eprintln!("PostgreSQL's server programs or redis-server are not installed; skipping the one-machine deployment");
        return;
    }
    if !nginx_installed() {
        eprintln!("nginx is not installed (apt-get install nginx-light); skipping the one-machine deployment");
        return;
    }
    let suffix = campus_platform::id::new_id_string().to_lowercase();
    let state = std::env::temp_dir().join(format!("campus-one-machine-{suffix}"));
    let port = free_ports(0);
    // Ten processes: two each of identity, learning, notifications, web and search.
    let first = free_ports(9);
    let nats = free_ports(0);
    let (postgres, redis) = (free_ports(0), free_ports(0));
    let database = "campus";
    let deployment = Deployment {
        state: state.clone(),
    };
    let started = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .arg(repo().join("deploy/one-machine/up.sh"))
                .env("CAMPUS_BIN", env!("CARGO_BIN_EXE_campus"))
                .env("STATE_DIR", &state)
                .env("PORT", port.to_string())
                .env("FIRST_PORT", first.to_string())
                .env("NATS_PORT", nats.to_string())
                .env("OWN_SERVICES", "1")
                .env("POSTGRES_PORT", postgres.to_string())
                .env("REDIS_PORT", redis.to_string())
                .env("DATABASE", database)
                .env_remove("RUST_LOG")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(
        started.status.success(),
        "up.sh failed: {}\n{}",
        String::from_utf8_lossy(&started.stderr),
        logs(&state)
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
    // More courses, each published at once: nginx alternates the two learning processes, so
    // a publish often reaches the process that did not make the course, which must not answer
    // from what it remembered of the teacher's courses before.
    let mut electives = Vec::new();
    for n in 0..4 {
        let made = post(
            &client,
            format!("{base}/api/v1/courses"),
            Some(&tess),
            json!({ "title": format!("Elective {n}") }),
        )
        .await;
        let id = made["id"].as_str().unwrap().to_owned();
        post(
            &client,
            format!("{base}/api/v1/courses/{id}/publish"),
            Some(&tess),
            Value::Null,
        )
        .await;
        electives.push(id);
    }
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
        "postgres://postgres@127.0.0.1:{postgres}/{database}"
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

    // Sam's socket goes through nginx to a notifications process; Kim's is held by a process
    // running every context. One announcement reaches both.
    let web_port = process_port(&state, "web-1");
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

    in_chromium(&client, &base, &state, &school, &tess, &course).await;

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

    drop((sams, kims));
    // The drills' load hands in work to an assignment open to any number of hand-ins, graded
    // as it comes and released as graded.
    let assignment = post(
        &client,
        format!("{base}/api/v1/courses/{course}/assignments"),
        Some(&tess),
        json!({ "title": "Lab notes", "instructions": "What did you measure?", "max_points": 10,
                "submission_types": ["text"], "attempts_allowed": 0 }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        &client,
        format!("{base}/api/v1/assignments/{assignment}/publish"),
        Some(&tess),
        Value::Null,
    )
    .await;
    let class = Class {
        teacher: tess,
        student: sam,
        classmate: kim,
        course,
        assignment,
        elective: electives.swap_remove(0),
    };
    restart_each_process_under_load(&base, &state, &db, &class).await;
    kill_each_process_under_load(&base, &state, &db, &class).await;
    restart_postgres_and_redis_under_load(&base, &state, &db, &class).await;
    db.close().await;
    drop(deployment);
}

/// Sam in Chromium, through nginx: signs in on the page (identity's process answers the form
/// through the process with every context), opens the course, and the bell on that page hears
/// an announcement live (the page's socket goes through nginx to the notifications process).
/// Then the embedded shape's whole browser flow, unchanged, through nginx.
async fn in_chromium(
    client: &reqwest::Client,
    base: &str,
    state: &Path,
    school: &str,
    teacher: &str,
    course: &str,
) {
    use crate::pages_in_chromium::{
        browser, fill, live_bell, start_driver, submit, the_web_application, Site,
    };
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
    let began = std::time::Instant::now();
    the_web_application(
        &driver,
        &Site::Deployment {
            address: base.to_owned(),
            state: state.to_owned(),
        },
    )
    .await;
    eprintln!(
        "the web application's browser flow passed through nginx in {:.1} s",
        began.elapsed().as_secs_f64()
    );
}

/// What one writer or reader saw: ids the server acknowledged (an empty string per answered
/// read), and the requests that failed: how many, the first few, and the slowest.
#[derive(Default)]
struct Written {
    acknowledged: Vec<String>,
    failed: usize,
    /// The first few failures, for the message of a test that expects none.
    failures: Vec<String>,
    /// Each failure's status ("error" when no answer came), counted.
    refusals: std::collections::BTreeMap<String, usize>,
    slowest_failure: Duration,
    /// The request that took `slowest_failure`, and what it was answered.
    slowest: String,
    /// How long each failure took to arrive.
    failure_times: Vec<Duration>,
    /// Requests sent again because the connection they went out on was closed before any
    /// answer came (see [`send`]).
    repeated: usize,
}

impl Written {
    fn fail(&mut self, status: String, what: String, took: Duration) {
        self.failed += 1;
        *self.refusals.entry(status).or_default() += 1;
        if took >= self.slowest_failure {
            self.slowest_failure = took;
            self.slowest = what.clone();
        }
        self.failure_times.push(took);
        if self.failures.len() < 5 {
            self.failures.push(what);
        }
    }
}

/// Sends a request, and sends it again if the kept-alive connection it went out on was closed
/// (or reset) before any answer came, counting each in `seen.repeated`. A reload of nginx does
/// this to the idle client connections of its old worker, which never read the request;
/// browsers and curl repeat such a request the same way. The load's tasks share one client, so
/// its pool holds a dozen such connections after a reload, and the repeat may go out on
/// another of them: a request is repeated while that happens, a few times at most.
async fn send(
    request: impl Fn() -> reqwest::RequestBuilder,
    seen: &mut Written,
) -> reqwest::Result<reqwest::Response> {
    const REPEATS: usize = 4;
    let mut answer = request().send().await;
    for _ in 0..REPEATS {
        match &answer {
            Err(error) if closed_before_answer(error) => {
                seen.repeated += 1;
                answer = request().send().await;
            }
            _ => break,
        }
    }
    answer
}

fn closed_before_answer(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(cause) = cause.downcast_ref::<hyper::Error>() {
            if cause.is_incomplete_message() {
                return true;
            }
        }
        if let Some(cause) = cause.downcast_ref::<std::io::Error>() {
            return cause.kind() == std::io::ErrorKind::ConnectionReset;
        }
        source = cause.source();
    }
    false
}

/// Sends one request (again if nginx closed its connection unread, see [`send`]): an
/// answer with one of the `expected` statuses is its body (`Value::Null` when it is not JSON);
/// anything else is recorded in `seen` as a failure and is `None`.
async fn attempt(
    seen: &mut Written,
    expected: &[u16],
    request: impl Fn() -> reqwest::RequestBuilder,
) -> Option<Value> {
    let began = std::time::Instant::now();
    let (status, what) = match send(&request, seen).await {
        Ok(answer) if expected.contains(&answer.status().as_u16()) => match answer.bytes().await {
            Ok(body) => return Some(serde_json::from_slice(&body).unwrap_or(Value::Null)),
            Err(error) => ("error".to_owned(), format!("body cut off: {error:?}")),
        },
        Ok(answer) => {
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            (status.as_u16().to_string(), format!("{status} {text}"))
        }
        Err(error) => ("error".to_owned(), format!("{error:?}")),
    };
    let url = request()
        .build()
        .map(|r| format!("{} {}", r.method(), r.url().path()))
        .unwrap_or_default();
    seen.fail(status, format!("{url}: {what}"), began.elapsed());
    None
}

/// Keeps sending one request until `running` turns false: a POST of `body` (a 201 with an id
/// counts as acknowledged, and the id is kept), or a GET when `body` is `None` (each 200 counts,
/// as an empty id). A failure waits 20 ms before the next try; `pause` spaces the requests.
async fn keep_sending(
    client: reqwest::Client,
    url: String,
    token: Option<String>,
    body: Option<Value>,
    pause: Duration,
    running: Running,
) -> Written {
    let mut seen = Written::default();
    while running.load(std::sync::atomic::Ordering::SeqCst) {
        let request = || {
            let request = match &body {
                Some(body) => client.post(&url).json(body),
                None => client.get(&url),
            };
            match &token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
        };
        let expected: &[u16] = if body.is_some() { &[201] } else { &[200] };
        match attempt(&mut seen, expected, request).await {
            Some(made) if body.is_some() => match made["id"].as_str() {
                Some(id) => seen.acknowledged.push(id.to_owned()),
                None => seen.fail(
                    "201".into(),
                    format!("201 without an id: {made}"),
                    Duration::ZERO,
                ),
            },
            Some(_) => seen.acknowledged.push(String::new()),
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
        tokio::time::sleep(pause).await;
    }
    seen
}

/// The student hands in the assignment and the teacher grades that hand-in at once, until
/// `running` turns false: the hand-ins and the grades acknowledged (each by the submission's id).
async fn keep_handing_in(
    client: reqwest::Client,
    base: String,
    class: Class,
    running: Running,
) -> (Written, Written) {
    let (mut handed_in, mut graded) = (Written::default(), Written::default());
    let mut round = 0u64;
    while running.load(std::sync::atomic::Ordering::SeqCst) {
        round += 1;
        let submission = attempt(&mut handed_in, &[201], || {
            client
                .post(format!(
                    "{base}/api/v1/assignments/{}/submissions",
                    class.assignment
                ))
                .bearer_auth(&class.student)
                .json(&json!({ "text": format!("Round {round}: what I measured.") }))
        })
        .await;
        let Some(id) = submission.as_ref().and_then(|s| s["id"].as_str()) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        handed_in.acknowledged.push(id.to_owned());
        let grade = attempt(&mut graded, &[200], || {
            client
                .post(format!("{base}/api/v1/submissions/{id}/grade"))
                .bearer_auth(&class.teacher)
                .json(&json!({ "points": (round % 11) as f64, "comment": "Thanks." }))
        })
        .await;
        match grade {
            Some(_) => graded.acknowledged.push(id.to_owned()),
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    (handed_in, graded)
}

/// The classmate enrolls in the elective and leaves it, in turn, until `running` turns false.
/// An enrollment is acknowledged with 201 (or 200: she was in, a leave before it having failed
/// after it was done), a leave with 204 (or 404: she was out, likewise).
async fn keep_enrolling(
    client: reqwest::Client,
    base: String,
    class: Class,
    running: Running,
) -> Written {
    let mut seen = Written::default();
    let url = format!("{base}/api/v1/courses/{}/enroll", class.elective);
    let mut enrolled = false;
    while running.load(std::sync::atomic::Ordering::SeqCst) {
        let (expected, request): (&[u16], _) = if enrolled {
            (&[204, 404], client.delete(&url))
        } else {
            (&[201, 200], client.post(&url).json(&json!({})))
        };
        let request = request.bearer_auth(&class.classmate);
        match attempt(&mut seen, expected, || request.try_clone().unwrap()).await {
            Some(_) => {
                enrolled = !enrolled;
                seen.acknowledged
                    .push(if enrolled { "enroll" } else { "leave" }.to_owned());
            }
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    seen
}

type Running = std::sync::Arc<std::sync::atomic::AtomicBool>;

/// Who the load writes as, and where: the teacher and two students of `course`, its assignment
/// open to any number of hand-ins, and an elective the classmate joins and leaves.
#[derive(Clone)]
struct Class {
    teacher: String,
    student: String,
    classmate: String,
    course: String,
    assignment: String,
    elective: String,
}

/// A steady mixed load through nginx on every group, each writer and reader sending its next
/// request as soon as the last was answered: the teacher creating courses and announcing to
/// the course; the student handing in and the teacher grading each hand-in; the classmate
/// enrolling in the elective and leaving it; the student writing in the class channel (one
/// message a second, under the messaging allowance); and one reader per group (identity's
/// keys, the course, the student's notifications, a search, a page).
struct Load {
    running: Running,
    courses: tokio::task::JoinHandle<Written>,
    announcements: tokio::task::JoinHandle<Written>,
    coursework: tokio::task::JoinHandle<(Written, Written)>,
    enrollments: tokio::task::JoinHandle<Written>,
    messages: tokio::task::JoinHandle<Written>,
    readers: Vec<tokio::task::JoinHandle<Written>>,
}

/// What a [`Load`] saw once stopped.
struct Loaded {
    courses: Written,
    announcements: Written,
    submissions: Written,
    grades: Written,
    enrollments: Written,
    messages: Written,
    reads: Vec<Written>,
}

impl Load {
    fn start(base: &str, class: &Class, label: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let running: Running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let write = |url: String, token: &str, body: Value, pause: Duration| {
            tokio::spawn(keep_sending(
                client.clone(),
                url,
                Some(token.to_owned()),
                Some(body),
                pause,
                running.clone(),
            ))
        };
        let course = &class.course;
        let courses = write(
            format!("{base}/api/v1/courses"),
            &class.teacher,
            json!({ "title": label }),
            Duration::ZERO,
        );
        let announcements = write(
            format!("{base}/api/v1/courses/{course}/announcements"),
            &class.teacher,
            json!({ "title": label, "body": "Still here." }),
            Duration::ZERO,
        );
        let messages = write(
            format!("{base}/api/v1/conversations/{course}/messages"),
            &class.student,
            json!({ "body": label }),
            Duration::from_millis(1100),
        );
        let coursework = tokio::spawn(keep_handing_in(
            client.clone(),
            base.to_owned(),
            class.clone(),
            running.clone(),
        ));
        let enrollments = tokio::spawn(keep_enrolling(
            client.clone(),
            base.to_owned(),
            class.clone(),
            running.clone(),
        ));
        let readers = [
            (format!("{base}/.well-known/jwks.json"), None),
            (
                format!("{base}/api/v1/courses/{course}"),
                Some(&class.student),
            ),
            (format!("{base}/api/v1/notifications"), Some(&class.student)),
            (
                format!("{base}/api/v1/search?q=physics"),
                Some(&class.student),
            ),
            (format!("{base}/sign-in"), None),
        ]
        .into_iter()
        .map(|(url, token)| {
            tokio::spawn(keep_sending(
                client.clone(),
                url,
                token.cloned(),
                None,
                Duration::ZERO,
                running.clone(),
            ))
        })
        .collect();
        Self {
            running,
            courses,
            announcements,
            coursework,
            enrollments,
            messages,
            readers,
        }
    }

    async fn stop(self) -> Loaded {
        self.running
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let mut reads = Vec::new();
        for reader in self.readers {
            reads.push(reader.await.unwrap());
        }
        let (submissions, grades) = self.coursework.await.unwrap();
        Loaded {
            courses: self.courses.await.unwrap(),
            announcements: self.announcements.await.unwrap(),
            submissions,
            grades,
            enrollments: self.enrollments.await.unwrap(),
            messages: self.messages.await.unwrap(),
            reads,
        }
    }
}

impl Loaded {
    fn writes(&self) -> [&Written; 6] {
        [
            &self.courses,
            &self.announcements,
            &self.submissions,
            &self.grades,
            &self.enrollments,
            &self.messages,
        ]
    }

    fn all(&self) -> impl Iterator<Item = &Written> {
        self.writes().into_iter().chain(&self.reads)
    }

    fn failed(&self) -> usize {
        self.all().map(|w| w.failed).sum()
    }

    fn failures(&self) -> Vec<&String> {
        self.all().flat_map(|w| &w.failures).collect()
    }

    fn refusals(&self) -> std::collections::BTreeMap<String, usize> {
        let mut all = std::collections::BTreeMap::new();
        for (status, count) in self.all().flat_map(|w| &w.refusals) {
            *all.entry(status.clone()).or_default() += count;
        }
        all
    }

    fn repeated(&self) -> usize {
        self.all().map(|w| w.repeated).sum()
    }

    fn answered(&self) -> usize {
        self.all().map(|w| w.acknowledged.len()).sum()
    }

    fn acknowledged_writes(&self) -> usize {
        self.writes().iter().map(|w| w.acknowledged.len()).sum()
    }

    /// Answered and failed requests of each writer and reader, in [`Load::start`]'s order.
    fn each(&self) -> String {
        let each: Vec<String> = self
            .all()
            .map(|w| format!("{}/{}", w.acknowledged.len(), w.failed))
            .collect();
        format!(
            "answered/failed: courses, announcements, hand-ins, grades, enrollments, messages, \
             keys, course, notifications, search, page: {}",
            each.join(" ")
        )
    }

    /// Every writer and reader got answers, not just failures (the messages, one a second,
    /// fewer).
    fn assert_busy(&self) {
        let busy = |w: &Written| w.acknowledged.len() > 10;
        assert!(
            self.all()
                .filter(|w| !std::ptr::eq(*w, &self.messages))
                .all(busy)
                && self.messages.acknowledged.len() > 3,
            "too few answers: {}; failures {:#?}",
            self.each(),
            self.failures()
        );
    }
}

/// Runs `deploy/one-machine/restart.sh` with `args`, failing the test if it fails.
async fn restart(state: &Path, args: &[&str]) {
    let (state, args) = (
        state.to_owned(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    );
    let restarted = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(repo().join("deploy/one-machine/restart.sh"))
            .args(&args)
            .env("STATE_DIR", &state)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        restarted.status.success(),
        "restart.sh: {}",
        String::from_utf8_lossy(&restarted.stderr)
    );
}

/// Every process restarted in turn (`restart.sh --rolling`: out of nginx's rotation, drained,
/// started, back in) while every group is written and read through nginx: not one request
/// fails, and every write is kept with its events applied once.
async fn restart_each_process_under_load(
    base: &str,
    state: &Path,
    db: &sqlx::PgPool,
    class: &Class,
) {
    let load = Load::start(base, class, "Made while restarting");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let began = std::time::Instant::now();
    restart(state, &["--rolling"]).await;
    let took = began.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = load.stop().await;
    assert_eq!(
        loaded.failed(),
        0,
        "requests failed during the rolling restart ({:?}): {:#?}",
        loaded.refusals(),
        loaded.failures()
    );
    loaded.assert_busy();
    every_write_kept_and_applied_once(db, class, &loaded).await;
    eprintln!(
        "rolling restart of 10 processes under load in {:.1} s: {} writes acknowledged, {} \
         requests answered in all ({} sends repeated because nginx's reload closed the \
         kept-alive connection unread); 0 failed, 0 lost, 0 applied twice ({})",
        took.as_secs_f64(),
        loaded.acknowledged_writes(),
        loaded.answered(),
        loaded.repeated(),
        loaded.each()
    );
}

/// Redis crashed and kept down for three seconds, then PostgreSQL for eight, under the same
/// load. Without Redis nothing fails (rate limits count per process, presence is local).
/// Without PostgreSQL, the requests a process has in hand when the database goes wait for a
/// connection at most `database.acquire_timeout_secs` (5 s); once the process has confirmed
/// the outage it refuses the rest at once (`campus_platform::outage`). Every refusal is a 503,
/// never anything else; `/readyz` says not ready while it is down and ready once it is back;
/// afterwards every acknowledged write is there, and every event applied once.
async fn restart_postgres_and_redis_under_load(
    base: &str,
    state: &Path,
    db: &sqlx::PgPool,
    class: &Class,
) {
    let load = Load::start(base, class, "Made without Redis");
    tokio::time::sleep(Duration::from_millis(500)).await;
    restart(state, &["--kill", "--down", "3", "redis"]).await;
    // The load goes on a while once Redis is back, so that a slow machine too answers each
    // writer more than a few times (one such answered 7 hand-ins in a 4-second drill).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let without_redis = load.stop().await;
    assert_eq!(
        without_redis.failed(),
        0,
        "requests failed while Redis was down: {:#?}",
        without_redis.failures()
    );
    without_redis.assert_busy();

    let learning = process_port(state, "learning-1");
    let load = Load::start(base, class, "Made around a database crash");
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let readiness = tokio::spawn({
        let watching = watching.clone();
        async move {
            let client = reqwest::Client::new();
            let mut seen: Vec<(std::time::Instant, u16)> = Vec::new();
            while watching.load(std::sync::atomic::Ordering::SeqCst) {
                // Each answer is filed under the moment its question left: one asked before
                // the crash may be answered after it, slowly, and truly.
                let asked = std::time::Instant::now();
                let status = client
                    .get(format!("http://127.0.0.1:{learning}/readyz"))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .map_or(0, |a| a.status().as_u16());
                seen.push((asked, status));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let crashed = std::time::Instant::now();
    restart(state, &["--kill", "--down", "8", "postgres"]).await;
    let started = std::time::Instant::now();
    // From the database accepting connections again to a write acknowledged through nginx.
    let client = reqwest::Client::new();
    eventually(
        WITHIN,
        "a write succeeds once PostgreSQL is back",
        || async {
            let answer = client
                .post(format!("{base}/api/v1/courses"))
                .bearer_auth(&class.teacher)
                .json(&json!({ "title": "Made after the database came back" }))
                .send()
                .await
                .ok()?;
            (answer.status() == 201).then_some(())
        },
    )
    .await;
    let writing_again = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let around_crash = load.stop().await;
    watching.store(false, std::sync::atomic::Ordering::SeqCst);
    let seen = readiness.await.unwrap();
    // Readiness told the truth: not ready while the database was down, ready at the end.
    let not_ready: Vec<_> = seen
        .iter()
        .filter(|(at, _)| {
            // restart.sh keeps it stopped 8 s before starting it again; stopping it takes
            // up to a second or two on a slow machine (pg_ctl's immediate stop).
            *at > crashed + Duration::from_secs(2) && *at < crashed + Duration::from_secs(8)
        })
        .map(|(_, status)| *status)
        .collect();
    assert!(
        !not_ready.is_empty() && not_ready.iter().all(|s| *s == 503),
        "readiness while PostgreSQL was down: {not_ready:?}"
    );
    assert_eq!(seen.last().map(|(_, s)| *s), Some(200), "ready again");
    // Requests failed, fast and with 503, and only those.
    let refusals = around_crash.refusals();
    assert!(
        refusals.keys().all(|status| status == "503"),
        "failures other than 503 while PostgreSQL was down: {refusals:?} {:#?}",
        around_crash.failures()
    );
    let (slowest, which) = around_crash
        .all()
        .map(|w| (w.slowest_failure, w.slowest.clone()))
        .max_by_key(|(took, _)| *took)
        .unwrap_or_default();
    assert!(
        slowest < Duration::from_secs(7),
        "a failure took {slowest:?}, past the 5 s acquire timeout: {which}"
    );
    let mut refusal_times: Vec<Duration> = around_crash
        .all()
        .flat_map(|w| w.failure_times.iter().copied())
        .collect();
    refusal_times.sort();
    assert!(
        !refusal_times.is_empty(),
        "nothing refused in an 8 s outage"
    );
    let at_once = refusal_times
        .iter()
        .filter(|took| **took < Duration::from_millis(100))
        .count();
    assert!(
        at_once * 10 >= refusal_times.len() * 9,
        "only {at_once} of {} refusals within 100 ms: {refusal_times:?}",
        refusal_times.len()
    );
    let median = refusal_times[refusal_times.len() / 2];
    assert!(
        around_crash
            .writes()
            .iter()
            .all(|w| !w.acknowledged.is_empty()),
        "every writer was acknowledged around the outage: {}",
        around_crash.each()
    );
    every_write_kept_and_applied_once(db, class, &around_crash).await;
    eprintln!(
        "Redis killed and down 3 s under load: {} requests answered, 0 failed. PostgreSQL \
         killed and down 8 s under load: {} requests answered, {} refused ({refusals:?}), \
         {at_once} of them within 100 ms (median {:.1} ms), the slowest in {} ms, /readyz 503 \
         throughout the outage; a write acknowledged {} ms after PostgreSQL accepted \
         connections again; 0 acknowledged writes lost, 0 events applied twice ({})",
        without_redis.answered(),
        around_crash.answered(),
        around_crash.failed(),
        median.as_micros() as f64 / 1000.0,
        slowest.as_millis(),
        writing_again.as_millis(),
        around_crash.each(),
    );
}

/// One process of each group, then the NATS server, killed with SIGKILL in turn and started
/// again while courses and announcements are written through nginx: every acknowledged write
/// is kept, every course reaches assessments, and every announcement becomes exactly one
/// notification line-count per student (none lost, none applied twice).
async fn kill_each_process_under_load(base: &str, state: &Path, db: &sqlx::PgPool, class: &Class) {
    let load = Load::start(base, class, "Made under fire");
    let mut recovered = Vec::new();
    for name in [
        "identity-1",
        "learning-1",
        "learning-2",
        "notifications-1",
        "search-1",
        "web-1",
        "nats",
    ] {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let began = std::time::Instant::now();
        restart(state, &["--kill", name]).await;
        recovered.push((name, began.elapsed()));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let loaded = load.stop().await;
    loaded.assert_busy();
    // Only a write that was inside the killed process may fail (nginx cannot know whether it
    // was applied); a read is sent on to the twin, whatever it met.
    assert_eq!(
        loaded.reads.iter().map(|r| r.failed).sum::<usize>(),
        0,
        "reads failed while a process was down: {:#?}",
        loaded.failures()
    );
    every_write_kept_and_applied_once(db, class, &loaded).await;
    eprintln!(
        "kill -9 of each process and of NATS under load: {} writes acknowledged ({} requests \
         failed while processes were down; reads: {} answered, {} failed), 0 lost, 0 applied \
         twice; back to ready after: {} ({}; {:?}; the first failures: {:#?})",
        loaded.acknowledged_writes(),
        loaded.writes().iter().map(|w| w.failed).sum::<usize>(),
        loaded
            .reads
            .iter()
            .map(|r| r.acknowledged.len())
            .sum::<usize>(),
        loaded.reads.iter().map(|r| r.failed).sum::<usize>(),
        recovered
            .iter()
            .map(|(name, took)| format!("{name} {} ms", took.as_millis()))
            .collect::<Vec<_>>()
            .join(", "),
        loaded.each(),
        loaded.refusals(),
        loaded.failures()
    );
}

/// Every acknowledged write is stored: courses, announcements, hand-ins, grades, messages.
/// Every event's effect is applied exactly once, now and still two seconds later: every course
/// reached assessments; each announcement of the course is counted once in each of its two
/// students' notifications; each grade the assessments context holds is one line of the
/// gradebook's history; and every context that keeps the elective's roster (from enrollment
/// events) has the classmate in it exactly when the courses context does.
async fn every_write_kept_and_applied_once(db: &sqlx::PgPool, class: &Class, loaded: &Loaded) {
    let stored = |query: &'static str, ids: &[String]| {
        let (db, ids) = (db.clone(), ids.to_vec());
        async move {
            let (count,): (i64,) = sqlx::query_as(query)
                .bind(&ids)
                .fetch_one(&db)
                .await
                .unwrap();
            count as usize
        }
    };
    for (what, query, written) in [
        ("courses", "SELECT count(*) FROM courses.courses WHERE id = ANY($1)", &loaded.courses),
        ("announcements", "SELECT count(*) FROM courses.announcements WHERE id = ANY($1)", &loaded.announcements),
        ("hand-ins", "SELECT count(*) FROM assessments.submissions WHERE id = ANY($1)", &loaded.submissions),
        ("grades", "SELECT count(*) FROM assessments.submissions WHERE id = ANY($1) AND graded_at IS NOT NULL", &loaded.grades),
        ("messages", "SELECT count(*) FROM messaging.messages WHERE id = ANY($1)", &loaded.messages),
    ] {
        assert_eq!(
            stored(query, &written.acknowledged).await,
            written.acknowledged.len(),
            "acknowledged {what} lost"
        );
    }
    let course = class.course.as_str();
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
    let grades_applied_once = || {
        let (db, class) = (db.clone(), class.clone());
        async move {
            let (graded,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM assessments.submissions \
                 WHERE assignment_id = $1 AND graded_at IS NOT NULL",
            )
            .bind(&class.assignment)
            .fetch_one(&db)
            .await
            .unwrap();
            let (in_history,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM gradebook.grade_history WHERE item_id = $1 AND change = 'graded'",
            )
            .bind(&class.assignment)
            .fetch_one(&db)
            .await
            .unwrap();
            (graded, in_history)
        }
    };
    eventually(WITHIN, "every grade reaches the gradebook", || async {
        let (graded, in_history) = grades_applied_once().await;
        assert!(
            in_history <= graded,
            "grades applied twice: {in_history} lines for {graded} grades"
        );
        (in_history == graded).then_some(())
    })
    .await;
    // The classmate's place in the elective, in courses and in every roster kept from its
    // events.
    let places = || {
        let (db, elective) = (db.clone(), class.elective.clone());
        async move {
            let rosters: Vec<(String,)> = sqlx::query_as(
                "SELECT table_schema::TEXT FROM information_schema.tables \
                 WHERE table_name = 'roster_places' ORDER BY 1",
            )
            .fetch_all(&db)
            .await
            .unwrap();
            let mut places = Vec::new();
            for (schema, table) in std::iter::once(("courses".to_owned(), "members")).chain(
                rosters
                    .into_iter()
                    .map(|(schema,)| (schema, "roster_places")),
            ) {
                let (count,): (i64,) = sqlx::query_as(&format!(
                    "SELECT count(*) FROM \"{schema}\".{table} WHERE course_id = $1"
                ))
                .bind(&elective)
                .fetch_one(&db)
                .await
                .unwrap();
                places.push((schema, count));
            }
            places
        }
    };
    // What the rosters said last, printed as it changes: a failure shows which lagged.
    let last_seen = std::sync::Mutex::new(Vec::new());
    eventually(
        WITHIN,
        "every roster of the elective agrees with courses",
        || async {
            let places = places().await;
            let mut seen = last_seen.lock().unwrap();
            if *seen != places {
                eprintln!("places in the elective (courses first): {places:?}");
                *seen = places.clone();
            }
            places
                .iter()
                .all(|(_, count)| *count == places[0].1)
                .then_some(())
        },
    )
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
    let (graded, in_history) = grades_applied_once().await;
    assert_eq!(in_history, graded, "grades applied twice");
    let places = places().await;
    assert!(
        places.len() > 2 && places.iter().all(|(_, count)| *count == places[0].1),
        "the elective's rosters disagree: {places:?}"
    );
}
