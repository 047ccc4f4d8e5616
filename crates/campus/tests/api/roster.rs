//! Bringing a school's people in: CSV and OneRoster imports that write everything or nothing,
//! and emailed invitations to choose a password.

use campus_testkit::{
    each_storage,
    people::{call, mailed_token, mailed_token_about, School, PASSWORD},
    TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn import(app: &TestApp, token: &str, csv: &str, dry_run: bool) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/users/import?dry_run={dry_run}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn people_count(app: &TestApp, school: &School) -> usize {
    let (_, page) = call(
        app,
        Method::GET,
        "/api/v1/users?limit=200",
        Some(&school.admin.token),
        None,
    )
    .await;
    page["items"].as_array().unwrap().len()
}

async fn login(app: &TestApp, school: &str, email: &str, password: &str) -> StatusCode {
    call(
        app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "school": school, "email": email, "password": password })),
    )
    .await
    .0
}

const ONEROSTER: &str = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n\
u1,active,2026-09-01,true,org1,student,marty,,Marty,McFly,,,marty@hill-valley.example,,,,11,\n\
u2,active,2026-09-01,true,org1,teacher,brown,,Emmett,Brown,,,brown@hill-valley.example,,,,,Flux capacitor 1.21 gigawatts\n\
u3,active,2026-09-01,true,org1,student,jennifer,,Jennifer,Parker,,,jennifer@hill-valley.example,,,,11,\n\
u4,tobedeleted,2026-09-01,true,org1,student,biff,,Biff,Tannen,,,biff@hill-valley.example,,,,12,\n\
u5,active,2026-09-01,true,org1,guardian,george,,George,McFly,,,george@hill-valley.example,,,,,\n";

