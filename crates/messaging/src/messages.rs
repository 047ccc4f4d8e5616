//! A conversation's messages: its history a page at a time (or what came after the last one
//! a client showed), sending, and editing or deleting one's own message for a while. Each
//! change reaches the members' sockets at once, as a `message` frame with the message's whole
//! current state.

use axum::{
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State},
    http::{header, StatusCode},
};
use campus_contracts::messaging::{ConversationKind, MessageDeleted, MessageEdited, MessageSent};
use campus_platform::{
    error::Problem,
    http::{Json, Query},
    id, markdown,
    openapi::fields,
    pagination::{self, Page},
    people::Caller,
    text, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::Seat,
    blocks, domain,
    files::{self, FileMessage},
    store::{self, Direction, MessageRow, NewMessage},
    Messaging,
};

pub(crate) fn routes(messaging: Messaging) -> OpenApiRouter {
    // A send with a file streams within the installation's upload limit (the platform's body
    // limit), not axum's buffering limit.
    let sends = OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .layer(DefaultBodyLimit::disable())
        .with_state(messaging.clone());
    OpenApiRouter::new()
        .routes(routes!(edit_message, delete_message))
        .routes(routes!(files::download))
        .with_state(messaging)
        .merge(sends)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Message {
    pub id: String,
    pub conversation_id: String,
    pub author_id: String,
    pub author_name: Option<String>,
    /// The Markdown as written (what an edit starts from); empty once deleted.
    pub body: String,
    /// Rendered from Markdown and sanitized; empty once deleted.
    pub body_html: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
    /// A moderator hid it; like a deleted one, its text is shown to nobody.
    pub hidden: bool,
    /// The file it carries, if any (none once deleted or hidden).
    pub file: Option<MessageFile>,
}

/// A file sent with a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageFile {
    pub name: String,
    /// As read from its bytes.
    pub content_type: String,
    pub size: i64,
    /// Where the conversation's members download it.
    pub url: String,
}

