//! The documents table: what can be found, written by the event listeners and followed by
//! every index replica. A change takes the next value of the change counter first, so rows
//! commit in counter order and a replica reads them in that order without missing one.

use campus_platform::{
    db::{placeholders, Backend, Db, UnitOfWork},
    Result,
};

use crate::domain::{DocKind, Language, BODY_INDEXED_MAX};

/// A document as a listener describes it.
#[derive(Debug, Clone)]
pub(crate) struct NewDoc {
    pub school_id: String,
    pub kind: DocKind,
    pub entity_id: String,
    pub course_id: Option<String>,
    pub conversation_id: Option<String>,
    pub parent_id: Option<String>,
    pub author_id: Option<String>,
    pub title: String,
    pub body: String,
    pub language: Language,
    pub audience: Vec<String>,
    pub audience_of: Option<String>,
    pub created_at: i64,
}

/// A row of the table, as the indexer reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct DocRow {
    pub doc_id: String,
    pub school_id: String,
    #[sqlx(try_from = "String")]
    pub kind: DocKind,
    pub entity_id: String,
    pub course_id: Option<String>,
    pub conversation_id: Option<String>,
    pub parent_id: Option<String>,
    pub author_id: Option<String>,
    pub title: String,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub language: Language,
    pub audience: String,
    pub created_at: i64,
    pub withdrawn: i64,
    pub parent_withdrawn: i64,
    pub seq: i64,
}

impl DocRow {
    /// Whether the index should hold it.
    pub(crate) fn is_live(&self) -> bool {
        self.withdrawn == 0 && self.parent_withdrawn == 0
    }
}

const COLUMNS: &str =
    "doc_id, school_id, kind, entity_id, course_id, conversation_id, parent_id, author_id, \
     title, body, language, audience, created_at, withdrawn, parent_withdrawn, seq";

/// `statement` with the change counter's next value where it says `{seq}`, taken in the same
/// request to the database. The counter's row stays locked until the unit commits, so whatever
/// this unit writes with the value becomes visible after everything stamped before.
///
/// One request instead of two: a listener writes a document for every message sent, and each
/// request is a hand-over to SQLite's connection thread and back, which costs more than the
/// counter's update itself. SQLite runs the two statements in turn (one writer at a time, so
/// the value read back is this unit's); PostgreSQL takes the value from a data-modifying `WITH`.
fn stamped(backend: Backend, statement: &str) -> String {
    const NEXT: &str = "UPDATE search_counter SET value = value + 1 WHERE id = 1";
    match backend {
        Backend::Sqlite => format!(
            "{NEXT}; {}",
            statement.replace("{seq}", "(SELECT value FROM search_counter WHERE id = 1)")
        ),
        Backend::Postgres => format!(
            "WITH stamp AS ({NEXT} RETURNING value) {}",
            statement.replace("{seq}", "(SELECT value FROM stamp)")
        ),
    }
}

