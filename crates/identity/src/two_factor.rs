//! TOTP second factor (RFC 6238) with one-time recovery codes.
//!
//! Enrolment gives the person a secret (and an `otpauth://` URI for their authenticator app);
//! it takes effect once they confirm it with a current code, which also hands them ten
//! recovery codes, shown once and stored hashed. Each code is accepted once: the newest
//! accepted 30-second step is remembered, so a code seen over someone's shoulder cannot be
//! replayed.

use axum::{extract::State, http::StatusCode};
use campus_contracts::identity::AccountStatus;
use campus_platform::{
    auth::AuthUser,
    db::{Db, UnitOfWork},
    error::Problem,
    http::Json,
    sealing::Sealer,
    time, Error, Result,
};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    api::Identity,
    outgoing_mail::{self, Letter},
    secrets,
    store::{self, audit},
    throttle,
};

const STEP_SECS: u64 = 30;

/// What a person's TOTP secret is sealed for.
fn purpose(user_id: &str) -> String {
    format!("identity.totp:{user_id}")
}

/// Seals TOTP secrets still in clear, or under a retired installation key, with the current
/// one; returns how many.
pub(crate) async fn reseal(db: &Db, sealer: &Sealer) -> anyhow::Result<usize> {
    let stored: Vec<(String, String)> = sqlx::query_as("SELECT user_id, secret FROM totp_factors")
        .fetch_all(db.pool())
        .await?;
    let mut resealed = 0;
    for (user_id, secret) in stored {
        if !sealer.needs_resealing(&secret) {
            continue;
        }
        let plain = sealer.open(&secret, &purpose(&user_id))?;
        db.write_one(
            sqlx::query("UPDATE totp_factors SET secret = $1 WHERE user_id = $2")
                .bind(sealer.seal(&plain, &purpose(&user_id))?)
                .bind(&user_id),
        )
        .await?;
        resealed += 1;
    }
    Ok(resealed)
}
const RECOVERY_CODES: usize = 10;

pub fn routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(enrol))
        .routes(routes!(confirm))
        .routes(routes!(disable))
        .with_state(identity)
}

fn totp(secret_base32: &str, account: &str) -> Result<TOTP> {
    let secret = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|_| anyhow::anyhow!("stored TOTP secret is not base32"))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret,
        Some("Campus Hub".to_owned()),
        account.to_owned(),
    )
    .map_err(|e| Error::internal(anyhow::anyhow!("TOTP setup failed: {e}")))
}

/// Recovery codes are compared without case or dashes.
fn hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    secrets::digest(&normalized)
}

/// The 30-second step `code` is valid for (now, or one step either side), if any.
fn matching_step(totp: &TOTP, code: &str) -> Option<u64> {
    let now = (time::now_ms() / 1000) as u64;
    [now.saturating_sub(STEP_SECS), now, now + STEP_SECS]
        .into_iter()
        .find(|t| totp.generate(*t) == code.trim())
        .map(|t| t / STEP_SECS)
}

/// Whether the user has a second factor at all, confirmed or still being enrolled.
pub(crate) async fn enrolled(db: &Db, user_id: &str) -> Result<bool> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.is_some())
}

/// Whether the user has a confirmed second factor.
pub async fn required(db: &Db, user_id: &str) -> Result<bool> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT confirmed_at FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(matches!(row, Some((Some(_),))))
}

/// Accepts a current TOTP code not used before, or an unused recovery code, inside `uow`.
pub async fn accept(
    uow: &mut UnitOfWork,
    sealer: &Sealer,
    user_id: &str,
    account: &str,
    code: &str,
) -> Result<bool> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT secret, last_step FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user_id)
            .fetch_optional(uow.conn())
            .await?;
    let Some((secret, last_step)) = row else {
        return Ok(false);
    };
    let secret = sealer.open(&secret, &purpose(user_id))?;
    if let Some(step) = matching_step(&totp(&secret, account)?, code) {
        let step = step as i64;
        // Claimed atomically: of two sign-ins with the same code, one wins.
        let claimed = sqlx::query(
            "UPDATE totp_factors SET last_step = $1 WHERE user_id = $2 AND last_step < $1",
        )
        .bind(step)
        .bind(user_id)
        .execute(uow.conn())
        .await?
        .rows_affected();
        return Ok(claimed == 1 && step > last_step);
    }
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(time::now_ms())
    .bind(user_id)
    .bind(hash(code))
    .execute(uow.conn())
    .await?
    .rows_affected();
    Ok(used == 1)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Enrolment {
    /// The shared secret, base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Enrol {
    /// The account's current password: a session left open on a shared computer must not be
    /// enough to put a factor only someone else holds on the account.
    pub password: String,
}

