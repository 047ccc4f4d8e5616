//! Teachers' changes to a gradebook: the course's grading scheme (categories, weights, drops,
//! letters, and which category each item is in), and a grade's override or excusal, each with
//! a reason kept in the grade's history.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use campus_platform::{
    db::Double,
    error::{Checks, FieldError, Problem},
    http::Json,
    id,
    people::Caller,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{book::Book, calculation::Scheme, Gradebook};

pub(crate) fn routes(gradebook: Gradebook) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(set_scheme))
        .routes(routes!(change_grade))
        .routes(routes!(grade_history))
        .with_state(gradebook)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemeRequest {
    pub scheme: Scheme,
    /// The category of each grade item, by item id; items left out keep theirs, `null` takes
    /// an item out of its category.
    #[serde(default)]
    pub item_categories: BTreeMap<String, Option<String>>,
}

/// Sets the course's grading scheme: its teachers and the school's admins.
#[utoipa::path(put, path = "/api/v1/courses/{id}/gradebook/scheme", tag = "gradebook", params(("id" = String, Path)), request_body = SchemeRequest, security(("bearer" = [])),
    responses((status = 200, body = Scheme), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_scheme(
    State(gradebook): State<Gradebook>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(input): Json<SchemeRequest>,
) -> Result<Json<Scheme>> {
    let standing = gradebook.rosters.standing(&caller, &course_id).await?;
    standing.require_teacher()?;
    let mut checks = Checks::default();
    for (field, message) in input.scheme.check() {
        checks.push(FieldError::new(
            format!("scheme.{field}"),
            "invalid",
            message,
        ));
    }
    let book = Book::load(&gradebook.db, &course_id).await?;
    for (item_id, category) in &input.item_categories {
        if !book.items.iter().any(|item| &item.id == item_id) {
            checks.push(FieldError::new(
                format!("item_categories.{item_id}"),
                "unknown_item",
                "not a grade item of this course",
            ));
        }
        if let Some(category) = category {
            if !input.scheme.categories.iter().any(|c| &c.id == category) {
                checks.push(FieldError::new(
                    format!("item_categories.{item_id}"),
                    "unknown_category",
                    "not a category of the scheme",
                ));
            }
        }
    }
    checks.finish()?;
    let now = time::now_ms();
    let text = serde_json::to_string(&input.scheme).map_err(Error::internal)?;
    let mut uow = gradebook.db.begin().await?;
    sqlx::query(
        "INSERT INTO schemes (course_id, school_id, scheme, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (course_id) DO UPDATE SET scheme = $3, updated_by = $4, updated_at = $5",
    )
    .bind(&course_id)
    .bind(&caller.school_id)
    .bind(&text)
    .bind(&caller.user_id)
    .bind(now)
    .execute(uow.conn())
    .await?;
    for (item_id, category) in &input.item_categories {
        sqlx::query("UPDATE grade_items SET category_id = $1, updated_at = $2 WHERE id = $3 AND course_id = $4")
            .bind(category)
            .bind(now)
            .bind(item_id)
            .bind(&course_id)
            .execute(uow.conn())
            .await?;
    }
    uow.commit().await?;
    Ok(Json(input.scheme))
}

/// A teacher's word on one grade: an override of its points (the late penalty no longer
/// applies), taking the override back (`override_points: null`), or excusing the student.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GradeChange {
    #[serde(default, with = "campus_platform::http::double_option")]
    #[schema(minimum = 0)]
    pub override_points: Option<Option<f64>>,
    pub excused: Option<bool>,
    /// Why: kept in the grade's history, shown to the student.
    #[schema(schema_with = campus_platform::openapi::fields::required_text::<1000>)]
    pub reason: String,
}

/// One change to a grade, as its history shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub(crate) struct HistoryEntry {
    pub change: String,
    pub points: Option<f64>,
    pub changed_by: String,
    pub reason: Option<String>,
    #[serde(skip)]
    #[schema(ignore)]
    pub changed_at: i64,
    #[sqlx(skip)]
    pub at: String,
}

