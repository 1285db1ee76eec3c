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
