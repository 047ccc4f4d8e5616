//! `/healthz` (the process answers) and `/readyz` (its dependencies answer too).
//!
//! A load balancer takes an instance out of rotation on a 503 from `/readyz`; the body names
//! the dependency that failed, so an operator knows where to look. Only a dependency the
//! process cannot serve without (its databases, the signing keys) makes it 503: with Redis or
//! the bus down it serves on (rate limits counted alone, events waiting in the outbox) and
//! answers 200 `degraded`, naming what is down, so an outage of one shared service does not
//! take every process out of rotation at once.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    db::Db,
    error::{problem_type, PROBLEM_CONTENT_TYPE},
};

/// Each check gets this long before its dependency counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A dependency `/readyz` checks.
#[async_trait]
pub trait Probe: Send + Sync + 'static {
    /// What kind of dependency: `postgresql`, `sqlite`, `nats`.
    fn dependency(&self) -> &'static str;
    /// Which one of them, e.g. the context whose database it is.
    fn target(&self) -> String;
    async fn check(&self) -> anyhow::Result<()>;
    /// Whether the process cannot serve while it is down (the default). Those it can serve
    /// without make `/readyz` answer 200 `degraded` instead of 503.
    fn essential(&self) -> bool {
        true
    }
}

#[async_trait]
impl Probe for Db {
    fn dependency(&self) -> &'static str {
        self.backend().dependency()
    }

    fn target(&self) -> String {
        self.context().to_owned()
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.ping().await
    }
}

#[derive(Clone, Default)]
pub struct Readiness {
    probes: Vec<Arc<dyn Probe>>,
}

impl Readiness {
    pub fn add(&mut self, probe: Arc<dyn Probe>) {
        self.probes.push(probe);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub dependency: &'static str,
    pub target: String,
    /// `up` or `down`.
    pub status: &'static str,
    /// The cause goes to the log only: it may name hosts, users or databases.
    #[serde(skip)]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyReport {
    /// `ready`, or `degraded` when a dependency the process serves without is down.
    pub status: &'static str,
    pub checks: Vec<Check>,
}

pub fn routes(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(readiness)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(State(readiness): State<Readiness>) -> Response {
    let checks = futures::future::join_all(readiness.probes.iter().map(|probe| async move {
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, probe.check()).await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(format!("{error:#}")),
            Err(_) => Some(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
        };
        Check {
            dependency: probe.dependency(),
            target: probe.target(),
            status: if outcome.is_none() { "up" } else { "down" },
            error: outcome,
        }
    }))
    .await;
    for check in checks.iter().filter(|c| c.error.is_some()) {
        tracing::warn!(dependency = check.dependency, target = %check.target, error = ?check.error, "not ready");
    }
    let essential_down = |essential: bool| {
        let mut down: Vec<&str> = checks
            .iter()
            .zip(&readiness.probes)
            .filter(|(check, probe)| check.error.is_some() && probe.essential() == essential)
            .map(|(check, _)| check.dependency)
            .collect();
        down.dedup();
        down
    };
    let down = essential_down(true);
    if down.is_empty() {
        let degraded = !essential_down(false).is_empty();
        return Json(ReadyReport {
            status: if degraded { "degraded" } else { "ready" },
            checks,
        })
        .into_response();
    }
    let body = serde_json::json!({
        "type": problem_type("not_ready"),
        "title": "Service Unavailable",
        "status": 503,
        "code": "not_ready",
        "detail": format!("unreachable: {}", down.join(", ")),
        "checks": checks,
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    response
}
