//! Courses' published language: the roles people hold in a course, a course's visibility, and
//! what courses tells the other contexts. Every event's subject is the course, so everything
//! that happens to one course is handled in the order it happened.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Event, EventSchema};

/// A person's place in one course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CourseRole {
    /// Changes the course, its outline and its members.
    Teacher,
    /// Sees everything a teacher sees and posts announcements, but changes nothing.
    Assistant,
    Student,
}

crate::text_enum!(CourseRole, "course role", {
    Teacher => "teacher",
    Assistant => "assistant",
    Student => "student",
});

impl CourseRole {
    /// Teachers and assistants: the people who run the course.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Teacher | Self::Assistant)
    }
}

/// Who may see a course. Only published courses appear to students.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Draft,
    Published,
    Archived,
}

crate::text_enum!(Visibility, "course visibility", {
    Draft => "draft",
    Published => "published",
    Archived => "archived",
});

macro_rules! course_event {
    ($name:ident, $type:literal) => {
        impl Event for $name {
            const TYPE: &'static str = $type;

            fn subject(&self) -> String {
                self.course_id.clone()
            }
        }
    };
}

/// A teacher started a course (a draft, or a copy of another course).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CourseCreated {
    pub course_id: String,
    pub school_id: String,
    pub title: String,
    pub created_by: String,
    /// The course it was copied from, when duplicated.
    pub copied_from: Option<String>,
}
course_event!(CourseCreated, "campus.courses.course_created.v1");

/// A course became visible to the school's students.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CoursePublished {
    pub course_id: String,
    pub school_id: String,
    pub title: String,
    pub summary: String,
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tags: Vec<String>,
    /// Whether anyone in the school may read its lessons, not only members.
    pub public: bool,
    /// The BCP 47 language its teacher gave it (`en`, `es-MX`), for search's stemming.
    #[serde(default)]
    pub language: Option<String>,
}
course_event!(CoursePublished, "campus.courses.course_published.v1");

/// A course's catalogue details changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CourseUpdated {
    pub course_id: String,
    pub school_id: String,
    pub title: String,
    pub summary: String,
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tags: Vec<String>,
    /// `draft`, `published` or `archived`.
    #[schemars(with = "String")]
    pub visibility: Visibility,
    pub public: bool,
    pub price_cents: i64,
    pub currency: Option<String>,
    /// The BCP 47 language its teacher gave it (`en`, `es-MX`), for search's stemming.
    #[serde(default)]
    pub language: Option<String>,
}
course_event!(CourseUpdated, "campus.courses.course_updated.v1");

/// People who are not its staff opened a course in a short window. Courses tallies views in
/// memory and sends one of these per course and window rather than an event per page view, so
/// reading a course costs no write; each viewer is named once per window, and readers that
/// count distinct viewers per day do so themselves.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CourseViewed {
    pub course_id: String,
    pub school_id: String,
    pub viewer_ids: Vec<String>,
    /// The window's start and end, milliseconds since the epoch.
    pub from_ms: i64,
    pub to_ms: i64,
}
course_event!(CourseViewed, "campus.courses.course_viewed.v1");

/// A course was closed: read-only for its members, gone from the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CourseArchived {
    pub course_id: String,
    pub school_id: String,
}
course_event!(CourseArchived, "campus.courses.course_archived.v1");

/// A person got a place in a course, or their course role changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EnrollmentGranted {
    pub course_id: String,
    pub school_id: String,
    pub user_id: String,
    /// `teacher`, `assistant` or `student`.
    #[schemars(with = "String")]
    pub course_role: CourseRole,
    /// `self` (enrolled themselves), `teacher` (added by staff), `roster` (a class list) or
    /// `creator` (made the course, or a copy of one).
    pub source: String,
}
course_event!(EnrollmentGranted, "campus.courses.enrollment_granted.v1");

/// A person left a course.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EnrollmentRevoked {
    pub course_id: String,
    pub school_id: String,
    pub user_id: String,
    /// `dropped` (by the student) or `removed` (by staff).
    pub reason: String,
}
course_event!(EnrollmentRevoked, "campus.courses.enrollment_revoked.v1");

/// A lesson became visible to the course's students.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LessonPublished {
    pub lesson_id: String,
    pub module_id: String,
    pub course_id: String,
    pub school_id: String,
    pub title: String,
    /// The lesson's Markdown, for search. Absent in events written before it was added.
    #[serde(default)]
    pub body: Option<String>,
}
course_event!(LessonPublished, "campus.courses.lesson_published.v1");

/// A lesson students can see was changed (its title or text).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LessonRevised {
    pub lesson_id: String,
    pub module_id: String,
    pub course_id: String,
    pub school_id: String,
    pub title: String,
    /// Markdown, as written.
    pub body: String,
}
course_event!(LessonRevised, "campus.courses.lesson_revised.v1");

/// Students can no longer see a lesson: it was unpublished or removed (alone, or with its
/// module).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LessonWithdrawn {
    pub lesson_id: String,
    pub course_id: String,
    pub school_id: String,
}
course_event!(LessonWithdrawn, "campus.courses.lesson_withdrawn.v1");

/// A student finished a lesson.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LessonCompleted {
    pub lesson_id: String,
    pub course_id: String,
    pub school_id: String,
    pub user_id: String,
    pub estimated_minutes: Option<i64>,
}
course_event!(LessonCompleted, "campus.courses.lesson_completed.v1");

/// A student finished every required lesson of a course.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CourseCompleted {
    pub course_id: String,
    pub school_id: String,
    pub user_id: String,
}
course_event!(CourseCompleted, "campus.courses.course_completed.v1");

/// Course staff posted an announcement to the course's members.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AnnouncementPosted {
    pub announcement_id: String,
    pub course_id: String,
    pub school_id: String,
    pub author_id: String,
    pub title: String,
}
course_event!(AnnouncementPosted, "campus.courses.announcement_posted.v1");

pub fn published() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<CourseCreated>(),
        EventSchema::of::<CoursePublished>(),
        EventSchema::of::<CourseUpdated>(),
        EventSchema::of::<CourseArchived>(),
        EventSchema::of::<EnrollmentGranted>(),
        EventSchema::of::<EnrollmentRevoked>(),
        EventSchema::of::<CourseViewed>(),
        EventSchema::of::<LessonPublished>(),
        EventSchema::of::<LessonRevised>(),
        EventSchema::of::<LessonWithdrawn>(),
        EventSchema::of::<LessonCompleted>(),
        EventSchema::of::<CourseCompleted>(),
        EventSchema::of::<AnnouncementPosted>(),
    ]
}
