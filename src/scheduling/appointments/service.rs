//! Reading appointments: one, a filtered list, a patient's, and the history.

use crate::App;
use crate::http::pagination::Page;
use crate::kit::error::Result;
use crate::scheduling::appointments::model::{Appointment, HistoryItem};
use crate::scheduling::appointments::store::{self, AppointmentFilter};
use crate::scheduling::shared::not_found;

pub async fn get(app: &App, id: i64) -> Result<Appointment> {
    app.db.read(move |c| store::get_appointment(c, id)).await?.ok_or_else(|| not_found("appointment"))
}

/// One page of the appointments matching `filter`, and how many match.
pub async fn list(app: &App, filter: AppointmentFilter, page: Page) -> Result<(Vec<Appointment>, i64)> {
    app.db.read(move |c| store::list_appointments(c, &filter, page.limit(), page.offset())).await
}

/// A patient's appointments; 404 when there is no such patient.
pub async fn for_patient(app: &App, patient_id: i64, page: Page) -> Result<(Vec<Appointment>, i64)> {
    app.db
        .read(move |c| {
            crate::patients::service::existing(c, patient_id)?;
            let filter = AppointmentFilter { patient_id: Some(patient_id), ..Default::default() };
            store::list_appointments(c, &filter, page.limit(), page.offset())
        })
        .await
}

/// What happened to an appointment, oldest first.
pub async fn history(app: &App, id: i64) -> Result<Vec<HistoryItem>> {
    app.db
        .read(move |c| {
            store::get_appointment(c, id)?.ok_or_else(|| not_found("appointment"))?;
            store::history(c, id)
        })
        .await
}
