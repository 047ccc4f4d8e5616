//! The question-bank editor, for a course's teachers: the course's banks, a bank's questions
//! with their answer keys, and a form per question kind (choices with the right ones ticked,
//! true or false, accepted short answers, a number with its tolerance, an essay). Questions
//! move up and down by buttons and keep their ids, so quizzes that drew them still find them.
//!
//! The API takes a bank whole; each form here changes one question of the bank as it was read
//! and sends the bank back.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::Method,
    Form,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    api::{Failure, Visit},
    forms::{decimal, value_of, FormErrors},
    frame::{self, Frame, Rendered, Section},
    i18n::Tr,
    pages::grades::number,
    Web,
};

/// The kinds a teacher can add, in the order the page offers them.
const KINDS: [&str; 6] = [
    "single_choice",
    "multiple_choice",
    "true_false",
    "short_answer",
    "numeric",
    "essay",
];
/// The most options a choice question may have (the API's bound).
const OPTIONS_MAX: usize = 10;

#[derive(Debug, Deserialize)]
pub(crate) struct Bank {
    id: String,
    pub course_id: String,
    pub title: String,
    pub questions: Vec<BankQuestion>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BankQuestion {
    id: String,
    prompt: String,
    pub prompt_html: String,
    pub points: f64,
    /// The kind and answer key, as the API writes it; sent back unchanged for the questions a
    /// form does not touch.
    question: Value,
}

impl Bank {
    pub(crate) fn id(&self) -> &str {
        &self.id
    }
}

impl BankQuestion {
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The prompt as written, cut short to name the question in a list.
    pub(crate) fn headline(&self) -> String {
        const LONGEST: usize = 120;
        let line = self.prompt.lines().next().unwrap_or_default();
        if line.chars().count() > LONGEST || self.prompt.lines().nth(1).is_some() {
            let cut: String = line.chars().take(LONGEST).collect();
            format!("{}…", cut.trim_end())
        } else {
            line.to_owned()
        }
    }

    /// A choice question's options with the answer key.
    pub(crate) fn options(&self) -> Vec<OptionRow> {
        options(&self.question)
    }

    pub(crate) fn kind(&self) -> &str {
        self.question["kind"].as_str().unwrap_or_default()
    }

    pub(crate) fn kind_key(&self) -> String {
        format!("question-kind-{}", self.kind())
    }

