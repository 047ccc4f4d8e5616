//! Identity through its API: schools, registration, sign-in, the token lifecycle, profile,
//! keys — on every storage backend.

use std::time::Duration;

use campus_platform::auth::Role;
use campus_testkit::{each_storage, eventually, people::mailed_token, TestApp, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};

const STRONG: &str = "correct horse battery staple";

async fn start(env: &TestEnv) -> TestApp {
    env.start(vec![campus_identity::context()]).await
}

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn create_school(app: &TestApp, slug: &str) -> Value {
    let (status, body) = post(
        app,
        "/api/v1/schools",
        json!({ "slug": slug, "name": "Hill Valley High", "admin_email": format!("admin@{slug}.example"),
                "admin_password": STRONG, "admin_name": "Ada Admin" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Registers with the school's join code (which a new school asks for), as a student handed
/// the code by their teacher would.
async fn register(app: &TestApp, school: &str, email: &str) -> (StatusCode, Value) {
    let code: Option<(String,)> = sqlx::query_as("SELECT join_code FROM schools WHERE slug = $1")
        .bind(school.to_lowercase())
        .fetch_optional(app.db("identity").pool())
        .await
        .unwrap();
    post(
        app,
        "/api/v1/auth/register",
        json!({ "school": school, "email": email, "password": STRONG, "display_name": "Marty",
                "join_code": code.map(|(code,)| code) }),
    )
    .await
}

/// Registers and signs in; the signed-in answer (`access_token`, `refresh_token`, …).
async fn join(app: &TestApp, school: &str, email: &str) -> Value {
    let (status, body) = register(app, school, email).await;
    assert_eq!(status, 202, "{body}");
    let (status, tokens) = login(app, school, email, STRONG).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn login(app: &TestApp, school: &str, email: &str, password: &str) -> (StatusCode, Value) {
    post(
        app,
        "/api/v1/auth/login",
        json!({ "school": school, "email": email, "password": password }),
    )
    .await
}

each_storage! {
    async fn a_new_school_gets_an_admin_who_is_signed_in(env: TestEnv) {
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        assert_eq!(created["school"]["slug"], "hill-valley");
        assert_eq!(created["admin"]["role"], "school_admin");
        assert_eq!(created["tokens"]["token_type"], "Bearer");
        assert_eq!(created["tokens"]["expires_in"], 900);
        let token = created["tokens"]["access_token"].as_str().unwrap();
        let (status, profile) = me(&app, token).await;
        assert_eq!(status, 200, "{profile}");
        assert_eq!(profile["email"], "admin@hill-valley.example");

        // The token is signed by a key the JWKS publishes.
        let header: Value =
            serde_json::from_slice(&decode_segment(token.split('.').next().unwrap())).unwrap();
        assert_eq!(header["alg"], "EdDSA");
        let jwks: Value = app
            .client
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert!(
            keys.iter()
                .any(|k| k["kid"] == header["kid"] && k["kty"] == "OKP" && k["crv"] == "Ed25519"),
            "{jwks}"
        );
        assert!(
            keys.iter().all(|k| k.get("d").is_none()),
            "no private part is published"
        );

        // The school and its admin are announced, without password material.
        let events: Vec<(String, String)> =
            sqlx::query_as("SELECT event_type, envelope FROM outbox ORDER BY id")
                .fetch_all(app.db("identity").pool())
                .await
                .unwrap();
        let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            types,
            [
                "campus.identity.school_created.v1",
                "campus.identity.user_registered.v1"
            ]
        );
        assert!(events
            .iter()
            .all(|(_, e)| !e.contains("password") && !e.contains("argon2")));

        let (status, body) = post(
            &app,
            "/api/v1/schools",
            json!({ "slug": "hill-valley", "name": "Again",
            "admin_email": "x@y.example", "admin_password": STRONG, "admin_name": "X" }),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "slug_taken");
        app.stop().await;
    }
}

each_storage! {
    async fn bad_school_and_registration_input_lists_every_field_and_writes_nothing(env: TestEnv) {
        let app = start(&env).await;
        let (status, body) = post(
            &app,
            "/api/v1/schools",
            json!({ "slug": "x", "name": "", "admin_email": "nope",
        "admin_password": "password123", "admin_name": "A" }),
        )
        .await;
        assert_eq!(status, 422);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["slug", "name", "admin_email", "admin_password"],
            "{body}"
        );
        let (status, body) = post(&app, "/api/v1/schools", json!({ "slug": "ok-school" })).await;
        assert_eq!(status, 422, "{body}");
        let response = app
            .client
            .post(app.url("/api/v1/schools"))
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);

        create_school(&app, "hill-valley").await;
        let (status, body) = register(&app, "hill-valley", "not-an-email").await;
        assert_eq!(
            (status.as_u16(), body["errors"][0]["code"].as_str()),
            (422, Some("invalid_email"))
        );
        let (code,): (String,) = sqlx::query_as("SELECT join_code FROM schools")
            .fetch_one(app.db("identity").pool())
            .await
            .unwrap();
        let (status, body) = post(
            &app,
            "/api/v1/auth/register",
            json!({ "school": "hill-valley", "email": "a@b.example",
        "password": "hillvalley1", "display_name": "Marty", "join_code": code }),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["errors"][0]["code"].as_str()),
            (422, Some("too_weak"))
        );
        let (status, _) = register(&app, "no-such-school", "marty@b.example").await;
        assert_eq!(status, 404);
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(app.db("identity").pool())
            .await
            .unwrap();
        assert_eq!(users, 1, "only the admin exists");
        app.stop().await;
    }
}

each_storage! {
    async fn sign_in_failures_all_answer_alike(env: TestEnv) {
        let app = start(&env).await;
        create_school(&app, "hill-valley").await;
        let (status, registered) = register(&app, "hill-valley", "Marty@Example.org").await;
        assert_eq!(status, 202);
        let (status, tokens) = login(&app, "HILL-VALLEY", "marty@example.org", STRONG).await;
        assert_eq!(
            status, 200,
            "email and school match regardless of case: {tokens}"
        );
        // Registering an address that has an account answers exactly like a new one; the
        // owner hears of it by email (once an hour at most), and nothing else changes.
        let (status, duplicate) = register(&app, "hill-valley", "marty@example.org").await;
        assert_eq!((status.as_u16(), &duplicate), (202, &registered));
        register(&app, "hill-valley", "marty@example.org").await;
        let notices = eventually(Duration::from_secs(5), "the notice", || async {
            let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
                "SELECT recipient, sent_at FROM outgoing_mail WHERE kind = 'registration_attempt'",
            )
            .fetch_all(app.db("identity").pool())
            .await
            .unwrap();
            rows.iter().all(|(_, sent)| sent.is_some()).then_some(rows)
        })
        .await;
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!(notices[0].0, "marty@example.org");
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(app.db("identity").pool())
            .await
            .unwrap();
        assert_eq!(users, 2, "the admin and Marty, once");

        let wrong_password = login(
            &app,
            "hill-valley",
            "marty@example.org",
            "not the password at all",
        )
        .await;
        let unknown_email = login(&app, "hill-valley", "nobody@example.org", STRONG).await;
        let unknown_school = login(&app, "nowhere", "marty@example.org", STRONG).await;
        for (status, body) in [&wrong_password, &unknown_email, &unknown_school] {
            assert_eq!(*status, 401);
            assert_eq!(body, &wrong_password.1, "every failure reads the same");
        }
        app.stop().await;
    }
}

