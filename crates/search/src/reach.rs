//! What a searcher may reach: their audience terms (from their places in courses), the people
//! left out by blocks either way, and whether they are in a conversation.
//!
//! A searcher's reach is kept for [`KEPT`]: someone typing asks for suggestions at every
//! keystroke, and reading their places and blocks again each time cost a tenth of a query.
//! A place or block that changed reaches their searches within that time, well inside the
//! second a change to a document may take.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use campus_platform::{db::Db, people::Caller, Result};

use crate::{domain::Audience, Search};

/// How long a searcher's reach is used before it is read again.
const KEPT: Duration = Duration::from_millis(500);
/// Past this many searchers kept, those no longer current are let go.
const KEPT_MOST: usize = 10_000;

/// A searcher: their school, who they are, and whether they were an administrator.
type Searcher = (String, String, bool);

/// Recent searchers' reaches, each with when it was read.
type Kept = HashMap<Searcher, (Instant, Arc<Reach>)>;

/// Recent searchers' reaches.
#[derive(Default)]
pub(crate) struct Reaches {
    kept: Mutex<Kept>,
}

impl Reaches {
    /// The caller's reach: as read less than [`KEPT`] ago, or read now.
    pub(crate) async fn of(&self, search: &Search, caller: &Caller) -> Result<Arc<Reach>> {
        let key = (
            caller.school_id.clone(),
            caller.user_id.clone(),
            caller.is_admin(),
        );
        if let Some((read_at, reach)) = self.kept().get(&key) {
            if read_at.elapsed() < KEPT {
                return Ok(reach.clone());
            }
        }
        let reach = Arc::new(Reach::read(search, caller).await?);
        let mut kept = self.kept();
        if kept.len() >= KEPT_MOST {
            kept.retain(|_, (read_at, _)| read_at.elapsed() < KEPT);
        }
        kept.insert(key, (Instant::now(), reach.clone()));
        Ok(reach)
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The limits of one searcher.
pub(crate) struct Reach {
    /// `None` for the school's administrators, who may open whatever search finds.
    audience: Option<Vec<String>>,
    pub unwanted: Vec<String>,
}

impl Reach {
    async fn read(search: &Search, caller: &Caller) -> Result<Self> {
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
