//! The hottest reads: a student's catalogue page, a course outline, and the web application's
//! dashboard and course page, served by the `campus` binary (a separate process, on the
//! embedded backend) to concurrent keep-alive connections.
//!
//! Seeding goes through the public API: a school, a teacher, a student, `--courses` published
//! courses (subjects and tags varied) and one course with `--modules` × `--lessons`. Then each
//! connection sends its next request as soon as the previous answer arrives, for `--seconds`;
//! the figures are the completed requests per second and the latency percentiles. `sign-in`
//! drives the sign-in route the same way, with the students' passwords.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use crate::startup::{free_port, ready, resident_kib};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Route {
    /// `GET /api/v1/courses?limit=<page>` as a student.
    Catalogue,
    /// `GET /api/v1/courses/{id}` (details, teachers, outline) as an enrolled student.
    Outline,
    /// `GET /healthz`: no token, no database; what Campus Hub's middleware costs over `bare`.
    Healthz,
    /// `GET /healthz` from a bare axum server with a JSON handler and no middleware (started
    /// by this harness, `campus-bench serve-bare`): the floor set by the framework, the
    /// machine and this harness.
    Bare,
    /// `GET /api/v1/me` as the student: token and one identity query.
    Me,
    /// `POST /api/v1/auth/login` as the students in turn: a password hash verified (argon2id)
    /// and a session written per request; what the first bell of a school day costs.
    SignIn,
    /// `GET /`, the web application's dashboard, as a student signed in with the session
    /// cookie: their courses with progress and the latest announcements, rendered as HTML.
    Dashboard,
    /// `GET /courses/{id}`, the web page of the outlined course (outline, progress,
    /// announcements) as an enrolled student.
    CoursePage,
    /// `GET /api/v1/feed`, the home feed of a student who follows `--follows` people (each
    /// with `--posts-each` profile posts) and is in `--enrolled` courses (each with
    /// `--posts-each` posts), under the school's own posts.
    Feed,
}

impl Route {
    /// Pages authenticate with the session cookie, as browsers do; the API with a bearer token.
    fn is_page(self) -> bool {
        matches!(self, Self::Dashboard | Self::CoursePage)
    }
}

