//! The pages the emailed links open, and asking for one: forgot password, choosing a new one
//! (after a reset or an invitation), confirming an address.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::FormErrors,
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    frame: Frame,
    school: String,
    email: String,
    errors: FormErrors,
}

/// A short message page: a heading, a sentence and where to go next.
#[derive(Template)]
#[template(path = "notice.html")]
pub(crate) struct Notice {
    pub frame: Frame,
    pub heading: String,
    pub text: String,
    pub link: (&'static str, String),
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ForgotForm {
    school: String,
    email: String,
}

pub(crate) async fn forgot_form(visit: Visit) -> Rendered {
    let page = ForgotPage {
        frame: Frame::new(&visit, None, Section::None),
        school: String::new(),
        email: String::new(),
        errors: FormErrors::default(),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

pub(crate) async fn forgot(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<ForgotForm>,
) -> Rendered {
    let body = json!({ "school": form.school.trim(), "email": form.email.trim() });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/auth/password-reset",
            Some(&body),
            None,
        )
        .await;
    if let Err(failure) = answer.done() {
        return match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let page = ForgotPage {
                    frame: Frame::new(&visit, None, Section::None),
                    school: form.school,
                    email: form.email,
                    errors: errors.labelled(
                        &visit.tr,
                        &[("school", "field-school"), ("email", "field-email")],
                    ),
                };
                Ok(frame::render(&page, StatusCode::UNPROCESSABLE_ENTITY))
            }
            Err(failure) => Err(visit.fail(failure)),
        };
    }
    // The same answer whether or not the address has an account.
    let tr = visit.tr;
    let page = Notice {
        frame: Frame::new(&visit, None, Section::None),
        heading: tr.t("registered-title"),
        text: tr.s("forgot-sent", "email", &form.email),
        link: ("/sign-in", tr.t("nav-sign-in")),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Which link opened the new-password page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Reset,
    Invitation,
}

impl Purpose {
    fn action(self) -> &'static str {
        match self {
            Self::Reset => "/reset-password",
            Self::Invitation => "/accept-invitation",
        }
    }

    fn api(self) -> &'static str {
        match self {
            Self::Reset => "/api/v1/auth/password-reset/confirm",
            Self::Invitation => "/api/v1/auth/invitation/accept",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Reset => "reset-title",
            Self::Invitation => "invitation-title",
        }
    }
}

#[derive(Template)]
#[template(path = "new_password.html")]
struct NewPasswordPage {
    frame: Frame,
    title: String,
    intro: String,
    action: &'static str,
    token: String,
    errors: FormErrors,
}

fn new_password_page(
    visit: &Visit,
    purpose: Purpose,
    token: String,
    errors: FormErrors,
) -> Rendered {
    let tr = visit.tr;
    let status = errors.status();
    let page = NewPasswordPage {
        frame: Frame::new(visit, None, Section::None),
        title: tr.t(purpose.title()),
        intro: tr.t(&format!("{}-intro", purpose.title())),
        action: purpose.action(),
        token,
        errors,
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn reset_form(visit: Visit, Query(query): Query<TokenQuery>) -> Rendered {
    new_password_page(&visit, Purpose::Reset, query.token, FormErrors::default())
}

pub(crate) async fn invitation_form(visit: Visit, Query(query): Query<TokenQuery>) -> Rendered {
    new_password_page(
        &visit,
        Purpose::Invitation,
        query.token,
        FormErrors::default(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewPasswordForm {
    token: String,
    password: String,
}

pub(crate) async fn reset(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<NewPasswordForm>,
) -> Rendered {
    set_password(&web, &visit, Purpose::Reset, form).await
}

pub(crate) async fn accept_invitation(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<NewPasswordForm>,
) -> Rendered {
    set_password(&web, &visit, Purpose::Invitation, form).await
}

async fn set_password(
    web: &Web,
    visit: &Visit,
    purpose: Purpose,
    form: NewPasswordForm,
) -> Rendered {
    let body = json!({ "token": form.token, "password": form.password });
    let answer = web
        .api
        .call(visit, Method::POST, purpose.api(), Some(&body), None)
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(match purpose {
            Purpose::Reset => "/sign-in?done=reset",
            Purpose::Invitation => "/sign-in?done=invitation",
        })),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => new_password_page(
                visit,
                purpose,
                form.token,
                errors.labelled(&visit.tr, &[("password", "field-new-password")]),
            ),
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyPage {
    frame: Frame,
    token: String,
    errors: FormErrors,
}

/// Opening the link only shows a button: mail scanners that fetch every link must not confirm
/// an address nobody read.
pub(crate) async fn verify_form(visit: Visit, Query(query): Query<TokenQuery>) -> Rendered {
    let page = VerifyPage {
        frame: Frame::new(&visit, None, Section::None),
        token: query.token,
        errors: FormErrors::default(),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(crate) struct VerifyForm {
    token: String,
}

pub(crate) async fn verify(
    State(web): State<Web>,
    visit: Visit,
    Form(form): Form<VerifyForm>,
) -> Rendered {
    let body = json!({ "token": form.token });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/auth/verify-email",
            Some(&body),
            None,
        )
        .await;
    let tr = visit.tr;
    match answer.done() {
        Ok(_) => {
            let page = Notice {
                frame: Frame::new(&visit, None, Section::None),
                heading: tr.t("verified-title"),
                text: tr.t("verified-text"),
                link: ("/", tr.t("error-go-home")),
            };
            Ok(frame::render(&page, StatusCode::OK))
        }
        Err(failure) => match FormErrors::of(&tr, failure) {
            Ok(errors) => {
                let page = VerifyPage {
                    frame: Frame::new(&visit, None, Section::None),
                    token: form.token,
                    errors,
                };
                Ok(frame::render(&page, StatusCode::UNPROCESSABLE_ENTITY))
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}
