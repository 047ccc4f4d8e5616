//! The courses themselves: their rows, the catalogue's columns and search text, and every
//! change to a course's details, visibility and enrollment code.

use campus_platform::{db::Db, time, Result};
use sqlx::AnyConnection;

use super::Change;
use crate::domain::{EnrollmentMode, Visibility};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CourseRow {
    pub id: String,
    pub school_id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub description_html: String,
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    /// JSON array.
    pub tags: String,
    pub cover_image_url: Option<String>,
    pub language: Option<String>,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    pub public: i64,
    #[sqlx(try_from = "String")]
    pub enrollment_mode: EnrollmentMode,
    pub enrollment_code: String,
    pub price_cents: i64,
    pub currency: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

impl CourseRow {
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
}

const COURSE_COLUMNS: &str = "id, school_id, title, summary, description, \
     description_html, subject, grade_level, tags, cover_image_url, language, visibility, public, \
     enrollment_mode, enrollment_code, price_cents, currency, created_by, created_at, updated_at, \
     published_at";

/// The catalogue's columns: a course row without the texts only its own page shows, so a
/// catalogue page does not carry every course's description.
const CATALOGUE_COLUMNS: &str = "c.id, c.school_id, c.title, c.summary, '' AS description, \
     '' AS description_html, c.subject, c.grade_level, c.tags, c.cover_image_url, c.language, \
     c.visibility, c.public, c.enrollment_mode, '' AS enrollment_code, c.price_cents, c.currency, \
     c.created_by, c.created_at, c.updated_at, c.published_at";

/// A course as the catalogue keeps it: its catalogue row, and what sorting and text search use.
#[derive(sqlx::FromRow)]
pub(crate) struct CatalogueRow {
    #[sqlx(flatten)]
    pub course: CourseRow,
    pub sort_title: String,
    pub search_text: String,
}

pub(crate) async fn course(db: &Db, school_id: &str, id: &str) -> Result<Option<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 AND school_id = $2"
    ))
    .bind(id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Every course of the school, by id, in one query.
pub(crate) async fn catalogue(db: &Db, school_id: &str) -> Result<Vec<CatalogueRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CATALOGUE_COLUMNS}, c.sort_title, c.search_text FROM courses c \
         WHERE c.school_id = $1 ORDER BY c.id"
    ))
    .bind(school_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn insert(change: &mut Change, course: &CourseRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO courses ({COURSE_COLUMNS}, sort_title, search_text) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21, '', '')"
    ))
    .bind(&course.id)
    .bind(&course.school_id)
    .bind(&course.title)
    .bind(&course.summary)
    .bind(&course.description)
    .bind(&course.description_html)
    .bind(&course.subject)
    .bind(&course.grade_level)
    .bind(&course.tags)
    .bind(&course.cover_image_url)
    .bind(&course.language)
    .bind(course.visibility.as_str())
    .bind(course.public)
    .bind(course.enrollment_mode.as_str())
    .bind(&course.enrollment_code)
    .bind(course.price_cents)
    .bind(&course.currency)
    .bind(&course.created_by)
    .bind(course.created_at)
    .bind(course.updated_at)
    .bind(course.published_at)
    .execute(change.conn())
    .await?;
    index(change.conn(), course).await?;
    change.course_changed(&course.school_id, &course.id);
    Ok(())
}

/// Writes the details a teacher may change.
pub(crate) async fn update_details(change: &mut Change, course: &CourseRow) -> Result<()> {
    sqlx::query(
        "UPDATE courses SET title = $1, summary = $2, description = $3, description_html = $4, \
         subject = $5, grade_level = $6, tags = $7, cover_image_url = $8, language = $9, \
         enrollment_mode = $10, public = $11, price_cents = $12, currency = $13, updated_at = $14 \
         WHERE id = $15 AND school_id = $16",
    )
    .bind(&course.title)
    .bind(&course.summary)
    .bind(&course.description)
    .bind(&course.description_html)
    .bind(&course.subject)
    .bind(&course.grade_level)
    .bind(&course.tags)
    .bind(&course.cover_image_url)
    .bind(&course.language)
    .bind(course.enrollment_mode.as_str())
    .bind(course.public)
    .bind(course.price_cents)
    .bind(&course.currency)
    .bind(course.updated_at)
    .bind(&course.id)
    .bind(&course.school_id)
    .execute(change.conn())
    .await?;
    index(change.conn(), course).await?;
    change.course_changed(&course.school_id, &course.id);
    Ok(())
}

/// Makes the course visible to the school; its first publication is remembered.
pub(crate) async fn publish(change: &mut Change, course: &CourseRow) -> Result<()> {
    sqlx::query(
        "UPDATE courses SET visibility = 'published', published_at = COALESCE(published_at, $1), \
         updated_at = $1 WHERE id = $2 AND school_id = $3",
    )
    .bind(time::now_ms())
    .bind(&course.id)
    .bind(&course.school_id)
    .execute(change.conn())
    .await?;
    change.course_changed(&course.school_id, &course.id);
    Ok(())
}

pub(crate) async fn archive(change: &mut Change, course: &CourseRow) -> Result<()> {
    sqlx::query(
        "UPDATE courses SET visibility = 'archived', updated_at = $1 WHERE id = $2 AND school_id = $3",
    )
    .bind(time::now_ms())
    .bind(&course.id)
    .bind(&course.school_id)
    .execute(change.conn())
    .await?;
    change.course_changed(&course.school_id, &course.id);
    Ok(())
}

pub(crate) async fn set_enrollment_code(
    change: &mut Change,
    course: &CourseRow,
    code: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE courses SET enrollment_code = $1, updated_at = $2 WHERE id = $3 AND school_id = $4",
    )
    .bind(code)
    .bind(time::now_ms())
    .bind(&course.id)
    .bind(&course.school_id)
    .execute(change.conn())
    .await?;
    change.course_changed(&course.school_id, &course.id);
    Ok(())
}

/// Marks the course changed, so its `updated_at` tells readers its outline moved.
pub(crate) async fn touch(change: &mut Change, course: &CourseRow) -> Result<()> {
    sqlx::query("UPDATE courses SET updated_at = $1 WHERE id = $2")
        .bind(time::now_ms())
        .bind(&course.id)
        .execute(change.conn())
        .await?;
    change.course_changed(&course.school_id, &course.id);
    Ok(())
}

/// Writes the course's sort title, searchable text and tag rows from its current details.
async fn index(conn: &mut AnyConnection, course: &CourseRow) -> Result<()> {
    let tags = course.tag_list();
    sqlx::query("UPDATE courses SET sort_title = $1, search_text = $2 WHERE id = $3")
        .bind(course.title.to_lowercase())
        .bind(format!("{} {} {}", course.title, course.summary, tags.join(" ")).to_lowercase())
        .bind(&course.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM course_tags WHERE course_id = $1")
        .bind(&course.id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO course_tags (course_id, school_id, tag) VALUES ($1, $2, $3)")
            .bind(&course.id)
            .bind(&course.school_id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
