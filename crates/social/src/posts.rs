//! Posts in their places, their comments (one level of replies) and reactions.

use std::collections::HashMap;

use axum::{
    extract::{DefaultBodyLimit, Path, State},
    http::StatusCode,
};
use campus_contracts::social::{CommentAdded, PostPlace, PostPublished, PostWithdrawn};
use campus_platform::{
    auth::Permission,
    error::Problem,
    http::{Json, Query},
    id, markdown,
    openapi::fields,
    pagination::{self, Page},
    people::Caller,
    text, time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    domain::{self, Reaction, SubjectKind},
    images, mentions, news, reading,
    store::{
        self,
        posts::{CommentRow, Counts, NewComment, NewPost, PostRow, Scope},
    },
    Social,
};

pub(crate) fn routes(social: Social) -> OpenApiRouter {
    // A picture streams within the installation's upload limit (the platform's body limit),
    // not axum's buffering limit.
    let pictures = OpenApiRouter::new()
        .routes(routes!(images::image, images::add_image))
        .layer(DefaultBodyLimit::disable())
        .with_state(social.clone());
    OpenApiRouter::new()
        .routes(routes!(list_posts, write_post))
        .routes(routes!(show_post, delete_post))
        .routes(routes!(list_comments, write_comment))
        .routes(routes!(react, unreact))
        .with_state(social)
        .merge(pictures)
}

/// How many people reacted one way.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReactionCount {
    pub kind: Reaction,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Post {
    pub id: String,
    pub place: PostPlace,
    pub course_id: Option<String>,
    pub profile_id: Option<String>,
    pub author_id: String,
    pub author_name: Option<String>,
    /// Rendered from Markdown and sanitized.
    pub body_html: String,
    /// `visible`; `held` (the school's word list: waiting for a moderator) or `hidden`, as its
    /// author and moderators see it.
    pub status: String,
    pub created_at: String,
    pub reactions: Vec<ReactionCount>,
    pub my_reaction: Option<Reaction>,
    /// Visible comments.
    pub comments: i64,
    /// The picture it shows under its text, if any.
    pub image: Option<PostImage>,
}

/// A post's picture.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct PostImage {
    /// As read from its bytes.
    pub content_type: String,
    pub size: i64,
    /// What it shows, in its author's words (empty when they gave none).
    pub description: String,
    /// Where whoever may read the post loads it.
    pub url: String,
}

