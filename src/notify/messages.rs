//! Writing and sending patients' messages: the built-in wording of each
//! event with its named placeholders, the channels a patient agreed to, and
//! the two jobs (write an event's messages, then send each one) that the
//! worker runs.

use std::collections::BTreeMap;

use chrono::Utc;
use chrono_tz::Tz;
use rusqlite::Transaction;

use crate::App;
use crate::jobs::{self, Job, NewJob};
use crate::kit::error::{Error, Result};
use crate::notify::channels;
use crate::notify::model::{Channel, MessageStatus};
use crate::notify::store::{self, NewMessage, NewNotification};
use crate::notify::templates::{self, render};
use crate::scheduling::appointments::model::{AppointmentStatus, AttendeeStatus};
use crate::scheduling::appointments::store as appointments;
use crate::scheduling::setup::store as setup;

/// The job that sends one outbound message.
pub const SEND_JOB: &str = "message.send";

/// Which channels can reach this patient: those they agreed to, that this
/// server can send on, for which the record has an address.
fn reachable(app: &App, patient: &crate::patients::model::Patient) -> Vec<(Channel, String)> {
    let prefs = patient.contact_preferences;
    let mut out = Vec::new();
    if prefs.email
        && app.config.smtp_url.is_some()
        && let Some(email) = &patient.email
    {
        out.push((Channel::Email, email.clone()));
    }
    let texts = app.config.sms_webhook_url.is_some() || app.config.twilio.is_some();
    if texts && let Some(phone) = &patient.phone {
        if prefs.sms {
            out.push((Channel::Sms, phone.clone()));
        }
        if prefs.whatsapp {
            out.push((Channel::Whatsapp, phone.clone()));
        }
    }
    out
}

/// Writes one event's messages to one patient (and a send job for each),
/// in one transaction. A reminder for a visit that is no longer on, or
/// that the patient left, writes nothing.
pub fn write_messages(app: App, job: Job) -> std::pin::Pin<Box<dyn Future<Output = Result<()>> + Send>> {
    Box::pin(async move {
        let app2 = app.clone();
        app.db
            .write(move |tx| {
                let event = job.payload["event"].as_str().unwrap_or("reminder").to_owned();
                let (Some(appointment_id), Some(patient_id)) =
                    (job.payload["appointment_id"].as_i64(), job.payload["patient_id"].as_i64())
                else {
                    return Err(Error::internal("a message job without its appointment or patient"));
                };
                let Some(a) = appointments::get_appointment(tx, appointment_id)? else { return Ok(()) };
                let attending =
                    a.attendees.iter().any(|t| t.patient_id == patient_id && t.status == AttendeeStatus::Booked);
                let live = matches!(a.status, AppointmentStatus::Pending | AppointmentStatus::Confirmed);
                let now = app2.clock.now();
                if event == "reminder" && (!attending || !live || a.start.with_timezone(&Utc) <= now) {
                    return Ok(());
                }
                let Some(patient) = crate::patients::store::get(tx, patient_id)? else { return Ok(()) };
                let mut values = placeholders(tx, &a, &patient)?;
                let link = crate::portal::links::url(&app2.secret, app2.config.public_url.as_deref(), a.id, patient_id);
                values.insert("manage_url", link.unwrap_or_default());
                let wording = templates::wording(tx, &event, patient.preferred_language.as_deref())?;
                let (subject, email_body, text_body) = (&wording.subject, &wording.email_body, &wording.text_body);
                for (channel, recipient) in reachable(&app2, &patient) {
                    let body = render(if channel == Channel::Email { email_body } else { text_body }, &values);
                    let subject = (channel == Channel::Email).then(|| render(subject, &values));
                    let message = NewMessage {
                        patient_id: Some(patient_id),
                        appointment_id: Some(appointment_id),
                        channel,
                        template: &event,
                        recipient: &recipient,
                        subject: subject.as_deref(),
                        body: body.trim_end(),
                    };
                    let id = store::insert_message(tx, &message, now)?;
                    enqueue_send(tx, id, Some(appointment_id), now)?;
                }
                Ok(())
            })
            .await
    })
}

pub fn enqueue_send(
    tx: &Transaction,
    message_id: i64,
    appointment_id: Option<i64>,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    let job = NewJob {
        kind: SEND_JOB,
        payload: serde_json::json!({ "message_id": message_id }),
        due_at: now,
        dedupe_key: Some(format!("send:{message_id}")),
        appointment_id,
    };
    jobs::store::enqueue(tx, &job, now)
}

