//! Reading appointments: one, a filtered list, a patient's, and the history.

use crate::App;
use crate::http::pagination::Page;
use chrono::NaiveDate;

use crate::kit::error::{Error, Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::time::check_range;
use crate::scheduling::appointments::model::{Appointment, HistoryItem};
use crate::scheduling::appointments::scope;
use crate::scheduling::appointments::store::{self, AppointmentFilter};
use crate::scheduling::setup;
use crate::scheduling::slots::compute;

pub async fn get(app: &App, caller: &Caller, id: i64) -> Result<Appointment> {
    let caller = caller.clone();
    app.db.read(move |c| scope::visible(c, &caller, id)).await
}

/// One page of the appointments matching `filter`, and how many match.
/// With `date`, the ones starting on that local day at `filter.centre_id`
/// (which it needs), instead of `from`/`to`.
pub async fn list(
    app: &App,
    caller: &Caller,
    mut filter: AppointmentFilter,
    date: Option<NaiveDate>,
    page: Page,
) -> Result<(Vec<Appointment>, i64)> {
    let mut v = Validator::new();
    check_range(&mut v, "date", &date);
    check_range(&mut v, "from", &filter.from);
    check_range(&mut v, "to", &filter.to);
    v.finish()?;
    let (caller, counts) = (caller.clone(), app.counts.clone());
    app.db
        .read(move |c| {
            filter.within = scope::within(c, &caller)?;
            if let Some(date) = date {
                let mut v = Validator::new();
                if filter.from.is_some() || filter.to.is_some() {
                    v.add("date", "give either date or from and to, not both");
                }
                if filter.centre_id.is_none() {
                    v.add("centre_id", "is required with date: the day is the centre's local day");
                }
                v.finish()?;
                if let Some(centre_id) = filter.centre_id {
                    let zone = setup::store::centre_zone(c, centre_id)?
                        .ok_or_else(|| Error::invalid_field("centre_id", "names no centre"))?;
                    let day = compute::local_day(&zone, date)
                        .ok_or_else(|| Error::invalid_field("date", "is out of range"))?;
                    (filter.from, filter.to) = (Some(day.start), Some(day.end));
                }
            }
            store::list_appointments(c, &filter, page.limit(), page.offset(), &counts)
        })
        .await
}

/// A patient's appointments; 404 when there is no such patient.
/// The read is audited: it is part of the patient's record.
pub async fn for_patient(app: &App, caller: &Caller, patient_id: i64, page: Page) -> Result<(Vec<Appointment>, i64)> {
    let (scoped_caller, counts) = (caller.clone(), app.counts.clone());
    let (rows, total) = app
        .db
        .read(move |c| {
            crate::patients::service::visible(c, &scoped_caller, store::patients_booked_with, patient_id)?;
            let filter = AppointmentFilter { patient_id: Some(patient_id), ..Default::default() };
            store::list_appointments(c, &filter, page.limit(), page.offset(), &counts)
        })
        .await?;
    let details = serde_json::json!({ "page": page.page, "ids": rows.iter().map(|a| a.id).collect::<Vec<_>>() });
    let actor = crate::audit::service::OwnedActor::from(caller);
    crate::audit::service::record_access(app, actor, "patient.appointments_read", "patient", Some(patient_id), details)
        .await?;
    Ok((rows, total))
}

/// What happened to an appointment, oldest first.
pub async fn history(app: &App, caller: &Caller, id: i64) -> Result<Vec<HistoryItem>> {
    let caller = caller.clone();
    app.db
        .read(move |c| {
            scope::visible(c, &caller, id)?;
            store::history(c, id)
        })
        .await
}
