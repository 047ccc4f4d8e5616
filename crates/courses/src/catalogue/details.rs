//! What a teacher may set on a course, and the rules each field follows.

use campus_platform::{error::Checks, Result};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    content,
    domain::{self, EnrollmentMode},
    store::CourseRow,
};

/// What a teacher gives to start a course. Only `title` is required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CourseDetails {
    pub title: Option<String>,
    pub summary: Option<String>,
    /// Markdown; rendered and sanitized for readers.
    pub description: Option<String>,
    /// Empty text clears it.
    pub subject: Option<String>,
    pub grade_level: Option<String>,
    pub tags: Option<Vec<String>>,
    pub cover_image_url: Option<String>,
    /// A language tag such as `en` or `fr-CA`.
    pub language: Option<String>,
    /// `open` (default), `code` or `closed`.
    pub enrollment_mode: Option<EnrollmentMode>,
    /// Whether anyone in the school may read the lessons (default false: members only).
    pub public: Option<bool>,
    /// 0 (default) for free; a paid course cannot be self-enrolled until billing runs.
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
}

impl CourseDetails {
    /// Applies these details over `course`, checking every field given.
    pub(super) fn apply(self, course: &mut CourseRow) -> Result<()> {
        let mut checks = Checks::default();
        if let Some(title) = &self.title {
            if let Some(title) = checks.check(domain::required_text("title", title, 200)) {
                course.title = title;
            }
        }
        if let Some(summary) = &self.summary {
            if let Some(summary) = checks.check(domain::bounded_text("summary", summary, 500)) {
                course.summary = summary;
            }
        }
        if let Some(description) = &self.description {
            if let Some(text) =
                checks.check(domain::bounded_text("description", description, 50_000))
            {
                course.description_html = content::render_markdown(&text);
                course.description = text;
            }
        }
        if let Some(subject) = &self.subject {
            if let Some(subject) =
                checks.check(domain::optional_label("subject", Some(subject), 80))
            {
                course.subject = subject;
            }
        }
        if let Some(grade) = &self.grade_level {
            if let Some(grade) =
                checks.check(domain::optional_label("grade_level", Some(grade), 40))
            {
                course.grade_level = grade;
            }
        }
        if let Some(tags) = &self.tags {
            if let Some(tags) = checks.check(domain::tags("tags", tags)) {
                course.tags = serde_json::to_string(&tags).map_err(anyhow::Error::from)?;
            }
        }
        if let Some(link) = &self.cover_image_url {
            course.cover_image_url = if link.trim().is_empty() {
                None
            } else {
                checks.check(content::web_link("cover_image_url", link))
            };
        }
        if let Some(language) = &self.language {
            if let Some(language) = checks.check(domain::language("language", Some(language))) {
                course.language = language;
            }
        }
        if let Some(mode) = self.enrollment_mode {
            course.enrollment_mode = mode;
        }
        if let Some(public) = self.public {
            course.public = i64::from(public);
        }
        if self.price_cents.is_some() || self.currency.is_some() {
            let cents = self.price_cents.unwrap_or(course.price_cents);
            let currency = match &self.currency {
                Some(currency) => Some(currency.as_str()),
                None => course.currency.as_deref(),
            };
            if let Some((cents, currency)) = checks.check(domain::price(cents, currency)) {
                course.price_cents = cents;
                course.currency = currency;
            }
        }
        checks.finish()
    }
}
