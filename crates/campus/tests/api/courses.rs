//! Courses through the API with real people from identity: a teacher builds a course, students
//! enroll and work through it, staff follow the class — and no route reaches another school or
//! lets a lower role through. Runs on every storage and bus backend.

use std::time::Duration;

use campus_testkit::{
    each_backend, each_storage, eventually,
    people::{call, Person, School, PASSWORD},
    TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn start(env: &TestEnv) -> TestApp {
    env.start(vec![campus_identity::context(), campus_courses::context()])
        .await
}

/// Waits until courses has heard of `count` people of the school from identity's events.
async fn known_to_courses(app: &TestApp, school: &School, count: i64) {
    eventually(Duration::from_secs(20), "people reach courses", || async {
        let (known,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM people WHERE school_id = $1 AND status = 'active'",
        )
        .bind(&school.id)
        .fetch_one(app.db("courses").pool())
        .await
        .unwrap();
        (known >= count).then_some(())
    })
    .await;
}

async fn get(app: &TestApp, path: &str, who: &Person) -> (StatusCode, Value) {
    call(app, Method::GET, path, Some(&who.token), None).await
}

/// A POST without a body, for the operations that take none.
async fn post_empty(app: &TestApp, path: &str, who: &Person) -> (StatusCode, Value) {
    call(app, Method::POST, path, Some(&who.token), None).await
}

async fn post(app: &TestApp, path: &str, who: &Person, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, path, Some(&who.token), Some(body)).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn event_types(app: &TestApp) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT event_type FROM outbox ORDER BY id")
        .fetch_all(app.db("courses").pool())
        .await
        .unwrap();
    rows.into_iter().map(|(t,)| t).collect()
}

