//! Attempts: a student starts a quiz (two starts at once make one attempt), answers are saved
//! as they go, and the attempt is marked at once when submitted. Time is the server's: an
//! attempt's deadline is its start plus the time limit (or the quiz's closing, if sooner);
//! answers after it are refused, a late submission is marked as of the deadline, and an
//! abandoned attempt is closed and marked at its deadline by the closer. Submitting twice
//! marks once. The answer key reaches a student only once their attempt is marked and the
//! results are released.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::assessments::QuizAttemptGraded;
use campus_platform::{
    cache::ReadCache,
    db::UnitOfWork,
    error::{Checks, FieldError, Problem},
    http::{Json, OptionalJson},
    id,
    people::Caller,
    tasks::Task,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    load,
    marking::{self, Answer, QuestionKind, StudentQuestion},
    setting::Questions,
    Pick,
};
use crate::{
    store::quizzes::{self as store, AttemptRow, QuizRow},
    Assessments,
};

/// How often the closer looks for attempts whose time ran out.
const CLOSER_EVERY: Duration = Duration::from_secs(2);

/// A question as drawn into an attempt: kept whole with it, key included, so later edits of
/// the bank change no attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Drawn {
    pub question_id: String,
    pub prompt_html: String,
    pub points: f64,
    pub question: QuestionKind,
    /// The order the student sees the options in.
    #[serde(default)]
    pub option_order: Vec<String>,
}

/// A question of an attempt as its viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttemptQuestion {
    pub id: String,
    pub prompt_html: String,
    pub points: f64,
    pub question: StudentQuestion,
    pub answer: Option<Answer>,
    /// Once marked and released (always, for staff): the points this answer earned (`null`:
    /// waits for a teacher) and whether it was right.
    pub earned: Option<f64>,
    pub correct: Option<bool>,
    /// Once marked and released (always, for staff): the question with its answer key.
    pub key: Option<QuestionKind>,
}

/// `in_progress`, `needs_grading` (essays wait for a teacher) or `graded`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Attempt {
    pub id: String,
    pub quiz_id: String,
    pub student_id: String,
    pub number: i64,
    pub status: String,
    pub started_at: String,
    /// When time runs out, by the server's clock.
    pub deadline: Option<String>,
    /// Seconds left now, for a countdown (0 once past).
    pub seconds_left: Option<i64>,
    pub submitted_at: Option<String>,
    /// Once marked and released (always, for staff).
    pub score: Option<f64>,
    pub max_points: f64,
    pub questions: Vec<AttemptQuestion>,
}

/// Open attempts' questions as drawn, parsed, by attempt id. Every save and the submission of
/// an attempt need its questions, and parsing them from the row was a twentieth of the
/// processor time of an exam's submissions; an attempt's questions never change once drawn, so
/// a copy is never stale. Kept while the attempt is open (its close forgets it), so what it
/// holds is the exams under way: about 6 KiB an attempt of ten questions.
pub(crate) type DrawnQuestions = Arc<ReadCache<String, Arc<[Drawn]>>>;

pub(crate) fn drawn_questions() -> DrawnQuestions {
    Arc::new(ReadCache::new(10_000, Duration::from_secs(3 * 60 * 60)))
}

impl AttemptRow {
    async fn drawn(&self, assessments: &Assessments) -> Result<Arc<[Drawn]>> {
        let parsed = || {
            serde_json::from_str::<Vec<Drawn>>(&self.questions)
                .map(Arc::from)
                .map_err(Error::internal)
        };
        if !self.is_open() {
            return parsed();
        }
        assessments
            .drawn
            .get_or_load(&self.id, || async { parsed() })
            .await
    }

    fn is_open(&self) -> bool {
        self.status == "in_progress"
    }
}

/// The attempt as its student (or the course's staff) may see it, with its answers as saved.
async fn view(
    assessments: &Assessments,
    quiz: &QuizRow,
    attempt: &AttemptRow,
    staff: bool,
) -> Result<Attempt> {
    let mut conn = assessments.db.pool().acquire().await?;
    let answers = store::answers(&mut conn, &attempt.id).await?;
    drop(conn);
    shown(
        quiz,
        attempt,
        &attempt.drawn(assessments).await?,
        &answers,
        staff,
    )
}

