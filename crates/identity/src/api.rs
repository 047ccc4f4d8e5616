//! Identity's HTTP routes: schools, registration, sign-in, sessions, profile, public keys.

use std::sync::Arc;

use campus_contracts::identity::{AccountStatus, ProfileUpdated};

use axum::{extract::State, http::StatusCode};
use campus_platform::{
    auth::{AuthUser, Role},
    db::Db,
    error::{Checks, FieldError, Problem},
    http::Json,
    locale::{LocaleTag, TimeZoneName},
    openapi::fields,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    domain::{DisplayName, Email, Password, Registration, Slug},
    keys::{Jwks, SigningKeys},
    onboarding::{self, SchoolInput},
    recovery::Accepted,
    sessions::{self, TokenPair},
    store::{self, ProfileChange, UserRow},
    throttle, two_factor,
};

#[derive(Clone)]
pub struct Identity {
    pub db: Db,
    pub keys: Arc<SigningKeys>,
    /// Delivers the mail queued by requests.
    pub postman: crate::outgoing_mail::Postman,
    /// Answers password-reset requests.
    pub reset_desk: crate::recovery::ResetDesk,
    /// Seals second-factor secrets and queued mail at rest.
    pub sealer: Arc<campus_platform::sealing::Sealer>,
    /// Where emailed links point.
    pub public_url: String,
    /// Who may create schools.
    pub school_signup: campus_platform::config::SchoolSignup,
}

/// Sign-in and sign-up, where passwords can be guessed: rate limited per client.
pub fn credential_routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_school))
        .routes(routes!(register))
        .routes(routes!(login))
        .with_state(identity)
}

/// Refresh tokens are 256 random bits, beyond guessing; a school behind one address refreshes
/// hundreds of sessions an hour, so these are not rate limited.
pub fn routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(list_sessions))
        .routes(routes!(end_session))
        .routes(routes!(jwks))
        .with_state(identity)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SchoolView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub registration: Registration,
    /// The IANA time zone the school keeps its calendar in.
    pub time_zone: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub school_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// `active`, or `deactivated` (cannot sign in).
    pub status: AccountStatus,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub grade_level: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub created_at: String,
    /// Whether the person confirmed their address through the emailed link.
    pub email_verified: bool,
    /// Whether signing in asks for a second factor; told to the person themself only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<bool>,
    /// The school's time zone, for showing times to a person who has not chosen their own;
    /// told to the person themself only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_time_zone: Option<String>,
}

impl From<UserRow> for UserView {
    fn from(user: UserRow) -> Self {
        Self {
            role: user.role,
            status: user.status,
            created_at: campus_platform::time::rfc3339(user.created_at),
            email_verified: user.email_verified_at.is_some(),
            id: user.id,
            school_id: user.school_id,
            email: user.email,
            display_name: user.display_name,
            bio: user.bio,
            avatar_url: user.avatar_url,
            grade_level: user.grade_level,
            locale: user.locale,
            time_zone: user.time_zone,
            second_factor: None,
            school_time_zone: None,
        }
    }
}

