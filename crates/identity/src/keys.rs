//! The keys access tokens are signed with: Ed25519, rotated hourly, published as a JWKS.
//!
//! The newest key that is not yet retired signs; a retired key keeps verifying until every
//! token it signed has expired, then it is dropped. Keys live in identity's database, so every
//! identity process signs with the same set, and the process's `KeyRing` (which `AuthUser`
//! verifies against) is refilled from it on every rotation check. Private keys are stored
//! sealed (`platform::sealing`).

use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use campus_platform::{
    auth::{Claims, KeyRing},
    db::Db,
    id,
    sealing::Sealer,
    time,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use serde::Serialize;
use utoipa::ToSchema;

/// How long an access token is valid, in seconds.
pub const ACCESS_TOKEN_SECS: i64 = campus_platform::auth::ACCESS_TOKEN_LIFETIME.as_secs() as i64;
/// How long a key signs before the next one takes over.
pub const ROTATE_EVERY_MS: i64 = 60 * 60 * 1000;
/// Clock leeway allowed when verifying; a key outlives its last token by this much too.
const LEEWAY_MS: i64 = 5 * 60 * 1000;

/// What a private key is sealed for.
fn purpose(kid: &str) -> String {
    format!("identity.signing_key:{kid}")
}

struct Current {
    kid: String,
    key: EncodingKey,
    retire_at: i64,
}

pub struct SigningKeys {
    db: Db,
    ring: KeyRing,
    sealer: Arc<Sealer>,
    current: RwLock<Option<Current>>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    private_key: String,
    public_key: String,
    retire_at: i64,
}

/// A JSON Web Key Set (RFC 7517) of Ed25519 public keys (RFC 8037).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    /// The public key, base64url without padding.
    pub x: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub alg: &'static str,
}

impl SigningKeys {
    /// The sessions whose access tokens this process refuses.
    pub fn ended_sessions(&self) -> campus_platform::ended_sessions::EndedSessions {
        self.ring.ended_sessions().clone()
    }

    pub fn new(db: Db, ring: KeyRing, sealer: Arc<Sealer>) -> Self {
        Self {
            db,
            ring,
            sealer,
            current: RwLock::new(None),
        }
    }

    /// Makes sure a key is signing, and the ring holds every key still verifying. Run at start
    /// and then every minute; cheap when nothing changed.
    pub async fn rotate(&self) -> anyhow::Result<()> {
        let now = time::now_ms();
        let signing: Option<KeyRow> = sqlx::query_as(
            "SELECT kid, private_key, public_key, retire_at FROM signing_keys \
             WHERE retire_at > $1 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        let signing = match signing {
            Some(row) => row,
            None => self.generate(now).await?,
        };
        let private = URL_SAFE_NO_PAD
            .decode(
                self.sealer
                    .open(&signing.private_key, &purpose(&signing.kid))?,
            )
            .context("stored key is not base64")?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Current {
            kid: signing.kid.clone(),
            key: EncodingKey::from_ed_der(&private),
            retire_at: signing.retire_at,
        });
        let verifying: Vec<(String, String)> =
            sqlx::query_as("SELECT kid, public_key FROM signing_keys WHERE expires_at > $1")
                .bind(now)
                .fetch_all(self.db.pool())
                .await?;
        let expired: Vec<(String,)> =
            sqlx::query_as("SELECT kid FROM signing_keys WHERE expires_at <= $1")
                .bind(now)
                .fetch_all(self.db.pool())
                .await?;
        for (kid, public) in verifying {
            self.ring
                .insert_ed25519(&kid, &URL_SAFE_NO_PAD.decode(public)?);
        }
        for (kid,) in expired {
            self.ring.remove(&kid);
        }
        Ok(())
    }

    async fn generate(&self, now: i64) -> anyhow::Result<KeyRow> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("cannot generate a signing key"))?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .map_err(|_| anyhow::anyhow!("generated key does not parse"))?;
        let row = KeyRow {
            kid: id::new_id_string(),
            private_key: URL_SAFE_NO_PAD.encode(pkcs8.as_ref()),
            public_key: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            retire_at: now + ROTATE_EVERY_MS,
        };
        let mut uow = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, private_key, public_key, created_at, retire_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.kid)
        .bind(self.sealer.seal(&row.private_key, &purpose(&row.kid))?)
        .bind(&row.public_key)
        .bind(now)
        .bind(row.retire_at)
        .bind(row.retire_at + ACCESS_TOKEN_SECS * 1000 + LEEWAY_MS)
        .execute(uow.conn())
        .await?;
        uow.commit().await?;
        tracing::info!(kid = %row.kid, "new signing key");
        Ok(row)
    }

    /// Seals private keys still in clear, or under a retired installation key, with the
    /// current one; returns how many.
    pub async fn reseal(&self) -> anyhow::Result<usize> {
        let stored: Vec<(String, String)> =
            sqlx::query_as("SELECT kid, private_key FROM signing_keys")
                .fetch_all(self.db.pool())
                .await?;
        let mut resealed = 0;
        for (kid, private_key) in stored {
            if !self.sealer.needs_resealing(&private_key) {
                continue;
            }
            let plain = self.sealer.open(&private_key, &purpose(&kid))?;
            self.db
                .write_one(
                    sqlx::query("UPDATE signing_keys SET private_key = $1 WHERE kid = $2")
                        .bind(self.sealer.seal(&plain, &purpose(&kid))?)
                        .bind(&kid),
                )
                .await?;
            resealed += 1;
        }
        Ok(resealed)
    }

    /// Signs `claims` with the current key, rotating first if it has retired.
    pub async fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let stale = {
            let current = self.current.read().unwrap_or_else(|p| p.into_inner());
            current
                .as_ref()
                .is_none_or(|c| c.retire_at <= time::now_ms())
        };
        if stale {
            self.rotate().await?;
        }
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        let current = current.as_ref().context("no signing key")?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(current.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &current.key)?)
    }

    /// Every key that still verifies, as published at `/.well-known/jwks.json`.
    pub async fn jwks(&self) -> anyhow::Result<Jwks> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT kid, public_key FROM signing_keys WHERE expires_at > $1 ORDER BY created_at DESC",
        )
        .bind(time::now_ms())
        .fetch_all(self.db.pool())
        .await?;
        Ok(Jwks {
            keys: rows
                .into_iter()
                .map(|(kid, x)| Jwk {
                    kty: "OKP",
                    crv: "Ed25519",
                    x,
                    kid,
                    use_: "sig",
                    alg: "EdDSA",
                })
                .collect(),
        })
    }
}
