//! Operating the backbone: consumer lag, parked events, replay. Super admins only.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    Json,
};
use campus_platform::{
    auth::{AuthUser, Permission},
    db::Db,
    events::Envelope,
    http::{Query, Within},
    pagination::{self, Page},
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    consumer::{self, Consumer, Outcome},
    Bus,
};

pub fn routes(bus: Bus) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_consumers))
        .routes(routes!(list_parked))
        .routes(routes!(replay_one))
        .routes(routes!(replay_all))
        .with_state(bus)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsumerStatus {
    /// `<context>.<subscription>`.
    pub subscription: String,
    /// The publishing context whose events it reads.
    pub stream: String,
    pub event_types: Vec<String>,
    /// Events not yet processed; `null` when the bus could not be asked.
    pub lag: Option<u64>,
    /// Events parked after failing every attempt.
    pub parked: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParkedEvent {
    pub id: String,
    pub subscription: String,
    pub stream: String,
    pub event_id: String,
    pub event_type: String,
    /// The last handler error.
    pub error: String,
    pub attempts: i64,
    pub parked_at: String,
    #[schema(value_type = Object)]
    pub envelope: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ParkedQuery {
    /// Only this subscription's parked events.
    pub subscription: Option<String>,
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReplayQuery {
    /// Only this subscription's parked events.
    pub subscription: Option<String>,
    /// How many to replay in this request (default 100); call again for the rest.
    #[param(inline)]
    pub limit: Option<Within<1, 500>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReplayReport {
    pub replayed: u32,
    /// Replays whose handler failed again; they stay parked.
    pub failed: u32,
    /// Parked events left (including those that failed again).
    pub remaining: i64,
}

/// Lag and parked count of every consumer in this process.
#[utoipa::path(get, path = "/api/v1/admin/events/consumers", tag = "events",
    security(("bearer" = [])),
    responses((status = 200, body = [ConsumerStatus]), (status = 401, body = campus_platform::error::Problem), (status = 403, body = campus_platform::error::Problem)))]
async fn list_consumers(
    State(bus): State<Bus>,
    user: AuthUser,
) -> Result<Json<Vec<ConsumerStatus>>> {
    user.require(Permission::OperatePlatform)?;
    let mut statuses = Vec::new();
    for consumer in bus.consumers() {
        let spec = &consumer.spec;
        let (parked,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM parked_events WHERE subscription = $1 AND stream = $2",
        )
        .bind(&spec.subscription)
        .bind(&spec.stream)
        .fetch_one(spec.db.pool())
        .await?;
        statuses.push(ConsumerStatus {
            subscription: spec.subscription.clone(),
            stream: spec.stream.clone(),
            event_types: spec.event_types.clone(),
            lag: bus.log().lag(spec).await.ok(),
            parked,
        });
    }
    Ok(Json(statuses))
}

/// Parked events, oldest first, across every consuming context in this process.
#[utoipa::path(get, path = "/api/v1/admin/events/parked", tag = "events", params(ParkedQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<ParkedEvent>), (status = 401, body = campus_platform::error::Problem), (status = 403, body = campus_platform::error::Problem)))]
async fn list_parked(
    State(bus): State<Bus>,
    user: AuthUser,
    Query(query): Query<ParkedQuery>,
) -> Result<Json<Page<ParkedEvent>>> {
    user.require(Permission::OperatePlatform)?;
    let limit = pagination::limit(query.limit);
    let cursor = query.cursor.unwrap_or_default();
    let mut items = Vec::new();
    for db in consumer_databases(&bus).values() {
        let rows: Vec<ParkedRow> = sqlx::query_as(
            "SELECT id, subscription, stream, event_id, event_type, envelope, error, attempts, parked_at \
             FROM parked_events WHERE id > $1 AND ($2 = '' OR subscription = $2) ORDER BY id LIMIT $3",
        )
        .bind(&cursor)
        .bind(query.subscription.clone().unwrap_or_default())
        .bind(limit + 1)
        .fetch_all(db.pool())
        .await?;
        items.extend(rows.into_iter().map(ParkedRow::into_api));
    }
    items.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Json(Page::of(items, limit, |p| p.id.clone())))
}

/// Runs a parked event's handler again; on success the event leaves the parking lot.
#[utoipa::path(post, path = "/api/v1/admin/events/parked/{id}/replay", tag = "events",
    params(("id" = String, Path, description = "The parked event's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ReplayReport), (status = 403, body = campus_platform::error::Problem), (status = 404, body = campus_platform::error::Problem),
        (status = 409, description = "The handler failed again; the event stays parked", body = campus_platform::error::Problem)))]
