//! The event backbone's promises, on every backend: nothing lost, nothing applied twice,
//! failures retried then parked and replayable, one aggregate's events in order.

use std::{
    collections::HashMap,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use campus_bus::{relay::Relay, OutboxRow};
use campus_platform::auth::Role;
use campus_testkit::{each_backend, each_storage, eventually, TestEnv};
use serde_json::Value;

use crate::fixtures::{
    ledger, record_entry, record_note, tallied, tally, tally_followed, Follower, TallyBehaviour,
};

const WITHIN: Duration = Duration::from_secs(15);

async fn unpublished(db: &campus_platform::db::Db) -> i64 {
    campus_bus::relay::outbox_depth(db).await.unwrap()
}

each_backend! {
    async fn an_event_committed_before_a_crash_is_delivered_after_restart(env: TestEnv) {
        let backend = env.backend.clone();
        let behaviour = Arc::new(TallyBehaviour::default());
        // Built but never started: the relay never runs, as if the process died right after
        // the commit.
        let first = env.build(vec![ledger(), tally(behaviour.clone())]).await;
        let ledger_db = first.database("ledger").unwrap().clone();
        record_entry(&ledger_db, "acct-1", 1).await;
        assert_eq!(
            unpublished(&ledger_db).await,
            1,
            "{backend}: the event waits in the outbox"
        );
        drop(first);

        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        let entries = eventually(WITHIN, "the event after restart", || async {
            let entries = tallied(app.db("tally")).await;
            (!entries.is_empty()).then_some(entries)
        })
        .await;
        assert_eq!(entries, vec![("acct-1".to_owned(), 1)], "{backend}");
        // The relay marks the row published once the bus acknowledged it, which may come
        // after the consumer already applied the event.
        eventually(WITHIN, "the outbox to drain", || async {
            (unpublished(app.db("ledger")).await == 0).then_some(())
        })
        .await;
        app.stop().await;
    }
}

each_backend! {
    async fn a_relay_that_publishes_twice_is_deduplicated(env: TestEnv) {
        let backend = env.backend.clone();
        let behaviour = Arc::new(TallyBehaviour::default());
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        let envelope = record_entry(app.db("ledger"), "acct-1", 1).await;
        eventually(WITHIN, "the first delivery", || async {
            (tallied(app.db("tally")).await.len() == 1).then_some(())
        })
        .await;

        // The relay crashed after the bus took the event but before the outbox row was marked:
        // on restart it publishes the same row again.
        let rows: Vec<OutboxRow> =
            sqlx::query_as("SELECT id, event_type, subject, envelope FROM outbox WHERE id = $1")
                .bind(&envelope.id)
                .fetch_all(app.db("ledger").pool())
                .await
                .unwrap();
        app.bus
            .log()
            .publish(app.db("ledger"), &rows)
            .await
            .unwrap();
        if let Some(url) = &backend.nats {
            let log = campus_bus::jetstream::JetStreamLog::connect(url, &env.config.bus)
                .await
                .unwrap();
            assert_eq!(
                log.stored_messages("ledger").await.unwrap(),
                1,
                "JetStream dropped the duplicate"
            );
        }
        // And a consumer that crashed after handling but before its position was saved sees the
        // event again: the inbox makes that a no-op.
        if backend.nats.is_none() {
            sqlx::query("UPDATE consumer_positions SET position = 0")
                .execute(app.db("tally").pool())
                .await
                .unwrap();
        }
        app.stop().await;
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            tallied(app.db("tally")).await.len(),
            1,
            "{backend}: handled exactly once"
        );
        let (inbox,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox")
            .fetch_one(app.db("tally").pool())
            .await
            .unwrap();
        assert_eq!(inbox, 1, "{backend}");
        app.stop().await;
    }
}

each_backend! {
    async fn a_subscription_that_follows_another_sees_what_the_other_made_of_each_event(
        env: TestEnv,
    ) {
        let backend = env.backend.clone();
        let behaviour = Arc::new(TallyBehaviour::default());
        // The leader retries the first entry for about half a second (10, 20, 40, 80, 160 ms
        // and jitter); the follower must wait for it, and for the entries behind it.
        behaviour.fail_times("acct-1", 1, 5);
        let follower = Arc::new(Follower::default());
        let app = env
            .start(vec![ledger(), tally_followed(behaviour.clone(), follower.clone())])
            .await;
        for seq in 1..=3 {
            record_entry(app.db("ledger"), "acct-1", seq).await;
            // Another type in between: the leader skips it, and must still be seen past it.
            record_note(app.db("ledger"), "acct-1").await;
        }
        let seen = eventually(WITHIN, "the follower to handle the three entries", || async {
            let seen = follower.seen();
            (seen.len() >= 3).then_some(seen)
        })
        .await;
        assert_eq!(
            seen,
            vec![(1, true), (2, true), (3, true)],
            "{backend}: the follower was handed each entry only after the leader committed it"
        );
        assert!(
            behaviour.calls.load(Ordering::SeqCst) >= 8,
            "{backend}: the leader failed five times before its three successes"
        );
        app.stop().await;
    }
}

each_backend! {
    async fn a_handler_that_fails_twice_then_succeeds_applies_its_effect_once(env: TestEnv) {
        let backend = env.backend.clone();
        let behaviour = Arc::new(TallyBehaviour::default());
        behaviour.fail_times("acct-1", 1, 2);
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        record_entry(app.db("ledger"), "acct-1", 1).await;
        record_entry(app.db("ledger"), "acct-1", 2).await;
        let entries = eventually(WITHIN, "both entries", || async {
            let entries = tallied(app.db("tally")).await;
            (entries.len() == 2).then_some(entries)
        })
        .await;
        assert_eq!(
            entries,
            vec![("acct-1".to_owned(), 1), ("acct-1".to_owned(), 2)],
            "{backend}"
        );
        // Two failed calls, one success for the first event, one call for the second.
        assert_eq!(behaviour.calls.load(Ordering::SeqCst), 4, "{backend}");
        let (parked,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM parked_events")
            .fetch_one(app.db("tally").pool())
            .await
            .unwrap();
        assert_eq!(parked, 0, "{backend}");
        app.stop().await;
    }
}

each_backend! {
    async fn a_handler_that_always_fails_is_parked_then_replayed_by_an_admin_after_a_fix(
        env: TestEnv,
    ) {
        let backend = env.backend.clone();
        env.config.bus.max_attempts = 3;
        let behaviour = Arc::new(TallyBehaviour::default());
        behaviour.broken.store(true, Ordering::SeqCst);
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        let admin = app.super_admin();
        record_entry(app.db("ledger"), "acct-1", 1).await;

        let page: Value = eventually(WITHIN, "the parked event", || async {
            let page: Value = app
                .client
                .get(app.url("/api/v1/admin/events/parked"))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (page["items"].as_array().map(Vec::len) == Some(1)).then_some(page)
        })
        .await;
        let parked = &page["items"][0];
        assert_eq!(parked["subscription"], "tally.entries", "{backend}");
        assert_eq!(parked["attempts"], 3, "{backend}");
        assert!(
            parked["error"].as_str().unwrap().contains("broken"),
            "{backend}"
        );
        assert_eq!(behaviour.calls.load(Ordering::SeqCst), 3, "{backend}");

        let consumers: Value = app
            .client
            .get(app.url("/api/v1/admin/events/consumers"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(consumers[0]["parked"], 1, "{backend}: {consumers}");

        // Only super admins operate the backbone.
        let id = parked["id"].as_str().unwrap();
        let replay_url = app.url(&format!("/api/v1/admin/events/parked/{id}/replay"));
        for role in [Role::Student, Role::Teacher, Role::SchoolAdmin] {
            let response = app
                .client
                .post(&replay_url)
                .bearer_auth(app.token(role, "school-1"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{backend}: {role}");
        }
        assert_eq!(
            app.client.post(&replay_url).send().await.unwrap().status(),
            401,
            "{backend}"
        );

        // Replaying while still broken fails and keeps it parked.
        let response = app
            .client
            .post(&replay_url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 409, "{backend}");
        assert!(tallied(app.db("tally")).await.is_empty());

        behaviour.broken.store(false, Ordering::SeqCst);
        let response = app
            .client
            .post(&replay_url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{backend}");
        assert_eq!(
            tallied(app.db("tally")).await,
            vec![("acct-1".to_owned(), 1)],
            "{backend}"
        );
        let page: Value = app
            .client
            .get(app.url("/api/v1/admin/events/parked"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 0, "{backend}");
        let response = app
            .client
            .post(&replay_url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            404,
            "{backend}: a replayed event is gone from the lot"
        );
        app.stop().await;
    }
}

each_storage! {
    async fn replay_all_replays_every_parked_event(env: TestEnv) {
        env.config.bus.max_attempts = 2;
        let behaviour = Arc::new(TallyBehaviour::default());
        behaviour.broken.store(true, Ordering::SeqCst);
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        for seq in 1..=3 {
            record_entry(app.db("ledger"), "acct-1", seq).await;
        }
        eventually(WITHIN, "three parked events", || async {
            let (parked,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM parked_events")
                .fetch_one(app.db("tally").pool())
                .await
                .unwrap();
            (parked == 3).then_some(())
        })
        .await;
        behaviour.broken.store(false, Ordering::SeqCst);
        let report: Value = app
            .client
            .post(app.url("/api/v1/admin/events/parked/replay"))
            .bearer_auth(app.super_admin())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            report,
            serde_json::json!({ "replayed": 3, "failed": 0, "remaining": 0 })
        );
        assert_eq!(tallied(app.db("tally")).await.len(), 3);
        app.stop().await;
    }
}

each_backend! {
    async fn events_of_one_aggregate_are_handled_in_order(env: TestEnv) {
        let backend = env.backend.clone();
        let behaviour = Arc::new(TallyBehaviour::default());
        // Some events fail once: their retries must not let later events of the account overtake.
        for seq in (0..30).step_by(7) {
            behaviour.fail_times("acct-2", seq, 1);
            behaviour.fail_times("acct-4", seq, 2);
        }
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        // Five accounts written concurrently, each account's entries one after another.
        let writers: Vec<_> = (0..5)
            .map(|account| {
                let db = app.db("ledger").clone();
                tokio::spawn(async move {
                    for seq in 0..30 {
                        record_entry(&db, &format!("acct-{account}"), seq).await;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        let entries = eventually(WITHIN, "all 150 entries", || async {
            let entries = tallied(app.db("tally")).await;
            (entries.len() == 150).then_some(entries)
        })
        .await;
        let mut last: HashMap<String, i64> = HashMap::new();
        for (account, seq) in entries {
            let previous = last.insert(account.clone(), seq);
            assert_eq!(
                previous.map_or(0, |p| p + 1),
                seq,
                "{backend}: {account} out of order"
            );
        }
        app.stop().await;
    }
}

each_backend! {
    async fn shutdown_publishes_what_was_committed_during_the_drain(env: TestEnv) {
        let backend = env.backend.clone();
        let app = env.start(vec![ledger()]).await;
        let db = app.db("ledger").clone();
        for seq in 0..50 {
            record_entry(&db, "acct-1", seq).await;
        }
        app.stop().await;
        let reopened = campus_platform::db::Db::open(&env.config, "ledger")
            .await
            .unwrap();
        assert_eq!(
            unpublished(&reopened).await,
            0,
            "{backend}: the relay flushed before exit"
        );
        reopened.close().await;
    }
}

each_storage! {
    async fn on_sqlite_units_of_work_publish_their_own_events_once_the_relay_caught_up(
        env: TestEnv,
    ) {
        let backend = env.backend.clone();
        let on_sqlite = backend.postgres.is_none();
        let behaviour = Arc::new(TallyBehaviour::default());
        // Two events committed while no process ran: they wait for the next one's relay.
        let built = env.build(vec![ledger(), tally(behaviour.clone())]).await;
        let db = built.database("ledger").unwrap().clone();
        record_entry(&db, "acct-1", 0).await;
        record_entry(&db, "acct-1", 1).await;
        assert!(!db.numbers_at_commit(), "{backend}: not before the relay runs");
        drop(built);

        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        let db = app.db("ledger").clone();
        eventually(WITHIN, "the relay to publish what waited", || async {
            (unpublished(&db).await == 0).then_some(())
        })
        .await;
        if on_sqlite {
            eventually(WITHIN, "units of work to number their events", || async {
                db.numbers_at_commit().then_some(())
            })
            .await;
        }
        // A unit that rolls back takes no position.
        let mut abandoned = db.begin().await.unwrap();
        abandoned
            .record("school-1", &crate::fixtures::EntryMade { account: "acct-1".to_owned(), seq: 9 })
            .await
            .unwrap();
        drop(abandoned);
        let envelope = record_entry(&db, "acct-1", 2).await;
        let published = || async {
            let row: (Option<i64>, Option<i64>) =
                sqlx::query_as("SELECT position, published_at FROM outbox WHERE id = $1")
                    .bind(&envelope.id)
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
            row
        };
        if on_sqlite {
            let (position, published_at) = published().await;
            assert_eq!(position, Some(3), "numbered by its own commit, after the relay's two");
            assert!(published_at.is_some());
        } else {
            assert!(!db.numbers_at_commit(), "{backend}: transactions commit side by side");
            let position = eventually(WITHIN, "the relay to number it", || async {
                published().await.0
            })
            .await;
            assert_eq!(position, 3, "{backend}");
        }
        // Another process (an operator's command) writes to the same database: its row waits
        // for the relay, and this process's next event waits behind it rather than overtake it.
        let other = campus_platform::db::Db::open(&env.config, "ledger").await.unwrap();
        record_entry(&other, "acct-1", 3).await;
        other.close().await;
        let behind = record_entry(&db, "acct-1", 4).await;
        let position_of = |id: String| {
            let db = db.clone();
            async move {
                let (position,): (Option<i64>,) =
                    sqlx::query_as("SELECT position FROM outbox WHERE id = $1")
                        .bind(&id)
                        .fetch_one(db.pool())
                        .await
                        .unwrap();
                position
            }
        };
        if on_sqlite {
            // Left to the relay, which may already have numbered both, in order: never
            // numbered by its own commit ahead of the other process's event.
            let early = position_of(behind.id.clone()).await;
            assert!(
                early.is_none() || early == Some(5),
                "left to the relay, found {early:?}"
            );
        }
        let position = eventually(WITHIN, "the relay to publish both", || {
            position_of(behind.id.clone())
        })
        .await;
        assert_eq!(position, 5, "{backend}: after the other process's event");
        let entries = eventually(WITHIN, "all five entries", || async {
            let entries = tallied(app.db("tally")).await;
            (entries.len() == 5).then_some(entries)
        })
        .await;
        let seqs: Vec<i64> = entries.into_iter().map(|(_, seq)| seq).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3, 4], "{backend}");
        if on_sqlite {
            let next = record_entry(&db, "acct-1", 5).await;
            assert_eq!(
                position_of(next.id.clone()).await,
                Some(6),
                "numbered at commit again once the relay caught up"
            );
        }
        app.stop().await;
        assert!(!db.numbers_at_commit(), "{backend}: a stopped relay takes its rows back");
    }
}

each_storage! {
    async fn the_relay_publishes_in_batches_and_reports_what_it_moved(env: TestEnv) {
        let app = env.build(vec![ledger()]).await;
        let db = app.database("ledger").unwrap().clone();
        for seq in 0..5 {
            record_entry(&db, "acct-1", seq).await;
        }
        let mut config = env.config.bus.clone();
        config.relay_batch = 2;
        let relay = Relay::new(db.clone(), app.bus().log().clone(), &config);
        assert_eq!(relay.relay_once().await.unwrap(), 2);
        assert_eq!(relay.relay_once().await.unwrap(), 2);
        assert_eq!(relay.relay_once().await.unwrap(), 1);
        assert_eq!(relay.relay_once().await.unwrap(), 0);
        let positions: Vec<(i64,)> = sqlx::query_as("SELECT position FROM outbox ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(positions, vec![(1,), (2,), (3,), (4,), (5,)]);
        drop(app);
    }
}

each_backend! {
    async fn retention_keeps_what_a_consumer_has_not_read(env: TestEnv) {
        let backend = env.backend.clone();
        // Retried, not parked, while the test holds the consumer broken.
        env.config.bus.max_attempts = 10_000;
        let behaviour = Arc::new(TallyBehaviour::default());
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        for seq in 0..3 {
            record_entry(app.db("ledger"), "acct-1", seq).await;
        }
        eventually(WITHIN, "three entries", || async {
            (tallied(app.db("tally")).await.len() == 3).then_some(())
        })
        .await;
        // The consumer stops handling; a fourth event is published but not consumed.
        behaviour.broken.store(true, Ordering::SeqCst);
        record_entry(app.db("ledger"), "acct-1", 3).await;
        eventually(WITHIN, "the fourth event published", || async {
            (unpublished(app.db("ledger")).await == 0).then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        // Everything published is past a zero retention.
        app.bus.prune_older_than(0).await.unwrap();
        let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
            .fetch_one(app.db("ledger").pool())
            .await
            .unwrap();
        if backend.nats.is_none() {
            assert_eq!(
                left, 1,
                "{backend}: the unread event stays in the embedded log"
            );
        } else {
            assert_eq!(left, 0, "{backend}: JetStream holds published events");
        }
        behaviour.broken.store(false, Ordering::SeqCst);
        eventually(WITHIN, "the fourth entry", || async {
            (tallied(app.db("tally")).await.len() == 4).then_some(())
        })
        .await;
        app.stop().await;
    }
}

each_storage! {
    async fn with_one_attempt_allowed_a_failing_handler_runs_once_and_is_parked(env: TestEnv) {
        env.config.bus.max_attempts = 1;
        let behaviour = Arc::new(TallyBehaviour::default());
        behaviour.broken.store(true, Ordering::SeqCst);
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        record_entry(app.db("ledger"), "acct-1", 1).await;
        eventually(WITHIN, "the parked event", || async {
            let (parked,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM parked_events")
                .fetch_one(app.db("tally").pool())
                .await
                .unwrap();
            (parked == 1).then_some(())
        })
        .await;
        assert_eq!(behaviour.calls.load(Ordering::SeqCst), 1);
        app.stop().await;
    }
}

each_storage! {
    async fn a_consumer_moves_past_event_types_it_does_not_handle(env: TestEnv) {
        let app = env
            .start(vec![ledger(), tally(Arc::new(TallyBehaviour::default()))])
            .await;
        for _ in 0..5 {
            record_note(app.db("ledger"), "acct-1").await;
        }
        let position = eventually(WITHIN, "the tally's position to reach the head", || async {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT position FROM consumer_positions WHERE subscription = 'tally.entries'",
            )
            .fetch_optional(app.db("tally").pool())
            .await
            .unwrap();
            row.filter(|(p,)| *p == 5).map(|(p,)| p)
        })
        .await;
        assert_eq!(position, 5);
        app.stop().await;
    }
}

each_storage! {
    async fn positions_never_repeat_after_retention_emptied_the_log(env: TestEnv) {
        let behaviour = Arc::new(TallyBehaviour::default());
        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        for seq in 0..3 {
            record_entry(app.db("ledger"), "acct-1", seq).await;
        }
        eventually(WITHIN, "three entries", || async {
            (tallied(app.db("tally")).await.len() == 3).then_some(())
        })
        .await;
        app.bus.prune_older_than(0).await.unwrap();
        let (left, head): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(position) FROM outbox")
                .fetch_one(app.db("ledger").pool())
                .await
                .unwrap();
        assert_eq!((left, head), (1, Some(3)), "the newest row keeps the head");
        app.stop().await;

        let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
        record_entry(app.db("ledger"), "acct-1", 3).await;
        eventually(WITHIN, "the entry recorded after restart", || async {
            (tallied(app.db("tally")).await.len() == 4).then_some(())
        })
        .await;
        app.stop().await;
    }
}

/// A relay that publishes an event again after JetStream's two-minute duplicate window (it
/// crashed after NATS took the event and before the outbox row was marked, and came back
/// later): JetStream stores the event a second time, and the consumer's inbox, not the window,
/// keeps its effect to one. The second copy is published with another message id, which is
/// what the window's expiry amounts to.
#[tokio::test]
async fn an_event_published_again_past_the_duplicate_window_is_applied_once() {
    let Some(url) = campus_testkit::nats_url() else {
        eprintln!("CAMPUS_TEST_NATS_URL is not set; skipped");
        return;
    };
    let env = TestEnv::new(&campus_testkit::Backend {
        postgres: None,
        nats: Some(url.clone()),
    })
    .await;
    let behaviour = Arc::new(TallyBehaviour::default());
    let app = env.start(vec![ledger(), tally(behaviour.clone())]).await;
    let envelope = record_entry(app.db("ledger"), "acct-window", 1).await;
    eventually(WITHIN, "the first delivery", || async {
        (tallied(app.db("tally")).await.len() == 1).then_some(())
    })
    .await;
    let (event_type, payload): (String, String) =
        sqlx::query_as("SELECT event_type, envelope FROM outbox WHERE id = $1")
            .bind(&envelope.id)
            .fetch_one(app.db("ledger").pool())
            .await
            .unwrap();
    let subject = format!(
        "{}.{}",
        env.config.bus.namespace,
        event_type.strip_prefix("campus.").unwrap()
    );
    let nats = async_nats::connect(&url).await.unwrap();
    let js = async_nats::jetstream::new(nats);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        "Nats-Msg-Id",
        format!("{}-after-the-window", envelope.id).as_str(),
    );
    headers.insert("Content-Type", "application/cloudevents+json");
    js.publish_with_headers(subject, headers, payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
    let log = campus_bus::jetstream::JetStreamLog::connect(&url, &env.config.bus)
        .await
        .unwrap();
    assert_eq!(
        log.stored_messages("ledger").await.unwrap(),
        2,
        "JetStream stored the event again"
    );
    // Every consumer of the stream has taken and acknowledged the second copy too.
    let stream = js
        .get_stream(format!("{}_ledger", env.config.bus.namespace).to_uppercase())
        .await
        .unwrap();
    let names: Vec<String> = {
        use futures::TryStreamExt;
        stream.consumer_names().try_collect().await.unwrap()
    };
    assert!(!names.is_empty());
    eventually(WITHIN, "the second copy consumed", || {
        let (stream, names) = (stream.clone(), names.clone());
        async move {
            for name in &names {
                let info = stream.consumer_info(name).await.ok()?;
                if info.delivered.stream_sequence < 2 || info.num_ack_pending > 0 {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;
    assert_eq!(tallied(app.db("tally")).await.len(), 1, "applied once");
    let (inbox,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox")
        .fetch_one(app.db("tally").pool())
        .await
        .unwrap();
    assert_eq!(inbox, 1);
    app.stop().await;
    env.cleanup().await;
}

/// Two processes run the same consuming context on one PostgreSQL and one JetStream: one
/// consumes each subscription at a time (its lease), so each account's entries are still
/// applied in order; when that process stops halfway, the other takes over at once (the lease
/// is given up) and goes on from where the first left off, in order, nothing applied twice.
#[tokio::test]
async fn two_processes_of_a_context_keep_an_aggregates_events_in_order() {
    let (Some(postgres), Some(nats)) = (campus_testkit::postgres_url(), campus_testkit::nats_url())
    else {
        eprintln!("PostgreSQL or NATS is not configured; skipped");
        return;
    };
    let env = TestEnv::new(&campus_testkit::Backend {
        postgres: Some(postgres),
        nats: Some(nats),
    })
    .await;
    let behaviour = Arc::new(TallyBehaviour::default());
    let first = env.start(vec![ledger(), tally(behaviour.clone())]).await;
    let second = env.start(vec![ledger(), tally(behaviour.clone())]).await;
    let write = |from: usize, to: usize| {
        let writers: Vec<_> = (0..5)
            .map(|account| {
                let db = first.db("ledger").clone();
                tokio::spawn(async move {
                    for seq in from..to {
                        record_entry(&db, &format!("acct-{account}"), seq as i64).await;
                    }
                })
            })
            .collect();
        async move {
            for writer in writers {
                writer.await.unwrap();
            }
        }
    };
    write(0, 40).await;
    eventually(WITHIN, "half the entries", || async {
        (tallied(second.db("tally")).await.len() >= 100).then_some(())
    })
    .await;
    // The first process stops while the second writes the rest through its own ledger.
    let db = second.db("ledger").clone();
    let rest = tokio::spawn(async move {
        for seq in 40..80 {
            for account in 0..5 {
                record_entry(&db, &format!("acct-{account}"), seq).await;
            }
        }
    });
    first.stop().await;
    rest.await.unwrap();
    let entries = eventually(WITHIN, "all 400 entries", || async {
        let entries = tallied(second.db("tally")).await;
        (entries.len() >= 400).then_some(entries)
    })
    .await;
    assert_eq!(entries.len(), 400, "applied twice");
    let mut last: HashMap<String, i64> = HashMap::new();
    for (account, seq) in entries {
        let previous = last.insert(account.clone(), seq);
        assert_eq!(previous.map_or(0, |p| p + 1), seq, "{account} out of order");
    }
    second.stop().await;
    env.cleanup().await;
}
