//! Failing fast while the database is out of reach.
//!
//! sqlx takes a refused connection for a server still starting and keeps trying until
//! `database.acquire_timeout_secs` has passed, so during an outage every request that needs the
//! database would wait that long before its 503, and the waiting requests pile up in the process
//! and in the proxy in front of it. Once one request finds the database out of reach and a
//! fresh connection of the watch's own confirms it, the process answers 503 at once (with
//! `Retry-After`) to everything that needs the database, and tries a connection every
//! [`RECHECK`]; the first that succeeds lets requests through again. `/readyz` keeps checking
//! for itself, so a load balancer sees the same outage.
//!
//! A pool merely busy (every connection in use past the acquire timeout) is not an outage: the
//! confirming connection succeeds and nothing is refused.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::{Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};

use crate::db::Db;

/// How often the watch tries a connection while the database is away.
const RECHECK: Duration = Duration::from_millis(250);

/// Marks a response as caused by the database being out of reach (set by
/// [`crate::Error`]'s answer), so the watch hears of it without each route telling it.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseOutOfReach;

/// Whether the process's database is known to be away; shared by every request.
#[derive(Clone)]
pub struct DatabaseWatch {
    inner: Arc<Watch>,
}

struct Watch {
    db: Db,
    away: AtomicBool,
    /// A task is confirming or watching an outage; one at a time.
    watching: AtomicBool,
}

impl DatabaseWatch {
    /// Watches the server `db` lives on (every context of a process shares one server).
    pub fn new(db: Db) -> Self {
        Self {
            inner: Arc::new(Watch {
                db,
                away: AtomicBool::new(false),
                watching: AtomicBool::new(false),
            }),
        }
    }

    pub fn away(&self) -> bool {
        self.inner.away.load(Ordering::Acquire)
    }

    /// A request found the database out of reach: confirm with a connection of our own, and if
    /// it is refused too, refuse requests until one succeeds.
    fn suspect(&self) {
        if self.inner.watching.swap(true, Ordering::AcqRel) {
            return;
        }
        let watch = self.inner.clone();
        tokio::spawn(async move {
            while !watch.db.connects_now().await {
                if !watch.away.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        "the database is out of reach: answering 503 at once until it is back"
                    );
                }
                tokio::time::sleep(RECHECK).await;
            }
            if watch.away.swap(false, Ordering::AcqRel) {
                tracing::info!("the database is back: serving again");
            }
            watch.watching.store(false, Ordering::Release);
        });
    }
}

/// The API's paths served without the database, which an outage does not refuse.
fn needs_no_database(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/api/openapi.json"
    ) || path.starts_with("/api/docs")
}

/// `api` behind the watch. Only the API: the web application's pages call it in-process and
/// answer its 503 with a page of their own, and its static files need no database.
pub fn guard(api: Router, watch: DatabaseWatch) -> Router {
    let guarded = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(watch, refuse_while_away))
        .service(api);
    Router::new().fallback_service(guarded)
}

/// The middleware: refuses at once while the database is away, and hears of every answer that
/// found it so.
async fn refuse_while_away(
    State(watch): State<DatabaseWatch>,
    request: Request,
    next: Next,
) -> Response {
    if watch.away() && !needs_no_database(request.uri().path()) {
        return crate::Error::database_unavailable().into_response();
    }
    let response = next.run(request).await;
    if response.extensions().get::<DatabaseOutOfReach>().is_some() {
        watch.suspect();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_and_the_api_document_are_served_through_an_outage() {
        for path in [
            "/readyz",
            "/healthz",
            "/metrics",
            "/api/openapi.json",
            "/api/docs/",
        ] {
            assert!(needs_no_database(path), "{path}");
        }
        for path in ["/api/v1/courses", "/.well-known/jwks.json", "/api/v1/me"] {
            assert!(!needs_no_database(path), "{path}");
        }
    }
}
