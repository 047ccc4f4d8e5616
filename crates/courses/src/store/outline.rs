//! Modules and lessons: reading a course's outline, and every change to its structure. Each
//! change also touches the course, so its `updated_at` moves and its cached outline is
//! forgotten.

use campus_platform::{db::Db, id, time, Result};

use super::{courses, Change, CourseRow};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ModuleRow {
    pub id: String,
    pub course_id: String,
    pub title: String,
    pub position: i64,
    pub requires_previous: i64,
}

/// A lesson without its body: what outlines and progress need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LessonHead {
    pub id: String,
    pub module_id: String,
    pub title: String,
    pub position: i64,
    pub estimated_minutes: Option<i64>,
    pub required: i64,
    pub published: i64,
    pub has_video: i64,
}

/// A lesson in full, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LessonRow {
    pub id: String,
    pub module_id: String,
    pub course_id: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub video_url: Option<String>,
    pub video_embed_url: Option<String>,
    /// JSON array of `{name, url}`.
    pub attachments: String,
    pub estimated_minutes: Option<i64>,
    pub required: i64,
    pub published: i64,
    pub position: i64,
    pub updated_at: i64,
}

const MODULE_COLUMNS: &str = "id, course_id, title, position, requires_previous";

const LESSON_COLUMNS: &str = "id, module_id, course_id, title, body, body_html, video_url, \
     video_embed_url, attachments, estimated_minutes, required, published, position, updated_at";

/// A teacher of a course, for its page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Teacher {
    pub user_id: String,
    pub display_name: Option<String>,
}

/// A course's modules and lessons in order, in two queries whatever the course's size.
pub(crate) async fn of_course(
    db: &Db,
    course_id: &str,
) -> Result<(Vec<ModuleRow>, Vec<LessonHead>)> {
    let modules = sqlx::query_as(&format!(
        "SELECT {MODULE_COLUMNS} FROM modules WHERE course_id = $1 ORDER BY position, id"
    ))
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

/// The course's teachers with their names, in the order they joined.
pub(crate) async fn teachers(db: &Db, course_id: &str) -> Result<Vec<Teacher>> {
    Ok(sqlx::query_as(
        "SELECT m.user_id, p.display_name FROM members m \
         LEFT JOIN people p ON p.user_id = m.user_id \
         WHERE m.course_id = $1 AND m.role = 'teacher' ORDER BY m.joined_at",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn module(db: &Db, school_id: &str, module_id: &str) -> Result<Option<ModuleRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MODULE_COLUMNS} FROM modules WHERE id = $1 AND school_id = $2"
    ))
    .bind(module_id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Appends a module to the course; returns its position.
pub(crate) async fn add_module(
    change: &mut Change,
    course: &CourseRow,
    id: &str,
    title: &str,
    requires_previous: bool,
) -> Result<i64> {
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(position) FROM modules WHERE course_id = $1")
            .bind(&course.id)
            .fetch_one(change.conn())
            .await?;
    let position = last.map_or(0, |p| p + 1);
    sqlx::query(
        "INSERT INTO modules (id, course_id, school_id, title, position, requires_previous, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(&course.id)
    .bind(&course.school_id)
    .bind(title)
    .bind(position)
    .bind(i64::from(requires_previous))
    .bind(time::now_ms())
    .execute(change.conn())
    .await?;
    courses::touch(change, course).await?;
    Ok(position)
}

pub(crate) async fn update_module(
    change: &mut Change,
    course: &CourseRow,
    module: &ModuleRow,
) -> Result<()> {
    sqlx::query(
        "UPDATE modules SET title = $1, requires_previous = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(&module.title)
    .bind(module.requires_previous)
    .bind(time::now_ms())
    .bind(&module.id)
    .execute(change.conn())
    .await?;
    courses::touch(change, course).await
}

/// Removes a module with its lessons and the progress recorded on them.
pub(crate) async fn delete_module(
    change: &mut Change,
    course: &CourseRow,
    module_id: &str,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM completions WHERE lesson_id IN (SELECT id FROM lessons WHERE module_id = $1)",
    )
    .bind(module_id)
    .execute(change.conn())
    .await?;
    sqlx::query("DELETE FROM lessons WHERE module_id = $1")
        .bind(module_id)
        .execute(change.conn())
        .await?;
    sqlx::query("DELETE FROM modules WHERE id = $1")
        .bind(module_id)
        .execute(change.conn())
        .await?;
    courses::touch(change, course).await
}

/// The ids of the course's modules, or of a module's lessons, as they are now.
pub(crate) async fn module_ids(change: &mut Change, course_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM modules WHERE course_id = $1")
        .bind(course_id)
        .fetch_all(change.conn())
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub(crate) async fn lesson_ids(change: &mut Change, module_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM lessons WHERE module_id = $1")
        .bind(module_id)
        .fetch_all(change.conn())
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// What can be put in a new order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ordered {
    Modules,
    Lessons,
}

/// Writes positions 0.. in the order given.
pub(crate) async fn set_order(
    change: &mut Change,
    course: &CourseRow,
    what: Ordered,
    ids: &[String],
) -> Result<()> {
    let statement = match what {
        Ordered::Modules => "UPDATE modules SET position = $1, updated_at = $2 WHERE id = $3",
        Ordered::Lessons => "UPDATE lessons SET position = $1, updated_at = $2 WHERE id = $3",
    };
    for (position, id) in ids.iter().enumerate() {
        sqlx::query(statement)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(time::now_ms())
            .bind(id)
            .execute(change.conn())
            .await?;
    }
    courses::touch(change, course).await
}

pub(crate) async fn lesson(db: &Db, school_id: &str, lesson_id: &str) -> Result<Option<LessonRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LESSON_COLUMNS} FROM lessons WHERE id = $1 AND school_id = $2"
    ))
    .bind(lesson_id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Appends `lesson` to its module (its position is set here).
pub(crate) async fn add_lesson(
    change: &mut Change,
    course: &CourseRow,
    lesson: &mut LessonRow,
) -> Result<()> {
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(position) FROM lessons WHERE module_id = $1")
            .bind(&lesson.module_id)
            .fetch_one(change.conn())
            .await?;
    lesson.position = last.map_or(0, |p| p + 1);
    insert_lesson(change, &course.school_id, lesson).await?;
    courses::touch(change, course).await
}

async fn insert_lesson(change: &mut Change, school_id: &str, lesson: &LessonRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO lessons ({LESSON_COLUMNS}, school_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14)"
    ))
    .bind(&lesson.id)
    .bind(&lesson.module_id)
    .bind(&lesson.course_id)
    .bind(&lesson.title)
    .bind(&lesson.body)
    .bind(&lesson.body_html)
    .bind(&lesson.video_url)
    .bind(&lesson.video_embed_url)
    .bind(&lesson.attachments)
    .bind(lesson.estimated_minutes)
    .bind(lesson.required)
    .bind(lesson.published)
    .bind(lesson.position)
    .bind(lesson.updated_at)
    .bind(school_id)
    .execute(change.conn())
    .await?;
    Ok(())
}

