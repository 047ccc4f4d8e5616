//! Messaging's SQL. Every query names the school, or reaches rows through a conversation
//! already loaded for the caller's school.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock},
    time::Duration,
};

use campus_contracts::messaging::ConversationKind;
use campus_platform::{
    cache::{Forgetting, ReadCache},
    db::{placeholders, Backend, Db, UnitOfWork},
    Error, Result,
};
use sqlx::AnyConnection;

use crate::domain::Rules;

pub(crate) mod reports;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ConversationRow {
    pub id: String,
    pub school_id: String,
    #[sqlx(try_from = "String")]
    pub kind: ConversationKind,
    pub course_id: Option<String>,
    pub title: Option<String>,
    pub last_message_at: Option<i64>,
}

const CONVERSATION: &str =
    "SELECT id, school_id, kind, course_id, title, last_message_at FROM conversations";

pub(crate) async fn conversation(
    db: &Db,
    school_id: &str,
    id: &str,
) -> Result<Option<ConversationRow>> {
    Ok(
        sqlx::query_as(&format!("{CONVERSATION} WHERE id = $1 AND school_id = $2"))
            .bind(id)
            .bind(school_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Conversation `id` of the school as far as it never changes: its kind, course and title,
/// without its last activity (`last_message_at` is None; [`conversation`] reads it). Kept in
/// memory once found: every send asks.
pub(crate) async fn conversation_facts(
    db: &Db,
    caches: &Caches,
    school_id: &str,
    id: &str,
) -> Result<Option<ConversationRow>> {
    let key = (school_id.to_owned(), id.to_owned());
    let facts = caches
        .facts
        .get_or_load(&key, || async {
            let row = conversation(db, school_id, id).await?;
            Ok::<_, Error>(row.map(|row| {
                Arc::new(ConversationRow {
                    last_message_at: None,
                    ..row
                })
            }))
        })
        .await?;
    match facts {
        Some(facts) => Ok(Some(facts.as_ref().clone())),
        None => {
            // A course's channel gets its row with its first message: not found is not kept.
            caches.facts.forget(&key);
            Ok(None)
        }
    }
}

/// The direct and group conversations a person is in.
pub(crate) async fn conversations_of(
    db: &Db,
    school_id: &str,
    user_id: &str,
) -> Result<Vec<ConversationRow>> {
    Ok(sqlx::query_as(&format!(
        "{CONVERSATION} WHERE id IN (SELECT conversation_id FROM conversation_members \
         WHERE school_id = $1 AND user_id = $2)"
    ))
    .bind(school_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?)
}

/// The class channels among `course_ids` that have had a message.
pub(crate) async fn channels(
    db: &Db,
    school_id: &str,
    course_ids: &[String],
) -> Result<Vec<ConversationRow>> {
    if course_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{CONVERSATION} WHERE school_id = $1 AND id IN ({})",
        placeholders(2, course_ids.len())
    );
    let mut query = sqlx::query_as(&sql).bind(school_id);
    for id in course_ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

pub(crate) async fn direct_between(db: &Db, pair_key: &str) -> Result<Option<String>> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT id FROM conversations WHERE pair_key = $1")
            .bind(pair_key)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.map(|(id,)| id))
}

/// What every send reads, kept in memory: a conversation's fixed facts and a direct or group
/// conversation's members (both fixed once it starts, so never stale) and each person's
/// blocks (forgotten when a block event is handled, in every process through Redis, and at
/// most [`BLOCKS_TTL`] old while Redis is away; in the single-process shape only this
/// process's block consumer changes them, so they live as long as the people directory's).
#[derive(Clone)]
pub(crate) struct Caches {
    facts: Arc<ReadCache<SchoolAndId, Option<Arc<ConversationRow>>>>,
    members: Arc<ReadCache<String, Arc<Vec<String>>>>,
    pub(crate) apart: Arc<ReadCache<String, Arc<Vec<String>>>>,
}

/// A conversation's key in [`Caches`]: its school and its id.
type SchoolAndId = (String, String);

/// How stale a person's blocks may be when another process learned of a change.
pub(crate) const BLOCKS_TTL: Duration = Duration::from_secs(2);

impl Caches {
    /// Forgotten blocks reach the installation's other processes through `forgetting`.
    pub(crate) fn new(forgetting: &Forgetting) -> Self {
        Self {
            facts: Arc::new(ReadCache::new(100_000, Duration::from_secs(3600))),
            members: Arc::new(ReadCache::new(100_000, Duration::from_secs(3600))),
            apart: Arc::new(ReadCache::shared(
                100_000,
                forgetting.time_to_live(BLOCKS_TTL),
                "messaging.apart",
                forgetting,
            )),
        }
    }
}

pub(crate) async fn is_member(
    db: &Db,
    caches: &Caches,
    conversation_id: &str,
    user_id: &str,
) -> Result<bool> {
    Ok(members(db, caches, conversation_id)
        .await?
        .iter()
        .any(|member| member == user_id))
}

/// The people of a direct or group conversation, by id.
pub(crate) async fn members(
    db: &Db,
    caches: &Caches,
    conversation_id: &str,
) -> Result<Arc<Vec<String>>> {
    caches
        .members
        .get_or_load(&conversation_id.to_owned(), || async {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT user_id FROM conversation_members WHERE conversation_id = $1 \
                 ORDER BY user_id",
            )
            .bind(conversation_id)
            .fetch_all(db.pool())
            .await?;
            Ok::<_, Error>(Arc::new(rows.into_iter().map(|(id,)| id).collect()))
        })
        .await
}

/// The people who share a direct or group conversation with the person.
pub(crate) async fn partners(db: &Db, school_id: &str, user_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT other.user_id FROM conversation_members mine \
         JOIN conversation_members other ON other.conversation_id = mine.conversation_id \
         WHERE mine.school_id = $1 AND mine.user_id = $2 AND other.user_id <> $2",
    )
    .bind(school_id)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub(crate) struct NewConversation<'a> {
    pub id: &'a str,
    pub school_id: &'a str,
    pub kind: ConversationKind,
    pub title: Option<&'a str>,
    pub started_by: &'a str,
    pub pair_key: Option<&'a str>,
    pub members: &'a [String],
    pub now: i64,
}

