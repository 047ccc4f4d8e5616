//! A student's transcript: every course of the school they have studied, its grade and letter
//! as released to them, on a page that prints cleanly (the frame's header and footer stay off
//! paper). For the student and the school's admins, as the API decides.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;

use crate::{
    api::Visit,
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct Transcript {
    name: Option<String>,
    email: Option<String>,
    generated_at: String,
    courses: Vec<TranscriptCourse>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TranscriptCourse {
    course_id: String,
    title: String,
    status: String,
    enrolled: bool,
    percent: Option<f64>,
    letter: Option<String>,
    items_counted: usize,
    items: usize,
}

impl TranscriptCourse {
    /// The message naming where the course stands for the student.
    pub(crate) fn standing_key(&self) -> &'static str {
        match (self.status.as_str(), self.enrolled) {
            ("archived", _) => "transcript-closed",
            (_, true) => "transcript-in-progress",
            (_, false) => "transcript-left",
        }
    }
}

#[derive(Template)]
#[template(path = "transcript.html")]
struct TranscriptPage {
    frame: Frame,
    transcript: Transcript,
}

pub(crate) async fn transcript(
    State(web): State<Web>,
    mut visit: Visit,
    Path(student_id): Path<String>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let transcript = web
        .api
        .get(&visit, &format!("/api/v1/users/{student_id}/transcript"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let section = if me.id == student_id {
        Section::Grades
    } else {
        Section::Admin
    };
    let page = TranscriptPage {
        frame: Frame::new(&visit, Some(me), section),
        transcript,
    };
    Ok(frame::render(&page, StatusCode::OK))
}