each_backend! {
    async fn a_teacher_builds_a_course_and_students_work_through_it(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = school.add(&app, "teacher", "Tess").await;
        let marty = school.add(&app, "student", "Marty").await;
        let jennifer = school.add(&app, "student", "Jennifer").await;
        known_to_courses(&app, &school, 4).await;

        // A draft, with script in its Markdown neutralised.
        let (status, course) = post(
            &app,
            "/api/v1/courses",
            &teacher,
            json!({ "title": "Biology 101", "summary": "Cells and life",
                    "description": "# Welcome\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))",
                    "subject": "Biology", "grade_level": "9", "tags": ["Science", "lab"],
                    "enrollment_mode": "code", "language": "en" }),
        )
        .await;
        assert_eq!(status, 201, "{course}");
        let course_id = course["id"].as_str().unwrap().to_owned();
        assert_eq!(course["visibility"], "draft");
        assert_eq!(course["my_role"], "teacher");
        assert_eq!(course["tags"], json!(["science", "lab"]));
        let html = course["description_html"].as_str().unwrap();
        assert!(html.contains("<h1>Welcome</h1>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("href=\"javascript"),
            "{html}"
        );
        let code = course["enrollment_code"].as_str().unwrap().to_owned();

        // Drafts are invisible to students, in the catalogue and by id.
        let (status, _) = get(&app, &format!("/api/v1/courses/{course_id}"), &marty).await;
        assert_eq!(status, 404);
        let (_, page) = get(&app, "/api/v1/courses", &marty).await;
        assert!(!ids(&page).contains(&course_id));
        let (_, page) = get(&app, "/api/v1/courses", &teacher).await;
        assert!(ids(&page).contains(&course_id));

        // Structure: two modules, the second waiting for the first.
        let (status, m1) = post(
            &app,
            &format!("/api/v1/courses/{course_id}/modules"),
            &teacher,
            json!({ "title": "Cells" }),
        )
        .await;
        assert_eq!(status, 201, "{m1}");
        let (_, m2) = post(
            &app,
            &format!("/api/v1/courses/{course_id}/modules"),
            &teacher,
            json!({ "title": "Genetics", "requires_previous": true }),
        )
        .await;
        let (m1, m2) = (
            m1["id"].as_str().unwrap().to_owned(),
            m2["id"].as_str().unwrap().to_owned(),
        );
        let (status, bad) = post(&app, &format!("/api/v1/modules/{m1}/lessons"), &teacher,
            json!({ "title": "Bad video", "video_url": "https://evil.example/watch?v=abcdefghijk" })).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(bad["errors"][0]["field"], "video_url");
        let (status, l1) = post(
            &app,
            &format!("/api/v1/modules/{m1}/lessons"),
            &teacher,
            json!({ "title": "The cell", "body": "Cells <img src=x onerror=alert(1)> are **small**",
                    "video_url": " HTTPS://YouTu.be/dQw4w9WgXcQ ", "estimated_minutes": 20,
                    "attachments": [{ "name": "Worksheet", "url": "https://example.org/w.pdf" }] }),
        )
        .await;
        assert_eq!(status, 201, "{l1}");
        assert_eq!(
            l1["video_embed_url"],
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        );
        assert_eq!(l1["video_url"], "https://youtu.be/dQw4w9WgXcQ", "stored normalized");
        assert!(!l1["body_html"].as_str().unwrap().contains("onerror"));
        let (_, l2) = post(
            &app,
            &format!("/api/v1/modules/{m1}/lessons"),
            &teacher,
            json!({ "title": "Extra reading", "required": false }),
        )
        .await;
        let (_, l3) = post(
            &app,
            &format!("/api/v1/modules/{m2}/lessons"),
            &teacher,
            json!({ "title": "DNA" }),
        )
        .await;
        let (l1, l2, l3) = (
            l1["id"].as_str().unwrap().to_owned(),
            l2["id"].as_str().unwrap().to_owned(),
            l3["id"].as_str().unwrap().to_owned(),
        );

        // A reordering must name every lesson once; a bad one changes nothing.
        let (status, problem) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/modules/{m1}/lessons/order"),
            Some(&teacher.token),
            Some(json!({ "lesson_ids": [l2] })),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["code"], "order_mismatch");
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/modules/{m1}/lessons/order"),
            Some(&teacher.token),
            Some(json!({ "lesson_ids": [l2, l1] })),
        )
        .await;
        assert_eq!(status, 204);
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/modules/{m1}/lessons/order"),
            Some(&teacher.token),
            Some(json!({ "lesson_ids": [l1, l2] })),
        )
        .await;
        assert_eq!(status, 204);

        // Published: in the catalogue, found by filters.
        let (status, published) = post_empty(&app, &format!("/api/v1/courses/{course_id}/publish"), &teacher)
        .await;
        assert_eq!(status, 200, "{published}");
        for filter in [
            "",
            "?subject=biology",
            "?tag=lab",
            "?q=cells",
            "?grade_level=9",
        ] {
            let (_, page) = get(&app, &format!("/api/v1/courses{filter}"), &marty).await;
            assert_eq!(ids(&page), vec![course_id.clone()], "filter {filter}");
        }
        let (_, page) = get(&app, "/api/v1/courses?subject=history", &marty).await;
        assert!(ids(&page).is_empty());
        let (status, outline) = get(&app, &format!("/api/v1/courses/{course_id}"), &marty).await;
        assert_eq!(status, 200);
        assert!(
            outline["enrollment_code"].is_null(),
            "students never see the code"
        );
        assert_eq!(outline["teachers"][0]["display_name"], "Tess");
        assert_eq!(outline["modules"][1]["locked"], true);

        // Lessons are for members; enrollment needs the code.
        let (status, _) = get(&app, &format!("/api/v1/lessons/{l1}"), &marty).await;
        assert_eq!(status, 403);
        let enroll = format!("/api/v1/courses/{course_id}/enroll");
        let (status, problem) = post(&app, &enroll, &marty, json!({})).await;
        assert_eq!(
            (status, problem["errors"][0]["code"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("required"))
        );
        let (status, problem) = post(&app, &enroll, &marty, json!({ "code": "WRONGCODE1" })).await;
        assert_eq!(
            (status, problem["errors"][0]["code"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("wrong_code"))
        );
        let (status, place) = post(
            &app,
            &enroll,
            &marty,
            json!({ "code": code.to_lowercase() }),
        )
        .await;
        assert_eq!(status, 201, "{place}");
        assert_eq!(place["role"], "student");
        let (status, _) = post(&app, &enroll, &marty, json!({ "code": code })).await;
        assert_eq!(status, 200, "enrolling twice keeps one place");

        // Progress: the second module opens once the first one's required lesson is done.
        let (status, lesson) = get(&app, &format!("/api/v1/lessons/{l1}"), &marty).await;
        assert_eq!(status, 200, "{lesson}");
        assert!(
            lesson["body"].is_null(),
            "students get the rendered body only"
        );
        let (status, _) = get(&app, &format!("/api/v1/lessons/{l3}"), &marty).await;
        assert_eq!(status, 403, "locked");
        let (status, _) = post_empty(&app, &format!("/api/v1/lessons/{l3}/complete"), &marty)
        .await;
        assert_eq!(status, 403, "locked lessons cannot be completed");
        let (status, done) = post_empty(&app, &format!("/api/v1/lessons/{l1}/complete"), &marty)
        .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["progress"]["percent"], 50);
        assert_eq!(done["course_completed"], false);
        let (_, progress) = get(
            &app,
            &format!("/api/v1/courses/{course_id}/progress"),
            &marty,
        )
        .await;
        assert_eq!(progress["percent"], 50);
        assert_eq!(progress["modules"][1]["locked"], false);
        assert_eq!(progress["next_lesson"]["id"], l2.as_str());
        let (status, done) = post_empty(&app, &format!("/api/v1/lessons/{l3}/complete"), &marty)
        .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["course_completed"], true);
        assert_eq!(done["progress"]["percent"], 100);
        assert!(
            done["progress"]["completed_at"].is_string(),
            "the answer says when the course was completed: {done}"
        );
        let (status, again) = post_empty(&app, &format!("/api/v1/lessons/{l3}/complete"), &marty)
        .await;
        assert_eq!(status, 200, "{again}");

        // Jennifer comes by the class roster; an unknown entry stops the whole list.
        let roster = format!("/api/v1/courses/{course_id}/roster");
        let (status, problem) = post(
            &app,
            &roster,
            &teacher,
            json!({ "people": [jennifer.email, "nobody@hill-valley.example"] }),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "people[1]");
        let (status, _) = get(&app, &format!("/api/v1/lessons/{l1}"), &jennifer).await;
        assert_eq!(status, 403, "nothing of the failed roster was applied");
        let (status, result) = post(
            &app,
            &roster,
            &teacher,
            json!({ "people": [jennifer.email, marty.id] }),
        )
        .await;
        assert_eq!(status, 200, "{result}");
        assert_eq!(result, json!({ "enrolled": 1, "unchanged": 1 }));

        // The class view: who is where.
        let (status, class) = get(
            &app,
            &format!("/api/v1/courses/{course_id}/progress/class"),
            &teacher,
        )
        .await;
        assert_eq!(status, 200, "{class}");
        let students = class["students"].as_array().unwrap();
        assert_eq!(students.len(), 2);
        let by_name = |name: &str| {
            students
                .iter()
                .find(|s| s["display_name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(by_name("Marty")["percent"], 100);
        assert!(by_name("Marty")["completed_at"].is_string());
        assert_eq!(by_name("Jennifer")["percent"], 0);
        assert_eq!(by_name("Jennifer")["next_lesson"]["id"], l1.as_str());
        let (status, _) = get(
            &app,
            &format!("/api/v1/courses/{course_id}/progress/class"),
            &marty,
        )
        .await;
        assert_eq!(status, 403);

        // Announcements: staff post, members read.
        let path = format!("/api/v1/courses/{course_id}/announcements");
        let (status, _) = post(&app, &path, &marty, json!({ "title": "Hi", "body": "x" })).await;
        assert_eq!(status, 403);
        let (status, posted) = post(
            &app,
            &path,
            &teacher,
            json!({ "title": "Lab on Friday", "body": "Bring *goggles*" }),
        )
        .await;
        assert_eq!(status, 201, "{posted}");
        let (status, list) = get(&app, &path, &jennifer).await;
        assert_eq!(status, 200);
        assert_eq!(list["items"][0]["title"], "Lab on Friday");
        assert_eq!(list["items"][0]["author_name"], "Tess");

        // A copy for next term: same outline, no one in it but its teacher, a draft.
        let (status, copy) = post(
            &app,
            &format!("/api/v1/courses/{course_id}/duplicate"),
            &teacher,
            json!({ "title": "Biology 101 (2027)" }),
        )
        .await;
        assert_eq!(status, 201, "{copy}");
        assert_eq!(copy["visibility"], "draft");
        assert_eq!(copy["modules"].as_array().unwrap().len(), 2);
        assert_eq!(copy["modules"][0]["lessons"].as_array().unwrap().len(), 2);
        let (_, members) = get(
            &app,
            &format!("/api/v1/courses/{}/members", copy["id"].as_str().unwrap()),
            &teacher,
        )
        .await;
        assert_eq!(members["items"].as_array().unwrap().len(), 1);

        // Dropping leaves; archiving freezes the course.
        let (status, _) = call(&app, Method::DELETE, &enroll, Some(&jennifer.token), None).await;
        assert_eq!(status, 204);
        let (status, _) = post_empty(&app, &format!("/api/v1/courses/{course_id}/archive"), &teacher)
        .await;
        assert_eq!(status, 200);
        let (status, problem) = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/courses/{course_id}"),
            Some(&teacher.token),
            Some(json!({ "title": "New" })),
        )
        .await;
        assert_eq!(
            (status, problem["code"].clone()),
            (StatusCode::CONFLICT, json!("course_archived"))
        );
        let (status, _) = get(&app, &format!("/api/v1/lessons/{l1}"), &marty).await;
        assert_eq!(status, 200, "members keep reading an archived course");
        let (_, page) = get(&app, "/api/v1/courses", &marty).await;
        assert!(!ids(&page).contains(&course_id));

        // Everything that others must learn about went through the outbox, once.
        let types = event_types(&app).await;
        let count = |t: &str| {
            types
                .iter()
                .filter(|x| x.as_str() == format!("campus.courses.{t}.v1"))
                .count()
        };
        assert_eq!(count("course_created"), 2);
        assert_eq!(count("course_published"), 1);
        assert_eq!(
            count("lesson_published"),
            3,
            "the three lessons became visible with the course"
        );
        assert_eq!(count("lesson_completed"), 2);
        assert_eq!(count("course_completed"), 1);
        assert_eq!(count("announcement_posted"), 1);
        assert_eq!(count("enrollment_revoked"), 1);
        assert_eq!(count("course_archived"), 1);
        // teacher ×2 (course and copy), Marty, Jennifer
        assert_eq!(count("enrollment_granted"), 4);

        // And reached the bus: the relay marks a row published once the log has it.
        eventually(
            Duration::from_secs(20),
            "course events on the bus",
            || async {
                let (waiting,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
                        .fetch_one(app.db("courses").pool())
                        .await
                        .unwrap();
                (waiting == 0).then_some(())
            },
        )
        .await;

        app.stop().await;
    }
}

/// A route, the body to send, and what each asker gets.
type Route<'a> = (Method, String, Value, &'a [(Asker, u16)]);

