use std::collections::HashMap;

use campus_contracts::social::PostPlace;
use campus_platform::{
    db::{placeholders, Db, UnitOfWork},
    Result,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PostRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub place: PostPlace,
    pub course_id: Option<String>,
    pub profile_id: Option<String>,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body: String,
    pub body_html: String,
    pub status: String,
    pub created_at: i64,
    pub image_key: Option<String>,
    pub image_type: Option<String>,
    pub image_size: Option<i64>,
    pub image_alt: Option<String>,
}

const POST: &str = "SELECT p.id, p.place, p.course_id, p.profile_id, p.author_id, \
     d.display_name AS author_name, p.body, p.body_html, p.status, p.created_at, \
     p.image_key, p.image_type, p.image_size, p.image_alt FROM posts p \
     LEFT JOIN people d ON d.user_id = p.author_id";

/// Sets the picture of a post; `false` when the post was deleted meanwhile.
pub(crate) async fn set_image(
    uow: &mut UnitOfWork,
    id: &str,
    key: &str,
    content_type: &str,
    size: i64,
    alt: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE posts SET image_key = $1, image_type = $2, image_size = $3, image_alt = $4 \
         WHERE id = $5 AND status <> 'deleted'",
    )
    .bind(key)
    .bind(content_type)
    .bind(size)
    .bind(alt)
    .bind(id)
    .execute(uow.conn())
    .await?
    .rows_affected()
        == 1)
}