/// The attempt with its questions (`drawn`) and `answers`, as the student (or staff) may see it.
fn shown(
    quiz: &QuizRow,
    attempt: &AttemptRow,
    drawn: &[Drawn],
    answers: &[store::AnswerRow],
    staff: bool,
) -> Result<Attempt> {
    let revealed = staff || (!attempt.is_open() && quiz.results_released()?);
    let now = time::now_ms();
    let mut questions = Vec::with_capacity(drawn.len());
    for drawn in drawn {
        let given = answers.iter().find(|a| a.question_id == drawn.question_id);
        let answer = given
            .map(|a| serde_json::from_str::<Option<Answer>>(&a.answer))
            .transpose()
            .map_err(Error::internal)?
            .flatten();
        questions.push(AttemptQuestion {
            id: drawn.question_id.clone(),
            prompt_html: drawn.prompt_html.clone(),
            points: drawn.points,
            question: marking::for_student(&drawn.question).in_order(&drawn.option_order),
            answer,
            earned: given
                .and_then(|a| a.points)
                .filter(|_| revealed && !attempt.is_open()),
            correct: given
                .and_then(|a| a.correct)
                .map(|c| c != 0)
                .filter(|_| revealed && !attempt.is_open()),
            key: revealed.then(|| drawn.question.clone()),
        });
    }
    Ok(Attempt {
        id: attempt.id.clone(),
        quiz_id: attempt.quiz_id.clone(),
        student_id: attempt.student_id.clone(),
        number: attempt.number,
        status: attempt.status.clone(),
        started_at: time::rfc3339(attempt.started_at),
        deadline: attempt.deadline.map(time::rfc3339),
        seconds_left: attempt
            .deadline
            .filter(|_| attempt.is_open())
            .map(|deadline| ((deadline - now).max(0) + 999) / 1000),
        submitted_at: attempt.submitted_at.map(time::rfc3339),
        score: attempt.score.filter(|_| revealed),
        max_points: attempt.max_points,
        questions,
    })
}

