//! Identity's SQL for schools and people. Every query on users is scoped by school. Rooms:
//! `directory` (listing and searching a school's people and the platform's schools) and
//! `audit` (the audit log); finding, inserting and changing one school or person is here.
//! (Keys, sessions, second factors, recovery tokens, throttling and outgoing mail keep their
//! SQL in their own modules, each of which owns one table.)

pub(crate) mod audit;
pub(crate) mod directory;

use campus_contracts::identity::AccountStatus;
use campus_platform::{
    auth::Role,
    db::{Db, UnitOfWork},
    time, Error, Result,
};
use sqlx::AnyConnection;

use crate::domain::Registration;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SchoolRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub registration: Registration,
    pub join_code: String,
    /// IANA name.
    pub time_zone: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub school_id: String,
    pub email: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(try_from = "String")]
    pub status: AccountStatus,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub grade_level: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub created_at: i64,
    pub email_verified_at: Option<i64>,
}

pub const USER_COLUMNS: &str =
    "id, school_id, email, display_name, role, status, bio, avatar_url, \
     grade_level, locale, time_zone, created_at, email_verified_at";

pub async fn school_by_slug(db: &Db, slug: &str) -> Result<Option<SchoolRow>> {
    Ok(sqlx::query_as(
        "SELECT id, slug, name, registration, join_code, time_zone FROM schools WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn school_by_id(db: &Db, id: &str) -> Result<Option<SchoolRow>> {
    Ok(sqlx::query_as(
        "SELECT id, slug, name, registration, join_code, time_zone FROM schools WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn insert_school(conn: &mut AnyConnection, school: &SchoolRow) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO schools (id, slug, name, registration, join_code, created_at, time_zone) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (slug) DO NOTHING",
    )
    .bind(&school.id)
    .bind(&school.slug)
    .bind(&school.name)
    .bind(school.registration.as_str())
    .bind(&school.join_code)
    .bind(time::now_ms())
    .bind(&school.time_zone)
    .execute(conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(Error::conflict(
            "slug_taken",
            "a school with this slug exists",
        ));
    }
    Ok(())
}

/// Inserts the user and their password hash; 409 when the email is taken in that school.
pub async fn insert_user(
    uow: &mut UnitOfWork,
    user: &UserRow,
    password_hash: &str,
    self_registered: bool,
) -> Result<()> {
    let now = time::now_ms();
    let inserted = sqlx::query(
        "INSERT INTO users (id, school_id, email, display_name, role, status, created_at, updated_at, self_registered) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $6, $7) ON CONFLICT (school_id, email) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.school_id)
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(user.role.as_str())
    .bind(now)
    .bind(i64::from(self_registered))
    .execute(uow.conn())
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(Error::conflict(
            "email_taken",
            "this email already has an account in this school",
        ));
    }
    sqlx::query("INSERT INTO credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)")
        .bind(&user.id)
        .bind(password_hash)
        .bind(now)
        .execute(uow.conn())
        .await?;
    Ok(())
}

pub async fn user(db: &Db, school_id: &str, user_id: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND school_id = $2"
    ))
    .bind(user_id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?)
}

/// The user with this email in this school, and their password hash.
pub async fn user_with_credentials(
    db: &Db,
    school_id: &str,
    email: &str,
) -> Result<Option<(UserRow, String)>> {
    let user: Option<UserRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE school_id = $1 AND email = $2"
    ))
    .bind(school_id)
    .bind(email)
    .fetch_optional(db.pool())
    .await?;
    let Some(user) = user else { return Ok(None) };
    let (hash,): (String,) =
        sqlx::query_as("SELECT password_hash FROM credentials WHERE user_id = $1")
            .bind(&user.id)
            .fetch_one(db.pool())
            .await?;
    Ok(Some((user, hash)))
}

/// The profile fields `PATCH /me` may change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub display_name: Option<String>,
    pub bio: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
    pub grade_level: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub time_zone: Option<Option<String>>,
}

pub async fn update_profile(
    uow: &mut UnitOfWork,
    user: &UserRow,
    change: &ProfileChange,
) -> Result<UserRow> {
    let next = UserRow {
        display_name: change
            .display_name
            .clone()
            .unwrap_or_else(|| user.display_name.clone()),
        bio: change.bio.clone().unwrap_or_else(|| user.bio.clone()),
        avatar_url: change
            .avatar_url
            .clone()
            .unwrap_or_else(|| user.avatar_url.clone()),
        grade_level: change
            .grade_level
            .clone()
            .unwrap_or_else(|| user.grade_level.clone()),
        locale: change.locale.clone().unwrap_or_else(|| user.locale.clone()),
        time_zone: change
            .time_zone
            .clone()
            .unwrap_or_else(|| user.time_zone.clone()),
        ..user.clone()
    };
    sqlx::query(
        "UPDATE users SET display_name = $1, bio = $2, avatar_url = $3, grade_level = $4, locale = $5, \
         time_zone = $6, updated_at = $7 WHERE id = $8 AND school_id = $9",
    )
    .bind(&next.display_name)
    .bind(&next.bio)
    .bind(&next.avatar_url)
    .bind(&next.grade_level)
    .bind(&next.locale)
    .bind(&next.time_zone)
    .bind(time::now_ms())
    .bind(&next.id)
    .bind(&next.school_id)
    .execute(uow.conn())
    .await?;
    Ok(next)
}

pub async fn set_role(uow: &mut UnitOfWork, user: &UserRow, role: Role) -> Result<()> {
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND school_id = $4")
        .bind(role.as_str())
        .bind(time::now_ms())
        .bind(&user.id)
        .bind(&user.school_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

pub async fn set_status(uow: &mut UnitOfWork, user: &UserRow, status: AccountStatus) -> Result<()> {
    sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3 AND school_id = $4")
        .bind(status.as_str())
        .bind(time::now_ms())
        .bind(&user.id)
        .bind(&user.school_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

pub async fn update_school(
    uow: &mut UnitOfWork,
    school_id: &str,
    name: &str,
    registration: Registration,
    time_zone: &str,
) -> Result<()> {
    sqlx::query("UPDATE schools SET name = $1, registration = $2, time_zone = $3 WHERE id = $4")
        .bind(name)
        .bind(registration.as_str())
        .bind(time_zone)
        .bind(school_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

pub async fn set_join_code(uow: &mut UnitOfWork, school_id: &str, code: &str) -> Result<()> {
    sqlx::query("UPDATE schools SET join_code = $1 WHERE id = $2")
        .bind(code)
        .bind(school_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}
