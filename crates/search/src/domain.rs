//! Search's rules, without I/O: what kinds of things are found, who may find each (its
//! audience), which language stems a document, and how far a typed word may be from a word
//! of the school's to count as a typo of it.

use campus_contracts::{courses::Visibility, identity::Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest query, in characters.
pub(crate) const QUERY_MAX: usize = 200;
/// At most this many words of a query count.
pub(crate) const WORDS_MAX: usize = 12;
/// Deepest a client may page into one query's results.
pub(crate) const OFFSET_MAX: usize = 1_000;
/// Suggestions offered as someone types.
pub(crate) const SUGGESTIONS: usize = 8;
/// How much of a document's text is indexed (a lesson can be long; its start says most).
pub(crate) const BODY_INDEXED_MAX: usize = 20_000;

/// What a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DocKind {
    Course,
    Lesson,
    Post,
    Comment,
    Person,
    /// Found only within its conversation, by its members.
    Message,
}

campus_contracts::text_enum!(DocKind, "search document kind", {
    Course => "course",
    Lesson => "lesson",
    Post => "post",
    Comment => "comment",
    Person => "person",
    Message => "message",
});

impl DocKind {
    /// The kinds the school-wide search and its suggestions cover.
    pub(crate) const FOUND_IN_SEARCH: [DocKind; 5] = [
        DocKind::Course,
        DocKind::Lesson,
        DocKind::Post,
        DocKind::Comment,
        DocKind::Person,
    ];
    /// The kinds offered as someone types: things with a title or a name.
    pub(crate) const SUGGESTED: [DocKind; 3] = [DocKind::Course, DocKind::Lesson, DocKind::Person];

    /// `<kind>:<id>`, the document's key in the table and the index.
    pub(crate) fn doc_id(self, entity_id: &str) -> String {
        format!("{}:{entity_id}", self.as_str())
    }
}

/// The languages search stems and removes stop words for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Language {
    English,
    Spanish,
}

campus_contracts::text_enum!(Language, "search language", {
    English => "en",
    Spanish => "es",
});

impl Language {
    /// The language a document is stemmed in: the one its author declared (a course's), or
    /// else the one its text is written in when that is clear, or else English.
    pub(crate) fn of(declared: Option<&str>, text: &str) -> Self {
        if let Some(tag) = declared {
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            if primary.eq_ignore_ascii_case("es") {
                return Self::Spanish;
            }
            if primary.eq_ignore_ascii_case("en") {
                return Self::English;
            }
        }
        let detector =
            whatlang::Detector::with_allowlist(vec![whatlang::Lang::Eng, whatlang::Lang::Spa]);
        match detector.detect(text) {
            // Short texts are often ambiguous; only a clear verdict moves off the default.
            Some(info) if info.lang() == whatlang::Lang::Spa && info.confidence() > 0.5 => {
                Self::Spanish
            }
            _ => Self::English,
        }
    }
}

/// Who may find a document, as index terms: a searcher finds it when one of their terms is
/// among the document's. Administrators of the school find everything but messages.
pub(crate) struct Audience;

impl Audience {
    /// Everyone of the school.
    pub(crate) const SCHOOL: &'static str = "school";

    pub(crate) fn person(user_id: &str) -> String {
        format!("person:{user_id}")
    }

    /// Every member of the course.
    pub(crate) fn course(course_id: &str) -> String {
        format!("course:{course_id}")
    }

    /// The course's teachers and assistants.
    pub(crate) fn staff(course_id: &str) -> String {
        format!("staff:{course_id}")
    }

    pub(crate) fn conversation(conversation_id: &str) -> String {
        format!("conversation:{conversation_id}")
    }

    /// How the index keeps an audience term: `school` as the school's own term, so that a
    /// searcher's audience alone holds them to their school (every other term names
    /// something of one school already: a course, a person, a conversation).
    pub(crate) fn indexed(term: &str, school_id: &str) -> String {
        if term == Self::SCHOOL {
            format!("school:{school_id}")
        } else {
            term.to_owned()
        }
    }

    /// A course in the catalogue is the school's; a draft is its staff's; an archived course
    /// stays with its members.
    pub(crate) fn of_course(course_id: &str, visibility: Visibility) -> Vec<String> {
        match visibility {
            Visibility::Published => vec![Self::SCHOOL.to_owned()],
            Visibility::Draft => vec![Self::staff(course_id)],
            Visibility::Archived => vec![Self::course(course_id)],
        }
    }

    /// A lesson: the school's when its course is published and public, its members' when
    /// published or archived, its staff's while the course is a draft.
    pub(crate) fn of_lesson(course_id: &str, visibility: Visibility, public: bool) -> Vec<String> {
        match visibility {
            Visibility::Published if public => vec![Self::SCHOOL.to_owned()],
            Visibility::Published | Visibility::Archived => vec![Self::course(course_id)],
            Visibility::Draft => vec![Self::staff(course_id)],
        }
    }

