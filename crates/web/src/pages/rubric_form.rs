//! The rubric part of the assignment form: criteria, each with levels worth points, written in
//! rows. Blank rows wait at the end to add a criterion or a level, so the form needs no script;
//! a row left blank is dropped. Ids already given are kept, so grades made with the rubric still
//! name its levels after a teacher rewords it.

use serde_json::{json, Value};

use crate::{
    forms::{decimal, value_of, FormErrors},
    i18n::Tr,
    pages::{grades::number, grading::Rubric},
};

/// The API's bounds: criteria in a rubric, levels in a criterion.
const CRITERIA_MAX: usize = 30;
const LEVELS_MAX: usize = 10;
/// Blank level rows a new criterion starts with.
const NEW_LEVELS: usize = 4;

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct CriterionRow {
    /// `criterion-<n>`: the prefix of the row's field names, and the id of its fieldset.
    pub name: String,
    pub id: String,
    pub title: String,
    pub description: String,
    pub levels: Vec<LevelRow>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct LevelRow {
    /// `criterion-<n>-level-<m>`.
    pub name: String,
    pub id: String,
    pub title: String,
    pub points: String,
}

impl CriterionRow {
    /// The name of one of the row's fields (`title`, `description`, `id`).
    pub(crate) fn field(&self, part: &str) -> String {
        format!("{}-{part}", self.name)
    }

    fn is_blank(&self) -> bool {
        self.title.trim().is_empty()
            && self.description.trim().is_empty()
            && self.levels.iter().all(LevelRow::is_blank)
    }
}

impl LevelRow {
    /// The name of one of the row's fields (`title`, `points`, `id`).
    pub(crate) fn field(&self, part: &str) -> String {
        format!("{}-{part}", self.name)
    }

    fn is_blank(&self) -> bool {
        self.title.trim().is_empty() && self.points.trim().is_empty()
    }
}

/// The rubric as the form holds it: as typed, so a refused form comes back unchanged.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct RubricForm {
    pub criteria: Vec<CriterionRow>,
}

