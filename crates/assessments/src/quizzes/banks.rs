//! Question banks: a course's questions, written once and drawn into quizzes. Only the
//! course's staff see a bank (it holds the answer key).

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_platform::{
    error::{Checks, FieldError, Problem},
    http::Json,
    id, markdown,
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::marking::{self, QuestionKind};
use crate::{
    store::quizzes::{self as store, BankRow, QuestionRow},
    Assessments,
};

const QUESTIONS_MAX: usize = 500;
const PROMPT_MAX: usize = 10_000;

/// A question as a teacher writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuestionInput {
    /// Send a question's id back to keep it the same question (quizzes that name it find
    /// it); leave it out for a new question.
    pub id: Option<String>,
    /// Markdown.
    #[schema(schema_with = campus_platform::openapi::fields::required_text::<10000>)]
    pub prompt: String,
    #[schema(minimum = 0, maximum = 1000)]
    pub points: f64,
    pub question: QuestionKind,
}

/// A question as the course's staff see it: with its answer key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Question {
    pub id: String,
    pub prompt: String,
    pub prompt_html: String,
    pub points: f64,
    pub question: QuestionKind,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Bank {
    pub id: String,
    pub course_id: String,
    pub title: String,
    pub questions: Vec<Question>,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BankInput {
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<200>)]
    pub title: String,
    #[schema(max_items = 500)]
    pub questions: Vec<QuestionInput>,
}

impl QuestionRow {
    pub(crate) fn kind(&self) -> Result<QuestionKind> {
        serde_json::from_str(&self.definition).map_err(Error::internal)
    }

    fn view(&self) -> Result<Question> {
        Ok(Question {
            id: self.id.clone(),
            prompt: self.prompt.clone(),
            prompt_html: self.prompt_html.clone(),
            points: self.points,
            question: self.kind()?,
        })
    }
}

async fn shown(assessments: &Assessments, bank: &BankRow) -> Result<Bank> {
    let questions = store::bank_questions(&assessments.db, &bank.id)
        .await?
        .iter()
        .map(QuestionRow::view)
        .collect::<Result<_>>()?;
    Ok(Bank {
        id: bank.id.clone(),
        course_id: bank.course_id.clone(),
        title: bank.title.clone(),
        questions,
        updated_at: time::rfc3339(bank.updated_at),
    })
}

/// The input checked, as the rows to keep.
fn checked(
    bank_id: &str,
    input: &BankInput,
    existing: &std::collections::HashSet<String>,
) -> Result<(String, Vec<QuestionRow>)> {
    let mut checks = Checks::default();
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        checks.push(FieldError::new(
            "title",
            "invalid_title",
            "1 to 200 characters",
        ));
    }
    if input.questions.len() > QUESTIONS_MAX {
        checks.push(FieldError::new(
            "questions",
            "too_many",
            "at most 500 questions",
        ));
    }
    let mut ids = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(input.questions.len());
    for (i, question) in input.questions.iter().enumerate() {
        let at = format!("questions[{i}]");
        let prompt = question.prompt.trim();
        if prompt.is_empty() || prompt.chars().count() > PROMPT_MAX {
            checks.push(FieldError::new(
                format!("{at}.prompt"),
                "invalid_prompt",
                "1 to 10,000 characters",
            ));
        }
        if !question.points.is_finite() || !(0.0..=1000.0).contains(&question.points) {
            checks.push(FieldError::new(
                format!("{at}.points"),
                "invalid_points",
                "0 to 1000 points",
            ));
        }
        for problem in marking::check_question(&format!("{at}.question"), &question.question) {
            checks.push(problem);
        }
        let id = match &question.id {
            Some(id) if !existing.contains(id) => {
                checks.push(FieldError::new(
                    format!("{at}.id"),
                    "unknown_question",
                    "not a question of this bank",
                ));
                String::new()
            }
            Some(id) => id.clone(),
            None => id::new_id_string(),
        };
        if !ids.insert(id.clone()) {
            checks.push(FieldError::new(
                format!("{at}.id"),
                "duplicate",
                "another question has this id",
            ));
        }
        rows.push(QuestionRow {
            id,
            bank_id: bank_id.to_owned(),
            position: i64::try_from(i).unwrap_or(i64::MAX),
            prompt: prompt.to_owned(),
            prompt_html: markdown::render(prompt),
            points: question.points,
            definition: serde_json::to_string(&question.question).map_err(Error::internal)?,
        });
    }
    checks.finish()?;
    Ok((title.to_owned(), rows))
}

