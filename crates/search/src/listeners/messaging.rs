//! Messages, found only within their conversation, and who is in each conversation.

use campus_contracts::messaging::{
    ConversationStarted, MessageDeleted, MessageEdited, MessageSent,
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

pub(super) const EVENTS: [&str; 4] = [
    ConversationStarted::TYPE,
    MessageSent::TYPE,
    MessageEdited::TYPE,
    MessageDeleted::TYPE,
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
            let body = markdown::plain_text(&message.body);
            documents::put(
                uow,
                NewDoc {
                    school_id: message.school_id.clone(),
                    kind: DocKind::Message,
                    entity_id: message.message_id.clone(),
                    course_id: message.course_id.clone(),
                    conversation_id: Some(message.conversation_id.clone()),
                    parent_id: None,
                    author_id: Some(message.author_id.clone()),
                    title: String::new(),
                    language: Language::of(None, &body),
                    body,
                    audience: vec![Audience::conversation(&message.conversation_id)],
                    audience_of: None,
                    created_at: time::now_ms(),
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
