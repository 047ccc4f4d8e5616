use campus_platform::{
    db::{Db, UnitOfWork},
    Result,
};

use super::Caches;
use crate::domain::Rules;

/// The school's rules (kept in memory for a moment).
pub(crate) async fn rules(db: &Db, caches: &Caches, school_id: &str) -> Result<Rules> {
    caches
        .rules
        .get_or_load(&school_id.to_owned(), || read(db, school_id))
        .await
}

async fn read(db: &Db, school_id: &str) -> Result<Rules> {
    let found: Option<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT students_post_to_school, students_post_on_profiles, student_profiles_public, \
         words FROM social_settings WHERE school_id = $1",
    )
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(match found {
        None => Rules::default(),
        Some((school, profiles, public, words)) => Rules {
            students_post_to_school: school != 0,
            students_post_on_profiles: profiles != 0,
            student_profiles_public: public != 0,
            words: words.lines().map(str::to_owned).collect(),
        },
    })
}

/// Saves the school's rules; answers whether students' profiles were public before.
pub(crate) async fn save(
    uow: &mut UnitOfWork,
    caches: &Caches,
    school_id: &str,
    rules: &Rules,
    by: &str,
    now: i64,
) -> Result<bool> {
    // The old value is read from a row that exists and is locked: two admins saving at once on
    // PostgreSQL then take turns, and each tells of a change it really made (a plain read could
    // see the same old value twice, and one change would go untold).
    let defaults = Rules::default();
    sqlx::query(
        "INSERT INTO social_settings (school_id, students_post_to_school, \
         students_post_on_profiles, student_profiles_public, words, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, '', $5, $6) ON CONFLICT (school_id) DO NOTHING",
    )
    .bind(school_id)
    .bind(i64::from(defaults.students_post_to_school))
    .bind(i64::from(defaults.students_post_on_profiles))
    .bind(i64::from(defaults.student_profiles_public))
    .bind(by)
    .bind(now)
    .execute(uow.conn())
    .await?;
    let (before,): (i64,) = sqlx::query_as(
        "UPDATE social_settings SET updated_at = updated_at WHERE school_id = $1 \
         RETURNING student_profiles_public",
    )
    .bind(school_id)
    .fetch_one(uow.conn())
    .await?;
    sqlx::query(
        "INSERT INTO social_settings (school_id, students_post_to_school, \
         students_post_on_profiles, student_profiles_public, words, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (school_id) DO UPDATE SET \
         students_post_to_school = $2, students_post_on_profiles = $3, \
         student_profiles_public = $4, words = $5, updated_by = $6, updated_at = $7",
    )
    .bind(school_id)
    .bind(i64::from(rules.students_post_to_school))
    .bind(i64::from(rules.students_post_on_profiles))
    .bind(i64::from(rules.student_profiles_public))
    .bind(rules.words.join("\n"))
    .bind(by)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Caches::forget_after(uow, &caches.rules, &[school_id]);
    Ok(before != 0)
}
