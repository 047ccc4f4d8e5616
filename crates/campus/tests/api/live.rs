//! The live connection (`/api/v1/ws`) through a real server: who may open one and how, the
//! frames a notification makes on it, resuming after a reconnect, and closing it when the
//! session ends or the account is deactivated. The distributed shape's fan-out (a socket on
//! one node hears what another node produced) runs on NATS with two processes.

use std::time::Duration;

use campus_testkit::{
    each_storage, nats_url,
    people::{call, send, Person, School, PASSWORD},
    postgres_url, Backend, TestApp, TestEnv,
};
use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{client::IntoClientRequest, http::HeaderValue, protocol::CloseFrame, Message},
    MaybeTlsStream, WebSocketStream,
};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

const WITHIN: Duration = Duration::from_secs(20);

fn socket_url(app: &TestApp, query: &str) -> String {
    app.url(&format!("/api/v1/ws{query}"))
        .replacen("http://", "ws://", 1)
}

/// Opens a socket and authenticates with the first message; answers it and its `ready` frame.
pub(crate) async fn open(app: &TestApp, who: &Person, after: Option<&str>) -> (Socket, Value) {
    let (mut socket, _) = connect_async(socket_url(app, "")).await.unwrap();
    let auth = json!({ "type": "auth", "data": { "token": who.token, "after": after } });
    socket
        .send(Message::Text(auth.to_string().into()))
        .await
        .unwrap();
    let ready = next_frame(&mut socket).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    (socket, ready)
}

/// The next JSON frame (pings are answered by the client library).
pub(crate) async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WITHIN, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a readable frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// Waits for the server to close the socket; answers the close frame.
async fn closed(socket: &mut Socket) -> CloseFrame {
    loop {
        let message = tokio::time::timeout(WITHIN, socket.next())
            .await
            .expect("closed in time");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return frame,
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                panic!("closed without a close frame")
            }
            Some(Ok(_)) => {}
        }
    }
}

/// A published course taught by `teacher` with `students` in it; answers its id.
pub(crate) async fn course_with(app: &TestApp, teacher: &Person, students: &[&Person]) -> String {
    let course = send(
        app,
        Method::POST,
        "/api/v1/courses",
        teacher,
        Some(json!({ "title": "Biology" })),
    )
    .await;
    let course = course["id"].as_str().unwrap().to_owned();
    send(
        app,
        Method::POST,
        &format!("/api/v1/courses/{course}/publish"),
        teacher,
        None,
    )
    .await;
    for student in students {
        send(
            app,
            Method::PUT,
            &format!("/api/v1/courses/{course}/members/{}", student.id),
            teacher,
            Some(json!({ "role": "student" })),
        )
        .await;
    }
    course
}

async fn announce(app: &TestApp, course: &str, teacher: &Person, title: &str) {
    send(
        app,
        Method::POST,
        &format!("/api/v1/courses/{course}/announcements"),
        teacher,
        Some(json!({ "title": title, "body": "See you there." })),
    )
    .await;
}

/// The next `notification` frame, past any other.
async fn next_notification(socket: &mut Socket) -> Value {
    loop {
        let frame = next_frame(socket).await;
        if frame["type"] == "notification" {
            return frame["data"].clone();
        }
    }
}

/// The next notification of `kind`, past any other.
async fn next_of_kind(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let notification = next_notification(socket).await;
        if notification["kind"] == kind {
            return notification;
        }
    }
}