impl RubricForm {
    /// The assignment's rubric, ready to edit.
    pub(crate) fn of(rubric: Option<&Rubric>) -> Self {
        let criteria = rubric
            .map(|rubric| {
                rubric
                    .criteria
                    .iter()
                    .map(|criterion| CriterionRow {
                        id: criterion.id.clone(),
                        title: criterion.title.clone(),
                        description: criterion.description.clone(),
                        levels: criterion
                            .levels
                            .iter()
                            .map(|level| LevelRow {
                                id: level.id.clone(),
                                title: level.title.clone(),
                                points: number(&level.points),
                                ..LevelRow::default()
                            })
                            .collect(),
                        ..CriterionRow::default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { criteria }.numbered()
    }

    /// The rows as posted (`criterion-<n>-title`, `criterion-<n>-level-<m>-points`, …), blank
    /// ones dropped and the rest numbered again, so the API's errors (which count only the
    /// rows it was sent) name the rows the form shows.
    pub(crate) fn read(fields: &[(String, String)]) -> Self {
        let present = |name: &str| fields.iter().any(|(field, _)| field == name);
        let criteria = (0..CRITERIA_MAX + 1)
            .map(|n| format!("criterion-{n}"))
            .take_while(|name| present(&format!("{name}-title")))
            .map(|name| CriterionRow {
                id: value_of(fields, &format!("{name}-id")),
                title: value_of(fields, &format!("{name}-title")),
                description: value_of(fields, &format!("{name}-description")),
                levels: (0..LEVELS_MAX + 1)
                    .map(|m| format!("{name}-level-{m}"))
                    .take_while(|level| present(&format!("{level}-title")))
                    .map(|level| LevelRow {
                        id: value_of(fields, &format!("{level}-id")),
                        title: value_of(fields, &format!("{level}-title")),
                        points: value_of(fields, &format!("{level}-points")),
                        ..LevelRow::default()
                    })
                    .filter(|level| !level.is_blank())
                    .collect(),
                ..CriterionRow::default()
            })
            .filter(|criterion| !criterion.is_blank())
            .collect();
        Self { criteria }.numbered()
    }

    /// Whether the assignment has a rubric (blank rows aside).
    pub(crate) fn any(&self) -> bool {
        self.criteria.iter().any(|criterion| !criterion.is_blank())
    }

    /// The rows with room to write more: a blank level or two under each criterion, and one
    /// blank criterion at the end, within the API's bounds.
    pub(crate) fn with_blank_rows(mut self) -> Self {
        for criterion in &mut self.criteria {
            let wanted = (criterion.levels.len() + 1).min(LEVELS_MAX);
            criterion.levels.resize(wanted, LevelRow::default());
        }
        if self.criteria.len() < CRITERIA_MAX {
            self.criteria.push(CriterionRow {
                levels: vec![LevelRow::default(); NEW_LEVELS],
                ..CriterionRow::default()
            });
        }
        self.numbered()
    }

    fn numbered(mut self) -> Self {
        for (n, criterion) in self.criteria.iter_mut().enumerate() {
            criterion.name = format!("criterion-{n}");
            for (m, level) in criterion.levels.iter_mut().enumerate() {
                level.name = format!("criterion-{n}-level-{m}");
            }
        }
        self
    }

    /// The rubric as the API takes it, `null` when there is none. A new row gets the first
    /// free id (`c3`, `l2`); the API checks the rest (titles given, the best levels adding up
    /// to the assignment's points).
    pub(crate) fn body(&self) -> Result<Value, FormErrors> {
        let criteria: Vec<&CriterionRow> = self
            .criteria
            .iter()
            .filter(|criterion| !criterion.is_blank())
            .collect();
        if criteria.is_empty() {
            return Ok(Value::Null);
        }
        let mut written = Vec::with_capacity(criteria.len());
        let mut taken: Vec<String> = criteria.iter().map(|c| c.id.clone()).collect();
        for criterion in criteria {
            let id = kept_or_new(&criterion.id, "c", &mut taken);
            let levels: Vec<&LevelRow> = criterion
                .levels
                .iter()
                .filter(|level| !level.is_blank())
                .collect();
            let mut level_ids: Vec<String> = levels.iter().map(|l| l.id.clone()).collect();
            let mut written_levels = Vec::with_capacity(levels.len());
            for level in levels {
                let points = decimal(&level.field("points"), &level.points)?;
                written_levels.push(json!({
                    "id": kept_or_new(&level.id, "l", &mut level_ids),
                    "title": level.title.trim(),
                    "points": points,
                }));
            }
            written.push(json!({
                "id": id,
                "title": criterion.title.trim(),
                "description": criterion.description.trim(),
                "levels": written_levels,
            }));
        }
        Ok(json!({ "criteria": written }))
    }

    /// The summary's label for each of the rubric's fields.
    pub(crate) fn labels(&self, tr: &Tr) -> Vec<(String, String)> {
        let mut labels = Vec::new();
        for (n, criterion) in self.criteria.iter().enumerate() {
            let named = tr.n("rubric-criterion", "number", n as i64 + 1);
            labels.push((criterion.name.clone(), named.clone()));
            labels.push((
                format!("{}-title", criterion.name),
                format!("{named}, {}", tr.t("rubric-criterion-title")),
            ));
            labels.push((
                format!("{}-description", criterion.name),
                format!("{named}, {}", tr.t("rubric-criterion-description")),
            ));
            for (m, level) in criterion.levels.iter().enumerate() {
                let level_named = tr.n("rubric-level", "number", m as i64 + 1);
                for part in ["title", "points"] {
                    labels.push((
                        format!("{}-{part}", level.name),
                        format!(
                            "{named}, {level_named}, {}",
                            tr.t(&format!("rubric-level-{part}"))
                        ),
                    ));
                }
            }
        }
        labels
    }
}

/// `id` when the row has one, else the first `<prefix><n>` not yet taken (which is then taken).
fn kept_or_new(id: &str, prefix: &str, taken: &mut Vec<String>) -> String {
    if !id.trim().is_empty() {
        return id.to_owned();
    }
    let fresh = (1..)
        .map(|n| format!("{prefix}{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_default();
    taken.push(fresh.clone());
    fresh
}

/// The form's name for a rubric field the API named (`rubric.criteria[1].levels[0].points`
/// is `criterion-1-level-0-points`), or None when the field is not the rubric's.
pub(crate) fn form_field(api_field: &str) -> Option<String> {
    let rest = api_field.strip_prefix("rubric")?;
    let Some(rest) = rest.strip_prefix(".criteria[") else {
        return Some("rubric".into());
    };
    let Some((n, rest)) = rest.split_once(']') else {
        return Some("rubric".into());
    };
    let criterion = format!("criterion-{n}");
    let Some(rest) = rest.strip_prefix(".levels[") else {
        return Some(match rest {
            ".title" | ".id" => format!("{criterion}-title"),
            ".description" => format!("{criterion}-description"),
            _ => criterion,
        });
    };
    let Some((m, rest)) = rest.split_once(']') else {
        return Some(criterion);
    };
    let part = if rest == ".points" { "points" } else { "title" };
    Some(format!("{criterion}-level-{m}-{part}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::posted as fields;

    #[test]
    fn blank_rows_are_dropped_and_new_rows_get_free_ids() {
        let form = RubricForm::read(&fields(&[
            ("criterion-0-id", "c1"),
            ("criterion-0-title", "Argument"),
            ("criterion-0-description", ""),
            ("criterion-0-level-0-id", "l1"),
            ("criterion-0-level-0-title", "Clear"),
            ("criterion-0-level-0-points", "6"),
            ("criterion-0-level-1-id", ""),
            ("criterion-0-level-1-title", ""),
            ("criterion-0-level-1-points", ""),
            ("criterion-0-level-2-id", ""),
            ("criterion-0-level-2-title", "Muddled"),
            ("criterion-0-level-2-points", "2,5"),
            ("criterion-1-id", ""),
            ("criterion-1-title", ""),
            ("criterion-1-description", ""),
            ("criterion-1-level-0-title", ""),
            ("criterion-1-level-0-points", ""),
            ("criterion-2-id", ""),
            ("criterion-2-title", "Sources"),
            ("criterion-2-level-0-title", "Cited"),
            ("criterion-2-level-0-points", "4"),
        ]));
        assert_eq!(form.criteria.len(), 2);
        assert_eq!(form.criteria[1].name, "criterion-1");
        assert_eq!(form.criteria[0].levels[1].name, "criterion-0-level-1");
        assert_eq!(
            form.body().unwrap(),
            json!({ "criteria": [
                { "id": "c1", "title": "Argument", "description": "", "levels": [
                    { "id": "l1", "title": "Clear", "points": 6.0 },
                    { "id": "l2", "title": "Muddled", "points": 2.5 },
                ] },
                { "id": "c2", "title": "Sources", "description": "", "levels": [
                    { "id": "l1", "title": "Cited", "points": 4.0 },
                ] },
            ] })
        );
    }

    #[test]
    fn no_criteria_is_no_rubric_and_points_that_are_not_are_refused_at_their_field() {
        let none = RubricForm::read(&fields(&[("criterion-0-title", "")]));
        assert!(!none.any());
        assert_eq!(none.body().unwrap(), Value::Null);
        let wrong = RubricForm::read(&fields(&[
            ("criterion-0-title", "Argument"),
            ("criterion-0-level-0-title", "Clear"),
            ("criterion-0-level-0-points", "six"),
        ]));
        assert_eq!(
            wrong.body().unwrap_err().on("criterion-0-level-0-points"),
            Some("not_a_decimal")
        );
    }

    #[test]
    fn each_criterion_gets_room_for_another_level_and_the_rubric_for_another_criterion() {
        let form = RubricForm::read(&fields(&[
            ("criterion-0-title", "Argument"),
            ("criterion-0-level-0-title", "Clear"),
            ("criterion-0-level-0-points", "6"),
        ]))
        .with_blank_rows();
        assert_eq!(form.criteria.len(), 2);
        assert_eq!(form.criteria[0].levels.len(), 2);
        assert_eq!(form.criteria[1].levels.len(), NEW_LEVELS);
        assert_eq!(form.criteria[1].levels[3].name, "criterion-1-level-3");
        // What the blank rows hold is nothing the API is sent.
        assert_eq!(
            form.body().unwrap()["criteria"].as_array().unwrap().len(),
            1
        );
    }

    #[test]
    fn the_api_names_rubric_fields_as_the_form_does() {
        assert_eq!(
            form_field("rubric.criteria[1].levels[0].points").as_deref(),
            Some("criterion-1-level-0-points")
        );
        assert_eq!(
            form_field("rubric.criteria[2].levels[3].id").as_deref(),
            Some("criterion-2-level-3-title")
        );
        assert_eq!(
            form_field("rubric.criteria[0].levels").as_deref(),
            Some("criterion-0")
        );
        assert_eq!(
            form_field("rubric.criteria[0].title").as_deref(),
            Some("criterion-0-title")
        );
        assert_eq!(form_field("rubric").as_deref(), Some("rubric"));
        assert_eq!(form_field("rubric.criteria").as_deref(), Some("rubric"));
        assert_eq!(form_field("due_at"), None);
    }
}