/// Writes a direct or group conversation with its members. `false` when the pair already has
/// a direct conversation (another request started it a moment ago).
pub(crate) async fn insert_conversation(
    uow: &mut UnitOfWork,
    new: &NewConversation<'_>,
) -> Result<bool> {
    let written = sqlx::query(
        "INSERT INTO conversations (id, school_id, kind, course_id, title, started_by, pair_key, \
         created_at, last_message_at) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, NULL) \
         ON CONFLICT DO NOTHING",
    )
    .bind(new.id)
    .bind(new.school_id)
    .bind(new.kind.as_str())
    .bind(new.title)
    .bind(new.started_by)
    .bind(new.pair_key)
    .bind(new.now)
    .execute(uow.conn())
    .await?
    .rows_affected();
    if written == 0 {
        return Ok(false);
    }
    for member in new.members {
        sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, school_id, joined_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(new.id)
        .bind(member)
        .bind(new.school_id)
        .bind(new.now)
        .execute(uow.conn())
        .await?;
    }
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body: String,
    pub body_html: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// A moderator hid it: its text is kept, for a restore, but shown to no member.
    pub hidden_at: Option<i64>,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub file_type: Option<String>,
    pub file_size: Option<i64>,
}

/// The file a message carries, as kept.
#[derive(Debug, Clone)]
pub(crate) struct FileColumns {
    pub key: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

const MESSAGE: &str =
    "SELECT m.id, m.conversation_id, m.author_id, p.display_name AS author_name, \
     m.body, m.body_html, m.created_at, m.edited_at, m.deleted_at, m.hidden_at, \
     m.file_key, m.file_name, m.file_type, m.file_size FROM messages m \
     LEFT JOIN people p ON p.user_id = m.author_id";

/// Which way a page of messages goes from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Newest first, older than the cursor (or from the newest).
    Older,
    /// Oldest first, newer than the cursor: what a client that lost its connection missed.
    Newer,
}

