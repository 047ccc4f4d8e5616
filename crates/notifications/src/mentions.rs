//! Mentions: a post or comment that names someone with `@name` tells them, once the post is
//! visible (social works out who is mentioned and may see it; this context only tells). A
//! burst of mentions in one course's feed folds into one line like any other notice.

use async_trait::async_trait;
use campus_contracts::social::{CommentAdded, PostPublished};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event, Handler, Subscription},
    live::Live,
};

use crate::{
    preferences::Category,
    telling::{tell, Notice, Title},
};

pub(crate) fn subscription(live: Live) -> Subscription {
    Subscription::new(
        "mentions",
        vec![PostPublished::TYPE, CommentAdded::TYPE],
        Mentions { live },
    )
}

struct Mentions {
    live: Live,
}

/// Who wrote what where, as far as a mention needs it.
struct Mention<'a> {
    school_id: &'a str,
    course_id: Option<&'a str>,
    post_id: &'a str,
    author_id: &'a str,
}

#[async_trait]
impl Handler for Mentions {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        match event.event_type.as_str() {
            PostPublished::TYPE => {
                let post: PostPublished = event.data_as()?;
                let mention = Mention {
                    school_id: &post.school_id,
                    course_id: post.course_id.as_deref(),
                    post_id: &post.post_id,
                    author_id: &post.author_id,
                };
                self.tell(uow, &mention, post.mentioned).await
            }
            CommentAdded::TYPE => {
                let comment: CommentAdded = event.data_as()?;
                let mention = Mention {
                    school_id: &comment.school_id,
                    course_id: comment.course_id.as_deref(),
                    post_id: &comment.post_id,
                    author_id: &comment.author_id,
                };
                self.tell(uow, &mention, comment.mentioned).await
            }
            _ => Ok(()),
        }
    }
}

impl Mentions {
    async fn tell(
        &self,
        uow: &mut UnitOfWork,
        mention: &Mention<'_>,
        mentioned: Vec<String>,
    ) -> anyhow::Result<()> {
        if mentioned.is_empty() {
            return Ok(());
        }
        let author: Option<(String,)> =
            sqlx::query_as("SELECT display_name FROM people WHERE user_id = $1")
                .bind(mention.author_id)
                .fetch_optional(uow.conn())
                .await?;
        let name = author.map(|(name,)| name).unwrap_or_default();
        let notice = Notice {
            school_id: mention.school_id,
            category: Category::Mentions,
            kind: "mentioned",
            course_id: mention.course_id.unwrap_or_default(),
            subject_id: mention.post_id,
            title: Title::Given(&name),
            actor: Some(mention.author_id),
        };
        tell(uow, &self.live, &notice, mentioned).await?;
        Ok(())
    }
}
