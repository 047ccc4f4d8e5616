//! The home feed: the school's feed, the feeds of the caller's courses and of the courses they
//! follow (if members), and the profiles of the people they follow (as the school's rules let
//! them see), newest first, without those they blocked or muted or who blocked them.

use axum::extract::State;
use campus_platform::{
    auth::Permission,
    error::Problem,
    http::{Json, Query},
    pagination::{self, Page},
    people::Caller,
    Result,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    posts::{shown, Post},
    reading,
    store::{
        self,
        posts::{Scope, Sources},
    },
    Social,
};

pub(crate) fn routes(social: Social) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(home_feed))
        .with_state(social)
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct FeedPaging {
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The caller's home feed, newest first.
#[utoipa::path(get, path = "/api/v1/feed", tag = "social", params(FeedPaging), security(("bearer" = [])),
    responses((status = 200, body = Page<Post>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn home_feed(
    State(social): State<Social>,
    caller: Caller,
    Query(paging): Query<FeedPaging>,
) -> Result<Json<Page<Post>>> {
    caller.require(Permission::Socialize)?;
    let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
    let mut courses: Vec<String> = social
        .rosters
        .places_of(&caller.school_id, &caller.user_id)
        .await?
        .into_iter()
        .map(|place| place.course_id)
        .collect();
    let mut profiles = vec![caller.user_id.clone()];
    let follows = store::graph::follows_of(
        &social.db,
        &social.caches,
        &caller.school_id,
        &caller.user_id,
    )
    .await?;
    for follow in follows.iter() {
        match follow.target_kind.as_str() {
            "course" if !courses.contains(&follow.target_id) => {
                courses.push(follow.target_id.clone())
            }
            "person"
                if reading::may_see_profile(&social, &caller, &follow.target_id, &rules)
                    .await
                    .unwrap_or(false) =>
            {
                profiles.push(follow.target_id.clone())
            }
            _ => {}
        }
    }
    // Only courses the caller may read now (a draft they were added to is not yet theirs).
    let mut readable = Vec::with_capacity(courses.len());
    for course_id in courses {
        if reading::may_read_course(&social, &caller, &course_id).await? {
            readable.push(course_id);
        }
    }
    let unwanted = store::graph::unwanted_by(&social.db, &social.caches, &caller.user_id).await?;
    let limit = pagination::limit(paging.limit);
    let before = paging.cursor.as_deref().unwrap_or_default();
    // Most pages come from the school's newest posts in memory, with their tallies; a page
    // older than those is read from the database.
    let recent = store::posts::recent(&social.db, &social.caches, &caller.school_id).await?;
    let sources = Sources {
        courses: &readable.iter().map(String::as_str).collect(),
        profiles: &profiles.iter().map(String::as_str).collect(),
        unwanted: &unwanted.iter().map(String::as_str).collect(),
    };
    if let Some(rows) = recent.feed_page(&sources, before, limit) {
        let mine = recent.mine(&social.db, &caller.user_id).await?;
        let page = Page::of(rows, limit, |row| row.id.clone());
        return Ok(Json(page.map(|row| Post::of(row, recent.counts(), &mine))));
    }
    let rows = store::posts::visible(
        &social.db,
        &caller.school_id,
        Scope::Feed {
            courses: &readable,
            profiles: &profiles,
        },
        &unwanted,
        before,
        limit,
    )
    .await?;
    Ok(Json(shown(&social, &caller.user_id, rows, limit).await?))
}
