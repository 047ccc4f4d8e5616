//! The event catalogue in docs/events matches the events the code publishes, and no published
//! version changed incompatibly. `CAMPUS_WRITE_EVENT_SCHEMAS=1` writes new and compatible
//! changes (as `campus events --write` does); incompatible ones are never written.

use std::path::Path;

#[test]
fn the_event_catalogue_matches_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/events");
    let write = std::env::var_os("CAMPUS_WRITE_EVENT_SCHEMAS").is_some();
    let events = campus_contracts::catalogue();
    let problems = campus_bus::schema::check_catalogue(&dir, &events, write).unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
