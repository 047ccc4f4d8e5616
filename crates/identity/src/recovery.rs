//! Password reset and email verification by emailed, single-use, expiring links.
//!
//! Asking for a reset answers the same whether or not the account exists; a link is sent at
//! most once a minute per account. Tokens are 256 random bits, stored hashed; a reset ends
//! every session of the account and clears its sign-in lockout.

use axum::{extract::State, http::StatusCode};
use campus_contracts::identity::{AccountStatus, AddressConfirmed};
use campus_platform::{
    auth::AuthUser, db::UnitOfWork, error::Problem, http::Json, id, sealing::Sealer, time, Error,
    Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    api::Identity,
    domain::Password,
    outgoing_mail::{self, Letter},
    secrets, store,
};

const RESET: &str = "password_reset";
const VERIFY: &str = "email_verification";
const RESET_VALID_MS: i64 = 30 * 60 * 1000;
const VERIFY_VALID_MS: i64 = 7 * 24 * 60 * 60 * 1000;
const RESEND_AFTER_MS: i64 = 60 * 1000;
const INVITE: &str = "invitation";
const INVITE_VALID_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Reset and verification by token: rate limited per client.
pub fn credential_routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
        .routes(routes!(verify_email))
        .routes(routes!(accept_invitation))
        .with_state(identity)
}

pub fn routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(resend_verification))
        .with_state(identity)
}

/// Creates a token for `user_id`, unless one of this purpose was made within the last minute.
async fn new_token(
    uow: &mut UnitOfWork,
    user_id: &str,
    purpose: &str,
    valid_ms: i64,
) -> Result<Option<String>> {
    if made_lately(uow, user_id, purpose).await? {
        return Ok(None);
    }
    make_token(uow, user_id, purpose, valid_ms).await.map(Some)
}