each_storage! {
    async fn a_roster_imports_whole_or_not_at_all_and_invites_who_has_no_password(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let school = School::create(&app, "hill-valley").await;
        let before = people_count(&app, &school).await;

        // Bad rows: every one reported by its line, and nothing written.
        let bad = "email,display_name,role\n\
                   ok@hill-valley.example,Okay,student\n\
                   not-an-email,Nobody,student\n\
                   wizard@hill-valley.example,Merlin,wizard\n\
                   ok@hill-valley.example,Again,student\n";
        let (status, problem) = import(&app, &school.admin.token, bad, false).await;
        assert_eq!(status, 422, "{problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["lines[4].role"],
            "the file's shape is checked first"
        );
        let bad = bad.replace("wizard", "student");
        let (status, problem) = import(&app, &school.admin.token, &bad, false).await;
        assert_eq!(status, 422, "{problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["lines[3].email", "lines[5].email"], "{problem}");
        assert_eq!(
            people_count(&app, &school).await,
            before,
            "nothing half-imported"
        );

        // A dry run reports and writes nothing.
        let (status, report) = import(&app, &school.admin.token, ONEROSTER, true).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["imported"], 3);
        assert_eq!(report["invited"], 2);
        assert_eq!(people_count(&app, &school).await, before);

        // The real import: the teacher with a password signs in at once; the students are
        // invited; the inactive and the guardian rows are skipped.
        let (status, report) = import(&app, &school.admin.token, ONEROSTER, false).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(
            (report["imported"].clone(), report["invited"].clone()),
            (json!(3), json!(2))
        );
        let reasons: Vec<&str> = report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["reason"].as_str().unwrap())
            .collect();
        assert_eq!(reasons, ["inactive", "unsupported_role"]);
        assert_eq!(people_count(&app, &school).await, before + 3);
        assert_eq!(
            login(
                &app,
                "hill-valley",
                "brown@hill-valley.example",
                "Flux capacitor 1.21 gigawatts"
            )
            .await,
            200
        );
        // Not before choosing a password, and the answer is the usual one.
        let (status, refused) = call(&app, Method::POST, "/api/v1/auth/login", None,
            Some(json!({ "school": "hill-valley", "email": "marty@hill-valley.example", "password": PASSWORD }))).await;
        assert_eq!(
            (status, refused["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );

        let token = mailed_token(
            &env,
            Some("marty@hill-valley.example"),
            "/accept-invitation",
        )
        .await
        .expect("Marty was invited by email");
        let accept = json!({ "token": token, "password": PASSWORD });
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/v1/auth/invitation/accept",
            None,
            Some(accept.clone()),
        )
        .await;
        assert_eq!(status, 204);
        assert_eq!(
            login(&app, "hill-valley", "marty@hill-valley.example", PASSWORD).await,
            200
        );
        let (status, problem) = call(
            &app,
            Method::POST,
            "/api/v1/auth/invitation/accept",
            None,
            Some(accept),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_token")),
            "an invitation works once"
        );

        // The same roster next term: everyone is already there.
        let (status, report) = import(&app, &school.admin.token, ONEROSTER, false).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["imported"], 0);
        assert_eq!(report["skipped"].as_array().unwrap().len(), 5);

        // The import is audited and each person announced.
        let (_, audit) = call(
            &app,
            Method::GET,
            "/api/v1/audit?action=users.imported",
            Some(&school.admin.token),
            None,
        )
        .await;
        let detail: Value =
            serde_json::from_str(audit["items"][0]["detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["imported"], 3, "{audit}");
        let (announced,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE event_type = 'campus.identity.user_registered.v1'",
        )
        .fetch_one(app.db("identity").pool())
        .await
        .unwrap();
        assert_eq!(announced, 4, "the admin and the three imported");

        app.stop().await;
    }
}

each_storage! {
    async fn admins_invite_people_and_no_one_else_imports_or_invites(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = school.add(&app, "teacher", "Tess").await;
        let other = School::create(&app, "shelbyville").await;

        let invite = json!({ "email": "Lorraine@hill-valley.example", "display_name": "Lorraine", "role": "teacher" });
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/v1/users/invitations",
            Some(&teacher.token),
            Some(invite.clone()),
        )
        .await;
        assert_eq!(status, 403);
        let (status, _) = import(&app, &teacher.token, ONEROSTER, false).await;
        assert_eq!(status, 403);
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/v1/users/invitations",
            None,
            Some(invite.clone()),
        )
        .await;
        assert_eq!(status, 401);

        let (status, person) = call(
            &app,
            Method::POST,
            "/api/v1/users/invitations",
            Some(&school.admin.token),
            Some(invite.clone()),
        )
        .await;
        assert_eq!(status, 201, "{person}");
        assert_eq!(person["email"], "lorraine@hill-valley.example");
        assert_eq!(person["role"], "teacher");
        let (status, problem) = call(
            &app,
            Method::POST,
            "/api/v1/users/invitations",
            Some(&school.admin.token),
            Some(invite.clone()),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::CONFLICT, Some("email_taken"))
        );
        let (status, problem) = call(
            &app,
            Method::POST,
            "/api/v1/users/invitations",
            Some(&school.admin.token),
            Some(json!({ "email": "nope", "display_name": "", "role": "student" })),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["email", "display_name"]);

        // Another school's admin invites into their own school only.
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/v1/users/invitations",
            Some(&other.admin.token),
            Some(invite),
        )
        .await;
        assert_eq!(status, 201, "the same email is free in another school");
        // Shelbyville's invitation (the two were written too close together for the files'
        // times to tell which came last).
        let token = mailed_token_about(
            &env,
            Some("lorraine@hill-valley.example"),
            "/accept-invitation",
            "school `shelbyville`",
        )
        .await
        .unwrap();
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/v1/auth/invitation/accept",
            None,
            Some(json!({ "token": token, "password": PASSWORD })),
        )
        .await;
        assert_eq!(status, 204);
        assert_eq!(
            login(
                &app,
                "hill-valley",
                "lorraine@hill-valley.example",
                PASSWORD
            )
            .await,
            401,
            "Hill Valley's invitation is still open"
        );
        assert_eq!(
            login(
                &app,
                "shelbyville",
                "lorraine@hill-valley.example",
                PASSWORD
            )
            .await,
            200
        );

        app.stop().await;
    }
}

/// Registers `email` at the school as a student who got the join code, without confirming
/// the address.
async fn register_self(app: &TestApp, school: &School, email: &str) {
    let (_, settings) = call(
        app,
        Method::GET,
        "/api/v1/school",
        Some(&school.admin.token),
        None,
    )
    .await;
    let (status, body) = call(
        app,
        Method::POST,
        "/api/v1/auth/register",
        None,
        Some(
            json!({ "school": school.slug, "email": email, "password": PASSWORD,
                      "display_name": "Not Marty", "join_code": settings["join_code"] }),
        ),
    )
    .await;
    assert_eq!(status, 202, "{body}");
}

