//! The real-time hub's switchboard: which sockets are open for whom, and passing each live
//! dispatch (see `campus_platform::live`) to the sockets of the person it is for.
//!
//! Every socket has a small bounded queue. The switchboard never waits for a socket: a queue
//! that is full belongs to a client that stopped reading, and that socket is closed with
//! [`TOO_SLOW`] rather than allowed to hold frames in memory. The client reconnects and
//! resumes from the last id it saw.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, OnceLock, RwLock,
    },
};

use async_trait::async_trait;
use axum::extract::ws::{CloseCode, Utf8Bytes};
use campus_contracts::identity::{SessionsEnded, UserDeactivated};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
    live::{Dispatch, Live},
    tasks::Task,
};
use tokio::sync::{broadcast::error::RecvError, mpsc};

use crate::push::subscriptions::{retire, Browsers};
use tokio_util::sync::CancellationToken;

/// Frames a socket may have waiting before its client counts as too slow.
pub(crate) const QUEUE: usize = 64;

/// Why the server closed a socket, as the close frame says it (RFC 6455 section 7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closing {
    pub code: CloseCode,
    pub reason: &'static str,
}

/// The client did not read its frames; it may reconnect and resume.
pub(crate) const TOO_SLOW: Closing = Closing {
    code: 1008,
    reason: "too slow: frames were not read; reconnect and resume",
};
/// The session ended or the account was deactivated (4000 + the HTTP status).
pub(crate) const SIGNED_OUT: Closing = Closing {
    code: 4401,
    reason: "the session has ended; sign in again",
};
/// The server is stopping; another may take the reconnect.
pub(crate) const GOING_AWAY: Closing = Closing {
    code: 1001,
    reason: "the server is restarting; reconnect",
};

/// A frame on its way to one socket.
pub(crate) struct Outgoing {
    /// The stored item's id, for skipping what a resume already sent.
    pub id: Option<String>,
    pub text: Utf8Bytes,
}

/// One open socket as the switchboard sees it.
pub(crate) struct Line {
    number: u64,
    pub school_id: String,
    pub user_id: String,
    pub session_id: String,
    queue: mpsc::Sender<Outgoing>,
    closed: CancellationToken,
    closing: OnceLock<Closing>,
}

impl Line {
    /// Asks the socket to close with `why` (the first reason given wins).
    pub(crate) fn close(&self, why: Closing) {
        let _ = self.closing.set(why);
        self.closed.cancel();
    }

    /// Resolves once the socket has been asked to close, with the reason.
    pub(crate) async fn closed(&self) -> Closing {
        self.closed.cancelled().await;
        self.closing.get().copied().unwrap_or(GOING_AWAY)
    }

