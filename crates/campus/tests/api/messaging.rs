//! Messaging through the real contexts: who may start a conversation with whom under the
//! school's rules, one direct conversation per pair, class channels that follow the course's
//! roster, unread counts and receipts, editing and deleting for a while, the per-person burst
//! limit, and messages, receipts, typing and presence arriving live on the members' sockets. Runs on
//! every storage backend.

use std::time::Duration;

use campus_testkit::{
    each_storage, eventually,
    people::{call, send, Person, School},
    roster_has, TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::live::{course_with, next_frame, open, Socket};

const WITHIN: Duration = Duration::from_secs(20);

async fn start(
    app: &TestApp,
    who: &Person,
    with: &[&Person],
    title: Option<&str>,
) -> (StatusCode, Value) {
    let ids: Vec<&str> = with.iter().map(|p| p.id.as_str()).collect();
    call(
        app,
        Method::POST,
        "/api/v1/conversations",
        Some(&who.token),
        Some(json!({ "member_ids": ids, "title": title })),
    )
    .await
}

async fn say(app: &TestApp, who: &Person, conversation: &str, body: &str) -> Value {
    let (status, message) = call(
        app,
        Method::POST,
        &format!("/api/v1/conversations/{conversation}/messages"),
        Some(&who.token),
        Some(json!({ "body": body })),
    )
    .await;
    assert_eq!(status, 201, "{message}");
    message
}

/// The caller's conversation `id` as their list shows it.
async fn listed(app: &TestApp, who: &Person, id: &str) -> Option<Value> {
    let list = send(app, Method::GET, "/api/v1/conversations", who, None).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
}

/// The names of the people `who` may start a conversation with.
async fn contacts(app: &TestApp, who: &Person) -> Vec<String> {
    let contacts = send(app, Method::GET, "/api/v1/messaging/contacts", who, None).await;
    contacts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The next frame of `kind`, past any other.
async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = next_frame(socket).await;
        if frame["type"] == kind {
            return frame["data"].clone();
        }
    }
}

