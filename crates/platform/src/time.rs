//! Time as the platform stores it: unix milliseconds in the database, RFC 3339 on the wire.

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// Milliseconds since the unix epoch, the portable timestamp stored in every table.
pub fn now_ms() -> i64 {
    ms_of(OffsetDateTime::now_utc())
}

pub fn ms_of(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 text for a stored timestamp, as the API and event envelopes show it.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Parses RFC 3339 text back to stored milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(ms_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_milliseconds() {
        let now = now_ms();
        assert_eq!(parse_rfc3339(&rfc3339(now)), Some(now));
    }
}
