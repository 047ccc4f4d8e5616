//! Course rosters: the school's courses (title, visibility) and who holds which place in each,
//! as the courses context last announced them, for any context whose work belongs to courses
//! (assessments, the gradebook, notifications).
//!
//! A context switches rosters on at registration ([`Context::with_rosters`]); the process then
//! gives the context's database the rosters' tables and subscribes it to courses' events. Every
//! courses event names its course as the subject, so one course's places arrive in the order
//! they were granted and revoked.
//!
//! [`Context::with_rosters`]: crate::context::Context::with_rosters

use std::sync::Arc;

use async_trait::async_trait;
use campus_contracts::courses::{
    CourseArchived, CourseCreated, CoursePublished, CourseRole, CourseUpdated, EnrollmentGranted,
    EnrollmentRevoked, Visibility,
};
use sqlx::migrate::Migrator;

use crate::{
    auth::Permission,
    cache::{Forgetting, ReadCache},
    db::{Db, UnitOfWork},
    events::{Envelope, Event, Handler, Subscription},
    people::{Caller, TTL},
    time, Error, Result,
};

/// The rosters' tables, added to the database of each context that keeps rosters.
pub static MIGRATIONS: Migrator = sqlx::migrate!("./roster_migrations");

/// The name of the subscription that keeps a context's rosters; a subscription whose handlers
/// read the rosters follows it ([`Subscription::after`]).
pub const SUBSCRIPTION: &str = "rosters";

/// A course as courses last announced it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RosterCourse {
    pub course_id: String,
    pub school_id: String,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
}

/// One place in a course.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Place {
    pub course_id: String,
    pub user_id: String,
    #[sqlx(try_from = "String")]
    pub course_role: CourseRole,
}

/// A context's copy of the school's course rosters.
#[derive(Clone)]
pub struct Rosters {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    courses: ReadCache<String, Option<RosterCourse>>,
    places: ReadCache<(String, String), Option<CourseRole>>,
    /// Every place a person holds, by (school, person): read on each feed and each message.
    held: ReadCache<(String, String), Vec<Place>>,
}

impl Rosters {
    /// The rosters kept in `db`, the database of the context that switched them on; what one
    /// process forgets when it applies a change, the others forget through `forgetting`.
    pub fn new(db: Db, forgetting: &Forgetting) -> Self {
        let ttl = forgetting.time_to_live(TTL);
        Self {
            inner: Arc::new(Inner {
                db,
                courses: ReadCache::shared(20_000, ttl, "rosters.courses", forgetting),
                places: ReadCache::shared(200_000, ttl, "rosters.places", forgetting),
                held: ReadCache::shared(50_000, ttl, "rosters.held", forgetting),
            }),
        }
    }

    /// A course of `school_id`, as last heard of (`None`: not of this school, or not heard of).
    pub async fn course(&self, school_id: &str, course_id: &str) -> Result<Option<RosterCourse>> {
        let course = self
            .inner
            .courses
            .get_or_load(&course_id.to_owned(), || async {
                Ok::<_, Error>(
                    sqlx::query_as(
                        "SELECT course_id, school_id, title, visibility FROM roster_courses \
                         WHERE course_id = $1",
                    )
                    .bind(course_id)
                    .fetch_optional(self.inner.db.pool())
                    .await?,
                )
            })
            .await?;
        Ok(course.filter(|course| course.school_id == school_id))
    }

    /// The place `user_id` holds in the course, if any.
    pub async fn place(&self, course_id: &str, user_id: &str) -> Result<Option<CourseRole>> {
        let key = (course_id.to_owned(), user_id.to_owned());
        self.inner
            .places
            .get_or_load(&key, || async {
                let role: Option<(String,)> = sqlx::query_as(
                    "SELECT course_role FROM roster_places WHERE course_id = $1 AND user_id = $2",
                )
                .bind(course_id)
                .bind(user_id)
                .fetch_optional(self.inner.db.pool())
                .await?;
                role.map(|(role,)| role.parse::<CourseRole>())
                    .transpose()
                    .map_err(|e| Error::internal(e))
            })
            .await
    }

