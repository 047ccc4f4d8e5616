//! Writing a quiz: which questions it asks (fixed, or drawn from banks for each attempt), when
//! it is open, how long an attempt lasts, how many attempts count and how; drafts, publishing
//! and releasing results.

use std::collections::{HashMap, HashSet};

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::assessments::{GradeRelease, GradesReleased, QuizPublished};
use campus_platform::{
    error::{Checks, FieldError, Problem},
    http::Json,
    id, markdown,
    people::Caller,
    time, Error, Result,
};
use jiff::tz::TimeZone;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{load, marking::Keep, Pick, Quiz, QuizStatus};
use crate::{
    calendar,
    store::quizzes::{self as store, QuestionRow, QuizRow},
    Assessments,
};

const PICKS_MAX: usize = 100;
/// The longest time limit: a day.
const TIME_LIMIT_MAX: i64 = 24 * 60 * 60;

/// The course's questions by id and by bank: what a quiz's selection is checked and drawn
/// against (one query).
pub(crate) struct Questions {
    pub by_id: HashMap<String, QuestionRow>,
    pub by_bank: HashMap<String, Vec<String>>,
}

impl Questions {
    pub(crate) async fn of_course(assessments: &Assessments, course_id: &str) -> Result<Self> {
        let rows = store::course_questions(&assessments.db, course_id).await?;
        let banks = store::banks(&assessments.db, course_id).await?;
        let mut by_bank: HashMap<String, Vec<String>> = banks
            .into_iter()
            .map(|bank| (bank.id, Vec::new()))
            .collect();
        for row in &rows {
            by_bank
                .entry(row.bank_id.clone())
                .or_default()
                .push(row.id.clone());
        }
        Ok(Self {
            by_id: rows.into_iter().map(|row| (row.id.clone(), row)).collect(),
            by_bank,
        })
    }

    /// How many questions an attempt asks and what it is worth.
    pub(crate) fn size(&self, selection: &[Pick]) -> (usize, f64) {
        selection
            .iter()
            .fold((0, 0.0), |(count, points), pick| match pick {
                Pick::Fixed { question_id } => (
                    count + 1,
                    points + self.by_id.get(question_id).map_or(0.0, |q| q.points),
                ),
                Pick::Random {
                    count: drawn,
                    points_each,
                    ..
                } => (count + drawn, points + *drawn as f64 * points_each),
            })
    }
}

/// A quiz's settings. Dates are wall-clock times in the school's time zone or exact instants.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuizInput {
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<200>)]
    pub title: String,
    #[serde(default)]
    #[schema(schema_with = campus_platform::openapi::fields::text::<100000>)]
    pub instructions: String,
    pub module_id: Option<String>,
    #[schema(min_items = 1, max_items = 100)]
    pub selection: Vec<Pick>,
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub opens_at: Option<String>,
    #[schema(schema_with = crate::calendar::date_time_schema)]
    pub closes_at: Option<String>,
    /// Seconds; absent: untimed.
    #[schema(minimum = 60, maximum = 86400)]
    pub time_limit_secs: Option<i64>,
    /// 0 (the default): as many as the student likes.
    #[serde(default = "one")]
    #[schema(minimum = 0, maximum = 100)]
    pub attempts_allowed: i64,
    /// Which attempt counts when there are several (default `highest`).
    #[serde(default = "highest")]
    pub keep: Keep,
    #[serde(default)]
    pub shuffle_options: bool,
    /// Default `as_graded`: marks and the answer key show once an attempt is marked.
    #[serde(default = "as_graded")]
    pub release: GradeRelease,
}

fn one() -> i64 {
    1
}

fn highest() -> Keep {
    Keep::Highest
}

fn as_graded() -> GradeRelease {
    GradeRelease::AsGraded
}

