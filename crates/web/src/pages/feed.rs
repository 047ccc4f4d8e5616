//! The campus feed: the home feed with the form to post (in the school's feed when the school
//! allows it, in a course of one's own, on one's profile), a post with its comments and the
//! forms to comment, answer, react and report. Every action is a plain form; the page it
//! comes back to is the one it was sent from.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::Method,
    Form,
};
use campus_contracts::identity::Role;
use campus_platform::web_session::is_local_path;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::{value_of, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::views::{CourseSummary, Page},
    Web,
};

/// The reactions there are, in the order the buttons show them.
const REACTIONS: [&str; 5] = ["like", "love", "celebrate", "insightful", "thanks"];

#[derive(Debug, Deserialize)]
pub(crate) struct ReactionCount {
    pub kind: String,
    pub count: i64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Post {
    pub id: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body_html: String,
    pub status: String,
    pub created_at: String,
    pub reactions: Vec<ReactionCount>,
    pub my_reaction: Option<String>,
    pub comments: i64,
    #[serde(default)]
    pub image: Option<PostImage>,
}

/// A post's picture.
#[derive(Debug, Deserialize)]
pub(crate) struct PostImage {
    pub description: String,
    pub url: String,
}

/// One reaction button: its kind, its label's key, how many reacted so, whether the reader did.
pub(crate) struct ReactionButton {
    pub kind: &'static str,
    pub label: String,
    pub count: i64,
    pub mine: bool,
}

impl Post {
    pub(crate) fn buttons(&self) -> Vec<ReactionButton> {
        REACTIONS
            .iter()
            .map(|kind| ReactionButton {
                kind,
                label: format!("reaction-{kind}"),
                count: self
                    .reactions
                    .iter()
                    .find(|reaction| reaction.kind == *kind)
                    .map_or(0, |reaction| reaction.count),
                mine: self.my_reaction.as_deref() == Some(*kind),
            })
            .collect()
    }

