//! Reports of messages and their moderation. A member who reads a message they find wrong
//! reports it to the school's moderators, which shows it to them (and only it, not the rest
//! of the conversation); the school's admins moderate every conversation, a course's teachers
//! its class channel. A moderator hides a message (its members then see that a moderator
//! removed it, and search forgets it), restores it, or dismisses the reports; each decision
//! goes to the school's audit log (identity follows `message_moderated`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::{
    courses::CourseRole,
    messaging::{ConversationKind, MessageDeleted, MessageModerated, MessageRestored},
    social::ModerationAction,
};
use campus_platform::{
    auth::Permission, error::Problem, http::Json, id, openapi::fields, people::Caller, text, time,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::Seat,
    domain,
    messages::{self, Message},
    store::{self, reports::NewReport, ConversationRow, MessageRow},
    Messaging,
};

/// Messages a queue shows at once.
const QUEUE_MAX: usize = 200;

pub(crate) fn routes(messaging: Messaging) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(queue))
        .routes(routes!(moderate))
        .with_state(messaging)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageReportRequest {
    /// What is wrong with it, for the moderators.
    #[schema(schema_with = fields::required_text::<{ domain::REASON_MAX }>)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageReported {
    pub id: String,
    /// `false` when the caller had already reported it and the report is still open.
    pub new: bool,
}

/// Reports a message of a conversation the caller reads to the school's moderators (someone
/// else's, still shown).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages/{message_id}/reports", tag = "messaging", params(("id" = String, Path), ("message_id" = String, Path)), request_body = MessageReportRequest, security(("bearer" = [])),
    responses((status = 201, body = MessageReported, description = "Reported"), (status = 200, body = MessageReported, description = "Already reported, still open"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, description = "No such conversation for the caller, or no such message of it", body = Problem),
        (status = 409, description = "The caller's own message (`own_message`), deleted by its author (`message_deleted`) or already hidden (`message_hidden`)", body = Problem), (status = 422, body = Problem)))]
async fn report(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
    Json(input): Json<MessageReportRequest>,
) -> Result<(StatusCode, Json<MessageReported>)> {
    let reason = text::required_text("reason", &input.reason, domain::REASON_MAX)
        .map_err(|error| Error::Validation(vec![error]))?;
    let seat = Seat::load(&messaging, &caller, &id).await?;
    let message = store::message(&messaging.db, &caller.school_id, &message_id)
        .await?
        .filter(|message| message.conversation_id == seat.conversation.id)
        .ok_or(Error::NotFound { what: "message" })?;
    if message.author_id == caller.user_id {
        return Err(Error::conflict(
            "own_message",
            "a message is reported by someone else than its author",
        ));
    }
    shown(&message)?;
    let report_id = id::new_id_string();
    let mut uow = messaging.db.begin().await?;
    let new = store::reports::insert(
        &mut uow,
        &NewReport {
            id: &report_id,
            school_id: &caller.school_id,
            message_id: &message_id,
            conversation_id: &seat.conversation.id,
            reporter_id: &caller.user_id,
            reason: &reason,
            now: time::now_ms(),
        },
    )
    .await?;
    uow.commit().await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MessageReported { id: report_id, new })))
}

/// 409 for a message nobody is shown any more.
fn shown(message: &MessageRow) -> Result<()> {
    if message.deleted_at.is_some() {
        return Err(Error::conflict(
            "message_deleted",
            "its author deleted the message",
        ));
    }
    if message.hidden_at.is_some() {
        return Err(Error::conflict(
            "message_hidden",
            "a moderator already hid the message",
        ));
    }
    Ok(())
}

/// A reported message, as its moderators see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReportedMessage {
    pub message_id: String,
    pub conversation_id: String,
    pub conversation_kind: ConversationKind,
    /// The course, for a class channel.
    pub course_id: Option<String>,
    pub author_id: String,
    pub author_name: Option<String>,
    /// Rendered and sanitized, as the members were shown it.
    pub body_html: String,
    /// `visible` or `hidden`.
    pub status: String,
    /// The open reports' reasons, oldest first (who reported stays private).
    pub reasons: Vec<String>,
    pub first_reported_at: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageQueue {
    /// Oldest report first.
    pub items: Vec<ReportedMessage>,
}

