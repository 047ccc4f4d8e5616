//! Who follows whom (people and courses), and who blocked or muted whom.

use std::sync::Arc;

use campus_platform::{
    db::{Db, UnitOfWork},
    Result,
};

use super::Caches;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FollowRow {
    pub target_kind: String,
    pub target_id: String,
    pub created_at: i64,
}

/// Whom and what the person follows (kept in memory for a moment).
pub(crate) async fn follows_of(
    db: &Db,
    caches: &Caches,
    school_id: &str,
    user_id: &str,
) -> Result<Arc<Vec<FollowRow>>> {
    caches
        .follows
        .get_or_load(&user_id.to_owned(), || async {
            read_follows(db, school_id, user_id).await.map(Arc::new)
        })
        .await
}

async fn read_follows(db: &Db, school_id: &str, user_id: &str) -> Result<Vec<FollowRow>> {
    Ok(sqlx::query_as(
        "SELECT target_kind, target_id, created_at FROM follows \
         WHERE school_id = $1 AND follower_id = $2 ORDER BY target_id",
    )
    .bind(school_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn follow(
    uow: &mut UnitOfWork,
    caches: &Caches,
    school_id: &str,
    follower_id: &str,
    kind: &str,
    target_id: &str,
    now: i64,
) -> Result<bool> {
    let new = sqlx::query(
        "INSERT INTO follows (follower_id, target_kind, target_id, school_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (follower_id, target_id) DO NOTHING",
    )
    .bind(follower_id)
    .bind(kind)
    .bind(target_id)
    .bind(school_id)
    .bind(now)
    .execute(uow.conn())
    .await?
    .rows_affected()
        == 1;
    Caches::forget_after(uow, &caches.follows, &[follower_id]);
    Ok(new)
}

pub(crate) async fn unfollow(
    uow: &mut UnitOfWork,
    caches: &Caches,
    follower_id: &str,
    target_id: &str,
) -> Result<bool> {
    Caches::forget_after(uow, &caches.follows, &[follower_id]);
    Ok(
        sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND target_id = $2")
            .bind(follower_id)
            .bind(target_id)
            .execute(uow.conn())
            .await?
            .rows_affected()
            == 1,
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct BlockRow {
    pub blocked_id: String,
    pub kind: String,
    pub created_at: i64,
}

pub(crate) async fn blocks_of(db: &Db, school_id: &str, user_id: &str) -> Result<Vec<BlockRow>> {
    Ok(sqlx::query_as(
        "SELECT blocked_id, kind, created_at FROM blocks WHERE school_id = $1 AND blocker_id = $2 \
         ORDER BY blocked_id",
    )
    .bind(school_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?)
}

/// Everyone whose posts `user_id` is not shown: those they blocked or muted, and those who
/// blocked them (kept in memory for a moment).
pub(crate) async fn unwanted_by(
    db: &Db,
    caches: &Caches,
    user_id: &str,
) -> Result<Arc<Vec<String>>> {
    caches
        .unwanted
        .get_or_load(&user_id.to_owned(), || async {
            read_unwanted(db, user_id).await.map(Arc::new)
        })
        .await
}

async fn read_unwanted(db: &Db, user_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT blocked_id FROM blocks WHERE blocker_id = $1 \
         UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1 AND kind = 'block'",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Who follows the person.
pub(crate) async fn followers_of(db: &Db, user_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT follower_id FROM follows WHERE target_id = $1")
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Everyone who is not shown the author's posts (the other side of [`unwanted_by`]): those
/// who blocked or muted them, and those they blocked.
pub(crate) async fn not_shown_to(db: &Db, author_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT blocker_id FROM blocks WHERE blocked_id = $1 \
         UNION SELECT blocked_id FROM blocks WHERE blocker_id = $1 AND kind = 'block'",
    )
    .bind(author_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Blocks or mutes; answers the kind it replaced, if any.
pub(crate) async fn block(
    uow: &mut UnitOfWork,
    caches: &Caches,
    school_id: &str,
    blocker_id: &str,
    blocked_id: &str,
    kind: &str,
    now: i64,
) -> Result<Option<String>> {
    let before: Option<(String,)> =
        sqlx::query_as("SELECT kind FROM blocks WHERE blocker_id = $1 AND blocked_id = $2")
            .bind(blocker_id)
            .bind(blocked_id)
            .fetch_optional(uow.conn())
            .await?;
    sqlx::query(
        "INSERT INTO blocks (blocker_id, blocked_id, school_id, kind, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (blocker_id, blocked_id) DO UPDATE \
         SET kind = $4, created_at = $5",
    )
    .bind(blocker_id)
    .bind(blocked_id)
    .bind(school_id)
    .bind(kind)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Caches::forget_after(uow, &caches.unwanted, &[blocker_id, blocked_id]);
    Ok(before.map(|(kind,)| kind))
}

/// Lifts a block or mute; answers what it was.
pub(crate) async fn unblock(
    uow: &mut UnitOfWork,
    caches: &Caches,
    blocker_id: &str,
    blocked_id: &str,
) -> Result<Option<String>> {
    let before: Option<(String,)> =
        sqlx::query_as("SELECT kind FROM blocks WHERE blocker_id = $1 AND blocked_id = $2")
            .bind(blocker_id)
            .bind(blocked_id)
            .fetch_optional(uow.conn())
            .await?;
    Caches::forget_after(uow, &caches.unwanted, &[blocker_id, blocked_id]);
    sqlx::query("DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2")
        .bind(blocker_id)
        .bind(blocked_id)
        .execute(uow.conn())
        .await?;
    Ok(before.map(|(kind,)| kind))
}
