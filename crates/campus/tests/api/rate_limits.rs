//! Credential rate limits shared through Redis by every process of an installation, and what
//! happens when Redis does not answer.

use campus_platform::config::ConnectionUrl;
use campus_testkit::{people::call, redis_url, Backend, TestApp, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A sign-in attempt from `client` (behind the trusted proxy), with a fresh account each time
/// so the per-account lockout stays out of the way.
async fn attempt(app: &TestApp, client: &str) -> StatusCode {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({ "school": "nowhere", "email": format!("{}@b.example", campus_platform::id::new_id_string()),
                       "password": "whatever it is" }))
        .send()
        .await
        .unwrap()
        .status()
}

/// What `/readyz` says of Redis.
fn redis_status(ready: &Value) -> Option<&str> {
    ready["checks"]
        .as_array()?
        .iter()
        .find(|c| c["dependency"] == "redis")?["status"]
        .as_str()
}

async fn env_with_redis(url: &str, prefix: &str) -> TestEnv {
    let mut env = TestEnv::new(&Backend {
        postgres: None,
        nats: None,
    })
    .await;
    env.config.http.credential_requests_per_minute = 4;
    env.config.http.trusted_proxies = vec!["127.0.0.1".to_owned()];
    env.config.redis.url = Some(ConnectionUrl::new(url));
    env.config.redis.key_prefix = prefix.to_owned();
    env
}

#[tokio::test]
async fn two_processes_share_each_clients_allowance_through_redis() {
    let Some(url) = redis_url() else {
        eprintln!("CAMPUS_TEST_REDIS_URL is not set; skipping");
        return;
    };
    // Two installations' processes: the same Redis, separate data, one key prefix each.
    let prefix = format!("campus_test_{}", campus_platform::id::new_id_string());
    let first_env = env_with_redis(&url, &prefix).await;
    let second_env = env_with_redis(&url, &prefix).await;
    let first = first_env.start(vec![campus_identity::context()]).await;
    let second = second_env.start(vec![campus_identity::context()]).await;

    let client = "203.0.113.20";
    assert_eq!(attempt(&first, client).await, 401);
    assert_eq!(attempt(&second, client).await, 401);
    assert_eq!(attempt(&first, client).await, 401);
    assert_eq!(attempt(&second, client).await, 401);
    // Four a minute in all: the fifth is refused by whichever process gets it.
    assert_eq!(attempt(&first, client).await, 429);
    assert_eq!(attempt(&second, client).await, 429);
    // Another client has its own allowance.
    assert_eq!(attempt(&second, "203.0.113.21").await, 401);

    // Another installation on the same Redis (another prefix) is not affected.
    let other_env = env_with_redis(&url, &format!("{prefix}_other")).await;
    let other = other_env.start(vec![campus_identity::context()]).await;
    assert_eq!(attempt(&other, client).await, 401);

    let (status, ready) = call(&first, Method::GET, "/readyz", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(redis_status(&ready), Some("up"), "{ready}");
    for (app, env) in [(first, first_env), (second, second_env), (other, other_env)] {
        app.stop().await;
        env.cleanup().await;
    }
}

#[tokio::test]
async fn without_redis_each_process_still_limits_and_readiness_says_so() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = env_with_redis(&format!("redis://127.0.0.1:{port}"), "campus").await;
    let app = env.start(vec![campus_identity::context()]).await;
    let client = "203.0.113.30";
    for _ in 0..4 {
        assert_eq!(attempt(&app, client).await, 401, "sign-in goes on");
    }
    assert_eq!(attempt(&app, client).await, 429, "and is still limited");
    // Still in rotation: it serves on, and says what it is doing without.
    let (status, ready) = call(&app, Method::GET, "/readyz", None, None).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert_eq!(redis_status(&ready), Some("down"), "{ready}");
    app.stop().await;
    env.cleanup().await;
}
