//! Prometheus metrics, rendered at `/metrics`: beside the API, or on a listener of its own
//! (`metrics.listen`), and behind a bearer token when `metrics.token` is set.
//!
//! One recorder per process. The names are listed here so dashboards have one place to look.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, OnceLock, RwLock},
};

use subtle::ConstantTimeEq;

use crate::config::SecretText;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by `method`, `route` (the route pattern, never the raw path) and `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Request latency in seconds, by `method` and `route`.
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// Events the relay handed to the bus, by `stream`.
pub const EVENTS_PUBLISHED: &str = "campus_events_published_total";
/// Events a subscription processed, by `subscription` and `outcome`
/// (`handled`, `duplicate`, `failed`, `parked`, `replayed`).
pub const EVENTS_CONSUMED: &str = "campus_events_consumed_total";
/// Commit-to-handled latency in seconds, by `subscription`.
pub const EVENT_LATENCY: &str = "campus_event_latency_seconds";
/// Events a subscription has yet to process, by `subscription` and `stream`.
pub const CONSUMER_LAG: &str = "campus_consumer_lag";
/// Committed events not yet published, by `context`.
pub const OUTBOX_DEPTH: &str = "campus_outbox_depth";

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's metrics handle, installing the recorder on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        handle
    })
}

/// The exposition text.
pub fn render() -> String {
    handle().render()
}

/// The `/metrics` route, asking for `token` as a bearer token when one is configured.
pub fn routes(token: Option<SecretText>) -> axum::Router {
    let token: Option<Arc<str>> = token.map(|t| t.expose().into());
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let token = token.clone();
            async move {
                if let Some(expected) = token {
                    let sent = headers
                        .get(axum::http::header::AUTHORIZATION)
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.strip_prefix("Bearer "))
                        .unwrap_or_default();
                    if !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
                        return Err(crate::Error::Unauthenticated {
                            detail: "send `Authorization: Bearer <metrics.token>`".into(),
                        });
                    }
                }
                Ok(render())
            }
        }),
    )
}

/// Histograms keep samples until drained; call this now and then.
pub fn upkeep() {
    handle().run_upkeep();
}

/// The registered series of one route and method: looked up once, then kept, because building
/// a series' labels and finding it in the registry costs more than the rest of a cached read.
#[derive(Clone)]
struct RouteSeries {
    duration: metrics::Histogram,
    by_status: HashMap<u16, metrics::Counter>,
}

type Series = HashMap<String, HashMap<http::Method, RouteSeries>>;

static SERIES: LazyLock<RwLock<Series>> = LazyLock::new(RwLock::default);

/// Records one answered request. Routes are patterns, so the series stay few.
pub fn http_request(
    method: &http::Method,
    route: &str,
    status: http::StatusCode,
    elapsed: std::time::Duration,
) {
    let status = status.as_u16();
    let seconds = elapsed.as_secs_f64();
    {
        let series = SERIES.read().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = series.get(route).and_then(|methods| methods.get(method)) {
            if let Some(requests) = known.by_status.get(&status) {
                requests.increment(1);
                known.duration.record(seconds);
                return;
            }
        }
    }
    let mut series = SERIES.write().unwrap_or_else(|p| p.into_inner());
    let known = series
        .entry(route.to_owned())
        .or_default()
        .entry(method.clone())
        .or_insert_with(|| RouteSeries {
            duration: metrics::histogram!(HTTP_DURATION, "method" => method.as_str().to_owned(), "route" => route.to_owned()),
            by_status: HashMap::new(),
        });
    known
        .by_status
        .entry(status)
        .or_insert_with(|| {
            metrics::counter!(HTTP_REQUESTS, "method" => method.as_str().to_owned(), "route" => route.to_owned(), "status" => status.to_string())
        })
        .increment(1);
    known.duration.record(seconds);
}
