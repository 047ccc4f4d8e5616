//! What is trending in a school: the courses most joined and most viewed in the last seven
//! days and the posts with the most comments in the last two, each shown only if the caller
//! may open it.

use std::collections::HashMap;

use campus_platform::{people::Caller, time, Result};

use crate::{
    domain::{day_of, DocKind},
    index::Ask,
    listeners::Activity,
    reach::Reach,
    routes::{link_to, Trending, TrendingCourse, TrendingPost, TrendingViewedCourse},
    Search,
};

/// How many of each are shown.
const SHOWN: usize = 5;
/// How many of the most active are looked at before those the caller may not open are left
/// out.
const CONSIDERED: i64 = 50;

pub(crate) async fn of(search: &Search, caller: &Caller, reach: &Reach) -> Result<Trending> {
    let today = day_of(time::now_ms());
    let school_id = &caller.school_id;
    let courses = most_active(search, school_id, Activity::Enrollment, today - 6).await?;
    let viewed = most_active(search, school_id, Activity::CourseView, today - 6).await?;
    let posts = most_active(search, school_id, Activity::Comment, today - 1).await?;
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
        viewed_courses: shown(DocKind::Course, &viewed)?
            .into_iter()
            .map(|(id, title, viewers)| TrendingViewedCourse {
                link: link_to(DocKind::Course, &id, None, None),
                id,
                title,
                viewers,
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

/// The school's targets with the most `activity` since `from_day`, most first.
async fn most_active(
    search: &Search,
    school_id: &str,
    activity: Activity,
    from_day: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT target_id, CAST(SUM(count) AS BIGINT) AS total FROM search_activity WHERE school_id = $1 \
         AND target_kind = $2 AND day >= $3 GROUP BY target_id ORDER BY total DESC, target_id \
         LIMIT $4",
    )
    .bind(school_id)
    .bind(activity.key())
    .bind(from_day)
    .bind(CONSIDERED)
    .fetch_all(search.db.pool())
    .await?)
}

/// How long trending's counts are kept: a day more than the longest span it looks at.
const KEPT_DAYS: i64 = 8;

/// Forgets counts and viewers older than [`KEPT_DAYS`], so trending's tables stay a week
/// deep.
pub(crate) async fn forget_old(db: &campus_platform::db::Db) -> Result<()> {
    let before = day_of(time::now_ms()) - KEPT_DAYS;
    db.write_one(sqlx::query("DELETE FROM search_activity WHERE day < $1").bind(before))
        .await?;
    db.write_one(sqlx::query("DELETE FROM search_course_viewers WHERE day < $1").bind(before))
        .await?;
    Ok(())
}