/// Draws an attempt's questions from the quiz's selection.
fn draw(quiz: &QuizRow, questions: &Questions) -> Result<Vec<Drawn>> {
    let mut rng = rand::rng();
    let selection = quiz.selection()?;
    let fixed: std::collections::HashSet<&str> = selection
        .iter()
        .filter_map(|pick| match pick {
            Pick::Fixed { question_id } => Some(question_id.as_str()),
            Pick::Random { .. } => None,
        })
        .collect();
    let mut chosen: Vec<(String, Option<f64>)> = Vec::new();
    for pick in &selection {
        match pick {
            Pick::Fixed { question_id } => chosen.push((question_id.clone(), None)),
            Pick::Random {
                bank_id,
                count,
                points_each,
            } => {
                // A question picked by name, or drawn already, is not drawn again.
                let candidates: Vec<String> = questions
                    .by_bank
                    .get(bank_id)
                    .map(|ids| {
                        ids.iter()
                            .filter(|id| {
                                !fixed.contains(id.as_str())
                                    && !chosen.iter().any(|(c, _)| c == *id)
                            })
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                for id in marking::draw(&candidates, *count, &mut rng) {
                    chosen.push((id, Some(*points_each)));
                }
            }
        }
    }
    chosen
        .into_iter()
        .map(|(id, points)| {
            let row = questions.by_id.get(&id).ok_or_else(|| {
                Error::conflict(
                    "question_gone",
                    "a question of this quiz is gone from its bank; tell the teacher",
                )
            })?;
            let question = row.kind()?;
            let option_order = if quiz.shuffle_options != 0 {
                marking::shuffle_options(&question, &mut rng)
            } else {
                Vec::new()
            };
            Ok(Drawn {
                question_id: row.id.clone(),
                prompt_html: row.prompt_html.clone(),
                points: points.unwrap_or(row.points),
                question,
                option_order,
            })
        })
        .collect()
}

/// Starts an attempt, or answers the one in progress (200) — also when two starts race.
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/attempts", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = Attempt), (status = 200, description = "The attempt already in progress", body = Attempt),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The quiz is closed (`quiz_closed`), no attempts are left (`no_attempts_left`), or the course is archived (`course_archived`)", body = Problem)))]
pub(super) async fn start_attempt(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Attempt>)> {
    let (quiz, standing) = load(&assessments, &caller, &id).await?;
    standing.require_student()?;
    standing.require_open()?;
    let now = time::now_ms();
    let mut conn = assessments.db.pool().acquire().await?;
    let mut earlier = store::attempts_of(&mut conn, &quiz.id, &caller.user_id).await?;
    drop(conn);
    if let Some(open) = earlier.iter_mut().find(|a| a.is_open()) {
        if open.deadline.is_none_or(|deadline| now <= deadline) {
            return Ok((
                StatusCode::OK,
                Json(view(&assessments, &quiz, open, false).await?),
            ));
        }
        // Its time ran out before the closer came by: close it now, as of its deadline.
        let drawn = open.drawn(&assessments).await?;
        close(&assessments, &quiz, open, &drawn, Closing::at(now)).await?;
    }
    if quiz.closes_at.is_some_and(|closes| now >= closes) {
        return Err(Error::conflict("quiz_closed", "the quiz has closed"));
    }
    if quiz.attempts_allowed > 0 && earlier.len() as i64 >= quiz.attempts_allowed {
        return Err(Error::conflict(
            "no_attempts_left",
            format!("this quiz takes {} attempts", quiz.attempts_allowed),
        ));
    }
    let questions = Questions::of_course(&assessments, &quiz.course_id).await?;
    let drawn = draw(&quiz, &questions)?;
    let deadline = match (quiz.time_limit_secs, quiz.closes_at) {
        (Some(limit), Some(closes)) => Some((now + limit * 1000).min(closes)),
        (Some(limit), None) => Some(now + limit * 1000),
        (None, closes) => closes,
    };
    let attempt = AttemptRow {
        id: id::new_id_string(),
        school_id: quiz.school_id.clone(),
        course_id: quiz.course_id.clone(),
        quiz_id: quiz.id.clone(),
        student_id: caller.user_id.clone(),
        number: earlier.len() as i64 + 1,
        questions: serde_json::to_string(&drawn).map_err(Error::internal)?,
        max_points: drawn.iter().map(|d| d.points).sum(),
        started_at: now,
        deadline,
        status: "in_progress".to_owned(),
        submitted_at: None,
        score: None,
        answers_version: 0,
    };
    // Committed with the other starts of the moment (a class pressing start together).
    let started = {
        let attempt = Arc::new(attempt.clone());
        assessments
            .db
            .write_grouped(move |uow| {
                let attempt = attempt.clone();
                Box::pin(async move { store::insert_attempt(uow, &attempt).await })
            })
            .await?
    };
    if started {
        assessments.drawn.remember(attempt.id.clone(), drawn.into());
        return Ok((
            StatusCode::CREATED,
            Json(view(&assessments, &quiz, &attempt, false).await?),
        ));
    }
    // Another start won the race: answer its attempt.
    let mut conn = assessments.db.pool().acquire().await?;
    let open = store::attempts_of(&mut conn, &quiz.id, &caller.user_id)
        .await?
        .into_iter()
        .find(AttemptRow::is_open)
        .ok_or_else(|| {
            Error::conflict(
                "attempt_conflict",
                "another attempt started at the same moment; try again",
            )
        })?;
    Ok((
        StatusCode::OK,
        Json(view(&assessments, &quiz, &open, false).await?),
    ))
}

/// The attempt of the caller's school when the caller may see it: its student, or the
/// course's staff.
async fn load_attempt(
    assessments: &Assessments,
    caller: &Caller,
    id: &str,
) -> Result<(AttemptRow, QuizRow, campus_platform::rosters::Standing)> {
    let mut conn = assessments.db.pool().acquire().await?;
    let attempt = store::attempt(&mut conn, &caller.school_id, id).await?;
    drop(conn);
    authorized(assessments, caller, attempt).await
}

/// The attempt with its quiz and the caller's standing in the course, if the caller may see
/// it: its student, or the course's staff.
async fn authorized(
    assessments: &Assessments,
    caller: &Caller,
    attempt: AttemptRow,
) -> Result<(AttemptRow, QuizRow, campus_platform::rosters::Standing)> {
    let (quiz, standing) = load(assessments, caller, &attempt.quiz_id)
        .await
        .map_err(|error| error.unseen_as("attempt"))?;
    if !standing.is_staff() && attempt.student_id != caller.user_id {
        return Err(Error::NotFound { what: "attempt" });
    }
    Ok((attempt, quiz, standing))
}

