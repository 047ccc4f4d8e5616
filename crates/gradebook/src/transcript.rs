//! A student's transcript: their grade in every course of the school they have grades in or
//! are a student of, as released to them. For the student and the school's admins.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use campus_contracts::courses::{CourseRole, Visibility};
use campus_platform::{error::Problem, http::Json, people::Caller, time, Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    book::{Book, Eyes},
    Gradebook,
};

pub(crate) fn routes(gradebook: Gradebook) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(transcript))
        .with_state(gradebook)
}

/// One course of a transcript.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TranscriptCourse {
    pub course_id: String,
    pub title: String,
    /// `published` (running) or `archived` (closed); a course's draft never shows.
    pub status: String,
    /// Whether the student still has a place in it.
    pub enrolled: bool,
    pub percent: Option<f64>,
    pub letter: Option<String>,
    /// Items that count towards the grade so far, of all the course's items.
    pub items_counted: usize,
    pub items: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Transcript {
    pub student_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub generated_at: String,
    pub courses: Vec<TranscriptCourse>,
}

/// A student's transcript across the school's courses: for the student and the school's
/// admins.
#[utoipa::path(get, path = "/api/v1/users/{id}/transcript", tag = "gradebook", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Transcript), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn transcript(
    State(gradebook): State<Gradebook>,
    caller: Caller,
    Path(student_id): Path<String>,
) -> Result<Json<Transcript>> {
    if caller.user_id != student_id && !caller.is_admin() {
        return Err(Error::forbidden(
            "a transcript is for its student and the school's admins",
        ));
    }
    let person = gradebook
        .people
        .person(&caller.school_id, &student_id)
        .await?
        .ok_or(Error::NotFound { what: "user" })?;
    let mut courses: BTreeSet<String> = sqlx::query_as::<_, (String,)>(
        "SELECT DISTINCT course_id FROM grades WHERE student_id = $1 AND school_id = $2",
    )
    .bind(&student_id)
    .bind(&caller.school_id)
    .fetch_all(gradebook.db.pool())
    .await?
    .into_iter()
    .map(|(course,)| course)
    .collect();
    let places = gradebook
        .rosters
        .places_of(&caller.school_id, &student_id)
        .await?;
    let enrolled: BTreeSet<String> = places
        .iter()
        .filter(|place| place.course_role == CourseRole::Student)
        .map(|place| place.course_id.clone())
        .collect();
    courses.extend(enrolled.iter().cloned());
    let now = time::now_ms();
    let mut shown = Vec::new();
    for course_id in courses {
        let Some(course) = gradebook
            .rosters
            .course(&caller.school_id, &course_id)
            .await?
        else {
            continue;
        };
        if course.visibility == Visibility::Draft {
            continue;
        }
        let book = Book::load(&gradebook.db, &course_id).await?;
        let grade = book.calculate(&student_id, Eyes::Student, now);
        shown.push(TranscriptCourse {
            enrolled: enrolled.contains(&course_id),
            title: course.title,
            status: course.visibility.as_str().to_owned(),
            percent: grade.percent,
            letter: grade.letter,
            items_counted: grade
                .items
                .iter()
                .filter(|line| line.points.is_some())
                .count(),
            items: grade.items.len(),
            course_id,
        });
    }
    shown.sort_by_key(|course| course.title.to_lowercase());
    Ok(Json(Transcript {
        student_id,
        name: Some(person.display_name.clone()),
        email: Some(person.email.clone()),
        generated_at: time::rfc3339(now),
        courses: shown,
    }))
}