impl QuizInput {
    fn write_onto(&self, quiz: &mut QuizRow, questions: &Questions, zone: &TimeZone) -> Result<()> {
        let mut checks = Checks::default();
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            checks.push(FieldError::new(
                "title",
                "invalid_title",
                "1 to 200 characters",
            ));
        }
        if self.instructions.chars().count() > 100_000 {
            checks.push(FieldError::new(
                "instructions",
                "too_long",
                "at most 100,000 characters",
            ));
        }
        if self.selection.is_empty() || self.selection.len() > PICKS_MAX {
            checks.push(FieldError::new(
                "selection",
                "selection_size",
                "1 to 100 picks",
            ));
        }
        let mut fixed = HashSet::new();
        for (i, pick) in self.selection.iter().enumerate() {
            let at = format!("selection[{i}]");
            match pick {
                Pick::Fixed { question_id } => {
                    if !questions.by_id.contains_key(question_id) {
                        checks.push(FieldError::new(
                            format!("{at}.question_id"),
                            "unknown_question",
                            "not a question of this course's banks",
                        ));
                    } else if !fixed.insert(question_id) {
                        checks.push(FieldError::new(
                            format!("{at}.question_id"),
                            "duplicate",
                            "this question is picked already",
                        ));
                    }
                }
                Pick::Random {
                    bank_id,
                    count,
                    points_each,
                } => match questions.by_bank.get(bank_id) {
                    None => checks.push(FieldError::new(
                        format!("{at}.bank_id"),
                        "unknown_bank",
                        "not a question bank of this course",
                    )),
                    Some(ids) if *count == 0 || *count > ids.len() => checks.push(FieldError::new(
                        format!("{at}.count"),
                        "not_enough_questions",
                        format!("the bank has {} questions", ids.len()),
                    )),
                    Some(_)
                        if !points_each.is_finite() || !(0.0..=1000.0).contains(points_each) =>
                    {
                        checks.push(FieldError::new(
                            format!("{at}.points_each"),
                            "invalid_points",
                            "0 to 1000 points",
                        ));
                    }
                    Some(_) => {}
                },
            }
        }
        let opens_at = checks
            .check(calendar::optional_instant(
                "opens_at",
                self.opens_at.as_deref(),
                zone,
            ))
            .flatten();
        let closes_at = checks
            .check(calendar::optional_instant(
                "closes_at",
                self.closes_at.as_deref(),
                zone,
            ))
            .flatten();
        if let (Some(opens), Some(closes)) = (opens_at, closes_at) {
            if closes <= opens {
                checks.push(FieldError::new(
                    "closes_at",
                    "before_opening",
                    "the quiz closes before it opens",
                ));
            }
        }
        if self
            .time_limit_secs
            .is_some_and(|secs| !(60..=TIME_LIMIT_MAX).contains(&secs))
        {
            checks.push(FieldError::new(
                "time_limit_secs",
                "invalid_time_limit",
                "60 seconds to a day",
            ));
        }
        if !(0..=100).contains(&self.attempts_allowed) {
            checks.push(FieldError::new(
                "attempts_allowed",
                "invalid_attempts",
                "0 (no limit) to 100",
            ));
        }
        checks.finish()?;
        quiz.title = title.to_owned();
        quiz.instructions_html = markdown::render(&self.instructions);
        quiz.instructions = self.instructions.clone();
        quiz.module_id = self.module_id.clone();
        quiz.selection = serde_json::to_string(&self.selection).map_err(Error::internal)?;
        quiz.opens_at = opens_at;
        quiz.closes_at = closes_at;
        quiz.time_limit_secs = self.time_limit_secs;
        quiz.attempts_allowed = self.attempts_allowed;
        quiz.keep_score = self.keep.as_str().to_owned();
        quiz.shuffle_options = i64::from(self.shuffle_options);
        quiz.grade_release = self.release.as_str().to_owned();
        Ok(())
    }
}