/// The reported messages the caller moderates: the school's admins every conversation's,
/// teachers their courses' class channels'.
#[utoipa::path(get, path = "/api/v1/moderation/messages", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = MessageQueue), (status = 401, body = Problem), (status = 403, description = "Neither an admin nor a teacher", body = Problem)))]
async fn queue(State(messaging): State<Messaging>, caller: Caller) -> Result<Json<MessageQueue>> {
    caller.require(Permission::Socialize)?;
    if !caller.can(Permission::ManageSchool) && !caller.can(Permission::Teach) {
        return Err(Error::forbidden(
            "the queue is for the school's admins and teachers",
        ));
    }
    let open = store::reports::open(&messaging.db, &caller.school_id, QUEUE_MAX as i64 * 5).await?;
    // Each reported message once, in the order of its first open report.
    let mut reported: Vec<(String, String, i64, Vec<String>)> = Vec::new();
    for report in open {
        match reported
            .iter_mut()
            .find(|(id, ..)| *id == report.message_id)
        {
            Some((.., reasons)) => reasons.push(report.reason),
            None => reported.push((
                report.message_id,
                report.conversation_id,
                report.created_at,
                vec![report.reason],
            )),
        }
    }
    let mut items = Vec::new();
    for (message_id, conversation_id, first_reported_at, reasons) in reported {
        if items.len() >= QUEUE_MAX {
            break;
        }
        let (Some(conversation), Some(message)) = (
            store::conversation(&messaging.db, &caller.school_id, &conversation_id).await?,
            store::message(&messaging.db, &caller.school_id, &message_id).await?,
        ) else {
            continue;
        };
        if message.deleted_at.is_some() || !moderates(&messaging, &caller, &conversation).await {
            continue;
        }
        let status = status(&message).to_owned();
        items.push(ReportedMessage {
            message_id,
            conversation_id,
            conversation_kind: conversation.kind,
            course_id: conversation.course_id,
            author_id: message.author_id,
            author_name: message.author_name,
            body_html: message.body_html,
            status,
            reasons,
            first_reported_at: time::rfc3339(first_reported_at),
        });
    }
    Ok(Json(MessageQueue { items }))
}

/// The school's admins moderate every conversation; a course's teachers its class channel.
async fn moderates(messaging: &Messaging, caller: &Caller, conversation: &ConversationRow) -> bool {
    if caller.can(Permission::ManageSchool) {
        return true;
    }
    match (conversation.kind, conversation.course_id.as_deref()) {
        (ConversationKind::Course, Some(course_id)) => messaging
            .rosters
            .standing(caller, course_id)
            .await
            .is_ok_and(|standing| standing.role == Some(CourseRole::Teacher)),
        _ => false,
    }
}

fn status(message: &MessageRow) -> &'static str {
    if message.hidden_at.is_some() {
        "hidden"
    } else {
        "visible"
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageDecision {
    pub action: ModerationAction,
    /// Why, for the audit log.
    #[schema(schema_with = fields::optional_text::<{ domain::REASON_MAX }>)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageDecided {
    pub message_id: String,
    /// `visible` or `hidden`, now.
    pub status: String,
    /// Open reports the decision closed.
    pub reports_closed: u64,
}

/// Hides a message from its conversation, restores a hidden one, or dismisses its reports: a
/// moderator of its conversation.
#[utoipa::path(post, path = "/api/v1/moderation/messages/{message_id}", tag = "messaging", params(("message_id" = String, Path)), request_body = MessageDecision, security(("bearer" = [])),
    responses((status = 200, body = MessageDecided), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such message in the caller's school, or one they do not moderate and cannot read", body = Problem),
        (status = 409, description = "Nothing to do: hiding what is hidden, restoring what is shown, dismissing without open reports, or a message its author deleted (`nothing_to_change`)", body = Problem),
        (status = 422, body = Problem)))]
