//! Per-client rate limits for credential endpoints (sign-in, registration, refresh, reset).
//!
//! Keyed by client address: the socket peer, or — when the peer is one of
//! `http.trusted_proxies` — the last address in `X-Forwarded-For` that the proxy appended. A
//! whole school often shares one address, so the default allows 300 requests a minute with
//! bursts of as many; per-account lockout (identity) stops guessing one account's password.
//! Limits are per process; in the distributed shape each identity process counts on its own.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{config::HttpConfig, Error};

#[derive(Clone)]
pub struct ClientLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: Arc<Vec<IpAddr>>,
}

impl ClientLimiter {
    pub fn from_config(config: &HttpConfig) -> Self {
        let per_minute =
            NonZeroU32::new(config.credential_requests_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            trusted_proxies: Arc::new(
                config
                    .trusted_proxies
                    .iter()
                    .filter_map(|p| p.parse().ok())
                    .collect(),
            ),
        }
    }

    /// The client's address, seen through trusted proxies only.
    pub fn client(&self, peer: IpAddr, request: &Request) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok())
            .unwrap_or(peer)
    }

    /// Forgets clients that have not been limited lately; keeps memory bounded.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Middleware: 429 with `Retry-After` once a client exceeds its quota.
pub async fn limit(State(limiter): State<ClientLimiter>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = limiter.client(peer, &request);
    if let Err(not_until) = limiter.limiter.check_key(&client) {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        tracing::info!(%client, %peer, path = %request.uri().path(), "credential rate limit reached");
        return Error::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        }
        .into_response();
    }
    next.run(request).await
}
