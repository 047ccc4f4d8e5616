//! Files sent in conversations: a message may carry one (a photo of the homework, a PDF), sent
//! as `multipart/form-data` to the same route as a text message. The file streams into the
//! installation's object store (see `campus_platform::files`): its size is checked while it
//! arrives and its type from its bytes. Every download is authorised as the conversation is
//! (its members, while the message is shown), then served as an attachment, or on S3 as a
//! short-lived signed address.

use std::time::Duration;

use axum::{
    extract::{Multipart, Path, State},
    response::Response,
};
use campus_platform::{
    error::Problem,
    files::{self, Rules},
    people::Caller,
    text, Error, Result,
};
use futures::TryStreamExt;
use utoipa::ToSchema;

use crate::{access::Seat, blocks, domain, store, store::FileColumns, Messaging};

/// The largest file a message carries.
pub(crate) const FILE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// What a message may carry, as read from the file's bytes: pictures, PDFs, plain text and
/// office documents.
pub(crate) const FILE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

/// How long a signed address lives: long enough to start the download, too short to share.
const SIGNED_FOR: Duration = Duration::from_secs(60);

/// A message with a file: the parts `file` and, optionally, `body` (Markdown, up to 4,000
/// characters).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct FileMessage {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    pub body: Option<String>,
}

/// The text and the file kept from a multipart send: the file under the message's key
/// (deleted again if the parts turn out wrong).
pub(crate) async fn read_parts(
    messaging: &Messaging,
    seat: &Seat,
    message_id: &str,
    form: &mut Multipart,
) -> Result<(String, Option<FileColumns>)> {
    let mut body = None;
    let mut file: Option<FileColumns> = None;
    let result = read_each(messaging, seat, message_id, form, &mut body, &mut file).await;
    let checked = result.and_then(|()| {
        let body = body.unwrap_or_default();
        if file.is_some() {
            text::bounded_text("body", &body, domain::MESSAGE_MAX)
        } else {
            text::required_text("body", &body, domain::MESSAGE_MAX)
        }
        .map_err(|error| Error::Validation(vec![error]))
    });
    match checked {
        Ok(body) => Ok((body, file)),
        Err(error) => {
            if let Some(file) = &file {
                let _ = messaging.files.delete(&file.key).await;
            }
            Err(error)
        }
    }
}

async fn read_each(
    messaging: &Messaging,
    seat: &Seat,
    message_id: &str,
    form: &mut Multipart,
    body: &mut Option<String>,
    file: &mut Option<FileColumns>,
) -> Result<()> {
    while let Some(field) = form.next_field().await.map_err(files::unreadable_part)? {
        match field.name().unwrap_or_default() {
            "body" if body.is_none() => {
                *body = Some(field.text().await.map_err(files::unreadable_part)?)
            }
            "file" if file.is_none() => {
                let name = files::clean_name(field.file_name().unwrap_or("file"));
                let key = format!(
                    "{}/messages/{}/{message_id}",
                    seat.conversation.school_id, seat.conversation.id
                );
                let rules = Rules {
                    max_bytes: FILE_MAX_BYTES,
                    types: FILE_TYPES,
                };
                let stream = field.map_err(|error| error.body_text());
                let stored = messaging
                    .files
                    .put(&key, Box::pin(stream), &rules, &name)
                    .await?;
                *file = Some(FileColumns {
                    key: stored.key,
                    name,
                    content_type: stored.content_type,
                    size: i64::try_from(stored.size).unwrap_or(i64::MAX),
                });
            }
            other => {
                return Err(Error::invalid(
                    other,
                    "unknown_part",
                    "send the parts `body` and `file`, each once",
                ))
            }
        }
    }
    Ok(())
}

/// The file a message carries, for the conversation's members while the message is shown.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages/{message_id}/file", tag = "messaging", params(("id" = String, Path), ("message_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The file, as an attachment in its own type (one of those a message may carry)", content_type = "*/*", body = Vec<u8>),
        (status = 303, description = "On S3: a signed address valid for a minute"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such conversation for the caller, no such message of it, no file, or a message deleted or hidden", body = Problem)))]
pub(crate) async fn download(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
) -> Result<Response> {
    let seat = Seat::load(&messaging, &caller, &id).await?;
    let message = store::message(&messaging.db, &caller.school_id, &message_id)
        .await?
        .filter(|message| message.conversation_id == seat.conversation.id)
        .filter(|message| message.deleted_at.is_none() && message.hidden_at.is_none())
        .ok_or(Error::NotFound { what: "file" })?;
    let apart = blocks::apart_from(&messaging.db, &messaging.caches, &caller.user_id).await?;
    if apart.contains(&message.author_id) {
        return Err(Error::NotFound { what: "file" });
    }
    let (Some(key), Some(name), Some(content_type)) =
        (&message.file_key, &message.file_name, &message.file_type)
    else {
        return Err(Error::NotFound { what: "file" });
    };
    messaging
        .files
        .serve(key, name, content_type, SIGNED_FOR)
        .await
}
