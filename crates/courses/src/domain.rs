//! Courses' rules, free of I/O: what a course, module, lesson and announcement may hold, the
//! roles people have in a course, and how progress is counted.

use campus_platform::error::FieldError;
use campus_platform::locale::LocaleTag;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use campus_contracts::courses::{CourseRole, Visibility};

/// Limits of what teachers write, used by the checks below and by the API document.
pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 500;
pub const DESCRIPTION_MAX: usize = 50_000;
pub const SUBJECT_MAX: usize = 80;
pub const GRADE_LEVEL_MAX: usize = 40;
pub const TAG_MAX: usize = 40;
pub const LESSON_BODY_MAX: usize = 200_000;
pub const ANNOUNCEMENT_MAX: usize = 20_000;
pub const ATTACHMENTS_MAX: usize = 20;
pub const LINK_MAX: usize = 2048;
/// Whole cents a course may cost.
pub type PriceCents = campus_platform::http::Within<0, 100_000_000>;
/// Minutes a lesson may be expected to take.
pub type LessonMinutes = campus_platform::http::Within<1, 600>;

/// How students come to be in a course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentMode {
    /// Students enroll themselves.
    Open,
    /// Students enroll themselves with the course's code.
    Code,
    /// Only the course's teachers add students.
    Closed,
}

campus_contracts::text_enum!(EnrollmentMode, "enrollment mode", {
    Open => "open",
    Code => "code",
    Closed => "closed",
});

pub use campus_platform::text::{bounded_text, required_text};

/// An optional short label (subject, grade level): `None` when blank.
pub fn optional_label(
    field: &str,
    text: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) if text.contains('\n') => Err(FieldError::new(
            field,
            "invalid_characters",
            "one line only",
        )),
        Some(text) => bounded_text(field, text, max).map(Some),
    }
}

pub const MAX_TAGS: usize = 20;

/// Tags: lower-cased, de-duplicated, each 1–40 characters, at most 20.
pub fn tags(field: &str, tags: &[String]) -> Result<Vec<String>, FieldError> {
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new(
            field,
            "too_many",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    let mut clean: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        // Counted as typed: lower-casing may lengthen a word.
        let tag = required_text(&format!("{field}[{i}]"), tag, TAG_MAX)?.to_lowercase();
        if tag.contains(['\n', ',']) {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "invalid_characters",
                "no commas or line breaks",
            ));
        }
        if !clean.contains(&tag) {
            clean.push(tag);
        }
    }
    Ok(clean)
}

/// A course's language: a BCP 47 tag such as `en` or `fr-CA`, stored in canonical case.
pub fn language(field: &str, text: Option<&str>) -> Result<Option<String>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(tag) => LocaleTag::parse(field, tag).map(|l| Some(l.as_str().to_owned())),
    }
}

/// A price: whole cents, 0 for free, with an ISO 4217 currency when not free.
pub fn price(cents: i64, currency: Option<&str>) -> Result<(i64, Option<String>), FieldError> {
    if !(0..=100_000_000).contains(&cents) {
        return Err(FieldError::new(
            "price_cents",
            "out_of_range",
            "between 0 and 100000000",
        ));
    }
    let currency = currency
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty());
    match currency {
        Some(code) if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) => {
            Err(FieldError::new(
                "currency",
                "invalid_currency",
                "a three-letter ISO 4217 code",
            ))
        }
        None if cents > 0 => Err(FieldError::new(
            "currency",
            "required",
            "a paid course needs a currency",
        )),
        currency => Ok((cents, currency)),
    }
}

/// Whether a reordering names exactly the current items, each once.
pub fn same_items(current: &[String], asked: &[String]) -> bool {
    let mut current = current.to_vec();
    let mut asked = asked.to_vec();
    current.sort();
    asked.sort();
    let unique = asked.windows(2).all(|pair| pair[0] != pair[1]);
    unique && current == asked
}

/// Percent of `done` out of `total`, rounded down; a course with nothing required is 0 %
/// until it has content.
pub fn percent(done: i64, total: i64) -> i64 {
    if total <= 0 {
        0
    } else {
        (done.min(total) * 100) / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reordering_must_name_every_item_once() {
        let current = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert!(same_items(&current, &["c".into(), "a".into(), "b".into()]));
        assert!(!same_items(&current, &["a".into(), "b".into()]));
        assert!(!same_items(&current, &["a".into(), "b".into(), "b".into()]));
        assert!(!same_items(&current, &["a".into(), "b".into(), "d".into()]));
    }

    #[test]
    fn prices_need_a_currency() {
        assert_eq!(price(0, None).unwrap(), (0, None));
        assert_eq!(
            price(1500, Some("eur")).unwrap(),
            (1500, Some("EUR".into()))
        );
        assert!(price(1500, None).is_err());
        assert!(price(-1, None).is_err());
        assert!(price(10, Some("EURO")).is_err());
    }

    #[test]
    fn tags_are_normalised() {
        assert_eq!(
            tags(
                "tags",
                &["Biology".into(), "biology".into(), " Lab ".into()]
            )
            .unwrap(),
            vec!["biology", "lab"]
        );
        assert!(tags("tags", &["".into()]).is_err());
        assert!(tags("tags", &vec!["x".to_owned(); 21]).is_err());
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        assert!(required_text("t", &"é".repeat(200), 200).is_ok());
        assert!(required_text("t", &"é".repeat(201), 200).is_err());
        assert!(required_text("t", "   ", 200).is_err());
        assert!(required_text("t", "a\u{0}b", 200).is_err());
    }

    #[test]
    fn percent_is_bounded() {
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 3), 100);
        assert_eq!(percent(0, 0), 0);
    }
}
