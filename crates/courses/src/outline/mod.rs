//! A course's structure: ordered modules, ordered lessons inside them, and the lessons
//! themselves (Markdown body, video, attachments). Only the course's teachers and the school's
//! admins change it; students read published lessons of courses they may read.
//!
//! Rooms: `modules` and `lessons`; what both need (loading what a teacher may change, checking
//! a new order) is here.

mod lessons;
mod modules;

use campus_platform::{people::Caller, Error, Result};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::CourseAccess,
    domain,
    store::{self, ModuleRow},
    Courses,
};

pub(crate) fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(modules::add_module))
        .routes(routes!(modules::update_module, modules::delete_module))
        .routes(routes!(modules::reorder_modules))
        .routes(routes!(lessons::add_lesson))
        .routes(routes!(
            lessons::get_lesson,
            lessons::update_lesson,
            lessons::delete_lesson
        ))
        .routes(routes!(lessons::reorder_lessons))
        .with_state(courses)
}

/// A course the caller may change: they teach it (or run the school) and it is not archived.
async fn editable_course(
    courses: &Courses,
    caller: &Caller,
    course_id: &str,
) -> Result<CourseAccess> {
    let access = CourseAccess::load_fresh(courses, caller, course_id).await?;
    access.require_teacher()?;
    access.require_open()?;
    Ok(access)
}

/// A module of a course the caller may change.
async fn editable_module(
    courses: &Courses,
    caller: &Caller,
    module_id: &str,
) -> Result<(ModuleRow, CourseAccess)> {
    let module = store::outline::module(&courses.db, &caller.school_id, module_id)
        .await?
        .ok_or(Error::NotFound { what: "module" })?;
    let access = CourseAccess::load_fresh(courses, caller, &module.course_id)
        .await
        .map_err(|error| error.unseen_as("module"))?;
    access.require_teacher()?;
    access.require_open()?;
    Ok((module, access))
}

/// A new order must name exactly the current items, each once.
fn check_order(field: &str, current: &[String], asked: &[String]) -> Result<()> {
    if domain::same_items(current, asked) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "order_mismatch",
            format!(
                "list each of the {} current items exactly once",
                current.len()
            ),
        ))
    }
}
