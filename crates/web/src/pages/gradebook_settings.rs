//! The gradebook's rules and a teacher's word on one grade, for a course's teachers: the
//! scheme (weighted categories or total points, how many of each category's lowest marks are
//! dropped, what an ungraded item counts as, the letter grades, each item's category), and one
//! student's grade on one item with its history, overridden or excused with a reason.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::Method,
    Form,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    api::{Failure, Visit},
    forms::{decimal, value_of, whole, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::grades::number,
    Web,
};

/// The most categories a course's scheme is edited with here.
const CATEGORIES_MAX: usize = 12;

#[derive(Debug, Deserialize)]
struct Matrix {
    scheme: Scheme,
    items: Vec<ItemHead>,
    students: Vec<StudentRow>,
}

#[derive(Debug, Deserialize)]
struct Scheme {
    categories: Vec<Category>,
    weighted: bool,
    ungraded: String,
    letters: Vec<Letter>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Category {
    pub id: String,
    pub name: String,
    pub weight: f64,
    pub drop_lowest: u32,
}

#[derive(Debug, Deserialize)]
struct Letter {
    letter: String,
    min_percent: f64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ItemHead {
    pub id: String,
    pub title: String,
    pub max_points: f64,
    pub category_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StudentRow {
    student_id: String,
    name: Option<String>,
    grade: crate::pages::grades::Calculation,
}

#[derive(Debug, Deserialize)]
struct CourseTitle {
    title: String,
}

/// A category row of the form: as typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct CategoryRow {
    pub id: String,
    pub name: String,
    pub weight: String,
    pub drop_lowest: String,
}

/// The scheme as the form holds it.
#[derive(Debug, Default)]
pub(crate) struct SchemeForm {
    pub weighted: bool,
    pub ungraded: String,
    pub categories: Vec<CategoryRow>,
    /// One letter per line: `A 90`.
    pub letters: String,
    /// `(item id, category id)`.
    pub item_categories: Vec<(String, String)>,
}

impl SchemeForm {
    fn of(matrix: &Matrix) -> Self {
        let mut form = Self {
            weighted: matrix.scheme.weighted,
            ungraded: matrix.scheme.ungraded.clone(),
            categories: matrix
                .scheme
                .categories
                .iter()
                .map(|category| CategoryRow {
                    id: category.id.clone(),
                    name: category.name.clone(),
                    weight: number(&category.weight),
                    drop_lowest: category.drop_lowest.to_string(),
                })
                .collect(),
            letters: matrix
                .scheme
                .letters
                .iter()
                .map(|letter| format!("{} {}", letter.letter, number(&letter.min_percent)))
                .collect::<Vec<_>>()
                .join("\n"),
            item_categories: matrix
                .items
                .iter()
                .map(|item| {
                    (
                        item.id.clone(),
                        item.category_id.clone().unwrap_or_default(),
                    )
                })
                .collect(),
        };
        form.with_blank_rows();
        form
    }

    fn read(fields: &[(String, String)]) -> Self {
        let categories = (0..CATEGORIES_MAX)
            .filter_map(|n| {
                let name = fields
                    .iter()
                    .find(|(field, _)| *field == format!("category-{n}-name"))?;
                Some(CategoryRow {
                    id: value_of(fields, &format!("category-{n}-id")),
                    name: name.1.clone(),
                    weight: value_of(fields, &format!("category-{n}-weight")),
                    drop_lowest: value_of(fields, &format!("category-{n}-drop")),
                })
            })
            .collect();
        Self {
            weighted: fields.iter().any(|(name, _)| name == "weighted"),
            ungraded: value_of(fields, "ungraded"),
            categories,
            letters: value_of(fields, "letters"),
            item_categories: fields
                .iter()
                .filter_map(|(name, value)| {
                    name.strip_prefix("item-")
                        .map(|item| (item.to_owned(), value.clone()))
                })
                .collect(),
        }
    }

    /// Two empty rows to start new categories in.
    fn with_blank_rows(&mut self) {
        let wanted = (self.categories.len() + 2).min(CATEGORIES_MAX);
        while self.categories.len() < wanted {
            self.categories.push(CategoryRow::default());
        }
    }

    pub(crate) fn category_of(&self, item: &str) -> &str {
        self.item_categories
            .iter()
            .find(|(id, _)| id == item)
            .map_or("", |(_, category)| category.as_str())
    }

    /// The categories that exist (have an id), for the items' choices.
    pub(crate) fn saved_categories(&self) -> Vec<&CategoryRow> {
        self.categories
            .iter()
            .filter(|c| !c.id.is_empty())
            .collect()
    }

