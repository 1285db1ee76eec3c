//! Instants and dates as the schema stores them, and the range the API accepts.
//!
//! Instants are UTC milliseconds since the epoch in every table: one
//! representation, compact and cheap to range-scan. Dates are `YYYY-MM-DD`
//! text. Reading them back is strict: a stored value that does not parse is
//! an error, never a default.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::Row;
use rusqlite::types::Type;

use crate::kit::sql::bad_column;

pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Column `idx` of `row` as an instant.
pub fn instant(row: &Row, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let ms: i64 = row.get(idx)?;
    DateTime::from_timestamp_millis(ms).ok_or_else(|| bad_column(idx, Type::Integer, format!("{ms} is not an instant")))
}

/// Column `idx` of `row` as an optional instant.
pub fn optional_instant(row: &Row, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match row.get::<_, Option<i64>>(idx)? {
        None => Ok(None),
        Some(_) => instant(row, idx).map(Some),
    }
}

pub fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Column `idx` of `row` as an IANA time zone.
pub fn zone(row: &Row, idx: usize) -> rusqlite::Result<Tz> {
    let name: String = row.get(idx)?;
    name.parse().map_err(|_| bad_column(idx, Type::Text, format!("{name:?} is not an IANA time zone")))
}

/// Column `idx` of `row` as an optional `YYYY-MM-DD` date.
pub fn optional_date(row: &Row, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let Some(text) = row.get::<_, Option<String>>(idx)? else { return Ok(None) };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| bad_column(idx, Type::Text, format!("{text:?} is not a YYYY-MM-DD date")))
}

/// Column `idx` of `row` as a `YYYY-MM-DD` date.
pub fn date(row: &Row, idx: usize) -> rusqlite::Result<NaiveDate> {
    optional_date(row, idx)?.ok_or_else(|| bad_column(idx, Type::Null, "a date is required".into()))
}

/// The years the API accepts in any date or instant. Dates outside them
/// are mistakes (or attacks on date arithmetic), never a clinic's plan.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;

/// The problem with a date or instant outside the accepted years.
pub const OUT_OF_RANGE: &str = "must be in the years 1900 to 2200";

/// A date or instant the API accepts: within `FIRST_YEAR..=LAST_YEAR`.
pub trait InRange {
    fn in_range(&self) -> bool;
}

impl InRange for NaiveDate {
    fn in_range(&self) -> bool {
        (FIRST_YEAR..=LAST_YEAR).contains(&chrono::Datelike::year(self))
    }
}

impl<Tz: chrono::TimeZone> InRange for DateTime<Tz> {
    fn in_range(&self) -> bool {
        self.naive_utc().date().in_range()
    }
}

impl<T: InRange> InRange for Option<T> {
    fn in_range(&self) -> bool {
        self.as_ref().is_none_or(InRange::in_range)
    }
}

/// Adds `field`'s problem to `v` when `value` is outside the accepted years.
pub fn check_range(v: &mut crate::kit::error::Validator, field: &str, value: &impl InRange) {
    if !value.in_range() {
        v.add(field, OUT_OF_RANGE);
    }
}

/// How every instant is written in the API: RFC 3339 with UTC as `Z`,
/// never `+00:00`. System instants are UTC; appointment times keep their
/// centre's offset (`+01:00`), which is `Z` where the centre is on UTC.
/// Used as `#[oai(serialize_with = "crate::kit::time::instant_json")]`.
pub fn instant_json<T: WrittenInstant>(value: &T) -> Option<serde_json::Value> {
    value.rfc3339().map(serde_json::Value::String)
}

/// An instant, or an optional one, as the API writes it.
pub trait WrittenInstant {
    fn rfc3339(&self) -> Option<String>;
}

impl<Tz: chrono::TimeZone> WrittenInstant for DateTime<Tz>
where
    Tz::Offset: std::fmt::Display,
{
    fn rfc3339(&self) -> Option<String> {
        Some(self.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl<T: WrittenInstant> WrittenInstant for Option<T> {
    fn rfc3339(&self) -> Option<String> {
        self.as_ref().and_then(WrittenInstant::rfc3339)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rusqlite::Connection;

    use super::*;

    #[test]
    fn instants_and_dates_round_trip_and_bad_ones_are_errors() {
        let conn = Connection::open_in_memory().unwrap();
        let at = DateTime::from_timestamp_millis(1_764_000_000_123).unwrap();
        let read = conn.query_row("SELECT ?1, '2026-03-29'", [to_millis(at)], |r| Ok((instant(r, 0)?, date(r, 1)?)));
        assert_eq!(read.unwrap(), (at, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()));
        let bad = conn.query_row("SELECT 9223372036854775807", [], |r| instant(r, 0));
        assert!(bad.is_err());
        let bad = conn.query_row("SELECT '29/03/2026'", [], |r| date(r, 0));
        assert!(bad.unwrap_err().to_string().contains("not a YYYY-MM-DD date"));
    }

    #[test]
    fn only_the_years_1900_to_2200_are_accepted() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(date(1900, 1, 1).in_range() && date(2200, 12, 31).in_range());
        assert!(!date(1899, 12, 31).in_range() && !date(2201, 1, 1).in_range());
        assert!(!NaiveDate::MAX.in_range() && !NaiveDate::MIN.in_range());
        let late = chrono::FixedOffset::east_opt(-3600).unwrap().with_ymd_and_hms(2200, 12, 31, 23, 30, 0).unwrap();
        assert!(!late.in_range(), "judged in UTC: 2201-01-01T00:30Z");
        assert!(None::<NaiveDate>.in_range());
    }

    #[test]
    fn utc_is_written_z_and_other_offsets_as_they_are() {
        let at = DateTime::from_timestamp_millis(1_764_000_000_000).unwrap();
        assert_eq!(instant_json(&at).unwrap(), "2025-11-24T16:00:00Z");
        let london_winter = at.with_timezone(&chrono::FixedOffset::east_opt(0).unwrap());
        assert_eq!(instant_json(&london_winter).unwrap(), "2025-11-24T16:00:00Z");
        let paris = at.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap());
        assert_eq!(instant_json(&paris).unwrap(), "2025-11-24T17:00:00+01:00");
        assert_eq!(instant_json(&None::<DateTime<Utc>>), None);
    }
}
