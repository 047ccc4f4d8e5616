//! Assessments and the gradebook under load, in this process on the chosen storage:
//!
//! - `exam`: a class starts a timed quiz at once and submits within the exam's minute;
//!   latency of each step, errors, and afterwards exactly one attempt and one marked grade per
//!   student.
//! - `gradebook-export`: the CSV export of a course of N students × M items.
//!
//! What is measured runs the real routes over HTTP. The class itself is not built through
//! identity (thousands of password hashes would be the benchmark): students are written into
//! the contexts' people directories and rosters, and their access tokens are signed with a key
//! the bench adds to the process's key ring, the way the test harness does.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use campus_host::Application;
use campus_platform::{
    auth::{Claims, KeyRing},
    config::{Config, ConnectionUrl},
    db::Db,
    id, time,
};
use clap::Args;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::Storage;

pub(crate) const BENCH_KEY: &str = "bench-key";

#[derive(Args)]
pub struct ExamOptions {
    #[arg(long, value_enum, default_value = "sqlite")]
    storage: Storage,
    /// Students taking the quiz.
    #[arg(long, default_value_t = 2000)]
    students: usize,
    /// Every student starts within this many seconds of the exam opening...
    #[arg(long, default_value_t = 10)]
    start_within: u64,
    /// ...and has submitted within this many.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Questions per attempt.
    #[arg(long, default_value_t = 10)]
    questions: usize,
    /// Save the answers with their own request before submitting (as a page without
    /// JavaScript's Save button does), instead of sending them with the submission.
    #[arg(long)]
    save_separately: bool,
    /// Run only these contexts (comma-separated; all by default), to see what the consumers
    /// of the grades (gradebook, notifications) cost the submissions on the same cores.
    /// Identity, courses and assessments are needed.
    #[arg(long, value_delimiter = ',')]
    contexts: Vec<String>,
    #[arg(
        long,
        env = "CAMPUS_TEST_POSTGRES_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
}

#[derive(Args)]
pub struct ExportOptions {
    #[arg(long, value_enum, default_value = "sqlite")]
    storage: Storage,
    #[arg(long, default_value_t = 5000)]
    students: usize,
    #[arg(long, default_value_t = 50)]
    items: usize,
    /// Exports to time.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    #[arg(
        long,
        env = "CAMPUS_TEST_POSTGRES_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
}

/// A running installation of every context, with a school and its admin.
pub(crate) struct Installation {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    school: String,
    signing: Vec<u8>,
    app_dbs: Vec<(&'static str, Db)>,
    /// The installation's settings, for a second process to join it.
    pub config: Config,
    /// The public half of the key the bench signs tokens with.
    pub bench_public_key: Vec<u8>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    cleanup_database: Option<(String, String)>,
}

impl Installation {
    pub async fn start(storage: Storage, postgres_url: &str) -> anyhow::Result<Self> {
        Self::start_with_bus(storage, postgres_url, None, &[]).await
    }

