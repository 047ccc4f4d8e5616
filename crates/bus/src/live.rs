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
        // NATS refuses a message above the server's `max_payload` (1 MiB by default): an
        // announcement to a large course is sent as several.
        let limit = match self.client.server_info().max_payload {
            0 => DEFAULT_MAX_PAYLOAD,
            limit => limit,
        };
        for (school, batch) in by_school {
            let subject = format!("{}.live.{}", self.namespace, subject_token(school));
            let items = batch
                .iter()
                .map(serde_json::to_vec)
                .collect::<Result<Vec<_>, _>>()?;
            for payload in json_arrays(items, limit) {
                self.client
                    .publish(subject.clone(), payload.into())
                    .await
                    .context("NATS refused a live dispatch")?;
            }
        }
        Ok(())
    }
}

/// NATS's default largest message.
const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// JSON arrays of `items` (each already JSON), each at most `limit` bytes where the items
/// allow it (a single item larger than that goes alone).
fn json_arrays(items: Vec<Vec<u8>>, limit: usize) -> Vec<Vec<u8>> {
    let mut arrays = Vec::new();
    let mut current: Vec<u8> = b"[".to_vec();
    for item in items {
        // The item, a comma before it and the closing bracket.
        if current.len() > 1 && current.len() + item.len() + 2 > limit {
            current.push(b']');
            arrays.push(std::mem::replace(&mut current, b"[".to_vec()));
        }
        if current.len() > 1 {
            current.push(b',');
        }
        current.extend_from_slice(&item);
    }
    if current.len() > 1 {
        current.push(b']');
        arrays.push(current);
    }
    arrays
}

/// A school id as one subject token (ids are ULIDs; anything else is made safe).
fn subject_token(school: &str) -> String {
    school
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::json_arrays;

    #[test]
    fn a_large_batch_is_split_under_the_limit_and_loses_nothing() {
        let items: Vec<Vec<u8>> = (0..1000)
            .map(|n| {
                serde_json::to_vec(&serde_json::json!({ "n": n, "pad": "x".repeat(90) })).unwrap()
            })
            .collect();
        let arrays = json_arrays(items, 10_000);
        assert!(arrays.len() > 10, "{}", arrays.len());
        let mut seen = Vec::new();
        for array in &arrays {
            assert!(array.len() <= 10_000, "{}", array.len());
            let values: Vec<serde_json::Value> = serde_json::from_slice(array).unwrap();
            seen.extend(values.into_iter().map(|v| v["n"].as_i64().unwrap()));
        }
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
        assert!(json_arrays(Vec::new(), 10).is_empty());
        let alone = json_arrays(vec![b"\"too long for the limit\"".to_vec()], 4);
        assert_eq!(alone, vec![b"[\"too long for the limit\"]".to_vec()]);
    }
}
