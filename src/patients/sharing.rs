//! Sharing a patient with a member of staff: how a clinician sees a patient
//! they are not booked with when the clinic limits clinicians to their own.

use crate::App;
use crate::audit::{self, Actor};
use crate::kit::error::{Error, Result};
use crate::kit::principal::Caller;
use crate::patients::scope::{self, PatientShare};
use crate::patients::service::visible;

/// Who the patient is shared with; 404 for a patient the caller cannot see.
pub async fn list(app: &App, caller: &Caller, patient_id: i64) -> Result<Vec<PatientShare>> {
    let (caller, booked_with) = (caller.clone(), app.patients_booked_with);
    app.db
        .read(move |conn| {
            visible(conn, &caller, booked_with, patient_id)?;
            scope::shares_of(conn, patient_id)
        })
        .await
}

/// Shares the patient with `staff_id`, an active member of staff; sharing
/// again changes nothing.
pub async fn share(app: &App, caller: &Caller, patient_id: i64, staff_id: i64) -> Result<PatientShare> {
    let (now, caller, booked_with) = (app.clock.now(), caller.clone(), app.patients_booked_with);
    app.db
        .write(move |tx| {
            visible(tx, &caller, booked_with, patient_id)?;
            let staff = crate::auth::store::staff_by_id(tx, staff_id)?.filter(|s| s.active);
            if staff.is_none() {
                return Err(Error::invalid_field("staff_id", "names no active member of staff"));
            }
            let share = scope::share(tx, patient_id, staff_id, caller.staff_id, now)?;
            let details = serde_json::json!({ "staff_id": staff_id });
            audit::record(tx, now, Actor::from(&caller), "patient.share", "patient", Some(patient_id), Some(details))?;
            Ok(share)
        })
        .await
}

/// Ends a share; 404 when the patient was not shared with `staff_id`.
pub async fn unshare(app: &App, caller: &Caller, patient_id: i64, staff_id: i64) -> Result<()> {
    let (now, caller, booked_with) = (app.clock.now(), caller.clone(), app.patients_booked_with);
    app.db
        .write(move |tx| {
            visible(tx, &caller, booked_with, patient_id)?;
            if !scope::unshare(tx, patient_id, staff_id)? {
                return Err(Error::NotFound { entity: "share" });
            }
            let details = serde_json::json!({ "staff_id": staff_id });
            audit::record(tx, now, Actor::from(&caller), "patient.unshare", "patient", Some(patient_id), Some(details))
        })
        .await
}
