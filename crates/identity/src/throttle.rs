//! Lockout with backoff for sign-in.
//!
//! After `FREE_FAILURES` wrong passwords for one (school, email), each further failure locks
//! sign-in for that pair for twice as long as the last, from 30 s up to 15 minutes; a success
//! clears it. The count lives in identity's database, so it holds across restarts and across
//! identity processes, and it is kept for unknown accounts too: a locked answer says nothing
//! about whether the account exists.

use campus_platform::{db::Db, time, Error, Result};

const FREE_FAILURES: i64 = 5;
const FIRST_LOCK_MS: i64 = 30_000;
const LONGEST_LOCK_MS: i64 = 15 * 60_000;

/// Refuses with 429 while the pair is locked.
pub async fn check(db: &Db, school: &str, email: &str) -> Result<()> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT locked_until FROM login_throttle WHERE school_slug = $1 AND email = $2",
    )
    .bind(school)
    .bind(email)
    .fetch_optional(db.pool())
    .await?;
    let now = time::now_ms();
    match row {
        Some((until,)) if until > now => Err(Error::RateLimited {
            retry_after_secs: ((until - now) / 1000).max(1) as u64,
        }),
        _ => Ok(()),
    }
}

/// Lock length after `failures` failures in a row.
pub fn lock_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    (FIRST_LOCK_MS << doublings).min(LONGEST_LOCK_MS)
}

/// Counts a failure and locks the pair when it has failed too often.
pub async fn failed(db: &Db, school: &str, email: &str) -> Result<()> {
    let now = time::now_ms();
    let mut uow = db.begin().await?;
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT failures FROM login_throttle WHERE school_slug = $1 AND email = $2")
            .bind(school)
            .bind(email)
            .fetch_optional(uow.conn())
            .await?;
    let failures = row.map_or(0, |(f,)| f) + 1;
    sqlx::query(
        "INSERT INTO login_throttle (school_slug, email, failures, locked_until, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (school_slug, email) \
         DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, \
         updated_at = excluded.updated_at",
    )
    .bind(school)
    .bind(email)
    .bind(failures)
    .bind(now + lock_ms(failures))
    .bind(now)
    .execute(uow.conn())
    .await?;
    uow.commit().await?;
    Ok(())
}

/// A successful sign-in clears the count.
pub async fn succeeded(db: &Db, school: &str, email: &str) -> Result<()> {
    let mut uow = db.begin().await?;
    sqlx::query("DELETE FROM login_throttle WHERE school_slug = $1 AND email = $2")
        .bind(school)
        .bind(email)
        .execute(uow.conn())
        .await?;
    uow.commit().await?;
    Ok(())
}

/// Forgets failures older than a day, so the table cannot grow without bound.
pub async fn forget_stale(db: &Db) -> Result<()> {
    let mut uow = db.begin().await?;
    sqlx::query("DELETE FROM login_throttle WHERE updated_at < $1 AND locked_until < $2")
        .bind(time::now_ms() - 24 * 60 * 60 * 1000)
        .bind(time::now_ms())
        .execute(uow.conn())
        .await?;
    uow.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_from_the_sixth_failure_and_are_capped() {
        assert_eq!(lock_ms(4), 0);
        assert_eq!(lock_ms(5), 30_000);
        assert_eq!(lock_ms(6), 60_000);
        assert_eq!(lock_ms(7), 120_000);
        assert_eq!(lock_ms(30), LONGEST_LOCK_MS);
    }
}