/// Who asks, in the access table below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asker {
    Assistant,
    Student,
    Outsider,
    OtherSchool,
    Anonymous,
}

each_storage! {
    async fn every_course_route_refuses_other_schools_and_lower_roles(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = school.add(&app, "teacher", "Tess").await;
        let assistant = school.add(&app, "teacher", "Andy").await;
        let student = school.add(&app, "student", "Marty").await;
        let outsider = school.add(&app, "student", "Biff").await;
        let other = School::create(&app, "shelbyville").await;
        known_to_courses(&app, &school, 5).await;

        let (_, course) = post(
            &app,
            "/api/v1/courses",
            &teacher,
            json!({ "title": "Physics" }),
        )
        .await;
        let c = course["id"].as_str().unwrap().to_owned();
        let (_, module) = post(
            &app,
            &format!("/api/v1/courses/{c}/modules"),
            &teacher,
            json!({ "title": "Motion" }),
        )
        .await;
        let m = module["id"].as_str().unwrap().to_owned();
        let (_, lesson) = post(
            &app,
            &format!("/api/v1/modules/{m}/lessons"),
            &teacher,
            json!({ "title": "Speed" }),
        )
        .await;
        let l = lesson["id"].as_str().unwrap().to_owned();
        post_empty(&app, &format!("/api/v1/courses/{c}/publish"), &teacher)
        .await;
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/courses/{c}/members/{}", assistant.id),
            Some(&teacher.token),
            Some(json!({ "role": "assistant" })),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = post(
            &app,
            &format!("/api/v1/courses/{c}/enroll"),
            &student,
            json!({}),
        )
        .await;
        assert_eq!(status, 201);

        let token = |asker: Asker| -> Option<String> {
            match asker {
                Asker::Assistant => Some(assistant.token.clone()),
                Asker::Student => Some(student.token.clone()),
                Asker::Outsider => Some(outsider.token.clone()),
                Asker::OtherSchool => Some(other.admin.token.clone()),
                Asker::Anonymous => None,
            }
        };
        use Asker::*;
        let teachers_only = [
            (Assistant, 403),
            (Student, 403),
            (Outsider, 403),
            (OtherSchool, 404),
            (Anonymous, 401),
        ];
        let staff_only = [
            (Student, 403),
            (Outsider, 403),
            (OtherSchool, 404),
            (Anonymous, 401),
        ];
        let members_only = [(Outsider, 403), (OtherSchool, 404), (Anonymous, 401)];
        let students_only = [
            (Assistant, 403),
            (Outsider, 403),
            (OtherSchool, 404),
            (Anonymous, 401),
        ];
        let anyone_here = [(OtherSchool, 404), (Anonymous, 401)];
        let u = &student.id;
        let routes: Vec<Route> = vec![
            (
                Method::PATCH,
                format!("/api/v1/courses/{c}"),
                json!({ "title": "Hacked" }),
                &teachers_only,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/publish"),
                Value::Null,
                &teachers_only,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/archive"),
                Value::Null,
                &teachers_only,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/duplicate"),
                json!({}),
                &teachers_only,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/enrollment-code"),
                Value::Null,
                &teachers_only,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/modules"),
                json!({ "title": "X" }),
                &teachers_only,
            ),
            (
                Method::PUT,
                format!("/api/v1/courses/{c}/modules/order"),
                json!({ "module_ids": [m] }),
                &teachers_only,
            ),
            (
                Method::PATCH,
                format!("/api/v1/modules/{m}"),
                json!({ "title": "X" }),
                &teachers_only,
            ),
            (
                Method::DELETE,
                format!("/api/v1/modules/{m}"),
                Value::Null,
                &teachers_only,
            ),
            (
                Method::POST,
                format!("/api/v1/modules/{m}/lessons"),
                json!({ "title": "X" }),
                &teachers_only,
            ),
            (
                Method::PUT,
                format!("/api/v1/modules/{m}/lessons/order"),
                json!({ "lesson_ids": [l] }),
                &teachers_only,
            ),
            (
                Method::PATCH,
                format!("/api/v1/lessons/{l}"),
                json!({ "title": "X" }),
                &teachers_only,
            ),
            (
                Method::DELETE,
                format!("/api/v1/lessons/{l}"),
                Value::Null,
                &teachers_only,
            ),
            (
                Method::PUT,
                format!("/api/v1/courses/{c}/members/{u}"),
                json!({ "role": "teacher" }),
                &teachers_only,
            ),
            (
                Method::DELETE,
                format!("/api/v1/courses/{c}/members/{u}"),
                Value::Null,
                &teachers_only,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/roster"),
                json!({ "people": [outsider.email] }),
                &teachers_only,
            ),
            (
                Method::GET,
                format!("/api/v1/courses/{c}/members"),
                Value::Null,
                &staff_only,
            ),
            (
                Method::GET,
                format!("/api/v1/courses/{c}/progress/class"),
                Value::Null,
                &staff_only,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/announcements"),
                json!({ "title": "X", "body": "Y" }),
                &staff_only,
            ),
            (
                Method::GET,
                format!("/api/v1/courses/{c}/announcements"),
                Value::Null,
                &members_only,
            ),
            (
                Method::GET,
                format!("/api/v1/lessons/{l}"),
                Value::Null,
                &members_only,
            ),
            (
                Method::POST,
                format!("/api/v1/lessons/{l}/complete"),
                Value::Null,
                &students_only,
            ),
            (
                Method::GET,
                format!("/api/v1/courses/{c}/progress"),
                Value::Null,
                &students_only,
            ),
            (
                Method::GET,
                format!("/api/v1/courses/{c}"),
                Value::Null,
                &anyone_here,
            ),
            (
                Method::POST,
                format!("/api/v1/courses/{c}/enroll"),
                json!({}),
                &[(Assistant, 403), (OtherSchool, 404), (Anonymous, 401)],
            ),
            (
                Method::POST,
                "/api/v1/courses".to_owned(),
                json!({ "title": "Mine" }),
                &[(Student, 403), (Anonymous, 401)],
            ),
            (
                Method::GET,
                "/api/v1/courses".to_owned(),
                Value::Null,
                &[(Anonymous, 401)],
            ),
        ];
        for (method, path, body, expected) in &routes {
            for (asker, status) in expected.iter() {
                let body = (!body.is_null()).then(|| body.clone());
                let (got, problem) =
                    call(&app, method.clone(), path, token(*asker).as_deref(), body).await;
                assert_eq!(
                    got.as_u16(),
                    *status,
                    "{method} {path} as {asker:?}: {problem}"
                );
                if *status >= 400 {
                    assert!(
                        problem["code"].is_string(),
                        "problem+json for {method} {path}"
                    );
                }
            }
        }

        // None of the refused calls changed anything.
        let (_, after) = get(&app, &format!("/api/v1/courses/{c}"), &teacher).await;
        assert_eq!(after["title"], "Physics");
        assert_eq!(after["visibility"], "published");
        assert_eq!(after["modules"][0]["lessons"][0]["title"], "Speed");
        assert_eq!(after["enrollment_code"], course["enrollment_code"]);
        let (_, members) = get(&app, &format!("/api/v1/courses/{c}/members"), &teacher).await;
        assert_eq!(members["items"].as_array().unwrap().len(), 3, "{members}");

        // Another school's catalogue never lists this school's courses.
        let (_, page) = get(&app, "/api/v1/courses", &other.admin).await;
        assert!(ids(&page).is_empty());

        // A draft is as invisible to a student as a missing course, on every route.
        let (_, draft) = post(
            &app,
            "/api/v1/courses",
            &teacher,
            json!({ "title": "Secret draft" }),
        )
        .await;
        let d = draft["id"].as_str().unwrap();
        for (method, path) in [
            (Method::GET, format!("/api/v1/courses/{d}")),
            (Method::POST, format!("/api/v1/courses/{d}/enroll")),
            (Method::GET, format!("/api/v1/courses/{d}/announcements")),
            (Method::GET, format!("/api/v1/courses/{d}/progress")),
            (Method::GET, "/api/v1/courses/not-a-course".to_owned()),
        ] {
            let (status, problem) =
                call(&app, method.clone(), &path, Some(&student.token), None).await;
            assert_eq!(status, 404, "{method} {path}: {problem}");
            assert_eq!(problem["code"], "not_found");
        }

        app.stop().await;
    }
}

