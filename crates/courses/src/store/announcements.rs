//! Course announcements, newest first.

use campus_platform::{db::Db, Result};

use super::Change;

/// An announcement with its author's name from the people directory.
#[derive(sqlx::FromRow)]
pub(crate) struct AnnouncementRow {
    pub id: String,
    pub course_id: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub title: String,
    pub body_html: String,
    pub created_at: i64,
}

/// A page of the course's announcements older than `before` (all when empty), newest first,
/// one more than `limit` so the caller knows whether more follow.
pub(crate) async fn page(
    db: &Db,
    course_id: &str,
    before: &str,
    limit: i64,
) -> Result<Vec<AnnouncementRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.course_id, a.author_id, p.display_name AS author_name, a.title, \
         a.body_html, a.created_at FROM announcements a \
         LEFT JOIN people p ON p.user_id = a.author_id \
         WHERE a.course_id = $1 AND ($2 = '' OR a.id < $2) ORDER BY a.id DESC LIMIT $3",
    )
    .bind(course_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) struct NewAnnouncement<'a> {
    pub id: &'a str,
    pub course_id: &'a str,
    pub school_id: &'a str,
    pub author_id: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub created_at: i64,
}

pub(crate) async fn insert(change: &mut Change, new: &NewAnnouncement<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO announcements (id, course_id, school_id, author_id, title, body, body_html, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new.id)
    .bind(new.course_id)
    .bind(new.school_id)
    .bind(new.author_id)
    .bind(new.title)
    .bind(new.body)
    .bind(new.body_html)
    .bind(new.created_at)
    .execute(change.conn())
    .await?;
    Ok(())
}
