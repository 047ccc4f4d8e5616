//! Marking quiz answers: the pure part of quizzes, free of I/O.
//!
//! What a question is and what an answer is, the checks on a question as a teacher writes it
//! and on an answer as a student sends it, marking, the student's view of a question (without
//! its answer key), drawing questions and shuffling options for an attempt, and combining the
//! scores of several attempts.
//!
//! Nothing here reads a clock or a store: randomness comes in as an `Rng`, and what was drawn
//! is stored with the attempt by the caller, so an attempt looks the same every time it is
//! opened.

use std::collections::{BTreeSet, HashSet};

use campus_platform::error::FieldError;
use rand::{seq::SliceRandom, Rng};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Fewest options a choice question may have: one option is no choice.
pub(crate) const OPTIONS_MIN: usize = 2;
/// Most options a choice question may have; more is a reading test, not a question.
pub(crate) const OPTIONS_MAX: usize = 10;
/// Longest option id; ids are keys chosen by the editor, not prose.
pub(crate) const OPTION_ID_MAX: usize = 40;
/// Longest option text.
pub(crate) const OPTION_TEXT_MAX: usize = 1000;
/// Most accepted answers a short-answer question may list.
pub(crate) const ACCEPTED_MAX: usize = 20;
/// Longest accepted answer (the same bound as an option's text: both are short answers).
pub(crate) const ACCEPTED_TEXT_MAX: usize = 1000;
/// Longest text answer, short answer or essay.
pub(crate) const ANSWER_TEXT_MAX: usize = 20_000;

/// A question's kind and answer key, as the teacher writes it and as it is stored.
///
/// The prompt is kept beside this, not in it: this is only what marking needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum QuestionKind {
    /// Pick one option; exactly one option is correct.
    SingleChoice {
        #[schema(min_items = 2, max_items = 10)]
        options: Vec<ChoiceOption>,
    },
    /// Pick any options; at least one is correct.
    MultipleChoice {
        #[schema(min_items = 2, max_items = 10)]
        options: Vec<ChoiceOption>,
        /// Without partial credit only exactly the correct set earns points. With it, each
        /// correct option chosen earns points ÷ (number of correct options) and each incorrect
        /// option chosen takes the same away, never below zero.
        #[serde(default)]
        partial_credit: bool,
    },
    /// True or false.
    TrueFalse { answer: bool },
    /// A few words, compared ignoring case and spacing with each accepted answer.
    ShortAnswer {
        #[schema(min_items = 1, max_items = 20)]
        accepted: Vec<String>,
    },
    /// A number, correct within an absolute tolerance.
    Numeric {
        answer: f64,
        /// Absolute, at least 0: correct when |given − answer| ≤ tolerance.
        #[schema(minimum = 0)]
        tolerance: f64,
    },
    /// Free text marked by a teacher.
    Essay,
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChoiceOption {
    /// Unique within the question; answers name options by it, so it must not change when
    /// the text is corrected.
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<40>)]
    pub id: String,
    #[schema(schema_with = campus_platform::openapi::fields::required_text::<1000>)]
    pub text: String,
    #[serde(default)]
    pub correct: bool,
}

/// A student's answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Answer {
    /// The option chosen in a single-choice question.
    Choice { option_id: String },
    /// The options chosen in a multiple-choice question (possibly none).
    Choices { option_ids: Vec<String> },
    /// The answer to a true-or-false question.
    TrueFalse { value: bool },
    /// The text of a short answer or an essay.
    Text {
        #[schema(max_length = 20_000)]
        value: String,
    },
    /// The answer to a numeric question.
    Number { value: f64 },
}

/// The outcome of marking one answer. (Named apart from the gradebook's `Mark`: the API
/// document has one namespace of schemas.)
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = AnswerMark)]
pub(crate) struct Mark {
    /// Points earned; `None` while the answer waits for a teacher (an essay).
    pub points: Option<f64>,
    /// Whether the answer is entirely right; `None` while it waits for a teacher. A
    /// partially credited multiple-choice answer is not correct, though it earns points.
    pub correct: Option<bool>,
}

impl Mark {
    fn right(points: f64) -> Self {
        Self {
            points: Some(points),
            correct: Some(true),
        }
    }

    fn wrong() -> Self {
        Self {
            points: Some(0.0),
            correct: Some(false),
        }
    }

    fn of(is_correct: bool, points: f64) -> Self {
        if is_correct {
            Self::right(points)
        } else {
            Self::wrong()
        }
    }

    fn waiting() -> Self {
        Self {
            points: None,
            correct: None,
        }
    }
}

/// A question as a student sees it while answering: its kind and options, nothing of the
/// answer key.
///
/// The type has nowhere to put a key (no correct flags, accepted answers, numeric answer or
/// tolerance), and a [`StudentOption`] can only be made from a question's option by
/// [`for_student`], so serialising a `StudentQuestion` cannot leak the key whatever the
/// caller does. It is built for each request and never read back, hence no `Deserialize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum StudentQuestion {
    SingleChoice {
        options: Vec<StudentOption>,
    },
    MultipleChoice {
        options: Vec<StudentOption>,
        /// Shown so students know whether a wrong choice costs points; it says nothing of
        /// which options are right.
        partial_credit: bool,
    },
    TrueFalse,
    ShortAnswer,
    Numeric,
    Essay,
}

/// An option as a student sees it: id and text only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct StudentOption {
    // Private, so one can only be made from a question's option by `for_student`.
    id: String,
    text: String,
}

#[cfg(test)]
impl StudentOption {
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

impl StudentQuestion {
    /// The same question with its options in `order` (the order stored with the attempt, from
    /// [`shuffle_options`]). Options the order does not name (the question changed after the
    /// attempt began) follow in their own order, so none is ever hidden from the student.
    pub(crate) fn in_order(self, order: &[String]) -> Self {
        fn arrange(mut options: Vec<StudentOption>, order: &[String]) -> Vec<StudentOption> {
            // Stable sort: named options by their place in `order`, the rest after, unmoved.
            options.sort_by_key(|option| {
                order
                    .iter()
                    .position(|id| *id == option.id)
                    .unwrap_or(usize::MAX)
            });
            options
        }
        match self {
            Self::SingleChoice { options } => Self::SingleChoice {
                options: arrange(options, order),
            },
            Self::MultipleChoice {
                options,
                partial_credit,
            } => Self::MultipleChoice {
                options: arrange(options, order),
                partial_credit,
            },
            other => other,
        }
    }
}

/// How a quiz with several attempts turns them into one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Keep {
    /// The best attempt counts.
    Highest,
    /// The attempt finished last counts, even if it is worse.
    Latest,
    /// The mean of all attempts.
    Average,
}