/// Sets a new quiz in the course, as a draft: its teachers and the school's admins.
#[utoipa::path(post, path = "/api/v1/courses/{id}/quizzes", tag = "assessments", params(("id" = String, Path)), request_body = QuizInput, security(("bearer" = [])),
    responses((status = 201, body = Quiz), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn create_quiz(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(input): Json<QuizInput>,
) -> Result<(StatusCode, Json<Quiz>)> {
    let standing = assessments.rosters.standing(&caller, &course_id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let questions = Questions::of_course(&assessments, &course_id).await?;
    let now = time::now_ms();
    let mut quiz = QuizRow {
        id: id::new_id_string(),
        school_id: caller.school_id.clone(),
        course_id,
        module_id: None,
        title: String::new(),
        instructions: String::new(),
        instructions_html: String::new(),
        selection: String::new(),
        opens_at: None,
        closes_at: None,
        time_limit_secs: None,
        attempts_allowed: 1,
        keep_score: String::new(),
        shuffle_options: 0,
        grade_release: String::new(),
        released_at: None,
        status: QuizStatus::Draft.as_str().to_owned(),
        created_by: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    input.write_onto(&mut quiz, &questions, &zone)?;
    let mut uow = assessments.db.begin().await?;
    store::save_quiz(&mut uow, &assessments.quizzes, &quiz).await?;
    uow.commit().await?;
    let size = questions.size(&quiz.selection()?);
    Ok((StatusCode::CREATED, Json(quiz.view(&zone, true, size)?)))
}

/// Replaces a draft quiz's settings. A published quiz keeps its questions (attempts may have
/// drawn them) but its title, window, time limit and rules may change.
#[utoipa::path(put, path = "/api/v1/quizzes/{id}", tag = "assessments", params(("id" = String, Path)), request_body = QuizInput, security(("bearer" = [])),
    responses((status = 200, body = Quiz), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The quiz is published and the selection changed (`quiz_published`), or the course is archived (`course_archived`)", body = Problem),
        (status = 422, body = Problem)))]
pub(super) async fn update_quiz(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<QuizInput>,
) -> Result<Json<Quiz>> {
    let (mut quiz, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    if quiz.is_published() && quiz.selection()? != input.selection {
        return Err(Error::conflict(
            "quiz_published",
            "the quiz is published; its questions no longer change",
        ));
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let questions = Questions::of_course(&assessments, &quiz.course_id).await?;
    input.write_onto(&mut quiz, &questions, &zone)?;
    quiz.updated_at = time::now_ms();
    let mut uow = assessments.db.begin().await?;
    store::save_quiz(&mut uow, &assessments.quizzes, &quiz).await?;
    if quiz.is_published() {
        uow.record(&quiz.school_id, &published_event(&quiz, &questions)?)
            .await?;
    }
    uow.commit().await?;
    let size = questions.size(&quiz.selection()?);
    Ok(Json(quiz.view(&zone, true, size)?))
}

fn published_event(quiz: &QuizRow, questions: &Questions) -> Result<QuizPublished> {
    Ok(QuizPublished {
        quiz_id: quiz.id.clone(),
        course_id: quiz.course_id.clone(),
        school_id: quiz.school_id.clone(),
        module_id: quiz.module_id.clone(),
        title: quiz.title.clone(),
        max_points: questions.size(&quiz.selection()?).1,
        opens_at: quiz.opens_at.map(time::rfc3339),
        closes_at: quiz.closes_at.map(time::rfc3339),
        release: quiz.release()?,
    })
}

/// Publishes a draft: the course's students may take it in its window, and it becomes a grade
/// item. (A later change of its settings is announced again, the same way.)
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/publish", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Quiz), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem),
        (status = 422, description = "A question the quiz picks is gone from its bank", body = Problem)))]
pub(super) async fn publish_quiz(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Quiz>> {
    let (mut quiz, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let questions = Questions::of_course(&assessments, &quiz.course_id).await?;
    if !quiz.is_published() {
        // The banks may have changed since the quiz was written: check its picks again.
        let mut again = quiz.clone();
        settings_of(&quiz)?.write_onto(&mut again, &questions, &zone)?;
        quiz.status = QuizStatus::Published.as_str().to_owned();
        quiz.updated_at = time::now_ms();
        let mut uow = assessments.db.begin().await?;
        store::save_quiz(&mut uow, &assessments.quizzes, &quiz).await?;
        uow.record(&quiz.school_id, &published_event(&quiz, &questions)?)
            .await?;
        uow.commit().await?;
    }
    let size = questions.size(&quiz.selection()?);
    Ok(Json(quiz.view(&zone, true, size)?))
}

fn settings_of(quiz: &QuizRow) -> Result<QuizInput> {
    Ok(QuizInput {
        title: quiz.title.clone(),
        instructions: quiz.instructions.clone(),
        module_id: quiz.module_id.clone(),
        selection: quiz.selection()?,
        opens_at: quiz.opens_at.map(time::rfc3339),
        closes_at: quiz.closes_at.map(time::rfc3339),
        time_limit_secs: quiz.time_limit_secs,
        attempts_allowed: quiz.attempts_allowed,
        keep: quiz.keep()?,
        shuffle_options: quiz.shuffle_options != 0,
        release: quiz.release()?,
    })
}

/// Releases a quiz's results: every student sees their marks and the answer key of their
/// marked attempts now, and of later ones at once.
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/release", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Quiz), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem)))]
pub(super) async fn release_quiz(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Quiz>> {
    let (mut quiz, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    if quiz.released_at.is_none() {
        quiz.released_at = Some(time::now_ms());
        let mut uow = assessments.db.begin().await?;
        store::save_quiz(&mut uow, &assessments.quizzes, &quiz).await?;
        uow.record(
            &quiz.school_id,
            &GradesReleased {
                item_id: quiz.id.clone(),
                course_id: quiz.course_id.clone(),
                school_id: quiz.school_id.clone(),
            },
        )
        .await?;
        uow.commit().await?;
    }
    let zone = assessments
        .people
        .school_time_zone(&caller.school_id)
        .await?;
    let questions = Questions::of_course(&assessments, &quiz.course_id).await?;
    let size = questions.size(&quiz.selection()?);
    Ok(Json(quiz.view(&zone, true, size)?))
}
