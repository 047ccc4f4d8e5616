//! A rolling upgrade on PostgreSQL and NATS: the previous release's process serves while the new
//! release's `campus migrate` expands the schema under it, goes on serving on the new schema,
//! and then serves beside a process of the new release on the same database and bus, each
//! reading what the other wrote and handling the other's events.
//!
//! `CAMPUS_TEST_PREVIOUS_BIN` names the previous release's `campus` binary: `.ci/run` builds the
//! code as it was before the newest migration (`.ci/previous-release.sh`), so the contexts that
//! migration changed are the ones tested. Without it, or without PostgreSQL and NATS, the test
//! says so and passes.

use std::{
    path::Path,
    process::{Child, Command},
    time::Duration,
};

use campus_testkit::{eventually, nats_url, people::PASSWORD, postgres_url, Backend, TestEnv};
use reqwest::Method;
use serde_json::{json, Value};

const WITHIN: Duration = Duration::from_secs(30);

/// A `campus serve` of one release, stopped (and its log printed, if the test failed) when
/// dropped.
struct Process {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- {} ---\n{}",
                self.log.display(),
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

/// What both releases are configured with: the test's database, bus namespace and secrets key.
fn configure(command: &mut Command, env: &TestEnv) {
    let config = &env.config;
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(
            "CAMPUS_DATABASE__URL",
            config.database.url.as_ref().unwrap().expose(),
        )
        .env("CAMPUS_BUS__URL", config.bus.url.as_ref().unwrap().expose())
        .env("CAMPUS_BUS__NAMESPACE", &config.bus.namespace)
        .env(
            "CAMPUS_SECRETS__KEY",
            config.secrets.key.as_ref().unwrap().expose(),
        )
        .env("CAMPUS_DATA_DIR", &config.data_dir)
        .env("CAMPUS_DATABASE__MAX_CONNECTIONS", "4");
}

async fn serve(binary: &str, env: &TestEnv, label: &str) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(&env.config.data_dir).unwrap();
    let log = env.config.data_dir.join(format!("{label}.log"));
    let output = std::fs::File::create(&log).unwrap();
    let mut command = Command::new(binary);
    configure(&mut command, env);
    let child = command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("CAMPUS_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        // Each process keeps a search index of its own (as deploy/ gives each replica).
        .env(
            "CAMPUS_SEARCH__INDEX_DIR",
            env.config.data_dir.join(format!("search-{label}")),
        )
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .spawn()
        .unwrap();
    let mut process = Process {
        child,
        base: format!("http://127.0.0.1:{port}"),
        log,
    };
    // Polled by hand rather than with `eventually`, so a process that stopped (a migration it
    // refused, a port taken) fails the test at once with its log.
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        if let Ok(Some(status)) = process.child.try_wait() {
            panic!("the {label} process stopped before it was ready: {status}");
        }
        let ready = client
            .get(format!("{}/readyz", process.base))
            .send()
            .await
            .is_ok_and(|answer| answer.status() == 200);
        if ready {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the {label} process was not ready within {WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    process
}

/// The new release's `campus migrate`.
fn migrate(env: &TestEnv) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_campus"));
    configure(&mut command, env);
    let output = command.arg("migrate").output().unwrap();
    assert!(
        output.status.success(),
        "campus migrate: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A call that must succeed; its body.
async fn call(
    client: &reqwest::Client,
    at: &Process,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut request = client.request(method.clone(), format!("{}{path}", at.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn sign_in(client: &reqwest::Client, at: &Process, school: &str, email: &str) -> String {
    let tokens = call(
        client,
        at,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "school": school, "email": email, "password": PASSWORD })),
    )
    .await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// The bodies of the school feed's posts, as `token`'s owner reads them at `at`.
async fn school_feed(client: &reqwest::Client, at: &Process, token: &str) -> Vec<Value> {
    let page = call(
        client,
        at,
        Method::GET,
        "/api/v1/posts?place=school",
        Some(token),
        None,
    )
    .await;
    page["items"].as_array().cloned().unwrap_or_default()
}

/// A post in the school feed by `token`'s owner; its id.
async fn school_post(client: &reqwest::Client, at: &Process, token: &str, body: &str) -> String {
    let made = call(
        client,
        at,
        Method::POST,
        "/api/v1/posts",
        Some(token),
        Some(json!({ "place": "school", "body": body })),
    )
    .await;
    made["id"].as_str().unwrap().to_owned()
}

/// A course by the teacher, published, with the student enrolled; its id.
async fn course(
    client: &reqwest::Client,
    at: &Process,
    teacher: &str,
    student: &str,
    title: &str,
) -> String {
    let made = call(
        client,
        at,
        Method::POST,
        "/api/v1/courses",
        Some(teacher),
        Some(json!({ "title": title })),
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    for (path, who) in [("publish", teacher), ("enroll", student)] {
        call(
            client,
            at,
            Method::POST,
            &format!("/api/v1/courses/{id}/{path}"),
            Some(who),
            None,
        )
        .await;
    }
    id
}

/// Whether the student's notifications, read at `at`, mention `words`.
async fn notified(client: &reqwest::Client, at: &Process, student: &str, words: &str) -> bool {
    let page = call(
        client,
        at,
        Method::GET,
        "/api/v1/notifications",
        Some(student),
        None,
    )
    .await;
    page.to_string().contains(words)
}

/// An announcement by the teacher in the course, made at `at`, which must reach the student's
/// notifications read at `read_at`, whichever process handled the event.
///
/// It is made once notifications' roster has the student: the previous release hands an
/// announcement to the roster as it stands when its notices consumer gets there, which may be
/// before its roster consumer took the enrollment in (this release's notices follow the roster,
/// `Subscription::after`, tested in `bus`). What is checked here is the event crossing between
/// the releases, not that race.
async fn announce_and_hear(
    client: &reqwest::Client,
    database: &sqlx::PgPool,
    at: &Process,
    teacher: &str,
    (course, course_title): (&str, &str),
    read_at: &Process,
    student: &str,
) {
    eventually(
        WITHIN,
        &format!("notifications' roster of {course_title} to have the student"),
        || async {
            let (students,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM notifications.roster_places \
                 WHERE course_id = $1 AND course_role = 'student'",
            )
            .bind(course)
            .fetch_one(database)
            .await
            .unwrap();
            (students > 0).then_some(())
        },
    )
    .await;
    call(
        client,
        at,
        Method::POST,
        &format!("/api/v1/courses/{course}/announcements"),
        Some(teacher),
        Some(json!({ "title": "Note", "body": "Room 9." })),
    )
    .await;
    eventually(
        WITHIN,
        &format!("the announcement in {course_title} reaches the student"),
        || async {
            notified(client, read_at, student, course_title)
                .await
                .then_some(())
        },
    )
    .await;
}

/// How many migrations the contexts' schemas record as applied.
async fn applied_migrations(database: &sqlx::PgPool) -> i64 {
    let mut count = 0;
    for context in campus::contexts::all() {
        let (n,): (i64,) = sqlx::query_as(&format!(
            "SELECT count(*) FROM \"{}\"._sqlx_migrations",
            context.name
        ))
        .fetch_one(database)
        .await
        .unwrap();
        count += n;
    }
    count
}

#[tokio::test]
async fn the_previous_release_serves_on_the_new_schema_beside_the_new_release() {
    let Some(previous) = std::env::var("CAMPUS_TEST_PREVIOUS_BIN")
        .ok()
        .filter(|bin| Path::new(bin).is_file())
    else {
        eprintln!(
            "CAMPUS_TEST_PREVIOUS_BIN is not set (.ci/previous-release.sh builds it); skipped"
        );
        return;
    };
    let (Some(postgres), Some(nats)) = (postgres_url(), nats_url()) else {
        eprintln!("PostgreSQL or NATS is not configured; skipped");
        return;
    };
    let env = TestEnv::new(&Backend {
        postgres: Some(postgres),
        nats: Some(nats),
    })
    .await;
    env.made_streams(campus::contexts::all().iter().map(|context| context.name));
    let client = reqwest::Client::new();

    // The previous release runs alone, on its own schema: a school, its people, a course.
    let old = serve(&previous, &env, "previous").await;
    let made = call(
        &client,
        &old,
        Method::POST,
        "/api/v1/schools",
        None,
        Some(json!({ "slug": "upgrade-high", "name": "Upgrade High",
            "admin_email": "ada@example.org", "admin_password": PASSWORD, "admin_name": "Ada" })),
    )
    .await;
    let admin = made["tokens"]["access_token"].as_str().unwrap().to_owned();
    for (email, name, role) in [
        ("tess@example.org", "Tess", "teacher"),
        ("sam@example.org", "Sam", "student"),
    ] {
        call(
            &client,
            &old,
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({ "email": email, "display_name": name, "role": role,
                "password": PASSWORD })),
        )
        .await;
    }
    let tess = sign_in(&client, &old, "upgrade-high", "tess@example.org").await;
    let sam = sign_in(&client, &old, "upgrade-high", "sam@example.org").await;
    course(&client, &old, &tess, &sam, "Before the upgrade").await;
    school_post(&client, &old, &tess, "Written before the upgrade").await;

    // The new release migrates under it: its newer migrations are applied while the previous
    // release serves.
    let database = sqlx::PgPool::connect(env.config.database.url.as_ref().unwrap().expose())
        .await
        .unwrap();
    let before = applied_migrations(&database).await;
    let migrated = migrate(&env);
    let after = applied_migrations(&database).await;
    assert!(
        after > before,
        "the new release brought no migration the previous one lacked ({before} applied)"
    );

    // The previous release serves on, on the expanded schema: it writes and reads in every
    // context the test touches, and its events are handled.
    let first = course(&client, &old, &tess, &sam, "During the upgrade").await;
    announce_and_hear(
        &client,
        &database,
        &old,
        &tess,
        (&first, "During the upgrade"),
        &old,
        &sam,
    )
    .await;
    let by_old = school_post(&client, &old, &tess, "Written by the previous release").await;

    // The new release starts beside it, on the same database and bus.
    let new = serve(env!("CARGO_BIN_EXE_campus"), &env, "new").await;
    // Tokens the previous release issued are good at the new one, and the other way round.
    let tess_new = sign_in(&client, &new, "upgrade-high", "tess@example.org").await;
    let by_new = school_post(&client, &new, &tess_new, "Written by the new release").await;
    // A picture (the newest migration's column) on the new release's post.
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    png.extend(std::iter::repeat_n(7u8, 200));
    let form = reqwest::multipart::Form::new()
        .text("description", "The new lab")
        .part(
            "image",
            reqwest::multipart::Part::bytes(png).file_name("lab.png"),
        );
    let pictured = client
        .post(format!("{}/api/v1/posts/{by_new}/image", new.base))
        .bearer_auth(&tess_new)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(pictured.status(), 200, "{}", pictured.text().await.unwrap());
    for (at, token, label) in [(&old, &sam, "previous"), (&new, &tess, "new")] {
        let feed = school_feed(&client, at, token).await;
        let ids: Vec<&str> = feed.iter().filter_map(|post| post["id"].as_str()).collect();
        assert!(
            ids.contains(&by_old.as_str()) && ids.contains(&by_new.as_str()),
            "the {label} release's feed: {feed:?}"
        );
    }
    // Each release handles the other's events: an announcement made at the new release
    // reaches the notifications whichever process handled it, read at the previous one, and
    // a course made and joined at the previous one is read at the new one.
    let second_title = "After the new release started";
    let second = course(&client, &new, &tess, &sam, second_title).await;
    announce_and_hear(
        &client,
        &database,
        &new,
        &tess,
        (&second, second_title),
        &old,
        &sam,
    )
    .await;
    let joined = call(
        &client,
        &new,
        Method::GET,
        &format!("/api/v1/courses/{first}"),
        Some(&sam),
        None,
    )
    .await;
    assert_eq!(joined["title"], "During the upgrade", "{joined}");

    // A process of this release restarts during the next release's upgrade: the database
    // then holds a migration it does not know, and it starts and serves all the same.
    drop(new);
    sqlx::query(
        "INSERT INTO social._sqlx_migrations \
         (version, description, success, checksum, execution_time) \
         VALUES (99991231000000, 'the next release', TRUE, '\\x00'::bytea, 0)",
    )
    .execute(&database)
    .await
    .unwrap();
    let restarted = serve(env!("CARGO_BIN_EXE_campus"), &env, "restarted").await;
    let feed = school_feed(&client, &restarted, &sam).await;
    assert!(feed.len() >= 3, "{feed:?}");

    eprintln!(
        "the previous release ({previous}) served through `campus migrate` of the new one \
         ({} migrations more: {}) and beside a process of it: writes, reads, tokens and events \
         crossed both ways; a process of the new release restarted on a schema a newer \
         release had migrated",
        after - before,
        migrated.lines().last().unwrap_or_default().trim()
    );
    database.close().await;
    drop((old, restarted));
    env.cleanup().await;
}
