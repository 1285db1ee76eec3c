//! Booking and moving appointments, with every rule and the overlap check
//! inside the write transaction.

use chrono::{DateTime, Duration, Utc};

use crate::App;
use crate::db::changes::ChangeOp;
use crate::kit::error::{
    Error, ErrorCode, ErrorDetails, InvalidTransitionDetails, Result, SlotTakenDetails, Validator,
};
use crate::kit::principal::Caller;
use crate::kit::text::clean;
use crate::scheduling::appointments::follow_up::{AppointmentChange, Change};
use crate::scheduling::appointments::model::*;
use crate::scheduling::appointments::{scope, store};
use crate::scheduling::availability::model::ExceptionKind;
use crate::scheduling::setup::model::{Clinician, Modality, Service};
use crate::scheduling::shared::{audit_change, not_found};
use crate::scheduling::slots::compute::{self, Interval};
use crate::scheduling::{availability, setup};

fn video_link(base: &str) -> Result<String> {
    let token = crate::kit::tokens::generate("")?;
    Ok(format!("{}/clinicbox-{}", base.trim_end_matches('/'), &token[..32]))
}

pub async fn book(app: &App, caller: &Caller, input: NewAppointment) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let video_base = app.config.video_base_url.clone();
    let start = input.start.with_timezone(&Utc);
    let follow_up = app.appointment_follow_up;
    let appointment = app
        .db
        .write(move |tx| {
            let mut v = Validator::new();
            let patient =
                crate::patients::service::for_booking(tx, &caller, store::patients_booked_with, input.patient_id);
            let service = setup::store::get_service(tx, input.service_id)?;
            let clinician = setup::store::get_clinician(tx, input.clinician_id)?;
            if let Err(Error::Validation(fields)) = &patient {
                for (field, problem) in fields {
                    v.add(field, problem.clone());
                }
            }
            if service.is_none() {
                v.add("service_id", "names no service");
            }
            if clinician.is_none() {
                v.add("clinician_id", "names no clinician");
            }
            let notes = clean(input.notes.as_deref());
            if notes.as_deref().is_some_and(|n| n.chars().count() > 2000) {
                v.add("notes", "must be at most 2000 characters");
            }
            v.finish()?;
            let patient = patient?;
            let (Some(service), Some(clinician)) = (service, clinician) else {
                return Err(Error::internal("validated records vanished"));
            };
            if !service.active {
                return Err(Error::rule(ErrorCode::ServiceInactive, "this service is no longer offered"));
            }
            // A group service at the time of an existing session: take a seat in it.
            if service.capacity > 1
                && let Some(session) = store::find_session(tx, service.id, clinician.id, start)?
            {
                let seated = super::sessions::take_seat(tx, now, &caller, session, patient.id, false)?;
                follow_up(
                    tx,
                    &AppointmentChange {
                        appointment_id: session,
                        change: Change::Joined(patient.id),
                        by_staff: caller.staff_id,
                        at: now,
                    },
                )?;
                return Ok(seated);
            }
            let bookable = check_bookable(tx, now, &caller, &service, &clinician, start, input.centre_id, None)?;
            let booking = Booking { service: &service, clinician_id: clinician.id, patient_id: patient.id, bookable };
            let id = insert_booking(tx, now, &caller, &booking, notes, None, &video_base)?;
            let change = Change::Created { confirm: true };
            follow_up(tx, &AppointmentChange { appointment_id: id, change, by_staff: caller.staff_id, at: now })?;
            store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))
        })
        .await?;
    Ok(appointment)
}

