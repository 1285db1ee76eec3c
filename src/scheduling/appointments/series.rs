//! Weekly series of appointments.

use chrono::{Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::App;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::text::clean;
use crate::scheduling::appointments::booking::{Booking, check_bookable, insert_booking};
use crate::scheduling::appointments::follow_up::{AppointmentChange, Change};
use crate::scheduling::appointments::model::*;
use crate::scheduling::appointments::store;
use crate::scheduling::setup;
use crate::scheduling::slots::compute;

const MAX_OCCURRENCES: i64 = 52;

/// Books a weekly series. Each occurrence keeps the first one's local wall
/// time at its centre, across daylight-saving changes. Occurrences that
/// break a rule or clash are skipped and reported; if none can be booked,
/// the first one's error is the answer and nothing is written.
pub async fn book_series(app: &App, caller: &Caller, input: NewSeries) -> Result<SeriesResult> {
    let mut v = Validator::new();
    let r = &input.recurrence;
    if !(1..=4).contains(&r.interval) {
        v.add("recurrence.interval", "must be between 1 and 4 weeks");
    }
    match (r.count, r.until) {
        (Some(_), Some(_)) | (None, None) => v.add("recurrence", "give either count or until"),
        (Some(count), None) if !(1..=MAX_OCCURRENCES).contains(&count) => {
            v.add("recurrence.count", format!("must be between 1 and {MAX_OCCURRENCES}"))
        }
        _ => {}
    }
    v.finish()?;
    let (now, caller, video_base) = (app.clock.now(), caller.clone(), app.config.video_base_url.clone());
    let follow_up = app.appointment_follow_up;
    let first_start = input.start.with_timezone(&Utc);
    app.db
        .write(move |tx| {
            let patient =
                crate::patients::service::for_booking(tx, &caller, store::patients_booked_with, input.patient_id)?;
            let service = setup::store::get_service(tx, input.service_id)?
                .filter(|s| s.active)
                .ok_or_else(|| Error::invalid_field("service_id", "names no active service"))?;
            let clinician = setup::store::get_clinician(tx, input.clinician_id)?
                .ok_or_else(|| Error::invalid_field("clinician_id", "names no clinician"))?;
            // The first occurrence fixes the centre, and so the local time to keep.
            let centre_id =
                check_bookable(tx, now, &caller, &service, &clinician, first_start, input.centre_id, None)?.centre_id;
            let tz = setup::store::centre_zone(tx, centre_id)?.unwrap_or(Tz::UTC);
            let local_first = first_start.with_timezone(&tz);
            let minute = local_first.time().signed_duration_since(NaiveTime::MIN).num_minutes() as u32;
            let series_id = store::insert_series(
                tx,
                input.recurrence.interval,
                input.recurrence.count,
                input.recurrence.until,
                now,
            )?;
            let notes = clean(input.notes.as_deref());
            let mut occurrences = Vec::new();
            let mut booked = 0;
            for k in 0..MAX_OCCURRENCES {
                if input.recurrence.count.is_some_and(|count| k >= count) {
                    break;
                }
                let date = local_first.date_naive() + Duration::weeks(k * input.recurrence.interval);
                if input.recurrence.until.is_some_and(|until| date > until) {
                    break;
                }
                let Some(start) = compute::resolve_start(&tz, date, minute) else {
                    let start = local_first.fixed_offset() + Duration::weeks(k * input.recurrence.interval);
                    occurrences.push(Occurrence {
                        start,
                        status: OccurrenceStatus::Skipped,
                        appointment_id: None,
                        code: Some(ErrorCode::NonexistentLocalTime),
                        message: Some("that local time does not exist on this date (clocks go forward)".into()),
                    });
                    continue;
                };
                let local = start.with_timezone(&tz).fixed_offset();
                match check_bookable(tx, now, &caller, &service, &clinician, start, Some(centre_id), None) {
                    Ok(bookable) => {
                        let booking =
                            Booking { service: &service, clinician_id: clinician.id, patient_id: patient.id, bookable };
                        let id =
                            insert_booking(tx, now, &caller, &booking, notes.clone(), Some(series_id), &video_base)?;
                        // One confirmation for the series, with its first visit.
                        let change = Change::Created { confirm: booked == 0 };
                        follow_up(
                            tx,
                            &AppointmentChange { appointment_id: id, change, by_staff: caller.staff_id, at: now },
                        )?;
                        booked += 1;
                        occurrences.push(Occurrence {
                            start: local,
                            status: OccurrenceStatus::Booked,
                            appointment_id: Some(id),
                            code: None,
                            message: None,
                        });
                    }
                    Err(err @ (Error::Rule { .. } | Error::Conflict { .. })) => {
                        if booked == 0 && k == 0 {
                            return Err(err);
                        }
                        occurrences.push(Occurrence {
                            start: local,
                            status: OccurrenceStatus::Skipped,
                            appointment_id: None,
                            code: Some(err.code()),
                            message: Some(err.public_message()),
                        });
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(SeriesResult { series_id, occurrences })
        })
        .await
}