each_storage! {
    async fn people_reach_whom_the_school_lets_them(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "chatty").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let tom = school.add(&app, "teacher", "Tom").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let lee = school.add(&app, "student", "Lee").await;
        let other = School::create(&app, "elsewhere").await;
        let stranger = other.add(&app, "student", "Stan").await;
        let course = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "messaging", &course, 3).await;

        // Whom each may reach, as the page that starts a conversation offers them.
        assert_eq!(contacts(&app, &sam).await, ["Kim", "Tess"]);
        assert_eq!(contacts(&app, &tom).await, ["Ada Admin", "Tess"]);
        assert_eq!(contacts(&app, &tess).await, ["Ada Admin", "Kim", "Sam", "Tom"]);
        assert_eq!(contacts(&app, &lee).await, Vec::<String>::new());

        // Classmates: one direct conversation for the pair, whoever starts it.
        let (status, direct) = start(&app, &sam, &[&kim], None).await;
        assert_eq!(status, 201, "{direct}");
        assert_eq!(direct["kind"], "direct");
        assert_eq!(direct["title"], "Kim");
        let id = direct["id"].as_str().unwrap();
        let (status, again) = start(&app, &kim, &[&sam], None).await;
        assert_eq!((status, again["id"].as_str()), (StatusCode::OK, Some(id)));
        // A student and their teacher, both ways; adults freely.
        assert_eq!(start(&app, &sam, &[&tess], None).await.0, 201);
        assert_eq!(start(&app, &tom, &[&tess], None).await.0, 201);
        // Nobody outside a student's courses: not another student, not another teacher.
        let (status, refused) = start(&app, &sam, &[&lee], None).await;
        assert_eq!(status, 403, "{refused}");
        assert!(refused["detail"].as_str().unwrap().contains("classmates"), "{refused}");
        assert_eq!(start(&app, &tom, &[&sam], None).await.0, 403);
        assert_eq!(start(&app, &lee, &[&tess], None).await.0, 403);
        assert_eq!(start(&app, &school.admin, &[&lee], None).await.0, 403);
        // A group is allowed only if every member may be reached.
        assert_eq!(start(&app, &tess, &[&sam, &lee], Some("Lab")).await.0, 403);
        let (status, group) = start(&app, &tess, &[&sam, &kim], Some("Lab partners")).await;
        assert_eq!(status, 201, "{group}");
        assert_eq!((group["kind"].as_str(), group["title"].as_str()), (Some("group"), Some("Lab partners")));
        assert_eq!(group["members"].as_array().unwrap().len(), 3);
        // Nobody of another school or unknown (as if no such person), nobody at all.
        for nobody in [json!({ "member_ids": [stranger.id] }), json!({ "member_ids": ["01J00000000000000000000000"] })] {
            let (status, body) = call(&app, Method::POST, "/api/v1/conversations", Some(&sam.token), Some(nobody.clone())).await;
            assert_eq!(status, 404, "{nobody}: {body}");
        }
        for wrong in [json!({ "member_ids": [] }), json!({ "member_ids": [sam.id] }), json!({ "member_ids": "x" })] {
            let (status, body) = call(&app, Method::POST, "/api/v1/conversations", Some(&sam.token), Some(wrong.clone())).await;
            assert_eq!(status, 422, "{wrong}: {body}");
            assert_eq!(body["type"].as_str().map(|t| t.ends_with("validation_failed")), Some(true), "{body}");
        }

        // The school turns student-to-student messages off: new ones are refused, a student
        // may not change the rule, existing conversations go on.
        let (status, _) = call(&app, Method::PUT, "/api/v1/messaging/settings", Some(&sam.token),
            Some(json!({ "student_direct_messages": true }))).await;
        assert_eq!(status, 403);
        send(&app, Method::PUT, "/api/v1/messaging/settings", &school.admin,
            Some(json!({ "student_direct_messages": false }))).await;
        let rules = send(&app, Method::GET, "/api/v1/messaging/settings", &kim, None).await;
        assert_eq!(rules["student_direct_messages"], false);
        assert_eq!(contacts(&app, &sam).await, ["Tess"]);
        let (status, refused) = start(&app, &kim, &[&sam], Some("Us")).await;
        assert_eq!(status, 403, "{refused}");
        assert_eq!(start(&app, &sam, &[&tess, &kim], None).await.0, 403);
        say(&app, &sam, id, "Still here?").await;
        // Another school's rule is its own.
        let theirs = send(&app, Method::GET, "/api/v1/messaging/settings", &other.admin, None).await;
        assert_eq!(theirs["student_direct_messages"], true);
        env.cleanup().await;
    }

    async fn a_conversation_keeps_its_messages_reads_and_members(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "talkative").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let lee = school.add(&app, "student", "Lee").await;
        let other = School::create(&app, "faraway").await;
        let course = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "messaging", &course, 3).await;
        let (_, direct) = start(&app, &sam, &[&kim], None).await;
        let id = direct["id"].as_str().unwrap().to_owned();
        assert_eq!(direct["last_message_at"], Value::Null);

        // Kim is connected: Sam sees her online, and what he writes, reads and types reaches
        // her at once.
        let online = |who: &Person| {
            let (app, path, who) = (&app, format!("/api/v1/conversations/{id}"), who.clone());
            async move { send(app, Method::GET, &path, &who, None).await["online"].clone() }
        };
        assert_eq!(online(&sam).await, json!([]));
        let (mut kims, _) = open(&app, &kim, None).await;
        assert_eq!(online(&sam).await, json!([kim.id]));
        let first = say(&app, &sam, &id, "Did you do **question 3**? <script>alert(1)</script>").await;
        assert_eq!(first["author_name"], "Sam");
        assert!(first["body_html"].as_str().unwrap().contains("<strong>question 3</strong>"), "{first}");
        assert!(!first["body_html"].as_str().unwrap().contains("<script"), "sanitized: {first}");
        let live = next_of(&mut kims, "message").await;
        assert_eq!(live["id"], first["id"]);
        let (status, _) = call(&app, Method::POST, &format!("/api/v1/conversations/{id}/typing"), Some(&sam.token), None).await;
        assert_eq!(status, 204);
        let typing = next_of(&mut kims, "typing").await;
        assert_eq!((typing["user_id"].as_str(), typing["name"].as_str()), (Some(sam.id.as_str()), Some("Sam")));

        // Unread until Kim reads; then Sam sees her receipt, live and in the conversation.
        let second = say(&app, &sam, &id, "Or question 4?").await;
        assert_eq!(listed(&app, &kim, &id).await.unwrap()["unread"], 2);
        assert_eq!(listed(&app, &sam, &id).await.unwrap()["unread"], 0, "one's own messages are read");
        let unread_count = |who: &Person| {
            let (app, who) = (&app, who.clone());
            async move {
                send(app, Method::GET, "/api/v1/conversations/unread-count", &who, None).await["unread"].clone()
            }
        };
        assert_eq!(unread_count(&kim).await, 2, "across her conversations");
        assert_eq!(unread_count(&sam).await, 0);
        let (mut sams, _) = open(&app, &sam, None).await;
        // Kim, who converses with Sam, hears him come.
        assert_eq!(next_of(&mut kims, "presence").await, json!({ "user_id": sam.id, "online": true }));
        let receipt = send(&app, Method::POST, &format!("/api/v1/conversations/{id}/read"), &kim,
            Some(json!({ "message_id": first["id"] }))).await;
        assert_eq!(receipt["last_read_id"], first["id"]);
        assert_eq!(listed(&app, &kim, &id).await.unwrap()["unread"], 1);
        let heard = next_of(&mut sams, "receipt").await;
        assert_eq!((heard["user_id"].as_str(), heard["last_read_id"].as_str()), (Some(kim.id.as_str()), first["id"].as_str()));
        send(&app, Method::POST, &format!("/api/v1/conversations/{id}/read"), &kim, Some(json!({}))).await;
        let shown = send(&app, Method::GET, &format!("/api/v1/conversations/{id}"), &sam, None).await;
        let kims_read = shown["reads"].as_array().unwrap().iter().find(|r| r["user_id"] == kim.id.as_str()).unwrap().clone();
        assert_eq!(kims_read["last_read_id"], second["id"]);
        // The last activity is read as it is now (the conversation's other facts are kept).
        assert_eq!(shown["last_message_at"], second["created_at"], "{shown}");
        // Reading never goes back, and only this conversation's messages count.
        send(&app, Method::POST, &format!("/api/v1/conversations/{id}/read"), &kim,
            Some(json!({ "message_id": first["id"] }))).await;
        assert_eq!(listed(&app, &kim, &id).await.unwrap()["unread"], 0);
        assert_eq!(unread_count(&kim).await, 0);
        let (status, _) = call(&app, Method::POST, &format!("/api/v1/conversations/{id}/read"), Some(&kim.token),
            Some(json!({ "message_id": "01J00000000000000000000000" }))).await;
        assert_eq!(status, 404, "no message of this conversation has this id");

        // History newest first, paged; and what came after a message, oldest first.
        let mut last = Value::Null;
        for n in 3..=5 { last = say(&app, &kim, &id, &format!("message {n}")).await; }
        let (status, again) = start(&app, &kim, &[&sam], None).await;
        assert_eq!((status, &again["last_message_at"]), (StatusCode::OK, &last["created_at"]), "{again}");
        let page = send(&app, Method::GET, &format!("/api/v1/conversations/{id}/messages?limit=2"), &sam, None).await;
        assert_eq!(page["items"][0]["body_html"], "<p>message 5</p>\n");
        let older = send(&app, Method::GET, &format!("/api/v1/conversations/{id}/messages?limit=10&cursor={}",
            page["next_cursor"].as_str().unwrap()), &sam, None).await;
        assert_eq!(older["items"].as_array().unwrap().len(), 3);
        let after = send(&app, Method::GET, &format!("/api/v1/conversations/{id}/messages?after={}", second["id"].as_str().unwrap()), &sam, None).await;
        let bodies: Vec<&str> = after["items"].as_array().unwrap().iter().map(|m| m["body_html"].as_str().unwrap()).collect();
        assert_eq!(bodies, ["<p>message 3</p>\n", "<p>message 4</p>\n", "<p>message 5</p>\n"]);

        // Authors edit and delete their own messages; nobody else does.
        let path = format!("/api/v1/conversations/{id}/messages/{}", second["id"].as_str().unwrap());
        let (status, _) = call(&app, Method::PATCH, &path, Some(&kim.token), Some(json!({ "body": "mine now" }))).await;
        assert_eq!(status, 403);
        let edited = send(&app, Method::PATCH, &path, &sam, Some(json!({ "body": "Or question 5?" }))).await;
        assert!(edited["edited_at"].is_string());
        // Edits arrive live (her socket also carries her own and Sam's earlier messages).
        loop {
            let frame = next_of(&mut kims, "message").await;
            if frame["id"] == second["id"] && frame["edited_at"] == edited["edited_at"] {
                break;
            }
        }
        let (status, _) = call(&app, Method::DELETE, &path, Some(&sam.token), None).await;
        assert_eq!(status, 204);
        let (status, body) = call(&app, Method::DELETE, &path, Some(&sam.token), None).await;
        assert_eq!(status, 409, "{body}");
        let (status, body) = call(&app, Method::PATCH, &path, Some(&sam.token), Some(json!({ "body": "back" }))).await;
        assert_eq!((status.as_u16(), body["type"].as_str().unwrap().ends_with("message_deleted")), (409, true), "{body}");
        let gone = send(&app, Method::GET, &format!("/api/v1/conversations/{id}/messages?after={}", first["id"].as_str().unwrap()), &kim, None).await;
        assert_eq!((gone["items"][0]["deleted"].as_bool(), gone["items"][0]["body_html"].as_str()), (Some(true), Some("")));
        let (stored,): (String,) = sqlx::query_as("SELECT body FROM messages WHERE id = $1")
            .bind(second["id"].as_str().unwrap()).fetch_one(app.db("messaging").pool()).await.unwrap();
        assert_eq!(stored, "", "a deleted message's text is gone for good");

        // Bad input changes nothing.
        let count = || async {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages").fetch_one(app.db("messaging").pool()).await.unwrap();
            n
        };
        let before = count().await;
        for wrong in [json!({ "body": "" }), json!({ "body": "   " }), json!({ "body": "x".repeat(4001) }),
            json!({ "body": "bell\u{7}" }), json!({ "text": "hi" }), json!({})] {
            let (status, body) = call(&app, Method::POST, &format!("/api/v1/conversations/{id}/messages"),
                Some(&sam.token), Some(wrong.clone())).await;
            assert_eq!(status, 422, "{wrong}: {body}");
        }
        assert_eq!(count().await, before);

        // Kim closes the app: she is no longer online (Sam, whose page is open, still is).
        drop(kims);
        eventually(WITHIN, "Kim goes offline", || async { (online(&sam).await == json!([sam.id])).then_some(()) }).await;
        assert_eq!(next_of(&mut sams, "presence").await, json!({ "user_id": kim.id, "online": false }), "told live");

        // Outsiders see nothing: another student, another school's admin, nobody signed in.
        for (who, token) in [("Lee", Some(lee.token.as_str())), ("another school", Some(other.admin.token.as_str()))] {
            for (method, path, body) in [
                (Method::GET, format!("/api/v1/conversations/{id}"), None),
                (Method::GET, format!("/api/v1/conversations/{id}/messages"), None),
                (Method::POST, format!("/api/v1/conversations/{id}/messages"), Some(json!({ "body": "hi" }))),
                (Method::POST, format!("/api/v1/conversations/{id}/read"), Some(json!({}))),
                (Method::POST, format!("/api/v1/conversations/{id}/typing"), None),
            ] {
                let (status, _) = call(&app, method.clone(), &path, token, body).await;
                assert_eq!(status, 404, "{who}: {method} {path}");
            }
        }
        assert!(listed(&app, &lee, &id).await.is_none());

        // Across a block nobody is told of the other: once Kim blocks Sam, neither shows the
        // other online, and when Sam comes back and then Tess (who now writes to Kim) opens the
        // app, the first presence Kim hears is Tess's.
        let (status, _) = start(&app, &tess, &[&kim], None).await;
        assert_eq!(status, 201);
        let (mut kims, _) = open(&app, &kim, None).await;
        assert_eq!(next_of(&mut sams, "presence").await, json!({ "user_id": kim.id, "online": true }));
        send(&app, Method::POST, "/api/v1/blocks", &kim, Some(json!({ "user_id": sam.id, "kind": "block" }))).await;
        eventually(WITHIN, "messaging to learn of the block", || async {
            (online(&sam).await == json!([sam.id])).then_some(())
        }).await;
        assert_eq!(online(&kim).await, json!([kim.id]));
        drop(sams);
        let (_sams, _) = open(&app, &sam, None).await;
        let (_tess, _) = open(&app, &tess, None).await;
        assert_eq!(next_of(&mut kims, "presence").await, json!({ "user_id": tess.id, "online": true }));
        env.cleanup().await;
    }

    async fn a_course_has_a_class_channel_for_its_members(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "channels").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let lee = school.add(&app, "student", "Lee").await;
        let course = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "messaging", &course, 3).await;

        let channel = listed(&app, &sam, &course).await.expect("Sam's class channel");
        assert_eq!((channel["kind"].as_str(), channel["title"].as_str()), (Some("course"), Some("Biology")));
        assert!(listed(&app, &lee, &course).await.is_none());
        let (mut kims, _) = open(&app, &kim, None).await;
        let hello = say(&app, &tess, &course, "Welcome to the class channel").await;
        assert_eq!(next_of(&mut kims, "message").await["id"], hello["id"]);
        assert_eq!(listed(&app, &sam, &course).await.unwrap()["unread"], 1);
        let (status, _) = call(&app, Method::GET, &format!("/api/v1/conversations/{course}/messages"), Some(&lee.token), None).await;
        assert_eq!(status, 404);

        // Lee joins the course and the channel with it; Kim leaves and loses it.
        send(&app, Method::PUT, &format!("/api/v1/courses/{course}/members/{}", lee.id), &tess,
            Some(json!({ "role": "student" }))).await;
        send(&app, Method::DELETE, &format!("/api/v1/courses/{course}/members/{}", kim.id), &tess, None).await;
        eventually(WITHIN, "the channel follows the roster", || async {
            let (lees, _) = call(&app, Method::GET, &format!("/api/v1/conversations/{course}/messages"), Some(&lee.token), None).await;
            let (kims, _) = call(&app, Method::GET, &format!("/api/v1/conversations/{course}/messages"), Some(&kim.token), None).await;
            (lees == 200 && kims == 404).then_some(())
        }).await;
        say(&app, &lee, &course, "Hi all").await;

        // An archived course's channel is read-only.
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/archive"), &tess, None).await;
        eventually(WITHIN, "messaging hears the course is archived", || async {
            let (visibility,): (String,) = sqlx::query_as("SELECT visibility FROM roster_courses WHERE course_id = $1")
                .bind(&course).fetch_one(app.db("messaging").pool()).await.unwrap();
            (visibility == "archived").then_some(())
        }).await;
        let (status, body) = call(&app, Method::POST, &format!("/api/v1/conversations/{course}/messages"),
            Some(&sam.token), Some(json!({ "body": "late" }))).await;
        assert_eq!(status, 409, "{body}");
        let history = send(&app, Method::GET, &format!("/api/v1/conversations/{course}/messages"), &sam, None).await;
        assert_eq!(history["items"].as_array().unwrap().len(), 2);
        env.cleanup().await;
    }

    async fn a_burst_of_messages_from_one_person_is_limited(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "bursty").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let tom = school.add(&app, "teacher", "Tom").await;
        let (_, direct) = start(&app, &tess, &[&tom], None).await;
        let id = direct["id"].as_str().unwrap();
        let mut refused = None;
        for n in 0..70 {
            let (status, body) = call(&app, Method::POST, &format!("/api/v1/conversations/{id}/messages"),
                Some(&tess.token), Some(json!({ "body": format!("spam {n}") }))).await;
            if status == 429 {
                refused = Some((n, body));
                break;
            }
            assert_eq!(status, 201, "{body}");
        }
        let (n, body) = refused.expect("a burst is limited");
        assert!(n >= 60, "60 at once are allowed; refused at {n}");
        assert!(body["type"].as_str().unwrap().ends_with("rate_limited"), "{body}");
        // Tom is not limited by Tess's burst.
        say(&app, &tom, id, "calm down").await;
        env.cleanup().await;
    }
}