each_backend! {
    async fn deactivation_and_demotion_apply_to_courses_at_once(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = school.add(&app, "teacher", "Tess").await;
        let demoted = school.add(&app, "teacher", "Dan").await;
        known_to_courses(&app, &school, 3).await;
        let (status, _) = post(
            &app,
            "/api/v1/courses",
            &demoted,
            json!({ "title": "Before" }),
        )
        .await;
        assert_eq!(status, 201);

        let (status, _) = post_empty(&app, &format!("/api/v1/users/{}/deactivate", teacher.id), &school.admin)
        .await;
        assert_eq!(status, 200);
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{}/role", demoted.id),
            Some(&school.admin.token),
            Some(json!({ "role": "student" })),
        )
        .await;
        assert_eq!(status, 200);

        // Their access tokens are still unexpired, but courses has heard.
        eventually(
            Duration::from_secs(20),
            "deactivation reaches courses",
            || async {
                let (status, _) = get(&app, "/api/v1/courses", &teacher).await;
                (status == 401).then_some(())
            },
        )
        .await;
        eventually(
            Duration::from_secs(20),
            "demotion reaches courses",
            || async {
                let (status, _) = post(
                    &app,
                    "/api/v1/courses",
                    &demoted,
                    json!({ "title": "After" }),
                )
                .await;
                (status == 403).then_some(())
            },
        )
        .await;

        app.stop().await;
    }
}

