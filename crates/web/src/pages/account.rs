//! A person's own account: their profile (name, about, language, time zone) and its security
//! (the second factor with a QR code and recovery codes, and the sessions signed in).

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::{CsrfForm, FormErrors},
    frame::{self, Frame, Me, Rendered, Section},
    i18n::LANGUAGES,
    Web,
};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProfileForm {
    csrf: String,
    display_name: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    time_zone: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    frame: Frame,
    form: ProfileForm,
    languages: &'static [&'static str],
    /// What "no zone of my own" means: the school's.
    school_zone: String,
    saved: bool,
    errors: FormErrors,
}

fn profile_page(
    visit: &Visit,
    me: Me,
    form: ProfileForm,
    saved: bool,
    errors: FormErrors,
) -> Rendered {
    let status = errors.status();
    let school_zone = visit.tr.s(
        "field-time-zone-school",
        "zone",
        me.school_time_zone.as_deref().unwrap_or("UTC"),
    );
    let page = ProfilePage {
        frame: Frame::new(visit, Some(me), Section::Account),
        form,
        languages: &LANGUAGES,
        school_zone,
        saved,
        errors,
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn profile(
    State(web): State<Web>,
    mut visit: Visit,
    Query(saved): Query<Saved>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let form = ProfileForm {
        csrf: String::new(),
        display_name: me.display_name.clone(),
        bio: me.bio.clone().unwrap_or_default(),
        locale: me.locale.clone().unwrap_or_default(),
        time_zone: me.time_zone.clone().unwrap_or_default(),
    };
    profile_page(
        &visit,
        me,
        form,
        saved.saved.is_some(),
        FormErrors::default(),
    )
}

pub(crate) async fn save_profile(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<ProfileForm>,
) -> Rendered {
    visit.here = "/profile".into();
    // Blank clears a field.
    let blank_is_none = |text: &str| {
        Some(text.trim())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let body = json!({
        "display_name": form.display_name,
        "bio": blank_is_none(&form.bio),
        "locale": blank_is_none(&form.locale),
        "time_zone": blank_is_none(&form.time_zone),
    });
    let answer = web
        .api
        .call(
            &visit,
            Method::PATCH,
            "/api/v1/me",
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other("/profile?saved=1")),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let me = visit.me(&web).await?;
                let errors = errors.labelled(
                    &visit.tr,
                    &[
                        ("display_name", "field-display-name"),
                        ("bio", "field-bio"),
                        ("locale", "field-language"),
                        ("time_zone", "field-time-zone"),
                    ],
                );
                profile_page(&visit, me, form, false, errors)
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Session {
    id: String,
    started_at: String,
    last_active_at: String,
}

/// The second factor being set up: the QR code to scan and the secret to type.
pub(crate) struct Enrolling {
    secret: String,
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    frame: Frame,
    second_factor: bool,
    sessions: Vec<Session>,
    enrolling: Option<Enrolling>,
    /// Shown once, right after the second factor was turned on.
    recovery_codes: Vec<String>,
    notice: Option<String>,
    errors: FormErrors,
}

async fn security_page(
    web: &Web,
    visit: &mut Visit,
    enrolling: Option<Enrolling>,
    recovery_codes: Vec<String>,
    notice: Option<String>,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let sessions: Vec<Session> = web
        .api
        .get(visit, "/api/v1/me/sessions")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let status = errors.status();
    let page = SecurityPage {
        second_factor: me.second_factor.unwrap_or(false),
        frame: Frame::new(visit, Some(me), Section::Account),
        sessions,
        enrolling,
        recovery_codes,
        notice,
        errors,
    };
    Ok(frame::render(&page, status))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SecurityQuery {
    done: Option<String>,
}

pub(crate) async fn security(
    State(web): State<Web>,
    mut visit: Visit,
    Query(query): Query<SecurityQuery>,
) -> Rendered {
    let notice = query
        .done
        .as_deref()
        .and_then(|done| visit.tr.maybe(&format!("security-done-{done}")));
    security_page(
        &web,
        &mut visit,
        None,
        Vec::new(),
        notice,
        FormErrors::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    password: String,
}

/// Starts setting up the second factor: shows the QR code and asks for a code from the app.
pub(crate) async fn enrol(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<PasswordForm>,
) -> Rendered {
    visit.here = "/security".into();
    let body = json!({ "password": form.password });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/me/2fa/enrol",
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    // A wrong password answers 401 like a lapsed session; the session is still good if the
    // person can be read, so say it next to the field.
    if answer.status == StatusCode::UNAUTHORIZED && visit.me(&web).await.is_ok() {
        let errors = FormErrors::on_field("password", visit.tr.t("security-wrong-password"));
        return security_page(&web, &mut visit, None, Vec::new(), None, errors).await;
    }
    #[derive(Deserialize)]
    struct Enrolment {
        secret: String,
        otpauth_url: String,
    }
    match answer.json::<Enrolment>() {
        Ok(enrolment) => {
            let enrolling = Enrolling {
                qr_svg: qr_svg(&enrolment.otpauth_url),
                secret: enrolment.secret,
            };
            security_page(
                &web,
                &mut visit,
                Some(enrolling),
                Vec::new(),
                None,
                FormErrors::default(),
            )
            .await
        }
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => security_page(&web, &mut visit, None, Vec::new(), None, errors).await,
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

/// The `otpauth://` address as a QR code, an SVG drawn on the server (no script, no other
/// host).
fn qr_svg(otpauth_url: &str) -> String {
    match qrcode::QrCode::new(otpauth_url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(error) => {
            tracing::warn!(%error, "the enrolment address did not fit a QR code");
            String::new()
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    csrf: String,
    code: String,
}

/// Turns the second factor on with a code from the app; shows the recovery codes once.
pub(crate) async fn confirm(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<CodeForm>,
) -> Rendered {
    visit.here = "/security".into();
    let body = json!({ "code": form.code.trim() });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/me/2fa/confirm",
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    #[derive(Deserialize)]
    struct RecoveryCodes {
        recovery_codes: Vec<String>,
    }
    match answer.json::<RecoveryCodes>() {
        Ok(codes) => {
            let notice = Some(visit.tr.t("security-done-on"));
            security_page(
                &web,
                &mut visit,
                None,
                codes.recovery_codes,
                notice,
                FormErrors::default(),
            )
            .await
        }
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let errors = errors.labelled(&visit.tr, &[("code", "field-totp-code")]);
                security_page(&web, &mut visit, None, Vec::new(), None, errors).await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DisableForm {
    csrf: String,
    password: String,
    code: String,
}

pub(crate) async fn disable(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<DisableForm>,
) -> Rendered {
    visit.here = "/security".into();
    let body = json!({ "password": form.password, "code": form.code.trim() });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/me/2fa/disable",
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    if answer.status == StatusCode::UNAUTHORIZED && visit.me(&web).await.is_ok() {
        let errors = FormErrors::general(visit.tr.t("security-wrong-password-or-code"));
        return security_page(&web, &mut visit, None, Vec::new(), None, errors).await;
    }
    match answer.done() {
        Ok(_) => Ok(frame::see_other("/security?done=off")),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => security_page(&web, &mut visit, None, Vec::new(), None, errors).await,
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

/// Ends one of the person's sessions (another device, or this one).
pub(crate) async fn end_session(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = "/security".into();
    let path = format!("/api/v1/me/sessions/{id}");
    Ok(web
        .act(
            &visit,
            Method::DELETE,
            &path,
            None,
            &form.csrf,
            "/security?done=session",
        )
        .await)
}
