//! The search API: ranked results across the school, suggestions as someone types, a
//! conversation's messages for its members, and what is trending this week.

use axum::extract::State;
use campus_platform::{
    error::Problem,
    http::{Json, Query, Within},
    people::Caller,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    domain::{DocKind, OFFSET_MAX, QUERY_MAX},
    index::{Ask, Found, Hit},
    reach, Search,
};

pub(crate) fn routes(search: Search) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(search_school))
        .routes(routes!(suggest))
        .routes(routes!(search_messages))
        .routes(routes!(trending))
        .with_state(search)
}

/// The kinds of results the school-wide search finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SearchType {
    Course,
    Lesson,
    Post,
    Comment,
    Person,
}

impl From<SearchType> for DocKind {
    fn from(kind: SearchType) -> Self {
        match kind {
            SearchType::Course => DocKind::Course,
            SearchType::Lesson => DocKind::Lesson,
            SearchType::Post => DocKind::Post,
            SearchType::Comment => DocKind::Comment,
            SearchType::Person => DocKind::Person,
        }
    }
}

/// Results per page: 1 to 50.
type PageSize = Within<1, 50>;
const DEFAULT_PAGE: usize = 20;

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct SearchQuery {
    /// What to look for: words, typos forgiven, in English or Spanish.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// Only results of this kind.
    #[param(inline, rename = "type")]
    #[serde(rename = "type")]
    pub kind: Option<SearchType>,
    /// Only results of this course (its lessons, its feed's posts and comments).
    pub course: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,4}$")]
    pub cursor: Option<String>,
    /// How many results per page (default 20).
    #[param(inline)]
    pub limit: Option<PageSize>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct MessagesQuery {
    /// The conversation to search, which the caller must be in.
    pub conversation: String,
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,4}$")]
    pub cursor: Option<String>,
    #[param(inline)]
    pub limit: Option<PageSize>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct SuggestQuery {
    /// What has been typed so far.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
}

/// One result.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SearchResult {
    pub kind: DocKind,
    pub id: String,
    /// The course's or lesson's title, the person's name, or the start of a post.
    pub title: String,
    /// The text around the words found: HTML-escaped, the words found in `<mark>`.
    pub snippet_html: String,
    /// The page that shows it.
    pub link: String,
    pub course_id: Option<String>,
    /// The post, for a comment; the conversation, for a message.
    pub post_id: Option<String>,
    pub conversation_id: Option<String>,
    pub author_id: Option<String>,
}

impl From<Hit> for SearchResult {
    fn from(hit: Hit) -> Self {
        Self {
            link: link_to(
                hit.kind,
                &hit.id,
                hit.post_id.as_deref(),
                hit.conversation_id.as_deref(),
            ),
            kind: hit.kind,
            id: hit.id,
            title: hit.title,
            snippet_html: hit.snippet_html,
            course_id: hit.course_id,
            post_id: hit.post_id,
            conversation_id: hit.conversation_id,
            author_id: hit.author_id,
        }
    }
}

/// The web page showing a result.
pub(crate) fn link_to(
    kind: DocKind,
    id: &str,
    post_id: Option<&str>,
    conversation_id: Option<&str>,
) -> String {
    match kind {
        DocKind::Course => format!("/courses/{id}"),
        DocKind::Lesson => format!("/lessons/{id}"),
        DocKind::Post => format!("/posts/{id}"),
        DocKind::Comment => format!("/posts/{}#comment-{id}", post_id.unwrap_or_default()),
        DocKind::Person => format!("/people/{id}"),
        DocKind::Message => {
            format!("/messages/{}#m-{id}", conversation_id.unwrap_or_default())
        }
    }
}

/// A page of results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SearchResults {
    pub items: Vec<SearchResult>,
    /// How many results in all.
    pub total: u64,
    /// The `cursor` of the next page; absent on the last.
    pub next_cursor: Option<String>,
    /// The words searched for instead, when those typed found nothing and near ones did
    /// ("did you mean").
    pub corrected_query: Option<String>,
}

/// A title or name offered while typing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SuggestionView {
    pub kind: DocKind,
    pub id: String,
    pub title: String,
    pub link: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Suggestions {
    pub items: Vec<SuggestionView>,
}

/// A course many joined this week.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TrendingCourse {
    pub id: String,
    pub title: String,
    pub link: String,
    /// Students who joined in the last seven days.
    pub enrollments: i64,
}

/// A post drawing comments.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TrendingPost {
    pub id: String,
    pub title: String,
    pub link: String,
    /// Comments in the last two days.
    pub comments: i64,
}

/// A course many opened.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TrendingViewedCourse {
    pub id: String,
    pub title: String,
    pub link: String,
    /// People (not its staff) who opened it in the last seven days, each once a day.
    pub viewers: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Trending {
    /// The most joined courses.
    pub courses: Vec<TrendingCourse>,
    /// The most viewed courses.
    pub viewed_courses: Vec<TrendingViewedCourse>,
    pub posts: Vec<TrendingPost>,
}

/// The words asked, checked: a query may be at most 200 characters.
fn checked_query(q: &str) -> Result<&str> {
    if q.chars().count() > QUERY_MAX {
        return Err(Error::invalid("q", "too_long", "at most 200 characters"));
    }
    Ok(q)
}

