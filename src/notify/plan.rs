//! What an appointment's change sets going, inside its transaction: the
//! patient's confirmation, reschedule or cancellation message, reminders at
//! the clinic's leads (moved or cancelled with the appointment), and a word
//! in the app to the clinician when someone else made the change.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::Transaction;

use crate::jobs::{self, NewJob};
use crate::kit::error::Result;
use crate::notify::store::{self, NewNotification};
use crate::scheduling::appointments::follow_up::{AppointmentChange, Change};
use crate::scheduling::appointments::model::{Appointment, AttendeeStatus};
use crate::scheduling::appointments::store as appointments;
use crate::scheduling::setup::store as setup;

/// The job that writes and sends one event's messages to one patient.
pub const MESSAGE_JOB: &str = "appointment.message";
/// A reminder waits as its own job kind, so moving the appointment finds it.
pub const REMINDER_JOB: &str = "appointment.reminder";

fn message_job(
    tx: &Transaction,
    a: &Appointment,
    patient: i64,
    event: &str,
    key: String,
    at: DateTime<Utc>,
) -> Result<()> {
    let payload = serde_json::json!({ "event": event, "appointment_id": a.id, "patient_id": patient });
    let job = NewJob { kind: MESSAGE_JOB, payload, due_at: at, dedupe_key: Some(key), appointment_id: Some(a.id) };
    jobs::store::enqueue(tx, &job, at)
}

/// When each reminder goes for a visit at `start`: `lead` hours before,
/// out of the quiet hours (at their end if that is still before the visit,
/// else just before they begin). A lead already past is skipped, but the
/// shortest lead then goes at once, so a late booking still gets one.
pub fn reminder_times(
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    leads: &[i64],
    quiet: Option<(NaiveTime, NaiveTime)>,
    zone: Tz,
) -> Vec<(i64, DateTime<Utc>)> {
    let shortest = leads.iter().copied().min();
    let mut times = Vec::new();
    if start <= now {
        return times;
    }
    for &lead in leads {
        let mut due = start - Duration::hours(lead);
        if due < now {
            if Some(lead) != shortest {
                continue;
            }
            due = now;
        }
        if let Some((quiet_start, quiet_end)) = quiet {
            due = out_of_quiet(due, start, now, quiet_start, quiet_end, zone);
        }
        times.push((lead, due));
    }
    times
}

fn in_quiet(t: NaiveTime, start: NaiveTime, end: NaiveTime) -> bool {
    if start <= end { t >= start && t < end } else { t >= start || t < end }
}

fn out_of_quiet(
    due: DateTime<Utc>,
    visit: DateTime<Utc>,
    now: DateTime<Utc>,
    quiet_start: NaiveTime,
    quiet_end: NaiveTime,
    zone: Tz,
) -> DateTime<Utc> {
    let local = due.with_timezone(&zone);
    if !in_quiet(local.time(), quiet_start, quiet_end) {
        return due;
    }
    // The quiet spell's end: today's, or tomorrow's if it ends after midnight.
    let mut end_day = local.date_naive();
    if quiet_end <= local.time() {
        end_day = end_day.succ_opt().unwrap_or(end_day);
    }
    let end = zone.from_local_datetime(&end_day.and_time(quiet_end)).earliest().map(|t| t.with_timezone(&Utc));
    if let Some(end) = end.filter(|end| *end < visit) {
        return end;
    }
    // Too late after the quiet spell: the minute before it began.
    let mut start_day = local.date_naive();
    if quiet_start > local.time() {
        start_day = start_day.pred_opt().unwrap_or(start_day);
    }
    let began = zone.from_local_datetime(&start_day.and_time(quiet_start)).earliest().map(|t| t.with_timezone(&Utc));
    began.map(|t| t - Duration::minutes(1)).filter(|t| *t >= now).unwrap_or(now)
}

fn plan_reminders(tx: &Transaction, a: &Appointment, patient: i64, now: DateTime<Utc>) -> Result<()> {
    let settings = store::reminder_settings(tx)?;
    let zone = setup::centre_zone(tx, a.centre_id)?.unwrap_or(Tz::UTC);
    let start = a.start.with_timezone(&Utc);
    for (lead, due) in reminder_times(start, now, &settings.hours_before, settings.quiet_times(), zone) {
        let payload = serde_json::json!({ "event": "reminder", "appointment_id": a.id, "patient_id": patient, "lead_hours": lead });
        let key = format!("reminder:{}:{patient}:{lead}:{}", a.id, start.timestamp());
        let job =
            NewJob { kind: REMINDER_JOB, payload, due_at: due, dedupe_key: Some(key), appointment_id: Some(a.id) };
        jobs::store::enqueue(tx, &job, now)?;
    }
    Ok(())
}

fn booked(a: &Appointment) -> Vec<i64> {
    a.attendees.iter().filter(|t| t.status == AttendeeStatus::Booked).map(|t| t.patient_id).collect()
}

