//! Instants as a school reads them. Teachers give dates in their school's time zone
//! (`2026-12-10T23:59`) or as exact instants (`2026-12-10T23:59:00Z`, or with an offset); the
//! API answers every instant with the school's offset of that day, so a due date reads the
//! same on every device, summer time or not.

use campus_platform::error::FieldError;
use jiff::{civil::DateTime, tz::TimeZone, Timestamp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What a date-time field looks like: a wall-clock time (`2026-12-10T23:59`, seconds and
/// fractions optional) with or without an offset (`Z`, `+01:00`).
const DATE_TIME: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?$";

/// The API document's schema of an optional date-time field.
pub(crate) fn date_time_schema() -> utoipa::openapi::Object {
    campus_platform::openapi::fields::optional_pattern(DATE_TIME, 40)
}

/// The instant `text` names: exact when it carries an offset, else a wall-clock time in `zone`
/// (an hour skipped by a clock change moves forward; one repeated takes its first pass).
pub(crate) fn instant(field: &str, text: &str, zone: &TimeZone) -> Result<i64, FieldError> {
    let text = text.trim();
    if let Ok(exact) = text.parse::<Timestamp>() {
        return Ok(exact.as_millisecond());
    }
    text.parse::<DateTime>()
        .ok()
        .and_then(|wall| zone.to_ambiguous_zoned_datetime(wall).compatible().ok())
        .map(|zoned| zoned.timestamp().as_millisecond())
        .ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_date_time",
                "give a date and time such as 2026-12-10T23:59 (the school's time zone) or \
                 2026-12-10T23:59:00Z",
            )
        })
}

/// As [`instant`], for a field that may be absent.
pub(crate) fn optional_instant(
    field: &str,
    text: Option<&str>,
    zone: &TimeZone,
) -> Result<Option<i64>, FieldError> {
    text.map(|text| instant(field, text, zone)).transpose()
}

/// `ms` as RFC 3339 with the school's offset on that day: `2026-12-10T23:59:00-05:00`.
pub(crate) fn show(ms: i64, zone: &TimeZone) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(at) => {
            let offset = zone.to_offset(at);
            at.display_with_offset(offset).to_string()
        }
        Err(_) => campus_platform::time::rfc3339(ms),
    }
}

/// Whole days, or parts of one, from `due` to `submitted`: one minute late is a day late, as
/// late policies count it; work in on time is 0.
pub(crate) fn days_late(due: Option<i64>, submitted: i64) -> i64 {
    match due {
        Some(due) if submitted > due => (submitted - due + DAY_MS - 1) / DAY_MS,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_york() -> TimeZone {
        TimeZone::get("America/New_York").unwrap()
    }

    #[test]
    fn a_wall_clock_time_is_read_in_the_school_zone() {
        // 23:59 in New York in December is 04:59 the next day in UTC (UTC−5).
        let ms = instant("due_at", "2026-12-10T23:59", &new_york()).unwrap();
        assert_eq!(campus_platform::time::rfc3339(ms), "2026-12-11T04:59:00Z");
        // In July New York keeps summer time (UTC−4).
        let ms = instant("due_at", "2026-07-10T23:59", &new_york()).unwrap();
        assert_eq!(show(ms, &new_york()), "2026-07-10T23:59:00-04:00");
    }

    #[test]
    fn an_exact_instant_keeps_its_offset() {
        let ms = instant("due_at", "2026-12-10T12:00:00+01:00", &new_york()).unwrap();
        assert_eq!(campus_platform::time::rfc3339(ms), "2026-12-10T11:00:00Z");
        assert_eq!(show(ms, &new_york()), "2026-12-10T06:00:00-05:00");
    }

    #[test]
    fn nonsense_is_refused_with_the_field() {
        let error = instant("due_at", "next friday", &new_york()).unwrap_err();
        assert_eq!(error.field, "due_at");
        assert_eq!(error.code, "invalid_date_time");
    }

    #[test]
    fn a_minute_late_is_a_day_late() {
        let due = 1_000_000_000_000;
        assert_eq!(days_late(Some(due), due), 0);
        assert_eq!(days_late(Some(due), due - 1), 0);
        assert_eq!(days_late(Some(due), due + 60_000), 1);
        assert_eq!(days_late(Some(due), due + DAY_MS), 1);
        assert_eq!(days_late(Some(due), due + DAY_MS + 1), 2);
        assert_eq!(days_late(None, due), 0);
    }
}
