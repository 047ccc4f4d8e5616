//! Social's rules, free of I/O: who may post where, who may see a student's profile, which
//! posts the school's word list holds for a moderator, and the reactions there are.

use campus_contracts::{identity::Role, social::PostPlace};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Characters a post may hold.
pub(crate) const POST_MAX: usize = 5_000;
/// Characters a comment may hold.
pub(crate) const COMMENT_MAX: usize = 2_000;
/// Characters of a report's reason, and of a moderator's note.
pub(crate) const REASON_MAX: usize = 500;
/// Characters of a school's word list (one word or phrase per line).
pub(crate) const WORDS_MAX: usize = 30_000;
/// Posts and comments one person may write at once, then one more every `1 / n` minute.
pub(crate) const WRITES_PER_MINUTE: u32 = 20;

/// The reactions there are: a small fixed set, so a reaction is never a message of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Reaction {
    Like,
    Love,
    Celebrate,
    Insightful,
    Thanks,
}

campus_contracts::text_enum!(Reaction, "reaction", {
    Like => "like",
    Love => "love",
    Celebrate => "celebrate",
    Insightful => "insightful",
    Thanks => "thanks",
});

/// What a report, a moderator's decision or a status change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SubjectKind {
    Post,
    Comment,
}

campus_contracts::text_enum!(SubjectKind, "reported kind", {
    Post => "post",
    Comment => "comment",
});

/// A school's rules. The defaults suit a school of minors: students post in their courses'
/// feeds and on their own profile, not to the whole school, and a student's profile is seen
/// only by the people of their courses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rules {
    pub students_post_to_school: bool,
    pub students_post_on_profiles: bool,
    pub student_profiles_public: bool,
    /// Words and phrases (lower case) that hold a post or comment for a moderator.
    pub words: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            students_post_to_school: false,
            students_post_on_profiles: true,
            student_profiles_public: false,
            words: Vec::new(),
        }
    }
}

/// Why someone may not post somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    StudentsNotInSchoolFeed,
    StudentsNotOnProfiles,
    NotYourProfile,
    NotInCourse,
}

impl Refusal {
    pub(crate) fn detail(self) -> &'static str {
        match self {
            Self::StudentsNotInSchoolFeed => {
                "the school's feed is for staff; students post in their courses' feeds"
            }
            Self::StudentsNotOnProfiles => "the school does not let students post on profiles",
            Self::NotYourProfile => "people post on their own profile only",
            Self::NotInCourse => "a course's feed is for its members",
        }
    }
}

/// Whether someone of school role `role` may post in `place`: `member` says whether they hold
/// a place in the course (for a course's feed), `own` whether the profile is theirs.
pub(crate) fn may_post(
    role: Role,
    place: PostPlace,
    member: bool,
    own: bool,
    rules: &Rules,
) -> Result<(), Refusal> {
    let student = role == Role::Student;
    match place {
        PostPlace::School if student && !rules.students_post_to_school => {
            Err(Refusal::StudentsNotInSchoolFeed)
        }
        PostPlace::School => Ok(()),
        PostPlace::Course if member || role == Role::SchoolAdmin => Ok(()),
        PostPlace::Course => Err(Refusal::NotInCourse),
        PostPlace::Profile if !own => Err(Refusal::NotYourProfile),
        PostPlace::Profile if student && !rules.students_post_on_profiles => {
            Err(Refusal::StudentsNotOnProfiles)
        }
        PostPlace::Profile => Ok(()),
    }
}

/// Whether `viewer` may see the profile (and profile posts) of someone of role `owner`:
/// adults' profiles are the school's; a student's is seen by themself, the school's admins and
/// the people of a course they share, unless the school made students' profiles public.
pub(crate) fn may_see_profile(
    viewer: Role,
    owner: Role,
    own: bool,
    share_a_course: bool,
    rules: &Rules,
) -> bool {
    owner != Role::Student
        || own
        || share_a_course
        || viewer == Role::SchoolAdmin
        || rules.student_profiles_public
}

