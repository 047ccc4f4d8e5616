//! Forms: what a refused form shows next to each field and above the form, in words a
//! student understands, from the API's problem+json answer.

use serde::Deserialize;

use crate::{
    api::{Failure, Problem},
    i18n::Tr,
};

/// A form that is only a button: it carries the session's CSRF token and nothing else.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    pub csrf: String,
}

/// A form's fields as pairs, the way a posted form is read (for tests).
#[cfg(test)]
pub(crate) fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The value of the field `name` of a form read as pairs (a form with repeated or numbered
/// fields); empty when the form has none.
pub(crate) fn value_of(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}

/// A number as a person types it (`2.5`, or `2,5` with a decimal comma), or the field's
/// `not_a_decimal` error.
pub(crate) fn decimal(field: &str, text: &str) -> Result<f64, FormErrors> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| FormErrors::of_code(field, "not_a_decimal"))
}

/// A whole number, or the field's `not_a_number` error.
pub(crate) fn whole<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, FormErrors> {
    text.trim()
        .parse::<T>()
        .map_err(|_| FormErrors::of_code(field, "not_a_number"))
}

/// What went wrong with a form, by field and overall.
#[derive(Debug, Default)]
pub(crate) struct FormErrors {
    /// `(field, message)`, in the order the API listed them.
    pub fields: Vec<(String, String)>,
    /// What applies to the whole form.
    pub general: Option<String>,
    /// `(field, label)` of the form's fields, so the summary names the field of each message.
    labels: Vec<(String, String)>,
}

impl FormErrors {
    /// The errors of a refused form, or the failure itself when it is not about the form
    /// (signed out, not found, broken), for the page to show.
    pub(crate) fn of(tr: &Tr, failure: Failure) -> Result<Self, Failure> {
        match failure {
            Failure::Refused {
                problem,
                retry_after,
            } => {
                let fields: Vec<(String, String)> = problem
                    .errors
                    .iter()
                    .map(|error| {
                        let message = tr
                            .maybe(&format!("field-{}", error.code))
                            .unwrap_or_else(|| error.message.clone());
                        (error.field.clone(), message)
                    })
                    .collect();
                let general = match retry_after {
                    Some(seconds) => Some(tr.n(
                        "problem-too-many-attempts",
                        "seconds",
                        i64::try_from(seconds).unwrap_or(i64::MAX),
                    )),
                    None if fields.is_empty() => Some(problem_message(tr, &problem)),
                    None => None,
                };
                Ok(Self {
                    fields,
                    general,
                    labels: Vec::new(),
                })
            }
            other => Err(other),
        }
    }

    /// One message for the whole form.
    pub(crate) fn general(message: String) -> Self {
        Self {
            general: Some(message),
            ..Self::default()
        }
    }

    /// One message for one field.
    pub(crate) fn on_field(field: &str, message: String) -> Self {
        Self {
            fields: vec![(field.to_owned(), message)],
            ..Self::default()
        }
    }

    /// A check the page makes itself: `field` has the problem `code` (its message comes from
    /// the catalogue's `field-<code>` once [`FormErrors::translated`]).
    pub(crate) fn of_code(field: &str, code: &str) -> Self {
        Self {
            fields: vec![(field.to_owned(), code.to_owned())],
            ..Self::default()
        }
    }

    /// Messages for the codes of [`FormErrors::of_code`].
    pub(crate) fn translated(mut self, tr: &Tr) -> Self {
        for (_, message) in &mut self.fields {
            *message = tr.t(&format!("field-{message}"));
        }
        self
    }

    /// The errors with the API's field names turned into the form's.
    pub(crate) fn renamed(mut self, rename: impl Fn(&str) -> String) -> Self {
        for (field, _) in &mut self.fields {
            *field = rename(field);
        }
        self
    }

    /// Names the form's fields (`(field, label message)`) for the summary.
    pub(crate) fn labelled(mut self, tr: &Tr, fields: &[(&'static str, &str)]) -> Self {
        self.labels = fields
            .iter()
            .map(|(field, label)| ((*field).to_owned(), tr.t(label)))
            .collect();
        self
    }

    /// Names more fields for the summary: `(field, label)` already in words, for fields a
    /// form numbers as it grows (a rubric's rows).
    pub(crate) fn also_labelled(mut self, labels: Vec<(String, String)>) -> Self {
        self.labels.extend(labels);
        self
    }

    /// The summary's lines: `(field, "Label: message")`.
    pub(crate) fn summary(&self) -> Vec<(&str, String)> {
        self.fields
            .iter()
            .map(|(field, message)| {
                let label = self
                    .labels
                    .iter()
                    .find(|(name, _)| name == field)
                    .map(|(_, label)| label.as_str());
                let line = match label {
                    Some(label) => format!("{label}: {message}"),
                    None => message.clone(),
                };
                (field.as_str(), line)
            })
            .collect()
    }

    pub(crate) fn any(&self) -> bool {
        self.general.is_some() || !self.fields.is_empty()
    }

    /// The status of a page showing this form: 422 while it has errors.
    pub(crate) fn status(&self) -> axum::http::StatusCode {
        if self.any() {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        } else {
            axum::http::StatusCode::OK
        }
    }

    /// The message for `field`, if it has one.
    pub(crate) fn on(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }
}

/// A problem's explanation in the page's language, where the catalogue has one for its code.
pub(crate) fn problem_message(tr: &Tr, problem: &Problem) -> String {
    tr.maybe(&format!("problem-{}", problem.code))
        .unwrap_or_else(|| problem.detail.clone())
}

/// One labelled input with its hint and error, wired for assistive technology: the label
/// names it, `aria-describedby` reads out the hint and error, `aria-invalid` marks it.
#[derive(askama::Template)]
#[template(path = "field.html")]
struct Field<'a> {
    name: &'a str,
    label: String,
    hint: Option<String>,
    error: Option<&'a str>,
    value: &'a str,
    kind: &'a str,
    autocomplete: &'a str,
}

impl FormErrors {
    /// The field `name` (an `<input type=kind>` holding `value`), labelled by the message
    /// `label`; the catalogue's `<label>-hint`, if any, is its hint.
    pub(crate) fn field(
        &self,
        tr: &Tr,
        name: &str,
        label: &str,
        value: &str,
        kind: &str,
        autocomplete: &str,
    ) -> String {
        let field = Field {
            name,
            label: tr.t(label),
            hint: tr.maybe(&format!("{label}-hint")),
            error: self.on(name),
            value,
            kind,
            autocomplete,
        };
        askama::Template::render(&field).unwrap_or_default()
    }
}

/// A labelled choice of time zone, with `blank` (if given) as the first option's text.
#[derive(askama::Template)]
#[template(path = "time_zone_field.html")]
struct TimeZoneField<'a> {
    name: &'a str,
    label: String,
    hint: Option<String>,
    error: Option<&'a str>,
    selected: &'a str,
    blank: Option<&'a str>,
    zones: &'static [String],
}

impl FormErrors {
    /// The time zone field `name`, labelled by the message `label`, with `selected` chosen; a
    /// `blank` option (its text given) stands for "none of my own".
    pub(crate) fn time_zone_field(
        &self,
        tr: &Tr,
        name: &str,
        label: &str,
        selected: &str,
        blank: Option<&str>,
    ) -> String {
        let field = TimeZoneField {
            name,
            label: tr.t(label),
            hint: tr.maybe(&format!("{label}-hint")),
            error: self.on(name),
            selected,
            blank,
            zones: crate::when::time_zones(),
        };
        askama::Template::render(&field).unwrap_or_default()
    }
}
