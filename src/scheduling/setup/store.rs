//! SQL for centres, clinicians, services and the booking policy.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::{Error, Result};
use crate::kit::sql::{json_list, linked_ids, named_row};
use crate::kit::time::{instant, to_millis, zone};
use crate::scheduling::setup::model::*;

const CENTRE_COLUMNS: &str = "id, name, address, phone, email, timezone, active, created_at, updated_at";

fn centre_from_row(row: &Row) -> rusqlite::Result<Centre> {
    named_row("centres", row, |row| {
        Ok(Centre {
            id: row.get(0)?,
            name: row.get(1)?,
            address: row.get(2)?,
            phone: row.get(3)?,
            email: row.get(4)?,
            timezone: zone(row, 5)?.name().to_owned(),
            active: row.get(6)?,
            created_at: instant(row, 7)?,
            updated_at: instant(row, 8)?,
        })
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
    tx.execute_cached(
        "INSERT INTO centres (name, address, phone, email, timezone, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![f.name, f.address, f.phone, f.email, f.timezone, f.active, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn update_centre(tx: &Transaction, id: i64, f: &CentreFields, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE centres SET name = ?2, address = ?3, phone = ?4, email = ?5, timezone = ?6, active = ?7, updated_at = ?8
         WHERE id = ?1",
        params![id, f.name, f.address, f.phone, f.email, f.timezone, f.active, to_millis(now)],
    )?;
    Ok(())
}

pub fn get_centre(conn: &Connection, id: i64) -> Result<Option<Centre>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {CENTRE_COLUMNS} FROM centres WHERE id = ?1"), [id], centre_from_row)
        .optional()?)
}

