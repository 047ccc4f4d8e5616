//! Moderators' actions in the school's audit log: social publishes each hide, restore and
//! dismissal as `moderation_taken`, and the audit log, which is identity's, records it beside
//! the other privileged actions (`moderation.hide`, `moderation.restore`,
//! `moderation.dismiss`). The inbox makes a redelivered event one entry.

use async_trait::async_trait;
use campus_contracts::social::ModerationTaken;
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
};
use serde_json::json;

use crate::store::audit;

pub(crate) fn subscription() -> Subscription {
    Subscription::new("moderation_audit", vec![ModerationTaken::TYPE], Recorder)
}

struct Recorder;

#[async_trait]
impl Handler for Recorder {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let taken: ModerationTaken = event.data_as()?;
        audit::record(
            uow,
            &taken.school_id,
            &taken.moderator_id,
            &format!("moderation.{}", taken.action),
            &format!("{}:{}", taken.subject_kind, taken.subject_id),
            json!({ "note": taken.note }),
        )
        .await?;
        Ok(())
    }
}
