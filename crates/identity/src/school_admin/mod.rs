//! Running a school: its people (list, create, invite, import, change role, deactivate,
//! reactivate), its settings (registration mode, join code), its audit log, and for super
//! admins the platform's schools. A school's admins act in their own school only; super admins
//! name the school they act in with `?school=<slug>`. Every query is scoped by that school, so
//! another school's ids answer 404 like ids that do not exist.
//!
//! Rooms: `people`, `accounts` (roles, deactivation, second-factor reset), `settings`, `audit_log`, `schools`.
//! Who acts, and in which school, is decided here.

mod accounts;
mod audit_log;
mod people;
mod schools;
mod settings;

use campus_platform::{
    auth::{AuthUser, Permission},
    db::UnitOfWork,
    Error, Result,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    api::Identity,
    store::{self, audit, UserRow},
};

pub fn routes(identity: Identity) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(people::list_users, people::create_user))
        .routes(routes!(people::import_users))
        .routes(routes!(people::invite_user))
        .routes(routes!(people::get_user))
        .routes(routes!(accounts::change_role))
        .routes(routes!(accounts::deactivate))
        .routes(routes!(accounts::reactivate))
        .routes(routes!(accounts::reset_second_factor))
        .routes(routes!(settings::get_school, settings::update_school))
        .routes(routes!(settings::rotate_join_code))
        .routes(routes!(audit_log::list_audit))
        .routes(routes!(schools::list_schools))
        .with_state(identity)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct InSchool {
    /// Super admins only: the slug of the school to act in (default: the caller's own).
    pub school: Option<String>,
}

/// Who acts, and in which school.
struct Acting {
    by: AuthUser,
    school: store::SchoolRow,
}

impl Acting {
    /// The caller, allowed `permission` by their token and by their account as it is now (a
    /// demoted or deactivated admin loses these routes at once, not when their token expires),
    /// in their own school or — for super admins — the school they name.
    async fn resolve(
        identity: &Identity,
        user: AuthUser,
        permission: Permission,
        in_school: InSchool,
    ) -> Result<Self> {
        let allowed = authorize(identity, &user, permission).await?;
        Self::in_school(identity, user, allowed, in_school).await
    }

    /// The caller in their own school, or in the school they name when both their token and
    /// their account (`allowed`, as it is now) operate the platform.
    async fn in_school(
        identity: &Identity,
        user: AuthUser,
        allowed: &[Permission],
        in_school: InSchool,
    ) -> Result<Self> {
        let own = store::school_by_id(&identity.db, &user.school_id)
            .await?
            .ok_or(Error::NotFound { what: "school" })?;
        let school = match in_school.school.map(|s| s.trim().to_ascii_lowercase()) {
            None => own,
            Some(slug) if slug == own.slug => own,
            Some(slug) => {
                if !(user.can(Permission::OperatePlatform)
                    && allowed.contains(&Permission::OperatePlatform))
                {
                    return Err(Error::forbidden("only super admins act in another school"));
                }
                store::school_by_slug(&identity.db, &slug)
                    .await?
                    .ok_or(Error::NotFound { what: "school" })?
            }
        };
        Ok(Self { by: user, school })
    }

    /// One of the school's people.
    async fn member(&self, identity: &Identity, id: &str) -> Result<UserRow> {
        store::user(&identity.db, &self.school.id, id)
            .await?
            .ok_or(Error::NotFound { what: "user" })
    }

    async fn audit(
        &self,
        uow: &mut UnitOfWork,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        audit::record(
            uow,
            &self.school.id,
            &self.by.user_id,
            action,
            target,
            detail,
        )
        .await
    }
}

/// The token's role must allow it, and so must the account as it is now; returns what the
/// account may do.
async fn authorize(
    identity: &Identity,
    user: &AuthUser,
    permission: Permission,
) -> Result<&'static [Permission]> {
    user.require(permission)?;
    let allowed = permissions_now(identity, user).await?;
    if !allowed.contains(&permission) {
        return Err(Error::forbidden("your role does not allow this"));
    }
    Ok(allowed)
}

/// What the caller's account may do as it is now (401 once it is deactivated).
async fn permissions_now(identity: &Identity, user: &AuthUser) -> Result<&'static [Permission]> {
    let account = crate::api::current(identity, user).await?;
    Ok(campus_platform::auth::permissions_of(account.role))
}
