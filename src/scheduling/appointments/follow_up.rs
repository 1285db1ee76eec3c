//! What happens after an appointment changes, beyond the schedule itself
//! (a confirmation, reminders, a word to the clinician): handed down as a
//! function so the schedule need not know messages. It runs inside the
//! change's own transaction, so the follow-up commits with the change or
//! not at all.

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use crate::kit::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Booked; `confirm` is false for a series' later occurrences (the first one's confirmation covers them).
    Created {
        confirm: bool,
    },
    Rescheduled,
    Cancelled,
    /// A patient took a seat in a group session.
    Joined(i64),
    /// A patient left a group session.
    Left(i64),
}

#[derive(Clone, Copy, Debug)]
pub struct AppointmentChange {
    pub appointment_id: i64,
    pub change: Change,
    /// The member of staff who made it; none for an integration or the patient.
    pub by_staff: Option<i64>,
    pub at: DateTime<Utc>,
}

pub type FollowUp = fn(&Transaction, &AppointmentChange) -> Result<()>;

/// No follow-up: what a server without messages does.
pub fn nothing(_: &Transaction, _: &AppointmentChange) -> Result<()> {
    Ok(())
}