    /// A person, and what is on their profile: an adult's is the school's; a student's is
    /// theirs and their courses' people, or the school's when the school made students'
    /// profiles public (social's rule).
    pub(crate) fn of_person(
        user_id: &str,
        role: Role,
        courses: &[String],
        student_profiles_public: bool,
    ) -> Vec<String> {
        if role != Role::Student || student_profiles_public {
            return vec![Self::SCHOOL.to_owned()];
        }
        let mut audience = vec![Self::person(user_id)];
        audience.extend(courses.iter().map(|course_id| Self::course(course_id)));
        audience
    }

    /// The terms a searcher holds: the school's, their own, and those of their places in
    /// courses (`(course id, is staff)`).
    pub(crate) fn of_searcher(user_id: &str, places: &[(String, bool)]) -> Vec<String> {
        let mut terms = vec![Self::SCHOOL.to_owned(), Self::person(user_id)];
        for (course_id, staff) in places {
            terms.push(Self::course(course_id));
            if *staff {
                terms.push(Self::staff(course_id));
            }
        }
        terms
    }
}

/// How many edits a typed word may be from a word of the school's and still be taken for it:
/// none for short words (too many near neighbours), one from four letters, two from eight.
pub(crate) fn typo_distance(word: &str) -> u32 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Of the school's words within reach of `typed` (`(word, distance, how many documents)`),
/// the one meant: the nearest, then the commonest, then the first alphabetically.
pub(crate) fn likeliest<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = (&'a str, u32, u64)>,
) -> Option<&'a str> {
    let most = typo_distance(typed);
    candidates
        .into_iter()
        .filter(|(word, distance, count)| {
            *distance > 0 && *distance <= most && *count > 0 && *word != typed
        })
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)))
        .map(|(word, _, _)| word)
}

/// Days since 1970-01-01 (UTC), the grain of trending counts.
pub(crate) fn day_of(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_language_wins_then_the_text_decides() {
        assert_eq!(Language::of(Some("es-MX"), "hello"), Language::Spanish);
        assert_eq!(
            Language::of(Some("en"), "la historia de los pueblos"),
            Language::English
        );
        assert_eq!(
            Language::of(
                None,
                "La fotosíntesis es el proceso por el cual las plantas convierten la luz en energía"
            ),
            Language::Spanish
        );
        assert_eq!(
            Language::of(
                None,
                "Photosynthesis is how plants turn light into chemical energy"
            ),
            Language::English
        );
        assert_eq!(Language::of(Some("fr"), "ok"), Language::English);
    }

    #[test]
    fn audiences_follow_the_course_and_the_person() {
        assert_eq!(
            Audience::of_course("c1", Visibility::Published),
            vec!["school"]
        );
        assert_eq!(
            Audience::of_course("c1", Visibility::Draft),
            vec!["staff:c1"]
        );
        assert_eq!(
            Audience::of_lesson("c1", Visibility::Published, false),
            vec!["course:c1"]
        );
        assert_eq!(
            Audience::of_lesson("c1", Visibility::Published, true),
            vec!["school"]
        );
        assert_eq!(
            Audience::of_person("t1", Role::Teacher, &["c1".into()], false),
            vec!["school"]
        );
        assert_eq!(
            Audience::of_person("s1", Role::Student, &["c1".into()], false),
            vec!["person:s1", "course:c1"]
        );
        assert_eq!(
            Audience::of_person("s1", Role::Student, &["c1".into()], true),
            vec!["school"]
        );
        assert_eq!(
            Audience::of_searcher("s1", &[("c1".into(), false), ("c2".into(), true)]),
            vec!["school", "person:s1", "course:c1", "course:c2", "staff:c2"]
        );
    }

    #[test]
    fn typos_are_forgiven_by_word_length() {
        assert_eq!(typo_distance("cat"), 0);
        assert_eq!(typo_distance("cell"), 1);
        assert_eq!(typo_distance("biology"), 1);
        assert_eq!(typo_distance("equation"), 2);
        let candidates = [
            ("biology", 1, 10),
            ("geology", 2, 50),
            ("biologi", 1, 2),
            ("zoology", 3, 100),
        ];
        assert_eq!(likeliest("biolgy", candidates), Some("biology"));
        assert_eq!(likeliest("cat", [("bat", 1, 9)]), None);
        assert_eq!(likeliest("biology", [("biology", 0, 9)]), None);
    }

    #[test]
    fn days_start_at_midnight_utc() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(86_399_999), 0);
        assert_eq!(day_of(86_400_000), 1);
    }
}