each_storage! {
    async fn enrollment_follows_the_course_rules(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = school.add(&app, "teacher", "Tess").await;
        let student = school.add(&app, "student", "Marty").await;
        let other_teacher = school.add(&app, "teacher", "Otto").await;
        known_to_courses(&app, &school, 4).await;

        let course = |details: Value| {
            let (app, teacher) = (&app, &teacher);
            async move {
                let (status, course) = post(app, "/api/v1/courses", teacher, details).await;
                assert_eq!(status, 201, "{course}");
                let id = course["id"].as_str().unwrap().to_owned();
                post_empty(app, &format!("/api/v1/courses/{id}/publish"), teacher).await;
                id
            }
        };
        let closed = course(json!({ "title": "Closed", "enrollment_mode": "closed" })).await;
        let paid = course(json!({ "title": "Paid", "price_cents": 4900, "currency": "usd" })).await;
        let (status, problem) = post(
            &app,
            &format!("/api/v1/courses/{closed}/enroll"),
            &student,
            json!({}),
        )
        .await;
        assert_eq!(
            (status.as_u16(), problem["code"].as_str()),
            (403, Some("forbidden"))
        );
        let (status, problem) = post(
            &app,
            &format!("/api/v1/courses/{paid}/enroll"),
            &student,
            json!({}),
        )
        .await;
        assert_eq!(
            (status.as_u16(), problem["code"].as_str()),
            (409, Some("payment_required"))
        );
        // A teacher adds them to the closed course; they may drop it.
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/courses/{closed}/members/{}", student.id),
            Some(&teacher.token),
            Some(json!({ "role": "student" })),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/courses/{closed}/enroll"),
            Some(&student.token),
            None,
        )
        .await;
        assert_eq!(status, 204);

        // Only school teachers can teach; a course always keeps a teacher.
        let (status, problem) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/courses/{closed}/members/{}", student.id),
            Some(&teacher.token),
            Some(json!({ "role": "teacher" })),
        )
        .await;
        assert_eq!(
            (status.as_u16(), problem["errors"][0]["code"].as_str()),
            (422, Some("not_a_teacher"))
        );
        let (status, problem) = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/courses/{closed}/members/{}", teacher.id),
            Some(&teacher.token),
            None,
        )
        .await;
        assert_eq!(
            (status.as_u16(), problem["code"].as_str()),
            (409, Some("last_teacher"))
        );
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/courses/{closed}/members/{}", other_teacher.id),
            Some(&teacher.token),
            Some(json!({ "role": "teacher" })),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/courses/{closed}/members/{}", teacher.id),
            Some(&teacher.token),
            None,
        )
        .await;
        assert_eq!(
            status, 204,
            "with a co-teacher in place, the first may leave"
        );
        let (status, _) = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/courses/{closed}"),
            Some(&teacher.token),
            Some(json!({ "title": "Mine again" })),
        )
        .await;
        assert_eq!(status, 403, "and then no longer changes the course");

        // The school's admin runs every course.
        let (status, _) = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/courses/{paid}"),
            Some(&school.admin.token),
            Some(json!({ "price_cents": 0 })),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = post(
            &app,
            &format!("/api/v1/courses/{paid}/enroll"),
            &student,
            json!({}),
        )
        .await;
        assert_eq!(status, 201, "free now");

        // A public course's lessons are open to the whole school; progress still needs a place.
        let open = course(json!({ "title": "Library skills", "public": true })).await;
        let (_, module) = post(
            &app,
            &format!("/api/v1/courses/{open}/modules"),
            &teacher,
            json!({ "title": "Finding books" }),
        )
        .await;
        let (status, lesson) = post(
            &app,
            &format!("/api/v1/modules/{}/lessons", module["id"].as_str().unwrap()),
            &teacher,
            json!({ "title": "The catalogue", "body": "Look it up" }),
        )
        .await;
        assert_eq!(status, 201, "{lesson}");
        let lesson = lesson["id"].as_str().unwrap();
        let (status, read) = get(&app, &format!("/api/v1/lessons/{lesson}"), &student).await;
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["body_html"], "<p>Look it up</p>\n");
        let (status, _) = post_empty(&app, &format!("/api/v1/lessons/{lesson}/complete"), &student)
        .await;
        assert_eq!(status, 403);

        // An unpublished lesson is hidden from students even in a course they belong to.
        let (_, hidden) = post(
            &app,
            &format!("/api/v1/modules/{}/lessons", module["id"].as_str().unwrap()),
            &teacher,
            json!({ "title": "Draft lesson", "published": false }),
        )
        .await;
        let (status, _) = get(
            &app,
            &format!("/api/v1/lessons/{}", hidden["id"].as_str().unwrap()),
            &student,
        )
        .await;
        assert_eq!(status, 404);

        app.stop().await;
    }
}

each_storage! {
    async fn the_catalogue_filters_sorts_and_pages(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = &school.admin;
        let mut made = Vec::new();
        for title in ["Chemistry", "algebra", "Biology", "Drama", "English"] {
            let (status, course) = post(&app, "/api/v1/courses", teacher,
                json!({ "title": title, "subject": if title == "Drama" { "Arts" } else { "Science" } })).await;
            assert_eq!(status, 201, "{course}");
            let id = course["id"].as_str().unwrap().to_owned();
            post_empty(&app, &format!("/api/v1/courses/{id}/publish"), teacher)
            .await;
            made.push(id);
        }
        let page_through = |query: &'static str| {
            let app = &app;
            async move {
                let mut seen = Vec::new();
                let mut cursor = String::new();
                loop {
                    let (status, page) = get(
                        app,
                        &format!("/api/v1/courses?limit=2&{query}&cursor={cursor}"),
                        teacher,
                    )
                    .await;
                    assert_eq!(status, 200, "{page}");
                    for item in page["items"].as_array().unwrap() {
                        seen.push(item["title"].as_str().unwrap().to_owned());
                    }
                    match page["next_cursor"].as_str() {
                        Some(next) => cursor = next.to_owned(),
                        None => return seen,
                    }
                }
            }
        };
        assert_eq!(
            page_through("sort=title").await,
            ["algebra", "Biology", "Chemistry", "Drama", "English"]
        );
        assert_eq!(
            page_through("sort=newest").await,
            ["English", "Drama", "Biology", "algebra", "Chemistry"]
        );
        assert_eq!(
            page_through("sort=oldest").await,
            ["Chemistry", "algebra", "Biology", "Drama", "English"]
        );
        assert_eq!(
            page_through("sort=title&subject=science&q=i").await,
            ["Biology", "Chemistry", "English"]
        );

        for bad in ["limit=0", "limit=201", "sort=random", "visibility=secret"] {
            let (status, problem) = get(&app, &format!("/api/v1/courses?{bad}"), teacher).await;
            assert_eq!(status, 422, "{bad}: {problem}");
        }
        // LIKE wildcards in the text are taken literally.
        let (_, page) = get(&app, "/api/v1/courses?q=%25", teacher).await;
        assert!(ids(&page).is_empty());

        app.stop().await;
    }
}