each_storage! {
    async fn a_notification_arrives_live_and_a_reconnect_resumes(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "live").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let course = course_with(&app, &tess, &[&sam]).await;
        // Sam is told he was added; his socket starts with that one unread.
        campus_testkit::eventually(WITHIN, "Sam's enrollment notification", || async {
            let unread = send(&app, Method::GET, "/api/v1/notifications/unread-count", &sam, None).await;
            (unread["unread"] == 1).then_some(())
        }).await;
        let (mut socket, ready) = open(&app, &sam, None).await;
        assert_eq!(ready["data"]["unread"], 1, "{ready}");

        announce(&app, &course, &tess, "Field trip").await;
        let live = next_notification(&mut socket).await;
        assert_eq!(live["kind"], "announcement_posted");
        assert_eq!(live["text"], "Announcement in Biology: Field trip");
        assert_eq!(live["count"], 1);
        // The frame is the notification exactly as the REST list shows it.
        let listed = send(&app, Method::GET, "/api/v1/notifications", &sam, None).await;
        assert_eq!(listed["items"][0], live);
        // The teacher who posted it hears nothing of her own action.
        let (mut teachers, _) = open(&app, &tess, None).await;

        // Sam's connection drops; two more announcements come meanwhile (one line for the
        // three). Reconnecting after the last id he saw, he gets what he missed.
        socket.close(None).await.unwrap();
        announce(&app, &course, &tess, "Bring lunch").await;
        announce(&app, &course, &tess, "Bus at eight").await;
        campus_testkit::eventually(WITHIN, "the announcements collapse", || async {
            let listed = send(&app, Method::GET, "/api/v1/notifications?unread=true", &sam, None).await;
            (listed["items"][0]["count"] == 3).then_some(())
        }).await;
        let seen = live["id"].as_str().unwrap();
        let (mut socket, ready) = open(&app, &sam, Some(seen)).await;
        assert_eq!(ready["data"]["unread"], 2, "the enrollment and the three announcements");
        let missed = next_notification(&mut socket).await;
        assert_eq!(missed["count"], 3, "{missed}");
        assert_eq!(missed["text"], "3 new announcements in Biology");
        // Also by query: `?after=` on the handshake.
        let (mut by_query, _) = connect_async(socket_url(&app, &format!("?after={seen}"))).await.unwrap();
        by_query.send(Message::Text(json!({ "type": "auth", "data": { "token": sam.token } }).to_string().into())).await.unwrap();
        assert_eq!(next_frame(&mut by_query).await["type"], "ready");
        assert_eq!(next_notification(&mut by_query).await["id"], missed["id"]);

        // An application-level ping is answered.
        socket.send(Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
        assert_eq!(next_frame(&mut socket).await["type"], "pong");
        // Nothing reached the teacher.
        let quiet = tokio::time::timeout(Duration::from_millis(500), teachers.next()).await;
        assert!(quiet.is_err(), "the teacher got {quiet:?}");
        app.stop().await;
    }

    async fn only_a_signed_in_person_from_this_site_opens_a_socket(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "guarded").await;
        let sam = school.add(&app, "student", "Sam").await;

        // Not a handshake: anonymous is 401, signed in is 400, both problem+json.
        let (status, problem) = call(&app, Method::GET, "/api/v1/ws", None, None).await;
        assert_eq!(status, 401, "{problem}");
        let (status, problem) = call(&app, Method::GET, "/api/v1/ws", Some(&sam.token), None).await;
        assert_eq!(status, 400, "{problem}");
        assert_eq!(problem["code"], "not_a_websocket_handshake");

        // A first message that is not a valid token closes with 4401.
        let (mut socket, _) = connect_async(socket_url(&app, "")).await.unwrap();
        socket.send(Message::Text(json!({ "type": "auth", "data": { "token": "forged" } }).to_string().into())).await.unwrap();
        assert_eq!(u16::from(closed(&mut socket).await.code), 4401);
        let (mut socket, _) = connect_async(socket_url(&app, "")).await.unwrap();
        socket.send(Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
        assert_eq!(u16::from(closed(&mut socket).await.code), 4401, "authenticate first");

        // The session cookie works from this site's pages, and not from another site's.
        let with_cookie = |origin: &str| {
            let mut request = socket_url(&app, "").into_client_request().unwrap();
            let headers = request.headers_mut();
            headers.insert("cookie", HeaderValue::from_str(&format!("campus_access={}", sam.token)).unwrap());
            headers.insert("origin", HeaderValue::from_str(origin).unwrap());
            request
        };
        let own_site = app.url("").trim_end_matches('/').to_owned();
        let (mut socket, _) = connect_async(with_cookie(&own_site)).await.unwrap();
        assert_eq!(next_frame(&mut socket).await["type"], "ready");
        let refused = connect_async(with_cookie("https://evil.example")).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
            other => panic!("a foreign page's handshake was not refused: {:?}", other.map(|(_, r)| r.status())),
        }
        app.stop().await;
    }

    async fn signing_out_or_deactivation_closes_the_sockets(env: TestEnv) {
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "closing").await;
        let sam = school.add(&app, "student", "Sam").await;
        // Sam signs in a second time: this session is the one he ends.
        let (status, signed_in) = call(&app, Method::POST, "/api/v1/auth/login", None,
            Some(json!({ "school": school.slug, "email": sam.email, "password": PASSWORD }))).await;
        assert_eq!(status, 200, "{signed_in}");
        let second = Person { token: signed_in["access_token"].as_str().unwrap().to_owned(), ..sam.clone() };
        let (mut first_tab, _) = open(&app, &sam, None).await;
        let (mut second_tab, _) = open(&app, &second, None).await;
        let (status, _) = call(&app, Method::POST, "/api/v1/auth/logout", None,
            Some(json!({ "refresh_token": signed_in["refresh_token"] }))).await;
        assert_eq!(status, 204);
        let frame = closed(&mut second_tab).await;
        assert_eq!(u16::from(frame.code), 4401, "{frame:?}");

        // The other session's socket stays, until the account is deactivated.
        send(&app, Method::POST, &format!("/api/v1/users/{}/deactivate", sam.id), &school.admin, None).await;
        let frame = closed(&mut first_tab).await;
        assert_eq!(u16::from(frame.code), 4401, "{frame:?}");
        app.stop().await;
    }
}

