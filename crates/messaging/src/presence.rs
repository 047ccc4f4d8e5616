//! Presence told live: when someone opens or closes the app (in any process), the people they
//! share a direct or group conversation with, who have it open themselves, get a `presence`
//! frame saying whether they are online now. Class channels are left out (a class of thirty
//! opening the app at the start of a lesson would be hundreds of frames for a list nobody
//! watches); their pages show who is online when they open. Nobody hears of someone with a
//! block between them.
//!
//! Every process running messaging hears every change and tells the same frames: a member's
//! page may get one twice when two such processes run, which changes nothing it shows.

use campus_platform::{live::frames_for, presence::PresenceChange, tasks::Task, Result};
use tokio::sync::broadcast::error::RecvError;

use crate::{blocks, frames::Presence, store, Messaging};

pub(crate) fn teller(messaging: Messaging) -> Task {
    Task::new(
        "presence to conversation partners",
        move |shutdown| async move {
            let mut changes = messaging.presence.changes();
            loop {
                let change = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    change = changes.recv() => match change {
                        Ok(change) => change,
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "presence changes came faster than they could be told; some pages show them on their next load");
                            continue;
                        }
                        Err(RecvError::Closed) => return,
                    },
                };
                if let Err(error) = tell(&messaging, &change).await {
                    tracing::warn!(%error, "a presence change could not be told");
                }
            }
        },
    )
}

async fn tell(messaging: &Messaging, change: &PresenceChange) -> Result<()> {
    let (school_id, user_id) = (&change.school_id, &change.user_id);
    let mut partners = store::partners(&messaging.db, school_id, user_id).await?;
    if partners.is_empty() {
        return Ok(());
    }
    let apart = blocks::apart_from(&messaging.db, &messaging.caches, user_id).await?;
    partners.retain(|partner| !apart.contains(partner));
    partners.push(user_id.clone());
    let online = messaging.presence.online(school_id, &partners).await;
    let listening: Vec<String> = partners
        .into_iter()
        .filter(|partner| partner != user_id && online.contains(partner))
        .collect();
    messaging.live.send(frames_for(
        school_id,
        &listening,
        None,
        "presence",
        &Presence {
            user_id,
            online: online.contains(user_id),
        },
    ));
    Ok(())
}
