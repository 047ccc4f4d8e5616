//! The web application over HTTP, as a browser without JavaScript uses it: pages, forms that
//! post and redirect, errors next to the fields, the session's cookies and CSRF token, the
//! language, and the pages for what went wrong. (`browser.rs` drives the same pages in a real
//! Chromium.)

use std::{sync::Arc, time::Duration};

use campus_testkit::{
    eventually,
    people::{call, Person, School, PASSWORD},
    Backend, TestApp, TestEnv,
};
use reqwest::{
    cookie::{CookieStore, Jar},
    header, Method, StatusCode,
};
use serde_json::json;

use crate::{identity::code_at, second_factor::enrol};

/// A browser without JavaScript: it keeps cookies, sends what a browser sends, and shows
/// redirects instead of following them.
pub(crate) struct Visitor {
    client: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    language: &'static str,
}

/// What a page answered.
pub(crate) struct Shown {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Visitor {
    pub(crate) fn new(app: &TestApp, language: &'static str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            client,
            jar,
            base: app.address.clone(),
            language,
        }
    }

    async fn shown(response: reqwest::Response) -> Shown {
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        Shown {
            status,
            location,
            html: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Shown {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html")
            .header(header::ACCEPT_LANGUAGE, self.language)
            .send()
            .await
            .unwrap();
        Self::shown(response).await
    }

    /// Posts `form` as the page's own form does (from this site).
    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Shown {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT_LANGUAGE, self.language)
            .form(form)
            .send()
            .await
            .unwrap();
        Self::shown(response).await
    }

    /// A browser signed in as `email` of the school `school` with the shared test password.
    pub(crate) async fn signed_in(app: &TestApp, school: &str, email: &str) -> Self {
        let visitor = Self::new(app, "en");
        let shown = visitor
            .post(
                "/sign-in",
                &[("school", school), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            shown.status,
            StatusCode::SEE_OTHER,
            "signed in: {}",
            shown.html
        );
        visitor
    }

    /// Follows redirects from `shown` to the page they end on.
    pub(crate) async fn follow(&self, mut shown: Shown) -> Shown {
        for _ in 0..5 {
            match (&shown.status, &shown.location) {
                (&StatusCode::SEE_OTHER, Some(location)) => {
                    let path = location
                        .strip_prefix(&self.base)
                        .unwrap_or(location)
                        .to_owned();
                    shown = self.get(&path).await;
                }
                _ => return shown,
            }
        }
        panic!("too many redirects");
    }

    /// The session's CSRF token, as the page's forms carry it.
    pub(crate) fn csrf(&self) -> String {
        self.cookie("campus_csrf").expect("a session")
    }

    fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let cookies = self.jar.cookies(&url)?;
        cookies
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// Forgets the access cookie, as the browser does when it expires.
    fn expire_access(&self) {
        let url = self.base.parse().unwrap();
        self.jar
            .add_cookie_str("campus_access=; Max-Age=0; Path=/", &url);
    }
}

/// The ids in `html` of links like `/kind/<id>`, in order.
pub(crate) fn linked_ids(html: &str, kind: &str) -> Vec<String> {
    html.split(&format!("href=\"/{kind}/"))
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect()
        })
        .collect()
}

async fn app(env: &TestEnv) -> TestApp {
    env.start_with_pages(campus::contexts::all(), campus_web::pages)
        .await
}

