//! When waiting mail may go, in the person's own time: never inside their quiet hours, at
//! most one message (digests aside) a quarter of an hour, and each day's digest at their
//! digest time. Pure arithmetic on instants and a time zone, so daylight-saving changes are
//! jiff's to get right.

use jiff::{civil::Time, tz::TimeZone, Timestamp, ZonedDateTime as Zoned};

use crate::preferences::Rhythm;

/// The pace of immediate mail: what comes within this long of a message waits for the next.
pub(crate) const PACE_MS: i64 = 15 * 60 * 1000;

/// When immediate mail may go for someone last mailed at `last_sent_at`: `now`, or later.
pub(crate) fn mail_due(now: i64, last_sent_at: Option<i64>, tz: &TimeZone, rhythm: &Rhythm) -> i64 {
    let paced = last_sent_at.map_or(now, |last| now.max(last + PACE_MS));
    after_quiet(paced, tz, rhythm)
}

/// When the digest holding a notification written at `oldest` is due: the first digest time
/// at or after it, moved past quiet hours.
pub(crate) fn digest_due(oldest: i64, tz: &TimeZone, rhythm: &Rhythm) -> i64 {
    let written = zoned(oldest, tz);
    let today = at_minutes(&written, rhythm.digest_at, 0);
    let due = if ms(&today) >= oldest {
        today
    } else {
        at_minutes(&written, rhythm.digest_at, 1)
    };
    after_quiet(ms(&due), tz, rhythm)
}

/// `at`, or the end of the quiet hours it falls in.
pub(crate) fn after_quiet(at: i64, tz: &TimeZone, rhythm: &Rhythm) -> i64 {
    let Some((from, until)) = rhythm.quiet else {
        return at;
    };
    let local = zoned(at, tz);
    let minute = i64::from(local.hour()) * 60 + i64::from(local.minute());
    let quiet = if from < until {
        (from..until).contains(&minute)
    } else {
        minute >= from || minute < until
    };
    if !quiet {
        return at;
    }
    // The end is today's `until`, or tomorrow's when the hours span midnight and it is evening.
    let days = i64::from(from > until && minute >= from);
    ms(&at_minutes(&local, until, days))
}

fn zoned(at: i64, tz: &TimeZone) -> Zoned {
    Timestamp::from_millisecond(at)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(tz.clone())
}

fn ms(zoned: &Zoned) -> i64 {
    zoned.timestamp().as_millisecond()
}

/// The local time `minutes` after midnight, `days` after `day`'s date (a time skipped by a
/// daylight-saving change is taken as the instant after the gap).
fn at_minutes(day: &Zoned, minutes: i64, days: i64) -> Zoned {
    let date = day
        .date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(day.date());
    let time = Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0).unwrap_or(Time::MIN);
    date.to_datetime(time)
        .to_zoned_datetime(day.time_zone().clone())
        .unwrap_or_else(|_| day.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn madrid() -> TimeZone {
        TimeZone::get("Europe/Madrid").unwrap()
    }

    /// Milliseconds of a Madrid wall-clock time.
    fn at(text: &str) -> i64 {
        let civil: jiff::civil::DateTime = text.parse().unwrap();
        civil
            .to_zoned_datetime(madrid())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    const EVENINGS: Rhythm = Rhythm {
        quiet: Some((21 * 60, 7 * 60)),
        digest_at: 17 * 60,
    };

    #[test]
    fn quiet_hours_across_midnight_hold_mail_until_morning() {
        let tz = madrid();
        assert_eq!(
            after_quiet(at("2026-12-03T20:59"), &tz, &EVENINGS),
            at("2026-12-03T20:59")
        );
        assert_eq!(
            after_quiet(at("2026-12-03T21:00"), &tz, &EVENINGS),
            at("2026-12-04T07:00")
        );
        assert_eq!(
            after_quiet(at("2026-12-04T03:10"), &tz, &EVENINGS),
            at("2026-12-04T07:00")
        );
        assert_eq!(
            after_quiet(at("2026-12-04T07:00"), &tz, &EVENINGS),
            at("2026-12-04T07:00")
        );
    }

    #[test]
    fn quiet_hours_within_a_day_end_the_same_day() {
        let lunch = Rhythm {
            quiet: Some((12 * 60, 13 * 60 + 30)),
            ..EVENINGS
        };
        let tz = madrid();
        assert_eq!(
            after_quiet(at("2026-12-03T12:15"), &tz, &lunch),
            at("2026-12-03T13:30")
        );
        assert_eq!(
            after_quiet(at("2026-12-03T13:30"), &tz, &lunch),
            at("2026-12-03T13:30")
        );
        let none = Rhythm {
            quiet: None,
            ..EVENINGS
        };
        assert_eq!(
            after_quiet(at("2026-12-03T23:00"), &tz, &none),
            at("2026-12-03T23:00")
        );
    }

    #[test]
    fn immediate_mail_keeps_a_quarter_hour_pace() {
        let tz = madrid();
        let now = at("2026-12-03T10:00");
        assert_eq!(mail_due(now, None, &tz, &EVENINGS), now);
        assert_eq!(mail_due(now, Some(now - PACE_MS), &tz, &EVENINGS), now);
        assert_eq!(
            mail_due(now, Some(now - 60_000), &tz, &EVENINGS),
            now - 60_000 + PACE_MS
        );
        // The pace ends inside quiet hours: the morning.
        let late = at("2026-12-03T20:50");
        assert_eq!(
            mail_due(late, Some(late), &tz, &EVENINGS),
            at("2026-12-04T07:00")
        );
    }

    #[test]
    fn a_digest_is_due_at_the_first_digest_time_after_its_oldest_news() {
        let tz = madrid();
        assert_eq!(
            digest_due(at("2026-12-03T09:00"), &tz, &EVENINGS),
            at("2026-12-03T17:00")
        );
        assert_eq!(
            digest_due(at("2026-12-03T17:00"), &tz, &EVENINGS),
            at("2026-12-03T17:00")
        );
        assert_eq!(
            digest_due(at("2026-12-03T17:01"), &tz, &EVENINGS),
            at("2026-12-04T17:00")
        );
        // A digest time inside quiet hours waits for their end.
        let night = Rhythm {
            digest_at: 22 * 60,
            ..EVENINGS
        };
        assert_eq!(
            digest_due(at("2026-12-03T09:00"), &tz, &night),
            at("2026-12-04T07:00")
        );
    }

    #[test]
    fn a_digest_time_skipped_by_daylight_saving_comes_just_after_the_gap() {
        // Madrid skipped 02:00–03:00 on 2026-03-29.
        let tz = madrid();
        let small_hours = Rhythm {
            quiet: None,
            digest_at: 2 * 60 + 30,
        };
        let due = digest_due(at("2026-03-28T12:00"), &tz, &small_hours);
        assert_eq!(zoned(due, &tz).date(), jiff::civil::date(2026, 3, 29));
        assert_eq!(due, at("2026-03-29T03:30"));
    }
}
