//! Courses through the API with real people from identity: a teacher builds a course, students
//! enroll and work through it, staff follow the class — and no route reaches another school or
//! lets a lower role through. Runs on every storage and bus backend.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{
    backends, eventually,
    people::{call, Person, School},
    TestApp, TestEnv,
};

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

#[tokio::test]
async fn a_teacher_builds_a_course_and_students_work_through_it() {
    for backend in backends() {
        eprintln!("backend: {backend}");
        let env = TestEnv::new(&backend).await;
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
                    "video_url": "https://youtu.be/dQw4w9WgXcQ", "estimated_minutes": 20,
                    "attachments": [{ "name": "Worksheet", "url": "https://example.org/w.pdf" }] }),
        )
        .await;
        assert_eq!(status, 201, "{l1}");
        assert_eq!(
            l1["video_embed_url"],
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        );
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
        let (status, published) = post(
            &app,
            &format!("/api/v1/courses/{course_id}/publish"),
            &teacher,
            json!({}),
        )
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
        let (status, _) = post(
            &app,
            &format!("/api/v1/lessons/{l3}/complete"),
            &marty,
            json!({}),
        )
        .await;
        assert_eq!(status, 403, "locked lessons cannot be completed");
        let (status, done) = post(
            &app,
            &format!("/api/v1/lessons/{l1}/complete"),
            &marty,
            json!({}),
        )
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
        let (status, done) = post(
            &app,
            &format!("/api/v1/lessons/{l3}/complete"),
            &marty,
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["course_completed"], true);
        assert_eq!(done["progress"]["percent"], 100);
        let (status, again) = post(
            &app,
            &format!("/api/v1/lessons/{l3}/complete"),
            &marty,
            json!({}),
        )
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
        let (status, _) = post(
            &app,
            &format!("/api/v1/courses/{course_id}/archive"),
            &teacher,
            json!({}),
        )
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
        env.cleanup().await;
    }
}
