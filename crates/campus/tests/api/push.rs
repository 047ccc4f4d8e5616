//! Web Push through the real contexts, to a push service of our own: it checks each push's
//! VAPID signature (RFC 8292) against the key the server publishes and decrypts the message
//! with the browser keys the test subscribed with (RFC 8291, worked out here from the RFCs
//! with the P-256, HKDF and AES-GCM primitives, not with the crate the server sends with).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use aes_gcm::{aead::Aead, Aes128Gcm, KeyInit, Nonce};
use axum::{body::Bytes, extract::Path, http::HeaderMap, routing::post, Router};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use campus_testkit::{
    each_storage, eventually,
    people::{call, send, Person, School},
    TestApp, TestEnv,
};
use hkdf::Hkdf;
use p256::{elliptic_curve::sec1::ToEncodedPoint, PublicKey, SecretKey};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

const WITHIN: Duration = Duration::from_secs(30);

/// One push as the service received it.
#[derive(Clone, Debug)]
struct Received {
    browser: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A push service on a free local port: `/push/gone` answers 410 (the browser unsubscribed),
/// every other browser 201.
async fn push_service() -> (String, Arc<Mutex<Vec<Received>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let app = Router::new().route(
        "/push/{browser}",
        post(
            move |Path(browser): Path<String>, headers: HeaderMap, body: Bytes| {
                let log = log.clone();
                async move {
                    let gone = browser == "gone";
                    log.lock().unwrap().push(Received {
                        browser,
                        headers,
                        body,
                    });
                    if gone {
                        axum::http::StatusCode::GONE
                    } else {
                        axum::http::StatusCode::CREATED
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), received)
}

/// A browser's push keys.
struct Browser {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new(seed: u8) -> Self {
        Self {
            secret: SecretKey::from_slice(&[seed; 32]).unwrap(),
            auth: [seed.wrapping_add(1); 16],
        }
    }

    fn public(&self) -> Vec<u8> {
        self.secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    fn subscription(&self, endpoint: &str) -> Value {
        json!({ "endpoint": endpoint, "expirationTime": null,
                "keys": { "p256dh": URL_SAFE_NO_PAD.encode(self.public()), "auth": URL_SAFE_NO_PAD.encode(self.auth) } })
    }

    /// RFC 8291 section 3.4 and RFC 8188 section 2, one record.
    fn decrypt(&self, body: &[u8]) -> Vec<u8> {
        let (salt, rest) = body.split_at(16);
        let record_size = u32::from_be_bytes(rest[..4].try_into().unwrap());
        let id_length = usize::from(rest[4]);
        let sender = PublicKey::from_sec1_bytes(&rest[5..5 + id_length]).unwrap();
        let ciphertext = &rest[5 + id_length..];
        assert!(ciphertext.len() <= record_size as usize, "one record");
        let shared =
            p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), sender.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend(self.public());
        info.extend(sender.to_encoded_point(false).as_bytes());
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes())
            .expand(&info, &mut ikm)
            .unwrap();
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut key, mut nonce) = ([0u8; 16], [0u8; 12]);
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut key)
            .unwrap();
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .unwrap();
        let mut plain = Aes128Gcm::new_from_slice(&key)
            .unwrap()
            .decrypt(Nonce::from_slice(&nonce), ciphertext)
            .expect("the push decrypts with the browser's keys");
        // The last record ends with the delimiter 2, then any padding zeros.
        while plain.last() == Some(&0) {
            plain.pop();
        }
        assert_eq!(plain.pop(), Some(2), "the last record's delimiter");
        plain
    }
}

/// The VAPID `Authorization` header checked: signed by `public_key` for `audience`.
fn check_vapid(headers: &HeaderMap, public_key: &str, audience: &str) {
    let header = headers
        .get("authorization")
        .expect("a VAPID signature")
        .to_str()
        .unwrap();
    let rest = header.strip_prefix("vapid ").expect("the vapid scheme");
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|part| part.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        field("k"),
        public_key,
        "signed with the key browsers subscribe with"
    );
    let point = URL_SAFE_NO_PAD.decode(field("k")).unwrap();
    let key = jsonwebtoken::DecodingKey::from_ec_components(
        &URL_SAFE_NO_PAD.encode(&point[1..33]),
        &URL_SAFE_NO_PAD.encode(&point[33..65]),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(&field("t"), &key, &validation)
        .expect("a valid VAPID token")
        .claims;
    let now = jiff::Timestamp::now().as_second();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "expires within a day (RFC 8292): {claims}"
    );
    assert_eq!(
        claims["aud"], audience,
        "the push service's origin, port and all"
    );
    assert_eq!(claims["sub"], "mailto:no-reply@localhost");
}

