//! Live delivery: what a context hands the real-time hub for the people connected to it.
//!
//! A context that has something to show someone at once (a new notification, later a chat
//! message or a typing indicator) sends a [`Dispatch`] once its unit of work has committed.
//! The hub, wherever it runs, passes each frame to that person's open sockets.
//!
//! In one process the dispatches go straight to the hub in memory. In the distributed shape
//! the process that produced them publishes them on a NATS subject and every process follows
//! that subject (the bus crate wires it), so a person connected to one node receives what a
//! context on another produced. Live frames are a courtesy on top of what is stored: one that
//! is lost (a node restarting) is found again by the client resuming from the last id it saw.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// Dispatch batches a hub may fall behind by before it skips some (it then counts them).
const HUB_BACKLOG: usize = 4096;

/// What one person's sockets are to be told or made to do.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dispatch {
    /// A frame (`{"type": ..., "data": ...}`, already serialized) for the person's sockets.
    Frame {
        school_id: String,
        user_id: String,
        /// The stored item's id, which a resuming client names as the last it saw.
        id: Option<String>,
        frame: String,
    },
    /// Close the person's sockets: every one of them (a deactivation), or those of the named
    /// sessions (signed out, ended from the session list).
    Close {
        school_id: String,
        user_id: String,
        /// Empty: every session of the person.
        session_ids: Vec<String>,
    },
}

impl Dispatch {
    /// A frame of `kind` carrying `data` (the stored item `id`), for one person.
    pub fn frame(
        school_id: &str,
        user_id: &str,
        kind: &str,
        id: Option<&str>,
        data: &impl Serialize,
    ) -> serde_json::Result<Self> {
        Ok(Self::Frame {
            school_id: school_id.to_owned(),
            user_id: user_id.to_owned(),
            id: id.map(str::to_owned),
            frame: frame_text(kind, data)?,
        })
    }

    pub fn school_id(&self) -> &str {
        match self {
            Self::Frame { school_id, .. } | Self::Close { school_id, .. } => school_id,
        }
    }
}

/// One frame of `kind` with `data` for each of `audience` in `school_id`, but `except` one
/// (the person whose own action it tells of). A frame that cannot be written is logged and
/// sent to nobody: live frames are a courtesy a reload makes up for.
pub fn frames_for(
    school_id: &str,
    audience: &[String],
    except: Option<&str>,
    kind: &str,
    data: &impl Serialize,
) -> Vec<Dispatch> {
    let text = match frame_text(kind, data) {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(%error, kind, "a live frame could not be written");
            return Vec::new();
        }
    };
    audience
        .iter()
        .filter(|user_id| Some(user_id.as_str()) != except)
        .map(|user_id| Dispatch::Frame {
            school_id: school_id.to_owned(),
            user_id: user_id.clone(),
            id: None,
            frame: text.clone(),
        })
        .collect()
}

/// A frame as the socket carries it.
#[derive(Serialize)]
struct Frame<'a, T> {
    r#type: &'a str,
    data: &'a T,
}

/// The text of a frame of `kind` carrying `data`.
pub fn frame_text(kind: &str, data: &impl Serialize) -> serde_json::Result<String> {
    serde_json::to_string(&Frame { r#type: kind, data })
}

/// Carries dispatches to every process of the installation (NATS in the distributed shape).
#[async_trait]
pub trait Fanout: Send + Sync {
    async fn publish(&self, dispatches: &[Dispatch]) -> anyhow::Result<()>;
}

/// Dispatch batches waiting for the fan-out; past this, live frames are dropped (and
/// counted) rather than held, as a client's resume finds them again.
const FANOUT_BACKLOG: usize = 4096;

/// The process's live delivery. Cheap to clone; clones share the hub's channel.
#[derive(Clone)]
pub struct Live {
    local: broadcast::Sender<Arc<Vec<Dispatch>>>,
    /// To the one task that publishes through the fan-out, in the order sent.
    fanout: Arc<OnceLock<mpsc::Sender<Vec<Dispatch>>>>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            local: broadcast::channel(HUB_BACKLOG).0,
            fanout: Arc::default(),
        }
    }
}

impl Live {
    /// Dispatches reach every process through `fanout` from now on (set once, at start-up,
    /// inside the runtime): one task publishes them, so they leave in the order sent.
    pub fn fan_out_through(&self, fanout: Arc<dyn Fanout>) {
        let (queue, mut batches) = mpsc::channel::<Vec<Dispatch>>(FANOUT_BACKLOG);
        if self.fanout.set(queue).is_err() {
            return;
        }
        tokio::spawn(async move {
            while let Some(batch) = batches.recv().await {
                if let Err(error) = fanout.publish(&batch).await {
                    metrics::counter!("campus_live_fanout_failures_total").increment(1);
                    tracing::warn!(%error, "live dispatches could not be fanned out");
                }
            }
        });
    }

    /// Sends `dispatches` to the hubs; call it once the change they describe has committed.
    /// Never fails the caller: what does not arrive live is found again on resume.
    pub fn send(&self, dispatches: Vec<Dispatch>) {
        if dispatches.is_empty() {
            return;
        }
        metrics::counter!("campus_live_dispatches_total").increment(dispatches.len() as u64);
        match self.fanout.get() {
            None => self.deliver_here(dispatches),
            Some(queue) => {
                if queue.try_send(dispatches).is_err() {
                    metrics::counter!("campus_live_fanout_failures_total").increment(1);
                    tracing::warn!("the live fan-out is behind; dispatches dropped");
                }
            }
        }
    }

    /// Hands `dispatches` to the hubs of this process (what the fan-out follower calls).
    pub fn deliver_here(&self, dispatches: Vec<Dispatch>) {
        // No receiver: no hub runs in this process, and nobody is connected here.
        let _ = self.local.send(Arc::new(dispatches));
    }

    /// What a hub listens to.
    pub fn listen(&self) -> broadcast::Receiver<Arc<Vec<Dispatch>>> {
        self.local.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_process_delivers_in_memory() {
        let live = Live::default();
        let mut hub = live.listen();
        let dispatch = Dispatch::frame(
            "s",
            "u",
            "notification",
            None,
            &serde_json::json!({"id": 1}),
        )
        .expect("serializable");
        live.send(vec![dispatch.clone()]);
        let got = hub.recv().await.expect("a batch");
        assert_eq!(got.as_slice(), &[dispatch]);
    }

    #[test]
    fn a_frame_is_type_and_data() {
        let Dispatch::Frame { frame, .. } = Dispatch::frame(
            "s",
            "u",
            "notification",
            Some("n1"),
            &serde_json::json!({"id": "n1"}),
        )
        .expect("serializable") else {
            panic!("a frame");
        };
        assert_eq!(frame, r#"{"type":"notification","data":{"id":"n1"}}"#);
    }
}
