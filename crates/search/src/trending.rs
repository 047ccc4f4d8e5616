//! What is trending in a school: the courses most joined in the last seven days and the posts
//! with the most comments in the last two, each shown only if the caller may open it.

use std::collections::HashMap;

use campus_platform::{people::Caller, time, Result};

use crate::{
    domain::{day_of, DocKind},
    index::Ask,
    reach::Reach,
    routes::{link_to, Trending, TrendingCourse, TrendingPost},
    Search,
};

/// How many of each are shown.
const SHOWN: usize = 5;
/// How many of the most active are looked at before those the caller may not open are left
/// out.
const CONSIDERED: i64 = 50;

pub(crate) async fn of(search: &Search, caller: &Caller, reach: &Reach) -> Result<Trending> {
    let today = day_of(time::now_ms());
    let courses = most_active(search, &caller.school_id, "course", today - 6).await?;
    let posts = most_active(search, &caller.school_id, "post", today - 1).await?;
    let shown = |kind: DocKind, counts: &[(String, i64)]| -> Result<Vec<(String, String, i64)>> {
        let doc_ids: Vec<String> = counts.iter().map(|(id, _)| kind.doc_id(id)).collect();
        let count: HashMap<&str, i64> = counts.iter().map(|(id, n)| (id.as_str(), *n)).collect();
        let ask = Ask {
            school_id: &caller.school_id,
            text: "",
            kinds: &[kind],
            course: None,
            conversation: None,
            audience: reach.audience(),
            unwanted: &reach.unwanted,
            offset: 0,
            limit: SHOWN,
        };
        Ok(search
            .index
            .these(&ask, &doc_ids)?
            .into_iter()
            .take(SHOWN)
            .map(|hit| {
                let n = count.get(hit.id.as_str()).copied().unwrap_or_default();
                (hit.id, hit.title, n)
            })
            .collect())
    };
    Ok(Trending {
        courses: shown(DocKind::Course, &courses)?
            .into_iter()
            .map(|(id, title, enrollments)| TrendingCourse {
                link: link_to(DocKind::Course, &id, None, None),
                id,
                title,
                enrollments,
            })
            .collect(),
        posts: shown(DocKind::Post, &posts)?
            .into_iter()
            .map(|(id, title, comments)| TrendingPost {
                link: link_to(DocKind::Post, &id, None, None),
                id,
                title,
                comments,
            })
            .collect(),
    })
}

/// The school's targets of a kind with the most activity since `from_day`, most first.
async fn most_active(
    search: &Search,
    school_id: &str,
    target_kind: &str,
    from_day: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT target_id, CAST(SUM(count) AS BIGINT) AS total FROM search_activity WHERE school_id = $1 \
         AND target_kind = $2 AND day >= $3 GROUP BY target_id ORDER BY total DESC, target_id \
         LIMIT $4",
    )
    .bind(school_id)
    .bind(target_kind)
    .bind(from_day)
    .bind(CONSIDERED)
    .fetch_all(search.db.pool())
    .await?)
}
