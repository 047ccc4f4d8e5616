//! The teacher's gradebook: the course's students × its graded work, each student's course
//! grade, and the same as a spreadsheet.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::IntoResponse,
};
use serde::Deserialize;

use crate::{
    api::Visit,
    frame::{self, Frame, Rendered, Section},
    pages::grades::{number, Calculation},
    Web,
};

#[derive(Debug, Deserialize)]
struct Matrix {
    items: Vec<ItemHead>,
    students: Vec<StudentRow>,
}

#[derive(Debug, Deserialize)]
struct ItemHead {
    id: String,
    title: String,
    max_points: f64,
}

#[derive(Debug, Deserialize)]
struct StudentRow {
    student_id: String,
    name: Option<String>,
    email: Option<String>,
    grade: Calculation,
}

impl StudentRow {
    /// The student's line for an item, shown in its column.
    fn cell(&self, item: &ItemHead) -> String {
        match self.grade.items.iter().find(|line| line.item_id == item.id) {
            Some(line) if line.status == "excused" => "EX".to_owned(),
            Some(line) => line
                .points
                .as_ref()
                .map(number)
                .unwrap_or_else(|| "–".to_owned()),
            None => "–".to_owned(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct CourseTitle {
    title: String,
}

#[derive(Template)]
#[template(path = "gradebook.html")]
struct GradebookPage {
    frame: Frame,
    course_id: String,
    title: String,
    matrix: Matrix,
}

pub(crate) async fn gradebook(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let course: CourseTitle = web
        .api
        .get(&visit, &format!("/api/v1/courses/{course_id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let matrix: Matrix = web
        .api
        .get(&visit, &format!("/api/v1/courses/{course_id}/gradebook"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let page = GradebookPage {
        frame: Frame::new(&visit, Some(me), Section::Courses),
        course_id,
        title: course.title,
        matrix,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// The gradebook as the API writes it for a spreadsheet, downloaded.
pub(crate) async fn csv(
    State(web): State<Web>,
    visit: Visit,
    Path(course_id): Path<String>,
) -> Rendered {
    let answer = web
        .api
        .get_as(
            &visit,
            &format!("/api/v1/courses/{course_id}/gradebook"),
            "text/csv",
        )
        .await;
    let answer = answer.done().map_err(|failure| visit.fail(failure))?;
    let mut response = answer.body.into_response();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_DISPOSITION,
        header::CACHE_CONTROL,
    ] {
        if let Some(value) = answer.headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    Ok(response)
}
