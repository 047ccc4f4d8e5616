//! Time zones and language tags, checked the same way by every context: a time zone is an IANA
//! name from the time zone database bundled with jiff (so every host agrees, containers without
//! `/usr/share/zoneinfo` included), a language tag is BCP 47 as ICU4X parses it.

use crate::error::FieldError;

/// An IANA time zone name (`America/Los_Angeles`), as the bundled time zone database spells
/// it; matching ignores case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let zone = jiff::tz::TimeZone::get(text.trim()).map_err(|_| {
            FieldError::new(
                field,
                "unknown_time_zone",
                "use an IANA time zone name such as Europe/London or America/Chicago",
            )
        })?;
        let name = zone
            .iana_name()
            .ok_or_else(|| FieldError::new(field, "unknown_time_zone", "not a named time zone"))?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For the API document: one of the bundled database's names (matched ignoring case), blank
    /// to clear the field, or `null` to leave it as it is.
    pub fn optional_schema() -> utoipa::openapi::Object {
        use utoipa::openapi::schema::{SchemaType, Type};
        let mut names: Vec<serde_json::Value> = jiff::tz::db()
            .available()
            .map(|name| serde_json::Value::String(name.as_str().to_owned()))
            .collect();
        names.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        names.insert(0, serde_json::Value::String(String::new()));
        names.push(serde_json::Value::Null);
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .enum_values(Some(names))
            .build()
    }
}

/// A BCP 47 language tag (`en-US`, `pt-BR`, `fr`), in canonical case; `en_US` is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocaleTag(String);

impl LocaleTag {
    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let text = text.trim().replace('_', "-");
        if text.len() > 35 {
            return Err(FieldError::new(field, "too_long", "at most 35 characters"));
        }
        let locale = icu_locale_core::Locale::try_from_str(&text).map_err(|_| {
            FieldError::new(
                field,
                "invalid_locale",
                "use a language tag such as en, en-GB or pt-BR",
            )
        })?;
        Ok(Self(locale.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For the API document: a tag of language, script and region (`en`, `fr-CA`,
    /// `zh-Hant-TW`; the check takes variants and extensions too), blank to clear the field,
    /// or `null` to leave it as it is.
    pub fn optional_schema() -> utoipa::openapi::Object {
        crate::openapi::fields::optional_pattern(
            r"^(\s*|[A-Za-z]{2,3}([-_][A-Za-z]{4})?([-_]([A-Za-z]{2}|[0-9]{3}))?)$",
            35,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names_in_their_own_spelling() {
        assert_eq!(
            TimeZoneName::parse("tz", "america/los_angeles")
                .unwrap()
                .as_str(),
            "America/Los_Angeles"
        );
        assert_eq!(TimeZoneName::parse("tz", " UTC ").unwrap().as_str(), "UTC");
        for bad in ["Not/AZone", "", "+05:00", "../../etc/passwd"] {
            assert!(TimeZoneName::parse("tz", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales_are_language_tags_in_canonical_case() {
        assert_eq!(LocaleTag::parse("l", "EN-us").unwrap().as_str(), "en-US");
        assert_eq!(LocaleTag::parse("l", "pt_BR").unwrap().as_str(), "pt-BR");
        assert_eq!(LocaleTag::parse("l", "fr").unwrap().as_str(), "fr");
        for bad in ["not a locale", "", "e", "<script>"] {
            assert!(LocaleTag::parse("l", bad).is_err(), "{bad}");
        }
    }
}
