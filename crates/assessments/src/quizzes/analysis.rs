//! Item analysis: how the class answered each question of a quiz (how many answered, how many
//! were right, the average mark, and how many chose each option), from the closed attempts.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use campus_platform::{error::Problem, http::Json, people::Caller, Error, Result};
use serde::Serialize;
use utoipa::ToSchema;

use super::{load, marking::Answer};
use crate::{store::quizzes as store, Assessments};

#[derive(Debug, Default, Serialize, ToSchema)]
pub(crate) struct QuestionAnalysis {
    pub question_id: String,
    /// Closed attempts that asked it and got an answer.
    pub answered: usize,
    pub correct: usize,
    /// The mean points earned, over the marked answers.
    pub average_points: Option<f64>,
    /// How many answers chose each option, by option id (choice questions).
    pub options: BTreeMap<String, usize>,
}

/// How the class answered each question of the quiz: for the course's staff.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/analysis", tag = "assessments", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<QuestionAnalysis>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn item_analysis(
    State(assessments): State<Assessments>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<QuestionAnalysis>>> {
    let (quiz, standing) = load(&assessments, &caller, &id).await?;
    standing.require_staff()?;
    let mut by_question: BTreeMap<String, (QuestionAnalysis, f64, usize)> = BTreeMap::new();
    for row in store::quiz_answers(&assessments.db, &quiz.id).await? {
        let entry = by_question
            .entry(row.question_id.clone())
            .or_insert_with(|| {
                (
                    QuestionAnalysis {
                        question_id: row.question_id.clone(),
                        ..Default::default()
                    },
                    0.0,
                    0,
                )
            });
        let answer: Option<Answer> = serde_json::from_str(&row.answer).map_err(Error::internal)?;
        if let Some(answer) = &answer {
            entry.0.answered += 1;
            match answer {
                Answer::Choice { option_id } => {
                    *entry.0.options.entry(option_id.clone()).or_default() += 1
                }
                Answer::Choices { option_ids } => {
                    for option in option_ids {
                        *entry.0.options.entry(option.clone()).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        if row.correct == Some(1) {
            entry.0.correct += 1;
        }
        if let Some(points) = row.points {
            entry.1 += points;
            entry.2 += 1;
        }
    }
    Ok(Json(
        by_question
            .into_values()
            .map(|(mut analysis, total, marked)| {
                analysis.average_points = (marked > 0).then(|| total / marked as f64);
                analysis
            })
            .collect(),
    ))
}
