//! Quizzes: question banks, quizzes drawn from them, timed attempts and their marking.
//!
//! Rooms: `marking` (questions, answers and marks: pure), `banks` (the course's questions),
//! `setting` (quizzes: selection, window, time limit, attempts), `attempts` (starting, saving
//! answers, submitting, the closer of abandoned attempts, hand marking) and `analysis` (how a
//! class answered each question). Reading quizzes is here.

mod analysis;
pub(crate) mod attempts;
mod banks;
pub(crate) mod marking;
mod setting;

use campus_contracts::assessments::GradeRelease;
use campus_platform::{
    error::Problem, http::Json, people::Caller, rosters::Standing, time, Error, Result,
};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    calendar,
    store::quizzes::{self as store, QuizRow},
    Assessments,
};
use marking::Keep;

pub(crate) fn routes(assessments: Assessments) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(banks::list_banks, banks::create_bank))
        .routes(routes!(banks::get_bank, banks::update_bank))
        .routes(routes!(list_quizzes, setting::create_quiz))
        .routes(routes!(get_quiz, setting::update_quiz))
        .routes(routes!(setting::publish_quiz))
        .routes(routes!(setting::release_quiz))
        .routes(routes!(attempts::list_attempts, attempts::start_attempt))
        .routes(routes!(attempts::get_attempt))
        .routes(routes!(attempts::save_answers))
        .routes(routes!(attempts::submit_attempt))
        .routes(routes!(attempts::mark_attempt))
        .routes(routes!(analysis::item_analysis))
        .with_state(assessments)
}

/// Which questions a quiz asks, in order: a named question, or some drawn at random from a bank
/// for each attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Pick {
    Fixed {
        question_id: String,
    },
    /// `count` questions drawn anew for each attempt, each worth `points_each` (so every
    /// attempt is worth the same, whichever questions it drew).
    Random {
        bank_id: String,
        #[schema(minimum = 1, maximum = 200)]
        count: usize,
        #[schema(minimum = 0, maximum = 1000)]
        points_each: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QuizStatus {
    Draft,
    Published,
}

campus_contracts::text_enum!(QuizStatus, "quiz status", {
    Draft => "draft",
    Published => "published",
});

campus_contracts::text_enum!(Keep, "kept score", {
    Highest => "highest",
    Latest => "latest",
    Average => "average",
});

/// A quiz. Instants carry the school's offset on that day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Quiz {
    pub id: String,
    pub course_id: String,
    pub module_id: Option<String>,
    pub title: String,
    /// Markdown as written; for the course's staff only.
    pub instructions: Option<String>,
    pub instructions_html: String,
    /// For the course's staff only.
    pub selection: Option<Vec<Pick>>,
    /// How many questions each attempt asks.
    pub question_count: usize,
    pub max_points: f64,
    pub time_zone: String,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    /// Seconds an attempt may last; `null`: untimed.
    pub time_limit_secs: Option<i64>,
    /// 0: no limit.
    pub attempts_allowed: i64,
    pub keep: Keep,
    pub shuffle_options: bool,
    pub release: GradeRelease,
    pub results_released: bool,
    pub status: QuizStatus,
    pub created_at: String,
    pub updated_at: String,
}

impl QuizRow {
    pub(crate) fn selection(&self) -> Result<Vec<Pick>> {
        serde_json::from_str(&self.selection).map_err(Error::internal)
    }

    pub(crate) fn keep(&self) -> Result<Keep> {
        self.keep_score.parse().map_err(Error::internal)
    }

    pub(crate) fn release(&self) -> Result<GradeRelease> {
        self.grade_release.parse().map_err(Error::internal)
    }

    pub(crate) fn is_published(&self) -> bool {
        self.status == QuizStatus::Published.as_str()
    }

    /// Whether a student sees their marks and the answer key once an attempt is marked.
    pub(crate) fn results_released(&self) -> Result<bool> {
        Ok(self.release()? == GradeRelease::AsGraded || self.released_at.is_some())
    }

