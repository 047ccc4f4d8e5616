//! Joining a school as a student, with its join code when it asks for one.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Failure, Problem, Visit},
    forms::FormErrors,
    frame::{self, Frame, Rendered, Section},
    pages::sign_in::with_session,
    Web,
};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegisterQuery {
    school: Option<String>,
    /// The join code, when the school shared a link that carries it.
    code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegisterForm {
    school: String,
    display_name: String,
    email: String,
    password: String,
    join_code: String,
}

/// The form's fields and their labels.
const FIELDS: &[(&str, &str)] = &[
    ("school", "field-school"),
    ("join_code", "field-join-code"),
    ("display_name", "field-display-name"),
    ("email", "field-email"),
    ("password", "field-new-password"),
];

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    frame: Frame,
    form: RegisterForm,
    errors: FormErrors,
}

/// Shown when the account cannot be signed into at once (the address already had one).
#[derive(Template)]
#[template(path = "registered.html")]
struct RegisteredPage {
    frame: Frame,
    email: String,
}

pub(crate) async fn form(visit: Visit, Query(query): Query<RegisterQuery>) -> Rendered {
    let page = RegisterPage {
        frame: Frame::new(&visit, None, Section::None),
        form: RegisterForm {
            school: query.school.unwrap_or_default(),
            join_code: query.code.unwrap_or_default(),
            ..RegisterForm::default()
        },
        errors: FormErrors::default(),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

pub(crate) async fn submit(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<RegisterForm>,
) -> Rendered {
    let join_code = Some(form.join_code.trim()).filter(|c| !c.is_empty());
    let body = json!({ "school": form.school.trim(), "email": form.email,
        "password": form.password, "display_name": form.display_name, "join_code": join_code });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/auth/register",
            Some(&body),
            None,
        )
        .await;
    if !answer.status.is_success() {
        let tr = visit.tr;
        let refused = match answer.failure() {
            Failure::NotFound => Err(Failure::Refused {
                problem: Problem::on_field("school", "unknown_school"),
                retry_after: None,
            }),
            // The school asks for its join code, or takes people by invitation only (the
            // API says which in its explanation).
            Failure::Forbidden if answer.problem_detail().contains("invitation") => {
                Ok(FormErrors::general(tr.t("register-invitation-only")))
            }
            Failure::Forbidden => Err(Failure::Refused {
                problem: Problem::on_field("join_code", "wrong_join_code"),
                retry_after: None,
            }),
            other => Err(other),
        };
        let errors = match refused {
            Ok(errors) => Ok(errors),
            Err(failure) => FormErrors::of(&tr, failure),
        };
        return match errors {
            Ok(errors) => {
                let page = RegisterPage {
                    frame: Frame::new(&visit, None, Section::None),
                    form: RegisterForm {
                        password: String::new(),
                        ..form
                    },
                    errors: errors.labelled(&visit.tr, FIELDS),
                };
                Ok(frame::render(&page, StatusCode::UNPROCESSABLE_ENTITY))
            }
            Err(failure) => Err(visit.fail(failure)),
        };
    }
    // The answer does not say whether the address was new (so it tells no one who is a
    // member); signing in with the password just chosen works only if it was.
    let credentials = json!({ "school": form.school.trim(), "email": form.email,
        "password": form.password });
    let session = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/auth/session",
            Some(&credentials),
            None,
        )
        .await;
    if session.status.is_success() {
        return Ok(with_session(&session, "/"));
    }
    let page = RegisteredPage {
        frame: Frame::new(&visit, None, Section::None),
        email: form.email,
    };
    Ok(frame::render(&page, StatusCode::OK))
}
