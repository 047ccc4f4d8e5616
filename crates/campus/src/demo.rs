//! `campus serve --demo`: a demo school to try Campus Hub with, seeded through the public API
//! of the server just started (so every rule and event applies as in real use): an admin, a
//! teacher, three students and a published course they are enrolled in.
//!
//! Every demo account gets one password, random per seeding, printed once with how to sign
//! in. When the demo school exists already, nothing is changed.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const SLUG: &str = "demo";
const DOMAIN: &str = "demo.campus.test";
const STUDENTS: [&str; 3] = ["Marty", "Jennifer", "Biff"];

/// What was seeded, for the operator.
pub enum Seeded {
    Created { password: String },
    AlreadyThere,
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        // `null`: the operation takes no body.
        if !body.is_null() {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("Failed to call {path}"))?;
        let status = response.status();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// Calls and requires success; returns the answer.
    async fn ok(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let (status, answer) = self.call(method, path, token, body).await?;
        anyhow::ensure!(status.is_success(), "{path} answered {status}: {answer}");
        Ok(answer)
    }

    async fn id(&self, path: &str, token: &str, body: Value) -> anyhow::Result<String> {
        let answer = self.ok(Method::POST, path, Some(token), body).await?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{path} answered without an id"))
    }
}

pub fn email(name: &str) -> String {
    format!("{}@{DOMAIN}", name.to_lowercase())
}

/// Seeds the demo school through the API at `base` (e.g. `http://127.0.0.1:8080`).
pub async fn seed(base: &str) -> anyhow::Result<Seeded> {
    let api = Api {
        client: reqwest::Client::new(),
        base: base.trim_end_matches('/').to_owned(),
    };
    // Random per seeding, so no two installations share a demo password.
    // (Not containing the school's slug, which the password policy refuses.)
    let password = format!(
        "{}-{}",
        campus_platform::id::short_code().to_lowercase(),
        campus_platform::id::short_code().to_lowercase()
    );
    let (status, school) = api
        .call(
            Method::POST,
            "/api/v1/schools",
            None,
            json!({ "slug": SLUG, "name": "Campus Hub Demo School", "admin_email": email("admin"),
                    "admin_password": password, "admin_name": "Dana Admin" }),
        )
        .await?;
    if status == StatusCode::CONFLICT {
        return Ok(Seeded::AlreadyThere);
    }
    anyhow::ensure!(
        status.is_success(),
        "the demo school could not be created ({status}): {school}"
    );
    let admin = school["tokens"]["access_token"]
        .as_str()
        .context("no admin token")?
        .to_owned();
    let mut people = vec![("Tess", "teacher")];
    people.extend(STUDENTS.iter().map(|name| (*name, "student")));
    for (name, role) in &people {
        api.ok(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            json!({ "email": email(name), "display_name": format!("{name} {}", if *role == "teacher" { "Teacher" } else { "Student" }),
                    "role": role, "password": password }),
        )
        .await?;
    }
    let signed_in = api
        .ok(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({ "school": SLUG, "email": email("Tess"), "password": password }),
        )
        .await?;
    let teacher = signed_in["access_token"]
        .as_str()
        .context("no teacher token")?
        .to_owned();
    let course = api
        .id(
            "/api/v1/courses",
            &teacher,
            json!({
                "title": "Introduction to Biology",
                "summary": "Cells, genes and the living world, in two modules.",
                "description": "## Welcome\n\nThis demo course shows **modules**, **lessons**, \
                                progress and announcements. Work through the first module to \
                                open the second.",
                "subject": "Biology", "grade_level": "9", "tags": ["science", "demo"], "language": "en"
            }),
        )
        .await?;
    let outline = [
        (
            "Cells",
            false,
            vec![
                ("What is a cell?", "Every living thing is made of **cells**.\n\n- membrane\n- cytoplasm\n- nucleus",),
                ("Inside the cell", "Organelles each have a job. Which one makes energy?"),
            ],
        ),
        (
            "Genetics",
            true,
            vec![
                ("DNA", "DNA carries the instructions for building a living thing."),
                ("Heredity", "Why do children look like their parents?"),
            ],
        ),
    ];
    for (title, requires_previous, lessons) in outline {
        let module = api
            .id(
                &format!("/api/v1/courses/{course}/modules"),
                &teacher,
                json!({ "title": title, "requires_previous": requires_previous }),
            )
            .await?;
        for (title, body) in lessons {
            api.id(
                &format!("/api/v1/modules/{module}/lessons"),
                &teacher,
                json!({ "title": title, "body": body, "estimated_minutes": 15 }),
            )
            .await?;
        }
    }
    api.ok(
        Method::POST,
        &format!("/api/v1/courses/{course}/publish"),
        Some(&teacher),
        Value::Null,
    )
    .await?;
    // Courses learns about the new people from identity's events, a moment after they were
    // created; the roster is accepted once it has.
    let roster: Vec<String> = STUDENTS.iter().map(|name| email(name)).collect();
    let mut attempts = 0;
    loop {
        let (status, answer) = api
            .call(
                Method::POST,
                &format!("/api/v1/courses/{course}/roster"),
                Some(&teacher),
                json!({ "people": roster }),
            )
            .await?;
        if status.is_success() {
            break;
        }
        attempts += 1;
        anyhow::ensure!(
            attempts < 100 && status == StatusCode::UNPROCESSABLE_ENTITY,
            "enrolling the demo class failed ({status}): {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.ok(
        Method::POST,
        &format!("/api/v1/courses/{course}/announcements"),
        Some(&teacher),
        json!({ "title": "Welcome to Biology", "body": "Start with *What is a cell?* and mark each lesson done." }),
    )
    .await?;
    Ok(Seeded::Created { password })
}

/// How to sign in, for the operator's terminal.
pub fn instructions(base: &str, seeded: &Seeded) -> String {
    match seeded {
        Seeded::AlreadyThere => format!(
            "The demo school `{SLUG}` exists already; sign in with the password printed when it \
             was seeded. Its people: {}, {} and {}.",
            email("admin"),
            email("Tess"),
            STUDENTS.map(email).join(", ")
        ),
        Seeded::Created { password } => format!(
            "Demo school ready: school `{SLUG}`, password for every demo account: {password}\n\
             \x20 school admin: {}\n\
             \x20 teacher:      {}\n\
             \x20 students:     {}\n\
             Sign in at {base}/sign-in?school={SLUG}, or with the API:\n\
             \x20 curl -X POST {base}/api/v1/auth/login -H 'content-type: application/json' \\\n\
             \x20   -d '{{\"school\": \"{SLUG}\", \"email\": \"{}\", \"password\": \"{password}\"}}'\n\
             Then browse the API at {base}/api/docs.",
            email("admin"),
            email("Tess"),
            STUDENTS.map(email).join(", "),
            email("Marty"),
        ),
    }
}
