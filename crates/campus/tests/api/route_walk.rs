//! Safe by default: one test walks every operation of the API document, as it is served, and
//! calls it as whoever must not get through —
//!
//! - anonymously: 401, unless the operation is public, and a public operation must be listed
//!   in [`PUBLIC`] on purpose;
//! - with a deactivated account's token: 401;
//! - as another school's admin, on ids of this school that exist: refused exactly as for ids
//!   that do not exist (so nothing tells they exist), never 2xx, and nothing of this school
//!   changed;
//! - as a teacher demoted to student and an admin demoted to teacher: no 2xx where a plain
//!   student (teacher) is refused.
//!
//! A new route is walked without anyone writing a case for it. Request bodies are made from
//! the document's schemas; path ids from [`Ids`], which knows each kind of id by the segment
//! before it (a route with a new kind of id fails here until it is added there).

use std::collections::HashMap;

use campus_testkit::{
    each_storage, eventually,
    people::{call, Person, School},
    TestApp, TestEnv,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

/// Operations anyone may call: signing in and up, and what an emailed link or a refresh token
/// stands in for. Listing one here is a decision, reviewed like any other.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/.well-known/jwks.json"),
    ("post", "/api/v1/schools"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/session"),
    ("delete", "/api/v1/auth/session"),
    ("post", "/api/v1/auth/session/refresh"),
    ("get", "/api/v1/auth/session/continue"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("post", "/api/v1/auth/invitation/accept"),
    ("post", "/api/v1/auth/verify-email"),
    // A private calendar feed: its address is the credential (calendar applications send no
    // other).
    ("get", "/api/v1/calendar/feeds/{file}"),
    // A message's one-click unsubscribe address: mail clients post to it with no sign-in
    // (RFC 8058); the address is the credential.
    ("get", "/api/v1/unsubscribe/{token}"),
    ("post", "/api/v1/unsubscribe/{token}"),
];

/// One operation of the document.
struct Operation {
    method: Method,
    path: String,
    secured: bool,
    /// `(content type, body)` made from the request schema.
    body: Option<(String, Vec<u8>)>,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The ids of one school's things, by the path segment they follow.
struct Ids(HashMap<&'static str, String>);

impl Ids {
    /// `path` with every `{param}` replaced by the id of its kind, or why it cannot be.
    fn fill(&self, path: &str) -> Result<String, String> {
        let mut previous = "";
        let mut filled = Vec::new();
        for segment in path.split('/') {
            if segment.starts_with('{') {
                let kind = format!("{previous}/{segment}");
                let id = self.0.get(kind.as_str()).ok_or_else(|| {
                    format!(
                        "the route walk does not know what `{kind}` in {path} is: add it to Ids"
                    )
                })?;
                filled.push(id.clone());
            } else {
                filled.push(segment.to_owned());
            }
            previous = segment;
        }
        Ok(filled.join("/"))
    }

    /// The same kinds, none of which exists.
    fn nonexistent(&self) -> Self {
        Self(
            self.0
                .keys()
                .map(|kind| (*kind, campus_platform::id::new_id_string()))
                .collect(),
        )
    }
}

/// Every operation the server documents, with a body its schema accepts.
async fn operations(app: &TestApp) -> Vec<Operation> {
    let document: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if !matches!(
                method,
                Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                continue;
            }
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            let body = operation["requestBody"]["content"]
                .as_object()
                .map(|content| {
                    if let Some(json) = content.get("application/json") {
                        let value = example(&document, &json["schema"], path);
                        (
                            "application/json".to_owned(),
                            serde_json::to_vec(&value).unwrap(),
                        )
                    } else if content.contains_key("multipart/form-data") {
                        (
                            "multipart/form-data; boundary=walk".to_owned(),
                            b"--walk\r\nContent-Disposition: form-data; name=\"file\"; filename=\"walk.pdf\"\r\n\
                              Content-Type: application/pdf\r\n\r\n%PDF-1.4 walk\r\n--walk--\r\n"
                                .to_vec(),
                        )
                    } else if content.contains_key("application/x-www-form-urlencoded") {
                        (
                            "application/x-www-form-urlencoded".to_owned(),
                            b"List-Unsubscribe=One-Click".to_vec(),
                        )
                    } else if content.contains_key("text/csv") {
                        (
                            "text/csv".to_owned(),
                            b"email,display_name,role\nwalk@example.org,Walk,student\n".to_vec(),
                        )
                    } else {
                        panic!("{method} {path}: the route walk has no body for {content:?}")
                    }
                });
            operations.push(Operation {
                method,
                path: path.clone(),
                secured,
                body,
            });
        }
    }
    operations
}

/// A value the schema accepts: required properties only, strings that match their pattern.
fn example(document: &Value, schema: &Value, path: &str) -> Value {
    let schema = resolve(document, schema);
    if let Some(values) = schema["enum"].as_array() {
        return values[0].clone();
    }
    for combined in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[combined].as_array() {
            let chosen = options
                .iter()
                .find(|o| resolve(document, o)["type"] != "null")
                .unwrap_or(&options[0]);
            return example(document, chosen, path);
        }
    }
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ if schema["properties"].is_object() => vec!["object"],
        _ => vec![],
    };
    let kind = kinds
        .iter()
        .find(|k| **k != "null")
        .copied()
        .unwrap_or("null");
    match kind {
        "object" => {
            let mut object = Map::new();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    if required.contains(&name.as_str()) {
                        object.insert(name.clone(), example(document, property, path));
                    }
                }
            }
            Value::Object(object)
        }
        "array" => {
            let count = schema["minItems"].as_u64().unwrap_or(0) as usize;
            Value::Array(
                (0..count)
                    .map(|_| example(document, &schema["items"], path))
                    .collect(),
            )
        }
        "string" => Value::String(string_for(schema, path)),
        "integer" | "number" => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

