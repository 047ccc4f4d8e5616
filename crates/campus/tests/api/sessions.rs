//! An access token stops working when its session ends — on sign-out, when the person ends it
//! from their session list, on a password reset and on deactivation — in every context of the
//! process and, through identity's events and Redis, in every other process.

use std::time::Duration;

use campus_platform::config::ConnectionUrl;
use campus_testkit::{
    each_storage, eventually, nats_url,
    people::{call, mailed_token, School, PASSWORD},
    postgres_url, redis_url, Backend, TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Signs `email` in again: a new session.
async fn sign_in(app: &TestApp, school: &School, email: &str) -> Value {
    let (status, tokens) = call(
        app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "school": school.slug, "email": email, "password": PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

/// The session an access token names.
fn session_of(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

/// What each kind of route answers the token: identity's own, another context's (courses) and
/// the event administration API (which a school admin may not use: 403 while the token is good).
async fn answers(app: &TestApp, token: &str) -> [StatusCode; 3] {
    let mut statuses = [StatusCode::OK; 3];
    for (i, path) in [
        "/api/v1/me",
        "/api/v1/courses",
        "/api/v1/admin/events/consumers",
    ]
    .iter()
    .enumerate()
    {
        statuses[i] = call(app, Method::GET, path, Some(token), None).await.0;
    }
    statuses
}

const WORKING: [StatusCode; 3] = [StatusCode::OK, StatusCode::OK, StatusCode::FORBIDDEN];
const REFUSED: [StatusCode; 3] = [StatusCode::UNAUTHORIZED; 3];

each_storage! {
    async fn an_access_token_stops_the_moment_its_session_ends(env: TestEnv) {
        let app = env
            .start(vec![campus_identity::context(), campus_courses::context()])
            .await;
        let school = School::create(&app, "hill-valley").await;
        let marty = school.add(&app, "student", "Marty").await;
        let first = sign_in(&app, &school, &marty.email).await;
        let second = sign_in(&app, &school, &marty.email).await;
        for token in [&marty.token, access(&first), access(&second)] {
            assert_eq!(answers(&app, token).await, WORKING);
        }

        // Signing out ends that session only.
        let (status, _) = call(&app, Method::POST, "/api/v1/auth/logout", None,
            Some(json!({ "refresh_token": first["refresh_token"] }))).await;
        assert_eq!(status, 204);
        assert_eq!(answers(&app, access(&first)).await, REFUSED, "signed out");
        assert_eq!(answers(&app, access(&second)).await, WORKING);

        // Ending a session from the list ends its access token too.
        let path = format!("/api/v1/me/sessions/{}", session_of(&marty.token));
        let (status, _) = call(&app, Method::DELETE, &path, Some(access(&second)), None).await;
        assert_eq!(status, 204);
        assert_eq!(answers(&app, &marty.token).await, REFUSED, "ended from the list");
        assert_eq!(answers(&app, access(&second)).await, WORKING);

        // A password reset ends every session.
        call(&app, Method::POST, "/api/v1/auth/password-reset", None,
            Some(json!({ "school": school.slug, "email": marty.email }))).await;
        let link = mailed_token(&env, Some(&marty.email), "/reset-password").await.unwrap();
        let (status, _) = call(&app, Method::POST, "/api/v1/auth/password-reset/confirm", None,
            Some(json!({ "token": link, "password": PASSWORD }))).await;
        assert_eq!(status, 204);
        assert_eq!(answers(&app, access(&second)).await, REFUSED, "reset");

        // So does deactivation; the next sign-in after reactivation works again.
        let third = sign_in(&app, &school, &marty.email).await;
        assert_eq!(answers(&app, access(&third)).await, WORKING);
        let path = format!("/api/v1/users/{}/deactivate", marty.id);
        let (status, _) = call(&app, Method::POST, &path, Some(&school.admin.token), None).await;
        assert_eq!(status, 200);
        assert_eq!(answers(&app, access(&third)).await, REFUSED, "deactivated");
        let path = format!("/api/v1/users/{}/reactivate", marty.id);
        call(&app, Method::POST, &path, Some(&school.admin.token), None).await;
        let fourth = sign_in(&app, &school, &marty.email).await;
        // The other contexts hear of the reactivation from identity's event, a moment later
        // (a deactivation, by contrast, ends the sessions as it commits).
        eventually(Duration::from_secs(20), "the reactivation to reach courses", || async {
            (answers(&app, access(&fourth)).await == WORKING).then_some(())
        })
        .await;
        assert_eq!(answers(&app, access(&third)).await, REFUSED, "ended sessions stay ended");
        app.stop().await;
    }
}

/// The distributed shape: identity in one process, two replicas of another group of contexts
/// (here the courses context) sharing its event consumer, so each event reaches only one of
/// them; Redis tells the other.
#[tokio::test]
async fn every_replica_refuses_an_ended_session_within_seconds() {
    let (Some(postgres), Some(nats), Some(redis)) = (postgres_url(), nats_url(), redis_url())
    else {
        eprintln!("PostgreSQL, NATS and Redis are needed; skipping");
        return;
    };
    let mut env = TestEnv::new(&Backend {
        postgres: Some(postgres),
        nats: Some(nats),
    })
    .await;
    env.config.redis.url = Some(ConnectionUrl::new(redis));
    env.config.redis.key_prefix = format!("campus_test_{}", campus_platform::id::new_id_string());
    let identity = env.start(vec![campus_identity::context()]).await;
    env.config.auth.jwks_url = Some(identity.url("/.well-known/jwks.json"));
    let replicas = [
        env.start(vec![campus_courses::context()]).await,
        env.start(vec![campus_courses::context()]).await,
    ];
    let school = School::create(&identity, "hill-valley").await;
    let tokens = sign_in(&identity, &school, &school.admin.email).await;
    let token = access(&tokens);
    for replica in &replicas {
        let status = eventually(
            Duration::from_secs(15),
            "the keys reach the replica",
            || async {
                let status = call(replica, Method::GET, "/api/v1/courses", Some(token), None)
                    .await
                    .0;
                (status != StatusCode::UNAUTHORIZED).then_some(status)
            },
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }

    let (status, _) = call(
        &identity,
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({ "refresh_token": tokens["refresh_token"] })),
    )
    .await;
    assert_eq!(status, 204);
    for replica in &replicas {
        eventually(
            Duration::from_secs(5),
            "the ended session reaches every replica",
            || async {
                let status = call(replica, Method::GET, "/api/v1/courses", Some(token), None)
                    .await
                    .0;
                (status == StatusCode::UNAUTHORIZED).then_some(())
            },
        )
        .await;
    }
    let [first, second] = replicas;
    first.stop().await;
    second.stop().await;
    identity.stop().await;
    env.cleanup().await;
}
