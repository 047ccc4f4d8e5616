//! Running a school through the API: people, roles, deactivation, settings, audit — and that
//! none of it reaches another school or a lower role.

use campus_testkit::{each_storage, TestApp, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const STRONG: &str = "correct horse battery staple";

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

struct School {
    admin: String,
    id: String,
}

async fn school(app: &TestApp, slug: &str) -> School {
    let response = app
        .client
        .post(app.url("/api/v1/schools"))
        .json(
            &json!({ "slug": slug, "name": slug, "admin_email": format!("admin@{slug}.example"),
                       "admin_password": STRONG, "admin_name": "Admin" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    School {
        admin: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
        id: body["school"]["id"].as_str().unwrap().to_owned(),
    }
}

async fn login(app: &TestApp, school: &str, email: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "school": school, "email": email, "password": STRONG }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

each_storage! {
    async fn admins_manage_their_schools_people_and_only_theirs(env: TestEnv) {
        let backend = env.backend.clone();
        let app = env.start(vec![campus_identity::context()]).await;
        let hill = school(&app, "hill-valley").await;
        let other = school(&app, "shelbyville").await;

        let (status, teacher) = call(&app, Method::POST, "/api/v1/users", &hill.admin, Some(json!({
            "email": "brown@hill.example", "display_name": "Emmett Brown", "role": "teacher", "password": STRONG }))).await;
        assert_eq!(status, 201, "{teacher}");
        let teacher_id = teacher["id"].as_str().unwrap().to_owned();
        let (_, student) = call(&app, Method::POST, "/api/v1/users", &hill.admin, Some(json!({
            "email": "marty@hill.example", "display_name": "Marty", "role": "student", "password": STRONG }))).await;
        let student_id = student["id"].as_str().unwrap().to_owned();
        let (status, _) = call(&app, Method::POST, "/api/v1/users", &hill.admin, Some(json!({
            "email": "god@hill.example", "display_name": "God", "role": "super_admin", "password": STRONG }))).await;
        assert_eq!(status, 403, "admins cannot mint super admins");

        let teacher_token = login(&app, "hill-valley", "brown@hill.example").await.1
            ["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let student_token = login(&app, "hill-valley", "marty@hill.example").await.1
            ["access_token"]
            .as_str()
            .unwrap()
            .to_owned();

        // Lower roles are refused everywhere.
        let admin_routes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, "/api/v1/users".into(), None),
            (
                Method::POST,
                "/api/v1/users".into(),
                Some(
                    json!({ "email": "x@hill.example", "display_name": "X", "role": "student", "password": STRONG }),
                ),
            ),
            (Method::GET, format!("/api/v1/users/{student_id}"), None),
            (
                Method::PUT,
                format!("/api/v1/users/{student_id}/role"),
                Some(json!({ "role": "school_admin" })),
            ),
            (
                Method::POST,
                format!("/api/v1/users/{student_id}/deactivate"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/users/{student_id}/reactivate"),
                None,
            ),
            (
                Method::PATCH,
                "/api/v1/school".into(),
                Some(json!({ "registration": "open" })),
            ),
            (Method::POST, "/api/v1/school/join-code".into(), None),
            (Method::GET, "/api/v1/audit".into(), None),
            (
                Method::POST,
                "/api/v1/users/import".into(),
                Some(json!("email,display_name,role\nx@hill.example,X,student\n")),
            ),
            (
                Method::POST,
                "/api/v1/users/invitations".into(),
                Some(json!({ "email": "y@hill.example", "display_name": "Y", "role": "student" })),
            ),
            (Method::GET, "/api/v1/schools".into(), None),
        ];
        for token in [&teacher_token, &student_token] {
            for (method, path, body) in &admin_routes {
                let (status, _) = call(&app, method.clone(), path, token, body.clone()).await;
                assert_eq!(status, 403, "{backend}: {method} {path}");
            }
        }
        for (method, path, body) in &admin_routes {
            let (status, _) = call(&app, method.clone(), path, "", body.clone()).await;
            assert_eq!(status, 401, "{backend}: {method} {path} without a token");
        }

        // Another school's admin sees none of it: ids answer 404, lists hold their own only.
        for (method, path, body) in admin_routes
            .iter()
            .filter(|(_, p, _)| p.contains(&student_id))
        {
            let (status, _) = call(&app, method.clone(), path, &other.admin, body.clone()).await;
            assert_eq!(
                status, 404,
                "{backend}: {method} {path} from another school"
            );
        }
        let (_, listed) = call(&app, Method::GET, "/api/v1/users", &other.admin, None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed["items"][0]["school_id"], other.id.as_str());

        // Listing, searching, paging.
        let (_, page) = call(
            &app,
            Method::GET,
            "/api/v1/users?limit=2",
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let cursor = page["next_cursor"].as_str().unwrap();
        let (_, rest) = call(
            &app,
            Method::GET,
            &format!("/api/v1/users?limit=2&cursor={cursor}"),
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 1);
        assert!(rest["next_cursor"].is_null());
        let (_, found) = call(
            &app,
            Method::GET,
            "/api/v1/users?q=EMMETT",
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(found["items"][0]["id"], teacher_id.as_str());
        let (_, found) = call(&app, Method::GET, "/api/v1/users?q=%25", &hill.admin, None).await;
        assert_eq!(
            found["items"].as_array().unwrap().len(),
            0,
            "% is taken literally"
        );
        let (_, students) = call(
            &app,
            Method::GET,
            "/api/v1/users?role=student",
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(students["items"].as_array().unwrap().len(), 1);
        let (status, _) = call(
            &app,
            Method::GET,
            "/api/v1/users?limit=0",
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(status, 422);

        // Roles: never one's own, never super admin; a change is announced and audited.
        let admin_id = call(&app, Method::GET, "/api/v1/me", &hill.admin, None)
            .await
            .1["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{admin_id}/role"),
            &hill.admin,
            Some(json!({ "role": "student" })),
        )
        .await;
        assert_eq!(status, 403);
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{student_id}/role"),
            &hill.admin,
            Some(json!({ "role": "super_admin" })),
        )
        .await;
        assert_eq!(status, 403);
        let (status, changed) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{student_id}/role"),
            &hill.admin,
            Some(json!({ "role": "teacher" })),
        )
        .await;
        assert_eq!(
            (status.as_u16(), changed["role"].as_str()),
            (200, Some("teacher"))
        );
        let (_, relogin) = login(&app, "hill-valley", "marty@hill.example").await;
        let claims = decode_claims(relogin["access_token"].as_str().unwrap());
        assert_eq!(
            claims["role"], "teacher",
            "the next token carries the new role"
        );

        // Deactivation: sign-in, refresh and existing tokens stop working; reactivation restores sign-in.
        let marty_refresh = relogin["refresh_token"].clone();
        let marty_access = relogin["access_token"].as_str().unwrap().to_owned();
        let (status, _) = call(
            &app,
            Method::POST,
            &format!("/api/v1/users/{student_id}/deactivate"),
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            call(&app, Method::GET, "/api/v1/me", &marty_access, None)
                .await
                .0,
            401
        );
        assert_eq!(
            login(&app, "hill-valley", "marty@hill.example").await.0,
            401
        );
        let response = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({ "refresh_token": marty_refresh }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let (status, _) = call(
            &app,
            Method::POST,
            &format!("/api/v1/users/{admin_id}/deactivate"),
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(status, 403, "no one deactivates themselves");
        let (status, _) = call(
            &app,
            Method::POST,
            &format!("/api/v1/users/{student_id}/reactivate"),
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            login(&app, "hill-valley", "marty@hill.example").await.0,
            200
        );

        let types: Vec<(String,)> = sqlx::query_as("SELECT event_type FROM outbox WHERE event_type LIKE 'campus.identity.user_%' ORDER BY id")
            .fetch_all(app.db("identity").pool()).await.unwrap();
        let types: Vec<&str> = types.iter().map(|(t,)| t.as_str()).collect();
        for expected in [
            "campus.identity.user_role_changed.v1",
            "campus.identity.user_deactivated.v1",
            "campus.identity.user_reactivated.v1",
        ] {
            assert!(types.contains(&expected), "{types:?}");
        }

        // The audit log, filtered, scoped to the school.
        let (_, audit) = call(&app, Method::GET, "/api/v1/audit", &hill.admin, None).await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "school.created",
                "user.created",
                "user.created",
                "user.role_changed",
                "user.deactivated",
                "user.reactivated"
            ]
        );
        let (_, filtered) = call(
            &app,
            Method::GET,
            "/api/v1/audit?action=user.deactivated",
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(filtered["items"][0]["target"], student_id.as_str());
        let (_, others) = call(&app, Method::GET, "/api/v1/audit", &other.admin, None).await;
        let others: Vec<&str> = others["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(others, ["school.created"], "only its own creation");
        app.stop().await;
    }
}

each_storage! {
    async fn registration_follows_the_schools_mode_and_join_code(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let hill = school(&app, "hill-valley").await;
        let register = |email: &'static str, code: Option<String>| {
            let app = &app;
            async move {
                app.client.post(app.url("/api/v1/auth/register"))
                .json(&json!({ "school": "hill-valley", "email": email, "password": STRONG, "display_name": "Biff", "join_code": code }))
                .send().await.unwrap().status()
            }
        };
        // A new school asks for its join code: nobody joins it just by knowing its name.
        let (_, settings) = call(&app, Method::GET, "/api/v1/school", &hill.admin, None).await;
        assert_eq!(settings["registration"], "code");
        let (_, settings) = call(
            &app,
            Method::PATCH,
            "/api/v1/school",
            &hill.admin,
            Some(json!({ "registration": "code" })),
        )
        .await;
        assert_eq!(settings["registration"], "code");
        let code = settings["join_code"].as_str().unwrap().to_owned();
        assert_eq!(register("a@hill.example", None).await, 403);
        assert_eq!(register("a@hill.example", Some("WRONG".into())).await, 403);
        assert_eq!(register("a@hill.example", Some(code.clone())).await, 202);

        // Members see the school but not its code.
        let student = login(&app, "hill-valley", "a@hill.example").await.1["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, seen) = call(&app, Method::GET, "/api/v1/school", &student, None).await;
        assert_eq!(seen["slug"], "hill-valley");
        assert!(seen["join_code"].is_null());

        let (_, rotated) = call(
            &app,
            Method::POST,
            "/api/v1/school/join-code",
            &hill.admin,
            None,
        )
        .await;
        let fresh = rotated["join_code"].as_str().unwrap().to_owned();
        assert_ne!(fresh, code);
        assert_eq!(
            register("b@hill.example", Some(code)).await,
            403,
            "the old code stopped working"
        );
        assert_eq!(register("b@hill.example", Some(fresh)).await, 202);

        call(
            &app,
            Method::PATCH,
            "/api/v1/school",
            &hill.admin,
            Some(json!({ "registration": "invite" })),
        )
        .await;
        assert_eq!(register("c@hill.example", None).await, 403);
        let (status, _) = call(
            &app,
            Method::PATCH,
            "/api/v1/school",
            &hill.admin,
            Some(json!({ "registration": "anyone" })),
        )
        .await;
        assert_eq!(status, 422);

        // The school's time zone: checked, kept, and announced to the other contexts.
        assert_eq!(seen["time_zone"], "UTC", "the default");
        let (status, refused) = call(
            &app,
            Method::PATCH,
            "/api/v1/school",
            &hill.admin,
            Some(json!({ "time_zone": "Mars/Olympus_Mons" })),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(refused["errors"][0]["code"], "unknown_time_zone");
        let (status, moved) = call(
            &app,
            Method::PATCH,
            "/api/v1/school",
            &hill.admin,
            Some(json!({ "time_zone": "europe/madrid" })),
        )
        .await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["time_zone"], "Europe/Madrid");
        let (_, me) = call(&app, Method::GET, "/api/v1/me", &student, None).await;
        assert_eq!(me["school_time_zone"], "Europe/Madrid");
        let announced: Vec<(String,)> = sqlx::query_as(
            "SELECT envelope FROM outbox WHERE event_type = 'campus.identity.school_updated.v1'",
        )
        .fetch_all(app.db("identity").pool())
        .await
        .unwrap();
        assert_eq!(announced.len(), 1);
        assert!(announced[0].0.contains("Europe/Madrid"));
        app.stop().await;
    }
}

fn decode_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

each_storage! {
    async fn a_demoted_or_deactivated_admin_loses_admin_routes_at_once(env: TestEnv) {
        let app = env.start(vec![campus_identity::context()]).await;
        let hill = school(&app, "hill-valley").await;
        for email in ["second@hill.example", "third@hill.example"] {
            let (status, _) = call(&app, Method::POST, "/api/v1/users", &hill.admin, Some(json!({
            "email": email, "display_name": "Deputy", "role": "school_admin", "password": STRONG }))).await;
            assert_eq!(status, 201);
        }
        let second = login(&app, "hill-valley", "second@hill.example").await.1["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let third = login(&app, "hill-valley", "third@hill.example").await.1["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            call(&app, Method::GET, "/api/v1/users", &second, None)
                .await
                .0,
            200
        );
        let (_, people) = call(
            &app,
            Method::GET,
            "/api/v1/users?q=second",
            &hill.admin,
            None,
        )
        .await;
        let second_id = people["items"][0]["id"].as_str().unwrap().to_owned();
        let (_, people) = call(
            &app,
            Method::GET,
            "/api/v1/users?q=third",
            &hill.admin,
            None,
        )
        .await;
        let third_id = people["items"][0]["id"].as_str().unwrap().to_owned();

        call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{second_id}/role"),
            &hill.admin,
            Some(json!({ "role": "teacher" })),
        )
        .await;
        assert_eq!(
            call(&app, Method::GET, "/api/v1/users", &second, None)
                .await
                .0,
            403,
            "the old token's role no longer counts"
        );
        call(
            &app,
            Method::POST,
            &format!("/api/v1/users/{third_id}/deactivate"),
            &hill.admin,
            None,
        )
        .await;
        assert_eq!(
            call(&app, Method::GET, "/api/v1/users", &third, None)
                .await
                .0,
            401
        );
        app.stop().await;
    }
}

each_storage! {
    async fn super_admins_act_in_any_school_by_naming_it(env: TestEnv) {
        campus::admin::create_user(
            &env.config,
            None,
            "ops@campus.example",
            "Operator",
            campus_platform::auth::Role::SuperAdmin,
            STRONG,
        )
        .await
        .unwrap();
        let app = env.start(vec![campus_identity::context()]).await;
        let hill = school(&app, "hill-valley").await;
        let other = school(&app, "shelbyville").await;
        let (status, ops) = login(&app, "platform", "ops@campus.example").await;
        assert_eq!(status, 200, "{ops}");
        let ops_id = ops["access_token"].as_str().unwrap().to_owned();
        let ops = ops_id.as_str();

        // The platform's schools, for super admins only.
        let (status, schools) = call(&app, Method::GET, "/api/v1/schools?q=hill", ops, None).await;
        assert_eq!(status, 200, "{schools}");
        assert_eq!(schools["items"].as_array().unwrap().len(), 1);
        assert_eq!(schools["items"][0]["slug"], "hill-valley");
        assert_eq!(schools["items"][0]["people"], 1);
        let (status, _) = call(&app, Method::GET, "/api/v1/schools", &hill.admin, None).await;
        assert_eq!(status, 403, "a school admin does not list schools");

        // People, roles and status in a named school; the school is where they land.
        let (status, teacher) = call(&app, Method::POST, "/api/v1/users?school=hill-valley", ops, Some(json!({
            "email": "brown@hill.example", "display_name": "Emmett Brown", "role": "teacher", "password": STRONG }))).await;
        assert_eq!(status, 201, "{teacher}");
        assert_eq!(teacher["school_id"], hill.id.as_str());
        let teacher_id = teacher["id"].as_str().unwrap().to_owned();
        assert_eq!(
            login(&app, "hill-valley", "brown@hill.example").await.0,
            200
        );
        let (status, page) = call(
            &app,
            Method::GET,
            "/api/v1/users?school=Hill-Valley",
            ops,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
        let (_, own) = call(&app, Method::GET, "/api/v1/users", ops, None).await;
        assert_eq!(
            own["items"].as_array().unwrap().len(),
            1,
            "without ?school, the platform's own"
        );
        let path = format!("/api/v1/users/{teacher_id}/role?school=hill-valley");
        let (status, changed) = call(
            &app,
            Method::PUT,
            &path,
            ops,
            Some(json!({ "role": "school_admin" })),
        )
        .await;
        assert_eq!(
            (status, changed["role"].clone()),
            (StatusCode::OK, json!("school_admin"))
        );
        let path = format!("/api/v1/users/{teacher_id}/deactivate?school=hill-valley");
        assert_eq!(call(&app, Method::POST, &path, ops, None).await.0, 200);
        assert_eq!(
            login(&app, "hill-valley", "brown@hill.example").await.0,
            401
        );
        let path = format!("/api/v1/users/{teacher_id}/reactivate?school=hill-valley");
        assert_eq!(call(&app, Method::POST, &path, ops, None).await.0, 200);
        // The id belongs to Hill Valley: named with another school it does not exist.
        let path = format!("/api/v1/users/{teacher_id}?school=shelbyville");
        assert_eq!(call(&app, Method::GET, &path, ops, None).await.0, 404);
        assert_eq!(
            call(&app, Method::GET, "/api/v1/users?school=nowhere", ops, None)
                .await
                .0,
            404
        );

        // Settings and the audit log, where the school's admins see what the operator did.
        let (status, settings) = call(
            &app,
            Method::PATCH,
            "/api/v1/school?school=hill-valley",
            ops,
            Some(json!({ "registration": "invite" })),
        )
        .await;
        assert_eq!(
            (status, settings["registration"].clone()),
            (StatusCode::OK, json!("invite"))
        );
        let (status, settings) = call(
            &app,
            Method::GET,
            "/api/v1/school?school=shelbyville",
            ops,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(settings["id"], other.id.as_str());
        assert!(settings["join_code"].is_string());
        let (status, log) = call(&app, Method::GET, "/api/v1/audit", &hill.admin, None).await;
        assert_eq!(status, 200);
        let operator_id = {
            let (_, me) = call(&app, Method::GET, "/api/v1/me", ops, None).await;
            me["id"].as_str().unwrap().to_owned()
        };
        let by_operator: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["actor_id"] == operator_id.as_str())
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            by_operator,
            [
                "user.created",
                "user.role_changed",
                "user.deactivated",
                "user.reactivated",
                "school.updated"
            ]
        );
        let (_, other_log) = call(
            &app,
            Method::GET,
            "/api/v1/audit?school=shelbyville",
            ops,
            None,
        )
        .await;
        let actions: Vec<&str> = other_log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["school.created"], "nothing of Hill Valley's");

        // Nobody else names another school: not its admin, nor anyone for reading.
        for (method, path) in [
            (Method::GET, "/api/v1/users?school=shelbyville"),
            (Method::POST, "/api/v1/school/join-code?school=shelbyville"),
            (Method::GET, "/api/v1/audit?school=shelbyville"),
            (Method::GET, "/api/v1/school?school=shelbyville"),
            (Method::PATCH, "/api/v1/school?school=shelbyville"),
        ] {
            let body = (method == Method::PATCH).then(|| json!({ "name": "Taken" }));
            let (status, problem) = call(&app, method.clone(), path, &hill.admin, body).await;
            assert_eq!(status, 403, "{method} {path}: {problem}");
        }
        let (_, student) = call(&app, Method::POST, "/api/v1/users", &hill.admin, Some(json!({
            "email": "marty@hill.example", "display_name": "Marty", "role": "student", "password": STRONG }))).await;
        assert_eq!(student["role"], "student");
        let (_, marty) = login(&app, "hill-valley", "marty@hill.example").await;
        let marty = marty["access_token"].as_str().unwrap();
        assert_eq!(
            call(
                &app,
                Method::GET,
                "/api/v1/school?school=shelbyville",
                marty,
                None
            )
            .await
            .0,
            403
        );
        assert_eq!(
            call(
                &app,
                Method::GET,
                "/api/v1/school?school=hill-valley",
                marty,
                None
            )
            .await
            .0,
            200
        );
        let (_, unchanged) = call(&app, Method::GET, "/api/v1/school", &other.admin, None).await;
        assert_eq!(unchanged["name"], "shelbyville");

        app.stop().await;
    }
}

each_storage! {
    async fn a_super_admin_is_deactivated_only_by_an_operator_on_the_server(env: TestEnv) {
        use campus_platform::auth::Role;
        for (email, name) in [("ops@campus.example", "Ops"), ("night@campus.example", "Night")] {
            campus::admin::create_user(&env.config, None, email, name, Role::SuperAdmin, STRONG)
                .await
                .unwrap();
        }
        let app = env.start(vec![campus_identity::context()]).await;
        let sign_in = |email: &'static str| {
            let app = &app;
            async move {
                let response = app.client.post(app.url("/api/v1/auth/login"))
                    .json(&json!({ "school": "platform", "email": email, "password": STRONG }))
                    .send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
            }
        };
        let ops = sign_in("ops@campus.example").await;
        let night = sign_in("night@campus.example").await;
        let night_id = decode_claims(&night)["sub"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/users/{night_id}/deactivate?school=platform");
        let (status, body) = call(&app, Method::POST, &path, &ops, None).await;
        assert_eq!(status, 403, "{body}");
        let consumers = "/api/v1/admin/events/consumers";
        assert_eq!(call(&app, Method::GET, consumers, &night, None).await.0, 200);

        // The operator deactivates them on the server while it runs: the running server hears
        // of it through identity's events, and their token stops on the event admin API too.
        let done = campus::admin::deactivate_user(&env.config, "platform", "night@campus.example")
            .await
            .unwrap();
        assert!(done.contains("1 session(s) ended"), "{done}");
        campus_testkit::eventually(std::time::Duration::from_secs(20), "the server hears of it", || async {
            (call(&app, Method::GET, consumers, &night, None).await.0 == 401).then_some(())
        })
        .await;
        assert_eq!(call(&app, Method::GET, consumers, &ops, None).await.0, 200);
        app.stop().await;
    }
}
