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
    let mut child = campus()
        .current_dir(&dir)
        .args(["serve", "--data-dir", "data", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let ready = lines
        .by_ref()
        .take(50)
        .map_while(Result::ok)
        .find(|line| line.contains("Campus Hub is ready at"));
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
    let mut child = campus()
        .current_dir(&dir)
        .args(["serve", "--data-dir", "data", "--listen", "127.0.0.1:0"])
        .env("CAMPUS_TELEMETRY__OTLP_ENDPOINT", &endpoint)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .take(50)
        .map_while(Result::ok)
        .find(|line| line.contains("Campus Hub is ready at"))
        .unwrap();
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

    let mut server = campus()
        .current_dir(&dir)
        .args(["serve", "--data-dir", "data", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .take(50)
        .map_while(Result::ok)
        .find(|l| l.contains("Campus Hub is ready at"))
        .unwrap();
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
    let mut child = campus()
        .current_dir(dir)
        .args([
            "serve",
            "--demo",
            "--data-dir",
            "data",
            "--listen",
            "127.0.0.1:0",
        ])
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
    use serde_json::{json, Value};
    let dir = temp_dir();
    let (child, printed) = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || serve_demo(&dir, "Demo school ready"))
            .await
            .unwrap()
    };
    let text = printed.join("\n");
    let password = text
        .split("password for every demo account: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let base = text
        .split("curl -X POST ")
        .nth(1)
        .and_then(|rest| rest.split("/api/v1/auth/login").next())
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let tokens: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "school": "demo", "email": "marty@demo.campus.test", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().expect("Marty signs in");
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
