//! A running app under test: its address, an HTTP client, its contexts' databases, access
//! tokens signed with a key only the test knows, and the events a test feeds it.

use std::time::Duration;

use campus_host::Application;
use campus_platform::{
    auth::{Claims, Role},
    db::Db,
    events::{Envelope, Event},
    id,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use tokio::{sync::oneshot, task::JoinHandle};

/// The `kid` of the test signing key in the app's key ring.
const TEST_KEY: &str = "test-key";

/// A running app and an HTTP client for it.
pub struct TestApp {
    pub address: String,
    /// `http://…` of `/metrics`' own listener, when `metrics.listen` gave it one.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub bus: campus_bus::Bus,
    /// One per context the app runs.
    databases: Vec<Db>,
    /// The test signing key (PKCS#8), whose public half is in the app's key ring.
    signing_key: Vec<u8>,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts serving `app`, which also accepts tokens from [`TestApp::token_for`].
    pub fn run(app: Application) -> Self {
        let address = format!("http://{}", app.address());
        let metrics_address = app.metrics_address().map(|a| format!("http://{a}"));
        let keys = app.keys();
        let bus = app.bus().clone();
        let databases = app
            .contexts()
            .iter()
            .filter_map(|context| app.database(context).cloned())
            .collect();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let signing = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        keys.insert_ed25519(TEST_KEY, signing.public_key().as_ref());
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            address,
            metrics_address,
            client: reqwest::Client::new(),
            bus,
            databases,
            signing_key: pkcs8.as_ref().to_vec(),
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// The database of `context`, which must run in this app.
    pub fn db(&self, context: &str) -> &Db {
        self.databases
            .iter()
            .find(|db| db.context() == context)
            .unwrap_or_else(|| panic!("the {context} context does not run in this app"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Records `event` in the outbox of the context that publishes it (which must run in this
    /// app, itself or as a [`stand_in`](crate::stand_in)), as that context would; the bus then
    /// delivers it to its consumers like any other.
    pub async fn publish<E: Event>(&self, tenant: &str, event: &E) -> Envelope {
        let publisher = campus_contracts::stream_of(E::TYPE)
            .unwrap_or_else(|| panic!("{} names no publishing context", E::TYPE));
        let mut uow = self.db(publisher).begin().await.expect("begin");
        let envelope = uow.record(tenant, event).await.expect("record the event");
        uow.commit().await.expect("commit the event");
        envelope
    }

    /// A valid access token for a new user of `role` in school `school`.
    pub fn token(&self, role: Role, school: &str) -> String {
        self.token_for(&id::new_id_string(), role, school)
    }

    /// A valid access token (signed with the test key) naming `user` in `school`.
    pub fn token_for(&self, user: &str, role: Role, school: &str) -> String {
        let now = campus_platform::time::now_ms() / 1000;
        let claims = Claims {
            sub: user.to_owned(),
            school: school.to_owned(),
            role,
            exp: now + 300,
            iat: now,
            jti: id::new_id_string(),
            typ: "access".to_owned(),
            sid: id::new_id_string(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(TEST_KEY.to_owned());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_ed_der(&self.signing_key),
        )
        .unwrap()
    }

    /// Any claims, signed with the test key but naming `kid` as its key: for tokens that are
    /// validly signed yet must be refused (another `typ`, an unknown key id).
    pub fn sign_as(&self, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ed_der(&self.signing_key),
        )
        .unwrap()
    }

    /// The raw public half of the test key, as a JWKS would publish it.
    pub fn public_key(&self) -> Vec<u8> {
        Ed25519KeyPair::from_pkcs8(&self.signing_key)
            .unwrap()
            .public_key()
            .as_ref()
            .to_vec()
    }

    /// The test key's id.
    pub fn test_key_id(&self) -> &'static str {
        TEST_KEY
    }

    pub fn super_admin(&self) -> String {
        self.token(Role::SuperAdmin, "platform")
    }

    /// Graceful shutdown, as on SIGTERM; fails the test if it does not finish in time.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(12), handle)
                .await
                .expect("shutdown within the grace period")
                .expect("app task")
                .expect("app stopped cleanly");
        }
    }
}