/// The words of `text`, lower case, split at anything that is not a letter or digit.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `text` contains a word or phrase of the school's list, as whole words, whatever
/// the case or the punctuation around them.
pub(crate) fn held_by(text: &str, list: &[String]) -> bool {
    if list.is_empty() {
        return false;
    }
    let words = words_of(text);
    list.iter().any(|entry| {
        let phrase = words_of(entry);
        !phrase.is_empty()
            && words
                .windows(phrase.len())
                .any(|window| window == phrase.as_slice())
    })
}

/// The school's list as an admin typed it (one per line): trimmed, lower case, without
/// blanks or repeats.
pub(crate) fn word_list(text: &str) -> Vec<String> {
    let mut list: Vec<String> = Vec::new();
    for line in text.lines() {
        let entry = words_of(line).join(" ");
        if !entry.is_empty() && !list.contains(&entry) {
            list.push(entry);
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn students_post_in_their_courses_and_on_their_profile_by_default() {
        let rules = Rules::default();
        assert_eq!(
            may_post(Role::Student, PostPlace::School, false, false, &rules),
            Err(Refusal::StudentsNotInSchoolFeed)
        );
        assert_eq!(
            may_post(Role::Teacher, PostPlace::School, false, false, &rules),
            Ok(())
        );
        assert_eq!(
            may_post(Role::Student, PostPlace::Course, true, false, &rules),
            Ok(())
        );
        assert_eq!(
            may_post(Role::Student, PostPlace::Course, false, false, &rules),
            Err(Refusal::NotInCourse)
        );
        assert_eq!(
            may_post(Role::Teacher, PostPlace::Course, false, false, &rules),
            Err(Refusal::NotInCourse)
        );
        assert_eq!(
            may_post(Role::SchoolAdmin, PostPlace::Course, false, false, &rules),
            Ok(())
        );
        assert_eq!(
            may_post(Role::Student, PostPlace::Profile, false, true, &rules),
            Ok(())
        );
        assert_eq!(
            may_post(Role::Teacher, PostPlace::Profile, false, false, &rules),
            Err(Refusal::NotYourProfile)
        );
    }

    #[test]
    fn a_school_may_open_its_feed_and_close_profiles_to_students() {
        let rules = Rules {
            students_post_to_school: true,
            students_post_on_profiles: false,
            ..Rules::default()
        };
        assert_eq!(
            may_post(Role::Student, PostPlace::School, false, false, &rules),
            Ok(())
        );
        assert_eq!(
            may_post(Role::Student, PostPlace::Profile, false, true, &rules),
            Err(Refusal::StudentsNotOnProfiles)
        );
    }

    #[test]
    fn a_students_profile_is_for_the_people_of_their_courses() {
        let rules = Rules::default();
        assert!(may_see_profile(
            Role::Student,
            Role::Teacher,
            false,
            false,
            &rules
        ));
        assert!(may_see_profile(
            Role::Student,
            Role::Student,
            true,
            false,
            &rules
        ));
        assert!(may_see_profile(
            Role::Student,
            Role::Student,
            false,
            true,
            &rules
        ));
        assert!(may_see_profile(
            Role::SchoolAdmin,
            Role::Student,
            false,
            false,
            &rules
        ));
        assert!(!may_see_profile(
            Role::Student,
            Role::Student,
            false,
            false,
            &rules
        ));
        assert!(!may_see_profile(
            Role::Teacher,
            Role::Student,
            false,
            false,
            &rules
        ));
        let public = Rules {
            student_profiles_public: true,
            ..Rules::default()
        };
        assert!(may_see_profile(
            Role::Teacher,
            Role::Student,
            false,
            false,
            &public
        ));
    }

    #[test]
    fn the_word_list_holds_whole_words_and_phrases_whatever_the_case() {
        let list = word_list("  Darn \n\nvery BAD idea\ndarn\n");
        assert_eq!(list, ["darn", "very bad idea"]);
        assert!(held_by("Oh DARN!", &list));
        assert!(
            held_by("that is a VERY  bad, idea", &list),
            "punctuation between words"
        );
        assert!(held_by("that is a very bad idea.", &list));
        assert!(!held_by("darning socks", &list), "whole words only");
        assert!(!held_by("anything", &[]));
        assert!(held_by("¡Qué DARN!", &list));
    }
}
