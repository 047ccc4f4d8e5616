//! Search: the results page behind the search box in every page's header, with its filters,
//! a "did you mean" when the words typed found nothing, and what is trending when nothing was
//! asked yet. The box's suggestions as one types come from the API straight to the browser.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};

use crate::{
    api::{Failure, Visit},
    frame::{self, Frame, Rendered, Section},
    Web,
};

/// What the search form sends.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct Asked {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
}

/// The kinds the filter offers, with their labels' keys.
const KINDS: [(&str, &str); 5] = [
    ("course", "search-kind-course"),
    ("lesson", "search-kind-lesson"),
    ("post", "search-kind-post"),
    ("comment", "search-kind-comment"),
    ("person", "search-kind-person"),
];

#[derive(Debug, Deserialize)]
pub(crate) struct Result {
    pub kind: String,
    pub title: String,
    pub snippet_html: String,
    pub link: String,
}

#[derive(Debug, Deserialize)]
struct Results {
    items: Vec<Result>,
    total: u64,
    next_cursor: Option<String>,
    corrected_query: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Trend {
    pub title: String,
    pub link: String,
}

#[derive(Debug, Default, Deserialize)]
struct Trending {
    courses: Vec<Trend>,
    viewed_courses: Vec<Trend>,
    posts: Vec<Trend>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    frame: Frame,
    asked: Asked,
    kinds: [(&'static str, &'static str); 5],
    results: Vec<Result>,
    total: u64,
    /// The corrected words and the address that searches for them.
    corrected: Option<(String, String)>,
    more: Option<String>,
    trending_courses: Vec<Trend>,
    viewed_courses: Vec<Trend>,
    trending_posts: Vec<Trend>,
}

impl SearchPage {
    /// The label key of a result's kind.
    fn kind_label(&self, kind: &str) -> &'static str {
        KINDS
            .iter()
            .find(|(value, _)| *value == kind)
            .map_or("search-kind-post", |(_, label)| label)
    }
}

fn address(asked: &Asked) -> String {
    format!(
        "/search?{}",
        serde_urlencoded::to_string(asked).unwrap_or_default()
    )
}

/// `/search?q=…&type=…`: the results, or what is trending when nothing was asked.
pub(crate) async fn search(
    State(web): State<Web>,
    mut visit: Visit,
    Query(asked): Query<Asked>,
) -> Rendered {
    let me = visit.me(&web).await?;
    let asked = Asked {
        kind: if KINDS.iter().any(|(kind, _)| *kind == asked.kind) {
            asked.kind
        } else {
            String::new()
        },
        q: asked.q.chars().take(200).collect(),
        cursor: asked.cursor,
    };
    let mut page = SearchPage {
        frame: Frame::new(&visit, Some(me), Section::Search),
        asked,
        kinds: KINDS,
        results: Vec::new(),
        total: 0,
        corrected: None,
        more: None,
        trending_courses: Vec::new(),
        viewed_courses: Vec::new(),
        trending_posts: Vec::new(),
    };
    if page.asked.q.trim().is_empty() {
        let trending: Trending = web
            .api
            .get(&visit, "/api/v1/search/trending")
            .await
            .map_err(|failure| visit.fail(failure))?;
        page.trending_courses = trending.courses;
        page.viewed_courses = trending.viewed_courses;
        page.trending_posts = trending.posts;
        return Ok(frame::render(&page, StatusCode::OK));
    }
    let path = format!(
        "/api/v1/search?limit=20&{}",
        serde_urlencoded::to_string(&page.asked).unwrap_or_default()
    );
    let results: Results = match web.api.get(&visit, &path).await {
        Ok(results) => results,
        // A cursor from an older page: the first page.
        Err(Failure::Refused { .. }) if !page.asked.cursor.is_empty() => {
            page.asked.cursor.clear();
            return Ok(frame::see_other(&address(&page.asked)));
        }
        Err(failure) => return Err(visit.fail(failure)),
    };
    page.more = results.next_cursor.map(|cursor| {
        address(&Asked {
            cursor,
            q: page.asked.q.clone(),
            kind: page.asked.kind.clone(),
        })
    });
    page.corrected = results.corrected_query.map(|corrected| {
        let link = address(&Asked {
            q: corrected.clone(),
            kind: page.asked.kind.clone(),
            cursor: String::new(),
        });
        (corrected, link)
    });
    page.total = results.total;
    page.results = results.items;
    Ok(frame::render(&page, StatusCode::OK))
}