    /// An installation whose events go through NATS at `nats_url` (when given), so other
    /// processes can run its contexts beside it, running only `contexts` (all when empty), so
    /// a benchmark can tell what a context's consumers cost the others.
    pub async fn start_with_bus(
        storage: Storage,
        postgres_url: &str,
        nats_url: Option<&str>,
        contexts: &[String],
    ) -> anyhow::Result<Self> {
        let unique = id::new_id_string().to_lowercase();
        let mut config = Config {
            listen: "127.0.0.1:0".parse()?,
            data_dir: std::env::temp_dir().join(format!("campus-bench-{unique}")),
            ..Config::default()
        };
        // The bench signs in from one address; keep the credential limit out of the way.
        config.http.credential_requests_per_minute = 100_000;
        config.contexts = contexts.to_vec();
        let mut cleanup_database = None;
        if let Storage::Postgres = storage {
            // Identity seals secrets in a shared database with the installation's key.
            let key: [u8; 32] = rand::random();
            config.secrets.key = Some(campus_platform::config::SecretText::new(
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key),
            ));
            let name = format!("campus_bench_{unique}");
            crate::events::admin_sql(postgres_url, &format!("CREATE DATABASE \"{name}\"")).await?;
            config.database.url = Some(ConnectionUrl::new(crate::events::with_database(
                postgres_url,
                &name,
            )));
            cleanup_database = Some((postgres_url.to_owned(), name));
        }
        if let Some(url) = nats_url {
            config.bus.url = Some(ConnectionUrl::new(url.to_owned()));
            config.bus.namespace = format!("bench{unique}");
        }
        let app = Application::build(config.clone(), campus::contexts::all()).await?;
        let keys: KeyRing = app.keys();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("key"))?;
        let pair =
            Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow::anyhow!("key"))?;
        keys.insert_ed25519(BENCH_KEY, pair.public_key().as_ref());
        let base = format!("http://{}", app.address());
        let app_dbs = [
            "assessments",
            "gradebook",
            "notifications",
            "messaging",
            "social",
        ]
        .into_iter()
        .filter_map(|name| app.database(name).map(|db| (name, db.clone())))
        .collect();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .build()?;
        let school = call(
            &client,
            Method::POST,
            &format!("{base}/api/v1/schools"),
            None,
            Some(json!({
            "slug": "bench-high", "name": "Bench High", "admin_email": "admin@bench.example",
            "admin_password": "correct horse battery staple 42", "admin_name": "Admin" })),
        )
        .await?;
        let admin = school["tokens"]["access_token"]
            .as_str()
            .context("no token")?
            .to_owned();
        let me = call(
            &client,
            Method::GET,
            &format!("{base}/api/v1/me"),
            Some(&admin),
            None,
        )
        .await?;
        let school = me["school_id"].as_str().context("no school")?.to_owned();
        Ok(Self {
            base,
            client,
            admin,
            school,
            signing: pkcs8.as_ref().to_vec(),
            app_dbs,
            config,
            bench_public_key: pair.public_key().as_ref().to_vec(),
            stop: Some(stop),
            server: Some(server),
            cleanup_database,
        })
    }

    /// The bench school's id.
    pub fn school_id(&self) -> &str {
        &self.school
    }

    pub fn db(&self, name: &str) -> anyhow::Result<&Db> {
        self.app_dbs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, db)| db)
            .context("context runs")
    }

    /// A student's access token, signed with the bench key.
    pub fn token(&self, user: &str) -> anyhow::Result<String> {
        let now = time::now_ms() / 1000;
        let claims = Claims {
            sub: user.to_owned(),
            school: self.school.clone(),
            role: campus_platform::auth::Role::Student,
            exp: now + 900,
            iat: now,
            jti: id::new_id_string(),
            typ: "access".to_owned(),
            sid: id::new_id_string(),
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(BENCH_KEY.to_owned());
        Ok(jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_ed_der(&self.signing),
        )?)
    }

    /// A published course, known to assessments, the gradebook and notifications.
    pub async fn course(&self) -> anyhow::Result<String> {
        let course = call(
            &self.client,
            Method::POST,
            &format!("{}/api/v1/courses", self.base),
            Some(&self.admin),
            Some(json!({ "title": "Bench physics" })),
        )
        .await?;
        let course = course["id"].as_str().context("course")?.to_owned();
        call(
            &self.client,
            Method::POST,
            &format!("{}/api/v1/courses/{course}/publish", self.base),
            Some(&self.admin),
            None,
        )
        .await?;
        for (name, db) in &self.app_dbs {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let known: Option<(String,)> =
                    sqlx::query_as("SELECT course_id FROM roster_courses WHERE course_id = $1")
                        .bind(&course)
                        .fetch_optional(db.pool())
                        .await?;
                if known.is_some() {
                    break;
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "{name} never heard of the course"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(course)
    }

    /// `count` students of the course, written into the contexts' directories and rosters.
    async fn students(&self, course: &str, count: usize) -> anyhow::Result<Vec<String>> {
        self.students_of_school(course, count, count).await
    }

    /// `count` students of the school, the first `enrolled` of them in the course.
    pub async fn students_of_school(
        &self,
        course: &str,
        count: usize,
        enrolled: usize,
    ) -> anyhow::Result<Vec<String>> {
        let ids: Vec<String> = (0..count).map(|_| id::new_id_string()).collect();
        for (_, db) in &self.app_dbs {
            for (c, chunk) in ids.chunks(500).enumerate() {
                let mut uow = db.begin().await?;
                for (n, user) in chunk.iter().enumerate() {
                    let n = c * 500 + n;
                    sqlx::query("INSERT INTO people (user_id, school_id, email, display_name, role, status, updated_at) \
                                 VALUES ($1, $2, $3, $4, 'student', 'active', 0)")
                        .bind(user).bind(&self.school).bind(format!("{user}@bench.example")).bind(format!("Student {n}"))
                        .execute(uow.conn()).await?;
                    if n < enrolled {
                        sqlx::query("INSERT INTO roster_places (course_id, user_id, school_id, course_role, joined_at) \
                                     VALUES ($1, $2, $3, 'student', 0)")
                            .bind(course).bind(user).bind(&self.school).execute(uow.conn()).await?;
                    }
                }
                uow.commit().await?;
            }
        }
        Ok(ids)
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        if let Some((url, name)) = self.cleanup_database.take() {
            crate::events::admin_sql(
                &url,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            )
            .await?;
        }
        // An exam run leaves about 90 MB behind; a measuring session runs many.
        for (_, db) in &self.app_dbs {
            db.close().await;
        }
        std::fs::remove_dir_all(&self.config.data_dir).ok();
        Ok(())
    }
}

pub(crate) async fn call(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "{url}: {status} {answer}");
    Ok(answer)
}

