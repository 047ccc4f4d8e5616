//! Lists: a school's people, searched and filtered, and the platform's schools.

use campus_contracts::identity::{AccountStatus, Role};
use campus_platform::{db::Db, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{UserRow, USER_COLUMNS};
use crate::domain::Registration;

/// Which of a school's people to list.
pub struct PeopleFilter<'a> {
    /// Part of a name or email.
    pub text: Option<&'a str>,
    pub role: Option<Role>,
    pub status: Option<AccountStatus>,
    /// List people after this id.
    pub after: &'a str,
    pub limit: i64,
}

/// A page of the school's people by id, one more than `limit` so the caller knows whether
/// more follow.
pub async fn people(db: &Db, school_id: &str, filter: &PeopleFilter<'_>) -> Result<Vec<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE school_id = $1 AND id > $2 \
         AND ($3 = '' OR email LIKE $3 ESCAPE '\\' OR LOWER(display_name) LIKE $3 ESCAPE '\\') \
         AND ($4 = '' OR role = $4) AND ($5 = '' OR status = $5) ORDER BY id LIMIT $6"
    ))
    .bind(school_id)
    .bind(filter.after)
    .bind(filter.text.map(like_pattern).unwrap_or_default())
    .bind(filter.role.map(Role::as_str).unwrap_or_default())
    .bind(filter.status.map(AccountStatus::as_str).unwrap_or_default())
    .bind(filter.limit + 1)
    .fetch_all(db.pool())
    .await?)
}

#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct SchoolSummary {
    pub id: String,
    pub slug: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub registration: Registration,
    /// People with an account, active or not.
    pub people: i64,
}

/// A page of the platform's schools by id, matching `text` in their slug or name.
pub async fn schools(
    db: &Db,
    text: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<SchoolSummary>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.slug, s.name, s.registration, \
         (SELECT COUNT(*) FROM users u WHERE u.school_id = s.id) AS people \
         FROM schools s WHERE s.id > $1 \
         AND ($2 = '' OR s.slug LIKE $2 ESCAPE '\\' OR LOWER(s.name) LIKE $2 ESCAPE '\\') \
         ORDER BY s.id LIMIT $3",
    )
    .bind(after)
    .bind(text.map(like_pattern).unwrap_or_default())
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?)
}

/// `%text%` for LIKE, with the caller's `%`, `_` and `\` taken literally; empty for blank text.
fn like_pattern(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
