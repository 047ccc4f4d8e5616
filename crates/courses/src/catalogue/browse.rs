//! The school's catalogue: published courses for everyone, the drafts a caller runs, filters,
//! text search, three orders and cursor paging, served from the in-memory shelf.

use axum::extract::State;
use campus_platform::{
    error::Problem,
    http::{Json, Query},
    pagination::{self, Page},
    people::Caller,
    Result,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::view::CourseSummary;
use crate::{domain::Visibility, shelf::ShelvedCourse, Courses};

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Sort {
    /// Most recently created first (the default).
    #[default]
    Newest,
    Oldest,
    /// By title, A to Z.
    Title,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct CatalogueQuery {
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tag: Option<String>,
    /// Words from the title, summary or tags.
    pub q: Option<String>,
    /// `draft`, `published` or `archived`; by default published courses and the drafts the
    /// caller runs.
    #[param(inline)]
    pub visibility: Option<Visibility>,
    /// Only courses the caller has a place in.
    pub mine: Option<bool>,
    #[param(inline)]
    pub sort: Option<Sort>,
    pub cursor: Option<String>,
    /// How many to list (default 50).
    #[param(inline)]
    pub limit: Option<pagination::Limit>,
}

/// The school's catalogue: published courses for everyone, plus the drafts the caller teaches
/// (all drafts for the school's admins). Filter by subject, grade level, tag and text; sort by
/// newest, oldest or title; page with `cursor`.
#[utoipa::path(get, path = "/api/v1/courses", tag = "courses", params(CatalogueQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<CourseSummary>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn list_courses(
    State(courses): State<Courses>,
    caller: Caller,
    Query(query): Query<CatalogueQuery>,
) -> Result<Json<Page<CourseSummary>>> {
    let limit = pagination::limit(query.limit);
    let shelf = courses.caches.shelf(&courses.db, &caller.school_id).await?;
    let places = courses
        .caches
        .places(&courses.db, &caller.school_id, &caller.user_id)
        .await?;
    let admin = caller.is_admin();
    let subject = normalised(query.subject);
    let grade = normalised(query.grade_level);
    let tag = normalised(query.tag);
    let text = normalised(query.q);
    let mine = query.mine.unwrap_or(false);
    let cursor = query.cursor.unwrap_or_default();
    let listed = |course: &ShelvedCourse| {
        let row = &course.row;
        let visibility = row.visibility;
        let place = places.get(&row.id).copied();
        // The rule of `CourseAccess::can_see`, applied to the whole shelf.
        let visible = match visibility {
            Visibility::Published => true,
            Visibility::Draft => admin || course.staff.contains(&caller.user_id),
            Visibility::Archived => admin || place.is_some(),
        };
        let wanted_visibility = match query.visibility {
            None => visibility != Visibility::Archived,
            Some(asked) => visibility == asked,
        };
        let matches = |value: &Option<String>, wanted: &str| {
            wanted.is_empty() || value.as_deref().is_some_and(|v| v.to_lowercase() == wanted)
        };
        visible
            && wanted_visibility
            && (!mine || place.is_some())
            && matches(&row.subject, &subject)
            && matches(&row.grade_level, &grade)
            && (tag.is_empty() || course.tags.contains(&tag))
            && (text.is_empty() || course.search_text.contains(&text))
    };
    let ordered: Box<dyn Iterator<Item = &ShelvedCourse>> = match query.sort.unwrap_or_default() {
        Sort::Newest => Box::new(
            shelf
                .courses
                .iter()
                .rev()
                .filter(|c| cursor.is_empty() || c.row.id < cursor),
        ),
        Sort::Oldest => Box::new(shelf.courses.iter().filter(|c| c.row.id > cursor)),
        Sort::Title => {
            // Resume after the cursor's course; an unknown cursor has nothing after it.
            let after = (!cursor.is_empty()).then(|| {
                shelf
                    .courses
                    .iter()
                    .find(|c| c.row.id == cursor)
                    .map(|c| (c.sort_title.as_str(), c.row.id.as_str()))
            });
            Box::new(shelf.by_title.iter().map(|&i| &shelf.courses[i]).filter(
                move |c| match after {
                    None => true,
                    Some(None) => false,
                    Some(Some(key)) => (c.sort_title.as_str(), c.row.id.as_str()) > key,
                },
            ))
        }
    };
    let wanted = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let page: Vec<&ShelvedCourse> = ordered.filter(|c| listed(c)).take(wanted).collect();
    let page = Page::of(page, limit, |c| c.row.id.clone())
        .map(|c| CourseSummary::of(&c.row, places.get(&c.row.id).copied()));
    Ok(Json(page))
}

fn normalised(filter: Option<String>) -> String {
    filter.map(|f| f.trim().to_lowercase()).unwrap_or_default()
}
