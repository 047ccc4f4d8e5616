//! The identity context: schools (tenants), users, credentials, sessions and the keys every
//! other context trusts tokens by.

pub mod api;
pub mod audit;
pub mod domain;
pub mod keys;
pub mod onboarding;
pub mod outgoing_mail;
pub mod password_hashing;
pub mod recovery;
pub mod roster;
pub mod secrets;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod two_factor;
pub mod users;
pub mod web_sign_in;

use std::{sync::Arc, time::Duration};

use campus_platform::{
    context::{Context, ContextEnv},
    rate_limit::{self, ClientLimiter},
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// How often key rotation is checked.
const ROTATION_CHECK: Duration = Duration::from_secs(60);

pub fn context() -> Context {
    Context::new("identity", &MIGRATIONS)
        .routes(|env: &ContextEnv| {
            let keys = Arc::new(keys::SigningKeys::new(env.db.clone(), env.keys.clone()));
            // The one postman of this process: requests ring it after queueing mail.
            let postman = outgoing_mail::Postman::new(env.db.clone(), env.mailer.clone());
            tokio::spawn(postman.clone().run(env.shutdown.clone()));
            let identity = api::Identity {
                db: env.db.clone(),
                keys,
                postman,
                public_url: env.config.public_url(),
                school_signup: env.config.signup.schools,
            };
            let limiter = ClientLimiter::from_config(&env.config.http, env.redis.clone());
            let credentials = api::credential_routes(identity.clone())
                .merge(recovery::credential_routes(identity.clone()))
                .merge(web_sign_in::credential_routes(identity.clone()))
                .layer(axum::middleware::from_fn_with_state(
                    limiter.clone(),
                    rate_limit::limit,
                ));
            let shutdown = env.shutdown.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(60)) => limiter.forget_idle(),
                    }
                }
            });
            credentials
                .merge(api::routes(identity.clone()))
                .merge(users::routes(identity.clone()))
                .merge(two_factor::routes(identity.clone()))
                .merge(recovery::routes(identity))
        })
        .on_start(|env: ContextEnv| async move {
            let keys = keys::SigningKeys::new(env.db.clone(), env.keys.clone());
            // Before the first request: tokens signed before a restart verify at once.
            keys.rotate().await?;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = env.shutdown.cancelled() => return,
                        _ = tokio::time::sleep(ROTATION_CHECK) => {}
                    }
                    if let Err(error) = keys.rotate().await {
                        tracing::warn!(error = format!("{error:#}"), "signing key rotation failed");
                    }
                    if let Err(error) = throttle::forget_stale(&env.db).await {
                        tracing::warn!(%error, "pruning sign-in failures failed");
                    }
                }
            });
            Ok(())
        })
}
