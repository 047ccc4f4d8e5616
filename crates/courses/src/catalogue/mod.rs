//! Courses themselves: the school's catalogue, one course with its outline, and starting,
//! changing, publishing, archiving and duplicating courses.
//!
//! Rooms: `browse` (the catalogue), `course` (reading, starting, changing and copying one
//! course), `lifecycle` (publishing, archiving, the enrollment code), `details` (what a teacher
//! may set and its rules), `view` (how a course is shown) and `views` (who opened which course,
//! tallied for search's trending).

mod browse;
mod course;
mod details;
mod lifecycle;
mod view;
mod views;

pub(crate) use view::CourseSummary;
pub(crate) use views::{sender as views_sender, ViewTally};

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::Courses;

pub(crate) fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(browse::list_courses, course::create_course))
        .routes(routes!(course::get_course, course::update_course))
        .routes(routes!(lifecycle::publish_course))
        .routes(routes!(lifecycle::archive_course))
        .routes(routes!(course::duplicate_course))
        .routes(routes!(lifecycle::rotate_enrollment_code))
        .with_state(courses)
}