each_storage! {
    async fn bad_course_input_is_refused_and_writes_nothing(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = &school.admin;

        let cases: Vec<(Value, u16, &str)> = vec![
            (json!({}), 422, "title"),
            (json!({ "title": "   " }), 422, "title"),
            (json!({ "title": "x".repeat(201) }), 422, "title"),
            (json!({ "title": "Ok", "tags": vec!["t"; 21] }), 422, "tags"),
            (
                json!({ "title": "Ok", "price_cents": 100 }),
                422,
                "currency",
            ),
            (
                json!({ "title": "Ok", "price_cents": -5, "currency": "EUR" }),
                422,
                "price_cents",
            ),
            (
                json!({ "title": "Ok", "cover_image_url": "javascript:alert(1)" }),
                422,
                "cover_image_url",
            ),
            (
                json!({ "title": "Ok", "language": "not a language" }),
                422,
                "language",
            ),
            (
                json!({ "title": "Ok", "enrollment_mode": "everyone" }),
                422,
                "enrollment_mode",
            ),
            (json!({ "title": "Ok", "owner": "someone" }), 422, "body"),
            (json!({ "title": 5 }), 422, "title"),
        ];
        for (body, status, field) in cases {
            let (got, problem) = post(&app, "/api/v1/courses", teacher, body.clone()).await;
            assert_eq!(got.as_u16(), status, "{body}: {problem}");
            if field != "body" {
                assert!(
                    problem["errors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e["field"] == field),
                    "{body}: {problem}"
                );
            }
        }
        let response = app
            .client
            .post(app.url("/api/v1/courses"))
            .bearer_auth(&teacher.token)
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );

        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM courses")
            .fetch_one(app.db("courses").pool())
            .await
            .unwrap();
        assert_eq!(count, 0, "no refused request wrote a course");
        let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
            .fetch_one(app.db("courses").pool())
            .await
            .unwrap();
        assert_eq!(events, 0, "nor announced one");

        app.stop().await;
    }
}

each_storage! {
    async fn every_course_route_is_in_the_openapi_document(env: TestEnv) {
        let app = start(&env).await;
        let document: Value = app
            .client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let documented = |path: &str, method: &str| document["paths"][path][method].is_object();
        for (method, path) in [
            ("get", "/api/v1/courses"),
            ("post", "/api/v1/courses"),
            ("get", "/api/v1/courses/{id}"),
            ("patch", "/api/v1/courses/{id}"),
            ("post", "/api/v1/courses/{id}/publish"),
            ("post", "/api/v1/courses/{id}/archive"),
            ("post", "/api/v1/courses/{id}/duplicate"),
            ("post", "/api/v1/courses/{id}/enrollment-code"),
            ("post", "/api/v1/courses/{id}/modules"),
            ("put", "/api/v1/courses/{id}/modules/order"),
            ("patch", "/api/v1/modules/{id}"),
            ("delete", "/api/v1/modules/{id}"),
            ("post", "/api/v1/modules/{id}/lessons"),
            ("put", "/api/v1/modules/{id}/lessons/order"),
            ("get", "/api/v1/lessons/{id}"),
            ("patch", "/api/v1/lessons/{id}"),
            ("delete", "/api/v1/lessons/{id}"),
            ("post", "/api/v1/lessons/{id}/complete"),
            ("get", "/api/v1/courses/{id}/progress"),
            ("get", "/api/v1/courses/{id}/progress/class"),
            ("post", "/api/v1/courses/{id}/enroll"),
            ("delete", "/api/v1/courses/{id}/enroll"),
            ("get", "/api/v1/courses/{id}/members"),
            ("put", "/api/v1/courses/{id}/members/{user_id}"),
            ("delete", "/api/v1/courses/{id}/members/{user_id}"),
            ("post", "/api/v1/courses/{id}/roster"),
            ("get", "/api/v1/courses/{id}/announcements"),
            ("post", "/api/v1/courses/{id}/announcements"),
        ] {
            assert!(documented(path, method), "{method} {path} is documented");
            assert_eq!(document["paths"][path][method]["tags"][0], "courses");
        }
        app.stop().await;
    }
}

each_storage! {
    /// Double clicks and retries at exam time: racing requests give one place, one completion of
    /// the course and one event each.
    async fn racing_enrollments_and_completions_count_once(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = &school.admin;
        let student = school.add(&app, "student", "Marty").await;
        let (_, course) = post(
            &app,
            "/api/v1/courses",
            teacher,
            json!({ "title": "Physics" }),
        )
        .await;
        let c = course["id"].as_str().unwrap().to_owned();
        let (_, module) = post(
            &app,
            &format!("/api/v1/courses/{c}/modules"),
            teacher,
            json!({ "title": "Motion" }),
        )
        .await;
        let (_, lesson) = post(
            &app,
            &format!("/api/v1/modules/{}/lessons", module["id"].as_str().unwrap()),
            teacher,
            json!({ "title": "Speed" }),
        )
        .await;
        let l = lesson["id"].as_str().unwrap().to_owned();
        post_empty(&app, &format!("/api/v1/courses/{c}/publish"), teacher)
        .await;

        let enroll = format!("/api/v1/courses/{c}/enroll");
        let enrolls = (0..8).map(|_| post(&app, &enroll, &student, json!({})));
        let answers = futures::future::join_all(enrolls).await;
        let created = answers.iter().filter(|(s, _)| *s == 201).count();
        assert!(
            answers.iter().all(|(s, _)| *s == 201 || *s == 200),
            "{answers:?}"
        );
        assert_eq!(created, 1, "{answers:?}");

        let complete = format!("/api/v1/lessons/{l}/complete");
        let completes = (0..8).map(|_| post_empty(&app, &complete, &student));
        let answers = futures::future::join_all(completes).await;
        assert!(
            answers
                .iter()
                .all(|(s, b)| *s == 200 && b["course_completed"] == true),
            "{answers:?}"
        );

        let types = event_types(&app).await;
        let count = |t: &str| {
            types
                .iter()
                .filter(|x| x.as_str() == format!("campus.courses.{t}.v1"))
                .count()
        };
        assert_eq!(
            count("enrollment_granted"),
            2,
            "the teacher's place and Marty's"
        );
        assert_eq!(count("lesson_completed"), 1);
        assert_eq!(count("course_completed"), 1);

        app.stop().await;
    }
}

