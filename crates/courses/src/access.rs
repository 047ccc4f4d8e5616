//! Who may do what to a course. One place decides it, from three facts: the caller's school
//! role (as the people directory last heard it from identity, else as their token says), their
//! role in the course, and the course's visibility.
//!
//! A course the caller may not see answers 404, exactly like one that does not exist, so
//! drafts and other schools' ids reveal nothing.
//!
//! Teaching a course needs the school's permission to teach: someone who is no longer a
//! teacher (demoted by an admin) keeps their place as the course's teacher, but not its rights,
//! in every course at once, and has them again when restored ([`effective`]). Assistants keep
//! theirs, since students may assist.

use std::sync::Arc;

use campus_platform::{auth::Permission, people::Caller, Error, Result};

use crate::{
    domain::{CourseRole, Visibility},
    shelf::Outline,
    store::CourseRow,
    Courses,
};

/// The rights a place in a course gives its holder now: a course teacher whose school role no
/// longer teaches has none until restored.
pub(crate) fn effective(role: CourseRole, caller: &Caller) -> Option<CourseRole> {
    match role {
        CourseRole::Teacher if !caller.can(Permission::Teach) => None,
        role => Some(role),
    }
}

/// A course as one caller stands towards it.
#[derive(Debug, Clone)]
pub struct CourseAccess {
    pub outline: Arc<Outline>,
    /// The caller's role in the course, if they have a place in it that gives them rights
    /// now (see [`effective`]).
    pub membership: Option<CourseRole>,
    pub admin: bool,
}

impl CourseAccess {
    /// Loads a course of the caller's school that they may see, or 404. Reads may be up to
    /// [`TTL`](crate::shelf::TTL) old when another process changed the course.
    pub async fn load(courses: &Courses, caller: &Caller, course_id: &str) -> Result<Self> {
        let outline = courses
            .caches
            .outline(&courses.db, &caller.school_id, course_id)
            .await?
            .ok_or(Error::NotFound { what: "course" })?;
        let membership = courses
            .caches
            .places(&courses.db, &caller.school_id, &caller.user_id)
            .await?
            .get(course_id)
            .and_then(|role| effective(*role, caller));
        let access = Self {
            outline,
            membership,
            admin: caller.is_admin(),
        };
        if access.can_see() {
            Ok(access)
        } else {
            Err(Error::NotFound { what: "course" })
        }
    }

    /// As [`load`](Self::load), but read fresh from the database: what a change builds on.
    pub async fn load_fresh(courses: &Courses, caller: &Caller, course_id: &str) -> Result<Self> {
        courses.caches.forget_course(&caller.school_id, course_id);
        // The caller's places too: a course they made a moment ago through another process
        // is not yet among the places this one remembers.
        courses
            .caches
            .forget_places(&caller.school_id, &caller.user_id);
        Self::load(courses, caller, course_id).await
    }

    pub fn course(&self) -> &CourseRow {
        &self.outline.course
    }

    pub fn visibility(&self) -> Visibility {
        self.outline.course.visibility
    }

    /// Teachers, assistants and the school's admins.
    pub fn is_staff(&self) -> bool {
        self.admin || self.membership.is_some_and(CourseRole::is_staff)
    }

    pub fn is_student(&self) -> bool {
        self.membership == Some(CourseRole::Student)
    }

    /// Published courses are seen by the whole school; drafts only by staff; archived
    /// courses by staff and their former members.
    pub fn can_see(&self) -> bool {
        match self.visibility() {
            Visibility::Published => true,
            Visibility::Draft => self.is_staff(),
            Visibility::Archived => self.is_staff() || self.membership.is_some(),
        }
    }

    /// Lesson bodies: members and staff, or the whole school for a published public course.
    pub fn can_read_lessons(&self) -> bool {
        self.is_staff()
            || self.membership.is_some()
            || (self.outline.course.public != 0 && self.visibility() == Visibility::Published)
    }

    /// Changing the course, its outline and its members: its teachers and the school's admins.
    pub fn require_teacher(&self) -> Result<()> {
        if self.admin || self.membership == Some(CourseRole::Teacher) {
            Ok(())
        } else {
            Err(Error::forbidden(
                "only the course's teachers and the school's admins change it",
            ))
        }
    }

    /// Reading the class and posting announcements: teachers, assistants and admins.
    pub fn require_staff(&self) -> Result<()> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(Error::forbidden(
                "only the course's teachers and assistants may do this",
            ))
        }
    }

    pub fn require_lessons(&self) -> Result<()> {
        if self.can_read_lessons() {
            Ok(())
        } else {
            Err(Error::forbidden("enroll in the course to read its lessons"))
        }
    }

    /// An archived course is read-only, for everyone.
    pub fn require_open(&self) -> Result<()> {
        if self.visibility() == Visibility::Archived {
            Err(Error::conflict(
                "course_archived",
                "the course is archived; publish it again to change it",
            ))
        } else {
            Ok(())
        }
    }
}
