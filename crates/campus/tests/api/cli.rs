//! The `campus` binary as an operator meets it.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn campus() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_campus"));
    command
        .env_remove("RUST_LOG")
        .env("CAMPUS_LOG__FORMAT", "json");
    command
}

/// Runs `command` to completion; a process that is still running after 20 s (a server that
/// started when it should have refused to) is killed and fails the test.
fn finish(command: &mut Command) -> std::process::Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().ok();
            panic!("{command:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `command` serving on a data directory in `dir` and any free port, read until it says it is
/// ready (or 50 lines went by): the server, the line saying so, and the rest of what it prints.
fn serve_in(
    dir: &std::path::Path,
    mut command: Command,
) -> (
    std::process::Child,
    Option<String>,
    std::io::Lines<BufReader<std::process::ChildStdout>>,
) {
    let mut child = command
        .current_dir(dir)
        .args(["serve", "--data-dir", "data", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .take(50)
        .map_while(Result::ok)
        .find(|line| line.contains("Campus Hub is ready at"));
    (child, ready, lines)
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "campus-cli-{}",
        campus_platform::id::new_id_string()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_malformed_setting_stops_start_up_naming_it() {
    let dir = temp_dir();
    // (environment, flags, the setting the error must name)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("CAMPUS_HTTP__REQUEST_TIMEOUT_SECS", "soon")],
            vec![],
            "http.request_timeout_secs",
        ),
        (vec![("CAMPUS_LISTEN", "not-an-address")], vec![], "listen"),
        (
            vec![("CAMPUS_BUS__MAX_ATTEMPTS", "0")],
            vec![],
            "bus.max_attempts",
        ),
        (
            vec![],
            vec!["--database-url", "mysql://db/campus"],
            "database.url",
        ),
        (vec![("CAMPUS_BUS__URL", "http://nats")], vec![], "bus.url"),
        (
            vec![("CAMPUS_DATABASE__NO_SUCH_SETTING", "1")],
            vec![],
            "no_such_setting",
        ),
        (vec![], vec!["--contexts", "nonsense"], "contexts"),
    ];
    for (env, args, setting) in cases {
        let mut command = campus();
        command
            .current_dir(&dir)
            .arg("serve")
            .args(["--data-dir", dir.join("data").to_str().unwrap()])
            .args(&args)
            .env("CAMPUS_LISTEN", "127.0.0.1:0")
            .envs(env.iter().copied());
        let output = finish(&mut command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{setting}: should not start");
        assert!(stderr.contains(setting), "{setting} is named in: {stderr}");
    }
    // Variables an orchestrator injects for a service named `campus` are not settings.
    let output = campus()
        .current_dir(&dir)
        .args(["config"])
        .env("CAMPUS_PORT", "tcp://10.0.0.1:8080")
        .env("CAMPUS_SERVICE_HOST", "10.0.0.1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A config file named explicitly must exist.
    let output = campus()
        .current_dir(&dir)
        .arg("config")
        .env("CAMPUS_CONFIG", "missing.toml")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("CAMPUS_CONFIG"));
    // A broken config file names the file's setting too.
    std::fs::write(
        dir.join("campus.toml"),
        "[http]\nbody_limit_bytes = \"big\"\n",
    )
    .unwrap();
    let output = campus().current_dir(&dir).arg("serve").output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("http.body_limit_bytes"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn config_prints_the_effective_settings_with_secrets_masked() {
    let dir = temp_dir();
    let output = campus()
        .current_dir(&dir)
        .args([
            "config",
            "--database-url",
            "postgres://campus:hunter2@db/campus",
        ])
        .env("CAMPUS_HTTP__REQUEST_TIMEOUT_SECS", "12")
        // Every section is read from the environment, the sealing key included.
        .env(
            "CAMPUS_SECRETS__KEY",
            "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LWtleSE=",
        )
        .env("CAMPUS_PUSH__ALLOWED_HOSTS", "[push.school.example]")
        .env("CAMPUS_FILES__UPLOAD_LIMIT_BYTES", "1000000")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("c2VjcmV0"), "{text}");
    assert!(text.contains("[secrets]\nkey = \"********\""), "{text}");
    assert!(
        text.contains("allowed_hosts = [\"push.school.example\"]"),
        "{text}"
    );
    assert!(text.contains("upload_limit_bytes = 1000000"), "{text}");
    assert!(
        text.contains("postgres://campus:********@db/campus"),
        "{text}"
    );
    assert!(text.contains("request_timeout_secs = 12"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn migrate_applies_migrations_and_exits() {
    let dir = temp_dir();
    let output = campus()
        .current_dir(&dir)
        .args(["migrate", "--data-dir", "data"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[cfg(unix)]
#[test]
fn sigterm_drains_and_exits_zero_within_ten_seconds() {
    let dir = temp_dir();
    let (mut child, ready, lines) = serve_in(&dir, campus());
    assert!(ready.is_some(), "the server logs the URL to open");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "exited within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|line| line.contains("stopped")), "{rest:?}");
    std::fs::remove_dir_all(dir).ok();
}

/// The server runs with mimalloc's settings for an idle host (it starts itself again, in
/// place, to have them), keeping a value the operator set.
#[cfg(target_os = "linux")]
#[test]
fn the_server_allocates_with_the_idle_settings_unless_the_operator_chose() {
    let dir = temp_dir();
    let mut command = campus();
    command
        .env_remove("MIMALLOC_ARENA_EAGER_COMMIT")
        .env("MIMALLOC_PURGE_DELAY", "10");
    let (mut child, ready, _) = serve_in(&dir, command);
    // The same process: what was started is what serves.
    let environment = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    child.kill().ok();
    child.wait().ok();
    assert!(ready.is_some(), "the server started");
    let settings: Vec<String> = environment
        .split(|byte| *byte == 0)
        .map(|entry| String::from_utf8_lossy(entry).into_owned())
        .filter(|entry| entry.starts_with("MIMALLOC_"))
        .collect();
    assert!(
        settings.contains(&"MIMALLOC_ARENA_EAGER_COMMIT=0".to_owned()),
        "{settings:?}"
    );
    assert!(
        settings.contains(&"MIMALLOC_PURGE_DELAY=10".to_owned()),
        "{settings:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// With an OTLP endpoint set, spans reach it: a one-connection stand-in collector records the
/// path of every request it gets.
#[cfg(unix)]
#[test]
fn traces_are_exported_over_otlp_when_an_endpoint_is_set() {
    use std::{
        io::{Read, Write},
        net::TcpListener,
        sync::mpsc,
    };
    let collector = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let (paths, received) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for stream in collector.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buffer = vec![0u8; 1 << 20];
            let read = stream.read(&mut buffer).unwrap_or(0);
            let head = String::from_utf8_lossy(&buffer[..read]).to_string();
            let path = head
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = paths.send(path);
        }
    });
    let dir = temp_dir();
    let mut command = campus();
    command.env("CAMPUS_TELEMETRY__OTLP_ENDPOINT", &endpoint);
    let (mut child, ready, _output) = serve_in(&dir, command);
    let ready = ready.unwrap();
    let address = ready
        .split("ready at http://")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: campus\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"));
    // Shutdown flushes the batch of spans.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let path = received
        .recv_timeout(Duration::from_secs(10))
        .expect("the collector got spans");
    assert_eq!(path, "/v1/traces");
    std::fs::remove_dir_all(dir).ok();
}

/// The first super admin is created from the command line, signs in, and operates the event
/// backbone; a school and its admin can be created the same way.
#[cfg(unix)]
#[tokio::test]
async fn admin_commands_create_the_first_super_admin_and_schools() {
    let dir = temp_dir();
    let run = |args: &[&str], password: &str| {
        let mut child = campus()
            .current_dir(&dir)
            .args(["admin"])
            .args(args)
            .args(["--data-dir", "data"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let strong = "correct horse battery staple";
    let output = run(
        &[
            "create-user",
            "--role",
            "super_admin",
            "--email",
            "ops@campus.example",
            "--name",
            "Operator",
        ],
        strong,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("school `platform`"));
    let output = run(
        &[
            "create-school",
            "--slug",
            "hill-valley",
            "--name",
            "Hill Valley High",
            "--admin-email",
            "admin@hill.example",
            "--admin-name",
            "Ada",
        ],
        strong,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Bad input is explained field by field and creates nothing.
    let output = run(
        &[
            "create-user",
            "--school",
            "hill-valley",
            "--role",
            "teacher",
            "--email",
            "nope",
            "--name",
            "T",
        ],
        "short",
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("email:") && stderr.contains("password:"),
        "{stderr}"
    );
    let output = run(
        &[
            "create-user",
            "--school",
            "hill-valley",
            "--role",
            "super_admin",
            "--email",
            "x@y.example",
            "--name",
            "X",
        ],
        strong,
    );
    assert!(
        !output.status.success(),
        "super admins belong to the platform school only"
    );

    // A roster from a file: a bad one is refused line by line and imports no one; a good one
    // imports everyone, and people without a password are invited by email.
    std::fs::write(
        dir.join("bad.csv"),
        "email,display_name,role\nmarty@hill.example,Marty,student\nnope,Nobody,student\n",
    )
    .unwrap();
    let output = run(&["import-users", "--school", "hill-valley", "bad.csv"], "");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lines[3].email"), "{stderr}");
    std::fs::write(
        dir.join("roster.csv"),
        "email,first_name,last_name,role\nmarty@hill.example,Marty,McFly,student\n\
         jennifer@hill.example,Jennifer,Parker,student\n",
    )
    .unwrap();
    let output = run(
        &[
            "import-users",
            "--school",
            "hill-valley",
            "--dry-run",
            "roster.csv",
        ],
        "",
    );
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("would import 2 people"));
    let output = run(
        &["import-users", "--school", "hill-valley", "roster.csv"],
        "",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("imported 2 people (2 to be invited"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let invitations = std::fs::read_dir(dir.join("data").join("mail"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|f| {
            std::fs::read_to_string(f.path())
                .unwrap_or_default()
                .contains("accept-invitation")
        })
        .count();
    assert_eq!(invitations, 2);

    let (mut server, ready, _output) = serve_in(&dir, campus());
    let ready = ready.unwrap();
    let base = format!(
        "http://{}",
        ready
            .split("ready at http://")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
    );
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "school": "platform", "email": "ops@campus.example", "password": strong }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"]
        .as_str()
        .expect("the super admin signs in");
    let consumers = client
        .get(format!("{base}/api/v1/admin/events/consumers"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(consumers.status(), 200);
    let school_admin: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "school": "hill-valley", "email": "admin@hill.example", "password": strong }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = school_admin["access_token"]
        .as_str()
        .expect("the school admin signs in");
    let consumers = client
        .get(format!("{base}/api/v1/admin/events/consumers"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(consumers.status(), 403);
    // What the commands did is in the school's audit log, by the server account that ran them.
    let audit: serde_json::Value = client
        .get(format!("{base}/api/v1/audit"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_owned(),
                a["actor_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for action in ["school.created", "users.imported"] {
        assert!(
            actions
                .iter()
                .any(|(a, actor)| a == action && actor.starts_with("operator:")),
            "{actions:?}"
        );
    }
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());
    std::fs::remove_dir_all(dir).ok();
}

/// Starts `campus serve --demo` in `dir` and returns it with the printed lines up to the one
/// containing `until` and the instructions after it; fails after 60 s without it.
fn serve_demo(dir: &std::path::Path, until: &str) -> (std::process::Child, Vec<String>) {
    serve_demo_at(dir, "data", "127.0.0.1:0", &[], until)
}

/// [`serve_demo`] on the data directory `data` (under `dir`), listening on `listen`, with more
/// settings as `CAMPUS_*` variables.
fn serve_demo_at(
    dir: &std::path::Path,
    data: &str,
    listen: &str,
    settings: &[(&str, &str)],
    until: &str,
) -> (std::process::Child, Vec<String>) {
    let mut child = campus()
        .current_dir(dir)
        .envs(settings.iter().copied())
        .args(["serve", "--demo", "--data-dir", data, "--listen", listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (sender, lines) = std::sync::mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        let found = line.contains(until);
        seen.push(line);
        if found {
            // The instructions follow at once.
            while let Ok(line) = lines.recv_timeout(Duration::from_millis(300)) {
                seen.push(line);
            }
            return (child, seen);
        }
    }
    child.kill().ok();
    child.wait().ok();
    panic!("`{until}` was not printed: {seen:#?}");
}

/// The password `serve --demo` printed for every demo account.
fn demo_password(printed: &[String]) -> String {
    printed
        .join("\n")
        .split("password for every demo account: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned()
}

/// The server's address, from the `curl` line `serve --demo` printed.
fn demo_base(printed: &[String]) -> String {
    printed
        .join("\n")
        .split("curl -X POST ")
        .nth(1)
        .and_then(|rest| rest.split("/api/v1/auth/login").next())
        .unwrap()
        .to_owned()
}

/// Signs `email` of the demo school in at `base`; answers the access token.
async fn demo_sign_in(client: &reqwest::Client, base: &str, password: &str, email: &str) -> String {
    let tokens: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "school": "demo", "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// Waits until the assessments context has learned of `course` from its event (the course's
/// assignments answer 200 once it has); fails at `deadline`.
async fn assessments_learns_of(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    course: &str,
    deadline: Instant,
) {
    loop {
        let status = client
            .get(format!("{base}/api/v1/courses/{course}/assignments"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status();
        if status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "assessments never learned of course {course} ({status})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn stop(mut child: std::process::Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// `serve --demo` seeds a school with people and a course, prints how to sign in, and leaves
/// an existing demo school alone on the next start.
#[cfg(unix)]
#[tokio::test]
async fn serve_demo_seeds_a_school_to_sign_in_to_once() {
    use serde_json::Value;
    let dir = temp_dir();
    let (child, printed) = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || serve_demo(&dir, "Demo school ready"))
            .await
            .unwrap()
    };
    let (password, base) = (demo_password(&printed), demo_base(&printed));
    let client = reqwest::Client::new();
    let token = &demo_sign_in(&client, &base, &password, "marty@demo.campus.test").await;
    let mine: Value = client
        .get(format!("{base}/api/v1/courses?mine=true"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine["items"][0]["title"], "Introduction to Biology",
        "{mine}"
    );
    assert_eq!(mine["items"][0]["my_role"], "student");
    let course = mine["items"][0]["id"].as_str().unwrap();
    let outline: Value = client
        .get(format!("{base}/api/v1/courses/{course}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outline["modules"].as_array().unwrap().len(), 2);
    assert_eq!(outline["modules"][1]["locked"], true);
    stop(child);

    let (child, printed) = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || serve_demo(&dir, "exists already"))
            .await
            .unwrap()
    };
    assert!(
        !printed.join("\n").contains(&password),
        "the password is printed only when it is made"
    );
    stop(child);
    std::fs::remove_dir_all(dir).ok();
}

/// `campus backup` copies the embedded shape while courses are being created, and `campus
/// restore` brings it back into an empty data directory only: every course acknowledged before
/// the backup began is there, people sign in with their passwords (the secrets key came too),
/// and a new course's event still reaches the other contexts (their saved positions in each
/// other's event streams were copied as of one moment).
#[cfg(unix)]
#[tokio::test]
async fn backup_while_serving_and_restore_into_an_empty_data_directory() {
    use serde_json::{json, Value};
    let dir = temp_dir();
    let (child, printed) = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || serve_demo(&dir, "Demo school ready"))
            .await
            .unwrap()
    };
    let (password, base) = (demo_password(&printed), demo_base(&printed));
    let client = reqwest::Client::new();
    let teacher = demo_sign_in(&client, &base, &password, "tess@demo.campus.test").await;

    // A teacher keeps creating courses; each acknowledged one is noted with when it was.
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (client, base, teacher, writing) = (
            client.clone(),
            base.clone(),
            teacher.clone(),
            writing.clone(),
        );
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut n = 0;
            while writing.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let answer = client
                    .post(format!("{base}/api/v1/courses"))
                    .bearer_auth(&teacher)
                    .json(&json!({ "title": format!("Course {n}") }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), 201);
                let made: Value = answer.json().await.unwrap();
                acknowledged.push((Instant::now(), made["id"].as_str().unwrap().to_owned()));
            }
            acknowledged
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let began = Instant::now();
    let backup = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            finish(campus().current_dir(&dir).args([
                "backup",
                "--data-dir",
                "data",
                "--to",
                "backup",
            ]))
        })
        .await
        .unwrap()
    };
    let said = String::from_utf8_lossy(&backup.stdout);
    assert!(
        backup.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(said.contains("backed up"), "{said}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    let acknowledged = writer.await.unwrap();
    let before: Vec<&String> = acknowledged
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| id)
        .collect();
    assert!(!before.is_empty());
    assert!(
        acknowledged.len() > before.len(),
        "courses were being created while the backup ran"
    );
    stop(child);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("backup/campus-backup.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["secrets_key"], true, "{manifest}");
    assert!(
        manifest["databases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == "courses.db"),
        "{manifest}"
    );

    // Not over the data it came from, nor from a folder that is not a backup.
    let refused = finish(campus().current_dir(&dir).args([
        "restore",
        "--data-dir",
        "data",
        "--from",
        "backup",
    ]));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("already holds databases"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let not_a_backup = finish(campus().current_dir(&dir).args([
        "restore",
        "--data-dir",
        "elsewhere",
        "--from",
        "data",
    ]));
    assert!(!not_a_backup.status.success());

    let restored = finish(campus().current_dir(&dir).args([
        "restore",
        "--data-dir",
        "restored",
        "--from",
        "backup",
    ]));
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    // Every consumer's saved position is one its producer's copy had reached.
    let mut heads = std::collections::HashMap::new();
    let mut positions: Vec<(String, String, i64)> = Vec::new();
    for entry in std::fs::read_dir(dir.join("restored")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "db") {
            continue;
        }
        use sqlx::Connection as _;
        let mut db =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
                .await
                .unwrap();
        let Ok((head,)) = sqlx::query_as::<_, (Option<i64>,)>("SELECT MAX(position) FROM outbox")
            .fetch_one(&mut db)
            .await
        else {
            continue;
        };
        let context = path.file_stem().unwrap().to_string_lossy().into_owned();
        heads.insert(context, head.unwrap_or(0));
        positions.extend(
            sqlx::query_as::<_, (String, String, i64)>(
                "SELECT subscription, stream, position FROM consumer_positions",
            )
            .fetch_all(&mut db)
            .await
            .unwrap(),
        );
    }
    assert!(positions.iter().any(|(_, stream, _)| stream == "courses"));
    for (subscription, stream, position) in &positions {
        assert!(
            *position <= heads[stream],
            "{subscription} had read {stream} to {position}, past its copy's {}",
            heads[stream]
        );
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let (child, _) = {
        let (dir, listen) = (dir.clone(), listen.clone());
        tokio::task::spawn_blocking(move || {
            serve_demo_at(&dir, "restored", &listen, &[], "exists already")
        })
        .await
        .unwrap()
    };
    let base = format!("http://{listen}");
    let teacher = demo_sign_in(&client, &base, &password, "tess@demo.campus.test").await;
    for id in &before {
        let answer = client
            .get(format!("{base}/api/v1/courses/{id}"))
            .bearer_auth(&teacher)
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            200,
            "course {id} was acknowledged before the backup"
        );
    }
    let made: Value = client
        .post(format!("{base}/api/v1/courses"))
        .bearer_auth(&teacher)
        .json(&json!({ "title": "After the restore" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let course = made["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    assessments_learns_of(&client, &base, &teacher, course, deadline).await;
    stop(child);
    std::fs::remove_dir_all(dir).ok();
}

/// The embedded shape killed with SIGKILL while a teacher keeps creating courses: after a
/// restart on the same data directory every acknowledged course is there, and the other
/// contexts learn of each (their consumers resume from where they had got to).
#[cfg(unix)]
#[tokio::test]
async fn kill_9_under_write_load_loses_no_acknowledged_write() {
    use serde_json::{json, Value};
    let dir = temp_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let (mut child, printed) = {
        let (dir, listen) = (dir.clone(), listen.clone());
        tokio::task::spawn_blocking(move || {
            serve_demo_at(&dir, "data", &listen, &[], "Demo school ready")
        })
        .await
        .unwrap()
    };
    let password = demo_password(&printed);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let teacher = demo_sign_in(&client, &base, &password, "tess@demo.campus.test").await;

    // Four writers; a course counts once its 201 arrived.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, base, teacher) = (client.clone(), base.clone(), teacher.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    let answer = client
                        .post(format!("{base}/api/v1/courses"))
                        .bearer_auth(&teacher)
                        .json(&json!({ "title": format!("Course {w}-{n}") }))
                        .send()
                        .await;
                    match answer {
                        Ok(answer) if answer.status() == 201 => {
                            let made: Value = answer.json().await.unwrap();
                            acknowledged.push(made["id"].as_str().unwrap().to_owned());
                        }
                        // The process is gone: what was acknowledged so far is the record.
                        _ => return acknowledged,
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(acknowledged.len() > 20, "{} courses", acknowledged.len());

    let (child, _) = {
        let (dir, listen) = (dir.clone(), listen.clone());
        tokio::task::spawn_blocking(move || {
            serve_demo_at(&dir, "data", &listen, &[], "exists already")
        })
        .await
        .unwrap()
    };
    let ready = loop {
        let answer = client.get(format!("{base}/readyz")).send().await;
        if answer.is_ok_and(|a| a.status() == 200) {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "not ready again"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let teacher = demo_sign_in(&client, &base, &password, "tess@demo.campus.test").await;
    let mut lost = 0;
    for id in &acknowledged {
        let status = client
            .get(format!("{base}/api/v1/courses/{id}"))
            .bearer_auth(&teacher)
            .send()
            .await
            .unwrap()
            .status();
        if status != 200 {
            lost += 1;
        }
    }
    assert_eq!(lost, 0, "acknowledged courses lost after kill -9");
    // Assessments learns of every course from its event, the last ones after the restart.
    let deadline = Instant::now() + Duration::from_secs(20);
    for id in &acknowledged {
        assessments_learns_of(&client, &base, &teacher, id, deadline).await;
    }
    eprintln!(
        "kill -9 under load: {} acknowledged courses, 0 lost; ready again {} ms after the kill",
        acknowledged.len(),
        ready.as_millis()
    );
    stop(child);
    std::fs::remove_dir_all(dir).ok();
}

/// The distributed shape's databases backed up with PostgreSQL's own tools, as
/// deploy/README.md's "Backups of the distributed shape" says: `pg_dump --format=custom` of the
/// database while the server runs, `pg_restore` into an empty database, and a server started on
/// that one finds the school, its people (who sign in) and their course.
#[cfg(unix)]
#[tokio::test]
async fn postgresql_is_backed_up_with_pg_dump_and_restored_with_pg_restore() {
    let Some(postgres) = campus_testkit::postgres_url() else {
        eprintln!("CAMPUS_TEST_POSTGRES_URL is not set; skipped");
        return;
    };
    if Command::new("pg_dump").arg("--version").output().is_err() {
        eprintln!("pg_dump is not installed; skipped");
        return;
    }
    let psql = |sql: String| {
        let done = Command::new("psql")
            .args([postgres.as_str(), "-qc", &sql])
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    let suffix = campus_platform::id::new_id_string().to_lowercase();
    let (original, restored) = (format!("campus_bk_{suffix}"), format!("campus_rs_{suffix}"));
    let url_of = |database: &str| format!("{}/{database}", postgres.rsplit_once('/').unwrap().0);
    psql(format!("CREATE DATABASE \"{original}\""));
    psql(format!("CREATE DATABASE \"{restored}\""));
    let key = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=";
    let dir = temp_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let serve = |database: String, until: &'static str| {
        let (dir, listen) = (dir.clone(), listen.clone());
        tokio::task::spawn_blocking(move || {
            serve_demo_at(
                &dir,
                "data",
                &listen,
                &[
                    ("CAMPUS_DATABASE__URL", &database),
                    ("CAMPUS_SECRETS__KEY", key),
                ],
                until,
            )
        })
    };
    let (child, printed) = serve(url_of(&original), "Demo school ready").await.unwrap();
    let password = demo_password(&printed);
    let client = reqwest::Client::new();
    let teacher = demo_sign_in(&client, &base, &password, "tess@demo.campus.test").await;
    let made: serde_json::Value = client
        .post(format!("{base}/api/v1/courses"))
        .bearer_auth(&teacher)
        .json(&serde_json::json!({ "title": "Kept in the dump" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let course = made["id"].as_str().unwrap().to_owned();

    // While it serves: one consistent snapshot of the database, every context's schema in it.
    let dump = dir.join("campus.dump");
    let dumped = Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(url_of(&original))
        .output()
        .unwrap();
    assert!(
        dumped.status.success(),
        "{}",
        String::from_utf8_lossy(&dumped.stderr)
    );
    stop(child);
    let restoring = Command::new("pg_restore")
        .args(["--no-owner", "--dbname", &url_of(&restored)])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        restoring.status.success(),
        "{}",
        String::from_utf8_lossy(&restoring.stderr)
    );

    let (child, _) = serve(url_of(&restored), "exists already").await.unwrap();
    let teacher = demo_sign_in(&client, &base, &password, "tess@demo.campus.test").await;
    let kept = client
        .get(format!("{base}/api/v1/courses/{course}"))
        .bearer_auth(&teacher)
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 200);
    stop(child);
    psql(format!("DROP DATABASE \"{original}\" WITH (FORCE)"));
    psql(format!("DROP DATABASE \"{restored}\" WITH (FORCE)"));
    std::fs::remove_dir_all(dir).ok();
}