/// The quiz's attempts: every student's for the staff, the caller's own for a student.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/attempts", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<Attempt>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn list_attempts(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Attempt>>> {
    let (quiz, standing) = load(&assessments, &caller, &id).await?;
    let rows = if standing.is_staff() {
        store::quiz_attempts(&assessments.db, &quiz.id).await?
    } else if standing.is_student() {
        let mut conn = assessments.db.pool().acquire().await?;
        store::attempts_of(&mut conn, &quiz.id, &caller.user_id).await?
    } else {
        return Err(Error::forbidden("attempts are for the course's members"));
    };
    let mut shown = Vec::with_capacity(rows.len());
    for row in &rows {
        shown.push(view(&assessments, &quiz, row, standing.is_staff()).await?);
    }
    Ok(Json(shown))
}

/// One attempt, for its student and the course's staff. A student sees no answer key before
/// the attempt is marked and the results are released.
#[utoipa::path(get, path = "/api/v1/attempts/{id}", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Attempt), (status = 404, body = Problem)))]
pub(super) async fn get_attempt(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Attempt>> {
    let (attempt, quiz, standing) = load_attempt(&assessments, &caller, &id).await?;
    Ok(Json(
        view(&assessments, &quiz, &attempt, standing.is_staff()).await?,
    ))
}

/// Answers by question id; `null` clears an answer.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswersInput {
    #[schema(schema_with = answers_schema)]
    pub answers: BTreeMap<String, Option<Answer>>,
}

/// An object of answers (`Answer`) or `null`s, by question id.
fn answers_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::{
        schema::{ObjectBuilder, OneOfBuilder, Schema, Type},
        Ref,
    };
    let answer_or_null = OneOfBuilder::new()
        .item(Ref::from_schema_name("Answer"))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(Schema::OneOf(answer_or_null)))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Saved {
    pub saved: usize,
    pub seconds_left: Option<i64>,
}

/// Saves some of the attempt's answers as the student goes (the others stay as they were).
#[utoipa::path(put, path = "/api/v1/attempts/{id}/answers", tag = "assessments", params(("id" = String, Path)), request_body = AnswersInput, security(("bearer" = [])),
    responses((status = 200, body = Saved), (status = 404, body = Problem),
        (status = 409, description = "Time ran out or the attempt was submitted (`attempt_closed`)", body = Problem),
        (status = 422, description = "An answer to a question not in the attempt, or of the wrong kind", body = Problem)))]
pub(super) async fn save_answers(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<AnswersInput>,
) -> Result<Json<Saved>> {
    let (mut attempt, quiz, _) = load_attempt(&assessments, &caller, &id).await?;
    if attempt.student_id != caller.user_id {
        return Err(Error::forbidden("only the attempt's student answers it"));
    }
    let now = time::now_ms();
    let drawn = attempt.drawn(&assessments).await?;
    if attempt.is_open() && attempt.deadline.is_some_and(|deadline| now > deadline) {
        close(&assessments, &quiz, &mut attempt, &drawn, Closing::at(now)).await?;
    }
    if !attempt.is_open() {
        return Err(Error::conflict(
            "attempt_closed",
            "this attempt is over; nothing more is saved",
        ));
    }
    let answers = Arc::new(checked(&drawn, &input)?);
    let saved = {
        let (attempt_id, answers) = (Arc::new(attempt.id.clone()), answers.clone());
        assessments
            .db
            .write_grouped(move |uow| {
                let (attempt_id, answers) = (attempt_id.clone(), answers.clone());
                Box::pin(async move { store::save_answers(uow, &attempt_id, &answers, now).await })
            })
            .await?
    };
    if !saved {
        // Submitted or closed since it was read.
        return Err(Error::conflict(
            "attempt_closed",
            "this attempt is over; nothing more is saved",
        ));
    }
    Ok(Json(Saved {
        saved: answers.len(),
        seconds_left: attempt
            .deadline
            .map(|deadline| ((deadline - now).max(0) + 999) / 1000),
    }))
}

