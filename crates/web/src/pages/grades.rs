//! A student's grades: every course they study, its grade so far and where each point came
//! from, and "what if": the grade again with marks they imagine for work not graded yet.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;

use crate::{
    api::Visit,
    frame::{self, Frame, Rendered, Section},
    Web,
};

/// A student's grade in one course, as `/api/v1/me/grades` gives it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CourseGrade {
    pub course_id: String,
    pub course_title: String,
    pub grade: Calculation,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Calculation {
    pub percent: Option<f64>,
    pub letter: Option<String>,
    pub items: Vec<ItemLine>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ItemLine {
    pub item_id: String,
    pub title: String,
    pub late_deduction: f64,
    pub points: Option<f64>,
    pub max_points: f64,
    /// `counted`, `dropped`, `excused`, `ungraded`, `missing` or `overridden`.
    pub status: String,
    #[serde(default)]
    pub hypothetical: bool,
}

impl ItemLine {
    /// Whether "what if" may imagine a mark for it: nothing counts for it yet.
    pub(crate) fn open(&self) -> bool {
        self.status == "ungraded" || self.hypothetical
    }
}

/// A number as a person reads it: no trailing zeros, at most two decimals.
pub(crate) fn number(x: &f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

#[derive(Template)]
#[template(path = "grades.html")]
struct GradesPage {
    frame: Frame,
    courses: Vec<CourseGrade>,
    /// The course a "what if" was asked for, with the imagined grade.
    imagined: Option<(String, Calculation)>,
}

pub(crate) async fn my_grades(State(web): State<Web>, mut visit: Visit) -> Rendered {
    let me = visit.me(&web).await?;
    let courses: Vec<CourseGrade> = web
        .api
        .get(&visit, "/api/v1/me/grades")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let page = GradesPage {
        frame: Frame::new(&visit, Some(me), Section::Grades),
        courses,
        imagined: None,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// "What if": the form names each imagined mark `points.<item id>`; blank ones are left out.
pub(crate) async fn what_if(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = "/grades".to_owned();
    let me = visit.me(&web).await?;
    let csrf = fields
        .iter()
        .find(|(name, _)| name == "csrf")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let marks: Vec<serde_json::Value> = fields
        .iter()
        .filter_map(|(name, value)| {
            let item = name.strip_prefix("points.")?;
            let points: f64 = value.trim().replace(',', ".").parse().ok()?;
            Some(serde_json::json!({ "item_id": item, "points": points }))
        })
        .collect();
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{course_id}/gradebook/what-if"),
            Some(&serde_json::json!({ "marks": marks })),
            Some(&csrf),
        )
        .await;
    let imagined: Calculation = answer.json().map_err(|failure| visit.fail(failure))?;
    let courses: Vec<CourseGrade> = web
        .api
        .get(&visit, "/api/v1/me/grades")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let page = GradesPage {
        frame: Frame::new(&visit, Some(me), Section::Grades),
        courses,
        imagined: Some((course_id, imagined)),
    };
    Ok(frame::render(&page, StatusCode::OK))
}
