//! A school day's mix, against either shape: the `campus` binary on its embedded defaults
//! (started here), or a running deployment given by its address (`deploy/one-machine/up.sh`).
//!
//! Seeding goes through the public API: a school, a teacher, `--students` students, `--courses`
//! published courses and one course the students take, with lessons and an assignment. Then
//! each student loops through what a student does (browse the catalogue, open the course, read
//! and complete a lesson, enroll in or leave another course, hand in, chat with the teacher or
//! read the conversation, look at notifications) while the teacher grades what is handed in,
//! each sending the next request as soon as the last is answered. The figures: requests per
//! second and latency by step and in all, and events per second published by the outboxes and
//! handled by the consumers (from every process's `/metrics`).

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Args;
use hdrhistogram::Histogram;
use reqwest::Method;
use serde_json::{json, Value};

use crate::assess::{call, histogram, ms};

#[derive(Args)]
pub struct Options {
    /// A running installation to measure (nginx's address for the distributed shape). Without
    /// it, `--binary` is started on its embedded defaults in a fresh data folder.
    #[arg(long)]
    url: Option<String>,
    /// The campus binary to start when no `--url` is given.
    #[arg(long, default_value = "target/release/campus")]
    binary: PathBuf,
    /// The processes whose `/metrics` count the events: `deploy/one-machine/up.sh`'s
    /// `STATE_DIR/run/processes` (name, port, contexts per line). Without it, `/metrics` of
    /// the installation's address.
    #[arg(long)]
    processes: Option<PathBuf>,
    /// Students, each one loop (and one keep-alive connection) of requests.
    #[arg(long, default_value_t = 32)]
    students: usize,
    /// Teachers grading, each one loop.
    #[arg(long, default_value_t = 2)]
    graders: usize,
    /// Published courses in the catalogue (the ones students enroll in and leave).
    #[arg(long, default_value_t = 40)]
    courses: usize,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Unmeasured warm-up before the measured run.
    #[arg(long, default_value_t = 5)]
    warmup_seconds: u64,
}

const PASSWORD: &str = "correct horse battery staple";

/// The steps, in the order each student takes them.
const STEPS: [&str; 10] = [
    "browse the catalogue",
    "open the course",
    "read a lesson",
    "complete a lesson",
    "enroll or leave",
    "hand in",
    "chat",
    "read the chat",
    "notifications",
    "grade",
];

/// The seeded school, as the loops need it.
struct School {
    base: String,
    teacher: String,
    students: Vec<Student>,
    catalogue: Vec<String>,
    course: String,
    lessons: Vec<String>,
    assignment: String,
}

struct Student {
    token: String,
    conversation: String,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let server = match &options.url {
        Some(_) => None,
        None => Some(crate::reads::start(&options.binary)?),
    };
    let base = match (&options.url, &server) {
        (Some(url), _) => url.trim_end_matches('/').to_owned(),
        (None, Some(server)) => server.base.clone(),
        (None, None) => unreachable!("a server was started"),
    };
    let metrics = metrics_addresses(&options, &base)?;
    let school = Arc::new(seed(&base, &options).await?);

    let warmup = Instant::now() + Duration::from_secs(options.warmup_seconds);
    drive(&school, &options, warmup).await?;
    let before = events(&metrics).await?;
    let started = Instant::now();
    let tally = drive(
        &school,
        &options,
        started + Duration::from_secs(options.seconds),
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let after = events(&metrics).await?;

    let shape = match &options.url {
        Some(url) => format!("the installation at {url}"),
        None => "the embedded shape (one process, SQLite, embedded event log)".to_owned(),
    };
    let mut all = histogram()?;
    let mut failed = 0;
    println!(
        "mixed load on {shape}: {} students and {} graders, {} s\n",
        options.students, options.graders, options.seconds
    );
    println!("| step | req/s | p50 ms | p99 ms | failed |\n|---|---|---|---|---|");
    let mut why = Vec::new();
    for step in STEPS {
        let Some((latencies, failures, first)) = tally.get(step) else {
            continue;
        };
        if let Some(first) = first {
            why.push(format!("{step}: {first}"));
        }
        all.add(latencies)?;
        failed += failures;
        println!(
            "| {step} | {:.0} | {:.1} | {:.1} | {failures} |",
            latencies.len() as f64 / elapsed,
            ms(latencies, 0.5),
            ms(latencies, 0.99),
        );
    }
    println!(
        "| **all** | **{:.0}** | {:.1} | **{:.1}** | {failed} |",
        all.len() as f64 / elapsed,
        ms(&all, 0.5),
        ms(&all, 0.99),
    );
    for failure in why {
        println!("\nthe first failure of {failure}");
    }
    println!(
        "\nevents: {:.0}/s published by the outboxes, {:.0}/s handled by consumers ({} metrics endpoints)",
        (after.0 - before.0) / elapsed,
        (after.1 - before.1) / elapsed,
        metrics.len()
    );
    drop(server);
    Ok(())
}

fn metrics_addresses(options: &Options, base: &str) -> anyhow::Result<Vec<String>> {
    let Some(file) = &options.processes else {
        return Ok(vec![format!("{base}/metrics")]);
    };
    let processes =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    processes
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let port = line
                .split_whitespace()
                .nth(1)
                .with_context(|| format!("no port in `{line}`"))?;
            Ok(format!("http://127.0.0.1:{port}/metrics"))
        })
        .collect()
}

