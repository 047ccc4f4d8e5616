//! The assessments context: what students are asked to do and what they hand in. Teachers set
//! assignments (instructions, points, dates in the school's time zone, late policy, rubric,
//! groups, extensions); students hand in text, links and files; teachers grade, comment,
//! return work for revision and release grades. The gradebook and notifications learn of it
//! all from its events.
//!
//! Rooms: `assignments` (setting work), `submissions` (handing it in, and its files),
//! `grading` (marks, feedback, release), `quizzes` (question banks and timed attempts);
//! `calendar` reads and shows instants in the school's time zone, `rubric` scores criteria, and
//! `store` holds every SQL statement. Who is who comes from the platform's people directory,
//! and who is in which course from the course rosters.

pub(crate) mod assignments;
pub(crate) mod calendar;
pub(crate) mod grading;
pub(crate) mod quizzes;
pub(crate) mod rubric;
pub(crate) mod store;
pub(crate) mod submissions;

use std::sync::Arc;

use campus_platform::{
    context::{Context, ContextEnv, Running},
    db::Db,
    files::Files,
    people::People,
    rosters::Rosters,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every assessments handler is given; one `Arc`, since axum clones a handler's state for
/// every request.
#[derive(Clone)]
pub(crate) struct Assessments(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub people: People,
    pub rosters: Rosters,
    /// Where handed-in and feedback files are kept.
    pub files: Files,
    /// The installation's largest upload: no assignment may allow larger files.
    pub upload_limit: u64,
    pub quizzes: store::quizzes::Quizzes,
    pub drawn: quizzes::attempts::DrawnQuestions,
}

impl std::ops::Deref for Assessments {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Assessments> for People {
    fn from_ref(assessments: &Assessments) -> Self {
        assessments.people.clone()
    }
}

pub fn context() -> Context {
    Context::new("assessments", &MIGRATIONS, start)
        .with_people()
        .with_rosters()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let assessments = Assessments(Arc::new(Parts {
        db: env.db.clone(),
        people: env.people()?,
        rosters: env.rosters()?,
        files: Files::from_config(&env.config)?,
        upload_limit: env.config.files.upload_limit_bytes,
        quizzes: store::quizzes::quizzes(&env.forgetting()?),
        drawn: quizzes::attempts::drawn_questions(),
    }));
    let routes = assignments::routes(assessments.clone())
        .merge(submissions::routes(assessments.clone()))
        .merge(grading::routes(assessments.clone()))
        .merge(quizzes::routes(assessments.clone()));
    Ok(Running::new(routes).task(quizzes::attempts::closer(assessments)))
}