/// How many messages `who` finds in the conversation by `word`.
async fn found(app: &TestApp, who: &Person, conversation: &str, word: &str) -> i64 {
    let path = format!("/api/v1/search/messages?conversation={conversation}&q={word}");
    let page = send(app, Method::GET, &path, who, None).await;
    page["total"].as_i64().unwrap()
}

/// The message as `who` is shown it in the conversation's history.
async fn shown(app: &TestApp, who: &Person, conversation: &str, id: &str) -> Value {
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let page = send(app, Method::GET, &path, who, None).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap()
        .clone()
}

each_storage! {
    async fn reported_messages_reach_their_moderators(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "reporting").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let tom = school.add(&app, "teacher", "Tom").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let lee = school.add(&app, "student", "Lee").await;
        let stranger = School::create(&app, "faraway").await.add(&app, "student", "Stan").await;
        let course = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "messaging", &course, 3).await;

        // A direct message Sam finds wrong, and one in the class channel Kim does.
        let (_, direct) = start(&app, &sam, &[&kim], None).await;
        let direct = direct["id"].as_str().unwrap().to_owned();
        let insult = say(&app, &kim, &direct, "You are a hopeless loser").await;
        let insult = insult["id"].as_str().unwrap().to_owned();
        let rude = say(&app, &sam, &course, "Everyone laughs at Kim's hopeless answers").await;
        let rude = rude["id"].as_str().unwrap().to_owned();
        let report = |conversation: &str, id: &str| format!("/api/v1/conversations/{conversation}/messages/{id}/reports");
        let reason = json!({ "reason": "bullying" });
        let (status, filed) = call(&app, Method::POST, &report(&direct, &insult), Some(&sam.token), Some(reason.clone())).await;
        assert_eq!((status, filed["new"].as_bool()), (StatusCode::CREATED, Some(true)), "{filed}");
        let (status, again) = call(&app, Method::POST, &report(&direct, &insult), Some(&sam.token), Some(reason.clone())).await;
        assert_eq!((status, again["new"].as_bool()), (StatusCode::OK, Some(false)), "{again}");
        let (status, _) = call(&app, Method::POST, &report(&course, &rude), Some(&kim.token), Some(json!({ "reason": "mocking me" }))).await;
        assert_eq!(status, 201);
        // Not one's own; not outside the conversation (as if it were not there); not empty.
        let (status, problem) = call(&app, Method::POST, &report(&direct, &insult), Some(&kim.token), Some(reason.clone())).await;
        assert_eq!((status, problem["type"].as_str().is_some_and(|t| t.ends_with("own_message"))), (StatusCode::CONFLICT, true), "{problem}");
        assert_eq!(call(&app, Method::POST, &report(&direct, &insult), Some(&lee.token), Some(reason.clone())).await.0, 404);
        assert_eq!(call(&app, Method::POST, &report(&direct, &insult), Some(&stranger.token), Some(reason.clone())).await.0, 404);
        assert_eq!(call(&app, Method::POST, &report(&direct, &rude), Some(&sam.token), Some(reason.clone())).await.0, 404);
        let (status, problem) = call(&app, Method::POST, &report(&course, &rude), Some(&kim.token), Some(json!({ "reason": "  " }))).await;
        assert_eq!(status, 422, "{problem}");

        // The admin's queue holds both, oldest report first; a teacher's only her course's
        // channel; another teacher's nothing; a student has none.
        let queue = |who: &Person| {
            let token = who.token.clone();
            let app = &app;
            async move { call(app, Method::GET, "/api/v1/moderation/messages", Some(&token), None).await }
        };
        let (_, all) = queue(&school.admin).await;
        let ids: Vec<&str> = all["items"].as_array().unwrap().iter().map(|i| i["message_id"].as_str().unwrap()).collect();
        assert_eq!(ids, [insult.as_str(), rude.as_str()], "{all}");
        assert_eq!(all["items"][0]["reasons"], json!(["bullying"]));
        assert!(all["items"][0]["body_html"].as_str().unwrap().contains("hopeless loser"), "{all}");
        assert_eq!(all["items"][0]["status"], "visible");
        let (_, hers) = queue(&tess).await;
        assert_eq!(hers["items"].as_array().unwrap().len(), 1, "{hers}");
        assert_eq!(hers["items"][0]["message_id"], rude.as_str());
        assert_eq!(hers["items"][0]["conversation_kind"], "course");
        let (_, his) = queue(&tom).await;
        assert_eq!(his["items"], json!([]));
        assert_eq!(queue(&sam).await.0, 403);

        // Who may decide: not the teacher about a conversation she cannot read (it is not
        // there for her), not a member who does not moderate, not another school.
        let decide = |id: &str| format!("/api/v1/moderation/messages/{id}");
        let hide = json!({ "action": "hide", "note": "unkind" });
        assert_eq!(call(&app, Method::POST, &decide(&insult), Some(&tess.token), Some(hide.clone())).await.0, 404);
        assert_eq!(call(&app, Method::POST, &decide(&rude), Some(&tom.token), Some(hide.clone())).await.0, 404);
        assert_eq!(call(&app, Method::POST, &decide(&rude), Some(&kim.token), Some(hide.clone())).await.0, 403);
        assert_eq!(call(&app, Method::POST, &decide(&rude), Some(&stranger.token), Some(hide.clone())).await.0, 404);
        let (status, problem) = call(&app, Method::POST, &decide(&rude), Some(&tess.token), Some(json!({ "action": "erase" }))).await;
        assert_eq!(status, 422, "{problem}");

        // Search finds the class message before it is hidden.
        eventually(WITHIN, "the class message to be found", || async {
            (found(&app, &kim, &course, "hopeless").await == 1).then_some(())
        }).await;

        // The teacher hides the class message: its members are told at once and see that a
        // moderator removed it; its author cannot change it; nobody reports it again; search
        // forgets it.
        let (mut kims, _) = open(&app, &kim, None).await;
        let (status, decided) = call(&app, Method::POST, &decide(&rude), Some(&tess.token), Some(hide.clone())).await;
        assert_eq!(status, 200, "{decided}");
        assert_eq!((decided["status"].as_str(), decided["reports_closed"].as_u64()), (Some("hidden"), Some(1)));
        let frame = next_of(&mut kims, "message").await;
        assert_eq!((frame["id"].as_str(), frame["hidden"].as_bool(), frame["body"].as_str()), (Some(rude.as_str()), Some(true), Some("")), "{frame}");
        let seen = shown(&app, &kim, &course, &rude).await;
        assert_eq!((seen["hidden"].as_bool(), seen["body_html"].as_str()), (Some(true), Some("")), "{seen}");
        let (status, problem) = call(&app, Method::PATCH, &format!("/api/v1/conversations/{course}/messages/{rude}"), Some(&sam.token), Some(json!({ "body": "sorry" }))).await;
        assert_eq!((status, problem["type"].as_str().is_some_and(|t| t.ends_with("message_hidden"))), (StatusCode::CONFLICT, true), "{problem}");
        let (status, problem) = call(&app, Method::POST, &report(&course, &rude), Some(&tess.token), Some(reason.clone())).await;
        assert_eq!((status, problem["type"].as_str().is_some_and(|t| t.ends_with("message_hidden"))), (StatusCode::CONFLICT, true), "{problem}");
        assert_eq!(call(&app, Method::POST, &decide(&rude), Some(&tess.token), Some(hide.clone())).await.0, 409);
        eventually(WITHIN, "search to forget the hidden message", || async {
            (found(&app, &kim, &course, "hopeless").await == 0).then_some(())
        }).await;
        let (_, hers) = queue(&tess).await;
        assert_eq!(hers["items"], json!([]), "a decision closes the reports");

        // The admin dismisses the reports of the direct message: it stays; nothing is left
        // to dismiss.
        let (status, decided) = call(&app, Method::POST, &decide(&insult), Some(&school.admin.token), Some(json!({ "action": "dismiss" }))).await;
        assert_eq!((status, decided["status"].as_str(), decided["reports_closed"].as_u64()), (StatusCode::OK, Some("visible"), Some(1)), "{decided}");
        assert_eq!(call(&app, Method::POST, &decide(&insult), Some(&school.admin.token), Some(json!({ "action": "dismiss" }))).await.0, 409);
        assert_eq!(shown(&app, &sam, &direct, &insult).await["body"], "You are a hopeless loser");

        // The admin restores the class message: shown and found again.
        let (status, decided) = call(&app, Method::POST, &decide(&rude), Some(&school.admin.token), Some(json!({ "action": "restore" }))).await;
        assert_eq!((status, decided["status"].as_str()), (StatusCode::OK, Some("visible")), "{decided}");
        let frame = next_of(&mut kims, "message").await;
        assert_eq!((frame["id"].as_str(), frame["hidden"].as_bool()), (Some(rude.as_str()), Some(false)), "{frame}");
        assert!(shown(&app, &kim, &course, &rude).await["body_html"].as_str().unwrap().contains("hopeless answers"));
        eventually(WITHIN, "search to find the restored message", || async {
            (found(&app, &kim, &course, "hopeless").await == 1).then_some(())
        }).await;

        // Every decision is in the school's audit log.
        let logged = eventually(WITHIN, "the audit log records the decisions", || async {
            let log = send(&app, Method::GET, "/api/v1/audit?action=moderation.hide", &school.admin, None).await;
            (log["items"].as_array().map_or(0, Vec::len) == 1).then_some(log)
        }).await;
        assert_eq!(logged["items"][0]["actor_id"], tess.id.as_str());
        assert_eq!(logged["items"][0]["target"], format!("message:{rude}"));
        for action in ["dismiss", "restore"] {
            eventually(WITHIN, "the audit log records the decision", || async {
                let log = send(&app, Method::GET, &format!("/api/v1/audit?action=moderation.{action}"), &school.admin, None).await;
                (log["items"].as_array().map_or(0, Vec::len) == 1).then_some(())
            }).await;
        }
        env.cleanup().await;
    }
}