    /// Everyone with a place in the course, in one query whatever its size.
    pub async fn members(&self, course_id: &str) -> Result<Vec<Place>> {
        Ok(sqlx::query_as(
            "SELECT course_id, user_id, course_role FROM roster_places WHERE course_id = $1 \
             ORDER BY user_id",
        )
        .bind(course_id)
        .fetch_all(self.inner.db.pool())
        .await?)
    }

    /// Every place a person holds in the school's courses.
    pub async fn places_of(&self, school_id: &str, user_id: &str) -> Result<Vec<Place>> {
        let key = (school_id.to_owned(), user_id.to_owned());
        self.inner
            .held
            .get_or_load(&key, || async {
                Ok(sqlx::query_as(
                    "SELECT course_id, user_id, course_role FROM roster_places \
                     WHERE school_id = $1 AND user_id = $2 ORDER BY course_id",
                )
                .bind(school_id)
                .bind(user_id)
                .fetch_all(self.inner.db.pool())
                .await?)
            })
            .await
    }

    /// How `caller` stands towards a course of their school, or 404 when the course is not
    /// theirs to see (another school's, unknown, or a draft they do not teach): exactly as the
    /// courses context answers, so ids reveal nothing.
    pub async fn standing(&self, caller: &Caller, course_id: &str) -> Result<Standing> {
        let course = self
            .course(&caller.school_id, course_id)
            .await?
            .ok_or(Error::NotFound { what: "course" })?;
        let role = self
            .place(course_id, &caller.user_id)
            .await?
            .and_then(|role| effective(role, caller));
        let standing = Standing {
            course,
            role,
            admin: caller.is_admin(),
        };
        let visible = match standing.course.visibility {
            Visibility::Published => true,
            Visibility::Draft => standing.is_staff(),
            Visibility::Archived => standing.is_staff() || standing.role.is_some(),
        };
        if visible {
            Ok(standing)
        } else {
            Err(Error::NotFound { what: "course" })
        }
    }

    /// The subscription that keeps the rosters current from courses' events.
    pub fn subscription(&self) -> Subscription {
        Subscription::new(
            SUBSCRIPTION,
            vec![
                CourseCreated::TYPE,
                CoursePublished::TYPE,
                CourseUpdated::TYPE,
                CourseArchived::TYPE,
                EnrollmentGranted::TYPE,
                EnrollmentRevoked::TYPE,
            ],
            Listener {
                rosters: self.clone(),
            },
        )
    }
}

/// The rights a place gives its holder now: a course teacher whose school role no longer
/// teaches (demoted by an admin) has none until restored, as in courses.
fn effective(role: CourseRole, caller: &Caller) -> Option<CourseRole> {
    match role {
        CourseRole::Teacher if !caller.can(Permission::Teach) => None,
        role => Some(role),
    }
}

/// A course as one caller stands towards it.
#[derive(Debug, Clone)]
pub struct Standing {
    pub course: RosterCourse,
    /// The caller's place, if it gives them rights now.
    pub role: Option<CourseRole>,
    /// The caller runs the school.
    pub admin: bool,
}

impl Standing {
    /// Teachers, assistants and the school's admins.
    pub fn is_staff(&self) -> bool {
        self.admin || self.role.is_some_and(CourseRole::is_staff)
    }

    pub fn is_student(&self) -> bool {
        self.role == Some(CourseRole::Student)
    }

    /// Setting and grading work: the course's teachers and the school's admins.
    pub fn require_teacher(&self) -> Result<()> {
        if self.admin || self.role == Some(CourseRole::Teacher) {
            Ok(())
        } else {
            Err(Error::forbidden(
                "only the course's teachers and the school's admins may do this",
            ))
        }
    }

    /// Reading the class's work: teachers, assistants and admins.
    pub fn require_staff(&self) -> Result<()> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(Error::forbidden(
                "only the course's teachers and assistants may do this",
            ))
        }
    }

    /// Handing in work: the course's students.
    pub fn require_student(&self) -> Result<()> {
        if self.is_student() {
            Ok(())
        } else {
            Err(Error::forbidden("only the course's students may do this"))
        }
    }

    /// An archived course is read-only, for everyone.
    pub fn require_open(&self) -> Result<()> {
        if self.course.visibility == Visibility::Archived {
            Err(Error::conflict(
                "course_archived",
                "the course is archived; nothing in it changes",
            ))
        } else {
            Ok(())
        }
    }
}

