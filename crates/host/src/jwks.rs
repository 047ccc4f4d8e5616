//! Token keys for a process that does not run the identity context.
//!
//! Such a process fetches identity's JWKS (`auth.jwks_url`) at start and every minute, and
//! verifies tokens against it; `/readyz` reports `jwks` down until the first fetch succeeds,
//! so a load balancer sends no traffic that would be refused for want of keys.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use campus_platform::{auth::KeyRing, health::Probe, tasks::Task};

const REFRESH_EVERY: Duration = Duration::from_secs(60);
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Checks that the keys will come over a channel nobody on the path can change: `https://`,
/// or plain `http://` to this machine (loopback), or anywhere when the operator said so.
pub fn check_url(url: &str, allow_plain_http: bool) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| anyhow::anyhow!("`{url}` is not a URL: {error}"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_plain_http => Ok(()),
        "http" => anyhow::bail!(
            "the token keys would be fetched over plain http from `{url}` (auth.jwks_url, or \
             public_url when it is unset): anyone on the path could add keys and sign any \
             token. Use https, or set auth.allow_plain_http_jwks = true if nobody else can \
             reach that network"
        ),
        other => anyhow::bail!("auth.jwks_url must be http or https, got `{other}`"),
    }
}

/// Keeps `keys` filled from `url` until the process stops.
pub fn refresher(url: String, keys: KeyRing) -> Task {
    Task::new("jwks refresher", move |shutdown| async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build();
        let Ok(client) = client else {
            tracing::error!("cannot build the HTTP client for the JWKS");
            return;
        };
        loop {
            let wait = match fetch(&client, &url, &keys).await {
                Ok(count) => {
                    tracing::debug!(count, %url, "token keys refreshed");
                    REFRESH_EVERY
                }
                Err(error) => {
                    tracing::warn!(%url, error = format!("{error:#}"), "cannot fetch token keys");
                    RETRY_AFTER
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

async fn fetch(client: &reqwest::Client, url: &str, keys: &KeyRing) -> anyhow::Result<usize> {
    let document: serde_json::Value = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    keys.replace_from_jwks(&document)
}

/// `/readyz` dependency: ready once keys were fetched.
pub struct JwksProbe(pub KeyRing);

#[async_trait]
impl Probe for JwksProbe {
    fn dependency(&self) -> &'static str {
        "jwks"
    }

    fn target(&self) -> String {
        "identity".to_owned()
    }

    async fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.0.is_empty(), "no token keys fetched yet");
        Ok(())
    }
}

pub fn probe(keys: &KeyRing) -> Arc<dyn Probe> {
    Arc::new(JwksProbe(keys.clone()))
}