each_storage! {
    async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family(env: TestEnv) {
        let backend = env.backend.clone();
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let first = created["tokens"]["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();

        let (status, second) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": first }),
        )
        .await;
        assert_eq!(status, 200, "{second}");
        let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(second_refresh, first);
        assert_eq!(
            me(&app, second["access_token"].as_str().unwrap()).await.0,
            200
        );

        // The first token again: someone copied it. The whole family ends.
        let (status, _) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": first }),
        )
        .await;
        assert_eq!(status, 401);
        let (status, _) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": second_refresh }),
        )
        .await;
        assert_eq!(status, 401, "{backend}: the family is revoked");

        // An access token is never accepted as a refresh token, nor the reverse.
        let (status, _) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": second["access_token"] }),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(me(&app, &second_refresh).await.0, 401);
        app.stop().await;
    }
}

each_storage! {
    async fn of_two_racing_refreshes_exactly_one_wins(env: TestEnv) {
        let backend = env.backend.clone();
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let token = created["tokens"]["refresh_token"].clone();
        let (a, b) = tokio::join!(
            post(
                &app,
                "/api/v1/auth/refresh",
                json!({ "refresh_token": token })
            ),
            post(
                &app,
                "/api/v1/auth/refresh",
                json!({ "refresh_token": token })
            ),
        );
        let wins = [a.0, b.0].iter().filter(|s| **s == 200).count();
        assert_eq!(wins, 1, "{backend}: {a:?} {b:?}");
        app.stop().await;
    }
}