/// Sends a request whose answer the harness needs only to be a success: the answer is read to
/// its end but not parsed. The harness shares the server's processors, and parsing each
/// submission's answer into a JSON tree took 6.5 % of the samples of the exam's submit phase:
/// work a real class's devices do on their own processors. The address comes parsed, for the
/// same reason.
pub(crate) async fn send(
    client: &reqwest::Client,
    method: Method,
    url: reqwest::Url,
    token: &str,
    body: Option<Vec<u8>>,
) -> anyhow::Result<()> {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
    }
    let response = request.send().await?;
    let status = response.status();
    let failed = (!status.is_success()).then(|| response.url().to_string());
    let answer = response.bytes().await?;
    if let Some(url) = failed {
        anyhow::bail!("{url}: {status} {}", String::from_utf8_lossy(&answer));
    }
    Ok(())
}

pub(crate) fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 120_000_000, 3)?)
}

pub(crate) fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

/// What the exam's students met.
struct Tally {
    start: Histogram<u64>,
    save: Histogram<u64>,
    submit: Histogram<u64>,
    errors: usize,
    /// Seconds from the opening to the first save, and to the last submission answered.
    first_save: f64,
    last_submit: f64,
}

pub async fn exam(options: ExamOptions) -> anyhow::Result<()> {
    let site = Installation::start_with_bus(
        options.storage,
        &options.postgres_url,
        None,
        &options.contexts,
    )
    .await?;
    let course = site.course().await?;
    let students = site.students(&course, options.students).await?;
    let questions: Vec<Value> = (0..options.questions)
        .map(|n| json!({ "prompt": format!("Question {n}: pick A."), "points": 1, "question": { "kind": "single_choice",
            "options": [{ "id": "a", "text": "A", "correct": true }, { "id": "b", "text": "B" }, { "id": "c", "text": "C" }] } }))
        .collect();
    let bank = call(
        &site.client,
        Method::POST,
        &format!("{}/api/v1/courses/{course}/question-banks", site.base),
        Some(&site.admin),
        Some(json!({ "title": "Exam bank", "questions": questions })),
    )
    .await?;
    let quiz = call(&site.client, Method::POST, &format!("{}/api/v1/courses/{course}/quizzes", site.base), Some(&site.admin),
        Some(json!({ "title": "Exam", "time_limit_secs": 600, "shuffle_options": true,
            "selection": [{ "kind": "random", "bank_id": bank["id"], "count": options.questions, "points_each": 1 }] }))).await?;
    let quiz = quiz["id"].as_str().context("quiz")?.to_owned();
    call(
        &site.client,
        Method::POST,
        &format!("{}/api/v1/quizzes/{quiz}/publish", site.base),
        Some(&site.admin),
        None,
    )
    .await?;

    let progress = ProgressBar::new(students.len() as u64).with_style(
        ProgressStyle::with_template("exam [{bar:40}] {pos}/{len} students submitted ({per_sec})")?
            .progress_chars("=> "),
    );
    let results = Arc::new(Mutex::new(Tally {
        start: histogram()?,
        save: histogram()?,
        submit: histogram()?,
        errors: 0,
        first_save: f64::MAX,
        last_submit: 0.0,
    }));
    let opened = Instant::now();
    let mut tasks = Vec::new();
    let count = students.len().max(1) as u64;
    for (n, student) in students.iter().enumerate() {
        let token = site.token(student)?;
        let client = site.client.clone();
        let base = site.base.clone();
        let quiz = quiz.clone();
        let results = results.clone();
        let progress = progress.clone();
        let save_separately = options.save_separately;
        // Starts spread evenly over the first seconds; answers saved and submitted at random
        // moments of the rest of the exam (its submit phase).
        let start_at = Duration::from_micros(options.start_within * 1_000_000 * n as u64 / count);
        let rest = options.seconds.saturating_sub(options.start_within).max(1) * 1_000_000;
        let submit_at = Duration::from_secs(options.start_within)
            + Duration::from_micros(rand::random_range(0..rest));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until((opened + start_at).into()).await;
            let timed = |started: Instant| started.elapsed().as_micros() as u64;
            let began = Instant::now();
            let attempt = call(
                &client,
                Method::POST,
                &format!("{base}/api/v1/quizzes/{quiz}/attempts"),
                Some(&token),
                None,
            )
            .await;
            let start_us = timed(began);
            let Ok(attempt) = attempt else {
                results.lock().await.errors += 1;
                return;
            };
            // The requests' bodies and addresses are ready before their clocks start, and the
            // start's answer is dropped before the submit phase: the harness shares the
            // server's processors, and the class's devices would do that work on their own.
            let (answers, save_url, submit_url) = {
                let attempt_id = attempt["id"].as_str().unwrap_or_default();
                let answers: serde_json::Map<String, Value> = attempt["questions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|q| {
                        q["id"].as_str().map(|id| {
                            (id.to_owned(), json!({ "kind": "choice", "option_id": "a" }))
                        })
                    })
                    .collect();
                let url = |path: String| reqwest::Url::parse(&format!("{base}{path}"));
                (
                    serde_json::to_vec(&json!({ "answers": answers })).unwrap_or_default(),
                    url(format!("/api/v1/attempts/{attempt_id}/answers")),
                    url(format!("/api/v1/attempts/{attempt_id}/submit")),
                )
            };
            drop(attempt);
            let (Ok(save_url), Ok(submit_url)) = (save_url, submit_url) else {
                results.lock().await.errors += 1;
                return;
            };
            tokio::time::sleep_until((opened + submit_at).into()).await;
            let began = Instant::now();
            let (saved, last) = if save_separately {
                let saved = send(&client, Method::PUT, save_url, &token, Some(answers)).await;
                (saved, None)
            } else {
                (Ok(()), Some(answers))
            };
            let save_us = timed(began);
            let began = Instant::now();
            let submitted = send(&client, Method::POST, submit_url, &token, last).await;
            let submit_us = timed(began);
            let done = opened.elapsed().as_secs_f64();
            let mut results = results.lock().await;
            results.start.saturating_record(start_us);
            results.save.saturating_record(save_us);
            results.submit.saturating_record(submit_us);
            results.first_save = results
                .first_save
                .min(done - (save_us + submit_us) as f64 / 1e6);
            results.last_submit = results.last_submit.max(done);
            if saved.is_err() || submitted.is_err() {
                results.errors += 1;
            }
            progress.inc(1);
        }));
    }
    for task in tasks {
        task.await?;
    }
    let took = opened.elapsed();
    progress.finish();
    // The submissions' cost ends at their outbox rows; the contexts that learn of the grades
    // (gradebook, notifications) may still be working through them. How long they take to
    // catch up is part of what a burst costs.
    let consumers: Vec<&str> = ["gradebook", "notifications"]
        .into_iter()
        .filter(|context| {
            options.contexts.is_empty() || options.contexts.iter().any(|c| c == context)
        })
        .collect();
    let caught_up = downstream_caught_up(&site, &consumers, Duration::from_secs(120)).await?;
    let db = site.db("assessments")?;
    let (attempts, graded, students_with_one): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), SUM(CASE WHEN status = 'graded' THEN 1 ELSE 0 END), COUNT(DISTINCT student_id) FROM attempts WHERE quiz_id = $1")
        .bind(&quiz).fetch_one(db.pool()).await?;
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE event_type = 'campus.assessments.quiz_attempt_graded.v1'")
        .fetch_one(db.pool()).await?;
    let results = results.lock().await;
    let phase = results.last_submit - results.first_save;
    println!(
        "submit phase: {} saves and submissions, the first begun at {:.2} s, the last done at {:.2} s: {:.0} submissions/s",
        students.len(),
        results.first_save,
        results.last_submit,
        students.len() as f64 / phase.max(0.001)
    );
    match caught_up {
        Some(after) => println!(
            "downstream: every consumer of the grades had handled them {:.0} ms after the last submission was answered",
            after.as_secs_f64() * 1000.0
        ),
        None => println!("downstream: the consumers of the grades had not caught up 120 s after the last submission"),
    }
    println!("| students | took | errors | start p50 / p99 / max | save p50 / p99 / max | submit p50 / p99 / max | attempts | marked | grade events |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {:.1} s | {} | {:.1} / {:.1} / {:.1} ms | {:.1} / {:.1} / {:.1} ms | {:.1} / {:.1} / {:.1} ms | {attempts} ({students_with_one} students) | {graded} | {events} |",
        students.len(), took.as_secs_f64(), results.errors,
        ms(&results.start, 0.5), ms(&results.start, 0.99), results.start.max() as f64 / 1000.0,
        ms(&results.save, 0.5), ms(&results.save, 0.99), results.save.max() as f64 / 1000.0,
        ms(&results.submit, 0.5), ms(&results.submit, 0.99), results.submit.max() as f64 / 1000.0,
    );
    drop(results);
    site.stop().await
}

