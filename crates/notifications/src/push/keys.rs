//! The installation's VAPID key pair (RFC 8292): made on first start, kept sealed in the
//! notifications database, the same for every process. Browsers subscribe with its public
//! key; push services check each message's signature against it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use campus_platform::{db::Db, sealing::Sealer, time};
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};

const PURPOSE: &str = "notifications.push.vapid";

/// The key pair and its public half as browsers take it.
pub(crate) struct VapidKeys {
    pub pair: ES256KeyPair,
    /// The uncompressed P-256 point, base64url: `applicationServerKey`.
    pub public_key: String,
}

/// The kept key pair, made now if there is none (two processes starting at once agree on
/// whichever was written first).
pub(crate) async fn load_or_make(db: &Db, sealer: &Sealer) -> anyhow::Result<VapidKeys> {
    let made = ES256KeyPair::generate();
    let public_key = public_key_of(&made);
    let sealed = sealer.seal(&URL_SAFE_NO_PAD.encode(made.to_bytes()), PURPOSE)?;
    db.write_one(
        sqlx::query(
            "INSERT INTO push_keys (id, public_key, sealed_private_key, created_at) \
             VALUES ('vapid', $1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&public_key)
        .bind(&sealed)
        .bind(time::now_ms()),
    )
    .await?;
    let (sealed,): (String,) =
        sqlx::query_as("SELECT sealed_private_key FROM push_keys WHERE id = 'vapid'")
            .fetch_one(db.pool())
            .await?;
    let private = URL_SAFE_NO_PAD.decode(sealer.open(&sealed, PURPOSE)?)?;
    let pair = ES256KeyPair::from_bytes(&private)
        .map_err(|error| anyhow::anyhow!("the kept VAPID key is not a P-256 key: {error}"))?;
    if sealer.needs_resealing(&sealed) {
        let resealed = sealer.seal(&URL_SAFE_NO_PAD.encode(pair.to_bytes()), PURPOSE)?;
        db.write_one(
            sqlx::query("UPDATE push_keys SET sealed_private_key = $1 WHERE id = 'vapid'")
                .bind(resealed),
        )
        .await?;
    }
    Ok(VapidKeys {
        public_key: public_key_of(&pair),
        pair,
    })
}

fn public_key_of(pair: &ES256KeyPair) -> String {
    URL_SAFE_NO_PAD.encode(pair.public_key().public_key().to_bytes_uncompressed())
}
