//! Web sign-in in a real browser: headless Chromium opens a page served by Campus Hub itself
//! (a test fixture context), whose script signs in with a form post and then calls the API with
//! the cookies the browser keeps. What the script saw is written into the page, which Chromium
//! prints. Needs Chromium (`chromium` on the PATH, or `CAMPUS_TEST_CHROMIUM`); `.ci/run`
//! installs it, and without it this test says so and passes.

use std::process::Command;

use axum::{http::header, response::IntoResponse, routing::get};
use campus_platform::context::{Context, Running};
use campus_testkit::{
    people::{School, PASSWORD},
    Backend, TestEnv,
};
use serde_json::Value;
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

static PAGE_MIGRATIONS: Migrator = sqlx::migrate!("tests/api/fixtures/migrations/page");

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>web sign-in</title></head>
<body><pre id="out">running</pre><script src="/probe/web-session.js"></script></body></html>"#;

/// Signs in as the school's admin (email given in the query), then tries the API with the
/// cookies: reads, writes without and with the CSRF token, refresh, sign-out.
const SCRIPT: &str = r#"
(async () => {
  const seen = {};
  const email = new URLSearchParams(location.search).get('email');
  const form = new URLSearchParams({ school: 'hill-valley', email, password: 'PASSWORD' });
  let r = await fetch('/api/v1/auth/session', { method: 'POST', body: form });
  seen.sign_in = r.status;
  const session = await r.json();
  seen.script_sees = document.cookie.split('; ').map(c => c.split('=')[0]).sort();
  const csrf = document.cookie.split('; ').find(c => c.startsWith('campus_csrf=')).split('=')[1];
  seen.csrf_matches = csrf === session.csrf_token;
  r = await fetch('/api/v1/me');
  seen.me = r.status;
  seen.me_email = (await r.json()).email;
  const change = (headers) => fetch('/api/v1/me', { method: 'PATCH',
      headers: Object.assign({ 'content-type': 'application/json' }, headers),
      body: JSON.stringify({ bio: 'written from a browser' }) });
  seen.write_without_csrf = (await change({})).status;
  seen.write_with_csrf = (await change({ 'x-csrf-token': csrf })).status;
  r = await fetch('/api/v1/auth/session/refresh', { method: 'POST', headers: { 'x-csrf-token': csrf } });
  seen.refresh = r.status;
  const fresh = document.cookie.split('; ').find(c => c.startsWith('campus_csrf=')).split('=')[1];
  r = await fetch('/api/v1/auth/session', { method: 'DELETE', headers: { 'x-csrf-token': fresh } });
  seen.sign_out = r.status;
  seen.me_after = (await fetch('/api/v1/me')).status;
  seen.cookies_after = document.cookie;
  document.getElementById('out').textContent = 'RESULT' + JSON.stringify(seen) + 'END';
})().catch(e => { document.getElementById('out').textContent = 'RESULT' + JSON.stringify({ error: String(e) }) + 'END'; });
"#;

/// Serves the page and its script (same origin, so the strict CSP allows the script).
fn page() -> Context {
    Context::new("page", &PAGE_MIGRATIONS, |_| async {
        let routes = OpenApiRouter::new()
            .route(
                "/probe/web-session.html",
                get(|| async {
                    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
                }),
            )
            .route(
                "/probe/web-session.js",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                        SCRIPT.replace("PASSWORD", PASSWORD),
                    )
                        .into_response()
                }),
            )
            .route("/probe/whoami.html", get(|| async { html(WHOAMI_PAGE) }))
            .route(
                "/probe/whoami.js",
                get(|| async { javascript(WHOAMI_SCRIPT) }),
            );
        Ok(Running::new(routes))
    })
}

/// Says who the browser's session cookie belongs to, if anyone.
const WHOAMI_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>who am I</title></head>
<body><pre id="out">running</pre><script src="/probe/whoami.js"></script></body></html>"#;

const WHOAMI_SCRIPT: &str = r#"
fetch('/api/v1/me').then(async r => {
  const body = r.status === 200 ? await r.json() : {};
  document.getElementById('out').textContent =
    'RESULT' + JSON.stringify({ me: r.status, email: body.email || null }) + 'END';
});
"#;

/// Another site's page that posts a sign-in form to Campus Hub as soon as it opens: login
/// CSRF, which would sign the visitor into the attacker's account.
const ATTACK_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>free prizes</title></head>
<body><form id="f" method="POST" action="CAMPUS/api/v1/auth/session">
<input name="school" value="hill-valley"><input name="email" value="EMAIL">
<input name="password" value="PASSWORD"></form>
<script src="/attack.js"></script></body></html>"#;

fn html(page: &'static str) -> axum::response::Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

fn javascript(script: &'static str) -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        script,
    )
        .into_response()
}