/// Where a page starts and how long it is, from the `cursor` and `limit` asked for.
fn paging(cursor: Option<&str>, limit: Option<PageSize>) -> Result<(usize, usize)> {
    let limit = limit.map_or(DEFAULT_PAGE, |limit| limit.get() as usize);
    Ok((offset_of(cursor)?, limit))
}

/// Where a page starts.
fn offset_of(cursor: Option<&str>) -> Result<usize> {
    match cursor {
        None => Ok(0),
        // Beyond the deepest page, an empty one.
        Some(cursor) => cursor
            .parse::<usize>()
            .ok()
            .filter(|_| cursor.len() <= 4)
            .map(|offset| offset.min(OFFSET_MAX + 1))
            .ok_or_else(|| Error::invalid("cursor", "invalid", "not a cursor this search gave")),
    }
}

fn page(found: Found, offset: usize, limit: usize) -> SearchResults {
    let shown = offset + found.hits.len();
    SearchResults {
        total: found.total as u64,
        next_cursor: (found.total > shown && shown <= OFFSET_MAX).then(|| shown.to_string()),
        corrected_query: found.corrected,
        items: found
            .hits
            .into_iter()
            .take(limit)
            .map(SearchResult::from)
            .collect(),
    }
}

/// Ranked results across the school's courses, lessons, posts, comments and people, held to
/// what the caller may open.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery), security(("bearer" = [])),
    responses((status = 200, body = SearchResults), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "A query longer than 200 characters, or a cursor this search did not give", body = Problem)))]
async fn search_school(
    State(search): State<Search>,
    caller: Caller,
    Query(asked): Query<SearchQuery>,
) -> Result<Json<SearchResults>> {
    let text = checked_query(&asked.q)?;
    let (offset, limit) = paging(asked.cursor.as_deref(), asked.limit)?;
    let reach = search.reaches.of(&search, &caller).await?;
    let kinds: Vec<DocKind> = match asked.kind {
        Some(kind) => vec![kind.into()],
        None => DocKind::FOUND_IN_SEARCH.to_vec(),
    };
    let ask = Ask {
        school_id: &caller.school_id,
        text,
        kinds: &kinds,
        course: asked.course.as_deref(),
        conversation: None,
        audience: reach.audience(),
        unwanted: &reach.unwanted,
        offset,
        limit,
    };
    let found = search.index.search(&ask)?;
    Ok(Json(page(found, offset, limit)))
}

/// Courses, lessons and people whose title or name starts with what was typed, for a search
/// box's suggestions.
#[utoipa::path(get, path = "/api/v1/search/suggest", tag = "search", params(SuggestQuery), security(("bearer" = [])),
    responses((status = 200, body = Suggestions), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "A query longer than 200 characters", body = Problem)))]
async fn suggest(
    State(search): State<Search>,
    caller: Caller,
    Query(asked): Query<SuggestQuery>,
) -> Result<Json<Suggestions>> {
    let text = checked_query(&asked.q)?;
    let reach = search.reaches.of(&search, &caller).await?;
    let ask = Ask {
        school_id: &caller.school_id,
        text,
        kinds: &DocKind::SUGGESTED,
        course: None,
        conversation: None,
        audience: reach.audience(),
        unwanted: &reach.unwanted,
        offset: 0,
        limit: crate::domain::SUGGESTIONS,
    };
    let items = search
        .index
        .suggest(&ask)?
        .into_iter()
        .map(|suggestion| SuggestionView {
            link: link_to(suggestion.kind, &suggestion.id, None, None),
            kind: suggestion.kind,
            id: suggestion.id,
            title: suggestion.title,
        })
        .collect();
    Ok(Json(Suggestions { items }))
}

/// Messages of one conversation, for its members only.
#[utoipa::path(get, path = "/api/v1/search/messages", tag = "search", params(MessagesQuery), security(("bearer" = [])),
    responses((status = 200, body = SearchResults), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such conversation, or the caller is not in it", body = Problem),
        (status = 422, description = "A query longer than 200 characters, or a cursor this search did not give", body = Problem)))]
async fn search_messages(
    State(search): State<Search>,
    caller: Caller,
    Query(asked): Query<MessagesQuery>,
) -> Result<Json<SearchResults>> {
    let text = checked_query(&asked.q)?;
    let (offset, limit) = paging(asked.cursor.as_deref(), asked.limit)?;
    if !reach::in_conversation(&search.db, &caller, &asked.conversation).await? {
        return Err(Error::NotFound {
            what: "conversation",
        });
    }
    // Membership decides: no audience to read, only the blocks.
    let unwanted = reach::unwanted(&search.db, &caller).await?;
    let ask = Ask {
        school_id: &caller.school_id,
        text,
        kinds: &[DocKind::Message],
        course: None,
        conversation: Some(&asked.conversation),
        audience: None,
        unwanted: &unwanted,
        offset,
        limit,
    };
    let found = search.index.search(&ask)?;
    Ok(Json(page(found, offset, limit)))
}

/// The school's most joined and most viewed courses of the last seven days (views: people
/// other than its staff who opened it, each once a day) and the posts drawing the most
/// comments in the last two, among those the caller may open.
#[utoipa::path(get, path = "/api/v1/search/trending", tag = "search", security(("bearer" = [])),
    responses((status = 200, body = Trending), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn trending(State(search): State<Search>, caller: Caller) -> Result<Json<Trending>> {
    let reach = search.reaches.of(&search, &caller).await?;
    Ok(Json(crate::trending::of(&search, &caller, &reach).await?))
}
