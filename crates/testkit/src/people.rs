//! Real people for tests that need them: a school made through identity's API, people added
//! by its admin and signed in, and a JSON call helper.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{TestApp, TestEnv};

pub const PASSWORD: &str = "correct horse battery staple";

/// Calls the API with a bearer token (when given) and a JSON body (when given).
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Calls the API as `who` and requires success; answers the body.
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Person,
    body: Option<Value>,
) -> Value {
    let (status, answer) = call(app, method.clone(), path, Some(&who.token), body).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

/// Someone signed in.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub token: String,
}

pub struct School {
    pub id: String,
    pub slug: String,
    pub admin: Person,
}

impl School {
    /// Creates a school through the API; its admin is signed in.
    pub async fn create(app: &TestApp, slug: &str) -> Self {
        let email = format!("admin@{slug}.example");
        let (status, body) = call(
            app,
            Method::POST,
            "/api/v1/schools",
            None,
            Some(json!({ "slug": slug, "name": slug, "admin_email": email,
                          "admin_password": PASSWORD, "admin_name": "Ada Admin" })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        Self {
            id: body["school"]["id"].as_str().unwrap().to_owned(),
            slug: slug.to_owned(),
            admin: Person {
                id: body["admin"]["id"].as_str().unwrap().to_owned(),
                email,
                token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
            },
        }
    }

    /// The admin creates `name` with `role`; they sign in.
    pub async fn add(&self, app: &TestApp, role: &str, name: &str) -> Person {
        let email = format!("{}@{}.example", name.to_lowercase(), self.slug);
        let (status, body) = call(
            app,
            Method::POST,
            "/api/v1/users",
            Some(&self.admin.token),
            Some(
                json!({ "email": email, "display_name": name, "role": role, "password": PASSWORD }),
            ),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        let (status, tokens) = call(
            app,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "school": self.slug, "email": email, "password": PASSWORD })),
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        Person {
            id,
            email,
            token: tokens["access_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// The newest token in `data_dir/mail`'s .eml files (sent to `to`, when given) whose link
/// contains `path`.
pub async fn mailed_token(env: &TestEnv, to: Option<&str>, path: &str) -> Option<String> {
    newest_of_mailed_tokens(env, to, path, 1).await
}

/// [`mailed_token`] of the process (or processes) whose data directory is `data_dir`.
pub async fn mailed_token_in(data_dir: &Path, to: Option<&str>, path: &str) -> Option<String> {
    newest_mailed_token_in(data_dir, to, path, 1).await
}

/// The newest such token once at least `count` of them have been mailed: mail goes out after
/// the request, so a test waiting for a second message must not take the first.
pub async fn newest_of_mailed_tokens(
    env: &TestEnv,
    to: Option<&str>,
    path: &str,
    count: usize,
) -> Option<String> {
    newest_mailed_token_in(&env.config.data_dir, to, path, count).await
}

async fn newest_mailed_token_in(
    data_dir: &Path,
    to: Option<&str>,
    path: &str,
    count: usize,
) -> Option<String> {
    for _ in 0..100 {
        let tokens = tokens_in(&mailed_texts_in(data_dir, to), path);
        if tokens.len() >= count {
            return tokens.into_iter().next();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

/// The token of the message to `to` whose link contains `path` and whose text contains
/// `about`: for a test whose messages were written too close together for their files'
/// times to order them.
pub async fn mailed_token_about(
    env: &TestEnv,
    to: Option<&str>,
    path: &str,
    about: &str,
) -> Option<String> {
    for _ in 0..100 {
        let texts: Vec<String> = mailed_texts(env, to)
            .into_iter()
            .filter(|text| text.contains(about))
            .collect();
        if let Some(token) = tokens_in(&texts, path).into_iter().next() {
            return Some(token);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

/// The tokens of the links containing `path` in `texts`, in their order.
fn tokens_in(texts: &[String], path: &str) -> Vec<String> {
    texts
        .iter()
        .filter_map(|text| {
            let start = text.find(&format!("{path}?token="))? + path.len() + "?token=".len();
            Some(
                text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect(),
            )
        })
        .collect()
}

/// The messages written to `data_dir/mail` (to `to`, when given), newest first, with
/// quoted-printable line breaks undone.
pub fn mailed_texts(env: &TestEnv, to: Option<&str>) -> Vec<String> {
    mailed_texts_in(&env.config.data_dir, to)
}

fn mailed_texts_in(data_dir: &Path, to: Option<&str>) -> Vec<String> {
    let dir = data_dir.join("mail");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    // Named by ids that sort in the order the messages were written.
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|f| f.path().extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort_by_key(|f| f.file_name());
    files
        .iter()
        .rev()
        .filter_map(|file| {
            // Undo quoted-printable soft line breaks and the encoded '='.
            let text = std::fs::read_to_string(file.path())
                .ok()?
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            match to {
                Some(to) if !text.contains(&format!("To: {to}")) => None,
                _ => Some(text),
            }
        })
        .collect()
}
