//! Moderators' actions in the school's audit log: social publishes each hide, restore and
//! dismissal as `moderation_taken`, and the audit log, which is identity's, records it beside
//! the other privileged actions (`moderation.hide`, `moderation.restore`,
//! `moderation.dismiss`); messaging does the same for messages as `message_moderated`. The inbox makes a redelivered event one entry.

use async_trait::async_trait;
use campus_contracts::{messaging::MessageModerated, social::ModerationTaken};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
};
use serde_json::json;

use crate::store::audit;

pub(crate) fn subscription() -> Subscription {
    Subscription::new("moderation_audit", vec![ModerationTaken::TYPE], Recorder)
}

/// The same for messages, which messaging moderates (`message:<id>` in the log).
pub(crate) fn messages_subscription() -> Subscription {
    Subscription::new(
        "message_moderation_audit",
        vec![MessageModerated::TYPE],
        Recorder,
    )
}

struct Recorder;

#[async_trait]
impl Handler for Recorder {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let (school_id, moderator_id, action, target, note) =
            if event.event_type == MessageModerated::TYPE {
                let taken: MessageModerated = event.data_as()?;
                let target = format!("message:{}", taken.message_id);
                (
                    taken.school_id,
                    taken.moderator_id,
                    taken.action,
                    target,
                    taken.note,
                )
            } else {
                let taken: ModerationTaken = event.data_as()?;
                let target = format!("{}:{}", taken.subject_kind, taken.subject_id);
                (
                    taken.school_id,
                    taken.moderator_id,
                    taken.action,
                    target,
                    taken.note,
                )
            };
        audit::record(
            uow,
            &school_id,
            &moderator_id,
            &format!("moderation.{action}"),
            &target,
            json!({ "note": note }),
        )
        .await?;
        Ok(())
    }
}