/// Overrides or excuses one student's grade on one item, with a reason.
#[utoipa::path(put, path = "/api/v1/courses/{id}/gradebook/grades/{item_id}/{student_id}", tag = "gradebook",
    params(("id" = String, Path), ("item_id" = String, Path), ("student_id" = String, Path)), request_body = GradeChange, security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn change_grade(
    State(gradebook): State<Gradebook>,
    caller: Caller,
    Path((course_id, item_id, student_id)): Path<(String, String, String)>,
    Json(input): Json<GradeChange>,
) -> Result<Json<Vec<HistoryEntry>>> {
    let standing = gradebook.rosters.standing(&caller, &course_id).await?;
    standing.require_teacher()?;
    let book = Book::load(&gradebook.db, &course_id).await?;
    let item = book
        .items
        .iter()
        .find(|item| item.id == item_id)
        .ok_or(Error::NotFound { what: "grade item" })?;
    let place = gradebook.rosters.place(&course_id, &student_id).await?;
    if place != Some(campus_contracts::courses::CourseRole::Student) {
        return Err(Error::NotFound { what: "student" });
    }
    let mut checks = Checks::default();
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        checks.push(FieldError::new(
            "reason",
            "required",
            "say why (1 to 1000 characters)",
        ));
    }
    if let Some(Some(points)) = input.override_points {
        if !points.is_finite() || points < 0.0 || points > item.max_points.max(0.0) * 2.0 + 100.0 {
            checks.push(FieldError::new(
                "override_points",
                "out_of_range",
                "0 up to the item's points",
            ));
        }
    }
    if input.override_points.is_none() && input.excused.is_none() {
        checks.push(FieldError::new(
            "body",
            "nothing_to_change",
            "give override_points, excused, or both",
        ));
    }
    checks.finish()?;
    let now = time::now_ms();
    let mut uow = gradebook.db.begin().await?;
    sqlx::query(
        "INSERT INTO grades (item_id, student_id, course_id, school_id, points, days_late, excused, updated_at) \
         VALUES ($1, $2, $3, $4, NULL, 0, 0, $5) ON CONFLICT (item_id, student_id) DO NOTHING",
    )
    .bind(&item_id)
    .bind(&student_id)
    .bind(&course_id)
    .bind(&caller.school_id)
    .bind(now)
    .execute(uow.conn())
    .await?;
    let mut changes = Vec::new();
    if let Some(points) = input.override_points {
        sqlx::query("UPDATE grades SET override_points = $1, override_reason = $2, updated_at = $3 WHERE item_id = $4 AND student_id = $5")
            .bind(Double(points))
            .bind(points.map(|_| reason))
            .bind(now)
            .bind(&item_id)
            .bind(&student_id)
            .execute(uow.conn())
            .await?;
        changes.push((
            if points.is_some() {
                "overridden"
            } else {
                "override_removed"
            },
            points,
        ));
    }
    if let Some(excused) = input.excused {
        sqlx::query("UPDATE grades SET excused = $1, updated_at = $2 WHERE item_id = $3 AND student_id = $4")
            .bind(i64::from(excused))
            .bind(now)
            .bind(&item_id)
            .bind(&student_id)
            .execute(uow.conn())
            .await?;
        changes.push((if excused { "excused" } else { "unexcused" }, None));
    }
    for (change, points) in changes {
        sqlx::query(
            "INSERT INTO grade_history (id, item_id, student_id, course_id, change, points, changed_by, reason, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id::new_id_string())
        .bind(&item_id)
        .bind(&student_id)
        .bind(&course_id)
        .bind(change)
        .bind(Double(points))
        .bind(&caller.user_id)
        .bind(reason)
        .bind(now)
        .execute(uow.conn())
        .await?;
    }
    uow.commit().await?;
    Ok(Json(history(&gradebook, &item_id, &student_id).await?))
}

async fn history(
    gradebook: &Gradebook,
    item_id: &str,
    student_id: &str,
) -> Result<Vec<HistoryEntry>> {
    let mut entries: Vec<HistoryEntry> = sqlx::query_as(
        "SELECT change, points, changed_by, reason, changed_at FROM grade_history \
         WHERE item_id = $1 AND student_id = $2 ORDER BY changed_at, id",
    )
    .bind(item_id)
    .bind(student_id)
    .fetch_all(gradebook.db.pool())
    .await?;
    for entry in &mut entries {
        entry.at = time::rfc3339(entry.changed_at);
    }
    Ok(entries)
}

/// A grade's history: who changed it, when and why. For the course's staff, and for the
/// student it belongs to.
#[utoipa::path(get, path = "/api/v1/courses/{id}/gradebook/grades/{item_id}/{student_id}", tag = "gradebook",
    params(("id" = String, Path), ("item_id" = String, Path), ("student_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn grade_history(
    State(gradebook): State<Gradebook>,
    caller: Caller,
    Path((course_id, item_id, student_id)): Path<(String, String, String)>,
) -> Result<Json<Vec<HistoryEntry>>> {
    let standing = gradebook.rosters.standing(&caller, &course_id).await?;
    if !standing.is_staff() && caller.user_id != student_id {
        return Err(Error::forbidden(
            "a grade's history is for its student and the course's staff",
        ));
    }
    let book = Book::load(&gradebook.db, &course_id).await?;
    let item = book
        .items
        .iter()
        .find(|item| item.id == item_id)
        .ok_or(Error::NotFound { what: "grade item" })?;
    let mut entries = history(&gradebook, &item_id, &student_id).await?;
    if !standing.is_staff() && item.released != 1 {
        // Before release a student sees the teacher's own words (overrides, excusals) only.
        entries.retain(|entry| entry.change != "graded");
    }
    Ok(Json(entries))
}
