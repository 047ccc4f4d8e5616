//! Setting a quiz, for a course's teachers: its rules (when it opens and closes in the school's
//! time zone, the time limit, attempts and which counts, shuffled options, when results show)
//! and its questions, picked from the course's banks one by one or drawn at random for each
//! attempt; then publishing it, releasing its results, and the item analysis (how the class
//! answered each question).

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    api::{Failure, Visit},
    forms::{decimal, value_of, whole, CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::{
        editor::editable_course,
        grades::number,
        question_banks::{Bank, BankQuestion},
    },
    when, Web,
};

const LABELS: &[(&str, &str)] = &[
    ("title", "field-quiz-title"),
    ("instructions", "field-instructions"),
    ("opens_at", "field-opens-at"),
    ("closes_at", "field-closes-at"),
    ("time_limit_minutes", "field-time-limit-minutes"),
    ("attempts_allowed", "field-attempts-allowed"),
    ("selection", "quiz-selection"),
];

/// A quiz's settings as the API shows them to its teachers.
#[derive(Debug, Deserialize)]
pub(crate) struct QuizSettings {
    course_id: String,
    title: String,
    instructions: Option<String>,
    selection: Option<Vec<Value>>,
    time_zone: String,
    opens_at: Option<String>,
    closes_at: Option<String>,
    time_limit_secs: Option<i64>,
    attempts_allowed: i64,
    keep: String,
    shuffle_options: bool,
    release: String,
}

/// A random draw from a bank, as the form holds it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Draw {
    pub count: String,
    pub points_each: String,
}

/// The quiz as the form holds it: as typed.
#[derive(Debug, Default)]
pub(crate) struct QuizForm {
    pub title: String,
    pub instructions: String,
    pub opens_at: String,
    pub closes_at: String,
    pub time_limit_minutes: String,
    pub attempts_allowed: String,
    pub keep: String,
    pub shuffle_options: bool,
    pub release: String,
    /// The questions asked in every attempt.
    pub fixed: Vec<String>,
    /// Random draws, by bank.
    pub draws: HashMap<String, Draw>,
}

impl QuizForm {
    fn new() -> Self {
        Self {
            attempts_allowed: "1".into(),
            keep: "highest".into(),
            release: "as_graded".into(),
            ..Self::default()
        }
    }

    fn of(quiz: &QuizSettings) -> Self {
        let wall = |at: &Option<String>| {
            at.as_deref()
                .map(|at| when::wall_clock(at, &quiz.time_zone))
                .unwrap_or_default()
        };
        let mut form = Self {
            title: quiz.title.clone(),
            instructions: quiz.instructions.clone().unwrap_or_default(),
            opens_at: wall(&quiz.opens_at),
            closes_at: wall(&quiz.closes_at),
            time_limit_minutes: quiz
                .time_limit_secs
                .map(|secs| number(&(secs as f64 / 60.0)))
                .unwrap_or_default(),
            attempts_allowed: quiz.attempts_allowed.to_string(),
            keep: quiz.keep.clone(),
            shuffle_options: quiz.shuffle_options,
            release: quiz.release.clone(),
            ..Self::default()
        };
        for pick in quiz.selection.iter().flatten() {
            match pick["kind"].as_str() {
                Some("fixed") => form
                    .fixed
                    .push(pick["question_id"].as_str().unwrap_or_default().to_owned()),
                Some("random") => {
                    form.draws.insert(
                        pick["bank_id"].as_str().unwrap_or_default().to_owned(),
                        Draw {
                            count: pick["count"].to_string(),
                            points_each: number(&pick["points_each"].as_f64().unwrap_or_default()),
                        },
                    );
                }
                _ => {}
            }
        }
        form
    }

    fn read(fields: &[(String, String)]) -> Self {
        let field = |name: &str| value_of(fields, name);
        let mut draws: HashMap<String, Draw> = HashMap::new();
        for (name, value) in fields {
            if let Some(bank) = name.strip_prefix("draw-count-") {
                draws.entry(bank.to_owned()).or_default().count = value.clone();
            } else if let Some(bank) = name.strip_prefix("draw-points-") {
                draws.entry(bank.to_owned()).or_default().points_each = value.clone();
            }
        }
        Self {
            title: field("title"),
            instructions: field("instructions"),
            opens_at: field("opens_at"),
            closes_at: field("closes_at"),
            time_limit_minutes: field("time_limit_minutes"),
            attempts_allowed: field("attempts_allowed"),
            keep: field("keep"),
            shuffle_options: fields.iter().any(|(name, _)| name == "shuffle_options"),
            release: field("release"),
            fixed: fields
                .iter()
                .filter(|(name, _)| name == "fixed")
                .map(|(_, value)| value.clone())
                .collect(),
            draws,
        }
    }

