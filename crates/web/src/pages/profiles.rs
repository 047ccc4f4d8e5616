//! A person's profile: their name, their profile's posts when the school's rules let the
//! visitor see them, a form to post on one's own, and the buttons to follow, mute, block and
//! message them.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{Method, StatusCode},
    Form,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::CsrfForm,
    frame::{self, Frame, Rendered, Section},
    pages::{feed::Post, views::Page},
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct Profile {
    pub user_id: String,
    pub name: String,
    pub visible: bool,
    pub following: bool,
    pub block: Option<String>,
    pub may_post: bool,
}

#[derive(Template)]
#[template(path = "profile_page.html")]
struct ProfilePage {
    frame: Frame,
    profile: Profile,
    own: bool,
    posts: Vec<Post>,
    here: String,
}

/// A person's profile.
pub(crate) async fn profile(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let profile: Profile = web
        .api
        .get(&visit, &format!("/api/v1/profiles/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let posts = if profile.visible {
        let page: Page<Post> = web
            .api
            .get(
                &visit,
                &format!("/api/v1/posts?place=profile&profile_id={}", profile.user_id),
            )
            .await
            .map_err(|failure| visit.fail(failure))?;
        page.items
    } else {
        Vec::new()
    };
    let own = profile.user_id == me.id;
    let page = ProfilePage {
        frame: Frame::new(&visit, Some(me), Section::Feed),
        here: format!("/people/{}", profile.user_id),
        profile,
        own,
        posts,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Relation {
    csrf: String,
    /// `follow`, `unfollow`, `mute`, `block` or `unblock`.
    change: String,
}

/// Follows, unfollows, mutes, blocks or lifts a block, and shows the profile again.
pub(crate) async fn relate(
    State(web): State<Web>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<Relation>,
) -> Rendered {
    let csrf = Some(form.csrf.as_str());
    let answer = match form.change.as_str() {
        "follow" => {
            web.api
                .call(
                    &visit,
                    Method::POST,
                    "/api/v1/follows",
                    Some(&json!({ "kind": "person", "id": id })),
                    csrf,
                )
                .await
        }
        "unfollow" => {
            web.api
                .call(
                    &visit,
                    Method::DELETE,
                    &format!("/api/v1/follows/{id}"),
                    None,
                    csrf,
                )
                .await
        }
        "mute" | "block" => {
            web.api
                .call(
                    &visit,
                    Method::POST,
                    "/api/v1/blocks",
                    Some(&json!({ "user_id": id, "kind": form.change })),
                    csrf,
                )
                .await
        }
        _ => {
            web.api
                .call(
                    &visit,
                    Method::DELETE,
                    &format!("/api/v1/blocks/{id}"),
                    None,
                    csrf,
                )
                .await
        }
    };
    answer.done().map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other(&format!("/people/{id}")))
}

/// Starts (or opens) a direct conversation with the person.
pub(crate) async fn message(
    State(web): State<Web>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    #[derive(Deserialize)]
    struct Started {
        id: String,
    }
    let started: Started = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/conversations",
            Some(&json!({ "member_ids": [id] })),
            Some(&form.csrf),
        )
        .await
        .json()
        .map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other(&format!("/messages/{}", started.id)))
}
