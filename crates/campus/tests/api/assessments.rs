//! Assignments through the API with real people and courses: a teacher sets work in the
//! school's time zone, students hand in text, links and files (retries made safe by
//! `Idempotency-Key`), the teacher grades with a rubric, returns work and releases grades —
//! and nobody sees what is not theirs. Files go to the data directory, or to S3 when
//! `CAMPUS_TEST_S3_URL` names a server (and the bucket is then backed up and restored with the
//! AWS CLI when `CAMPUS_TEST_AWS` names it). Runs on every storage backend.

use std::time::Duration;

use campus_testkit::{
    each_storage, eventually,
    people::{call, Person, School},
    TestApp, TestEnv,
};
use reqwest::{multipart, Method, StatusCode};
use serde_json::{json, Value};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

struct Class {
    app: TestApp,
    school: School,
    teacher: Person,
    sam: Person,
    kim: Person,
    course: String,
}

/// A school with a published course: Tess teaches it, Sam and Kim are its students, and the
/// assessments context has heard of all of it.
async fn class(env: &TestEnv) -> Class {
    let app = env.start(campus::contexts::all()).await;
    let school = School::create(&app, "hill-valley").await;
    let (status, body) = call(
        &app,
        Method::PATCH,
        "/api/v1/school",
        Some(&school.admin.token),
        Some(json!({ "time_zone": "America/New_York" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let teacher = school.add(&app, "teacher", "Tess").await;
    let sam = school.add(&app, "student", "Sam").await;
    let kim = school.add(&app, "student", "Kim").await;
    let (_, course) = call(
        &app,
        Method::POST,
        "/api/v1/courses",
        Some(&teacher.token),
        Some(json!({ "title": "Physics" })),
    )
    .await;
    let course = course["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/publish"),
        Some(&teacher.token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    for student in [&sam, &kim] {
        let (status, body) = call(
            &app,
            Method::POST,
            &format!("/api/v1/courses/{course}/enroll"),
            Some(&student.token),
            Some(json!({})),
        )
        .await;
        assert!(status.is_success(), "{status} {body}");
    }
    eventually(
        Duration::from_secs(20),
        "assessments hears of the class",
        || async {
            let (places,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM roster_places WHERE course_id = $1")
                    .bind(&course)
                    .fetch_one(app.db("assessments").pool())
                    .await
                    .unwrap();
            let zone: Option<(String,)> =
                sqlx::query_as("SELECT time_zone FROM schools WHERE school_id = $1")
                    .bind(&school.id)
                    .fetch_optional(app.db("assessments").pool())
                    .await
                    .unwrap();
            (places == 3 && zone.is_some_and(|(z,)| z == "America/New_York")).then_some(())
        },
    )
    .await;
    Class {
        app,
        school,
        teacher,
        sam,
        kim,
        course,
    }
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Person,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call(app, method, path, Some(&who.token), body).await
}

/// Hands in `bytes` as the file `name` (with optional text), as a browser form would.
async fn upload(
    app: &TestApp,
    assignment: &str,
    who: &Person,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = multipart::Form::new().text("text", "My report").part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let response = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{assignment}/submissions")))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn grade(app: &TestApp, teacher: &Person, id: &str, body: Value) -> (StatusCode, Value) {
    send(
        app,
        Method::POST,
        &format!("/api/v1/submissions/{id}/grade"),
        teacher,
        Some(body),
    )
    .await
}

async fn rows(app: &TestApp, sql: &str, bind: &str) -> i64 {
    let (count,): (i64,) = sqlx::query_as(sql)
        .bind(bind)
        .fetch_one(app.db("assessments").pool())
        .await
        .unwrap();
    count
}

fn codes(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        e["field"].as_str().unwrap(),
                        e["code"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_else(|| vec![problem["code"].as_str().unwrap_or_default().to_owned()])
}

async fn outbox(app: &TestApp) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT event_type FROM outbox ORDER BY id")
        .fetch_all(app.db("assessments").pool())
        .await
        .unwrap();
    rows.into_iter().map(|(t,)| t).collect()
}

each_storage! {
    async fn a_teacher_sets_work_students_hand_it_in_and_it_is_graded(env: TestEnv) {
        let Class { app, teacher, sam, kim, course, .. } = class(&env).await;
        let rubric = json!({ "criteria": [
            { "id": "method", "title": "Method", "levels": [
                { "id": "weak", "title": "Weak", "points": 0 }, { "id": "sound", "title": "Sound", "points": 6 } ] },
            { "id": "results", "title": "Results", "levels": [
                { "id": "some", "title": "Some", "points": 2 }, { "id": "all", "title": "All", "points": 4 } ] } ] });
        let (status, made) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &teacher, Some(json!({
            "title": "Lab report", "instructions": "Measure **g**. <script>alert(1)</script>",
            "max_points": 10, "due_at": "2035-12-10T23:59", "cut_off_at": "2035-12-12T23:59",
            "submission_types": ["text", "file"], "file_types": ["application/pdf"], "max_file_bytes": 4096,
            "attempts_allowed": 2, "late_policy": { "percent_per_day": 10, "floor_percent": 50 },
            "rubric": rubric, "release": "manual" }))).await;
        assert_eq!(status, 201, "{made}");
        let assignment = made["id"].as_str().unwrap().to_owned();
        // The wall-clock time is the school's (New York, UTC−5 in December).
        assert_eq!(made["due_at"], "2035-12-10T23:59:00-05:00");
        assert_eq!(made["time_zone"], "America/New_York");
        assert!(made["instructions_html"].as_str().unwrap().contains("<strong>g</strong>"));
        assert!(!made["instructions_html"].as_str().unwrap().contains("<script"));

        // A draft is the staff's: students neither see nor hand in.
        let path = format!("/api/v1/assignments/{assignment}");
        assert_eq!(send(&app, Method::GET, &path, &sam, None).await.0, 404);
        let listed = send(&app, Method::GET, &format!("/api/v1/courses/{course}/assignments"), &sam, None).await.1;
        assert_eq!(listed, json!([]));
        assert_eq!(send(&app, Method::POST, &format!("{path}/publish"), &sam, None).await.0, 404);
        assert_eq!(send(&app, Method::POST, &format!("{path}/publish"), &teacher, None).await.0, 200);
        let seen = send(&app, Method::GET, &path, &sam, None).await.1;
        assert_eq!(seen["title"], "Lab report");
        assert!(seen["instructions"].is_null(), "the Markdown source is the staff's");

        // Bad settings are refused field by field and change nothing.
        let (status, problem) = send(&app, Method::PATCH, &path, &teacher, Some(json!({
            "cut_off_at": "2035-12-01T00:00", "max_points": 12, "file_types": ["pdf"] }))).await;
        assert_eq!(status, 422);
        let found = codes(&problem);
        for code in ["cut_off_at:before_due", "file_types[0]:invalid_type", "rubric:rubric_total"] {
            assert!(found.contains(&code.to_owned()), "{code} in {found:?}");
        }
        assert_eq!(send(&app, Method::GET, &path, &teacher, None).await.1["max_points"], 10.0);

        // A double-clicked hand-in is one hand-in.
        let hand_in = |key: &'static str| {
            let app = &app;
            let sam = &sam;
            let assignment = assignment.clone();
            async move {
                let response = app.client
                    .post(app.url(&format!("/api/v1/assignments/{assignment}/submissions")))
                    .bearer_auth(&sam.token)
                    .header("idempotency-key", key)
                    .json(&json!({ "text": "g is about *9.8*" }))
                    .send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            }
        };
        let (first, second) = tokio::join!(hand_in("click-1"), hand_in("click-1"));
        let statuses = [first.0.as_u16(), second.0.as_u16()];
        assert!(statuses.contains(&201) && statuses.iter().all(|s| [200, 201].contains(s)), "{statuses:?}");
        assert_eq!(first.1["id"], second.1["id"]);
        assert_eq!(first.1["attempt"], 1);
        assert_eq!(rows(&app, "SELECT COUNT(*) FROM submissions WHERE student_id = $1", &sam.id).await, 1);
        let text_submission = first.1["id"].as_str().unwrap().to_owned();

        // A file: its type is read from the bytes, its size checked while it streams.
        let (status, problem) = upload(&app, &assignment, &sam, "essay.pdf", b"MZ\x90\x00 not a pdf at all".to_vec()).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["code"], "unsupported_type");
        let mut big = PDF.to_vec();
        big.extend(std::iter::repeat_n(b'x', 5000));
        let (status, problem) = upload(&app, &assignment, &sam, "essay.pdf", big).await;
        assert_eq!(status, 413, "{problem}");
        assert_eq!(rows(&app, "SELECT COUNT(*) FROM submissions WHERE student_id = $1", &sam.id).await, 1,
            "a refused upload leaves no hand-in");
        let (status, handed) = upload(&app, &assignment, &sam, "C:\\Users\\sam\\Lab report.pdf", PDF.to_vec()).await;
        assert_eq!(status, 201, "{handed}");
        assert_eq!(handed["attempt"], 2);
        assert_eq!(handed["file"]["name"], "Lab report.pdf");
        assert_eq!(handed["file"]["content_type"], "application/pdf");
        let file_submission = handed["id"].as_str().unwrap().to_owned();
        // Out of attempts.
        let (status, problem) = send(&app, Method::POST, &format!("{path}/submissions"), &sam, Some(json!({ "text": "again" }))).await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("no_attempts_left")));

        // The file goes to its student and the staff, as an attachment nobody sniffs.
        let download = |who: &Person| {
            app.client.get(app.url(&format!("/api/v1/submissions/{file_submission}/file"))).bearer_auth(&who.token).send()
        };
        let response = download(&sam).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);
        assert_eq!(download(&teacher).await.unwrap().status(), 200);
        assert_eq!(download(&kim).await.unwrap().status(), 404, "another student's work is not there");
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/submissions/{file_submission}"), &kim, None).await.0, 404);
        assert_eq!(send(&app, Method::POST, &format!("/api/v1/submissions/{file_submission}/grade"), &kim,
            Some(json!({ "points": 10 }))).await.0, 404);

        // Grading: the latest attempt, within the maximum, with every rubric criterion.
        let (status, problem) = grade(&app, &teacher, &text_submission, json!({ "points": 5 })).await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("not_latest")));
        let (status, problem) = grade(&app, &teacher, &file_submission, json!({ "points": 11 })).await;
        assert_eq!((status.as_u16(), codes(&problem)), (422, vec!["points:out_of_range".to_owned()]));
        let (status, problem) = grade(&app, &teacher, &file_submission, json!({ "rubric": { "method": "sound" } })).await;
        assert_eq!((status.as_u16(), codes(&problem)), (422, vec!["rubric.results:required".to_owned()]));
        let next = send(&app, Method::GET, &format!("{path}/next-ungraded"), &teacher, None).await.1;
        assert_eq!(next["id"], file_submission.as_str());
        let (status, graded) = grade(&app, &teacher, &file_submission,
            json!({ "rubric": { "method": "sound", "results": "some" }, "comment": "Good method." })).await;
        assert_eq!(status, 200, "{graded}");
        // 6 (sound) + 2 (some)
        assert_eq!(graded["grade"]["points"], 8.0);
        assert_eq!(send(&app, Method::GET, &format!("{path}/next-ungraded?after={file_submission}"), &teacher, None).await.0, 404);

        // Released by hand: until then Sam sees his work handed in, not graded.
        let mine = send(&app, Method::GET, &format!("/api/v1/submissions/{file_submission}"), &sam, None).await.1;
        assert_eq!((mine["status"].as_str(), mine["grade"].is_null()), (Some("submitted"), true));
        assert_eq!(send(&app, Method::POST, &format!("{path}/release"), &sam, None).await.0, 403);
        assert_eq!(send(&app, Method::POST, &format!("{path}/release"), &teacher, None).await.0, 200);
        let mine = send(&app, Method::GET, &format!("/api/v1/submissions/{file_submission}"), &sam, None).await.1;
        assert_eq!(mine["grade"]["points"], 8.0);
        assert_eq!(mine["grade"]["comment"], "Good method.");

        // Returned for revision: Sam may hand in again though out of attempts.
        let (status, _) = send(&app, Method::POST, &format!("/api/v1/submissions/{file_submission}/return"), &teacher,
            Some(json!({ "comment": "Add your error bars." }))).await;
        assert_eq!(status, 200);
        let (status, third) = send(&app, Method::POST, &format!("{path}/submissions"), &sam,
            Some(json!({ "text": "Now with error bars." }))).await;
        assert_eq!(status, 201, "{third}");
        assert_eq!(third["attempt"], 3);
        let history = send(&app, Method::GET, &format!("{path}/submissions"), &sam, None).await.1;
        assert_eq!(history.as_array().unwrap().len(), 3, "every attempt is kept");

        let events = outbox(&app).await;
        for expected in ["assignment_published", "assignment_submitted", "submission_graded", "grades_released", "submission_returned"] {
            assert!(events.iter().any(|e| e.contains(expected)), "{expected} in {events:?}");
        }
        assert_eq!(events.iter().filter(|e| e.contains("assignment_submitted")).count(), 3);
        app.stop().await;
    }

    async fn dates_extensions_and_groups_decide_what_is_accepted(env: TestEnv) {
        let Class { app, school, teacher, sam, kim, course } = class(&env).await;
        let other = School::create(&app, "shelbyville").await;
        // Due and cut off yesterday: late work is refused, except for whoever has an extension.
        let (status, made) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &teacher, Some(json!({
            "title": "Essay", "max_points": 20, "due_at": "2020-01-01T09:00:00Z", "cut_off_at": "2020-01-02T09:00:00Z",
            "submission_types": ["link"] }))).await;
        assert_eq!(status, 201, "{made}");
        let essay = made["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/assignments/{essay}");
        assert_eq!(send(&app, Method::POST, &format!("{path}/publish"), &teacher, None).await.0, 200);
        let (status, problem) = send(&app, Method::POST, &format!("{path}/submissions"), &sam,
            Some(json!({ "link": "https://docs.example.org/essay" }))).await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("past_cut_off")));
        // Extensions are for the course's students, given by its teachers.
        assert_eq!(send(&app, Method::PUT, &format!("{path}/extensions/{}", sam.id), &kim,
            Some(json!({ "cut_off_at": "2040-01-01T00:00" }))).await.0, 403);
        assert_eq!(send(&app, Method::PUT, &format!("{path}/extensions/{}", school.admin.id), &teacher,
            Some(json!({ "cut_off_at": "2040-01-01T00:00" }))).await.0, 404);
        let (status, granted) = send(&app, Method::PUT, &format!("{path}/extensions/{}", sam.id), &teacher,
            Some(json!({ "cut_off_at": "2040-01-01T00:00" }))).await;
        assert_eq!(status, 200, "{granted}");
        assert_eq!(granted["cut_off_at"], "2040-01-01T00:00:00-05:00");
        let (status, problem) = send(&app, Method::POST, &format!("{path}/submissions"), &sam,
            Some(json!({ "link": "javascript:alert(1)", "text": "hi" }))).await;
        assert_eq!(status, 422);
        assert_eq!(codes(&problem), ["text:not_accepted", "link:invalid_link"]);
        let (status, late) = send(&app, Method::POST, &format!("{path}/submissions"), &sam,
            Some(json!({ "link": "https://docs.example.org/essay" }))).await;
        assert_eq!(status, 201, "{late}");
        assert!(late["days_late"].as_i64().unwrap() > 365, "counted from the due date: {late}");
        assert_eq!(send(&app, Method::POST, &format!("{path}/submissions"), &kim,
            Some(json!({ "link": "https://docs.example.org/kim" }))).await.0, 409);
        // Teachers do not hand in; another school's people find nothing.
        assert_eq!(send(&app, Method::POST, &format!("{path}/submissions"), &teacher,
            Some(json!({ "link": "https://docs.example.org/t" }))).await.0, 403);
        assert_eq!(send(&app, Method::GET, &path, &other.admin, None).await.0, 404);
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/courses/{course}/assignments"), &other.admin, None).await.0, 404);
        // Nothing handed in is deleted with its assignment.
        let (status, problem) = send(&app, Method::DELETE, &path, &teacher, None).await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("has_submissions")));

        // A group hands in once for everyone in it; grading it grades each member.
        let (_, made) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &teacher, Some(json!({
            "title": "Poster", "max_points": 5, "submission_types": ["text"], "group_mode": "group" }))).await;
        let poster = made["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/assignments/{poster}");
        assert_eq!(send(&app, Method::POST, &format!("{path}/publish"), &teacher, None).await.0, 200);
        let (status, problem) = send(&app, Method::POST, &format!("{path}/submissions"), &sam, Some(json!({ "text": "ours" }))).await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("no_group")));
        let (status, problem) = send(&app, Method::PUT, &format!("{path}/groups"), &teacher, Some(json!({ "groups": [
            { "name": "Red", "members": [sam.id, kim.id] }, { "name": "Blue", "members": [kim.id, teacher.id] } ] }))).await;
        assert_eq!(status, 422);
        assert_eq!(codes(&problem), ["groups[1].members[0]:in_two_groups", "groups[1].members[1]:not_a_student"]);
        let (status, groups) = send(&app, Method::PUT, &format!("{path}/groups"), &teacher, Some(json!({ "groups": [
            { "name": "Red", "members": [sam.id, kim.id] } ] }))).await;
        assert_eq!(status, 200, "{groups}");
        let (status, ours) = send(&app, Method::POST, &format!("{path}/submissions"), &sam, Some(json!({ "text": "ours" }))).await;
        assert_eq!(status, 201, "{ours}");
        let kims = send(&app, Method::GET, &format!("{path}/submissions"), &kim, None).await.1;
        assert_eq!(kims[0]["text"], "ours", "Kim's group handed in for her");
        let (status, _) = send(&app, Method::POST, &format!("/api/v1/submissions/{}/grade", ours["id"].as_str().unwrap()),
            &teacher, Some(json!({ "points": 4 }))).await;
        assert_eq!(status, 200);
        let kims = send(&app, Method::GET, &format!("{path}/submissions"), &kim, None).await.1;
        assert_eq!(kims[0]["grade"]["points"], 4.0, "released as graded, to every member");
        let graded = outbox(&app).await.into_iter().filter(|e| e.contains("submission_graded")).count();
        assert_eq!(graded, 2);
        app.stop().await;
    }

    async fn handed_in_files_can_live_in_s3(env: TestEnv) {
        let Ok(endpoint) = std::env::var("CAMPUS_TEST_S3_URL") else {
            eprintln!("CAMPUS_TEST_S3_URL is not set; skipping the S3 hand-in test");
            return;
        };
        let bucket = format!("campus-{}", campus_platform::id::new_id_string().to_lowercase());
        let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.unwrap();
        assert!(created.status().is_success());
        env.config.files.s3_bucket = Some(bucket);
        env.config.files.s3_endpoint = Some(endpoint.clone());
        env.config.files.s3_access_key_id = Some(campus_platform::config::SecretText::new("campus-test"));
        env.config.files.s3_secret_access_key = Some(campus_platform::config::SecretText::new("campus-test-secret"));
        env.config.files.s3_allow_http = true;
        let Class { app, teacher, sam, kim, course, .. } = class(&env).await;
        let (_, made) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &teacher, Some(json!({
            "title": "Scan", "max_points": 1, "submission_types": ["text", "file"], "file_types": ["application/pdf"] }))).await;
        let assignment = made["id"].as_str().unwrap().to_owned();
        assert_eq!(send(&app, Method::POST, &format!("/api/v1/assignments/{assignment}/publish"), &teacher, None).await.0, 200);
        let (status, handed) = upload(&app, &assignment, &sam, "scan.pdf", PDF.to_vec()).await;
        assert_eq!(status, 201, "{handed}");
        let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let file = app.url(handed["file"]["url"].as_str().unwrap());
        let answer = no_redirects.get(&file).bearer_auth(&sam.token).send().await.unwrap();
        assert_eq!(answer.status(), 303, "a signed address, after the check");
        let signed = answer.headers()["location"].to_str().unwrap().to_owned();
        let fetched = reqwest::get(&signed).await.unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(fetched.bytes().await.unwrap().as_ref(), PDF);
        assert_eq!(no_redirects.get(&file).bearer_auth(&kim.token).send().await.unwrap().status(), 404);
        app.stop().await;
        let path = handed["file"]["url"].as_str().unwrap().to_owned();
        backed_up_and_restored_with_the_aws_cli(env, &endpoint, &path, &sam.token).await;
    }
}