    pub(crate) fn picks(&self, question: &str) -> bool {
        self.fixed.iter().any(|id| id == question)
    }

    pub(crate) fn draw(&self, bank: &str) -> Draw {
        self.draws.get(bank).cloned().unwrap_or_default()
    }

    /// The quiz as the API takes it: the picked questions in the banks' order, then the
    /// draws.
    fn body(&self, banks: &[Bank]) -> Result<Value, FormErrors> {
        let mut selection: Vec<Value> = banks
            .iter()
            .flat_map(|bank| bank.questions.iter())
            .filter(|question| self.picks(question.id()))
            .map(|question| json!({ "kind": "fixed", "question_id": question.id() }))
            .collect();
        for bank in banks {
            let draw = self.draw(bank.id());
            if draw.count.trim().is_empty() || draw.count.trim() == "0" {
                continue;
            }
            let field = format!("draw-count-{}", bank.id());
            let count: i64 = whole(&field, &draw.count)?;
            let points = match draw.points_each.trim() {
                "" => 1.0,
                points => decimal(&format!("draw-points-{}", bank.id()), points)?,
            };
            selection.push(json!({ "kind": "random", "bank_id": bank.id(), "count": count, "points_each": points }));
        }
        let mut body = json!({
            "title": self.title,
            "instructions": self.instructions,
            "selection": selection,
            "attempts_allowed": whole::<i64>("attempts_allowed", &self.attempts_allowed)?,
            "keep": self.keep,
            "shuffle_options": self.shuffle_options,
            "release": self.release,
        });
        for (name, value) in [("opens_at", &self.opens_at), ("closes_at", &self.closes_at)] {
            if !value.trim().is_empty() {
                body[name] = json!(value.trim());
            }
        }
        if !self.time_limit_minutes.trim().is_empty() {
            let minutes = whole::<i64>("time_limit_minutes", &self.time_limit_minutes)?;
            body["time_limit_secs"] = json!(minutes.saturating_mul(60));
        }
        Ok(body)
    }
}

/// The API's names for the quiz's fields, as the form's.
fn form_field(api_field: &str) -> String {
    match api_field {
        "time_limit_secs" => "time_limit_minutes".into(),
        other => other.split(['[', '.']).next().unwrap_or(other).to_owned(),
    }
}

#[derive(Template)]
#[template(path = "quiz_edit.html")]
struct EditorPage {
    frame: Frame,
    course_id: String,
    quiz_id: Option<String>,
    banks: Vec<Bank>,
    form: QuizForm,
    errors: FormErrors,
}

async fn banks(web: &Web, visit: &Visit, course_id: &str) -> Result<Vec<Bank>, Failure> {
    web.api
        .get(
            visit,
            &format!("/api/v1/courses/{course_id}/question-banks"),
        )
        .await
}

async fn editor_page(
    web: &Web,
    visit: &mut Visit,
    course_id: String,
    quiz_id: Option<String>,
    form: QuizForm,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let banks = banks(web, visit, &course_id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let errors = errors.labelled(&visit.tr, LABELS);
    let status = errors.status();
    let page = EditorPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course_id,
        quiz_id,
        banks,
        form,
        errors,
    };
    Ok(frame::render(&page, status))
}

/// The form for a new quiz.
pub(crate) async fn new_quiz(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
) -> Rendered {
    editable_course(&web, &visit, &course_id).await?;
    editor_page(
        &web,
        &mut visit,
        course_id,
        None,
        QuizForm::new(),
        FormErrors::default(),
    )
    .await
}

