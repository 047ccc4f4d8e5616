//! What a teacher may set on a course, and the rules each field follows.

use campus_platform::{error::Checks, locale::LocaleTag, markdown, openapi::fields, Result};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    content,
    domain::{self, EnrollmentMode},
    store::CourseRow,
};

/// A course's details. Creating a course needs a title ([`NewCourse`]); a change gives only
/// the fields it changes ([`CourseChange`]); `null` leaves a field as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CourseDetails {
    #[schema(schema_with = fields::optional_required_text::<{ domain::TITLE_MAX }>)]
    pub title: Option<String>,
    #[schema(schema_with = fields::optional_text::<{ domain::SUMMARY_MAX }>)]
    pub summary: Option<String>,
    /// Markdown; rendered and sanitized for readers.
    #[schema(schema_with = fields::optional_text::<{ domain::DESCRIPTION_MAX }>)]
    pub description: Option<String>,
    /// Blank clears it.
    #[schema(schema_with = fields::optional_line::<{ domain::SUBJECT_MAX }>)]
    pub subject: Option<String>,
    /// Blank clears it.
    #[schema(schema_with = fields::optional_line::<{ domain::GRADE_LEVEL_MAX }>)]
    pub grade_level: Option<String>,
    /// Lower-cased and de-duplicated.
    #[schema(schema_with = tags_schema)]
    pub tags: Option<Vec<String>>,
    /// An http or https address; blank removes it.
    #[schema(schema_with = fields::optional_link::<{ domain::LINK_MAX }>)]
    pub cover_image_url: Option<String>,
    /// A BCP 47 language tag such as `en` or `fr-CA`; blank clears it.
    #[schema(schema_with = LocaleTag::optional_schema)]
    pub language: Option<String>,
    /// `open` (default), `code` or `closed`.
    pub enrollment_mode: Option<EnrollmentMode>,
    /// Whether anyone in the school may read the lessons (default false: members only).
    pub public: Option<bool>,
    /// 0 (default) for free; a paid course needs a `currency`, and cannot be self-enrolled
    /// until billing runs.
    #[schema(inline)]
    pub price_cents: Option<domain::PriceCents>,
    /// A three-letter ISO 4217 code, for a paid course.
    #[schema(schema_with = currency_schema)]
    pub currency: Option<String>,
}

fn tags_schema() -> utoipa::openapi::Array {
    fields::optional_list(
        fields::required_line_of(domain::TAG_MAX, ","),
        domain::MAX_TAGS,
    )
}

fn currency_schema() -> utoipa::openapi::Object {
    fields::optional_pattern("^([A-Za-z]{3})?$", 3)
}

/// A course's details with its title: what starting a course takes.
#[derive(Debug)]
pub(crate) struct NewCourse(pub CourseDetails);

/// The details of a course that change.
#[derive(Debug)]
pub(crate) struct CourseChange(pub CourseDetails);

impl<'de> Deserialize<'de> for NewCourse {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let details = CourseDetails::deserialize(deserializer)?;
        if details.title.is_none() {
            return Err(serde::de::Error::missing_field("title"));
        }
        Ok(Self(details))
    }
}

impl<'de> Deserialize<'de> for CourseChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CourseDetails::deserialize(deserializer).map(Self)
    }
}

/// A paid course needs a currency: the details either cost nothing or name one.
fn with_price_rule(
    details: utoipa::openapi::RefOr<utoipa::openapi::Schema>,
) -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::{
        schema::{AnyOfBuilder, Type},
        AllOfBuilder, ObjectBuilder,
    };
    let free = ObjectBuilder::new().property(
        "price_cents",
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::Integer,
                Type::Null,
            ]))
            .maximum(Some(0)),
    );
    let priced = ObjectBuilder::new()
        .property("currency", fields::pattern("^[A-Za-z]{3}$", 3))
        .required("currency");
    AllOfBuilder::new()
        .item(details)
        .item(AnyOfBuilder::new().item(free).item(priced))
        .into()
}

impl utoipa::PartialSchema for NewCourse {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        with_price_rule(campus_platform::openapi::requiring(
            <CourseDetails as utoipa::PartialSchema>::schema(),
            &[("title", fields::required_text::<{ domain::TITLE_MAX }>())],
        ))
    }
}

impl ToSchema for NewCourse {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::Schema>)>) {
        <CourseDetails as ToSchema>::schemas(schemas);
    }
}

impl utoipa::PartialSchema for CourseChange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        with_price_rule(<CourseDetails as utoipa::PartialSchema>::schema())
    }
}

impl ToSchema for CourseChange {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::Schema>)>) {
        <CourseDetails as ToSchema>::schemas(schemas);
    }
}

impl CourseDetails {
    /// Applies these details over `course`, checking every field given.
    pub(super) fn apply(self, course: &mut CourseRow) -> Result<()> {
        let mut checks = Checks::default();
        if let Some(title) = &self.title {
            if let Some(title) =
                checks.check(domain::required_text("title", title, domain::TITLE_MAX))
            {
                course.title = title;
            }
        }
        if let Some(summary) = &self.summary {
            if let Some(summary) = checks.check(domain::bounded_text(
                "summary",
                summary,
                domain::SUMMARY_MAX,
            )) {
                course.summary = summary;
            }
        }
        if let Some(description) = &self.description {
            if let Some(text) = checks.check(domain::bounded_text(
                "description",
                description,
                domain::DESCRIPTION_MAX,
            )) {
                course.description_html = markdown::render(&text);
                course.description = text;
            }
        }
        if let Some(subject) = &self.subject {
            if let Some(subject) = checks.check(domain::optional_label(
                "subject",
                Some(subject),
                domain::SUBJECT_MAX,
            )) {
                course.subject = subject;
            }
        }
        if let Some(grade) = &self.grade_level {
            if let Some(grade) = checks.check(domain::optional_label(
                "grade_level",
                Some(grade),
                domain::GRADE_LEVEL_MAX,
            )) {
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
            let cents = self
                .price_cents
                .map_or(course.price_cents, |cents| cents.get());
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
