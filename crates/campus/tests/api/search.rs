//! The search context through the real server: results held to what each searcher may open
//! (another school's anything, draft courses, lessons and course feeds of courses one is not
//! in, students' profiles outside their courses unless the school opened them, hidden posts,
//! deactivated people, blocks), edits and withdrawals reaching the index, typos, Spanish,
//! suggestions, messages within a conversation, trending, and an index that survives a restart
//! and rebuilds from the table.
//! Runs on every storage backend.
//!
//! A document that must not appear is checked only after a searcher who may open it found
//! it: the index is known to hold it, so its absence is the rule at work, not a lag.

use std::time::Duration;

use campus_testkit::{
    each_storage, eventually,
    people::{call, send, Person, School},
    TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const WITHIN: Duration = Duration::from_secs(20);

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `GET /api/v1/search?q=…` (and any further `&…`) as `who`.
async fn search(app: &TestApp, who: &Person, q: &str, more: &str) -> Value {
    let path = format!("/api/v1/search?q={}{more}", encoded(q));
    send(app, Method::GET, &path, who, None).await
}

/// The titles of a page of results.
fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until `who`'s search for `q` shows a result titled `title`; the page.
async fn finds(app: &TestApp, who: &Person, q: &str, title: &str) -> Value {
    let what = format!("a search for {q:?} to find {title:?}");
    eventually(WITHIN, &what, || async {
        let page = search(app, who, q, "").await;
        titles(&page).iter().any(|t| t == title).then_some(page)
    })
    .await
}

/// Waits until `who`'s search for `q` no longer shows `title`.
async fn loses(app: &TestApp, who: &Person, q: &str, title: &str) {
    let what = format!("a search for {q:?} to stop finding {title:?}");
    eventually(WITHIN, &what, || async {
        let page = search(app, who, q, "").await;
        (!titles(&page).iter().any(|t| t == title)).then_some(())
    })
    .await;
}

async fn new_course(app: &TestApp, teacher: &Person, details: Value, publish: bool) -> String {
    let course = send(app, Method::POST, "/api/v1/courses", teacher, Some(details)).await;
    let course = course["id"].as_str().unwrap().to_owned();
    if publish {
        let path = format!("/api/v1/courses/{course}/publish");
        send(app, Method::POST, &path, teacher, None).await;
    }
    course
}

async fn enroll(app: &TestApp, course: &str, teacher: &Person, student: &Person) {
    let path = format!("/api/v1/courses/{course}/members/{}", student.id);
    send(
        app,
        Method::PUT,
        &path,
        teacher,
        Some(json!({ "role": "student" })),
    )
    .await;
}

async fn new_lesson(
    app: &TestApp,
    course: &str,
    teacher: &Person,
    title: &str,
    body: &str,
) -> String {
    let path = format!("/api/v1/courses/{course}/modules");
    let module = send(
        app,
        Method::POST,
        &path,
        teacher,
        Some(json!({ "title": "Unit 1" })),
    )
    .await;
    let path = format!("/api/v1/modules/{}/lessons", module["id"].as_str().unwrap());
    let lesson = send(
        app,
        Method::POST,
        &path,
        teacher,
        Some(json!({ "title": title, "body": body })),
    )
    .await;
    lesson["id"].as_str().unwrap().to_owned()
}

async fn new_post(app: &TestApp, who: &Person, place: Value, body: &str) -> String {
    let mut request = place;
    request["body"] = json!(body);
    let post = send(app, Method::POST, "/api/v1/posts", who, Some(request)).await;
    post["id"].as_str().unwrap().to_owned()
}

each_storage! {
    async fn results_hold_to_what_each_searcher_may_open(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "searching").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let dee = school.add(&app, "student", "Dee").await;
        let other = School::create(&app, "elsewhere").await;
        let olga = other.add(&app, "teacher", "Olga").await;

        let course = new_course(&app, &tess, json!({ "title": "Photosynthesis basics",
            "summary": "How plants make food" }), true).await;
        enroll(&app, &course, &tess, &sam).await;
        new_course(&app, &tess, json!({ "title": "Photosynthesis secrets" }), false).await;
        new_lesson(&app, &course, &tess, "Chlorophyll", "Photosynthesis turns light into sugar.").await;
        new_post(&app, &tess, json!({ "place": "course", "course_id": course }),
            "Photosynthesis lab on Friday").await;
        new_post(&app, &tess, json!({ "place": "school" }), "Photosynthesis fair next week").await;
        new_course(&app, &olga, json!({ "title": "Photosynthesis advanced" }), true).await;

        // The school's admin may open everything of the school, and finds it all.
        let admin = &school.admin;
        for title in ["Photosynthesis basics", "Photosynthesis secrets", "Chlorophyll",
                      "Photosynthesis lab on Friday", "Photosynthesis fair next week"] {
            finds(&app, admin, "photosynthesis", title).await;
        }
        // Sam is in the course: its lesson and feed, not the draft.
        let sams = finds(&app, &sam, "photosynthesis", "Chlorophyll").await;
        finds(&app, &sam, "photosynthesis", "Photosynthesis lab on Friday").await;
        let seen = titles(&search(&app, &sam, "photosynthesis", "").await);
        assert!(!seen.contains(&"Photosynthesis secrets".to_owned()), "{seen:?}");
        // The snippet marks the word found, and the link opens the lesson.
        let lesson = sams["items"].as_array().unwrap().iter()
            .find(|item| item["title"] == "Chlorophyll").unwrap();
        assert!(lesson["snippet_html"].as_str().unwrap().contains("<mark>Photosynthesis</mark>"), "{lesson}");
        assert!(lesson["link"].as_str().unwrap().starts_with("/lessons/"));
        // Kim is in no course: the catalogue's course and the school's feed, nothing else.
        let seen = titles(&finds(&app, &kim, "photosynthesis", "Photosynthesis basics").await);
        assert!(seen.contains(&"Photosynthesis fair next week".to_owned()), "{seen:?}");
        for hidden in ["Photosynthesis secrets", "Chlorophyll", "Photosynthesis lab on Friday",
                       "Photosynthesis advanced"] {
            assert!(!seen.contains(&hidden.to_owned()), "Kim found {hidden}: {seen:?}");
        }
        // Olga, of another school, finds only her own school's course.
        let seen = titles(&finds(&app, &olga, "photosynthesis", "Photosynthesis advanced").await);
        assert_eq!(seen, vec!["Photosynthesis advanced"]);
        // A filter by kind and by course.
        let lessons = search(&app, admin, "photosynthesis", "&type=lesson").await;
        assert_eq!(titles(&lessons), vec!["Chlorophyll"]);
        let in_course = search(&app, admin, "photosynthesis", &format!("&course={course}&type=post")).await;
        assert_eq!(titles(&in_course), vec!["Photosynthesis lab on Friday"]);

        // People: a student is found by their courses' people and the admins, not by other
        // students; adults by everyone of the school.
        finds(&app, &tess, "Sam", "Sam").await;
        finds(&app, admin, "Kim", "Kim").await;
        assert!(!titles(&search(&app, &kim, "Sam", "").await).contains(&"Sam".to_owned()));
        finds(&app, &kim, "Tess", "Tess").await;
        // The admin opens students' profiles to the whole school: Kim finds Sam, and the post
        // on Sam's profile; closed again, neither.
        let rules = |public: bool| json!({ "students_post_to_school": false,
            "students_post_on_profiles": true, "student_profiles_public": public });
        send(&app, Method::PUT, "/api/v1/social/settings", admin, Some(rules(false))).await;
        new_post(&app, &sam, json!({ "place": "profile", "profile_id": sam.id }),
            "Pressed herbarium leaves").await;
        finds(&app, &tess, "herbarium", "Pressed herbarium leaves").await;
        assert!(titles(&search(&app, &kim, "herbarium", "").await).is_empty());
        send(&app, Method::PUT, "/api/v1/social/settings", admin, Some(rules(true))).await;
        finds(&app, &kim, "Sam", "Sam").await;
        finds(&app, &kim, "herbarium", "Pressed herbarium leaves").await;
        send(&app, Method::PUT, "/api/v1/social/settings", admin, Some(rules(false))).await;
        loses(&app, &kim, "Sam", "Sam").await;
        loses(&app, &kim, "herbarium", "Pressed herbarium leaves").await;
        // A deactivated person is gone.
        finds(&app, admin, "Dee", "Dee").await;
        let path = format!("/api/v1/users/{}/deactivate", dee.id);
        send(&app, Method::POST, &path, admin, None).await;
        loses(&app, admin, "Dee", "Dee").await;

        // Kim blocks Tess: nothing of Tess's reaches Kim's results, Tess included.
        send(&app, Method::POST, "/api/v1/blocks", &kim,
            Some(json!({ "user_id": tess.id, "kind": "block" }))).await;
        loses(&app, &kim, "photosynthesis", "Photosynthesis fair next week").await;
        loses(&app, &kim, "Tess", "Tess").await;

        // Paging: a cursor continues where the page ended.
        let first = search(&app, admin, "photosynthesis", "&limit=2").await;
        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        assert!(first["total"].as_u64().unwrap() >= 5, "{first}");
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = search(&app, admin, "photosynthesis", &format!("&limit=2&cursor={cursor}")).await;
        let (a, b) = (titles(&first), titles(&second));
        assert!(b.iter().all(|title| !a.contains(title)), "{a:?} then {b:?}");

        // Bad input answers problem+json.
        for (path, field) in [
            (format!("/api/v1/search?q={}", "a".repeat(201)), "q"),
            ("/api/v1/search?q=x&cursor=abc".to_owned(), "cursor"),
            ("/api/v1/search?q=x&type=secret".to_owned(), "type"),
            ("/api/v1/search?q=x&limit=51".to_owned(), "limit"),
        ] {
            let (status, problem) = call(&app, Method::GET, &path, Some(&kim.token), None).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {problem}");
            assert!(problem.to_string().contains(field), "{path}: {problem}");
        }
        let (status, _) = call(&app, Method::GET, "/api/v1/search", Some(&kim.token), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = call(&app, Method::GET, "/api/v1/search?q=x", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn edits_unpublishing_hiding_and_deleting_reach_search(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "changing").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let kim = school.add(&app, "student", "Kim").await;
        let course = new_course(&app, &tess, json!({ "title": "Botany", "public": true }), true).await;
        let lesson = new_lesson(&app, &course, &tess, "Leaves", "Stomata let the leaf breathe.").await;
        finds(&app, &kim, "stomata", "Leaves").await;

        // A revised lesson is found by its new words, not its old ones.
        let path = format!("/api/v1/lessons/{lesson}");
        send(&app, Method::PATCH, &path, &tess,
            Some(json!({ "body": "Chloroplasts hold the green pigment." }))).await;
        finds(&app, &kim, "chloroplasts", "Leaves").await;
        loses(&app, &kim, "stomata", "Leaves").await;
        // Unpublished, it is gone; published again, back.
        send(&app, Method::PATCH, &path, &tess, Some(json!({ "published": false }))).await;
        loses(&app, &kim, "chloroplasts", "Leaves").await;
        send(&app, Method::PATCH, &path, &tess, Some(json!({ "published": true }))).await;
        finds(&app, &kim, "chloroplasts", "Leaves").await;
        // Removed, gone.
        send(&app, Method::DELETE, &path, &tess, None).await;
        loses(&app, &kim, "chloroplasts", "Leaves").await;

        // A post a moderator hides leaves search, its comments with it; restored, both return.
        let post = new_post(&app, &tess, json!({ "place": "school" }), "Seed swap at lunch").await;
        let path = format!("/api/v1/posts/{post}/comments");
        send(&app, Method::POST, &path, &kim, Some(json!({ "body": "Bring sunflower seeds" }))).await;
        finds(&app, &kim, "sunflower", "Bring sunflower seeds").await;
        let path = format!("/api/v1/moderation/posts/{post}");
        send(&app, Method::POST, &path, &school.admin, Some(json!({ "action": "hide" }))).await;
        loses(&app, &tess, "seed swap", "Seed swap at lunch").await;
        loses(&app, &kim, "sunflower", "Bring sunflower seeds").await;
        send(&app, Method::POST, &path, &school.admin, Some(json!({ "action": "restore" }))).await;
        finds(&app, &tess, "seed swap", "Seed swap at lunch").await;
        finds(&app, &kim, "sunflower", "Bring sunflower seeds").await;
        // Deleted by its author, gone.
        send(&app, Method::DELETE, &format!("/api/v1/posts/{post}"), &tess, None).await;
        loses(&app, &tess, "seed swap", "Seed swap at lunch").await;

        // An archived course leaves the catalogue: a student outside it no longer finds it.
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/archive"), &tess, None).await;
        loses(&app, &kim, "botany", "Botany").await;
        finds(&app, &tess, "botany", "Botany").await;
    }

    async fn typos_spanish_suggestions_messages_and_trending(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "finding").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        let course = new_course(&app, &tess, json!({ "title": "Photosynthesis basics" }), true).await;
        enroll(&app, &course, &tess, &sam).await;
        let spanish = new_course(&app, &tess, json!({ "title": "Biología", "language": "es",
            "public": true }), true).await;
        new_lesson(&app, &spanish, &tess, "Las hojas",
            "La fotosíntesis ocurre en las plantas verdes gracias a la clorofila.").await;
        new_course(&app, &tess, json!({ "title": "Photography club" }), false).await;

        // A typo is corrected and said so.
        finds(&app, &kim, "photosynthesis", "Photosynthesis basics").await;
        let page = search(&app, &kim, "photosynthsis", "").await;
        assert_eq!(page["corrected_query"], "photosynthesis", "{page}");
        assert_eq!(titles(&page), vec!["Photosynthesis basics"]);
        // Spanish: accents folded, words stemmed (plantas → planta), stop words ignored.
        finds(&app, &kim, "fotosintesis", "Las hojas").await;
        finds(&app, &kim, "planta", "Las hojas").await;
        finds(&app, &kim, "las plantas verdes", "Las hojas").await;
        finds(&app, &kim, "biologia", "Biología").await;

        // Suggestions as someone types: titles starting with the words, never a draft for a
        // student.
        let path = "/api/v1/search/suggest?q=pho";
        let suggestions = eventually(WITHIN, "suggestions", || async {
            let page = send(&app, Method::GET, path, &tess, None).await;
            (page["items"].as_array().unwrap().len() == 2).then_some(page)
        }).await;
        assert_eq!(suggestions["items"][0]["title"], "Photography club", "{suggestions}");
        let kims = send(&app, Method::GET, path, &kim, None).await;
        assert_eq!(titles(&kims), vec!["Photosynthesis basics"]);
        let sams = send(&app, Method::GET, "/api/v1/search/suggest?q=photosynthesis%20ba", &sam, None).await;
        assert_eq!(titles(&sams), vec!["Photosynthesis basics"]);

        // Messages: found by the conversation's members, within it; nowhere else.
        let conversation = send(&app, Method::POST, "/api/v1/conversations", &tess,
            Some(json!({ "member_ids": [sam.id] }))).await;
        let conversation = conversation["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/conversations/{conversation}/messages");
        send(&app, Method::POST, &path, &sam, Some(json!({ "body": "Is the quiz on Friday?" }))).await;
        let path = format!("/api/v1/search/messages?conversation={conversation}&q=quiz");
        // Search learns the conversation's members and its message from messaging's events.
        let found = eventually(WITHIN, "the message to be found", || async {
            let (status, page) = call(&app, Method::GET, &path, Some(&tess.token), None).await;
            (status == StatusCode::OK && page["total"] == 1).then_some(page)
        }).await;
        assert!(found["items"][0]["snippet_html"].as_str().unwrap().contains("<mark>quiz</mark>"), "{found}");
        assert_eq!(found["items"][0]["kind"], "message");
        let (status, problem) = call(&app, Method::GET, &path, Some(&kim.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        assert!(search(&app, &sam, "quiz", "").await["items"].as_array().unwrap().is_empty());

        // Trending: the course Sam joined this week.
        let trending = send(&app, Method::GET, "/api/v1/search/trending", &kim, None).await;
        let courses: Vec<&str> = trending["courses"].as_array().unwrap().iter()
            .map(|c| c["title"].as_str().unwrap()).collect();
        assert_eq!(courses, vec!["Photosynthesis basics"], "{trending}");
        assert_eq!(trending["courses"][0]["enrollments"], 1);

        // The week's most opened courses: each person once a day however often they open it
        // (Sam opens hers in two tally windows), its own teacher not at all.
        for (who, opened) in [(&sam, &course), (&kim, &course), (&kim, &spanish), (&tess, &spanish)] {
            send(&app, Method::GET, &format!("/api/v1/courses/{opened}"), who, None).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for _ in 0..3 {
            send(&app, Method::GET, &format!("/api/v1/courses/{course}"), &sam, None).await;
            send(&app, Method::GET, &format!("/api/v1/courses/{spanish}"), &tess, None).await;
        }
        let most_viewed = || async {
            let trending = send(&app, Method::GET, "/api/v1/search/trending", &kim, None).await;
            trending["viewed_courses"].as_array().unwrap().iter()
                .map(|c| (c["title"].as_str().unwrap().to_owned(), c["viewers"].as_i64().unwrap()))
                .collect::<Vec<_>>()
        };
        let expected = vec![("Photosynthesis basics".to_owned(), 2), ("Biología".to_owned(), 1)];
        eventually(WITHIN, "the views to be counted", || async {
            (most_viewed().await == expected).then_some(())
        }).await;
        // Later windows (Sam's second visit, the teacher's) change nothing.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(most_viewed().await, expected);
    }
}

/// The embedded shape: a restart resumes from the index's committed position (no rebuild), and
/// `campus search reindex` rebuilds it from the documents table.
#[tokio::test]
async fn the_index_survives_a_restart_and_rebuilds_from_the_table() {
    campus_testkit::run_on(
        campus_testkit::Storage::Sqlite,
        campus_testkit::Transport::Embedded,
        survives_and_rebuilds,
    )
    .await;
}

async fn survives_and_rebuilds(env: TestEnv) {
    let app = env.start(campus::contexts::all()).await;
    let school = School::create(&app, "lasting").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    new_course(&app, &tess, json!({ "title": "Geology" }), true).await;
    new_course(&app, &tess, json!({ "title": "Geometry" }), true).await;
    finds(&app, &tess, "geology", "Geology").await;
    finds(&app, &tess, "geometry", "Geometry").await;
    app.stop().await;

    // While stopped, Geometry's row goes from the table: a restart that rebuilt would lose it
    // from the index; one that resumes keeps it.
    let db = campus_platform::db::Db::open(&env.config, "search")
        .await
        .unwrap();
    sqlx::query("DELETE FROM search_documents WHERE title = 'Geometry'")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let app = env.start(campus::contexts::all()).await;
    finds(&app, &tess, "geometry", "Geometry").await;
    finds(&app, &tess, "geology", "Geology").await;
    app.stop().await;

    // Rebuilt from the table, the index holds only what the table does.
    let done = campus::search::reindex(&env.config, None).await.unwrap();
    assert!(
        done.contains("rebuilt the search index of every school"),
        "{done}"
    );
    let app = env.start(campus::contexts::all()).await;
    finds(&app, &tess, "geology", "Geology").await;
    assert!(titles(&search(&app, &tess, "geometry", "").await).is_empty());

    // With the server running, the server rebuilds its own index on request.
    let config = env.config.clone();
    let done = tokio::spawn(async move { campus::search::reindex(&config, Some("lasting")).await })
        .await
        .unwrap()
        .unwrap();
    assert!(
        done.contains("running search process(es) rebuilt the index of `lasting`"),
        "{done}"
    );
    finds(&app, &tess, "geology", "Geology").await;
    app.stop().await;
}
