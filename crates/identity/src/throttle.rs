//! Lockout with backoff for sign-in (and for the codes that turn a second factor off).
//!
//! After `FREE_FAILURES` failures for one (school, email), each further failure locks the
//! pair for twice as long as the last, from 30 s up to 15 minutes; a success clears it. The
//! count lives in identity's database, so it holds across restarts and across identity
//! processes, and it is kept for unknown accounts too: a locked answer says nothing about
//! whether the account exists.
//!
//! An attempt is counted *before* its password or code is checked, in one statement: it
//! reserves a place among the attempts the pair may have in flight (the free failures left, or
//! one once they are spent) and is refused (429) when there is none. So a burst of parallel
//! attempts gets no more checks than a patient attacker would; a reservation that is never
//! settled (the process died) lapses after a minute.

use campus_platform::{db::Db, time, Error, Result};

const FREE_FAILURES: i64 = 5;
const FIRST_LOCK_MS: i64 = 30_000;
const LONGEST_LOCK_MS: i64 = 15 * 60_000;
/// A reservation older than this was never settled.
const RESERVATION_LAPSES_MS: i64 = 60_000;

/// Lock length after `failures` failures in a row.
pub fn lock_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    (FIRST_LOCK_MS << doublings).min(LONGEST_LOCK_MS)
}

/// An attempt that may check its credentials; settle it with what came of it.
#[must_use = "settle the attempt with failed, succeeded or release"]
pub struct Attempt {
    db: Db,
    school: String,
    email: String,
}

/// Reserves a check for the pair, or refuses with 429 while it is locked or while as many
/// attempts as it may have are already being checked.
pub async fn attempt(db: &Db, school: &str, email: &str) -> Result<Attempt> {
    let now = time::now_ms();
    let stale = now - RESERVATION_LAPSES_MS;
    let mut uow = db.begin().await?;
    sqlx::query(
        "INSERT INTO login_throttle (school_slug, email, failures, locked_until, updated_at, pending) \
         VALUES ($1, $2, 0, 0, $3, 0) ON CONFLICT (school_slug, email) DO NOTHING",
    )
    .bind(school)
    .bind(email)
    .bind(now)
    .execute(uow.conn())
    .await?;
    let reserved = sqlx::query(
        "UPDATE login_throttle SET \
             pending = CASE WHEN updated_at < $4 THEN 1 ELSE pending + 1 END, updated_at = $3 \
         WHERE school_slug = $1 AND email = $2 AND locked_until <= $3 \
           AND (CASE WHEN updated_at < $4 THEN 0 ELSE pending END) \
               < (CASE WHEN failures < $5 THEN $5 - failures ELSE 1 END)",
    )
    .bind(school)
    .bind(email)
    .bind(now)
    .bind(stale)
    .bind(FREE_FAILURES)
    .execute(uow.conn())
    .await?
    .rows_affected();
    let locked_until: Option<(i64,)> = if reserved == 0 {
        sqlx::query_as(
            "SELECT locked_until FROM login_throttle WHERE school_slug = $1 AND email = $2",
        )
        .bind(school)
        .bind(email)
        .fetch_optional(uow.conn())
        .await?
    } else {
        None
    };
    uow.commit().await?;
    if reserved == 0 {
        let until = locked_until.map_or(now, |(until,)| until);
        return Err(Error::RateLimited {
            retry_after_secs: ((until - now) / 1000).max(1) as u64,
        });
    }
    Ok(Attempt {
        db: db.clone(),
        school: school.to_owned(),
        email: email.to_owned(),
    })
}

impl Attempt {
    /// The credentials were wrong: one more failure, and the pair locks when it has failed
    /// too often.
    pub async fn failed(self) -> Result<()> {
        let now = time::now_ms();
        let mut uow = self.db.begin().await?;
        let failures: Option<(i64,)> = sqlx::query_as(
            "UPDATE login_throttle SET failures = failures + 1, updated_at = $3, \
                 pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
             WHERE school_slug = $1 AND email = $2 RETURNING failures",
        )
        .bind(&self.school)
        .bind(&self.email)
        .bind(now)
        .fetch_optional(uow.conn())
        .await?;
        if let Some((failures,)) = failures {
            sqlx::query(
                "UPDATE login_throttle SET locked_until = $3 WHERE school_slug = $1 AND email = $2",
            )
            .bind(&self.school)
            .bind(&self.email)
            .bind(now + lock_ms(failures))
            .execute(uow.conn())
            .await?;
        }
        uow.commit().await
    }

    /// The credentials were right: the count is cleared.
    pub async fn succeeded(self) -> Result<()> {
        let mut uow = self.db.begin().await?;
        sqlx::query("DELETE FROM login_throttle WHERE school_slug = $1 AND email = $2")
            .bind(&self.school)
            .bind(&self.email)
            .execute(uow.conn())
            .await?;
        uow.commit().await
    }

    /// Neither: the check stopped before a verdict (a second factor is needed first).
    pub async fn release(self) -> Result<()> {
        let mut uow = self.db.begin().await?;
        sqlx::query(
            "UPDATE login_throttle SET pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
             WHERE school_slug = $1 AND email = $2",
        )
        .bind(&self.school)
        .bind(&self.email)
        .execute(uow.conn())
        .await?;
        uow.commit().await
    }
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
    fn locks_double_from_the_fifth_failure_and_are_capped() {
        assert_eq!(lock_ms(4), 0);
        assert_eq!(lock_ms(5), 30_000);
        assert_eq!(lock_ms(6), 60_000);
        assert_eq!(lock_ms(7), 120_000);
        assert_eq!(lock_ms(30), LONGEST_LOCK_MS);
    }
}