/// The bucket backed up and brought back with the AWS command-line tool, as deploy/README.md's
/// "Backups of the distributed shape" says (`aws s3 sync` to a folder, then into a new bucket),
/// and a server pointed at the new bucket serves the same bytes. Needs `CAMPUS_TEST_AWS` naming
/// the `aws` program (`.ci/run` installs it from PyPI); says so and returns without it.
async fn backed_up_and_restored_with_the_aws_cli(
    mut env: TestEnv,
    endpoint: &str,
    path: &str,
    token: &str,
) {
    let Ok(aws) = std::env::var("CAMPUS_TEST_AWS") else {
        eprintln!("CAMPUS_TEST_AWS is not set; skipping the bucket's backup with the AWS CLI");
        return;
    };
    let bucket = env.config.files.s3_bucket.clone().unwrap();
    let copy = std::env::temp_dir().join(format!("campus-bucket-{bucket}"));
    let restored = format!("{bucket}-restored");
    let run = |args: Vec<String>| {
        let done = std::process::Command::new(&aws)
            .args(["--endpoint-url", endpoint])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "campus-test")
            .env("AWS_SECRET_ACCESS_KEY", "campus-test-secret")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    run(vec![
        "s3".into(),
        "sync".into(),
        format!("s3://{bucket}"),
        copy.display().to_string(),
    ]);
    run(vec!["s3".into(), "mb".into(), format!("s3://{restored}")]);
    run(vec![
        "s3".into(),
        "sync".into(),
        copy.display().to_string(),
        format!("s3://{restored}"),
    ]);
    env.config.files.s3_bucket = Some(restored);
    let app = env.start(campus::contexts::all()).await;
    let answer = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the signed address, followed");
    assert_eq!(answer.bytes().await.unwrap().as_ref(), PDF);
    app.stop().await;
    std::fs::remove_dir_all(copy).ok();
}

