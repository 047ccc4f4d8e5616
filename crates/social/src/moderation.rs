//! Reports and moderation. Anyone who can see a post or comment may report it (once while
//! their report is open). A moderator's queue holds what was reported and what the school's
//! word list held, among what they moderate (admins: the whole school; teachers: their
//! courses' feeds); they hide, restore or dismiss, and each action goes to the school's audit
//! log (identity follows `moderation_taken`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::social::{
    CommentAdded, ModerationAction, ModerationTaken, PostPlace, PostPublished, PostWithdrawn,
};
use campus_platform::{
    auth::Permission, error::Problem, http::Json, id, openapi::fields, people::Caller, text, time,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    domain::{self, SubjectKind},
    mentions, reading,
    store::{self, posts::PostRow, reports::NewReport},
    Social,
};

/// Items a queue shows at once.
const QUEUE_MAX: i64 = 200;

pub(crate) fn routes(social: Social) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(queue))
        .routes(routes!(moderate_post))
        .routes(routes!(moderate_comment))
        .with_state(social)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewReportRequest {
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    /// What is wrong with it, for the moderators.
    #[schema(schema_with = fields::required_text::<{ domain::REASON_MAX }>)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Reported {
    pub id: String,
    /// `false` when the caller had already reported it and the report is still open.
    pub new: bool,
}