each_backend! {
    /// Reads are served from memory; every change forgets what it touched when it commits, so the
    /// one who made a change reads it back at once (not after the caches' two seconds).
    async fn every_change_is_read_back_at_once(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let teacher = school.add(&app, "teacher", "Tess").await;
        let other = school.add(&app, "teacher", "Theo").await;
        let marty = school.add(&app, "student", "Marty").await;
        known_to_courses(&app, &school, 4).await;
        let course_page = |id: &str| format!("/api/v1/courses/{id}");

        // Warm every cache, then change and read straight back.
        let (_, course) = post(&app, "/api/v1/courses", &teacher, json!({ "title": "Bio" })).await;
        let id = course["id"].as_str().unwrap().to_owned();
        let (_, page) = get(&app, "/api/v1/courses", &teacher).await;
        assert!(
            ids(&page).contains(&id),
            "a new course is in its teacher's catalogue"
        );

        let (status, _) = call(
            &app,
            Method::PATCH,
            &course_page(&id),
            Some(&teacher.token),
            Some(json!({ "title": "Biology", "tags": ["lab"] })),
        )
        .await;
        assert_eq!(status, 200);
        let (_, page) = get(&app, "/api/v1/courses?tag=lab", &teacher).await;
        assert_eq!(page["items"][0]["title"], "Biology", "details: {page}");

        let (_, code) = post_empty(&app, &format!("{}/enrollment-code", course_page(&id)), &teacher)
        .await;
        let (_, view) = get(&app, &course_page(&id), &teacher).await;
        assert_eq!(
            view["enrollment_code"], code["enrollment_code"],
            "a new enrollment code"
        );

        let (_, module) = post(
            &app,
            &format!("{}/modules", course_page(&id)),
            &teacher,
            json!({ "title": "Cells" }),
        )
        .await;
        let module_id = module["id"].as_str().unwrap().to_owned();
        let (_, view) = get(&app, &course_page(&id), &teacher).await;
        assert_eq!(view["modules"][0]["title"], "Cells", "a new module");

        let (_, lesson) = post(
            &app,
            &format!("/api/v1/modules/{module_id}/lessons"),
            &teacher,
            json!({ "title": "The cell" }),
        )
        .await;
        let lesson_id = lesson["id"].as_str().unwrap().to_owned();
        let (_, view) = get(&app, &course_page(&id), &teacher).await;
        assert_eq!(
            view["modules"][0]["lessons"][0]["id"], lesson_id,
            "a new lesson"
        );

        let (status, _) = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/lessons/{lesson_id}"),
            Some(&teacher.token),
            Some(json!({ "title": "The living cell" })),
        )
        .await;
        assert_eq!(status, 200);
        let (_, view) = get(&app, &course_page(&id), &teacher).await;
        assert_eq!(
            view["modules"][0]["lessons"][0]["title"], "The living cell",
            "a renamed lesson"
        );

        let (status, _) = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/modules/{module_id}"),
            Some(&teacher.token),
            Some(json!({ "title": "Living cells" })),
        )
        .await;
        assert_eq!(status, 200);
        let (_, view) = get(&app, &course_page(&id), &teacher).await;
        assert_eq!(
            view["modules"][0]["title"], "Living cells",
            "a renamed module"
        );

        // The catalogue shows a draft to its staff: a new co-teacher sees it at once.
        let (_, page) = get(&app, "/api/v1/courses", &other).await;
        assert!(!ids(&page).contains(&id));
        let (status, _) = call(
            &app,
            Method::PUT,
            &format!("{}/members/{}", course_page(&id), other.id),
            Some(&teacher.token),
            Some(json!({ "role": "teacher" })),
        )
        .await;
        assert_eq!(status, 200);
        let (_, page) = get(&app, "/api/v1/courses", &other).await;
        assert!(ids(&page).contains(&id), "a new teacher sees the draft");
        let (_, view) = get(&app, &course_page(&id), &marty).await;
        assert_eq!(view["code"], "not_found");

        let (status, _) = post_empty(&app, &format!("{}/publish", course_page(&id)), &teacher)
        .await;
        assert_eq!(status, 200);
        let (_, page) = get(&app, "/api/v1/courses", &marty).await;
        assert!(ids(&page).contains(&id), "published: in the catalogue");

        let (status, _) = post(
            &app,
            &format!("{}/enroll", course_page(&id)),
            &marty,
            json!({}),
        )
        .await;
        assert_eq!(status, 201);
        let (_, view) = get(&app, &course_page(&id), &marty).await;
        assert_eq!(view["my_role"], "student", "enrolled");
        let (status, _) = call(
            &app,
            Method::DELETE,
            &format!("{}/enroll", course_page(&id)),
            Some(&marty.token),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (_, view) = get(&app, &course_page(&id), &marty).await;
        assert_eq!(view["my_role"], Value::Null, "dropped");

        let (status, _) = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/lessons/{lesson_id}"),
            Some(&teacher.token),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (_, view) = get(&app, &course_page(&id), &teacher).await;
        assert_eq!(view["modules"][0]["lessons"], json!([]), "a removed lesson");

        let (_, copy) = post(
            &app,
            &format!("{}/duplicate", course_page(&id)),
            &teacher,
            json!({}),
        )
        .await;
        let copy_id = copy["id"].as_str().unwrap().to_owned();
        let (_, page) = get(&app, "/api/v1/courses?visibility=draft", &teacher).await;
        assert!(ids(&page).contains(&copy_id), "a copy");

        let (status, _) = post_empty(&app, &format!("{}/archive", course_page(&id)), &teacher)
        .await;
        assert_eq!(status, 200);
        let (_, page) = get(&app, "/api/v1/courses", &marty).await;
        assert!(!ids(&page).contains(&id), "archived: out of the catalogue");
        app.stop().await;
    }
}