/// Publishes an assignment worth `points` due `due_at` (with a late policy when given).
async fn published(
    app: &TestApp,
    teacher: &Person,
    course: &str,
    title: &str,
    points: f64,
    extra: Value,
) -> String {
    let mut body = json!({ "title": title, "max_points": points, "submission_types": ["text"] });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, made) = send(
        app,
        Method::POST,
        &format!("/api/v1/courses/{course}/assignments"),
        teacher,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(
        send(
            app,
            Method::POST,
            &format!("/api/v1/assignments/{id}/publish"),
            teacher,
            None
        )
        .await
        .0,
        200
    );
    id
}

/// `student` hands in and `teacher` grades it `points`.
async fn graded(app: &TestApp, teacher: &Person, student: &Person, assignment: &str, points: f64) {
    let (status, handed) = send(
        app,
        Method::POST,
        &format!("/api/v1/assignments/{assignment}/submissions"),
        student,
        Some(json!({ "text": "done" })),
    )
    .await;
    assert_eq!(status, 201, "{handed}");
    let (status, body) = grade(
        app,
        teacher,
        handed["id"].as_str().unwrap(),
        json!({ "points": points }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

fn line<'a>(grade: &'a Value, item: &str) -> &'a Value {
    grade["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["item_id"] == item)
        .unwrap()
}

each_storage! {
    async fn the_gradebook_adds_it_up_from_events(env: TestEnv) {
        let Class { app, school, teacher, sam, kim, course } = class(&env).await;
        let other = School::create(&app, "shelbyville").await;
        // Two homeworks and an exam; the exam's grades wait for release. Homework 2 was due
        // long ago and loses 10 % a day, never below half.
        let hw1 = published(&app, &teacher, &course, "Homework 1", 10.0, json!({})).await;
        let hw2 = published(&app, &teacher, &course, "Homework 2", 10.0, json!({
            "due_at": "2020-01-01T00:00:00Z", "cut_off_at": "2040-01-01T00:00:00Z",
            "late_policy": { "percent_per_day": 10, "floor_percent": 50 } })).await;
        let exam = published(&app, &teacher, &course, "Exam", 100.0, json!({ "release": "manual" })).await;
        graded(&app, &teacher, &sam, &hw1, 4.0).await;
        graded(&app, &teacher, &sam, &hw2, 9.0).await;
        graded(&app, &teacher, &sam, &exam, 90.0).await;
        graded(&app, &teacher, &kim, &hw1, 10.0).await;
        let (_, renamed) = send(&app, Method::PATCH, "/api/v1/me", &kim, Some(json!({ "display_name": "=HYPERLINK(\"x\")" }))).await;
        assert_eq!(renamed["display_name"], "=HYPERLINK(\"x\")");

        let book = format!("/api/v1/courses/{course}/gradebook");
        let matrix = eventually(Duration::from_secs(20), "the gradebook hears the grades", || async {
            let (status, matrix) = send(&app, Method::GET, &book, &teacher, None).await;
            assert_eq!(status, 200, "{matrix}");
            let graded = matrix["students"].as_array().unwrap().iter()
                .flat_map(|s| s["grade"]["items"].as_array().unwrap().clone())
                .filter(|l| !l["raw_points"].is_null()).count();
            let renamed = matrix["students"].as_array().unwrap().iter().any(|s| s["name"] == "=HYPERLINK(\"x\")");
            (graded == 4 && renamed).then_some(matrix)
        }).await;
        assert_eq!(matrix["items"].as_array().unwrap().len(), 3);
        let sams = matrix["students"].as_array().unwrap().iter().find(|s| s["student_id"] == sam.id.as_str()).unwrap();
        // Homework 2: 9 points, over 2,000 days late: 10 % a day takes it to the floor, 5.
        assert_eq!(line(&sams["grade"], &hw2)["points"], 5.0);
        // Total points: 4 + 5 + 90 of 120.
        assert_eq!(sams["grade"]["percent"], json!(99.0 / 120.0 * 100.0));

        // Sam sees released grades only: the exam waits.
        let mine = send(&app, Method::GET, "/api/v1/me/grades", &sam, None).await.1;
        let physics = &mine[0]["grade"];
        assert_eq!(line(physics, &exam)["status"], "ungraded");
        // 4 + 5 of 20
        assert_eq!(physics["percent"], 45.0);
        assert_eq!(physics["letter"], "F");
        // What if the exam went well?
        let (status, imagined) = send(&app, Method::POST, &format!("{book}/what-if"), &sam,
            Some(json!({ "marks": [{ "item_id": exam, "points": 95 }] }))).await;
        assert_eq!(status, 200, "{imagined}");
        // (4 + 5 + 95) / 120
        assert_eq!(imagined["percent"], json!(104.0 / 120.0 * 100.0));
        assert_eq!(send(&app, Method::POST, &format!("/api/v1/assignments/{exam}/release"), &teacher, None).await.0, 200);
        eventually(Duration::from_secs(20), "the release reaches the gradebook", || async {
            let mine = send(&app, Method::GET, "/api/v1/me/grades", &sam, None).await.1;
            (line(&mine[0]["grade"], &exam)["status"] == "counted").then_some(())
        }).await;

        // Categories with weights and a drop: homework 40 % (drop the lowest), exams 60 %.
        let (status, scheme) = send(&app, Method::PUT, &format!("{book}/scheme"), &teacher, Some(json!({
            "scheme": { "weighted": true, "categories": [
                { "id": "hw", "name": "Homework", "weight": 40, "drop_lowest": 1 },
                { "id": "exams", "name": "Exams", "weight": 60 } ] },
            "item_categories": { hw1.clone(): "hw", hw2.clone(): "hw", exam.clone(): "exams" } }))).await;
        assert_eq!(status, 200, "{scheme}");
        let (status, problem) = send(&app, Method::PUT, &format!("{book}/scheme"), &teacher, Some(json!({
            "scheme": { "categories": [{ "id": "hw", "name": "Homework", "weight": -1 }] },
            "item_categories": { hw1.clone(): "nope" } }))).await;
        assert_eq!(status, 422, "{problem}");
        let mine = send(&app, Method::GET, "/api/v1/me/grades", &sam, None).await.1;
        // Homework keeps 5/10 (dropping 4/10): 50 %; exams 90 %. 0.4 × 50 + 0.6 × 90 = 74.
        let percent = mine[0]["grade"]["percent"].as_f64().unwrap();
        assert!((percent - 74.0).abs() < 1e-9, "{percent}");
        assert_eq!(mine[0]["grade"]["letter"], "C");

        // An override with its reason, in the grade's history for the student to read.
        let grade_path = format!("{book}/grades/{hw2}/{}", sam.id);
        let (status, problem) = send(&app, Method::PUT, &grade_path, &teacher, Some(json!({ "override_points": 9, "reason": " " }))).await;
        assert_eq!((status.as_u16(), codes(&problem)), (422, vec!["reason:required".to_owned()]));
        let (status, history) = send(&app, Method::PUT, &grade_path, &teacher,
            Some(json!({ "override_points": 9, "reason": "Late because of a school trip." }))).await;
        assert_eq!(status, 200, "{history}");
        let changes: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["change"].as_str().unwrap()).collect();
        assert_eq!(changes, ["graded", "overridden"]);
        let seen = send(&app, Method::GET, &grade_path, &sam, None).await.1;
        assert_eq!(seen[1]["reason"], "Late because of a school trip.");
        let mine = send(&app, Method::GET, "/api/v1/me/grades", &sam, None).await.1;
        assert_eq!(line(&mine[0]["grade"], &hw2)["status"], "overridden");

        // The spreadsheet: a formula in a name stays text.
        let csv = app.client.get(app.url(&book)).bearer_auth(&teacher.token).header("accept", "text/csv")
            .send().await.unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let text = csv.text().await.unwrap();
        assert!(text.starts_with('\u{feff}'), "a byte-order mark, so spreadsheets read UTF-8");
        assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{text}");
        assert!(text.lines().next().unwrap().contains("Homework 2 (10)"));

        // Nobody else reads or changes it.
        assert_eq!(send(&app, Method::GET, &book, &sam, None).await.0, 403);
        assert_eq!(send(&app, Method::GET, &format!("{book}/grades/{hw2}/{}", sam.id), &kim, None).await.0, 403);
        assert_eq!(send(&app, Method::PUT, &grade_path, &kim, Some(json!({ "excused": true, "reason": "me" }))).await.0, 403);
        assert_eq!(send(&app, Method::GET, &book, &other.admin, None).await.0, 404);
        assert_eq!(send(&app, Method::PUT, &format!("{book}/scheme"), &school.admin, Some(json!({ "scheme": {} }))).await.0, 200,
            "the school's admins may set a course's scheme");

        // The transcript: Sam's own, and for the school's admins; nobody else's business.
        let transcript = format!("/api/v1/users/{}/transcript", sam.id);
        let (status, mine) = send(&app, Method::GET, &transcript, &sam, None).await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["courses"][0]["title"], "Physics");
        assert_eq!(mine["courses"][0]["items"], 3);
        let (status, theirs) = send(&app, Method::GET, &transcript, &school.admin, None).await;
        assert_eq!((status.as_u16(), &theirs["courses"]), (200, &mine["courses"]));
        assert_eq!(send(&app, Method::GET, &transcript, &kim, None).await.0, 403);
        assert_eq!(send(&app, Method::GET, &transcript, &teacher, None).await.0, 403);
        assert_eq!(send(&app, Method::GET, &transcript, &other.admin, None).await.0, 404);
        app.stop().await;
    }
}

