//! Background work a context runs beside its routes: a mail postman, key rotation, pruning.
//!
//! A context hands its tasks to the process as [`Task`] values; the process spawns them, tells
//! them when to stop through a cancellation token, and waits for each at shutdown, so nothing
//! a context started outlives the process's orderly stop.

use std::{future::Future, pin::Pin, time::Duration};

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

type Run = Box<dyn FnOnce(CancellationToken) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A named piece of background work that ends when its token is cancelled.
pub struct Task {
    name: &'static str,
    run: Run,
}

impl Task {
    /// Work that watches `shutdown` itself and returns once it is cancelled; a unit of work in
    /// progress should finish first.
    pub fn new<F, Fut>(name: &'static str, run: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self {
            name,
            run: Box::new(move |shutdown| Box::pin(run(shutdown))),
        }
    }

    /// Runs `tick` every `period` until shutdown (the first time one period after start).
    pub fn every<F, Fut>(name: &'static str, period: Duration, tick: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::new(name, move |shutdown| every(period, shutdown, tick))
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The task's future, to be spawned by whoever owns the process's tasks.
    pub fn start(self, shutdown: CancellationToken) -> impl Future<Output = ()> + Send {
        let name = self.name;
        let run = (self.run)(shutdown);
        async move {
            run.await;
            tracing::debug!(task = name, "background task stopped");
        }
    }
}

/// Calls `tick` every `period` until `shutdown` is cancelled. A tick in progress is let finish;
/// ticks missed while one ran long are not made up.
pub async fn every<F, Fut>(period: Duration, shutdown: CancellationToken, mut tick: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = interval.tick() => tick().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    };

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_periodic_task_ticks_until_shutdown() {
        let ticks = Arc::new(AtomicU32::new(0));
        let counted = ticks.clone();
        let shutdown = CancellationToken::new();
        let task = Task::every("count", Duration::from_secs(10), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        let running = tokio::spawn(task.start(shutdown.clone()));
        tokio::time::sleep(Duration::from_secs(35)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 3);
        shutdown.cancel();
        running.await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 3);
    }
}
