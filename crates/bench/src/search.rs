//! Search at a school's scale, embedded shape (everything in this process, sharing the two
//! cores): `--documents` documents in one school (courses, lessons of public courses and posts
//! of the school's feed, in English and Spanish) arrive as courses' and social's events through
//! the real backbone, and search indexes them. Then, each for `--seconds`:
//!
//! - queries: `--connections` keep-alive connections ask `GET /api/v1/search` for one or two
//!   words of the corpus (one query in ten with a typo), each as soon as the last answered;
//! - suggestions: the same for `GET /api/v1/search/suggest` with the first letters of titles;
//! - index lag: posts are published at `--rate` per second; one in fifty carries a word of its
//!   own, and is searched for every 10 ms from the moment its event committed until found.
//!
//! Also recorded: how long indexing the corpus took, the index's size on disk, and how long a
//! full rebuild (`campus search reindex`, with the server running) takes.

use std::{
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use campus_contracts::{
    courses::{CoursePublished, LessonPublished},
    social::{PostPlace, PostPublished},
};
use campus_platform::{db::Db, id};
use clap::Args;
use hdrhistogram::Histogram;
use rand::{rngs::StdRng, Rng, SeedableRng};
use reqwest::Method;

use crate::{
    assess::{call, histogram, ms, Installation},
    Storage,
};

#[derive(Args)]
pub struct Options {
    #[arg(long, value_enum, default_value = "sqlite")]
    storage: Storage,
    /// Documents in the school.
    #[arg(long, default_value_t = 100_000)]
    documents: usize,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Posts per second while index lag is measured.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    #[arg(
        long,
        env = "CAMPUS_TEST_POSTGRES_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
}

/// Words the corpus is written in: common school words first (they come up most), then a
/// long tail of rarer ones, as in real text.
const ENGLISH: &[&str] = &[
    "the",
    "students",
    "lesson",
    "homework",
    "class",
    "science",
    "history",
    "reading",
    "project",
    "teacher",
    "photosynthesis",
    "energy",
    "plants",
    "water",
    "cycle",
    "equation",
    "fractions",
    "algebra",
    "geometry",
    "poetry",
    "novel",
    "chapter",
    "experiment",
    "laboratory",
    "volcano",
    "earthquake",
    "climate",
    "weather",
    "planets",
    "gravity",
    "molecules",
    "cells",
    "biology",
    "chemistry",
    "physics",
    "painting",
    "music",
    "rhythm",
    "orchestra",
    "football",
    "library",
    "museum",
    "field",
    "trip",
    "friday",
    "monday",
    "deadline",
    "quiz",
    "exam",
    "revision",
    "notes",
    "summary",
    "essay",
    "argument",
    "evidence",
    "source",
    "timeline",
    "revolution",
    "empire",
    "democracy",
    "election",
    "community",
    "garden",
    "recycling",
];
const SPANISH: &[&str] = &[
    "los",
    "estudiantes",
    "lección",
    "tarea",
    "clase",
    "ciencia",
    "historia",
    "lectura",
    "proyecto",
    "profesora",
    "fotosíntesis",
    "energía",
    "plantas",
    "agua",
    "ciclo",
    "ecuación",
    "fracciones",
    "álgebra",
    "geometría",
    "poesía",
    "novela",
    "capítulo",
    "experimento",
    "laboratorio",
    "volcán",
    "terremoto",
    "clima",
    "planetas",
    "gravedad",
    "moléculas",
    "células",
    "biología",
    "química",
    "física",
    "pintura",
    "música",
    "ritmo",
    "biblioteca",
    "museo",
    "excursión",
    "viernes",
    "examen",
    "resumen",
    "ensayo",
    "revolución",
    "comunidad",
];
/// Rare words of the long tail.
const TAIL: usize = 20_000;

fn word(rng: &mut StdRng, spanish: bool) -> String {
    let common = if spanish { SPANISH } else { ENGLISH };
    if rng.random_bool(0.7) {
        // Earlier words are commoner: the square skews the choice towards them.
        let at = (rng.random::<f64>().powi(2) * common.len() as f64) as usize;
        common[at.min(common.len() - 1)].to_owned()
    } else {
        let at = (rng.random::<f64>().powi(3) * TAIL as f64) as usize;
        format!("{}{at}", if spanish { "palabra" } else { "term" })
    }
}

fn text(rng: &mut StdRng, spanish: bool, words: usize) -> String {
    (0..words)
        .map(|_| word(rng, spanish))
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let site = Installation::start(options.storage, &options.postgres_url).await?;
    let school = site.school_id().to_owned();
    let social = site.db("social")?.clone();
    let courses = Db::open(&site.config, "courses").await?;
    let search = Db::open(&site.config, "search").await?;
    let mut rng = StdRng::seed_from_u64(7);

    // Searchers: students of the school, in search's copy of the people directory.
    let readers: Vec<String> = (0..options.connections)
        .map(|_| id::new_id_string())
        .collect();
    for reader in &readers {
        sqlx::query(
            "INSERT INTO people (user_id, school_id, email, display_name, role, status, updated_at) \
             VALUES ($1, $2, $3, 'Reader', 'student', 'active', 0)",
        )
        .bind(reader)
        .bind(&school)
        .bind(format!("{reader}@bench.example"))
        .execute(search.pool())
        .await?;
    }
    let tokens: Vec<String> = readers
        .iter()
        .map(|reader| site.token(reader))
        .collect::<anyhow::Result<_>>()?;

    // The corpus: one course in two hundred documents, a fifth lessons, the rest posts.
    let seeding = Instant::now();
    let course_count = (options.documents / 200).max(1);
    let lesson_count = options.documents / 5;
    let post_count = options.documents - course_count - lesson_count;
    let course_ids: Vec<String> = (0..course_count).map(|_| id::new_id_string()).collect();
    let progress = indicatif::ProgressBar::new(options.documents as u64);
    for chunk in course_ids.chunks(500) {
        let mut uow = courses.begin().await?;
        for course in chunk {
            let spanish = rng.random_bool(0.3);
            uow.record(
                &school,
                &CoursePublished {
                    course_id: course.clone(),
                    school_id: school.clone(),
                    title: text(&mut rng, spanish, 3),
                    summary: text(&mut rng, spanish, 20),
                    subject: None,
                    grade_level: None,
                    tags: Vec::new(),
                    public: true,
                    language: Some(if spanish { "es" } else { "en" }.to_owned()),
                },
            )
            .await?;
        }
        uow.commit().await?;
        progress.inc(chunk.len() as u64);
    }
    for start in (0..lesson_count).step_by(500) {
        let mut uow = courses.begin().await?;
        for n in start..(start + 500).min(lesson_count) {
            let spanish = rng.random_bool(0.3);
            uow.record(
                &school,
                &LessonPublished {
                    lesson_id: id::new_id_string(),
                    module_id: id::new_id_string(),
                    course_id: course_ids[n % course_ids.len()].clone(),
                    school_id: school.clone(),
                    title: text(&mut rng, spanish, 4),
                    body: Some(text(&mut rng, spanish, 120)),
                },
            )
            .await?;
        }
        uow.commit().await?;
        progress.inc(500);
    }
    let author = id::new_id_string();
    for start in (0..post_count).step_by(500) {
        let mut uow = social.begin().await?;
        for _ in start..(start + 500).min(post_count) {
            let spanish = rng.random_bool(0.3);
            uow.record(
                &school,
                &post(&school, &author, text(&mut rng, spanish, 40)),
            )
            .await?;
        }
        uow.commit().await?;
        progress.inc(500);
    }
    progress.finish_and_clear();
    wait_until_indexed(&search, options.documents).await?;
    let indexing = seeding.elapsed().as_secs_f64();
    let size = folder_bytes(&site.config.search.index_dir(&site.config.data_dir));
    println!(
        "search: {} documents ({course_count} courses, {lesson_count} lessons, {post_count} posts) \
         recorded as events and indexed in {indexing:.1} s ({:.0} documents/s); index {:.1} MB on disk",
        options.documents,
        options.documents as f64 / indexing,
        size as f64 / 1e6
    );

    let until = Duration::from_secs(options.seconds);
    let queries = drive(&site, &tokens, until, |rng| {
        let spanish = rng.random_bool(0.3);
        let mut q = word(rng, spanish);
        if rng.random_bool(0.5) {
            q = format!("{q} {}", word(rng, spanish));
        }
        if rng.random_bool(0.1) && q.len() > 5 {
            // A typo: two letters swapped.
            let mut letters: Vec<char> = q.chars().collect();
            letters.swap(2, 3);
            q = letters.into_iter().collect();
        }
        format!("/api/v1/search?q={}", encode(&q))
    })
    .await?;
    report("query", &queries, options.seconds);
    let suggestions = drive(&site, &tokens, until, |rng| {
        let spanish = rng.random_bool(0.3);
        let typed: String = word(rng, spanish)
            .chars()
            .take(rng.random_range(3..=6))
            .collect();
        format!("/api/v1/search/suggest?q={}", encode(&typed))
    })
    .await?;
    report("suggest", &suggestions, options.seconds);

    lag(&site, &social, &school, &author, &tokens[0], &options).await?;

    let rebuilding = Instant::now();
    let rebuilt = campus_search::reindex(&site.config, None, |_, _| {}).await?;
    println!(
        "search: full reindex by the running server: {} documents in {:.1} s",
        rebuilt.documents,
        rebuilding.elapsed().as_secs_f64()
    );
    courses.close().await;
    search.close().await;
    site.stop().await
}

fn post(school: &str, author: &str, body: String) -> PostPublished {
    PostPublished {
        post_id: id::new_id_string(),
        school_id: school.to_owned(),
        place: PostPlace::School,
        course_id: None,
        profile_id: None,
        author_id: author.to_owned(),
        body,
        mentioned: Vec::new(),
    }
}

fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Waits until search's documents table holds `documents` rows and the index is current.
async fn wait_until_indexed(search: &Db, documents: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(1_800);
    loop {
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM search_documents")
            .fetch_one(search.pool())
            .await?;
        // The newest change of a row (the counter may be further on: a change that touched
        // no row still took a value).
        let (counter,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM search_documents")
            .fetch_one(search.pool())
            .await?;
        let counter = counter.unwrap_or_default();
        let applied: Option<(i64,)> = sqlx::query_as("SELECT MAX(position) FROM search_replicas")
            .fetch_optional(search.pool())
            .await?;
        if rows as usize >= documents && applied.is_some_and(|(position,)| position >= counter) {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "not indexed within 30 minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn folder_bytes(folder: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => folder_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Requests from each token's loop until `until` has passed; latencies in microseconds and
/// failures.
async fn drive(
    site: &Installation,
    tokens: &[String],
    until: Duration,
    path: fn(&mut StdRng) -> String,
) -> anyhow::Result<(Histogram<u64>, u64)> {
    let end = Instant::now() + until;
    let mut tasks = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let (base, token) = (site.base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()?;
            let mut rng = StdRng::seed_from_u64(n as u64);
            let mut latencies = histogram()?;
            let mut failed = 0u64;
            while Instant::now() < end {
                let url = format!("{base}{}", path(&mut rng));
                let sent = Instant::now();
                match client.get(&url).bearer_auth(&token).send().await {
                    Ok(answer) if answer.status().is_success() => {
                        answer.bytes().await?;
                        latencies.saturating_record(sent.elapsed().as_micros() as u64);
                    }
                    _ => failed += 1,
                }
            }
            anyhow::Ok((latencies, failed))
        }));
    }
    let mut all = histogram()?;
    let mut failed = 0;
    for task in tasks {
        let (latencies, failures) = task.await??;
        all.add(latencies)?;
        failed += failures;
    }
    Ok((all, failed))
}

fn report(what: &str, (latencies, failed): &(Histogram<u64>, u64), seconds: u64) {
    println!(
        "search {what}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {failed} failed",
        latencies.len() as f64 / seconds as f64,
        ms(latencies, 0.5),
        ms(latencies, 0.99),
        latencies.max() as f64 / 1000.0,
    );
}

/// Posts at `--rate` per second; one in fifty is searched for from its commit until found.
async fn lag(
    site: &Installation,
    social: &Db,
    school: &str,
    author: &str,
    token: &str,
    options: &Options,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(11);
    let latencies = Arc::new(std::sync::Mutex::new(histogram()?));
    let lost = Arc::new(AtomicU64::new(0));
    let mut probes = Vec::new();
    let started = Instant::now();
    let total = options.rate * options.seconds;
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / options.rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let sampled = n % 50 == 0;
        // Ten random letters: no two markers are within the typo tolerance of each other, so
        // a search finds only its own post (numbered markers found their neighbours).
        let marker: String = (0..10)
            .map(|_| rng.random_range(b'a'..=b'z') as char)
            .collect();
        let body = if sampled {
            format!("{} {marker}", text(&mut rng, false, 20))
        } else {
            text(&mut rng, false, 20)
        };
        let mut uow = social.begin().await?;
        uow.record(school, &post(school, author, body)).await?;
        uow.commit().await?;
        if sampled {
            let committed = Instant::now();
            let (client, base, token) = (site.client.clone(), site.base.clone(), token.to_owned());
            let (latencies, lost) = (latencies.clone(), lost.clone());
            probes.push(tokio::spawn(async move {
                let url = format!("{base}/api/v1/search?q={marker}&limit=1");
                while committed.elapsed() < Duration::from_secs(30) {
                    let found = call(&client, Method::GET, &url, Some(&token), None)
                        .await
                        .ok()
                        .and_then(|page| page["total"].as_u64())
                        .unwrap_or_default();
                    if found > 0 {
                        if let Ok(mut latencies) = latencies.lock() {
                            latencies.saturating_record(committed.elapsed().as_micros() as u64);
                        }
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                lost.fetch_add(1, Ordering::Relaxed);
            }));
        }
    }
    let sent_for = started.elapsed().as_secs_f64();
    for probe in probes {
        probe.await.context("probe")?;
    }
    let latencies = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    println!(
        "search index lag: {total} posts at {:.0}/s; {} sampled: event committed → searchable p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms, {} never found",
        total as f64 / sent_for,
        latencies.len(),
        ms(&latencies, 0.5),
        ms(&latencies, 0.99),
        latencies.max() as f64 / 1000.0,
        lost.load(Ordering::Relaxed),
    );
    Ok(())
}