impl MessageFile {
    fn of(row: &MessageRow) -> Option<Self> {
        match (&row.file_name, &row.file_type, row.file_size) {
            (Some(name), Some(content_type), Some(size)) => Some(Self {
                name: name.clone(),
                content_type: content_type.clone(),
                size,
                url: format!(
                    "/api/v1/conversations/{}/messages/{}/file",
                    row.conversation_id, row.id
                ),
            }),
            _ => None,
        }
    }
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        let hidden = row.hidden_at.is_some();
        let file = if hidden || row.deleted_at.is_some() {
            None
        } else {
            MessageFile::of(&row)
        };
        let (body, body_html) = if hidden {
            (String::new(), String::new())
        } else {
            (row.body, row.body_html)
        };
        Self {
            id: row.id,
            conversation_id: row.conversation_id,
            author_id: row.author_id,
            author_name: row.author_name,
            body,
            body_html,
            created_at: time::rfc3339(row.created_at),
            edited_at: row.edited_at.map(time::rfc3339),
            deleted: row.deleted_at.is_some(),
            hidden,
            file,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct History {
    /// Older messages than this one (the previous page's `next_cursor`), newest first.
    pub cursor: Option<String>,
    /// Instead: the messages after this one, oldest first (what a client that lost its
    /// connection missed); `next_cursor` then continues forwards.
    pub after: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The conversation's messages, newest first a page at a time; or, with `after`, those that
/// came after a message, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "messaging", params(("id" = String, Path), History), security(("bearer" = [])),
    responses((status = 200, body = Page<Message>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn list_messages(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path(id): Path<String>,
    Query(history): Query<History>,
) -> Result<Json<Page<Message>>> {
    let seat = Seat::load(&messaging, &caller, &id).await?;
    let limit = pagination::limit(history.limit);
    let conversation = &seat.conversation.id;
    // An empty cursor is no cursor.
    let present = |text: Option<String>| text.filter(|text| !text.is_empty());
    let (direction, cursor) = match (present(history.after), present(history.cursor)) {
        (Some(_), Some(_)) => {
            return Err(Error::bad_request(
                "cursor_and_after",
                "page backwards with `cursor` or forwards with `after`, not both",
            ))
        }
        (Some(after), None) => (Direction::Newer, after),
        (None, cursor) => (Direction::Older, cursor.unwrap_or_default()),
    };
    let apart = blocks::apart_from(&messaging.db, &messaging.caches, &caller.user_id).await?;
    let rows = store::messages(
        &messaging.db,
        conversation,
        direction,
        &cursor,
        &apart,
        limit,
    )
    .await?;
    Ok(Json(
        Page::of(rows, limit, |row| row.id.clone()).map(Message::from),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Writing {
    /// Markdown; rendered and sanitized for readers.
    #[schema(schema_with = fields::required_text::<{ domain::MESSAGE_MAX }>)]
    pub body: String,
}

/// Sends a message to the conversation; its members' open pages show it at once. A message
/// with a file is sent as `multipart/form-data` (the part `file`, at most 10 MiB of a picture,
/// PDF, text or office document, and an optional `body`). One person may send a burst of 60,
/// then one a second.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "messaging", params(("id" = String, Path)),
    request_body(content((Writing = "application/json"), (FileMessage = "multipart/form-data"))), security(("bearer" = [])),
    responses((status = 201, body = Message), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem),
        (status = 413, description = "The file is larger than 10 MiB", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "Too many messages at once; see `Retry-After`", body = Problem)))]
async fn send_message(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path(id): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<Message>)> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    let (typed, mut form) = if multipart {
        let form = Multipart::from_request(request, &())
            .await
            .map_err(|_| Error::UnsupportedMediaType)?;
        (None, Some(form))
    } else {
        let Json(input) = Json::<Writing>::from_request(request, &()).await?;
        let body = text::required_text("body", &input.body, domain::MESSAGE_MAX)
            .map_err(|error| Error::Validation(vec![error]))?;
        (Some(body), None)
    };
    let seat = Seat::load(&messaging, &caller, &id).await?;
    seat.require_writable()?;
    if seat.conversation.kind == ConversationKind::Direct {
        let apart = blocks::apart_from(&messaging.db, &messaging.caches, &caller.user_id).await?;
        let members =
            store::members(&messaging.db, &messaging.caches, &seat.conversation.id).await?;
        if members.iter().any(|member| apart.contains(member)) {
            return Err(Error::forbidden(
                "one of you blocked the other: no direct messages go through",
            ));
        }
    }
    messaging.sending.check(&caller.user_id).await?;
    let message_id = id::new_id_string();
    let (body, file) = match (&mut form, typed) {
        (Some(form), _) => files::read_parts(&messaging, &seat, &message_id, form).await?,
        (None, body) => (body.unwrap_or_default(), None),
    };
    let body_html = markdown::render(&body);
    let now = time::now_ms();
    let conversation = seat.conversation.clone();
    let sent = MessageSent {
        message_id: message_id.clone(),
        conversation_id: conversation.id.clone(),
        school_id: caller.school_id.clone(),
        kind: conversation.kind,
        course_id: conversation.course_id.clone(),
        author_id: caller.user_id.clone(),
        body: body.clone(),
    };
    let html = body_html.clone();
    let kept = file.clone();
    // Grouped with other sends of the same moment: one commit for a burst of messages.
    let written = messaging
        .db
        .write_grouped(move |uow| {
            let (conversation, sent, html, file) = (
                conversation.clone(),
                sent.clone(),
                html.clone(),
                kept.clone(),
            );
            Box::pin(async move {
                store::insert_message(
                    uow,
                    &NewMessage {
                        id: &sent.message_id,
                        conversation: &conversation,
                        author_id: &sent.author_id,
                        body: &sent.body,
                        body_html: &html,
                        file: file.as_ref(),
                        now,
                    },
                )
                .await?;
                uow.record(&sent.school_id, &sent).await?;
                Ok(())
            })
        })
        .await;
    if let Err(error) = written {
        if let Some(file) = &file {
            let _ = messaging.files.delete(&file.key).await;
        }
        return Err(error);
    }
    let author_name = messaging
        .people
        .person(&caller.school_id, &caller.user_id)
        .await?
        .map(|person| person.display_name.clone());
    let row = MessageRow {
        id: message_id,
        conversation_id: id,
        author_id: caller.user_id.clone(),
        author_name,
        body,
        body_html,
        created_at: now,
        edited_at: None,
        deleted_at: None,
        hidden_at: None,
        file_key: file.as_ref().map(|file| file.key.clone()),
        file_name: file.as_ref().map(|file| file.name.clone()),
        file_type: file.as_ref().map(|file| file.content_type.clone()),
        file_size: file.as_ref().map(|file| file.size),
    };
    let message = Message::from(row);
    tell(&messaging, &seat, &message).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// Shows the message's current state on every member's open page, but to nobody with a block
/// between them and its author.
pub(crate) async fn tell(messaging: &Messaging, seat: &Seat, message: &Message) -> Result<()> {
    let apart = blocks::apart_from(&messaging.db, &messaging.caches, &message.author_id).await?;
    let mut audience = seat.audience(messaging).await?;
    audience.retain(|member| !apart.contains(member));
    messaging.live.send(campus_platform::live::frames_for(
        &seat.conversation.school_id,
        &audience,
        None,
        "message",
        message,
    ));
    Ok(())
}

/// The caller's own message of the conversation, still within the time it may be changed.
async fn own_changeable(
    messaging: &Messaging,
    caller: &Caller,
    seat: &Seat,
    message_id: &str,
) -> Result<MessageRow> {
    let message = store::message(&messaging.db, &caller.school_id, message_id)
        .await?
        .filter(|message| message.conversation_id == seat.conversation.id)
        .ok_or(Error::NotFound { what: "message" })?;
    if message.author_id != caller.user_id {
        return Err(Error::forbidden("only its author may change a message"));
    }
    if message.deleted_at.is_some() {
        return Err(Error::conflict(
            "message_deleted",
            "the message was deleted",
        ));
    }
    if message.hidden_at.is_some() {
        return Err(Error::conflict(
            "message_hidden",
            "a moderator hid the message",
        ));
    }
    if !domain::still_changeable(message.created_at, time::now_ms()) {
        return Err(Error::conflict(
            "change_window_passed",
            "a message may be changed for 15 minutes after it was sent",
        ));
    }
    Ok(message)
}

/// Changes the text of the caller's own message, within 15 minutes of sending it.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}/messages/{message_id}", tag = "messaging", params(("id" = String, Path), ("message_id" = String, Path)), request_body = Writing, security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Past the 15 minutes (`change_window_passed`), deleted (`message_deleted`), hidden by a moderator (`message_hidden`), or the course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem)))]
async fn edit_message(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
    Json(input): Json<Writing>,
) -> Result<Json<Message>> {
    let body = text::required_text("body", &input.body, domain::MESSAGE_MAX)
        .map_err(|error| Error::Validation(vec![error]))?;
    let seat = Seat::load(&messaging, &caller, &id).await?;
    seat.require_writable()?;
    let mut message = own_changeable(&messaging, &caller, &seat, &message_id).await?;
    let body_html = markdown::render(&body);
    let now = time::now_ms();
    let mut uow = messaging.db.begin().await?;
    if !store::edit_message(&mut uow, &message_id, &body, &body_html, now).await? {
        return Err(Error::conflict(
            "message_deleted",
            "the message was deleted",
        ));
    }
    uow.record(
        &caller.school_id,
        &MessageEdited {
            message_id: message_id.clone(),
            conversation_id: id.clone(),
            school_id: caller.school_id.clone(),
            body: body.clone(),
        },
    )
    .await?;
    uow.commit().await?;
    message.body = body;
    message.body_html = body_html;
    message.edited_at = Some(now);
    let message = Message::from(message);
    tell(&messaging, &seat, &message).await?;
    Ok(Json(message))
}

/// Deletes the caller's own message for everyone, within 15 minutes of sending it; its place
/// in the conversation stays, marked deleted.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/messages/{message_id}", tag = "messaging", params(("id" = String, Path), ("message_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Past the 15 minutes (`change_window_passed`), already deleted (`message_deleted`), hidden by a moderator (`message_hidden`), or the course is archived (`course_archived`)", body = Problem)))]
async fn delete_message(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let seat = Seat::load(&messaging, &caller, &id).await?;
    seat.require_writable()?;
    let mut message = own_changeable(&messaging, &caller, &seat, &message_id).await?;
    let now = time::now_ms();
    let mut uow = messaging.db.begin().await?;
    if !store::delete_message(&mut uow, &message_id, now).await? {
        return Err(Error::conflict(
            "message_deleted",
            "the message was deleted",
        ));
    }
    uow.record(
        &caller.school_id,
        &MessageDeleted {
            message_id: message_id.clone(),
            conversation_id: id.clone(),
            school_id: caller.school_id.clone(),
        },
    )
    .await?;
    uow.commit().await?;
    if let Some(key) = message.file_key.take() {
        if let Err(error) = messaging.files.delete(&key).await {
            tracing::warn!(%error, "a deleted message's file stays in the store");
        }
    }
    message.body.clear();
    message.body_html.clear();
    message.deleted_at = Some(now);
    tell(&messaging, &seat, &Message::from(message)).await?;
    Ok(StatusCode::NO_CONTENT)
}
