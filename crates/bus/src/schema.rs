//! Event JSON Schemas: the catalogue under `docs/events/` and the compatibility rule.
//!
//! An event type's version is a promise: readers built for `v1` read every `v1` event, and
//! code built today reads `v1` events stored last week (the log, parked events). So while the
//! version stays the same, a schema may only gain optional fields and documentation.
//! Anything else needs `v2`.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use campus_platform::events::EventSchema;
use serde_json::Value;

/// Why `new` cannot replace `old` under the same version; empty when it can.
pub fn incompatibilities(old: &Value, new: &Value) -> Vec<String> {
    let mut found = Vec::new();
    compare(old, old, new, new, "", &mut found);
    found
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(path) = reference.strip_prefix("#/") else {
            break;
        };
        match path.split('/').try_fold(root, |node, key| node.get(key)) {
            Some(target) => current = target,
            None => break,
        }
    }
    current
}

fn types(schema: &Value) -> BTreeSet<String> {
    match schema.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn names(value: Option<&Value>) -> BTreeSet<String> {
    match value {
        Some(Value::Array(items)) => items.iter().map(|v| v.to_string()).collect(),
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

fn compare(
    old_root: &Value,
    old: &Value,
    new_root: &Value,
    new: &Value,
    at: &str,
    found: &mut Vec<String>,
) {
    let old = resolve(old_root, old);
    let new = resolve(new_root, new);
    let here = if at.is_empty() { "the event" } else { at };
    if types(old) != types(new) {
        found.push(format!(
            "{here}: type changed from {:?} to {:?}",
            types(old),
            types(new)
        ));
        return;
    }
    if names(old.get("enum")) != names(new.get("enum")) {
        found.push(format!("{here}: allowed values changed"));
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        let (a, b) = (old.get(key), new.get(key));
        match (a.and_then(Value::as_array), b.and_then(Value::as_array)) {
            (Some(a), Some(b)) if a.len() == b.len() => {
                for (index, (x, y)) in a.iter().zip(b).enumerate() {
                    compare(
                        old_root,
                        x,
                        new_root,
                        y,
                        &format!("{here}/{key}[{index}]"),
                        found,
                    );
                }
            }
            (None, None) => {}
            _ => found.push(format!("{here}: {key} alternatives changed")),
        }
    }
    if let (Some(a), Some(b)) = (old.get("items"), new.get("items")) {
        compare(old_root, a, new_root, b, &format!("{here}[]"), found);
    }
    let old_required = names(old.get("required"));
    let new_required = names(new.get("required"));
    let old_properties = old.get("properties").and_then(Value::as_object);
    let new_properties = new.get("properties").and_then(Value::as_object);
    let empty = serde_json::Map::new();
    let (old_properties, new_properties) = (
        old_properties.unwrap_or(&empty),
        new_properties.unwrap_or(&empty),
    );
    for (name, old_schema) in old_properties {
        let field = if at.is_empty() {
            name.clone()
        } else {
            format!("{at}.{name}")
        };
        let quoted = format!("\"{name}\"");
        match new_properties.get(name) {
            None if old_required.contains(&quoted) => {
                found.push(format!("{field}: required field removed"))
            }
            None => {}
            Some(new_schema) => {
                if old_required.contains(&quoted) != new_required.contains(&quoted) {
                    found.push(format!("{field}: changed between required and optional"));
                }
                compare(old_root, old_schema, new_root, new_schema, &field, found);
            }
        }
    }
    for name in new_properties.keys() {
        let quoted = format!("\"{name}\"");
        if !old_properties.contains_key(name) && new_required.contains(&quoted) {
            let field = if at.is_empty() {
                name.clone()
            } else {
                format!("{at}.{name}")
            };
            found.push(format!(
                "{field}: new required field (events already stored lack it)"
            ));
        }
    }
}

/// Where an event type's schema lives in the catalogue.
pub fn schema_path(dir: &Path, event_type: &str) -> PathBuf {
    dir.join(format!("{event_type}.json"))
}

/// Compares each event's schema with the catalogue in `dir`. With `write`, new and
/// compatibly changed schemas are written; incompatible changes are never written.
/// Returns the problems found (empty when the catalogue matches the code).
pub fn check_catalogue(
    dir: &Path,
    events: &[EventSchema],
    write: bool,
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for event in events {
        let path = schema_path(dir, event.event_type);
        let text = serde_json::to_string_pretty(&event.schema)? + "\n";
        match std::fs::read_to_string(&path) {
            Ok(stored) => {
                let old: Value = serde_json::from_str(&stored)
                    .with_context(|| format!("{} is not JSON", path.display()))?;
                if old == event.schema {
                    continue;
                }
                let breaks = incompatibilities(&old, &event.schema);
                if !breaks.is_empty() {
                    problems.push(format!(
                        "{} changed incompatibly ({}); publish it as a new version instead",
                        event.event_type,
                        breaks.join("; ")
                    ));
                } else if write {
                    std::fs::write(&path, text)?;
                } else {
                    problems.push(format!(
                        "{} changed compatibly; regenerate the catalogue",
                        event.event_type
                    ));
                }
            }
            Err(_) if write => {
                std::fs::create_dir_all(dir)?;
                std::fs::write(&path, text)?;
            }
            Err(_) => problems.push(format!(
                "{} has no schema in {}",
                event.event_type,
                dir.display()
            )),
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(properties: Value, required: &[&str]) -> Value {
        json!({ "type": "object", "properties": properties, "required": required })
    }

    #[test]
    fn an_added_optional_field_is_compatible() {
        let old = object(json!({ "user_id": { "type": "string" } }), &["user_id"]);
        let new = object(
            json!({ "user_id": { "type": "string" }, "nickname": { "type": ["string", "null"] } }),
            &["user_id"],
        );
        assert!(incompatibilities(&old, &new).is_empty());
    }

    #[test]
    fn removing_a_required_field_breaks_readers() {
        let old = object(
            json!({ "user_id": { "type": "string" }, "email": { "type": "string" } }),
            &["user_id", "email"],
        );
        let new = object(json!({ "user_id": { "type": "string" } }), &["user_id"]);
        assert_eq!(
            incompatibilities(&old, &new),
            vec!["email: required field removed"]
        );
    }

    #[test]
    fn a_new_required_field_cannot_be_read_from_stored_events() {
        let old = object(json!({ "user_id": { "type": "string" } }), &["user_id"]);
        let new = object(
            json!({ "user_id": { "type": "string" }, "role": { "type": "string" } }),
            &["user_id", "role"],
        );
        assert_eq!(incompatibilities(&old, &new).len(), 1);
    }

    #[test]
    fn a_changed_type_breaks_even_inside_a_definition() {
        let old = json!({ "type": "object", "properties": { "grade": { "$ref": "#/$defs/Grade" } }, "required": ["grade"],
            "$defs": { "Grade": { "type": "object", "properties": { "points": { "type": "integer" } }, "required": ["points"] } } });
        let new = json!({ "type": "object", "properties": { "grade": { "$ref": "#/$defs/Grade" } }, "required": ["grade"],
            "$defs": { "Grade": { "type": "object", "properties": { "points": { "type": "string" } }, "required": ["points"] } } });
        let found = incompatibilities(&old, &new);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("grade.points"));
    }

    #[test]
    fn removing_an_enum_value_breaks_readers() {
        let old = object(
            json!({ "role": { "type": "string", "enum": ["student", "teacher"] } }),
            &["role"],
        );
        let new = object(
            json!({ "role": { "type": "string", "enum": ["student"] } }),
            &["role"],
        );
        assert!(!incompatibilities(&old, &new).is_empty());
    }

    #[test]
    fn the_catalogue_check_refuses_to_overwrite_a_breaking_change() {
        let dir = std::env::temp_dir().join(format!(
            "campus-schema-{}",
            campus_platform::id::new_id_string()
        ));
        let v1 = object(json!({ "a": { "type": "string" } }), &["a"]);
        let event = EventSchema {
            event_type: "campus.test.thing.v1",
            schema: v1.clone(),
        };
        assert!(
            check_catalogue(&dir, std::slice::from_ref(&event), false)
                .unwrap()
                .len()
                == 1
        );
        assert!(check_catalogue(&dir, std::slice::from_ref(&event), true)
            .unwrap()
            .is_empty());
        assert!(check_catalogue(&dir, &[event], false).unwrap().is_empty());
        let broken = EventSchema {
            event_type: "campus.test.thing.v1",
            schema: object(json!({ "a": { "type": "integer" } }), &["a"]),
        };
        let problems = check_catalogue(&dir, &[broken], true).unwrap();
        assert!(problems[0].contains("incompatibly"), "{problems:?}");
        let stored: Value = serde_json::from_str(
            &std::fs::read_to_string(schema_path(&dir, "campus.test.thing.v1")).unwrap(),
        )
        .unwrap();
        assert_eq!(stored, v1);
        std::fs::remove_dir_all(dir).ok();
    }
}