/// Starts (or restarts) enrolling a second factor; it takes effect once confirmed. Needs the
/// password; a wrong one counts towards the sign-in lockout.
#[utoipa::path(post, path = "/api/v1/me/2fa/enrol", tag = "identity", request_body = Enrol, security(("bearer" = [])),
    responses((status = 200, body = Enrolment), (status = 401, body = Problem), (status = 409, body = Problem),
        (status = 429, body = Problem)))]
async fn enrol(
    State(identity): State<Identity>,
    user: AuthUser,
    Json(input): Json<Enrol>,
) -> Result<Json<Enrolment>> {
    let account = account(&identity, &user).await?;
    if required(&identity.db, &user.user_id).await? {
        return Err(Error::conflict(
            "two_factor_enabled",
            "a second factor is already on; disable it first",
        ));
    }
    reauthenticate(&identity, &account, input.password, None).await?;
    let mut secret = [0u8; 20];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    let encoded = Secret::Raw(secret.to_vec()).to_encoded().to_string();
    let totp = totp(&encoded, &account.email)?;
    let mut uow = identity.db.begin().await?;
    sqlx::query(
        "INSERT INTO totp_factors (user_id, secret, confirmed_at, last_step, created_at) VALUES ($1, $2, NULL, 0, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = NULL, last_step = 0, \
         created_at = excluded.created_at",
    )
    .bind(&user.user_id)
    .bind(identity.sealer.seal(&encoded, &purpose(&user.user_id))?)
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    uow.commit().await?;
    Ok(Json(Enrolment {
        secret: encoded,
        otpauth_url: totp.get_url(),
    }))
}

async fn account(identity: &Identity, user: &AuthUser) -> Result<store::UserRow> {
    store::user(&identity.db, &user.school_id, &user.user_id)
        .await?
        .filter(|u| u.status == AccountStatus::Active)
        .ok_or_else(|| Error::Unauthenticated {
            detail: "this account is not active".into(),
        })
}

/// Checks the account's password, and a code of its second factor when given, as sign-in
/// does: under the same lockout, so these routes are no way around it.
async fn reauthenticate(
    identity: &Identity,
    account: &store::UserRow,
    password: String,
    code: Option<&str>,
) -> Result<()> {
    let school = store::school_by_id(&identity.db, &account.school_id)
        .await?
        .ok_or(Error::NotFound { what: "school" })?;
    let attempt = throttle::attempt(&identity.db, &school.slug, &account.email).await?;
    let hash = store::user_with_credentials(&identity.db, &account.school_id, &account.email)
        .await?
        .map(|(_, hash)| hash);
    let mut right = crate::password_hashing::matches(password, hash).await?;
    if let (true, Some(code)) = (right, code) {
        let mut uow = identity.db.begin().await?;
        right = accept(
            &mut uow,
            &identity.sealer,
            &account.id,
            &account.email,
            code,
        )
        .await?;
        uow.commit().await?;
    }
    if !right {
        attempt.failed().await?;
        return Err(Error::Unauthenticated {
            detail: "the password or code is not right".into(),
        });
    }
    attempt.succeeded().await
}

