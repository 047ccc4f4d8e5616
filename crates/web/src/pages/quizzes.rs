//! Taking a quiz: the quiz's page (its rules, the student's attempts, Start), and the attempt
//! itself: the questions with the answers saved so far, a countdown to the server's deadline
//! (with a warning a minute before), answers saved as the student goes (when JavaScript runs;
//! the Save button otherwise), and Submit. A reload shows the attempt as it was saved. A
//! closed attempt shows its marks and the answer key once the results are released.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{
    api::Visit,
    forms::{CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Quiz {
    pub id: String,
    pub course_id: String,
    pub title: String,
    pub instructions_html: String,
    pub question_count: usize,
    pub max_points: f64,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub time_limit_secs: Option<i64>,
    pub attempts_allowed: i64,
    pub status: String,
    /// `as_graded` or `manual`.
    pub release: String,
    pub results_released: bool,
}

impl Quiz {
    pub(crate) fn minutes(&self) -> Option<i64> {
        self.time_limit_secs.map(|secs| (secs + 59) / 60)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Attempt {
    pub id: String,
    /// The quiz it is an attempt at.
    pub quiz_id: String,
    pub number: i64,
    pub status: String,
    pub deadline: Option<String>,
    pub seconds_left: Option<i64>,
    pub score: Option<f64>,
    pub max_points: f64,
    pub questions: Vec<Question>,
}

impl Attempt {
    pub(crate) fn in_progress(&self) -> bool {
        self.status == "in_progress"
    }

    /// The message naming its status.
    pub(crate) fn status_key(&self) -> String {
        format!("attempt-status-{}", self.status)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Question {
    pub id: String,
    pub prompt_html: String,
    pub points: f64,
    pub question: Value,
    pub answer: Option<Value>,
    pub earned: Option<f64>,
    pub correct: Option<bool>,
    pub key: Option<Value>,
}

/// An option of a choice question.
pub(crate) struct Choice {
    pub id: String,
    pub text: String,
    /// The student chose it.
    pub chosen: bool,
    /// The key says it is right (once released).
    pub right: bool,
}

impl Question {
    pub(crate) fn kind(&self) -> &str {
        self.question["kind"].as_str().unwrap_or_default()
    }

    pub(crate) fn choices(&self) -> Vec<Choice> {
        let chosen: Vec<&str> = match &self.answer {
            Some(answer) if answer["kind"] == "choice" => {
                answer["option_id"].as_str().into_iter().collect()
            }
            Some(answer) => answer["option_ids"]
                .as_array()
                .map(|ids| ids.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let right = |id: &str| {
            self.key.as_ref().is_some_and(|key| {
                key["options"].as_array().is_some_and(|options| {
                    options
                        .iter()
                        .any(|o| o["id"] == id && o["correct"] == true)
                })
            })
        };
        self.question["options"]
            .as_array()
            .map(|options| {
                options
                    .iter()
                    .map(|option| {
                        let id = option["id"].as_str().unwrap_or_default().to_owned();
                        Choice {
                            chosen: chosen.contains(&id.as_str()),
                            right: right(&id),
                            text: option["text"].as_str().unwrap_or_default().to_owned(),
                            id,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The saved true-or-false answer, as the radio buttons' value.
    pub(crate) fn truth(&self) -> Option<bool> {
        self.answer.as_ref().and_then(|a| a["value"].as_bool())
    }

    /// The saved text or number, as a field's value.
    pub(crate) fn text(&self) -> String {
        match self.answer.as_ref().map(|a| &a["value"]) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "quiz.html")]
struct QuizPage {
    frame: Frame,
    quiz: Quiz,
    attempts: Vec<Attempt>,
    student: bool,
    /// The student has an attempt in progress to go back to.
    open: bool,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    /// What a teacher just did: `saved`, `published` or `released`.
    done: Option<String>,
}

pub(crate) async fn quiz(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let quiz: Quiz = web
        .api
        .get(&visit, &format!("/api/v1/quizzes/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let attempts: Vec<Attempt> = web
        .api
        .get(&visit, &format!("/api/v1/quizzes/{id}/attempts"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let notice = match done.done.as_deref() {
        Some(done @ ("saved" | "published" | "released")) => {
            Some(visit.tr.t(&format!("quiz-{done}")))
        }
        _ => None,
    };
    let page = QuizPage {
        frame: Frame::new(&visit, Some(me.clone()), Section::Courses),
        notice,
        student: !me.is_staff(),
        open: attempts.iter().any(Attempt::in_progress),
        quiz,
        attempts,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// Starts an attempt (or goes back to the one in progress) and opens it.
pub(crate) async fn start(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = format!("/quizzes/{id}");
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/quizzes/{id}/attempts"),
            None,
            Some(&form.csrf),
        )
        .await;
    let attempt: Attempt = answer.json().map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other(&format!("/attempts/{}", attempt.id)))
}

#[derive(Template)]
#[template(path = "attempt.html")]
struct AttemptPage {
    frame: Frame,
    quiz: Quiz,
    attempt: Attempt,
    errors: FormErrors,
    notice: Option<String>,
}

async fn attempt_page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<AttemptPage, frame::Fault> {
    let me = visit.me(web).await?;
    let attempt: Attempt = web
        .api
        .get(visit, &format!("/api/v1/attempts/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let quiz: Quiz = web
        .api
        .get(visit, &format!("/api/v1/quizzes/{}", attempt.quiz_id))
        .await
        .map_err(|failure| visit.fail(failure))?;
    Ok(AttemptPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        quiz,
        attempt,
        errors,
        notice,
    })
}

pub(crate) async fn attempt(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    let page = attempt_page(&web, &mut visit, &id, FormErrors::default(), None).await?;
    Ok(frame::render(&page, StatusCode::OK))
}

/// The form's answers as the API takes them: each question's field (`q.<id>`, several for a
/// multiple-choice question) read by the question's kind; a blank field clears the answer.
fn answers(attempt: &Attempt, fields: &[(String, String)]) -> Value {
    let mut answers = Map::new();
    for question in &attempt.questions {
        let name = format!("q.{}", question.id);
        let given: Vec<&str> = fields
            .iter()
            .filter(|(field, _)| *field == name)
            .map(|(_, value)| value.as_str())
            .collect();
        let first = given.first().map(|v| v.trim()).filter(|v| !v.is_empty());
        let answer = match (question.kind(), first) {
            ("multiple_choice", _)
                if fields
                    .iter()
                    .any(|(f, _)| f == &format!("shown.{}", question.id)) =>
            {
                json!({ "kind": "choices", "option_ids": given })
            }
            // Left blank: cleared if it had an answer, else nothing to save.
            (_, None) if question.answer.is_some() => Value::Null,
            (_, None) => continue,
            ("single_choice", Some(id)) => json!({ "kind": "choice", "option_id": id }),
            ("true_false", Some(value)) => {
                json!({ "kind": "true_false", "value": value == "true" })
            }
            ("numeric", Some(value)) => match value.replace(',', ".").parse::<f64>() {
                Ok(number) => json!({ "kind": "number", "value": number }),
                Err(_) => continue,
            },
            (_, Some(text)) => json!({ "kind": "text", "value": text }),
        };
        answers.insert(question.id.clone(), answer);
    }
    json!({ "answers": answers })
}

/// Saves the form's answers (the Save button, or the page's own autosave), then either shows
/// the attempt again or, for Submit, submits it.
pub(crate) async fn save(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/attempts/{id}");
    let field = |name: &str| {
        fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.clone())
    };
    let csrf = field("csrf").unwrap_or_default();
    let submitting = field("submit").is_some();
    let attempt: Attempt = web
        .api
        .get(&visit, &format!("/api/v1/attempts/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    // Submitting sends the last answers with the submission: saved and marked in one step.
    let (method, path) = if submitting {
        (Method::POST, format!("/api/v1/attempts/{id}/submit"))
    } else {
        (Method::PUT, format!("/api/v1/attempts/{id}/answers"))
    };
    if attempt.in_progress() || submitting {
        let body = attempt.in_progress().then(|| answers(&attempt, &fields));
        let sent = web
            .api
            .call(&visit, method, &path, body.as_ref(), Some(&csrf))
            .await;
        // Time ran out meanwhile: the attempt is closed and marked as it was.
        let closed = sent.problem_code().as_deref() == Some("attempt_closed");
        if !closed {
            if let Err(failure) = sent.done() {
                let errors =
                    FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
                let page = attempt_page(&web, &mut visit, &id, errors, None).await?;
                let status = page.errors.status();
                return Ok(frame::render(&page, status));
            }
        }
    }
    if submitting {
        return Ok(frame::see_other(&format!("/attempts/{id}")));
    }
    let notice = Some(visit.tr.t("attempt-saved"));
    let page = attempt_page(&web, &mut visit, &id, FormErrors::default(), notice).await?;
    Ok(frame::render(&page, StatusCode::OK))
}
