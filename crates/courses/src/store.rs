//! Courses' SQL that more than one module needs. Every query names the school or reaches rows
//! through a course already loaded for the caller's school.

use campus_platform::{db::Db, Result};
use sqlx::AnyConnection;

use crate::domain::{EnrollmentMode, Visibility};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseRow {
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

pub const COURSE_COLUMNS: &str = "id, school_id, title, summary, description, description_html, \
     subject, grade_level, tags, cover_image_url, language, visibility, public, enrollment_mode, \
     enrollment_code, price_cents, currency, created_by, created_at, updated_at, published_at";

/// The catalogue's columns: a course row without the texts only its own page shows, so a
/// catalogue page does not carry every course's description.
pub const CATALOGUE_COLUMNS: &str = "c.id, c.school_id, c.title, c.summary, '' AS description, \
     '' AS description_html, c.subject, c.grade_level, c.tags, c.cover_image_url, c.language, \
     c.visibility, c.public, c.enrollment_mode, '' AS enrollment_code, c.price_cents, c.currency, \
     c.created_by, c.created_at, c.updated_at, c.published_at";

pub async fn course(db: &Db, school_id: &str, id: &str) -> Result<Option<CourseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 AND school_id = $2"
    ))
    .bind(id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Writes the course's searchable text and tag rows from its current title, summary and tags.
pub async fn index_course(
    conn: &mut AnyConnection,
    course_id: &str,
    school_id: &str,
    title: &str,
    summary: &str,
    tags: &[String],
) -> Result<()> {
    sqlx::query("UPDATE courses SET sort_title = $1, search_text = $2 WHERE id = $3")
        .bind(title.to_lowercase())
        .bind(format!("{} {} {}", title, summary, tags.join(" ")).to_lowercase())
        .bind(course_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM course_tags WHERE course_id = $1")
        .bind(course_id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO course_tags (course_id, school_id, tag) VALUES ($1, $2, $3)")
            .bind(course_id)
            .bind(school_id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModuleRow {
    pub id: String,
    pub course_id: String,
    pub title: String,
    pub position: i64,
    pub requires_previous: i64,
}

/// A lesson without its body: what outlines and progress need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LessonHead {
    pub id: String,
    pub module_id: String,
    pub title: String,
    pub position: i64,
    pub estimated_minutes: Option<i64>,
    pub required: i64,
    pub published: i64,
    pub has_video: i64,
}

/// A course's modules and lessons in order, in two queries whatever the course's size.
pub async fn outline(db: &Db, course_id: &str) -> Result<(Vec<ModuleRow>, Vec<LessonHead>)> {
    let modules = sqlx::query_as(
        "SELECT id, course_id, title, position, requires_previous FROM modules \
         WHERE course_id = $1 ORDER BY position, id",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?;
    let lessons = sqlx::query_as(
        "SELECT id, module_id, title, position, estimated_minutes, required, published, \
         CASE WHEN video_embed_url IS NULL THEN 0 ELSE 1 END AS has_video \
         FROM lessons WHERE course_id = $1 ORDER BY position, id",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?;
    Ok((modules, lessons))
}

/// The lessons a user has completed in a course.
pub async fn completed_lessons(db: &Db, course_id: &str, user_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT lesson_id FROM completions WHERE course_id = $1 AND user_id = $2")
            .bind(course_id)
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