/// Whether a token of `purpose` was made for `user_id` within the last minute.
async fn made_lately(uow: &mut UnitOfWork, user_id: &str, purpose: &str) -> Result<bool> {
    let recent: Option<(i64,)> = sqlx::query_as(
        "SELECT created_at FROM email_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3 LIMIT 1",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(time::now_ms() - RESEND_AFTER_MS)
    .fetch_optional(uow.conn())
    .await?;
    Ok(recent.is_some())
}

async fn make_token(
    uow: &mut UnitOfWork,
    user_id: &str,
    purpose: &str,
    valid_ms: i64,
) -> Result<String> {
    let now = time::now_ms();
    let token = secrets::random_token()?;
    sqlx::query(
        "INSERT INTO email_tokens (id, user_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id::new_id_string())
    .bind(user_id)
    .bind(purpose)
    .bind(secrets::digest(&token))
    .bind(now)
    .bind(now + valid_ms)
    .execute(uow.conn())
    .await?;
    Ok(token)
}

/// Uses a token of `purpose` once; returns its user.
async fn use_token(uow: &mut UnitOfWork, token: &str, purpose: &str) -> Result<String> {
    let invalid = || {
        Error::bad_request(
            "invalid_token",
            "this link is not valid any more; ask for a new one",
        )
    };
    let row: Option<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, user_id, expires_at, used_at FROM email_tokens WHERE token_hash = $1 AND purpose = $2",
    )
    .bind(secrets::digest(token))
    .bind(purpose)
    .fetch_optional(uow.conn())
    .await?;
    let Some((token_id, user_id, expires_at, None)) = row else {
        return Err(invalid());
    };
    if expires_at <= time::now_ms() {
        return Err(invalid());
    }
    let claimed =
        sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(time::now_ms())
            .bind(&token_id)
            .execute(uow.conn())
            .await?
            .rows_affected();
    if claimed != 1 {
        return Err(invalid());
    }
    Ok(user_id)
}

/// A new invitation token for a person created without a password (none if one was made in
/// the last minute).
pub(crate) async fn invitation_token(
    uow: &mut UnitOfWork,
    user_id: &str,
) -> Result<Option<String>> {
    new_token(uow, user_id, INVITE, INVITE_VALID_MS).await
}

/// The invitation to choose a password, carrying `token`.
pub(crate) fn invitation_letter(
    public_url: &str,
    school: &store::SchoolRow,
    user: &store::UserRow,
    token: &str,
) -> Letter {
    let link = format!("{public_url}/accept-invitation?token={token}");
    Letter {
        kind: "invitation",
        to: user.email.clone(),
        subject: format!("Your {} account", school.name),
        body: format!(
            "Hello {},\n\n{} has given you a Campus Hub account. Choose your password within 7 days \
             by opening this link:\n\n{link}\n\nThen sign in with the school `{}` and this email address.\n",
            user.display_name, school.name, school.slug
        ),
        link: Some(link),
        unsubscribe: None,
    }
}

/// Queues the address-verification link for `user` with the rest of `uow` (nothing when one
/// was queued in the last minute).
pub async fn queue_verification(
    uow: &mut UnitOfWork,
    sealer: &Sealer,
    public_url: &str,
    user: &store::UserRow,
) -> Result<()> {
    if let Some(token) = new_token(uow, &user.id, VERIFY, VERIFY_VALID_MS).await? {
        let link = format!("{public_url}/verify-email?token={token}");
        let body = format!(
            "Hello {},\n\nPlease confirm your email address for Campus Hub by opening this link:\n\n{link}\n\n\
             If you did not create an account, ignore this message.\n",
            user.display_name
        );
        outgoing_mail::queue(
            uow,
            sealer,
            &Letter {
                kind: "verification",
                to: user.email.clone(),
                subject: "Confirm your email address".into(),
                body,
                link: Some(link),
                unsubscribe: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// How often the owner of an address is told that someone tried to register with it.
const ATTEMPT_NOTICE_EVERY_MS: i64 = 60 * 60 * 1000;

/// Tells the owner of `email`, who already has an account at `school`, that someone tried to
/// register with it (at most once an hour, so the notice cannot be used to flood them).
pub async fn queue_registration_attempt(
    uow: &mut UnitOfWork,
    sealer: &Sealer,
    public_url: &str,
    school: &store::SchoolRow,
    email: &str,
) -> Result<()> {
    const KIND: &str = "registration_attempt";
    let since = time::now_ms() - ATTEMPT_NOTICE_EVERY_MS;
    if outgoing_mail::queued_since(uow, email, KIND, since).await? {
        return Ok(());
    }
    let body = format!(
        "Hello,\n\nSomeone tried to create a Campus Hub account at {} with this address, which \
         already has one. If it was you, sign in with the school `{}` and this address; if you \
         have forgotten your password, you can reset it at {public_url}/reset-password.\n\n\
         If it was not you, ignore this message; nothing has changed.\n",
        school.name, school.slug
    );
    outgoing_mail::queue(
        uow,
        sealer,
        &Letter {
            kind: KIND,
            to: email.to_owned(),
            subject: format!("Your {} account", school.name),
            body,
            link: None,
            unsubscribe: None,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    pub school: String,
    pub email: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    pub status: String,
}

/// Asks for a password-reset link. Answers the same, in the same time, whether or not the
/// account exists: the request is only written down, and the reset desk answers it.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "identity", request_body = ResetRequest,
    responses((status = 202, body = Accepted)))]
async fn request_reset(
    State(identity): State<Identity>,
    Json(input): Json<ResetRequest>,
) -> Result<(StatusCode, Json<Accepted>)> {
    let slug = input.school.trim().to_ascii_lowercase();
    let email = input.email.trim().to_lowercase();
    // Nothing this long is anyone's address; no need to write it down.
    if slug.len() <= 64 && email.len() <= 254 {
        identity
            .db
            .write_one(
                sqlx::query(
                    "INSERT INTO password_reset_requests (id, school_slug, email, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id::new_id_string())
                .bind(&slug)
                .bind(&email)
                .bind(time::now_ms()),
            )
            .await?;
        identity.reset_desk.ring();
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "if the account exists, a link is on its way".into(),
        }),
    ))
}

/// Answers password-reset requests in the background: for an active account, a link by mail
/// (at most one a minute); for anything else, nothing. Requests older than an hour are dropped
/// unanswered. Any number of identity processes may run a desk; each request is answered once.
#[derive(Clone)]
pub struct ResetDesk {
    db: campus_platform::db::Db,
    public_url: String,
    sealer: std::sync::Arc<Sealer>,
    postman: outgoing_mail::Postman,
    bell: std::sync::Arc<tokio::sync::Notify>,
}

impl ResetDesk {
    const POLL: std::time::Duration = std::time::Duration::from_secs(5);
    const SETTLE: std::time::Duration = std::time::Duration::from_millis(100);
    const STALE_MS: i64 = 60 * 60 * 1000;

    pub fn new(
        db: campus_platform::db::Db,
        public_url: String,
        sealer: std::sync::Arc<Sealer>,
        postman: outgoing_mail::Postman,
    ) -> Self {
        Self {
            db,
            public_url,
            sealer,
            postman,
            bell: std::sync::Arc::default(),
        }
    }

    /// A request was written down: answer it now rather than at the next poll.
    pub fn ring(&self) {
        self.bell.notify_one();
    }

    /// Answers requests until shutdown: when rung, and every few seconds for requests written
    /// by other processes.
    pub async fn run(self, shutdown: tokio_util::sync::CancellationToken) {
        while !shutdown.is_cancelled() {
            if let Err(error) = self.answer_waiting().await {
                tracing::warn!(%error, "answering password-reset requests failed");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.bell.notified() => {
                    // Answer a moment later, in a batch: the desk's work then never runs
                    // beside the answer to the request that rang, where its cost could show.
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Self::SETTLE) => {}
                    }
                }
                _ = tokio::time::sleep(Self::POLL) => {}
            }
        }
    }

    async fn answer_waiting(&self) -> Result<()> {
        loop {
            let waiting: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT id, school_slug, email, created_at FROM password_reset_requests \
                 ORDER BY id LIMIT 50",
            )
            .fetch_all(self.db.pool())
            .await?;
            if waiting.is_empty() {
                return Ok(());
            }
            let mut queued = false;
            for (id, slug, email, created_at) in waiting {
                queued |= self.answer(&id, &slug, &email, created_at).await?;
            }
            if queued {
                self.postman.ring();
            }
        }
    }

    /// Answers one request, unless another desk took it; true when a link was queued.
    async fn answer(&self, id: &str, slug: &str, email: &str, created_at: i64) -> Result<bool> {
        let mut uow = self.db.begin().await?;
        let taken = sqlx::query("DELETE FROM password_reset_requests WHERE id = $1")
            .bind(id)
            .execute(uow.conn())
            .await?
            .rows_affected();
        if taken != 1 || created_at < time::now_ms() - Self::STALE_MS {
            uow.commit().await?;
            return Ok(false);
        }
        let user = match store::school_by_slug(&self.db, slug).await? {
            Some(school) => store::user_with_credentials(&self.db, &school.id, email)
                .await?
                .map(|(u, _)| u),
            None => None,
        };
        let mut queued = false;
        // Whoever the address belongs to, the desk asks the same questions of the database.
        let active = user.filter(|u| u.status == AccountStatus::Active);
        let asked_for = active.as_ref().map_or("", |u| u.id.as_str());
        let lately = made_lately(&mut uow, asked_for, RESET).await?;
        if let Some(user) = active.filter(|_| !lately) {
            {
                let token = make_token(&mut uow, &user.id, RESET, RESET_VALID_MS).await?;
                let link = format!("{}/reset-password?token={token}", self.public_url);
                let body = format!(
                    "Hello {},\n\nSomeone asked to reset your Campus Hub password. To choose a new one, open this \
                     link within 30 minutes:\n\n{link}\n\nIf it was not you, ignore this message; your password stays as it is.\n",
                    user.display_name
                );
                outgoing_mail::queue(
                    &mut uow,
                    &self.sealer,
                    &Letter {
                        kind: "password_reset",
                        to: user.email.clone(),
                        subject: "Reset your password".into(),
                        body,
                        link: Some(link),
                        unsubscribe: None,
                    },
                )
                .await?;
                queued = true;
            }
        }
        uow.commit().await?;
        Ok(queued)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirm {
    pub token: String,
    #[schema(schema_with = crate::domain::Password::schema)]
    pub password: String,
}

/// Sets a new password with the emailed token; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "identity", request_body = ResetConfirm,
    responses((status = 204), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn confirm_reset(
    State(identity): State<Identity>,
    Json(input): Json<ResetConfirm>,
) -> Result<StatusCode> {
    let user_id = set_password_by_token(&identity, &input, RESET).await?;
    tracing::info!(user = %user_id, "password reset");
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts an emailed invitation: the person chooses their password, which also confirms
/// their address. The link works once, for 7 days.
#[utoipa::path(post, path = "/api/v1/auth/invitation/accept", tag = "identity", request_body = ResetConfirm,
    responses((status = 204), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn accept_invitation(
    State(identity): State<Identity>,
    Json(input): Json<ResetConfirm>,
) -> Result<StatusCode> {
    let user_id = set_password_by_token(&identity, &input, INVITE).await?;
    tracing::info!(user = %user_id, "invitation accepted");
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the password of the token's person and uses the token; every session of the account
/// ends. An invitation also confirms the address it was sent to.
async fn set_password_by_token(
    identity: &Identity,
    input: &ResetConfirm,
    purpose: &str,
) -> Result<String> {
    // Look the person up first, to check the new password against their own details.
    let user_id: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(secrets::digest(&input.token))
    .bind(purpose)
    .bind(time::now_ms())
    .fetch_optional(identity.db.pool())
    .await?;
    let Some((user_id,)) = user_id else {
        return Err(Error::bad_request(
            "invalid_token",
            "this link is not valid any more; ask for a new one",
        ));
    };
    let user: Option<store::UserRow> = sqlx::query_as(&format!(
        "SELECT {} FROM users WHERE id = $1",
        store::USER_COLUMNS
    ))
    .bind(&user_id)
    .fetch_optional(identity.db.pool())
    .await?;
    let user =
        user.ok_or_else(|| Error::bad_request("invalid_token", "this link is not valid any more"))?;
    let password = Password::parse(
        "password",
        &input.password,
        &[&user.email, &user.display_name],
    )
    .map_err(|e| Error::Validation(vec![e]))?;
    let hashed = crate::password_hashing::hash(password).await?;
    let mut uow = identity.db.begin().await?;
    let used_by = use_token(&mut uow, &input.token, purpose).await?;
    if used_by != user.id {
        return Err(Error::bad_request(
            "invalid_token",
            "this link is not valid any more",
        ));
    }
    let now = time::now_ms();
    sqlx::query("UPDATE credentials SET password_hash = $1, updated_at = $2 WHERE user_id = $3")
        .bind(&hashed)
        .bind(now)
        .bind(&user.id)
        .execute(uow.conn())
        .await?;
    crate::sessions::end(
        &mut uow,
        &identity.keys.ended_sessions(),
        &user.school_id,
        &user.id,
        crate::sessions::Ending::Every,
    )
    .await?;
    sqlx::query("DELETE FROM login_throttle WHERE email = $1")
        .bind(&user.email)
        .execute(uow.conn())
        .await?;
    if purpose == INVITE {
        confirm_address(&mut uow, &user.school_id, &user.id).await?;
    }
    // A new password does not remove a second factor; whoever set one up keeps a say in every
    // sign-in. The owner must know it is there.
    if purpose == RESET && crate::two_factor::required(&identity.db, &user.id).await? {
        crate::two_factor::tell_owner(
            &mut uow,
            &identity.sealer,
            &user,
            "Your Campus Hub password was reset. Your account still has a second factor \
             (an authenticator app): signing in needs a code from it or one of your recovery \
             codes.",
        )
        .await?;
    }
    uow.commit().await?;
    identity.postman.ring();
    Ok(user.id)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyEmail {
    pub token: String,
}

/// Confirms the address with the emailed token.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "identity", request_body = VerifyEmail,
    responses((status = 204), (status = 400, body = Problem)))]
async fn verify_email(
    State(identity): State<Identity>,
    Json(input): Json<VerifyEmail>,
) -> Result<StatusCode> {
    let mut uow = identity.db.begin().await?;
    let user_id = use_token(&mut uow, &input.token, VERIFY).await?;
    let school_id: (String,) = sqlx::query_as("SELECT school_id FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(uow.conn())
        .await?;
    confirm_address(&mut uow, &school_id.0, &user_id).await?;
    uow.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks the person's address confirmed and, the first time, announces it: from then on
/// rosters and imports may find the account by that address.
async fn confirm_address(uow: &mut UnitOfWork, school_id: &str, user_id: &str) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
    )
    .bind(time::now_ms())
    .bind(user_id)
    .execute(uow.conn())
    .await?
    .rows_affected();
    if changed == 1 {
        uow.record(
            school_id,
            &AddressConfirmed {
                user_id: user_id.to_owned(),
                school_id: school_id.to_owned(),
            },
        )
        .await?;
    }
    Ok(())
}

/// Sends the verification link again (at most once a minute).
#[utoipa::path(post, path = "/api/v1/me/verify-email", tag = "identity", security(("bearer" = [])),
    responses((status = 202, body = Accepted), (status = 401, body = Problem)))]
async fn resend_verification(
    State(identity): State<Identity>,
    user: AuthUser,
) -> Result<(StatusCode, Json<Accepted>)> {
    let row = store::user(&identity.db, &user.school_id, &user.user_id)
        .await?
        .filter(|u| u.status == AccountStatus::Active)
        .ok_or_else(|| Error::Unauthenticated {
            detail: "this account is not active".into(),
        })?;
    let verified: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT email_verified_at FROM users WHERE id = $1")
            .bind(&row.id)
            .fetch_optional(identity.db.pool())
            .await?;
    if !matches!(verified, Some((Some(_),))) {
        let mut uow = identity.db.begin().await?;
        queue_verification(&mut uow, &identity.sealer, &identity.public_url, &row).await?;
        uow.commit().await?;
        identity.postman.ring();
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "if the address is not yet confirmed, a link is on its way".into(),
        }),
    ))
}
