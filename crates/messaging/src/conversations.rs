//! Conversations: the caller's list with unread counts, starting a direct or group
//! conversation under the school's rules, one conversation with everyone's read receipts,
//! marking it read and saying one is typing.

use std::collections::{BTreeSet, HashMap};

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::messaging::{ConversationKind, ConversationStarted};
use campus_platform::{
    auth::Permission,
    error::{Checks, FieldError, Problem},
    http::Json,
    id,
    openapi::fields,
    people::Caller,
    text, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::{published_places, Seat},
    blocks, domain,
    frames::{Receipt, Typing},
    store::{self, ConversationRow, NewConversation},
    Messaging,
};

pub(crate) fn routes(messaging: Messaging) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_conversations, start_conversation))
        .routes(routes!(unread_count))
        .routes(routes!(show_conversation))
        .routes(routes!(mark_read))
        .routes(routes!(typing))
        .with_state(messaging)
}

/// Someone in a conversation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Member {
    pub user_id: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Conversation {
    pub id: String,
    pub kind: ConversationKind,
    /// What to call it: the course's title for a class channel, the group's title, or the
    /// other person's name.
    pub title: String,
    pub course_id: Option<String>,
    /// The people of a direct or group conversation (a class channel's are the course's).
    pub members: Vec<Member>,
    pub last_message_at: Option<String>,
    /// Messages from others the caller has not read.
    pub unread: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Conversations {
    /// Every conversation of the caller, the most recently active first.
    pub items: Vec<Conversation>,
    /// Unread messages across them all.
    pub unread_total: i64,
}

/// The caller's conversations, the most recently active first: their direct and group
/// conversations and the class channels of their courses, each with its unread count.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = Conversations), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_conversations(
    State(messaging): State<Messaging>,
    caller: Caller,
) -> Result<Json<Conversations>> {
    caller.require(Permission::Socialize)?;
    let (rows, channels) = conversations_of(&messaging, &caller).await?;
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let unread = store::unread_counts(&messaging.db, &caller.user_id, &ids).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let count = unread.get(&row.id).copied().unwrap_or(0);
        let course_title = row
            .course_id
            .as_ref()
            .and_then(|id| channels.get(id))
            .cloned();
        items.push(shown(&messaging, &caller, row, count, course_title).await?);
    }
    items.sort_by(|a, b| {
        b.last_message_at
            .cmp(&a.last_message_at)
            .then_with(|| a.title.cmp(&b.title))
    });
    let unread_total = items.iter().map(|item| item.unread).sum();
    Ok(Json(Conversations {
        items,
        unread_total,
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct UnreadCount {
    /// Messages from others the caller has not read, across all their conversations.
    pub unread: i64,
}

/// How many messages from others the caller has not read, across all their conversations
/// (the number beside "Messages" on every page): the list's `unread_total` without the list.
#[utoipa::path(get, path = "/api/v1/conversations/unread-count", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = UnreadCount), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn unread_count(
    State(messaging): State<Messaging>,
    caller: Caller,
) -> Result<Json<UnreadCount>> {
    caller.require(Permission::Socialize)?;
    let (rows, _) = conversations_of(&messaging, &caller).await?;
    let ids: Vec<String> = rows.into_iter().map(|row| row.id).collect();
    let unread = store::unread_counts(&messaging.db, &caller.user_id, &ids).await?;
    Ok(Json(UnreadCount {
        unread: unread.values().sum(),
    }))
}

/// The caller's conversations (class channels not yet written in included) and the titles of
/// the courses whose channels they are in.
async fn conversations_of(
    messaging: &Messaging,
    caller: &Caller,
) -> Result<(Vec<ConversationRow>, HashMap<String, String>)> {
    let mut rows =
        store::conversations_of(&messaging.db, &caller.school_id, &caller.user_id).await?;
    // Class channels: every course the caller holds a place in and may see.
    let mut channels: HashMap<String, String> = HashMap::new();
    for place in messaging
        .rosters
        .places_of(&caller.school_id, &caller.user_id)
        .await?
    {
        if let Ok(standing) = messaging.rosters.standing(caller, &place.course_id).await {
            if standing.role.is_some() {
                channels.insert(place.course_id, standing.course.title);
            }
        }
    }
    let course_ids: Vec<String> = channels.keys().cloned().collect();
    let started = store::channels(&messaging.db, &caller.school_id, &course_ids).await?;
    let started_ids: BTreeSet<String> = started.iter().map(|row| row.id.clone()).collect();
    rows.extend(started);
    for course_id in course_ids.iter().filter(|id| !started_ids.contains(*id)) {
        rows.push(ConversationRow {
            id: course_id.clone(),
            school_id: caller.school_id.clone(),
            kind: ConversationKind::Course,
            course_id: Some(course_id.clone()),
            title: None,
            last_message_at: None,
        });
    }
    Ok((rows, channels))
}

/// A conversation as the caller sees it.
async fn shown(
    messaging: &Messaging,
    caller: &Caller,
    row: ConversationRow,
    unread: i64,
    course_title: Option<String>,
) -> Result<Conversation> {
    let mut members = Vec::new();
    if row.kind != ConversationKind::Course {
        for user_id in store::members(&messaging.db, &messaging.caches, &row.id)
            .await?
            .iter()
            .cloned()
        {
            let name = match messaging.people.person(&caller.school_id, &user_id).await? {
                Some(person) => person.display_name.clone(),
                None => String::new(),
            };
            members.push(Member { user_id, name });
        }
    }
    let title = match row.kind {
        ConversationKind::Course => course_title.unwrap_or_default(),
        ConversationKind::Group => row
            .title
            .clone()
            .unwrap_or_else(|| names_but(&members, &caller.user_id)),
        ConversationKind::Direct => names_but(&members, &caller.user_id),
    };
    Ok(Conversation {
        id: row.id,
        kind: row.kind,
        title,
        course_id: row.course_id,
        members,
        last_message_at: row.last_message_at.map(time::rfc3339),
        unread,
    })
}

/// The names of everyone but `me`, joined.
fn names_but(members: &[Member], me: &str) -> String {
    members
        .iter()
        .filter(|member| member.user_id != me)
        .map(|member| member.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartConversation {
    /// The others to talk with: one for a direct conversation, more for a group.
    #[schema(min_items = 1, max_items = 50)]
    pub member_ids: Vec<String>,
    /// A group's name (a direct conversation has none).
    #[schema(schema_with = fields::optional_line::<{ domain::TITLE_MAX }>)]
    pub title: Option<String>,
}

/// Starts a conversation with one person (direct; the pair's existing one is answered with
/// 200 instead) or several (a group), if the school's rules let the caller reach each of them:
/// students reach the teachers of their courses and, unless the school turned it off, their
/// classmates; adults reach a student only through a course they teach.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "messaging", request_body = StartConversation, security(("bearer" = [])),
    responses((status = 201, body = Conversation, description = "Started"), (status = 200, body = Conversation, description = "The pair's direct conversation, already started"),
        (status = 401, body = Problem), (status = 403, description = "The school's rules do not let the caller reach one of them", body = Problem),
        (status = 404, description = "One of them is not an active person of the school", body = Problem), (status = 422, body = Problem)))]
async fn start_conversation(
    State(messaging): State<Messaging>,
    caller: Caller,
    Json(input): Json<StartConversation>,
) -> Result<(StatusCode, Json<Conversation>)> {
    caller.require(Permission::Socialize)?;
    let mut checks = Checks::default();
    let title = match input.title.as_deref() {
        Some(title) => checks
            .check(text::bounded_text("title", title, domain::TITLE_MAX))
            .filter(|title| !title.is_empty()),
        None => None,
    };
    let others: BTreeSet<String> = input
        .member_ids
        .iter()
        .filter(|id| **id != caller.user_id)
        .cloned()
        .collect();
    if others.is_empty() {
        checks.push(FieldError::new(
            "member_ids",
            "required",
            "name at least one other person",
        ));
    } else if others.len() > domain::GROUP_MAX {
        checks.push(FieldError::new(
            "member_ids",
            "too_many",
            format!("at most {} others", domain::GROUP_MAX),
        ));
    }
    checks.finish()?;
    let rules = store::rules(&messaging.db, &caller.school_id).await?;
    let mine = published_places(&messaging, &caller.school_id, &caller.user_id).await?;
    let apart = blocks::apart_from(&messaging.db, &messaging.caches, &caller.user_id).await?;
    let mut members = Vec::with_capacity(others.len() + 1);
    for other in &others {
        let person = messaging
            .people
            .person(&caller.school_id, other)
            .await?
            .filter(|person| person.is_active())
            .ok_or(Error::NotFound { what: "person" })?;
        if apart.contains(other) {
            return Err(Error::forbidden(format!(
                "{}: one of you blocked the other",
                person.display_name
            )));
        }
        let theirs = published_places(&messaging, &caller.school_id, other).await?;
        let shared: Vec<domain::Shared> = mine
            .iter()
            .filter_map(|(course, role)| theirs.get(course).map(|their| (*role, *their)))
            .collect();
        domain::may_start(caller.role, person.role, &shared, rules).map_err(|refusal| {
            Error::forbidden(format!("{}: {}", person.display_name, refusal.detail()))
        })?;
        members.push(other.clone());
    }
    members.push(caller.user_id.clone());
    members.sort();
    let direct = others.len() == 1 && title.is_none();
    let pair_key = direct.then(|| domain::pair_key(&members[0], &members[1]));
    if let Some(key) = &pair_key {
        if let Some(id) = store::direct_between(&messaging.db, key).await? {
            return existing(&messaging, &caller, &id).await;
        }
    }
    let kind = if direct {
        ConversationKind::Direct
    } else {
        ConversationKind::Group
    };
    let id = id::new_id_string();
    let now = time::now_ms();
    let mut uow = messaging.db.begin().await?;
    let written = store::insert_conversation(
        &mut uow,
        &NewConversation {
            id: &id,
            school_id: &caller.school_id,
            kind,
            title: title.as_deref(),
            started_by: &caller.user_id,
            pair_key: pair_key.as_deref(),
            members: &members,
            now,
        },
    )
    .await?;
    if !written {
        // The other person started it a moment ago.
        drop(uow);
        if let Some(key) = &pair_key {
            if let Some(id) = store::direct_between(&messaging.db, key).await? {
                return existing(&messaging, &caller, &id).await;
            }
        }
        return Err(Error::conflict(
            "conversation_exists",
            "the conversation was started at the same moment; list conversations to find it",
        ));
    }
    uow.record(
        &caller.school_id,
        &ConversationStarted {
            conversation_id: id.clone(),
            school_id: caller.school_id.clone(),
            kind,
            started_by: caller.user_id.clone(),
            member_ids: members.clone(),
            title: title.clone(),
        },
    )
    .await?;
    uow.commit().await?;
    let row = store::conversation(&messaging.db, &caller.school_id, &id)
        .await?
        .ok_or(Error::NotFound {
            what: "conversation",
        })?;
    Ok((
        StatusCode::CREATED,
        Json(shown(&messaging, &caller, row, 0, None).await?),
    ))
}

async fn existing(
    messaging: &Messaging,
    caller: &Caller,
    id: &str,
) -> Result<(StatusCode, Json<Conversation>)> {
    let seat = Seat::load(messaging, caller, id).await?;
    let row = with_last_activity(messaging, seat.conversation).await?;
    let unread = store::unread_in(&messaging.db, &caller.user_id, id).await?;
    Ok((
        StatusCode::OK,
        Json(shown(messaging, caller, row, unread, None).await?),
    ))
}

/// The conversation as it is now, its last activity included (a course's channel has no row
/// before its first message).
async fn with_last_activity(
    messaging: &Messaging,
    facts: ConversationRow,
) -> Result<ConversationRow> {
    Ok(
        store::conversation(&messaging.db, &facts.school_id, &facts.id)
            .await?
            .unwrap_or(facts),
    )
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: Conversation,
    /// How far each person has read (their read receipts).
    pub reads: Vec<Receipt>,
    /// Whether the caller may write in it (an archived course's channel is read-only).
    pub writable: bool,
    /// The members (of a direct or group conversation) who have the app open now.
    pub online: Vec<String>,
}

/// One conversation with everyone's read receipts: for its members.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "messaging", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConversationDetail), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn show_conversation(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConversationDetail>> {
    let seat = Seat::load(&messaging, &caller, &id).await?;
    let writable = seat.require_writable().is_ok();
    let course_title = seat
        .course
        .as_ref()
        .map(|standing| standing.course.title.clone());
    let unread = store::unread_in(&messaging.db, &caller.user_id, &id).await?;
    let reads = store::reads(&messaging.db, &id)
        .await?
        .into_iter()
        .map(|row| Receipt {
            conversation_id: id.clone(),
            user_id: row.user_id,
            last_read_id: row.last_read_id,
            read_at: time::rfc3339(row.read_at),
        })
        .collect();
    let row = with_last_activity(&messaging, seat.conversation).await?;
    let conversation = shown(&messaging, &caller, row, unread, course_title).await?;
    // As the live `presence` frames: nobody is shown online across a block.
    let apart = blocks::apart_from(&messaging.db, &messaging.caches, &caller.user_id).await?;
    let members: Vec<String> = conversation
        .members
        .iter()
        .map(|member| member.user_id.clone())
        .filter(|member| !apart.contains(member))
        .collect();
    let mut online: Vec<String> = messaging
        .presence
        .online(&caller.school_id, &members)
        .await
        .into_iter()
        .collect();
    online.sort();
    Ok(Json(ConversationDetail {
        conversation,
        reads,
        writable,
        online,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MarkRead {
    /// The newest message the caller has seen; the conversation's newest when absent.
    #[schema(schema_with = fields::optional_line::<40>)]
    pub message_id: Option<String>,
}

/// Marks the conversation read up to a message (never back) and tells the other members,
/// whose pages show the receipt live.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "messaging", params(("id" = String, Path)), request_body(content = MarkRead, description = "`{}` reads up to the newest"), security(("bearer" = [])),
    responses((status = 200, body = Receipt), (status = 401, body = Problem), (status = 404, description = "No such conversation, or no message of it has this id", body = Problem),
        (status = 409, description = "The conversation has no messages yet (`no_messages`)", body = Problem), (status = 422, body = Problem)))]
async fn mark_read(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<MarkRead>,
) -> Result<Json<Receipt>> {
    let seat = Seat::load(&messaging, &caller, &id).await?;
    let message_id = match input.message_id {
        Some(message_id) => {
            let belongs = store::message(&messaging.db, &caller.school_id, &message_id)
                .await?
                .is_some_and(|message| message.conversation_id == id);
            if !belongs {
                return Err(Error::NotFound { what: "message" });
            }
            message_id
        }
        None => match store::newest_message(&messaging.db, &id).await? {
            Some(newest) => newest,
            None => {
                return Err(Error::conflict(
                    "no_messages",
                    "the conversation has no messages yet",
                ))
            }
        },
    };
    let now = time::now_ms();
    let mut uow = messaging.db.begin().await?;
    let moved = store::mark_read(uow.conn(), &id, &caller.user_id, &message_id, now).await?;
    uow.commit().await?;
    let receipt = Receipt {
        conversation_id: id.clone(),
        user_id: caller.user_id.clone(),
        last_read_id: message_id,
        read_at: time::rfc3339(now),
    };
    if moved {
        let audience = seat.audience(&messaging).await?;
        messaging.live.send(campus_platform::live::frames_for(
            &caller.school_id,
            &audience,
            Some(&caller.user_id),
            "receipt",
            &receipt,
        ));
    }
    Ok(Json(receipt))
}

/// Tells the other members the caller is writing (their pages show it for a few seconds).
/// Nothing is stored.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/typing", tag = "messaging", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Told"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn typing(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let seat = Seat::load(&messaging, &caller, &id).await?;
    seat.require_writable()?;
    let name = messaging
        .people
        .person(&caller.school_id, &caller.user_id)
        .await?
        .map(|person| person.display_name.clone())
        .unwrap_or_default();
    let audience = seat.audience(&messaging).await?;
    messaging.live.send(campus_platform::live::frames_for(
        &caller.school_id,
        &audience,
        Some(&caller.user_id),
        "typing",
        &Typing {
            conversation_id: &id,
            user_id: &caller.user_id,
            name: &name,
        },
    ));
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_is_named_for_the_others() {
        let members = vec![
            Member {
                user_id: "a".into(),
                name: "Ana".into(),
            },
            Member {
                user_id: "b".into(),
                name: "Bo".into(),
            },
            Member {
                user_id: "c".into(),
                name: "Cy".into(),
            },
        ];
        assert_eq!(names_but(&members, "b"), "Ana, Cy");
    }
}