impl QuestionKind {
    /// The kind's name as it appears in JSON, for messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Self::SingleChoice { .. } => "single_choice",
            Self::MultipleChoice { .. } => "multiple_choice",
            Self::TrueFalse { .. } => "true_false",
            Self::ShortAnswer { .. } => "short_answer",
            Self::Numeric { .. } => "numeric",
            Self::Essay => "essay",
        }
    }

    fn options(&self) -> &[ChoiceOption] {
        match self {
            Self::SingleChoice { options } | Self::MultipleChoice { options, .. } => options,
            _ => &[],
        }
    }

    /// The answer kind this question takes, for the wrong-kind message.
    fn expected_answer(&self) -> &'static str {
        match self {
            Self::SingleChoice { .. } => "choice",
            Self::MultipleChoice { .. } => "choices",
            Self::TrueFalse { .. } => "true_false",
            Self::ShortAnswer { .. } | Self::Essay => "text",
            Self::Numeric { .. } => "number",
        }
    }
}

/// `prefix.name`, or `name` alone when there is no prefix.
fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Every problem with a question as a teacher wrote it, each under a field named from
/// `field_prefix` (`questions[3]` gives `questions[3].options[1].text`), so the editor can
/// show them all at once. Empty when the question is fine.
pub(crate) fn check_question(field_prefix: &str, question: &QuestionKind) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match question {
        QuestionKind::SingleChoice { options } => {
            check_options(field_prefix, options, &mut errors);
            let correct = options.iter().filter(|o| o.correct).count();
            if correct == 0 {
                errors.push(FieldError::new(
                    field(field_prefix, "options"),
                    "no_correct_option",
                    "mark one option as correct",
                ));
            } else if correct > 1 {
                errors.push(FieldError::new(
                    field(field_prefix, "options"),
                    "one_correct_option",
                    "a single-choice question has exactly one correct option; \
                     use multiple choice for more",
                ));
            }
        }
        QuestionKind::MultipleChoice { options, .. } => {
            check_options(field_prefix, options, &mut errors);
            // All options correct is allowed (a "tick everything that applies" question
            // where everything applies); none correct would make full marks unreachable.
            if !options.iter().any(|o| o.correct) {
                errors.push(FieldError::new(
                    field(field_prefix, "options"),
                    "no_correct_option",
                    "mark at least one option as correct",
                ));
            }
        }
        QuestionKind::TrueFalse { .. } | QuestionKind::Essay => {}
        QuestionKind::ShortAnswer { accepted } => {
            let name = field(field_prefix, "accepted");
            if accepted.is_empty() {
                errors.push(FieldError::new(
                    name.as_str(),
                    "no_accepted_answer",
                    "list at least one accepted answer",
                ));
            } else if accepted.len() > ACCEPTED_MAX {
                errors.push(FieldError::new(
                    name.as_str(),
                    "too_many_accepted_answers",
                    format!("at most {ACCEPTED_MAX} accepted answers"),
                ));
            }
            for (i, text) in accepted.iter().enumerate() {
                let name = format!("{name}[{i}]");
                // A blank accepted answer would match a blank reply: free points.
                if normalise(text).is_empty() {
                    errors.push(FieldError::new(name, "required", "must not be empty"));
                } else if text.chars().count() > ACCEPTED_TEXT_MAX {
                    errors.push(FieldError::new(
                        name,
                        "too_long",
                        format!("at most {ACCEPTED_TEXT_MAX} characters"),
                    ));
                }
            }
        }
        QuestionKind::Numeric { answer, tolerance } => {
            // JSON cannot carry NaN or infinity, but a question built in code can, and
            // every comparison with NaN is false: no answer could ever be right.
            if !answer.is_finite() {
                errors.push(FieldError::new(
                    field(field_prefix, "answer"),
                    "not_a_number",
                    "must be a finite number",
                ));
            }
            if !tolerance.is_finite() {
                errors.push(FieldError::new(
                    field(field_prefix, "tolerance"),
                    "not_a_number",
                    "must be a finite number",
                ));
            } else if *tolerance < 0.0 {
                errors.push(FieldError::new(
                    field(field_prefix, "tolerance"),
                    "negative_tolerance",
                    "must be 0 or more",
                ));
            }
        }
    }
    errors
}

