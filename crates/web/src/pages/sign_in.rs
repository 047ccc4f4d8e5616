//! Signing in (with the second factor when the account has one) and out.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{header, Method, StatusCode},
    response::Response,
    Form,
};
use campus_platform::web_session;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{Answer, Failure, Visit},
    forms::{CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    school: Option<String>,
    /// `reset` or `invitation`: a password was just set.
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    school: String,
    email: String,
    password: String,
    totp_code: Option<String>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    frame: Frame,
    school: String,
    email: String,
    next: String,
    /// The second step: the password was right, the code is asked for.
    second_factor: bool,
    /// Carried to the second step, so the code is all that is asked.
    password: String,
    errors: FormErrors,
    /// What just happened, when the visitor comes from setting a password.
    notice: Option<String>,
}

pub(crate) async fn form(
    State(web): State<Web>,
    visit: Visit,
    Query(query): Query<SignInQuery>,
) -> Rendered {
    let next = local_or_home(query.next.as_deref()).to_owned();
    // Already signed in (another tab renewed the session meanwhile): straight on.
    if visit.csrf.is_some()
        && web
            .api
            .get::<serde_json::Value>(&visit, "/api/v1/me")
            .await
            .is_ok()
    {
        return Ok(frame::see_other(&next));
    }
    let page = SignInPage {
        frame: Frame::new(&visit, None, Section::None),
        school: query.school.unwrap_or_default(),
        email: String::new(),
        next,
        second_factor: false,
        password: String::new(),
        errors: FormErrors::default(),
        notice: match query.done.as_deref() {
            Some("reset") => Some(visit.tr.t("sign-in-done-reset")),
            Some("invitation") => Some(visit.tr.t("sign-in-done-invitation")),
            _ => None,
        },
    };
    Ok(frame::render(&page, StatusCode::OK))
}

pub(crate) async fn submit(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<SignInForm>,
) -> Rendered {
    let code = form
        .totp_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let body = json!({ "school": form.school, "email": form.email,
        "password": form.password, "totp_code": code });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/auth/session",
            Some(&body),
            None,
        )
        .await;
    let next = local_or_home(form.next.as_deref()).to_owned();
    if answer.status.is_success() {
        return Ok(with_session(&answer, &next));
    }
    let tr = visit.tr;
    let problem_code = answer.problem_code();
    let (second_factor, errors) = match (answer.status, problem_code.as_deref()) {
        (StatusCode::UNAUTHORIZED, Some("second_factor_required")) => (true, FormErrors::default()),
        (StatusCode::UNAUTHORIZED, _) if code.is_some() => (
            true,
            FormErrors::on_field("totp_code", tr.t("sign-in-wrong-code")),
        ),
        (StatusCode::UNAUTHORIZED, _) => (false, FormErrors::general(tr.t("sign-in-wrong"))),
        _ => match FormErrors::of(&tr, answer.failure()) {
            Ok(errors) => (code.is_some(), errors),
            Err(failure) => return Err(visit.fail(failure)),
        },
    };
    let page = SignInPage {
        frame: Frame::new(&visit, None, Section::None),
        school: form.school,
        email: form.email,
        next,
        password: if second_factor {
            form.password
        } else {
            String::new()
        },
        second_factor,
        errors,
        notice: None,
    };
    let status = if second_factor && page.errors.fields.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn sign_out(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    let answer = web
        .api
        .call(
            &visit,
            Method::DELETE,
            "/api/v1/auth/session",
            None,
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(answer) => Ok(with_session(&answer, "/sign-in")),
        // Signed out already.
        Err(Failure::SignedOut) => Ok(frame::see_other("/sign-in")),
        Err(failure) => Err(visit.fail(failure)),
    }
}

/// A redirect to `to` that passes on the session cookies the API set (or cleared).
pub(crate) fn with_session(answer: &Answer, to: &str) -> Response {
    let mut response = frame::see_other(to);
    for cookie in answer.cookies() {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    response
}

fn local_or_home(next: Option<&str>) -> &str {
    next.filter(|next| web_session::is_local_path(next))
        .unwrap_or("/")
}