/// The distributed shape: two processes both serve the live connection and both run the
/// notifications context on one PostgreSQL schema and one durable consumer, so each event is
/// handled by one of them. Sam has a socket on each; an announcement reaches both, so at least
/// one frame crossed processes through NATS, whichever process handled it.
#[tokio::test]
async fn a_socket_on_one_node_hears_what_another_produced() {
    let (Some(postgres), Some(nats)) = (postgres_url(), nats_url()) else {
        eprintln!("PostgreSQL and NATS are needed; skipping");
        return;
    };
    let mut env = TestEnv::new(&Backend {
        postgres: Some(postgres),
        nats: Some(nats),
    })
    .await;
    let first = env.start(campus::contexts::all()).await;
    env.config.auth.jwks_url = Some(first.url("/.well-known/jwks.json"));
    let second = env.start(vec![campus_notifications::context()]).await;
    let school = School::create(&first, "two-nodes").await;
    let tess = school.add(&first, "teacher", "Tess").await;
    let sam = school.add(&first, "student", "Sam").await;
    let course = course_with(&first, &tess, &[&sam]).await;
    let (mut on_first, _) = open(&first, &sam, None).await;
    // The second node verifies tokens once it has fetched the first node's keys.
    let mut on_second = None;
    for _ in 0..100 {
        let (mut socket, _) = connect_async(socket_url(&second, "")).await.unwrap();
        let auth = json!({ "type": "auth", "data": { "token": sam.token } });
        socket
            .send(Message::Text(auth.to_string().into()))
            .await
            .unwrap();
        if let Some(Ok(Message::Text(text))) = socket.next().await {
            let frame: Value = serde_json::from_str(&text).unwrap();
            if frame["type"] == "ready" {
                on_second = Some(socket);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut on_second = on_second.expect("the second node accepts Sam's token");

    for n in 0..3 {
        announce(&first, &course, &tess, &format!("Notice {n}")).await;
        let here = next_of_kind(&mut on_first, "announcement_posted").await;
        let there = next_of_kind(&mut on_second, "announcement_posted").await;
        assert_eq!(
            here["id"], there["id"],
            "the same notification on both nodes"
        );
        assert_eq!(here["count"], n + 1, "one line for the burst, on both");
    }
    first.stop().await;
    second.stop().await;
    env.cleanup().await;
}
