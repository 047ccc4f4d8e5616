//! Web Push: notifications to the browsers people subscribed, even with no page open. Each
//! notification to a person with push on for its category is written with one delivery per
//! subscribed browser (in the notification's unit of work, see [`crate::telling`]); a pusher
//! posts each, encrypted for that browser (RFC 8291, by the `web-push-native` crate) and
//! signed with the installation's VAPID key ([`keys`], RFC 8292, by `jwt-simple`).
//!
//! A push service that no longer knows a browser (404, 410) retires its subscription; one that
//! is down is tried again with backoff, a few times. Nothing is pushed in a person's quiet
//! hours (the app and email keep it), nor once it is read or folded into a newer
//! notification; a burst replaces itself on the device (same `Topic` and tag).

pub(crate) mod keys;
pub(crate) mod subscriptions;

use std::{sync::Arc, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use campus_platform::{db::Db, people::People, sealing::Sealer, secrets, tasks::Task, time};
use web_push_native::{
    jwt_simple::{self, algorithms::ECDSAP256KeyPairLike, claims::Claims},
    p256, Auth, WebPushBuilder,
};

use crate::{
    email::schedule,
    in_app::{NotificationRow, ROW_COLUMNS},
    preferences::Rhythm,
};
use keys::VapidKeys;

/// How often the pusher looks for deliveries that are due.
const EVERY: Duration = Duration::from_secs(2);
const BATCH: i64 = 100;
/// How long a claimed delivery is left to the process that claimed it.
const LEASE_MS: i64 = 60_000;
/// Attempts at a push service that keeps failing before the push is given up.
const MOST_ATTEMPTS: i64 = 5;
/// How long a push service keeps a push for a browser that is offline.
const TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a VAPID token is good for (RFC 8292 allows at most a day).
const VAPID_HOURS: u64 = 12;
/// A push service that does not answer within this is tried again later.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub(crate) struct Pusher {
    pub db: Db,
    pub people: People,
    pub sealer: Arc<Sealer>,
    pub keys: Arc<VapidKeys>,
    /// Who push services can reach about this installation's pushes (VAPID `sub`).
    pub contact: String,
    /// The site's address, for the page a push opens.
    pub site: String,
    pub client: reqwest::Client,
}

#[derive(sqlx::FromRow)]
struct Due {
    notification_id: String,
    subscription_id: String,
    user_id: String,
    attempts: i64,
    next_attempt_at: i64,
}

/// What became of one delivery.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Pushed,
    /// Not to be pushed (read, folded, quiet hours, the subscription gone).
    Dropped,
    /// The browser is gone: its subscription is retired.
    Gone,
    /// To be tried again.
    Later,
}

impl Pusher {
    pub(crate) fn task(self) -> Task {
        Task::every("web push", EVERY, move || {
            let pusher = self.clone();
            async move {
                if let Err(error) = pusher.round(time::now_ms()).await {
                    tracing::warn!(error = format!("{error:#}"), "web push will be tried again");
                }
            }
        })
    }

