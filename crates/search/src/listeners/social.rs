//! Posts and comments (found by those who may read them, gone once hidden or deleted),
//! blocks, and the school's rule on who sees students' profiles.

use campus_contracts::{
    identity::Role,
    social::{
        CommentAdded, PersonBlocked, PersonUnblocked, PostPlace, PostPublished, PostWithdrawn,
        StudentProfilesVisibilityChanged,
    },
};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event},
    markdown, time,
};

use super::{count_activity, person_audience, redraw_person, today, Activity};
use crate::{
    documents::{self, NewDoc},
    domain::{Audience, DocKind, Language},
};

pub(super) const EVENTS: [&str; 6] = [
    PostPublished::TYPE,
    PostWithdrawn::TYPE,
    CommentAdded::TYPE,
    PersonBlocked::TYPE,
    PersonUnblocked::TYPE,
    StudentProfilesVisibilityChanged::TYPE,
];

/// A post's title in results: the start of its first line.
const TITLE_CHARS: usize = 80;

fn title_of(body: &str) -> String {
    let first = body.lines().next().unwrap_or_default();
    if first.chars().count() <= TITLE_CHARS {
        first.to_owned()
    } else {
        let cut: String = first.chars().take(TITLE_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

pub(super) async fn handle(uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
    match event.event_type.as_str() {
        PostPublished::TYPE => {
            let post: PostPublished = event.data_as()?;
            let (audience, audience_of) = match (post.place, &post.course_id, &post.profile_id) {
                (PostPlace::Course, Some(course_id), _) => {
                    (vec![Audience::course(course_id)], None)
                }
                (PostPlace::Profile, _, Some(owner)) => (
                    person_audience(uow, owner).await?,
                    Some(Audience::person(owner)),
                ),
                _ => (vec![Audience::SCHOOL.to_owned()], None),
            };
            let body = markdown::plain_text(&post.body);
            documents::put(
                uow,
                NewDoc {
                    school_id: post.school_id.clone(),
                    kind: DocKind::Post,
                    entity_id: post.post_id.clone(),
                    course_id: post.course_id.clone(),
                    conversation_id: None,
                    parent_id: None,
                    author_id: Some(post.author_id.clone()),
                    title: title_of(&body),
                    language: Language::of(None, &body),
                    body,
                    audience,
                    audience_of,
                    created_at: time::now_ms(),
                },
            )
            .await?;
            // A post a moderator restores brings its comments back.
            documents::withdraw_children(uow, &post.post_id, false).await?;
        }
        PostWithdrawn::TYPE => {
            let withdrawn: PostWithdrawn = event.data_as()?;
            match &withdrawn.comment_id {
                Some(comment_id) => {
                    documents::withdraw(uow, &DocKind::Comment.doc_id(comment_id), true).await?
                }
                None => {
                    documents::withdraw(uow, &DocKind::Post.doc_id(&withdrawn.post_id), true)
                        .await?;
                    documents::withdraw_children(uow, &withdrawn.post_id, true).await?;
                }
            }
        }
        CommentAdded::TYPE => {
            let comment: CommentAdded = event.data_as()?;
            // A comment is found by those who find its post; the post's document tells who.
            let post = documents::audience_of(uow, &DocKind::Post.doc_id(&comment.post_id)).await?;
            let (audience, audience_of, post_withdrawn) = match post {
                Some((audience, of, withdrawn)) => (audience, of, withdrawn),
                None => (
                    match &comment.course_id {
                        Some(course_id) => vec![Audience::course(course_id)],
                        None => vec![Audience::person(&comment.post_author_id)],
                    },
                    None,
                    false,
                ),
            };
            let body = markdown::plain_text(&comment.body);
            documents::put(
                uow,
                NewDoc {
                    school_id: comment.school_id.clone(),
                    kind: DocKind::Comment,
                    entity_id: comment.comment_id.clone(),
                    course_id: comment.course_id.clone(),
                    conversation_id: None,
                    parent_id: Some(comment.post_id.clone()),
                    author_id: Some(comment.author_id.clone()),
                    title: title_of(&body),
                    language: Language::of(None, &body),
                    body,
                    audience,
                    audience_of,
                    created_at: time::now_ms(),
                },
            )
            .await?;
            if post_withdrawn {
                sqlx::query("UPDATE search_documents SET parent_withdrawn = 1 WHERE doc_id = $1")
                    .bind(DocKind::Comment.doc_id(&comment.comment_id))
                    .execute(uow.conn())
                    .await?;
            }
            count_activity(
                uow,
                &comment.school_id,
                Activity::Comment,
                &comment.post_id,
                today(),
                1,
            )
            .await?;
        }
        PersonBlocked::TYPE => {
            let block: PersonBlocked = event.data_as()?;
            sqlx::query(
                "INSERT INTO search_blocks (blocker_id, blocked_id) VALUES ($1, $2) \
                 ON CONFLICT (blocker_id, blocked_id) DO NOTHING",
            )
            .bind(&block.blocker_id)
            .bind(&block.blocked_id)
            .execute(uow.conn())
            .await?;
        }
        PersonUnblocked::TYPE => {
            let block: PersonUnblocked = event.data_as()?;
            sqlx::query("DELETE FROM search_blocks WHERE blocker_id = $1 AND blocked_id = $2")
                .bind(&block.blocker_id)
                .bind(&block.blocked_id)
                .execute(uow.conn())
                .await?;
        }
        StudentProfilesVisibilityChanged::TYPE => {
            let rule: StudentProfilesVisibilityChanged = event.data_as()?;
            let public = i64::from(rule.student_profiles_public);
            let before: Option<(i64,)> = sqlx::query_as(
                "SELECT student_profiles_public FROM search_school_rules WHERE school_id = $1",
            )
            .bind(&rule.school_id)
            .fetch_optional(uow.conn())
            .await?;
            if before.map_or(0, |(was,)| was) == public {
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO search_school_rules (school_id, student_profiles_public) \
                 VALUES ($1, $2) ON CONFLICT (school_id) DO UPDATE SET \
                 student_profiles_public = $2",
            )
            .bind(&rule.school_id)
            .bind(public)
            .execute(uow.conn())
            .await?;
            // Every student of the school, and what is on their profile, is found anew.
            let students: Vec<(String,)> = sqlx::query_as(
                "SELECT user_id FROM search_people WHERE school_id = $1 AND role = $2",
            )
            .bind(&rule.school_id)
            .bind(Role::Student.as_str())
            .fetch_all(uow.conn())
            .await?;
            for (student,) in students {
                redraw_person(uow, &student).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_first_line_is_cut_for_the_title() {
        assert_eq!(
            title_of("Field trip friday\nbring lunch"),
            "Field trip friday"
        );
        let long = "word ".repeat(40);
        let title = title_of(&long);
        assert!(title.ends_with('…') && title.chars().count() <= TITLE_CHARS);
    }
}
