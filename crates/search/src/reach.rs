//! What a searcher may reach: their audience terms (from their places in courses), the people
//! left out by blocks either way, and whether they are in a conversation.

use campus_platform::{db::Db, people::Caller, Result};

use crate::{domain::Audience, Search};

/// The limits of one searcher.
pub(crate) struct Reach {
    /// `None` for the school's administrators, who may open whatever search finds.
    audience: Option<Vec<String>>,
    pub unwanted: Vec<String>,
}

impl Reach {
    pub(crate) async fn of(search: &Search, caller: &Caller) -> Result<Self> {
        let audience = if caller.is_admin() {
            None
        } else {
            let places: Vec<(String, String)> = sqlx::query_as(
                "SELECT course_id, course_role FROM search_places WHERE school_id = $1 \
                 AND user_id = $2",
            )
            .bind(&caller.school_id)
            .bind(&caller.user_id)
            .fetch_all(search.db.pool())
            .await?;
            let places: Vec<(String, bool)> = places
                .into_iter()
                .map(|(course_id, role)| (course_id, role != "student"))
                .collect();
            Some(Audience::of_searcher(&caller.user_id, &places))
        };
        Ok(Self {
            audience,
            unwanted: unwanted(&search.db, caller).await?,
        })
    }

    pub(crate) fn audience(&self) -> Option<&[String]> {
        self.audience.as_deref()
    }
}

/// Everyone with a block between them and the caller, whichever way.
pub(crate) async fn unwanted(db: &Db, caller: &Caller) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT blocked_id FROM search_blocks WHERE blocker_id = $1 \
         UNION SELECT blocker_id FROM search_blocks WHERE blocked_id = $1",
    )
    .bind(&caller.user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Whether the caller is in the conversation: a member of a direct or group conversation, or
/// of the course whose class channel it is.
pub(crate) async fn in_conversation(
    db: &Db,
    caller: &Caller,
    conversation_id: &str,
) -> Result<bool> {
    let (found,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM search_conversation_members WHERE conversation_id = $1 \
         AND user_id = $2) + (SELECT COUNT(*) FROM search_places WHERE course_id = $1 \
         AND user_id = $2 AND school_id = $3)",
    )
    .bind(conversation_id)
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .fetch_one(db.pool())
    .await?;
    Ok(found > 0)
}
