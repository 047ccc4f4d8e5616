//! Rate limits: per client for credential endpoints (sign-in, registration, refresh, reset),
//! and per person for what one person could flood others with (messages, posts).
//!
//! Keyed by client address: the socket peer, or — when the peer is one of
//! `http.trusted_proxies` — the last address in `X-Forwarded-For` that the proxy appended. A
//! whole school often shares one address, so the default allows 300 requests a minute with
//! bursts of as many; per-account lockout (identity) stops guessing one account's password.
//!
//! The limit is a GCRA (the generic cell rate algorithm: each request pushes a "theoretical
//! arrival time" one interval further; a request is refused while that time is more than a
//! burst ahead of now). With `redis.url` set it is computed inside Redis by one script, on
//! Redis's clock, so every process of the installation shares each client's allowance. When
//! Redis does not answer, each process falls back to counting alone (the same algorithm, via
//! governor) rather than letting every request through or refusing every sign-in.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{config::HttpConfig, shared_redis::SharedRedis, time, Error};

/// GCRA in one round trip. KEYS[1]: the client's key. ARGV[1]: the emission interval in ms
/// (a minute over the quota); ARGV[2]: the burst (requests allowed at once). Returns
/// `{1, 0}` when allowed, `{0, ms to wait}` when not.
const GCRA: &str = r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = math.max(tonumber(stored), now) end
if now < tat - tolerance then
  return {0, tat - tolerance - now}
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', next_tat - now)
return {1, 0}
";

/// Seconds between two warnings that Redis is unavailable: under attack it would be asked
/// thousands of times a second.
const WARN_EVERY_MS: i64 = 60_000;

#[derive(Clone)]
pub struct ClientLimiter {
    local: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    shared: Option<Shared>,
    trusted_proxies: Arc<Vec<IpAddr>>,
}

#[derive(Clone)]
struct Shared {
    redis: SharedRedis,
    /// What is limited, in the key: `ratelimit:<scope>:<who>`.
    scope: &'static str,
    script: Arc<redis::Script>,
    interval_ms: u64,
    burst: u32,
    warned_at: Arc<AtomicI64>,
}

impl Shared {
    fn new(redis: SharedRedis, scope: &'static str, per_minute: NonZeroU32) -> Self {
        Self {
            redis,
            scope,
            script: Arc::new(redis::Script::new(GCRA)),
            interval_ms: (60_000 / u64::from(per_minute.get())).max(1),
            burst: per_minute.get(),
            warned_at: Arc::new(AtomicI64::new(i64::MIN / 2)),
        }
    }

    /// `Ok(None)` when allowed, `Ok(Some(seconds))` to wait, `Err` when Redis did not answer.
    async fn check(&self, who: &str) -> redis::RedisResult<Option<u64>> {
        let mut connection = self.redis.connection();
        let scope = self.scope;
        let (allowed, wait_ms): (i64, i64) = self
            .script
            .key(self.redis.key(&format!("ratelimit:{scope}:{who}")))
            .arg(self.interval_ms)
            .arg(self.burst)
            .invoke_async(&mut connection)
            .await?;
        Ok((allowed == 0).then(|| (wait_ms.max(0) as u64).div_ceil(1000).max(1)))
    }

    fn warn(&self, error: &redis::RedisError) {
        let now = time::now_ms();
        let last = self.warned_at.load(Ordering::Relaxed);
        if now - last >= WARN_EVERY_MS
            && self
                .warned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let scope = self.scope;
            tracing::warn!(%error, scope, "Redis did not answer; rate limits are counted in this process until it does");
        }
    }
}

impl ClientLimiter {
    /// Counts in `redis` when given, in this process otherwise.
    pub fn from_config(config: &HttpConfig, redis: Option<SharedRedis>) -> Self {
        let per_minute =
            NonZeroU32::new(config.credential_requests_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            local: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            shared: redis.map(|redis| Shared::new(redis, "credentials", per_minute)),
            trusted_proxies: Arc::new(
                config
                    .trusted_proxies
                    .iter()
                    .filter_map(|p| p.parse().ok())
                    .collect(),
            ),
        }
    }

