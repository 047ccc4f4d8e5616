//! The school's community rules, for its admins: who may message whom (students writing to
//! classmates), who posts where, who sees students' profiles, and the word list that holds
//! posts and comments for a moderator. Saved through messaging's and social's settings.

use askama::Template;
use axum::{extract::State, http::Method, Form};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::{value_of, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::admin::admin,
    Web,
};

#[derive(Debug, Deserialize)]
struct MessagingSettings {
    student_direct_messages: bool,
}

#[derive(Debug, Deserialize)]
struct SocialSettings {
    students_post_to_school: bool,
    students_post_on_profiles: bool,
    student_profiles_public: bool,
    words: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_community.html")]
struct CommunityPage {
    frame: Frame,
    /// `(field, label key, hint key, on)`.
    switches: Vec<(&'static str, &'static str, &'static str, bool)>,
    words: String,
    saved: bool,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

async fn page(web: &Web, visit: &mut Visit, saved: bool, errors: FormErrors) -> Rendered {
    let me = admin(web, visit).await?;
    let messaging: MessagingSettings = web
        .api
        .get(visit, "/api/v1/messaging/settings")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let social: SocialSettings = web
        .api
        .get(visit, "/api/v1/social/settings")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let switches = vec![
        (
            "student_direct_messages",
            "community-student-messages",
            "community-student-messages-hint",
            messaging.student_direct_messages,
        ),
        (
            "students_post_to_school",
            "community-school-feed",
            "community-school-feed-hint",
            social.students_post_to_school,
        ),
        (
            "students_post_on_profiles",
            "community-profile-posts",
            "community-profile-posts-hint",
            social.students_post_on_profiles,
        ),
        (
            "student_profiles_public",
            "community-public-profiles",
            "community-public-profiles-hint",
            social.student_profiles_public,
        ),
    ];
    let errors = errors.labelled(&visit.tr, &[("words", "community-words")]);
    let status = errors.status();
    let page = CommunityPage {
        frame: Frame::new(visit, Some(me), Section::Admin),
        switches,
        words: social.words.unwrap_or_default(),
        saved,
        errors,
    };
    Ok(frame::render(&page, status))
}

/// The rules and the word list.
pub(crate) async fn community(
    State(web): State<Web>,
    mut visit: Visit,
    axum::extract::Query(query): axum::extract::Query<Saved>,
) -> Rendered {
    page(
        &web,
        &mut visit,
        query.saved.is_some(),
        FormErrors::default(),
    )
    .await
}

/// Saves the rules (a box left unticked is off) and the word list.
pub(crate) async fn save(
    State(web): State<Web>,
    mut visit: Visit,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = "/admin/community".to_owned();
    let on = |name: &str| fields.iter().any(|(field, _)| field == name);
    let csrf = value_of(&fields, "csrf");
    let messaging = web
        .api
        .call(
            &visit,
            Method::PUT,
            "/api/v1/messaging/settings",
            Some(&json!({ "student_direct_messages": on("student_direct_messages") })),
            Some(&csrf),
        )
        .await;
    messaging.done().map_err(|failure| visit.fail(failure))?;
    let social = web
        .api
        .call(
            &visit,
            Method::PUT,
            "/api/v1/social/settings",
            Some(&json!({
                "students_post_to_school": on("students_post_to_school"),
                "students_post_on_profiles": on("students_post_on_profiles"),
                "student_profiles_public": on("student_profiles_public"),
                "words": value_of(&fields, "words"),
            })),
            Some(&csrf),
        )
        .await;
    match social.done() {
        Ok(_) => Ok(frame::see_other("/admin/community?saved=1")),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            page(&web, &mut visit, false, errors).await
        }
    }
}
