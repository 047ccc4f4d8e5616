//! Notifications through the real contexts: what teachers and students do in a course tells
//! the people it concerns in-app, once each, never the one who did it, with a burst of
//! hand-ins collapsed into one line; a redelivered event tells no one twice. Runs on every
//! storage backend.

use std::time::Duration;

use campus_testkit::{
    each_storage, eventually,
    people::{call, send, Person, School},
    TestApp, TestEnv,
};
use reqwest::Method;
use serde_json::json;

const WITHIN: Duration = Duration::from_secs(20);

/// The person's notifications, newest first, as `(kind, text, count)`.
async fn told(app: &TestApp, who: &Person) -> Vec<(String, String, i64)> {
    let page = send(app, Method::GET, "/api/v1/notifications", who, None).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["text"].as_str().unwrap().to_owned(),
                n["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Waits until `who` has `kind` among their notifications.
async fn until_told(app: &TestApp, who: &Person, kind: &str) {
    eventually(WITHIN, kind, || async {
        told(app, who)
            .await
            .iter()
            .any(|(k, _, _)| k == kind)
            .then_some(())
    })
    .await;
}

async fn unread(app: &TestApp, who: &Person) -> i64 {
    send(
        app,
        Method::GET,
        "/api/v1/notifications/unread-count",
        who,
        None,
    )
    .await["unread"]
        .as_i64()
        .unwrap()
}

each_storage! {
    async fn the_people_an_event_concerns_are_told_once(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "notified").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let lee = school.add(&app, "student", "Lee").await;
        let course = send(&app, Method::POST, "/api/v1/courses", &tess, Some(json!({ "title": "Physics" }))).await;
        let course = course["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/publish"), &tess, None).await;
        // Sam is added by his teacher; Kim enrolls herself (her own action: no notification).
        send(&app, Method::PUT, &format!("/api/v1/courses/{course}/members/{}", sam.id), &tess,
            Some(json!({ "role": "student" }))).await;
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/enroll"), &kim, Some(json!({}))).await;
        // Lee enrolls, then leaves the school: a deactivated account is told nothing more.
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/enroll"), &lee, Some(json!({}))).await;
        send(&app, Method::POST, &format!("/api/v1/users/{}/deactivate", lee.id), &school.admin, None).await;
        until_told(&app, &sam, "enrolled").await;
        eventually(WITHIN, "the roster and Lee's departure", || async {
            let (places,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM roster_places WHERE course_id = $1")
                .bind(&course).fetch_one(app.db("notifications").pool()).await.unwrap();
            let (gone,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM people WHERE user_id = $1 AND status = 'deactivated'")
                .bind(&lee.id).fetch_one(app.db("notifications").pool()).await.unwrap();
            (places == 4 && gone == 1).then_some(())
        }).await;
        assert_eq!(told(&app, &sam).await[0].1, "You were added to Physics");

        send(&app, Method::POST, &format!("/api/v1/courses/{course}/announcements"), &tess,
            Some(json!({ "title": "Lab on Friday", "body": "Bring goggles." }))).await;
        let made = send(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), &tess,
            Some(json!({ "title": "Lab report", "max_points": 10, "submission_types": ["text"] }))).await;
        let assignment = made["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/assignments/{assignment}/publish"), &tess, None).await;
        until_told(&app, &kim, "assignment_published").await;
        until_told(&app, &kim, "announcement_posted").await;
        let kims = told(&app, &kim).await;
        assert!(kims.iter().all(|(kind, _, _)| kind != "enrolled"), "{kims:?}");
        assert!(kims.contains(&("announcement_posted".into(), "Announcement in Physics: Lab on Friday".into(), 1)), "{kims:?}");
        assert!(kims.contains(&("assignment_published".into(), "New assignment: Lab report".into(), 1)), "{kims:?}");
        let (lees,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1")
            .bind(&lee.id).fetch_one(app.db("notifications").pool()).await.unwrap();
        assert_eq!(lees, 0, "nothing for a deactivated account");

        // Both hand in: their teacher gets one line for the two.
        let mut submissions = Vec::new();
        for student in [&sam, &kim] {
            let handed = send(&app, Method::POST, &format!("/api/v1/assignments/{assignment}/submissions"), student,
                Some(json!({ "text": "done" }))).await;
            submissions.push(handed["id"].as_str().unwrap().to_owned());
        }
        let tess_told = eventually(WITHIN, "two hand-ins as one", || async {
            let tess_told = told(&app, &tess).await;
            tess_told.iter().any(|(_, _, count)| *count == 2).then_some(tess_told)
        }).await;
        assert_eq!(tess_told, vec![("assignment_submitted".to_owned(), "2 new submissions in Physics".to_owned(), 2)],
            "the teacher hears of the hand-ins only, not of her own announcement or assignment");

        send(&app, Method::POST, &format!("/api/v1/submissions/{}/grade", submissions[0]), &tess,
            Some(json!({ "points": 8 }))).await;
        until_told(&app, &sam, "submission_graded").await;
        let sams = told(&app, &sam).await;
        assert_eq!(sams[0], ("submission_graded".to_owned(), "Your work on Lab report has a grade".to_owned(), 1));
        assert_eq!(sams.len(), 4, "{sams:?}");
        assert!(told(&app, &kim).await.iter().all(|(kind, _, _)| kind != "submission_graded"));

        // Reading: one, then all; nobody reads another's.
        assert_eq!(unread(&app, &sam).await, 4);
        let page = send(&app, Method::GET, "/api/v1/notifications?limit=1", &sam, None).await;
        let newest = page["items"][0]["id"].as_str().unwrap().to_owned();
        assert!(page["next_cursor"].is_string());
        assert_eq!(page["items"][0]["link"], format!("/assignments/{assignment}"));
        let (status, _) = call(&app, Method::POST, &format!("/api/v1/notifications/{newest}/read"), Some(&kim.token), None).await;
        assert_eq!(status, 404);
        let (status, _) = call(&app, Method::POST, &format!("/api/v1/notifications/{newest}/read"), Some(&sam.token), None).await;
        assert_eq!(status, 204);
        assert_eq!(unread(&app, &sam).await, 3);
        let next = send(&app, Method::GET, &format!("/api/v1/notifications?limit=10&cursor={newest}"), &sam, None).await;
        assert_eq!(next["items"].as_array().unwrap().len(), 3);
        let marked = send(&app, Method::POST, "/api/v1/notifications/read-all", &sam, None).await;
        assert_eq!(marked["marked"], 3);
        assert_eq!(unread(&app, &sam).await, 0);
        let left = send(&app, Method::GET, "/api/v1/notifications?unread=true", &sam, None).await;
        assert_eq!(left["items"], json!([]));
        assert_eq!(unread(&app, &kim).await, 2);

        // The consumer forgets where it was (a crash before its position was saved): every
        // event comes again, and the inbox makes each a no-op.
        let before: (i64, i64) = sqlx::query_as("SELECT COUNT(*), CAST(SUM(count) AS BIGINT) FROM notifications")
            .fetch_one(app.db("notifications").pool()).await.unwrap();
        let (inbox,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox")
            .fetch_one(app.db("notifications").pool()).await.unwrap();
        assert!(inbox > 0);
        app.stop().await;
        let app = env.start(campus::contexts::all()).await;
        sqlx::query("UPDATE consumer_positions SET position = 0")
            .execute(app.db("notifications").pool()).await.unwrap();
        app.stop().await;
        let app = env.start(campus::contexts::all()).await;
        eventually(WITHIN, "the events again", || async {
            let (positions,): (i64,) = sqlx::query_as("SELECT COALESCE(MIN(position), 0) FROM consumer_positions")
                .fetch_one(app.db("notifications").pool()).await.unwrap();
            (positions > 0).then_some(())
        }).await;
        let after: (i64, i64) = sqlx::query_as("SELECT COUNT(*), CAST(SUM(count) AS BIGINT) FROM notifications")
            .fetch_one(app.db("notifications").pool()).await.unwrap();
        assert_eq!(after, before, "nobody told twice");
        app.stop().await;
    }
}

each_storage! {
    async fn a_category_turned_off_is_not_told(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "chosen").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let course = send(&app, Method::POST, "/api/v1/courses", &tess, Some(json!({ "title": "Music" }))).await;
        let course = course["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/publish"), &tess, None).await;

        // Everything is on until turned off; only the categories named change.
        let shown = send(&app, Method::GET, "/api/v1/me/notification-preferences", &sam, None).await;
        assert_eq!(shown["categories"].as_array().unwrap().len(), 7);
        assert!(shown["categories"].as_array().unwrap().iter().all(|c| c["in_app"] == true), "{shown}");
        let changed = send(&app, Method::PUT, "/api/v1/me/notification-preferences", &sam,
            Some(json!({ "categories": [{ "category": "announcements", "in_app": false },
                                        { "category": "courses", "in_app": false },
                                        { "category": "courses", "in_app": true }] }))).await;
        let off: Vec<&str> = changed["categories"].as_array().unwrap().iter()
            .filter(|c| c["in_app"] == false).map(|c| c["category"].as_str().unwrap()).collect();
        assert_eq!(off, vec!["announcements"], "the last setting of a category named twice wins");
        // Tess's choices are hers alone.
        let hers = send(&app, Method::GET, "/api/v1/me/notification-preferences", &tess, None).await;
        assert!(hers["categories"].as_array().unwrap().iter().all(|c| c["in_app"] == true));
        // A category that does not exist, a body that is not the shape: refused, nothing saved.
        let (status, problem) = call(&app, Method::PUT, "/api/v1/me/notification-preferences", Some(&sam.token),
            Some(json!({ "categories": [{ "category": "announcements", "in_app": true }, { "category": "gossip", "in_app": false }] }))).await;
        assert!(status == 400 || status == 422, "{status} {problem}");
        let again = send(&app, Method::GET, "/api/v1/me/notification-preferences", &sam, None).await;
        assert_eq!(again, changed, "nothing half-written");

        let kim = school.add(&app, "student", "Kim").await;
        for student in [&sam, &kim] {
            send(&app, Method::PUT, &format!("/api/v1/courses/{course}/members/{}", student.id), &tess,
                Some(json!({ "role": "student" }))).await;
        }
        // The roster is kept by its own consumer: both students are on it before the news.
        eventually(WITHIN, "both students on the roster", || async {
            let (places,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM roster_places WHERE course_id = $1 AND course_role = 'student'")
                .bind(&course).fetch_one(app.db("notifications").pool()).await.unwrap();
            (places == 2).then_some(())
        }).await;
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/announcements"), &tess,
            Some(json!({ "title": "Concert", "body": "Friday." }))).await;
        // A place in a second course comes after the announcement on the same stream: once Sam
        // is told of it, the announcement has been handled too.
        let choir = send(&app, Method::POST, "/api/v1/courses", &tess, Some(json!({ "title": "Choir" }))).await;
        let choir = choir["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/courses/{choir}/publish"), &tess, None).await;
        send(&app, Method::PUT, &format!("/api/v1/courses/{choir}/members/{}", sam.id), &tess,
            Some(json!({ "role": "student" }))).await;
        eventually(WITHIN, "both places told", || async {
            let enrolled = told(&app, &sam).await.iter().filter(|(kind, _, _)| kind == "enrolled").count();
            (enrolled == 2).then_some(())
        }).await;
        let sams = told(&app, &sam).await;
        assert!(sams.iter().all(|(kind, _, _)| kind != "announcement_posted"), "{sams:?}");
        // Kept only to be mailed (email about announcements is still on for him), never listed.
        let (in_app, email): (i64, Option<String>) = sqlx::query_as(
            "SELECT in_app, email FROM notifications WHERE user_id = $1 AND kind = 'announcement_posted'")
            .bind(&sam.id).fetch_one(app.db("notifications").pool()).await.unwrap();
        assert_eq!((in_app, email.as_deref()), (0, Some("immediately")));
        assert_eq!(unread(&app, &sam).await, 2, "the bell counts what the app shows");
        // Kim left the category on: she is told.
        assert!(told(&app, &kim).await.iter().any(|(kind, _, _)| kind == "announcement_posted"));
        app.stop().await;
    }
}
