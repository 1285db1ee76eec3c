//! SQL for weekly rules and their exceptions (time off, extra hours).

use crate::kit::sql::CachedSql;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, Transaction, params};

use crate::kit::error::Result;
use crate::kit::time::{date_text, instant, optional_date, to_millis};
use crate::scheduling::availability::model::*;
use crate::scheduling::slots::compute::{Interval, WeeklyRule};

fn minutes_text(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A validated rule: minutes instead of `HH:MM`.
pub struct RuleRow {
    pub centre_id: i64,
    pub weekday: u32,
    pub start_minute: u32,
    pub end_minute: u32,
    pub effective_from: Option<NaiveDate>,
    pub effective_until: Option<NaiveDate>,
}

pub fn replace_rules(tx: &Transaction, clinician_id: i64, rules: &[RuleRow]) -> Result<()> {
    tx.execute_cached("DELETE FROM availability_rules WHERE clinician_id = ?1", [clinician_id])?;
    for r in rules {
        tx.execute_cached(
            "INSERT INTO availability_rules (clinician_id, centre_id, weekday, start_minute, end_minute,
                                             effective_from, effective_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                clinician_id,
                r.centre_id,
                r.weekday,
                r.start_minute,
                r.end_minute,
                r.effective_from.map(date_text),
                r.effective_until.map(date_text)
            ],
        )?;
    }
    Ok(())
}

pub fn rules_as_api(conn: &Connection, clinician_id: i64) -> Result<Vec<AvailabilityRule>> {
    let mut stmt = conn.prepare_cached(
        "SELECT weekday, start_minute, end_minute, centre_id, effective_from, effective_until
         FROM availability_rules WHERE clinician_id = ?1 ORDER BY weekday, start_minute, centre_id",
    )?;
    let rows = stmt
        .query_map([clinician_id], |r| {
            Ok(AvailabilityRule {
                weekday: r.get(0)?,
                start: minutes_text(r.get(1)?),
                end: minutes_text(r.get(2)?),
                centre_id: r.get(3)?,
                effective_from: optional_date(r, 4)?,
                effective_until: optional_date(r, 5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The clinician's weekly rules at one centre.
pub fn weekly_rules(conn: &Connection, clinician_id: i64, centre_id: i64) -> Result<Vec<WeeklyRule>> {
    let mut stmt = conn.prepare_cached(
        "SELECT weekday, start_minute, end_minute, effective_from, effective_until
         FROM availability_rules WHERE clinician_id = ?1 AND centre_id = ?2",
    )?;
    let rows = stmt
        .query_map([clinician_id, centre_id], |r| {
            Ok(WeeklyRule {
                weekday: r.get(0)?,
                start_minute: r.get(1)?,
                end_minute: r.get(2)?,
                effective_from: optional_date(r, 3)?,
                effective_until: optional_date(r, 4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Centres where the clinician has any weekly availability.
pub fn rule_centres(conn: &Connection, clinician_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT centre_id FROM availability_rules WHERE clinician_id = ?1
         UNION SELECT DISTINCT centre_id FROM availability_exceptions WHERE clinician_id = ?1 AND kind = ?2
         ORDER BY 1",
    )?;
    Ok(stmt.query_map(params![clinician_id, ExceptionKind::Extra], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// Time off has no centre; extra availability is at one.
pub fn insert_exception(
    tx: &Transaction,
    clinician_id: i64,
    kind: ExceptionKind,
    centre_id: Option<i64>,
    span: Interval,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO availability_exceptions (clinician_id, kind, centre_id, starts_at, ends_at, reason, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![clinician_id, kind, centre_id, to_millis(span.start), to_millis(span.end), reason, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn delete_exception(tx: &Transaction, clinician_id: i64, kind: ExceptionKind, id: i64) -> Result<bool> {
    Ok(tx.execute_cached(
        "DELETE FROM availability_exceptions WHERE id = ?1 AND clinician_id = ?2 AND kind = ?3",
        params![id, clinician_id, kind],
    )? > 0)
}

pub fn list_exceptions(conn: &Connection, clinician_id: i64, kind: ExceptionKind) -> Result<Vec<TimeOff>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, clinician_id, starts_at, ends_at, reason, centre_id FROM availability_exceptions
         WHERE clinician_id = ?1 AND kind = ?2 ORDER BY starts_at",
    )?;
    Ok(stmt
        .query_map(params![clinician_id, kind], |r| {
            Ok(TimeOff {
                id: r.get(0)?,
                clinician_id: r.get(1)?,
                start: instant(r, 2)?,
                end: instant(r, 3)?,
                reason: r.get(4)?,
                centre_id: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Time off, or extra availability at `centre_id`, overlapping `span`.
pub fn exceptions(
    conn: &Connection,
    clinician_id: i64,
    kind: ExceptionKind,
    centre_id: Option<i64>,
    span: Interval,
) -> Result<Vec<Interval>> {
    let mut stmt = conn.prepare_cached(
        "SELECT starts_at, ends_at FROM availability_exceptions
         WHERE clinician_id = ?1 AND kind = ?2 AND (?3 IS NULL OR centre_id = ?3)
           AND starts_at < ?5 AND ends_at > ?4",
    )?;
    Ok(stmt
        .query_map(params![clinician_id, kind, centre_id, to_millis(span.start), to_millis(span.end)], |r| {
            Ok(Interval { start: instant(r, 0)?, end: instant(r, 1)? })
        })?
        .collect::<rusqlite::Result<_>>()?)
}
