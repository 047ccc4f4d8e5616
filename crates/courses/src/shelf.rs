//! What the hottest reads need, held in memory: each school's courses as the catalogue shows
//! them (the shelf), each course's outline, and each person's places in courses.
//!
//! A change forgets what it touches right after it commits, in this process and (through
//! Redis, in the scaled-out shape) in the others; entries live two seconds at most ([`TTL`]),
//! which bounds how stale another process's copy can be while Redis is away.

use std::{collections::HashMap, sync::Arc, time::Duration};

use campus_platform::{
    cache::{Forgetting, ReadCache},
    db::Db,
    Result,
};

use crate::{
    catalogue::CourseSummary,
    domain::CourseRole,
    store::{self, outline::Teacher, CourseRow, LessonHead, ModuleRow},
};

/// How stale a cached read may be when another process changed it.
pub(crate) const TTL: Duration = Duration::from_secs(2);

/// A course on the shelf: its catalogue row and what filtering and sorting need.
#[derive(Debug, Clone)]
pub(crate) struct ShelvedCourse {
    pub row: CourseRow,
    pub tags: Vec<String>,
    pub sort_title: String,
    pub search_text: String,
    /// Its teachers and assistants, who see it while it is a draft.
    pub staff: Vec<(String, CourseRole)>,
    /// Its catalogue summary as JSON, but for the reader's role (see
    /// `CourseSummary::json_before_role`).
    pub summary_json: String,
}

/// A school's courses, ordered by id (creation), with a second order by title.
#[derive(Debug, Default)]
pub(crate) struct Shelf {
    pub courses: Vec<ShelvedCourse>,
    /// Indexes into `courses`, ordered by (title, id).
    pub by_title: Vec<usize>,
}

impl Shelf {
    /// Two queries, whatever the number of courses.
    async fn load(db: &Db, school_id: &str) -> Result<Self> {
        let rows = store::courses::catalogue(db, school_id).await?;
        let mut staff_of: HashMap<String, Vec<(String, CourseRole)>> = HashMap::new();
        for (course_id, user_id, role) in store::members::staff_of_school(db, school_id).await? {
            staff_of.entry(course_id).or_default().push((user_id, role));
        }
        let courses: Vec<ShelvedCourse> = rows
            .into_iter()
            .map(|row| ShelvedCourse {
                summary_json: CourseSummary::json_before_role(&row.course),
                tags: row.course.tag_list(),
                staff: staff_of.remove(&row.course.id).unwrap_or_default(),
                sort_title: row.sort_title,
                search_text: row.search_text,
                row: row.course,
            })
            .collect();
        let mut by_title: Vec<usize> = (0..courses.len()).collect();
        by_title.sort_by(|&a, &b| {
            (&courses[a].sort_title, &courses[a].row.id)
                .cmp(&(&courses[b].sort_title, &courses[b].row.id))
        });
        Ok(Self { courses, by_title })
    }
}

/// A course with everything its page and progress need: the course, its modules and lessons
/// in order, and its teachers.
#[derive(Debug)]
pub(crate) struct Outline {
    pub course: CourseRow,
    pub modules: Vec<ModuleRow>,
    pub lessons: Vec<LessonHead>,
    pub teachers: Vec<Teacher>,
}

impl Outline {
    /// Four queries, whatever the course's size; `None` when the school has no such course.
    async fn load(db: &Db, school_id: &str, course_id: &str) -> Result<Option<Self>> {
        let Some(course) = store::courses::course(db, school_id, course_id).await? else {
            return Ok(None);
        };
        let (modules, lessons) = store::outline::of_course(db, course_id).await?;
        let teachers = store::outline::teachers(db, course_id).await?;
        Ok(Some(Self {
            course,
            modules,
            lessons,
            teachers,
        }))
    }
}

type Key = (String, String);

pub(crate) struct Caches {
    shelves: ReadCache<String, Arc<Shelf>>,
    outlines: ReadCache<Key, Option<Arc<Outline>>>,
    places: ReadCache<Key, Arc<HashMap<String, CourseRole>>>,
}

impl Caches {
    /// Forgets reach the installation's other processes through `forgetting`: a teacher's
    /// change through one process shows on the next page, whichever process serves it.
    pub fn new(forgetting: &Forgetting) -> Self {
        Self {
            shelves: ReadCache::shared(512, TTL, "courses.shelves", forgetting),
            outlines: ReadCache::shared(5_000, TTL, "courses.outlines", forgetting),
            places: ReadCache::shared(50_000, TTL, "courses.places", forgetting),
        }
    }
}

impl Caches {
    pub async fn shelf(&self, db: &Db, school_id: &str) -> Result<Arc<Shelf>> {
        self.shelves
            .get_or_load(&school_id.to_owned(), || async {
                Shelf::load(db, school_id).await.map(Arc::new)
            })
            .await
    }

    /// A course of the school with its outline.
    pub async fn outline(
        &self,
        db: &Db,
        school_id: &str,
        course_id: &str,
    ) -> Result<Option<Arc<Outline>>> {
        self.outlines
            .get_or_load(&(school_id.to_owned(), course_id.to_owned()), || async {
                Ok(Outline::load(db, school_id, course_id).await?.map(Arc::new))
            })
            .await
    }

    /// The courses a person has a place in, with their role in each.
    pub async fn places(
        &self,
        db: &Db,
        school_id: &str,
        user_id: &str,
    ) -> Result<Arc<HashMap<String, CourseRole>>> {
        self.places
            .get_or_load(&(school_id.to_owned(), user_id.to_owned()), || async {
                Ok(Arc::new(
                    store::members::places(db, school_id, user_id).await?,
                ))
            })
            .await
    }

    /// After a course, its outline or its staff changed.
    pub fn forget_course(&self, school_id: &str, course_id: &str) {
        self.shelves.forget(&school_id.to_owned());
        self.outlines
            .forget(&(school_id.to_owned(), course_id.to_owned()));
    }

    /// After a person's places changed.
    pub fn forget_places(&self, school_id: &str, user_id: &str) {
        self.places
            .forget(&(school_id.to_owned(), user_id.to_owned()));
    }
}