/// Every rule a booking at `start` must meet, and the overlap check. Run
/// inside the write transaction: all bookings pass through the one
/// writer, so two requests for one time cannot both see it free.
/// Returns the centre, the visit, and the time it blocks (with buffers).
#[allow(clippy::too_many_arguments)]
pub(super) fn check_bookable(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    caller: &Caller,
    service: &Service,
    clinician: &Clinician,
    start: DateTime<Utc>,
    centre_hint: Option<i64>,
    moving: Option<i64>,
) -> Result<Bookable> {
    if !service.clinician_ids.contains(&clinician.id) {
        return Err(Error::rule(ErrorCode::NotOffered, "this clinician does not offer this service"));
    }
    if !clinician.active {
        return Err(Error::rule(ErrorCode::ClinicianInactive, "this clinician is not taking bookings"));
    }
    let shape = crate::scheduling::slots::service::shape_of(service);
    let slot = shape.slot(start);
    let blocked = shape.blocked(start);
    // The booking policy binds patients and integrations; a member of staff
    // signed in (a walk-in, a favour) goes past it, and the history says so.
    // Staff may book the slot in progress (a walk-in at 09:07 into 09:00),
    // never one that is over.
    let binding = caller.staff_id.is_none();
    if (binding && start < now) || slot.end <= now {
        return Err(Error::rule(ErrorCode::TooSoon, "that time has already passed"));
    }
    let settings = setup::store::booking_settings(tx)?;
    let mut policy_crossed = None;
    if start < now + Duration::minutes(settings.min_notice_minutes) {
        if binding {
            return Err(Error::rule(
                ErrorCode::TooSoon,
                format!("bookings need {} minutes' notice", settings.min_notice_minutes),
            ));
        }
        policy_crossed = Some(format!("inside the {}-minute notice", settings.min_notice_minutes));
    }
    if start > now + Duration::days(settings.booking_window_days) {
        if binding {
            return Err(Error::rule(
                ErrorCode::TooFarAhead,
                format!("bookings open {} days ahead", settings.booking_window_days),
            ));
        }
        policy_crossed = Some(format!("beyond the {}-day booking window", settings.booking_window_days));
    }
    // Which centre's availability holds this time.
    let candidates = match centre_hint {
        Some(centre) => vec![centre],
        None => availability::store::rule_centres(tx, clinician.id)?,
    };
    let mut centre_id = None;
    for candidate in candidates {
        let Some(tz) = setup::store::centre_zone(tx, candidate)? else { continue };
        let date = start.with_timezone(&tz).date_naive();
        let rules = availability::store::weekly_rules(tx, clinician.id, candidate)?;
        let mut windows =
            compute::rule_windows(&tz, &rules, date.pred_opt().unwrap_or(date), date.succ_opt().unwrap_or(date));
        windows.extend(availability::store::exceptions(tx, clinician.id, ExceptionKind::Extra, Some(candidate), slot)?);
        if windows.iter().any(|w| w.contains(&slot)) {
            centre_id = Some(candidate);
            break;
        }
    }
    let Some(centre_id) = centre_id else {
        return Err(Error::rule(ErrorCode::OutsideAvailability, "the clinician is not available at that time"));
    };
    if !availability::store::exceptions(tx, clinician.id, ExceptionKind::TimeOff, None, blocked)?.is_empty() {
        return Err(Error::rule(ErrorCode::TimeOff, "the clinician is off at that time"));
    }
    if let Some((other, other_start)) = store::first_conflict(tx, clinician.id, blocked, moving)? {
        return Err(Error::Conflict {
            code: ErrorCode::SlotTaken,
            message: "the clinician is already booked at that time".into(),
            details: Some(ErrorDetails::SlotTaken(SlotTakenDetails { appointment_id: other, start: other_start })),
        });
    }
    Ok(Bookable { centre_id, slot, blocked, policy_crossed })
}

/// A time that passed every rule: where, the visit, the time it blocks
/// (with buffers), and the booking policy a member of staff went past.
pub(super) struct Bookable {
    pub centre_id: i64,
    pub slot: Interval,
    pub blocked: Interval,
    pub policy_crossed: Option<String>,
}

