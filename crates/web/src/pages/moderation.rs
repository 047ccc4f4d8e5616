//! The moderation queue, for the school's admins and teachers: what was reported or held by
//! the word list among what they moderate, with the reports' reasons, and a form to hide,
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

    /// `posts` or `comments`, as the route names them.
    pub(crate) fn route(&self) -> &'static str {
        if self.subject_kind == "comment" {
            "comments"
        } else {
            "posts"
        }
    }
}

#[derive(Debug, Deserialize)]
struct Queue {
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct QueuePage {
    frame: Frame,
    items: Vec<Item>,
}

/// The visitor's moderation queue.
pub(crate) async fn queue(State(web): State<Web>, mut visit: Visit) -> Rendered {
    let me = visit.me(&web).await?;
    let queue: Queue = web
        .api
        .get(&visit, "/api/v1/moderation")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let page = QueuePage {
        frame: Frame::new(&visit, Some(me), Section::Moderation),
        items: queue.items,
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
    let kind = if kind == "comments" {
        "comments"
    } else {
        "posts"
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
