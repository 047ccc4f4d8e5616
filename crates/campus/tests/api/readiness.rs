//! `/readyz` names the dependency that is down and recovers by itself when it returns: 503
//! for a database, 200 `degraded` for the bus (the process serves on without it).

use std::time::Duration;

use campus_testkit::{
    eventually, nats_url, postgres_url,
    proxy::{target_of, through, Proxy},
    Backend, TestApp, TestEnv,
};
use serde_json::Value;

use crate::fixtures::ledger;

async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Cuts a dependency the process cannot serve without, expects 503 naming it, restores it,
/// expects 200 again.
async fn goes_down_and_recovers(app: &TestApp, proxy: &Proxy, dependency: &str) {
    let (status, body) = readiness(app).await;
    assert_eq!(status, 200, "{body}");
    proxy.cut();
    let body = eventually(Duration::from_secs(20), "503 from /readyz", || async {
        let (status, body) = readiness(app).await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(body["code"], "not_ready");
    assert!(
        body["detail"].as_str().unwrap().contains(dependency),
        "{body}"
    );
    let failing: Vec<&Value> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "down")
        .collect();
    assert!(
        !failing.is_empty() && failing.iter().all(|c| c["dependency"] == dependency),
        "{body}"
    );
    proxy.restore();
    eventually(Duration::from_secs(30), "/readyz to recover", || async {
        (readiness(app).await.0 == 200).then_some(())
    })
    .await;
}

#[tokio::test]
async fn readyz_names_postgresql_when_it_is_down_and_recovers() {
    let Some(url) = postgres_url() else {
        eprintln!("CAMPUS_TEST_POSTGRES_URL is not set; skipped");
        return;
    };
    let mut env = TestEnv::new(&Backend {
        postgres: Some(url),
        nats: None,
    })
    .await;
    let direct = env.config.database.url.clone().unwrap();
    let proxy = Proxy::start(target_of(direct.expose())).await;
    env.config.database.url = Some(campus_platform::config::ConnectionUrl::new(through(
        direct.expose(),
        proxy.address,
    )));
    env.config.database.acquire_timeout_secs = 1;
    let app = env.start(vec![ledger()]).await;
    goes_down_and_recovers(&app, &proxy, "postgresql").await;
    // During an outage a write fails with 503 within the acquire timeout (no hang), and
    // nothing is half-written; once the database is back the same write succeeds.
    let write = || async {
        let began = std::time::Instant::now();
        let status = app
            .client
            .post(app.url("/api/v1/ledger/entries"))
            .json(&serde_json::json!({ "account": "outage", "seq": 1 }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        (status, began.elapsed())
    };
    // Stopped as a crashed server is: its port refuses connections, which sqlx retries until
    // the acquire timeout (1 s here) as if the server were still starting.
    proxy.refuse();
    let (status, took) = write().await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    // Once the process has confirmed the outage, it no longer waits for a connection that
    // cannot come: the next writes are refused at once, asking the client to come back.
    let refused_at_once = eventually(Duration::from_secs(5), "an immediate 503", || async {
        let began = std::time::Instant::now();
        let answer = app
            .client
            .post(app.url("/api/v1/ledger/entries"))
            .json(&serde_json::json!({ "account": "outage", "seq": 2 }))
            .send()
            .await
            .unwrap();
        let took = began.elapsed();
        assert_eq!(answer.status(), 503);
        (took < Duration::from_millis(100)).then(|| {
            assert_eq!(answer.headers()["retry-after"], "1");
            took
        })
    })
    .await;
    // What needs no database is still served.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    eprintln!(
        "a write while PostgreSQL is unreachable: {status} after {} ms; once the outage is \
         confirmed, {} ms",
        took.as_millis(),
        refused_at_once.as_micros() as f64 / 1000.0
    );
    proxy.restore();
    eventually(
        Duration::from_secs(30),
        "writes to succeed again",
        || async { (write().await.0 == 201).then_some(()) },
    )
    .await;
    app.stop().await;
    env.config.database.url = Some(direct);
    env.cleanup().await;
}

#[tokio::test]
async fn readyz_says_degraded_while_nats_is_down_and_recovers() {
    let Some(url) = nats_url() else {
        eprintln!("CAMPUS_TEST_NATS_URL is not set; skipped");
        return;
    };
    let mut env = TestEnv::new(&Backend {
        postgres: None,
        nats: Some(url.clone()),
    })
    .await;
    let proxy = Proxy::start(target_of(&url)).await;
    env.config.bus.url = Some(campus_platform::config::ConnectionUrl::new(through(
        &url,
        proxy.address,
    )));
    let app = env.start(vec![ledger()]).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ready")),
        "{body}"
    );
    proxy.cut();
    let body = eventually(Duration::from_secs(20), "nats down on /readyz", || async {
        let (status, body) = readiness(&app).await;
        body["checks"]
            .as_array()?
            .iter()
            .any(|c| c["dependency"] == "nats" && c["status"] == "down")
            .then_some((status, body))
    })
    .await;
    assert_eq!(body.0, 200, "still in rotation: {}", body.1);
    assert_eq!(body.1["status"], "degraded", "{}", body.1);
    proxy.restore();
    eventually(Duration::from_secs(30), "/readyz to recover", || async {
        let (status, body) = readiness(&app).await;
        (status == 200 && body["status"] == "ready").then_some(())
    })
    .await;
    app.stop().await;
    env.cleanup().await;
}
