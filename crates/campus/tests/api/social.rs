//! The social context through the real server: posts in the places the school's rules allow,
//! who reads a student's profile, the home feed and follows, comments one level deep,
//! reactions, mutes and blocks (which messaging honours too), the word list holding posts for
//! a moderator, reports, and the moderation queue whose actions reach the audit log. Runs on
//! every storage backend.

use std::time::Duration;

use campus_testkit::{
    each_storage, eventually,
    people::{call, send, Person, School},
    roster_has, TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::live::course_with;

const WITHIN: Duration = Duration::from_secs(20);

async fn post(app: &TestApp, who: &Person, place: Value, body: &str) -> (StatusCode, Value) {
    let mut request = place;
    request["body"] = json!(body);
    call(
        app,
        Method::POST,
        "/api/v1/posts",
        Some(&who.token),
        Some(request),
    )
    .await
}

async fn posted(app: &TestApp, who: &Person, place: Value, body: &str) -> String {
    let (status, answer) = post(app, who, place, body).await;
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_str().unwrap().to_owned()
}

/// The bodies of a list of posts (or comments), in its order.
fn bodies(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let html = item["body_html"].as_str().unwrap();
            html.trim()
                .trim_start_matches("<p>")
                .trim_end_matches("</p>")
                .to_owned()
        })
        .collect()
}

async fn feed(app: &TestApp, who: &Person) -> Vec<String> {
    bodies(&send(app, Method::GET, "/api/v1/feed", who, None).await)
}

fn school() -> Value {
    json!({ "place": "school" })
}

fn course(id: &str) -> Value {
    json!({ "place": "course", "course_id": id })
}

fn profile(id: &str) -> Value {
    json!({ "place": "profile", "profile_id": id })
}