async fn no_quiet_hours(app: &TestApp, who: &Person) {
    send(
        app,
        Method::PUT,
        "/api/v1/me/notification-preferences",
        who,
        Some(json!({ "quiet_hours": null })),
    )
    .await;
}

each_storage! {
    async fn pushes_reach_subscribed_browsers_signed_and_encrypted(env: TestEnv) {
        let (service, received) = push_service().await;
        env.config.push.allowed_hosts.push("127.0.0.1".into());
        let app = env.start(campus::contexts::all()).await;
        let school = School::create(&app, "pushed").await;
        let tess = school.add(&app, "teacher", "Tess").await;
        let sam = school.add(&app, "student", "Sam").await;
        let kim = school.add(&app, "student", "Kim").await;
        for student in [&sam, &kim] {
            no_quiet_hours(&app, student).await;
        }

        let listed = send(&app, Method::GET, "/api/v1/me/push-subscriptions", &sam, None).await;
        let public_key = listed["public_key"].as_str().unwrap().to_owned();
        assert_eq!(URL_SAFE_NO_PAD.decode(&public_key).unwrap().len(), 65, "an uncompressed P-256 point");
        assert_eq!(listed["subscriptions"], json!([]));

        // Only a push service this installation allows, and real keys.
        let browser = Browser::new(7);
        let mut bad = browser.subscription("https://10.0.0.5/admin");
        bad["keys"]["p256dh"] = json!("bm90IGEga2V5");
        let (status, problem) = call(&app, Method::POST, "/api/v1/me/push-subscriptions", Some(&sam.token), Some(bad)).await;
        assert_eq!(status, 422, "{problem}");
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["endpoint", "keys.p256dh"]);
        let endpoint = format!("{service}/push/sam");
        let (status, first) = call(&app, Method::POST, "/api/v1/me/push-subscriptions", Some(&sam.token),
            Some(browser.subscription(&endpoint))).await;
        assert_eq!(status, 201, "{first}");
        let (status, again) = call(&app, Method::POST, "/api/v1/me/push-subscriptions", Some(&sam.token),
            Some(browser.subscription(&endpoint))).await;
        assert_eq!((status, &again["id"]), (reqwest::StatusCode::OK, &first["id"]), "the same browser once");
        assert_eq!(first["service"], "127.0.0.1");
        // Kim's browser has since unsubscribed at its push service.
        send(&app, Method::POST, "/api/v1/me/push-subscriptions", &kim,
            Some(Browser::new(9).subscription(&format!("{service}/push/gone")))).await;

        let course = send(&app, Method::POST, "/api/v1/courses", &tess, Some(json!({ "title": "Physics" }))).await;
        let course = course["id"].as_str().unwrap().to_owned();
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/publish"), &tess, None).await;
        for student in [&sam, &kim] {
            send(&app, Method::PUT, &format!("/api/v1/courses/{course}/members/{}", student.id), &tess,
                Some(json!({ "role": "student" }))).await;
        }
        eventually(WITHIN, "both students on the roster", || async {
            let (places,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM roster_places WHERE course_id = $1 AND course_role = 'student'")
                .bind(&course).fetch_one(app.db("notifications").pool()).await.unwrap();
            (places == 2).then_some(())
        }).await;
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/announcements"), &tess,
            Some(json!({ "title": "Lab on Friday", "body": "Bring goggles." }))).await;

        let push = eventually(WITHIN, "the push to Sam's browser", || async {
            received.lock().unwrap().iter().find(|r| r.browser == "sam").cloned()
        }).await;
        assert_eq!(push.headers["content-encoding"], "aes128gcm");
        assert_eq!(push.headers["ttl"], "86400");
        assert_eq!(push.headers["topic"].len(), 32);
        check_vapid(&push.headers, &public_key, &service);
        let message: Value = serde_json::from_slice(&browser.decrypt(&push.body)).unwrap();
        assert_eq!(message["body"], "Announcement in Physics: Lab on Friday");
        assert!(message["url"].as_str().unwrap().ends_with(&format!("/courses/{course}/announcements")), "{message}");
        // The enrollment before it (courses: not pushed by default) was not pushed.
        assert_eq!(received.lock().unwrap().iter().filter(|r| r.browser == "sam").count(), 1);

        // Kim's push service said the browser is gone: her subscription is retired.
        eventually(WITHIN, "Kim's gone browser retired", || async {
            let hers = send(&app, Method::GET, "/api/v1/me/push-subscriptions", &kim, None).await;
            (hers["subscriptions"] == json!([])).then_some(())
        }).await;
        assert!(received.lock().unwrap().iter().any(|r| r.browser == "gone"));

        // Sam turns announcements off for push: the next one stays in the app.
        let changed = send(&app, Method::PUT, "/api/v1/me/notification-preferences", &sam,
            Some(json!({ "categories": [{ "category": "announcements", "push": false }] }))).await;
        assert!(changed["categories"].as_array().unwrap().iter()
            .any(|c| c["category"] == "announcements" && c["push"] == false && c["in_app"] == true));
        send(&app, Method::POST, &format!("/api/v1/courses/{course}/announcements"), &tess,
            Some(json!({ "title": "No lab", "body": "Cancelled." }))).await;
        eventually(WITHIN, "the second announcement in the app", || async {
            let page = send(&app, Method::GET, "/api/v1/notifications", &sam, None).await;
            page["items"].as_array().unwrap().iter()
                .any(|n| n["kind"] == "announcement_posted" && n["count"] == 2).then_some(())
        }).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(received.lock().unwrap().iter().filter(|r| r.browser == "sam").count(), 1, "not pushed");
        let (waiting,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM push_deliveries")
            .fetch_one(app.db("notifications").pool()).await.unwrap();
        assert_eq!(waiting, 0);

        // Sam stops pushing to the browser; another person cannot.
        let id = first["id"].as_str().unwrap();
        let (status, _) = call(&app, Method::DELETE, &format!("/api/v1/me/push-subscriptions/{id}"), Some(&kim.token), None).await;
        assert_eq!(status, 404);
        let (status, _) = call(&app, Method::DELETE, &format!("/api/v1/me/push-subscriptions/{id}"), Some(&sam.token), None).await;
        assert_eq!(status, 204);

        // A browser subscribed in a session that signs out (a shared computer) is retired.
        let (status, tokens) = call(&app, Method::POST, "/api/v1/auth/login", None,
            Some(json!({ "school": "pushed", "email": sam.email, "password": campus_testkit::people::PASSWORD }))).await;
        assert_eq!(status, 200, "{tokens}");
        let lab = Person { id: sam.id.clone(), email: sam.email.clone(), token: tokens["access_token"].as_str().unwrap().to_owned() };
        send(&app, Method::POST, "/api/v1/me/push-subscriptions", &lab,
            Some(Browser::new(11).subscription(&format!("{service}/push/lab")))).await;
        let (status, _) = call(&app, Method::POST, "/api/v1/auth/logout", None,
            Some(json!({ "refresh_token": tokens["refresh_token"] }))).await;
        assert!(status.is_success(), "{status}");
        eventually(WITHIN, "the lab computer retired", || async {
            let his = send(&app, Method::GET, "/api/v1/me/push-subscriptions", &sam, None).await;
            (his["subscriptions"] == json!([])).then_some(())
        }).await;
        app.stop().await;

        // The key pair is kept: the next start signs with the same key.
        let app = env.start(campus::contexts::all()).await;
        let listed = send(&app, Method::GET, "/api/v1/me/push-subscriptions", &sam, None).await;
        assert_eq!(listed["public_key"], public_key.as_str());
        let (sealed,): (String,) = sqlx::query_as("SELECT sealed_private_key FROM push_keys")
            .fetch_one(app.db("notifications").pool()).await.unwrap();
        assert!(sealed.starts_with("sealed:"), "the private key is sealed at rest");
        app.stop().await;
    }
}
