//! Courses' SQL, by sub-domain: `courses` (the courses themselves), `outline` (modules and
//! lessons), `members` (places in courses), `progress` (completions) and `announcements`.
//! Every query names the school or reaches rows through a course already loaded for the
//! caller's school.
//!
//! Every write goes through a [`Change`]: one unit of work that also knows which cached reads
//! the write touched, and makes them forget it once the unit commits. The store functions
//! that write register what they touch themselves, so no caller can forget to.

pub(crate) mod announcements;
pub(crate) mod courses;
pub(crate) mod members;
pub(crate) mod outline;
pub(crate) mod progress;

use std::sync::Arc;

use campus_platform::{
    db::{Db, UnitOfWork},
    events::Event,
    Result,
};
use sqlx::AnyConnection;

use crate::shelf::Caches;

pub(crate) use courses::CourseRow;
pub(crate) use outline::{LessonHead, ModuleRow};

/// A change to courses' data: a unit of work that forgets the cached reads it touched once it
/// commits (and never if it rolls back).
pub(crate) struct Change {
    uow: UnitOfWork,
    caches: Arc<Caches>,
}

impl Change {
    pub(crate) async fn begin(db: &Db, caches: &Arc<Caches>) -> Result<Self> {
        Ok(Self {
            uow: db.begin().await?,
            caches: caches.clone(),
        })
    }

    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        self.uow.conn()
    }

    /// Records `event` in the outbox, published only if the change commits.
    pub(crate) async fn record<E: Event>(&mut self, school_id: &str, event: &E) -> Result<()> {
        self.uow.record(school_id, event).await.map(drop)
    }

    /// The course, its outline or its staff changed: the shelf and the outline forget it.
    pub(crate) fn course_changed(&mut self, school_id: &str, course_id: &str) {
        let (caches, school, course) = (
            self.caches.clone(),
            school_id.to_owned(),
            course_id.to_owned(),
        );
        self.uow
            .after_commit(move || caches.forget_course(&school, &course));
    }

    /// A person's places in courses changed.
    pub(crate) fn places_changed(&mut self, school_id: &str, user_id: &str) {
        let (caches, school, user) = (
            self.caches.clone(),
            school_id.to_owned(),
            user_id.to_owned(),
        );
        self.uow
            .after_commit(move || caches.forget_places(&school, &user));
    }

    pub(crate) async fn commit(self) -> Result<()> {
        self.uow.commit().await
    }
}