    /// `Some(seconds to wait)` when `client` is over its quota.
    pub async fn check(&self, client: IpAddr) -> Option<u64> {
        if let Some(shared) = &self.shared {
            match shared.check(&client.to_string()).await {
                Ok(outcome) => return outcome,
                Err(error) => shared.warn(&error),
            }
        }
        self.local.check_key(&client).err().map(seconds_until)
    }

    /// The client, as the limit counts it: its address seen through trusted proxies only, and
    /// for IPv6 its /64 network, since one host is usually handed a whole /64 and could
    /// otherwise take a fresh address for every request.
    pub fn client(&self, peer: IpAddr, request: &Request) -> IpAddr {
        let address = if self.trusted_proxies.contains(&peer) {
            request
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|last| last.trim().parse().ok())
                .unwrap_or(peer)
        } else {
            peer
        };
        counted_as(address)
    }

    /// Forgets clients that have not been limited lately; keeps memory bounded.
    pub fn forget_idle(&self) {
        self.local.retain_recent();
        self.local.shrink_to_fit();
    }
}

/// Whole seconds until governor allows the next request (at least one).
fn seconds_until(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    not_until
        .wait_time_from(governor::clock::DefaultClock::default().now())
        .as_secs()
        .max(1)
}

/// How fast one person may do one thing (send messages, post): a burst of `per_minute` at
/// once, then one every `1 / per_minute` minute. Shared by every process through Redis when
/// it is configured, counted in each process when it is not or does not answer.
#[derive(Clone)]
pub struct PersonLimiter {
    local: Arc<DefaultKeyedRateLimiter<String>>,
    shared: Option<Shared>,
}

impl PersonLimiter {
    /// A limit on `scope` (`messages`, `posts`), counted in `redis` when given.
    pub fn new(scope: &'static str, per_minute: u32, redis: Option<SharedRedis>) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            local: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            shared: redis.map(|redis| Shared::new(redis, scope, per_minute)),
        }
    }

    /// `Err(RateLimited)` when the person is over their allowance.
    pub async fn check(&self, user_id: &str) -> crate::Result<()> {
        if let Some(shared) = &self.shared {
            match shared.check(user_id).await {
                Ok(None) => return Ok(()),
                Ok(Some(retry_after_secs)) => return Err(Error::RateLimited { retry_after_secs }),
                Err(error) => shared.warn(&error),
            }
        }
        match self.local.check_key(&user_id.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(Error::RateLimited {
                retry_after_secs: seconds_until(not_until),
            }),
        }
    }

    /// Forgets people who have not been limited lately; keeps memory bounded.
    pub fn forget_idle(&self) {
        self.local.retain_recent();
        self.local.shrink_to_fit();
    }
}

/// Limits every route of `router` per client with `limiter`, and says so in the API document.
pub fn limit_routes(
    router: utoipa_axum::router::OpenApiRouter,
    limiter: ClientLimiter,
) -> utoipa_axum::router::OpenApiRouter {
    crate::openapi::rate_limited(router).layer(axum::middleware::from_fn_with_state(limiter, limit))
}

/// An IPv4 address as it is; an IPv6 address as its /64 network (an IPv4-mapped one as IPv4).
fn counted_as(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(std::net::Ipv6Addr::from(network))
            }
        },
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
    if let Some(retry_after_secs) = limiter.check(client).await {
        tracing::info!(%client, %peer, path = %request.uri().path(), "credential rate limit reached");
        return Error::RateLimited { retry_after_secs }.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa:bbbb:cccc:dddd".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counted_as(a), counted_as(b));
        assert_ne!(counted_as(a), counted_as(other));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(counted_as(v4), v4);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(counted_as(mapped), v4);
    }
}