/// The answers checked against the attempt's questions, as the rows to save (`(question id,
/// answer as JSON)`).
fn checked(drawn: &[Drawn], input: &AnswersInput) -> Result<Vec<(String, String)>> {
    let mut checks = Checks::default();
    for (question_id, answer) in &input.answers {
        let field = format!("answers.{question_id}");
        match drawn.iter().find(|d| &d.question_id == question_id) {
            None => checks.push(FieldError::new(
                field,
                "not_in_attempt",
                "not a question of this attempt",
            )),
            Some(drawn) => {
                if let Some(answer) = answer {
                    if let Err(problem) = marking::check_answer(&field, &drawn.question, answer) {
                        checks.push(problem);
                    }
                }
            }
        }
    }
    checks.finish()?;
    input
        .answers
        .iter()
        .map(|(question_id, answer)| {
            let text = serde_json::to_string(answer).map_err(Error::internal)?;
            Ok((question_id.clone(), text))
        })
        .collect()
}

/// Submits the attempt and marks it at once (as of its deadline, when submitted late). The
/// body may carry the last answers, saved and marked in the same step (one write instead of a
/// save and a submission); answers that arrive after the deadline are not kept. A second
/// submission changes nothing and answers the marked attempt again.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/submit", tag = "assessments", params(("id" = String, Path)),
    request_body(content = Option<AnswersInput>, description = "The last answers, optional"), security(("bearer" = [])),
    responses((status = 200, body = Attempt), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The answers kept changing while the attempt was being submitted (`attempt_busy`); submit again", body = Problem),
        (status = 422, description = "An answer names a question not in the attempt, or does not fit its question", body = Problem)))]
pub(super) async fn submit_attempt(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJson(input): OptionalJson<AnswersInput>,
) -> Result<Json<Attempt>> {
    // The student's other attempts come with it: the score the quiz keeps is drawn from all.
    let mut conn = assessments.db.pool().acquire().await?;
    let (attempt, siblings) =
        store::attempt_and_siblings(&mut conn, &caller.school_id, &id).await?;
    drop(conn);
    let (mut attempt, quiz, _) = authorized(&assessments, &caller, attempt).await?;
    if attempt.student_id != caller.user_id {
        return Err(Error::forbidden("only the attempt's student submits it"));
    }
    // Checking, marking and answering all read the attempt's questions.
    let drawn = attempt.drawn(&assessments).await?;
    let last = checked(&drawn, &input)?;
    if attempt.is_open() {
        let now = time::now_ms();
        let in_time = attempt.deadline.is_none_or(|deadline| now <= deadline);
        let last = if in_time { last.as_slice() } else { &[] };
        let closing = Closing {
            at: now,
            last,
            siblings: Some(siblings),
        };
        if let Some(answers) = close(&assessments, &quiz, &mut attempt, &drawn, closing).await? {
            // Answered from what was just written, without reading it back.
            return Ok(Json(shown(&quiz, &attempt, &drawn, &answers, false)?));
        }
    }
    Ok(Json(view(&assessments, &quiz, &attempt, false).await?))
}

/// How an attempt closes: when, with which last answers, and, if the caller read them, the
/// student's attempts at the quiz.
struct Closing<'a> {
    at: i64,
    last: &'a [(String, String)],
    siblings: Option<Vec<AttemptRow>>,
}

impl Closing<'_> {
    /// At `at`, with the answers saved so far.
    fn at(at: i64) -> Self {
        Self {
            at,
            last: &[],
            siblings: None,
        }
    }
}

