//! The moderation queue, for the school's admins and teachers: what was reported (posts,
//! comments, messages) or held by the word list among what they moderate, with the reports' reasons, and a form to hide,
//! restore or dismiss each (with a note for the audit log).

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
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    pub subject_kind: String,
    pub subject_id: String,
    pub post_id: String,
    pub author_name: Option<String>,
    pub body_html: String,
    pub status: String,
    pub reasons: Vec<String>,
}

impl Item {
    /// The actions that apply to the item as it is, with their labels' keys.
    pub(crate) fn actions(&self) -> Vec<(&'static str, &'static str)> {
        let mut actions = Vec::new();
        if self.status != "hidden" {
            actions.push(("hide", "moderation-hide"));
        }
        if self.status != "visible" {
            actions.push(("restore", "moderation-restore"));
        }
        if !self.reasons.is_empty() {
            actions.push(("dismiss", "moderation-dismiss"));
        }
        actions
    }

    pub(crate) fn kind_key(&self) -> String {
        format!("moderation-kind-{}", self.subject_kind)
    }

    pub(crate) fn status_key(&self) -> String {
        format!("posts-status-{}", self.status)
    }

    pub(crate) fn report_count(&self) -> i64 {
        i64::try_from(self.reasons.len()).unwrap_or(i64::MAX)
    }

    /// `posts`, `comments` or `messages`, as the routes name them.
    pub(crate) fn route(&self) -> &'static str {
        match self.subject_kind.as_str() {
            "comment" => "comments",
            "message" => "messages",
            _ => "posts",
        }
    }
}

#[derive(Debug, Deserialize)]
struct Queue {
    items: Vec<Item>,
}

/// A reported message, as messaging's queue lists it.
#[derive(Debug, Deserialize)]
struct ReportedMessage {
    message_id: String,
    author_name: Option<String>,
    body_html: String,
    status: String,
    reasons: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct MessageQueue {
    items: Vec<ReportedMessage>,
}

impl From<ReportedMessage> for Item {
    fn from(message: ReportedMessage) -> Self {
        Self {
            subject_kind: "message".to_owned(),
            subject_id: message.message_id,
            post_id: String::new(),
            author_name: message.author_name,
            body_html: message.body_html,
            status: message.status,
            reasons: message.reasons,
        }
    }
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct QueuePage {
    frame: Frame,
    items: Vec<Item>,
}

/// The visitor's moderation queue: reported posts and comments (and those the word list
/// held), then reported messages.
pub(crate) async fn queue(State(web): State<Web>, mut visit: Visit) -> Rendered {
    let me = visit.me(&web).await?;
    let (posts, messages) = futures::join!(
        web.api.get::<Queue>(&visit, "/api/v1/moderation"),
        web.api
            .get::<MessageQueue>(&visit, "/api/v1/moderation/messages"),
    );
    let mut items = posts.map_err(|failure| visit.fail(failure))?.items;
    let messages = messages.map_err(|failure| visit.fail(failure))?.items;
    items.extend(messages.into_iter().map(Item::from));
    let page = QueuePage {
        frame: Frame::new(&visit, Some(me), Section::Moderation),
        items,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Decision {
    csrf: String,
    action: String,
    note: Option<String>,
}

/// Hides, restores or dismisses one item, and shows the queue again.
pub(crate) async fn decide(
    State(web): State<Web>,
    visit: Visit,
    Path((kind, id)): Path<(String, String)>,
    Form(form): Form<Decision>,
) -> Rendered {
    let kind = match kind.as_str() {
        "comments" => "comments",
        "messages" => "messages",
        _ => "posts",
    };
    let note = form.note.filter(|note| !note.trim().is_empty());
    web.api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/moderation/{kind}/{id}"),
            Some(&json!({ "action": form.action, "note": note })),
            Some(&form.csrf),
        )
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    Ok(frame::see_other("/moderation"))
}
