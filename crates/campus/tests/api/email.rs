//! Notification mail through the real contexts: what is set to go at once goes in one message
//! at the person's pace, with a one-click unsubscribe (RFC 8058) that turns its category off;
//! the rest waits for the daily digest; bad settings are refused whole. Runs on every storage
//! backend; mail is read from the `.eml` files the server writes.

use std::time::Duration;

use campus_testkit::{
    each_storage, eventually,
    people::{call, mailed_texts, send, Person, School},
    TestApp, TestEnv,
};
use reqwest::Method;
use serde_json::json;

const WITHIN: Duration = Duration::from_secs(30);

/// The messages to `who` whose subject is `subject`, newest first.
fn mailed(env: &TestEnv, who: &Person, subject: &str) -> Vec<String> {
    mailed_texts(env, Some(&who.email))
        .into_iter()
        .filter(|text| text.contains(&format!("Subject: {subject}")))
        .collect()
}

/// The token of a message's `List-Unsubscribe` address.
fn unsubscribe_token(text: &str) -> String {
    let start = text
        .find("/api/v1/unsubscribe/")
        .expect("an unsubscribe address")
        + 20;
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// What of `who`'s is waiting to be mailed, as `(kind, email)`.
async fn waiting(app: &TestApp, who: &Person) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
        "SELECT kind, email FROM notifications WHERE user_id = $1 AND emailed_at IS NULL ORDER BY id",
    )
    .bind(&who.id)
    .fetch_all(app.db("notifications").pool())
    .await
    .unwrap()
}