/// The checks common to single and multiple choice: how many options, and each id and text.
fn check_options(prefix: &str, options: &[ChoiceOption], errors: &mut Vec<FieldError>) {
    let name = field(prefix, "options");
    if options.len() < OPTIONS_MIN {
        errors.push(FieldError::new(
            name.as_str(),
            "too_few_options",
            format!("at least {OPTIONS_MIN} options"),
        ));
    } else if options.len() > OPTIONS_MAX {
        errors.push(FieldError::new(
            name.as_str(),
            "too_many_options",
            format!("at most {OPTIONS_MAX} options"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, option) in options.iter().enumerate() {
        let id_field = format!("{name}[{i}].id");
        if option.id.trim().is_empty() {
            errors.push(FieldError::new(id_field, "required", "must not be empty"));
        } else if option.id.chars().count() > OPTION_ID_MAX {
            errors.push(FieldError::new(
                id_field,
                "too_long",
                format!("at most {OPTION_ID_MAX} characters"),
            ));
        } else if option.id.chars().any(char::is_control) {
            errors.push(FieldError::new(
                id_field,
                "invalid_characters",
                "control characters are not allowed",
            ));
        } else if !seen.insert(option.id.as_str()) {
            // Answers name options by id: two alike and a choice would be ambiguous.
            errors.push(FieldError::new(
                id_field,
                "duplicate_option",
                "another option has this id",
            ));
        }
        let text_field = format!("{name}[{i}].text");
        if option.text.trim().is_empty() {
            errors.push(FieldError::new(text_field, "required", "must not be empty"));
        } else if option.text.chars().count() > OPTION_TEXT_MAX {
            errors.push(FieldError::new(
                text_field,
                "too_long",
                format!("at most {OPTION_TEXT_MAX} characters"),
            ));
        }
    }
}

/// Refuses an answer `question` cannot take: one of another kind, one naming an option the
/// question does not have (or the same option twice), a number that is not finite, or text
/// over [`ANSWER_TEXT_MAX`] characters. `field` names the answer for the client, e.g.
/// `answers[<question id>]`.
///
/// An answer that passes can be marked; [`mark`] still copes with one that did not (the
/// question may have been edited since), giving it nothing.
pub(crate) fn check_answer(
    field: &str,
    question: &QuestionKind,
    answer: &Answer,
) -> Result<(), FieldError> {
    let known = |id: &str| question.options().iter().any(|o| o.id == id);
    let unknown = || FieldError::new(field, "unknown_option", "no such option in this question");
    match (question, answer) {
        (QuestionKind::SingleChoice { .. }, Answer::Choice { option_id }) => {
            if !known(option_id) {
                return Err(unknown());
            }
        }
        (QuestionKind::MultipleChoice { .. }, Answer::Choices { option_ids }) => {
            let mut seen = HashSet::new();
            for id in option_ids {
                if !known(id) {
                    return Err(unknown());
                }
                if !seen.insert(id.as_str()) {
                    return Err(FieldError::new(
                        field,
                        "duplicate_option",
                        "an option is chosen twice",
                    ));
                }
            }
        }
        (QuestionKind::TrueFalse { .. }, Answer::TrueFalse { .. }) => {}
        (QuestionKind::ShortAnswer { .. } | QuestionKind::Essay, Answer::Text { value }) => {
            if value.chars().count() > ANSWER_TEXT_MAX {
                return Err(FieldError::new(
                    field,
                    "too_long",
                    format!("at most {ANSWER_TEXT_MAX} characters"),
                ));
            }
        }
        (QuestionKind::Numeric { .. }, Answer::Number { value }) => {
            if !value.is_finite() {
                return Err(FieldError::new(
                    field,
                    "not_a_number",
                    "must be a finite number",
                ));
            }
        }
        _ => {
            return Err(FieldError::new(
                field,
                "wrong_kind",
                format!(
                    "a {} question takes a {} answer",
                    question.kind_name(),
                    question.expected_answer()
                ),
            ))
        }
    }
    Ok(())
}

/// Marks `answer` to `question` worth `points`.
///
/// No answer earns 0 and is not correct, essays included (there is nothing to grade). An
/// essay with text waits for a teacher: `points` and `correct` are `None`. An answer of the
/// wrong kind or naming unknown options (refused by [`check_answer`] on the way in, but the
/// question may have been edited since) earns nothing rather than failing the whole attempt.
pub(crate) fn mark(question: &QuestionKind, points: f64, answer: Option<&Answer>) -> Mark {
    // The quiz's own checks keep points sensible; this only stops a bad value from turning
    // into a negative or NaN score.
    let points = if points.is_finite() && points > 0.0 {
        points
    } else {
        0.0
    };
    let Some(answer) = answer else {
        return Mark::wrong();
    };
    match (question, answer) {
        (QuestionKind::SingleChoice { options }, Answer::Choice { option_id }) => Mark::of(
            options.iter().any(|o| o.correct && o.id == *option_id),
            points,
        ),
        (
            QuestionKind::MultipleChoice {
                options,
                partial_credit,
            },
            Answer::Choices { option_ids },
        ) => mark_choices(options, *partial_credit, points, option_ids),
        (QuestionKind::TrueFalse { answer }, Answer::TrueFalse { value }) => {
            Mark::of(answer == value, points)
        }
        (QuestionKind::ShortAnswer { accepted }, Answer::Text { value }) => {
            let given = normalise(value);
            // `!given.is_empty()` as well: a blank reply is never right, even if a blank
            // accepted answer slipped past the checks.
            Mark::of(
                !given.is_empty() && accepted.iter().any(|a| normalise(a) == given),
                points,
            )
        }
        (QuestionKind::Numeric { answer, tolerance }, Answer::Number { value }) => {
            Mark::of(within(*value, *answer, *tolerance), points)
        }
        (QuestionKind::Essay, Answer::Text { value }) => {
            if value.trim().is_empty() {
                Mark::wrong()
            } else {
                Mark::waiting()
            }
        }
        _ => Mark::wrong(),
    }
}

/// Marks a multiple-choice answer.
///
/// Partial credit follows the Canvas-like rule: with `c` correct options, each correct
/// option chosen earns `points / c` and each incorrect one chosen takes `points / c` away,
/// never below 0. Dividing incorrect choices by the number of *correct* options (not of
/// incorrect ones) keeps "tick everything" from being a safe bet: with 2 correct of 5, it
/// earns (2 − 3) × points / 2, below 0, so 0. An option id the question no longer has counts
/// as an incorrect choice, since it is not one of the correct ones.
fn mark_choices(
    options: &[ChoiceOption],
    partial_credit: bool,
    points: f64,
    chosen: &[String],
) -> Mark {
    let correct: BTreeSet<&str> = options
        .iter()
        .filter(|o| o.correct)
        .map(|o| o.id.as_str())
        .collect();
    // A set, so naming an option twice cannot earn it twice.
    let chosen: BTreeSet<&str> = chosen.iter().map(String::as_str).collect();
    if !correct.is_empty() && chosen == correct {
        return Mark::right(points);
    }
    if !partial_credit || correct.is_empty() {
        return Mark::wrong();
    }
    let right = chosen.intersection(&correct).count();
    let wrong = chosen.len() - right;
    if right <= wrong {
        return Mark::wrong();
    }
    // Multiply before dividing: for whole points the product is exact, so the result is
    // rounded once, by the division, instead of twice.
    let earned = points * (right - wrong) as f64 / correct.len() as f64;
    Mark {
        points: Some(earned.min(points)),
        correct: Some(false),
    }
}

/// Text as short answers compare it: trimmed, inner runs of whitespace made one space, and
/// lowercased (all Unicode-aware), so "  New   York " matches "new york". Accents are kept
/// ("café" is not "cafe"): in many subjects they matter.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether `given` is within `tolerance` of `answer`.
///
/// Decimal numbers such as 0.1 have no exact binary form, so 0.1 + 0.2 is
/// 0.30000000000000004 and 1.1 − 1.0 is a hair over 0.1. A student who typed the answer
/// exactly, or right at the edge of the tolerance, must not lose the mark to that, so the
/// comparison allows a few units in the last place of the larger number: far below anything a
/// teacher could mean by a tolerance.
fn within(given: f64, answer: f64, tolerance: f64) -> bool {
    if !(given.is_finite() && answer.is_finite() && tolerance.is_finite()) {
        return false;
    }
    let slack = 4.0 * f64::EPSILON * given.abs().max(answer.abs());
    (given - answer).abs() <= tolerance.max(0.0) + slack
}

/// The question as a student sees it while answering; see [`StudentQuestion`]. Options keep
/// the teacher's order; [`StudentQuestion::in_order`] applies an attempt's shuffled order.
pub(crate) fn for_student(question: &QuestionKind) -> StudentQuestion {
    let options = |options: &[ChoiceOption]| {
        options
            .iter()
            .map(|o| StudentOption {
                id: o.id.clone(),
                text: o.text.clone(),
            })
            .collect()
    };
    match question {
        QuestionKind::SingleChoice { options: opts } => StudentQuestion::SingleChoice {
            options: options(opts),
        },
        QuestionKind::MultipleChoice {
            options: opts,
            partial_credit,
        } => StudentQuestion::MultipleChoice {
            options: options(opts),
            partial_credit: *partial_credit,
        },
        QuestionKind::TrueFalse { .. } => StudentQuestion::TrueFalse,
        QuestionKind::ShortAnswer { .. } => StudentQuestion::ShortAnswer,
        QuestionKind::Numeric { .. } => StudentQuestion::Numeric,
        QuestionKind::Essay => StudentQuestion::Essay,
    }
}

/// `count` distinct question ids drawn at random from `candidates`, in random order; all of
/// them, shuffled, when `count` is at least the number of candidates. A candidate listed
/// twice is drawn at most once, so an attempt never asks the same question twice.
pub(crate) fn draw<R: Rng + ?Sized>(
    candidates: &[String],
    count: usize,
    rng: &mut R,
) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut pool: Vec<&String> = candidates
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .collect();
    // `partial_shuffle` picks `count` uniformly and leaves them in random order, shuffling
    // everything when `count` is the whole pool or more.
    let (drawn, _) = pool.partial_shuffle(rng, count);
    drawn.iter().map(|id| (*id).clone()).collect()
}

/// A random order for the question's option ids, to store with the attempt; empty for
/// questions without options.
pub(crate) fn shuffle_options<R: Rng + ?Sized>(
    question: &QuestionKind,
    rng: &mut R,
) -> Vec<String> {
    let mut ids: Vec<String> = question.options().iter().map(|o| o.id.clone()).collect();
    ids.shuffle(rng);
    ids
}

/// The score a quiz keeps from its finished attempts, given as `(finished_at_ms, score)`;
/// `None` when there are none. The caller passes only attempts whose marking is complete:
/// an essay still waiting for a teacher has no score to combine.
///
/// `Latest` goes by finishing time, not by position in the slice; of attempts finished in
/// the same millisecond, the later in the slice counts.
pub(crate) fn kept_score(keep: Keep, scores: &[(i64, f64)]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    match keep {
        Keep::Highest => scores.iter().map(|&(_, score)| score).reduce(f64::max),
        // `max_by_key` returns the last of equal maxima.
        Keep::Latest => scores
            .iter()
            .max_by_key(|&&(finished_at, _)| finished_at)
            .map(|&(_, score)| score),
        Keep::Average => {
            Some(scores.iter().map(|&(_, score)| score).sum::<f64>() / scores.len() as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use serde_json::json;

    fn option(id: &str, text: &str, correct: bool) -> ChoiceOption {
        ChoiceOption {
            id: id.to_owned(),
            text: text.to_owned(),
            correct,
        }
    }

    fn single() -> QuestionKind {
        QuestionKind::SingleChoice {
            options: vec![
                option("a", "Lyon", false),
                option("b", "Paris", true),
                option("c", "Nice", false),
            ],
        }
    }

    /// Three correct (a, b, c) of five.
    fn multiple(partial_credit: bool) -> QuestionKind {
        QuestionKind::MultipleChoice {
            options: vec![
                option("a", "2", true),
                option("b", "3", true),
                option("c", "5", true),
                option("d", "4", false),
                option("e", "9", false),
            ],
            partial_credit,
        }
    }

    fn short() -> QuestionKind {
        QuestionKind::ShortAnswer {
            accepted: vec!["New York".to_owned(), "NYC".to_owned()],
        }
    }

    fn numeric(answer: f64, tolerance: f64) -> QuestionKind {
        QuestionKind::Numeric { answer, tolerance }
    }

    fn choice(id: &str) -> Answer {
        Answer::Choice {
            option_id: id.to_owned(),
        }
    }

    fn choices(ids: &[&str]) -> Answer {
        Answer::Choices {
            option_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    fn text(value: &str) -> Answer {
        Answer::Text {
            value: value.to_owned(),
        }
    }

    fn number(value: f64) -> Answer {
        Answer::Number { value }
    }

    fn points(question: &QuestionKind, worth: f64, answer: &Answer) -> f64 {
        mark(question, worth, Some(answer))
            .points
            .unwrap_or(f64::NAN)
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // ---- JSON shape ----

    #[test]
    fn questions_and_answers_have_a_kind_tagged_json_shape() {
        let question = serde_json::to_value(multiple(true)).unwrap();
        assert_eq!(question["kind"], "multiple_choice");
        assert_eq!(question["partial_credit"], true);
        assert_eq!(
            question["options"][0],
            json!({"id": "a", "text": "2", "correct": true})
        );
        assert_eq!(
            serde_json::to_value(numeric(9.81, 0.05)).unwrap(),
            json!({"kind": "numeric", "answer": 9.81, "tolerance": 0.05})
        );
        assert_eq!(
            serde_json::to_value(QuestionKind::Essay).unwrap(),
            json!({"kind": "essay"})
        );
        assert_eq!(
            serde_json::to_value(choices(&["a", "c"])).unwrap(),
            json!({"kind": "choices", "option_ids": ["a", "c"]})
        );
        assert_eq!(
            serde_json::to_value(Answer::TrueFalse { value: false }).unwrap(),
            json!({"kind": "true_false", "value": false})
        );
        assert_eq!(
            serde_json::to_value(Keep::Highest).unwrap(),
            json!("highest")
        );
    }

    #[test]
    fn questions_and_answers_read_back_and_unknown_fields_are_refused() {
        for question in [
            single(),
            multiple(false),
            QuestionKind::TrueFalse { answer: true },
            short(),
            numeric(-2.5, 0.25),
            QuestionKind::Essay,
        ] {
            let json = serde_json::to_string(&question).unwrap();
            let back: Result<QuestionKind, _> = serde_json::from_str(&json);
            assert_eq!(back.ok(), Some(question), "{json}");
        }
        // `correct` and `partial_credit` may be left out: false.
        let read: Result<QuestionKind, _> = serde_json::from_value(json!({
            "kind": "multiple_choice",
            "options": [{"id": "a", "text": "A", "correct": true}, {"id": "b", "text": "B"}],
        }));
        assert_eq!(
            read.ok(),
            Some(QuestionKind::MultipleChoice {
                options: vec![option("a", "A", true), option("b", "B", false)],
                partial_credit: false,
            })
        );
        // A misspelt field is an error, not silently a question without partial credit.
        let misspelt: Result<QuestionKind, _> = serde_json::from_value(json!({
            "kind": "multiple_choice", "options": [], "partial_credits": true,
        }));
        assert!(misspelt.is_err());
        let unknown_kind: Result<QuestionKind, _> =
            serde_json::from_value(json!({"kind": "matching"}));
        assert!(unknown_kind.is_err());
        let answer: Result<Answer, _> =
            serde_json::from_value(json!({"kind": "number", "value": 3.5}));
        assert_eq!(answer.ok(), Some(number(3.5)));
        let keep: Result<Keep, _> = serde_json::from_value(json!("average"));
        assert_eq!(keep.ok(), Some(Keep::Average));
    }

    #[test]
    fn the_types_have_api_schemas() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_string(&QuestionKind::schema()).unwrap();
        for kind in [
            "single_choice",
            "multiple_choice",
            "true_false",
            "short_answer",
            "numeric",
            "essay",
        ] {
            assert!(schema.contains(kind), "{kind} missing from {schema}");
        }
        let schema = serde_json::to_string(&Answer::schema()).unwrap();
        assert!(schema.contains("option_ids"), "{schema}");
        let schema = serde_json::to_string(&StudentQuestion::schema()).unwrap();
        // As a property name; the description may speak of correct flags.
        assert!(!schema.contains("\"correct\""), "{schema}");
        assert!(schema.contains("\"partial_credit\""), "{schema}");
    }

    // ---- Marking ----

    #[test]
    fn single_choice_earns_full_points_only_for_the_correct_option() {
        assert_eq!(mark(&single(), 2.0, Some(&choice("b"))), Mark::right(2.0));
        assert_eq!(mark(&single(), 2.0, Some(&choice("a"))), Mark::wrong());
        // An option the question no longer has.
        assert_eq!(mark(&single(), 2.0, Some(&choice("z"))), Mark::wrong());
    }

    #[test]
    fn multiple_choice_without_partial_credit_needs_exactly_the_correct_set() {
        let q = multiple(false);
        assert_eq!(
            mark(&q, 6.0, Some(&choices(&["c", "a", "b"]))),
            Mark::right(6.0)
        );
        assert_eq!(mark(&q, 6.0, Some(&choices(&["a", "b"]))), Mark::wrong());
        assert_eq!(
            mark(&q, 6.0, Some(&choices(&["a", "b", "c", "d"]))),
            Mark::wrong()
        );
        assert_eq!(mark(&q, 6.0, Some(&choices(&[]))), Mark::wrong());
    }

    #[test]
    fn multiple_choice_partial_credit_follows_the_rule() {
        // 6 points, 3 correct options (a, b, c): each correct choice +6/3 = +2, each
        // incorrect one (d, e) −2, never below 0.
        let q = multiple(true);
        // a, b: 2 × 2 = 4.
        assert_eq!(points(&q, 6.0, &choices(&["a", "b"])), 4.0);
        // a, b, d: (2 − 1) × 2 = 2.
        assert_eq!(points(&q, 6.0, &choices(&["a", "b", "d"])), 2.0);
        // a, b, c, d: (3 − 1) × 2 = 4, and not correct.
        let m = mark(&q, 6.0, Some(&choices(&["a", "b", "c", "d"])));
        assert_eq!((m.points, m.correct), (Some(4.0), Some(false)));
        // a, d: (1 − 1) × 2 = 0.
        assert_eq!(points(&q, 6.0, &choices(&["a", "d"])), 0.0);
        // a, d, e: (1 − 2) × 2 = −2, floored at 0.
        assert_eq!(points(&q, 6.0, &choices(&["a", "d", "e"])), 0.0);
        // Everything: (3 − 2) × 2 = 2.
        assert_eq!(points(&q, 6.0, &choices(&["a", "b", "c", "d", "e"])), 2.0);
        // Nothing: 0.
        assert_eq!(points(&q, 6.0, &choices(&[])), 0.0);
        // Exactly right: all 6, and correct.
        assert_eq!(
            mark(&q, 6.0, Some(&choices(&["a", "b", "c"]))),
            Mark::right(6.0)
        );
        // Naming a right option twice does not count it twice: a, a, b is a, b = 4.
        assert_eq!(points(&q, 6.0, &choices(&["a", "a", "b"])), 4.0);
        // An unknown id counts as incorrect: a, b, z = (2 − 1) × 2 = 2.
        assert_eq!(points(&q, 6.0, &choices(&["a", "b", "z"])), 2.0);
        // Uneven thirds: 1 point, a, b = 2 × 1/3 = 0.666…
        assert!(close(points(&q, 1.0, &choices(&["a", "b"])), 2.0 / 3.0));
    }

    #[test]
    fn partial_credit_divides_wrong_choices_by_the_correct_count() {
        // 3 correct (a, b, c) of 4, 4 points. Choosing a, b, d under this rule:
        // 2 × 4/3 − 1 × 4/3 = 4/3 = 1.333…. Dividing the incorrect choice by the number of
        // incorrect options (1) instead would give 2 × 4/3 − 4/1 = −1.333…, so 0.
        let q = QuestionKind::MultipleChoice {
            options: vec![
                option("a", "A", true),
                option("b", "B", true),
                option("c", "C", true),
                option("d", "D", false),
            ],
            partial_credit: true,
        };
        assert!(close(
            points(&q, 4.0, &choices(&["a", "b", "d"])),
            4.0 / 3.0
        ));
    }

    #[test]
    fn true_false_compares_the_value() {
        let q = QuestionKind::TrueFalse { answer: false };
        assert_eq!(
            mark(&q, 1.0, Some(&Answer::TrueFalse { value: false })),
            Mark::right(1.0)
        );
        assert_eq!(
            mark(&q, 1.0, Some(&Answer::TrueFalse { value: true })),
            Mark::wrong()
        );
    }

    #[test]
    fn short_answers_ignore_case_and_spacing() {
        let q = short();
        for given in [
            "new york",
            "  New   York ",
            "NEW\tYORK\n",
            "New\u{00A0}York",
            "nyc",
        ] {
            assert_eq!(
                mark(&q, 1.0, Some(&text(given))),
                Mark::right(1.0),
                "{given:?}"
            );
        }
        for given in ["NewYork", "New York City", "", "   "] {
            assert_eq!(
                mark(&q, 1.0, Some(&text(given))),
                Mark::wrong(),
                "{given:?}"
            );
        }
        // Unicode-aware lowercase: "ÉCOLE" is "école".
        let q = QuestionKind::ShortAnswer {
            accepted: vec!["école".to_owned()],
        };
        assert_eq!(mark(&q, 1.0, Some(&text(" ÉCOLE "))), Mark::right(1.0));
        assert_eq!(mark(&q, 1.0, Some(&text("ecole"))), Mark::wrong());
    }

    #[test]
    fn numeric_answers_are_right_within_the_tolerance() {
        let q = numeric(10.0, 0.5);
        for given in [10.0, 10.5, 9.5, 10.25] {
            assert!(
                mark(&q, 1.0, Some(&number(given))).correct == Some(true),
                "{given}"
            );
        }
        for given in [10.500001, 9.499999, 11.0, -10.0] {
            assert!(
                mark(&q, 1.0, Some(&number(given))).correct == Some(false),
                "{given}"
            );
        }
        let q = numeric(-2.5, 0.25);
        assert_eq!(mark(&q, 1.0, Some(&number(-2.75))), Mark::right(1.0));
        assert_eq!(mark(&q, 1.0, Some(&number(-2.76))), Mark::wrong());
    }

    #[test]
    fn numeric_marking_survives_binary_fractions() {
        // 0.1 + 0.2 is 0.30000000000000004 in binary floating point.
        assert_ne!(0.1 + 0.2, 0.3);
        assert_eq!(
            mark(&numeric(0.3, 0.0), 1.0, Some(&number(0.1 + 0.2))),
            Mark::right(1.0)
        );
        // |1.1 − 1.0| is 0.10000000000000009, a hair over a tolerance of 0.1.
        assert!((1.1_f64 - 1.0).abs() > 0.1);
        assert_eq!(
            mark(&numeric(1.0, 0.1), 1.0, Some(&number(1.1))),
            Mark::right(1.0)
        );
        // The slack is tiny: a real difference is still wrong.
        assert_eq!(
            mark(&numeric(0.3, 0.0), 1.0, Some(&number(0.3000001))),
            Mark::wrong()
        );
        assert_eq!(
            mark(&numeric(1.0, 0.1), 1.0, Some(&number(1.10000000001))),
            Mark::wrong()
        );
        assert_eq!(
            mark(&numeric(0.0, 0.0), 1.0, Some(&number(1e-9))),
            Mark::wrong()
        );
    }

    #[test]
    fn non_finite_numbers_are_never_right() {
        let q = numeric(1.0, 1e300);
        assert_eq!(mark(&q, 1.0, Some(&number(f64::NAN))), Mark::wrong());
        assert_eq!(mark(&q, 1.0, Some(&number(f64::INFINITY))), Mark::wrong());
    }

    #[test]
    fn essays_wait_for_a_teacher_unless_blank() {
        assert_eq!(
            mark(
                &QuestionKind::Essay,
                10.0,
                Some(&text("The French Revolution…"))
            ),
            Mark {
                points: None,
                correct: None
            }
        );
        assert_eq!(
            mark(&QuestionKind::Essay, 10.0, Some(&text(" \n "))),
            Mark::wrong()
        );
        assert_eq!(mark(&QuestionKind::Essay, 10.0, None), Mark::wrong());
    }

    #[test]
    fn no_answer_earns_nothing() {
        for q in [
            single(),
            multiple(true),
            QuestionKind::TrueFalse { answer: true },
            short(),
            numeric(0.0, 1.0),
        ] {
            assert_eq!(mark(&q, 5.0, None), Mark::wrong(), "{q:?}");
        }
    }

    #[test]
    fn an_answer_of_the_wrong_kind_earns_nothing() {
        assert_eq!(mark(&single(), 1.0, Some(&choices(&["b"]))), Mark::wrong());
        assert_eq!(
            mark(
                &QuestionKind::TrueFalse { answer: true },
                1.0,
                Some(&text("true"))
            ),
            Mark::wrong()
        );
        assert_eq!(
            mark(&numeric(3.0, 0.0), 1.0, Some(&text("3"))),
            Mark::wrong()
        );
    }

    #[test]
    fn bad_points_never_make_a_negative_or_nan_score() {
        assert_eq!(points(&single(), -3.0, &choice("b")), 0.0);
        assert_eq!(points(&single(), f64::NAN, &choice("b")), 0.0);
    }

    // ---- Checking answers ----

    #[test]
    fn answers_of_the_right_kind_pass() {
        let field = "answers[q1]";
        assert!(check_answer(field, &single(), &choice("a")).is_ok());
        assert!(check_answer(field, &multiple(true), &choices(&["a", "d"])).is_ok());
        assert!(check_answer(field, &multiple(true), &choices(&[])).is_ok());
        assert!(check_answer(
            field,
            &QuestionKind::TrueFalse { answer: true },
            &Answer::TrueFalse { value: false }
        )
        .is_ok());
        assert!(check_answer(field, &short(), &text("x")).is_ok());
        assert!(check_answer(field, &QuestionKind::Essay, &text(&"a".repeat(20_000))).is_ok());
        assert!(check_answer(field, &numeric(1.0, 0.0), &number(-1e10)).is_ok());
    }

    fn refusal(question: &QuestionKind, answer: &Answer) -> Option<(String, String)> {
        check_answer("answers[q1]", question, answer)
            .err()
            .map(|e| (e.field, e.code))
    }

    fn refused(code: &str) -> Option<(String, String)> {
        Some(("answers[q1]".to_owned(), code.to_owned()))
    }

    #[test]
    fn answers_of_the_wrong_kind_are_refused() {
        let wrong_kind = refused("wrong_kind");
        assert_eq!(refusal(&single(), &choices(&["a"])), wrong_kind);
        assert_eq!(refusal(&multiple(false), &choice("a")), wrong_kind);
        assert_eq!(
            refusal(&QuestionKind::TrueFalse { answer: true }, &text("true")),
            wrong_kind
        );
        assert_eq!(refusal(&short(), &number(1.0)), wrong_kind);
        assert_eq!(refusal(&numeric(1.0, 0.0), &text("1")), wrong_kind);
        assert_eq!(
            refusal(&QuestionKind::Essay, &Answer::TrueFalse { value: true }),
            wrong_kind
        );
    }

    #[test]
    fn unknown_or_repeated_options_are_refused() {
        assert_eq!(refusal(&single(), &choice("z")), refused("unknown_option"));
        assert_eq!(
            refusal(&multiple(true), &choices(&["a", "z"])),
            refused("unknown_option")
        );
        assert_eq!(
            refusal(&multiple(true), &choices(&["a", "a"])),
            refused("duplicate_option")
        );
    }

    #[test]
    fn non_finite_numbers_and_overlong_text_are_refused() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                refusal(&numeric(1.0, 0.0), &number(value)),
                refused("not_a_number")
            );
        }
        assert_eq!(
            refusal(&QuestionKind::Essay, &text(&"é".repeat(20_001))),
            refused("too_long")
        );
        assert_eq!(
            refusal(&short(), &text(&"a".repeat(20_001))),
            refused("too_long")
        );
    }

    // ---- The student's view ----

    #[test]
    fn the_student_view_reveals_no_answer_key() {
        let questions = [
            single(),
            multiple(true),
            QuestionKind::TrueFalse { answer: true },
            short(),
            numeric(42.125, 0.0625),
            QuestionKind::Essay,
        ];
        for question in &questions {
            let json = serde_json::to_string(&for_student(question)).unwrap();
            assert!(json.contains(question.kind_name()), "{json}");
            // Not "answer" itself: it is part of the kind name `short_answer`.
            for key in [
                "correct",
                "accepted",
                "tolerance",
                "42.125",
                "0.0625",
                "New York",
                "NYC",
            ] {
                assert!(!json.contains(key), "{key} in {json}");
            }
        }
        // A true-or-false question shows its kind and nothing else, so not its `true`.
        assert_eq!(
            serde_json::to_value(for_student(&QuestionKind::TrueFalse { answer: true })).unwrap(),
            json!({"kind": "true_false"})
        );
        // What the student needs is there.
        let json = serde_json::to_value(for_student(&single())).unwrap();
        assert_eq!(
            json,
            json!({"kind": "single_choice", "options": [
                {"id": "a", "text": "Lyon"},
                {"id": "b", "text": "Paris"},
                {"id": "c", "text": "Nice"},
            ]})
        );
        let json = serde_json::to_value(for_student(&multiple(true))).unwrap();
        assert_eq!(json["partial_credit"], true);
        assert_eq!(json["options"][3], json!({"id": "d", "text": "4"}));
    }

    #[test]
    fn the_student_view_takes_the_attempts_option_order() {
        let order = ["c".to_owned(), "a".to_owned()];
        let StudentQuestion::SingleChoice { options } = for_student(&single()).in_order(&order)
        else {
            panic!("not a single-choice question");
        };
        // c and a as ordered; b, which the order does not name, after them.
        let ids: Vec<&str> = options.iter().map(StudentOption::id).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        assert_eq!(options[0].text(), "Nice");
    }

    // ---- Drawing and shuffling ----

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("q{i}")).collect()
    }

    #[test]
    fn draw_returns_the_count_asked_for_distinct_and_from_the_candidates() {
        let candidates = ids(10);
        let mut rng = StdRng::seed_from_u64(7);
        for count in [0, 1, 4, 9, 10] {
            let drawn = draw(&candidates, count, &mut rng);
            assert_eq!(drawn.len(), count);
            let distinct: HashSet<&String> = drawn.iter().collect();
            assert_eq!(distinct.len(), count, "{drawn:?}");
            assert!(drawn.iter().all(|id| candidates.contains(id)), "{drawn:?}");
        }
    }

    #[test]
    fn draw_takes_all_candidates_shuffled_when_asked_for_as_many_or_more() {
        let candidates = ids(8);
        let mut rng = StdRng::seed_from_u64(1);
        let mut reordered = false;
        for _ in 0..20 {
            let drawn = draw(&candidates, 100, &mut rng);
            let mut sorted = drawn.clone();
            sorted.sort();
            assert_eq!(sorted, candidates);
            reordered |= drawn != candidates;
        }
        assert!(reordered, "never shuffled");
    }

    #[test]
    fn draw_never_repeats_a_candidate_listed_twice() {
        let candidates = ["a", "b", "a", "b", "c"].map(str::to_owned);
        let mut rng = StdRng::seed_from_u64(3);
        let mut drawn = draw(&candidates, 5, &mut rng);
        drawn.sort();
        assert_eq!(drawn, ["a", "b", "c"]);
    }

    #[test]
    fn draw_reaches_every_candidate() {
        let candidates = ids(5);
        let mut rng = StdRng::seed_from_u64(11);
        let mut seen = HashSet::new();
        for _ in 0..200 {
            seen.extend(draw(&candidates, 1, &mut rng));
        }
        assert_eq!(seen.len(), 5, "{seen:?}");
    }

    #[test]
    fn shuffle_options_gives_an_order_of_the_option_ids() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut reordered = false;
        for _ in 0..20 {
            let order = shuffle_options(&multiple(true), &mut rng);
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, ["a", "b", "c", "d", "e"]);
            reordered |= order != sorted;
        }
        assert!(reordered, "never shuffled");
        for q in [
            QuestionKind::TrueFalse { answer: true },
            short(),
            numeric(1.0, 0.0),
            QuestionKind::Essay,
        ] {
            assert!(shuffle_options(&q, &mut rng).is_empty(), "{q:?}");
        }
    }

    // ---- Combining attempts ----

    #[test]
    fn kept_score_combines_attempts() {
        // Finished at 3000, 1000, 2000 ms: the latest is first in the slice.
        let scores = [(3000, 60.0), (1000, 90.0), (2000, 45.0)];
        assert_eq!(kept_score(Keep::Highest, &scores), Some(90.0));
        assert_eq!(kept_score(Keep::Latest, &scores), Some(60.0));
        // (60 + 90 + 45) / 3 = 195 / 3 = 65.
        assert_eq!(kept_score(Keep::Average, &scores), Some(65.0));
        for keep in [Keep::Highest, Keep::Latest, Keep::Average] {
            assert_eq!(kept_score(keep, &[]), None);
            assert_eq!(kept_score(keep, &[(5, 12.5)]), Some(12.5));
        }
        // Same finishing time: the later in the slice.
        assert_eq!(kept_score(Keep::Latest, &[(7, 1.0), (7, 2.0)]), Some(2.0));
    }

    // ---- Checking questions ----

    #[test]
    fn good_questions_pass() {
        for q in [
            single(),
            multiple(true),
            QuestionKind::TrueFalse { answer: false },
            short(),
            numeric(-2.5, 0.0),
            QuestionKind::Essay,
        ] {
            assert_eq!(codes(&check_question("q", &q)), [], "{q:?}");
        }
    }

    #[test]
    fn single_choice_needs_exactly_one_correct_option() {
        let none = QuestionKind::SingleChoice {
            options: vec![option("a", "A", false), option("b", "B", false)],
        };
        assert_eq!(
            codes(&check_question("questions[0]", &none)),
            [("questions[0].options", "no_correct_option")]
        );
        let two = QuestionKind::SingleChoice {
            options: vec![option("a", "A", true), option("b", "B", true)],
        };
        assert_eq!(
            codes(&check_question("questions[0]", &two)),
            [("questions[0].options", "one_correct_option")]
        );
    }

    #[test]
    fn multiple_choice_needs_a_correct_option() {
        let none = QuestionKind::MultipleChoice {
            options: vec![option("a", "A", false), option("b", "B", false)],
            partial_credit: true,
        };
        assert_eq!(
            codes(&check_question("", &none)),
            [("options", "no_correct_option")]
        );
        let all = QuestionKind::MultipleChoice {
            options: vec![option("a", "A", true), option("b", "B", true)],
            partial_credit: false,
        };
        assert_eq!(codes(&check_question("", &all)), []);
    }

    #[test]
    fn choice_questions_need_two_to_ten_options() {
        let one = QuestionKind::SingleChoice {
            options: vec![option("a", "A", true)],
        };
        assert_eq!(
            codes(&check_question("q", &one)),
            [("q.options", "too_few_options")]
        );
        let eleven = QuestionKind::MultipleChoice {
            options: (0..11)
                .map(|i| option(&format!("o{i}"), "text", i == 0))
                .collect(),
            partial_credit: false,
        };
        assert_eq!(
            codes(&check_question("q", &eleven)),
            [("q.options", "too_many_options")]
        );
        let ten = QuestionKind::MultipleChoice {
            options: (0..10)
                .map(|i| option(&format!("o{i}"), "text", i == 0))
                .collect(),
            partial_credit: false,
        };
        assert_eq!(codes(&check_question("q", &ten)), []);
    }

    #[test]
    fn option_ids_and_texts_are_checked() {
        let q = QuestionKind::MultipleChoice {
            options: vec![
                option("a", "A", true),
                option("a", "Again", false),
                option(" ", "Blank id", false),
                option(&"x".repeat(41), "Long id", false),
                option("e", "  ", false),
                option("f", &"y".repeat(1001), false),
                option("g\u{0007}", "Bell", false),
                option(&"z".repeat(40), &"w".repeat(1000), false),
            ],
            partial_credit: false,
        };
        assert_eq!(
            codes(&check_question("q", &q)),
            [
                ("q.options[1].id", "duplicate_option"),
                ("q.options[2].id", "required"),
                ("q.options[3].id", "too_long"),
                ("q.options[4].text", "required"),
                ("q.options[5].text", "too_long"),
                ("q.options[6].id", "invalid_characters"),
            ]
        );
    }

    #[test]
    fn short_answers_need_one_to_twenty_accepted_answers() {
        let none = QuestionKind::ShortAnswer { accepted: vec![] };
        assert_eq!(
            codes(&check_question("q", &none)),
            [("q.accepted", "no_accepted_answer")]
        );
        let many = QuestionKind::ShortAnswer {
            accepted: (0..21).map(|i| i.to_string()).collect(),
        };
        assert_eq!(
            codes(&check_question("q", &many)),
            [("q.accepted", "too_many_accepted_answers")]
        );
        let bad = QuestionKind::ShortAnswer {
            accepted: vec!["ok".to_owned(), " \t".to_owned(), "a".repeat(1001)],
        };
        assert_eq!(
            codes(&check_question("q", &bad)),
            [("q.accepted[1]", "required"), ("q.accepted[2]", "too_long")]
        );
    }

    #[test]
    fn numeric_questions_need_finite_numbers_and_a_tolerance_of_zero_or_more() {
        assert_eq!(
            codes(&check_question("q", &numeric(1.0, -0.1))),
            [("q.tolerance", "negative_tolerance")]
        );
        assert_eq!(
            codes(&check_question("q", &numeric(f64::NAN, f64::INFINITY))),
            [
                ("q.answer", "not_a_number"),
                ("q.tolerance", "not_a_number")
            ]
        );
        assert_eq!(codes(&check_question("q", &numeric(1.0, 0.0))), []);
    }
}
