//! The identity context: schools (tenants), users, credentials, sessions and the keys every
//! other context trusts tokens by.

pub(crate) mod api;
pub(crate) mod domain;
pub(crate) mod keys;
pub(crate) mod moderation_audit;
pub(crate) mod onboarding;
pub mod operator;
pub(crate) use campus_platform::outgoing_mail;
pub(crate) mod password_hashing;
pub(crate) mod recovery;
pub(crate) mod roster;
pub(crate) mod school_admin;
pub(crate) use campus_platform::secrets;
pub(crate) mod sessions;
pub(crate) mod store;
pub(crate) mod throttle;
pub(crate) mod two_factor;
pub(crate) mod web_sign_in;

use std::{sync::Arc, time::Duration};

use campus_platform::{
    context::{Context, ContextEnv, Running},
    rate_limit::{self, ClientLimiter},
    tasks::Task,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// How often key rotation is checked.
const ROTATION_CHECK: Duration = Duration::from_secs(60);
/// How often idle per-client rate-limit counters and stale sign-in failures are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub fn context() -> Context {
    Context::new("identity", &MIGRATIONS, start).with_outgoing_mail()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let sealer = env.sealer()?;
    let keys = Arc::new(keys::SigningKeys::new(
        env.db.clone(),
        env.keys.clone(),
        sealer.clone(),
    ));
    // Before the first request: tokens signed before a restart verify at once.
    keys.rotate().await?;
    // The one postman of this process: requests ring it after queueing mail.
    let postman = outgoing_mail::Postman::new(env.db.clone(), env.mailer()?, sealer.clone());
    // Secrets still in clear, or under a key since retired, are sealed with the current one.
    let resealed = keys.reseal().await?
        + two_factor::reseal(&env.db, &sealer).await?
        + postman.reseal().await?;
    if resealed > 0 {
        tracing::info!(resealed, "secrets at rest sealed with the current key");
    }
    let reset_desk = recovery::ResetDesk::new(
        env.db.clone(),
        env.config.public_url(),
        sealer.clone(),
        postman.clone(),
    );
    let identity = api::Identity {
        db: env.db.clone(),
        keys: keys.clone(),
        postman: postman.clone(),
        reset_desk: reset_desk.clone(),
        sealer: sealer.clone(),
        public_url: env.config.public_url(),
        school_signup: env.config.signup.schools,
    };
    let limiter = ClientLimiter::from_config(&env.config.http, env.redis()?);
    let credentials = rate_limit::limit_routes(
        api::credential_routes(identity.clone())
            .merge(recovery::credential_routes(identity.clone()))
            .merge(web_sign_in::credential_routes(identity.clone())),
        limiter.clone(),
    );
    let routes = credentials
        .merge(api::routes(identity.clone()))
        .merge(school_admin::routes(identity.clone()))
        .merge(two_factor::routes(identity.clone()))
        .merge(recovery::routes(identity));
    let db = env.db.clone();
    let mut running = Running::new(routes);
    if env.hears_from("social") {
        running = running.subscribe(moderation_audit::subscription());
    }
    if env.hears_from("messaging") {
        running = running.subscribe(moderation_audit::messages_subscription());
    }
    Ok(running
        .task(postman.task())
        .task(Task::new("password-reset desk", move |shutdown| {
            reset_desk.run(shutdown)
        }))
        .task(Task::every(
            "signing key rotation",
            ROTATION_CHECK,
            move || {
                let keys = keys.clone();
                async move {
                    if let Err(error) = keys.rotate().await {
                        tracing::warn!(error = format!("{error:#}"), "signing key rotation failed");
                    }
                }
            },
        ))
        .task(Task::every("forget idle limits", PRUNE_EVERY, move || {
            let limiter = limiter.clone();
            let db = db.clone();
            async move {
                limiter.forget_idle();
                if let Err(error) = throttle::forget_stale(&db).await {
                    tracing::warn!(%error, "pruning sign-in failures failed");
                }
            }
        })))
}