    /// Published and open by now (students see a quiz from its opening).
    pub(crate) fn open_to_students(&self, now: i64) -> bool {
        self.is_published() && self.opens_at.is_none_or(|at| at <= now)
    }

    pub(crate) fn view(&self, zone: &TimeZone, staff: bool, size: (usize, f64)) -> Result<Quiz> {
        let show = |ms: Option<i64>| ms.map(|ms| calendar::show(ms, zone));
        Ok(Quiz {
            id: self.id.clone(),
            course_id: self.course_id.clone(),
            module_id: self.module_id.clone(),
            title: self.title.clone(),
            instructions: staff.then(|| self.instructions.clone()),
            instructions_html: self.instructions_html.clone(),
            selection: if staff { Some(self.selection()?) } else { None },
            question_count: size.0,
            max_points: size.1,
            time_zone: zone.iana_name().unwrap_or("UTC").to_owned(),
            opens_at: show(self.opens_at),
            closes_at: show(self.closes_at),
            time_limit_secs: self.time_limit_secs,
            attempts_allowed: self.attempts_allowed,
            keep: self.keep()?,
            shuffle_options: self.shuffle_options != 0,
            release: self.release()?,
            results_released: self.results_released()?,
            status: self.status.parse().map_err(Error::internal)?,
            created_at: time::rfc3339(self.created_at),
            updated_at: time::rfc3339(self.updated_at),
        })
    }
}

/// A quiz of the caller's school with their standing in its course, or 404 when they may not
/// see it (students see published quizzes from their opening).
pub(crate) async fn load(
    assessments: &Assessments,
    caller: &Caller,
    quiz_id: &str,
) -> Result<(QuizRow, Standing)> {
    let quiz = store::quiz(
        &assessments.db,
        &assessments.quizzes,
        &caller.school_id,
        quiz_id,
    )
    .await?;
    let standing = assessments
        .rosters
        .standing(caller, &quiz.course_id)
        .await
        .map_err(|error| error.unseen_as("quiz"))?;
    if !standing.is_staff() && !quiz.open_to_students(time::now_ms()) {
        return Err(Error::NotFound { what: "quiz" });
    }
    Ok((quiz, standing))
}

/// The course's quizzes: all for its staff, published and open ones for its students.
#[utoipa::path(get, path = "/api/v1/courses/{id}/quizzes", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<Quiz>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_quizzes(
    axum::extract::State(assessments): axum::extract::State<Assessments>,
    caller: Caller,
    axum::extract::Path(course_id): axum::extract::Path<String>,
) -> Result<Json<Vec<Quiz>>> {
    let standing = assessments.rosters.standing(&caller, &course_id).await?;
    if !standing.is_staff() && standing.role.is_none() {
        return Err(Error::forbidden("quizzes are for the course's members"));
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let questions = setting::Questions::of_course(&assessments, &course_id).await?;
    let now = time::now_ms();
    let mut shown = Vec::new();
    for quiz in store::course_quizzes(&assessments.db, &course_id).await? {
        if standing.is_staff() || quiz.open_to_students(now) {
            let size = questions.size(&quiz.selection()?);
            shown.push(quiz.view(&zone, standing.is_staff(), size)?);
        }
    }
    Ok(Json(shown))
}

/// One quiz: for the course's staff, and (published and open) its students.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Quiz), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_quiz(
    axum::extract::State(assessments): axum::extract::State<Assessments>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Quiz>> {
    let (quiz, standing) = load(&assessments, &caller, &id).await?;
    if !standing.is_staff() && standing.role.is_none() {
        return Err(Error::forbidden("quizzes are for the course's members"));
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let questions = setting::Questions::of_course(&assessments, &quiz.course_id).await?;
    let size = questions.size(&quiz.selection()?);
    Ok(Json(quiz.view(&zone, standing.is_staff(), size)?))
}