each_storage! {
    async fn logout_ends_the_session(env: TestEnv) {
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let refresh = created["tokens"]["refresh_token"].clone();
        let response = app
            .client
            .post(app.url("/api/v1/auth/logout"))
            .json(&json!({ "refresh_token": refresh }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let (status, _) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": refresh }),
        )
        .await;
        assert_eq!(status, 401);
        app.stop().await;
    }
}

each_storage! {
    async fn old_tokens_verify_after_key_rotation_until_their_key_expires(env: TestEnv) {
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let old_token = created["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        // The signing key's hour is over.
        sqlx::query("UPDATE signing_keys SET retire_at = $1")
            .bind(campus_platform::time::now_ms() - 1)
            .execute(app.db("identity").pool())
            .await
            .unwrap();
        app.stop().await;

        let app = start(&env).await;
        let (status, fresh) = login(&app, "hill-valley", "admin@hill-valley.example", STRONG).await;
        assert_eq!(status, 200);
        let kid = |token: &str| -> Value {
            serde_json::from_slice::<Value>(&decode_segment(token.split('.').next().unwrap()))
                .unwrap()["kid"]
                .clone()
        };
        assert_ne!(
            kid(&old_token),
            kid(fresh["access_token"].as_str().unwrap()),
            "a new key signs"
        );
        assert_eq!(
            me(&app, &old_token).await.0,
            200,
            "the retired key still verifies"
        );
        let jwks: Value = app
            .client
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);

        // Once every token it signed has expired, the key is dropped.
        sqlx::query("UPDATE signing_keys SET expires_at = $1 WHERE kid = $2")
            .bind(campus_platform::time::now_ms() - 1)
            .bind(kid(&old_token).as_str().unwrap())
            .execute(app.db("identity").pool())
            .await
            .unwrap();
        app.stop().await;
        let app = start(&env).await;
        assert_eq!(me(&app, &old_token).await.0, 401);
        tokio::time::sleep(Duration::from_millis(1)).await;
        app.stop().await;
    }
}

each_storage! {
    async fn a_user_sees_and_changes_only_their_own_profile_in_their_own_school(env: TestEnv) {
        let app = start(&env).await;
        let hill = create_school(&app, "hill-valley").await;
        let other = create_school(&app, "shelbyville").await;
        let marty = join(&app, "hill-valley", "marty@example.org").await;
        let token = marty["access_token"].as_str().unwrap();

        let response = app.client.patch(app.url("/api/v1/me")).bearer_auth(token)
        .json(&json!({ "display_name": "Marty McFly", "bio": "Guitar", "time_zone": "America/Los_Angeles" }))
        .send().await.unwrap();
        assert_eq!(response.status(), 200);
        let profile: Value = response.json().await.unwrap();
        assert_eq!(profile["display_name"], "Marty McFly");
        assert_eq!(profile["school_id"], hill["school"]["id"]);
        let response = app
            .client
            .patch(app.url("/api/v1/me"))
            .bearer_auth(token)
            .json(&json!({ "bio": null }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.json::<Value>().await.unwrap()["bio"], Value::Null);
        // Time zones and locales come back as the databases spell them.
        let response = app
            .client
            .patch(app.url("/api/v1/me"))
            .bearer_auth(token)
            .json(&json!({ "time_zone": "europe/london", "locale": "en_gb",
                       "avatar_url": "HTTPS://Images.Example/marty.png" }))
            .send()
            .await
            .unwrap();
        let profile: Value = response.json().await.unwrap();
        assert_eq!(
            (profile["time_zone"].as_str(), profile["locale"].as_str()),
            (Some("Europe/London"), Some("en-GB")),
            "{profile}"
        );
        assert_eq!(profile["avatar_url"], "https://images.example/marty.png", "stored normalized");
        for bad in [
            json!({ "display_name": "" }),
            json!({ "bio": "x".repeat(2001) }),
            json!({ "role": "school_admin" }),
            json!({ "avatar_url": "javascript:alert(1)" }),
            json!({ "avatar_url": "//tracker.example/pixel.gif" }),
            json!({ "avatar_url": "http://plain.example/me.png" }),
            // Browsers drop the tab and read `/\` as `/`: both would be another server.
            json!({ "avatar_url": "/\t/evil.example/pixel.gif" }),
            json!({ "avatar_url": "/\\evil.example/pixel.gif" }),
            json!({ "time_zone": "Mars/Olympus_Mons" }),
            json!({ "locale": "not a locale" }),
        ] {
            let response = app
                .client
                .patch(app.url("/api/v1/me"))
                .bearer_auth(token)
                .json(&bad)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 422, "{bad}");
        }
        assert_eq!(
            me(&app, token).await.1["role"],
            "student",
            "no one raises their own role"
        );

        // A validly signed token naming this user under another school finds nobody.
        let (_, profile) = me(&app, token).await;
        let user_id = profile["id"].as_str().unwrap();
        let forged = app.token_for(
            user_id,
            Role::Student,
            other["school"]["id"].as_str().unwrap(),
        );
        assert_eq!(me(&app, &forged).await.0, 401);

        // A deactivated account's tokens stop working at once.
        sqlx::query("UPDATE users SET status = 'deactivated' WHERE id = $1")
            .bind(user_id)
            .execute(app.db("identity").pool())
            .await
            .unwrap();
        assert_eq!(me(&app, token).await.0, 401);
        let (status, _) = login(&app, "hill-valley", "marty@example.org", STRONG).await;
        assert_eq!(status, 401);
        app.stop().await;
    }
}

fn decode_segment(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

each_storage! {
    async fn a_process_without_identity_verifies_tokens_with_the_published_keys(env: TestEnv) {
        let identity_env = env;
        let identity = start(&identity_env).await;
        let created = create_school(&identity, "hill-valley").await;
        let admin_token = created["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();

        let mut other_env = TestEnv::new(&identity_env.backend).await;
        other_env.config.auth.jwks_url = Some(identity.url("/.well-known/jwks.json"));
        let other = other_env.start(vec![crate::fixtures::ledger()]).await;
        let url = other.url("/api/v1/admin/events/consumers");
        // Verified (so not 401), but a school admin does not operate the platform.
        let status = eventually(
            Duration::from_secs(15),
            "the keys to be fetched",
            || async {
                let status = other
                    .client
                    .get(&url)
                    .bearer_auth(&admin_token)
                    .send()
                    .await
                    .unwrap()
                    .status();
                (status != 401).then_some(status)
            },
        )
        .await;
        assert_eq!(status, 403);
        // The keys replaced whatever the ring held: the test harness's own key no longer verifies.
        let response = other
            .client
            .get(&url)
            .bearer_auth(other.super_admin())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        other.stop().await;
        identity.stop().await;
    }
}

each_storage! {
    async fn token_keys_are_not_fetched_over_plain_http_from_another_machine(env: TestEnv) {
        let mut env = env;
        env.config.auth.jwks_url = Some("http://identity.example:8080/.well-known/jwks.json".into());
        let refused = campus_host::Application::build(env.config.clone(), vec![crate::fixtures::ledger()])
            .await
            .err()
            .expect("plain http to another machine is refused");
        assert!(format!("{refused:#}").contains("auth.allow_plain_http_jwks"), "{refused:#}");
        // Over https, or when the operator vouches for the network, the process is built. (Built,
        // not run: nothing here may send traffic to another machine.)
        env.config.auth.jwks_url = Some("https://identity.example/.well-known/jwks.json".into());
        env.build(vec![crate::fixtures::ledger()]).await;
        env.config.auth.jwks_url = Some("http://identity.example:8080/.well-known/jwks.json".into());
        env.config.auth.allow_plain_http_jwks = true;
        env.build(vec![crate::fixtures::ledger()]).await;
    }
}

each_storage! {
    async fn repeated_wrong_passwords_lock_sign_in_alike_for_real_and_unknown_accounts(
        env: TestEnv,
    ) {
        let backend = env.backend.clone();
        let app = start(&env).await;
        create_school(&app, "hill-valley").await;
        for email in ["admin@hill-valley.example", "nobody@hill-valley.example"] {
            for _ in 0..5 {
                let (status, _) = login(&app, "hill-valley", email, "a wrong password here").await;
                assert_eq!(status, 401, "{backend}: {email}");
            }
            let response = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({ "school": "hill-valley", "email": email, "password": STRONG }))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                429,
                "{backend}: {email} is locked, even with the right password"
            );
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=30).contains(&retry), "{retry}");
            assert_eq!(
                response.json::<Value>().await.unwrap()["code"],
                "rate_limited"
            );
        }
        // Another account is not affected.
        let (status, _) = register(&app, "hill-valley", "marty@example.org").await;
        assert_eq!(status, 202);
        let (status, _) = login(&app, "hill-valley", "marty@example.org", STRONG).await;
        assert_eq!(status, 200);
        app.stop().await;
    }
}