fn bank_questions() -> Value {
    json!([
        { "prompt": "The capital of France?", "points": 2, "question": { "kind": "single_choice", "options": [
            { "id": "a", "text": "Paris", "correct": true }, { "id": "b", "text": "Lyon" }, { "id": "c", "text": "Nice" } ] } },
        { "prompt": "Noble gases?", "points": 4, "question": { "kind": "multiple_choice", "partial_credit": true, "options": [
            { "id": "he", "text": "Helium", "correct": true }, { "id": "ne", "text": "Neon", "correct": true },
            { "id": "o", "text": "Oxygen" }, { "id": "n", "text": "Nitrogen" } ] } },
        { "prompt": "Largest US city?", "points": 1, "question": { "kind": "short_answer", "accepted": ["New York", "NYC"] } },
        { "prompt": "g in m/s²?", "points": 1, "question": { "kind": "numeric", "answer": 9.81, "tolerance": 0.05 } },
        { "prompt": "Water is wet.", "points": 1, "question": { "kind": "true_false", "answer": true } }
    ])
}

/// The attempt's question whose prompt contains `words`.
fn question<'a>(attempt: &'a Value, words: &str) -> &'a Value {
    attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["prompt_html"].as_str().unwrap().contains(words))
        .unwrap_or_else(|| panic!("no question about {words} in {attempt}"))
}

