//! Messaging's rules, free of I/O: who may start a conversation with whom, what a message may
//! hold, and how long its author may change it.

use campus_contracts::{courses::CourseRole, identity::Role};

/// Characters a message may hold.
pub(crate) const MESSAGE_MAX: usize = 4_000;
/// Characters a group conversation's title may hold.
pub(crate) const TITLE_MAX: usize = 120;
/// Other people a group conversation may start with.
pub(crate) const GROUP_MAX: usize = 50;
/// How long after sending its author may edit or delete a message.
pub(crate) const CHANGE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Messages one person may send at once, then one more every `1 / MESSAGES_PER_MINUTE` minute.
pub(crate) const MESSAGES_PER_MINUTE: u32 = 60;
/// The longest reason a report or a moderator's note may give.
pub(crate) const REASON_MAX: usize = 500;

/// A school's rules of who may message whom. The defaults are the safe ones: students reach
/// their teachers and the classmates of courses they share, and nobody else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rules {
    /// Students may start direct and group conversations with classmates.
    pub student_direct_messages: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            student_direct_messages: true,
        }
    }
}

/// Why a conversation may not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The school turned student-to-student messages off.
    StudentMessagesOff,
    /// Two students who share no course.
    NotClassmates,
    /// An adult who teaches none of the student's courses.
    NotTheirTeacher,
    /// A student writing to an adult who teaches none of their courses.
    NotYourTeacher,
}

impl Refusal {
    pub(crate) fn detail(self) -> &'static str {
        match self {
            Self::StudentMessagesOff => {
                "the school does not allow students to message each other directly"
            }
            Self::NotClassmates => "students may message classmates of a course they share",
            Self::NotTheirTeacher => {
                "only the teachers of a student's courses may start a conversation with them"
            }
            Self::NotYourTeacher => "students may message the teachers of their own courses",
        }
    }
}

/// One course both people hold a place in: the starter's place, then the other's.
pub(crate) type Shared = (CourseRole, CourseRole);

/// Whether someone with school role `starter` may start a conversation with someone of role
/// `other`, given the courses they share. Conversations among adults are free; one with a
/// student needs a course that joins them, as the student's teacher or classmate.
pub(crate) fn may_start(
    starter: Role,
    other: Role,
    shared: &[Shared],
    rules: Rules,
) -> Result<(), Refusal> {
    let starter_is_student = starter == Role::Student;
    match (starter_is_student, other == Role::Student) {
        (false, false) => Ok(()),
        (true, true) => {
            if !rules.student_direct_messages {
                Err(Refusal::StudentMessagesOff)
            } else if shared.is_empty() {
                Err(Refusal::NotClassmates)
            } else {
                Ok(())
            }
        }
        (false, true) => {
            if shared.iter().any(|(mine, _)| mine.is_staff()) {
                Ok(())
            } else {
                Err(Refusal::NotTheirTeacher)
            }
        }
        (true, false) => {
            if shared.iter().any(|(_, theirs)| theirs.is_staff()) {
                Ok(())
            } else {
                Err(Refusal::NotYourTeacher)
            }
        }
    }
}

/// The key that makes a pair of people have one direct conversation, whoever starts it.
pub(crate) fn pair_key(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}:{b}")
    } else {
        format!("{b}:{a}")
    }
}

/// Whether a message sent at `sent_at` may still be changed by its author at `now`.
pub(crate) fn still_changeable(sent_at: i64, now: i64) -> bool {
    now - sent_at <= CHANGE_WINDOW_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use CourseRole::{Assistant, Student as InCourse, Teacher};
    use Role::{SchoolAdmin, Student, Teacher as Adult};

    const OPEN: Rules = Rules {
        student_direct_messages: true,
    };
    const CLOSED: Rules = Rules {
        student_direct_messages: false,
    };

    #[test]
    fn adults_message_each_other_freely() {
        assert_eq!(may_start(Adult, SchoolAdmin, &[], OPEN), Ok(()));
        assert_eq!(may_start(SchoolAdmin, Adult, &[], CLOSED), Ok(()));
    }

    #[test]
    fn an_adult_reaches_a_student_only_through_a_course_they_run() {
        assert_eq!(
            may_start(Adult, Student, &[(Teacher, InCourse)], OPEN),
            Ok(())
        );
        assert_eq!(
            may_start(Adult, Student, &[(Assistant, InCourse)], OPEN),
            Ok(())
        );
        assert_eq!(
            may_start(Adult, Student, &[], OPEN),
            Err(Refusal::NotTheirTeacher)
        );
        // An admin is no exception: outside the student's courses, no.
        assert_eq!(
            may_start(SchoolAdmin, Student, &[], OPEN),
            Err(Refusal::NotTheirTeacher)
        );
        // Sitting in the same course as a fellow student does not make an adult their teacher.
        assert_eq!(
            may_start(Adult, Student, &[(InCourse, InCourse)], OPEN),
            Err(Refusal::NotTheirTeacher)
        );
    }

    #[test]
    fn a_student_reaches_the_teachers_of_their_courses() {
        assert_eq!(
            may_start(Student, Adult, &[(InCourse, Teacher)], CLOSED),
            Ok(())
        );
        assert_eq!(
            may_start(Student, Adult, &[], OPEN),
            Err(Refusal::NotYourTeacher)
        );
        assert_eq!(
            may_start(Student, SchoolAdmin, &[], OPEN),
            Err(Refusal::NotYourTeacher)
        );
    }

    #[test]
    fn students_reach_classmates_unless_the_school_says_no() {
        assert_eq!(
            may_start(Student, Student, &[(InCourse, InCourse)], OPEN),
            Ok(())
        );
        assert_eq!(
            may_start(Student, Student, &[], OPEN),
            Err(Refusal::NotClassmates)
        );
        assert_eq!(
            may_start(Student, Student, &[(InCourse, InCourse)], CLOSED),
            Err(Refusal::StudentMessagesOff)
        );
    }

    #[test]
    fn a_pair_has_one_key_whoever_starts() {
        assert_eq!(pair_key("b", "a"), pair_key("a", "b"));
        assert_ne!(pair_key("a", "b"), pair_key("a", "c"));
    }

    #[test]
    fn a_message_may_be_changed_for_fifteen_minutes() {
        assert!(still_changeable(0, CHANGE_WINDOW_MS));
        assert!(!still_changeable(0, CHANGE_WINDOW_MS + 1));
    }
}
