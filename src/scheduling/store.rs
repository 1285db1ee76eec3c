//! SQL for scheduling. Plain functions on a connection or transaction.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::Result;
use crate::kit::time::{instant, to_millis, zone};
use crate::scheduling::model::{
    Appointment, AppointmentStatus, Attendee, AvailabilityRule, BookingSettings, Centre, Clinician, Modality, Money,
    Service, TimeOff,
};
use crate::scheduling::slots::{Busy, Interval, WeeklyRule};

fn json_list(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

// ---- centres

const CENTRE_COLUMNS: &str = "id, name, address, phone, email, timezone, active, created_at, updated_at";

fn centre_from_row(row: &Row) -> rusqlite::Result<Centre> {
    Ok(Centre {
        id: row.get(0)?,
        name: row.get(1)?,
        address: row.get(2)?,
        phone: row.get(3)?,
        email: row.get(4)?,
        timezone: row.get(5)?,
        active: row.get(6)?,
        created_at: instant(row, 7)?,
        updated_at: instant(row, 8)?,
    })
}

pub struct CentreFields {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub timezone: String,
    pub active: bool,
}

pub fn insert_centre(tx: &Transaction, f: &CentreFields, now: DateTime<Utc>) -> Result<i64> {
    tx.execute(
        "INSERT INTO centres (name, address, phone, email, timezone, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![f.name, f.address, f.phone, f.email, f.timezone, f.active, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn update_centre(tx: &Transaction, id: i64, f: &CentreFields, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE centres SET name = ?2, address = ?3, phone = ?4, email = ?5, timezone = ?6, active = ?7, updated_at = ?8
         WHERE id = ?1",
        params![id, f.name, f.address, f.phone, f.email, f.timezone, f.active, to_millis(now)],
    )?;
    Ok(())
}

pub fn get_centre(conn: &Connection, id: i64) -> Result<Option<Centre>> {
    Ok(conn
        .query_row(&format!("SELECT {CENTRE_COLUMNS} FROM centres WHERE id = ?1"), [id], centre_from_row)
        .optional()?)
}

pub fn list_centres(conn: &Connection) -> Result<Vec<Centre>> {
    let mut stmt = conn.prepare(&format!("SELECT {CENTRE_COLUMNS} FROM centres ORDER BY active DESC, name, id"))?;
    Ok(stmt.query_map([], centre_from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn centre_zone(conn: &Connection, id: i64) -> Result<Option<Tz>> {
    let zone: Option<String> =
        conn.query_row("SELECT timezone FROM centres WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    Ok(zone.and_then(|z| z.parse().ok()))
}

// ---- clinicians

const CLINICIAN_COLUMNS: &str = "id, staff_id, display_name, specialties, qualifications, languages, bio, \
    fee_amount_minor, fee_currency, active, created_at, updated_at";

fn clinician_from_row(row: &Row) -> rusqlite::Result<Clinician> {
    Ok(Clinician {
        id: row.get(0)?,
        staff_id: row.get(1)?,
        display_name: row.get(2)?,
        specialties: json_list(row.get(3)?),
        qualifications: json_list(row.get(4)?),
        languages: json_list(row.get(5)?),
        bio: row.get(6)?,
        default_fee: Money::from_columns(row.get(7)?, row.get(8)?),
        active: row.get(9)?,
        centre_ids: Vec::new(),
        calendar_feed_url: None,
        created_at: instant(row, 10)?,
        updated_at: instant(row, 11)?,
    })
}

pub struct ClinicianFields {
    pub staff_id: Option<i64>,
    pub display_name: String,
    pub specialties: Vec<String>,
    pub qualifications: Vec<String>,
    pub languages: Vec<String>,
    pub bio: Option<String>,
    pub centre_ids: Vec<i64>,
    pub default_fee: Option<Money>,
    pub active: bool,
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn set_clinician_centres(tx: &Transaction, id: i64, centre_ids: &[i64]) -> Result<()> {
    tx.execute("DELETE FROM clinician_centres WHERE clinician_id = ?1", [id])?;
    for centre in centre_ids {
        tx.execute("INSERT OR IGNORE INTO clinician_centres (clinician_id, centre_id) VALUES (?1, ?2)", [id, *centre])?;
    }
    Ok(())
}

pub fn insert_clinician(tx: &Transaction, f: &ClinicianFields, now: DateTime<Utc>) -> Result<i64> {
    tx.execute(
        "INSERT INTO clinicians (staff_id, display_name, specialties, qualifications, languages, bio,
                                 fee_amount_minor, fee_currency, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            f.staff_id,
            f.display_name,
            to_json(&f.specialties),
            to_json(&f.qualifications),
            to_json(&f.languages),
            f.bio,
            f.default_fee.as_ref().map(|m| m.amount_minor),
            f.default_fee.as_ref().map(|m| m.currency.clone()),
            f.active,
            to_millis(now)
        ],
    )?;
    let id = tx.last_insert_rowid();
    set_clinician_centres(tx, id, &f.centre_ids)?;
    Ok(id)
}

pub fn update_clinician(tx: &Transaction, id: i64, f: &ClinicianFields, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE clinicians SET staff_id = ?2, display_name = ?3, specialties = ?4, qualifications = ?5,
            languages = ?6, bio = ?7, fee_amount_minor = ?8, fee_currency = ?9, active = ?10, updated_at = ?11
         WHERE id = ?1",
        params![
            id,
            f.staff_id,
            f.display_name,
            to_json(&f.specialties),
            to_json(&f.qualifications),
            to_json(&f.languages),
            f.bio,
            f.default_fee.as_ref().map(|m| m.amount_minor),
            f.default_fee.as_ref().map(|m| m.currency.clone()),
            f.active,
            to_millis(now)
        ],
    )?;
    set_clinician_centres(tx, id, &f.centre_ids)
}

fn with_centres(conn: &Connection, mut clinician: Clinician) -> Result<Clinician> {
    let mut stmt =
        conn.prepare("SELECT centre_id FROM clinician_centres WHERE clinician_id = ?1 ORDER BY centre_id")?;
    clinician.centre_ids = stmt.query_map([clinician.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(clinician)
}

pub fn get_clinician(conn: &Connection, id: i64) -> Result<Option<Clinician>> {
    let found = conn
        .query_row(&format!("SELECT {CLINICIAN_COLUMNS} FROM clinicians WHERE id = ?1"), [id], clinician_from_row)
        .optional()?;
    found.map(|c| with_centres(conn, c)).transpose()
}

pub fn list_clinicians(conn: &Connection, only_active: bool) -> Result<Vec<Clinician>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {CLINICIAN_COLUMNS} FROM clinicians WHERE (?1 = 0 OR active = 1) ORDER BY active DESC, display_name, id"
    ))?;
    let rows: Vec<Clinician> = stmt.query_map([only_active], clinician_from_row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|c| with_centres(conn, c)).collect()
}

pub fn staff_is_clinician_elsewhere(conn: &Connection, staff_id: i64, except: Option<i64>) -> Result<bool> {
    let other: Option<i64> = conn
        .query_row(
            "SELECT id FROM clinicians WHERE staff_id = ?1 AND (?2 IS NULL OR id <> ?2)",
            params![staff_id, except],
            |r| r.get(0),
        )
        .optional()?;
    Ok(other.is_some())
}

pub fn existing_ids(conn: &Connection, table: &str, ids: &[i64]) -> Result<Vec<i64>> {
    // `table` is one of ours, never input.
    let mut stmt = conn.prepare(&format!("SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?1))"))?;
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    Ok(stmt.query_map([json], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

// ---- services

const SERVICE_COLUMNS: &str = "id, name, duration_minutes, price_amount_minor, price_currency, buffer_before_minutes, \
    buffer_after_minutes, modality, capacity, colour, active, created_at, updated_at";

fn service_from_row(row: &Row) -> rusqlite::Result<Service> {
    let modality: String = row.get(7)?;
    Ok(Service {
        id: row.get(0)?,
        name: row.get(1)?,
        duration_minutes: row.get(2)?,
        price: Money { amount_minor: row.get(3)?, currency: row.get(4)? },
        buffer_before_minutes: row.get(5)?,
        buffer_after_minutes: row.get(6)?,
        modality: if modality == "video" { Modality::Video } else { Modality::InPerson },
        capacity: row.get(8)?,
        colour: row.get(9)?,
        active: row.get(10)?,
        clinician_ids: Vec::new(),
        created_at: instant(row, 11)?,
        updated_at: instant(row, 12)?,
    })
}

pub struct ServiceFields {
    pub name: String,
    pub duration_minutes: i64,
    pub price: Money,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub modality: Modality,
    pub capacity: i64,
    pub clinician_ids: Vec<i64>,
    pub colour: Option<String>,
    pub active: bool,
}

fn set_service_clinicians(tx: &Transaction, id: i64, clinician_ids: &[i64]) -> Result<()> {
    tx.execute("DELETE FROM service_clinicians WHERE service_id = ?1", [id])?;
    for clinician in clinician_ids {
        tx.execute(
            "INSERT OR IGNORE INTO service_clinicians (service_id, clinician_id) VALUES (?1, ?2)",
            [id, *clinician],
        )?;
    }
    Ok(())
}

pub fn insert_service(tx: &Transaction, f: &ServiceFields, now: DateTime<Utc>) -> Result<i64> {
    tx.execute(
        "INSERT INTO services (name, duration_minutes, price_amount_minor, price_currency, buffer_before_minutes,
                               buffer_after_minutes, modality, capacity, colour, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            f.name,
            f.duration_minutes,
            f.price.amount_minor,
            f.price.currency,
            f.buffer_before_minutes,
            f.buffer_after_minutes,
            f.modality.as_str(),
            f.capacity,
            f.colour,
            f.active,
            to_millis(now)
        ],
    )?;
    let id = tx.last_insert_rowid();
    set_service_clinicians(tx, id, &f.clinician_ids)?;
    Ok(id)
}

pub fn update_service(tx: &Transaction, id: i64, f: &ServiceFields, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE services SET name = ?2, duration_minutes = ?3, price_amount_minor = ?4, price_currency = ?5,
            buffer_before_minutes = ?6, buffer_after_minutes = ?7, modality = ?8, capacity = ?9, colour = ?10,
            active = ?11, updated_at = ?12
         WHERE id = ?1",
        params![
            id,
            f.name,
            f.duration_minutes,
            f.price.amount_minor,
            f.price.currency,
            f.buffer_before_minutes,
            f.buffer_after_minutes,
            f.modality.as_str(),
            f.capacity,
            f.colour,
            f.active,
            to_millis(now)
        ],
    )?;
    set_service_clinicians(tx, id, &f.clinician_ids)
}

fn with_clinicians(conn: &Connection, mut service: Service) -> Result<Service> {
    let mut stmt =
        conn.prepare("SELECT clinician_id FROM service_clinicians WHERE service_id = ?1 ORDER BY clinician_id")?;
    service.clinician_ids = stmt.query_map([service.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(service)
}

pub fn get_service(conn: &Connection, id: i64) -> Result<Option<Service>> {
    let found = conn
        .query_row(&format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = ?1"), [id], service_from_row)
        .optional()?;
    found.map(|s| with_clinicians(conn, s)).transpose()
}

pub fn list_services(conn: &Connection) -> Result<Vec<Service>> {
    let mut stmt = conn.prepare(&format!("SELECT {SERVICE_COLUMNS} FROM services ORDER BY active DESC, name, id"))?;
    let rows: Vec<Service> = stmt.query_map([], service_from_row)?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|s| with_clinicians(conn, s)).collect()
}

// ---- booking settings

pub fn booking_settings(conn: &Connection) -> Result<BookingSettings> {
    Ok(conn.query_row(
        "SELECT min_notice_minutes, booking_window_days, cancellation_notice_hours, calendar_show_surnames
         FROM booking_settings WHERE id = 1",
        [],
        |r| {
            Ok(BookingSettings {
                min_notice_minutes: r.get(0)?,
                booking_window_days: r.get(1)?,
                cancellation_notice_hours: r.get(2)?,
                calendar_show_surnames: r.get(3)?,
            })
        },
    )?)
}

pub fn save_booking_settings(tx: &Transaction, s: &BookingSettings, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE booking_settings SET min_notice_minutes = ?1, booking_window_days = ?2,
            cancellation_notice_hours = ?3, calendar_show_surnames = ?5, updated_at = ?4 WHERE id = 1",
        params![
            s.min_notice_minutes,
            s.booking_window_days,
            s.cancellation_notice_hours,
            to_millis(now),
            s.calendar_show_surnames
        ],
    )?;
    Ok(())
}

// ---- availability

fn minutes_text(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn date_text(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.format("%Y-%m-%d").to_string())
}

fn parse_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
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
    tx.execute("DELETE FROM availability_rules WHERE clinician_id = ?1", [clinician_id])?;
    for r in rules {
        tx.execute(
            "INSERT INTO availability_rules (clinician_id, centre_id, weekday, start_minute, end_minute,
                                             effective_from, effective_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                clinician_id,
                r.centre_id,
                r.weekday,
                r.start_minute,
                r.end_minute,
                date_text(r.effective_from),
                date_text(r.effective_until)
            ],
        )?;
    }
    Ok(())
}

pub fn rules_as_api(conn: &Connection, clinician_id: i64) -> Result<Vec<AvailabilityRule>> {
    let mut stmt = conn.prepare(
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
                effective_from: parse_date(r.get(4)?),
                effective_until: parse_date(r.get(5)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The clinician's weekly rules at one centre.
pub fn weekly_rules(conn: &Connection, clinician_id: i64, centre_id: i64) -> Result<Vec<WeeklyRule>> {
    let mut stmt = conn.prepare(
        "SELECT weekday, start_minute, end_minute, effective_from, effective_until
         FROM availability_rules WHERE clinician_id = ?1 AND centre_id = ?2",
    )?;
    let rows = stmt
        .query_map([clinician_id, centre_id], |r| {
            Ok(WeeklyRule {
                weekday: r.get(0)?,
                start_minute: r.get(1)?,
                end_minute: r.get(2)?,
                effective_from: parse_date(r.get(3)?),
                effective_until: parse_date(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Centres where the clinician has any weekly availability.
pub fn rule_centres(conn: &Connection, clinician_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT centre_id FROM availability_rules WHERE clinician_id = ?1
         UNION SELECT DISTINCT centre_id FROM availability_exceptions WHERE clinician_id = ?1 AND kind = 'extra'
         ORDER BY 1",
    )?;
    Ok(stmt.query_map([clinician_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// `kind` is `time_off` (no centre) or `extra` (one-off availability at a centre).
pub fn insert_exception(
    tx: &Transaction,
    clinician_id: i64,
    kind: &str,
    centre_id: Option<i64>,
    span: Interval,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO availability_exceptions (clinician_id, kind, centre_id, starts_at, ends_at, reason, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![clinician_id, kind, centre_id, to_millis(span.start), to_millis(span.end), reason, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn delete_exception(tx: &Transaction, clinician_id: i64, kind: &str, id: i64) -> Result<bool> {
    Ok(tx.execute(
        "DELETE FROM availability_exceptions WHERE id = ?1 AND clinician_id = ?2 AND kind = ?3",
        params![id, clinician_id, kind],
    )? > 0)
}

pub fn list_exceptions(conn: &Connection, clinician_id: i64, kind: &str) -> Result<Vec<TimeOff>> {
    let mut stmt = conn.prepare(
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

pub fn move_appointment(
    tx: &Transaction,
    id: i64,
    clinician_id: i64,
    centre_id: i64,
    slot: Interval,
    blocked: Interval,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
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

#[derive(Clone, Debug)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub change: String,
    pub details: Option<serde_json::Value>,
}

pub fn history(conn: &Connection, appointment_id: i64) -> Result<Vec<HistoryEntry>> {
    let mut stmt = conn.prepare(
        "SELECT at, actor_id, change, details FROM appointment_history WHERE appointment_id = ?1 ORDER BY id",
    )?;
    Ok(stmt
        .query_map([appointment_id], |r| {
            let details: Option<String> = r.get(3)?;
            Ok(HistoryEntry {
                at: instant(r, 0)?,
                actor_id: r.get(1)?,
                change: r.get(2)?,
                details: details.and_then(|d| serde_json::from_str(&d).ok()),
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Time off, or extra availability at `centre_id`, overlapping `span`.
pub fn exceptions(
    conn: &Connection,
    clinician_id: i64,
    kind: &str,
    centre_id: Option<i64>,
    span: Interval,
) -> Result<Vec<Interval>> {
    let mut stmt = conn.prepare(
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

// ---- appointments

/// The longest an appointment can block a clinician (duration + buffers),
/// which bounds the overlap query's range scan.
pub const MAX_BLOCK_MILLIS: i64 = (720 + 240 + 240) * 60 * 1000;

/// Bookings of a clinician that take time overlapping `span` (cancelled ones do not).
pub fn busy(conn: &Connection, clinician_id: i64, span: Interval) -> Result<Vec<Busy>> {
    let mut stmt = conn.prepare(
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
        .query_row(
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
    pub created_by: i64,
}

pub fn insert_appointment(tx: &Transaction, a: &NewAppointmentRow, now: DateTime<Utc>) -> Result<i64> {
    tx.execute(
        "INSERT INTO appointments (service_id, clinician_id, centre_id, starts_at, ends_at, blocked_from,
                                   blocked_until, capacity, status, notes, video_url, created_by, created_at, updated_at,
                                   series_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10, ?11, ?12, ?12, ?13)",
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
            a.series_id
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
    tx.execute(
        "INSERT INTO appointment_series (frequency, interval, count, until, created_at) VALUES ('weekly', ?1, ?2, ?3, ?4)",
        params![interval, count, date_text(until), to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Later live appointments of the same series.
pub fn following_in_series(conn: &Connection, appointment_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(
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
    status: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
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
    tx.execute(
        "INSERT INTO appointment_history (appointment_id, at, actor_id, change, details) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![appointment_id, to_millis(at), actor_id, change, details.map(|d| d.to_string())],
    )?;
    Ok(())
}

pub fn set_status(
    tx: &Transaction,
    id: i64,
    status: AppointmentStatus,
    cancel: Option<(Option<&str>, i64)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (reason, by) = cancel.map(|(r, b)| (r.map(str::to_owned), Some(b))).unwrap_or((None, None));
    tx.execute(
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

/// Patients in an appointment (all but those who left, or only the booked
/// ones), in the order they joined, with names from the patients feature.
fn attendees_of(
    conn: &Connection,
    appointment_id: i64,
    booked_only: bool,
) -> Result<Vec<(i64, String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT patient_id, status FROM appointment_attendees
         WHERE appointment_id = ?1 AND status <> 'left' AND (?2 = 0 OR status = 'booked')
         ORDER BY joined_at, patient_id",
    )?;
    let rows: Vec<(i64, String)> = stmt
        .query_map(params![appointment_id, booked_only], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let names = crate::patients::store::names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(id, status)| {
            let (given, family) = names.get(&id).cloned().unwrap_or_default();
            (id, status, given, family)
        })
        .collect())
}

fn with_attendees(conn: &Connection, mut a: Appointment) -> Result<Appointment> {
    a.attendees = attendees_of(conn, a.id, false)?
        .into_iter()
        .map(|(patient_id, status, given, family)| Attendee { patient_id, status, name: format!("{given} {family}") })
        .collect();
    Ok(a)
}

pub fn get_appointment(conn: &Connection, id: i64) -> Result<Option<Appointment>> {
    let found = conn
        .query_row(
            &format!(
                "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN centres c ON c.id = a.centre_id WHERE a.id = ?1"
            ),
            [id],
            appointment_from_row,
        )
        .optional()?;
    found.map(|a| with_attendees(conn, a)).transpose()
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
}

pub fn list_appointments(
    conn: &Connection,
    f: &AppointmentFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Appointment>, i64)> {
    let condition = "(:from IS NULL OR a.starts_at >= :from) AND (:to IS NULL OR a.starts_at < :to)
        AND (:clinician IS NULL OR a.clinician_id = :clinician) AND (:centre IS NULL OR a.centre_id = :centre)
        AND (:status IS NULL OR a.status = :status) AND (:series IS NULL OR a.series_id = :series)
        AND (:patient IS NULL OR EXISTS (SELECT 1 FROM appointment_attendees t
                                         WHERE t.appointment_id = a.id AND t.patient_id = :patient
                                           AND t.status <> 'left'))";
    let (from, to, status) = (f.from.map(to_millis), f.to.map(to_millis), f.status.map(AppointmentStatus::as_str));
    let filter: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
        (":from", &from),
        (":to", &to),
        (":clinician", &f.clinician_id),
        (":centre", &f.centre_id),
        (":status", &status),
        (":series", &f.series_id),
        (":patient", &f.patient_id),
    ];
    let total: i64 =
        conn.query_row(&format!("SELECT count(*) FROM appointments a WHERE {condition}"), filter.as_slice(), |r| {
            r.get(0)
        })?;
    let mut page = filter.clone();
    page.push((":limit", &limit));
    page.push((":offset", &offset));
    let mut stmt = conn.prepare(&format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN centres c ON c.id = a.centre_id
         WHERE {condition} ORDER BY a.starts_at, a.id LIMIT :limit OFFSET :offset"
    ))?;
    let rows: Vec<Appointment> =
        stmt.query_map(page.as_slice(), appointment_from_row)?.collect::<rusqlite::Result<_>>()?;
    let rows = rows.into_iter().map(|a| with_attendees(conn, a)).collect::<Result<_>>()?;
    Ok((rows, total))
}

// ---- group sessions

/// The live session of a group service at exactly `start` with this clinician.
pub fn find_session(
    conn: &Connection,
    service_id: i64,
    clinician_id: i64,
    start: DateTime<Utc>,
) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM appointments WHERE service_id = ?1 AND clinician_id = ?2 AND starts_at = ?3
               AND status IN ('pending', 'confirmed') AND capacity > 1",
            params![service_id, clinician_id, to_millis(start)],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn attendee_status(conn: &Connection, appointment_id: i64, patient_id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row(
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
    status: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO appointment_attendees (appointment_id, patient_id, status, joined_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (appointment_id, patient_id) DO UPDATE SET status = excluded.status,
             joined_at = CASE WHEN excluded.status = 'left' THEN joined_at ELSE excluded.joined_at END",
        params![appointment_id, patient_id, status, to_millis(now)],
    )?;
    Ok(())
}

pub fn booked_count(conn: &Connection, appointment_id: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM appointment_attendees WHERE appointment_id = ?1 AND status = 'booked'",
        [appointment_id],
        |r| r.get(0),
    )?)
}

pub fn first_waitlisted(conn: &Connection, appointment_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT patient_id FROM appointment_attendees WHERE appointment_id = ?1 AND status = 'waitlisted'
             ORDER BY joined_at, patient_id LIMIT 1",
            [appointment_id],
            |r| r.get(0),
        )
        .optional()?)
}

// ---- calendar feeds

pub fn calendar_generation(conn: &Connection, clinician_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT calendar_generation FROM clinicians WHERE id = ?1", [clinician_id], |r| r.get(0))
        .optional()?)
}

pub fn rotate_calendar(tx: &Transaction, clinician_id: i64, now: DateTime<Utc>) -> Result<i64> {
    tx.execute(
        "UPDATE clinicians SET calendar_generation = calendar_generation + 1, updated_at = ?2 WHERE id = ?1",
        params![clinician_id, to_millis(now)],
    )?;
    Ok(tx.query_row("SELECT calendar_generation FROM clinicians WHERE id = ?1", [clinician_id], |r| r.get(0))?)
}

/// A clinician's appointments starting in `span`, cancelled ones included,
/// with what the feed shows of each.
pub fn feed_events(
    conn: &Connection,
    clinician_id: i64,
    span: Interval,
    show_surnames: bool,
) -> Result<Vec<crate::scheduling::calendar::FeedEvent>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.starts_at, a.ends_at, a.status, s.name, c.name, a.video_url, a.updated_at,
                (SELECT count(*) FROM appointment_history h WHERE h.appointment_id = a.id)
         FROM appointments a JOIN services s ON s.id = a.service_id JOIN centres c ON c.id = a.centre_id
         WHERE a.clinician_id = ?1 AND a.starts_at >= ?2 AND a.starts_at < ?3
         ORDER BY a.starts_at",
    )?;
    let rows: Vec<crate::scheduling::calendar::FeedEvent> = stmt
        .query_map(params![clinician_id, to_millis(span.start), to_millis(span.end)], |r| {
            Ok(crate::scheduling::calendar::FeedEvent {
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
    let mut events = Vec::with_capacity(rows.len());
    for mut event in rows {
        event.attendees = attendees_of(conn, event.appointment_id, true)?
            .into_iter()
            .map(|(_, _, given, family)| crate::scheduling::calendar::patient_label(&given, &family, show_surnames))
            .collect();
        events.push(event);
    }
    Ok(events)
}
