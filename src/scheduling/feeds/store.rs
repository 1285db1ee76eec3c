//! SQL for calendar feeds.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::kit::error::Result;
use crate::kit::time::{instant, to_millis};
use crate::scheduling::appointments::store::attendees_of;
use crate::scheduling::feeds::calendar::{FeedEvent, patient_label};
use crate::scheduling::slots::compute::Interval;

pub fn calendar_generation(conn: &Connection, clinician_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row_cached("SELECT calendar_generation FROM clinicians WHERE id = ?1", [clinician_id], |r| r.get(0))
        .optional()?)
}

/// Whether the staff account exists and is active.
pub fn staff_active(conn: &Connection, staff_id: i64) -> Result<bool> {
    let active: Option<bool> =
        conn.query_row_cached("SELECT active FROM staff WHERE id = ?1", [staff_id], |r| r.get(0)).optional()?;
    Ok(active.unwrap_or(false))
}

pub fn rotate_calendar(tx: &Transaction, clinician_id: i64, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "UPDATE clinicians SET calendar_generation = calendar_generation + 1, updated_at = ?2 WHERE id = ?1",
        params![clinician_id, to_millis(now)],
    )?;
    Ok(tx.query_row_cached("SELECT calendar_generation FROM clinicians WHERE id = ?1", [clinician_id], |r| r.get(0))?)
}

/// A clinician's appointments starting in `span`, cancelled ones included,
/// with what the feed shows of each.
pub fn feed_events(
    conn: &Connection,
    clinician_id: i64,
    span: Interval,
    show_surnames: bool,
) -> Result<Vec<FeedEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.starts_at, a.ends_at, a.status, s.name, c.name, a.video_url, a.updated_at,
                (SELECT count(*) FROM appointment_history h WHERE h.appointment_id = a.id)
         FROM appointments a JOIN services s ON s.id = a.service_id JOIN centres c ON c.id = a.centre_id
         WHERE a.clinician_id = ?1 AND a.starts_at >= ?2 AND a.starts_at < ?3
         ORDER BY a.starts_at",
    )?;
    let rows: Vec<FeedEvent> = stmt
        .query_map(params![clinician_id, to_millis(span.start), to_millis(span.end)], |r| {
            Ok(FeedEvent {
                appointment_id: r.get(0)?,
                start: instant(r, 1)?,
                end: instant(r, 2)?,
                status: r.get(3)?,
                service_name: r.get(4)?,
                centre: r.get(5)?,
                video_url: r.get(6)?,
                updated_at: instant(r, 7)?,
                sequence: r.get(8)?,
                attendees: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let ids: Vec<i64> = rows.iter().map(|e| e.appointment_id).collect();
    let mut attendees = attendees_of(conn, &ids, true)?;
    let mut events = rows;
    for event in &mut events {
        event.attendees = attendees
            .remove(&event.appointment_id)
            .unwrap_or_default()
            .iter()
            .map(|a| patient_label(&a.given_name, &a.family_name, show_surnames))
            .collect();
    }
    Ok(events)
}
