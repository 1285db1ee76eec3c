//! Group sessions: seats, the waitlist and its promotions.

use chrono::{DateTime, Utc};

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::kit::error::{Error, ErrorCode, ErrorDetails, InvalidTransitionDetails, Result, SessionFullDetails};
use crate::kit::principal::Caller;
use crate::scheduling::appointments::follow_up::{AppointmentChange, Change, FollowUp};
use crate::scheduling::appointments::lifecycle::By;
use crate::scheduling::appointments::model::*;
use crate::scheduling::appointments::{scope, store};
use crate::scheduling::shared::{audit_change, not_found};

/// Seats a patient in a group session, or puts them on its waitlist.
pub(super) fn take_seat(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    caller: &Caller,
    appointment_id: i64,
    patient_id: i64,
    waitlist: bool,
) -> Result<Appointment> {
    let session = store::get_appointment(tx, appointment_id)?.ok_or_else(|| not_found("appointment"))?;
    if session.capacity <= 1 {
        return Err(Error::rule(ErrorCode::NotAGroupSession, "only group sessions take more attendees"));
    }
    if !matches!(session.status, AppointmentStatus::Pending | AppointmentStatus::Confirmed) {
        return Err(Error::Conflict {
            code: ErrorCode::InvalidTransition,
            message: format!("a {} session takes no one", session.status.as_str()),
            details: Some(ErrorDetails::InvalidTransition(InvalidTransitionDetails {
                action: "join".into(),
                status: session.status.as_str().into(),
            })),
        });
    }
    if let Some(AttendeeStatus::Booked | AttendeeStatus::Waitlisted) =
        store::attendee_status(tx, appointment_id, patient_id)?
    {
        return Err(Error::conflict(ErrorCode::AlreadyBooked, "the patient is already in this session"));
    }
    let seated = store::booked_count(tx, appointment_id)? < session.capacity;
    let status = match (seated, waitlist) {
        (true, _) => AttendeeStatus::Booked,
        (false, true) => AttendeeStatus::Waitlisted,
        (false, false) => {
            return Err(Error::Conflict {
                code: ErrorCode::Full,
                message: "the session is full; join its waitlist instead".into(),
                details: Some(ErrorDetails::SessionFull(SessionFullDetails {
                    appointment_id,
                    capacity: session.capacity,
                })),
            });
        }
    };
    store::set_attendee(tx, appointment_id, patient_id, status, now)?;
    let details = serde_json::json!({ "patient_id": patient_id, "status": status.as_str() });
    store::record_history(tx, appointment_id, now, caller.staff_id, "attendee_joined", Some(details))?;
    audit_change(tx, now, caller, "appointment.attendee_join", "appointment", appointment_id, ChangeOp::Update)?;
    store::get_appointment(tx, appointment_id)?.ok_or_else(|| not_found("appointment"))
}

pub async fn join_session(app: &App, caller: &Caller, appointment_id: i64, input: JoinSession) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let follow_up = app.appointment_follow_up;
    app.db
        .write(move |tx| {
            scope::visible(tx, &caller, appointment_id)?;
            let patient =
                crate::patients::service::for_booking(tx, &caller, store::patients_booked_with, input.patient_id)?;
            let session = take_seat(tx, now, &caller, appointment_id, patient.id, input.waitlist)?;
            if store::attendee_status(tx, appointment_id, patient.id)? == Some(AttendeeStatus::Booked) {
                let change = Change::Joined(patient.id);
                follow_up(tx, &AppointmentChange { appointment_id, change, by_staff: caller.staff_id, at: now })?;
            }
            Ok(session)
        })
        .await
}

/// Takes a patient out of a session. A freed seat goes to the first
/// patient on the waitlist, and that is recorded like any other change.
pub async fn leave_session(app: &App, caller: &Caller, appointment_id: i64, patient_id: i64) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let follow_up = app.appointment_follow_up;
    app.db
        .write(move |tx| {
            scope::visible(tx, &caller, appointment_id)?;
            let by = By { actor: Actor::from(&caller), staff_id: caller.staff_id };
            leave(tx, now, &by, appointment_id, patient_id, follow_up)
        })
        .await
}

/// `leave_session` in the caller's transaction, by staff or by the patient's own link.
pub fn leave(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    by: &By,
    appointment_id: i64,
    patient_id: i64,
    follow_up: FollowUp,
) -> Result<Appointment> {
    let status = store::attendee_status(tx, appointment_id, patient_id)?;
    let was_booked = match status {
        Some(AttendeeStatus::Booked) => true,
        Some(AttendeeStatus::Waitlisted) => false,
        _ => return Err(not_found("attendee")),
    };
    store::set_attendee(tx, appointment_id, patient_id, AttendeeStatus::Left, now)?;
    let details = serde_json::json!({ "patient_id": patient_id });
    store::record_history(tx, appointment_id, now, by.staff_id, "attendee_left", Some(details))?;
    audit::record(tx, now, by.actor, "appointment.attendee_leave", "appointment", Some(appointment_id), None)?;
    changes::record(tx, now, "appointment", appointment_id, ChangeOp::Update)?;
    let by_staff = by.staff_id;
    follow_up(tx, &AppointmentChange { appointment_id, change: Change::Left(patient_id), by_staff, at: now })?;
    if was_booked && let Some(next) = store::first_waitlisted(tx, appointment_id)? {
        store::set_attendee(tx, appointment_id, next, AttendeeStatus::Booked, now)?;
        follow_up(tx, &AppointmentChange { appointment_id, change: Change::Joined(next), by_staff, at: now })?;
        let details = serde_json::json!({ "patient_id": next });
        store::record_history(tx, appointment_id, now, None, "waitlist_promoted", Some(details))?;
        changes::record(tx, now, "appointment", appointment_id, ChangeOp::Update)?;
    }
    store::get_appointment(tx, appointment_id)?.ok_or_else(|| not_found("appointment"))
}