/// The user id the school's directory gives `email`.
async fn user_id_of(app: &TestApp, school: &School, email: &str) -> String {
    let (_, page) = call(
        app,
        Method::GET,
        "/api/v1/users?limit=200",
        Some(&school.admin.token),
        None,
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == email)
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .unwrap()
}

each_storage! {
    async fn whoever_registers_an_address_first_does_not_become_its_owner(env: TestEnv) {
        let app = env
            .start(vec![campus_identity::context(), campus_courses::context()])
            .await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = school.add(&app, "teacher", "Brown").await;
        // Someone with the join code registers Marty's address before the school imports him.
        register_self(&app, &school, "marty@hill-valley.example").await;
        register_self(&app, &school, "lorraine@hill-valley.example").await;

        // The import does not take that account for Marty: it reports the row.
        let csv = "email,display_name,role\n\
                   marty@hill-valley.example,Marty McFly,student\n\
                   jennifer@hill-valley.example,Jennifer Parker,student\n";
        let (status, report) = import(&app, &school.admin.token, csv, false).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["imported"], 1);
        assert_eq!(
            report["skipped"],
            json!([{ "line": 2, "email": "marty@hill-valley.example", "reason": "unconfirmed" }])
        );

        // A course roster does not find the account by that address, only by its id.
        let (status, course) = call(
            &app,
            Method::POST,
            "/api/v1/courses",
            Some(&teacher.token),
            Some(json!({ "title": "Physics", "subject": "Science" })),
        )
        .await;
        assert_eq!(status, 201, "{course}");
        let roster = format!("/api/v1/courses/{}/roster", course["id"].as_str().unwrap());
        let everyone_heard_of = || async {
            let (known,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people WHERE school_id = $1")
                .bind(&school.id)
                .fetch_one(app.db("courses").pool())
                .await
                .unwrap();
            (known >= 5).then_some(())
        };
        campus_testkit::eventually(std::time::Duration::from_secs(20), "people reach courses", everyone_heard_of).await;
        let by_email = json!({ "people": ["marty@hill-valley.example", "jennifer@hill-valley.example"] });
        let (status, problem) = call(&app, Method::POST, &roster, Some(&teacher.token), Some(by_email)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(
            problem["errors"],
            json!([{ "field": "people[0]", "code": "unconfirmed_address",
                     "message": problem["errors"][0]["message"] }]),
            "only the unconfirmed entry is refused"
        );
        let marty_id = user_id_of(&app, &school, "marty@hill-valley.example").await;
        let (status, result) = call(&app, Method::POST, &roster, Some(&teacher.token),
            Some(json!({ "people": [marty_id] }))).await;
        assert_eq!((status, &result["enrolled"]), (StatusCode::OK, &json!(1)), "{result}");

        // Once the owner confirms the address by the emailed link, the address finds them.
        let token = mailed_token(&env, Some("lorraine@hill-valley.example"), "/verify-email")
            .await
            .expect("a verification link was mailed");
        let (status, _) = call(&app, Method::POST, "/api/v1/auth/verify-email", None,
            Some(json!({ "token": token }))).await;
        assert_eq!(status, 204);
        let lorraine = json!({ "people": ["lorraine@hill-valley.example"] });
        let result = campus_testkit::eventually(std::time::Duration::from_secs(20), "the confirmation reaches courses", || async {
            let (status, result) = call(&app, Method::POST, &roster, Some(&teacher.token), Some(lorraine.clone())).await;
            (status == StatusCode::OK).then_some(result)
        })
        .await;
        assert_eq!(result["enrolled"], 1);
        app.stop().await;
    }
}

each_storage! {
    async fn roster_fields_have_the_profiles_limits(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let school = School::create(&app, "hill-valley").await;
        let csv = format!(
            "email,display_name,role,grade_level\n\
             marty@hill-valley.example,Marty McFly,student,{}\n\
             jennifer@hill-valley.example,Jennifer Parker,student,{}\n",
            "9".repeat(41),
            "9".repeat(40)
        );
        let (status, problem) = import(&app, &school.admin.token, &csv, false).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "lines[2].grade_level", "{problem}");
        assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");
        app.stop().await;
    }
}