/// Moves an appointment to a new time (and perhaps clinician) under the
/// same rules as a new booking. The old and new times go into its history.
pub async fn reschedule(app: &App, caller: &Caller, id: i64, input: Reschedule) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let start = input.start.with_timezone(&Utc);
    let follow_up = app.appointment_follow_up;
    app.db
        .write(move |tx| {
            let current = scope::visible(tx, &caller, id)?;
            if !matches!(current.status, AppointmentStatus::Pending | AppointmentStatus::Confirmed) {
                return Err(Error::Conflict {
                    code: ErrorCode::InvalidTransition,
                    message: format!("a {} appointment cannot be moved", current.status.as_str()),
                    details: Some(ErrorDetails::InvalidTransition(InvalidTransitionDetails {
                        action: "reschedule".into(),
                        status: current.status.as_str().into(),
                    })),
                });
            }
            let service = setup::store::get_service(tx, current.service_id)?.ok_or_else(|| not_found("service"))?;
            let clinician_id = input.clinician_id.unwrap_or(current.clinician_id);
            let clinician = setup::store::get_clinician(tx, clinician_id)?
                .ok_or_else(|| Error::invalid_field("clinician_id", "names no clinician"))?;
            let Bookable { centre_id, slot, blocked, policy_crossed } =
                check_bookable(tx, now, &caller, &service, &clinician, start, input.centre_id, Some(id))?;
            store::move_appointment(tx, id, clinician.id, centre_id, slot, blocked, now)?;
            let mut details = serde_json::json!({
                "from": { "start": current.start.with_timezone(&Utc), "clinician_id": current.clinician_id, "centre_id": current.centre_id },
                "to": { "start": slot.start, "clinician_id": clinician.id, "centre_id": centre_id },
            });
            if let Some(crossed) = policy_crossed {
                details["policy_overridden"] = crossed.into();
            }
            store::record_history(tx, id, now, caller.staff_id, "rescheduled", Some(details))?;
            audit_change(tx, now, &caller, "appointment.reschedule", "appointment", id, ChangeOp::Update)?;
            let change = Change::Rescheduled;
            follow_up(tx, &AppointmentChange { appointment_id: id, change, by_staff: caller.staff_id, at: now })?;
            store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))
        })
        .await
}

pub(super) struct Booking<'a> {
    pub service: &'a Service,
    pub clinician_id: i64,
    pub patient_id: i64,
    pub bookable: Bookable,
}

/// Writes a checked booking with its attendee, history, audit and change rows.
pub(super) fn insert_booking(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    caller: &Caller,
    b: &Booking,
    notes: Option<String>,
    series_id: Option<i64>,
    video_base: &str,
) -> Result<i64> {
    let video_url = match b.service.modality {
        Modality::Video => Some(video_link(video_base)?),
        Modality::InPerson => None,
    };
    // Booked by reception, the visit is agreed; by an integration, it waits
    // for the clinic to confirm (unless the clinic wants every booking checked).
    let confirmed = caller.staff_id.is_some() && setup::store::booking_settings(tx)?.staff_bookings_confirmed;
    let row = store::NewAppointmentRow {
        series_id,
        service_id: b.service.id,
        clinician_id: b.clinician_id,
        centre_id: b.bookable.centre_id,
        slot: b.bookable.slot,
        blocked: b.bookable.blocked,
        capacity: b.service.capacity,
        notes,
        video_url,
        created_by: caller.staff_id,
        status: if confirmed { AppointmentStatus::Confirmed } else { AppointmentStatus::Pending },
    };
    let id = store::insert_appointment(tx, &row, now)?;
    store::add_attendee(tx, id, b.patient_id, AttendeeStatus::Booked, now)?;
    let mut details = serde_json::Map::new();
    if let Some(series) = series_id {
        details.insert("series_id".into(), series.into());
    }
    if let Some(crossed) = &b.bookable.policy_crossed {
        details.insert("policy_overridden".into(), crossed.clone().into());
    }
    let details = (!details.is_empty()).then_some(serde_json::Value::Object(details));
    store::record_history(tx, id, now, caller.staff_id, "created", details)?;
    audit_change(tx, now, caller, "appointment.create", "appointment", id, ChangeOp::Create)?;
    Ok(id)
}