/// Events published and handled so far, summed over every process (Prometheus text).
async fn events(addresses: &[String]) -> anyhow::Result<(f64, f64)> {
    let client = reqwest::Client::new();
    let (mut published, mut handled) = (0.0, 0.0);
    for address in addresses {
        let text = client
            .get(address)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("{address} (metrics.listen must be unset)"))?
            .text()
            .await?;
        for line in text.lines() {
            let value = || {
                line.rsplit_once(' ')
                    .and_then(|(_, v)| v.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            if line.starts_with("campus_events_published_total") {
                published += value();
            } else if line.starts_with("campus_events_consumed_total")
                && line.contains("outcome=\"handled\"")
            {
                handled += value();
            }
        }
    }
    Ok((published, handled))
}

async fn seed(base: &str, options: &Options) -> anyhow::Result<School> {
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{base}{path}");
    // A new school each run, so a deployment can be measured more than once.
    let slug = format!("mixed-{}", std::process::id());
    let made = call(
        &client,
        Method::POST,
        &url("/api/v1/schools"),
        None,
        Some(
            json!({ "slug": slug, "name": "Mixed Day High", "admin_email": "admin@mixed.example",
                     "admin_password": PASSWORD, "admin_name": "Admin" }),
        ),
    )
    .await?;
    let admin = made["tokens"]["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();
    let person = |email: String, role: &'static str| {
        let (client, admin, slug) = (client.clone(), admin.clone(), slug.clone());
        let (users, login) = (url("/api/v1/users"), url("/api/v1/auth/login"));
        async move {
            let made = call(&client, Method::POST, &users, Some(&admin),
                Some(json!({ "email": email, "display_name": role, "role": role, "password": PASSWORD }))).await?;
            let tokens = call(
                &client,
                Method::POST,
                &login,
                None,
                Some(json!({ "school": slug, "email": email, "password": PASSWORD })),
            )
            .await?;
            let token = tokens["access_token"].as_str().context("no token")?;
            anyhow::Ok((
                made["id"].as_str().context("no id")?.to_owned(),
                token.to_owned(),
            ))
        }
    };
    let (teacher_id, teacher) = person("teacher@mixed.example".into(), "teacher").await?;
    let progress = indicatif::ProgressBar::new((options.students + options.courses + 1) as u64);
    let course = |title: String| {
        let (client, teacher) = (client.clone(), teacher.clone());
        let courses = url("/api/v1/courses");
        async move {
            let made = call(
                &client,
                Method::POST,
                &courses,
                Some(&teacher),
                Some(json!({ "title": title, "summary": "A course of the mixed day" })),
            )
            .await?;
            let id = made["id"].as_str().context("no id")?.to_owned();
            call(
                &client,
                Method::POST,
                &format!("{courses}/{id}/publish"),
                Some(&teacher),
                None,
            )
            .await?;
            anyhow::Ok(id)
        }
    };
    let taken = course("The course everyone takes".into()).await?;
    let module = call(
        &client,
        Method::POST,
        &url(&format!("/api/v1/courses/{taken}/modules")),
        Some(&teacher),
        Some(json!({ "title": "Week 1" })),
    )
    .await?;
    let module = module["id"].as_str().context("no id")?;
    let mut lessons = Vec::new();
    for n in 0..8 {
        let lesson = call(
            &client,
            Method::POST,
            &url(&format!("/api/v1/modules/{module}/lessons")),
            Some(&teacher),
            Some(json!({ "title": format!("Lesson {n}"),
                "body": "Read *this* and [that](https://example.org).", "estimated_minutes": 10 })),
        )
        .await?;
        lessons.push(lesson["id"].as_str().context("no id")?.to_owned());
    }
    let assignment = call(
        &client,
        Method::POST,
        &url(&format!("/api/v1/courses/{taken}/assignments")),
        Some(&teacher),
        Some(
            json!({ "title": "Weekly reflection", "instructions": "Write a few lines.",
            "max_points": 10, "submission_types": ["text"], "attempts_allowed": 0 }),
        ),
    )
    .await?;
    let assignment = assignment["id"].as_str().context("no id")?.to_owned();
    call(
        &client,
        Method::POST,
        &url(&format!("/api/v1/assignments/{assignment}/publish")),
        Some(&teacher),
        None,
    )
    .await?;
    progress.inc(1);
    let mut catalogue = Vec::new();
    for n in 0..options.courses {
        catalogue.push(course(format!("Elective {n}")).await?);
        progress.inc(1);
    }
    let mut students = Vec::new();
    for n in 0..options.students {
        let (_, token) = person(format!("student{n}@mixed.example"), "student").await?;
        call(
            &client,
            Method::POST,
            &url(&format!("/api/v1/courses/{taken}/enroll")),
            Some(&token),
            Some(json!({})),
        )
        .await?;
        // Messaging learns that the student is in the teacher's course from the enrollment's
        // event, a moment after the enrollment answered.
        let mut tries = 0;
        let conversation = loop {
            let started = call(
                &client,
                Method::POST,
                &url("/api/v1/conversations"),
                Some(&token),
                Some(json!({ "member_ids": [teacher_id] })),
            )
            .await;
            match started {
                Ok(conversation) => break conversation,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error),
            }
        };
        let conversation = conversation["id"].as_str().context("no id")?.to_owned();
        students.push(Student {
            token,
            conversation,
        });
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(School {
        base: base.to_owned(),
        teacher,
        students,
        catalogue,
        course: taken,
        lessons,
        assignment,
    })
}

/// By step: the latencies of the answered requests, the number that failed, and the first
/// failure's status and body (so a failing step says why).
type Tally = BTreeMap<&'static str, (Histogram<u64>, u64, Option<String>)>;

/// Student number → the id of their latest hand-in, until a grader takes it.
type HandedIn = BTreeMap<usize, String>;

/// Runs every student's and grader's loop until `until`; latencies by step, in microseconds.
async fn drive(school: &Arc<School>, options: &Options, until: Instant) -> anyhow::Result<Tally> {
    // Each student's latest hand-in not yet graded (an earlier one can no longer be graded).
    let handed_in = Arc::new(Mutex::new(HandedIn::new()));
    let mut loops = Vec::new();
    for n in 0..school.students.len() {
        let (school, handed_in) = (school.clone(), handed_in.clone());
        loops.push(tokio::spawn(async move {
            student_day(&school, n, &handed_in, until).await
        }));
    }
    for _ in 0..options.graders {
        let (school, handed_in) = (school.clone(), handed_in.clone());
        loops.push(tokio::spawn(async move {
            grading(&school, &handed_in, until).await
        }));
    }
    let mut tally = Tally::new();
    for each in loops {
        for (step, (latencies, failures, first)) in each.await?? {
            let entry = match tally.entry(step) {
                std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::btree_map::Entry::Vacant(entry) => {
                    entry.insert((histogram()?, 0, None))
                }
            };
            entry.0.add(&latencies)?;
            entry.1 += failures;
            entry.2 = entry.2.take().or(first);
        }
    }
    Ok(tally)
}

/// Times one request as `step`; a failure is counted, not timed. Answers the JSON body.
async fn timed(
    tally: &mut Tally,
    step: &'static str,
    request: reqwest::RequestBuilder,
) -> anyhow::Result<Option<Value>> {
    timed_allowing(tally, step, request, None).await
}

/// [`timed`], with one more status that counts as answered (its body is not returned).
async fn timed_allowing(
    tally: &mut Tally,
    step: &'static str,
    request: reqwest::RequestBuilder,
    also: Option<reqwest::StatusCode>,
) -> anyhow::Result<Option<Value>> {
    let sent = Instant::now();
    let answer = match request.send().await {
        Ok(response) if response.status().is_success() => {
            Ok(response.json().await.unwrap_or(Value::Null))
        }
        Ok(response) if Some(response.status()) == also => {
            response.bytes().await.ok();
            Ok(Value::Null)
        }
        Ok(response) => Err(format!(
            "{} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        )),
        Err(error) => Err(error.to_string()),
    };
    let entry = match tally.entry(step) {
        std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
        std::collections::btree_map::Entry::Vacant(entry) => entry.insert((histogram()?, 0, None)),
    };
    match answer {
        Ok(answer) => {
            entry.0.saturating_record(sent.elapsed().as_micros() as u64);
            Ok(Some(answer))
        }
        Err(failure) => {
            entry.1 += 1;
            entry.2.get_or_insert(failure);
            Ok(None)
        }
    }
}

/// A client for one loop: its own keep-alive connection, as one browser has.
fn one_connection() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().pool_max_idle_per_host(1).build()
}

/// One student's loop. Messages go out at most once a second (the messaging context allows
/// 60 a minute per person); between them the student reads the conversation instead.
async fn student_day(
    school: &School,
    n: usize,
    handed_in: &Mutex<HandedIn>,
    until: Instant,
) -> anyhow::Result<Tally> {
    let client = one_connection()?;
    let student = &school.students[n];
    let base = &school.base;
    let get = |path: String| {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(&student.token)
    };
    let post = |path: String, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&student.token)
            .json(&body)
    };
    let mut tally = Tally::new();
    let mut round = 0usize;
    let mut last_message: Option<Instant> = None;
    while Instant::now() < until {
        round += 1;
        let lesson = &school.lessons[(n + round) % school.lessons.len()];
        let elective = &school.catalogue[(n * 7 + (round - 1) / 2) % school.catalogue.len()];
        timed(&mut tally, STEPS[0], get("/api/v1/courses?limit=20".into())).await?;
        timed(
            &mut tally,
            STEPS[1],
            get(format!("/api/v1/courses/{}", school.course)),
        )
        .await?;
        timed(
            &mut tally,
            STEPS[2],
            get(format!("/api/v1/lessons/{lesson}")),
        )
        .await?;
        let complete = format!("{base}/api/v1/lessons/{lesson}/complete");
        timed(
            &mut tally,
            STEPS[3],
            client.post(complete).bearer_auth(&student.token),
        )
        .await?;
        // Odd rounds enroll in an elective, even ones leave the one the last round joined.
        let enrollment = format!("/api/v1/courses/{elective}/enroll");
        let request = if round % 2 == 1 {
            post(enrollment, json!({}))
        } else {
            client
                .delete(format!("{base}{enrollment}"))
                .bearer_auth(&student.token)
        };
        timed(&mut tally, STEPS[4], request).await?;
        let submission = timed(
            &mut tally,
            STEPS[5],
            post(
                format!("/api/v1/assignments/{}/submissions", school.assignment),
                json!({ "text": format!("Round {round}: what I learned this week.") }),
            ),
        )
        .await?;
        if let Some(id) = submission.as_ref().and_then(|s| s["id"].as_str()) {
            handed_in
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(n, id.to_owned());
        }
        let messages = format!("/api/v1/conversations/{}/messages", student.conversation);
        if last_message.is_none_or(|at| at.elapsed() >= Duration::from_millis(1100)) {
            last_message = Some(Instant::now());
            timed(
                &mut tally,
                STEPS[6],
                post(messages, json!({ "body": format!("Question {round}?") })),
            )
            .await?;
        } else {
            timed(&mut tally, STEPS[7], get(format!("{messages}?limit=20"))).await?;
        }
        timed(
            &mut tally,
            STEPS[8],
            get("/api/v1/notifications?limit=20".into()),
        )
        .await?;
    }
    Ok(tally)
}

/// A teacher grading each student's latest hand-in. A student may hand in again between the
/// grader taking an attempt and grading it: the answer is then 409 `not_latest`, which is the
/// server doing its job, so it counts as answered.
async fn grading(
    school: &School,
    handed_in: &Mutex<HandedIn>,
    until: Instant,
) -> anyhow::Result<Tally> {
    let client = one_connection()?;
    let mut tally = Tally::new();
    let mut round = 0u64;
    while Instant::now() < until {
        let next = handed_in
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_first();
        let Some((_, submission)) = next else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        round += 1;
        let request = client
            .post(format!(
                "{}/api/v1/submissions/{submission}/grade",
                school.base
            ))
            .bearer_auth(&school.teacher)
            .json(&json!({ "points": (round % 11) as f64, "comment": "Thanks." }));
        timed_allowing(
            &mut tally,
            STEPS[9],
            request,
            Some(reqwest::StatusCode::CONFLICT),
        )
        .await?;
    }
    Ok(tally)
}