impl Post {
    /// The post as a reader sees it: with its `counts`, and `mine`, the reader's reactions.
    pub(crate) fn of(row: PostRow, counts: &Counts, mine: &HashMap<String, String>) -> Self {
        let reactions = counts
            .reactions
            .get(&row.id)
            .map(|counts| {
                counts
                    .iter()
                    .filter_map(|(kind, count)| {
                        kind.parse().ok().map(|kind| ReactionCount {
                            kind,
                            count: *count,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let image = match (&row.image_type, row.image_size) {
            (Some(content_type), Some(size)) if row.status != "deleted" => Some(PostImage {
                content_type: content_type.clone(),
                size,
                description: row.image_alt.clone().unwrap_or_default(),
                url: format!("/api/v1/posts/{}/image", row.id),
            }),
            _ => None,
        };
        Self {
            image,
            my_reaction: mine.get(&row.id).and_then(|kind| kind.parse().ok()),
            comments: counts.comments.get(&row.id).copied().unwrap_or(0),
            reactions,
            id: row.id,
            place: row.place,
            course_id: row.course_id,
            profile_id: row.profile_id,
            author_id: row.author_id,
            author_name: row.author_name,
            body_html: row.body_html,
            status: row.status,
            created_at: time::rfc3339(row.created_at),
        }
    }
}

/// A page of posts as the reader sees them, with their tallies.
pub(crate) async fn shown(
    social: &Social,
    reader_id: &str,
    rows: Vec<PostRow>,
    limit: i64,
) -> Result<Page<Post>> {
    let page = Page::of(rows, limit, |row| row.id.clone());
    let ids: Vec<String> = page.items.iter().map(|row| row.id.clone()).collect();
    let tallies = store::posts::tallies(&social.db, reader_id, &ids).await?;
    Ok(page.map(|row| Post::of(row, &tallies.counts, &tallies.mine)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct PlaceQuery {
    /// Which feed: the school's, a course's or a profile's.
    #[param(inline)]
    pub place: PostPlace,
    /// The course, for `place=course` (ignored otherwise).
    pub course_id: Option<String>,
    /// The person, for `place=profile` (ignored otherwise).
    pub profile_id: Option<String>,
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The visible posts of one place, newest first: the school's feed, a course's (its members)
/// or a person's profile (as the school's rules allow).
#[utoipa::path(get, path = "/api/v1/posts", tag = "social", params(PlaceQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Post>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_posts(
    State(social): State<Social>,
    caller: Caller,
    Query(query): Query<PlaceQuery>,
) -> Result<Json<Page<Post>>> {
    caller.require(Permission::Socialize)?;
    let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
    // An id the place does not use is ignored; an empty one is none.
    let named = |id: &Option<String>| id.as_deref().filter(|id| !id.is_empty()).map(str::to_owned);
    let (course_id, profile_id) = (named(&query.course_id), named(&query.profile_id));
    let scope = match (query.place, &course_id, &profile_id) {
        (PostPlace::School, _, _) => Scope::School,
        (PostPlace::Course, None, _) => return Err(Error::NotFound { what: "course" }),
        (PostPlace::Profile, _, None) => return Err(Error::NotFound { what: "person" }),
        (PostPlace::Course, Some(course_id), _) => {
            if !reading::may_read_course(&social, &caller, course_id).await? {
                return Err(Error::NotFound { what: "course" });
            }
            Scope::Course(course_id)
        }
        (PostPlace::Profile, _, Some(profile_id)) => {
            if !reading::may_see_profile(&social, &caller, profile_id, &rules).await? {
                return Err(Error::forbidden(
                    "the school shows a student's profile to the people of their courses",
                ));
            }
            Scope::Profile(profile_id)
        }
    };
    let unwanted = store::graph::unwanted_by(&social.db, &social.caches, &caller.user_id).await?;
    let limit = pagination::limit(query.limit);
    let rows = store::posts::visible(
        &social.db,
        &caller.school_id,
        scope,
        &unwanted,
        query.cursor.as_deref().unwrap_or_default(),
        limit,
    )
    .await?;
    Ok(Json(shown(&social, &caller.user_id, rows, limit).await?))
}

/// A post and its place: the school's feed, a course's (naming the course) or a profile
/// (naming it: one's own).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "place", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum NewPostRequest {
    School {
        /// Markdown; rendered and sanitized for readers.
        #[schema(schema_with = fields::required_text::<{ domain::POST_MAX }>)]
        body: String,
    },
    Course {
        course_id: String,
        /// Markdown; rendered and sanitized for readers.
        #[schema(schema_with = fields::required_text::<{ domain::POST_MAX }>)]
        body: String,
    },
    Profile {
        profile_id: String,
        /// Markdown; rendered and sanitized for readers.
        #[schema(schema_with = fields::required_text::<{ domain::POST_MAX }>)]
        body: String,
    },
}

/// Posts in a place, as the school's rules allow (by default students post in their courses'
/// feeds and on their own profile). A post with a word of the school's list is held for a
/// moderator (`status: held`) and shown to nobody else until restored. One person may write a
/// burst of 20 posts and comments, then one every three seconds.
#[utoipa::path(post, path = "/api/v1/posts", tag = "social", request_body = NewPostRequest, security(("bearer" = [])),
    responses((status = 201, body = Post), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The course is archived (`course_archived`)", body = Problem), (status = 422, body = Problem),
        (status = 429, description = "Too many posts at once; see `Retry-After`", body = Problem)))]
async fn write_post(
    State(social): State<Social>,
    caller: Caller,
    Json(input): Json<NewPostRequest>,
) -> Result<(StatusCode, Json<Post>)> {
    caller.require(Permission::Socialize)?;
    let (place, course_id, profile_id, written) = match input {
        NewPostRequest::School { body } => (PostPlace::School, None, None, body),
        NewPostRequest::Course { course_id, body } => {
            (PostPlace::Course, Some(course_id), None, body)
        }
        NewPostRequest::Profile { profile_id, body } => {
            (PostPlace::Profile, None, Some(profile_id), body)
        }
    };
    let body = text::required_text("body", &written, domain::POST_MAX)
        .map_err(|error| Error::Validation(vec![error]))?;
    let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
    let member = match &course_id {
        Some(course_id) => {
            let standing = social.rosters.standing(&caller, course_id).await?;
            standing.require_open()?;
            standing.role.is_some()
        }
        None => false,
    };
    let own = profile_id.as_deref() == Some(caller.user_id.as_str());
    domain::may_post(caller.role, place, member, own, &rules)
        .map_err(|refusal| Error::forbidden(refusal.detail()))?;
    social.writing.check(&caller.user_id).await?;
    let held = domain::held_by(&body, &rules.words);
    let status = if held { "held" } else { "visible" };
    let mentioned = if held {
        Vec::new()
    } else {
        let place = mentions::Place {
            place,
            course_id: course_id.as_deref(),
            profile_id: profile_id.as_deref(),
        };
        mentions::mentioned(&social, &caller.school_id, &caller.user_id, &place, &body).await?
    };
    let body_html = markdown::render(&body);
    let id = id::new_id_string();
    let now = time::now_ms();
    let mut uow = social.db.begin().await?;
    store::posts::insert_post(
        &mut uow,
        &social.caches,
        &NewPost {
            id: &id,
            school_id: &caller.school_id,
            place,
            course_id: course_id.as_deref(),
            profile_id: profile_id.as_deref(),
            author_id: &caller.user_id,
            body: &body,
            body_html: &body_html,
            status,
            now,
        },
    )
    .await?;
    if !held {
        uow.record(
            &caller.school_id,
            &PostPublished {
                post_id: id.clone(),
                school_id: caller.school_id.clone(),
                place,
                course_id: course_id.clone(),
                profile_id: profile_id.clone(),
                author_id: caller.user_id.clone(),
                body: body.clone(),
                mentioned,
            },
        )
        .await?;
    }
    uow.commit().await?;
    let row = store::posts::post(&social.db, &caller.school_id, &id)
        .await?
        .ok_or(Error::NotFound { what: "post" })?;
    if !held {
        // A courtesy to open pages: the post is written whether or not they hear of it.
        if let Err(error) = news::tell(&social, &row, &caller.school_id).await {
            tracing::warn!(%error, "open feeds were not told of a new post");
        }
    }
    Ok((
        StatusCode::CREATED,
        Json(Post::of(row, &Counts::default(), &HashMap::new())),
    ))
}

/// One post: for whoever may read its place.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "social", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Post), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn show_post(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Post>> {
    let (post, _) = reading::readable_post(&social, &caller, &id).await?;
    let tallies =
        store::posts::tallies(&social.db, &caller.user_id, std::slice::from_ref(&id)).await?;
    Ok(Json(Post::of(post, &tallies.counts, &tallies.mine)))
}

/// Deletes a post: its author, or a moderator (who would rather hide it from the queue, which
/// the audit log records).
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "social", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_post(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let (post, moderator) = reading::readable_post(&social, &caller, &id).await?;
    if post.author_id != caller.user_id && !moderator {
        return Err(Error::forbidden("only its author may delete a post"));
    }
    let mut uow = social.db.begin().await?;
    if store::posts::set_status(
        &mut uow,
        &social.caches,
        &caller.school_id,
        SubjectKind::Post,
        &id,
        &["visible", "held", "hidden"],
        "deleted",
    )
    .await?
    {
        uow.record(
            &caller.school_id,
            &PostWithdrawn {
                post_id: id.clone(),
                comment_id: None,
                school_id: caller.school_id.clone(),
            },
        )
        .await?;
    }
    uow.commit().await?;
    if let Some(key) = &post.image_key {
        if let Err(error) = social.files.delete(key).await {
            tracing::warn!(%error, "a deleted post's picture stays in the store");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Comment {
    pub id: String,
    pub post_id: String,
    /// The comment this one answers (replies go one level deep).
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body_html: String,
    pub status: String,
    pub created_at: String,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Self {
            id: row.id,
            post_id: row.post_id,
            parent_id: row.parent_id,
            author_id: row.author_id,
            author_name: row.author_name,
            body_html: row.body_html,
            status: row.status,
            created_at: time::rfc3339(row.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct CommentPaging {
    /// Comments after this one (the previous page's `next_cursor`), oldest first.
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The post's visible comments, oldest first.
#[utoipa::path(get, path = "/api/v1/posts/{id}/comments", tag = "social", params(("id" = String, Path), CommentPaging), security(("bearer" = [])),
    responses((status = 200, body = Page<Comment>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_comments(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
    Query(paging): Query<CommentPaging>,
) -> Result<Json<Page<Comment>>> {
    reading::readable_post(&social, &caller, &id).await?;
    let unwanted = store::graph::unwanted_by(&social.db, &social.caches, &caller.user_id).await?;
    let limit = pagination::limit(paging.limit);
    let rows = store::posts::comments(
        &social.db,
        &id,
        &unwanted,
        paging.cursor.as_deref().unwrap_or_default(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::of(rows, limit, |row| row.id.clone()).map(Comment::from),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCommentRequest {
    /// Markdown; rendered and sanitized for readers.
    #[schema(schema_with = fields::required_text::<{ domain::COMMENT_MAX }>)]
    pub body: String,
    /// A top-level comment of the same post this one answers.
    #[schema(schema_with = fields::optional_line::<40>)]
    pub parent_id: Option<String>,
}

/// Comments on a visible post, or answers a top-level comment of it. Held by the school's word
/// list like a post.
#[utoipa::path(post, path = "/api/v1/posts/{id}/comments", tag = "social", params(("id" = String, Path)), request_body = NewCommentRequest, security(("bearer" = [])),
    responses((status = 201, body = Comment), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The post is not visible (`post_not_visible`), or `parent_id` is itself a reply (`not_a_top_level_comment`)", body = Problem), (status = 422, body = Problem),
        (status = 429, description = "Too many posts and comments at once; see `Retry-After`", body = Problem)))]
async fn write_comment(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<NewCommentRequest>,
) -> Result<(StatusCode, Json<Comment>)> {
    let body = text::required_text("body", &input.body, domain::COMMENT_MAX)
        .map_err(|error| Error::Validation(vec![error]))?;
    let (post, _) = reading::readable_post(&social, &caller, &id).await?;
    if post.status != "visible" {
        return Err(Error::conflict(
            "post_not_visible",
            "only a visible post takes comments",
        ));
    }
    if let Some(parent_id) = &input.parent_id {
        let parent = store::posts::comment(&social.db, &caller.school_id, parent_id)
            .await?
            .filter(|parent| parent.post_id == id && parent.status == "visible")
            .ok_or(Error::NotFound { what: "comment" })?;
        if parent.parent_id.is_some() {
            return Err(Error::conflict(
                "not_a_top_level_comment",
                "replies go one level deep: answer the top-level comment",
            ));
        }
    }
    social.writing.check(&caller.user_id).await?;
    let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
    let held = domain::held_by(&body, &rules.words);
    let status = if held { "held" } else { "visible" };
    let mentioned = if held {
        Vec::new()
    } else {
        mentions::mentioned(
            &social,
            &caller.school_id,
            &caller.user_id,
            &mentions::Place::of(&post),
            &body,
        )
        .await?
    };
    let body_html = markdown::render(&body);
    let comment_id = id::new_id_string();
    let now = time::now_ms();
    let mut uow = social.db.begin().await?;
    store::posts::insert_comment(
        &mut uow,
        &social.caches,
        &NewComment {
            id: &comment_id,
            post_id: &id,
            parent_id: input.parent_id.as_deref(),
            school_id: &caller.school_id,
            author_id: &caller.user_id,
            body: &body,
            body_html: &body_html,
            status,
            now,
        },
    )
    .await?;
    if !held {
        uow.record(
            &caller.school_id,
            &CommentAdded {
                comment_id: comment_id.clone(),
                post_id: id.clone(),
                school_id: caller.school_id.clone(),
                author_id: caller.user_id.clone(),
                post_author_id: post.author_id.clone(),
                body: body.clone(),
                mentioned,
                course_id: post.course_id.clone(),
            },
        )
        .await?;
    }
    uow.commit().await?;
    let row = store::posts::comment(&social.db, &caller.school_id, &comment_id)
        .await?
        .ok_or(Error::NotFound { what: "comment" })?;
    Ok((StatusCode::CREATED, Json(Comment::from(row))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Reacting {
    pub kind: Reaction,
}

/// The post's reactions after a change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Reactions {
    pub reactions: Vec<ReactionCount>,
    pub my_reaction: Option<Reaction>,
}

/// The post's reactions as they stand now, for the caller (who may read it).
async fn reactions_now(social: &Social, caller: &Caller, post: PostRow) -> Result<Reactions> {
    let tallies =
        store::posts::tallies(&social.db, &caller.user_id, std::slice::from_ref(&post.id)).await?;
    let post = Post::of(post, &tallies.counts, &tallies.mine);
    Ok(Reactions {
        reactions: post.reactions,
        my_reaction: post.my_reaction,
    })
}

/// Reacts to a visible post (one reaction per person: a new one replaces the old).
#[utoipa::path(put, path = "/api/v1/posts/{id}/reactions", tag = "social", params(("id" = String, Path)), request_body = Reacting, security(("bearer" = [])),
    responses((status = 200, body = Reactions), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The post is not visible (`post_not_visible`)", body = Problem), (status = 422, body = Problem)))]
async fn react(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<Reacting>,
) -> Result<Json<Reactions>> {
    let (post, _) = reading::readable_post(&social, &caller, &id).await?;
    if post.status != "visible" {
        return Err(Error::conflict(
            "post_not_visible",
            "only a visible post takes reactions",
        ));
    }
    let mut uow = social.db.begin().await?;
    store::posts::react(
        &mut uow,
        &social.caches,
        &caller.school_id,
        &id,
        &caller.user_id,
        input.kind.as_str(),
        time::now_ms(),
    )
    .await?;
    uow.commit().await?;
    Ok(Json(reactions_now(&social, &caller, post).await?))
}

/// Takes the caller's reaction back.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/reactions", tag = "social", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Reactions), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unreact(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Reactions>> {
    let (post, _) = reading::readable_post(&social, &caller, &id).await?;
    let mut uow = social.db.begin().await?;
    store::posts::unreact(
        &mut uow,
        &social.caches,
        &caller.school_id,
        &id,
        &caller.user_id,
    )
    .await?;
    uow.commit().await?;
    Ok(Json(reactions_now(&social, &caller, post).await?))
}