/// The follow-up the schedule runs in each appointment change's transaction.
pub fn follow_up(tx: &Transaction, change: &AppointmentChange) -> Result<()> {
    let Some(a) = appointments::get_appointment(tx, change.appointment_id)? else { return Ok(()) };
    let now = change.at;
    let start = a.start.with_timezone(&Utc).timestamp();
    match change.change {
        Change::Created { confirm } => {
            for patient in booked(&a) {
                if confirm {
                    message_job(tx, &a, patient, "confirmation", format!("confirmation:{}:{patient}", a.id), now)?;
                }
                plan_reminders(tx, &a, patient, now)?;
            }
        }
        Change::Joined(patient) => {
            message_job(
                tx,
                &a,
                patient,
                "confirmation",
                format!("confirmation:{}:{patient}:{}", a.id, now.timestamp_millis()),
                now,
            )?;
            plan_reminders(tx, &a, patient, now)?;
        }
        Change::Rescheduled => {
            jobs::store::cancel_for_appointment(tx, a.id, REMINDER_JOB, now)?;
            for patient in booked(&a) {
                message_job(tx, &a, patient, "reschedule", format!("reschedule:{}:{patient}:{start}", a.id), now)?;
                plan_reminders(tx, &a, patient, now)?;
            }
        }
        Change::Cancelled => {
            jobs::store::cancel_for_appointment(tx, a.id, REMINDER_JOB, now)?;
            for patient in booked(&a) {
                message_job(tx, &a, patient, "cancellation", format!("cancellation:{}:{patient}", a.id), now)?;
            }
        }
        Change::Left(patient) => {
            // The others keep theirs: cancel all, then plan again for those still in.
            jobs::store::cancel_for_appointment(tx, a.id, REMINDER_JOB, now)?;
            for other in booked(&a).into_iter().filter(|p| *p != patient) {
                plan_reminders(tx, &a, other, now)?;
            }
        }
    }
    tell_clinician(tx, &a, change)
}

/// The clinician hears of a booking, a move or a cancellation someone else made.
fn tell_clinician(tx: &Transaction, a: &Appointment, change: &AppointmentChange) -> Result<()> {
    let Some(clinician) = setup::get_clinician(tx, a.clinician_id)? else { return Ok(()) };
    let Some(staff_id) = clinician.staff_id else { return Ok(()) };
    if change.by_staff == Some(staff_id) {
        return Ok(());
    }
    let (kind, what) = match change.change {
        Change::Created { confirm: false } | Change::Left(_) => return Ok(()),
        Change::Created { .. } | Change::Joined(_) => ("appointment.created", "New booking"),
        Change::Rescheduled => ("appointment.rescheduled", "Appointment moved"),
        Change::Cancelled => ("appointment.cancelled", "Appointment cancelled"),
    };
    let zone = setup::centre_zone(tx, a.centre_id)?.unwrap_or(Tz::UTC);
    let local = a.start.with_timezone(&zone);
    let names: Vec<&str> =
        a.attendees.iter().filter(|t| t.status == AttendeeStatus::Booked).map(|t| t.name.as_str()).collect();
    let title = format!("{what}: {}", names.join(", "));
    let body = local.format("%a %-d %b %Y, %H:%M").to_string();
    let link = format!("/calendar?date={}&centre={}", local.format("%Y-%m-%d"), a.centre_id);
    let notification = NewNotification { staff_id, kind, title: &title, body: &body, link: Some(&link) };
    store::notify(tx, &notification, change.at)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn hm(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap()
    }

    #[test]
    fn each_lead_before_the_visit_and_only_the_shortest_once_late() {
        let visit = utc("2026-06-10T14:00:00Z");
        let times = reminder_times(visit, utc("2026-06-01T09:00:00Z"), &[24, 2], None, Tz::UTC);
        assert_eq!(times, [(24, utc("2026-06-09T14:00:00Z")), (2, utc("2026-06-10T12:00:00Z"))]);
        // Booked an hour ahead: no 24-hour reminder, the 2-hour one at once.
        let now = utc("2026-06-10T13:00:00Z");
        assert_eq!(reminder_times(visit, now, &[24, 2], None, Tz::UTC), [(2, now)]);
        assert!(reminder_times(visit, visit, &[24, 2], None, Tz::UTC).is_empty(), "a visit under way gets none");
    }

    #[test]
    fn a_reminder_in_quiet_hours_waits_for_their_end_or_goes_before_them() {
        let quiet = Some((hm("21:00"), hm("08:00")));
        let london = chrono_tz::Europe::London;
        let now = utc("2026-06-01T09:00:00Z");
        // 09:30 London (08:30 UTC): 2 h before is 07:30, quiet: it goes at 08:00 London.
        let times = reminder_times(utc("2026-06-10T08:30:00Z"), now, &[2], quiet, london);
        assert_eq!(times, [(2, utc("2026-06-10T07:00:00Z"))]);
        // 08:00 London: the quiet spell ends too late, so 20:59 the evening before.
        let times = reminder_times(utc("2026-06-10T07:00:00Z"), now, &[2], quiet, london);
        assert_eq!(times, [(2, utc("2026-06-09T19:59:00Z"))]);
        // 23:00 UTC is midnight London: 24 h before is quiet too, and waits for 08:00.
        let times = reminder_times(utc("2026-06-10T23:00:00Z"), now, &[24], quiet, london);
        assert_eq!(times, [(24, utc("2026-06-10T07:00:00Z"))]);
        // Outside quiet hours nothing moves.
        let times = reminder_times(utc("2026-06-10T13:00:00Z"), now, &[2], quiet, london);
        assert_eq!(times, [(2, utc("2026-06-10T11:00:00Z"))]);
    }
}