pub(crate) async fn post(db: &Db, school_id: &str, id: &str) -> Result<Option<PostRow>> {
    Ok(
        sqlx::query_as(&format!("{POST} WHERE p.id = $1 AND p.school_id = $2"))
            .bind(id)
            .bind(school_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Which posts a list shows.
pub(crate) enum Scope<'a> {
    /// The home feed: the school's feed, the courses', and the profiles'.
    Feed {
        courses: &'a [String],
        profiles: &'a [String],
    },
    School,
    Course(&'a str),
    Profile(&'a str),
}

/// A page of the visible posts of `scope`, newest first, older than `before` (or the newest),
/// leaving out `unwanted` authors (blocked, muted, or who blocked the reader).
pub(crate) async fn visible(
    db: &Db,
    school_id: &str,
    scope: Scope<'_>,
    unwanted: &[String],
    before: &str,
    limit: i64,
) -> Result<Vec<PostRow>> {
    let mut binds: Vec<&str> = vec![school_id, before];
    let place = match scope {
        Scope::Feed { courses, profiles } => {
            let mut any = vec!["p.place = 'school'".to_owned()];
            if !courses.is_empty() {
                any.push(format!(
                    "(p.place = 'course' AND p.course_id IN ({}))",
                    bound(courses, &mut binds)
                ));
            }
            if !profiles.is_empty() {
                any.push(format!(
                    "(p.place = 'profile' AND p.profile_id IN ({}))",
                    bound(profiles, &mut binds)
                ));
            }
            format!("({})", any.join(" OR "))
        }
        Scope::School => "p.place = 'school'".to_owned(),
        Scope::Course(course_id) => {
            binds.push(course_id);
            format!("p.place = 'course' AND p.course_id = ${}", binds.len())
        }
        Scope::Profile(profile_id) => {
            binds.push(profile_id);
            format!("p.place = 'profile' AND p.profile_id = ${}", binds.len())
        }
    };
    let unwanted = if unwanted.is_empty() {
        String::new()
    } else {
        format!(" AND p.author_id NOT IN ({})", bound(unwanted, &mut binds))
    };
    let sql = format!(
        "{POST} WHERE p.school_id = $1 AND p.status = 'visible' AND ($2 = '' OR p.id < $2) \
         AND {place}{unwanted} ORDER BY p.id DESC LIMIT {}",
        limit + 1
    );
    let mut query = sqlx::query_as(&sql);
    for bind in binds {
        query = query.bind(bind);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

/// Adds `values` to `binds`; answers their placeholders.
fn bound<'a>(values: &'a [String], binds: &mut Vec<&'a str>) -> String {
    let first = binds.len() + 1;
    binds.extend(values.iter().map(String::as_str));
    placeholders(first, values.len())
}

pub(crate) struct NewPost<'a> {
    pub id: &'a str,
    pub school_id: &'a str,
    pub place: PostPlace,
    pub course_id: Option<&'a str>,
    pub profile_id: Option<&'a str>,
    pub author_id: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub now: i64,
}

pub(crate) async fn insert_post(uow: &mut UnitOfWork, new: &NewPost<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO posts (id, school_id, place, course_id, profile_id, author_id, body, \
         body_html, status, created_at, edited_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)",
    )
    .bind(new.id)
    .bind(new.school_id)
    .bind(new.place.as_str())
    .bind(new.course_id)
    .bind(new.profile_id)
    .bind(new.author_id)
    .bind(new.body)
    .bind(new.body_html)
    .bind(new.status)
    .bind(new.now)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// Moves a post from one of `from` to `to`; `false` when it was in none of them.
pub(crate) async fn set_post_status(
    uow: &mut UnitOfWork,
    id: &str,
    from: &[&str],
    to: &str,
) -> Result<bool> {
    set_status(uow, "posts", id, from, to).await
}

pub(crate) async fn set_comment_status(
    uow: &mut UnitOfWork,
    id: &str,
    from: &[&str],
    to: &str,
) -> Result<bool> {
    set_status(uow, "comments", id, from, to).await
}

async fn set_status(
    uow: &mut UnitOfWork,
    table: &'static str,
    id: &str,
    from: &[&str],
    to: &str,
) -> Result<bool> {
    let sql = format!(
        "UPDATE {table} SET status = $1 WHERE id = $2 AND status IN ({})",
        placeholders(3, from.len())
    );
    let mut query = sqlx::query(&sql).bind(to).bind(id);
    for status in from {
        query = query.bind(*status);
    }
    Ok(query.execute(uow.conn()).await?.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CommentRow {
    pub id: String,
    pub post_id: String,
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_name: Option<String>,
    pub body: String,
    pub body_html: String,
    pub status: String,
    pub created_at: i64,
}

const COMMENT: &str = "SELECT c.id, c.post_id, c.parent_id, c.author_id, \
     d.display_name AS author_name, c.body, c.body_html, c.status, c.created_at FROM comments c \
     LEFT JOIN people d ON d.user_id = c.author_id";

pub(crate) async fn comment(db: &Db, school_id: &str, id: &str) -> Result<Option<CommentRow>> {
    Ok(
        sqlx::query_as(&format!("{COMMENT} WHERE c.id = $1 AND c.school_id = $2"))
            .bind(id)
            .bind(school_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The post's visible comments, oldest first, after `after` (or from the first), leaving out
/// `unwanted` authors.
pub(crate) async fn comments(
    db: &Db,
    post_id: &str,
    unwanted: &[String],
    after: &str,
    limit: i64,
) -> Result<Vec<CommentRow>> {
    let unwanted_sql = if unwanted.is_empty() {
        String::new()
    } else {
        format!(
            " AND c.author_id NOT IN ({})",
            placeholders(3, unwanted.len())
        )
    };
    let sql = format!(
        "{COMMENT} WHERE c.post_id = $1 AND c.status = 'visible' AND c.id > $2{unwanted_sql} \
         ORDER BY c.id LIMIT {}",
        limit + 1
    );
    let mut query = sqlx::query_as(&sql).bind(post_id).bind(after);
    for author in unwanted {
        query = query.bind(author);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

pub(crate) struct NewComment<'a> {
    pub id: &'a str,
    pub post_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub school_id: &'a str,
    pub author_id: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub now: i64,
}

pub(crate) async fn insert_comment(uow: &mut UnitOfWork, new: &NewComment<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO comments (id, post_id, parent_id, school_id, author_id, body, body_html, \
         status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new.id)
    .bind(new.post_id)
    .bind(new.parent_id)
    .bind(new.school_id)
    .bind(new.author_id)
    .bind(new.body)
    .bind(new.body_html)
    .bind(new.status)
    .bind(new.now)
    .execute(uow.conn())
    .await?;
    Ok(())
}

pub(crate) async fn react(
    uow: &mut UnitOfWork,
    post_id: &str,
    user_id: &str,
    kind: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reactions (post_id, user_id, kind, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (post_id, user_id) DO UPDATE SET kind = $3, created_at = $4",
    )
    .bind(post_id)
    .bind(user_id)
    .bind(kind)
    .bind(now)
    .execute(uow.conn())
    .await?;
    Ok(())
}

pub(crate) async fn unreact(uow: &mut UnitOfWork, post_id: &str, user_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM reactions WHERE post_id = $1 AND user_id = $2")
        .bind(post_id)
        .bind(user_id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

/// What a page of posts shows beside each: reactions by kind, the reader's own reaction, and
/// how many visible comments it has, in three queries whatever the page's size.
#[derive(Debug, Default)]
pub(crate) struct Tallies {
    pub reactions: HashMap<String, Vec<(String, i64)>>,
    pub mine: HashMap<String, String>,
    pub comments: HashMap<String, i64>,
}

pub(crate) async fn tallies(db: &Db, reader_id: &str, post_ids: &[String]) -> Result<Tallies> {
    let mut tallies = Tallies::default();
    if post_ids.is_empty() {
        return Ok(tallies);
    }
    let list = placeholders(2, post_ids.len());
    let sql = format!(
        "SELECT post_id, kind, COUNT(*) FROM reactions WHERE post_id IN ({}) \
         GROUP BY post_id, kind ORDER BY post_id, kind",
        placeholders(1, post_ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql);
    for id in post_ids {
        query = query.bind(id);
    }
    for (post_id, kind, count) in query.fetch_all(db.pool()).await? {
        tallies
            .reactions
            .entry(post_id)
            .or_default()
            .push((kind, count));
    }
    let sql =
        format!("SELECT post_id, kind FROM reactions WHERE user_id = $1 AND post_id IN ({list})");
    let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(reader_id);
    for id in post_ids {
        query = query.bind(id);
    }
    tallies.mine = query.fetch_all(db.pool()).await?.into_iter().collect();
    let sql = format!(
        "SELECT post_id, COUNT(*) FROM comments WHERE status = 'visible' AND post_id IN ({}) \
         GROUP BY post_id",
        placeholders(1, post_ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
    for id in post_ids {
        query = query.bind(id);
    }
    tallies.comments = query.fetch_all(db.pool()).await?.into_iter().collect();
    Ok(tallies)
}