/// How long after now every consumer of assessments' events, in the contexts that take the
/// grades, has handled every one published (None if not within `limit`).
async fn downstream_caught_up(
    site: &Installation,
    consumers: &[&str],
    limit: Duration,
) -> anyhow::Result<Option<Duration>> {
    let began = Instant::now();
    let producer = site.db("assessments")?;
    let consumers = consumers
        .iter()
        .map(|context| site.db(context))
        .collect::<anyhow::Result<Vec<_>>>()?;
    while began.elapsed() < limit {
        let (unpublished, head): (i64, Option<i64>) = sqlx::query_as(
            "SELECT SUM(CASE WHEN position IS NULL THEN 1 ELSE 0 END), MAX(position) FROM outbox",
        )
        .fetch_one(producer.pool())
        .await?;
        let mut behind = unpublished > 0;
        for db in &consumers {
            let (least,): (Option<i64>,) = sqlx::query_as(
                "SELECT MIN(position) FROM consumer_positions WHERE stream = 'assessments'",
            )
            .fetch_one(db.pool())
            .await?;
            behind |= least.unwrap_or(0) < head.unwrap_or(0);
        }
        if !behind {
            return Ok(Some(began.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(None)
}

pub async fn gradebook_export(options: ExportOptions) -> anyhow::Result<()> {
    let site = Installation::start(options.storage, &options.postgres_url).await?;
    let course = site.course().await?;
    let students = site.students(&course, options.students).await?;
    let db = site.db("gradebook")?;
    let progress = ProgressBar::new((options.students * options.items) as u64).with_style(
        ProgressStyle::with_template("seeding grades [{bar:40}] {pos}/{len}")?
            .progress_chars("=> "),
    );
    let mut uow = db.begin().await?;
    for item in 0..options.items {
        sqlx::query("INSERT INTO grade_items (id, school_id, course_id, kind, title, max_points, released, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'assignment', $4, 10, 1, $5, 0)")
            .bind(format!("item-{item}")).bind(&site.school).bind(&course).bind(format!("Homework {item}")).bind(item as i64)
            .execute(uow.conn()).await?;
    }
    uow.commit().await?;
    for chunk in students.chunks(100) {
        let mut uow = db.begin().await?;
        for (n, student) in chunk.iter().enumerate() {
            for item in 0..options.items {
                sqlx::query("INSERT INTO grades (item_id, student_id, course_id, school_id, points, days_late, excused, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, 0, 0, 0)")
                    .bind(format!("item-{item}")).bind(student).bind(&course).bind(&site.school).bind(((n + item) % 11) as f64)
                    .execute(uow.conn()).await?;
            }
            progress.inc(options.items as u64);
        }
        uow.commit().await?;
    }
    progress.finish();
    let mut timings = histogram()?;
    let mut size = 0;
    for _ in 0..options.runs {
        let began = Instant::now();
        let response = site
            .client
            .get(format!("{}/api/v1/courses/{course}/gradebook", site.base))
            .bearer_auth(&site.admin)
            .header("accept", "text/csv")
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "export: {}",
            response.status()
        );
        let body = response.bytes().await?;
        timings.saturating_record(began.elapsed().as_micros() as u64);
        size = body.len();
        anyhow::ensure!(
            body.iter().filter(|b| **b == b'\n').count() == options.students + 1,
            "one row per student"
        );
    }
    println!("| students × items | runs | p50 | max | CSV size |");
    println!("|---|---|---|---|---|");
    println!(
        "| {} × {} | {} | {:.0} ms | {:.0} ms | {:.1} MB |",
        options.students,
        options.items,
        options.runs,
        ms(&timings, 0.5),
        timings.max() as f64 / 1000.0,
        size as f64 / 1e6
    );
    site.stop().await
}
