//! Timestamps as the store writes them: RFC 3339, UTC, milliseconds, `Z`
//! (`2026-11-24T00:03:51.123Z`), so that text order is time order.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Now, in the store's format.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// A time in the store's format.
pub fn format(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000Z"))
}

/// Now as milliseconds since the Unix epoch (lease arithmetic).
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Milliseconds since the Unix epoch in the store's format.
pub fn from_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(format)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000Z"))
}

/// Parses any RFC 3339 time and rewrites it in the store's format; `None` if it is not one.
pub fn canonical(text: &str) -> Option<String> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(format)
}

/// A date (`YYYY-MM-DD`, midnight UTC) or any RFC 3339 time, in the store's format; `None`
/// if it is neither.
pub fn canonical_date_or_time(text: &str) -> Option<String> {
    if let Some(t) = canonical(text) {
        return Some(t);
    }
    let fmt = format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &fmt)
        .ok()
        .map(|d| format(d.midnight().assume_utc()))
}

/// Now plus `days` days, in the store's format (the end of validity of an assignment).
pub fn days_from_now(days: u32) -> String {
    format(OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sorts_as_time() {
        assert_eq!(
            canonical("2026-11-24T01:00:00+01:00").unwrap(),
            "2026-11-24T00:00:00.000Z"
        );
        assert_eq!(
            canonical("2026-11-24T00:00:00.5Z").unwrap(),
            "2026-11-24T00:00:00.500Z"
        );
        assert!(canonical("yesterday").is_none());
        assert!(now() < days_from_now(1));
    }
}