    /// The message key of a status other than `visible`.
    pub(crate) fn status_key(&self) -> String {
        format!("posts-status-{}", self.status)
    }
}

#[derive(Debug, Deserialize)]
struct SocialSettings {
    students_post_to_school: bool,
    students_post_on_profiles: bool,
}

/// `(value, label)` of the places the visitor may post in.
async fn places(web: &Web, visit: &Visit, role: Role) -> Vec<(String, String)> {
    let mut places = Vec::new();
    let settings: Option<SocialSettings> = web.api.get(visit, "/api/v1/social/settings").await.ok();
    let student = role == Role::Student;
    let (school, profile) = settings.map_or((!student, true), |settings| {
        (
            !student || settings.students_post_to_school,
            !student || settings.students_post_on_profiles,
        )
    });
    if school {
        places.push(("school".to_owned(), visit.tr.t("posts-place-school")));
    }
    let courses: Option<Page<CourseSummary>> = web
        .api
        .get(visit, "/api/v1/courses?mine=true&sort=title&limit=100")
        .await
        .ok();
    for course in courses.map(|page| page.items).unwrap_or_default() {
        if !course.is_draft() {
            places.push((format!("course:{}", course.id), course.title));
        }
    }
    if profile {
        places.push(("profile".to_owned(), visit.tr.t("posts-place-profile")));
    }
    places
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage {
    frame: Frame,
    posts: Vec<Post>,
    next_cursor: Option<String>,
    places: Vec<(String, String)>,
    errors: FormErrors,
    /// What the form held, when it comes back: `(place, body)`.
    typed: (String, String),
    /// Where the page's forms come back to.
    here: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Paging {
    cursor: Option<String>,
}

/// A cursor as the API takes it (a post's id), or none.
fn cursor_query(cursor: Option<&str>) -> String {
    match cursor {
        Some(cursor) if !cursor.is_empty() && cursor.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            format!("cursor={cursor}")
        }
        _ => String::new(),
    }
}

async fn feed_page(
    web: &Web,
    visit: &mut Visit,
    cursor: Option<&str>,
    typed: (String, String),
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let page: Page<Post> = web
        .api
        .get(visit, &format!("/api/v1/feed?{}", cursor_query(cursor)))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let places = places(web, visit, me.role).await;
    let errors = errors.labelled(
        &visit.tr,
        &[("body", "posts-body"), ("place", "posts-place")],
    );
    let status = errors.status();
    let page = FeedPage {
        frame: Frame::new(visit, Some(me), Section::Feed),
        posts: page.items,
        next_cursor: page.next_cursor,
        places,
        errors,
        typed,
        here: "/feed".to_owned(),
    };
    Ok(frame::render(&page, status))
}

/// The visitor's home feed and the form to post.
pub(crate) async fn feed(
    State(web): State<Web>,
    mut visit: Visit,
    Query(paging): Query<Paging>,
) -> Rendered {
    feed_page(
        &web,
        &mut visit,
        paging.cursor.as_deref(),
        Default::default(),
        FormErrors::default(),
    )
    .await
}

/// Posts in the place chosen, then shows the feed (or the form again, with what was wrong).
pub(crate) async fn write(
    State(web): State<Web>,
    mut visit: Visit,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = "/feed".to_owned();
    let place = value_of(&fields, "place");
    let body = value_of(&fields, "body");
    let me = visit.me(&web).await?;
    let request = match place.split_once(':') {
        Some(("course", course_id)) => {
            json!({ "place": "course", "course_id": course_id, "body": body })
        }
        None if place == "school" => json!({ "place": "school", "body": body }),
        None if place == "profile" => {
            json!({ "place": "profile", "profile_id": me.id, "body": body })
        }
        _ => {
            let errors = FormErrors::of_code("place", "required").translated(&visit.tr);
            return feed_page(&web, &mut visit, None, (place, body), errors).await;
        }
    };
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/posts",
            Some(&request),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other("/feed")),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            feed_page(&web, &mut visit, None, (place, body), errors).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Comment {
    pub id: String,
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body_html: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    frame: Frame,
    post: Post,
    /// Top-level comments, each with its replies, oldest first.
    threads: Vec<(Comment, Vec<Comment>)>,
    errors: FormErrors,
    typed: String,
    /// The visitor reported something here a moment ago.
    reported: bool,
    here: String,
    /// The visitor wrote the post: they may add its picture.
    mine: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PostQuery {
    reported: Option<String>,
}

async fn post_page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    reported: bool,
    typed: String,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let post: Post = web
        .api
        .get(visit, &format!("/api/v1/posts/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let comments: Page<Comment> = web
        .api
        .get(visit, &format!("/api/v1/posts/{id}/comments?limit=200"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let mut threads: Vec<(Comment, Vec<Comment>)> = Vec::new();
    let mut replies = Vec::new();
    for comment in comments.items {
        if comment.parent_id.is_some() {
            replies.push(comment);
        } else {
            threads.push((comment, Vec::new()));
        }
    }
    for reply in replies {
        if let Some((_, answers)) = threads
            .iter_mut()
            .find(|(top, _)| Some(&top.id) == reply.parent_id.as_ref())
        {
            answers.push(reply);
        }
    }
    let errors = errors.labelled(
        &visit.tr,
        &[
            ("body", "posts-comment-body"),
            ("reason", "posts-report-reason"),
            ("image", "posts-picture"),
            ("description", "posts-picture-description"),
        ],
    );
    let status = errors.status();
    let mine = post.author_id == me.id;
    let page = PostPage {
        frame: Frame::new(visit, Some(me), Section::Feed),
        mine,
        here: format!("/posts/{}", post.id),
        post,
        threads,
        errors,
        typed,
        reported,
    };
    Ok(frame::render(&page, status))
}

/// Adds a picture to the visitor's post (`multipart/form-data`): streamed on to the API as
/// it arrives, the CSRF token riding in the form's address; then shows the post again.
pub(crate) async fn add_picture(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(ticket): Query<crate::forms::CsrfForm>,
    request: axum::extract::Request,
) -> Rendered {
    visit.here = format!("/posts/{id}");
    let answer = web
        .api
        .forward(
            &visit,
            &format!("/api/v1/posts/{id}/image"),
            request,
            &ticket.csrf,
            &[],
        )
        .await;
    if answer.status.is_success() {
        return Ok(frame::see_other(&format!("/posts/{id}")));
    }
    let errors =
        FormErrors::of(&visit.tr, answer.failure()).map_err(|failure| visit.fail(failure))?;
    post_page(&web, &mut visit, &id, false, String::new(), errors).await
}

/// A post with its comments.
pub(crate) async fn post(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<PostQuery>,
) -> Rendered {
    post_page(
        &web,
        &mut visit,
        &id,
        query.reported.is_some(),
        String::new(),
        FormErrors::default(),
    )
    .await
}

/// Comments on the post, or answers one of its comments.
pub(crate) async fn comment(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/posts/{id}");
    let body = value_of(&fields, "body");
    let parent = value_of(&fields, "parent_id");
    let mut request = json!({ "body": body });
    if !parent.is_empty() {
        request["parent_id"] = json!(parent);
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/posts/{id}/comments"),
            Some(&request),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/posts/{id}#comments"))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            post_page(&web, &mut visit, &id, false, body, errors).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Reacting {
    csrf: String,
    kind: String,
    /// The reader's reaction before, as the page showed it: pressing it again takes it back.
    mine: Option<String>,
    back: Option<String>,
}

/// Reacts to the post, or takes the reaction back when the same button is pressed again.
pub(crate) async fn react(
    State(web): State<Web>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<Reacting>,
) -> Rendered {
    let path = format!("/api/v1/posts/{id}/reactions");
    let answer = if form.mine.as_deref() == Some(form.kind.as_str()) {
        web.api
            .call(&visit, Method::DELETE, &path, None, Some(&form.csrf))
            .await
    } else {
        web.api
            .call(
                &visit,
                Method::PUT,
                &path,
                Some(&json!({ "kind": form.kind })),
                Some(&form.csrf),
            )
            .await
    };
    answer.done().map_err(|failure| visit.fail(failure))?;
    let back = form
        .back
        .filter(|back| is_local_path(back))
        .unwrap_or_else(|| format!("/posts/{id}"));
    Ok(frame::see_other(&format!("{back}#post-{id}")))
}

/// Reports the post or one of its comments to the moderators.
pub(crate) async fn report(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/posts/{id}");
    let kind = value_of(&fields, "subject_kind");
    let subject = value_of(&fields, "subject_id");
    let request = json!({ "subject_kind": kind, "subject_id": subject, "reason": value_of(&fields, "reason") });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/reports",
            Some(&request),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/posts/{id}?reported=1"))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            post_page(&web, &mut visit, &id, false, String::new(), errors).await
        }
    }
}