fn string_for(schema: &Value, path: &str) -> String {
    let candidates = match schema["format"].as_str() {
        Some("email") => vec!["walk@example.org"],
        Some("password") => vec!["a route walk passphrase"],
        _ => vec!["Route walk", "walk", "a", "1", "walk@example.org"],
    };
    let pattern = schema["pattern"].as_str();
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    candidates
        .into_iter()
        .find(|c| {
            c.len() >= min && pattern.is_none_or(|p| regex::Regex::new(p).unwrap().is_match(c))
        })
        .unwrap_or_else(|| panic!("{path}: no example string matches {schema}"))
        .to_owned()
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            resolve(document, &document["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// Calls the operation on `ids` with `token` (anonymously when `None`).
async fn attempt(
    app: &TestApp,
    operation: &Operation,
    ids: &Ids,
    token: Option<&str>,
) -> StatusCode {
    let path = ids
        .fill(&operation.path)
        .unwrap_or_else(|why| panic!("{why}"));
    let mut request = app.client.request(operation.method.clone(), app.url(&path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((content_type, body)) = &operation.body {
        request = request
            .header("content-type", content_type)
            .body(body.clone());
    }
    let status = request.send().await.unwrap().status();
    assert!(
        !status.is_server_error(),
        "{} answered {status}",
        operation.name()
    );
    status
}

/// What the school's admin sees of the school's things: compared before and after another
/// school's admin tried every operation on them.
async fn snapshot(app: &TestApp, admin: &Person, ids: &Ids) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    for path in [
        "/api/v1/courses/{id}",
        "/api/v1/courses/{id}/members",
        "/api/v1/courses/{id}/announcements",
        "/api/v1/lessons/{id}",
        "/api/v1/users/{id}",
        "/api/v1/users?limit=200",
        "/api/v1/school",
        "/api/v1/audit?limit=200",
        "/api/v1/me/sessions",
        "/api/v1/assignments/{id}",
        "/api/v1/assignments/{id}/submissions",
        "/api/v1/assignments/{id}/extensions",
        "/api/v1/submissions/{id}",
        "/api/v1/courses/{id}/gradebook",
        "/api/v1/question-banks/{id}",
        "/api/v1/quizzes/{id}",
        "/api/v1/attempts/{id}",
    ] {
        let path = ids.fill(path).unwrap();
        let (status, body) = call(app, Method::GET, &path, Some(&admin.token), None).await;
        assert_eq!(status, 200, "{path}: {body}");
        seen.push((path, body));
    }
    seen
}

/// The session an access token names.
fn session_of(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

async fn created(app: &TestApp, path: &str, who: &Person, body: Value) -> String {
    let (status, answer) = call(app, Method::POST, path, Some(&who.token), Some(body)).await;
    assert_eq!(status, 201, "{path}: {answer}");
    answer["id"].as_str().unwrap().to_owned()
}

each_storage! {
    async fn every_operation_refuses_whoever_must_not_get_through(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "hill-valley").await;
        let other = School::create(&app, "shelbyville").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let tom = school.add(&app, "teacher", "Tom").await;
        let sam = school.add(&app, "student", "Sam").await;
        let dee = school.add(&app, "student", "Dee").await;
        let abe = school.add(&app, "school_admin", "Abe").await;

        // A published course Tess teaches, with a module, a lesson and an announcement; Sam
        // is enrolled.
        let course = created(&app, "/api/v1/courses", &tess,
            json!({ "title": "Physics", "subject": "Science", "public": true })).await;
        let module = created(&app, &format!("/api/v1/courses/{course}/modules"), &tess,
            json!({ "title": "Motion" })).await;
        let lesson = created(&app, &format!("/api/v1/modules/{module}/lessons"), &tess,
            json!({ "title": "Speed", "body": "Distance over time." })).await;
        created(&app, &format!("/api/v1/courses/{course}/announcements"), &tess,
            json!({ "title": "Welcome", "body": "Bring a ruler." })).await;
        let (status, _) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/publish"),
            Some(&tess.token), None).await;
        assert_eq!(status, 200);
        let (status, _) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/enroll"),
            Some(&sam.token), Some(json!({}))).await;
        assert!(status.is_success(), "{status}");
        // An assignment of the course with Sam's hand-in, a feedback file and an extension,
        // once assessments has heard of the course and its members.
        eventually(std::time::Duration::from_secs(20), "assessments hears of the course", || async {
            let known: Option<(String,)> = sqlx::query_as(
                "SELECT user_id FROM roster_places WHERE course_id = $1 AND user_id = $2",
            )
            .bind(&course)
            .bind(&sam.id)
            .fetch_optional(app.db("assessments").pool())
            .await
            .unwrap();
            known.map(drop)
        })
        .await;
        let assignment = created(&app, &format!("/api/v1/courses/{course}/assignments"), &tess,
            json!({ "title": "Lab report", "max_points": 10, "submission_types": ["text", "file"] })).await;
        let (status, body) = call(&app, Method::POST, &format!("/api/v1/assignments/{assignment}/publish"),
            Some(&tess.token), None).await;
        assert_eq!(status, 200, "{body}");
        let submission = created(&app, &format!("/api/v1/assignments/{assignment}/submissions"), &sam,
            json!({ "text": "Speed is distance over time." })).await;
        let (status, body) = call(&app, Method::PUT,
            &format!("/api/v1/assignments/{assignment}/extensions/{}", sam.id), Some(&tess.token),
            Some(json!({ "due_at": "2030-01-01T12:00" }))).await;
        assert_eq!(status, 200, "{body}");
        let feedback: Value = app.client
            .post(app.url(&format!("/api/v1/submissions/{submission}/feedback-files")))
            .bearer_auth(&tess.token)
            .multipart(reqwest::multipart::Form::new().part("file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4 notes".to_vec()).file_name("notes.pdf")))
            .send().await.unwrap().json().await.unwrap();
        let feedback_file = feedback["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        // A question bank and a published quiz from it, which Sam has started.
        let (status, bank) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), Some(&tess.token),
            Some(json!({ "title": "Motion", "questions": [{ "prompt": "Is speed a vector?", "points": 1,
                "question": { "kind": "true_false", "answer": false } }] }))).await;
        assert_eq!(status, 201, "{bank}");
        let question = bank["questions"][0]["id"].as_str().unwrap().to_owned();
        let quiz = created(&app, &format!("/api/v1/courses/{course}/quizzes"), &tess,
            json!({ "title": "Check", "selection": [{ "kind": "fixed", "question_id": question }] })).await;
        let (status, body) = call(&app, Method::POST, &format!("/api/v1/quizzes/{quiz}/publish"), Some(&tess.token), None).await;
        assert_eq!(status, 200, "{body}");
        let (status, started) = call(&app, Method::POST, &format!("/api/v1/quizzes/{quiz}/attempts"), Some(&sam.token), None).await;
        assert_eq!(status, 201, "{started}");
        let quiz_attempt = started["id"].as_str().unwrap().to_owned();
        // The gradebook has the assignment before the snapshots compare it.
        eventually(std::time::Duration::from_secs(20), "the gradebook hears of the assignment", || async {
            let (known,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM grade_items WHERE id IN ($1, $2)")
                .bind(&assignment)
                .bind(&quiz)
                .fetch_one(app.db("gradebook").pool())
                .await
                .unwrap();
            (known == 2).then_some(())
        })
        .await;
        // Sam has been told of the published work.
        let notification = eventually(std::time::Duration::from_secs(20), "Sam is notified", || async {
            let (_, page) = call(&app, Method::GET, "/api/v1/notifications", Some(&sam.token), None).await;
            page["items"][0]["id"].as_str().map(str::to_owned)
        })
        .await;
        // A conversation between Tess and her student Sam, with a message, once messaging
        // has heard that Sam is in her course.
        eventually(std::time::Duration::from_secs(20), "messaging hears of the course", || async {
            let known: Option<(String,)> = sqlx::query_as(
                "SELECT user_id FROM roster_places WHERE course_id = $1 AND user_id = $2",
            )
            .bind(&course)
            .bind(&sam.id)
            .fetch_optional(app.db("messaging").pool())
            .await
            .unwrap();
            known.map(drop)
        })
        .await;
        let conversation = created(&app, "/api/v1/conversations", &tess, json!({ "member_ids": [sam.id] })).await;
        let message = created(&app, &format!("/api/v1/conversations/{conversation}/messages"), &sam,
            json!({ "body": "Is the lab on Friday?" })).await;
        // A post in the course's feed with Sam's comment, once social has heard of the course.
        eventually(std::time::Duration::from_secs(20), "social hears of the course", || async {
            let known: Option<(String,)> = sqlx::query_as(
                "SELECT user_id FROM roster_places WHERE course_id = $1 AND user_id = $2",
            )
            .bind(&course)
            .bind(&sam.id)
            .fetch_optional(app.db("social").pool())
            .await
            .unwrap();
            known.map(drop)
        })
        .await;
        let post = created(&app, "/api/v1/posts", &tess,
            json!({ "place": "course", "course_id": course, "body": "Lab on Friday" })).await;
        let comment = created(&app, &format!("/api/v1/posts/{post}/comments"), &sam,
            json!({ "body": "Which room?" })).await;
        let ids = Ids(HashMap::from([
            ("posts/{id}", post),
            ("comments/{id}", comment),
            ("follows/{id}", course.clone()),
            ("blocks/{user_id}", dee.id.clone()),
            ("profiles/{id}", sam.id.clone()),
            ("conversations/{id}", conversation),
            ("messages/{message_id}", message),
            ("courses/{id}", course.clone()),
            ("notifications/{id}", notification),
            ("assignments/{id}", assignment.clone()),
            ("grades/{item_id}", assignment),
            ("question-banks/{id}", bank["id"].as_str().unwrap().to_owned()),
            ("quizzes/{id}", quiz.clone()),
            ("attempts/{id}", quiz_attempt),
            ("{item_id}/{student_id}", sam.id.clone()),
            ("extensions/{student_id}", sam.id.clone()),
            ("submissions/{id}", submission),
            ("feedback-files/{file_id}", feedback_file),
            ("members/{user_id}", sam.id.clone()),
            ("modules/{id}", module),
            ("lessons/{id}", lesson),
            ("users/{id}", sam.id.clone()),
            ("sessions/{id}", session_of(&school.admin.token)),
            ("feeds/{file}", format!("{}.ics", campus_platform::id::new_id_string())),
            ("unsubscribe/{token}", campus_platform::id::new_id_string()),
            ("push-subscriptions/{id}", campus_platform::id::new_id_string()),
            // Parked events are the platform's, not a school's.
            ("parked/{id}", campus_platform::id::new_id_string()),
        ]));
        let nowhere = ids.nonexistent();
        let operations = operations(&app).await;
        assert!(operations.len() > 60, "the document lists every operation");

        for operation in &operations {
            let listed = PUBLIC.iter().any(|(method, path)| {
                operation.method.as_str().eq_ignore_ascii_case(method) && operation.path == *path
            });
            if !operation.secured {
                assert!(listed, "{} is public in the document but not in PUBLIC", operation.name());
                continue;
            }
            assert!(!listed, "{} is listed public but needs a token", operation.name());
            assert_eq!(attempt(&app, operation, &ids, None).await, 401, "anonymous: {}", operation.name());
        }

        // Dee's token, from before she was deactivated.
        let path = format!("/api/v1/users/{}/deactivate", dee.id);
        assert_eq!(call(&app, Method::POST, &path, Some(&school.admin.token), None).await.0, 200);
        for operation in operations.iter().filter(|o| o.secured) {
            assert_eq!(attempt(&app, operation, &ids, Some(&dee.token)).await, 401,
                "deactivated: {}", operation.name());
        }

        let before = snapshot(&app, &school.admin, &ids).await;
        for operation in operations.iter().filter(|o| o.secured && o.path.contains('{')) {
            let theirs = attempt(&app, operation, &ids, Some(&other.admin.token)).await;
            let nobodys = attempt(&app, operation, &nowhere, Some(&other.admin.token)).await;
            assert!(!theirs.is_success(), "another school: {} answered {theirs}", operation.name());
            assert_eq!(theirs, nobodys,
                "another school's ids must answer as ids that do not exist: {}", operation.name());
        }
        let after = snapshot(&app, &school.admin, &ids).await;
        for ((path, was), (_, is)) in before.iter().zip(&after) {
            assert_eq!(was, is, "another school's admin changed {path}");
        }

        // Demotions: Tess (the course's teacher) to student, Abe to teacher; their old tokens.
        for (who, role) in [(&tess, "student"), (&abe, "teacher")] {
            let path = format!("/api/v1/users/{}/role", who.id);
            let (status, body) = call(&app, Method::PUT, &path, Some(&school.admin.token),
                Some(json!({ "role": role }))).await;
            assert_eq!(status, 200, "{body}");
        }
        eventually(std::time::Duration::from_secs(20), "courses hears of the demotions", || async {
            let roles: Vec<(String,)> = sqlx::query_as(
                "SELECT role FROM people WHERE user_id IN ($1, $2) ORDER BY user_id",
            )
            .bind(&tess.id)
            .bind(&abe.id)
            .fetch_all(app.db("courses").pool())
            .await
            .unwrap();
            let mut roles: Vec<String> = roles.into_iter().map(|(role,)| role).collect();
            roles.sort();
            (roles == ["student", "teacher"]).then_some(())
        })
        .await;
        for operation in operations.iter().filter(|o| o.secured) {
            for (demoted, plain) in [(&tess, &sam), (&abe, &tom)] {
                let status = attempt(&app, operation, &ids, Some(&demoted.token)).await;
                if status.is_success() {
                    let allowed = attempt(&app, operation, &ids, Some(&plain.token)).await;
                    assert!(
                        !matches!(allowed.as_u16(), 401 | 403 | 404),
                        "demoted {} got {status} from {}, which their new role's {} may not ({allowed})",
                        demoted.email, operation.name(), plain.email
                    );
                }
            }
        }
        app.stop().await;
    }
}
