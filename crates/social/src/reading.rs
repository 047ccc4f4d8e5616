//! What a caller may see and moderate. A post of the school's feed is the school's; a course's
//! is its members' (and the admins'); a profile's follows the school's rule on students'
//! profiles. A post that is not visible (held, hidden) is seen by its author and by those who
//! moderate it; a deleted one by nobody. To anyone else a post does not exist (404).

use std::collections::HashSet;

use campus_contracts::{courses::CourseRole, identity::Role, social::PostPlace};
use campus_platform::{
    auth::Permission,
    people::{Caller, Person},
    Error, Result,
};

use crate::{
    domain::{self, Rules},
    store::{self, posts::PostRow},
    Social,
};

/// Whether two people of the school hold places in a common course.
pub(crate) async fn share_a_course(
    social: &Social,
    school_id: &str,
    a: &str,
    b: &str,
) -> Result<bool> {
    let mine: HashSet<String> = social
        .rosters
        .places_of(school_id, a)
        .await?
        .into_iter()
        .map(|place| place.course_id)
        .collect();
    Ok(social
        .rosters
        .places_of(school_id, b)
        .await?
        .iter()
        .any(|place| mine.contains(&place.course_id)))
}

/// Whether `caller` may see `profile_id`'s profile and its posts; 404 for nobody of the school.
pub(crate) async fn may_see_profile(
    social: &Social,
    caller: &Caller,
    profile_id: &str,
    rules: &Rules,
) -> Result<bool> {
    let owner = social
        .people
        .person(&caller.school_id, profile_id)
        .await?
        .filter(|person| person.is_active())
        .ok_or(Error::NotFound { what: "person" })?;
    sees_profile(
        social,
        &caller.school_id,
        &caller.user_id,
        caller.role,
        &owner,
        rules,
    )
    .await
}

/// Whether the person `viewer_id`, of school role `viewer_role`, may see `owner`'s profile (the
/// caller reading it, or someone a post on it mentions).
pub(crate) async fn sees_profile(
    social: &Social,
    school_id: &str,
    viewer_id: &str,
    viewer_role: Role,
    owner: &Person,
    rules: &Rules,
) -> Result<bool> {
    let own = owner.user_id == viewer_id;
    let shared = !own
        && owner.role == Role::Student
        && share_a_course(social, school_id, viewer_id, &owner.user_id).await?;
    Ok(domain::may_see_profile(
        viewer_role,
        owner.role,
        own,
        shared,
        rules,
    ))
}

/// Whether `caller` may read the course's feed: its members and the school's admins.
pub(crate) async fn may_read_course(
    social: &Social,
    caller: &Caller,
    course_id: &str,
) -> Result<bool> {
    match social.rosters.standing(caller, course_id).await {
        Ok(standing) => Ok(standing.role.is_some() || standing.admin),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Whether `caller` moderates the post: the school's admins, and a course's teachers for its
/// feed.
pub(crate) async fn moderates(social: &Social, caller: &Caller, post: &PostRow) -> Result<bool> {
    if caller.can(Permission::ManageSchool) {
        return Ok(true);
    }
    match (post.place, post.course_id.as_deref()) {
        (PostPlace::Course, Some(course_id)) => Ok(social
            .rosters
            .standing(caller, course_id)
            .await
            .is_ok_and(|standing| standing.role == Some(CourseRole::Teacher))),
        _ => Ok(false),
    }
}

/// Whether `caller` may read the place the post is in (its status aside).
pub(crate) async fn may_read_place(
    social: &Social,
    caller: &Caller,
    post: &PostRow,
    rules: &Rules,
) -> Result<bool> {
    match post.place {
        PostPlace::School => Ok(true),
        PostPlace::Course => match &post.course_id {
            Some(course_id) => may_read_course(social, caller, course_id).await,
            None => Ok(false),
        },
        PostPlace::Profile => match &post.profile_id {
            Some(profile_id) => Ok(may_see_profile(social, caller, profile_id, rules)
                .await
                .unwrap_or(false)),
            None => Ok(false),
        },
    }
}

/// A post `caller` may see, with whether they moderate it; 404 otherwise.
pub(crate) async fn readable_post(
    social: &Social,
    caller: &Caller,
    post_id: &str,
) -> Result<(PostRow, bool)> {
    caller.require(Permission::Socialize)?;
    let not_found = || Error::NotFound { what: "post" };
    let post = store::posts::post(&social.db, &caller.school_id, post_id)
        .await?
        .ok_or_else(not_found)?;
    let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
    if !may_read_place(social, caller, &post, &rules).await? {
        return Err(not_found());
    }
    let moderator = moderates(social, caller, &post).await?;
    let shown = match post.status.as_str() {
        "visible" => {
            post.author_id == caller.user_id
                || moderator
                || !store::graph::unwanted_by(&social.db, &social.caches, &caller.user_id)
                    .await?
                    .contains(&post.author_id)
        }
        "held" | "hidden" => post.author_id == caller.user_id || moderator,
        _ => false,
    };
    if shown {
        Ok((post, moderator))
    } else {
        Err(not_found())
    }
}