/// The course's question banks: for its staff.
#[utoipa::path(get, path = "/api/v1/courses/{id}/question-banks", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<Bank>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn list_banks(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(course_id): Path<String>,
) -> Result<Json<Vec<Bank>>> {
    let standing = assessments.rosters.standing(&caller, &course_id).await?;
    standing.require_staff()?;
    let mut banks = Vec::new();
    for bank in store::banks(&assessments.db, &course_id).await? {
        banks.push(shown(&assessments, &bank).await?);
    }
    Ok(Json(banks))
}

/// Starts a question bank in the course: its teachers and the school's admins.
#[utoipa::path(post, path = "/api/v1/courses/{id}/question-banks", tag = "assessments", params(("id" = String, Path)), request_body = BankInput, security(("bearer" = [])),
    responses((status = 201, body = Bank), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn create_bank(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(input): Json<BankInput>,
) -> Result<(StatusCode, Json<Bank>)> {
    let standing = assessments.rosters.standing(&caller, &course_id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let bank_id = id::new_id_string();
    let (title, questions) = checked(&bank_id, &input, &Default::default())?;
    let now = time::now_ms();
    let bank = BankRow {
        id: bank_id,
        school_id: caller.school_id.clone(),
        course_id,
        title,
        created_at: now,
        updated_at: now,
    };
    let mut uow = assessments.db.begin().await?;
    store::save_bank(&mut uow, &bank, &questions).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(shown(&assessments, &bank).await?)))
}

async fn load(
    assessments: &Assessments,
    caller: &Caller,
    id: &str,
) -> Result<(BankRow, campus_platform::rosters::Standing)> {
    let bank = store::bank(&assessments.db, &caller.school_id, id).await?;
    let standing = assessments
        .rosters
        .standing(caller, &bank.course_id)
        .await
        .map_err(|error| error.unseen_as("question bank"))?;
    if !standing.is_staff() {
        return Err(Error::NotFound {
            what: "question bank",
        });
    }
    Ok((bank, standing))
}

/// One question bank with its questions and answer key: for the course's staff.
#[utoipa::path(get, path = "/api/v1/question-banks/{id}", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Bank), (status = 404, body = Problem)))]
pub(super) async fn get_bank(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Bank>> {
    let (bank, _) = load(&assessments, &caller, &id).await?;
    Ok(Json(shown(&assessments, &bank).await?))
}

/// Replaces a bank's title and questions. Attempts already started keep the questions they
/// drew; quizzes started from now on draw the new ones.
#[utoipa::path(put, path = "/api/v1/question-banks/{id}", tag = "assessments", params(("id" = String, Path)), request_body = BankInput, security(("bearer" = [])),
    responses((status = 200, body = Bank), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
pub(super) async fn update_bank(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<BankInput>,
) -> Result<Json<Bank>> {
    let (mut bank, standing) = load(&assessments, &caller, &id).await?;
    standing.require_teacher()?;
    standing.require_open()?;
    let existing = store::bank_questions(&assessments.db, &bank.id)
        .await?
        .into_iter()
        .map(|q| q.id)
        .collect();
    let (title, questions) = checked(&bank.id, &input, &existing)?;
    bank.title = title;
    bank.updated_at = time::now_ms();
    let mut uow = assessments.db.begin().await?;
    store::save_bank(&mut uow, &bank, &questions).await?;
    uow.commit().await?;
    Ok(Json(shown(&assessments, &bank).await?))
}