struct Listener {
    rosters: Rosters,
}

#[async_trait]
impl Handler for Listener {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let now = time::now_ms();
        let course_id = match event.event_type.as_str() {
            CourseCreated::TYPE => {
                let course: CourseCreated = event.data_as()?;
                save_course(
                    uow,
                    &course.course_id,
                    &course.school_id,
                    &course.title,
                    Visibility::Draft,
                )
                .await?;
                course.course_id
            }
            CoursePublished::TYPE => {
                let course: CoursePublished = event.data_as()?;
                save_course(
                    uow,
                    &course.course_id,
                    &course.school_id,
                    &course.title,
                    Visibility::Published,
                )
                .await?;
                course.course_id
            }
            CourseUpdated::TYPE => {
                let course: CourseUpdated = event.data_as()?;
                save_course(
                    uow,
                    &course.course_id,
                    &course.school_id,
                    &course.title,
                    course.visibility,
                )
                .await?;
                course.course_id
            }
            CourseArchived::TYPE => {
                let course: CourseArchived = event.data_as()?;
                sqlx::query(
                    "UPDATE roster_courses SET visibility = $1, updated_at = $2 WHERE course_id = $3",
                )
                .bind(Visibility::Archived.as_str())
                .bind(now)
                .bind(&course.course_id)
                .execute(uow.conn())
                .await?;
                course.course_id
            }
            EnrollmentGranted::TYPE => {
                let place: EnrollmentGranted = event.data_as()?;
                sqlx::query(
                    "INSERT INTO roster_places (course_id, user_id, school_id, course_role, joined_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (course_id, user_id) DO UPDATE SET course_role = $4",
                )
                .bind(&place.course_id)
                .bind(&place.user_id)
                .bind(&place.school_id)
                .bind(place.course_role.as_str())
                .bind(now)
                .execute(uow.conn())
                .await?;
                self.forget_place(uow, &place.school_id, &place.course_id, &place.user_id);
                return Ok(());
            }
            EnrollmentRevoked::TYPE => {
                let place: EnrollmentRevoked = event.data_as()?;
                sqlx::query("DELETE FROM roster_places WHERE course_id = $1 AND user_id = $2")
                    .bind(&place.course_id)
                    .bind(&place.user_id)
                    .execute(uow.conn())
                    .await?;
                self.forget_place(uow, &place.school_id, &place.course_id, &place.user_id);
                return Ok(());
            }
            _ => return Ok(()),
        };
        // Forgotten now, and again once the change commits, so no read that raced with this
        // unit keeps the old value.
        let rosters = self.rosters.clone();
        rosters.inner.courses.forget(&course_id);
        uow.after_commit(move || rosters.inner.courses.forget(&course_id));
        Ok(())
    }
}

impl Listener {
    /// Forgets the person's place in the course and the list of their places, now and again
    /// once the change commits.
    fn forget_place(&self, uow: &mut UnitOfWork, school_id: &str, course_id: &str, user_id: &str) {
        let rosters = self.rosters.clone();
        let place = (course_id.to_owned(), user_id.to_owned());
        let held = (school_id.to_owned(), user_id.to_owned());
        rosters.inner.places.forget(&place);
        rosters.inner.held.forget(&held);
        uow.after_commit(move || {
            rosters.inner.places.forget(&place);
            rosters.inner.held.forget(&held);
        });
    }
}

async fn save_course(
    uow: &mut UnitOfWork,
    course_id: &str,
    school_id: &str,
    title: &str,
    visibility: Visibility,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO roster_courses (course_id, school_id, title, visibility, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (course_id) DO UPDATE SET title = $3, visibility = $4, updated_at = $5",
    )
    .bind(course_id)
    .bind(school_id)
    .bind(title)
    .bind(visibility.as_str())
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?;
    Ok(())
}