each_storage! {
    async fn notification_mail_keeps_its_pace_and_stops_with_one_click(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "mailed").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;

        // The defaults: what cannot wait goes at once, the rest in a digest, nothing at night.
        let shown = send(&app, Method::GET, "/api/v1/me/notification-preferences", &sam, None).await;
        let email_of = |shown: &serde_json::Value, category: &str| {
            shown["categories"].as_array().unwrap().iter()
                .find(|c| c["category"] == category).unwrap()["email"].clone()
        };
        assert_eq!(email_of(&shown, "announcements"), "immediately");
        assert_eq!(email_of(&shown, "courses"), "daily");
        assert_eq!(shown["quiet_hours"], json!({ "from": "21:00", "until": "07:00" }));
        assert_eq!(shown["digest_at"], "17:00");
        let zone = jiff::tz::TimeZone::get(shown["time_zone"].as_str().unwrap()).unwrap();

        // Bad times are refused field by field, and nothing is saved.
        let (status, problem) = call(&app, Method::PUT, "/api/v1/me/notification-preferences", Some(&sam.token),
            Some(json!({ "categories": [{ "category": "grades", "email": "off" }],
                         "quiet_hours": { "from": "25:00", "until": "07:00" }, "digest_at": "7" }))).await;
        assert_eq!(status, 422, "{problem}");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["quiet_hours.from", "digest_at"], "{problem}");
        assert_eq!(send(&app, Method::GET, "/api/v1/me/notification-preferences", &sam, None).await, shown);
        // Sam wants mail at any hour: hours that end as they start are none, as is `null`.
        let changed = send(&app, Method::PUT, "/api/v1/me/notification-preferences", &sam,
            Some(json!({ "quiet_hours": { "from": "08:00", "until": "08:00" } }))).await;
        assert_eq!(changed["quiet_hours"], json!(null));
        assert_eq!(changed["categories"], shown["categories"], "left out: unchanged");
        send(&app, Method::PUT, "/api/v1/me/notification-preferences", &sam,
            Some(json!({ "quiet_hours": { "from": "22:30", "until": "06:15" } }))).await;
        let changed = send(&app, Method::PUT, "/api/v1/me/notification-preferences", &sam,
            Some(json!({ "quiet_hours": null }))).await;
        assert_eq!(changed["quiet_hours"], json!(null));

        let course = send(&app, Method::POST, "/api/v1/courses", &tess, Some(json!({ "title": "Physics" }))).await;
        let course = course["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/publish"), &tess, None).await;
        let kim = school.add(&app, "student", "Kim").await;
        for student in [&sam, &kim] {
            send(&app, Method::PUT, &format!("/api/v1/courses/{course}/members/{}", student.id), &tess,
                Some(json!({ "role": "student" }))).await;
        }
        // The roster is kept by its own consumer: Sam is on it before the news.
        eventually(WITHIN, "Sam on the roster", || async {
            let (places,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM roster_places WHERE course_id = $1 AND user_id = $2")
                .bind(&course).bind(&sam.id).fetch_one(app.db("notifications").pool()).await.unwrap();
            (places == 1).then_some(())
        }).await;
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/announcements"), &tess,
            Some(json!({ "title": "Lab on Friday", "body": "Bring goggles." }))).await;
        let first = eventually(WITHIN, "the announcement by email", || async {
            mailed(&env, &sam, "Announcement in Physics: Lab on Friday").into_iter().next()
        }).await;
        assert!(first.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{first}");
        assert!(first.contains("List-Unsubscribe: <http://"), "{first}");
        assert!(first.contains(&format!("/courses/{course}/announcements")), "{first}");
        assert!(!first.contains("You were added"), "a place in a course waits for the digest: {first}");
        // The teacher who posted it is not mailed about her own announcement.
        assert!(mailed(&env, &tess, "Announcement in Physics: Lab on Friday").is_empty());

        // A second announcement within the quarter hour waits for the pace...
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/announcements"), &tess,
            Some(json!({ "title": "Bring a pencil", "body": "Or two." }))).await;
        eventually(WITHIN, "the second announcement waiting", || async {
            waiting(&app, &sam).await.iter()
                .any(|(kind, email)| kind == "announcement_posted" && email.as_deref() == Some("immediately"))
                .then_some(())
        }).await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        // Both places in the course wait for the digest, and the looks have written when.
        let (digests_due,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM email_rhythm WHERE user_id IN ($1, $2) AND next_digest_at > $3")
            .bind(&sam.id).bind(&kim.id).bind(jiff::Timestamp::now().as_millisecond())
            .fetch_one(app.db("notifications").pool()).await.unwrap();
        assert_eq!(digests_due, 2);
        // What Kim reads in the app is no longer to be mailed, from the moment it is read.
        assert!(waiting(&app, &kim).await.iter().any(|(_, email)| email.is_some()));
        let marked = send(&app, Method::POST, "/api/v1/notifications/read-all", &kim, None).await;
        assert!(marked["marked"].as_u64().unwrap() >= 1, "{marked}");
        let kims = waiting(&app, &kim).await;
        assert!(kims.iter().all(|(_, email)| email.is_none()), "{kims:?}");
        let sent: Vec<(String,)> = sqlx::query_as("SELECT kind FROM outgoing_mail WHERE recipient = $1")
            .bind(&sam.email).fetch_all(app.db("notifications").pool()).await.unwrap();
        assert_eq!(sent, vec![("notifications".to_owned(),)], "one message a quarter hour");
        // ...and goes once the quarter hour has passed, as the app shows it: the two
        // announcements collapsed into one line.
        sqlx::query("UPDATE email_rhythm SET last_sent_at = last_sent_at - 900000, next_mail_at = 0 WHERE user_id = $1")
            .bind(&sam.id).execute(app.db("notifications").pool()).await.unwrap();
        let second = eventually(WITHIN, "the second announcement by email", || async {
            mailed(&env, &sam, "2 new announcements in Physics").into_iter().next()
        }).await;
        assert!(!second.contains("Lab on Friday"), "{second}");

        // One click, as a mail client sends it: email about announcements stops.
        let token = unsubscribe_token(&second);
        let path = format!("/api/v1/unsubscribe/{token}");
        let before = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(before.status(), 200);
        let before: serde_json::Value = before.json().await.unwrap();
        assert_eq!(before, json!({ "categories": ["announcements"], "stopped": false }), "looking changes nothing");
        let clicked = app.client.post(app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(clicked.status(), 200);
        let clicked: serde_json::Value = clicked.json().await.unwrap();
        assert_eq!(clicked, json!({ "categories": ["announcements"], "stopped": true }));
        let now = send(&app, Method::GET, "/api/v1/me/notification-preferences", &sam, None).await;
        assert_eq!(email_of(&now, "announcements"), "off");
        assert_eq!(email_of(&now, "grades"), "immediately", "only the message's category");
        let (status, problem) = call(&app, Method::POST, "/api/v1/unsubscribe/not-a-token", None, None).await;
        assert_eq!(status, 404, "{problem}");
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/announcements"), &tess,
            Some(json!({ "title": "No lab", "body": "Cancelled." }))).await;
        eventually(WITHIN, "the third announcement in the app", || async {
            let page = send(&app, Method::GET, "/api/v1/notifications", &sam, None).await;
            page["items"].as_array().unwrap().iter()
                .any(|n| n["kind"] == "announcement_posted" && n["count"] == 3)
                .then_some(())
        }).await;
        let pending = waiting(&app, &sam).await;
        assert!(pending.iter().all(|(kind, email)| kind != "announcement_posted" || email.is_none()), "{pending:?}");

        // The digest: what is set to daily goes in one message at the digest time.
        assert!(pending.iter().any(|(kind, email)| kind == "enrolled" && email.as_deref() == Some("daily")), "{pending:?}");
        let local = jiff::Timestamp::now().to_zoned_datetime(zone.clone());
        let minute = (i32::from(local.hour()) * 60 + i32::from(local.minute()) + 1439) % 1440;
        let digest_at = format!("{:02}:{:02}", minute / 60, minute % 60);
        send(&app, Method::PUT, "/api/v1/me/notification-preferences", &sam,
            Some(json!({ "digest_at": digest_at }))).await;
        // Written a day ago, so today's digest time (a minute ago) is the first after it.
        sqlx::query("UPDATE notifications SET created_at = created_at - 86400000 WHERE user_id = $1 AND email = 'daily'")
            .bind(&sam.id).execute(app.db("notifications").pool()).await.unwrap();
        let digest = eventually(WITHIN, "the digest", || async {
            mailed(&env, &sam, "Your daily digest: 1 notification").into_iter().next()
        }).await;
        assert!(digest.contains("You were added to Physics"), "{digest}");
        assert!(digest.contains("Stop emails about course places"), "{digest}");
        app.stop().await;
    }
}
