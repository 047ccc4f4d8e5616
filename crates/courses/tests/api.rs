//! Courses tested alone, through its API: identity does not run; a stand-in publishes the
//! people events identity would, and courses' people directory follows them. Runs on every
//! storage and bus backend.

// Test code fails loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use campus_contracts::identity::{Role, UserDeactivated, UserRegistered, UserRoleChanged};
use campus_testkit::{each_backend, eventually, people::call, stand_in, TestApp, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::json;

const SCHOOL: &str = "01HILLVALLEYHIGH0000000000";

/// Courses, with a stand-in for identity whose outbox carries the people events.
async fn start(env: &TestEnv) -> TestApp {
    env.start(vec![campus_courses::context(), stand_in("identity")])
        .await
}

/// Identity announces a new person of the school, as it would on registration.
async fn register(app: &TestApp, user_id: &str, name: &str, role: Role) {
    let person = UserRegistered {
        user_id: user_id.to_owned(),
        school_id: SCHOOL.to_owned(),
        email: format!("{}@hill-valley.example", name.to_lowercase()),
        display_name: name.to_owned(),
        role,
        address_trusted: true,
    };
    app.publish(SCHOOL, &person).await;
}

/// Waits until courses' directory has heard of `count` active people of the school.
async fn known_to_courses(app: &TestApp, count: i64) {
    eventually(Duration::from_secs(20), "people reach courses", || async {
        let (known,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM people WHERE school_id = $1 AND status = 'active'",
        )
        .bind(SCHOOL)
        .fetch_one(app.db("courses").pool())
        .await
        .unwrap();
        (known >= count).then_some(())
    })
    .await;
}

async fn create_course(app: &TestApp, token: &str) -> StatusCode {
    let course = json!({ "title": "Biology" });
    let (status, _) = call(
        app,
        Method::POST,
        "/api/v1/courses",
        Some(token),
        Some(course),
    )
    .await;
    status
}

each_backend! {
    /// Who may build courses is what identity last announced, not what a still-valid access
    /// token says: a demoted teacher is refused at once, a deactivated student shut out.
    async fn people_announced_by_identity_decide_who_builds_courses(env: TestEnv) {
        let app = start(&env).await;
        let (tess, marty) = ("01TESSTEACHER0000000000000", "01MARTYSTUDENT000000000000");
        register(&app, tess, "Tess", Role::Teacher).await;
        register(&app, marty, "Marty", Role::Student).await;
        known_to_courses(&app, 2).await;
        let teacher = app.token_for(tess, Role::Teacher, SCHOOL);
        let student = app.token_for(marty, Role::Student, SCHOOL);

        assert_eq!(create_course(&app, &teacher).await, 201);
        assert_eq!(create_course(&app, &student).await, 403);

        let demotion = UserRoleChanged {
            user_id: tess.to_owned(),
            school_id: SCHOOL.to_owned(),
            old_role: Role::Teacher,
            new_role: Role::Student,
        };
        app.publish(SCHOOL, &demotion).await;
        // The token still says teacher; courses has heard otherwise.
        eventually(
            Duration::from_secs(20),
            "the demotion reaches courses",
            || async { (create_course(&app, &teacher).await == 403).then_some(()) },
        )
        .await;

        let (status, _) = call(&app, Method::GET, "/api/v1/courses", Some(&student), None).await;
        assert_eq!(status, 200);
        let deactivation = UserDeactivated {
            user_id: marty.to_owned(),
            school_id: SCHOOL.to_owned(),
        };
        app.publish(SCHOOL, &deactivation).await;
        eventually(
            Duration::from_secs(20),
            "the deactivation reaches courses",
            || async {
                let (status, _) =
                    call(&app, Method::GET, "/api/v1/courses", Some(&student), None).await;
                (status == 401).then_some(())
            },
        )
        .await;
        assert_eq!(create_course(&app, &student).await, 401);

        app.stop().await;
    }
}
