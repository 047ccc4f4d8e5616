//! Sessions: a short-lived access token plus a rotating refresh token.
//!
//! Refresh tokens are random, stored only as SHA-256 hashes, and used once: refreshing marks
//! the token used and issues the next of its family. A used token presented again means it
//! was copied, so the whole family is revoked and its holder must sign in again.

use campus_contracts::identity::{AccountStatus, SessionsEnded};
use campus_platform::{
    auth::Claims,
    db::{Db, UnitOfWork},
    ended_sessions::EndedSessions,
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
    let family = family.map_or_else(id::new_id_string, str::to_owned);
    let claims = Claims {
        sub: user.id.clone(),
        school: user.school_id.clone(),
        role: user.role,
        exp: now / 1000 + ACCESS_TOKEN_SECS,
        iat: now / 1000,
        jti: id::new_id_string(),
        typ: "access".into(),
        sid: family.clone(),
    };
    let access_token = keys.sign(&claims).await?;
    let refresh_token = secrets::random_token()?;
    sqlx::query(
        "INSERT INTO refresh_tokens (id, family_id, user_id, school_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id::new_id_string())
    .bind(&family)
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
    refresh_or_race(db, keys, token, 0)
        .await?
        .ok_or_else(rejected)
}

/// As [`refresh`], but tells a lost race apart: `None` when another request used the token at
/// the same moment or less than `race_ms` before (two tabs of one browser renewing at once),
/// which leaves the session going on. Any later reuse is a replay and ends the session.
pub async fn refresh_or_race(
    db: &Db,
    keys: &SigningKeys,
    token: &str,
    race_ms: i64,
) -> Result<Option<TokenPair>> {
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
    let raced = match row.used_at {
        None => claimed == 0,
        Some(used) => now - used < race_ms,
    };
    if raced {
        // Another request claimed it between our read and our claim: two refreshes racing
        // (two tabs of one browser), not a replay of an old token. This one loses, and the
        // session goes on.
        return Ok(None);
    }
    if row.used_at.is_some() {
        end(
            &mut uow,
            &keys.ended_sessions(),
            &row.school_id,
            &row.user_id,
            Ending::One(&row.family_id),
        )
        .await?;
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
    Ok(Some(pair))
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored, so the answer
/// tells nothing.
pub async fn logout(db: &Db, keys: &SigningKeys, token: &str) -> Result<()> {
    let owner: Option<(String, String, String)> = sqlx::query_as(
        "SELECT family_id, user_id, school_id FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(secrets::digest(token))
    .fetch_optional(db.pool())
    .await?;
    if let Some((family, user_id, school_id)) = owner {
        let mut uow = db.begin().await?;
        end(
            &mut uow,
            &keys.ended_sessions(),
            &school_id,
            &user_id,
            Ending::One(&family),
        )
        .await?;
        uow.commit().await?;
    }
    Ok(())
}

/// Which of a person's sessions end.
pub enum Ending<'a> {
    /// One session (refresh-token family).
    One(&'a str),
    /// Every session: a password reset, a deactivation.
    Every,
}

/// Ends sessions of the person: their refresh tokens stop now, and their access tokens are
/// refused `here` (this process's list) once the unit commits and in every other once `SessionsEnded`
/// reaches it. Returns the sessions that were still live.
pub async fn end(
    uow: &mut UnitOfWork,
    here: &EndedSessions,
    school_id: &str,
    user_id: &str,
    which: Ending<'_>,
) -> Result<Vec<String>> {
    let family = match which {
        Ending::One(family) => Some(family),
        Ending::Every => None,
    };
    let live: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT family_id FROM refresh_tokens \
         WHERE user_id = $1 AND revoked_at IS NULL AND ($2 IS NULL OR family_id = $2)",
    )
    .bind(user_id)
    .bind(family)
    .fetch_all(uow.conn())
    .await?;
    let ended: Vec<String> = live.into_iter().map(|(family,)| family).collect();
    if ended.is_empty() {
        return Ok(ended);
    }
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 \
         WHERE user_id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR family_id = $3)",
    )
    .bind(time::now_ms())
    .bind(user_id)
    .bind(family)
    .execute(uow.conn())
    .await?;
    uow.record(
        school_id,
        &SessionsEnded {
            user_id: user_id.to_owned(),
            school_id: school_id.to_owned(),
            session_ids: ended.clone(),
        },
    )
    .await?;
    let here = here.clone();
    let now_ended = ended.clone();
    uow.after_commit(move || here.end(now_ended));
    Ok(ended)
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
pub async fn revoke(
    db: &Db,
    keys: &SigningKeys,
    school_id: &str,
    user_id: &str,
    family: &str,
) -> Result<()> {
    let mut uow = db.begin().await?;
    if end(
        &mut uow,
        &keys.ended_sessions(),
        school_id,
        user_id,
        Ending::One(family),
    )
    .await?
    .is_empty()
    {
        return Err(Error::NotFound { what: "session" });
    }
    uow.commit().await?;
    Ok(())
}