/// The start of a PNG: enough for its type to be read from its bytes.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R',
];

/// Sends `parts` (name, file name if a file, bytes) to the conversation as a browser form would.
async fn send_parts(
    app: &TestApp,
    who: &Person,
    conversation: &str,
    parts: Vec<(&str, Option<&str>, Vec<u8>)>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (name, file_name, bytes) in parts {
        let mut part = reqwest::multipart::Part::bytes(bytes);
        if let Some(file_name) = file_name {
            part = part.file_name(file_name.to_owned());
        }
        form = form.part(name.to_owned(), part);
    }
    let response = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{conversation}/messages")))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

each_storage! {
    async fn a_message_carries_a_file_its_members_alone_download(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "sharing").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let lee = school.add(&app, "student", "Lee").await;
        let stranger = School::create(&app, "distant").await.add(&app, "student", "Stan").await;
        let course = course_with(&app, &tess, &[&sam, &kim]).await;
        roster_has(&app, "messaging", &course, 3).await;
        let (_, direct) = start(&app, &sam, &[&kim], None).await;
        let direct = direct["id"].as_str().unwrap().to_owned();

        // Sam sends a picture with a caption; the name keeps only its last segment and the
        // type is read from the bytes.
        let mut picture = PNG.to_vec();
        picture.extend(std::iter::repeat_n(7u8, 3_000));
        let (status, sent) = send_parts(&app, &sam, &direct, vec![
            ("body", None, b"The **lab** diagram".to_vec()),
            ("file", Some("../../Desktop/diagram.txt"), picture.clone()),
        ]).await;
        assert_eq!(status, 201, "{sent}");
        assert!(sent["body_html"].as_str().unwrap().contains("<strong>lab</strong>"), "{sent}");
        assert_eq!(sent["file"]["name"], "diagram.txt");
        assert_eq!(sent["file"]["content_type"], "image/png");
        assert_eq!(sent["file"]["size"], picture.len());
        let url = sent["file"]["url"].as_str().unwrap().to_owned();
        let message_id = sent["id"].as_str().unwrap().to_owned();
        assert_eq!(url, format!("/api/v1/conversations/{direct}/messages/{message_id}/file"));

        // Kim downloads it: the same bytes, as an attachment the browser will not sniff.
        let response = app.client.get(app.url(&url)).bearer_auth(&kim.token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"diagram.txt\""));
        assert_eq!(response.bytes().await.unwrap().as_ref(), picture.as_slice());
        // Her history carries it too.
        let history = send(&app, Method::GET, &format!("/api/v1/conversations/{direct}/messages"), &kim, None).await;
        assert_eq!(history["items"][0]["file"]["url"], url.as_str());
        // Nobody outside the conversation, of the school or another, nor anonymously.
        for (who, expected) in [(Some(&lee.token), 404), (Some(&stranger.token), 404), (None, 401)] {
            let mut request = app.client.get(app.url(&url));
            if let Some(token) = who {
                request = request.bearer_auth(token);
            }
            assert_eq!(request.send().await.unwrap().status(), expected);
        }

        // Refused sends keep nothing: a program, a file past 10 MiB, no file and no text, an
        // unknown part, a non-member's file.
        let count = || async {
            let page = send(&app, Method::GET, &format!("/api/v1/conversations/{direct}/messages"), &kim, None).await;
            page["items"].as_array().unwrap().len()
        };
        let before = count().await;
        let program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
        let (status, problem) = send_parts(&app, &sam, &direct, vec![("file", Some("game.exe"), program)]).await;
        assert_eq!((status, problem["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_type")), "{problem}");
        let mut huge = PNG.to_vec();
        huge.resize(10 * 1024 * 1024 + 1, 0);
        let (status, problem) = send_parts(&app, &sam, &direct, vec![("file", Some("huge.png"), huge)]).await;
        assert_eq!(status, 413, "{problem}");
        let (status, problem) = send_parts(&app, &sam, &direct, vec![("body", None, b"  ".to_vec())]).await;
        assert_eq!((status, problem["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")), "{problem}");
        let (status, problem) = send_parts(&app, &sam, &direct, vec![("file", Some("a.png"), PNG.to_vec()), ("extra", None, b"x".to_vec())]).await;
        assert_eq!(status, 422, "{problem}");
        let (status, _) = send_parts(&app, &lee, &direct, vec![("file", Some("a.png"), PNG.to_vec())]).await;
        assert_eq!(status, 404);
        assert_eq!(count().await, before, "no refused send left a message");

        // A file alone is a message; once its author deletes it, nobody downloads the file.
        let (status, alone) = send_parts(&app, &kim, &direct, vec![("file", Some("notes.txt"), b"Bring goggles".to_vec())]).await;
        assert_eq!((status, alone["file"]["content_type"].as_str(), alone["body"].as_str()), (StatusCode::CREATED, Some("text/plain"), Some("")), "{alone}");
        let (status, _) = call(&app, Method::DELETE, &format!("/api/v1/conversations/{direct}/messages/{message_id}"), Some(&sam.token), None).await;
        assert_eq!(status, 204);
        let response = app.client.get(app.url(&url)).bearer_auth(&kim.token).send().await.unwrap();
        assert_eq!(response.status(), 404);
        let history = send(&app, Method::GET, &format!("/api/v1/conversations/{direct}/messages"), &kim, None).await;
        let deleted = history["items"].as_array().unwrap().iter().find(|m| m["id"] == message_id.as_str()).unwrap();
        assert_eq!(deleted["file"], Value::Null);
        env.cleanup().await;
    }
}
