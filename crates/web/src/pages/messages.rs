//! Messages: the person's conversations with their unread counts and a form to start one with
//! whom the school lets them reach; a conversation, where messages, read receipts and typing
//! arrive live (the page's script follows the live socket and sends through the API), and
//! which works as plain forms without JavaScript.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::Method,
    Form,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::{value_of, FormErrors},
    frame::{self, Frame, Rendered, Section},
    Web,
};

#[derive(Debug, Deserialize)]
pub(crate) struct Member {
    pub user_id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Conversation {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub members: Vec<Member>,
    pub last_message_at: Option<String>,
    pub unread: i64,
}

impl Conversation {
    /// The message key of the conversation's kind.
    pub(crate) fn kind_key(&self) -> String {
        format!("messages-kind-{}", self.kind)
    }
}

#[derive(Debug, Deserialize)]
struct Conversations {
    items: Vec<Conversation>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Contact {
    pub user_id: String,
    pub name: String,
    pub courses: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Contacts {
    items: Vec<Contact>,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    frame: Frame,
    conversations: Vec<Conversation>,
    contacts: Vec<Contact>,
    errors: FormErrors,
    /// What the start form held, when it comes back: `(chosen ids, title)`.
    typed: (Vec<String>, String),
}

async fn messages_page(
    web: &Web,
    visit: &mut Visit,
    typed: (Vec<String>, String),
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let conversations: Conversations = web
        .api
        .get(visit, "/api/v1/conversations")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let contacts: Contacts = web
        .api
        .get(visit, "/api/v1/messaging/contacts")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let errors = errors.labelled(
        &visit.tr,
        &[
            ("member_ids", "messages-with"),
            ("title", "messages-group-title"),
        ],
    );
    let status = errors.status();
    let page = MessagesPage {
        frame: Frame::new(visit, Some(me), Section::Messages),
        conversations: conversations.items,
        contacts: contacts.items,
        errors,
        typed,
    };
    Ok(frame::render(&page, status))
}

/// The person's conversations and the form to start one.
pub(crate) async fn inbox(State(web): State<Web>, mut visit: Visit) -> Rendered {
    messages_page(&web, &mut visit, Default::default(), FormErrors::default()).await
}

/// Starts a conversation with the people chosen (one: a direct conversation, or the pair's
/// existing one) and opens it.
pub(crate) async fn start(
    State(web): State<Web>,
    mut visit: Visit,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = "/messages".to_owned();
    let chosen: Vec<String> = fields
        .iter()
        .filter(|(name, _)| name == "member_ids")
        .map(|(_, id)| id.clone())
        .collect();
    let title = value_of(&fields, "title").trim().to_owned();
    let typed = (chosen.clone(), title.clone());
    if chosen.is_empty() {
        let errors = FormErrors::of_code("member_ids", "choose_someone").translated(&visit.tr);
        return messages_page(&web, &mut visit, typed, errors).await;
    }
    let mut body = json!({ "member_ids": chosen });
    if !title.is_empty() {
        body["title"] = json!(title);
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/conversations",
            Some(&body),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.json::<Conversation>() {
        Ok(conversation) => Ok(frame::see_other(&format!("/messages/{}", conversation.id))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            messages_page(&web, &mut visit, typed, errors).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct Read {
    user_id: String,
    last_read_id: String,
}

#[derive(Debug, Deserialize)]
struct Detail {
    #[serde(flatten)]
    conversation: Conversation,
    reads: Vec<Read>,
    writable: bool,
    online: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    pub id: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body: String,
    pub body_html: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
    /// A moderator hid it.
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub file: Option<MessageFile>,
}

/// A file sent with a message.
#[derive(Debug, Deserialize)]
pub(crate) struct MessageFile {
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
}

impl MessageFile {
    /// Pictures are shown in the conversation as well as offered for download.
    pub(crate) fn is_picture(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    /// Its size in whole kilobytes, at least one.
    pub(crate) fn kilobytes(&self) -> i64 {
        (self.size + 1023) / 1024
    }
}

/// How long after sending its author may change a message (the API holds the same rule).
const CHANGE_WINDOW_SECS: i64 = 15 * 60;

impl Message {
    /// Whether `me` may still edit or delete it: their own, not deleted, sent within the
    /// last quarter of an hour.
    pub(crate) fn changeable_by(&self, me: &str) -> bool {
        let recent = self
            .created_at
            .parse::<jiff::Timestamp>()
            .is_ok_and(|sent| {
                jiff::Timestamp::now().as_second() - sent.as_second() < CHANGE_WINDOW_SECS
            });
        self.author_id == me && !self.deleted && !self.hidden && recent
    }

    /// Whether `me` may report it to the moderators: someone else's, still shown.
    pub(crate) fn reportable_by(&self, me: &str) -> bool {
        self.author_id != me && !self.deleted && !self.hidden
    }
}

#[derive(Debug, Deserialize)]
struct MessagePage {
    items: Vec<Message>,
    next_cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    frame: Frame,
    me: String,
    conversation: Conversation,
    writable: bool,
    /// Oldest first.
    messages: Vec<Message>,
    /// The page of older messages, if any.
    older: Option<String>,
    /// The others who have read the newest message shown.
    seen_by: Vec<String>,
    /// The members who have the app open.
    online: Vec<String>,
    errors: FormErrors,
    typed: String,
    /// The visitor reported a message a moment ago.
    reported: bool,
}

impl ConversationPage {
    /// How long its author may change a message, for the page's script to offer it on
    /// messages that arrive while the page is open.
    fn change_seconds(&self) -> i64 {
        CHANGE_WINDOW_SECS
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Paging {
    cursor: Option<String>,
    reported: Option<String>,
}

async fn conversation_page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    cursor: Option<&str>,
    typed: String,
    errors: FormErrors,
    reported: bool,
) -> Rendered {
    let me = visit.me(web).await?;
    let detail: Detail = web
        .api
        .get(visit, &format!("/api/v1/conversations/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    // A cursor is a message's id; anything else starts from the newest.
    let path = match cursor {
        Some(cursor) if !cursor.is_empty() && cursor.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            format!("/api/v1/conversations/{id}/messages?cursor={cursor}")
        }
        _ => format!("/api/v1/conversations/{id}/messages"),
    };
    let page: MessagePage = web
        .api
        .get(visit, &path)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let mut messages = page.items;
    messages.reverse();
    let newest = messages.last().map(|message| message.id.clone());
    // Opening the conversation is reading it (the newest page only).
    if let (Some(newest), None) = (&newest, cursor) {
        let answer = web
            .api
            .call(
                visit,
                Method::POST,
                &format!("/api/v1/conversations/{id}/read"),
                Some(&json!({ "message_id": newest })),
                visit.csrf.as_deref(),
            )
            .await;
        if let Err(failure) = answer.done() {
            tracing::debug!(?failure, "the conversation could not be marked read");
        }
    }
    let seen_by = match &newest {
        Some(newest) => detail
            .reads
            .iter()
            .filter(|read| read.user_id != me.id && read.last_read_id >= *newest)
            .filter_map(|read| {
                detail
                    .conversation
                    .members
                    .iter()
                    .find(|member| member.user_id == read.user_id)
                    .map(|member| member.name.clone())
            })
            .collect(),
        None => Vec::new(),
    };
    let errors = errors.labelled(
        &visit.tr,
        &[
            ("body", "messages-body"),
            ("reason", "posts-report-reason"),
            ("file", "messages-file"),
        ],
    );
    let status = errors.status();
    let page = ConversationPage {
        frame: Frame::new(visit, Some(me.clone()), Section::Messages),
        me: me.id,
        conversation: detail.conversation,
        writable: detail.writable,
        messages,
        older: page.next_cursor,
        seen_by,
        online: detail.online,
        errors,
        typed,
        reported,
    };
    Ok(frame::render(&page, status))
}

/// One conversation: its newest messages (or an older page), and the form to write.
pub(crate) async fn conversation(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Rendered {
    conversation_page(
        &web,
        &mut visit,
        &id,
        paging.cursor.as_deref(),
        String::new(),
        FormErrors::default(),
        paging.reported.is_some(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct Writing {
    csrf: String,
    body: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Change {
    csrf: String,
    /// `edit` (with `body`) or `delete`.
    change: String,
    body: Option<String>,
}

/// Edits or deletes one's own message, and shows the conversation again.
pub(crate) async fn change(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, message_id)): Path<(String, String)>,
    Form(form): Form<Change>,
) -> Rendered {
    visit.here = format!("/messages/{id}");
    let path = format!("/api/v1/conversations/{id}/messages/{message_id}");
    let answer = if form.change == "delete" {
        web.api
            .call(&visit, Method::DELETE, &path, None, Some(&form.csrf))
            .await
    } else {
        let body = json!({ "body": form.body.unwrap_or_default() });
        web.api
            .call(&visit, Method::PATCH, &path, Some(&body), Some(&form.csrf))
            .await
    };
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/messages/{id}#m-{message_id}"))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            conversation_page(&web, &mut visit, &id, None, String::new(), errors, false).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Report {
    csrf: String,
    reason: String,
}

/// Reports someone's message to the school's moderators, and shows the conversation again
/// with a word of thanks.
pub(crate) async fn report(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, message_id)): Path<(String, String)>,
    Form(form): Form<Report>,
) -> Rendered {
    visit.here = format!("/messages/{id}");
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/conversations/{id}/messages/{message_id}/reports"),
            Some(&json!({ "reason": form.reason })),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!(
            "/messages/{id}?reported=1#m-{message_id}"
        ))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            conversation_page(&web, &mut visit, &id, None, String::new(), errors, false).await
        }
    }
}

/// Sends a message with a file (`multipart/form-data`): streamed on to the API as it arrives,
/// the CSRF token riding in the form's address; then shows the conversation again.
pub(crate) async fn send_file(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(ticket): Query<crate::forms::CsrfForm>,
    request: axum::extract::Request,
) -> Rendered {
    visit.here = format!("/messages/{id}");
    let answer = web
        .api
        .forward(
            &visit,
            &format!("/api/v1/conversations/{id}/messages"),
            request,
            &ticket.csrf,
            &[],
        )
        .await;
    if answer.status.is_success() {
        return Ok(frame::see_other(&format!("/messages/{id}")));
    }
    let errors =
        FormErrors::of(&visit.tr, answer.failure()).map_err(|failure| visit.fail(failure))?;
    conversation_page(&web, &mut visit, &id, None, String::new(), errors, false).await
}

/// Sends a message (the form's way, without JavaScript) and shows the conversation again.
pub(crate) async fn send(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<Writing>,
) -> Rendered {
    visit.here = format!("/messages/{id}");
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&json!({ "body": form.body })),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/messages/{id}#write"))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            conversation_page(&web, &mut visit, &id, None, form.body, errors, false).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Looking {
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Found {
    pub id: String,
    pub author_id: Option<String>,
    pub snippet_html: String,
}

#[derive(Debug, Deserialize)]
struct FoundPage {
    items: Vec<Found>,
    total: u64,
    next_cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "conversation_search.html")]
struct ConversationSearchPage {
    frame: Frame,
    conversation: Conversation,
    q: String,
    found: Vec<Found>,
    total: u64,
    more: Option<String>,
}

impl ConversationSearchPage {
    /// The name of a message's author, as the conversation's members list has it.
    fn author(&self, found: &Found) -> String {
        found
            .author_id
            .as_deref()
            .and_then(|id| {
                self.conversation
                    .members
                    .iter()
                    .find(|member| member.user_id == id)
            })
            .map(|member| member.name.clone())
            .unwrap_or_default()
    }
}

/// `/messages/{id}/search?q=…`: the conversation's messages holding the words, for its
/// members only (the API answers 404 to anyone else).
pub(crate) async fn search(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(looking): Query<Looking>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let detail: Detail = web
        .api
        .get(&visit, &format!("/api/v1/conversations/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let q: String = looking.q.trim().chars().take(200).collect();
    let mut page = ConversationSearchPage {
        frame: Frame::new(&visit, Some(me), Section::Messages),
        conversation: detail.conversation,
        q,
        found: Vec::new(),
        total: 0,
        more: None,
    };
    if !page.q.is_empty() {
        let asked = |cursor: &str| {
            let mut fields = vec![("q", page.q.as_str())];
            if !cursor.is_empty() {
                fields.push(("cursor", cursor));
            }
            serde_urlencoded::to_string(fields).unwrap_or_default()
        };
        let path = format!(
            "/api/v1/search/messages?conversation={id}&{}",
            asked(&looking.cursor)
        );
        let found: FoundPage = match web.api.get(&visit, &path).await {
            Ok(found) => found,
            // A cursor from an older page: the first page.
            Err(crate::api::Failure::Refused { .. }) if !looking.cursor.is_empty() => {
                return Ok(frame::see_other(&format!(
                    "/messages/{id}/search?{}",
                    asked("")
                )));
            }
            Err(failure) => return Err(visit.fail(failure)),
        };
        page.more = found
            .next_cursor
            .map(|cursor| format!("/messages/{id}/search?{}", asked(&cursor)));
        page.total = found.total;
        page.found = found.items;
    }
    Ok(frame::render(&page, axum::http::StatusCode::OK))
}
