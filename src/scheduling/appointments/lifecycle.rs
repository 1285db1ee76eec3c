//! The appointment lifecycle: confirm, check in, complete, cancel, no-show.

use chrono::{DateTime, Duration, Utc};

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::kit::error::{Error, ErrorCode, ErrorDetails, InvalidTransitionDetails, Result};
use crate::kit::principal::Caller;
use crate::kit::text::clean;
use crate::scheduling::appointments::follow_up::{AppointmentChange, Change, FollowUp};
use crate::scheduling::appointments::model::*;
use crate::scheduling::appointments::{scope, store};
use crate::scheduling::setup;
use crate::scheduling::shared::not_found;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Confirm,
    CheckIn,
    Complete,
    Cancel,
    NoShow,
}

impl Transition {
    fn name(self) -> &'static str {
        match self {
            Transition::Confirm => "confirm",
            Transition::CheckIn => "check_in",
            Transition::Complete => "complete",
            Transition::Cancel => "cancel",
            Transition::NoShow => "no_show",
        }
    }

    /// The lifecycle: pending → confirmed → checked_in → completed, or
    /// cancelled / no_show before the visit.
    pub fn apply(self, from: AppointmentStatus) -> Option<AppointmentStatus> {
        use AppointmentStatus::*;
        match (self, from) {
            (Transition::Confirm, Pending) => Some(Confirmed),
            (Transition::CheckIn, Pending | Confirmed) => Some(CheckedIn),
            (Transition::Complete, CheckedIn) => Some(Completed),
            (Transition::Cancel, Pending | Confirmed) => Some(Cancelled),
            (Transition::NoShow, Pending | Confirmed) => Some(NoShow),
            _ => None,
        }
    }
}

pub async fn transition(
    app: &App,
    caller: &Caller,
    id: i64,
    step: Transition,
    reason: Option<String>,
) -> Result<Appointment> {
    transition_scoped(app, caller, id, step, reason, CancelScope::This).await
}

/// A step, applied to this appointment and, for `Following`, to every
/// later live one of its series.
pub async fn transition_scoped(
    app: &App,
    caller: &Caller,
    id: i64,
    step: Transition,
    reason: Option<String>,
    scope: CancelScope,
) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let reason = clean(reason.as_deref());
    if reason.as_deref().is_some_and(|r| r.chars().count() > 500) {
        return Err(Error::invalid_field("reason", "must be at most 500 characters"));
    }
    let follow_up = app.appointment_follow_up;
    app.db
        .write(move |tx| {
            let current = scope::visible(tx, &caller, id)?;
            let by = By { actor: Actor::from(&caller), staff_id: caller.staff_id };
            apply(tx, now, &by, &current, step, reason.as_deref(), scope, follow_up)
        })
        .await
}

/// Who takes a step: what the audit log names, and the staff member if any
/// (a patient cancelling by their link is none).
pub struct By<'a> {
    pub actor: Actor<'a>,
    pub staff_id: Option<i64>,
}

/// Applies a step to `current` (and, for `Following`, to every later live
/// appointment of its series) in the caller's transaction, with its
/// history, audit entry, change record and follow-up (messages, reminders).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    by: &By,
    current: &Appointment,
    step: Transition,
    reason: Option<&str>,
    scope: CancelScope,
    follow_up: FollowUp,
) -> Result<Appointment> {
    let id = current.id;
    let Some(next) = step.apply(current.status) else {
        return Err(Error::Conflict {
            code: ErrorCode::InvalidTransition,
            message: format!("a {} appointment cannot {}", current.status.as_str(), step.name().replace('_', " ")),
            details: Some(ErrorDetails::InvalidTransition(InvalidTransitionDetails {
                action: step.name().into(),
                status: current.status.as_str().into(),
            })),
        });
    };
    check_time(tx, now, step, current.start.with_timezone(&Utc))?;
    let cancel = (next == AppointmentStatus::Cancelled).then_some((reason, by.staff_id));
    let mut targets = vec![(id, current.status)];
    if scope == CancelScope::Following {
        for later in store::following_in_series(tx, id)? {
            if let Some(a) = store::get_appointment(tx, later)? {
                targets.push((later, a.status));
            }
        }
    }
    for (target, from) in targets {
        let to = step.apply(from).unwrap_or(next);
        store::set_status(tx, target, to, cancel, now)?;
        let details = serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason });
        store::record_history(tx, target, now, by.staff_id, step.name(), Some(details))?;
        let action = format!("appointment.{}", step.name());
        audit::record(tx, now, by.actor, &action, "appointment", Some(target), None)?;
        // Live events tell a cancellation from other status changes by this.
        let kind = if to == AppointmentStatus::Cancelled { "cancelled" } else { "status_changed" };
        changes::record_kind(tx, now, "appointment", target, ChangeOp::Update, kind)?;
        if to == AppointmentStatus::Cancelled {
            let change =
                AppointmentChange { appointment_id: target, change: Change::Cancelled, by_staff: by.staff_id, at: now };
            follow_up(tx, &change)?;
        }
    }
    store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))
}

/// The steps that depend on the clock: check-in opens a while before the
/// start (`check_in_opens_minutes`); a visit is completed, or missed, only
/// once it has started.
fn check_time(tx: &rusqlite::Transaction, now: DateTime<Utc>, step: Transition, start: DateTime<Utc>) -> Result<()> {
    let refuse = |code, message: String| Err(Error::Conflict { code, message, details: None });
    match step {
        Transition::CheckIn => {
            let opens = setup::store::booking_settings(tx)?.check_in_opens_minutes;
            if now < start - Duration::minutes(opens) {
                return refuse(ErrorCode::CheckInTooEarly, format!("check-in opens {opens} minutes before the start"));
            }
        }
        Transition::Complete | Transition::NoShow if now < start => {
            let what = if step == Transition::Complete { "completed" } else { "marked a no-show" };
            return refuse(ErrorCode::NotStarted, format!("the appointment has not started, so it cannot be {what}"));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_allows_only_forward_steps() {
        use AppointmentStatus::*;
        assert_eq!(Transition::Confirm.apply(Pending), Some(Confirmed));
        assert_eq!(Transition::CheckIn.apply(Confirmed), Some(CheckedIn));
        assert_eq!(Transition::Complete.apply(CheckedIn), Some(Completed));
        assert_eq!(Transition::Complete.apply(Confirmed), None, "check in first");
        assert_eq!(Transition::Cancel.apply(Completed), None);
        assert_eq!(Transition::Confirm.apply(Cancelled), None);
        assert_eq!(Transition::NoShow.apply(CheckedIn), None, "they came");
    }
}
