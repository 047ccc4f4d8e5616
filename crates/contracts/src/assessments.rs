//! Assessments' published language: what students are asked to do (assignments), what they
//! hand in, and how it was graded. Every event's subject is the course, so everything that
//! happens to one course's work is handled in the order it happened (a grade never arrives
//! before the work it grades). Instants are RFC 3339 in UTC; points are decimal numbers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Event, EventSchema};

/// How late work loses points: `percent_per_day` of the item's points for each day (or part
/// of one) after the due date, never taking the score below `floor_percent` of the points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatePolicy {
    pub percent_per_day: f64,
    pub floor_percent: f64,
}

/// When students see their grades on a piece of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GradeRelease {
    /// Each grade as soon as it is given.
    AsGraded,
    /// All at once, when a teacher releases them.
    Manual,
}

crate::text_enum!(GradeRelease, "grade release", {
    AsGraded => "as_graded",
    Manual => "manual",
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

/// An assignment became visible to the course's students: a grade item from now on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AssignmentPublished {
    pub assignment_id: String,
    pub course_id: String,
    pub school_id: String,
    pub module_id: Option<String>,
    pub title: String,
    pub max_points: f64,
    pub available_from: Option<String>,
    pub due_at: Option<String>,
    pub late_policy: Option<LatePolicy>,
    #[schemars(with = "String")]
    pub release: GradeRelease,
}
course_event!(
    AssignmentPublished,
    "campus.assessments.assignment_published.v1"
);

/// A published assignment's title, points, dates or policies changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AssignmentUpdated {
    pub assignment_id: String,
    pub course_id: String,
    pub school_id: String,
    pub module_id: Option<String>,
    pub title: String,
    pub max_points: f64,
    pub available_from: Option<String>,
    pub due_at: Option<String>,
    pub late_policy: Option<LatePolicy>,
    #[schemars(with = "String")]
    pub release: GradeRelease,
}
course_event!(
    AssignmentUpdated,
    "campus.assessments.assignment_updated.v1"
);

/// A published assignment was deleted: it no longer counts, and its grades with it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AssignmentWithdrawn {
    pub assignment_id: String,
    pub course_id: String,
    pub school_id: String,
}
course_event!(
    AssignmentWithdrawn,
    "campus.assessments.assignment_withdrawn.v1"
);

/// A student was given more time on an assignment (or the extension was taken back, when
/// both dates are absent).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DueDateExtended {
    pub assignment_id: String,
    pub course_id: String,
    pub school_id: String,
    pub student_id: String,
    pub due_at: Option<String>,
    pub cut_off_at: Option<String>,
}
course_event!(DueDateExtended, "campus.assessments.due_date_extended.v1");

/// A student handed in work (for a group assignment, one event per member of the group).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AssignmentSubmitted {
    pub submission_id: String,
    pub assignment_id: String,
    pub course_id: String,
    pub school_id: String,
    pub student_id: String,
    /// 1 for the first hand-in, counting up with each resubmission.
    pub attempt: i64,
    pub submitted_at: String,
    /// Whole days (or parts of one) after the student's due date; 0 when on time.
    pub days_late: i64,
}
course_event!(
    AssignmentSubmitted,
    "campus.assessments.assignment_submitted.v1"
);

/// A student's work was graded (or regraded). `released` says whether the student may see
/// the grade now; a grade given under manual release is released later by
/// [`GradesReleased`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SubmissionGraded {
    pub submission_id: String,
    pub assignment_id: String,
    pub course_id: String,
    pub school_id: String,
    pub student_id: String,
    /// As given, before any late penalty.
    pub points: f64,
    pub max_points: f64,
    pub days_late: i64,
    pub graded_by: String,
    pub released: bool,
}
course_event!(SubmissionGraded, "campus.assessments.submission_graded.v1");

/// A teacher handed work back to the student for revision.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SubmissionReturned {
    pub submission_id: String,
    pub assignment_id: String,
    pub course_id: String,
    pub school_id: String,
    pub student_id: String,
    pub returned_by: String,
}
course_event!(
    SubmissionReturned,
    "campus.assessments.submission_returned.v1"
);

/// Every grade given on a piece of work (an assignment or a quiz) is now visible to its
/// student, and so is every later one.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GradesReleased {
    /// The assignment's or the quiz's id.
    pub item_id: String,
    pub course_id: String,
    pub school_id: String,
}
course_event!(GradesReleased, "campus.assessments.grades_released.v1");

/// A quiz became visible to the course's students: a grade item from now on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QuizPublished {
    pub quiz_id: String,
    pub course_id: String,
    pub school_id: String,
    pub module_id: Option<String>,
    pub title: String,
    pub max_points: f64,
    pub opens_at: Option<String>,
    /// When the quiz closes: its due date, as the gradebook and calendars read it.
    pub closes_at: Option<String>,
    #[schemars(with = "String")]
    pub release: GradeRelease,
}
course_event!(QuizPublished, "campus.assessments.quiz_published.v1");

/// A student's quiz attempt was marked (at submission, at its deadline, or when a teacher
/// marked its essays). `kept_points` is the student's quiz grade after it, under the quiz's
/// rule for several attempts (highest, latest or average).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QuizAttemptGraded {
    pub attempt_id: String,
    pub quiz_id: String,
    pub course_id: String,
    pub school_id: String,
    pub student_id: String,
    pub points: f64,
    pub kept_points: f64,
    pub max_points: f64,
    /// Whether the student may see it now.
    pub released: bool,
}
course_event!(
    QuizAttemptGraded,
    "campus.assessments.quiz_attempt_graded.v1"
);

pub fn published() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<AssignmentPublished>(),
        EventSchema::of::<AssignmentUpdated>(),
        EventSchema::of::<AssignmentWithdrawn>(),
        EventSchema::of::<DueDateExtended>(),
        EventSchema::of::<AssignmentSubmitted>(),
        EventSchema::of::<SubmissionGraded>(),
        EventSchema::of::<SubmissionReturned>(),
        EventSchema::of::<GradesReleased>(),
        EventSchema::of::<QuizPublished>(),
        EventSchema::of::<QuizAttemptGraded>(),
    ]
}
