//! `GET /api/v1/ws`: one authenticated WebSocket per tab, and what is said on it.
//!
//! A browser page authenticates with its session cookie; the handshake must then come from
//! this site's own pages (the `Origin` check that stops another site riding the cookie). Any
//! other client sends `{"type":"auth","data":{"token":"<access token>"}}` as its first message,
//! within ten seconds. The server then says `ready` (with the unread count for the bell),
//! sends the notifications made since the id given in `after` (a reconnecting client names the
//! last it saw), and from then on each new one as a `notification` frame, as the REST API
//! shows it. It pings every thirty seconds and drops a client silent for longer than twice
//! that. A signed-out session or a deactivated account closes the socket with 4401.

use std::time::{Duration, Instant};

use axum::{
    extract::{
        ws::{rejection::WebSocketUpgradeRejection, CloseFrame, Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use campus_platform::{
    auth::AuthUser, error::Problem, http::Query, live, web_session, Error, Result,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    hub::{Closing, Line, Outgoing, SIGNED_OUT},
    in_app::{NotificationRow, ROW_COLUMNS},
    Notifications,
};

/// How long a client has to authenticate.
const AUTH_WITHIN: Duration = Duration::from_secs(10);
/// How often the server pings.
const HEARTBEAT: Duration = Duration::from_secs(30);
/// A client heard nothing from for this long is gone.
const SILENT_FOR: Duration = Duration::from_secs(75);
/// A frame the client's connection does not take within this long ends the socket.
const SEND_WITHIN: Duration = Duration::from_secs(10);
/// Missed notifications sent on resume; a client that missed more fetches its list afresh.
const RESUME_AT_MOST: usize = 100;
/// The largest message a client may send (it only authenticates and pings).
const CLIENT_MESSAGE_MAX: usize = 16 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct SocketQuery {
    /// The id of the last notification the client saw: those made after it are sent first.
    pub after: Option<String>,
}

/// Who the socket belongs to.
struct Holder {
    school_id: String,
    user_id: String,
    session_id: String,
    /// Their language, for the frames the socket itself words (what a resume sends).
    locale: Option<String>,
}

/// Opens the live connection (WebSocket). Frames are JSON `{"type": ..., "data": ...}`:
/// `ready` (`{"unread": n, "newest": id}`: the unread count, and the newest notification it
/// includes), `notification` (a notification as `GET /api/v1/notifications`
/// shows it), `resync` (frames were missed: fetch the list afresh) and `pong` (the answer to a
/// client's `{"type":"ping"}`). Authenticate with the session cookie or, as the first message,
/// `{"type":"auth","data":{"token":"<access token>","after":"<id>"}}`. Close codes: 4401 (not
/// authenticated, session ended, account deactivated), 1008 (the client did not read its
/// frames: reconnect and resume), 1001 (the server is restarting).
#[utoipa::path(get, path = "/api/v1/ws", tag = "notifications", params(SocketQuery), security(("bearer" = [])),
    responses(
        (status = 101, description = "Switched to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "A session cookie sent from another site's page", body = Problem),
        (status = 422, description = "A malformed query", body = Problem)))]
pub(crate) async fn open_socket(
    State(notifications): State<Notifications>,
    user: Option<AuthUser>,
    headers: HeaderMap,
    Query(query): Query<SocketQuery>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response> {
    let holder = match user {
        Some(user) => {
            let by_cookie = !headers.contains_key(axum::http::header::AUTHORIZATION);
            if by_cookie {
                let public_url = notifications.public_url.as_deref().unwrap_or_default();
                web_session::check_same_origin(&headers, public_url).map_err(|_| {
                    Error::forbidden("the live connection must be opened from this site's pages")
                })?;
            }
            let mut holder = Holder {
                school_id: user.school_id,
                user_id: user.user_id,
                session_id: user.session_id,
                locale: None,
            };
            holder.locale = still_active(&notifications, &holder).await?;
            Some(holder)
        }
        None => None,
    };
    let Ok(upgrade) = upgrade else {
        return Err(match holder {
            None => Error::Unauthenticated {
                detail: "send `Authorization: Bearer <access token>`".into(),
            },
            Some(_) => Error::bad_request(
                "not_a_websocket_handshake",
                "open this with a WebSocket client (`Upgrade: websocket`)",
            ),
        });
    };
    Ok(upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(CLIENT_MESSAGE_MAX)
        .max_frame_size(CLIENT_MESSAGE_MAX)
        .on_upgrade(move |socket| async move {
            serve(notifications, socket, holder, query.after).await;
        })
        .into_response())
}

/// Refused (401) once the account is deactivated, as every route does.
async fn still_active(notifications: &Notifications, holder: &Holder) -> Result<Option<String>> {
    match notifications
        .people
        .person(&holder.school_id, &holder.user_id)
        .await?
    {
        Some(person) if !person.is_active() => Err(Error::Unauthenticated {
            detail: "this account is deactivated".into(),
        }),
        Some(person) => Ok(person.locale.clone()),
        None => Ok(None),
    }
}

/// A message a client sends.
#[derive(Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
enum Said {
    Auth {
        token: String,
        after: Option<String>,
    },
    Ping,
}

async fn serve(
    notifications: Notifications,
    mut socket: WebSocket,
    holder: Option<Holder>,
    after: Option<String>,
) {
    let (holder, after) = match holder {
        Some(holder) => (holder, after),
        None => match authenticate(&notifications, &mut socket).await {
            Ok((holder, said_after)) => (holder, said_after.or(after)),
            Err(why) => {
                close(&mut socket, SIGNED_OUT.code, &why).await;
                return;
            }
        },
    };
    let (line, mut frames) =
        notifications
            .switchboard
            .connect(&holder.school_id, &holder.user_id, &holder.session_id);
    notifications
        .presence
        .arrived(&holder.school_id, &holder.user_id);
    let ended = converse(
        &notifications,
        &mut socket,
        &line,
        &mut frames,
        holder.locale,
        after,
    )
    .await;
    notifications.switchboard.disconnect(&line);
    notifications
        .presence
        .left(&holder.school_id, &holder.user_id);
    if let Some(why) = ended {
        close(&mut socket, why.code, why.reason).await;
    }
}

/// The first message must authenticate, within [`AUTH_WITHIN`].
async fn authenticate(
    notifications: &Notifications,
    socket: &mut WebSocket,
) -> std::result::Result<(Holder, Option<String>), String> {
    let first = tokio::time::timeout(AUTH_WITHIN, socket.recv())
        .await
        .map_err(|_| "send {\"type\":\"auth\",...} first".to_owned())?;
    let Some(Ok(Message::Text(text))) = first else {
        return Err("send {\"type\":\"auth\",...} first".to_owned());
    };
    let Ok(Said::Auth { token, after }) = serde_json::from_str::<Said>(&text) else {
        return Err("send {\"type\":\"auth\",\"data\":{\"token\":...}} first".to_owned());
    };
    let claims = notifications
        .keys
        .verify(&token)
        .map_err(|error| error.to_string())?;
    let mut holder = Holder {
        school_id: claims.school,
        user_id: claims.sub,
        session_id: claims.sid,
        locale: None,
    };
    holder.locale = still_active(notifications, &holder)
        .await
        .map_err(|error| error.to_string())?;
    Ok((holder, after))
}

/// Talks with the client until either side ends; answers why the server ended it, if it did.
async fn converse(
    notifications: &Notifications,
    socket: &mut WebSocket,
    line: &Line,
    frames: &mut tokio::sync::mpsc::Receiver<Outgoing>,
    locale: Option<String>,
    after: Option<String>,
) -> Option<Closing> {
    // Registered first, then caught up: whatever is made meanwhile waits in the queue, and
    // what the catching up already sent is skipped there.
    let standing: (i64, Option<String>) = sqlx::query_as(
        "SELECT COUNT(CASE WHEN read_at IS NULL THEN 1 END), MAX(id) FROM notifications \
         WHERE user_id = $1 AND school_id = $2 AND in_app = 1",
    )
    .bind(&line.user_id)
    .bind(&line.school_id)
    .fetch_one(notifications.db.pool())
    .await
    .unwrap_or_default();
    let ready = live::frame_text(
        "ready",
        &serde_json::json!({ "unread": standing.0, "newest": standing.1 }),
    )
    .ok()?;
    send(socket, ready).await.ok()?;
    let mut caught_up_to = None;
    if let Some(after) = after.filter(|after| !after.is_empty()) {
        match missed(notifications, line, &after, locale.as_deref()).await {
            Ok((missed, more)) => {
                for (id, frame) in missed {
                    send(socket, frame).await.ok()?;
                    caught_up_to = Some(id);
                }
                if more {
                    send(socket, r#"{"type":"resync","data":{}}"#.to_owned())
                        .await
                        .ok()?;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "missed notifications could not be read");
                send(socket, r#"{"type":"resync","data":{}}"#.to_owned())
                    .await
                    .ok()?;
            }
        }
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut heard_at = Instant::now();
    loop {
        tokio::select! {
            why = line.closed() => return Some(why),
            frame = frames.recv() => {
                let frame = frame?;
                let already_sent = match (&frame.id, &caught_up_to) {
                    (Some(id), Some(up_to)) => id <= up_to,
                    _ => false,
                };
                if !already_sent {
                    send_message(socket, Message::Text(frame.text)).await.ok()?;
                }
            }
            said = socket.recv() => {
                let said = said?.ok()?;
                heard_at = Instant::now();
                match said {
                    Message::Text(text) => {
                        if let Ok(Said::Ping) = serde_json::from_str::<Said>(&text) {
                            send(socket, r#"{"type":"pong","data":{}}"#.to_owned()).await.ok()?;
                        }
                    }
                    Message::Close(_) => return None,
                    _ => {}
                }
            }
            _ = heartbeat.tick() => {
                if heard_at.elapsed() > SILENT_FOR {
                    return None;
                }
                notifications.presence.still_here(&line.school_id, &line.user_id);
                // A backstop for a sign-out or deactivation whose dispatch did not arrive.
                if notifications.keys.ended_sessions().has_ended(&line.session_id) {
                    return Some(SIGNED_OUT);
                }
                if let Ok(Some(person)) = notifications.people.person(&line.school_id, &line.user_id).await {
                    if !person.is_active() {
                        return Some(SIGNED_OUT);
                    }
                }
                send_message(socket, Message::Ping(Default::default())).await.ok()?;
            }
        }
    }
}

/// The notifications made for the socket's person after `after`, oldest first, as frames;
/// and whether there were more than are sent.
async fn missed(
    notifications: &Notifications,
    line: &Line,
    after: &str,
    locale: Option<&str>,
) -> Result<(Vec<(String, String)>, bool)> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM notifications n \
         LEFT JOIN roster_courses c ON c.course_id = n.course_id \
         WHERE n.user_id = $1 AND n.school_id = $2 AND n.in_app = 1 AND n.id > $3 ORDER BY n.id LIMIT {}",
        RESUME_AT_MOST + 1
    );
    let mut rows: Vec<NotificationRow> = sqlx::query_as(&sql)
        .bind(&line.user_id)
        .bind(&line.school_id)
        .bind(after)
        .fetch_all(notifications.db.pool())
        .await?;
    let more = rows.len() > RESUME_AT_MOST;
    rows.truncate(RESUME_AT_MOST);
    let mut frames = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id.clone();
        let frame = live::frame_text("notification", &row.shown(locale))
            .map_err(|error| Error::Internal(error.into()))?;
        frames.push((id, frame));
    }
    Ok((frames, more))
}

async fn send(socket: &mut WebSocket, text: String) -> std::result::Result<(), ()> {
    send_message(socket, Message::Text(text.into())).await
}

/// Sends one message; a connection that does not take it within [`SEND_WITHIN`] is given up.
async fn send_message(socket: &mut WebSocket, message: Message) -> std::result::Result<(), ()> {
    match tokio::time::timeout(SEND_WITHIN, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    // A close reason is at most 123 bytes.
    let mut reason = reason.to_owned();
    while reason.len() > 123 {
        reason.pop();
    }
    let _ = send_message(
        socket,
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })),
    )
    .await;
}