pub(crate) async fn update_lesson(
    change: &mut Change,
    course: &CourseRow,
    lesson: &LessonRow,
) -> Result<()> {
    sqlx::query(
        "UPDATE lessons SET title = $1, body = $2, body_html = $3, video_url = $4, \
         video_embed_url = $5, attachments = $6, estimated_minutes = $7, required = $8, \
         published = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(&lesson.title)
    .bind(&lesson.body)
    .bind(&lesson.body_html)
    .bind(&lesson.video_url)
    .bind(&lesson.video_embed_url)
    .bind(&lesson.attachments)
    .bind(lesson.estimated_minutes)
    .bind(lesson.required)
    .bind(lesson.published)
    .bind(lesson.updated_at)
    .bind(&lesson.id)
    .execute(change.conn())
    .await?;
    courses::touch(change, course).await
}

/// Removes a lesson and the progress recorded on it.
pub(crate) async fn delete_lesson(
    change: &mut Change,
    course: &CourseRow,
    lesson_id: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM completions WHERE lesson_id = $1")
        .bind(lesson_id)
        .execute(change.conn())
        .await?;
    sqlx::query("DELETE FROM lessons WHERE id = $1")
        .bind(lesson_id)
        .execute(change.conn())
        .await?;
    courses::touch(change, course).await
}

/// The course's published lessons in course order: (lesson, module, title).
pub(crate) async fn published_lessons(
    change: &mut Change,
    course_id: &str,
) -> Result<Vec<(String, String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT l.id, l.module_id, l.title, l.body FROM lessons l JOIN modules m ON m.id = l.module_id \
         WHERE l.course_id = $1 AND l.published = 1 ORDER BY m.position, l.position",
    )
    .bind(course_id)
    .fetch_all(change.conn())
    .await?)
}

/// Copies a course's modules and lessons into `copy`, with new ids, in the same order.
pub(crate) async fn copy(change: &mut Change, from_course: &str, copy: &CourseRow) -> Result<()> {
    let now = time::now_ms();
    let modules: Vec<ModuleRow> = sqlx::query_as(&format!(
        "SELECT {MODULE_COLUMNS} FROM modules WHERE course_id = $1"
    ))
    .bind(from_course)
    .fetch_all(change.conn())
    .await?;
    for module in modules {
        let module_id = id::new_id_string();
        sqlx::query(
            "INSERT INTO modules (id, course_id, school_id, title, position, requires_previous, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&module_id)
        .bind(&copy.id)
        .bind(&copy.school_id)
        .bind(&module.title)
        .bind(module.position)
        .bind(module.requires_previous)
        .bind(now)
        .execute(change.conn())
        .await?;
        let lessons: Vec<LessonRow> = sqlx::query_as(&format!(
            "SELECT {LESSON_COLUMNS} FROM lessons WHERE module_id = $1"
        ))
        .bind(&module.id)
        .fetch_all(change.conn())
        .await?;
        for lesson in lessons {
            let copied = LessonRow {
                id: id::new_id_string(),
                module_id: module_id.clone(),
                course_id: copy.id.clone(),
                updated_at: now,
                ..lesson
            };
            insert_lesson(change, &copy.school_id, &copied).await?;
        }
    }
    change.course_changed(&copy.school_id, &copy.id);
    Ok(())
}
