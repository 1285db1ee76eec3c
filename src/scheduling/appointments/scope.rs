//! The clinician scope for appointments: when the clinic limits clinicians
//! to their own patients, a clinician sees the appointments they give and
//! those of patients they may see; any other is, to them, not there (404).

use rusqlite::Connection;

use crate::kit::error::Result;
use crate::kit::principal::Caller;
use crate::patients::scope::Scope;
use crate::scheduling::appointments::model::Appointment;
use crate::scheduling::appointments::store;
use crate::scheduling::setup;
use crate::scheduling::shared::not_found;

/// What a list of appointments must stay within; `None` for all.
#[derive(Clone, Debug, Default)]
pub struct Within {
    /// The caller as a clinician (`clinicians.staff_id`), if they have a staff id.
    pub staff_id: Option<i64>,
    /// Patients the caller may see.
    pub patients: Vec<i64>,
}

pub fn within(conn: &Connection, caller: &Caller) -> Result<Option<Within>> {
    Ok(match Scope::of(conn, caller, store::patients_booked_with)? {
        Scope::All => None,
        Scope::Only(patients) => Some(Within { staff_id: caller.staff_id, patients: patients.into_iter().collect() }),
    })
}

/// The appointment, or 404 when there is none or the caller may not see it.
pub fn visible(conn: &Connection, caller: &Caller, id: i64) -> Result<Appointment> {
    let appointment = store::get_appointment(conn, id)?.ok_or_else(|| not_found("appointment"))?;
    let Some(within) = within(conn, caller)? else { return Ok(appointment) };
    let gives_it = match within.staff_id {
        Some(staff_id) => setup::store::get_clinician(conn, appointment.clinician_id)?
            .is_some_and(|clinician| clinician.staff_id == Some(staff_id)),
        None => false,
    };
    let sees_a_patient = appointment.attendees.iter().any(|a| within.patients.contains(&a.patient_id));
    if gives_it || sees_a_patient { Ok(appointment) } else { Err(not_found("appointment")) }
}
