//! The calendar through the real contexts: a person's due dates and quiz windows from the
//! courses they are in (their own extended date where they have one, and whether they handed
//! the work in), and the private iCalendar feed, read back with an independent parser.

use std::{str::FromStr, time::Duration};

use campus_testkit::{
    each_storage, eventually,
    people::{call, send, Person, School},
    TestApp, TestEnv,
};
use reqwest::Method;
use serde_json::{json, Value};

const WITHIN: Duration = Duration::from_secs(20);

/// Sends until it succeeds: assessments learns of courses and who is in them from courses'
/// events, so a course made (or a student added) a moment ago may not be known to it yet.
async fn once_known(app: &TestApp, method: Method, path: &str, who: &Person, body: Value) -> Value {
    eventually(WITHIN, path, || async {
        let (status, answer) = call(
            app,
            method.clone(),
            path,
            Some(&who.token),
            Some(body.clone()),
        )
        .await;
        status.is_success().then_some(answer)
    })
    .await
}

async fn calendar(app: &TestApp, who: &Person) -> Vec<Value> {
    send(app, Method::GET, "/api/v1/calendar", who, None).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The events of an iCalendar document as `(UID, SUMMARY, DTSTART)`, read by the `ical` crate.
fn events_of(document: &str) -> Vec<(String, String, String)> {
    let mut parser = ical::IcalParser::new(document.as_bytes());
    let calendar = parser
        .next()
        .expect("one calendar")
        .expect("a valid calendar");
    assert!(parser.next().is_none(), "only one calendar");
    calendar
        .events
        .iter()
        .map(|event| {
            let property = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_else(|| panic!("{name} in {document}"))
            };
            (property("UID"), property("SUMMARY"), property("DTSTART"))
        })
        .collect()
}

each_storage! {
    async fn the_calendar_lists_due_dates_and_the_feed_subscribes_to_them(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "dated").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let course = send(&app, Method::POST, "/api/v1/courses", &tess, Some(json!({ "title": "Chemistry" }))).await;
        let course = course["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/publish"), &tess, None).await;
        send(&app, Method::PUT, &format!("/api/v1/courses/{course}/members/{}", sam.id), &tess,
            Some(json!({ "role": "student" }))).await;

        // An assignment due in ten days, Sam given two more; a quiz closing in twenty.
        let in_days = |days: i64| {
            let at = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
            at.round(jiff::Unit::Minute).unwrap().to_string()
        };
        let made = once_known(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &tess,
            json!({ "title": "Titration report", "max_points": 10, "submission_types": ["text"],
                    "due_at": in_days(10) })).await;
        let assignment = made["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/assignments/{assignment}/publish"), &tess, None).await;
        once_known(&app, Method::PUT, &format!("/api/v1/assignments/{assignment}/extensions/{}", sam.id), &tess,
            json!({ "due_at": in_days(12) })).await;
        let bank = send(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), &tess,
            Some(json!({ "title": "Acids", "questions": [{ "prompt": "Is lemon juice acidic?", "points": 1,
                "question": { "kind": "true_false", "answer": true } }] }))).await;
        let question = bank["questions"][0]["id"].as_str().unwrap().to_owned();
        let quiz = send(&app, Method::POST, &format!("/api/v1/courses/{course}/quizzes"), &tess,
            Some(json!({ "title": "Acids check", "closes_at": in_days(20),
                         "selection": [{ "kind": "fixed", "question_id": question }] }))).await;
        let quiz = quiz["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/quizzes/{quiz}/publish"), &tess, None).await;

        let sams = eventually(WITHIN, "Sam's calendar", || async {
            let items = calendar(&app, &sam).await;
            let extended = items.iter().any(|item| item["due_at"].as_str()
                .and_then(|at| jiff::Timestamp::from_str(at).ok())
                .is_some_and(|at| at > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 11)
                    && item["kind"] == "assignment"));
            (items.len() == 2 && extended).then_some(items)
        }).await;
        assert_eq!(sams[0]["id"], assignment.as_str(), "soonest first: {sams:?}");
        assert_eq!(sams[0]["title"], "Titration report");
        assert_eq!(sams[0]["course_title"], "Chemistry");
        assert_eq!(sams[0]["done"], false);
        assert_eq!(sams[0]["link"], format!("/assignments/{assignment}"));
        assert_eq!(sams[1]["kind"], "quiz");
        let teachers = calendar(&app, &tess).await;
        assert_eq!(teachers.len(), 2);
        assert!(teachers[0]["done"].is_null(), "staff hand nothing in");
        assert!(jiff::Timestamp::from_str(teachers[0]["due_at"].as_str().unwrap()).unwrap()
            < jiff::Timestamp::from_str(sams[0]["due_at"].as_str().unwrap()).unwrap(), "the extension is Sam's alone");
        assert_eq!(calendar(&app, &kim).await, Vec::<Value>::new(), "not in the course");

        once_known(&app, Method::POST, &format!("/api/v1/assignments/{assignment}/submissions"), &sam,
            json!({ "text": "Done." })).await;
        eventually(WITHIN, "the hand-in on the calendar", || async {
            (calendar(&app, &sam).await[0]["done"] == true).then_some(())
        }).await;

        // Bad windows are refused field by field.
        let (status, problem) = call(&app, Method::GET, "/api/v1/calendar?from=yesterday", Some(&sam.token), None).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "from");
        let (status, _) = call(&app, Method::GET,
            "/api/v1/calendar?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z", Some(&sam.token), None).await;
        assert_eq!(status, 422, "longer than a year");

        // The private feed: none until asked for, then the same address until it is reset.
        let (status, _) = call(&app, Method::GET, "/api/v1/calendar/feed", Some(&sam.token), None).await;
        assert_eq!(status, 404);
        let (status, made) = call(&app, Method::POST, "/api/v1/calendar/feed", Some(&sam.token), None).await;
        assert_eq!(status, 201, "{made}");
        let address = made["url"].as_str().unwrap().to_owned();
        assert!(address.starts_with(&app.url("/api/v1/calendar/feeds/")) && address.ends_with(".ics"), "{address}");
        assert_eq!(send(&app, Method::GET, "/api/v1/calendar/feed", &sam, None).await["url"], address.as_str());

        // A calendar application fetches it without any other credential.
        let fetched = reqwest::get(&address).await.unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(fetched.headers()["content-type"], "text/calendar; charset=utf-8");
        let document = fetched.text().await.unwrap();
        let events = events_of(&document);
        assert_eq!(events.len(), 2, "{document}");
        assert_eq!(events[0].0, format!("{assignment}@campus-hub"));
        assert_eq!(events[0].1, "Due: Titration report");
        let due = jiff::Timestamp::from_str(sams[0]["due_at"].as_str().unwrap()).unwrap();
        assert_eq!(events[0].2, due.strftime("%Y%m%dT%H%M%SZ").to_string(), "Sam's own date, in UTC");
        assert_eq!(events[1].1, "Quiz closes: Acids check");

        // Reset: the old address stops working; deactivation stops the new one.
        let renewed = send(&app, Method::POST, "/api/v1/calendar/feed", &sam, None).await;
        let renewed = renewed["url"].as_str().unwrap().to_owned();
        assert_ne!(renewed, address);
        assert_eq!(reqwest::get(&address).await.unwrap().status(), 404);
        assert_eq!(reqwest::get(&renewed).await.unwrap().status(), 200);
        let (status, _) = call(&app, Method::GET, "/api/v1/calendar/feeds/not-a-feed.ics", None, None).await;
        assert_eq!(status, 404);
        send(&app, Method::POST, &format!("/api/v1/users/{}/deactivate", sam.id), &school.admin, None).await;
        eventually(WITHIN, "a deactivated owner's feed closes", || async {
            (reqwest::get(&renewed).await.unwrap().status() == 404).then_some(())
        }).await;
        // Stopping: Kim's feed works until she stops it.
        let kims = send(&app, Method::POST, "/api/v1/calendar/feed", &kim, None).await;
        let (status, _) = call(&app, Method::DELETE, "/api/v1/calendar/feed", Some(&kim.token), None).await;
        assert_eq!(status, 204);
        assert_eq!(reqwest::get(kims["url"].as_str().unwrap()).await.unwrap().status(), 404);
        app.stop().await;
    }
}

