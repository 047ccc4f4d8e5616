//! Extensions, for a course's teachers: a student's own due date and cut-off on an
//! assignment, granted from a list of the course's students and taken back.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::Method,
    Form,
};
use campus_contracts::courses::CourseRole;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{
    api::Visit,
    forms::{value_of, CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::{assignments::Assignment, teaching::members, views::Member},
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct Extension {
    pub student_id: String,
    pub student_name: Option<String>,
    pub due_at: Option<String>,
    pub cut_off_at: Option<String>,
}

#[derive(Template)]
#[template(path = "extensions.html")]
struct ExtensionsPage {
    frame: Frame,
    assignment: Assignment,
    extensions: Vec<Extension>,
    students: Vec<Member>,
    errors: FormErrors,
    /// What the form held, when it comes back: `(student, due, cut-off)`.
    typed: (String, String, String),
}

async fn page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    typed: (String, String, String),
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let assignment: Assignment = web
        .api
        .get(visit, &format!("/api/v1/assignments/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let extensions = web
        .api
        .get(visit, &format!("/api/v1/assignments/{id}/extensions"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let students = members(web, visit, &assignment.course_id)
        .await
        .map_err(|failure| visit.fail(failure))?
        .into_iter()
        .filter(|member| member.role == CourseRole::Student)
        .collect();
    let errors = errors.labelled(
        &visit.tr,
        &[
            ("student", "field-extension-student"),
            ("due_at", "field-due-at"),
            ("cut_off_at", "field-cut-off-at"),
        ],
    );
    let status = errors.status();
    let page = ExtensionsPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        assignment,
        extensions,
        students,
        errors,
        typed,
    };
    Ok(frame::render(&page, status))
}

/// The assignment's extensions and a form to grant one.
pub(crate) async fn extensions(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    page(
        &web,
        &mut visit,
        &id,
        Default::default(),
        FormErrors::default(),
    )
    .await
}

/// Grants (or changes) a student's extension.
pub(crate) async fn grant(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/assignments/{id}/extensions");
    let student = value_of(&fields, "student");
    let due_at = value_of(&fields, "due_at");
    let cut_off_at = value_of(&fields, "cut_off_at");
    let typed = (student.clone(), due_at.clone(), cut_off_at.clone());
    if student.is_empty() {
        let errors = FormErrors::of_code("student", "required").translated(&visit.tr);
        return page(&web, &mut visit, &id, typed, errors).await;
    }
    let mut body = Map::new();
    for (name, value) in [("due_at", &due_at), ("cut_off_at", &cut_off_at)] {
        if !value.trim().is_empty() {
            body.insert(name.into(), json!(value.trim()));
        }
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::PUT,
            &format!("/api/v1/assignments/{id}/extensions/{student}"),
            Some(&Value::Object(body)),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/assignments/{id}/extensions"))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            page(&web, &mut visit, &id, typed, errors).await
        }
    }
}

/// Takes a student's extension back: the assignment's own dates apply again.
pub(crate) async fn remove(
    State(web): State<Web>,
    visit: Visit,
    Path((id, student_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    web.api
        .call(
            &visit,
            Method::DELETE,
            &format!("/api/v1/assignments/{id}/extensions/{student_id}"),
            None,
            Some(&form.csrf),
        )
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other(&format!("/assignments/{id}/extensions")))
}
