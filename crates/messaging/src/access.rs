//! A conversation as one caller may use it. A direct or group conversation is open to its
//! members; a class channel to the course's members (and the school's admins, who read but
//! are not listed as members). To anyone else a conversation does not exist: the answer is
//! 404, as for an id that names nothing. And the courses that join people, which the school's
//! rules of who may message whom are about.

use std::collections::HashMap;

use campus_contracts::{
    courses::{CourseRole, Visibility},
    messaging::ConversationKind,
};
use campus_platform::{auth::Permission, people::Caller, rosters::Standing, Error, Result};

use crate::{
    store::{self, ConversationRow},
    Messaging,
};

/// A conversation the caller may read.
pub(crate) struct Seat {
    /// Without its last activity (see [`store::conversation_facts`]).
    pub conversation: ConversationRow,
    /// For a class channel: the course's title and how the caller stands in it.
    pub course: Option<Standing>,
}

impl Seat {
    /// Loads conversation `id` for `caller`, or 404.
    pub(crate) async fn load(messaging: &Messaging, caller: &Caller, id: &str) -> Result<Self> {
        caller.require(Permission::Socialize)?;
        let not_found = Error::NotFound {
            what: "conversation",
        };
        let conversation = match store::conversation_facts(
            &messaging.db,
            &messaging.caches,
            &caller.school_id,
            id,
        )
        .await?
        {
            Some(row) => row,
            // A course's channel exists before its first message: its id is the course's.
            None => match messaging.rosters.course(&caller.school_id, id).await? {
                Some(course) => ConversationRow {
                    id: course.course_id.clone(),
                    school_id: course.school_id,
                    kind: ConversationKind::Course,
                    course_id: Some(course.course_id),
                    title: None,
                    last_message_at: None,
                },
                None => return Err(not_found),
            },
        };
        match (conversation.kind, conversation.course_id.as_deref()) {
            (ConversationKind::Course, Some(course_id)) => {
                let standing = messaging
                    .rosters
                    .standing(caller, course_id)
                    .await
                    .map_err(|error| error.unseen_as("conversation"))?;
                if standing.role.is_none() && !standing.admin {
                    return Err(not_found);
                }
                Ok(Self {
                    conversation,
                    course: Some(standing),
                })
            }
            _ => {
                if store::is_member(
                    &messaging.db,
                    &messaging.caches,
                    &conversation.id,
                    &caller.user_id,
                )
                .await?
                {
                    Ok(Self {
                        conversation,
                        course: None,
                    })
                } else {
                    Err(not_found)
                }
            }
        }
    }

    /// Writing in it: members may; an archived course's channel is read-only; an admin who
    /// holds no place in the course reads its channel but does not write in it.
    pub(crate) fn require_writable(&self) -> Result<()> {
        match &self.course {
            None => Ok(()),
            Some(standing) if standing.course.visibility == Visibility::Archived => {
                Err(Error::conflict(
                    "course_archived",
                    "the course is archived; its channel is read-only",
                ))
            }
            Some(standing) if standing.role.is_some() => Ok(()),
            Some(_) => Err(Error::forbidden(
                "only the course's members write in its channel",
            )),
        }
    }

    /// Everyone a frame about this conversation goes to.
    pub(crate) async fn audience(&self, messaging: &Messaging) -> Result<Vec<String>> {
        match &self.conversation.course_id {
            Some(course_id) if self.conversation.kind == ConversationKind::Course => Ok(messaging
                .rosters
                .members(course_id)
                .await?
                .into_iter()
                .map(|place| place.user_id)
                .collect()),
            _ => Ok(
                store::members(&messaging.db, &messaging.caches, &self.conversation.id)
                    .await?
                    .as_ref()
                    .clone(),
            ),
        }
    }
}

/// The published courses a person holds a place in, with that place.
pub(crate) async fn published_places(
    messaging: &Messaging,
    school_id: &str,
    user_id: &str,
) -> Result<HashMap<String, CourseRole>> {
    let mut places = HashMap::new();
    for place in messaging.rosters.places_of(school_id, user_id).await? {
        let open = messaging
            .rosters
            .course(school_id, &place.course_id)
            .await?
            .is_some_and(|course| course.visibility == Visibility::Published);
        if open {
            places.insert(place.course_id, place.course_role);
        }
    }
    Ok(places)
}
