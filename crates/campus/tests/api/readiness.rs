//! `/readyz` names the dependency that is down and recovers by itself when it returns.

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

/// Cuts the dependency, expects 503 naming it, restores it, expects 200 again.
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
    app.stop().await;
    env.config.database.url = Some(direct);
    env.cleanup().await;
}

#[tokio::test]
async fn readyz_names_nats_when_it_is_down_and_recovers() {
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
    goes_down_and_recovers(&app, &proxy, "nats").await;
    app.stop().await;
    env.cleanup().await;
}
