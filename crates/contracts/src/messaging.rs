//! Messaging's published language: what a conversation is and what messaging tells the other
//! contexts. Every event's subject is the conversation, so one conversation's messages are
//! handled in the order they were sent.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{social::ModerationAction, Event, EventSchema};

/// What kind of conversation a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two people.
    Direct,
    /// A few people one of them brought together.
    Group,
    /// A course's class channel: its members are the course's, as enrollment changes.
    Course,
}

crate::text_enum!(ConversationKind, "conversation kind", {
    Direct => "direct",
    Group => "group",
    Course => "course",
});

macro_rules! conversation_event {
    ($name:ident, $type:literal) => {
        impl Event for $name {
            const TYPE: &'static str = $type;

            fn subject(&self) -> String {
                self.conversation_id.clone()
            }
        }
    };
}

/// Someone started a direct or group conversation (a course's channel starts with its course).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConversationStarted {
    pub conversation_id: String,
    pub school_id: String,
    pub kind: ConversationKind,
    pub started_by: String,
    /// Everyone in it, the starter included.
    pub member_ids: Vec<String>,
    pub title: Option<String>,
}
conversation_event!(
    ConversationStarted,
    "campus.messaging.conversation_started.v1"
);

/// A message was sent. The body is the author's Markdown, for indexing and notifying; only
/// the conversation's members may be shown it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessageSent {
    pub message_id: String,
    pub conversation_id: String,
    pub school_id: String,
    pub kind: ConversationKind,
    /// The course, for a class channel.
    pub course_id: Option<String>,
    pub author_id: String,
    pub body: String,
}
conversation_event!(MessageSent, "campus.messaging.message_sent.v1");

/// Its author changed a message within the time allowed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessageEdited {
    pub message_id: String,
    pub conversation_id: String,
    pub school_id: String,
    pub body: String,
}
conversation_event!(MessageEdited, "campus.messaging.message_edited.v1");

/// A message was deleted by its author, or hidden by a moderator; nobody is shown it again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessageDeleted {
    pub message_id: String,
    pub conversation_id: String,
    pub school_id: String,
}
conversation_event!(MessageDeleted, "campus.messaging.message_deleted.v1");

/// A moderator showed again a message they (or another) had hidden: its members see it again
/// and search finds it again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessageRestored {
    pub message_id: String,
    pub conversation_id: String,
    pub school_id: String,
    pub kind: ConversationKind,
    /// The course, for a class channel.
    pub course_id: Option<String>,
    pub author_id: String,
    /// The author's Markdown, as before it was hidden.
    pub body: String,
}
conversation_event!(MessageRestored, "campus.messaging.message_restored.v1");

/// A moderator hid, restored or dismissed the reports of a message, for the school's audit
/// log (a hide also publishes `message_deleted`, a restore `message_restored`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessageModerated {
    pub school_id: String,
    pub moderator_id: String,
    pub action: ModerationAction,
    pub message_id: String,
    pub conversation_id: String,
    /// Why, in the moderator's words.
    pub note: Option<String>,
}
conversation_event!(MessageModerated, "campus.messaging.message_moderated.v1");

pub fn published() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<ConversationStarted>(),
        EventSchema::of::<MessageSent>(),
        EventSchema::of::<MessageEdited>(),
        EventSchema::of::<MessageDeleted>(),
        EventSchema::of::<MessageRestored>(),
        EventSchema::of::<MessageModerated>(),
    ]
}
