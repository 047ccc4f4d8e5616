//! Blocks, learned from social's `person_blocked` and `person_unblocked`: between two people
//! where either blocked the other, no direct conversation starts and no direct message goes
//! through, and in a group or class channel neither is shown the other's messages.

use std::sync::Arc;

use async_trait::async_trait;
use campus_contracts::social::{PersonBlocked, PersonUnblocked};
use campus_platform::{
    db::{Db, UnitOfWork},
    events::{Envelope, Event, Handler, Subscription},
    time, Error, Result,
};

use crate::store::Caches;

pub(crate) fn subscription(caches: Caches) -> Subscription {
    Subscription::new(
        "blocks",
        vec![PersonBlocked::TYPE, PersonUnblocked::TYPE],
        Listener { caches },
    )
}

struct Listener {
    caches: Caches,
}

impl Listener {
    /// Both people's blocks are read afresh once the change commits.
    fn forget(&self, uow: &mut UnitOfWork, a: &str, b: &str) {
        let (caches, a, b) = (self.caches.clone(), a.to_owned(), b.to_owned());
        uow.after_commit(move || {
            caches.apart.forget(&a);
            caches.apart.forget(&b);
        });
    }
}

#[async_trait]
impl Handler for Listener {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        match event.event_type.as_str() {
            PersonBlocked::TYPE => {
                let block: PersonBlocked = event.data_as()?;
                sqlx::query(
                    "INSERT INTO messaging_blocks (blocker_id, blocked_id, school_id, since) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (blocker_id, blocked_id) DO NOTHING",
                )
                .bind(&block.blocker_id)
                .bind(&block.blocked_id)
                .bind(&block.school_id)
                .bind(time::now_ms())
                .execute(uow.conn())
                .await?;
                self.forget(uow, &block.blocker_id, &block.blocked_id);
            }
            PersonUnblocked::TYPE => {
                let block: PersonUnblocked = event.data_as()?;
                sqlx::query(
                    "DELETE FROM messaging_blocks WHERE blocker_id = $1 AND blocked_id = $2",
                )
                .bind(&block.blocker_id)
                .bind(&block.blocked_id)
                .execute(uow.conn())
                .await?;
                self.forget(uow, &block.blocker_id, &block.blocked_id);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Everyone with a block between them and `user_id`, whichever way.
pub(crate) async fn apart_from(
    db: &Db,
    caches: &Caches,
    user_id: &str,
) -> Result<Arc<Vec<String>>> {
    caches
        .apart
        .get_or_load(&user_id.to_owned(), || async {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT blocked_id FROM messaging_blocks WHERE blocker_id = $1 \
                 UNION SELECT blocker_id FROM messaging_blocks WHERE blocked_id = $1",
            )
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
            Ok::<_, Error>(Arc::new(rows.into_iter().map(|(id,)| id).collect()))
        })
        .await
}