/// A page of the conversation's messages from `cursor`, leaving out those of `unwanted`
/// authors (a block between them and the reader).
pub(crate) async fn messages(
    db: &Db,
    conversation_id: &str,
    direction: Direction,
    cursor: &str,
    unwanted: &[String],
    limit: i64,
) -> Result<Vec<MessageRow>> {
    let (from, order) = match direction {
        Direction::Older => ("($2 = '' OR m.id < $2)", "DESC"),
        Direction::Newer => ("m.id > $2", "ASC"),
    };
    let unwanted_sql = if unwanted.is_empty() {
        String::new()
    } else {
        format!(
            " AND m.author_id NOT IN ({})",
            placeholders(3, unwanted.len())
        )
    };
    let sql = format!(
        "{MESSAGE} WHERE m.conversation_id = $1 AND {from}{unwanted_sql} \
         ORDER BY m.id {order} LIMIT {}",
        limit + 1
    );
    let mut query = sqlx::query_as(&sql).bind(conversation_id).bind(cursor);
    for author in unwanted {
        query = query.bind(author);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

pub(crate) async fn message(db: &Db, school_id: &str, id: &str) -> Result<Option<MessageRow>> {
    Ok(
        sqlx::query_as(&format!("{MESSAGE} WHERE m.id = $1 AND m.school_id = $2"))
            .bind(id)
            .bind(school_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

pub(crate) struct NewMessage<'a> {
    pub id: &'a str,
    pub conversation: &'a ConversationRow,
    pub author_id: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub file: Option<&'a FileColumns>,
    pub now: i64,
}

/// Writes a message and moves its conversation to the top of everyone's list; a class
/// channel's row is written with its first message; the author has read what they wrote.
pub(crate) async fn insert_message(uow: &mut UnitOfWork, new: &NewMessage<'_>) -> Result<()> {
    // The three statements share their parameters: `$1` the conversation, `$2` the school,
    // `$5` the author, `$6` the moment, `$7` the message.
    const CONVERSATION: &str = "INSERT INTO conversations (id, school_id, kind, course_id, \
         title, started_by, pair_key, created_at, last_message_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, NULL, $6, $6) \
         ON CONFLICT (id) DO UPDATE SET last_message_at = $6";
    const MESSAGE: &str = "INSERT INTO messages (id, conversation_id, school_id, author_id, \
         body, body_html, created_at, edited_at, deleted_at, file_key, file_name, file_type, \
         file_size) VALUES ($7, $1, $2, $5, $8, $9, $6, NULL, NULL, $10, $11, $12, $13)";
    const READ: &str = "INSERT INTO conversation_reads (conversation_id, user_id, last_read_id, \
         read_at) VALUES ($1, $5, $7, $6) ON CONFLICT (conversation_id, user_id) DO UPDATE \
         SET last_read_id = $7, read_at = $6 WHERE conversation_reads.last_read_id < $7";
    let conversation = new.conversation;
    let bound = |sql: &'static str| {
        sqlx::query(sql)
            .bind(&conversation.id)
            .bind(&conversation.school_id)
            .bind(conversation.kind.as_str())
            .bind(&conversation.course_id)
            .bind(new.author_id)
            .bind(new.now)
            .bind(new.id)
            .bind(new.body)
            .bind(new.body_html)
            .bind(new.file.map(|file| file.key.as_str()))
            .bind(new.file.map(|file| file.name.as_str()))
            .bind(new.file.map(|file| file.content_type.as_str()))
            .bind(new.file.map(|file| file.size))
    };
    if uow.db().backend() == Backend::Sqlite {
        // One request to SQLite's connection thread instead of three, under the write lock.
        static TOGETHER: LazyLock<String> =
            LazyLock::new(|| format!("{CONVERSATION}; {MESSAGE}; {READ}"));
        bound(&TOGETHER).execute(uow.conn()).await?;
        return Ok(());
    }
    // PostgreSQL prepares one statement per request.
    bound(CONVERSATION).execute(uow.conn()).await?;
    bound(MESSAGE).execute(uow.conn()).await?;
    bound(READ).execute(uow.conn()).await?;
    Ok(())
}

/// Changes a message's text; `false` when it was deleted meanwhile.
pub(crate) async fn edit_message(
    uow: &mut UnitOfWork,
    id: &str,
    body: &str,
    body_html: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE messages SET body = $1, body_html = $2, edited_at = $3 \
         WHERE id = $4 AND deleted_at IS NULL AND hidden_at IS NULL",
    )
    .bind(body)
    .bind(body_html)
    .bind(now)
    .bind(id)
    .execute(uow.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Deletes a message's text for good, keeping its place in the conversation; `false` when
/// it was already deleted.
pub(crate) async fn delete_message(uow: &mut UnitOfWork, id: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE messages SET body = '', body_html = '', deleted_at = $1, file_key = NULL, \
         file_name = NULL, file_type = NULL, file_size = NULL \
         WHERE id = $2 AND deleted_at IS NULL AND hidden_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(uow.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Hides a message (`Some(when)`) or shows it again (`None`); `false` if another decision
/// came first.
pub(crate) async fn set_hidden(
    uow: &mut UnitOfWork,
    id: &str,
    hidden_at: Option<i64>,
) -> Result<bool> {
    let was = if hidden_at.is_some() {
        "hidden_at IS NULL"
    } else {
        "hidden_at IS NOT NULL"
    };
    Ok(sqlx::query(&format!(
        "UPDATE messages SET hidden_at = $1 WHERE id = $2 AND deleted_at IS NULL AND {was}"
    ))
    .bind(hidden_at)
    .bind(id)
    .execute(uow.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Moves the person's read position forward to `message_id` (never back); `true` if it moved.
pub(crate) async fn mark_read(
    conn: &mut AnyConnection,
    conversation_id: &str,
    user_id: &str,
    message_id: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO conversation_reads (conversation_id, user_id, last_read_id, read_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, user_id) DO UPDATE \
         SET last_read_id = $3, read_at = $4 WHERE conversation_reads.last_read_id < $3",
    )
    .bind(conversation_id)
    .bind(user_id)
    .bind(message_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The newest message of the conversation, if any.
pub(crate) async fn newest_message(db: &Db, conversation_id: &str) -> Result<Option<String>> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(conversation_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.map(|(id,)| id))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ReadRow {
    pub user_id: String,
    pub last_read_id: String,
    pub read_at: i64,
}

/// How far each person has read the conversation.
pub(crate) async fn reads(db: &Db, conversation_id: &str) -> Result<Vec<ReadRow>> {
    Ok(sqlx::query_as(
        "SELECT user_id, last_read_id, read_at FROM conversation_reads \
         WHERE conversation_id = $1 ORDER BY user_id",
    )
    .bind(conversation_id)
    .fetch_all(db.pool())
    .await?)
}

/// For each of `conversation_ids`: how many messages from others the person has not read,
/// in one query however many conversations they have.
pub(crate) async fn unread_counts(
    db: &Db,
    user_id: &str,
    conversation_ids: &[String],
) -> Result<HashMap<String, i64>> {
    if conversation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT m.conversation_id, COUNT(*) FROM messages m \
         LEFT JOIN conversation_reads r ON r.conversation_id = m.conversation_id \
         AND r.user_id = $1 \
         WHERE m.conversation_id IN ({}) AND m.author_id <> $1 AND m.deleted_at IS NULL \
         AND m.id > COALESCE(r.last_read_id, '') GROUP BY m.conversation_id",
        placeholders(2, conversation_ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql).bind(user_id);
    for id in conversation_ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(db.pool()).await?.into_iter().collect())
}

/// How many messages from others the person has not read in one conversation.
pub(crate) async fn unread_in(db: &Db, user_id: &str, conversation_id: &str) -> Result<i64> {
    let ids = [conversation_id.to_owned()];
    Ok(unread_counts(db, user_id, &ids)
        .await?
        .get(conversation_id)
        .copied()
        .unwrap_or(0))
}

pub(crate) async fn rules(db: &Db, school_id: &str) -> Result<Rules> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT student_direct_messages FROM messaging_settings WHERE school_id = $1",
    )
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.map_or_else(Rules::default, |(students,)| Rules {
        student_direct_messages: students != 0,
    }))
}

pub(crate) async fn save_rules(
    uow: &mut UnitOfWork,
    school_id: &str,
    rules: Rules,
    by: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO messaging_settings (school_id, student_direct_messages, updated_by, \
         updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (school_id) DO UPDATE \
         SET student_direct_messages = $2, updated_by = $3, updated_at = $4",
    )
    .bind(school_id)
    .bind(i64::from(rules.student_direct_messages))
    .bind(by)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Ok(())
}