#[derive(Args)]
pub struct Options {
    /// The campus binary to start.
    #[arg(long, default_value = "target/release/campus")]
    binary: PathBuf,
    #[arg(long, value_enum, default_value = "catalogue")]
    route: Route,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Unmeasured warm-up before the measured run.
    #[arg(long, default_value_t = 3)]
    warmup_seconds: u64,
    /// Published courses in the school.
    #[arg(long, default_value_t = 200)]
    courses: usize,
    /// Students signed in; connection `i` reads as student `i % students`, so per-person
    /// caches are exercised for many people, not one.
    #[arg(long, default_value_t = 50)]
    students: usize,
    /// Catalogue page size.
    #[arg(long, default_value_t = 20)]
    page: usize,
    /// Modules and lessons per module of the outlined course.
    #[arg(long, default_value_t = 8)]
    modules: usize,
    #[arg(long, default_value_t = 6)]
    lessons: usize,
    /// Courses each student is enrolled in (the outlined one and the next ones).
    #[arg(long, default_value_t = 1)]
    enrolled: usize,
    /// Announcements posted in the outlined course.
    #[arg(long, default_value_t = 0)]
    announcements: usize,
    /// For `feed`: the people each student follows (teachers, whose profiles the school
    /// shows to all), and the posts each of them, and each enrolled course, has.
    #[arg(long, default_value_t = 200)]
    follows: usize,
    #[arg(long, default_value_t = 5)]
    posts_each: usize,
    /// Who sends the requests: this harness (reqwest, per-request latencies) or `wrk` (a
    /// separate, lighter C process; every connection then reads as the first student).
    #[arg(long, value_enum, default_value = "harness")]
    load: Load,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Load {
    Harness,
    Wrk,
}

/// The server under test; stopped (and its data removed) when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    dir: PathBuf,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The `campus` binary on its embedded defaults, in a fresh data folder, on a free port.
pub(crate) fn start(binary: &PathBuf) -> anyhow::Result<Server> {
    let port = free_port()?;
    let dir = std::env::temp_dir().join(format!("campus-bench-reads-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let child = Command::new(binary)
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("CAMPUS_LOG__FILTER", "warn")
        // The seeding signs in a few times from one address; keep the credential limit out
        // of the way of the measurement's setup.
        .env("CAMPUS_HTTP__CREDENTIAL_REQUESTS_PER_MINUTE", "100000")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    wait_until_ready(
        Server {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        },
        port,
    )
}

/// The bare framework, in a process of its own like the server it is compared with.
fn start_bare() -> anyhow::Result<Server> {
    let port = free_port()?;
    let child = Command::new(std::env::current_exe()?)
        .args(["serve-bare", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start the bare server")?;
    let dir = std::env::temp_dir().join(format!("campus-bench-bare-{}", std::process::id()));
    wait_until_ready(
        Server {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        },
        port,
    )
}

fn wait_until_ready(server: Server, port: u16) -> anyhow::Result<Server> {
    let started = Instant::now();
    while !ready(port) {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "not ready within 30 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(server)
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut request = client.request(method, &url);
    // `null`: the operation takes no body.
    if !body.is_null() {
        request = request.json(&body);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "{url}: {status} {answer}");
    Ok(answer)
}

/// Seeds the school through the API; returns the students' tokens and the outlined course.
async fn seed(base: &str, options: &Options) -> anyhow::Result<(Vec<String>, String)> {
    use reqwest::Method;
    let client = reqwest::Client::new();
    let password = PASSWORD;
    let school = send(
        &client,
        Method::POST,
        format!("{base}/api/v1/schools"),
        None,
        json!({ "slug": "bench-high", "name": "Bench High", "admin_email": "admin@bench.example",
                "admin_password": password, "admin_name": "Admin" }),
    )
    .await?;
    let admin = school["tokens"]["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();
    let mut tokens = Vec::new();
    let people: Vec<(&str, String)> =
        std::iter::once(("teacher", "teacher@bench.example".to_owned()))
            .chain(
                (0..options.students.max(1))
                    .map(|n| ("student", format!("student{n}@bench.example"))),
            )
            .collect();
    for (role, email) in &people {
        send(
            &client,
            Method::POST,
            format!("{base}/api/v1/users"),
            Some(&admin),
            json!({ "email": email, "display_name": role, "role": role, "password": password }),
        )
        .await?;
        let signed_in = send(
            &client,
            Method::POST,
            format!("{base}/api/v1/auth/login"),
            None,
            json!({ "school": "bench-high", "email": email, "password": password }),
        )
        .await?;
        tokens.push(
            signed_in["access_token"]
                .as_str()
                .context("no token")?
                .to_owned(),
        );
    }
    let teacher = tokens.remove(0);
    let students = tokens;
    let subjects = [
        "Mathematics",
        "Biology",
        "History",
        "Art",
        "Physics",
        "Languages",
    ];
    let mut outlined = String::new();
    let mut enrolled_in = Vec::new();
    let progress = indicatif::ProgressBar::new(options.courses as u64);
    for n in 0..options.courses {
        let subject = subjects[n % subjects.len()];
        let course = send(&client, Method::POST, format!("{base}/api/v1/courses"), Some(&teacher),
            json!({ "title": format!("{subject} {n}"), "summary": format!("Everything about {subject}, part {n}"),
                    "description": "## About\nA course with **Markdown**.", "subject": subject,
                    "grade_level": format!("{}", 6 + n % 7), "tags": [subject.to_lowercase(), format!("level-{}", n % 3)] })).await?;
        let id = course["id"].as_str().context("no id")?.to_owned();
        if n == 0 {
            for m in 0..options.modules {
                let module = send(
                    &client,
                    Method::POST,
                    format!("{base}/api/v1/courses/{id}/modules"),
                    Some(&teacher),
                    json!({ "title": format!("Module {m}"), "requires_previous": m > 0 }),
                )
                .await?;
                let module_id = module["id"].as_str().context("no id")?;
                for l in 0..options.lessons {
                    send(&client, Method::POST, format!("{base}/api/v1/modules/{module_id}/lessons"), Some(&teacher),
                        json!({ "title": format!("Lesson {m}.{l}"), "body": "Read *this*.", "estimated_minutes": 15 })).await?;
                }
            }
            outlined = id.clone();
        }
        if n < options.enrolled.max(1) {
            enrolled_in.push(id.clone());
        }
        send(
            &client,
            Method::POST,
            format!("{base}/api/v1/courses/{id}/publish"),
            Some(&teacher),
            Value::Null,
        )
        .await?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    for n in 0..options.announcements {
        send(
            &client,
            Method::POST,
            format!("{base}/api/v1/courses/{outlined}/announcements"),
            Some(&teacher),
            json!({ "title": format!("Notice {n}"), "body": "Bring your **lab coat** on Friday." }),
        )
        .await?;
    }
    for student in &students {
        for course in &enrolled_in {
            send(
                &client,
                Method::POST,
                format!("{base}/api/v1/courses/{course}/enroll"),
                Some(student),
                json!({}),
            )
            .await?;
        }
    }
    if let Route::Feed = options.route {
        seed_feed(
            &client,
            base,
            &admin,
            &teacher,
            &students,
            &enrolled_in,
            options,
        )
        .await?;
    }
    Ok((students, outlined))
}

/// The home feed's world: `--follows` teachers who each post `--posts-each` times on their
/// profile and are followed by every student, `--posts-each` posts in each enrolled course,
/// and as many in the school's feed.
async fn seed_feed(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    teacher: &str,
    students: &[String],
    courses: &[String],
    options: &Options,
) -> anyhow::Result<()> {
    use reqwest::Method;
    let progress = indicatif::ProgressBar::new(options.follows as u64);
    let post = |token: String, place: Value, n: usize| {
        let client = client.clone();
        let url = format!("{base}/api/v1/posts");
        async move {
            let mut body = place;
            body["body"] = json!(format!(
                "Post number **{n}** with a [link](https://example.org)."
            ));
            send(&client, Method::POST, url, Some(&token), body).await
        }
    };
    let mut followed = Vec::new();
    for n in 0..options.follows {
        let email = format!("followed{n}@bench.example");
        let person = send(client, Method::POST, format!("{base}/api/v1/users"), Some(admin),
            json!({ "email": email, "display_name": format!("Teacher {n}"), "role": "teacher", "password": PASSWORD })).await?;
        let id = person["id"].as_str().context("no id")?.to_owned();
        let signed_in = send(
            client,
            Method::POST,
            format!("{base}/api/v1/auth/login"),
            None,
            json!({ "school": "bench-high", "email": email, "password": PASSWORD }),
        )
        .await?;
        let token = signed_in["access_token"]
            .as_str()
            .context("no token")?
            .to_owned();
        for p in 0..options.posts_each {
            post(
                token.clone(),
                json!({ "place": "profile", "profile_id": id }),
                p,
            )
            .await?;
        }
        for student in students {
            send(
                client,
                Method::POST,
                format!("{base}/api/v1/follows"),
                Some(student),
                json!({ "kind": "person", "id": id }),
            )
            .await?;
        }
        followed.push((id, token));
        progress.inc(1);
    }
    progress.finish_and_clear();
    // Each course's posts come from a followed teacher who teaches it too (one person may
    // only post so fast).
    for (course, (id, token)) in courses.iter().zip(followed.iter().cycle()) {
        send(
            client,
            Method::PUT,
            format!("{base}/api/v1/courses/{course}/members/{id}"),
            Some(teacher),
            json!({ "role": "teacher" }),
        )
        .await?;
        for p in 0..options.posts_each {
            // Social learns the course's places from courses' events: a first post may come
            // before it has.
            let mut tries = 0;
            while let Err(error) = post(
                token.clone(),
                json!({ "place": "course", "course_id": course }),
                p,
            )
            .await
            {
                tries += 1;
                anyhow::ensure!(tries < 100, "social never heard of the course: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    for p in 0..options.posts_each {
        post(teacher.to_owned(), json!({ "place": "school" }), p).await?;
    }
    Ok(())
}

const PASSWORD: &str = "correct horse battery staple";

/// Requests from `connections` loops until `until`; latencies in microseconds. Connection `i`
/// acts as student `i`: with their token, or for `sign-in` with their email and password.
async fn drive(
    route: Route,
    url: Arc<String>,
    tokens: Arc<Vec<String>>,
    connections: usize,
    until: Instant,
) -> anyhow::Result<(Histogram<u64>, u64)> {
    let mut tasks = Vec::new();
    for connection in 0..connections {
        let url = url.clone();
        let token = tokens[connection % tokens.len()].clone();
        let credentials = json!({ "school": "bench-high", "password": PASSWORD,
            "email": format!("student{}@bench.example", connection % tokens.len()) });
        tasks.push(tokio::spawn(async move {
            // One client per loop: its own keep-alive connection.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()?;
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut failures = 0u64;
            while Instant::now() < until {
                let sent = Instant::now();
                let request = match route {
                    Route::SignIn => client.post(url.as_str()).json(&credentials),
                    page if page.is_page() => client
                        .get(url.as_str())
                        .header("cookie", format!("campus_access={token}")),
                    _ => client.get(url.as_str()).bearer_auth(token.as_str()),
                };
                let response = request.send().await;
                match response {
                    Ok(response) if response.status().is_success() => {
                        response.bytes().await?;
                        histogram.saturating_record(sent.elapsed().as_micros() as u64);
                    }
                    _ => failures += 1,
                }
            }
            anyhow::Ok((histogram, failures))
        }));
    }
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut failures = 0;
    for task in tasks {
        let (histogram, failed) = task.await??;
        total.add(histogram)?;
        failures += failed;
    }
    Ok((total, failures))
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let (server, tokens, course) = if let Route::Bare = options.route {
        (start_bare()?, vec![String::new()], String::new())
    } else {
        let server = start(&options.binary)?;
        let (tokens, course) = seed(&server.base, &options).await?;
        (server, tokens, course)
    };
    let url = Arc::new(match options.route {
        Route::Catalogue => format!("{}/api/v1/courses?limit={}", server.base, options.page),
        Route::Outline => format!("{}/api/v1/courses/{course}", server.base),
        Route::Healthz | Route::Bare => format!("{}/healthz", server.base),
        Route::Me => format!("{}/api/v1/me", server.base),
        Route::SignIn => format!("{}/api/v1/auth/login", server.base),
        Route::Dashboard => format!("{}/", server.base),
        Route::CoursePage => format!("{}/courses/{course}", server.base),
        Route::Feed => format!("{}/api/v1/feed?limit=20", server.base),
    });
    if options.load == Load::Wrk {
        return run_wrk(&options, &url, &tokens[0]);
    }
    let tokens = Arc::new(tokens);
    let warmup = Instant::now() + Duration::from_secs(options.warmup_seconds);
    drive(
        options.route,
        url.clone(),
        tokens.clone(),
        options.connections,
        warmup,
    )
    .await?;
    let started = Instant::now();
    let (histogram, failures) = drive(
        options.route,
        url.clone(),
        tokens,
        options.connections,
        started + Duration::from_secs(options.seconds),
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let rss = resident_kib(server.child.id())? as f64 / 1024.0;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "reads {:?}: {} connections, {} s: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms, {} failed; server RSS {:.1} MiB",
        options.route,
        options.connections,
        options.seconds,
        histogram.len() as f64 / elapsed,
        ms(0.5),
        ms(0.99),
        ms(0.999),
        histogram.max() as f64 / 1000.0,
        failures,
        rss,
    );
    Ok(())
}

/// The same route under `wrk` (two threads, keep-alive connections), warmed up first; prints
/// wrk's own summary line of requests per second and its latency distribution.
fn run_wrk(options: &Options, url: &str, token: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !matches!(options.route, Route::SignIn),
        "--load wrk reads routes; sign-in needs the harness"
    );
    let wrk = |seconds: u64| {
        let mut command = Command::new("wrk");
        command
            .args(["-t2", "--latency"])
            .args(["-c", &options.connections.to_string()])
            .args(["-d", &format!("{seconds}s")]);
        if options.route.is_page() {
            command.args(["-H", &format!("Cookie: campus_access={token}")]);
        } else if !token.is_empty() {
            command.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        command
            .arg(url)
            .output()
            .context("cannot run wrk (install Debian's wrk)")
    };
    wrk(options.warmup_seconds.max(1))?;
    let output = wrk(options.seconds)?;
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!(
        "reads {:?} under wrk, {} connections, {} s:\n{}",
        options.route,
        options.connections,
        options.seconds,
        String::from_utf8_lossy(&output.stdout)
    );
    Ok(())
}