fn placeholders(
    tx: &Transaction,
    a: &crate::scheduling::appointments::model::Appointment,
    patient: &crate::patients::model::Patient,
) -> Result<BTreeMap<&'static str, String>> {
    let clinic = crate::clinic::store::profile(tx)?;
    let centre = setup::get_centre(tx, a.centre_id)?;
    let zone: Tz = centre.as_ref().and_then(|c| c.timezone.parse().ok()).unwrap_or(Tz::UTC);
    let service = setup::get_service(tx, a.service_id)?.map(|s| s.name).unwrap_or_default();
    let clinician = setup::get_clinician(tx, a.clinician_id)?.map(|c| c.display_name).unwrap_or_default();
    let centre_name = centre.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let location = match (&a.video_url, &centre) {
        (Some(url), _) => format!("Join the video visit: {url}"),
        (None, Some(c)) => match &c.address {
            Some(address) => format!("At {}, {address}.", c.name),
            None => format!("At {}.", c.name),
        },
        (None, None) => String::new(),
    };
    let local = a.start.with_timezone(&zone);
    let clinic_name = if clinic.name.is_empty() { centre_name.clone() } else { clinic.name.clone() };
    let clinic_phone = clinic.phone.clone().or(centre.as_ref().and_then(|c| c.phone.clone())).unwrap_or_default();
    Ok(BTreeMap::from([
        ("patient_first_name", patient.given_name.clone()),
        ("patient_name", format!("{} {}", patient.given_name, patient.family_name)),
        ("start_local", local.format("%A %-d %B %Y at %H:%M").to_string()),
        // Without English day and month names, for wording in other languages.
        ("start_date", local.format("%Y-%m-%d").to_string()),
        ("start_time", local.format("%H:%M").to_string()),
        ("clinician", clinician),
        ("service", service),
        ("centre", centre_name),
        ("location", location),
        ("video_url", a.video_url.clone().unwrap_or_default()),
        ("clinic_name", clinic_name),
        ("clinic_phone", clinic_phone),
    ]))
}

/// Sends one message. A failure is retried by the worker; after the last
/// try the message is dead and the front desk and managers are told.
pub fn send_message(app: App, job: Job) -> std::pin::Pin<Box<dyn Future<Output = Result<()>> + Send>> {
    Box::pin(async move {
        let id = job.payload["message_id"].as_i64().ok_or_else(|| Error::internal("a send job without its message"))?;
        let Some(message) = app.db.read(move |conn| store::message(conn, id)).await? else { return Ok(()) };
        if message.status == MessageStatus::Sent {
            return Ok(());
        }
        let outcome = channels::deliver(&app, &message).await;
        let now = app.clock.now();
        let last = job.is_last_attempt();
        let error = outcome.as_ref().err().cloned();
        let what = format!("{} to {}", message.channel.as_str(), message.recipient);
        app.db
            .write(move |tx| {
                let status = match (&error, last) {
                    (None, _) => MessageStatus::Sent,
                    (Some(_), false) => MessageStatus::Failed,
                    (Some(_), true) => MessageStatus::Dead,
                };
                store::record_attempt(tx, id, status, error.as_deref(), now)?;
                if status == MessageStatus::Dead {
                    tell_desk_of_failure(tx, &message, now)?;
                }
                Ok(())
            })
            .await?;
        outcome.map_err(|reason| Error::internal(format!("{what} not delivered: {reason}")))
    })
}

fn tell_desk_of_failure(
    tx: &Transaction,
    message: &crate::notify::model::OutboundMessage,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    let title = format!("A {} to {} could not be delivered", message.channel.as_str(), message.recipient);
    let body = format!(
        "The {} message failed after {} tries: {}",
        message.template,
        message.attempts + 1,
        message.last_error.as_deref().unwrap_or("no answer")
    );
    let link = message.patient_id.map(|p| format!("/patients/{p}"));
    for staff_id in store::staff_with_roles(tx, &["manager", "front_desk"])? {
        let n = NewNotification { staff_id, kind: "message.failed", title: &title, body: &body, link: link.as_deref() };
        store::notify(tx, &n, now)?;
    }
    Ok(())
}
