//! Every bounded context this binary can run. Adding a context is one line here.

use campus_platform::{context::Context, events::EventSchema};

pub fn all() -> Vec<Context> {
    vec![campus_identity::context(), campus_courses::context()]
}

/// The published events of every context, for the catalogue in `docs/events/`.
pub fn published_events() -> Vec<EventSchema> {
    all()
        .iter()
        .flat_map(|context| (context.events)())
        .collect()
}
