use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
};

use campus_contracts::social::PostPlace;
use campus_platform::{
    db::{placeholders, Db, UnitOfWork},
    Result,
};

use super::Caches;
use crate::domain::SubjectKind;

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
#[allow(clippy::too_many_arguments)]
pub(crate) async fn set_image(
    uow: &mut UnitOfWork,
    caches: &Caches,
    school_id: &str,
    id: &str,
    key: &str,
    content_type: &str,
    size: i64,
    alt: &str,
) -> Result<bool> {
    let set = sqlx::query(
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
        == 1;
    Caches::forget_after(uow, &caches.recent, &[school_id]);
    Ok(set)
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

/// How many of a school's newest visible posts [`recent`] keeps: enough for the first pages
/// of nearly every reader's home feed.
pub(crate) const RECENT: usize = 200;

/// A school's newest visible posts, newest first, as one read of the database saw them, with
/// their tallies: a feed page picked from them reads nothing but, once per window, the
/// reader's own reactions. Reacting or commenting forgets the school's window like posting.
#[derive(Debug)]
pub(crate) struct Recent {
    rows: Vec<PostRow>,
    /// The school has no visible post older than these.
    complete: bool,
    /// Reactions by kind and visible comments of `rows`.
    counts: Counts,
    /// Each reader's own reactions to `rows`, read on their first page from this window (it
    /// lives a few seconds at most, so this holds only that while's readers).
    mine: Mutex<HashMap<String, Arc<HashMap<String, String>>>>,
}

/// Where a reader's home feed draws from.
pub(crate) struct Sources<'a> {
    pub courses: &'a HashSet<&'a str>,
    pub profiles: &'a HashSet<&'a str>,
    pub unwanted: &'a HashSet<&'a str>,
}

impl Recent {
    /// The page of the home feed older than `before` (or the newest), of up to `limit` posts
    /// and one more to tell whether another page follows, exactly as [`visible`] would read
    /// it; `None` when the window runs out before the page is full and older posts exist.
    pub(crate) fn feed_page(
        &self,
        sources: &Sources<'_>,
        before: &str,
        limit: i64,
    ) -> Option<Vec<PostRow>> {
        let wanted = usize::try_from(limit + 1).unwrap_or(usize::MAX);
        let page: Vec<PostRow> = self
            .rows
            .iter()
            .filter(|row| before.is_empty() || row.id.as_str() < before)
            .filter(|row| !sources.unwanted.contains(row.author_id.as_str()))
            .filter(|row| match row.place {
                PostPlace::School => true,
                PostPlace::Course => row
                    .course_id
                    .as_deref()
                    .is_some_and(|id| sources.courses.contains(id)),
                PostPlace::Profile => row
                    .profile_id
                    .as_deref()
                    .is_some_and(|id| sources.profiles.contains(id)),
            })
            .take(wanted)
            .cloned()
            .collect();
        (page.len() == wanted || self.complete).then_some(page)
    }

    /// Reactions by kind and visible comments of the window's posts.
    pub(crate) fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The reader's own reactions to the window's posts, by post.
    pub(crate) async fn mine(
        &self,
        db: &Db,
        reader_id: &str,
    ) -> Result<Arc<HashMap<String, String>>> {
        if let Some(mine) = self.known_mine(reader_id) {
            return Ok(mine);
        }
        let mine = match self.rows.last() {
            // Ids grow with time; a reader's reactions to posts newer than the window's
            // oldest are few (an index on reader and post finds them).
            Some(oldest) => sqlx::query_as::<_, (String, String)>(
                "SELECT post_id, kind FROM reactions WHERE user_id = $1 AND post_id >= $2",
            )
            .bind(reader_id)
            .bind(&oldest.id)
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect(),
            None => HashMap::new(),
        };
        let mine = Arc::new(mine);
        self.mine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(reader_id.to_owned(), mine.clone());
        Ok(mine)
    }

    fn known_mine(&self, reader_id: &str) -> Option<Arc<HashMap<String, String>>> {
        self.mine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(reader_id)
            .cloned()
    }
}

/// The school's newest visible posts, kept in memory until a post of the school is written,
/// changes status, gets a picture, a reaction or a comment, or a comment changes status (here,
/// and through Redis in the other processes), or for the caches' time to live at most; an
/// author's new display name shows within that time.
pub(crate) async fn recent(db: &Db, caches: &Caches, school_id: &str) -> Result<Arc<Recent>> {
    caches
        .recent
        .get_or_load(&school_id.to_owned(), || async {
            let mut rows: Vec<PostRow> = sqlx::query_as(&format!(
                "{POST} WHERE p.school_id = $1 AND p.status = 'visible' \
                 ORDER BY p.id DESC LIMIT {}",
                RECENT + 1
            ))
            .bind(school_id)
            .fetch_all(db.pool())
            .await?;
            let complete = rows.len() <= RECENT;
            rows.truncate(RECENT);
            let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
            let counts = tally(db, None, &ids).await?.counts;
            Ok(Arc::new(Recent {
                rows,
                complete,
                counts,
                mine: Mutex::default(),
            }))
        })
        .await
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

pub(crate) async fn insert_post(
    uow: &mut UnitOfWork,
    caches: &Caches,
    new: &NewPost<'_>,
) -> Result<()> {
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
    Caches::forget_after(uow, &caches.recent, &[new.school_id]);
    Ok(())
}

/// Moves a post or comment of the school from one of `from` to `to`; `false` when it was in
/// none of them.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn set_status(
    uow: &mut UnitOfWork,
    caches: &Caches,
    school_id: &str,
    kind: SubjectKind,
    id: &str,
    from: &[&str],
    to: &str,
) -> Result<bool> {
    let table = match kind {
        SubjectKind::Post => "posts",
        SubjectKind::Comment => "comments",
    };
    let sql = format!(
        "UPDATE {table} SET status = $1 WHERE id = $2 AND status IN ({})",
        placeholders(3, from.len())
    );
    let mut query = sqlx::query(&sql).bind(to).bind(id);
    for status in from {
        query = query.bind(*status);
    }
    let changed = query.execute(uow.conn()).await?.rows_affected() == 1;
    Caches::forget_after(uow, &caches.recent, &[school_id]);
    Ok(changed)
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

pub(crate) async fn insert_comment(
    uow: &mut UnitOfWork,
    caches: &Caches,
    new: &NewComment<'_>,
) -> Result<()> {
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
    Caches::forget_after(uow, &caches.recent, &[new.school_id]);
    Ok(())
}

/// The reader's reaction to a post of `school_id`, new or instead of their last.
pub(crate) async fn react(
    uow: &mut UnitOfWork,
    caches: &Caches,
    school_id: &str,
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
    Caches::forget_after(uow, &caches.recent, &[school_id]);
    Ok(())
}

pub(crate) async fn unreact(
    uow: &mut UnitOfWork,
    caches: &Caches,
    school_id: &str,
    post_id: &str,
    user_id: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM reactions WHERE post_id = $1 AND user_id = $2")
        .bind(post_id)
        .bind(user_id)
        .execute(uow.conn())
        .await?;
    Caches::forget_after(uow, &caches.recent, &[school_id]);
    Ok(())
}

/// What a page of posts shows beside each: reactions by kind and how many visible comments
/// it has ([`Counts`]), and the reader's own reaction, in one query whatever the page's size.
#[derive(Debug, Default)]
pub(crate) struct Tallies {
    pub counts: Counts,
    pub mine: HashMap<String, String>,
}

/// Reactions by kind and visible comments, by post.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub reactions: HashMap<String, Vec<(String, i64)>>,
    pub comments: HashMap<String, i64>,
}

pub(crate) async fn tallies(db: &Db, reader_id: &str, post_ids: &[String]) -> Result<Tallies> {
    tally(db, Some(reader_id), post_ids).await
}

/// The posts' tallies; the reader's own reactions too when a reader is named.
async fn tally(db: &Db, reader_id: Option<&str>, post_ids: &[String]) -> Result<Tallies> {
    let mut tallies = Tallies::default();
    if post_ids.is_empty() {
        return Ok(tallies);
    }
    // The ids are bound once (after the reader, if any) and named by every part.
    let first = usize::from(reader_id.is_some()) + 1;
    let list = placeholders(first, post_ids.len());
    let mine = match reader_id {
        Some(_) => format!(
            "UNION ALL SELECT post_id, 'mine', kind, 0 FROM reactions \
             WHERE user_id = $1 AND post_id IN ({list}) "
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT post_id, 'reactions' AS tally, kind, COUNT(*) AS n FROM reactions \
         WHERE post_id IN ({list}) GROUP BY post_id, kind \
         {mine}UNION ALL SELECT post_id, 'comments', '', COUNT(*) FROM comments \
         WHERE status = 'visible' AND post_id IN ({list}) GROUP BY post_id \
         ORDER BY 1, 2, 3"
    );
    let mut query = sqlx::query_as::<_, (String, String, String, i64)>(&sql);
    if let Some(reader_id) = reader_id {
        query = query.bind(reader_id);
    }
    for id in post_ids {
        query = query.bind(id);
    }
    for (post_id, tally, kind, count) in query.fetch_all(db.pool()).await? {
        match tally.as_str() {
            "reactions" => tallies
                .counts
                .reactions
                .entry(post_id)
                .or_default()
                .push((kind, count)),
            "mine" => {
                tallies.mine.insert(post_id, kind);
            }
            _ => {
                tallies.counts.comments.insert(post_id, count);
            }
        }
    }
    Ok(tallies)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, place: PostPlace, of: &str, author: &str) -> PostRow {
        PostRow {
            id: id.to_owned(),
            place,
            course_id: (place == PostPlace::Course).then(|| of.to_owned()),
            profile_id: (place == PostPlace::Profile).then(|| of.to_owned()),
            author_id: author.to_owned(),
            author_name: None,
            body: String::new(),
            body_html: String::new(),
            status: "visible".to_owned(),
            created_at: 0,
            image_key: None,
            image_type: None,
            image_size: None,
            image_alt: None,
        }
    }

    /// Newest first, as the window is read.
    fn window(complete: bool) -> Recent {
        Recent {
            rows: vec![
                post("09", PostPlace::Course, "chemistry", "ms-cho"),
                post("08", PostPlace::Profile, "ms-cho", "ms-cho"),
                post("07", PostPlace::Course, "physics", "mr-ode"),
                post("06", PostPlace::School, "", "principal"),
                post("05", PostPlace::Profile, "mr-ode", "mr-ode"),
                post("04", PostPlace::School, "", "troll"),
                post("03", PostPlace::Course, "physics", "sam"),
            ],
            complete,
            counts: Counts::default(),
            mine: Mutex::default(),
        }
    }

    fn ids(page: Option<Vec<PostRow>>) -> Option<Vec<String>> {
        page.map(|rows| rows.into_iter().map(|row| row.id).collect())
    }

    #[test]
    fn a_feed_page_holds_the_readers_places_and_leaves_out_who_they_do_not_want() {
        let courses = HashSet::from(["physics"]);
        let profiles = HashSet::from(["mr-ode"]);
        let unwanted = HashSet::from(["troll"]);
        let sources = Sources {
            courses: &courses,
            profiles: &profiles,
            unwanted: &unwanted,
        };
        let recent = window(false);
        // The limit and one more, to tell that another page follows.
        assert_eq!(
            ids(recent.feed_page(&sources, "", 2)),
            Some(vec!["07".into(), "06".into(), "05".into()])
        );
        // Older than the cursor.
        assert_eq!(
            ids(recent.feed_page(&sources, "06", 1)),
            Some(vec!["05".into(), "03".into()])
        );
        // The window runs out before the page is full while older posts exist: not answered
        // here, so the database is read.
        assert_eq!(ids(recent.feed_page(&sources, "06", 5)), None);
        assert_eq!(ids(recent.feed_page(&sources, "02", 5)), None);
        // When the window holds every visible post of the school, a short page is the end.
        let all = window(true);
        assert_eq!(
            ids(all.feed_page(&sources, "06", 5)),
            Some(vec!["05".into(), "03".into()])
        );
        assert_eq!(ids(all.feed_page(&sources, "02", 5)), Some(vec![]));
    }

    #[test]
    fn a_feed_page_without_courses_or_follows_is_the_schools() {
        let none = HashSet::new();
        let sources = Sources {
            courses: &none,
            profiles: &none,
            unwanted: &none,
        };
        assert_eq!(
            ids(window(true).feed_page(&sources, "", 20)),
            Some(vec!["06".into(), "04".into()])
        );
    }
}