pub(crate) fn code_at(secret: &str, offset_secs: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    let now = (campus_platform::time::now_ms() / 1000 + offset_secs) as u64;
    totp.generate(now)
}

each_storage! {
    async fn a_second_factor_guards_sign_in_and_its_codes_work_once(env: TestEnv) {
        let backend = env.backend.clone();
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let token = created["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let authed = |path: &'static str, body: Value| {
            let app = &app;
            let token = token.clone();
            async move {
                let mut request = app.client.post(app.url(path)).bearer_auth(token);
                // `null`: an operation that takes no body.
                if !body.is_null() {
                    request = request.json(&body);
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                (
                    status,
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };
        // Enrolling needs the password: an open session alone is not enough.
        let (status, _) = authed("/api/v1/me/2fa/enrol", json!({ "password": "not it at all, no" })).await;
        assert_eq!(status, 401);
        let (status, enrolment) = authed("/api/v1/me/2fa/enrol", json!({ "password": STRONG })).await;
        assert_eq!(status, 200);
        let secret = enrolment["secret"].as_str().unwrap().to_owned();
        assert!(enrolment["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/"));
        // Not on until confirmed: sign-in needs no code yet.
        assert_eq!(
            login(&app, "hill-valley", "admin@hill-valley.example", STRONG)
                .await
                .0,
            200
        );
        let (status, _) = authed("/api/v1/me/2fa/confirm", json!({ "code": "000000" })).await;
        assert_eq!(status, 422);
        let confirming = code_at(&secret, 0);
        let (status, confirmed) =
            authed("/api/v1/me/2fa/confirm", json!({ "code": confirming })).await;
        assert_eq!(status, 200, "{confirmed}");
        let recovery: Vec<String> = confirmed["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(recovery.len(), 10);

        let (status, body) = login(&app, "hill-valley", "admin@hill-valley.example", STRONG).await;
        assert_eq!(
            (status.as_u16(), body["code"].as_str()),
            (401, Some("second_factor_required"))
        );
        let with_code = |code: String| {
            let app = &app;
            async move {
                let answer = post(
                    app,
                    "/api/v1/auth/login",
                    json!({ "school": "hill-valley", "email": "admin@hill-valley.example",
                    "password": STRONG, "totp_code": code }),
                )
                .await;
                if answer.0.is_server_error() {
                    panic!("server error: {}", answer.1);
                }
                answer.0
            }
        };
        // The confirming code was used; the next step's code works once.
        assert_eq!(
            with_code(confirming).await,
            401,
            "{backend}: a used code is refused"
        );
        let next = code_at(&secret, 30);
        assert_eq!(with_code(next.clone()).await, 200);
        assert_eq!(
            with_code(next).await,
            401,
            "{backend}: the same code twice is refused"
        );
        assert_eq!(
            with_code(recovery[0].to_uppercase()).await,
            200,
            "recovery codes ignore case"
        );
        assert_eq!(
            with_code(recovery[0].clone()).await,
            401,
            "a recovery code works once"
        );

        let (status, _) = authed(
            "/api/v1/me/2fa/disable",
            json!({ "password": "not it at all, no", "code": recovery[1] }),
        )
        .await;
        assert_eq!(status, 401);
        let (status, _) = authed(
            "/api/v1/me/2fa/disable",
            json!({ "password": STRONG, "code": recovery[1] }),
        )
        .await;
        assert_eq!(status, 204);
        assert_eq!(
            login(&app, "hill-valley", "admin@hill-valley.example", STRONG)
                .await
                .0,
            200
        );
        app.stop().await;
    }
}

each_storage! {
    async fn a_forgotten_password_is_reset_by_an_emailed_single_use_link(env: TestEnv) {
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let old_refresh = created["tokens"]["refresh_token"].clone();

        // Same answer for a real and an unknown account; only the real one gets mail.
        let (status, real) = post(
            &app,
            "/api/v1/auth/password-reset",
            json!({ "school": "hill-valley", "email": "admin@hill-valley.example" }),
        )
        .await;
        let (_, unknown) = post(
            &app,
            "/api/v1/auth/password-reset",
            json!({ "school": "hill-valley", "email": "nobody@hill-valley.example" }),
        )
        .await;
        assert_eq!(status, 202);
        assert_eq!(real, unknown);
        let token = mailed_token(&env, None, "/reset-password")
            .await
            .expect("a reset link was mailed");

        let fresh = "a brand new passphrase for ada";
        let (status, body) = post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "password": "password123" }),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let (status, _) = post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "password": fresh }),
        )
        .await;
        assert_eq!(status, 204);
        let (status, body) = post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "password": fresh }),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["code"].as_str()),
            (400, Some("invalid_token")),
            "the link works once"
        );
        let (status, _) = post(
            &app,
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": "forged", "password": fresh }),
        )
        .await;
        assert_eq!(status, 400);

        assert_eq!(
            login(&app, "hill-valley", "admin@hill-valley.example", STRONG)
                .await
                .0,
            401
        );
        assert_eq!(
            login(&app, "hill-valley", "admin@hill-valley.example", fresh)
                .await
                .0,
            200
        );
        let (status, _) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": old_refresh }),
        )
        .await;
        assert_eq!(status, 401, "sessions from before the reset ended");
        app.stop().await;
    }
}