/// Creates the quiz as a draft.
pub(crate) async fn create(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/courses/{course_id}/quizzes/new");
    let form = QuizForm::read(&fields);
    let banks = banks(&web, &visit, &course_id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let body = match form.body(&banks) {
        Ok(body) => body,
        Err(errors) => {
            let errors = errors.translated(&visit.tr);
            return editor_page(&web, &mut visit, course_id, None, form, errors).await;
        }
    };
    #[derive(Deserialize)]
    struct Created {
        id: String,
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{course_id}/quizzes"),
            Some(&body),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.json::<Created>() {
        Ok(created) => Ok(frame::see_other(&format!("/quizzes/{}", created.id))),
        Err(failure) => {
            let errors = refused(&visit, failure)?;
            editor_page(&web, &mut visit, course_id, None, form, errors).await
        }
    }
}

async fn settings(web: &Web, visit: &Visit, id: &str) -> Result<QuizSettings, Failure> {
    let quiz: QuizSettings = web.api.get(visit, &format!("/api/v1/quizzes/{id}")).await?;
    // Only the course's staff are shown the selection.
    if quiz.selection.is_none() {
        return Err(Failure::NotFound);
    }
    Ok(quiz)
}

/// The form with the quiz's settings.
pub(crate) async fn edit(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    let quiz = settings(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let form = QuizForm::of(&quiz);
    editor_page(
        &web,
        &mut visit,
        quiz.course_id,
        Some(id),
        form,
        FormErrors::default(),
    )
    .await
}

/// Saves the quiz's settings (the API takes the quiz whole).
pub(crate) async fn save(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/quizzes/{id}/edit");
    let quiz = settings(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let form = QuizForm::read(&fields);
    let banks = banks(&web, &visit, &quiz.course_id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let body = match form.body(&banks) {
        Ok(body) => body,
        Err(errors) => {
            let errors = errors.translated(&visit.tr);
            return editor_page(&web, &mut visit, quiz.course_id, Some(id), form, errors).await;
        }
    };
    let answer = web
        .api
        .call(
            &visit,
            Method::PUT,
            &format!("/api/v1/quizzes/{id}"),
            Some(&body),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/quizzes/{id}?done=saved"))),
        Err(failure) => {
            let errors = refused(&visit, failure)?;
            editor_page(&web, &mut visit, quiz.course_id, Some(id), form, errors).await
        }
    }
}

/// Publishes the quiz, or releases its results.
pub(crate) async fn lifecycle(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = format!("/quizzes/{id}");
    let done = match action.as_str() {
        "publish" => "published",
        "release" => "released",
        _ => return Err(visit.fail(Failure::NotFound)),
    };
    web.api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/quizzes/{id}/{action}"),
            None,
            Some(&form.csrf),
        )
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other(&format!("/quizzes/{id}?done={done}")))
}

#[derive(Debug, Deserialize)]
struct QuestionAnalysis {
    question_id: String,
    answered: usize,
    correct: usize,
    average_points: Option<f64>,
    options: HashMap<String, usize>,
}

/// One question's line in the item analysis.
pub(crate) struct AnalysisLine {
    pub question: BankQuestion,
    pub answered: usize,
    pub correct: usize,
    pub average_points: Option<f64>,
    /// `(option text, right, how many chose it)` for choice questions.
    pub options: Vec<(String, bool, usize)>,
}

#[derive(Template)]
#[template(path = "quiz_analysis.html")]
struct AnalysisPage {
    frame: Frame,
    quiz_id: String,
    title: String,
    lines: Vec<AnalysisLine>,
}

/// How the class answered each question, with the banks' prompts and options.
pub(crate) async fn analysis(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let quiz = settings(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let analysed: Vec<QuestionAnalysis> = web
        .api
        .get(&visit, &format!("/api/v1/quizzes/{id}/analysis"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let banks = banks(&web, &visit, &quiz.course_id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let questions: HashMap<&str, &BankQuestion> = banks
        .iter()
        .flat_map(|bank| bank.questions.iter())
        .map(|question| (question.id(), question))
        .collect();
    let lines = analysed
        .into_iter()
        .filter_map(|line| {
            // A question deleted from its bank since is left out: its words are gone.
            let question = (*questions.get(line.question_id.as_str())?).clone();
            let options = question
                .options()
                .into_iter()
                .map(|option| {
                    let chosen = line.options.get(&option.id).copied().unwrap_or(0);
                    (option.text, option.correct, chosen)
                })
                .collect();
            Some(AnalysisLine {
                question,
                answered: line.answered,
                correct: line.correct,
                average_points: line.average_points,
                options,
            })
        })
        .collect();
    let page = AnalysisPage {
        frame: Frame::new(&visit, Some(me), Section::Courses),
        quiz_id: id,
        title: quiz.title,
        lines,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// The API's refusal as the form's errors, or the page for a failure that is not about it.
fn refused(visit: &Visit, failure: Failure) -> Result<FormErrors, frame::Fault> {
    FormErrors::of(&visit.tr, failure)
        .map(|errors| errors.renamed(form_field))
        .map_err(|failure| visit.fail(failure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_names_its_fields_as_the_form_does() {
        assert_eq!(form_field("time_limit_secs"), "time_limit_minutes");
        assert_eq!(form_field("selection[2].count"), "selection");
        assert_eq!(form_field("closes_at"), "closes_at");
    }
}