async fn moderate(
    State(messaging): State<Messaging>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<MessageDecision>,
) -> Result<Json<MessageDecided>> {
    caller.require(Permission::Socialize)?;
    let note = input
        .note
        .as_deref()
        .map(|note| text::bounded_text("note", note, domain::REASON_MAX))
        .transpose()
        .map_err(|error| Error::Validation(vec![error]))?
        .filter(|note| !note.is_empty());
    let message = store::message(&messaging.db, &caller.school_id, &id)
        .await?
        .ok_or(Error::NotFound { what: "message" })?;
    let conversation =
        store::conversation(&messaging.db, &caller.school_id, &message.conversation_id)
            .await?
            .ok_or(Error::NotFound { what: "message" })?;
    if !moderates(&messaging, &caller, &conversation).await {
        // Those who read the conversation learn they may not; to anyone else it is not there.
        return match Seat::load(&messaging, &caller, &conversation.id).await {
            Ok(_) => Err(Error::forbidden(
                "only the conversation's moderators may do this",
            )),
            Err(_) => Err(Error::NotFound { what: "message" }),
        };
    }
    let nothing = |why: &str| Error::conflict("nothing_to_change", why.to_owned());
    if message.deleted_at.is_some() && input.action != ModerationAction::Dismiss {
        return Err(nothing("its author deleted the message"));
    }
    let (hidden, outcome) = match (input.action, message.hidden_at.is_some()) {
        (ModerationAction::Hide, false) => (true, "hidden"),
        (ModerationAction::Restore, true) => (false, "restored"),
        (ModerationAction::Dismiss, hidden) => (hidden, "dismissed"),
        (ModerationAction::Hide, true) => return Err(nothing("it is hidden already")),
        (ModerationAction::Restore, false) => {
            return Err(nothing("it is shown: nothing to restore"))
        }
    };
    let now = time::now_ms();
    let school_id = caller.school_id.clone();
    let mut uow = messaging.db.begin().await?;
    if hidden != message.hidden_at.is_some() {
        let hidden_at = hidden.then_some(now);
        if !store::set_hidden(&mut uow, &id, hidden_at).await? {
            return Err(nothing("another moderator acted on it a moment ago"));
        }
    }
    let closed = store::reports::resolve(&mut uow, &id, outcome, &caller.user_id, now).await?;
    if input.action == ModerationAction::Dismiss && closed == 0 {
        return Err(nothing("it has no open reports to dismiss"));
    }
    match input.action {
        // Search forgets it, as it forgets a message its author deleted.
        ModerationAction::Hide => {
            uow.record(
                &school_id,
                &MessageDeleted {
                    message_id: id.clone(),
                    conversation_id: conversation.id.clone(),
                    school_id: school_id.clone(),
                },
            )
            .await?;
        }
        ModerationAction::Restore => {
            uow.record(
                &school_id,
                &MessageRestored {
                    message_id: id.clone(),
                    conversation_id: conversation.id.clone(),
                    school_id: school_id.clone(),
                    kind: conversation.kind,
                    course_id: conversation.course_id.clone(),
                    author_id: message.author_id.clone(),
                    body: message.body.clone(),
                },
            )
            .await?;
        }
        ModerationAction::Dismiss => {}
    }
    uow.record(
        &school_id,
        &MessageModerated {
            school_id: school_id.clone(),
            moderator_id: caller.user_id.clone(),
            action: input.action,
            message_id: id.clone(),
            conversation_id: conversation.id.clone(),
            note,
        },
    )
    .await?;
    uow.commit().await?;
    if input.action != ModerationAction::Dismiss {
        let mut shown = message;
        shown.hidden_at = hidden.then_some(now);
        let seat = Seat {
            conversation,
            course: None,
        };
        messages::tell(&messaging, &seat, &Message::from(shown)).await?;
    }
    Ok(Json(MessageDecided {
        message_id: id,
        status: if hidden { "hidden" } else { "visible" }.to_owned(),
        reports_closed: closed,
    }))
}
