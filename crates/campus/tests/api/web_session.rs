//! Web sign-in: cookies a browser keeps (httpOnly, SameSite, Secure over https), the CSRF token
//! every state-changing request repeats, refresh and sign-out — accepted by every context.

use campus_testkit::{
    each_storage,
    people::{School, PASSWORD},
    TestApp, TestEnv,
};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

/// The `name=value` pairs set by a response, and the full `Set-Cookie` lines.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn value_of(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
        .unwrap_or_default()
}

struct Browser {
    access: String,
    refresh: String,
    csrf: String,
}

impl Browser {
    fn from(cookies: &[String]) -> Self {
        Self {
            access: value_of(cookies, "campus_access"),
            refresh: value_of(cookies, "campus_refresh"),
            csrf: value_of(cookies, "campus_csrf"),
        }
    }

    /// What a browser sends to `path` (the refresh cookie only to the session routes).
    fn cookie_header(&self, path: &str) -> String {
        let mut cookies = format!("campus_access={}; campus_csrf={}", self.access, self.csrf);
        if path.starts_with("/api/v1/auth/session") {
            cookies.push_str(&format!("; campus_refresh={}", self.refresh));
        }
        cookies
    }

    async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        csrf: bool,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = app
            .client
            .request(method, app.url(path))
            .header(header::COOKIE, self.cookie_header(path));
        if csrf {
            request = request.header("x-csrf-token", &self.csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }
}

async fn open_session(app: &TestApp, form: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/session"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

each_storage! {
    async fn a_browser_signs_in_with_cookies_and_repeats_the_csrf_token_to_change_anything(
        env: TestEnv,
    ) {
        let app = env
            .start(vec![campus_identity::context(), campus_courses::context()])
            .await;
        School::create(&app, "hill-valley").await;
        let form = format!(
            "school=hill-valley&email=admin%40hill-valley.example&password={}",
            PASSWORD.replace(' ', "+")
        );

        // Wrong credentials answer like the API's sign-in, and set nothing.
        let refused = open_session(
            &app,
            "school=hill-valley&email=admin%40hill-valley.example&password=wrong",
        )
        .await;
        assert_eq!(refused.status(), 401);
        assert!(set_cookies(&refused).is_empty());

        let response = open_session(&app, &form).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let cookies = set_cookies(&response);
        let body: Value = response.json().await.unwrap();
        let line = |name: &str| {
            cookies
                .iter()
                .find(|c| c.starts_with(&format!("{name}=")))
                .unwrap()
                .clone()
        };
        assert!(
            line("campus_access").contains("HttpOnly")
                && line("campus_access").contains("SameSite=Lax")
        );
        assert!(
            line("campus_refresh").contains("HttpOnly")
                && line("campus_refresh").contains("Path=/api/v1/auth/session")
        );
        assert!(
            !line("campus_csrf").contains("HttpOnly"),
            "the page reads the CSRF token"
        );
        assert!(
            cookies.iter().all(|c| !c.contains("Secure")),
            "plain http in tests"
        );
        let browser = Browser::from(&cookies);
        assert_eq!(body["csrf_token"], browser.csrf.as_str());

        // Reads need only the cookie; changes need the CSRF token too — in every context.
        let me = browser
            .send(&app, Method::GET, "/api/v1/me", false, None)
            .await;
        assert_eq!(me.status(), 200);
        for (method, path, body, done) in [
            (
                Method::PATCH,
                "/api/v1/me",
                json!({ "display_name": "Ada Lovelace" }),
                StatusCode::OK,
            ),
            (
                Method::POST,
                "/api/v1/courses",
                json!({ "title": "Made in a browser" }),
                StatusCode::CREATED,
            ),
        ] {
            let forged = browser
                .send(&app, method.clone(), path, false, Some(body.clone()))
                .await;
            assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{method} {path}");
            let sent = browser
                .send(&app, method.clone(), path, true, Some(body))
                .await;
            assert_eq!(sent.status(), done, "{method} {path}");
        }

        // Refresh rotates every cookie; the old refresh cookie, replayed, ends the session.
        let refreshed = browser
            .send(
                &app,
                Method::POST,
                "/api/v1/auth/session/refresh",
                true,
                None,
            )
            .await;
        assert_eq!(refreshed.status(), 200);
        let next = Browser::from(&set_cookies(&refreshed));
        assert_ne!(next.refresh, browser.refresh);
        let replayed = browser
            .send(
                &app,
                Method::POST,
                "/api/v1/auth/session/refresh",
                true,
                None,
            )
            .await;
        assert_eq!(replayed.status(), 401);
        let after = next
            .send(
                &app,
                Method::POST,
                "/api/v1/auth/session/refresh",
                true,
                None,
            )
            .await;
        assert_eq!(after.status(), 401, "reuse revoked the whole family");

        // Sign-out clears the cookies and ends the session.
        let second = Browser::from(&set_cookies(&open_session(&app, &form).await));
        let forged = second
            .send(&app, Method::DELETE, "/api/v1/auth/session", false, None)
            .await;
        assert_eq!(forged.status(), 403, "signing out needs the CSRF token too");
        let out = second
            .send(&app, Method::DELETE, "/api/v1/auth/session", true, None)
            .await;
        assert_eq!(out.status(), 204);
        let cleared = set_cookies(&out);
        assert_eq!(cleared.len(), 3);
        assert!(
            cleared.iter().all(|c| c.contains("Max-Age=0")),
            "{cleared:?}"
        );
        let refresh = second
            .send(
                &app,
                Method::POST,
                "/api/v1/auth/session/refresh",
                true,
                None,
            )
            .await;
        assert_eq!(refresh.status(), 401);

        app.stop().await;
    }
}

each_storage! {
    async fn session_cookies_are_secure_when_served_over_https(env: TestEnv) {
        env.config.public_url = Some("https://campus.example".to_owned());
        let app = env.start(vec![campus_identity::context()]).await;
        School::create(&app, "hill-valley").await;
        let form = format!(
            "school=hill-valley&email=admin%40hill-valley.example&password={}",
            PASSWORD.replace(' ', "+")
        );
        let response = open_session(&app, &form).await;
        assert_eq!(response.status(), 200);
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 3);
        assert!(cookies.iter().all(|c| c.contains("Secure")), "{cookies:?}");
        app.stop().await;
    }
}