/// Opens `url` in headless Chromium with the profile `profile` (cookies persist between
/// runs) and returns the document it ends with.
async fn open_in_chromium(chromium: &str, profile: &std::path::Path, url: String) -> String {
    let (chromium, profile) = (chromium.to_owned(), profile.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=10000",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .output()
    })
    .await
    .unwrap()
    .expect("Chromium runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a probe page wrote between `RESULT` and `END`.
fn result_of(dom: &str) -> Value {
    let result = dom
        .split("RESULT")
        .nth(1)
        .and_then(|rest| rest.split("END").next())
        .unwrap_or_else(|| panic!("the page did not finish: {dom}"));
    serde_json::from_str(&result.replace("&quot;", "\"")).unwrap()
}

/// Login CSRF from a second origin: another site's page posts a sign-in form with the
/// attacker's credentials. The browser sends it (with `Origin` and `Sec-Fetch-Site`), Campus
/// Hub refuses it, and the visitor's browser holds no session afterwards; the same form on
/// Campus Hub's own page signs in.
#[tokio::test]
async fn a_sign_in_form_posted_from_another_site_is_refused() {
    let Some(chromium) = chromium() else {
        eprintln!("Chromium is not installed; skipping the browser test");
        return;
    };
    let env = TestEnv::new(&Backend {
        postgres: None,
        nats: None,
    })
    .await;
    let app = env.start(vec![campus_identity::context(), page()]).await;
    let school = School::create(&app, "hill-valley").await;
    let mallory = school.add(&app, "student", "Mallory").await;
    let attack = ATTACK_PAGE
        .replace("CAMPUS", &app.address)
        .replace("EMAIL", &mallory.email)
        .replace("PASSWORD", PASSWORD);
    let attacker = axum::Router::new()
        .route(
            "/attack.html",
            get(move || {
                let attack = attack.clone();
                async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], attack) }
            }),
        )
        .route(
            "/attack.js",
            get(|| async { javascript("document.getElementById('f').submit();") }),
        );
    // `localhost` rather than 127.0.0.1: another origin, and another site too.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let attacker_port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, attacker).await });
    let profile = env.config.data_dir.join("chromium-profile");

    open_in_chromium(
        &chromium,
        &profile,
        format!("http://localhost:{attacker_port}/attack.html"),
    )
    .await;
    let seen =
        result_of(&open_in_chromium(&chromium, &profile, app.url("/probe/whoami.html")).await);
    assert_eq!(seen["me"], 401, "no session was planted: {seen}");

    // The control: Campus Hub's own page signs in with the same kind of request.
    let own = app.url(&format!("/probe/web-session.html?email={}", mallory.email));
    let seen = result_of(&open_in_chromium(&chromium, &profile, own).await);
    assert_eq!(seen["sign_in"], 200, "{seen}");
    app.stop().await;
    env.cleanup().await;
}

pub(crate) fn chromium() -> Option<String> {
    if let Ok(path) = std::env::var("CAMPUS_TEST_CHROMIUM") {
        return Some(path).filter(|p| !p.is_empty());
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_owned)
}

#[tokio::test]
async fn a_browser_signs_in_with_cookies_and_every_write_needs_the_csrf_token() {
    let Some(chromium) = chromium() else {
        eprintln!("Chromium is not installed; skipping the browser test");
        return;
    };
    let env = TestEnv::new(&Backend {
        postgres: None,
        nats: None,
    })
    .await;
    let app = env.start(vec![campus_identity::context(), page()]).await;
    let school = School::create(&app, "hill-valley").await;
    let profile = env.config.data_dir.join("chromium-profile");
    let url = app.url(&format!(
        "/probe/web-session.html?email={}",
        school.admin.email
    ));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=15000",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .output()
    })
    .await
    .unwrap()
    .expect("Chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    let result = dom
        .split("RESULT")
        .nth(1)
        .and_then(|rest| rest.split("END").next())
        .unwrap_or_else(|| {
            panic!(
                "the page did not finish: {dom}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let seen: Value = serde_json::from_str(&result.replace("&quot;", "\"")).unwrap();
    eprintln!("what the page saw: {seen}");
    assert_eq!(seen["sign_in"], 200, "{seen}");
    assert_eq!(
        seen["script_sees"],
        serde_json::json!(["campus_csrf"]),
        "the tokens' cookies are httpOnly: {seen}"
    );
    assert_eq!(seen["csrf_matches"], true, "{seen}");
    assert_eq!(
        seen["me"], 200,
        "the browser sent the access cookie: {seen}"
    );
    assert_eq!(seen["me_email"], school.admin.email.as_str());
    assert_eq!(seen["write_without_csrf"], 403, "{seen}");
    assert_eq!(seen["write_with_csrf"], 200, "{seen}");
    assert_eq!(
        seen["refresh"], 200,
        "the refresh cookie went to its path: {seen}"
    );
    assert_eq!(seen["sign_out"], 204, "{seen}");
    assert_eq!(
        seen["me_after"], 401,
        "sign-out cleared the cookies: {seen}"
    );
    assert_eq!(seen["cookies_after"], "", "{seen}");
    app.stop().await;
    env.cleanup().await;
}

/// The API reference works on a machine with no internet: Chromium, allowed to resolve no host
/// but this one, renders every operation from files the binary serves.
#[tokio::test]
async fn the_api_reference_renders_with_nothing_but_this_server() {
    let Some(chromium) = chromium() else {
        eprintln!("Chromium is not installed; skipping the browser test");
        return;
    };
    let env = TestEnv::new(&Backend {
        postgres: None,
        nats: None,
    })
    .await;
    let app = env.start(vec![campus_identity::context()]).await;
    let profile = env.config.data_dir.join("chromium-profile");
    let (chromium, profile_dir, url) = (chromium.clone(), profile.clone(), app.url("/api/docs"));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // Any name but this machine's fails to resolve: a CDN could not be reached.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile_dir.display()))
            .arg(url)
            .output()
    })
    .await
    .unwrap()
    .expect("Chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains("swagger-ui"),
        "the reference page loaded: {dom:.2000}"
    );
    for operation in ["/api/v1/auth/login", "/api/v1/users/{id}/2fa/reset"] {
        assert!(
            dom.contains(operation),
            "{operation} is listed: {dom:.2000}"
        );
    }
    app.stop().await;
    env.cleanup().await;
}