each_storage! {
    async fn students_take_timed_quizzes_marked_by_the_server(env: TestEnv) {
        let Class { app, teacher, sam, kim, course, .. } = class(&env).await;
        let banks = format!("/api/v1/courses/{course}/question-banks");
        // A question written wrong is refused, naming what is wrong.
        let (status, problem) = send(&app, Method::POST, &banks, &teacher, Some(json!({ "title": "Bad", "questions": [
            { "prompt": "Pick", "points": 1, "question": { "kind": "single_choice", "options": [
                { "id": "a", "text": "A", "correct": true }, { "id": "b", "text": "B", "correct": true } ] } } ] }))).await;
        assert_eq!((status.as_u16(), codes(&problem)), (422, vec!["questions[0].question.options:one_correct_option".to_owned()]));
        let (status, bank) = send(&app, Method::POST, &banks, &teacher,
            Some(json!({ "title": "Science", "questions": bank_questions() }))).await;
        assert_eq!(status, 201, "{bank}");
        let bank_id = bank["id"].as_str().unwrap().to_owned();
        let ids: Vec<String> = bank["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/question-banks/{bank_id}"), &sam, None).await.0, 404,
            "a bank holds the answer key: staff only");

        // Two questions always, and two of the other three drawn per attempt, worth 1 each.
        let (status, quiz) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/quizzes"), &teacher, Some(json!({
            "title": "Science check", "time_limit_secs": 600, "attempts_allowed": 2, "keep": "highest", "shuffle_options": true,
            "selection": [
                { "kind": "fixed", "question_id": ids[0] }, { "kind": "fixed", "question_id": ids[1] },
                { "kind": "random", "bank_id": bank_id, "count": 2, "points_each": 1 } ] }))).await;
        assert_eq!(status, 201, "{quiz}");
        assert_eq!((quiz["question_count"].as_u64(), quiz["max_points"].as_f64()), (Some(4), Some(8.0)));
        let quiz_id = quiz["id"].as_str().unwrap().to_owned();
        assert_eq!(send(&app, Method::POST, &format!("/api/v1/quizzes/{quiz_id}/attempts"), &sam, None).await.0, 404,
            "a draft cannot be taken");
        assert_eq!(send(&app, Method::POST, &format!("/api/v1/quizzes/{quiz_id}/publish"), &teacher, None).await.0, 200);

        // Starting twice at the same moment gives one attempt.
        let starts = format!("/api/v1/quizzes/{quiz_id}/attempts");
        let start = || send(&app, Method::POST, &starts, &sam, None);
        let (first, second) = tokio::join!(start(), start());
        assert!([first.0.as_u16(), second.0.as_u16()].contains(&201), "{first:?} {second:?}");
        assert_eq!(first.1["id"], second.1["id"]);
        let attempt = first.1;
        let attempt_id = attempt["id"].as_str().unwrap().to_owned();
        assert_eq!(attempt["questions"].as_array().unwrap().len(), 4);
        assert!(attempt["seconds_left"].as_i64().unwrap() > 590);
        let shown = attempt.to_string();
        for secret in ["\"correct\":true", "accepted", "tolerance", "9.81", "New York"] {
            assert!(!shown.contains(secret), "the answer key leaked ({secret}): {shown}");
        }
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/attempts/{attempt_id}"), &kim, None).await.0, 404);

        // Answers are saved as Sam goes; only to this attempt's questions, of the right kind.
        let capital = question(&attempt, "capital")["id"].as_str().unwrap().to_owned();
        let gases = question(&attempt, "Noble")["id"].as_str().unwrap().to_owned();
        let answers = format!("/api/v1/attempts/{attempt_id}/answers");
        let drawn: Vec<&str> = attempt["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
        let missing = ids.iter().find(|id| !drawn.contains(&id.as_str())).unwrap();
        let (status, problem) = send(&app, Method::PUT, &answers, &sam, Some(json!({ "answers": {
            missing.clone(): { "kind": "text", "value": "x" }, capital.clone(): { "kind": "true_false", "value": true } } }))).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(codes(&problem), [format!("answers.{capital}:wrong_kind"), format!("answers.{missing}:not_in_attempt")]);
        let (status, saved) = send(&app, Method::PUT, &answers, &sam, Some(json!({ "answers": {
            capital.clone(): { "kind": "choice", "option_id": "b" } } }))).await;
        assert_eq!(status, 200, "{saved}");
        let (status, _) = send(&app, Method::PUT, &answers, &sam, Some(json!({ "answers": {
            capital.clone(): { "kind": "choice", "option_id": "a" },
            gases.clone(): { "kind": "choices", "option_ids": ["he", "o"] } } }))).await;
        assert_eq!(status, 200);
        assert_eq!(send(&app, Method::PUT, &answers, &kim, Some(json!({ "answers": {} }))).await.0, 404);

        // Submitting marks at once; submitting again marks nothing more.
        let submit = format!("/api/v1/attempts/{attempt_id}/submit");
        let (status, marked) = send(&app, Method::POST, &submit, &sam, None).await;
        assert_eq!(status, 200, "{marked}");
        assert_eq!(marked["status"], "graded");
        // Paris: 2; helium right and oxygen wrong cancel out: 4/2 − 4/2 = 0; the two drawn, unanswered: 0.
        assert_eq!(marked["score"], 2.0);
        assert_eq!(question(&marked, "capital")["key"]["options"][0]["correct"], true, "released as graded: the key shows");
        let again = send(&app, Method::POST, &submit, &sam, None).await.1;
        assert_eq!(again["submitted_at"], marked["submitted_at"]);
        let (status, problem) = send(&app, Method::PUT, &answers, &sam, Some(json!({ "answers": {} }))).await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("attempt_closed")));

        // The second attempt is abandoned: its time runs out (the deadline moved into the past,
        // as a clock would) and the closer marks what was saved.
        let (status, second) = start().await;
        assert_eq!(status, 201, "{second}");
        let second_id = second["id"].as_str().unwrap().to_owned();
        let capital = question(&second, "capital")["id"].as_str().unwrap().to_owned();
        let gases = question(&second, "Noble")["id"].as_str().unwrap().to_owned();
        send(&app, Method::PUT, &format!("/api/v1/attempts/{second_id}/answers"), &sam, Some(json!({ "answers": {
            capital: { "kind": "choice", "option_id": "a" }, gases: { "kind": "choices", "option_ids": ["he", "ne"] } } }))).await;
        sqlx::query("UPDATE attempts SET deadline = $1 WHERE id = $2")
            .bind(campus_platform::time::now_ms() - 1000)
            .bind(&second_id)
            .execute(app.db("assessments").pool())
            .await
            .unwrap();
        let closed = eventually(Duration::from_secs(20), "the closer marks the abandoned attempt", || async {
            let seen = send(&app, Method::GET, &format!("/api/v1/attempts/{second_id}"), &sam, None).await.1;
            (seen["status"] == "graded").then_some(seen)
        }).await;
        // 2 + 4 (both gases, nothing wrong)
        assert_eq!(closed["score"], 6.0);
        assert!(closed["submitted_at"].as_str().unwrap() < campus_platform::time::rfc3339(campus_platform::time::now_ms()).as_str());
        let (status, problem) = start().await;
        assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("no_attempts_left")));

        // The gradebook keeps the highest attempt; the teacher sees how the class answered.
        eventually(Duration::from_secs(20), "the quiz's grade reaches the gradebook", || async {
            let mine = send(&app, Method::GET, "/api/v1/me/grades", &sam, None).await.1;
            let line = mine[0]["grade"]["items"].as_array()?.iter().find(|l| l["item_id"] == quiz_id.as_str())?.clone();
            (line["points"] == 6.0).then_some(())
        }).await;
        let (status, analysis) = send(&app, Method::GET, &format!("/api/v1/quizzes/{quiz_id}/analysis"), &teacher, None).await;
        assert_eq!(status, 200, "{analysis}");
        let capital_stats = analysis.as_array().unwrap().iter().find(|q| q["question_id"] == ids[0].as_str()).unwrap();
        assert_eq!((capital_stats["answered"].as_u64(), capital_stats["correct"].as_u64()), (Some(2), Some(2)));
        assert_eq!(capital_stats["options"]["a"], 2);
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/quizzes/{quiz_id}/analysis"), &sam, None).await.0, 403);
        let graded = outbox(&app).await.into_iter().filter(|e| e.contains("quiz_attempt_graded")).count();
        assert_eq!(graded, 2, "one grade per attempt, however often it was submitted");
        app.stop().await;
    }

    async fn the_last_answers_ride_with_the_submission(env: TestEnv) {
        let Class { app, teacher, sam, course, .. } = class(&env).await;
        let (_, bank) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), &teacher,
            Some(json!({ "title": "Facts", "questions": [
                { "prompt": "Water is wet.", "points": 1, "question": { "kind": "true_false", "answer": true } },
                { "prompt": "g in m/s²?", "points": 2, "question": { "kind": "numeric", "answer": 9.81, "tolerance": 0.1 } } ] }))).await;
        let ids: Vec<String> = bank["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_owned()).collect();
        let (status, quiz) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/quizzes"), &teacher, Some(json!({
            "title": "Facts", "attempts_allowed": 3, "time_limit_secs": 600,
            "selection": [{ "kind": "fixed", "question_id": ids[0] }, { "kind": "fixed", "question_id": ids[1] }] }))).await;
        assert_eq!(status, 201, "{quiz}");
        let quiz_id = quiz["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/quizzes/{quiz_id}/publish"), &teacher, None).await;
        let starts = format!("/api/v1/quizzes/{quiz_id}/attempts");

        // An answer that does not fit its question refuses the whole submission: still open.
        let (_, attempt) = send(&app, Method::POST, &starts, &sam, None).await;
        let attempt_id = attempt["id"].as_str().unwrap().to_owned();
        let submit = format!("/api/v1/attempts/{attempt_id}/submit");
        let (status, problem) = send(&app, Method::POST, &submit, &sam, Some(json!({ "answers": {
            ids[0].clone(): { "kind": "true_false", "value": true }, ids[1].clone(): { "kind": "choice", "option_id": "a" } } }))).await;
        assert_eq!(status, 422, "{problem}");
        let seen = send(&app, Method::GET, &format!("/api/v1/attempts/{attempt_id}"), &sam, None).await.1;
        assert_eq!(seen["status"], "in_progress");
        assert!(seen["questions"][0]["answer"].is_null(), "nothing half-written: {seen}");
        // In time, the answers sent with the submission are saved and marked in the same step.
        let (status, marked) = send(&app, Method::POST, &submit, &sam, Some(json!({ "answers": {
            ids[0].clone(): { "kind": "true_false", "value": true }, ids[1].clone(): { "kind": "number", "value": 9.8 } } }))).await;
        assert_eq!(status, 200, "{marked}");
        assert_eq!((marked["status"].as_str(), marked["score"].as_f64()), (Some("graded"), Some(3.0)));

        // After the deadline, answers sent with the submission are not kept: marked as it was.
        let (_, late) = send(&app, Method::POST, &starts, &sam, None).await;
        let late_id = late["id"].as_str().unwrap().to_owned();
        sqlx::query("UPDATE attempts SET deadline = $1 WHERE id = $2")
            .bind(campus_platform::time::now_ms() - 1000)
            .bind(&late_id)
            .execute(app.db("assessments").pool())
            .await
            .unwrap();
        let (status, marked) = send(&app, Method::POST, &format!("/api/v1/attempts/{late_id}/submit"), &sam, Some(json!({ "answers": {
            ids[0].clone(): { "kind": "true_false", "value": true } } }))).await;
        assert_eq!(status, 200, "{marked}");
        assert_eq!((marked["status"].as_str(), marked["score"].as_f64()), (Some("graded"), Some(0.0)));

        // Two submissions of one attempt at once, with different last answers (two tabs): one
        // of them closes it, with its answers and marks alone; the other writes nothing.
        let (_, twice) = send(&app, Method::POST, &starts, &sam, None).await;
        let twice_id = twice["id"].as_str().unwrap().to_owned();
        let submit = format!("/api/v1/attempts/{twice_id}/submit");
        let right = json!({ "answers": {
            ids[0].clone(): { "kind": "true_false", "value": true }, ids[1].clone(): { "kind": "number", "value": 9.8 } } });
        let wrong = json!({ "answers": {
            ids[0].clone(): { "kind": "true_false", "value": false }, ids[1].clone(): { "kind": "number", "value": 5.0 } } });
        let (first, second) = tokio::join!(
            send(&app, Method::POST, &submit, &sam, Some(right)),
            send(&app, Method::POST, &submit, &sam, Some(wrong)));
        assert_eq!((first.0.as_u16(), second.0.as_u16()), (200, 200), "{first:?} {second:?}");
        assert_eq!(first.1["score"], second.1["score"], "both answer the one marked attempt");
        let seen = send(&app, Method::GET, &format!("/api/v1/attempts/{twice_id}"), &sam, None).await.1;
        let answered: Vec<(Value, Value)> = seen["questions"].as_array().unwrap().iter()
            .map(|q| (q["answer"]["value"].clone(), q["earned"].clone())).collect();
        let expected = if seen["score"] == 3.0 {
            vec![(json!(true), json!(1.0)), (json!(9.8), json!(2.0))]
        } else {
            vec![(json!(false), json!(0.0)), (json!(5.0), json!(0.0))]
        };
        assert_eq!(answered, expected, "one submission's answers and marks, not a mix: {seen}");
        let graded = outbox(&app).await.into_iter().filter(|e| e.contains("quiz_attempt_graded")).count();
        assert_eq!(graded, 3);
        app.stop().await;
    }

    async fn essays_wait_for_a_teacher_and_results_wait_for_release(env: TestEnv) {
        let Class { app, teacher, sam, course, .. } = class(&env).await;
        let (_, bank) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), &teacher,
            Some(json!({ "title": "Writing", "questions": [
                { "prompt": "Explain inertia.", "points": 5, "question": { "kind": "essay" } },
                { "prompt": "Water is wet.", "points": 1, "question": { "kind": "true_false", "answer": true } } ] }))).await;
        let ids: Vec<String> = bank["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_owned()).collect();
        let (status, quiz) = send(&app, Method::POST, &format!("/api/v1/courses/{course}/quizzes"), &teacher, Some(json!({
            "title": "Essay", "release": "manual",
            "selection": [{ "kind": "fixed", "question_id": ids[0] }, { "kind": "fixed", "question_id": ids[1] }] }))).await;
        assert_eq!(status, 201, "{quiz}");
        let quiz_id = quiz["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/quizzes/{quiz_id}/publish"), &teacher, None).await;
        let (_, attempt) = send(&app, Method::POST, &format!("/api/v1/quizzes/{quiz_id}/attempts"), &sam, None).await;
        let attempt_id = attempt["id"].as_str().unwrap().to_owned();
        send(&app, Method::PUT, &format!("/api/v1/attempts/{attempt_id}/answers"), &sam, Some(json!({ "answers": {
            ids[0].clone(): { "kind": "text", "value": "Things keep doing what they do." },
            ids[1].clone(): { "kind": "true_false", "value": true } } }))).await;
        // A body of JSON `null` is no body (the schema of an optional body allows it).
        let (_, submitted) = send(&app, Method::POST, &format!("/api/v1/attempts/{attempt_id}/submit"), &sam, Some(json!(null))).await;
        assert_eq!(submitted["status"], "needs_grading", "{submitted}");
        assert!(submitted["score"].is_null() && submitted["questions"][1]["key"].is_null(), "results wait for release: {submitted}");
        let mark = format!("/api/v1/attempts/{attempt_id}/grade");
        assert_eq!(send(&app, Method::POST, &mark, &sam, Some(json!({ "marks": { ids[0].clone(): 5 } }))).await.0, 403);
        let (status, problem) = send(&app, Method::POST, &mark, &teacher, Some(json!({ "marks": { ids[0].clone(): 6 } }))).await;
        assert_eq!((status.as_u16(), codes(&problem)), (422, vec![format!("marks.{}:out_of_range", ids[0])]));
        let (status, marked) = send(&app, Method::POST, &mark, &teacher, Some(json!({ "marks": { ids[0].clone(): 4 } }))).await;
        assert_eq!(status, 200, "{marked}");
        assert_eq!((marked["status"].as_str(), marked["score"].as_f64()), (Some("graded"), Some(5.0)));
        let seen = send(&app, Method::GET, &format!("/api/v1/attempts/{attempt_id}"), &sam, None).await.1;
        assert!(seen["score"].is_null(), "not released yet");
        assert_eq!(send(&app, Method::POST, &format!("/api/v1/quizzes/{quiz_id}/release"), &teacher, None).await.0, 200);
        let seen = send(&app, Method::GET, &format!("/api/v1/attempts/{attempt_id}"), &sam, None).await.1;
        assert_eq!(seen["score"], 5.0);
        assert_eq!(seen["questions"][0]["earned"], 4.0);
        app.stop().await;
    }
}