each_storage! {
    async fn people_post_where_the_school_lets_them(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school_ = School::create(&app, "posting").await;
        let tess = school_.add(&app, "teacher", "Tess").await;
        let sam = school_.add(&app, "student", "Sam").await;
        let kim = school_.add(&app, "student", "Kim").await;
        let lee = school_.add(&app, "student", "Lee").await;
        let other = School::create(&app, "elsewhere").await;
        let physics = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "social", &physics, 3).await;

        // The school's feed is staff's until the school opens it to students.
        let welcome = posted(&app, &tess, school(), "Welcome back, everyone").await;
        let (status, refused) = post(&app, &sam, school(), "Hi school").await;
        assert_eq!(status, 403, "{refused}");
        send(&app, Method::PUT, "/api/v1/social/settings", &school_.admin, Some(json!({
            "students_post_to_school": true, "students_post_on_profiles": true, "student_profiles_public": false }))).await;
        posted(&app, &sam, school(), "Hi school").await;
        // A course's feed is its members'; a profile is its owner's to post on.
        posted(&app, &sam, course(&physics), "Lab notes are up").await;
        assert_eq!(post(&app, &lee, course(&physics), "Let me in").await.0, 403);
        posted(&app, &sam, profile(&sam.id), "I like **rockets**").await;
        assert_eq!(post(&app, &sam, profile(&kim.id), "On your wall").await.0, 403);

        // Reading: a course's feed for its members; a student's profile for the people of
        // their courses (and the admins).
        let (status, _) = call(&app, Method::GET, &format!("/api/v1/posts?place=course&course_id={physics}"), Some(&lee.token), None).await;
        assert_eq!(status, 404);
        let lab = send(&app, Method::GET, &format!("/api/v1/posts?place=course&course_id={physics}"), &kim, None).await;
        assert_eq!(bodies(&lab), ["Lab notes are up"]);
        let path = format!("/api/v1/posts?place=profile&profile_id={}", sam.id);
        assert_eq!(call(&app, Method::GET, &path, Some(&lee.token), None).await.0, 403);
        for reader in [&kim, &tess, &school_.admin] {
            assert_eq!(bodies(&send(&app, Method::GET, &path, reader, None).await), ["I like <strong>rockets</strong>"]);
        }

        // The home feed: the school's, one's courses', and the profiles one follows.
        assert_eq!(feed(&app, &kim).await, ["Lab notes are up", "Hi school", "Welcome back, everyone"]);
        assert_eq!(feed(&app, &lee).await, ["Hi school", "Welcome back, everyone"]);
        let (status, _) = call(&app, Method::POST, "/api/v1/follows", Some(&lee.token), Some(json!({ "kind": "person", "id": sam.id }))).await;
        assert_eq!(status, 403, "Lee may not see Sam's profile, so may not follow it");
        let (status, _) = call(&app, Method::POST, "/api/v1/follows", Some(&kim.token), Some(json!({ "kind": "person", "id": sam.id }))).await;
        assert_eq!(status, 201);
        let (status, _) = call(&app, Method::POST, "/api/v1/follows", Some(&kim.token), Some(json!({ "kind": "person", "id": sam.id }))).await;
        assert_eq!(status, 200, "following twice is one follow");
        assert_eq!(feed(&app, &kim).await[0], "I like <strong>rockets</strong>");
        let follows = send(&app, Method::GET, "/api/v1/follows", &kim, None).await;
        assert_eq!(follows["items"][0]["id"], sam.id.as_str());
        assert_eq!(call(&app, Method::DELETE, &format!("/api/v1/follows/{}", sam.id), Some(&kim.token), None).await.0, 204);
        assert_eq!(feed(&app, &kim).await.len(), 3);
        // Paging: newest first, one at a time.
        let first = send(&app, Method::GET, "/api/v1/feed?limit=1", &kim, None).await;
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = send(&app, Method::GET, &format!("/api/v1/feed?limit=1&cursor={cursor}"), &kim, None).await;
        assert_eq!(bodies(&second), ["Hi school"]);

        // Mentions tell those who may see the post, not the others.
        posted(&app, &tess, course(&physics), "Well done @Kim, and @Lee too").await;
        let kims = eventually(WITHIN, "Kim is told she was mentioned", || async {
            let told = send(&app, Method::GET, "/api/v1/notifications", &kim, None).await;
            told["items"].as_array().unwrap().iter().find(|n| n["kind"] == "mentioned").cloned()
        }).await;
        assert_eq!((kims["text"].as_str(), kims["category"].as_str()), (Some("Tess mentioned you"), Some("mentions")));
        assert!(kims["link"].as_str().unwrap().starts_with("/posts/"), "{kims}");
        let lees = send(&app, Method::GET, "/api/v1/notifications", &lee, None).await;
        assert!(lees["items"].as_array().unwrap().iter().all(|n| n["kind"] != "mentioned"), "Lee cannot see Physics' feed: {lees}");

        // Bad input changes nothing.
        let count = || async {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM posts").fetch_one(app.db("social").pool()).await.unwrap();
            n
        };
        let before = count().await;
        for wrong in [json!({ "place": "school", "body": "" }), json!({ "place": "school", "body": "x".repeat(5001) }),
            json!({ "place": "course", "body": "where?" }), json!({ "place": "school", "course_id": physics, "body": "both" }),
            json!({ "place": "moon", "body": "hi" }), json!({ "place": "school", "body": "hi", "pinned": true })] {
            let (status, body) = call(&app, Method::POST, "/api/v1/posts", Some(&tess.token), Some(wrong.clone())).await;
            assert_eq!(status, 422, "{wrong}: {body}");
        }
        assert_eq!(count().await, before);
        // Nothing crosses schools.
        assert_eq!(call(&app, Method::GET, &format!("/api/v1/posts/{welcome}"), Some(&other.admin.token), None).await.0, 404);
        assert_eq!(feed(&app, &other.admin).await, Vec::<String>::new());
        env.cleanup().await;
    }

    async fn comments_reactions_mutes_and_blocks(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school_ = School::create(&app, "reacting").await;
        let tess = school_.add(&app, "teacher", "Tess").await;
        let sam = school_.add(&app, "student", "Sam").await;
        let kim = school_.add(&app, "student", "Kim").await;
        let physics = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "social", &physics, 3).await;
        let notes = posted(&app, &sam, course(&physics), "Lab notes are up").await;
        let kims_post = posted(&app, &kim, course(&physics), "Who has the key?").await;

        // Comments, one level of replies.
        let path = format!("/api/v1/posts/{notes}/comments");
        let (status, top) = call(&app, Method::POST, &path, Some(&kim.token), Some(json!({ "body": "Thanks!" }))).await;
        assert_eq!(status, 201, "{top}");
        let (status, reply) = call(&app, Method::POST, &path, Some(&sam.token),
            Some(json!({ "body": "You're welcome", "parent_id": top["id"] }))).await;
        assert_eq!(status, 201, "{reply}");
        let (status, _) = call(&app, Method::POST, &path, Some(&kim.token),
            Some(json!({ "body": "Deeper", "parent_id": reply["id"] }))).await;
        assert_eq!(status, 409, "replies go one level deep");
        assert_eq!(bodies(&send(&app, Method::GET, &path, &tess, None).await), ["Thanks!", "You're welcome"]);

        // Reactions: one per person, a new one replaces the old.
        let in_feed = |page: Value| {
            page["items"].as_array().unwrap().iter().find(|item| item["id"] == notes.as_str()).cloned().unwrap()
        };
        // Kim reads her feed first, so the school's newest posts and her reactions to them are
        // already in memory when she reacts: the feed shows each change at once.
        let seen = in_feed(send(&app, Method::GET, "/api/v1/feed", &kim, None).await);
        assert_eq!((&seen["reactions"], &seen["my_reaction"], seen["comments"].as_i64()), (&json!([]), &Value::Null, Some(2)));
        let path = format!("/api/v1/posts/{notes}/reactions");
        send(&app, Method::PUT, &path, &kim, Some(json!({ "kind": "like" }))).await;
        let now = send(&app, Method::PUT, &path, &kim, Some(json!({ "kind": "celebrate" }))).await;
        assert_eq!(now["my_reaction"], "celebrate");
        send(&app, Method::PUT, &path, &tess, Some(json!({ "kind": "like" }))).await;
        let shown = send(&app, Method::GET, &format!("/api/v1/posts/{notes}"), &sam, None).await;
        assert_eq!(shown["reactions"], json!([{ "kind": "celebrate", "count": 1 }, { "kind": "like", "count": 1 }]));
        assert_eq!((shown["comments"].as_i64(), shown["my_reaction"].is_null()), (Some(2), true));
        let seen = in_feed(send(&app, Method::GET, "/api/v1/feed", &kim, None).await);
        assert_eq!((&seen["reactions"], &seen["my_reaction"]), (&shown["reactions"], &json!("celebrate")));
        let (status, _) = call(&app, Method::PUT, &path, Some(&kim.token), Some(json!({ "kind": "angry" }))).await;
        assert_eq!(status, 422, "only the fixed set");
        let after = send(&app, Method::DELETE, &path, &kim, None).await;
        assert_eq!(after["reactions"], json!([{ "kind": "like", "count": 1 }]));
        let seen = in_feed(send(&app, Method::GET, "/api/v1/feed", &kim, None).await);
        assert_eq!((&seen["reactions"], &seen["my_reaction"]), (&after["reactions"], &Value::Null));
        send(&app, Method::POST, &format!("/api/v1/posts/{notes}/comments"), &tess, Some(json!({ "body": "Well done" }))).await;
        assert_eq!(in_feed(send(&app, Method::GET, "/api/v1/feed", &kim, None).await)["comments"], 3);

        // Kim mutes Sam: his posts and comments leave her view, and nobody else's.
        let on_kims = format!("/api/v1/posts/{kims_post}/comments");
        send(&app, Method::POST, &on_kims, &sam, Some(json!({ "body": "I do" }))).await;
        send(&app, Method::POST, &on_kims, &tess, Some(json!({ "body": "So do I" }))).await;
        send(&app, Method::POST, "/api/v1/blocks", &kim, Some(json!({ "user_id": sam.id, "kind": "mute" }))).await;
        assert_eq!(feed(&app, &kim).await, ["Who has the key?"]);
        assert_eq!(bodies(&send(&app, Method::GET, &on_kims, &kim, None).await), ["So do I"]);
        assert_eq!(call(&app, Method::GET, &format!("/api/v1/posts/{notes}"), Some(&kim.token), None).await.0, 404);
        assert_eq!(bodies(&send(&app, Method::GET, &on_kims, &tess, None).await), ["I do", "So do I"]);
        assert_eq!(feed(&app, &sam).await.len(), 2);
        // She blocks him: he no longer sees her posts, and messaging refuses him too.
        send(&app, Method::POST, "/api/v1/blocks", &kim, Some(json!({ "user_id": sam.id, "kind": "block" }))).await;
        assert_eq!(feed(&app, &sam).await, ["Lab notes are up"]);
        assert_eq!(call(&app, Method::GET, &format!("/api/v1/posts/{kims_post}"), Some(&sam.token), None).await.0, 404);
        eventually(WITHIN, "messaging hears of the block", || async {
            let (status, _) = call(&app, Method::POST, "/api/v1/conversations", Some(&sam.token),
                Some(json!({ "member_ids": [kim.id] }))).await;
            (status == 403).then_some(())
        }).await;
        let blocks = send(&app, Method::GET, "/api/v1/blocks", &kim, None).await;
        assert_eq!((blocks["items"][0]["kind"].as_str(), blocks["items"][0]["name"].as_str()), (Some("block"), Some("Sam")));
        assert_eq!(call(&app, Method::DELETE, &format!("/api/v1/blocks/{}", sam.id), Some(&kim.token), None).await.0, 204);
        assert_eq!(feed(&app, &sam).await.len(), 2);
        eventually(WITHIN, "messaging hears the block is lifted", || async {
            let (status, _) = call(&app, Method::POST, "/api/v1/conversations", Some(&sam.token),
                Some(json!({ "member_ids": [kim.id] }))).await;
            status.is_success().then_some(())
        }).await;
        assert_eq!(call(&app, Method::POST, "/api/v1/blocks", Some(&kim.token), Some(json!({ "user_id": kim.id, "kind": "block" }))).await.0, 422);
        env.cleanup().await;
    }

    async fn moderators_act_on_reports_and_the_word_list(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school_ = School::create(&app, "moderated").await;
        let tess = school_.add(&app, "teacher", "Tess").await;
        let tom = school_.add(&app, "teacher", "Tom").await;
        let sam = school_.add(&app, "student", "Sam").await;
        let kim = school_.add(&app, "student", "Kim").await;
        let physics = course_with(&app, &tess, &[&sam, &kim]).await;
        course_with(&app, &tom, &[]).await;
        roster_has(&app, "social", &physics, 3).await;
        send(&app, Method::PUT, "/api/v1/social/settings", &school_.admin, Some(json!({
            "students_post_to_school": false, "students_post_on_profiles": true, "student_profiles_public": false,
            "words": "darn\nvery bad idea" }))).await;
        let settings = send(&app, Method::GET, "/api/v1/social/settings", &sam, None).await;
        assert!(settings["words"].is_null(), "the list is the admins' to read");

        // The word list holds a post before anyone sees it; its author sees it held.
        let (status, held) = post(&app, &sam, course(&physics), "Darn, the lab is closed").await;
        assert_eq!((status.as_u16(), held["status"].as_str()), (201, Some("held")), "{held}");
        let held = held["id"].as_str().unwrap().to_owned();
        assert_eq!(feed(&app, &kim).await, Vec::<String>::new());
        assert_eq!(call(&app, Method::GET, &format!("/api/v1/posts/{held}"), Some(&kim.token), None).await.0, 404);
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/posts/{held}"), &sam, None).await["status"], "held");
        // Its course's teacher finds it in the queue; another teacher and students do not.
        let queue = send(&app, Method::GET, "/api/v1/moderation", &tess, None).await;
        assert_eq!(queue["items"][0]["subject_id"], held.as_str());
        assert_eq!(send(&app, Method::GET, "/api/v1/moderation", &tom, None).await["items"], json!([]));
        assert_eq!(call(&app, Method::GET, "/api/v1/moderation", Some(&sam.token), None).await.0, 403);
        let path = format!("/api/v1/moderation/posts/{held}");
        assert_eq!(call(&app, Method::POST, &path, Some(&tom.token), Some(json!({ "action": "restore" }))).await.0, 404,
            "Tom cannot even see the course's feed");
        let restored = send(&app, Method::POST, &path, &tess, Some(json!({ "action": "restore", "note": "Harmless" }))).await;
        assert_eq!(restored["status"], "visible");
        assert_eq!(feed(&app, &kim).await, ["Darn, the lab is closed"]);

        // A report: the reporter's reasons reach the queue, once per reporter; hiding it takes it
        // out of every feed.
        let rude = posted(&app, &sam, course(&physics), "Kim is slow").await;
        let report = json!({ "subject_kind": "post", "subject_id": rude, "reason": "Unkind about me" });
        let (status, _) = call(&app, Method::POST, "/api/v1/reports", Some(&kim.token), Some(report.clone())).await;
        assert_eq!(status, 201);
        let (status, again) = call(&app, Method::POST, "/api/v1/reports", Some(&kim.token), Some(report)).await;
        assert_eq!((status.as_u16(), again["new"].as_bool()), (200, Some(false)));
        let queue = send(&app, Method::GET, "/api/v1/moderation", &school_.admin, None).await;
        let item = queue["items"].as_array().unwrap().iter().find(|i| i["subject_id"] == rude.as_str()).unwrap().clone();
        assert_eq!(item["reasons"], json!(["Unkind about me"]));
        let path = format!("/api/v1/moderation/posts/{rude}");
        let hidden = send(&app, Method::POST, &path, &tess, Some(json!({ "action": "hide", "note": "Unkind" }))).await;
        assert_eq!((hidden["status"].as_str(), hidden["reports_closed"].as_u64()), (Some("hidden"), Some(1)));
        for reader in [&kim, &sam, &tess] {
            assert!(!feed(&app, reader).await.contains(&"Kim is slow".to_owned()));
        }
        assert_eq!(send(&app, Method::GET, &format!("/api/v1/posts/{rude}"), &sam, None).await["status"], "hidden");
        let (status, body) = call(&app, Method::POST, &path, Some(&tess.token), Some(json!({ "action": "hide" }))).await;
        assert_eq!(status, 409, "{body}");
        let (status, _) = call(&app, Method::POST, &path, Some(&tess.token), Some(json!({ "action": "dismiss" }))).await;
        assert_eq!(status, 409, "no open reports to dismiss");
        // Comments too.
        let comment = send(&app, Method::POST, &format!("/api/v1/posts/{held}/comments"), &kim, Some(json!({ "body": "Very bad idea!" }))).await;
        assert_eq!(comment["status"], "held");
        let comment_id = comment["id"].as_str().unwrap();
        send(&app, Method::POST, &format!("/api/v1/moderation/comments/{comment_id}"), &tess, Some(json!({ "action": "hide" }))).await;

        // Every action is in the school's audit log.
        let logged = eventually(WITHIN, "the audit log records the moderation", || async {
            let log = send(&app, Method::GET, "/api/v1/audit?action=moderation.hide", &school_.admin, None).await;
            (log["items"].as_array().map_or(0, Vec::len) == 2).then_some(log)
        }).await;
        assert_eq!(logged["items"][0]["actor_id"], tess.id.as_str());
        assert_eq!(logged["items"][0]["target"], format!("post:{rude}"));
        let restores = send(&app, Method::GET, "/api/v1/audit?action=moderation.restore", &school_.admin, None).await;
        assert_eq!(restores["items"].as_array().unwrap().len(), 1);
        env.cleanup().await;
    }
}