each_storage! {
    /// A teacher demoted to student loses the rights of every course they teach, with their
    /// old token and with a fresh one, on every staff route; restored, they have them again;
    /// deactivated, they are refused (401) everywhere.
    async fn a_demoted_teacher_loses_every_staff_route_until_restored(env: TestEnv) {
        let app = start(&env).await;
        let school = School::create(&app, "hill-valley").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let marty = school.add(&app, "student", "Marty").await;
        known_to_courses(&app, &school, 3).await;
        let (_, course) = post(&app, "/api/v1/courses", &tess, json!({ "title": "Biology" })).await;
        let c = course["id"].as_str().unwrap().to_owned();
        let (_, module) =
            post(&app, &format!("/api/v1/courses/{c}/modules"), &tess, json!({ "title": "Cells" }))
                .await;
        let m = module["id"].as_str().unwrap().to_owned();
        let (_, lesson) =
            post(&app, &format!("/api/v1/modules/{m}/lessons"), &tess, json!({ "title": "One" }))
                .await;
        let l = lesson["id"].as_str().unwrap().to_owned();
        post_empty(&app, &format!("/api/v1/courses/{c}/publish"), &tess).await;
        let (status, _) = post(
            &app,
            &format!("/api/v1/courses/{c}/roster"),
            &tess,
            json!({ "people": [marty.email] }),
        )
        .await;
        assert_eq!(status, 200);

        // Every route a course's staff have, with a body that would succeed for them now (the
        // orders name the course's modules and the module's lessons as they are).
        let staff_routes = || {
            let (app, school, c, m, l, marty) = (&app, &school, &c, &m, &l, &marty);
            async move {
                let (_, outline) = get(app, &format!("/api/v1/courses/{c}"), &school.admin).await;
                let module_ids: Vec<Value> = outline["modules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|module| module["id"].clone())
                    .collect();
                let lesson_ids: Vec<Value> = outline["modules"][0]["lessons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|lesson| lesson["id"].clone())
                    .collect();
                vec![
                    (Method::PATCH, format!("/api/v1/courses/{c}"), json!({ "summary": "New" })),
                    (Method::GET, format!("/api/v1/courses/{c}/members"), Value::Null),
                    (Method::PUT, format!("/api/v1/courses/{c}/members/{}", marty.id), json!({ "role": "student" })),
                    (Method::POST, format!("/api/v1/courses/{c}/roster"), json!({ "people": [marty.email] })),
                    (Method::GET, format!("/api/v1/courses/{c}/progress/class"), Value::Null),
                    (Method::POST, format!("/api/v1/courses/{c}/announcements"), json!({ "title": "Hi", "body": "Hello" })),
                    (Method::PUT, format!("/api/v1/courses/{c}/modules/order"), json!({ "module_ids": module_ids })),
                    (Method::PUT, format!("/api/v1/modules/{m}/lessons/order"), json!({ "lesson_ids": lesson_ids })),
                    (Method::POST, format!("/api/v1/courses/{c}/modules"), json!({ "title": "More" })),
                    (Method::PATCH, format!("/api/v1/modules/{m}"), json!({ "title": "Cells!" })),
                    (Method::POST, format!("/api/v1/modules/{m}/lessons"), json!({ "title": "Two" })),
                    (Method::PATCH, format!("/api/v1/lessons/{l}"), json!({ "title": "One!" })),
                    (Method::POST, format!("/api/v1/courses/{c}/enrollment-code"), Value::Null),
                    (Method::POST, format!("/api/v1/courses/{c}/duplicate"), json!({})),
                    (Method::POST, format!("/api/v1/courses/{c}/publish"), Value::Null),
                ]
            }
        };
        let ask = |token: String| {
            let (app, staff_routes) = (&app, &staff_routes);
            async move {
                let mut answers = Vec::new();
                for (method, path, body) in staff_routes().await {
                    let body = (!body.is_null()).then_some(body);
                    let (status, problem) = call(app, method.clone(), &path, Some(&token), body).await;
                    answers.push((format!("{method} {path}"), status.as_u16(), problem));
                }
                answers
            }
        };
        for (route, status, problem) in ask(tess.token.clone()).await {
            assert!((200..300).contains(&status), "as teacher, {route}: {status} {problem}");
        }

        let set_role = |role: &'static str| {
            let (app, school, tess) = (&app, &school, &tess);
            async move {
                let (status, body) = call(
                    app,
                    Method::PUT,
                    &format!("/api/v1/users/{}/role", tess.id),
                    Some(&school.admin.token),
                    Some(json!({ "role": role })),
                )
                .await;
                assert_eq!(status, 200, "{body}");
            }
        };
        set_role("student").await;
        eventually(Duration::from_secs(20), "the demotion reaches courses", || async {
            let (status, _) = get(&app, &format!("/api/v1/courses/{c}/members"), &tess).await;
            (status == 403).then_some(())
        })
        .await;
        let (status, fresh) = call(
            &app,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "school": "hill-valley", "email": tess.email, "password": PASSWORD })),
        )
        .await;
        assert_eq!(status, 200);
        let fresh = fresh["access_token"].as_str().unwrap().to_owned();
        for token in [tess.token.clone(), fresh.clone()] {
            for (route, status, problem) in ask(token).await {
                assert!(
                    status == 403 || status == 404,
                    "demoted, {route}: {status} {problem}"
                );
            }
        }
        let (_, view) = get(&app, &format!("/api/v1/courses/{c}"), &tess).await;
        assert_eq!(view["my_role"], Value::Null, "no teacher in the course now");

        set_role("teacher").await;
        eventually(Duration::from_secs(20), "the restoration reaches courses", || async {
            let (status, _) = get(&app, &format!("/api/v1/courses/{c}/members"), &tess).await;
            (status == 200).then_some(())
        })
        .await;
        for (route, status, problem) in ask(fresh.clone()).await {
            assert!((200..300).contains(&status), "restored, {route}: {status} {problem}");
        }

        let (status, _) =
            post_empty(&app, &format!("/api/v1/users/{}/deactivate", tess.id), &school.admin).await;
        assert_eq!(status, 200);
        eventually(Duration::from_secs(20), "the deactivation reaches courses", || async {
            let (status, _) = get(&app, &format!("/api/v1/courses/{c}/members"), &tess).await;
            (status == 401).then_some(())
        })
        .await;
        for (route, status, problem) in ask(fresh).await {
            assert_eq!(status, 401, "deactivated, {route}: {problem}");
        }
        app.stop().await;
    }
}
