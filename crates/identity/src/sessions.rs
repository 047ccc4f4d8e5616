//! Sessions: a short-lived access token plus a rotating refresh token.
//!
//! Refresh tokens are random, stored only as SHA-256 hashes, and used once: refreshing marks
//! the token used and issues the next of its family. A used token presented again means it
//! was copied, so the whole family is revoked and its holder must sign in again.

use campus_contracts::identity::AccountStatus;
use campus_platform::{
    auth::Claims,
    db::{Db, UnitOfWork},
    id, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    keys::{SigningKeys, ACCESS_TOKEN_SECS},
    secrets,
    store::{self, UserRow},
};

pub const REFRESH_TOKEN_MS: i64 = 30 * 24 * 60 * 60 * 1000;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

fn rejected() -> Error {
    Error::Unauthenticated {
        detail: "the refresh token is not valid; sign in again".into(),
    }
}

/// Issues a token pair for `user`, continuing `family` or starting a new one.
pub async fn issue(
    keys: &SigningKeys,
    uow: &mut UnitOfWork,
    user: &UserRow,
    family: Option<&str>,
) -> Result<TokenPair> {
    let now = time::now_ms();
    let claims = Claims {
        sub: user.id.clone(),
        school: user.school_id.clone(),
        role: user.role,
        exp: now / 1000 + ACCESS_TOKEN_SECS,
        iat: now / 1000,
        jti: id::new_id_string(),
        typ: "access".into(),
    };
    let access_token = keys.sign(&claims).await?;
    let refresh_token = secrets::random_token()?;
    sqlx::query(
        "INSERT INTO refresh_tokens (id, family_id, user_id, school_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id::new_id_string())
    .bind(family.map_or_else(id::new_id_string, str::to_owned))
    .bind(&user.id)
    .bind(&user.school_id)
    .bind(secrets::digest(&refresh_token))
    .bind(now)
    .bind(now + REFRESH_TOKEN_MS)
    .execute(uow.conn())
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TOKEN_SECS,
    })
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    id: String,
    family_id: String,
    user_id: String,
    school_id: String,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// Uses a refresh token once and issues the next pair of its family.
pub async fn refresh(db: &Db, keys: &SigningKeys, token: &str) -> Result<TokenPair> {
    let now = time::now_ms();
    let mut uow = db.begin().await?;
    let row: Option<RefreshRow> = sqlx::query_as(
        "SELECT id, family_id, user_id, school_id, expires_at, used_at, revoked_at \
         FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(secrets::digest(token))
    .fetch_optional(uow.conn())
    .await?;
    let Some(row) = row else {
        return Err(rejected());
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(rejected());
    }
    // Claim the token; of two refreshes racing with it, exactly one gets here first.
    let claimed =
        sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(&row.id)
            .execute(uow.conn())
            .await?
            .rows_affected();
    if row.used_at.is_some() || claimed == 0 {
        revoke_family(&mut uow, &row.family_id).await?;
        uow.commit().await?;
        tracing::warn!(family = %row.family_id, user = %row.user_id, "refresh token reused; family revoked");
        return Err(rejected());
    }
    let user = store::user(db, &row.school_id, &row.user_id)
        .await?
        .ok_or_else(rejected)?;
    if user.status != AccountStatus::Active {
        return Err(rejected());
    }
    let pair = issue(keys, &mut uow, &user, Some(&row.family_id)).await?;
    uow.commit().await?;
    Ok(pair)
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored, so the answer
/// tells nothing.
pub async fn logout(db: &Db, token: &str) -> Result<()> {
    let family: Option<(String,)> =
        sqlx::query_as("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(secrets::digest(token))
            .fetch_optional(db.pool())
            .await?;
    if let Some((family,)) = family {
        let mut uow = db.begin().await?;
        revoke_family(&mut uow, &family).await?;
        uow.commit().await?;
    }
    Ok(())
}

async fn revoke_family(uow: &mut UnitOfWork, family: &str) -> Result<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(time::now_ms())
    .bind(family)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// One signed-in device or browser: a refresh-token family.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub started_at: String,
    /// When its tokens were last refreshed.
    pub last_active_at: String,
    pub expires_at: String,
}

/// The person's live sessions, newest first.
pub async fn list(db: &Db, user_id: &str) -> Result<Vec<SessionView>> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT family_id, MIN(created_at), MAX(created_at), MAX(expires_at) FROM refresh_tokens \
         WHERE user_id = $1 AND revoked_at IS NULL GROUP BY family_id \
         HAVING MAX(expires_at) > $2 ORDER BY MAX(created_at) DESC",
    )
    .bind(user_id)
    .bind(time::now_ms())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, started, last, expires)| SessionView {
            id,
            started_at: time::rfc3339(started),
            last_active_at: time::rfc3339(last),
            expires_at: time::rfc3339(expires),
        })
        .collect())
}

/// Ends one of the person's sessions; another person's session answers 404.
pub async fn revoke(db: &Db, user_id: &str, family: &str) -> Result<()> {
    let mut uow = db.begin().await?;
    let revoked = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(time::now_ms())
    .bind(family)
    .bind(user_id)
    .execute(uow.conn())
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(Error::NotFound { what: "session" });
    }
    uow.commit().await?;
    Ok(())
}
