//! The published language of Campus Hub: what one context may know of another.
//!
//! Each context has a module here holding the events it publishes (their payloads, names and
//! versions) and the value types other contexts may keep (roles, course roles, visibility).
//! A context crate depends on this crate, never on another context's crate, so a context's
//! internals stay its own and contexts can consume each other's events in both directions.
//!
//! The event catalogue under `docs/events/`, `campus events` and the schema compatibility
//! check all read [`catalogue`].

pub mod assessments;
pub mod courses;
pub mod identity;
pub mod messaging;
pub mod social;

use schemars::JsonSchema;
use serde::{de::DeserializeOwned, Serialize};

/// A fact one context tells the others. Its type name carries its version
/// (`campus.<context>.<event>.v<N>`); a change to its shape that old readers cannot read needs
/// a new version, which the schema compatibility check enforces.
pub trait Event: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    const TYPE: &'static str;

    /// The aggregate the event is about; events of one subject are handled in order.
    fn subject(&self) -> String;
}

/// A published event type and its JSON Schema, for the event catalogue.
#[derive(Debug, Clone)]
pub struct EventSchema {
    pub event_type: &'static str,
    pub schema: serde_json::Value,
}

impl EventSchema {
    pub fn of<E: Event>() -> Self {
        let schema = serde_json::to_value(schemars::schema_for!(E)).unwrap_or_default();
        Self {
            event_type: E::TYPE,
            schema,
        }
    }
}

/// Every event any context publishes.
pub fn catalogue() -> Vec<EventSchema> {
    let mut all = identity::published();
    all.extend(courses::published());
    all.extend(assessments::published());
    all.extend(messaging::published());
    all.extend(social::published());
    all
}

/// `campus.<context>.<event>.v<N>` → `<context>`.
pub fn stream_of(event_type: &str) -> Option<&str> {
    let mut parts = event_type.split('.');
    let (Some("campus"), Some(context), Some(name), Some(version), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let well_formed = !context.is_empty()
        && !name.is_empty()
        && version
            .strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    well_formed.then_some(context)
}

/// A stored or received text that names no value of a published enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a {}", self.value, self.kind)
    }
}

impl std::error::Error for UnknownValue {}

/// Implements the text form of a fieldless enum: `as_str`, `Display`, `FromStr` and
/// `TryFrom<String>` (how it is read back from a database), all from one table, so an
/// unknown stored value is an error and never quietly becomes a default.
#[macro_export]
macro_rules! text_enum {
    ($type:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $type {
            type Err = $crate::UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($type::$variant),)+
                    _ => Err($crate::UnknownValue { kind: $kind, value: text.to_owned() }),
                }
            }
        }

        impl ::std::convert::TryFrom<String> for $type {
            type Error = $crate::UnknownValue;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                text.parse()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_name_their_stream() {
        assert_eq!(
            stream_of("campus.identity.user_registered.v1"),
            Some("identity")
        );
        assert_eq!(stream_of("campus.identity.user_registered"), None);
        assert_eq!(stream_of("campus.identity.user_registered.vx"), None);
        assert_eq!(stream_of("other.identity.user_registered.v1"), None);
    }

    #[test]
    fn every_event_names_its_publisher() {
        for event in catalogue() {
            assert!(
                stream_of(event.event_type).is_some(),
                "{} is not campus.<context>.<event>.v<N>",
                event.event_type
            );
        }
    }

    #[test]
    fn an_unknown_stored_value_is_an_error() {
        let error = identity::Role::try_from("headmaster".to_owned()).unwrap_err();
        assert_eq!(error.to_string(), "`headmaster` is not a role");
        for role in identity::Role::ALL {
            assert_eq!(role.as_str().parse::<identity::Role>(), Ok(*role));
        }
    }
}