/// Adds or replaces a document (a withdrawn one comes back).
pub(crate) async fn put(uow: &mut UnitOfWork, doc: NewDoc) -> Result<()> {
    let body: String = doc.body.chars().take(BODY_INDEXED_MAX).collect();
    let sql = stamped(
        uow.db().backend(),
        "INSERT INTO search_documents (doc_id, school_id, kind, entity_id, course_id, \
         conversation_id, parent_id, author_id, title, body, language, audience, audience_of, \
         created_at, withdrawn, parent_withdrawn, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, 0, {seq}) \
         ON CONFLICT (doc_id) DO UPDATE SET title = excluded.title, body = excluded.body, \
         language = excluded.language, audience = excluded.audience, \
         audience_of = excluded.audience_of, course_id = excluded.course_id, withdrawn = 0, \
         seq = excluded.seq",
    );
    sqlx::query(&sql)
        .bind(doc.kind.doc_id(&doc.entity_id))
        .bind(&doc.school_id)
        .bind(doc.kind.as_str())
        .bind(&doc.entity_id)
        .bind(&doc.course_id)
        .bind(&doc.conversation_id)
        .bind(&doc.parent_id)
        .bind(&doc.author_id)
        .bind(&doc.title)
        .bind(&body)
        .bind(doc.language.as_str())
        .bind(doc.audience.join(" "))
        .bind(&doc.audience_of)
        .bind(doc.created_at)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// Changes a document's text, keeping who may find it.
pub(crate) async fn revise(
    uow: &mut UnitOfWork,
    doc_id: &str,
    title: Option<&str>,
    body: &str,
    language: Language,
) -> Result<()> {
    let body: String = body.chars().take(BODY_INDEXED_MAX).collect();
    let sql = stamped(
        uow.db().backend(),
        "UPDATE search_documents SET title = COALESCE($1, title), body = $2, language = $3, \
         seq = {seq} WHERE doc_id = $4",
    );
    sqlx::query(&sql)
        .bind(title)
        .bind(&body)
        .bind(language.as_str())
        .bind(doc_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// Takes a document out of search (its row stays, as the tombstone replicas follow).
pub(crate) async fn withdraw(uow: &mut UnitOfWork, doc_id: &str, withdrawn: bool) -> Result<()> {
    let sql = stamped(
        uow.db().backend(),
        "UPDATE search_documents SET withdrawn = $1, seq = {seq} WHERE doc_id = $2",
    );
    sqlx::query(&sql)
        .bind(i64::from(withdrawn))
        .bind(doc_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// Takes the comments of a post out of search with it, or brings them back.
pub(crate) async fn withdraw_children(
    uow: &mut UnitOfWork,
    parent_id: &str,
    withdrawn: bool,
) -> Result<()> {
    let sql = stamped(
        uow.db().backend(),
        "UPDATE search_documents SET parent_withdrawn = $1, seq = {seq} WHERE parent_id = $2",
    );
    sqlx::query(&sql)
        .bind(i64::from(withdrawn))
        .bind(parent_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// Redraws who may find the documents whose audience follows `audience_of` (of `kinds`).
pub(crate) async fn redraw(
    uow: &mut UnitOfWork,
    audience_of: &str,
    kinds: &[DocKind],
    audience: &[String],
) -> Result<()> {
    let sql = stamped(
        uow.db().backend(),
        &format!(
            "UPDATE search_documents SET audience = $1, seq = {{seq}} WHERE audience_of = $2 \
             AND kind IN ({})",
            placeholders(3, kinds.len())
        ),
    );
    let mut query = sqlx::query(&sql).bind(audience.join(" ")).bind(audience_of);
    for kind in kinds {
        query = query.bind(kind.as_str());
    }
    query.execute(uow.conn()).await?;
    Ok(())
}

/// The audience of a document, if there is one (a comment takes its post's).
pub(crate) async fn audience_of(
    uow: &mut UnitOfWork,
    doc_id: &str,
) -> Result<Option<(Vec<String>, Option<String>, bool)>> {
    let row: Option<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT audience, audience_of, withdrawn FROM search_documents WHERE doc_id = $1",
    )
    .bind(doc_id)
    .fetch_optional(uow.conn())
    .await?;
    Ok(row.map(|(audience, of, withdrawn)| {
        (
            audience.split(' ').map(str::to_owned).collect(),
            of,
            withdrawn != 0,
        )
    }))
}

/// Rows changed after `(seq, doc_id)`, in counter order.
pub(crate) async fn changed_after(db: &Db, after: (i64, &str), limit: i64) -> Result<Vec<DocRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM search_documents WHERE seq > $1 OR (seq = $1 AND doc_id > $2) \
         ORDER BY seq, doc_id LIMIT $3"
    ))
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// The live documents of one school (or all) after `doc_id`, in key order, for a rebuild.
pub(crate) async fn live_after(
    db: &Db,
    school_id: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<DocRow>> {
    let filter = if school_id.is_some() {
        "AND school_id = $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM search_documents WHERE doc_id > $1 AND withdrawn = 0 \
         AND parent_withdrawn = 0 {filter} ORDER BY doc_id LIMIT $2"
    );
    let mut query = sqlx::query_as(&sql).bind(after).bind(limit);
    if let Some(school_id) = school_id {
        query = query.bind(school_id);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

/// How many live documents a rebuild of one school (or all) will write, and the counter's
/// value before it reads them.
pub(crate) async fn census(db: &Db, school_id: Option<&str>) -> Result<(i64, i64)> {
    let (count,): (i64,) = match school_id {
        Some(school_id) => sqlx::query_as(
            "SELECT COUNT(*) FROM search_documents WHERE withdrawn = 0 AND parent_withdrawn = 0 \
             AND school_id = $1",
        )
        .bind(school_id)
        .fetch_one(db.pool())
        .await?,
        None => sqlx::query_as(
            "SELECT COUNT(*) FROM search_documents WHERE withdrawn = 0 AND parent_withdrawn = 0",
        )
        .fetch_one(db.pool())
        .await?,
    };
    let (counter,): (i64,) = sqlx::query_as("SELECT value FROM search_counter WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok((count, counter))
}