pub fn list_centres(conn: &Connection) -> Result<Vec<Centre>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {CENTRE_COLUMNS} FROM centres ORDER BY active DESC, name, id"))?;
    Ok(stmt.query_map([], centre_from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn centre_zone(conn: &Connection, id: i64) -> Result<Option<Tz>> {
    let zone: Option<String> =
        conn.query_row_cached("SELECT timezone FROM centres WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    zone.map(|z| z.parse().map_err(|_| Error::bad_stored_value("centres", id, "timezone", format!("{z:?}"))))
        .transpose()
}

/// The clinic's own zone (its first centre's; UTC before there is one),
/// in which the clinic's dates without a centre, like "due today", are read.
pub fn clinic_zone(conn: &Connection) -> Result<Tz> {
    let first: Option<i64> = conn
        .query_row_cached("SELECT id FROM centres ORDER BY active DESC, id LIMIT 1", [], |r| r.get(0))
        .optional()?;
    Ok(match first {
        Some(id) => centre_zone(conn, id)?.unwrap_or(Tz::UTC),
        None => Tz::UTC,
    })
}

const CLINICIAN_COLUMNS: &str = "id, staff_id, display_name, specialties, qualifications, languages, bio, \
    fee_amount_minor, fee_currency, active, created_at, updated_at";

fn clinician_from_row(row: &Row) -> rusqlite::Result<Clinician> {
    named_row("clinicians", row, |row| {
        Ok(Clinician {
            id: row.get(0)?,
            staff_id: row.get(1)?,
            display_name: row.get(2)?,
            specialties: json_list(row, 3)?,
            qualifications: json_list(row, 4)?,
            languages: json_list(row, 5)?,
            bio: row.get(6)?,
            default_fee: Money::from_columns(row.get(7)?, row.get(8)?),
            active: row.get(9)?,
            centre_ids: Vec::new(),
            calendar_feed_url: None,
            created_at: instant(row, 10)?,
            updated_at: instant(row, 11)?,
        })
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
    tx.execute_cached("DELETE FROM clinician_centres WHERE clinician_id = ?1", [id])?;
    for centre in centre_ids {
        tx.execute_cached(
            "INSERT OR IGNORE INTO clinician_centres (clinician_id, centre_id) VALUES (?1, ?2)",
            [id, *centre],
        )?;
    }
    Ok(())
}

pub fn insert_clinician(tx: &Transaction, f: &ClinicianFields, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
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
    tx.execute_cached(
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
        conn.prepare_cached("SELECT centre_id FROM clinician_centres WHERE clinician_id = ?1 ORDER BY centre_id")?;
    clinician.centre_ids = stmt.query_map([clinician.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(clinician)
}

pub fn get_clinician(conn: &Connection, id: i64) -> Result<Option<Clinician>> {
    let found = conn
        .query_row_cached(
            &format!("SELECT {CLINICIAN_COLUMNS} FROM clinicians WHERE id = ?1"),
            [id],
            clinician_from_row,
        )
        .optional()?;
    found.map(|c| with_centres(conn, c)).transpose()
}

pub fn list_clinicians(conn: &Connection, only_active: bool) -> Result<Vec<Clinician>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CLINICIAN_COLUMNS} FROM clinicians WHERE (?1 = 0 OR active = 1) ORDER BY active DESC, display_name, id"
    ))?;
    let mut rows: Vec<Clinician> =
        stmt.query_map([only_active], clinician_from_row)?.collect::<rusqlite::Result<_>>()?;
    let mut centres =
        linked_ids(conn, "SELECT clinician_id, centre_id FROM clinician_centres ORDER BY clinician_id, centre_id", [])?;
    for clinician in &mut rows {
        clinician.centre_ids = centres.remove(&clinician.id).unwrap_or_default();
    }
    Ok(rows)
}

pub fn staff_is_clinician_elsewhere(conn: &Connection, staff_id: i64, except: Option<i64>) -> Result<bool> {
    let other: Option<i64> = conn
        .query_row_cached(
            "SELECT id FROM clinicians WHERE staff_id = ?1 AND (?2 IS NULL OR id <> ?2)",
            params![staff_id, except],
            |r| r.get(0),
        )
        .optional()?;
    Ok(other.is_some())
}

pub fn existing_ids(conn: &Connection, table: &str, ids: &[i64]) -> Result<Vec<i64>> {
    // `table` is one of ours, never input.
    let mut stmt =
        conn.prepare_cached(&format!("SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?1))"))?;
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    Ok(stmt.query_map([json], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

const SERVICE_COLUMNS: &str = "id, name, duration_minutes, price_amount_minor, price_currency, buffer_before_minutes, \
    buffer_after_minutes, modality, capacity, colour, active, created_at, updated_at";

fn service_from_row(row: &Row) -> rusqlite::Result<Service> {
    named_row("services", row, |row| {
        Ok(Service {
            id: row.get(0)?,
            name: row.get(1)?,
            duration_minutes: row.get(2)?,
            price: Money { amount_minor: row.get(3)?, currency: row.get(4)? },
            buffer_before_minutes: row.get(5)?,
            buffer_after_minutes: row.get(6)?,
            modality: row.get(7)?,
            capacity: row.get(8)?,
            colour: row.get(9)?,
            active: row.get(10)?,
            clinician_ids: Vec::new(),
            created_at: instant(row, 11)?,
            updated_at: instant(row, 12)?,
        })
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
    tx.execute_cached("DELETE FROM service_clinicians WHERE service_id = ?1", [id])?;
    for clinician in clinician_ids {
        tx.execute_cached(
            "INSERT OR IGNORE INTO service_clinicians (service_id, clinician_id) VALUES (?1, ?2)",
            [id, *clinician],
        )?;
    }
    Ok(())
}

pub fn insert_service(tx: &Transaction, f: &ServiceFields, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
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
    tx.execute_cached(
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
        conn.prepare_cached("SELECT clinician_id FROM service_clinicians WHERE service_id = ?1 ORDER BY clinician_id")?;
    service.clinician_ids = stmt.query_map([service.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(service)
}

pub fn get_service(conn: &Connection, id: i64) -> Result<Option<Service>> {
    let found = conn
        .query_row_cached(&format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = ?1"), [id], service_from_row)
        .optional()?;
    found.map(|s| with_clinicians(conn, s)).transpose()
}

pub fn list_services(conn: &Connection) -> Result<Vec<Service>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {SERVICE_COLUMNS} FROM services ORDER BY active DESC, name, id"))?;
    let mut rows: Vec<Service> = stmt.query_map([], service_from_row)?.collect::<rusqlite::Result<_>>()?;
    let mut clinicians = linked_ids(
        conn,
        "SELECT service_id, clinician_id FROM service_clinicians ORDER BY service_id, clinician_id",
        [],
    )?;
    for service in &mut rows {
        service.clinician_ids = clinicians.remove(&service.id).unwrap_or_default();
    }
    Ok(rows)
}

pub fn booking_settings(conn: &Connection) -> Result<BookingSettings> {
    Ok(conn.query_row_cached(
        "SELECT min_notice_minutes, booking_window_days, cancellation_notice_hours, calendar_show_surnames,
                staff_bookings_confirmed, check_in_opens_minutes, slot_interval_minutes
         FROM booking_settings WHERE id = 1",
        [],
        |r| {
            Ok(BookingSettings {
                min_notice_minutes: r.get(0)?,
                booking_window_days: r.get(1)?,
                cancellation_notice_hours: r.get(2)?,
                calendar_show_surnames: r.get(3)?,
                staff_bookings_confirmed: r.get(4)?,
                check_in_opens_minutes: r.get(5)?,
                slot_interval_minutes: r.get(6)?,
            })
        },
    )?)
}

pub fn save_booking_settings(tx: &Transaction, s: &BookingSettings, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE booking_settings SET min_notice_minutes = ?1, booking_window_days = ?2,
            cancellation_notice_hours = ?3, calendar_show_surnames = ?5, staff_bookings_confirmed = ?6,
            check_in_opens_minutes = ?7, slot_interval_minutes = ?8, updated_at = ?4 WHERE id = 1",
        params![
            s.min_notice_minutes,
            s.booking_window_days,
            s.cancellation_notice_hours,
            to_millis(now),
            s.calendar_show_surnames,
            s.staff_bookings_confirmed,
            s.check_in_opens_minutes,
            s.slot_interval_minutes
        ],
    )?;
    Ok(())
}
