//! The lesson reader: the lesson, its video and attachments, the way to the lessons around it,
//! and marking it complete to go on to the next.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, Method, StatusCode},
    Form,
};

use crate::{
    api::Visit,
    forms::CsrfForm,
    frame::{self, Frame, Rendered, Section},
    pages::views::{CourseView, Lesson, LessonOutline},
    Web,
};

/// The players a lesson may embed (the courses context turns links into these only), on top
/// of the site's own policy.
const LESSON_CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'; \
     frame-src https://www.youtube-nocookie.com https://player.vimeo.com";

#[derive(Template)]
#[template(path = "lesson.html")]
struct LessonPage {
    frame: Frame,
    lesson: Lesson,
    course: CourseView,
    before: Option<LessonOutline>,
    after: Option<LessonOutline>,
    /// Whether the visitor studies the course (and so marks lessons complete).
    studies: bool,
}

pub(crate) async fn lesson(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let lesson: Lesson = web
        .api
        .get(&visit, &format!("/api/v1/lessons/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let course: CourseView = web
        .api
        .get(&visit, &format!("/api/v1/courses/{}", lesson.course_id))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let (before, after) = course.around(&lesson.id);
    let (before, after) = (before.cloned(), after.cloned());
    let page = LessonPage {
        frame: Frame::new(&visit, Some(me), Section::Courses),
        studies: course.summary.studies(),
        lesson,
        course,
        before,
        after,
    };
    let mut response = frame::render(&page, StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LESSON_CSP),
    );
    Ok(response)
}

/// Marks the lesson complete and goes on: to the next lesson, or back to the course after
/// the last.
pub(crate) async fn complete(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    // Signed out meanwhile: come back to the lesson, not to this form's address.
    visit.here = format!("/lessons/{id}");
    let done = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/lessons/{id}/complete"),
            None,
            Some(&form.csrf),
        )
        .await;
    if let Err(failure) = done.done() {
        return Err(visit.fail(failure));
    }
    let lesson: Lesson = web
        .api
        .get(&visit, &format!("/api/v1/lessons/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let course: CourseView = web
        .api
        .get(&visit, &format!("/api/v1/courses/{}", lesson.course_id))
        .await
        .map_err(|failure| visit.fail(failure))?;
    match course.around(&lesson.id).1 {
        Some(next) => Ok(frame::see_other(&format!("/lessons/{}", next.id))),
        None => Ok(frame::see_other(&format!(
            "/courses/{}?completed=1",
            course.summary.id
        ))),
    }
}