/// Reports a post or comment the caller can see to its moderators.
#[utoipa::path(post, path = "/api/v1/reports", tag = "social", request_body = NewReportRequest, security(("bearer" = [])),
    responses((status = 201, body = Reported, description = "Reported"), (status = 200, body = Reported, description = "Already reported, still open"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn report(
    State(social): State<Social>,
    caller: Caller,
    Json(input): Json<NewReportRequest>,
) -> Result<(StatusCode, Json<Reported>)> {
    let reason = text::required_text("reason", &input.reason, domain::REASON_MAX)
        .map_err(|error| Error::Validation(vec![error]))?;
    let post_id = match input.subject_kind {
        SubjectKind::Post => input.subject_id.clone(),
        SubjectKind::Comment => {
            store::posts::comment(&social.db, &caller.school_id, &input.subject_id)
                .await?
                .filter(|comment| comment.status == "visible")
                .ok_or(Error::NotFound { what: "comment" })?
                .post_id
        }
    };
    reading::readable_post(&social, &caller, &post_id).await?;
    let id = id::new_id_string();
    let mut uow = social.db.begin().await?;
    let new = store::reports::insert(
        &mut uow,
        &NewReport {
            id: &id,
            school_id: &caller.school_id,
            subject_kind: input.subject_kind.as_str(),
            subject_id: &input.subject_id,
            post_id: &post_id,
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
    Ok((status, Json(Reported { id, new })))
}

/// One thing waiting for a moderator.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct QueueItem {
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    pub post_id: String,
    pub place: PostPlace,
    pub course_id: Option<String>,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body_html: String,
    /// `visible`, `held` (the word list) or `hidden`.
    pub status: String,
    /// The open reports' reasons, oldest first (who reported stays private).
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Queue {
    /// Oldest first.
    pub items: Vec<QueueItem>,
}

/// The caller's moderation queue: reported and held posts and comments among what they
/// moderate (the school's admins: everything; teachers: their courses' feeds).
#[utoipa::path(get, path = "/api/v1/moderation", tag = "social", security(("bearer" = [])),
    responses((status = 200, body = Queue), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn queue(State(social): State<Social>, caller: Caller) -> Result<Json<Queue>> {
    caller.require(Permission::Socialize)?;
    if !caller.can(Permission::ManageSchool) && !caller.can(Permission::Teach) {
        return Err(Error::forbidden(
            "the queue is for the school's admins and teachers",
        ));
    }
    let mut subjects: Vec<(SubjectKind, String, String, Vec<String>)> = Vec::new();
    for (kind, subject_id, post_id) in
        store::reports::held(&social.db, &caller.school_id, QUEUE_MAX).await?
    {
        if let Ok(kind) = kind.parse() {
            subjects.push((kind, subject_id, post_id, Vec::new()));
        }
    }
    for open in store::reports::open(&social.db, &caller.school_id, QUEUE_MAX * 5).await? {
        match subjects
            .iter_mut()
            .find(|(_, id, _, _)| *id == open.subject_id)
        {
            Some((_, _, _, reasons)) => reasons.push(open.reason),
            None => {
                if let Ok(kind) = open.subject_kind.parse() {
                    subjects.push((kind, open.subject_id, open.post_id, vec![open.reason]));
                }
            }
        }
    }
    let mut items = Vec::new();
    for (kind, subject_id, post_id, reasons) in subjects {
        if items.len() as i64 >= QUEUE_MAX {
            break;
        }
        let Some(post) = store::posts::post(&social.db, &caller.school_id, &post_id).await? else {
            continue;
        };
        if !reading::moderates(&social, &caller, &post).await? {
            continue;
        }
        let item = match kind {
            SubjectKind::Post => QueueItem {
                subject_kind: kind,
                subject_id,
                post_id,
                place: post.place,
                course_id: post.course_id,
                author_id: post.author_id,
                author_name: post.author_name,
                body_html: post.body_html,
                status: post.status,
                reasons,
            },
            SubjectKind::Comment => {
                let Some(comment) =
                    store::posts::comment(&social.db, &caller.school_id, &subject_id).await?
                else {
                    continue;
                };
                QueueItem {
                    subject_kind: kind,
                    subject_id,
                    post_id,
                    place: post.place,
                    course_id: post.course_id,
                    author_id: comment.author_id,
                    author_name: comment.author_name,
                    body_html: comment.body_html,
                    status: comment.status,
                    reasons,
                }
            }
        };
        if item.status != "deleted" {
            items.push(item);
        }
    }
    Ok(Json(Queue { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Decision {
    pub action: ModerationAction,
    /// Why, for the audit log.
    #[schema(schema_with = fields::optional_text::<{ domain::REASON_MAX }>)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Decided {
    pub subject_id: String,
    /// Its status now.
    pub status: String,
    /// Open reports the decision closed.
    pub reports_closed: u64,
}

/// Hides a post from every feed, restores it (a hidden one, or one the word list held), or
/// dismisses its reports: a moderator of its place.
#[utoipa::path(post, path = "/api/v1/moderation/posts/{id}", tag = "social", params(("id" = String, Path)), request_body = Decision, security(("bearer" = [])),
    responses((status = 200, body = Decided), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Nothing to do: restoring what is visible, hiding what is hidden (`nothing_to_change`)", body = Problem), (status = 422, body = Problem)))]
async fn moderate_post(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<Decision>,
) -> Result<Json<Decided>> {
    let note = checked_note(input.note.as_deref())?;
    let (post, moderator) = reading::readable_post(&social, &caller, &id).await?;
    if !moderator {
        return Err(Error::forbidden("only the post's moderators may do this"));
    }
    decide(
        &social,
        &caller,
        &post,
        SubjectKind::Post,
        &id,
        None,
        input.action,
        note,
    )
    .await
}

/// The same for a comment.
#[utoipa::path(post, path = "/api/v1/moderation/comments/{id}", tag = "social", params(("id" = String, Path)), request_body = Decision, security(("bearer" = [])),
    responses((status = 200, body = Decided), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Nothing to do (`nothing_to_change`)", body = Problem), (status = 422, body = Problem)))]
async fn moderate_comment(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<Decision>,
) -> Result<Json<Decided>> {
    let note = checked_note(input.note.as_deref())?;
    let comment = store::posts::comment(&social.db, &caller.school_id, &id)
        .await?
        .filter(|comment| comment.status != "deleted")
        .ok_or(Error::NotFound { what: "comment" })?;
    let (post, moderator) = reading::readable_post(&social, &caller, &comment.post_id).await?;
    if !moderator {
        return Err(Error::forbidden("only the post's moderators may do this"));
    }
    let current = comment.status.clone();
    decide(
        &social,
        &caller,
        &post,
        SubjectKind::Comment,
        &id,
        Some((current, comment)),
        input.action,
        note,
    )
    .await
}

fn checked_note(note: Option<&str>) -> Result<Option<String>> {
    note.map(|note| text::bounded_text("note", note, domain::REASON_MAX))
        .transpose()
        .map(|note| note.filter(|note| !note.is_empty()))
        .map_err(|error| Error::Validation(vec![error]))
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    social: &Social,
    caller: &Caller,
    post: &PostRow,
    kind: SubjectKind,
    subject_id: &str,
    comment: Option<(String, store::posts::CommentRow)>,
    action: ModerationAction,
    note: Option<String>,
) -> Result<Json<Decided>> {
    let current = match &comment {
        Some((status, _)) => status.clone(),
        None => post.status.clone(),
    };
    let (to, outcome) = match (action, current.as_str()) {
        (ModerationAction::Hide, "visible" | "held") => ("hidden", "hidden"),
        (ModerationAction::Restore, "hidden" | "held") => ("visible", "restored"),
        (ModerationAction::Dismiss, _) => (current.as_str(), "dismissed"),
        _ => {
            return Err(Error::conflict(
                "nothing_to_change",
                format!("it is {current}: nothing to {action}"),
            ))
        }
    };
    let to = to.to_owned();
    // Shown for the first time or again: its mentions are told as if it were just written.
    let mentioned = if to == "visible" && current != "visible" {
        let (author, text) = match &comment {
            Some((_, comment)) => (comment.author_id.as_str(), comment.body.as_str()),
            None => (post.author_id.as_str(), post.body.as_str()),
        };
        mentions::mentioned(
            social,
            &caller.school_id,
            author,
            &mentions::Place::of(post),
            text,
        )
        .await?
    } else {
        Vec::new()
    };
    let now = time::now_ms();
    let mut uow = social.db.begin().await?;
    if to != current {
        let from = [current.as_str()];
        let changed = store::posts::set_status(
            &mut uow,
            &social.caches,
            &caller.school_id,
            kind,
            subject_id,
            &from,
            &to,
        )
        .await?;
        if !changed {
            return Err(Error::conflict(
                "nothing_to_change",
                "another moderator acted on it a moment ago",
            ));
        }
    }
    let closed =
        store::reports::resolve(&mut uow, subject_id, outcome, &caller.user_id, now).await?;
    if action == ModerationAction::Dismiss && closed == 0 {
        return Err(Error::conflict(
            "nothing_to_change",
            "it has no open reports to dismiss",
        ));
    }
    let school_id = caller.school_id.clone();
    let comment_id = (kind == SubjectKind::Comment).then(|| subject_id.to_owned());
    match (to.as_str(), current.as_str()) {
        ("hidden", "visible") => {
            uow.record(
                &school_id,
                &PostWithdrawn {
                    post_id: post.id.clone(),
                    comment_id,
                    school_id: school_id.clone(),
                },
            )
            .await?;
        }
        // Shown for the first time or again: published as if just written.
        ("visible", _) => match &comment {
            None => {
                uow.record(
                    &school_id,
                    &PostPublished {
                        post_id: post.id.clone(),
                        school_id: school_id.clone(),
                        place: post.place,
                        course_id: post.course_id.clone(),
                        profile_id: post.profile_id.clone(),
                        author_id: post.author_id.clone(),
                        body: post.body.clone(),
                        mentioned,
                    },
                )
                .await?;
            }
            Some((_, comment)) => {
                uow.record(
                    &school_id,
                    &CommentAdded {
                        comment_id: comment.id.clone(),
                        post_id: post.id.clone(),
                        school_id: school_id.clone(),
                        author_id: comment.author_id.clone(),
                        post_author_id: post.author_id.clone(),
                        body: comment.body.clone(),
                        mentioned,
                        course_id: post.course_id.clone(),
                    },
                )
                .await?;
            }
        },
        _ => {}
    }
    uow.record(
        &school_id,
        &ModerationTaken {
            school_id: school_id.clone(),
            moderator_id: caller.user_id.clone(),
            action,
            subject_kind: kind.as_str().to_owned(),
            subject_id: subject_id.to_owned(),
            note,
        },
    )
    .await?;
    uow.commit().await?;
    Ok(Json(Decided {
        subject_id: subject_id.to_owned(),
        status: to,
        reports_closed: closed,
    }))
}
