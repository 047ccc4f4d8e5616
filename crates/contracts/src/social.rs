//! Social's published language: where a post lives, and what social tells the other contexts
//! (posts and comments to index and notify about, moderators' actions for the school's audit
//! log, blocks, which messaging honours too, and who sees students' profiles, which search
//! honours).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Event, EventSchema};

/// Where a post lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostPlace {
    /// The school's feed: everyone of the school.
    School,
    /// A course's feed: its members.
    Course,
    /// A person's profile.
    Profile,
}

crate::text_enum!(PostPlace, "post place", {
    School => "school",
    Course => "course",
    Profile => "profile",
});

/// What a moderator or the school's word list did to a post or comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Taken out of every feed.
    Hide,
    /// Shown again (a hidden one, or one the word list held).
    Restore,
    /// The reports were unfounded; it stays as it is.
    Dismiss,
}

crate::text_enum!(ModerationAction, "moderation action", {
    Hide => "hide",
    Restore => "restore",
    Dismiss => "dismiss",
});

/// Someone posted, and the post is visible (a post the school's word list holds is published
/// when a moderator restores it).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PostPublished {
    pub post_id: String,
    pub school_id: String,
    pub place: PostPlace,
    /// The course, for a course's feed.
    pub course_id: Option<String>,
    /// The person whose profile it is on, for a profile post.
    pub profile_id: Option<String>,
    pub author_id: String,
    /// Markdown, as written.
    pub body: String,
    /// The people mentioned with `@name` who may see the post (never its author).
    #[serde(default)]
    pub mentioned: Vec<String>,
}

impl Event for PostPublished {
    const TYPE: &'static str = "campus.social.post_published.v1";

    fn subject(&self) -> String {
        self.post_id.clone()
    }
}

/// A post or comment was taken out of every feed (hidden by a moderator, or deleted by its
/// author); indexes and caches drop it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PostWithdrawn {
    pub post_id: String,
    /// The comment, when a comment was withdrawn rather than the post.
    pub comment_id: Option<String>,
    pub school_id: String,
}

impl Event for PostWithdrawn {
    const TYPE: &'static str = "campus.social.post_withdrawn.v1";

    fn subject(&self) -> String {
        self.post_id.clone()
    }
}

/// Someone commented on a post.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CommentAdded {
    pub comment_id: String,
    pub post_id: String,
    pub school_id: String,
    pub author_id: String,
    /// The post's author, who may want to know.
    pub post_author_id: String,
    pub body: String,
    /// The people mentioned with `@name` who may see the comment (never its author).
    #[serde(default)]
    pub mentioned: Vec<String>,
    /// The course, when the post is in a course's feed.
    #[serde(default)]
    pub course_id: Option<String>,
}

impl Event for CommentAdded {
    const TYPE: &'static str = "campus.social.comment_added.v1";

    fn subject(&self) -> String {
        self.post_id.clone()
    }
}

/// A moderator acted on a post or comment: for the school's audit log.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ModerationTaken {
    pub school_id: String,
    pub moderator_id: String,
    pub action: ModerationAction,
    /// `post` or `comment`.
    pub subject_kind: String,
    pub subject_id: String,
    /// Why, in the moderator's words.
    pub note: Option<String>,
}

impl Event for ModerationTaken {
    const TYPE: &'static str = "campus.social.moderation_taken.v1";

    fn subject(&self) -> String {
        self.subject_id.clone()
    }
}

/// Someone blocked another person of their school: the blocked person cannot message them and
/// sees nothing new from them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PersonBlocked {
    pub school_id: String,
    pub blocker_id: String,
    pub blocked_id: String,
}

impl Event for PersonBlocked {
    const TYPE: &'static str = "campus.social.person_blocked.v1";

    fn subject(&self) -> String {
        self.blocker_id.clone()
    }
}

/// Someone lifted a block.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PersonUnblocked {
    pub school_id: String,
    pub blocker_id: String,
    pub blocked_id: String,
}

impl Event for PersonUnblocked {
    const TYPE: &'static str = "campus.social.person_unblocked.v1";

    fn subject(&self) -> String {
        self.blocker_id.clone()
    }
}

/// The school's admins changed who sees students' profiles (and what is on them): the whole
/// school, or (the default) the student, the school's admins and the people of their courses.
/// Told only when the setting changes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StudentProfilesVisibilityChanged {
    pub school_id: String,
    /// Students' profiles are seen by the whole school.
    pub student_profiles_public: bool,
    /// The admin who changed it.
    pub changed_by: String,
}

impl Event for StudentProfilesVisibilityChanged {
    const TYPE: &'static str = "campus.social.student_profiles_visibility_changed.v1";

    fn subject(&self) -> String {
        self.school_id.clone()
    }
}

pub fn published() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<PostPublished>(),
        EventSchema::of::<PostWithdrawn>(),
        EventSchema::of::<CommentAdded>(),
        EventSchema::of::<ModerationTaken>(),
        EventSchema::of::<PersonBlocked>(),
        EventSchema::of::<StudentProfilesVisibilityChanged>(),
        EventSchema::of::<PersonUnblocked>(),
    ]
}