/// Closes an attempt in progress (its questions `drawn`) at `at` (or its deadline, if sooner)
/// with `last` answers added to those saved, and marks it, in one unit of work with its event;
/// answers the marked answers as written. When another request closed it first, `attempt`
/// becomes what that one wrote, and the answer is None.
///
/// The saved answers are read before the write lock is taken, so the locked part is only the
/// writes; the attempt closes only if no save landed since (its answers' version), and a save
/// that did land is marked on the next try.
async fn close(
    assessments: &Assessments,
    quiz: &QuizRow,
    attempt: &mut AttemptRow,
    drawn: &[Drawn],
    closing: Closing<'_>,
) -> Result<Option<Vec<store::AnswerRow>>> {
    const TRIES: usize = 5;
    let Closing {
        at,
        last,
        mut siblings,
    } = closing;
    let saved_at = at;
    let at = attempt.deadline.map_or(at, |deadline| at.min(deadline));
    // Last answers to every question (a page that sends them all with the submission) replace
    // whatever was saved: nothing saved needs reading.
    let answers_all = drawn
        .iter()
        .all(|question| last.iter().any(|(id, _)| *id == question.question_id));
    for _ in 0..TRIES {
        let mut given: BTreeMap<String, (String, i64)> = BTreeMap::new();
        // The caller's read serves the first try; a later try reads them again.
        let earlier = match siblings.take() {
            Some(siblings) if answers_all => siblings,
            siblings => {
                let mut conn = assessments.db.pool().acquire().await?;
                if !answers_all {
                    given = store::answers(&mut conn, &attempt.id)
                        .await?
                        .into_iter()
                        .map(|row| (row.question_id, (row.answer, row.saved_at)))
                        .collect();
                }
                match siblings {
                    Some(siblings) => siblings,
                    None => store::attempts_of(&mut conn, &quiz.id, &attempt.student_id).await?,
                }
            }
        };
        for (question_id, answer) in last {
            given.insert(question_id.clone(), (answer.clone(), saved_at));
        }
        let mut score = 0.0;
        let mut waiting = false;
        let mut marks = Vec::with_capacity(drawn.len());
        for question in drawn {
            let (answer, saved_at) = given
                .remove(&question.question_id)
                .unwrap_or_else(|| ("null".to_owned(), 0));
            let parsed: Option<Answer> = serde_json::from_str(&answer).map_err(Error::internal)?;
            let mark = marking::mark(&question.question, question.points, parsed.as_ref());
            match mark.points {
                Some(points) => score += points,
                None => waiting = true,
            }
            marks.push(store::MarkedAnswer {
                question_id: question.question_id.clone(),
                answer,
                saved_at,
                points: mark.points,
                correct: mark.correct,
            });
        }
        let status = if waiting { "needs_grading" } else { "graded" };
        let mut closed = attempt.clone();
        closed.status = status.to_owned();
        closed.submitted_at = Some(at);
        closed.score = Some(score);
        // Committed with the other submissions of the moment (an exam's last minute).
        let answers = marks
            .iter()
            .map(|mark| store::AnswerRow {
                question_id: mark.question_id.clone(),
                answer: mark.answer.clone(),
                points: mark.points,
                correct: mark.correct.map(i64::from),
                saved_at: mark.saved_at,
            })
            .collect();
        let writes = Arc::new((
            quiz.clone(),
            attempt.clone(),
            closed.clone(),
            marks,
            earlier,
        ));
        let done = assessments
            .db
            .write_grouped(move |uow| {
                let writes = writes.clone();
                Box::pin(async move {
                    let (quiz, open, closed, marks, earlier) = &*writes;
                    if !store::close_attempt(uow, open, status, at, Some(score), marks).await? {
                        return Ok(false);
                    }
                    if !waiting {
                        announce(uow, quiz, closed, score, earlier).await?;
                    }
                    Ok(true)
                })
            })
            .await?;
        if done {
            assessments.drawn.forget(&attempt.id);
            *attempt = closed;
            return Ok(Some(answers));
        }
        // Closed, or saved to, since it was read.
        let mut conn = assessments.db.pool().acquire().await?;
        *attempt = store::attempt(&mut conn, &attempt.school_id, &attempt.id).await?;
        if !attempt.is_open() {
            return Ok(None);
        }
    }
    Err(Error::conflict(
        "attempt_busy",
        "the answers kept changing while the attempt was being submitted; submit again",
    ))
}

/// Records the attempt's mark and the student's kept score at the quiz, from their attempts
/// (`attempts`, which may hold this one as it was before it closed).
async fn announce(
    uow: &mut UnitOfWork,
    quiz: &QuizRow,
    attempt: &AttemptRow,
    score: f64,
    attempts: &[AttemptRow],
) -> Result<()> {
    let scores: Vec<(i64, f64)> = attempts
        .iter()
        .filter(|a| a.status == "graded" || a.id == attempt.id)
        .map(|a| {
            // This attempt as it is now, however it was read.
            let a = if a.id == attempt.id { attempt } else { a };
            let score = if a.id == attempt.id {
                Some(score)
            } else {
                a.score
            };
            (a.submitted_at.unwrap_or(a.started_at), score.unwrap_or(0.0))
        })
        .collect();
    let kept = marking::kept_score(quiz.keep()?, &scores).unwrap_or(score);
    uow.record(
        &quiz.school_id,
        &QuizAttemptGraded {
            attempt_id: attempt.id.clone(),
            quiz_id: quiz.id.clone(),
            course_id: quiz.course_id.clone(),
            school_id: quiz.school_id.clone(),
            student_id: attempt.student_id.clone(),
            points: score,
            kept_points: kept,
            max_points: attempt.max_points,
            released: quiz.results_released()?,
        },
    )
    .await
    .map(drop)
}

