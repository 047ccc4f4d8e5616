//! Outgoing mail is an outbox: queued with what it announces, delivered afterwards, kept while
//! the mail server is down and delivered when it is back.

use campus_platform::{config::ConnectionUrl, db::Db};
use campus_testkit::{
    each_storage, eventually,
    people::{call, mailed_token, School, PASSWORD},
    smtp::SlowSmtp,
    TestEnv,
};
use reqwest::Method;
use serde_json::json;

#[derive(sqlx::FromRow, Debug)]
struct Queued {
    attempts: i64,
    last_error: Option<String>,
    sent_at: Option<i64>,
    body: String,
}

async fn queued(db: &Db) -> Vec<Queued> {
    sqlx::query_as("SELECT attempts, last_error, sent_at, body FROM outgoing_mail ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

each_storage! {
    async fn mail_waits_while_the_mail_server_is_down_and_goes_out_when_it_is_back(env: TestEnv) {
        // A port nothing listens on: every delivery fails.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        env.config.mail.smtp_url = Some(ConnectionUrl::new(format!("smtp://127.0.0.1:{port}")));
        let app = env.start(vec![campus_identity::context()]).await;
        let hill = School::create(&app, "hill-valley").await;
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(json!({ "school": "hill-valley", "email": hill.admin.email })),
        )
        .await;
        assert_eq!(status, 202, "the request does not wait for the mail server");
        let failed = eventually(
            std::time::Duration::from_secs(10),
            "a failed delivery attempt",
            || async {
                let rows = queued(app.db("identity")).await;
                rows.into_iter()
                    .find(|m| m.attempts >= 1 && m.last_error.is_some())
            },
        )
        .await;
        assert!(failed.sent_at.is_none());
        // The waiting message holds a sign-in link: it is sealed at rest.
        assert!(failed.body.starts_with("sealed:v1:"), "{}", failed.body);
        assert!(!failed.body.contains("/reset-password"));
        app.stop().await;

        // The mail server is back (here: files under the data directory) and the retry is due.
        env.config.mail.smtp_url = None;
        let db = Db::open(&env.config, "identity").await.unwrap();
        sqlx::query("UPDATE outgoing_mail SET next_attempt_at = 0")
            .execute(db.pool())
            .await
            .unwrap();
        db.close().await;
        let app = env.start(vec![campus_identity::context()]).await;
        let token = mailed_token(&env, Some(&hill.admin.email), "/reset-password")
            .await
            .expect("the reset link went out after the restart");
        let (status, body) = call(
            &app,
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({ "token": token, "password": format!("{PASSWORD} again") })),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        let rows = queued(app.db("identity")).await;
        assert_eq!(rows.len(), 1, "sent once: {rows:?}");
        assert!(rows[0].sent_at.is_some());
        assert_eq!(rows[0].body, "", "the link is not kept once sent");
        app.stop().await;
    }
}

each_storage! {
    /// SIGTERM while the postman is sending: the process waits for the message it is sending,
    /// records it as sent, and stops with no task left running (a task still running at the
    /// deadline makes the stop fail). Nothing is lost and nothing is sent twice.
    async fn a_stop_while_mail_is_being_sent_finishes_and_records_it(env: TestEnv) {
        let smtp = SlowSmtp::start(std::time::Duration::from_millis(1500)).await;
        env.config.mail.smtp_url = Some(ConnectionUrl::new(format!(
            "smtp://127.0.0.1:{}",
            smtp.port
        )));
        let app = env.start(vec![campus_identity::context()]).await;
        let hill = School::create(&app, "hill-valley").await;
        let sending = smtp.sending.notified();
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(json!({ "school": "hill-valley", "email": hill.admin.email })),
        )
        .await;
        assert_eq!(status, 202);
        tokio::time::timeout(std::time::Duration::from_secs(10), sending)
            .await
            .expect("the postman started sending");
        let identity = app.db("identity").clone();
        // As on SIGTERM; `stop` fails the test unless every task stopped before the deadline.
        app.stop().await;

        let db = Db::open(&env.config, "identity").await.unwrap();
        let rows = queued(&db).await;
        db.close().await;
        drop(identity);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0].sent_at.is_some(),
            "the message being sent at the stop is recorded as sent: {rows:?}"
        );
        assert_eq!(smtp.received.lock().await.len(), 1, "sent exactly once");
    }
}
