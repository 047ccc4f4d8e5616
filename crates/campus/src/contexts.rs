//! Every bounded context this binary can run. Adding a context is one line here.

use campus_platform::{config::Config, context::Context, http::Pages};

pub fn all() -> Vec<Context> {
    vec![
        campus_identity::context(),
        campus_courses::context(),
        campus_assessments::context(),
        campus_gradebook::context(),
        campus_notifications::context(),
        campus_messaging::context(),
        campus_social::context(),
        campus_search::context(),
    ]
}

/// The web application, served by a process that runs every context: its pages call the
/// contexts' routes in-process (see `campus-web`). A process running some of them serves the
/// API only.
pub fn pages(config: &Config) -> Option<Pages> {
    all()
        .iter()
        .all(|context| config.runs(context.name))
        .then_some(campus_web::pages as Pages)
}