    /// Pushes what is due as of `now`; answers how many went.
    pub(crate) async fn round(&self, now: i64) -> anyhow::Result<usize> {
        let due: Vec<Due> = sqlx::query_as(&format!(
            "SELECT notification_id, subscription_id, user_id, attempts, next_attempt_at \
             FROM push_deliveries WHERE next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT {BATCH}"
        ))
        .bind(now)
        .fetch_all(self.db.pool())
        .await?;
        let mut pushed = 0;
        for delivery in due {
            // Taken by this process, unless another took it first.
            let claimed = self
                .db
                .write_one(
                    sqlx::query(
                        "UPDATE push_deliveries SET next_attempt_at = $1 \
                         WHERE notification_id = $2 AND subscription_id = $3 AND next_attempt_at = $4",
                    )
                    .bind(now + LEASE_MS)
                    .bind(&delivery.notification_id)
                    .bind(&delivery.subscription_id)
                    .bind(delivery.next_attempt_at),
                )
                .await?
                .rows_affected();
            if claimed != 1 {
                continue;
            }
            let outcome = match self.push(&delivery, now).await {
                Ok(outcome) => outcome,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), subscription = %delivery.subscription_id, "push failed");
                    Outcome::Later
                }
            };
            self.record(&delivery, &outcome, now).await?;
            pushed += usize::from(outcome == Outcome::Pushed);
        }
        Ok(pushed)
    }

    async fn push(&self, delivery: &Due, now: i64) -> anyhow::Result<Outcome> {
        let row: Option<NotificationRow> = sqlx::query_as(&format!(
            "SELECT {ROW_COLUMNS} FROM notifications n \
             LEFT JOIN roster_courses c ON c.course_id = n.course_id \
             WHERE n.id = $1 AND n.read_at IS NULL"
        ))
        .bind(&delivery.notification_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok(Outcome::Dropped);
        };
        let subscription: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT endpoint, p256dh, sealed_auth, school_id FROM push_subscriptions WHERE id = $1",
        )
        .bind(&delivery.subscription_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some((endpoint, p256dh, sealed_auth, school_id)) = subscription else {
            return Ok(Outcome::Dropped);
        };
        let person = self.people.person(&school_id, &delivery.user_id).await?;
        if !person.as_ref().is_some_and(|p| p.is_active()) {
            return Ok(Outcome::Dropped);
        }
        let zone = self
            .people
            .time_zone_of(&school_id, &delivery.user_id)
            .await?;
        let (rhythm, _) = Rhythm::of(&self.db, &delivery.user_id).await?;
        if schedule::after_quiet(now, &zone, &rhythm) != now {
            return Ok(Outcome::Dropped);
        }
        let locale = person.and_then(|p| p.locale.clone());
        let topic = secrets::digest(&format!(
            "{}:{}",
            row.kind,
            row.course_id.clone().unwrap_or_default()
        ));
        let shown = row.shown(locale.as_deref());
        let payload = serde_json::json!({
            "title": "Campus Hub",
            "body": shown.text,
            "url": format!("{}{}", self.site, shown.link),
            "tag": &topic[..32],
            "id": shown.id,
        });
        let auth = URL_SAFE_NO_PAD.decode(self.sealer.open(
            &sealed_auth,
            &subscriptions::auth_purpose(&delivery.subscription_id),
        )?)?;
        let browser_key = p256::PublicKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(&p256dh)?)
            .map_err(|_| anyhow::anyhow!("a stored browser key is not a P-256 point"))?;
        let request = WebPushBuilder::new(
            endpoint.parse()?,
            browser_key,
            Auth::clone_from_slice(&auth),
        )
        .with_valid_duration(TTL)
        .build(serde_json::to_vec(&payload)?)
        .map_err(|error| anyhow::anyhow!("the push could not be made: {error}"))?;
        let (parts, body) = request.into_parts();
        let answer = self
            .client
            .post(endpoint.as_str())
            .headers(parts.headers)
            .header("Authorization", self.vapid(&endpoint)?)
            // A newer push about the same thing replaces this one while it waits.
            .header("Topic", &topic[..32])
            .header("Urgency", "normal")
            .timeout(TIMEOUT)
            .body(body)
            .send()
            .await;
        let status = match answer {
            Ok(answer) => answer.status(),
            Err(error) => {
                tracing::warn!(%error, subscription = %delivery.subscription_id, "push service unreachable");
                return Ok(Outcome::Later);
            }
        };
        Ok(match status.as_u16() {
            200..=299 => Outcome::Pushed,
            404 | 410 => Outcome::Gone,
            429 | 500..=599 => Outcome::Later,
            other => {
                tracing::warn!(status = other, subscription = %delivery.subscription_id, "push refused; not tried again");
                Outcome::Dropped
            }
        })
    }

    /// The VAPID `Authorization` header for a push to `endpoint` (RFC 8292): a token for the
    /// push service's origin, signed with the installation's key. Made here rather than by
    /// `web-push-native`, whose audience leaves out a port other than the scheme's default.
    fn vapid(&self, endpoint: &str) -> anyhow::Result<String> {
        let origin = reqwest::Url::parse(endpoint)?
            .origin()
            .ascii_serialization();
        let claims = Claims::create(jwt_simple::prelude::Duration::from_hours(VAPID_HOURS))
            .with_audience(origin)
            .with_subject(&self.contact);
        let token = self
            .keys
            .pair
            .sign(claims)
            .map_err(|error| anyhow::anyhow!("the VAPID token could not be signed: {error}"))?;
        Ok(format!("vapid t={token}, k={}", self.keys.public_key))
    }

    async fn record(&self, delivery: &Due, outcome: &Outcome, now: i64) -> anyhow::Result<()> {
        let mut uow = self.db.begin().await?;
        let attempts = delivery.attempts + 1;
        match outcome {
            Outcome::Later if attempts < MOST_ATTEMPTS => {
                // 10 s, doubling.
                sqlx::query(
                    "UPDATE push_deliveries SET attempts = $1, next_attempt_at = $2 \
                     WHERE notification_id = $3 AND subscription_id = $4",
                )
                .bind(attempts)
                .bind(now + (10_000_i64 << attempts.min(10)))
                .bind(&delivery.notification_id)
                .bind(&delivery.subscription_id)
                .execute(uow.conn())
                .await?;
            }
            Outcome::Gone => {
                subscriptions::retire(
                    &mut uow,
                    subscriptions::Browsers::Id(&delivery.subscription_id),
                )
                .await?;
            }
            _ => {
                if *outcome == Outcome::Later {
                    tracing::warn!(subscription = %delivery.subscription_id, attempts, "push given up after repeated failures");
                }
                if *outcome == Outcome::Pushed {
                    sqlx::query("UPDATE push_subscriptions SET last_pushed_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(&delivery.subscription_id)
                        .execute(uow.conn())
                        .await?;
                }
                sqlx::query(
                    "DELETE FROM push_deliveries WHERE notification_id = $1 AND subscription_id = $2",
                )
                .bind(&delivery.notification_id)
                .bind(&delivery.subscription_id)
                .execute(uow.conn())
                .await?;
            }
        }
        uow.commit().await?;
        Ok(())
    }
}

/// The VAPID contact for `mail_from` (`Campus Hub <no-reply@school.example>`):
/// `mailto:no-reply@school.example`.
pub(crate) fn contact_of(mail_from: &str) -> String {
    let address = match (mail_from.find('<'), mail_from.rfind('>')) {
        (Some(start), Some(end)) if start < end => &mail_from[start + 1..end],
        _ => mail_from.trim(),
    };
    format!("mailto:{address}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_contact_is_the_senders_address() {
        assert_eq!(
            super::contact_of("Campus Hub <no-reply@school.example>"),
            "mailto:no-reply@school.example"
        );
        assert_eq!(
            super::contact_of("ops@school.example"),
            "mailto:ops@school.example"
        );
    }
}
