//! The school's catalogue: published courses for everyone, the drafts a caller runs, filters,
//! text search, three orders and cursor paging, served from the in-memory shelf.

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use campus_platform::{
    error::Problem,
    http::Query,
    pagination::{self, Page},
    people::Caller,
    Result,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::view::CourseSummary;
use crate::{
    access::effective,
    domain::{CourseRole, Visibility},
    shelf::ShelvedCourse,
    Courses,
};

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
) -> Result<Response> {
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
        let place = places
            .get(&row.id)
            .and_then(|role| effective(*role, &caller));
        // The rule of `CourseAccess::can_see`, applied to the whole shelf.
        let visible = match visibility {
            Visibility::Published => true,
            Visibility::Draft => {
                admin
                    || course.staff.iter().any(|(user, role)| {
                        user == &caller.user_id && effective(*role, &caller).is_some()
                    })
            }
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
    let page = Page::of(page, limit, |c| c.row.id.clone());
    let json = page_json(&page, |course| {
        places
            .get(&course.row.id)
            .and_then(|role| effective(*role, &caller))
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// The page as JSON (exactly `Page<CourseSummary>`), from each course's summary written when
/// the shelf was loaded plus the reader's role: a catalogue page costs no serialization of its
/// own, which was its largest cost.
fn page_json(
    page: &Page<&ShelvedCourse>,
    role: impl Fn(&ShelvedCourse) -> Option<CourseRole>,
) -> Result<String> {
    let size: usize = page.items.iter().map(|c| c.summary_json.len() + 16).sum();
    let mut json = String::with_capacity(size + 64);
    json.push_str("{\"items\":[");
    for (i, course) in page.items.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&course.summary_json);
        json.push_str(CourseSummary::role_json(role(course)));
        json.push('}');
    }
    json.push_str("],\"next_cursor\":");
    json.push_str(&serde_json::to_string(&page.next_cursor).map_err(anyhow::Error::from)?);
    json.push('}');
    Ok(json)
}

fn normalised(filter: Option<String>) -> String {
    filter.map(|f| f.trim().to_lowercase()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::EnrollmentMode, store::CourseRow};

    fn course(id: &str, title: &str) -> ShelvedCourse {
        let row = CourseRow {
            id: id.into(),
            school_id: "s".into(),
            title: title.into(),
            summary: "Cells, \"life\" and\nmore — ünïcode".into(),
            description: String::new(),
            description_html: String::new(),
            subject: Some("Biology".into()),
            grade_level: None,
            tags: r#"["lab","<b>"]"#.into(),
            cover_image_url: None,
            language: Some("en".into()),
            visibility: Visibility::Published,
            public: 1,
            enrollment_mode: EnrollmentMode::Code,
            enrollment_code: String::new(),
            price_cents: 0,
            currency: None,
            created_by: "t".into(),
            created_at: 1_764_000_000_000,
            updated_at: 1_764_000_100_000,
            published_at: Some(1_764_000_200_000),
        };
        ShelvedCourse {
            summary_json: CourseSummary::json_before_role(&row),
            tags: row.tag_list(),
            sort_title: title.to_lowercase(),
            search_text: String::new(),
            staff: Vec::new(),
            row,
        }
    }

    /// The catalogue writes its answer from pieces; it must be exactly what serializing the
    /// documented `Page<CourseSummary>` gives.
    #[test]
    fn a_catalogue_page_written_from_pieces_is_the_documented_page() {
        let (a, b) = (course("01A", "Biology \"101\""), course("01B", "Art"));
        let roles =
            |course: &ShelvedCourse| (course.row.id == "01B").then_some(CourseRole::Teacher);
        for next_cursor in [None, Some("01B".to_owned())] {
            let page = Page {
                items: vec![&a, &b],
                next_cursor: next_cursor.clone(),
            };
            let written: serde_json::Value =
                serde_json::from_str(&page_json(&page, roles).unwrap()).unwrap();
            let expected = Page {
                items: vec![
                    CourseSummary::of(&a.row, roles(&a)),
                    CourseSummary::of(&b.row, roles(&b)),
                ],
                next_cursor,
            };
            assert_eq!(written, serde_json::to_value(&expected).unwrap());
        }
        let empty = Page::<&ShelvedCourse> {
            items: Vec::new(),
            next_cursor: None,
        };
        assert_eq!(
            page_json(&empty, roles).unwrap(),
            r#"{"items":[],"next_cursor":null}"#
        );
    }
}
