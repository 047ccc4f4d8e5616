//! What courses learns from identity: the school's people, their roles and whether they may
//! still sign in. Kept in `people`, so a teacher can enroll a class by email, the class view
//! shows names, and a role change or deactivation applies to courses at once rather than when
//! the caller's access token expires.

use std::sync::Arc;

use async_trait::async_trait;
use campus_contracts::identity::{
    ProfileUpdated, UserDeactivated, UserReactivated, UserRegistered, UserRoleChanged,
};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
    time,
};

use crate::shelf::Caches;

pub fn subscriptions(caches: Arc<Caches>) -> Vec<Subscription> {
    vec![Subscription::new(
        "people",
        vec![
            UserRegistered::TYPE,
            ProfileUpdated::TYPE,
            UserRoleChanged::TYPE,
            UserDeactivated::TYPE,
            UserReactivated::TYPE,
        ],
        People { caches },
    )]
}

struct People {
    caches: Arc<Caches>,
}

#[async_trait]
impl Handler for People {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let now = time::now_ms();
        // A cached standing may be read again before this commits; it lives two seconds.
        let field = |name: &str| event.data.get(name).and_then(|v| v.as_str());
        if let (Some(school_id), Some(user_id)) = (field("school_id"), field("user_id")) {
            self.caches.forget_person(school_id, user_id);
        }
        match event.event_type.as_str() {
            UserRegistered::TYPE => {
                let user: UserRegistered = event.data_as()?;
                sqlx::query(
                    "INSERT INTO people (user_id, school_id, email, display_name, role, status, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'active', $6) \
                     ON CONFLICT (user_id) DO UPDATE SET email = $3, display_name = $4, role = $5, updated_at = $6",
                )
                .bind(&user.user_id)
                .bind(&user.school_id)
                .bind(user.email.to_lowercase())
                .bind(&user.display_name)
                .bind(user.role.as_str())
                .bind(now)
                .execute(uow.conn())
                .await?;
            }
            ProfileUpdated::TYPE => {
                let profile: ProfileUpdated = event.data_as()?;
                update(uow, "display_name", &profile.display_name, &profile.user_id).await?;
            }
            UserRoleChanged::TYPE => {
                let change: UserRoleChanged = event.data_as()?;
                update(uow, "role", change.new_role.as_str(), &change.user_id).await?;
            }
            UserDeactivated::TYPE => {
                let user: UserDeactivated = event.data_as()?;
                update(uow, "status", "deactivated", &user.user_id).await?;
            }
            UserReactivated::TYPE => {
                let user: UserReactivated = event.data_as()?;
                update(uow, "status", "active", &user.user_id).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Sets one column of a known person. Identity's stream carries a person's registration
/// before anything else about them (all their events share one subject), so the row exists.
async fn update(
    uow: &mut UnitOfWork,
    column: &'static str,
    value: &str,
    user_id: &str,
) -> anyhow::Result<()> {
    sqlx::query(&format!(
        "UPDATE people SET {column} = $1, updated_at = $2 WHERE user_id = $3"
    ))
    .bind(value)
    .bind(time::now_ms())
    .bind(user_id)
    .execute(uow.conn())
    .await?;
    Ok(())
}
