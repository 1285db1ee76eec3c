//! Which patients a caller may see. By default everyone whose role reads
//! patients sees every patient (shared care). A clinic can set
//! `clinician_scope: own`: then a clinician sees only the patients they are
//! or were booked with, those they registered, and those shared with them;
//! any other patient is, to them, not there (404), in every list, search
//! and record that names one.

use crate::kit::sql::CachedSql;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::auth::settings::{self, ClinicianScope};
use crate::kit::error::{Error, Result};
use crate::kit::principal::{Caller, Role};
use crate::kit::time::{instant, to_millis};

/// The patients a clinician (by staff id) is or was booked with. Bookings
/// are scheduling's, so the application hands this over
/// (`AppState::patients_booked_with`).
pub type PatientsBookedWith = fn(&Connection, i64) -> Result<Vec<i64>>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Only these patients.
    Only(BTreeSet<i64>),
}

impl Scope {
    /// What `caller` may see under the clinic's setting.
    pub fn of(conn: &Connection, caller: &Caller, booked_with: PatientsBookedWith) -> Result<Scope> {
        if caller.role != Role::Clinician || settings::read(conn)?.clinician_scope == ClinicianScope::All {
            return Ok(Scope::All);
        }
        // A clinician's API key is no one's clinician: it sees no patient.
        let Some(staff_id) = caller.staff_id else { return Ok(Scope::Only(BTreeSet::new())) };
        let mut ids: BTreeSet<i64> = booked_with(conn, staff_id)?.into_iter().collect();
        ids.extend(shared_with(conn, staff_id)?);
        Ok(Scope::Only(ids))
    }

    pub fn sees(&self, patient_id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(ids) => ids.contains(&patient_id),
        }
    }

    /// `Ok` when the caller sees the patient; otherwise the same 404 as for
    /// a patient who does not exist, so the answer tells nothing.
    pub fn check(&self, patient_id: i64) -> Result<()> {
        if self.sees(patient_id) { Ok(()) } else { Err(Error::NotFound { entity: "patient" }) }
    }

    /// The ids a list must stay within; `None` for every patient.
    pub fn ids(&self) -> Option<Vec<i64>> {
        match self {
            Scope::All => None,
            Scope::Only(ids) => Some(ids.iter().copied().collect()),
        }
    }
}

/// A patient shared with one member of staff.
#[derive(poem_openapi::Object, Clone, Debug, PartialEq)]
pub struct PatientShare {
    pub patient_id: i64,
    pub staff_id: i64,
    /// Who shared it; none when it came from registering the patient.
    pub shared_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
}

/// Whom to share a patient with.
#[derive(poem_openapi::Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewPatientShare {
    #[oai(validator(minimum(value = "1")))]
    pub staff_id: i64,
}

/// Shares `patient_id` with `staff_id`; sharing twice keeps the first.
pub fn share(
    tx: &Transaction,
    patient_id: i64,
    staff_id: i64,
    shared_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<PatientShare> {
    tx.execute_cached(
        "INSERT INTO patient_shares (patient_id, staff_id, shared_by, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (patient_id, staff_id) DO NOTHING",
        params![patient_id, staff_id, shared_by, to_millis(now)],
    )?;
    get_share(tx, patient_id, staff_id)?.ok_or_else(|| Error::internal("a share just written is missing"))
}

/// Removes a share; whether there was one.
pub fn unshare(tx: &Transaction, patient_id: i64, staff_id: i64) -> Result<bool> {
    let removed = tx
        .execute("DELETE FROM patient_shares WHERE patient_id = ?1 AND staff_id = ?2", params![patient_id, staff_id])?;
    Ok(removed > 0)
}

fn share_from_row(row: &rusqlite::Row) -> rusqlite::Result<PatientShare> {
    Ok(PatientShare {
        patient_id: row.get(0)?,
        staff_id: row.get(1)?,
        shared_by: row.get(2)?,
        created_at: instant(row, 3)?,
    })
}

fn get_share(conn: &Connection, patient_id: i64, staff_id: i64) -> Result<Option<PatientShare>> {
    Ok(conn
        .query_row_cached(
            "SELECT patient_id, staff_id, shared_by, created_at FROM patient_shares
             WHERE patient_id = ?1 AND staff_id = ?2",
            params![patient_id, staff_id],
            share_from_row,
        )
        .optional()?)
}

/// Who a patient is shared with, in the order of sharing.
pub fn shares_of(conn: &Connection, patient_id: i64) -> Result<Vec<PatientShare>> {
    let mut stmt = conn.prepare_cached(
        "SELECT patient_id, staff_id, shared_by, created_at FROM patient_shares
         WHERE patient_id = ?1 ORDER BY created_at, staff_id",
    )?;
    let rows = stmt.query_map([patient_id], share_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn shared_with(conn: &Connection, staff_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT patient_id FROM patient_shares WHERE staff_id = ?1")?;
    let ids = stmt.query_map([staff_id], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}
