//! SQL for appointments, their attendees, series and history.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use std::collections::HashMap;

use crate::db::counts::CountCache;
use crate::kit::error::{Error, Result};
use crate::kit::sql::{named_row, optional_json};
use crate::kit::time::{date_text, instant, to_millis, zone};
use crate::scheduling::appointments::model::*;
use crate::scheduling::slots::compute::{Busy, Interval};

pub fn move_appointment(
    tx: &Transaction,
    id: i64,
    clinician_id: i64,
    centre_id: i64,
    slot: Interval,
    blocked: Interval,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "UPDATE appointments SET clinician_id = ?2, centre_id = ?3, starts_at = ?4, ends_at = ?5,
            blocked_from = ?6, blocked_until = ?7, updated_at = ?8 WHERE id = ?1",
        params![
            id,
            clinician_id,
            centre_id,
            to_millis(slot.start),
            to_millis(slot.end),
            to_millis(blocked.start),
            to_millis(blocked.end),
            to_millis(now)
        ],
    )?;
    Ok(())
}

pub fn history(conn: &Connection, appointment_id: i64) -> Result<Vec<HistoryItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor_id, change, details FROM appointment_history WHERE appointment_id = ?1 ORDER BY id",
    )?;
    Ok(stmt
        .query_map([appointment_id], |r| {
            Ok(HistoryItem {
                at: instant(r, 0)?,
                actor_id: r.get(1)?,
                change: r.get(2)?,
                details: optional_json(r, 3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// The longest an appointment can block a clinician (duration + buffers),
/// which bounds the overlap query's range scan.
pub const MAX_BLOCK_MILLIS: i64 = (720 + 240 + 240) * 60 * 1000;

/// Bookings of a clinician that take time overlapping `span` (cancelled ones do not).
pub fn busy(conn: &Connection, clinician_id: i64, span: Interval) -> Result<Vec<Busy>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.blocked_from, a.blocked_until, a.service_id, a.centre_id, a.starts_at, a.capacity,
                (SELECT count(*) FROM appointment_attendees t WHERE t.appointment_id = a.id AND t.status = 'booked')
         FROM appointments a
         WHERE a.clinician_id = ?1 AND a.blocked_from >= ?2 AND a.blocked_from < ?3 AND a.blocked_until > ?4
           AND a.status <> 'cancelled'",
    )?;
    let (from, until) = (to_millis(span.start), to_millis(span.end));
    Ok(stmt
        .query_map(params![clinician_id, from - MAX_BLOCK_MILLIS, until, from], |r| {
            Ok(Busy {
                blocked: Interval { start: instant(r, 0)?, end: instant(r, 1)? },
                service_id: r.get(2)?,
                centre_id: r.get(3)?,
                starts_at: instant(r, 4)?,
                capacity: r.get(5)?,
                seats_taken: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// The first non-cancelled booking (other than `except`) whose blocked time
/// overlaps `blocked`.
pub fn first_conflict(
    conn: &Connection,
    clinician_id: i64,
    blocked: Interval,
    except: Option<i64>,
) -> Result<Option<(i64, DateTime<Utc>)>> {
    let (from, until) = (to_millis(blocked.start), to_millis(blocked.end));
    Ok(conn
        .query_row_cached(
            "SELECT id, starts_at FROM appointments
             WHERE clinician_id = ?1 AND blocked_from >= ?2 AND blocked_from < ?3 AND blocked_until > ?4
               AND status <> 'cancelled' AND (?5 IS NULL OR id <> ?5)
             ORDER BY blocked_from LIMIT 1",
            params![clinician_id, from - MAX_BLOCK_MILLIS, until, from, except],
            |r| Ok((r.get(0)?, instant(r, 1)?)),
        )
        .optional()?)
}

pub struct NewAppointmentRow {
    pub series_id: Option<i64>,
    pub service_id: i64,
    pub clinician_id: i64,
    pub centre_id: i64,
    pub slot: Interval,
    pub blocked: Interval,
    pub capacity: i64,
    pub notes: Option<String>,
    pub video_url: Option<String>,
    pub created_by: Option<i64>,
    pub status: AppointmentStatus,
}

pub fn insert_appointment(tx: &Transaction, a: &NewAppointmentRow, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO appointments (service_id, clinician_id, centre_id, starts_at, ends_at, blocked_from,
                                   blocked_until, capacity, status, notes, video_url, created_by, created_at, updated_at,
                                   series_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?14, ?9, ?10, ?11, ?12, ?12, ?13)",
        params![
            a.service_id,
            a.clinician_id,
            a.centre_id,
            to_millis(a.slot.start),
            to_millis(a.slot.end),
            to_millis(a.blocked.start),
            to_millis(a.blocked.end),
            a.capacity,
            a.notes,
            a.video_url,
            a.created_by,
            to_millis(now),
            a.series_id,
            a.status.as_str()
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn insert_series(
    tx: &Transaction,
    interval: i64,
    count: Option<i64>,
    until: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO appointment_series (frequency, interval, count, until, created_at) VALUES ('weekly', ?1, ?2, ?3, ?4)",
        params![interval, count, until.map(date_text), to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Later live appointments of the same series.
pub fn following_in_series(conn: &Connection, appointment_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.id FROM appointments a JOIN appointments b ON b.series_id = a.series_id
         WHERE a.id = ?1 AND a.series_id IS NOT NULL AND b.starts_at > a.starts_at
           AND b.status IN ('pending', 'confirmed') ORDER BY b.starts_at",
    )?;
    Ok(stmt.query_map([appointment_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

pub fn add_attendee(
    tx: &Transaction,
    appointment_id: i64,
    patient_id: i64,
    status: AttendeeStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO appointment_attendees (appointment_id, patient_id, status, joined_at) VALUES (?1, ?2, ?3, ?4)",
        params![appointment_id, patient_id, status, to_millis(now)],
    )?;
    Ok(())
}

pub fn record_history(
    tx: &Transaction,
    appointment_id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    change: &str,
    details: Option<serde_json::Value>,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO appointment_history (appointment_id, at, actor_id, change, details) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![appointment_id, to_millis(at), actor_id, change, details.map(|d| d.to_string())],
    )?;
    Ok(())
}

pub fn set_status(
    tx: &Transaction,
    id: i64,
    status: AppointmentStatus,
    cancel: Option<(Option<&str>, Option<i64>)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (reason, by) = cancel.map(|(r, b)| (r.map(str::to_owned), Some(b))).unwrap_or((None, None));
    tx.execute_cached(
        "UPDATE appointments SET status = ?2, updated_at = ?3,
            cancel_reason = coalesce(?4, cancel_reason),
            cancelled_by = coalesce(?5, cancelled_by),
            cancelled_at = CASE WHEN ?2 = 'cancelled' THEN ?3 ELSE cancelled_at END
         WHERE id = ?1",
        params![id, status.as_str(), to_millis(now), reason, by],
    )?;
    Ok(())
}

const APPOINTMENT_COLUMNS: &str = "a.id, a.service_id, a.clinician_id, a.centre_id, a.starts_at, a.ends_at, a.status, \
    a.capacity, a.notes, a.video_url, a.cancel_reason, a.cancelled_by, a.created_at, a.updated_at, c.timezone, \
    a.series_id";

fn appointment_from_row(row: &Row) -> rusqlite::Result<Appointment> {
    named_row("appointments", row, read_appointment)
}

fn read_appointment(row: &Row) -> rusqlite::Result<Appointment> {
    let tz = zone(row, 14)?;
    let local = |idx: usize| -> rusqlite::Result<DateTime<FixedOffset>> {
        Ok(instant(row, idx)?.with_timezone(&tz).fixed_offset())
    };
    Ok(Appointment {
        id: row.get(0)?,
        service_id: row.get(1)?,
        clinician_id: row.get(2)?,
        centre_id: row.get(3)?,
        start: local(4)?,
        end: local(5)?,
        status: row.get(6)?,
        capacity: row.get(7)?,
        attendees: Vec::new(),
        notes: row.get(8)?,
        video_url: row.get(9)?,
        cancel_reason: row.get(10)?,
        cancelled_by: row.get(11)?,
        series_id: row.get(15)?,
        created_at: instant(row, 12)?,
        updated_at: instant(row, 13)?,
    })
}

/// One attendee of an appointment, with the name the patients feature holds.
pub struct AttendeeRow {
    pub patient_id: i64,
    pub status: AttendeeStatus,
    pub given_name: String,
    pub family_name: String,
}

/// The attendees of each of `appointment_ids` (all but those who left, or
/// only the booked ones), in the order they joined: one query for the
/// attendees and one for their names, however many appointments.
pub fn attendees_of(
    conn: &Connection,
    appointment_ids: &[i64],
    booked_only: bool,
) -> Result<HashMap<i64, Vec<AttendeeRow>>> {
    let ids = serde_json::to_string(appointment_ids).map_err(|e| Error::internal_from("appointment ids", e))?;
    let mut stmt = conn.prepare_cached(
        "SELECT appointment_id, patient_id, status FROM appointment_attendees
         WHERE appointment_id IN (SELECT value FROM json_each(?1))
           AND status <> 'left' AND (?2 = 0 OR status = 'booked')
         ORDER BY appointment_id, joined_at, patient_id",
    )?;
    let rows: Vec<(i64, i64, AttendeeStatus)> = stmt
        .query_map(params![ids, booked_only], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let patient_ids: Vec<i64> = rows.iter().map(|(_, patient, _)| *patient).collect();
    let names = crate::patients::store::names(conn, &patient_ids)?;
    let mut by_appointment: HashMap<i64, Vec<AttendeeRow>> = HashMap::new();
    for (appointment_id, patient_id, status) in rows {
        let (given_name, family_name) = names.get(&patient_id).cloned().unwrap_or_default();
        by_appointment.entry(appointment_id).or_default().push(AttendeeRow {
            patient_id,
            status,
            given_name,
            family_name,
        });
    }
    Ok(by_appointment)
}

/// Fills in the attendees of `appointments` with one pair of queries.
fn with_attendees(conn: &Connection, mut appointments: Vec<Appointment>) -> Result<Vec<Appointment>> {
    let ids: Vec<i64> = appointments.iter().map(|a| a.id).collect();
    let mut attendees = attendees_of(conn, &ids, false)?;
    for appointment in &mut appointments {
        appointment.attendees = attendees
            .remove(&appointment.id)
            .unwrap_or_default()
            .into_iter()
            .map(|a| Attendee {
                patient_id: a.patient_id,
                status: a.status,
                name: format!("{} {}", a.given_name, a.family_name),
            })
            .collect();
    }
    Ok(appointments)
}

pub fn get_appointment(conn: &Connection, id: i64) -> Result<Option<Appointment>> {
    let found = conn
        .query_row_cached(
            &format!(
                "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN centres c ON c.id = a.centre_id WHERE a.id = ?1"
            ),
            [id],
            appointment_from_row,
        )
        .optional()?;
    Ok(with_attendees(conn, found.into_iter().collect())?.pop())
}

#[derive(Default)]
pub struct AppointmentFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub clinician_id: Option<i64>,
    pub patient_id: Option<i64>,
    pub centre_id: Option<i64>,
    pub status: Option<AppointmentStatus>,
    pub series_id: Option<i64>,
    /// The clinician scope: only these appointments.
    pub within: Option<crate::scheduling::appointments::scope::Within>,
}

pub fn list_appointments(
    conn: &Connection,
    f: &AppointmentFilter,
    limit: i64,
    offset: i64,
    counts: &CountCache,
) -> Result<(Vec<Appointment>, i64)> {
    let condition = "(:from IS NULL OR a.starts_at >= :from) AND (:to IS NULL OR a.starts_at < :to)
        AND (:clinician IS NULL OR a.clinician_id = :clinician) AND (:centre IS NULL OR a.centre_id = :centre)
        AND (:status IS NULL OR a.status = :status) AND (:series IS NULL OR a.series_id = :series)
        AND (:patient IS NULL OR EXISTS (SELECT 1 FROM appointment_attendees t
                                         WHERE t.appointment_id = a.id AND t.patient_id = :patient
                                           AND t.status <> 'left'))
        AND (:scoped IS NULL
             OR a.clinician_id IN (SELECT id FROM clinicians WHERE staff_id = :me)
             OR EXISTS (SELECT 1 FROM appointment_attendees t
                        WHERE t.appointment_id = a.id AND t.patient_id IN (SELECT value FROM json_each(:within))))";
    let (from, to, status) = (f.from.map(to_millis), f.to.map(to_millis), f.status.map(AppointmentStatus::as_str));
    let scoped = f.within.as_ref().map(|_| 1);
    let me = f.within.as_ref().and_then(|w| w.staff_id);
    let within = f.within.as_ref().map(|w| serde_json::json!(w.patients).to_string());
    let filter: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
        (":from", &from),
        (":to", &to),
        (":clinician", &f.clinician_id),
        (":centre", &f.centre_id),
        (":status", &status),
        (":series", &f.series_id),
        (":patient", &f.patient_id),
        (":scoped", &scoped),
        (":me", &me),
        (":within", &within),
    ];
    let key = format!(
        "appointments\u{0}{from:?}{to:?}{:?}{:?}{status:?}{:?}{:?}{scoped:?}{me:?}{within:?}",
        f.clinician_id, f.centre_id, f.series_id, f.patient_id
    );
    // Scoped lists depend on who gives which appointment, too.
    let total = counts.remember(conn, &["appointment", "clinician"], key, || {
        let sql = format!("SELECT count(*) FROM appointments a WHERE {condition}");
        Ok(conn.query_row_cached(&sql, filter.as_slice(), |r| r.get(0))?)
    })?;
    let mut page = filter.clone();
    page.push((":limit", &limit));
    page.push((":offset", &offset));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN centres c ON c.id = a.centre_id
         WHERE {condition} ORDER BY a.starts_at, a.id LIMIT :limit OFFSET :offset"
    ))?;
    let rows: Vec<Appointment> =
        stmt.query_map(page.as_slice(), appointment_from_row)?.collect::<rusqlite::Result<_>>()?;
    let rows = with_attendees(conn, rows)?;
    Ok((rows, total))
}

/// The live session of a group service at exactly `start` with this clinician.
pub fn find_session(
    conn: &Connection,
    service_id: i64,
    clinician_id: i64,
    start: DateTime<Utc>,
) -> Result<Option<i64>> {
    Ok(conn
        .query_row_cached(
            "SELECT id FROM appointments WHERE service_id = ?1 AND clinician_id = ?2 AND starts_at = ?3
               AND status IN ('pending', 'confirmed') AND capacity > 1",
            params![service_id, clinician_id, to_millis(start)],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn attendee_status(conn: &Connection, appointment_id: i64, patient_id: i64) -> Result<Option<AttendeeStatus>> {
    Ok(conn
        .query_row_cached(
            "SELECT status FROM appointment_attendees WHERE appointment_id = ?1 AND patient_id = ?2",
            [appointment_id, patient_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Adds or updates one attendee; `joined_at` restarts when they (re)join,
/// which is what waitlist order follows.
pub fn set_attendee(
    tx: &Transaction,
    appointment_id: i64,
    patient_id: i64,
    status: AttendeeStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO appointment_attendees (appointment_id, patient_id, status, joined_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (appointment_id, patient_id) DO UPDATE SET status = excluded.status,
             joined_at = CASE WHEN excluded.status = 'left' THEN joined_at ELSE excluded.joined_at END",
        params![appointment_id, patient_id, status, to_millis(now)],
    )?;
    Ok(())
}

pub fn booked_count(conn: &Connection, appointment_id: i64) -> Result<i64> {
    Ok(conn.query_row_cached(
        "SELECT count(*) FROM appointment_attendees WHERE appointment_id = ?1 AND status = 'booked'",
        [appointment_id],
        |r| r.get(0),
    )?)
}

pub fn first_waitlisted(conn: &Connection, appointment_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row_cached(
            "SELECT patient_id FROM appointment_attendees WHERE appointment_id = ?1 AND status = 'waitlisted'
             ORDER BY joined_at, patient_id LIMIT 1",
            [appointment_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// The patients ever booked with the clinician who is staff member
/// `staff_id` (waitlisted and cancelled places too: they were in their
/// care): what a clinician sees when the clinic limits them to their own.
pub fn patients_booked_with(conn: &Connection, staff_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT t.patient_id FROM appointment_attendees t
         JOIN appointments a ON a.id = t.appointment_id
         JOIN clinicians c ON c.id = a.clinician_id
         WHERE c.staff_id = ?1",
    )?;
    let ids = stmt.query_map([staff_id], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// A completed appointment: for the notes still to write.
pub struct CompletedVisit {
    pub appointment_id: i64,
    pub clinician_id: i64,
    pub service_id: i64,
    pub patient_id: i64,
    pub start: DateTime<Utc>,
}

/// Completed appointments since `since`, of one clinician or all, newest
/// first, one row per patient booked (at most `limit`).
pub fn completed_since(
    conn: &Connection,
    clinician_id: Option<i64>,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<CompletedVisit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.clinician_id, a.service_id, t.patient_id, a.starts_at FROM appointments a
         JOIN appointment_attendees t ON t.appointment_id = a.id AND t.status = 'booked'
         WHERE a.status = 'completed' AND a.starts_at >= ?2 AND (?1 IS NULL OR a.clinician_id = ?1)
         ORDER BY a.starts_at DESC, a.id DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![clinician_id, to_millis(since), limit], |r| {
            Ok(CompletedVisit {
                appointment_id: r.get(0)?,
                clinician_id: r.get(1)?,
                service_id: r.get(2)?,
                patient_id: r.get(3)?,
                start: instant(r, 4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The clinician who is staff member `staff_id`, if one is.
pub fn clinician_of_staff(conn: &Connection, staff_id: i64) -> Result<Option<i64>> {
    Ok(conn.query_row_cached("SELECT id FROM clinicians WHERE staff_id = ?1", [staff_id], |r| r.get(0)).optional()?)
}

/// How many of a patient's appointments with a clinician (of one service,
/// when given) were completed from `from` until `until` (open when none).
pub fn completed_count(
    conn: &Connection,
    patient_id: i64,
    clinician_id: i64,
    service_id: Option<i64>,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Result<i64> {
    Ok(conn.query_row_cached(
        "SELECT count(*) FROM appointment_attendees t JOIN appointments a ON a.id = t.appointment_id
         WHERE t.patient_id = ?1 AND t.status = 'booked' AND a.status = 'completed' AND a.clinician_id = ?2
           AND (?3 IS NULL OR a.service_id = ?3) AND a.starts_at >= ?4 AND (?5 IS NULL OR a.starts_at < ?5)",
        params![patient_id, clinician_id, service_id, to_millis(from), until.map(to_millis)],
        |r| r.get(0),
    )?)
}

/// The staff accounts of the clinicians a patient sees, the most recent first:
/// those to tell about something on the patient's record.
pub fn clinician_staff_of_patient(conn: &Connection, patient_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.staff_id FROM appointment_attendees t
         JOIN appointments a ON a.id = t.appointment_id
         JOIN clinicians c ON c.id = a.clinician_id
         WHERE t.patient_id = ?1 AND t.status = 'booked' AND a.status != 'cancelled' AND c.staff_id IS NOT NULL
         GROUP BY c.staff_id ORDER BY max(a.starts_at) DESC LIMIT 3",
    )?;
    let ids = stmt.query_map([patient_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}
