//! Messages, found only within their conversation, and who is in each conversation.

use campus_contracts::messaging::{
    ConversationStarted, MessageDeleted, MessageEdited, MessageRestored, MessageSent,
};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event},
    markdown, time,
};

use crate::{
    documents::{self, NewDoc},
    domain::{Audience, DocKind, Language},
};

pub(super) const EVENTS: [&str; 5] = [
    ConversationStarted::TYPE,
    MessageSent::TYPE,
    MessageEdited::TYPE,
    MessageDeleted::TYPE,
    MessageRestored::TYPE,
];

pub(super) async fn handle(uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
    match event.event_type.as_str() {
        ConversationStarted::TYPE => {
            let started: ConversationStarted = event.data_as()?;
            for user_id in &started.member_ids {
                sqlx::query(
                    "INSERT INTO search_conversation_members (conversation_id, user_id) \
                     VALUES ($1, $2) ON CONFLICT (conversation_id, user_id) DO NOTHING",
                )
                .bind(&started.conversation_id)
                .bind(user_id)
                .execute(uow.conn())
                .await?;
            }
        }
        MessageSent::TYPE => {
            let message: MessageSent = event.data_as()?;
            put(
                uow,
                Message {
                    school_id: message.school_id,
                    message_id: message.message_id,
                    conversation_id: message.conversation_id,
                    course_id: message.course_id,
                    author_id: message.author_id,
                    body: &message.body,
                },
            )
            .await?;
        }
        // A moderator showed a hidden message again: found as when it was sent.
        MessageRestored::TYPE => {
            let message: MessageRestored = event.data_as()?;
            put(
                uow,
                Message {
                    school_id: message.school_id,
                    message_id: message.message_id,
                    conversation_id: message.conversation_id,
                    course_id: message.course_id,
                    author_id: message.author_id,
                    body: &message.body,
                },
            )
            .await?;
        }
        MessageEdited::TYPE => {
            let message: MessageEdited = event.data_as()?;
            let body = markdown::plain_text(&message.body);
            let language = Language::of(None, &body);
            documents::revise(
                uow,
                &DocKind::Message.doc_id(&message.message_id),
                None,
                &body,
                language,
            )
            .await?;
        }
        MessageDeleted::TYPE => {
            let message: MessageDeleted = event.data_as()?;
            documents::withdraw(uow, &DocKind::Message.doc_id(&message.message_id), true).await?;
        }
        _ => {}
    }
    Ok(())
}

struct Message<'a> {
    school_id: String,
    message_id: String,
    conversation_id: String,
    course_id: Option<String>,
    author_id: String,
    body: &'a str,
}

/// Makes a message findable by its conversation's members.
async fn put(uow: &mut UnitOfWork, message: Message<'_>) -> anyhow::Result<()> {
    let body = markdown::plain_text(message.body);
    let audience = vec![Audience::conversation(&message.conversation_id)];
    documents::put(
        uow,
        NewDoc {
            school_id: message.school_id,
            kind: DocKind::Message,
            entity_id: message.message_id,
            course_id: message.course_id,
            conversation_id: Some(message.conversation_id),
            parent_id: None,
            author_id: Some(message.author_id),
            title: String::new(),
            language: Language::of(None, &body),
            body,
            audience,
            audience_of: None,
            created_at: time::now_ms(),
        },
    )
    .await?;
    Ok(())
}
