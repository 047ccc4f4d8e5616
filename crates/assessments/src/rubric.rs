//! Rubrics: criteria, each with levels worth points. A teacher grading with a rubric picks one
//! level per criterion and the score is their sum, so the student sees exactly where every
//! point came from.

use std::collections::{BTreeMap, HashSet};

use campus_platform::error::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const CRITERIA_MAX: usize = 30;
const LEVELS_MAX: usize = 10;
const LABEL_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rubric {
    #[schema(min_items = 1, max_items = 30)]
    pub criteria: Vec<Criterion>,
}

/// One thing the work is judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Criterion {
    /// Chosen by the teacher, unique within the rubric (`thesis`, `c1`).
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<40>)]
    pub id: String,
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<200>)]
    pub title: String,
    #[serde(default)]
    #[schema(schema_with = campus_platform::openapi::fields::text::<2000>)]
    pub description: String,
    #[schema(min_items = 1, max_items = 10)]
    pub levels: Vec<Level>,
}

/// How well the work meets a criterion, and what that is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Level {
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<40>)]
    pub id: String,
    #[schema(schema_with = campus_platform::openapi::fields::required_line::<200>)]
    pub title: String,
    #[schema(minimum = 0)]
    pub points: f64,
}

/// The level chosen for each criterion, by criterion id.
pub(crate) type Marks = BTreeMap<String, String>;

impl Rubric {
    /// The most the rubric can give: the best level of every criterion.
    pub(crate) fn max_points(&self) -> f64 {
        self.criteria
            .iter()
            .map(|c| c.levels.iter().map(|l| l.points).fold(0.0, f64::max))
            .sum()
    }

    /// What is wrong with the rubric as a teacher wrote it; empty when nothing is.
    pub(crate) fn check(&self, field: &str) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if self.criteria.is_empty() || self.criteria.len() > CRITERIA_MAX {
            problems.push(FieldError::new(
                format!("{field}.criteria"),
                "criteria_count",
                format!("a rubric has 1 to {CRITERIA_MAX} criteria"),
            ));
        }
        let mut criterion_ids = HashSet::new();
        for (i, criterion) in self.criteria.iter().enumerate() {
            let at = format!("{field}.criteria[{i}]");
            label(&mut problems, &format!("{at}.id"), &criterion.id, 40);
            label(
                &mut problems,
                &format!("{at}.title"),
                &criterion.title,
                LABEL_MAX,
            );
            if criterion.description.chars().count() > DESCRIPTION_MAX {
                problems.push(FieldError::new(
                    format!("{at}.description"),
                    "too_long",
                    format!("at most {DESCRIPTION_MAX} characters"),
                ));
            }
            if !criterion_ids.insert(criterion.id.as_str()) {
                problems.push(FieldError::new(
                    format!("{at}.id"),
                    "duplicate",
                    "another criterion has this id",
                ));
            }
            if criterion.levels.is_empty() || criterion.levels.len() > LEVELS_MAX {
                problems.push(FieldError::new(
                    format!("{at}.levels"),
                    "levels_count",
                    format!("a criterion has 1 to {LEVELS_MAX} levels"),
                ));
            }
            let mut level_ids = HashSet::new();
            for (j, level) in criterion.levels.iter().enumerate() {
                let at = format!("{at}.levels[{j}]");
                label(&mut problems, &format!("{at}.id"), &level.id, 40);
                label(
                    &mut problems,
                    &format!("{at}.title"),
                    &level.title,
                    LABEL_MAX,
                );
                if !level_ids.insert(level.id.as_str()) {
                    problems.push(FieldError::new(
                        format!("{at}.id"),
                        "duplicate",
                        "another level of this criterion has this id",
                    ));
                }
                if !level.points.is_finite() || level.points < 0.0 {
                    problems.push(FieldError::new(
                        format!("{at}.points"),
                        "invalid_points",
                        "points are a number of 0 or more",
                    ));
                }
            }
        }
        problems
    }

    /// The score `marks` give, or what is wrong with them: every criterion needs exactly one
    /// of its levels, and nothing else may be named.
    pub(crate) fn score(&self, field: &str, marks: &Marks) -> Result<f64, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut total = 0.0;
        for criterion in &self.criteria {
            let at = format!("{field}.{}", criterion.id);
            match marks.get(&criterion.id) {
                None => problems.push(FieldError::new(at, "required", "choose a level")),
                Some(chosen) => match criterion.levels.iter().find(|l| &l.id == chosen) {
                    Some(level) => total += level.points,
                    None => problems.push(FieldError::new(
                        at,
                        "unknown_level",
                        "not a level of this criterion",
                    )),
                },
            }
        }
        for named in marks.keys() {
            if !self.criteria.iter().any(|c| &c.id == named) {
                problems.push(FieldError::new(
                    format!("{field}.{named}"),
                    "unknown_criterion",
                    "not a criterion of this rubric",
                ));
            }
        }
        if problems.is_empty() {
            Ok(total)
        } else {
            Err(problems)
        }
    }
}

fn label(problems: &mut Vec<FieldError>, field: &str, text: &str, max: usize) {
    if text.trim().is_empty() {
        problems.push(FieldError::new(field, "required", "must not be empty"));
    } else if text.chars().count() > max {
        problems.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn essay_rubric() -> Rubric {
        let level = |id: &str, points| Level {
            id: id.into(),
            title: id.into(),
            points,
        };
        Rubric {
            criteria: vec![
                Criterion {
                    id: "thesis".into(),
                    title: "Thesis".into(),
                    description: String::new(),
                    levels: vec![level("weak", 0.0), level("clear", 4.0), level("sharp", 6.0)],
                },
                Criterion {
                    id: "evidence".into(),
                    title: "Evidence".into(),
                    description: String::new(),
                    levels: vec![level("none", 0.0), level("some", 2.5), level("strong", 4.0)],
                },
            ],
        }
    }

    #[test]
    fn the_score_is_the_sum_of_the_chosen_levels() {
        let rubric = essay_rubric();
        // 6 (sharp) + 4 (strong) = 10 at best.
        assert_eq!(rubric.max_points(), 10.0);
        let marks = Marks::from([
            ("thesis".into(), "clear".into()),
            ("evidence".into(), "some".into()),
        ]);
        // 4 + 2.5
        assert_eq!(rubric.score("rubric", &marks), Ok(6.5));
    }

    #[test]
    fn every_criterion_needs_one_of_its_levels() {
        let rubric = essay_rubric();
        let marks = Marks::from([
            ("thesis".into(), "brilliant".into()),
            ("style".into(), "good".into()),
        ]);
        let problems = rubric.score("rubric", &marks).unwrap_err();
        let codes: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("rubric.thesis", "unknown_level"),
                ("rubric.evidence", "required"),
                ("rubric.style", "unknown_criterion"),
            ]
        );
    }

    #[test]
    fn a_badly_written_rubric_is_refused_field_by_field() {
        let mut rubric = essay_rubric();
        rubric.criteria[1].id = "thesis".into();
        rubric.criteria[0].levels[1].points = -1.0;
        rubric.criteria[0].levels[2].id = "weak".into();
        let problems = rubric.check("rubric");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rubric.criteria[0].levels[1].points",
                "rubric.criteria[0].levels[2].id",
                "rubric.criteria[1].id",
            ]
        );
        assert!(essay_rubric().check("rubric").is_empty());
    }
}
