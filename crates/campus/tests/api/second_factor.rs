//! Who may change an account's second factor, and how its owner hears of every change: the
//! owner with their password (and a code to turn it off, under the sign-in lockout), a school
//! admin by resetting it (audited, ending every session), and never silently.

use campus_testkit::{
    each_storage,
    people::{call, mailed_texts, mailed_token, Person, School, PASSWORD},
    TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::identity::code_at;

/// Turns on a second factor for `person`; returns its secret.
pub(crate) async fn enrol(app: &TestApp, person: &Person) -> String {
    let (status, enrolment) = call(
        app,
        Method::POST,
        "/api/v1/me/2fa/enrol",
        Some(&person.token),
        Some(json!({ "password": PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let (status, confirmed) = call(
        app,
        Method::POST,
        "/api/v1/me/2fa/confirm",
        Some(&person.token),
        Some(json!({ "code": code_at(&secret, 0) })),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    secret
}

/// How many messages about changed sign-in settings `to` has been sent.
async fn notices(env: &TestEnv, to: &str, count: usize) -> Vec<String> {
    for _ in 0..100 {
        let found: Vec<String> = mailed_texts(env, Some(to))
            .into_iter()
            .filter(|text| text.contains("sign-in settings changed"))
            .collect();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{to} was not sent {count} notices");
}

async fn sign_in(
    app: &TestApp,
    school: &School,
    email: &str,
    code: Option<String>,
) -> (StatusCode, Value) {
    call(app, Method::POST, "/api/v1/auth/login", None,
        Some(json!({ "school": school.slug, "email": email, "password": PASSWORD, "totp_code": code }))).await
}

each_storage! {
    async fn wrong_codes_to_turn_the_second_factor_off_count_towards_the_lockout(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let school = School::create(&app, "hill-valley").await;
        let biff = school.add(&app, "student", "Biff").await;
        let secret = enrol(&app, &biff).await;
        notices(&env, &biff.email, 1).await;
        for _ in 0..5 {
            let (status, _) = call(&app, Method::POST, "/api/v1/me/2fa/disable", Some(&biff.token),
                Some(json!({ "password": PASSWORD, "code": "not-a-code" }))).await;
            assert_eq!(status, 401);
        }
        // The account is locked, here and at sign-in alike, even with the right code.
        let right = json!({ "password": PASSWORD, "code": code_at(&secret, 30) });
        let (status, _) = call(&app, Method::POST, "/api/v1/me/2fa/disable", Some(&biff.token),
            Some(right)).await;
        assert_eq!(status, 429);
        assert_eq!(sign_in(&app, &school, &biff.email, Some(code_at(&secret, 30))).await.0, 429);
        // Enrolling again with a wrong password is no way around it either.
        let (status, _) = call(&app, Method::POST, "/api/v1/me/2fa/enrol", Some(&biff.token),
            Some(json!({ "password": "not it at all, no" }))).await;
        assert!(status == 409 || status == 429, "{status}");
        app.stop().await;
    }
}

each_storage! {
    async fn an_admin_resets_a_second_factor_and_its_owner_is_told(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let school = School::create(&app, "hill-valley").await;
        let other = School::create(&app, "shelbyville").await;
        let marty = school.add(&app, "student", "Marty").await;
        let teacher = school.add(&app, "teacher", "Brown").await;
        let secret = enrol(&app, &marty).await;
        let reset = format!("/api/v1/users/{}/2fa/reset", marty.id);

        // A password reset keeps the factor, and the owner is told it is still there.
        call(&app, Method::POST, "/api/v1/auth/password-reset", None,
            Some(json!({ "school": school.slug, "email": marty.email }))).await;
        let link = mailed_token(&env, Some(&marty.email), "/reset-password").await.unwrap();
        let (status, _) = call(&app, Method::POST, "/api/v1/auth/password-reset/confirm", None,
            Some(json!({ "token": link, "password": PASSWORD }))).await;
        assert_eq!(status, 204);
        let told = notices(&env, &marty.email, 2).await;
        assert!(told[0].contains("still has a second factor"), "{}", told[0]);
        assert_eq!(sign_in(&app, &school, &marty.email, None).await.1["code"], "second_factor_required");

        // Only the school's admin resets it.
        let (status, _) = call(&app, Method::POST, &reset, Some(&teacher.token), None).await;
        assert_eq!(status, 403, "a teacher");
        let (status, _) = call(&app, Method::POST, &reset, Some(&other.admin.token), None).await;
        assert_eq!(status, 404, "another school's admin");
        let own = format!("/api/v1/users/{}/2fa/reset", school.admin.id);
        let (status, _) = call(&app, Method::POST, &own, Some(&school.admin.token), None).await;
        assert_eq!(status, 403, "not one's own");
        assert_eq!(sign_in(&app, &school, &marty.email, None).await.1["code"], "second_factor_required");

        let fresh = sign_in(&app, &school, &marty.email, Some(code_at(&secret, 30))).await.1;
        let (status, _) = call(&app, Method::POST, &reset, Some(&school.admin.token), None).await;
        assert_eq!(status, 204);
        let (status, _) = call(&app, Method::POST, &reset, Some(&school.admin.token), None).await;
        assert_eq!(status, 409, "nothing left to reset");
        // Every session ended; the password alone signs in now; the owner was told; it is audited.
        let token = fresh["access_token"].as_str().unwrap();
        assert_eq!(call(&app, Method::GET, "/api/v1/me", Some(token), None).await.0, 401);
        assert_eq!(sign_in(&app, &school, &marty.email, None).await.0, 200);
        let told = notices(&env, &marty.email, 3).await;
        assert!(told[0].contains("administrator of your school removed"), "{}", told[0]);
        let (_, log) = call(&app, Method::GET, "/api/v1/audit?action=two_factor.reset",
            Some(&school.admin.token), None).await;
        let entry = &log["items"][0];
        assert_eq!((&entry["actor_id"], &entry["target"]), (&json!(school.admin.id), &json!(marty.id)), "{log}");
        app.stop().await;
    }
}
