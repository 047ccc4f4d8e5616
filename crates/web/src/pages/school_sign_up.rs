//! Signing up a new school and its first administrator.

use askama::Template;
use axum::{
    extract::State,
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::FormErrors,
    frame::{self, Frame, Rendered, Section},
    pages::sign_in::with_session,
    Web,
};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SchoolForm {
    name: String,
    slug: String,
    admin_name: String,
    admin_email: String,
    admin_password: String,
    #[serde(default)]
    time_zone: String,
}

/// The form's fields and their labels.
const FIELDS: &[(&str, &str)] = &[
    ("name", "field-school-name"),
    ("slug", "field-slug"),
    ("admin_name", "field-display-name"),
    ("admin_email", "field-email"),
    ("admin_password", "field-new-password"),
    ("time_zone", "field-school-time-zone"),
];

#[derive(Template)]
#[template(path = "school_sign_up.html")]
struct SchoolPage {
    frame: Frame,
    form: SchoolForm,
    errors: FormErrors,
}

pub(crate) async fn form(visit: Visit) -> Rendered {
    let page = SchoolPage {
        frame: Frame::new(&visit, None, Section::None),
        form: SchoolForm {
            time_zone: "UTC".into(),
            ..SchoolForm::default()
        },
        errors: FormErrors::default(),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

pub(crate) async fn submit(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<SchoolForm>,
) -> Rendered {
    let slug = form.slug.trim().to_ascii_lowercase();
    let time_zone = Some(form.time_zone.as_str()).filter(|zone| !zone.is_empty());
    let body = json!({ "name": form.name, "slug": slug, "admin_name": form.admin_name,
        "admin_email": form.admin_email, "admin_password": form.admin_password,
        "time_zone": time_zone });
    let answer = web
        .api
        .call(&visit, Method::POST, "/api/v1/schools", Some(&body), None)
        .await;
    if let Err(failure) = answer.done() {
        return match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let page = SchoolPage {
                    frame: Frame::new(&visit, None, Section::None),
                    form: SchoolForm {
                        admin_password: String::new(),
                        ..form
                    },
                    errors: errors.labelled(&visit.tr, FIELDS),
                };
                Ok(frame::render(&page, StatusCode::UNPROCESSABLE_ENTITY))
            }
            Err(failure) => Err(visit.fail(failure)),
        };
    }
    let credentials = json!({ "school": slug, "email": form.admin_email,
        "password": form.admin_password });
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
    match session.done() {
        Ok(session) => Ok(with_session(&session, "/?welcome=school")),
        Err(failure) => Err(visit.fail(failure)),
    }
}
