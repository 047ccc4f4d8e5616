//! Dates and times as a person reads them: in their time zone (from their profile; UTC when
//! they have not set one), with the month named in the page's language.

use fluent_templates::fluent_bundle::FluentValue;
use jiff::{tz::TimeZone, Timestamp};

use crate::i18n::Tr;

/// `rfc3339` (as the API writes instants) in `time_zone`, e.g. "2 December 2026, 09:20"; the
/// text as given when it is not an instant.
pub(crate) fn date_time(tr: &Tr, rfc3339: &str, time_zone: Option<&str>) -> String {
    let Ok(instant) = rfc3339.parse::<Timestamp>() else {
        return rfc3339.to_owned();
    };
    let zone = time_zone
        .and_then(|name| TimeZone::get(name).ok())
        .unwrap_or(TimeZone::UTC);
    let local = instant.to_zoned_datetime(zone);
    let month = tr.t(&format!("month-{}", local.month()));
    tr.with(
        "date-time",
        &[
            ("day", FluentValue::from(i64::from(local.day()))),
            ("month", FluentValue::from(month)),
            ("year", FluentValue::from(i64::from(local.year()))),
            (
                "time",
                FluentValue::from(local.strftime("%H:%M").to_string()),
            ),
        ],
    )
}

/// The shape [`date_time`] gives an instant, with `__DAY__`, `__MONTH__`, `__YEAR__` and
/// `__TIME__` where its parts go: for a page's script to write instants that arrive while it is
/// open exactly as the server wrote the others.
pub(crate) fn date_time_shape(tr: &Tr) -> String {
    tr.with(
        "date-time",
        &[
            ("day", FluentValue::from("__DAY__")),
            ("month", FluentValue::from("__MONTH__")),
            ("year", FluentValue::from("__YEAR__")),
            ("time", FluentValue::from("__TIME__")),
        ],
    )
}

/// The months' names in the page's language, January first.
pub(crate) fn month_names(tr: &Tr) -> Vec<String> {
    (1..=12)
        .map(|month| tr.t(&format!("month-{month}")))
        .collect()
}

/// `rfc3339` as the wall-clock time in `time_zone` that a `datetime-local` field shows and
/// the API reads back in the same zone (`2026-12-10T23:59`); blank when it is not an instant.
pub(crate) fn wall_clock(rfc3339: &str, time_zone: &str) -> String {
    let Ok(instant) = rfc3339.parse::<Timestamp>() else {
        return String::new();
    };
    let zone = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    instant
        .to_zoned_datetime(zone)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Every IANA time zone a person or school may choose, sorted.
pub(crate) fn time_zones() -> &'static [String] {
    static ZONES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.to_string())
            .filter(|name| name.contains('/') || name == "UTC")
            .collect();
        names.sort();
        names
    });
    &ZONES
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn instants_become_the_wall_clock_of_the_schools_zone() {
        assert_eq!(
            wall_clock("2026-12-10T22:59:00Z", "Europe/Madrid"),
            "2026-12-10T23:59"
        );
        assert_eq!(wall_clock("someday", "Europe/Madrid"), "");
    }

    #[test]
    fn instants_show_in_the_persons_time_zone_and_language() {
        let english = Tr::negotiate(Some("en"), None);
        let spanish = Tr::negotiate(None, Some(&HeaderValue::from_static("es")));
        let at = "2026-12-02T23:30:00Z";
        assert_eq!(date_time(&english, at, None), "2 December 2026, 23:30");
        assert_eq!(
            date_time(&english, at, Some("Europe/Madrid")),
            "3 December 2026, 00:30"
        );
        assert_eq!(
            date_time(&spanish, at, Some("America/Mexico_City")),
            "2 de diciembre de 2026, 17:30"
        );
        assert_eq!(
            date_time(&english, at, Some("Not/AZone")),
            "2 December 2026, 23:30"
        );
        assert_eq!(date_time(&english, "soon", None), "soon");
    }

    #[test]
    fn the_shape_for_scripts_is_the_shape_of_the_servers_instants() {
        let spanish = Tr::negotiate(None, Some(&HeaderValue::from_static("es")));
        let months = month_names(&spanish);
        let filled = date_time_shape(&spanish)
            .replace("__DAY__", "2")
            .replace("__MONTH__", &months[11])
            .replace("__YEAR__", "2026")
            .replace("__TIME__", "17:30");
        assert_eq!(
            filled,
            date_time(
                &spanish,
                "2026-12-02T23:30:00Z",
                Some("America/Mexico_City")
            )
        );
        assert_eq!(months.len(), 12);
    }
}
