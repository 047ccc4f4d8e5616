//! Live dispatches across processes (see `campus_platform::live`): each batch is published on
//! the core NATS subject `<namespace>.live.<school>`, and every process follows
//! `<namespace>.live.>` and hands what arrives to its own hub. Core NATS, not JetStream: a live
//! frame that misses a node is found again when the client resumes, so nothing is stored twice.

use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use campus_platform::{
    live::{Dispatch, Fanout, Live},
    tasks::Task,
};
use futures::StreamExt;

pub(crate) struct NatsFanout {
    client: async_nats::Client,
    namespace: String,
}

impl NatsFanout {
    pub(crate) fn new(client: async_nats::Client, namespace: &str) -> Self {
        Self {
            client,
            namespace: namespace.to_owned(),
        }
    }

    /// Publishes to NATS from now on, and follows what every process publishes.
    pub(crate) fn install(self, live: &Live) -> Task {
        let client = self.client.clone();
        let subject = format!("{}.live.>", self.namespace);
        live.fan_out_through(Arc::new(self));
        let live = live.clone();
        Task::new("live fan-out follower", move |shutdown| async move {
            let mut subscriber = match client.subscribe(subject.clone()).await {
                Ok(subscriber) => subscriber,
                Err(error) => {
                    tracing::error!(%error, %subject, "cannot follow live dispatches");
                    return;
                }
            };
            loop {
                let message = tokio::select! {
                    () = shutdown.cancelled() => break,
                    message = subscriber.next() => message,
                };
                let Some(message) = message else { break };
                match serde_json::from_slice::<Vec<Dispatch>>(&message.payload) {
                    Ok(dispatches) => live.deliver_here(dispatches),
                    Err(error) => tracing::warn!(%error, "a malformed live dispatch was ignored"),
                }
            }
            let _ = subscriber.unsubscribe().await;
        })
    }
}

#[async_trait]
impl Fanout for NatsFanout {
    async fn publish(&self, dispatches: &[Dispatch]) -> anyhow::Result<()> {
        // One message per school in the batch, so a subject names whose frames it carries.
        let mut by_school: Vec<(&str, Vec<&Dispatch>)> = Vec::new();
        for dispatch in dispatches {
            match by_school
                .iter_mut()
                .find(|(s, _)| *s == dispatch.school_id())
            {
                Some((_, batch)) => batch.push(dispatch),
                None => by_school.push((dispatch.school_id(), vec![dispatch])),
            }
        }
        for (school, batch) in by_school {
            let subject = format!("{}.live.{}", self.namespace, subject_token(school));
            let payload = serde_json::to_vec(&batch)?;
            self.client
                .publish(subject, payload.into())
                .await
                .context("NATS refused a live dispatch")?;
        }
        Ok(())
    }
}

/// A school id as one subject token (ids are ULIDs; anything else is made safe).
fn subject_token(school: &str) -> String {
    school
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
