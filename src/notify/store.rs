//! SQL for in-app notifications, outbound messages and the reminder settings.

use chrono::{DateTime, NaiveTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::db::changes::{self, ChangeOp};
use crate::kit::error::{Error, Result};
use crate::kit::sql::CachedSql;
use crate::kit::time::{instant, optional_instant, to_millis};
use crate::notify::model::{Channel, MessageStatus, Notification, OutboundMessage, QuietHours};

pub struct NewNotification<'a> {
    pub staff_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
}

/// The change-log entity of a member's notifications being read (its id is
/// the member's): live events tell their other tabs the new unread count.
pub const READS_ENTITY: &str = "notification_reads";

pub fn notify(tx: &Transaction, n: &NewNotification, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO notifications (staff_id, type, title, body, link, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![n.staff_id, n.kind, n.title, n.body, n.link, to_millis(now)],
    )?;
    let id = tx.last_insert_rowid();
    changes::record(tx, now, "notification", id, ChangeOp::Create)?;
    Ok(id)
}

/// One notification and whom it is for.
pub fn notification(conn: &Connection, id: i64) -> Result<Option<(i64, Notification)>> {
    Ok(conn
        .query_row_cached(
            "SELECT id, type, title, body, link, created_at, read_at, staff_id FROM notifications WHERE id = ?1",
            [id],
            |row| Ok((row.get(7)?, notification_from_row(row)?)),
        )
        .optional()?)
}

fn notification_from_row(row: &Row) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: row.get(0)?,
        kind: row.get(1)?,
        title: row.get(2)?,
        body: row.get(3)?,
        link: row.get(4)?,
        created_at: instant(row, 5)?,
        read_at: optional_instant(row, 6)?,
    })
}

/// A member of staff's notifications, newest first, and how many there are.
pub fn notifications_of(
    conn: &Connection,
    staff_id: i64,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Notification>, i64)> {
    let filter = if unread_only { "AND read_at IS NULL" } else { "" };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, type, title, body, link, created_at, read_at FROM notifications
         WHERE staff_id = ?1 {filter} ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![staff_id, limit, offset], notification_from_row)?;
    let rows = rows.collect::<rusqlite::Result<_>>()?;
    let total = conn.query_row_cached(
        &format!("SELECT count(*) FROM notifications WHERE staff_id = ?1 {filter}"),
        [staff_id],
        |r| r.get(0),
    )?;
    Ok((rows, total))
}

pub fn unread_count(conn: &Connection, staff_id: i64) -> Result<i64> {
    Ok(conn.query_row_cached(
        "SELECT count(*) FROM notifications WHERE staff_id = ?1 AND read_at IS NULL",
        [staff_id],
        |r| r.get(0),
    )?)
}

/// Marks one of the member's notifications read; false when it is not theirs.
pub fn mark_read(tx: &Transaction, staff_id: i64, id: i64, now: DateTime<Utc>) -> Result<Option<Notification>> {
    let marked = tx.execute_cached(
        "UPDATE notifications SET read_at = ?3 WHERE id = ?1 AND staff_id = ?2 AND read_at IS NULL",
        params![id, staff_id, to_millis(now)],
    )?;
    if marked > 0 {
        changes::record(tx, now, READS_ENTITY, staff_id, ChangeOp::Update)?;
    }
    Ok(tx
        .query_row_cached(
            "SELECT id, type, title, body, link, created_at, read_at FROM notifications WHERE id = ?1 AND staff_id = ?2",
            params![id, staff_id],
            notification_from_row,
        )
        .optional()?)
}

pub fn mark_all_read(tx: &Transaction, staff_id: i64, now: DateTime<Utc>) -> Result<usize> {
    let marked = tx.execute_cached(
        "UPDATE notifications SET read_at = ?2 WHERE staff_id = ?1 AND read_at IS NULL",
        params![staff_id, to_millis(now)],
    )?;
    if marked > 0 {
        changes::record(tx, now, READS_ENTITY, staff_id, ChangeOp::Update)?;
    }
    Ok(marked)
}

pub struct NewMessage<'a> {
    pub patient_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub channel: Channel,
    pub template: &'a str,
    pub recipient: &'a str,
    pub subject: Option<&'a str>,
    pub body: &'a str,
}

