//! The patient's own link to an appointment: what it shows, and cancelling
//! by it within the clinic's notice. A cancellation goes through the same
//! lifecycle as one made at the desk (history, audit, messages, the
//! clinician's notification), naming the patient's link as who did it.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;

use crate::App;
use crate::audit::{self, Actor};
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::text::clean;
use crate::portal::links;
use crate::portal::model::{ManagedAppointment, PatientCancel};
use crate::scheduling::appointments::lifecycle::{self, By, Transition};
use crate::scheduling::appointments::model::{Appointment, AppointmentStatus, AttendeeStatus, CancelScope};
use crate::scheduling::appointments::{sessions, store as appointments};
use crate::scheduling::setup::store as setup;

/// A link keeps opening for this long after its appointment ends.
const KEPT_AFTER_END_DAYS: i64 = 30;

fn not_found() -> Error {
    Error::NotFound { entity: "appointment" }
}

/// The appointment and the patient's place in it a token names, while the
/// link is open; 404 for anything else, alike.
fn open(conn: &Connection, app: &App, token: &str, now: DateTime<Utc>) -> Result<(Appointment, i64, AttendeeStatus)> {
    let (appointment_id, patient_id) = links::verify(&app.secret, token).ok_or_else(not_found)?;
    let appointment = appointments::get_appointment(conn, appointment_id)?.ok_or_else(not_found)?;
    let place = appointment.attendees.iter().find(|a| a.patient_id == patient_id).map(|a| a.status);
    let Some(place) = place else { return Err(not_found()) };
    if now > appointment.end.with_timezone(&Utc) + Duration::days(KEPT_AFTER_END_DAYS) {
        return Err(not_found());
    }
    Ok((appointment, patient_id, place))
}

fn cancel_until(conn: &Connection, appointment: &Appointment) -> Result<DateTime<Utc>> {
    let notice = setup::booking_settings(conn)?.cancellation_notice_hours;
    Ok(appointment.start.with_timezone(&Utc) - Duration::hours(notice))
}

fn shown(
    conn: &Connection,
    appointment: &Appointment,
    patient_id: i64,
    place: AttendeeStatus,
    now: DateTime<Utc>,
    region: &str,
) -> Result<ManagedAppointment> {
    let patient = crate::patients::store::get(conn, patient_id)?.ok_or_else(not_found)?;
    let centre = setup::get_centre(conn, appointment.centre_id)?;
    let zone: Tz = centre.as_ref().and_then(|c| c.timezone.parse().ok()).unwrap_or(Tz::UTC);
    let clinic = crate::clinic::store::profile(conn)?;
    let until = cancel_until(conn, appointment)?;
    let live = matches!(appointment.status, AppointmentStatus::Pending | AppointmentStatus::Confirmed);
    let holds_place = matches!(place, AttendeeStatus::Booked | AttendeeStatus::Waitlisted);
    let status = if holds_place { appointment.status } else { AppointmentStatus::Cancelled };
    let centre_name = centre.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let phone = clinic.phone.clone().or(centre.as_ref().and_then(|c| c.phone.clone()));
    Ok(ManagedAppointment {
        patient_first_name: patient.given_name,
        start: appointment.start,
        end: appointment.end,
        timezone: zone.name().to_owned(),
        status,
        service: setup::get_service(conn, appointment.service_id)?.map(|s| s.name).unwrap_or_default(),
        clinician: setup::get_clinician(conn, appointment.clinician_id)?.map(|c| c.display_name).unwrap_or_default(),
        address: centre.as_ref().and_then(|c| c.address.clone()),
        video_url: appointment.video_url.clone(),
        group_session: appointment.capacity > 1,
        can_cancel: live && holds_place && now <= until,
        cancel_until: until.with_timezone(&appointment.start.timezone()),
        clinic_name: if clinic.name.is_empty() { centre_name.clone() } else { clinic.name },
        clinic_phone_display: phone.as_deref().map(|p| crate::kit::phone::display(p, region)),
        clinic_phone: phone,
        centre: centre_name,
    })
}

/// What the link shows. Each opening is recorded as a read of the record.
pub async fn view(app: &App, token: &str, context: RequestContext) -> Result<ManagedAppointment> {
    let now = app.clock.now();
    let (db_app, token, region) = (app.clone(), token.to_owned(), app.phone_region.get());
    let (appointment_id, patient_id, shown) = app
        .db
        .read(move |conn| {
            let (appointment, patient_id, place) = open(conn, &db_app, &token, now)?;
            Ok((appointment.id, patient_id, shown(conn, &appointment, patient_id, place, now, &region)?))
        })
        .await?;
    let actor = audit::service::OwnedActor::anonymous(context);
    let details = serde_json::json!({ "patient_id": patient_id });
    audit::service::record_access(app, actor, "appointment.link_read", "appointment", Some(appointment_id), details)
        .await?;
    Ok(shown)
}

/// Cancels by the link: the whole appointment, or in a group session the
/// patient's place (the first on the waitlist moves up). Asking again
/// after it is done answers the same; past the notice it is `TOO_SOON`.
pub async fn cancel(
    app: &App,
    token: &str,
    input: PatientCancel,
    context: RequestContext,
) -> Result<ManagedAppointment> {
    let now = app.clock.now();
    let reason = clean(input.reason.as_deref());
    let (db_app, token, region) = (app.clone(), token.to_owned(), app.phone_region.get());
    let follow_up = app.appointment_follow_up;
    app.db
        .write(move |tx| {
            let (appointment, patient_id, place) = open(tx, &db_app, &token, now)?;
            let already = appointment.status == AppointmentStatus::Cancelled || place == AttendeeStatus::Left;
            if already {
                return shown(tx, &appointment, patient_id, AttendeeStatus::Left, now, &region);
            }
            let notice = setup::booking_settings(tx)?.cancellation_notice_hours;
            if now > cancel_until(tx, &appointment)? {
                return Err(Error::rule(
                    ErrorCode::TooSoon,
                    format!("cancelling online closes {notice} hours before the start; please call the clinic"),
                ));
            }
            let who = format!("patient-link:{patient_id}");
            let by = By {
                actor: Actor { id: None, email: Some(&who), api_key_id: None, context: &context },
                staff_id: None,
            };
            let after = if appointment.capacity > 1 {
                sessions::leave(tx, now, &by, appointment.id, patient_id, follow_up)?
            } else {
                let reason = reason.as_deref().or(Some("cancelled by the patient online"));
                lifecycle::apply(tx, now, &by, &appointment, Transition::Cancel, reason, CancelScope::This, follow_up)?
            };
            shown(tx, &after, patient_id, AttendeeStatus::Left, now, &region)
        })
        .await
}
