//! What every route gets from the platform: problem+json errors, limits, headers, request
//! ids, trace propagation, metrics and the API description.

use std::sync::Arc;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};

use campus_platform::auth::Role;
use campus_testkit::{each_storage, people::School, Backend, TestApp, TestEnv};
use serde_json::{json, Value};

use crate::fixtures::{ledger, tally, TallyBehaviour};

async fn start(env: &TestEnv) -> TestApp {
    env.start(vec![ledger(), tally(Arc::new(TallyBehaviour::default()))])
        .await
}

async fn openapi_document(app: &TestApp) -> Value {
    app.client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn is_problem(response: &reqwest::Response) -> bool {
    response.headers()["content-type"] == "application/problem+json"
}

#[tokio::test]
async fn health_and_readiness_answer() {
    // On SQLite only: the answer names the storage it checked.
    let env = TestEnv::new(&Backend {
        postgres: None,
        nats: None,
    })
    .await;
    let app = start(&env).await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let deps: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["dependency"].as_str().unwrap())
        .collect();
    assert!(
        deps.contains(&"sqlite") && deps.contains(&"embedded"),
        "{body}"
    );
    app.stop().await;
    env.cleanup().await;
}

each_storage! {
    async fn unknown_routes_and_methods_are_problems(env: TestEnv) {
        let app = start(&env).await;
        let response = app
            .client
            .get(app.url("/api/v1/nothing-here"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        assert!(is_problem(&response));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["type"], "urn:campus:problem:not_found");

        let response = app
            .client
            .delete(app.url("/api/v1/ledger/entries"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
        assert!(is_problem(&response));
        assert!(response.headers().contains_key("allow"));
        app.stop().await;
    }
}

each_storage! {
    async fn bad_bodies_get_clear_problems_and_write_nothing(env: TestEnv) {
        let app = start(&env).await;
        let url = app.url("/api/v1/ledger/entries");

        let response = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert!(is_problem(&response));
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "malformed_json"
        );

        let response = app
            .client
            .post(&url)
            .body(r#"{"account":"a","seq":1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "no JSON content type");
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "unsupported_media_type"
        );

        let response = app
            .client
            .post(&url)
            .json(&json!({ "seq": 1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["errors"][0]["field"], "account", "{body}");

        let response = app
            .client
            .post(&url)
            .json(&json!({ "account": "a", "seq": "one" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        assert_eq!(
            response.json::<Value>().await.unwrap()["errors"][0]["field"],
            "seq"
        );

        let response = app
            .client
            .post(&url)
            .json(&json!({ "account": "a".repeat(41), "seq": 1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        assert_eq!(
            response.json::<Value>().await.unwrap()["errors"][0]["code"],
            "too_long"
        );

        // serde would read a struct from an array; a body must be an object.
        let response = app
            .client
            .post(&url)
            .json(&json!(["a", 1]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        assert_eq!(
            response.json::<Value>().await.unwrap()["errors"][0]["code"],
            "not_an_object"
        );

        let huge = json!({ "account": "a", "seq": 1, "padding": "x".repeat(3 * 1024 * 1024) });
        let response = app.client.post(&url).json(&huge).send().await.unwrap();
        assert_eq!(response.status(), 413);
        assert!(is_problem(&response));

        let (outbox,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
            .fetch_one(app.db("ledger").pool())
            .await
            .unwrap();
        assert_eq!(outbox, 0, "no rejected request recorded an event");
        app.stop().await;
    }
}

each_storage! {
    async fn a_request_past_the_timeout_is_answered_408(env: TestEnv) {
        env.config.http.request_timeout_secs = 1;
        let app = env.start(vec![ledger()]).await;
        let quick = app
            .client
            .get(app.url("/api/v1/ledger/wait?ms=10"))
            .send()
            .await
            .unwrap();
        assert_eq!(quick.status(), 204);
        let slow = app
            .client
            .get(app.url("/api/v1/ledger/wait?ms=3000"))
            .send()
            .await
            .unwrap();
        assert_eq!(slow.status(), 408);
        assert!(is_problem(&slow));
        assert_eq!(
            slow.json::<Value>().await.unwrap()["code"],
            "request_timeout"
        );
        app.stop().await;
    }
}

each_storage! {
    async fn cors_answers_only_configured_origins(env: TestEnv) {
        env.config.http.cors_origins = vec!["https://school.example".to_owned()];
        let app = env.start(vec![ledger()]).await;
        let preflight = |origin: &'static str| {
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/ledger/entries"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                )
                .send()
        };
        let allowed = preflight("https://school.example").await.unwrap();
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://school.example"
        );
        let refused = preflight("https://evil.example").await.unwrap();
        assert!(!refused
            .headers()
            .contains_key("access-control-allow-origin"));
        app.stop().await;
    }
}

each_storage! {
    async fn responses_carry_security_headers_and_a_request_id(env: TestEnv) {
        let app = start(&env).await;
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
        assert_eq!(headers["x-request-id"].len(), 26);

        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "from-the-proxy")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "from-the-proxy");
        app.stop().await;
    }
}

each_storage! {
    async fn an_event_carries_the_trace_of_the_request_that_caused_it(env: TestEnv) {
        let app = start(&env).await;
        let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let response = app
            .client
            .post(app.url("/api/v1/ledger/entries"))
            .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
            .json(&json!({ "account": "a", "seq": 1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let traceparent = body["traceparent"]
            .as_str()
            .expect("the event has a traceparent");
        assert!(
            traceparent.starts_with(&format!("00-{trace_id}-")),
            "{traceparent}"
        );
        assert!(
            !traceparent.contains("00f067aa0ba902b7"),
            "the event names its own span"
        );
        app.stop().await;
    }
}

each_storage! {
    async fn metrics_count_requests_by_route_pattern(env: TestEnv) {
        let app = start(&env).await;
        app.client.get(app.url("/healthz")).send().await.unwrap();
        app.client
            .post(app.url("/api/v1/ledger/entries"))
            .json(&json!({ "account": "a", "seq": 1 }))
            .send()
            .await
            .unwrap();
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
            "{text}"
        );
        assert!(text.contains(r#"route="/api/v1/ledger/entries""#));
        assert!(text.contains("http_request_duration_seconds_bucket"));
        app.stop().await;
    }
}

each_storage! {
    async fn metrics_can_have_a_listener_of_their_own_and_a_token(env: TestEnv) {
        let mut env = env;
        env.config.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
        env.config.metrics.token = Some(campus_platform::config::SecretText::new("a-long-scrape-token-0123"));
        let app = start(&env).await;
        let metrics = format!("{}/metrics", app.metrics_address.as_deref().unwrap());
        let status = |request: reqwest::RequestBuilder| async move { request.send().await.unwrap().status() };
        assert_eq!(status(app.client.get(app.url("/metrics"))).await, 404, "not beside the API");
        assert_eq!(status(app.client.get(&metrics)).await, 401, "no token");
        assert_eq!(status(app.client.get(&metrics).bearer_auth("a-long-scrape-token-0124")).await, 401);
        app.client.get(app.url("/healthz")).send().await.unwrap();
        let scrape = app.client.get(&metrics).bearer_auth("a-long-scrape-token-0123").send().await.unwrap();
        assert_eq!(scrape.status(), 200);
        assert!(scrape.text().await.unwrap().contains("http_requests_total"));
        assert_eq!(status(app.client.get(format!("{}/api/v1/me", app.metrics_address.as_deref().unwrap()))).await,
            404, "the metrics listener serves nothing else");
        app.stop().await;
    }
}

each_storage! {
    async fn metrics_report_the_event_backbone(env: TestEnv) {
        let app = start(&env).await;
        app.client
            .post(app.url("/api/v1/ledger/entries"))
            .json(&json!({ "account": "m", "seq": 1 }))
            .send()
            .await
            .unwrap();
        campus_testkit::eventually(
            std::time::Duration::from_secs(15),
            "the entry handled",
            || async {
                (!crate::fixtures::tallied(app.db("tally")).await.is_empty()).then_some(())
            },
        )
        .await;
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for series in [
            r#"campus_events_published_total{stream="ledger"}"#,
            r#"campus_events_consumed_total{subscription="tally.entries",outcome="handled"}"#,
            "campus_event_latency_seconds_bucket",
            r#"campus_consumer_lag{subscription="tally.entries",stream="ledger"}"#,
            r#"campus_outbox_depth{context="ledger"}"#,
        ] {
            assert!(text.contains(series), "{series} missing from:\n{text}");
        }
        app.stop().await;
    }
}

each_storage! {
    async fn the_api_is_described_by_openapi_with_a_browsable_reference(env: TestEnv) {
        let app = start(&env).await;
        let document = openapi_document(&app).await;
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v1/admin/events/consumers",
            "/api/v1/admin/events/parked",
            "/api/v1/admin/events/parked/{id}/replay",
            "/api/v1/ledger/entries",
        ] {
            assert!(document["paths"][path].is_object(), "{path} is documented");
        }
        assert!(document["components"]["schemas"]["Problem"].is_object());
        let docs = app.client.get(app.url("/api/docs")).send().await.unwrap();
        assert_eq!(docs.status(), 200);
        assert!(docs.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        app.stop().await;
    }
}

each_storage! {
    async fn forged_and_foreign_tokens_are_refused(env: TestEnv) {
        let app = start(&env).await;
        let url = app.url("/api/v1/admin/events/consumers");
        let unauthenticated =
            |response: &reqwest::Response| response.status() == 401 && is_problem(response);

        let response = app.client.get(&url).send().await.unwrap();
        assert!(unauthenticated(&response));
        assert_eq!(response.headers()["www-authenticate"], "Bearer");

        // alg: none, claiming to be a super admin.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoidGVzdC1rZXkifQ.eyJzdWIiOiJ1Iiwic2Nob29sIjoicyIsInJvbGUiOiJzdXBlcl9hZG1pbiIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxLCJqdGkiOiJqIiwidHlwIjoiYWNjZXNzIn0.";
        assert!(unauthenticated(
            &app.client.get(&url).bearer_auth(none).send().await.unwrap()
        ));

        // A student's token whose payload was edited to say super_admin, signature kept.
        let student = app.token(Role::Student, "school-1");
        let parts: Vec<&str> = student.split('.').collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap())
            .unwrap()
            .replace("\"student\"", "\"super_admin\"");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            parts[2]
        );
        assert!(unauthenticated(
            &app.client
                .get(&url)
                .bearer_auth(&forged)
                .send()
                .await
                .unwrap()
        ));

        // The attacks on key confusion and token kinds: HS256 keyed with the public key (the
        // classic RS/EdDSA-to-HMAC switch), a validly signed token that is not an access token,
        // and a validly signed one naming a key id the deployment does not have.
        let now = campus_platform::time::now_ms() / 1000;
        let claims = |typ: &str| json!({ "sub": "u", "school": "school-1", "role": "super_admin",
            "exp": now + 300, "iat": now, "jti": "j", "typ": typ, "sid": "s" });
        let mut hs256 = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        hs256.kid = Some(app.test_key_id().to_owned());
        let confused = jsonwebtoken::encode(&hs256, &claims("access"),
            &jsonwebtoken::EncodingKey::from_secret(&app.public_key())).unwrap();
        let refresh_kind = app.sign_as(app.test_key_id(), &claims("refresh"));
        let untyped = app.sign_as(app.test_key_id(), &claims(""));
        let unknown_kid = app.sign_as("no-such-key", &claims("access"));
        let genuine = app.sign_as(app.test_key_id(), &claims("access"));
        for (what, token) in [("HS256 with the public key", &confused), ("typ refresh", &refresh_kind),
                              ("no typ", &untyped), ("unknown kid", &unknown_kid)] {
            let response = app.client.get(&url).bearer_auth(token).send().await.unwrap();
            assert!(unauthenticated(&response), "{what}: {}", response.status());
        }
        let response = app.client.get(&url).bearer_auth(&genuine).send().await.unwrap();
        assert_eq!(response.status(), 200, "the same claims, properly signed");

        // A token signed by a key this deployment never had.
        let stranger = env.start(vec![]).await;
        let foreign = stranger.super_admin();
        stranger.stop().await;
        assert!(unauthenticated(
            &app.client
                .get(&url)
                .bearer_auth(&foreign)
                .send()
                .await
                .unwrap()
        ));

        for role in [Role::Student, Role::Teacher, Role::SchoolAdmin] {
            let response = app
                .client
                .get(&url)
                .bearer_auth(app.token(role, "school-1"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{role}");
            assert!(is_problem(&response));
        }
        let response = app
            .client
            .get(&url)
            .bearer_auth(app.super_admin())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        app.stop().await;
    }
}

each_storage! {
    async fn every_identity_route_is_in_the_openapi_document(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let document = openapi_document(&app).await;
        for (path, methods) in [
            ("/api/v1/schools", &["get", "post"][..]),
            ("/api/v1/auth/register", &["post"]),
            ("/api/v1/auth/login", &["post"]),
            ("/api/v1/auth/refresh", &["post"]),
            ("/api/v1/auth/logout", &["post"]),
            ("/api/v1/auth/session", &["post", "delete"]),
            ("/api/v1/auth/session/refresh", &["post"]),
            ("/api/v1/auth/password-reset", &["post"]),
            ("/api/v1/auth/password-reset/confirm", &["post"]),
            ("/api/v1/auth/invitation/accept", &["post"]),
            ("/api/v1/auth/verify-email", &["post"]),
            ("/api/v1/me", &["get", "patch"]),
            ("/api/v1/me/sessions", &["get"]),
            ("/api/v1/me/sessions/{id}", &["delete"]),
            ("/api/v1/me/verify-email", &["post"]),
            ("/api/v1/me/2fa/enrol", &["post"]),
            ("/api/v1/me/2fa/confirm", &["post"]),
            ("/api/v1/me/2fa/disable", &["post"]),
            ("/api/v1/users", &["get", "post"]),
            ("/api/v1/users/import", &["post"]),
            ("/api/v1/users/invitations", &["post"]),
            ("/api/v1/users/{id}", &["get"]),
            ("/api/v1/users/{id}/role", &["put"]),
            ("/api/v1/users/{id}/deactivate", &["post"]),
            ("/api/v1/users/{id}/reactivate", &["post"]),
            ("/api/v1/users/{id}/2fa/reset", &["post"]),
            ("/api/v1/school", &["get", "patch"]),
            ("/api/v1/school/join-code", &["post"]),
            ("/api/v1/audit", &["get"]),
            ("/.well-known/jwks.json", &["get"]),
        ] {
            for method in methods {
                assert!(
                    document["paths"][path][method].is_object(),
                    "{method} {path} is documented"
                );
            }
        }
        app.stop().await;
    }
}

each_storage! {
    /// Clients are generated from the document: every `$ref` must lead somewhere, every error
    /// answer is declared as problem+json, every secured operation declares 401, and an
    /// operation refuses a body it does not declare.
    async fn the_api_document_is_complete_and_says_what_errors_look_like(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let document = openapi_document(&app).await;
        let text = document.to_string();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "no schema {name} for a $ref");
        }
        let mut operations = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                operations += 1;
                let responses = operation["responses"].as_object().unwrap();
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert!(
                            response["content"]["application/problem+json"].is_object(),
                            "{method} {path} {status} is problem+json"
                        );
                    }
                }
                if operation["security"].as_array().is_some_and(|s| !s.is_empty()) {
                    assert!(responses.contains_key("401"), "{method} {path} declares 401");
                }
                assert!(responses.contains_key("400"), "{method} {path} declares 400");
            }
        }
        assert!(operations > 60, "{operations} operations");

        let school = School::create(&app, "hill-valley").await;
        let response = app
            .client
            .post(app.url("/api/v1/school/join-code"))
            .bearer_auth(&school.admin.token)
            .json(&json!({ "unexpected": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "unexpected_body");
        app.stop().await;
    }
}
