//! What the live socket carries for messaging: `message` (a new, edited or deleted message,
//! always its whole current state, so a client replaces what it shows by id), `receipt`
//! (someone read up to a message) and `typing` (someone is writing). Frames carry no stored
//! id for the hub's resume, which follows notifications: a client that reconnects asks the
//! conversation for what came `after` the last message it showed.

use campus_platform::live::Dispatch;
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

/// A frame of `kind` with `data` for each of `audience` in `school_id`, but `except` one.
pub(crate) fn to_all(
    school_id: &str,
    audience: &[String],
    except: Option<&str>,
    kind: &str,
    data: &impl Serialize,
) -> Vec<Dispatch> {
    let text = match campus_platform::live::frame_text(kind, data) {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(%error, kind, "a live frame could not be written");
            return Vec::new();
        }
    };
    audience
        .iter()
        .filter(|user_id| Some(user_id.as_str()) != except)
        .map(|user_id| Dispatch::Frame {
            school_id: school_id.to_owned(),
            user_id: user_id.clone(),
            id: None,
            frame: text.clone(),
        })
        .collect()
}
