//! What the live socket carries for messaging: `message` (a new, edited or deleted message,
//! always its whole current state, so a client replaces what it shows by id), `receipt`
//! (someone read up to a message), `typing` (someone is writing) and `presence` (someone one
//! shares a direct or group conversation with came or went, see `presence`). Frames carry no stored
//! id for the hub's resume, which follows notifications: a client that reconnects asks the
//! conversation for what came `after` the last message it showed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Someone read the conversation up to a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Receipt {
    pub conversation_id: String,
    pub user_id: String,
    pub last_read_id: String,
    pub read_at: String,
}

/// Someone is writing in the conversation.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Typing<'a> {
    pub conversation_id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
}

/// Whether someone has the app open now.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Presence<'a> {
    pub user_id: &'a str,
    pub online: bool,
}
