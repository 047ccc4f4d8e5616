//! A new post, told at once: the pages of those whose home feed will show it (everyone of the
//! school for the school's feed, a course's members for its feed, a person's followers for
//! their profile) get a `post` frame, and an open feed offers "New posts". Nobody who would
//! not be shown the author's posts (a mute or a block either way) is told. The frame carries
//! only ids: the feed itself decides what the reader sees.

use campus_contracts::social::PostPlace;
use campus_platform::{live::frames_for, Result};
use serde::Serialize;

use crate::{
    store::{self, posts::PostRow},
    Social,
};

/// What a `post` frame carries.
#[derive(Debug, Serialize)]
struct NewPost<'a> {
    post_id: &'a str,
    place: PostPlace,
    course_id: Option<&'a str>,
    author_id: &'a str,
}

/// Tells the post's readers' open pages that it was published.
pub(crate) async fn tell(social: &Social, post: &PostRow, school_id: &str) -> Result<()> {
    let mut audience: Vec<String> = match (post.place, &post.course_id, &post.profile_id) {
        (PostPlace::Course, Some(course_id), _) => social
            .rosters
            .members(course_id)
            .await?
            .into_iter()
            .map(|place| place.user_id)
            .collect(),
        (PostPlace::Profile, _, Some(profile_id)) => {
            let mut followers = store::graph::followers_of(&social.db, profile_id).await?;
            followers.push(profile_id.clone());
            followers
        }
        _ => social
            .people
            .of_school(school_id)
            .await?
            .into_iter()
            .map(|person| person.user_id)
            .collect(),
    };
    let unwilling = store::graph::not_shown_to(&social.db, &post.author_id).await?;
    audience.retain(|reader| !unwilling.contains(reader));
    let frame = NewPost {
        post_id: &post.id,
        place: post.place,
        course_id: post.course_id.as_deref(),
        author_id: &post.author_id,
    };
    social.live.send(frames_for(
        school_id,
        &audience,
        Some(&post.author_id),
        "post",
        &frame,
    ));
    Ok(())
}
