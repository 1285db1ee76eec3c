//! Rules for weekly availability, time off and extra hours.

use chrono::{Duration, NaiveDate, NaiveTime, Utc};

use crate::App;
use crate::db::changes::ChangeOp;
use crate::kit::error::{Error, Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::text::clean;
use crate::scheduling::availability::model::*;
use crate::scheduling::availability::store::{self, RuleRow};
use crate::scheduling::setup;
use crate::scheduling::shared::{audit_change, not_found};
use crate::scheduling::slots::compute::Interval;

/// `HH:MM` as minutes after midnight; `24:00` only as an end.
fn parse_clock(text: &str, allow_midnight_end: bool) -> Option<u32> {
    if allow_midnight_end && text == "24:00" {
        return Some(1440);
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M").ok()?;
    Some(time.signed_duration_since(NaiveTime::MIN).num_minutes() as u32)
}

pub async fn replace_availability(
    app: &App,
    caller: &Caller,
    clinician_id: i64,
    rules: Vec<AvailabilityRule>,
) -> Result<Vec<AvailabilityRule>> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let clinician = setup::service::existing_clinician(tx, clinician_id)?;
            let mut v = Validator::new();
            let mut rows: Vec<RuleRow> = Vec::new();
            if rules.len() > 200 {
                v.add("rules", "at most 200 blocks");
            }
            for (i, rule) in rules.iter().enumerate() {
                let field = |name: &str| format!("[{i}].{name}");
                if !(1..=7).contains(&rule.weekday) {
                    v.add(&field("weekday"), "must be 1 (Monday) to 7 (Sunday)");
                }
                let start = parse_clock(&rule.start, false);
                let end = parse_clock(&rule.end, true);
                if start.is_none() {
                    v.add(&field("start"), "must be a time written HH:MM");
                }
                if end.is_none() {
                    v.add(&field("end"), "must be a time written HH:MM");
                }
                if let (Some(s), Some(e)) = (start, end)
                    && e <= s
                {
                    v.add(&field("end"), "must be after start");
                }
                if !clinician.centre_ids.contains(&rule.centre_id) {
                    v.add(&field("centre_id"), "is not a centre this clinician works at");
                }
                if let (Some(from), Some(until)) = (rule.effective_from, rule.effective_until)
                    && until < from
                {
                    v.add(&field("effective_until"), "must not be before effective_from");
                }
                if let (Some(start_minute), Some(end_minute)) = (start, end) {
                    rows.push(RuleRow {
                        centre_id: rule.centre_id,
                        weekday: rule.weekday,
                        start_minute,
                        end_minute,
                        effective_from: rule.effective_from,
                        effective_until: rule.effective_until,
                    });
                }
            }
            for (i, a) in rows.iter().enumerate() {
                for b in rows.iter().skip(i + 1) {
                    let dates_meet = a.effective_from.max(b.effective_from).unwrap_or(NaiveDate::MIN)
                        <= a.effective_until.unwrap_or(NaiveDate::MAX).min(b.effective_until.unwrap_or(NaiveDate::MAX));
                    if a.weekday == b.weekday
                        && a.start_minute < b.end_minute
                        && b.start_minute < a.end_minute
                        && dates_meet
                    {
                        v.add("rules", format!("two blocks overlap on weekday {}", a.weekday));
                    }
                }
            }
            v.finish()?;
            store::replace_rules(tx, clinician_id, &rows)?;
            audit_change(tx, now, &caller, "availability.update", "clinician", clinician_id, ChangeOp::Update)?;
            store::rules_as_api(tx, clinician_id)
        })
        .await
}

pub async fn add_time_off(app: &App, caller: &Caller, clinician_id: i64, input: NewTimeOff) -> Result<TimeOff> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let span = Interval { start: input.start.with_timezone(&Utc), end: input.end.with_timezone(&Utc) };
    let mut v = Validator::new();
    if span.end <= span.start {
        v.add("end", "must be after start");
    } else if span.end - span.start > Duration::days(366) {
        v.add("end", "time off may last at most a year; add another block");
    }
    let reason = clean(input.reason.as_deref());
    if reason.as_deref().is_some_and(|r| r.chars().count() > 200) {
        v.add("reason", "must be at most 200 characters");
    }
    v.finish()?;
    app.db
        .write(move |tx| {
            setup::service::existing_clinician(tx, clinician_id)?;
            let id =
                store::insert_exception(tx, clinician_id, ExceptionKind::TimeOff, None, span, reason.as_deref(), now)?;
            audit_change(tx, now, &caller, "time_off.create", "clinician", clinician_id, ChangeOp::Update)?;
            Ok(TimeOff { id, clinician_id, start: span.start, end: span.end, reason, centre_id: None })
        })
        .await
}

/// A clinician's time off or extra availability.
pub async fn list_exceptions(app: &App, clinician_id: i64, kind: ExceptionKind) -> Result<Vec<TimeOff>> {
    app.db
        .read(move |c| {
            setup::service::existing_clinician(c, clinician_id)?;
            store::list_exceptions(c, clinician_id, kind)
        })
        .await
}

/// Removes time off or extra availability.
pub async fn remove_exception(
    app: &App,
    caller: &Caller,
    clinician_id: i64,
    kind: ExceptionKind,
    id: i64,
) -> Result<()> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            if !store::delete_exception(tx, clinician_id, kind, id)? {
                return Err(not_found(kind.entity()));
            }
            audit_change(
                tx,
                now,
                &caller,
                &format!("{}.delete", kind.as_str()),
                "clinician",
                clinician_id,
                ChangeOp::Update,
            )
        })
        .await
}

pub async fn add_extra_availability(
    app: &App,
    caller: &Caller,
    clinician_id: i64,
    input: NewExtraAvailability,
) -> Result<TimeOff> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let span = Interval { start: input.start.with_timezone(&Utc), end: input.end.with_timezone(&Utc) };
    let mut v = Validator::new();
    if span.end <= span.start {
        v.add("end", "must be after start");
    } else if span.end - span.start > Duration::days(1) {
        v.add("end", "extra availability is for one day at a time");
    }
    let reason = clean(input.reason.as_deref());
    v.finish()?;
    app.db
        .write(move |tx| {
            let clinician = setup::service::existing_clinician(tx, clinician_id)?;
            if !clinician.centre_ids.contains(&input.centre_id) {
                return Err(Error::invalid_field("centre_id", "is not a centre this clinician works at"));
            }
            let id = store::insert_exception(
                tx,
                clinician_id,
                ExceptionKind::Extra,
                Some(input.centre_id),
                span,
                reason.as_deref(),
                now,
            )?;
            audit_change(tx, now, &caller, "extra.create", "clinician", clinician_id, ChangeOp::Update)?;
            Ok(TimeOff { id, clinician_id, start: span.start, end: span.end, reason, centre_id: Some(input.centre_id) })
        })
        .await
}

/// A clinician's weekly availability.
pub async fn rules(app: &App, clinician_id: i64) -> Result<Vec<AvailabilityRule>> {
    app.db
        .read(move |c| {
            setup::service::existing_clinician(c, clinician_id)?;
            store::rules_as_api(c, clinician_id)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_parse_with_midnight_as_an_end_only() {
        assert_eq!(parse_clock("09:30", false), Some(570));
        assert_eq!(parse_clock("24:00", true), Some(1440));
        assert_eq!(parse_clock("24:00", false), None);
        assert_eq!(parse_clock("9am", false), None);
    }
}