pub fn insert_message(tx: &Transaction, m: &NewMessage, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO outbound_messages (patient_id, appointment_id, channel, template, recipient, subject, body, status,
                                        created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8)",
        params![m.patient_id, m.appointment_id, m.channel, m.template, m.recipient, m.subject, m.body, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

const MESSAGE_COLUMNS: &str = "id, patient_id, appointment_id, channel, template, recipient, subject, body, status, \
    attempts, last_error, created_at, updated_at, sent_at";

fn message_from_row(row: &Row) -> rusqlite::Result<OutboundMessage> {
    Ok(OutboundMessage {
        id: row.get(0)?,
        patient_id: row.get(1)?,
        appointment_id: row.get(2)?,
        channel: row.get(3)?,
        template: row.get(4)?,
        recipient: row.get(5)?,
        subject: row.get(6)?,
        body: row.get(7)?,
        status: row.get(8)?,
        attempts: row.get(9)?,
        last_error: row.get(10)?,
        created_at: instant(row, 11)?,
        updated_at: instant(row, 12)?,
        sent_at: optional_instant(row, 13)?,
    })
}

pub fn message(conn: &Connection, id: i64) -> Result<Option<OutboundMessage>> {
    Ok(conn
        .query_row_cached(
            &format!("SELECT {MESSAGE_COLUMNS} FROM outbound_messages WHERE id = ?1"),
            [id],
            message_from_row,
        )
        .optional()?)
}

pub fn messages(
    conn: &Connection,
    patient_id: Option<i64>,
    status: Option<MessageStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OutboundMessage>, i64)> {
    let condition = "(?1 IS NULL OR patient_id = ?1) AND (?2 IS NULL OR status = ?2)";
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM outbound_messages WHERE {condition} ORDER BY id DESC LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt.query_map(params![patient_id, status, limit, offset], message_from_row)?;
    let rows = rows.collect::<rusqlite::Result<_>>()?;
    let total = conn.query_row_cached(
        &format!("SELECT count(*) FROM outbound_messages WHERE {condition}"),
        params![patient_id, status],
        |r| r.get(0),
    )?;
    Ok((rows, total))
}

/// Records one delivery attempt's outcome.
pub fn record_attempt(
    tx: &Transaction,
    id: i64,
    status: MessageStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sent = (status == MessageStatus::Sent).then(|| to_millis(now));
    tx.execute_cached(
        "UPDATE outbound_messages SET status = ?2, attempts = attempts + 1, last_error = ?3, updated_at = ?4,
             sent_at = coalesce(?5, sent_at)
         WHERE id = ?1",
        params![id, status, error, to_millis(now), sent],
    )?;
    Ok(())
}

/// The reminder leads and quiet hours, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderSettings {
    pub hours_before: Vec<i64>,
    pub quiet: Option<QuietHours>,
}

impl ReminderSettings {
    pub fn quiet_times(&self) -> Option<(NaiveTime, NaiveTime)> {
        let q = self.quiet.as_ref()?;
        let parse = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").ok();
        Some((parse(&q.start)?, parse(&q.end)?))
    }
}

pub fn reminder_settings(conn: &Connection) -> Result<ReminderSettings> {
    let (hours, start, end): (String, Option<String>, Option<String>) = conn.query_row_cached(
        "SELECT reminder_hours_before, quiet_start, quiet_end FROM notification_settings WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let hours_before = serde_json::from_str(&hours)
        .map_err(|_| Error::bad_stored_value("notification_settings", 1, "reminder_hours_before", hours))?;
    let quiet = match (start, end) {
        (Some(start), Some(end)) => Some(QuietHours { start, end }),
        _ => None,
    };
    Ok(ReminderSettings { hours_before, quiet })
}

pub fn save_reminder_settings(tx: &Transaction, s: &ReminderSettings, now: DateTime<Utc>) -> Result<()> {
    let hours = serde_json::to_string(&s.hours_before).map_err(|e| Error::internal_from("reminder hours", e))?;
    tx.execute_cached(
        "UPDATE notification_settings SET reminder_hours_before = ?1, quiet_start = ?2, quiet_end = ?3, updated_at = ?4
         WHERE id = 1",
        params![hours, s.quiet.as_ref().map(|q| &q.start), s.quiet.as_ref().map(|q| &q.end), to_millis(now)],
    )?;
    Ok(())
}

/// Active staff of these roles, to tell about something none of them owns (a failed delivery).
pub fn staff_with_roles(conn: &Connection, roles: &[&str]) -> Result<Vec<i64>> {
    let roles = serde_json::to_string(roles).map_err(|e| Error::internal_from("roles", e))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM staff WHERE active = 1 AND role IN (SELECT value FROM json_each(?1)) ORDER BY id",
    )?;
    let ids = stmt.query_map([roles], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Tells a patient's clinicians (or, when they have none with an account,
/// the managers) about something on the patient's record.
pub fn tell_patients_clinicians(
    tx: &Transaction,
    patient_id: i64,
    kind: &str,
    title: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut staff = crate::scheduling::appointments::store::clinician_staff_of_patient(tx, patient_id)?;
    if staff.is_empty() {
        staff = staff_with_roles(tx, &["manager"])?;
    }
    let link = format!("/patients/{patient_id}");
    for staff_id in &staff {
        notify(tx, &NewNotification { staff_id: *staff_id, kind, title, body, link: Some(&link) }, now)?;
    }
    Ok(staff.len())
}