each_storage! {
    async fn a_new_account_confirms_its_address_by_the_emailed_link(env: TestEnv) {
        let app = start(&env).await;
        create_school(&app, "hill-valley").await;
        let signed_in = join(&app, "hill-valley", "marty@example.org").await;
        let access = signed_in["access_token"].as_str().unwrap();
        assert_eq!(me(&app, access).await.1["email_verified"], false);
        let token = mailed_token(&env, None, "/verify-email")
            .await
            .expect("a verification link was mailed");
        let (status, _) = post(&app, "/api/v1/auth/verify-email", json!({ "token": token })).await;
        assert_eq!(status, 204);
        let (status, _) = post(&app, "/api/v1/auth/verify-email", json!({ "token": token })).await;
        assert_eq!(status, 400, "the link works once");
        assert_eq!(me(&app, access).await.1["email_verified"], true);
        app.stop().await;
    }
}

each_storage! {
    async fn credential_endpoints_are_rate_limited_per_client_address(env: TestEnv) {
        env.config.http.credential_requests_per_minute = 5;
        env.config.http.trusted_proxies = vec!["127.0.0.1".to_owned()];
        let app = start(&env).await;
        // A different account each time, so the per-account lockout stays out of the way.
        let attempt = |client: &'static str| {
            let app = &app;
            async move {
                app.client
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", format!("198.51.100.1, {client}"))
                .json(&json!({ "school": "nowhere", "email": format!("{}@b.example", campus_platform::id::new_id_string()),
                               "password": "whatever it is" }))
                .send()
                .await
                .unwrap()
            }
        };
        for _ in 0..5 {
            assert_eq!(attempt("203.0.113.7").await.status(), 401);
        }
        let limited = attempt("203.0.113.7").await;
        assert_eq!(limited.status(), 429);
        assert!(limited.headers().contains_key("retry-after"));
        // Another client behind the same trusted proxy has its own quota; the spoofable first
        // address in the header is not what counts.
        assert_eq!(attempt("203.0.113.8").await.status(), 401);
        // Reading one's profile or the keys is not a credential endpoint.
        let jwks = app
            .client
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(jwks.status(), 200);
        app.stop().await;
    }
}

