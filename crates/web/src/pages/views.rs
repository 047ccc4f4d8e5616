//! What the pages read from the courses API, as they read it.

use campus_contracts::courses::{CourseRole, Visibility};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CourseSummary {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tags: Vec<String>,
    pub language: Option<String>,
    /// Whether anyone in the school may read the lessons, not only members.
    pub public: bool,
    pub visibility: Visibility,
    /// `open`, `code` or `closed`.
    pub enrollment_mode: String,
    pub my_role: Option<CourseRole>,
}

impl CourseSummary {
    pub(crate) fn is_draft(&self) -> bool {
        self.visibility == Visibility::Draft
    }

    pub(crate) fn is_published(&self) -> bool {
        self.visibility == Visibility::Published
    }

    /// The catalogue's message for the course's visibility.
    pub(crate) fn visibility_key(&self) -> &'static str {
        match self.visibility {
            Visibility::Draft => "visibility-draft",
            Visibility::Published => "visibility-published",
            Visibility::Archived => "visibility-archived",
        }
    }

    pub(crate) fn studies(&self) -> bool {
        self.my_role == Some(CourseRole::Student)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CourseView {
    #[serde(flatten)]
    pub summary: CourseSummary,
    /// The Markdown source, for those who may change the course.
    pub description: Option<String>,
    pub description_html: String,
    /// For the course's staff.
    pub enrollment_code: Option<String>,
    pub teachers: Vec<Person>,
    pub modules: Vec<ModuleOutline>,
}

impl CourseView {
    /// Whether the visitor may change the course (the API gives editors its sources).
    pub(crate) fn editable(&self) -> bool {
        self.description.is_some()
    }

    /// Whether the visitor runs the course (the API gives its staff the enrollment code).
    pub(crate) fn run_by_visitor(&self) -> bool {
        self.enrollment_code.is_some()
    }

    /// The lessons in reading order.
    pub(crate) fn lessons(&self) -> impl Iterator<Item = &LessonOutline> {
        self.modules.iter().flat_map(|module| module.lessons.iter())
    }

    /// The lesson after `lesson_id`, and the one before it.
    pub(crate) fn around(
        &self,
        lesson_id: &str,
    ) -> (Option<&LessonOutline>, Option<&LessonOutline>) {
        let lessons: Vec<&LessonOutline> = self.lessons().collect();
        let Some(at) = lessons.iter().position(|l| l.id == lesson_id) else {
            return (None, None);
        };
        let before = at.checked_sub(1).and_then(|i| lessons.get(i)).copied();
        (before, lessons.get(at + 1).copied())
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Person {
    pub display_name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModuleOutline {
    pub id: String,
    pub title: String,
    pub requires_previous: bool,
    pub locked: bool,
    pub lessons: Vec<LessonOutline>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LessonOutline {
    pub id: String,
    pub title: String,
    pub estimated_minutes: Option<i64>,
    pub published: bool,
    pub has_video: bool,
    pub completed: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Progress {
    pub percent: i64,
    pub required_lessons: i64,
    pub completed_lessons: i64,
    pub completed_at: Option<String>,
    pub next_lesson: Option<NextLesson>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NextLesson {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Announcement {
    pub course_id: String,
    pub author_name: Option<String>,
    pub title: String,
    pub body_html: String,
    pub created_at: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Lesson {
    pub id: String,
    pub course_id: String,
    pub title: String,
    /// The Markdown source, for those who may change the lesson.
    pub body: Option<String>,
    pub body_html: String,
    pub video_url: Option<String>,
    pub required: bool,
    pub published: bool,
    pub video_embed_url: Option<String>,
    pub attachments: Vec<Attachment>,
    pub estimated_minutes: Option<i64>,
    pub completed: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Attachment {
    pub name: String,
    pub url: String,
}

/// The school, as its admins see it.
#[derive(Debug, Deserialize)]
pub(crate) struct SchoolSettings {
    pub slug: String,
    pub name: String,
    pub registration: String,
    pub join_code: Option<String>,
    pub time_zone: String,
}

/// A member of a course, as its staff see them.
#[derive(Debug, Deserialize)]
pub(crate) struct Member {
    pub user_id: String,
    pub role: CourseRole,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub joined_at: String,
    pub completed_at: Option<String>,
}

/// The class's progress, as its staff see it.
#[derive(Debug, Deserialize)]
pub(crate) struct ClassProgress {
    pub required_lessons: i64,
    pub students: Vec<StudentProgress>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StudentProgress {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub percent: i64,
    pub completed_lessons: i64,
    pub next_lesson: Option<NextLesson>,
    pub last_activity_at: String,
    pub completed_at: Option<String>,
    pub stuck: bool,
}