async fn replay_one(
    State(bus): State<Bus>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ReplayReport>> {
    user.require(Permission::OperatePlatform)?;
    for db in consumer_databases(&bus).values() {
        let row: Option<ParkedRow> = sqlx::query_as(
            "SELECT id, subscription, stream, event_id, event_type, envelope, error, attempts, parked_at \
             FROM parked_events WHERE id = $1",
        )
        .bind(&id)
        .fetch_optional(db.pool())
        .await?;
        if let Some(row) = row {
            tracing::info!(actor = %user.user_id, parked_id = %id, "replaying a parked event");
            return match replay(&bus, &row).await {
                Ok(()) => Ok(Json(ReplayReport {
                    replayed: 1,
                    failed: 0,
                    remaining: parked_left(&bus, "").await?,
                })),
                Err(_) => Err(Error::conflict(
                    "replay_failed",
                    "the handler failed again; the event stays parked with the new error",
                )),
            };
        }
    }
    Err(Error::NotFound {
        what: "parked event",
    })
}

/// Replays every parked event (optionally of one subscription), oldest first.
#[utoipa::path(post, path = "/api/v1/admin/events/parked/replay", tag = "events", params(ReplayQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ReplayReport), (status = 401, body = campus_platform::error::Problem), (status = 403, body = campus_platform::error::Problem)))]
async fn replay_all(
    State(bus): State<Bus>,
    user: AuthUser,
    Query(query): Query<ReplayQuery>,
) -> Result<Json<ReplayReport>> {
    user.require(Permission::OperatePlatform)?;
    // Bounded so the request finishes well within its timeout; call again for the rest.
    let limit = query.limit.map_or(100, Within::get);
    tracing::info!(actor = %user.user_id, subscription = ?query.subscription, limit, "replaying parked events");
    let subscription = query.subscription.clone().unwrap_or_default();
    let mut report = ReplayReport {
        replayed: 0,
        failed: 0,
        remaining: 0,
    };
    for db in consumer_databases(&bus).values() {
        let budget = limit - i64::from(report.replayed + report.failed);
        let rows: Vec<ParkedRow> = sqlx::query_as(
            "SELECT id, subscription, stream, event_id, event_type, envelope, error, attempts, parked_at \
             FROM parked_events WHERE ($1 = '' OR subscription = $1) ORDER BY id LIMIT $2",
        )
        .bind(&subscription)
        .bind(budget.max(0))
        .fetch_all(db.pool())
        .await?;
        for row in rows {
            match replay(&bus, &row).await {
                Ok(()) => report.replayed += 1,
                Err(_) => report.failed += 1,
            }
        }
    }
    report.remaining = parked_left(&bus, &subscription).await?;
    Ok(Json(report))
}

/// Handles the parked event and removes it from the lot in one transaction; on failure it
/// stays parked with the new error.
async fn replay(bus: &Bus, row: &ParkedRow) -> anyhow::Result<()> {
    let consumer = find_consumer(bus, &row.subscription, &row.stream).ok_or_else(|| {
        anyhow::anyhow!(
            "subscription {} no longer runs in this process",
            row.subscription
        )
    })?;
    let spec = &consumer.spec;
    let envelope: Envelope = serde_json::from_str(&row.envelope)?;
    let attempt = async {
        let mut uow = spec.db.begin().await?;
        let outcome =
            consumer::handle_in(&mut uow, spec, consumer.handler.as_ref(), &envelope).await?;
        sqlx::query("DELETE FROM parked_events WHERE id = $1")
            .bind(&row.id)
            .execute(uow.conn())
            .await?;
        uow.commit().await?;
        anyhow::Ok(outcome)
    };
    match attempt.await {
        Ok(outcome) => {
            tracing::info!(subscription = %spec.subscription, event_id = %envelope.id, ?outcome, "parked event replayed");
            consumer::record(
                spec,
                if outcome == Outcome::Handled {
                    "replayed"
                } else {
                    "duplicate"
                },
            );
            Ok(())
        }
        Err(error) => {
            let reason = consumer::truncate(&format!("{error:#}"), 4000);
            let mut uow = spec.db.begin().await?;
            sqlx::query(
                "UPDATE parked_events SET error = $1, attempts = attempts + 1 WHERE id = $2",
            )
            .bind(&reason)
            .bind(&row.id)
            .execute(uow.conn())
            .await?;
            uow.commit().await?;
            Err(anyhow::anyhow!(reason))
        }
    }
}

/// Parked events across this process (of one subscription, unless `subscription` is empty).
async fn parked_left(bus: &Bus, subscription: &str) -> Result<i64> {
    let mut left = 0;
    for db in consumer_databases(bus).values() {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM parked_events WHERE ($1 = '' OR subscription = $1)",
        )
        .bind(subscription)
        .fetch_one(db.pool())
        .await?;
        left += count;
    }
    Ok(left)
}

fn find_consumer<'a>(bus: &'a Bus, subscription: &str, stream: &str) -> Option<&'a Consumer> {
    bus.consumers()
        .iter()
        .find(|c| c.spec.subscription == subscription && c.spec.stream == stream)
}

/// Each consuming context's database once.
fn consumer_databases(bus: &Bus) -> HashMap<String, Db> {
    bus.consumers()
        .iter()
        .map(|c| (c.spec.db.context().to_owned(), c.spec.db.clone()))
        .collect()
}

#[derive(sqlx::FromRow)]
struct ParkedRow {
    id: String,
    subscription: String,
    stream: String,
    event_id: String,
    event_type: String,
    envelope: String,
    error: String,
    attempts: i64,
    parked_at: i64,
}

impl ParkedRow {
    fn into_api(self) -> ParkedEvent {
        ParkedEvent {
            envelope: serde_json::from_str(&self.envelope).unwrap_or(serde_json::Value::Null),
            id: self.id,
            subscription: self.subscription,
            stream: self.stream,
            event_id: self.event_id,
            event_type: self.event_type,
            error: self.error,
            attempts: self.attempts,
            parked_at: time::rfc3339(self.parked_at),
        }
    }
}