each_storage! {
    async fn people_see_and_end_their_own_sessions_only(env: TestEnv) {
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let admin_access = created["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        // Sessions are ordered by millisecond timestamps; keep the two apart.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (_, second) = login(&app, "hill-valley", "admin@hill-valley.example", STRONG).await;
        let marty = join(&app, "hill-valley", "marty@example.org").await;
        let marty_access = marty["access_token"].as_str().unwrap().to_owned();

        let sessions: Value = app
            .client
            .get(app.url("/api/v1/me/sessions"))
            .bearer_auth(&admin_access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<String> = sessions
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 2, "{sessions}");

        // Someone else's session id is not theirs to end.
        let response = app
            .client
            .delete(app.url(&format!("/api/v1/me/sessions/{}", ids[0])))
            .bearer_auth(&marty_access)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        // The newest (the second sign-in) ends; its refresh token stops working.
        let response = app
            .client
            .delete(app.url(&format!("/api/v1/me/sessions/{}", ids[0])))
            .bearer_auth(&admin_access)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let (status, _) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": second["refresh_token"] }),
        )
        .await;
        assert_eq!(status, 401);
        let (status, _) = post(
            &app,
            "/api/v1/auth/refresh",
            json!({ "refresh_token": created["tokens"]["refresh_token"] }),
        )
        .await;
        assert_eq!(status, 200, "the other session goes on");
        app.stop().await;
    }
}