    /// The scheme as the API takes it, or the field the page can tell is wrong.
    fn body(&self) -> Result<Value, FormErrors> {
        let mut categories = Vec::new();
        for (n, row) in self.categories.iter().enumerate() {
            if row.name.trim().is_empty() {
                continue;
            }
            let weight = match row.weight.trim() {
                "" => 0.0,
                weight => decimal(&format!("category-{n}-weight"), weight)?,
            };
            let drop_lowest: u32 = match row.drop_lowest.trim() {
                "" => 0,
                drop => whole(&format!("category-{n}-drop"), drop)?,
            };
            let id = if row.id.is_empty() {
                campus_platform::id::new_id_string()
            } else {
                row.id.clone()
            };
            categories.push(json!({ "id": id, "name": row.name.trim(), "weight": weight, "drop_lowest": drop_lowest }));
        }
        let mut letters = Vec::new();
        for line in self
            .letters
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let parsed = line
                .rsplit_once(char::is_whitespace)
                .and_then(|(letter, min)| {
                    let min = min
                        .trim_end_matches('%')
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()?;
                    Some(json!({ "letter": letter.trim(), "min_percent": min }))
                });
            letters.push(parsed.ok_or_else(|| FormErrors::of_code("letters", "invalid_letters"))?);
        }
        let item_categories: serde_json::Map<String, Value> = self
            .item_categories
            .iter()
            .map(|(item, category)| {
                let category = if category.is_empty() {
                    Value::Null
                } else {
                    json!(category)
                };
                (item.clone(), category)
            })
            .collect();
        Ok(json!({
            "scheme": { "categories": categories, "weighted": self.weighted, "ungraded": self.ungraded, "letters": letters },
            "item_categories": item_categories,
        }))
    }
}

#[derive(Template)]
#[template(path = "gradebook_settings.html")]
struct SettingsPage {
    frame: Frame,
    course_id: String,
    title: String,
    items: Vec<ItemHead>,
    form: SchemeForm,
    errors: FormErrors,
}

impl SettingsPage {
    /// Whether the category row `n`'s field `name` came back with an error.
    fn row_invalid(&self, name: &str, n: &usize) -> bool {
        self.errors.on(&format!("category-{n}-{name}")).is_some()
    }
}

async fn matrix(web: &Web, visit: &Visit, course_id: &str) -> Result<Matrix, Failure> {
    web.api
        .get(visit, &format!("/api/v1/courses/{course_id}/gradebook"))
        .await
}

async fn settings_page(
    web: &Web,
    visit: &mut Visit,
    course_id: String,
    form: Option<SchemeForm>,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let course: CourseTitle = web
        .api
        .get(visit, &format!("/api/v1/courses/{course_id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let matrix = matrix(web, visit, &course_id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let form = form.unwrap_or_else(|| SchemeForm::of(&matrix));
    let errors = errors.labelled(&visit.tr, &[("letters", "field-letters")]);
    let status = errors.status();
    let page = SettingsPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course_id,
        title: course.title,
        items: matrix.items,
        form,
        errors,
    };
    Ok(frame::render(&page, status))
}

/// The gradebook's scheme, to change.
pub(crate) async fn settings(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
) -> Rendered {
    settings_page(&web, &mut visit, course_id, None, FormErrors::default()).await
}

/// Saves the scheme.
pub(crate) async fn save_settings(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/courses/{course_id}/gradebook/settings");
    let mut form = SchemeForm::read(&fields);
    let body = match form.body() {
        Ok(body) => body,
        Err(errors) => {
            form.with_blank_rows();
            let errors = errors.translated(&visit.tr);
            return settings_page(&web, &mut visit, course_id, Some(form), errors).await;
        }
    };
    let answer = web
        .api
        .call(
            &visit,
            Method::PUT,
            &format!("/api/v1/courses/{course_id}/gradebook/scheme"),
            Some(&body),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/courses/{course_id}/gradebook"))),
        Err(failure) => {
            let errors = FormErrors::of(&visit.tr, failure)
                .map(|errors| {
                    errors.renamed(|field| {
                        if field.starts_with("scheme.letters") {
                            "letters".to_owned()
                        } else {
                            field.to_owned()
                        }
                    })
                })
                .map_err(|failure| visit.fail(failure))?;
            form.with_blank_rows();
            settings_page(&web, &mut visit, course_id, Some(form), errors).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct HistoryEntry {
    pub change: String,
    pub points: Option<f64>,
    pub reason: Option<String>,
    pub at: String,
}

impl HistoryEntry {
    pub(crate) fn change_key(&self) -> String {
        format!("grade-change-{}", self.change)
    }
}

#[derive(Template)]
#[template(path = "gradebook_grade.html")]
struct GradePage {
    frame: Frame,
    course_id: String,
    item: ItemHead,
    student_id: String,
    student_name: String,
    /// The line of the student's calculation for this item.
    points: Option<f64>,
    status: String,
    history: Vec<HistoryEntry>,
    errors: FormErrors,
    override_points: String,
    reason: String,
}

impl GradePage {
    pub(crate) fn status_key(&self) -> String {
        format!("grades-status-{}", self.status)
    }
}

async fn grade_page(
    web: &Web,
    visit: &mut Visit,
    (course_id, item_id, student_id): (String, String, String),
    typed: (String, String),
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let matrix = matrix(web, visit, &course_id)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let Some(item) = matrix.items.into_iter().find(|item| item.id == item_id) else {
        return Err(visit.fail(Failure::NotFound));
    };
    let Some(student) = matrix
        .students
        .into_iter()
        .find(|student| student.student_id == student_id)
    else {
        return Err(visit.fail(Failure::NotFound));
    };
    let line = student
        .grade
        .items
        .into_iter()
        .find(|line| line.item_id == item_id);
    let history = web
        .api
        .get(
            visit,
            &format!("/api/v1/courses/{course_id}/gradebook/grades/{item_id}/{student_id}"),
        )
        .await
        .map_err(|failure| visit.fail(failure))?;
    let errors = errors.labelled(
        &visit.tr,
        &[
            ("override_points", "field-override-points"),
            ("reason", "field-reason"),
        ],
    );
    let status = errors.status();
    let page = GradePage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course_id,
        item,
        student_id,
        student_name: student.name.unwrap_or_default(),
        points: line.as_ref().and_then(|line| line.points),
        status: line.map_or_else(|| "ungraded".to_owned(), |line| line.status),
        history,
        errors,
        override_points: typed.0,
        reason: typed.1,
    };
    Ok(frame::render(&page, status))
}

/// One student's grade on one item: its history, and the teacher's override or excusal.
pub(crate) async fn grade(
    State(web): State<Web>,
    mut visit: Visit,
    Path(ids): Path<(String, String, String)>,
) -> Rendered {
    grade_page(
        &web,
        &mut visit,
        ids,
        Default::default(),
        FormErrors::default(),
    )
    .await
}

/// Overrides, excuses, or takes back an override, with a reason.
pub(crate) async fn change(
    State(web): State<Web>,
    mut visit: Visit,
    Path((course_id, item_id, student_id)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/courses/{course_id}/gradebook/{item_id}/{student_id}");
    let points = value_of(&fields, "override_points");
    let reason = value_of(&fields, "reason");
    let ids = (course_id.clone(), item_id.clone(), student_id.clone());
    let body = match value_of(&fields, "action").as_str() {
        "override" => match decimal("override_points", &points) {
            Ok(points) => json!({ "override_points": points, "reason": reason }),
            Err(errors) => {
                let errors = errors.translated(&visit.tr);
                return grade_page(&web, &mut visit, ids, (points, reason), errors).await;
            }
        },
        "remove-override" => json!({ "override_points": null, "reason": reason }),
        "excuse" => json!({ "excused": true, "reason": reason }),
        "unexcuse" => json!({ "excused": false, "reason": reason }),
        _ => return Err(visit.fail(Failure::NotFound)),
    };
    let answer = web
        .api
        .call(
            &visit,
            Method::PUT,
            &format!("/api/v1/courses/{course_id}/gradebook/grades/{item_id}/{student_id}"),
            Some(&body),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!(
            "/courses/{course_id}/gradebook/{item_id}/{student_id}"
        ))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            grade_page(&web, &mut visit, ids, (points, reason), errors).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_form_becomes_the_api_scheme() {
        let fields: Vec<(String, String)> = [
            ("weighted", "on"),
            ("ungraded", "exclude"),
            ("category-0-id", "hw"),
            ("category-0-name", "Homework"),
            ("category-0-weight", "40"),
            ("category-0-drop", "1"),
            ("category-1-id", ""),
            ("category-1-name", ""),
            ("category-1-weight", ""),
            ("category-1-drop", ""),
            ("letters", "A 90\nB 80%\n\nC 70,5"),
            ("item-i1", "hw"),
            ("item-i2", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let body = SchemeForm::read(&fields).body().unwrap();
        assert_eq!(
            body["scheme"]["categories"],
            json!([{ "id": "hw", "name": "Homework", "weight": 40.0, "drop_lowest": 1 }])
        );
        assert_eq!(body["scheme"]["weighted"], true);
        assert_eq!(
            body["scheme"]["letters"],
            json!([{ "letter": "A", "min_percent": 90.0 }, { "letter": "B", "min_percent": 80.0 }, { "letter": "C", "min_percent": 70.5 }])
        );
        assert_eq!(body["item_categories"], json!({ "i1": "hw", "i2": null }));
    }

    #[test]
    fn a_letter_line_without_a_percentage_is_refused_by_the_page() {
        let form = SchemeForm {
            letters: "A\nB 80".into(),
            ungraded: "exclude".into(),
            ..SchemeForm::default()
        };
        assert_eq!(
            form.body().unwrap_err().on("letters"),
            Some("invalid_letters")
        );
    }
}
