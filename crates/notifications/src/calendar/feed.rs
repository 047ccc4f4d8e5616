//! A person's dates as an iCalendar document (RFC 5545), for Google Calendar, Outlook and
//! Apple Calendar to subscribe to: one event per due date (or opening, for work without one),
//! with a stable UID so an edited date moves the event rather than adding another.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use super::Entry;

/// How often a subscribed client should fetch the feed again.
const REFRESH_EVERY_MINUTES: i64 = 60;

/// The document for `entries`, worded for `locale`, links made absolute from `site`.
pub(crate) fn document(entries: &[Entry], locale: Option<&str>, site: &str) -> String {
    let spanish = locale.is_some_and(|tag| tag == "es" || tag.starts_with("es-"));
    let mut calendar = Calendar::new();
    calendar
        .name(if spanish {
            "Campus Hub: entregas"
        } else {
            "Campus Hub: due dates"
        })
        .ttl(&chrono::Duration::minutes(REFRESH_EVERY_MINUTES));
    for entry in entries {
        let Some(at) = entry
            .due_at
            .as_deref()
            .or(entry.opens_at.as_deref())
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc))
        else {
            continue;
        };
        let due = entry.due_at.is_some();
        let summary = match (spanish, entry.kind.as_str(), due) {
            (false, "quiz", true) => format!("Quiz closes: {}", entry.title),
            (false, "quiz", false) => format!("Quiz opens: {}", entry.title),
            (false, _, true) => format!("Due: {}", entry.title),
            (false, _, false) => format!("Opens: {}", entry.title),
            (true, "quiz", true) => format!("Cierra el cuestionario: {}", entry.title),
            (true, "quiz", false) => format!("Abre el cuestionario: {}", entry.title),
            (true, _, true) => format!("Entrega: {}", entry.title),
            (true, _, false) => format!("Abre: {}", entry.title),
        };
        let url = format!("{}{}", site.trim_end_matches('/'), entry.link);
        let mut event = Event::new();
        event
            .uid(&format!("{}@campus-hub", entry.id))
            .summary(&summary)
            .starts(at)
            .ends(at)
            .url(&url)
            .description(&match &entry.course_title {
                Some(course) => format!("{course}\n{url}"),
                None => url.clone(),
            });
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