    /// Queues a frame without waiting; a full queue closes the socket.
    fn offer(&self, frame: Outgoing) {
        match self.queue.try_send(frame) {
            Ok(()) => metrics::counter!("campus_live_frames_total").increment(1),
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("campus_live_too_slow_total").increment(1);
                self.close(TOO_SLOW);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// The sockets open in this process, by person.
#[derive(Clone, Default)]
pub(crate) struct Switchboard {
    lines: Arc<RwLock<HashMap<String, Vec<Arc<Line>>>>>,
    numbers: Arc<AtomicU64>,
}

impl Switchboard {
    /// Connects a socket of `user_id`'s; frames for them arrive on the receiver.
    pub(crate) fn connect(
        &self,
        school_id: &str,
        user_id: &str,
        session_id: &str,
    ) -> (Arc<Line>, mpsc::Receiver<Outgoing>) {
        let (queue, frames) = mpsc::channel(QUEUE);
        let line = Arc::new(Line {
            number: self.numbers.fetch_add(1, Ordering::Relaxed),
            school_id: school_id.to_owned(),
            user_id: user_id.to_owned(),
            session_id: session_id.to_owned(),
            queue,
            closed: CancellationToken::new(),
            closing: OnceLock::new(),
        });
        let mut lines = self.lines.write().unwrap_or_else(|p| p.into_inner());
        lines
            .entry(user_id.to_owned())
            .or_default()
            .push(line.clone());
        metrics::gauge!("campus_live_sockets").increment(1.0);
        (line, frames)
    }

    pub(crate) fn disconnect(&self, line: &Line) {
        let mut lines = self.lines.write().unwrap_or_else(|p| p.into_inner());
        if let Some(open) = lines.get_mut(&line.user_id) {
            open.retain(|other| other.number != line.number);
            if open.is_empty() {
                lines.remove(&line.user_id);
            }
        }
        metrics::gauge!("campus_live_sockets").decrement(1.0);
    }

    /// Passes each dispatch to the sockets it is for.
    pub(crate) fn deliver(&self, dispatches: &[Dispatch]) {
        let lines = self.lines.read().unwrap_or_else(|p| p.into_inner());
        for dispatch in dispatches {
            match dispatch {
                Dispatch::Frame {
                    school_id,
                    user_id,
                    id,
                    frame,
                } => {
                    for line in lines.get(user_id).into_iter().flatten() {
                        if &line.school_id == school_id {
                            line.offer(Outgoing {
                                id: id.clone(),
                                text: Utf8Bytes::from(frame.clone()),
                            });
                        }
                    }
                }
                Dispatch::Close {
                    school_id,
                    user_id,
                    session_ids,
                } => {
                    for line in lines.get(user_id).into_iter().flatten() {
                        let named =
                            session_ids.is_empty() || session_ids.contains(&line.session_id);
                        if &line.school_id == school_id && named {
                            line.close(SIGNED_OUT);
                        }
                    }
                }
            }
        }
    }

    /// Every socket is asked to fetch afresh (frames were skipped while the hub fell behind).
    fn tell_everyone(&self, frame: &'static str) {
        let lines = self.lines.read().unwrap_or_else(|p| p.into_inner());
        for line in lines.values().flatten() {
            line.offer(Outgoing {
                id: None,
                text: Utf8Bytes::from_static(frame),
            });
        }
    }

    fn close_all(&self, why: Closing) {
        let lines = self.lines.read().unwrap_or_else(|p| p.into_inner());
        for line in lines.values().flatten() {
            line.close(why);
        }
    }

    /// Follows the process's live dispatches until shutdown, then closes every socket.
    pub(crate) fn task(&self, live: &Live) -> Task {
        let switchboard = self.clone();
        let mut dispatches = live.listen();
        Task::new("live hub", move |shutdown| async move {
            loop {
                let batch = tokio::select! {
                    () = shutdown.cancelled() => break,
                    batch = dispatches.recv() => batch,
                };
                match batch {
                    Ok(batch) => switchboard.deliver(&batch),
                    Err(RecvError::Lagged(skipped)) => {
                        metrics::counter!("campus_live_skipped_total").increment(skipped);
                        tracing::warn!(skipped, "the live hub fell behind; clients resync");
                        switchboard.tell_everyone(r#"{"type":"resync","data":{}}"#);
                    }
                    Err(RecvError::Closed) => break,
                }
            }
            switchboard.close_all(GOING_AWAY);
        })
    }
}

/// Sign-outs and deactivations close the person's sockets on every node (identity's events
/// reach one process, which dispatches the closing to all) and retire the browsers subscribed
/// to push in those sessions.
pub(crate) fn sign_outs(live: Live) -> Subscription {
    Subscription::new(
        "sign_outs",
        vec![SessionsEnded::TYPE, UserDeactivated::TYPE],
        SignOuts { live },
    )
}

struct SignOuts {
    live: Live,
}

#[async_trait]
impl Handler for SignOuts {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let closing = match event.event_type.as_str() {
            SessionsEnded::TYPE => {
                let ended: SessionsEnded = event.data_as()?;
                // A browser subscribed in an ended session (a shared computer) is pushed to
                // no more.
                for session_id in &ended.session_ids {
                    retire(uow, Browsers::OfSession(session_id)).await?;
                }
                Dispatch::Close {
                    school_id: ended.school_id,
                    user_id: ended.user_id,
                    session_ids: ended.session_ids,
                }
            }
            UserDeactivated::TYPE => {
                let gone: UserDeactivated = event.data_as()?;
                retire(uow, Browsers::Of(&gone.user_id)).await?;
                Dispatch::Close {
                    school_id: gone.school_id,
                    user_id: gone.user_id,
                    session_ids: Vec::new(),
                }
            }
            _ => return Ok(()),
        };
        let live = self.live.clone();
        uow.after_commit(move || live.send(vec![closing]));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(user: &str, n: usize) -> Dispatch {
        Dispatch::frame("school", user, "notification", None, &n).expect("serializable")
    }

    #[tokio::test]
    async fn a_frame_reaches_only_its_persons_sockets() {
        let board = Switchboard::default();
        let (_ada, mut ada_frames) = board.connect("school", "ada", "s1");
        let (_ada_too, mut ada_tab_frames) = board.connect("school", "ada", "s2");
        let (_bo, mut bo_frames) = board.connect("school", "bo", "s3");
        let (_other, mut elsewhere) = board.connect("other school", "ada", "s4");
        board.deliver(&[frame("ada", 1)]);
        assert_eq!(
            ada_frames.recv().await.expect("a frame").text.as_str(),
            r#"{"type":"notification","data":1}"#
        );
        assert!(ada_tab_frames.try_recv().is_ok(), "every tab of hers");
        assert!(bo_frames.try_recv().is_err(), "not his");
        assert!(elsewhere.try_recv().is_err(), "not another school's");
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_is_closed_not_buffered() {
        let board = Switchboard::default();
        let (line, _unread) = board.connect("school", "ada", "s1");
        let frames: Vec<Dispatch> = (0..QUEUE).map(|n| frame("ada", n)).collect();
        board.deliver(&frames);
        assert!(
            !line.closed.is_cancelled(),
            "a full queue is still within bounds"
        );
        board.deliver(&[frame("ada", QUEUE)]);
        assert_eq!(line.closed().await, TOO_SLOW);
    }

    #[tokio::test]
    async fn ending_a_session_closes_its_sockets_only() {
        let board = Switchboard::default();
        let (ended, _a) = board.connect("school", "ada", "s1");
        let (kept, _b) = board.connect("school", "ada", "s2");
        board.deliver(&[Dispatch::Close {
            school_id: "school".into(),
            user_id: "ada".into(),
            session_ids: vec!["s1".into()],
        }]);
        assert_eq!(ended.closed().await, SIGNED_OUT);
        assert!(!kept.closed.is_cancelled());
        board.disconnect(&ended);
        board.deliver(&[Dispatch::Close {
            school_id: "school".into(),
            user_id: "ada".into(),
            session_ids: vec![],
        }]);
        assert_eq!(
            kept.closed().await,
            SIGNED_OUT,
            "a deactivation closes every socket"
        );
    }
}