each_storage! {
    async fn work_due_within_a_day_is_reminded_of_once(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "reminded").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let course = send(&app, Method::POST, "/api/v1/courses", &tess, Some(json!({ "title": "Biology" }))).await;
        let course = course["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/publish"), &tess, None).await;
        for student in [&sam, &kim] {
            send(&app, Method::PUT, &format!("/api/v1/courses/{course}/members/{}", student.id), &tess,
                Some(json!({ "role": "student" }))).await;
        }
        let in_hours = |hours: i64| {
            (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours)).round(jiff::Unit::Minute).unwrap().to_string()
        };
        // Due in three hours; another in three days (not yet).
        let soon = once_known(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &tess,
            json!({ "title": "Cell diagram", "max_points": 10, "submission_types": ["text"], "due_at": in_hours(3) })).await;
        let soon = soon["id"].as_str().unwrap().to_owned();
        let later = send(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &tess,
            Some(json!({ "title": "Field notes", "max_points": 10, "submission_types": ["text"], "due_at": in_hours(72) }))).await;
        let later = later["id"].as_str().unwrap().to_owned();
        for work in [&soon, &later] {
            send(&app, Method::POST, &format!("/api/v1/assignments/{work}/publish"), &tess, None).await;
        }
        // Kim hands in at once: she is not reminded.
        once_known(&app, Method::POST, &format!("/api/v1/assignments/{soon}/submissions"), &kim, json!({ "text": "Done." })).await;
        eventually(WITHIN, "the hand-in and the dates reach the calendar", || async {
            let items = calendar(&app, &kim).await;
            (items.len() == 2 && items[0]["done"] == true).then_some(())
        }).await;

        // The scheduler looks when the server starts (and every minute): a restart is when the
        // reminder goes, and the next restart does not repeat it.
        app.stop().await;
        let app = env.start(campus::contexts::all()).await;
        let sams = eventually(WITHIN, "Sam is reminded", || async {
            let page = send(&app, Method::GET, "/api/v1/notifications", &sam, None).await;
            let found: Vec<(String, String)> = page["items"].as_array().unwrap().iter()
                .filter(|n| n["kind"] == "assignment_due_soon")
                .map(|n| (n["text"].as_str().unwrap().to_owned(), n["link"].as_str().unwrap().to_owned()))
                .collect();
            (!found.is_empty()).then_some(found)
        }).await;
        assert_eq!(sams, vec![("Due within a day: Cell diagram".to_owned(), format!("/assignments/{soon}"))]);
        app.stop().await;
        let app = env.start(campus::contexts::all()).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (reminded,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE kind = 'assignment_due_soon'")
            .fetch_one(app.db("notifications").pool()).await.unwrap();
        assert_eq!(reminded, 1, "one reminder, for Sam, once");
        let page = send(&app, Method::GET, "/api/v1/notifications", &kim, None).await;
        assert!(page["items"].as_array().unwrap().iter().all(|n| n["kind"] != "assignment_due_soon"), "Kim handed in");
        app.stop().await;
    }
}