/// Adds `bytes` as the picture of post `id`, as a browser form would.
async fn add_picture(
    app: &TestApp,
    who: &Person,
    id: &str,
    description: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("description", description.to_owned())
        .part(
            "image",
            reqwest::multipart::Part::bytes(bytes).file_name("picture"),
        );
    let response = app
        .client
        .post(app.url(&format!("/api/v1/posts/{id}/image")))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The picture at `url` as `who` loads it: its status and bytes.
async fn picture(app: &TestApp, who: &Person, url: &str) -> (StatusCode, Vec<u8>) {
    let response = app
        .client
        .get(app.url(url))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    (status, response.bytes().await.unwrap().to_vec())
}

each_storage! {
    async fn a_post_shows_a_picture_to_whoever_may_read_it(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "pictures").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let lee = school.add(&app, "student", "Lee").await;
        let stranger = School::create(&app, "remote").await.add(&app, "student", "Stan").await;
        let course = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "social", &course, 3).await;
        let (status, written) = post(&app, &sam, json!({ "place": "course", "course_id": course }), "Our lab setup").await;
        assert_eq!(status, 201, "{written}");
        let id = written["id"].as_str().unwrap().to_owned();
        assert_eq!(written["image"], Value::Null);

        // Sam adds a picture with its description; the type is read from the bytes.
        let mut first = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        first.extend(std::iter::repeat_n(3u8, 500));
        let (status, shown) = add_picture(&app, &sam, &id, "The lab bench", first.clone()).await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!((shown["image"]["content_type"].as_str(), shown["image"]["description"].as_str()), (Some("image/png"), Some("The lab bench")));
        let url = shown["image"]["url"].as_str().unwrap().to_owned();
        assert_eq!(url, format!("/api/v1/posts/{id}/image"));
        // Kim, in the course, sees it; the feed carries it.
        assert_eq!(picture(&app, &kim, &url).await, (StatusCode::OK, first.clone()));
        let feed = send(&app, Method::GET, &format!("/api/v1/posts?place=course&course_id={course}"), &kim, None).await;
        assert_eq!(feed["items"][0]["image"]["url"], url.as_str());
        // Nobody outside the course or the school; nobody adds a picture to another's post.
        assert_eq!(picture(&app, &lee, &url).await.0, 404);
        assert_eq!(picture(&app, &stranger, &url).await.0, 404);
        assert_eq!(add_picture(&app, &kim, &id, "", first.clone()).await.0, 403);
        assert_eq!(add_picture(&app, &stranger, &id, "", first.clone()).await.0, 404);

        // A program is refused and the picture stays; a new picture replaces it.
        let (status, problem) = add_picture(&app, &sam, &id, "", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec()).await;
        assert_eq!((status, problem["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_type")), "{problem}");
        let (status, problem) = add_picture(&app, &sam, &id, &"x".repeat(301), first.clone()).await;
        assert_eq!((status, problem["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("description")), "{problem}");
        assert_eq!(picture(&app, &kim, &url).await, (StatusCode::OK, first.clone()));
        let mut second = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00];
        second.extend(std::iter::repeat_n(9u8, 300));
        let (status, shown) = add_picture(&app, &sam, &id, "The bench, tidied", second.clone()).await;
        assert_eq!((status, shown["image"]["content_type"].as_str()), (StatusCode::OK, Some("image/jpeg")), "{shown}");
        assert_eq!(picture(&app, &kim, &url).await, (StatusCode::OK, second));

        // Deleted with its post.
        let (status, _) = call(&app, Method::DELETE, &format!("/api/v1/posts/{id}"), Some(&sam.token), None).await;
        assert_eq!(status, 204);
        assert_eq!(picture(&app, &sam, &url).await.0, 404);
        env.cleanup().await;
    }
}