/// A published course with one module of `lessons` lessons, made through the API.
pub(crate) async fn course(app: &TestApp, token: &str, title: &str, lessons: usize) -> String {
    let (status, course) = call(
        app,
        Method::POST,
        "/api/v1/courses",
        Some(token),
        Some(json!({ "title": title, "subject": "Biology", "summary": "Cells and what they do" })),
    )
    .await;
    assert_eq!(status, 201, "{course}");
    let id = course["id"].as_str().unwrap().to_owned();
    let (_, module) = call(
        app,
        Method::POST,
        &format!("/api/v1/courses/{id}/modules"),
        Some(token),
        Some(json!({ "title": "Cells" })),
    )
    .await;
    let module = module["id"].as_str().unwrap();
    for n in 1..=lessons {
        let (status, _) = call(app, Method::POST, &format!("/api/v1/modules/{module}/lessons"), Some(token),
            Some(json!({ "title": format!("Lesson {n}"), "body": format!("Part **{n}** <script>alert(1)</script>") }))).await;
        assert_eq!(status, 201);
    }
    let (status, _) = call(
        app,
        Method::POST,
        &format!("/api/v1/courses/{id}/publish"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    id
}

/// A school (`hill-valley`) with a published course (`Physics`) that Tess teaches and Sam
/// studies, once assessments and the gradebook have heard of both places.
pub(crate) struct Class {
    pub teacher: Person,
    pub student: Person,
    pub course: String,
}

pub(crate) async fn class(app: &TestApp) -> Class {
    let school = School::create(app, "hill-valley").await;
    let teacher = school.add(app, "teacher", "Tess").await;
    let student = school.add(app, "student", "Sam").await;
    let course = course(app, &teacher.token, "Physics", 1).await;
    let (status, body) = call(
        app,
        Method::POST,
        &format!("/api/v1/courses/{course}/enroll"),
        Some(&student.token),
        Some(json!({})),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    for context in ["assessments", "gradebook"] {
        eventually(
            Duration::from_secs(20),
            "the class reaches assessments and the gradebook",
            || async {
                let (known,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM roster_places WHERE course_id = $1")
                        .bind(&course)
                        .fetch_one(app.db(context).pool())
                        .await
                        .unwrap();
                (known == 2).then_some(())
            },
        )
        .await;
    }
    Class {
        teacher,
        student,
        course,
    }
}

/// A super admin, made as an operator makes the first one (`campus admin create-user`).
pub(crate) async fn make_super_admin(env: &TestEnv, email: &str) {
    let operator = campus_identity::operator::Operator::open(&env.config)
        .await
        .unwrap();
    operator
        .create_user(
            None,
            email,
            "Root",
            campus_contracts::identity::Role::SuperAdmin,
            PASSWORD,
        )
        .await
        .unwrap();
    operator.close().await;
}

fn sqlite() -> Backend {
    Backend {
        postgres: None,
        nats: None,
    }
}

/// A school signs up through its pages; a student joins with the join code the admin's
/// dashboard shows, finds the course, enrolls, reads every lesson and completes the course.
#[tokio::test]
async fn a_school_signs_up_and_a_student_joins_and_completes_a_course() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let ada = Visitor::new(&app, "en");
    let form = ada.get("/schools/new").await;
    assert_eq!(form.status, 200);
    assert!(
        form.html
            .contains(r#"<label for="slug">School address</label>"#),
        "{}",
        form.html
    );
    let signed_up = ada
        .post(
            "/schools/new",
            &[
                ("name", "Hill Valley High"),
                ("slug", "hill-valley"),
                ("admin_name", "Ada"),
                ("admin_email", "ada@example.org"),
                ("admin_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_up.status, 303, "{}", signed_up.html);
    let dashboard = ada.follow(signed_up).await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.html.contains("Hello, Ada"));
    assert!(dashboard.html.contains("Your school is ready"));
    let join_code = dashboard
        .html
        .split(r#"<strong class="code">"#)
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(join_code.len() >= 6, "{join_code}");

    // The admin builds a course (its editor's pages come later; the API serves meanwhile).
    let (_, tokens) = call(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "school": "hill-valley", "email": "ada@example.org", "password": PASSWORD })),
    )
    .await;
    let admin = tokens["access_token"].as_str().unwrap();
    let course_id = course(&app, admin, "Biology 101", 2).await;

    let marty = Visitor::new(&app, "en");
    let joined = marty
        .post(
            "/register",
            &[
                ("school", "hill-valley"),
                ("join_code", &join_code),
                ("display_name", "Marty"),
                ("email", "marty@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(joined.location.as_deref(), Some("/"), "{}", joined.html);
    let home = marty.get("/").await;
    assert!(home.html.contains("Hello, Marty"));
    assert!(
        home.html.contains("You are not enrolled in any course yet"),
        "an empty state"
    );
    assert!(home.html.contains("Confirm your email address"));

    let catalogue = marty.get("/courses?q=biology").await;
    assert_eq!(
        linked_ids(&catalogue.html, "courses"),
        vec![course_id.clone()]
    );
    let nothing = marty.get("/courses?q=chemistry").await;
    assert!(nothing.html.contains("No course matches these filters"));

    let page = marty.get(&format!("/courses/{course_id}")).await;
    assert!(page.html.contains(">Enroll</button>"));
    let enrolled = marty
        .post(
            &format!("/courses/{course_id}/enroll"),
            &[("csrf", &marty.csrf())],
        )
        .await;
    assert_eq!(enrolled.location, Some(format!("/courses/{course_id}")));
    let page = marty.get(&format!("/courses/{course_id}")).await;
    assert!(!page.html.contains(">Enroll</button>"));
    assert!(page.html.contains(r#"<progress max="100" value="0""#));
    let lessons = linked_ids(&page.html, "lessons");
    assert_eq!(
        lessons.len(),
        3,
        "continue, then the outline's two: {lessons:?}"
    );

    let first = marty.get(&format!("/lessons/{}", lessons[1])).await;
    assert!(first.html.contains("Part <strong>1</strong>"));
    assert!(
        !first.html.contains("<script>alert"),
        "lesson HTML is sanitized"
    );
    assert!(first.html.contains("Mark complete and continue"));
    let next = marty
        .post(
            &format!("/lessons/{}/complete", lessons[1]),
            &[("csrf", &marty.csrf())],
        )
        .await;
    assert_eq!(next.location, Some(format!("/lessons/{}", lessons[2])));
    let last = marty.get(&format!("/lessons/{}", lessons[2])).await;
    assert!(
        last.html.contains(">Mark complete</button>"),
        "the last lesson has no next"
    );
    let done = marty
        .post(
            &format!("/lessons/{}/complete", lessons[2]),
            &[("csrf", &marty.csrf())],
        )
        .await;
    assert_eq!(
        done.location,
        Some(format!("/courses/{course_id}?completed=1"))
    );
    let page = marty.follow(done).await;
    assert!(page.html.contains(r#"<progress max="100" value="100""#));
    assert!(page.html.contains("You completed this course on"));
    let home = marty.get("/").await;
    assert!(home.html.contains("2 lessons done"), "{}", home.html);
    env.cleanup().await;
}

/// Each form answers a mistake with the form again: 422, a summary linking to each field, the
/// message next to the field in plain words, what was typed kept (never a password).
#[tokio::test]
async fn forms_show_what_is_wrong_next_to_each_field() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let visitor = Visitor::new(&app, "en");

    let refused = visitor
        .post(
            "/schools/new",
            &[
                ("name", "Twin Pines"),
                ("slug", "Twin Pines!"),
                ("admin_name", "Doc"),
                ("admin_email", "not-an-address"),
                ("admin_password", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    let html = &refused.html;
    assert!(
        html.contains(r##"<a href="#slug">"##),
        "the summary links to the field: {html}"
    );
    assert!(html.contains(r#"id="slug-error""#));
    assert!(html.contains(r#"aria-describedby="slug-hint slug-error""#));
    assert!(html.contains("Enter an email address such as name@example.org."));
    assert!(
        html.contains(r#"value="Twin Pines""#),
        "what was typed is kept"
    );
    assert!(
        !html.contains(r#"value="short""#),
        "a password is never sent back"
    );

    let taken = visitor
        .post(
            "/schools/new",
            &[
                ("name", "Hill Valley"),
                ("slug", "hill-valley"),
                ("admin_name", "Doc"),
                ("admin_email", "doc@example.org"),
                ("admin_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.html.contains("A school already uses this address"));

    let wrong_code = visitor
        .post(
            "/register",
            &[
                ("school", "hill-valley"),
                ("join_code", "WRONG123"),
                ("display_name", "Biff"),
                ("email", "biff@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong_code.status, 422);
    assert!(wrong_code.html.contains(r#"id="join_code-error""#));
    assert!(wrong_code.html.contains("That join code is not right"));
    let no_school = visitor
        .post(
            "/register",
            &[
                ("school", "nowhere"),
                ("join_code", ""),
                ("display_name", "Biff"),
                ("email", "biff@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(no_school
        .html
        .contains("We could not find a school with this address"));

    let wrong = visitor
        .post(
            "/sign-in",
            &[
                ("school", "hill-valley"),
                ("email", &school.admin.email),
                ("password", "not the password"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong
        .html
        .contains("The school, email address or password is not right."));
    assert!(visitor.cookie("campus_access").is_none());
    env.cleanup().await;
}

/// An account with a second factor signs in in two steps; a wrong code is said next to the
/// code field, and the right one signs in and goes where the visitor was heading.
#[tokio::test]
async fn signing_in_asks_for_the_second_factor() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let secret = enrol(&app, &school.admin).await;
    let visitor = Visitor::new(&app, "en");
    let credentials = [
        ("school", "hill-valley"),
        ("email", school.admin.email.as_str()),
        ("password", PASSWORD),
        ("next", "/courses"),
    ];
    let step = visitor.post("/sign-in", &credentials).await;
    assert_eq!(step.status, 200);
    assert!(
        step.html.contains(r#"autocomplete="one-time-code""#),
        "{}",
        step.html
    );
    let mut wrong = credentials.to_vec();
    wrong.push(("totp_code", "000000"));
    let refused = visitor.post("/sign-in", &wrong).await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains(r#"id="totp_code-error""#));
    // (The code of this moment confirmed the enrolment; each code is taken once.)
    let code = code_at(&secret, 30);
    let mut right = credentials.to_vec();
    right.push(("totp_code", &code));
    let signed_in = visitor.post("/sign-in", &right).await;
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/courses"),
        "{}",
        signed_in.html
    );
    assert_eq!(visitor.get("/courses").await.status, 200);

    // Only a path on this site is followed after signing in.
    let elsewhere = Visitor::new(&app, "en");
    let shown = elsewhere.get("/sign-in?next=//evil.example/").await;
    assert!(shown.html.contains(r#"name="next" value="/""#));
    env.cleanup().await;
}

/// The session in a browser: a page asked for while signed out goes to sign-in and back; an
/// expired access cookie is renewed where the refresh cookie is sent; forms need the CSRF
/// token; another site's form cannot sign in; signing out ends the session.
#[tokio::test]
async fn the_page_session_renews_refuses_forged_forms_and_ends() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let student = school.add(&app, "student", "Marty").await;
    let course_id = course(&app, &school.admin.token, "Biology 101", 1).await;
    let marty = Visitor::new(&app, "en");
    let away = marty.get("/courses").await;
    assert_eq!(away.location.as_deref(), Some("/sign-in?next=%2Fcourses"));
    let signed_in = marty
        .post(
            "/sign-in",
            &[
                ("school", "hill-valley"),
                ("email", &student.email),
                ("password", PASSWORD),
                ("next", "/courses"),
            ],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/courses"));

    marty.expire_access();
    let lapsed = marty.get("/courses").await;
    assert_eq!(
        lapsed.location.as_deref(),
        Some("/api/v1/auth/session/continue?next=%2Fcourses")
    );
    let renewed = marty.follow(lapsed).await;
    assert_eq!(renewed.status, 200, "renewed and back on the catalogue");
    assert!(marty.cookie("campus_access").is_some());

    let forged = marty
        .post(
            &format!("/courses/{course_id}/enroll"),
            &[("csrf", "not-the-token")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let (_, members) = call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{course_id}/members"),
        Some(&school.admin.token),
        None,
    )
    .await;
    let students = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|member| member["role"] == "student")
        .count();
    assert_eq!(students, 0, "{members}");

    // Another site's page posting the sign-in form.
    let other = Visitor::new(&app, "en");
    let response = other
        .client
        .post(format!("{}/sign-in", app.address))
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("school", "hill-valley"),
            ("email", &student.email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(other.cookie("campus_access").is_none());

    let out = marty.post("/sign-out", &[("csrf", &marty.csrf())]).await;
    assert_eq!(out.location.as_deref(), Some("/sign-in"));
    assert!(marty.cookie("campus_access").is_none());
    assert!(marty.cookie("campus_csrf").is_none());
    assert_eq!(
        marty.get("/").await.location.as_deref(),
        Some("/sign-in?next=%2F")
    );
    env.cleanup().await;
}

/// Pages speak the visitor's language: the profile's, else the browser's first that Campus Hub
/// speaks; times show in the person's time zone.
#[tokio::test]
async fn pages_speak_the_visitors_language() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let student = school.add(&app, "student", "Marty").await;
    let visitor = Visitor::new(&app, "fr-CA, es;q=0.8, en;q=0.5");
    let form = visitor.get("/sign-in").await;
    assert!(form.html.contains(r#"<html lang="es">"#));
    assert!(form.html.contains("Correo electrónico"));
    let signed_in = visitor
        .post(
            "/sign-in",
            &[
                ("school", "hill-valley"),
                ("email", &student.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303);
    assert!(visitor.get("/").await.html.contains("Hola, Marty"));

    // Times show in the school's zone for a person without one of their own.
    let (status, _) = call(
        &app,
        Method::PATCH,
        "/api/v1/school",
        Some(&school.admin.token),
        Some(json!({ "time_zone": "Europe/Madrid" })),
    )
    .await;
    assert_eq!(status, 200);
    let profile = visitor.get("/profile").await;
    assert!(
        profile.html.contains("La de la escuela (Europe/Madrid)"),
        "{}",
        profile.html
    );

    // The profile's language wins over the browser's.
    let (status, _) = call(
        &app,
        Method::PATCH,
        "/api/v1/me",
        Some(&student.token),
        Some(json!({ "locale": "en-GB", "time_zone": "America/Mexico_City" })),
    )
    .await;
    assert_eq!(status, 200);
    assert!(visitor.get("/").await.html.contains("Hello, Marty"));
    env.cleanup().await;
}

/// An address that leads nowhere gets the 404 page with the navigation, in the visitor's
/// language; the API keeps answering problem+json; assets are served with a year's cache.
#[tokio::test]
async fn nowhere_gets_a_page_and_assets_are_cached() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let visitor = Visitor::new(&app, "es");
    let missing = visitor.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("Página no encontrada"));
    assert!(missing.html.contains(r#"<nav aria-label="Principal">"#));
    let api = app
        .client
        .get(app.url("/api/v1/nowhere"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(
        api.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );

    let page = visitor.get("/sign-in").await.html;
    let stylesheet = page
        .split(r#"<link rel="stylesheet" href=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(stylesheet.starts_with("/assets/campus.") && stylesheet.ends_with(".css"));
    let css = app.client.get(app.url(&stylesheet)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(
        css.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        css.headers()[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    let csp = css.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"));
    let stale = app
        .client
        .get(app.url("/assets/campus.000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);
    env.cleanup().await;
}

/// The links mailed for a forgotten password, an invitation and a new address open pages that
/// finish the job; opening the confirmation link alone confirms nothing (mail scanners open
/// links), its button does.
#[tokio::test]
async fn mailed_links_open_pages_that_finish_the_job() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let marty = school.add(&app, "student", "Marty").await;
    let visitor = Visitor::new(&app, "en");

    let asked = visitor
        .post(
            "/forgot-password",
            &[("school", "hill-valley"), ("email", &marty.email)],
        )
        .await;
    assert_eq!(asked.status, 200);
    assert!(asked
        .html
        .contains("a link to choose a new password is on its way"));
    let token = campus_testkit::people::mailed_token(&env, Some(&marty.email), "/reset-password")
        .await
        .expect("a reset link");
    let form = visitor.get(&format!("/reset-password?token={token}")).await;
    assert!(form
        .html
        .contains(&format!(r#"name="token" value="{token}""#)));
    let weak = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.html.contains(r#"id="password-error""#));
    let new_password = "a brand new battery staple";
    let set = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", new_password)],
        )
        .await;
    assert_eq!(set.location.as_deref(), Some("/sign-in?done=reset"));
    assert!(visitor
        .follow(set)
        .await
        .html
        .contains("Your new password is set"));
    let reused = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", new_password)],
        )
        .await;
    assert!(
        reused.html.contains("This link does not work any more"),
        "{}",
        reused.html
    );
    let signed_in = visitor
        .post(
            "/sign-in",
            &[
                ("school", "hill-valley"),
                ("email", &marty.email),
                ("password", new_password),
            ],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/"));

    // An invitation.
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/users/invitations",
        Some(&school.admin.token),
        Some(json!({ "email": "tess@example.org", "display_name": "Tess", "role": "teacher" })),
    )
    .await;
    assert_eq!(status, 201);
    let token =
        campus_testkit::people::mailed_token(&env, Some("tess@example.org"), "/accept-invitation")
            .await
            .expect("an invitation link");
    let tess = Visitor::new(&app, "en");
    assert!(tess
        .get(&format!("/accept-invitation?token={token}"))
        .await
        .html
        .contains("Welcome to Campus Hub"));
    let accepted = tess
        .post(
            "/accept-invitation",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        accepted.location.as_deref(),
        Some("/sign-in?done=invitation")
    );
    let signed_in = tess
        .post(
            "/sign-in",
            &[
                ("school", "hill-valley"),
                ("email", "tess@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/"));

    // A new address, confirmed.
    let (_, settings) = call(
        &app,
        Method::GET,
        "/api/v1/school",
        Some(&school.admin.token),
        None,
    )
    .await;
    let biff = Visitor::new(&app, "en");
    biff.post(
        "/register",
        &[
            ("school", "hill-valley"),
            ("join_code", settings["join_code"].as_str().unwrap()),
            ("display_name", "Biff"),
            ("email", "biff@example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert!(biff
        .get("/")
        .await
        .html
        .contains("Confirm your email address"));
    let token =
        campus_testkit::people::mailed_token(&env, Some("biff@example.org"), "/verify-email")
            .await
            .expect("a confirmation link");
    let opened = biff.get(&format!("/verify-email?token={token}")).await;
    assert!(opened.html.contains("Confirm my address"));
    assert!(
        biff.get("/")
            .await
            .html
            .contains("Confirm your email address"),
        "opening confirms nothing"
    );
    let confirmed = biff.post("/verify-email", &[("token", &token)]).await;
    assert!(
        confirmed.html.contains("Address confirmed"),
        "{}",
        confirmed.html
    );
    assert!(!biff
        .get("/")
        .await
        .html
        .contains("Confirm your email address"));
    env.cleanup().await;
}

/// A person's own account: the profile (its language and time zone apply at once), the second
/// factor set up with a QR code and recovery codes, and ending a session.
#[tokio::test]
async fn the_account_pages_change_the_profile_and_the_second_factor() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let marty = school.add(&app, "student", "Marty").await;
    let visitor = Visitor::signed_in(&app, "hill-valley", &marty.email).await;
    let profile = visitor.get("/profile").await;
    assert!(profile.html.contains(r#"<option>Europe/Madrid</option>"#));
    let bad = visitor
        .post(
            "/profile",
            &[
                ("csrf", &visitor.csrf()),
                ("display_name", ""),
                ("bio", ""),
                ("locale", ""),
                ("time_zone", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains(r#"id="display_name-error""#));
    let saved = visitor
        .post(
            "/profile",
            &[
                ("csrf", &visitor.csrf()),
                ("display_name", "Marty McFly"),
                ("bio", "Skateboards."),
                ("locale", "es"),
                ("time_zone", "Europe/Madrid"),
            ],
        )
        .await;
    assert_eq!(saved.location.as_deref(), Some("/profile?saved=1"));
    let profile = visitor.get("/profile?saved=1").await;
    assert!(profile.html.contains("Tu perfil está guardado."));
    assert!(profile
        .html
        .contains(r#"<option selected>Europe/Madrid</option>"#));

    let security = visitor.get("/security").await;
    assert!(security.html.contains(r#"action="/security/2fa/enrol""#));
    let wrong = visitor
        .post(
            "/security/2fa/enrol",
            &[("csrf", &visitor.csrf()), ("password", "nope")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.html.contains(r#"id="password-error""#),
        "{}",
        wrong.html
    );
    let enrolling = visitor
        .post(
            "/security/2fa/enrol",
            &[("csrf", &visitor.csrf()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(enrolling.status, 200);
    assert!(enrolling.html.contains("<svg"), "a QR code");
    let secret = enrolling
        .html
        .split(r#"<code class="code">"#)
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let code = code_at(&secret, 0);
    let on = visitor
        .post(
            "/security/2fa/confirm",
            &[("csrf", &visitor.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(on.status, 200);
    assert!(
        on.html.matches("<li>").count() >= 8,
        "recovery codes: {}",
        on.html
    );
    assert!(visitor
        .get("/security")
        .await
        .html
        .contains(r#"action="/security/2fa/disable""#));

    // Ending this very session signs this browser out.
    let security = visitor.get("/security").await;
    let session = security
        .html
        .split(r#"action="/security/sessions/"#)
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let ended = visitor
        .post(
            &format!("/security/sessions/{session}/end"),
            &[("csrf", &visitor.csrf())],
        )
        .await;
    assert_eq!(ended.location.as_deref(), Some("/security?done=session"));
    let after = visitor.get("/security").await;
    assert_eq!(
        after.status, 303,
        "the ended session's cookie no longer opens pages"
    );
    env.cleanup().await;
}

/// A teacher builds a course in its editor (details, a module, lessons with a preview,
/// reordering, publishing, duplicating), posts an announcement, enrolls a class from a list
/// (a wrong line names itself and enrolls no one) and follows the class's progress.
#[tokio::test]
async fn a_teacher_builds_and_runs_a_course_in_its_pages() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let teacher = school.add(&app, "teacher", "Tess").await;
    let marty = school.add(&app, "student", "Marty").await;
    let tess = Visitor::signed_in(&app, "hill-valley", &teacher.email).await;
    let csrf = tess.csrf();

    let empty = tess
        .post(
            "/courses/new",
            &[("csrf", &csrf), ("title", ""), ("enrollment_mode", "open")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(
        empty.html.contains(r##"<a href="#title">Title: "##),
        "{}",
        empty.html
    );
    let created = tess
        .post(
            "/courses/new",
            &[
                ("csrf", &csrf),
                ("title", "Biology 101"),
                ("summary", "Cells"),
                ("subject", "Biology"),
                ("tags", "cells, life"),
                ("description", "All about *cells*."),
                ("enrollment_mode", "open"),
            ],
        )
        .await;
    let edit = created.location.clone().expect("to the editor");
    let course_id = edit
        .trim_start_matches("/courses/")
        .trim_end_matches("/edit")
        .to_owned();
    let editor = tess.get(&edit).await;
    assert!(editor.html.contains("Draft: only its teachers"));

    let module = tess
        .post(
            &format!("/courses/{course_id}/modules"),
            &[("csrf", &csrf), ("module_title", "")],
        )
        .await;
    assert_eq!(module.status, 422);
    assert!(module.html.contains(r#"id="module_title-error""#));
    for title in ["Cells", "Genes"] {
        let added = tess
            .post(
                &format!("/courses/{course_id}/modules"),
                &[("csrf", &csrf), ("module_title", title)],
            )
            .await;
        assert_eq!(added.status, 303);
    }
    let editor = tess.get(&edit).await;
    let modules: Vec<String> = editor
        .html
        .split(r#"<li id="module-"#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(modules.len(), 2);

    let new_lesson = format!("/courses/{course_id}/modules/{}/lessons/new", modules[0]);
    let preview = tess
        .post(
            &new_lesson,
            &[
                ("csrf", &csrf),
                ("title", "The cell"),
                ("body", "Cells are **small** <script>x()</script>"),
                ("intent", "preview"),
                ("required", "on"),
                ("published", "on"),
            ],
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.html.contains("Cells are <strong>small</strong>"));
    assert!(!preview.html.contains("<script>x()"));
    assert!(
        preview.html.contains("Cells are **small**"),
        "the source stays in the editor"
    );
    let minutes = tess
        .post(
            &new_lesson,
            &[
                ("csrf", &csrf),
                ("title", "The cell"),
                ("body", "b"),
                ("estimated_minutes", "ten"),
            ],
        )
        .await;
    assert!(minutes.html.contains("Enter a whole number."));
    for title in ["The cell", "The nucleus"] {
        let saved = tess
            .post(
                &new_lesson,
                &[
                    ("csrf", &csrf),
                    ("title", title),
                    ("body", "Text"),
                    ("intent", "save"),
                    ("required", "on"),
                    ("published", "on"),
                    ("estimated_minutes", "10"),
                ],
            )
            .await;
        assert_eq!(
            saved.location,
            Some(format!("/courses/{course_id}/edit?done=lesson"))
        );
    }
    let order = |html: &str| -> Vec<String> {
        html.split(r#"<li id="lesson-"#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect()
    };
    let lessons = order(&tess.get(&edit).await.html);
    let moved = tess
        .post(
            &format!("/courses/{course_id}/lessons/{}/move", lessons[0]),
            &[("csrf", &csrf), ("direction", "down")],
        )
        .await;
    assert_eq!(moved.status, 303);
    assert_eq!(
        order(&tess.get(&edit).await.html),
        vec![lessons[1].clone(), lessons[0].clone()]
    );
    let dragged = tess
        .post(
            &format!("/courses/{course_id}/reorder"),
            &[
                ("csrf", &csrf),
                ("order", &format!("{},{}", modules[1], modules[0])),
            ],
        )
        .await;
    assert_eq!(
        dragged.location,
        Some(format!("/courses/{course_id}/edit?done=reordered"))
    );
    assert!(
        tess.get(&edit).await.html.find("Genes").unwrap()
            < tess.get(&edit).await.html.find("Cells").unwrap()
    );

    // A module renamed, another removed with its lessons; attachments on a lesson.
    let renamed = tess
        .post(
            &format!("/courses/{course_id}/modules/{}/edit", modules[0]),
            &[("csrf", &csrf), ("title", "Living cells")],
        )
        .await;
    assert_eq!(renamed.status, 303);
    let extra = tess
        .post(
            &format!("/courses/{course_id}/modules"),
            &[("csrf", &csrf), ("module_title", "Spare")],
        )
        .await;
    assert_eq!(extra.status, 303);
    let editor = tess.get(&edit).await.html;
    assert!(editor.contains("Living cells"));
    let spare = editor
        .split(r#"<li id="module-"#)
        .nth(3)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let removed = tess
        .post(
            &format!("/courses/{course_id}/modules/{spare}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        removed.location,
        Some(format!("/courses/{course_id}/edit?done=module-deleted"))
    );
    assert!(!tess.get(&edit).await.html.contains("Spare"));
    let with_files = tess
        .post(
            &format!("/lessons/{}/edit", lessons[0]),
            &[
                ("csrf", &csrf),
                ("title", "The cell"),
                ("body", "Text"),
                ("intent", "save"),
                ("required", "on"),
                ("published", "on"),
                (
                    "attachments",
                    "Worksheet | https://example.org/sheet.pdf\nhttps://example.org/more",
                ),
            ],
        )
        .await;
    assert_eq!(with_files.status, 303, "{}", with_files.html);
    let lesson = tess.get(&format!("/lessons/{}", lessons[0])).await.html;
    assert!(
        lesson.contains(r#"href="https://example.org/sheet.pdf""#)
            && lesson.contains(">Worksheet</a>")
    );
    let bad_files = tess
        .post(
            &format!("/lessons/{}/edit", lessons[0]),
            &[
                ("csrf", &csrf),
                ("title", "The cell"),
                ("body", "Text"),
                ("intent", "save"),
                ("attachments", "Bad | javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(bad_files.status, 422);

    let published = tess
        .post(&format!("/courses/{course_id}/publish"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        published.location,
        Some(format!("/courses/{course_id}/edit?done=published"))
    );
    let copy = tess
        .post(
            &format!("/courses/{course_id}/duplicate"),
            &[("csrf", &csrf)],
        )
        .await;
    let copy = copy.location.unwrap();
    assert!(
        copy.ends_with("/edit?done=duplicated") && !copy.contains(&course_id),
        "{copy}"
    );

    let announced = tess
        .post(
            &format!("/courses/{course_id}/announcements"),
            &[
                ("csrf", &csrf),
                ("title", "Lab on Friday"),
                ("body", "Bring *goggles*."),
            ],
        )
        .await;
    assert_eq!(announced.status, 303);
    assert!(tess
        .follow(announced)
        .await
        .html
        .contains("Bring <em>goggles</em>."));

    let refused = tess
        .post(
            &format!("/courses/{course_id}/people"),
            &[
                ("csrf", &csrf),
                ("people", &format!("{}\nnobody@example.org", marty.email)),
                ("role", "student"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .html
            .contains("Line 2: nobody@example.org: No one in the school has this address or id."),
        "{}",
        refused.html
    );
    let (_, members) = call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{course_id}/members"),
        Some(&teacher.token),
        None,
    )
    .await;
    assert_eq!(
        members["items"].as_array().unwrap().len(),
        1,
        "no one enrolled: {members}"
    );
    let enrolled = tess
        .post(
            &format!("/courses/{course_id}/people"),
            &[
                ("csrf", &csrf),
                ("people", &marty.email),
                ("role", "student"),
            ],
        )
        .await;
    assert_eq!(
        enrolled.location,
        Some(format!(
            "/courses/{course_id}/people?done=enrolled&enrolled=1"
        ))
    );
    let people = tess.follow(enrolled).await;
    assert!(people.html.contains("1 person enrolled.") && people.html.contains(&marty.email));

    let (_, listed) = call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{course_id}/members"),
        Some(&teacher.token),
        None,
    )
    .await;
    let marty_id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == marty.email.as_str())
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assistant = tess
        .post(
            &format!("/courses/{course_id}/people/{marty_id}/role"),
            &[("csrf", &csrf), ("role", "assistant")],
        )
        .await;
    assert_eq!(
        assistant.location,
        Some(format!("/courses/{course_id}/people?done=role"))
    );
    let back = tess
        .post(
            &format!("/courses/{course_id}/people/{marty_id}/role"),
            &[("csrf", &csrf), ("role", "student")],
        )
        .await;
    assert_eq!(back.status, 303);
    let code_before = tess.get(&edit).await.html;
    let new_code = tess
        .post(
            &format!("/courses/{course_id}/enrollment-code"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        new_code.location,
        Some(format!("/courses/{course_id}/edit?done=code"))
    );
    let code_of = |html: &str| {
        html.split(r#"<strong class="code">"#)
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(code_of(&code_before), code_of(&tess.get(&edit).await.html));

    let class = tess.get(&format!("/courses/{course_id}/class")).await;
    assert_eq!(class.status, 200);
    assert!(class.html.contains("No student is stuck.") && class.html.contains(&marty.email));

    // A student has none of this.
    let student = Visitor::signed_in(&app, "hill-valley", &marty.email).await;
    assert_eq!(student.get(&edit).await.status, 403);
    assert_eq!(
        student
            .get(&format!("/courses/{course_id}/class"))
            .await
            .status,
        403
    );
    let course_page = student.get(&format!("/courses/{course_id}")).await;
    assert!(!course_page.html.contains("Course tools"));
    let forged = student
        .post(
            &format!("/courses/{course_id}/announcements"),
            &[("csrf", &student.csrf()), ("title", "x"), ("body", "y")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let left = student
        .post(
            &format!("/courses/{course_id}/leave"),
            &[("csrf", &student.csrf())],
        )
        .await;
    assert_eq!(
        left.location,
        Some(format!("/courses/{course_id}?done=left"))
    );
    let page = student.follow(left).await;
    assert!(page.html.contains("You left the course") && page.html.contains(">Enroll</button>"));
    env.cleanup().await;
}

/// A school's admin runs the school from its pages: finds and invites people, changes a role
/// (which applies at once), deactivates and reactivates, imports a CSV file after checking
/// it (a bad row names its line and imports no one), changes how people join, and reads the
/// audit log. A teacher opens none of it.
#[tokio::test]
async fn a_school_admin_runs_the_school_from_its_pages() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let teacher = school.add(&app, "teacher", "Tess").await;
    let ada = Visitor::signed_in(&app, "hill-valley", &school.admin.email).await;
    let csrf = ada.csrf();

    let people = ada.get("/admin/people?q=tess").await;
    assert_eq!(people.status, 200);
    assert!(people.html.contains(&teacher.email));
    let invite = ada
        .post(
            "/admin/people/invite",
            &[
                ("csrf", &csrf),
                ("email", "bad"),
                ("display_name", "Biff"),
                ("role", "student"),
            ],
        )
        .await;
    assert_eq!(invite.status, 422);
    assert!(invite.html.contains(r#"id="email-error""#));
    let invite = ada
        .post(
            "/admin/people/invite",
            &[
                ("csrf", &csrf),
                ("email", "biff@example.org"),
                ("display_name", "Biff"),
                ("role", "student"),
            ],
        )
        .await;
    assert_eq!(
        invite.location.as_deref(),
        Some("/admin/people?done=invited")
    );

    let demoted = ada
        .post(
            &format!("/admin/people/{}/role", teacher.id),
            &[("csrf", &csrf), ("role", "student")],
        )
        .await;
    assert_eq!(demoted.location.as_deref(), Some("/admin/people?done=role"));
    let (_, tess) = call(
        &app,
        Method::GET,
        &format!("/api/v1/users/{}", teacher.id),
        Some(&school.admin.token),
        None,
    )
    .await;
    assert_eq!(tess["role"], "student");
    let off = ada
        .post(
            &format!("/admin/people/{}/deactivate", teacher.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        off.location.as_deref(),
        Some("/admin/people?done=deactivate")
    );
    let listed = ada.get("/admin/people?status=deactivated").await;
    assert!(listed.html.contains(&teacher.email) && listed.html.contains("/reactivate"));
    let on = ada
        .post(
            &format!("/admin/people/{}/reactivate", teacher.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        on.location.as_deref(),
        Some("/admin/people?done=reactivate")
    );

    // The import: checked, then imported; a bad row imports nobody.
    let upload = |csv: &'static str, intent: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("intent", intent)
            .part(
                "file",
                reqwest::multipart::Part::text(csv)
                    .file_name("people.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            );
        ada.client
            .post(format!("{}/admin/import", app.address))
            .header(header::ORIGIN, &app.address)
            .multipart(form)
            .send()
    };
    let bad = upload("email,display_name,role\njen@example.org,Jennifer,student\nnot-an-email,Lorraine,student\n", "check").await.unwrap();
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Line 3, column email:"), "{html}");
    let good = "email,display_name,role\njen@example.org,Jennifer,student\nlorraine@example.org,Lorraine,teacher\n";
    let checked = upload(good, "check").await.unwrap().text().await.unwrap();
    assert!(
        checked.contains("The file is ready to import") && checked.contains("2 people to add."),
        "{checked}"
    );
    let (_, before) = call(
        &app,
        Method::GET,
        "/api/v1/users?q=jen",
        Some(&school.admin.token),
        None,
    )
    .await;
    assert_eq!(
        before["items"].as_array().unwrap().len(),
        0,
        "checking writes nothing"
    );
    let done = upload(good, "import").await.unwrap().text().await.unwrap();
    assert!(done.contains("Imported"), "{done}");
    let (_, after) = call(
        &app,
        Method::GET,
        "/api/v1/users?q=jen",
        Some(&school.admin.token),
        None,
    )
    .await;
    assert_eq!(after["items"].as_array().unwrap().len(), 1);

    let settings = ada
        .post(
            "/admin/school",
            &[
                ("csrf", &csrf),
                ("name", "Hill Valley High"),
                ("registration", "invite"),
            ],
        )
        .await;
    assert_eq!(
        settings.location.as_deref(),
        Some("/admin/school?done=school")
    );
    let (_, school_now) = call(
        &app,
        Method::GET,
        "/api/v1/school",
        Some(&school.admin.token),
        None,
    )
    .await;
    assert_eq!(school_now["registration"], "invite");
    let old_code = school_now["join_code"].as_str().unwrap().to_owned();
    ada.post("/admin/school/join-code", &[("csrf", &csrf)])
        .await;
    let page = ada.get("/admin/school?done=join-code").await;
    assert!(page.html.contains("the old one no longer works") && !page.html.contains(&old_code));

    let audit = ada.get("/admin/audit").await;
    assert!(
        audit.html.contains("user.role_changed") && audit.html.contains("Tess"),
        "{}",
        audit.html
    );

    let tess_visit = Visitor::signed_in(&app, "hill-valley", &teacher.email).await;
    for page in [
        "/admin/people",
        "/admin/import",
        "/admin/school",
        "/admin/audit",
        "/platform/schools",
        "/platform/events",
    ] {
        assert_eq!(tess_visit.get(page).await.status, 403, "{page}");
    }
    assert_eq!(
        ada.get("/platform/events").await.status,
        403,
        "a school admin does not run the platform"
    );
    env.cleanup().await;
}

/// A super admin (made with the operator's command) sees the platform's schools and its event
/// consumers, with nothing parked.
#[tokio::test]
async fn a_super_admin_sees_the_platform() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    School::create(&app, "hill-valley").await;
    make_super_admin(&env, "root@example.org").await;
    let root = Visitor::new(&app, "en");
    let signed_in = root
        .post(
            "/sign-in",
            &[
                ("school", "platform"),
                ("email", "root@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/"),
        "{}",
        signed_in.html
    );
    let schools = root.get("/platform/schools?q=hill").await;
    assert_eq!(schools.status, 200);
    assert!(schools.html.contains("hill-valley"));
    let events = root.get("/platform/events").await;
    assert_eq!(events.status, 200, "{}", events.html);
    assert!(events.html.contains("No event is parked"));
    assert!(
        events.html.contains("courses."),
        "the consumers are listed: {}",
        events.html
    );
    env.cleanup().await;
}

/// Two tabs whose access cookie lapsed renew the session at once with the same refresh
/// cookie: the session survives (the second is not taken for a stolen token's replay), and a
/// tab arriving just after the renewal goes through the sign-in page, which sends a signed-in
/// browser straight on.
#[tokio::test]
async fn two_tabs_renewing_at_once_keep_the_session() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let student = school.add(&app, "student", "Marty").await;
    let visitor = Visitor::signed_in(&app, "hill-valley", &student.email).await;
    let session_url: reqwest::Url = format!("{}/api/v1/auth/session/continue", app.address)
        .parse()
        .unwrap();
    let old_cookies = visitor
        .jar
        .cookies(&session_url)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let without_access: String = old_cookies
        .split("; ")
        .filter(|c| !c.starts_with("campus_access="))
        .collect::<Vec<_>>()
        .join("; ");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let renew = || {
        client
            .get(format!(
                "{}/api/v1/auth/session/continue?next=%2Fcourses",
                app.address
            ))
            .header(header::COOKIE, without_access.clone())
            .send()
    };
    let (a, b) = tokio::join!(renew(), renew());
    let (a, b) = (a.unwrap(), b.unwrap());
    let renewed: Vec<&reqwest::Response> = [&a, &b]
        .into_iter()
        .filter(|r| r.headers()[header::LOCATION] == "/courses")
        .collect();
    assert_eq!(renewed.len(), 1, "one renews: {a:?} {b:?}");
    let other = if renewed[0].headers()[header::LOCATION] == a.headers()[header::LOCATION] {
        &b
    } else {
        &a
    };
    assert_eq!(
        other.headers()[header::LOCATION],
        "/sign-in?next=%2Fcourses"
    );
    assert!(
        other
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| !c.to_str().unwrap().contains("Max-Age=0")),
        "the racing tab's cookies are left alone"
    );
    let fresh_access = renewed[0]
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("campus_access="))
        .unwrap();
    let fresh_access = fresh_access.split(';').next().unwrap().to_owned();
    let csrf = without_access
        .split("; ")
        .find(|c| c.starts_with("campus_csrf="))
        .unwrap();
    // The browser now holds the winner's cookies: the sign-in page sends it straight on.
    let page = client
        .get(format!("{}/sign-in?next=%2Fcourses", app.address))
        .header(header::COOKIE, format!("{fresh_access}; {csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()[header::LOCATION], "/courses");
    let courses = client
        .get(format!("{}/courses", app.address))
        .header(header::COOKIE, format!("{fresh_access}; {csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(courses.status(), 200, "the session is alive");
    env.cleanup().await;
}

/// A super admin finds an event parked after its handler failed every attempt on the events
/// page and, once the cause is fixed, replays it from there.
#[tokio::test]
async fn a_parked_event_is_replayed_from_the_events_page() {
    use std::sync::{atomic::Ordering, Arc};

    use crate::fixtures::{ledger, record_entry, tallied, tally, TallyBehaviour};

    let mut env = TestEnv::new(&sqlite()).await;
    env.config.bus.max_attempts = 2;
    let behaviour = Arc::new(TallyBehaviour::default());
    behaviour.broken.store(true, Ordering::SeqCst);
    let app = env
        .start_with_pages(
            vec![
                campus_identity::context(),
                ledger(),
                tally(behaviour.clone()),
            ],
            campus_web::pages,
        )
        .await;
    make_super_admin(&env, "root@example.org").await;
    let root = Visitor::signed_in(&app, "platform", "root@example.org").await;
    record_entry(app.db("ledger"), "acct-1", 1).await;
    let page = campus_testkit::eventually(
        std::time::Duration::from_secs(15),
        "the parked event",
        || async {
            let page = root.get("/platform/events").await;
            page.html
                .contains("tally.entries</code></td><td>")
                .then_some(page)
        },
    )
    .await;
    assert!(
        page.html.contains("a broken handler") || page.html.contains("broken"),
        "{}",
        page.html
    );
    behaviour.broken.store(false, Ordering::SeqCst);
    let replayed = root
        .post("/platform/events/replay", &[("csrf", &root.csrf())])
        .await;
    assert_eq!(replayed.status, 200, "{}", replayed.html);
    assert!(
        replayed.html.contains("1 replayed.") && replayed.html.contains("0 still parked."),
        "{}",
        replayed.html
    );
    assert_eq!(
        tallied(app.db("tally")).await,
        vec![("acct-1".to_owned(), 1)]
    );
    env.cleanup().await;
}

/// The gradebook page and its spreadsheet are the course staff's: a student is refused both,
/// the teacher downloads the CSV the API writes.
#[tokio::test]
async fn the_gradebook_downloads_as_a_spreadsheet_for_staff_only() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let Class {
        teacher: tess,
        student: sam,
        course,
        ..
    } = class(&app).await;
    let teacher = Visitor::signed_in(&app, "hill-valley", &tess.email).await;
    let page = teacher.get(&format!("/courses/{course}/gradebook")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Gradebook: Physics"));
    let csv = teacher
        .get(&format!("/courses/{course}/gradebook.csv"))
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.html.starts_with("\u{feff}Student,Email"),
        "{}",
        csv.html
    );
    assert!(
        csv.html.contains("Sam,sam@hill-valley.example"),
        "{}",
        csv.html
    );
    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    assert_eq!(
        student
            .get(&format!("/courses/{course}/gradebook"))
            .await
            .status,
        403
    );
    assert_eq!(
        student
            .get(&format!("/courses/{course}/gradebook.csv"))
            .await
            .status,
        403
    );
    env.cleanup().await;
}

/// The grading view grades with the rubric's levels from its form, and goes back to the
/// assignment when no hand-in is left to grade.
#[tokio::test]
async fn the_grading_view_grades_with_the_rubric() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let Class {
        teacher: tess,
        student: sam,
        course,
        ..
    } = class(&app).await;
    let (status, made) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), Some(&tess.token),
        Some(json!({ "title": "Essay", "max_points": 10, "submission_types": ["text"], "rubric": { "criteria": [
            { "id": "ideas", "title": "Ideas", "levels": [{ "id": "few", "title": "Few", "points": 2 }, { "id": "rich", "title": "Rich", "points": 6 }] },
            { "id": "style", "title": "Style", "levels": [{ "id": "plain", "title": "Plain", "points": 1 }, { "id": "clear", "title": "Clear", "points": 4 }] } ] } }))).await;
    assert_eq!(status, 201, "{made}");
    let essay = made["id"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{essay}/publish"),
        Some(&tess.token),
        None,
    )
    .await;
    let (_, handed) = call(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{essay}/submissions"),
        Some(&sam.token),
        Some(json!({ "text": "Inertia keeps things going." })),
    )
    .await;
    let submission = handed["id"].as_str().unwrap().to_owned();

    let teacher = Visitor::signed_in(&app, "hill-valley", &tess.email).await;
    let view = teacher
        .get(&format!("/assignments/{essay}/grade/{submission}"))
        .await;
    assert_eq!(view.status, 200, "{}", view.html);
    assert!(
        view.html.contains(r#"name="level.ideas" value="rich""#),
        "{}",
        view.html
    );
    let csrf = teacher.csrf();
    let graded = teacher
        .post(
            &format!("/assignments/{essay}/grade/{submission}"),
            &[
                ("csrf", csrf.as_str()),
                ("level.ideas", "rich"),
                ("level.style", "plain"),
                ("comment", "Say more about friction."),
            ],
        )
        .await;
    assert_eq!(graded.status, 303, "{}", graded.html);
    assert_eq!(
        graded.location.as_deref(),
        Some(format!("/assignments/{essay}").as_str())
    );
    let (_, seen) = call(
        &app,
        Method::GET,
        &format!("/api/v1/submissions/{submission}"),
        Some(&tess.token),
        None,
    )
    .await;
    // 6 (rich) + 1 (plain)
    assert_eq!(seen["grade"]["points"], 7.0);
    assert_eq!(seen["grade"]["comment"], "Say more about friction.");
    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    // The student reads the rubric, and (the grade released as given) which level each
    // criterion got.
    let page = student.get(&format!("/assignments/{essay}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("How it is graded"), "{}", page.html);
    assert!(
        page.html
            .contains("Ideas: <strong>Rich</strong> (6)</li><li>Style: <strong>Plain</strong> (1)"),
        "{}",
        page.html
    );
    assert_eq!(
        student
            .get(&format!("/assignments/{essay}/grade/{submission}"))
            .await
            .status,
        404
    );
    env.cleanup().await;
}

/// The question-bank editor is the course's teachers': a student of the course finds neither
/// the banks nor a bank's page, and cannot post to its forms.
#[tokio::test]
async fn question_banks_are_for_the_course_teachers() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let Class {
        teacher: tess,
        student: sam,
        course,
    } = class(&app).await;
    let (status, bank) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), Some(&tess.token),
        Some(json!({ "title": "Motion", "questions": [
            { "prompt": "Speed has a direction.", "points": 1, "question": { "kind": "true_false", "answer": false } } ] }))).await;
    assert_eq!(status, 201, "{bank}");
    let bank_id = bank["id"].as_str().unwrap();
    let question = bank["questions"][0]["id"].as_str().unwrap();

    let teacher = Visitor::signed_in(&app, "hill-valley", &tess.email).await;
    let page = teacher.get(&format!("/question-banks/{bank_id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("Speed has a direction."),
        "{}",
        page.html
    );
    let form = teacher
        .get(&format!("/question-banks/{bank_id}/questions/{question}"))
        .await;
    assert!(
        form.html
            .contains(r#"id="truth-false" name="truth" value="false" checked"#),
        "{}",
        form.html
    );
    assert_eq!(
        teacher
            .get(&format!(
                "/question-banks/{bank_id}/questions/new?kind=riddle"
            ))
            .await
            .status,
        404
    );

    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    assert_eq!(
        student
            .get(&format!("/courses/{course}/question-banks"))
            .await
            .status,
        403
    );
    assert_eq!(
        student
            .get(&format!("/question-banks/{bank_id}"))
            .await
            .status,
        404
    );
    let csrf = student.csrf();
    let deleted = student
        .post(
            &format!("/question-banks/{bank_id}/questions/{question}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(deleted.status, 404);
    let (_, kept) = call(
        &app,
        Method::GET,
        &format!("/api/v1/question-banks/{bank_id}"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(kept["questions"].as_array().unwrap().len(), 1);
    env.cleanup().await;
}

/// A transcript's page is for its student and the school's admins (who reach it from the
/// people page); another student is refused.
#[tokio::test]
async fn a_transcript_page_is_for_its_student_and_the_admins() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let sam = school.add(&app, "student", "Sam").await;
    let kim = school.add(&app, "student", "Kim").await;
    let transcript = format!("/users/{}/transcript", sam.id);

    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    let grades = student.get("/grades").await;
    assert!(
        grades.html.contains(&format!(r#"href="{transcript}""#)),
        "{}",
        grades.html
    );
    let own = student.get(&transcript).await;
    assert_eq!(own.status, 200, "{}", own.html);
    assert!(own.html.contains(&sam.email), "{}", own.html);

    let other = Visitor::signed_in(&app, "hill-valley", &kim.email).await;
    assert_eq!(other.get(&transcript).await.status, 403);

    let admin = Visitor::signed_in(&app, "hill-valley", &school.admin.email).await;
    let people = admin.get("/admin/people").await;
    assert!(
        people.html.contains(&format!(r#"href="{transcript}""#)),
        "{}",
        people.html
    );
    assert_eq!(admin.get(&transcript).await.status, 200);
    env.cleanup().await;
}

/// The assignment settings form saves what a teacher changes and clears a date left blank;
/// a student finds neither the new-assignment form nor an assignment's settings.
#[tokio::test]
async fn assignment_settings_are_for_the_course_teachers() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let Class {
        teacher: tess,
        student: sam,
        course,
    } = class(&app).await;
    let (status, made) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/assignments"), Some(&tess.token),
        Some(json!({ "title": "Essay", "max_points": 10, "due_at": "2026-12-10T23:59", "cut_off_at": "2026-12-12T23:59" }))).await;
    assert_eq!(status, 201, "{made}");
    let essay = made["id"].as_str().unwrap();

    let teacher = Visitor::signed_in(&app, "hill-valley", &tess.email).await;
    let form = teacher.get(&format!("/assignments/{essay}/edit")).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(
        form.html.contains(r#"value="2026-12-12T23:59""#),
        "{}",
        form.html
    );
    let csrf = teacher.csrf();
    let saved = teacher
        .post(
            &format!("/assignments/{essay}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Essay on motion"),
                ("instructions", "Write **two** pages."),
                ("max_points", "15"),
                ("due_at", "2026-12-11T12:00"),
                ("cut_off_at", ""),
                ("submission_types", "text"),
                ("submission_types", "link"),
                ("file_types", "application/pdf"),
                ("max_file_mb", "10"),
                ("attempts_allowed", "1"),
                ("late_percent_per_day", ""),
                ("group_mode", "individual"),
                ("release", "manual"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let (_, written) = call(
        &app,
        Method::GET,
        &format!("/api/v1/assignments/{essay}"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(written["title"], "Essay on motion");
    assert_eq!(written["max_points"], 15.0);
    assert_eq!(written["due_at"], "2026-12-11T12:00:00+00:00");
    assert_eq!(written["cut_off_at"], serde_json::Value::Null);
    assert_eq!(written["submission_types"], json!(["text", "link"]));
    assert_eq!(written["max_file_bytes"], 10 * 1024 * 1024);
    assert_eq!(written["release"], "manual");

    // A due date after the cut-off is the API's to refuse; the form comes back with it.
    let refused = teacher
        .post(
            &format!("/assignments/{essay}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Essay on motion"),
                ("max_points", "15"),
                ("due_at", "2026-12-11T12:00"),
                ("cut_off_at", "2026-12-01T12:00"),
                ("submission_types", "text"),
                ("max_file_mb", "10"),
                ("attempts_allowed", "1"),
                ("group_mode", "individual"),
                ("release", "manual"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("error-summary"), "{}", refused.html);

    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    assert_eq!(
        student
            .get(&format!("/courses/{course}/assignments/new"))
            .await
            .status,
        403
    );
    assert_eq!(
        student
            .get(&format!("/assignments/{essay}/edit"))
            .await
            .status,
        404
    );
    env.cleanup().await;
}

/// A quiz's settings and item analysis are the course teachers': a student of the course
/// finds neither, nor the new-quiz form.
#[tokio::test]
async fn quiz_settings_are_for_the_course_teachers() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let Class {
        teacher: tess,
        student: sam,
        course,
    } = class(&app).await;
    let (_, bank) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/question-banks"), Some(&tess.token),
        Some(json!({ "title": "Motion", "questions": [
            { "prompt": "Speed has a direction.", "points": 1, "question": { "kind": "true_false", "answer": false } } ] }))).await;
    let question = bank["questions"][0]["id"].as_str().unwrap();
    let (status, quiz) = call(&app, Method::POST, &format!("/api/v1/courses/{course}/quizzes"), Some(&tess.token),
        Some(json!({ "title": "Check", "selection": [{ "kind": "fixed", "question_id": question }] }))).await;
    assert_eq!(status, 201, "{quiz}");
    let quiz = quiz["id"].as_str().unwrap();

    let teacher = Visitor::signed_in(&app, "hill-valley", &tess.email).await;
    let csrf = teacher.csrf();
    // No question ticked: the API refuses an empty quiz and the form says where.
    let refused = teacher
        .post(
            &format!("/quizzes/{quiz}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Check"),
                ("attempts_allowed", "1"),
                ("keep", "highest"),
                ("release", "as_graded"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains(r##"href="#selection""##),
        "{}",
        refused.html
    );
    let saved = teacher
        .post(
            &format!("/quizzes/{quiz}/edit"),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Check again"),
                ("fixed", question),
                ("attempts_allowed", "3"),
                ("keep", "latest"),
                ("release", "manual"),
                ("time_limit_minutes", "5"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let (_, written) = call(
        &app,
        Method::GET,
        &format!("/api/v1/quizzes/{quiz}"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(written["title"], "Check again");
    assert_eq!(written["keep"], "latest");
    assert_eq!(written["time_limit_secs"], 300);

    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    assert_eq!(
        student
            .get(&format!("/courses/{course}/quizzes/new"))
            .await
            .status,
        403
    );
    assert_eq!(
        student.get(&format!("/quizzes/{quiz}/edit")).await.status,
        404
    );
    assert_eq!(
        student
            .get(&format!("/quizzes/{quiz}/analysis"))
            .await
            .status,
        404
    );
    env.cleanup().await;
}

/// The grading rules and a grade's page are the course teachers': a student of the course is
/// refused both, and cannot post to them; a letter line the page cannot read comes back with
/// its field named.
#[tokio::test]
async fn gradebook_rules_and_grades_are_for_the_course_teachers() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let Class {
        teacher: tess,
        student: sam,
        course,
    } = class(&app).await;
    let (_, made) = call(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/assignments"),
        Some(&tess.token),
        Some(json!({ "title": "Essay", "max_points": 10, "submission_types": ["text"] })),
    )
    .await;
    let essay = made["id"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{essay}/publish"),
        Some(&tess.token),
        None,
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the essay reaches the gradebook",
        || async {
            let (_, book) = call(
                &app,
                Method::GET,
                &format!("/api/v1/courses/{course}/gradebook"),
                Some(&tess.token),
                None,
            )
            .await;
            (book["items"].as_array().map(Vec::len) == Some(1)).then_some(())
        },
    )
    .await;
    let settings = format!("/courses/{course}/gradebook/settings");
    let grade = format!("/courses/{course}/gradebook/{essay}/{}", sam.id);

    let teacher = Visitor::signed_in(&app, "hill-valley", &tess.email).await;
    assert_eq!(teacher.get(&settings).await.status, 200);
    let csrf = teacher.csrf();
    let refused = teacher
        .post(
            &settings,
            &[
                ("csrf", csrf.as_str()),
                ("ungraded", "exclude"),
                ("letters", "A\nB 80"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains(r##"href="#letters""##),
        "{}",
        refused.html
    );
    let excused = teacher
        .post(
            &grade,
            &[
                ("csrf", csrf.as_str()),
                ("action", "excuse"),
                ("reason", "Away on a trip."),
            ],
        )
        .await;
    assert_eq!(excused.status, 303, "{}", excused.html);
    let page = teacher.get(&grade).await;
    assert!(page.html.contains("Away on a trip."), "{}", page.html);
    // A reason is required: the API says so next to the field.
    let bare = teacher
        .post(
            &grade,
            &[
                ("csrf", csrf.as_str()),
                ("action", "unexcuse"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(bare.status, 422, "{}", bare.html);
    assert!(bare.html.contains(r##"href="#reason""##), "{}", bare.html);

    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    assert_eq!(student.get(&settings).await.status, 403);
    assert_eq!(student.get(&grade).await.status, 403);
    let csrf = student.csrf();
    let posted = student
        .post(
            &grade,
            &[
                ("csrf", csrf.as_str()),
                ("action", "unexcuse"),
                ("reason", "Please"),
            ],
        )
        .await;
    assert_eq!(posted.status, 403);
    env.cleanup().await;
}

/// Extensions are given and taken back by the course's teachers; a student of the course is
/// refused the page and its forms.
#[tokio::test]
async fn extensions_are_for_the_course_teachers() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let Class {
        teacher: tess,
        student: sam,
        course,
    } = class(&app).await;
    let (_, made) = call(
        &app,
        Method::POST,
        &format!("/api/v1/courses/{course}/assignments"),
        Some(&tess.token),
        Some(json!({ "title": "Essay", "max_points": 10, "due_at": "2026-12-10T23:59" })),
    )
    .await;
    let essay = made["id"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/assignments/{essay}/publish"),
        Some(&tess.token),
        None,
    )
    .await;
    let page = format!("/assignments/{essay}/extensions");

    let teacher = Visitor::signed_in(&app, "hill-valley", &tess.email).await;
    let shown = teacher.get(&page).await;
    assert_eq!(shown.status, 200, "{}", shown.html);
    assert!(
        shown
            .html
            .contains(&format!(r#"<option value="{}""#, sam.id)),
        "{}",
        shown.html
    );
    let csrf = teacher.csrf();
    let nobody = teacher
        .post(&page, &[("csrf", csrf.as_str()), ("student", "")])
        .await;
    assert_eq!(nobody.status, 422, "{}", nobody.html);
    let given = teacher
        .post(
            &page,
            &[
                ("csrf", csrf.as_str()),
                ("student", sam.id.as_str()),
                ("due_at", "2026-12-12T23:59"),
            ],
        )
        .await;
    assert_eq!(given.status, 303, "{}", given.html);
    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    assert_eq!(student.get(&page).await.status, 403);
    let student_csrf = student.csrf();
    let taken = student
        .post(
            &format!("{page}/{}/remove", sam.id),
            &[("csrf", student_csrf.as_str())],
        )
        .await;
    assert_eq!(taken.status, 403);
    let removed = teacher
        .post(
            &format!("{page}/{}/remove", sam.id),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.html);
    let (_, left) = call(
        &app,
        Method::GET,
        &format!("/api/v1/assignments/{essay}/extensions"),
        Some(&tess.token),
        None,
    )
    .await;
    assert_eq!(left, json!([]));
    env.cleanup().await;
}

/// The bell shows the unread count on every page; the inbox opens a notification on its page
/// (marking it read) and marks all read; a forged destination stays on the site; another
/// person cannot open someone's notification.
#[tokio::test]
async fn the_bell_and_the_inbox_show_what_is_new() {
    let env = TestEnv::new(&sqlite()).await;
    let app = app(&env).await;
    let school = School::create(&app, "hill-valley").await;
    let tess = school.add(&app, "teacher", "Tess").await;
    let sam = school.add(&app, "student", "Sam").await;
    let kim = school.add(&app, "student", "Kim").await;
    for title in ["Biology", "Chemistry"] {
        let id = course(&app, &tess.token, title, 1).await;
        let (status, body) = call(
            &app,
            Method::PUT,
            &format!("/api/v1/courses/{id}/members/{}", sam.id),
            Some(&tess.token),
            Some(json!({ "role": "student" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    eventually(Duration::from_secs(20), "Sam is told twice", || async {
        let (_, count) = call(
            &app,
            Method::GET,
            "/api/v1/notifications/unread-count",
            Some(&sam.token),
            None,
        )
        .await;
        (count["unread"] == 2).then_some(())
    })
    .await;

    let student = Visitor::signed_in(&app, "hill-valley", &sam.email).await;
    let home = student.get("/").await;
    assert!(
        home.html.contains(r#"href="/notifications""#),
        "{}",
        home.html
    );
    assert!(home.html.contains("data-unread-number>2<"), "{}", home.html);
    let inbox = student.get("/notifications").await;
    assert_eq!(inbox.status, 200);
    assert!(
        inbox.html.contains("You were added to Biology"),
        "{}",
        inbox.html
    );
    assert!(
        inbox.html.contains("You were added to Chemistry"),
        "{}",
        inbox.html
    );
    assert_eq!(inbox.html.matches(r#"class="unread""#).count(), 2);
    let ids: Vec<String> = linked_ids(
        &inbox
            .html
            .replace("action=\"/notifications/", "href=\"/notifications/"),
        "notifications",
    )
    .into_iter()
    .filter(|id| id.len() == 26)
    .collect();
    assert_eq!(ids.len(), 2, "{}", inbox.html);

    // Another person's notification is not theirs to open.
    let other = Visitor::signed_in(&app, "hill-valley", &kim.email).await;
    let refused = other
        .post(
            &format!("/notifications/{}/open", ids[0]),
            &[("csrf", &other.csrf()), ("to", "/courses")],
        )
        .await;
    assert_eq!(refused.status, 404);

    let opened = student
        .post(
            &format!("/notifications/{}/open", ids[0]),
            &[("csrf", &student.csrf()), ("to", "/courses")],
        )
        .await;
    assert_eq!(opened.status, 303);
    assert_eq!(opened.location.as_deref(), Some("/courses"));
    assert!(student
        .get("/")
        .await
        .html
        .contains("data-unread-number>1<"));
    let forged = student
        .post(
            &format!("/notifications/{}/open", ids[1]),
            &[("csrf", &student.csrf()), ("to", "//elsewhere.example")],
        )
        .await;
    assert_eq!(forged.location.as_deref(), Some("/notifications"));
    let (_, count) = call(
        &app,
        Method::GET,
        "/api/v1/notifications/unread-count",
        Some(&sam.token),
        None,
    )
    .await;
    assert_eq!(count["unread"], 0);

    let kims = other.get("/notifications").await;
    assert!(kims.html.contains(r#"class="empty""#), "{}", kims.html);
    assert!(
        kims.html
            .contains(r#"data-unread hidden><span data-unread-number>0<"#),
        "{}",
        kims.html
    );
    let spanish = Visitor::new(&app, "es");
    assert_eq!(
        spanish.get("/notifications").await.status,
        303,
        "signed out: to the sign-in page"
    );
    env.cleanup().await;
}
