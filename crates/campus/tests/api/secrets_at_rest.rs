//! Secrets at rest: second-factor secrets, token-signing keys and waiting mail are stored
//! sealed with the installation's key, and rotating that key re-seals them at the next start.

use campus_platform::config::SecretText;
use campus_testkit::{
    each_storage,
    people::{call, School, PASSWORD},
    TestApp, TestEnv,
};
use reqwest::Method;
use serde_json::json;

use crate::identity::code_at;

const FIRST: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SECOND: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";
const LOST: &str = "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=";

/// The key fingerprint each stored secret is sealed with (`None`: stored in clear).
async fn sealed_with(app: &TestApp) -> Vec<Option<String>> {
    let db = app.db("identity").pool();
    let mut stored: Vec<(String,)> = sqlx::query_as("SELECT secret FROM totp_factors")
        .fetch_all(db)
        .await
        .unwrap();
    stored.extend(
        sqlx::query_as::<_, (String,)>("SELECT private_key FROM signing_keys")
            .fetch_all(db)
            .await
            .unwrap(),
    );
    stored
        .into_iter()
        .map(|(value,)| {
            value
                .strip_prefix("sealed:v1:")
                .map(|rest| rest.split(':').next().unwrap().to_owned())
        })
        .collect()
}

fn keys(env: &mut TestEnv, key: &str, previous: &[&str]) {
    env.config.secrets.key = Some(SecretText::new(key));
    env.config.secrets.previous_keys = previous.iter().map(|k| SecretText::new(*k)).collect();
}

each_storage! {
    async fn secrets_are_sealed_and_a_new_key_reseals_them_at_the_next_start(env: TestEnv) {
        let mut env = env;
        keys(&mut env, FIRST, &[]);
        let app = env.start(vec![campus_identity::context()]).await;
        let school = School::create(&app, "hill-valley").await;
        let (status, enrolment) = call(&app, Method::POST, "/api/v1/me/2fa/enrol",
            Some(&school.admin.token), Some(json!({ "password": PASSWORD }))).await;
        assert_eq!(status, 200);
        let secret = enrolment["secret"].as_str().unwrap().to_owned();
        let (status, _) = call(&app, Method::POST, "/api/v1/me/2fa/confirm", Some(&school.admin.token),
            Some(json!({ "code": code_at(&secret, 0) }))).await;
        assert_eq!(status, 200);
        let (stored,): (String,) = sqlx::query_as("SELECT secret FROM totp_factors")
            .fetch_one(app.db("identity").pool()).await.unwrap();
        assert!(!stored.contains(&secret), "the TOTP secret is not stored in clear");
        let first = sealed_with(&app).await;
        assert!(first.iter().all(Option::is_some), "{first:?}");
        let first_fingerprint = first[0].clone();
        app.stop().await;

        // A new key, the old one kept as previous: everything is re-sealed at start, and
        // signing in with the second factor and the old token still work.
        keys(&mut env, SECOND, &[FIRST]);
        let app = env.start(vec![campus_identity::context()]).await;
        let second = sealed_with(&app).await;
        assert!(second.iter().all(|f| f.is_some() && *f != first_fingerprint), "{second:?}");
        let sign_in = |code: String| {
            let app = &app;
            let slug = school.slug.clone();
            let email = school.admin.email.clone();
            async move {
                call(app, Method::POST, "/api/v1/auth/login", None,
                    Some(json!({ "school": slug, "email": email, "password": PASSWORD, "totp_code": code })))
                    .await.0
            }
        };
        assert_eq!(sign_in(code_at(&secret, 30)).await, 200);
        assert_eq!(call(&app, Method::GET, "/api/v1/me", Some(&school.admin.token), None).await.0, 200);
        app.stop().await;

        // The old key can go now.
        keys(&mut env, SECOND, &[]);
        let app = env.start(vec![campus_identity::context()]).await;
        assert_eq!(sealed_with(&app).await, second);
        app.stop().await;

        // A process given neither key refuses to start, and says why.
        keys(&mut env, LOST, &[]);
        let refused = campus_host::Application::build(env.config.clone(), vec![campus_identity::context()])
            .await
            .err()
            .expect("secrets sealed with an unknown key stop the start");
        assert!(format!("{refused:#}").contains("secrets.previous_keys"), "{refused:#}");
    }
}