/// Removes the person's second factor and recovery codes.
pub(crate) async fn remove(uow: &mut UnitOfWork, user_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
        .bind(user_id)
        .execute(uow.conn())
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// Tells the owner by email that their account's second factor changed, so a change they did
/// not make does not go unnoticed.
pub(crate) async fn tell_owner(
    uow: &mut UnitOfWork,
    sealer: &Sealer,
    account: &store::UserRow,
    what: &str,
) -> Result<()> {
    let body = format!(
        "Hello {},\n\n{what}\n\nIf this was not you or your school, tell your school's \
         administrator at once: they can remove the second factor and end every session of \
         your account.\n",
        account.display_name
    );
    outgoing_mail::queue(
        uow,
        sealer,
        &Letter {
            kind: "security_notice",
            to: account.email.clone(),
            subject: "Your account's sign-in settings changed".into(),
            body,
            link: None,
            unsubscribe: None,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Code {
    pub code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodes {
    /// Shown once; each works once in place of a code from the app.
    pub recovery_codes: Vec<String>,
}

/// Turns the second factor on with a current code from the app; returns recovery codes.
#[utoipa::path(post, path = "/api/v1/me/2fa/confirm", tag = "identity", request_body = Code, security(("bearer" = [])),
    responses((status = 200, body = RecoveryCodes), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn confirm(
    State(identity): State<Identity>,
    user: AuthUser,
    Json(input): Json<Code>,
) -> Result<Json<RecoveryCodes>> {
    let account = account(&identity, &user).await?;
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT secret, confirmed_at FROM totp_factors WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_optional(identity.db.pool())
            .await?;
    let Some((secret, None)) = row else {
        return Err(Error::conflict(
            "nothing_to_confirm",
            "start with POST /api/v1/me/2fa/enrol",
        ));
    };
    let secret = identity.sealer.open(&secret, &purpose(&user.user_id))?;
    let Some(step) = matching_step(&totp(&secret, &account.email)?, &input.code) else {
        return Err(Error::invalid(
            "code",
            "wrong_code",
            "that code is not the current one",
        ));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| recovery_code())
        .collect::<anyhow::Result<_>>()?;
    let mut uow = identity.db.begin().await?;
    sqlx::query("UPDATE totp_factors SET confirmed_at = $1, last_step = $2 WHERE user_id = $3")
        .bind(time::now_ms())
        .bind(step as i64)
        .bind(&user.user_id)
        .execute(uow.conn())
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(&user.user_id)
        .execute(uow.conn())
        .await?;
    for code in &codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(&user.user_id)
            .bind(hash(code))
            .execute(uow.conn())
            .await?;
    }
    audit::record(
        &mut uow,
        &user.school_id,
        &user.user_id,
        "two_factor.enabled",
        &user.user_id,
        json!({}),
    )
    .await?;
    tell_owner(
        &mut uow,
        &identity.sealer,
        &account,
        "A second factor (an authenticator app) was turned on for your Campus Hub account.",
    )
    .await?;
    uow.commit().await?;
    identity.postman.ring();
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

fn recovery_code() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    Ok(format!("{}-{}", &chars[..5], &chars[5..]))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Disable {
    pub password: String,
    /// A current code from the app, or a recovery code.
    pub code: String,
}

/// Turns the second factor off; needs the password and a code. Wrong ones count towards the
/// sign-in lockout.
#[utoipa::path(post, path = "/api/v1/me/2fa/disable", tag = "identity", request_body = Disable, security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn disable(
    State(identity): State<Identity>,
    user: AuthUser,
    Json(input): Json<Disable>,
) -> Result<StatusCode> {
    let account = account(&identity, &user).await?;
    reauthenticate(&identity, &account, input.password, Some(&input.code)).await?;
    let mut uow = identity.db.begin().await?;
    remove(&mut uow, &user.user_id).await?;
    audit::record(
        &mut uow,
        &user.school_id,
        &user.user_id,
        "two_factor.disabled",
        &user.user_id,
        json!({}),
    )
    .await?;
    tell_owner(
        &mut uow,
        &identity.sealer,
        &account,
        "The second factor of your Campus Hub account was turned off.",
    )
    .await?;
    uow.commit().await?;
    identity.postman.ring();
    Ok(StatusCode::NO_CONTENT)
}