fn invalid_credentials() -> Error {
    Error::Unauthenticated {
        detail: "the school, email or password is not right".into(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateSchool {
    #[schema(schema_with = Slug::schema)]
    pub slug: String,
    #[schema(schema_with = DisplayName::schema)]
    pub name: String,
    #[schema(schema_with = Email::schema)]
    pub admin_email: String,
    #[schema(schema_with = Password::schema)]
    pub admin_password: String,
    #[schema(schema_with = DisplayName::schema)]
    pub admin_name: String,
    /// The IANA time zone the school keeps its calendar in (default `UTC`).
    #[serde(default)]
    #[schema(schema_with = TimeZoneName::optional_schema)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SchoolCreatedView {
    pub school: SchoolView,
    pub admin: UserView,
    pub tokens: TokenPair,
}

/// Creates a school and its first school admin, who is signed in.
#[utoipa::path(post, path = "/api/v1/schools", tag = "identity", request_body = CreateSchool,
    responses((status = 201, body = SchoolCreatedView), (status = 403, description = "`signup.schools` is `super_admin` and the caller is not one", body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_school(
    State(identity): State<Identity>,
    user: Option<AuthUser>,
    Json(input): Json<CreateSchool>,
) -> Result<(StatusCode, Json<SchoolCreatedView>)> {
    if identity.school_signup == campus_platform::config::SchoolSignup::SuperAdmin {
        let operator = user
            .as_ref()
            .ok_or_else(|| Error::forbidden("only platform operators create schools here"))?;
        operator.require(campus_platform::auth::Permission::OperatePlatform)?;
        current(&identity, operator).await?;
    }
    let prepared = onboarding::prepare_school(&SchoolInput {
        slug: &input.slug,
        name: &input.name,
        admin_email: &input.admin_email,
        admin_password: &input.admin_password,
        admin_name: &input.admin_name,
        time_zone: input.time_zone.as_deref(),
    })
    .await?;
    let mut uow = identity.db.begin().await?;
    let actor = user
        .filter(|u| u.can(campus_platform::auth::Permission::OperatePlatform))
        .map_or(prepared.admin.id.clone(), |u| u.user_id);
    onboarding::insert_school(&mut uow, &prepared, &actor).await?;
    let tokens = sessions::issue(&identity.keys, &mut uow, &prepared.admin, None).await?;
    uow.commit().await?;
    let onboarding::PreparedSchool { school, admin, .. } = prepared;
    let view = SchoolView {
        id: school.id,
        slug: school.slug,
        name: school.name,
        registration: school.registration,
        time_zone: school.time_zone,
    };
    Ok((
        StatusCode::CREATED,
        Json(SchoolCreatedView {
            school: view,
            admin: admin.into(),
            tokens,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Register {
    /// The school's slug.
    pub school: String,
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = Password::schema)]
    pub password: String,
    #[schema(schema_with = DisplayName::schema)]
    pub display_name: String,
    /// Required when the school registers by code.
    pub join_code: Option<String>,
}

/// Joins a school as a student, when the school's registration mode allows it. Answers 202
/// alike whether the address is new to the school or already has an account, so the answer
/// does not tell who is a member: a new account gets a link to confirm its address and can
/// sign in at once; the owner of an existing account is told by email that someone tried.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = Register,
    responses((status = 202, body = Accepted), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn register(
    State(identity): State<Identity>,
    Json(input): Json<Register>,
) -> Result<(StatusCode, Json<Accepted>)> {
    let school = store::school_by_slug(&identity.db, &input.school.trim().to_ascii_lowercase())
        .await?
        .ok_or(Error::NotFound { what: "school" })?;
    match school.registration {
        Registration::Open => {}
        Registration::Code
            if input.join_code.as_deref().map(str::trim) == Some(school.join_code.as_str()) => {}
        Registration::Code => {
            return Err(Error::forbidden(
                "this school needs its join code to register",
            ))
        }
        Registration::Invite => {
            return Err(Error::forbidden(
                "this school registers people by invitation only",
            ))
        }
    }
    // The password is hashed either way, so the time taken does not tell either.
    let mut prepared = onboarding::prepare_user(
        &school,
        &input.email,
        &input.display_name,
        &input.password,
        Role::Student,
        "email",
    )
    .await?;
    prepared.self_registered = true;
    let mut uow = identity.db.begin().await?;
    match onboarding::insert_user(&mut uow, &prepared).await {
        Ok(()) => {
            crate::recovery::queue_verification(
                &mut uow,
                &identity.sealer,
                &identity.public_url,
                &prepared.user,
            )
            .await?;
        }
        Err(Error::Conflict {
            code: "email_taken",
            ..
        }) => {
            crate::recovery::queue_registration_attempt(
                &mut uow,
                &identity.sealer,
                &identity.public_url,
                &school,
                &prepared.user.email,
            )
            .await?;
        }
        Err(other) => return Err(other),
    }
    uow.commit().await?;
    identity.postman.ring();
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "check your email to confirm your address, then sign in".into(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    pub school: String,
    pub email: String,
    pub password: String,
    /// A code from the authenticator app (or a recovery code) when the account has a
    /// second factor; without it such an account answers `second_factor_required`.
    pub totp_code: Option<String>,
}

/// Signs in. Every wrong school, email or password answers the same; after five failures
/// for one school and email, sign-in is locked for 30 s, doubling with each further failure
/// up to 15 minutes (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "identity", request_body = Login,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(identity): State<Identity>,
    Json(input): Json<Login>,
) -> Result<Json<TokenPair>> {
    Ok(Json(sign_in(&identity, input).await?))
}

/// Checks the credentials (with the lockout and the second factor) and opens a session; shared
/// by API sign-in and web sign-in.
pub(crate) async fn sign_in(identity: &Identity, input: Login) -> Result<TokenPair> {
    let slug = input.school.trim().to_ascii_lowercase();
    let email = input.email.trim().to_lowercase();
    if slug.len() > 64 || email.len() > 254 || input.password.len() > Password::MAX_LENGTH * 4 {
        return Err(invalid_credentials());
    }
    let attempt = throttle::attempt(&identity.db, &slug, &email).await?;
    let school = store::school_by_slug(&identity.db, &slug).await?;
    let found = match &school {
        Some(school) => store::user_with_credentials(&identity.db, &school.id, &email).await?,
        None => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let matches = crate::password_hashing::matches(input.password, hash).await?;
    let Some(user) = user.filter(|u| matches && u.status == AccountStatus::Active) else {
        attempt.failed().await?;
        return Err(invalid_credentials());
    };
    let mut uow = identity.db.begin().await?;
    if two_factor::required(&identity.db, &user.id).await? {
        let Some(code) = input.totp_code.as_deref().filter(|c| !c.trim().is_empty()) else {
            drop(uow);
            attempt.release().await?;
            return Err(Error::SecondFactorRequired);
        };
        if !two_factor::accept(&mut uow, &identity.sealer, &user.id, &user.email, code).await? {
            drop(uow);
            attempt.failed().await?;
            return Err(invalid_credentials());
        }
    }
    let tokens = sessions::issue(&identity.keys, &mut uow, &user, None).await?;
    uow.commit().await?;
    attempt.succeeded().await?;
    Ok(tokens)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshToken {
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair. A token used twice revokes its whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "identity", request_body = RefreshToken,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
async fn refresh(
    State(identity): State<Identity>,
    Json(input): Json<RefreshToken>,
) -> Result<Json<TokenPair>> {
    Ok(Json(
        sessions::refresh(&identity.db, &identity.keys, &input.refresh_token).await?,
    ))
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", request_body = RefreshToken,
    responses((status = 204)))]
async fn logout(
    State(identity): State<Identity>,
    Json(input): Json<RefreshToken>,
) -> Result<StatusCode> {
    sessions::logout(&identity.db, &identity.keys, &input.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user's profile.
pub(crate) async fn current(identity: &Identity, user: &AuthUser) -> Result<UserRow> {
    let row = store::user(&identity.db, &user.school_id, &user.user_id).await?;
    // A deactivated account's tokens stop working at once.
    row.filter(|u| u.status == AccountStatus::Active)
        .ok_or_else(|| Error::Unauthenticated {
            detail: "this account is not active".into(),
        })
}

#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = Problem)))]
async fn me(State(identity): State<Identity>, user: AuthUser) -> Result<Json<UserView>> {
    let account = current(&identity, &user).await?;
    let second_factor = two_factor::required(&identity.db, &account.id).await?;
    let school = store::school_by_id(&identity.db, &account.school_id).await?;
    Ok(Json(UserView {
        second_factor: Some(second_factor),
        school_time_zone: school.map(|school| school.time_zone),
        ..account.into()
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    #[schema(schema_with = fields::optional_required_line::<{ DisplayName::MAX_LENGTH }>)]
    pub display_name: Option<String>,
    /// `null` or blank clears it.
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = fields::optional_text::<{ BIO_MAX }>)]
    pub bio: Option<Option<String>>,
    /// An https address, or a path on this server; `null` or blank clears it.
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = avatar_schema)]
    pub avatar_url: Option<Option<String>>,
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = fields::optional_line::<{ GRADE_LEVEL_MAX }>)]
    pub grade_level: Option<Option<String>>,
    /// The language pages are shown in.
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = LocaleTag::optional_schema)]
    pub locale: Option<Option<String>>,
    /// Dates and times are shown in this time zone.
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(schema_with = TimeZoneName::optional_schema)]
    pub time_zone: Option<Option<String>>,
}

/// Limits of the profile's free fields.
pub(crate) const BIO_MAX: usize = 2000;
pub(crate) const AVATAR_MAX: usize = 2000;
pub(crate) const GRADE_LEVEL_MAX: usize = 40;

/// An https address, or a path on this server.
fn avatar_schema() -> utoipa::openapi::Object {
    let path = "[A-Za-z0-9._~%!$&'()*+,;=:@-][A-Za-z0-9._~%!$&'()*+,;=:@/-]*";
    fields::optional_pattern(
        &format!("^(\\s*|https://{}(/{path})?|/({path})?)$", fields::HOST),
        AVATAR_MAX,
    )
}

/// Absent leaves a field alone; `null` clears it.
fn bounded(
    field: &str,
    value: &Option<Option<String>>,
    max: usize,
    checks: &mut Checks,
) -> Option<Option<String>> {
    match value {
        Some(Some(text)) if text.chars().count() > max => {
            checks.push(FieldError::new(
                field,
                "too_long",
                format!("at most {max} characters"),
            ));
            None
        }
        Some(Some(text)) if text.trim().is_empty() => Some(None),
        Some(Some(text)) => Some(Some(text.trim().to_owned())),
        Some(None) => Some(None),
        None => None,
    }
}

/// A field checked by `parse` when given; `null` or blank clears it.
fn checked(
    value: &Option<Option<String>>,
    checks: &mut Checks,
    parse: impl Fn(&str) -> std::result::Result<String, FieldError>,
) -> Option<Option<String>> {
    match value {
        Some(Some(text)) if text.trim().is_empty() => Some(None),
        Some(Some(text)) => checks.check(parse(text)).map(Some),
        Some(None) => Some(None),
        None => None,
    }
}

#[utoipa::path(patch, path = "/api/v1/me", tag = "identity", security(("bearer" = [])), request_body = UpdateProfile,
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn update_me(
    State(identity): State<Identity>,
    user: AuthUser,
    Json(input): Json<UpdateProfile>,
) -> Result<Json<UserView>> {
    let mut checks = Checks::default();
    let display_name = match &input.display_name {
        Some(name) => checks
            .check(DisplayName::parse("display_name", name))
            .map(|n| n.as_str().to_owned()),
        None => None,
    };
    let avatar_url = match bounded("avatar_url", &input.avatar_url, AVATAR_MAX, &mut checks) {
        Some(Some(link)) => checks
            .check(crate::domain::avatar_link("avatar_url", &link))
            .map(Some),
        other => other,
    };
    let change = ProfileChange {
        display_name,
        bio: bounded("bio", &input.bio, BIO_MAX, &mut checks),
        avatar_url,
        grade_level: bounded(
            "grade_level",
            &input.grade_level,
            GRADE_LEVEL_MAX,
            &mut checks,
        ),
        locale: checked(&input.locale, &mut checks, |text| {
            LocaleTag::parse("locale", text).map(|l| l.as_str().to_owned())
        }),
        time_zone: checked(&input.time_zone, &mut checks, |text| {
            TimeZoneName::parse("time_zone", text).map(|z| z.as_str().to_owned())
        }),
    };
    checks.finish()?;
    let before = current(&identity, &user).await?;
    let mut uow = identity.db.begin().await?;
    let after = store::update_profile(&mut uow, &before, &change).await?;
    uow.record(
        &after.school_id,
        &ProfileUpdated {
            user_id: after.id.clone(),
            school_id: after.school_id.clone(),
            display_name: after.display_name.clone(),
            avatar_url: after.avatar_url.clone(),
            grade_level: after.grade_level.clone(),
            locale: after.locale.clone(),
            time_zone: after.time_zone.clone(),
        },
    )
    .await?;
    uow.commit().await?;
    Ok(Json(after.into()))
}

/// The caller's signed-in sessions (devices and browsers).
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = [sessions::SessionView]), (status = 401, body = Problem)))]
async fn list_sessions(
    State(identity): State<Identity>,
    user: AuthUser,
) -> Result<Json<Vec<sessions::SessionView>>> {
    let account = current(&identity, &user).await?;
    Ok(Json(sessions::list(&identity.db, &account.id).await?))
}

/// Ends one of the caller's sessions: its refresh token stops working.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "identity", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
async fn end_session(
    State(identity): State<Identity>,
    user: AuthUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode> {
    let account = current(&identity, &user).await?;
    sessions::revoke(
        &identity.db,
        &identity.keys,
        &account.school_id,
        &account.id,
        &id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The public keys access tokens are signed with (RFC 7517).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "identity", responses((status = 200, body = Jwks)))]
async fn jwks(State(identity): State<Identity>) -> Result<Json<Jwks>> {
    Ok(Json(identity.keys.jwks().await?))
}