/// Points a teacher gives by hand (essays), by question id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MarksInput {
    pub marks: BTreeMap<String, f64>,
}

/// Marks questions of a submitted attempt by hand (essays, or a correction), re-adds the score,
/// and announces it once nothing waits for a teacher.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/grade", tag = "assessments", params(("id" = String, Path)), request_body = MarksInput, security(("bearer" = [])),
    responses((status = 200, body = Attempt), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The attempt is still in progress (`attempt_in_progress`), or the course is archived (`course_archived`)", body = Problem),
        (status = 422, description = "A question not in the attempt, or points above its worth", body = Problem)))]
pub(super) async fn mark_attempt(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<MarksInput>,
) -> Result<Json<Attempt>> {
    let (mut attempt, quiz, standing) = load_attempt(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    if attempt.is_open() {
        return Err(Error::conflict(
            "attempt_in_progress",
            "the attempt is still being taken",
        ));
    }
    let drawn = attempt.drawn(&assessments).await?;
    let mut checks = Checks::default();
    for (question_id, points) in &input.marks {
        let field = format!("marks.{question_id}");
        match drawn.iter().find(|d| &d.question_id == question_id) {
            None => checks.push(FieldError::new(
                field,
                "not_in_attempt",
                "not a question of this attempt",
            )),
            Some(d) if !points.is_finite() || *points < 0.0 || *points > d.points + 1e-9 => checks
                .push(FieldError::new(
                    field,
                    "out_of_range",
                    format!("0 to {} points", d.points),
                )),
            Some(_) => {}
        }
    }
    checks.finish()?;
    let mut uow = assessments.db.begin().await?;
    for (question_id, points) in &input.marks {
        store::mark_answer(&mut uow, &attempt.id, question_id, Some(*points), None).await?;
    }
    let answers = store::answers(uow.conn(), &attempt.id).await?;
    let waiting = drawn.iter().any(|d| {
        answers
            .iter()
            .find(|a| a.question_id == d.question_id)
            .is_none_or(|a| a.points.is_none())
    });
    let score: f64 = answers.iter().filter_map(|a| a.points).sum();
    let status = if waiting { "needs_grading" } else { "graded" };
    store::set_attempt_score(&mut uow, &attempt.id, status, score).await?;
    attempt.status = status.to_owned();
    attempt.score = Some(score);
    if !waiting {
        let attempts = store::attempts_of(uow.conn(), &quiz.id, &attempt.student_id).await?;
        announce(&mut uow, &quiz, &attempt, score, &attempts).await?;
    }
    uow.commit().await?;
    Ok(Json(view(&assessments, &quiz, &attempt, true).await?))
}

/// Closes attempts whose time ran out while nobody submitted them, and marks them as of their
/// deadline: a student who closed the tab still gets their saved answers marked.
pub(crate) fn closer(assessments: Assessments) -> Task {
    Task::every("quiz attempt closer", CLOSER_EVERY, move || {
        let assessments = assessments.clone();
        async move {
            if let Err(error) = close_overdue(&assessments).await {
                tracing::warn!(%error, "closing overdue quiz attempts failed");
            }
        }
    })
}

async fn close_overdue(assessments: &Assessments) -> Result<()> {
    for (attempt_id, school_id) in
        store::overdue_attempts(&assessments.db, time::now_ms(), 200).await?
    {
        let mut conn = assessments.db.pool().acquire().await?;
        let mut attempt = store::attempt(&mut conn, &school_id, &attempt_id).await?;
        drop(conn);
        let quiz = store::quiz(
            &assessments.db,
            &assessments.quizzes,
            &school_id,
            &attempt.quiz_id,
        )
        .await?;
        let drawn = attempt.drawn(assessments).await?;
        close(
            assessments,
            &quiz,
            &mut attempt,
            &drawn,
            Closing::at(time::now_ms()),
        )
        .await?;
    }
    Ok(())
}