each_storage! {
    async fn school_creation_can_be_kept_to_platform_operators(env: TestEnv) {
        env.config.signup.schools = campus_platform::config::SchoolSignup::SuperAdmin;
        campus::admin::create_user(
            &env.config,
            None,
            "ops@campus.example",
            "Operator",
            Role::SuperAdmin,
            STRONG,
        )
        .await
        .unwrap();
        let app = start(&env).await;
        let body = json!({ "slug": "hill-valley", "name": "Hill Valley High", "admin_email": "admin@hill.example",
                       "admin_password": STRONG, "admin_name": "Ada" });
        let (status, _) = post(&app, "/api/v1/schools", body.clone()).await;
        assert_eq!(status, 403, "anonymous");
        let teacher = app.token(Role::SchoolAdmin, "school-1");
        let response = app
            .client
            .post(app.url("/api/v1/schools"))
            .bearer_auth(teacher)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "a school admin");
        let (status, ops) = login(&app, "platform", "ops@campus.example", STRONG).await;
        assert_eq!(status, 200);
        let response = app
            .client
            .post(app.url("/api/v1/schools"))
            .bearer_auth(ops["access_token"].as_str().unwrap())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "a super admin");
        app.stop().await;
    }
}

each_storage! {
    /// Attempts are counted before a password or code is checked: a burst of fifty parallel
    /// sign-ins with the right password and wrong codes gets no more codes checked than the
    /// lockout allows one at a time (five), and the rest are refused as locked.
    async fn a_burst_of_wrong_codes_gets_no_more_checks_than_the_lockout_allows(env: TestEnv) {
        let app = start(&env).await;
        let created = create_school(&app, "hill-valley").await;
        let token = created["tokens"]["access_token"].as_str().unwrap().to_owned();
        let enrol = app
            .client
            .post(app.url("/api/v1/me/2fa/enrol"))
            .bearer_auth(&token)
            .json(&json!({ "password": STRONG }))
            .send()
            .await
            .unwrap();
        assert_eq!(enrol.status(), 200);
        let secret = enrol.json::<Value>().await.unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let confirm = app
            .client
            .post(app.url("/api/v1/me/2fa/confirm"))
            .bearer_auth(&token)
            .json(&json!({ "code": code_at(&secret, 0) }))
            .send()
            .await
            .unwrap();
        assert_eq!(confirm.status(), 200);
        // A code no step of the accepted window gives.
        let valid: Vec<String> = [-60, -30, 0, 30, 60]
            .into_iter()
            .map(|offset| code_at(&secret, offset))
            .collect();
        let wrong = (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|code| !valid.contains(code))
            .unwrap();
        let attempts = (0..50).map(|_| {
            post(
                &app,
                "/api/v1/auth/login",
                json!({ "school": "hill-valley", "email": "admin@hill-valley.example",
                        "password": STRONG, "totp_code": wrong }),
            )
        });
        let answers = futures::future::join_all(attempts).await;
        let checked = answers.iter().filter(|(status, _)| *status == 401).count();
        let refused = answers.iter().filter(|(status, _)| *status == 429).count();
        assert_eq!(checked + refused, 50, "only 401 and 429: {answers:?}");
        assert!(checked <= 5, "{checked} codes were checked");
        assert!(checked >= 1, "the first attempts were checked");
        app.stop().await;
    }
}