    /// The answer key in words, a line each.
    pub(crate) fn key(&self, tr: &Tr) -> Vec<String> {
        let question = &self.question;
        match self.kind() {
            "single_choice" | "multiple_choice" => options(question)
                .into_iter()
                .map(|option| {
                    let mark = if option.correct {
                        tr.t("question-option-right")
                    } else {
                        tr.t("question-option-wrong")
                    };
                    format!("{} — {mark}", option.text)
                })
                .collect(),
            "true_false" => vec![if question["answer"] == true {
                tr.t("attempt-true")
            } else {
                tr.t("attempt-false")
            }],
            "short_answer" => question["accepted"]
                .as_array()
                .map(|accepted| {
                    accepted
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            "numeric" => vec![format!(
                "{} ± {}",
                number(&question["answer"].as_f64().unwrap_or_default()),
                number(&question["tolerance"].as_f64().unwrap_or_default())
            )],
            _ => vec![tr.t("question-marked-by-hand")],
        }
    }

    fn input(&self) -> Value {
        json!({ "id": self.id, "prompt": self.prompt, "points": self.points, "question": self.question })
    }
}

/// An option of a choice question, as the form shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct OptionRow {
    pub id: String,
    pub text: String,
    pub correct: bool,
}

fn options(question: &Value) -> Vec<OptionRow> {
    question["options"]
        .as_array()
        .map(|options| {
            options
                .iter()
                .map(|option| OptionRow {
                    id: option["id"].as_str().unwrap_or_default().to_owned(),
                    text: option["text"].as_str().unwrap_or_default().to_owned(),
                    correct: option["correct"] == true,
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn bank(web: &Web, visit: &Visit, id: &str) -> Result<Bank, Failure> {
    web.api
        .get(visit, &format!("/api/v1/question-banks/{id}"))
        .await
}

/// Sends the bank back with `questions` (in their order).
async fn put(
    web: &Web,
    visit: &Visit,
    bank: &Bank,
    title: &str,
    questions: Vec<Value>,
    csrf: &str,
) -> Result<(), Failure> {
    web.api
        .call(
            visit,
            Method::PUT,
            &format!("/api/v1/question-banks/{}", bank.id),
            Some(&json!({ "title": title, "questions": questions })),
            Some(csrf),
        )
        .await
        .done()
        .map(|_| ())
}

#[derive(Debug, Deserialize)]
struct CourseTitle {
    id: String,
    title: String,
}

#[derive(Debug, Deserialize)]
struct BankSummary {
    id: String,
    title: String,
    questions: Vec<Value>,
}

#[derive(Template)]
#[template(path = "question_banks.html")]
struct BanksPage {
    frame: Frame,
    course: CourseTitle,
    banks: Vec<BankSummary>,
    title: String,
    errors: FormErrors,
}

async fn banks_page(
    web: &Web,
    visit: &mut Visit,
    course_id: &str,
    title: String,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let course: CourseTitle = web
        .api
        .get(visit, &format!("/api/v1/courses/{course_id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let banks = web
        .api
        .get(
            visit,
            &format!("/api/v1/courses/{course_id}/question-banks"),
        )
        .await
        .map_err(|failure| visit.fail(failure))?;
    let errors = errors.labelled(&visit.tr, &[("title", "field-bank-title")]);
    let status = errors.status();
    let page = BanksPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course,
        banks,
        title,
        errors,
    };
    Ok(frame::render(&page, status))
}

/// The course's question banks and a form to start one.
pub(crate) async fn list(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
) -> Rendered {
    banks_page(
        &web,
        &mut visit,
        &course_id,
        String::new(),
        FormErrors::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct TitleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
}

pub(crate) async fn create(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
    Form(form): Form<TitleForm>,
) -> Rendered {
    visit.here = format!("/courses/{course_id}/question-banks");
    #[derive(Deserialize)]
    struct Created {
        id: String,
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{course_id}/question-banks"),
            Some(&json!({ "title": form.title, "questions": [] })),
            Some(&form.csrf),
        )
        .await;
    match answer.json::<Created>() {
        Ok(created) => Ok(frame::see_other(&format!("/question-banks/{}", created.id))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            banks_page(&web, &mut visit, &course_id, form.title, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "question_bank.html")]
struct BankPage {
    frame: Frame,
    bank: Bank,
    kinds: [&'static str; 6],
    title: String,
    errors: FormErrors,
}

async fn bank_page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    title: Option<String>,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let bank = bank(web, visit, id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let errors = errors.labelled(&visit.tr, &[("title", "field-bank-title")]);
    let status = errors.status();
    let page = BankPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        title: title.unwrap_or_else(|| bank.title.clone()),
        bank,
        kinds: KINDS,
        errors,
    };
    Ok(frame::render(&page, status))
}

/// A bank: its questions with their keys, and what a teacher can do to each.
pub(crate) async fn show(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    bank_page(&web, &mut visit, &id, None, FormErrors::default()).await
}

/// Renames the bank.
pub(crate) async fn rename(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<TitleForm>,
) -> Rendered {
    visit.here = format!("/question-banks/{id}");
    let bank = bank(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let questions = bank.questions.iter().map(BankQuestion::input).collect();
    match put(&web, &visit, &bank, &form.title, questions, &form.csrf).await {
        Ok(()) => Ok(frame::see_other(&format!("/question-banks/{id}"))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            bank_page(&web, &mut visit, &id, Some(form.title), errors).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Arrange {
    csrf: String,
    /// `up` or `down`, for a move.
    #[serde(default)]
    direction: String,
}

/// Moves a question up or down, or deletes it.
pub(crate) async fn arrange(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, question_id, action)): Path<(String, String, String)>,
    Form(form): Form<Arrange>,
) -> Rendered {
    visit.here = format!("/question-banks/{id}");
    let bank = bank(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let mut questions = bank.questions.clone();
    let Some(at) = questions.iter().position(|q| q.id == question_id) else {
        return Err(visit.fail(Failure::NotFound));
    };
    match (action.as_str(), form.direction.as_str()) {
        ("move", "up") if at > 0 => questions.swap(at, at - 1),
        ("move", "down") if at + 1 < questions.len() => questions.swap(at, at + 1),
        ("move", "up" | "down") => {}
        ("delete", _) => {
            questions.remove(at);
        }
        _ => return Err(visit.fail(Failure::NotFound)),
    }
    let inputs = questions.iter().map(BankQuestion::input).collect();
    put(&web, &visit, &bank, &bank.title, inputs, &form.csrf)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let anchor = match action.as_str() {
        "delete" => String::new(),
        _ => format!("#q-{question_id}"),
    };
    Ok(frame::see_other(&format!("/question-banks/{id}{anchor}")))
}

/// A question as its form holds it: what the teacher typed, kept as typed when the form comes
/// back with errors.
#[derive(Debug, Default)]
pub(crate) struct QuestionForm {
    pub kind: String,
    pub prompt: String,
    pub points: String,
    /// Choice questions: the options, with blank rows to add more.
    pub options: Vec<OptionRow>,
    pub partial_credit: bool,
    /// True or false: the right answer.
    pub truth: bool,
    /// Short answer: one accepted answer per line.
    pub accepted: String,
    /// Numeric: the answer and its tolerance.
    pub answer: String,
    pub tolerance: String,
}

impl QuestionForm {
    fn new(kind: &str) -> Self {
        let mut form = Self {
            kind: kind.to_owned(),
            points: "1".into(),
            tolerance: "0".into(),
            truth: true,
            ..Self::default()
        };
        form.with_blank_rows();
        form
    }

    fn of(question: &BankQuestion) -> Self {
        let key = &question.question;
        let mut form = Self {
            kind: question.kind().to_owned(),
            prompt: question.prompt.clone(),
            points: number(&question.points),
            options: options(key),
            partial_credit: key["partial_credit"] == true,
            truth: key["answer"] == true,
            accepted: key["accepted"]
                .as_array()
                .map(|accepted| {
                    accepted
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            answer: key["answer"]
                .as_f64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            tolerance: key["tolerance"]
                .as_f64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
        };
        form.with_blank_rows();
        form
    }

    /// Two empty option rows to write new options in (four for a new question), within the
    /// bound.
    fn with_blank_rows(&mut self) {
        if !self.is_choice() {
            return;
        }
        let wanted = (self.options.len() + 2).clamp(4, OPTIONS_MAX);
        while self.options.len() < wanted {
            self.options.push(OptionRow::default());
        }
    }

    pub(crate) fn is_choice(&self) -> bool {
        matches!(self.kind.as_str(), "single_choice" | "multiple_choice")
    }

    pub(crate) fn kind_key(&self) -> String {
        format!("question-kind-{}", self.kind)
    }

    /// The form as posted: `option-<n>-text`, `option-<n>-id`, `option-<n>-correct` (a
    /// checkbox) or `correct=<n>` (a radio button, single choice).
    fn read(fields: &[(String, String)]) -> Self {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value.clone())
        };
        let right_one = field("correct");
        let options = (0..OPTIONS_MAX)
            .filter_map(|n| {
                let text = field(&format!("option-{n}-text"))?;
                Some(OptionRow {
                    id: field(&format!("option-{n}-id")).unwrap_or_default(),
                    text,
                    correct: field(&format!("option-{n}-correct")).is_some()
                        || right_one.as_deref() == Some(n.to_string().as_str()),
                })
            })
            .collect();
        Self {
            kind: field("kind").unwrap_or_default(),
            prompt: field("prompt").unwrap_or_default(),
            points: field("points").unwrap_or_default(),
            options,
            partial_credit: field("partial_credit").is_some(),
            truth: field("truth").as_deref() == Some("true"),
            accepted: field("accepted").unwrap_or_default(),
            answer: field("answer").unwrap_or_default(),
            tolerance: field("tolerance").unwrap_or_default(),
        }
    }

    /// The question as the API takes it (with `id` when it is an existing question), or the
    /// fields the page can tell are wrong before asking.
    fn input(&self, id: Option<&str>) -> Result<Value, FormErrors> {
        let points = decimal("points", &self.points)?;
        let question = match self.kind.as_str() {
            "single_choice" | "multiple_choice" => {
                let mut taken: Vec<String> = self
                    .options
                    .iter()
                    .map(|option| option.id.clone())
                    .collect();
                let options: Vec<Value> = self
                    .options
                    .iter()
                    .filter(|option| !option.text.trim().is_empty())
                    .map(|option| {
                        let id = if option.id.is_empty() {
                            let id = fresh_id(&taken);
                            taken.push(id.clone());
                            id
                        } else {
                            option.id.clone()
                        };
                        json!({ "id": id, "text": option.text.trim(), "correct": option.correct })
                    })
                    .collect();
                if self.kind == "single_choice" {
                    json!({ "kind": "single_choice", "options": options })
                } else {
                    json!({ "kind": "multiple_choice", "options": options, "partial_credit": self.partial_credit })
                }
            }
            "true_false" => json!({ "kind": "true_false", "answer": self.truth }),
            "short_answer" => {
                let accepted: Vec<&str> = self
                    .accepted
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .collect();
                json!({ "kind": "short_answer", "accepted": accepted })
            }
            "numeric" => json!({
                "kind": "numeric",
                "answer": decimal("answer", &self.answer)?,
                "tolerance": decimal("tolerance", &self.tolerance)?,
            }),
            _ => json!({ "kind": "essay" }),
        };
        let mut input = json!({ "prompt": self.prompt, "points": points, "question": question });
        if let Some(id) = id {
            input["id"] = json!(id);
        }
        Ok(input)
    }
}

/// An option id not yet used in the question: `a`, `b`, … (answers name options by id).
fn fresh_id(taken: &[String]) -> String {
    ('a'..='z')
        .map(String::from)
        .chain((1..).map(|n| format!("o{n}")))
        .find(|id| !taken.contains(id))
        .unwrap_or_default()
}

/// The API's names for a question's fields (`questions[3].question.options[1].text`), as the
/// form's (`options`).
fn form_field(api_field: &str) -> String {
    let rest = api_field
        .split_once("].")
        .map_or(api_field, |(_, rest)| rest);
    let rest = rest.strip_prefix("question.").unwrap_or(rest);
    rest.split(['[', '.']).next().unwrap_or(rest).to_owned()
}

#[derive(Template)]
#[template(path = "question_edit.html")]
struct QuestionPage {
    frame: Frame,
    bank_id: String,
    bank_title: String,
    /// The question being changed; none for a new one.
    question_id: Option<String>,
    form: QuestionForm,
    errors: FormErrors,
}

async fn question_page(
    web: &Web,
    visit: &mut Visit,
    bank: Bank,
    question_id: Option<String>,
    form: QuestionForm,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let errors = errors.labelled(
        &visit.tr,
        &[
            ("prompt", "field-question-prompt"),
            ("points", "field-question-points"),
            ("options", "field-question-options"),
            ("accepted", "field-question-accepted"),
            ("answer", "field-question-answer"),
            ("tolerance", "field-question-tolerance"),
        ],
    );
    let status = errors.status();
    let page = QuestionPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        bank_id: bank.id,
        bank_title: bank.title,
        question_id,
        form,
        errors,
    };
    Ok(frame::render(&page, status))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewQuestion {
    #[serde(default)]
    kind: String,
}

/// The form for a new question of a kind.
pub(crate) async fn new_question(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(new): Query<NewQuestion>,
) -> Rendered {
    let bank = bank(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    if !KINDS.contains(&new.kind.as_str()) {
        return Err(visit.fail(Failure::NotFound));
    }
    let form = QuestionForm::new(&new.kind);
    question_page(&web, &mut visit, bank, None, form, FormErrors::default()).await
}

/// The form for one of the bank's questions.
pub(crate) async fn edit_question(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, question_id)): Path<(String, String)>,
) -> Rendered {
    let bank = bank(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let Some(question) = bank.questions.iter().find(|q| q.id == question_id) else {
        return Err(visit.fail(Failure::NotFound));
    };
    let form = QuestionForm::of(question);
    question_page(
        &web,
        &mut visit,
        bank,
        Some(question_id),
        form,
        FormErrors::default(),
    )
    .await
}

/// Adds a question at the end of the bank.
pub(crate) async fn add_question(
    State(web): State<Web>,
    visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    save_question(web, visit, id, None, fields).await
}

/// Saves one of the bank's questions.
pub(crate) async fn update_question(
    State(web): State<Web>,
    visit: Visit,
    Path((id, question_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    save_question(web, visit, id, Some(question_id), fields).await
}

async fn save_question(
    web: Web,
    mut visit: Visit,
    id: String,
    question_id: Option<String>,
    fields: Vec<(String, String)>,
) -> Rendered {
    visit.here = format!("/question-banks/{id}");
    let csrf = value_of(&fields, "csrf");
    let bank = bank(&web, &visit, &id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let mut form = QuestionForm::read(&fields);
    if !KINDS.contains(&form.kind.as_str()) {
        return Err(visit.fail(Failure::NotFound));
    }
    let mut questions: Vec<Value> = bank.questions.iter().map(BankQuestion::input).collect();
    let at = match &question_id {
        Some(question_id) => match bank.questions.iter().position(|q| &q.id == question_id) {
            Some(at) => at,
            None => return Err(visit.fail(Failure::NotFound)),
        },
        None => questions.len(),
    };
    let sent = match form.input(question_id.as_deref()) {
        Ok(input) => {
            if at < questions.len() {
                questions[at] = input;
            } else {
                questions.push(input);
            }
            put(&web, &visit, &bank, &bank.title, questions, &csrf).await
        }
        Err(errors) => {
            form.with_blank_rows();
            let errors = errors.translated(&visit.tr);
            return question_page(&web, &mut visit, bank, question_id, form, errors).await;
        }
    };
    match sent {
        Ok(()) => {
            let anchor = question_id.map(|q| format!("#q-{q}")).unwrap_or_default();
            Ok(frame::see_other(&format!("/question-banks/{id}{anchor}")))
        }
        Err(failure) => {
            // Only this question's fields can be wrong: the others went back as they were read.
            let errors = FormErrors::of(&visit.tr, failure)
                .map(|errors| errors.renamed(form_field))
                .map_err(|failure| visit.fail(failure))?;
            form.with_blank_rows();
            question_page(&web, &mut visit, bank, question_id, form, errors).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_names_its_fields_as_the_form_does() {
        assert_eq!(form_field("questions[3].prompt"), "prompt");
        assert_eq!(form_field("questions[0].question.options"), "options");
        assert_eq!(form_field("questions[12].question.accepted[2]"), "accepted");
        assert_eq!(form_field("title"), "title");
    }

    #[test]
    fn new_options_get_ids_the_question_does_not_use() {
        let taken = vec!["a".to_owned(), "c".to_owned()];
        assert_eq!(fresh_id(&taken), "b");
        let all: Vec<String> = ('a'..='z').map(String::from).collect();
        assert_eq!(fresh_id(&all), "o1");
    }

    #[test]
    fn a_choice_form_becomes_the_api_question() {
        let fields: Vec<(String, String)> = [
            ("kind", "single_choice"),
            ("prompt", "Capital of France?"),
            ("points", "2,5"),
            ("option-0-id", "a"),
            ("option-0-text", "Lyon"),
            ("option-1-id", ""),
            ("option-1-text", "Paris"),
            ("option-2-id", ""),
            ("option-2-text", "  "),
            ("correct", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let input = QuestionForm::read(&fields).input(Some("q1")).unwrap();
        assert_eq!(input["id"], "q1");
        assert_eq!(input["points"], 2.5);
        assert_eq!(
            input["question"],
            json!({ "kind": "single_choice", "options": [
                { "id": "a", "text": "Lyon", "correct": false },
                { "id": "b", "text": "Paris", "correct": true },
            ]})
        );
    }

    #[test]
    fn a_number_that_is_not_one_is_refused_by_the_page() {
        let form = QuestionForm {
            kind: "numeric".into(),
            points: "1".into(),
            answer: "three".into(),
            tolerance: "0".into(),
            ..QuestionForm::default()
        };
        let errors = form.input(None).unwrap_err();
        assert_eq!(errors.on("answer"), Some("not_a_decimal"));
    }
}
