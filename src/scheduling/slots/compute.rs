//! Slot computation: pure functions from rules, exceptions and bookings to
//! bookable times. Weekly rules are local wall time in the centre's zone;
//! everything else is UTC. Correct across daylight-saving changes: a rule
//! for 09:00 stays 09:00 local on both sides; a local time that does not
//! exist (spring-forward gap) is skipped; one that happens twice (fall-back)
//! is offered once.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Clone, Debug, PartialEq)]
pub struct WeeklyRule {
    /// ISO weekday, Monday = 1.
    pub weekday: u32,
    pub start_minute: u32,
    pub end_minute: u32,
    pub effective_from: Option<NaiveDate>,
    pub effective_until: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// A booking that takes the clinician's time.
#[derive(Clone, Debug)]
pub struct Busy {
    /// Buffers included.
    pub blocked: Interval,
    pub service_id: i64,
    pub centre_id: i64,
    pub starts_at: DateTime<Utc>,
    pub capacity: i64,
    pub seats_taken: i64,
}

#[derive(Clone, Copy, Debug)]
pub struct ServiceShape {
    pub service_id: i64,
    pub duration_minutes: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub capacity: i64,
    /// Minutes between offered starts; 0: one whole visit (with buffers) apart.
    pub interval_minutes: i64,
}

impl ServiceShape {
    pub fn blocked(&self, start: DateTime<Utc>) -> Interval {
        Interval {
            start: start - Duration::minutes(self.buffer_before_minutes),
            end: start + Duration::minutes(self.duration_minutes + self.buffer_after_minutes),
        }
    }
    pub fn slot(&self, start: DateTime<Utc>) -> Interval {
        Interval { start, end: start + Duration::minutes(self.duration_minutes) }
    }
    /// Slots start on the clinic's interval, or one whole visit (with its buffers) apart.
    fn step(&self) -> i64 {
        match self.interval_minutes {
            0 => (self.duration_minutes + self.buffer_before_minutes + self.buffer_after_minutes).max(5),
            interval => interval.max(5),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub seats_left: i64,
}

/// A local wall time as an instant: `None` in a gap, the earlier instant
/// when the time happens twice.
pub fn resolve_start(tz: &Tz, date: NaiveDate, minute: u32) -> Option<DateTime<Utc>> {
    let time = NaiveTime::from_num_seconds_from_midnight_opt(minute.min(1439) * 60, 0)?;
    let local = if minute >= 1440 { date.succ_opt()?.and_time(NaiveTime::MIN) } else { date.and_time(time) };
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The end of a local window as an instant: the later instant when the
/// time happens twice, the first valid instant after a gap.
fn resolve_end(tz: &Tz, date: NaiveDate, minute: u32) -> Option<DateTime<Utc>> {
    let local = if minute >= 1440 {
        date.succ_opt()?.and_time(NaiveTime::MIN)
    } else {
        date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(minute * 60, 0)?)
    };
    for shift in 0..=180 {
        match tz.from_local_datetime(&(local + Duration::minutes(shift))) {
            LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(_, later) => return Some(later.with_timezone(&Utc)),
            LocalResult::None => continue,
        }
    }
    None
}

/// The first instant at or after a local wall time: the earlier one when the
/// time happens twice, the first that exists after a gap.
fn first_instant_from(tz: &Tz, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    for shift in 0..=180 {
        match tz.from_local_datetime(&(local + Duration::minutes(shift))) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return Some(t.with_timezone(&Utc)),
            LocalResult::None => continue,
        }
    }
    None
}

/// The local day `date` in `tz` as instants, from its midnight to the next:
/// 23 or 25 hours on the days the clocks change.
pub fn local_day(tz: &Tz, date: NaiveDate) -> Option<Interval> {
    let start = first_instant_from(tz, date.and_time(NaiveTime::MIN))?;
    let end = first_instant_from(tz, date.succ_opt()?.and_time(NaiveTime::MIN))?;
    Some(Interval { start, end })
}

fn applies(rule: &WeeklyRule, date: NaiveDate) -> bool {
    rule.weekday == date.weekday().number_from_monday()
        && rule.effective_from.is_none_or(|from| date >= from)
        && rule.effective_until.is_none_or(|until| date <= until)
}

/// Windows of availability (UTC) produced by the weekly rules on the local
/// dates `from..=to`.
pub fn rule_windows(tz: &Tz, rules: &[WeeklyRule], from: NaiveDate, to: NaiveDate) -> Vec<Interval> {
    let mut windows = Vec::new();
    let mut date = from;
    while date <= to {
        for rule in rules.iter().filter(|r| applies(r, date)) {
            let start = (rule.start_minute..rule.end_minute).step_by(1).find_map(|m| resolve_start(tz, date, m));
            if let (Some(start), Some(end)) = (start, resolve_end(tz, date, rule.end_minute))
                && end > start
            {
                windows.push(Interval { start, end });
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    windows
}

/// Candidate slot starts inside one local rule on one date, in wall time so
/// that 09:00, 10:00… stay on the hour across a change of offset.
fn rule_starts(tz: &Tz, rule: &WeeklyRule, date: NaiveDate, shape: &ServiceShape) -> Vec<DateTime<Utc>> {
    let Some(window_end) = resolve_end(tz, date, rule.end_minute) else { return Vec::new() };
    let mut starts = Vec::new();
    let mut minute = i64::from(rule.start_minute);
    while minute + shape.duration_minutes <= i64::from(rule.end_minute) {
        if let Some(start) = resolve_start(tz, date, minute as u32)
            && start + Duration::minutes(shape.duration_minutes) <= window_end
            && !starts.contains(&start)
        {
            starts.push(start);
        }
        minute += shape.step();
    }
    starts
}

pub struct SlotQuery<'a> {
    pub tz: &'a Tz,
    pub rules: &'a [WeeklyRule],
    /// Extra one-off availability at this centre.
    pub extra: &'a [Interval],
    pub time_off: &'a [Interval],
    /// The clinician's bookings at any centre (cancelled ones left out).
    pub busy: &'a [Busy],
    pub shape: ServiceShape,
    pub centre_id: i64,
    /// Local dates, inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Minimum notice and booking window, as instants.
    pub earliest: DateTime<Utc>,
    pub latest: DateTime<Utc>,
}

/// Bookable slots, in time order.
pub fn compute(q: &SlotQuery) -> Vec<Slot> {
    let mut starts = Vec::new();
    let mut date = q.from;
    while date <= q.to {
        for rule in q.rules.iter().filter(|r| applies(r, date)) {
            starts.extend(rule_starts(q.tz, rule, date, &q.shape));
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    for window in q.extra {
        let mut start = window.start;
        while start + Duration::minutes(q.shape.duration_minutes) <= window.end {
            starts.push(start);
            start += Duration::minutes(q.shape.step());
        }
    }
    starts.sort();
    starts.dedup();

    let mut slots = Vec::new();
    for start in starts {
        if start < q.earliest || start > q.latest {
            continue;
        }
        let blocked = q.shape.blocked(start);
        if q.time_off.iter().any(|off| off.overlaps(&blocked)) {
            continue;
        }
        // A group session of this service at this time and place has seats to offer.
        let session = q.busy.iter().find(|b| {
            b.service_id == q.shape.service_id && b.starts_at == start && b.centre_id == q.centre_id && b.capacity > 1
        });
        let seats_left = match session {
            Some(session) => session.capacity - session.seats_taken,
            None if q.busy.iter().any(|b| b.blocked.overlaps(&blocked)) => 0,
            None => q.shape.capacity,
        };
        let clashes_elsewhere = session.is_some()
            && q.busy
                .iter()
                .any(|b| b.blocked.overlaps(&blocked) && !(b.starts_at == start && b.service_id == q.shape.service_id));
        if seats_left > 0 && !clashes_elsewhere {
            slots.push(Slot { start, end: start + Duration::minutes(q.shape.duration_minutes), seats_left });
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_day_is_23_or_25_hours_when_the_clocks_change() {
        let london: Tz = "Europe/London".parse().unwrap();
        let hours = |date: &str| {
            let day = local_day(&london, date.parse().unwrap()).unwrap();
            (day.end - day.start).num_hours()
        };
        assert_eq!(hours("2026-03-29"), 23);
        assert_eq!(hours("2026-10-25"), 25);
        assert_eq!(hours("2026-06-01"), 24);
        let june = local_day(&london, "2026-06-01".parse().unwrap()).unwrap();
        assert_eq!(june.start.to_rfc3339(), "2026-05-31T23:00:00+00:00", "midnight BST");
        // Where midnight itself is skipped, the day starts at the first instant that exists.
        let havana: Tz = "America/Havana".parse().unwrap();
        let skipped = local_day(&havana, "2026-03-08".parse().unwrap()).unwrap();
        assert_eq!(skipped.start.with_timezone(&havana).format("%H:%M").to_string(), "01:00");
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }
    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }
    fn rule(weekday: u32, start: &str, end: &str) -> WeeklyRule {
        let minutes = |t: &str| {
            let (h, m) = t.split_once(':').unwrap();
            h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
        };
        WeeklyRule {
            weekday,
            start_minute: minutes(start),
            end_minute: minutes(end),
            effective_from: None,
            effective_until: None,
        }
    }
    fn shape(duration: i64, before: i64, after: i64, capacity: i64) -> ServiceShape {
        ServiceShape {
            service_id: 1,
            duration_minutes: duration,
            buffer_before_minutes: before,
            buffer_after_minutes: after,
            capacity,
            interval_minutes: 0,
        }
    }
    fn query<'a>(tz: &'a Tz, rules: &'a [WeeklyRule], from: &str, to: &str) -> SlotQuery<'a> {
        SlotQuery {
            tz,
            rules,
            extra: &[],
            time_off: &[],
            busy: &[],
            shape: shape(60, 0, 0, 1),
            centre_id: 1,
            from: date(from),
            to: date(to),
            earliest: utc("2000-01-01T00:00:00Z"),
            latest: utc("2100-01-01T00:00:00Z"),
        }
    }
    fn local(slots: &[Slot], tz: &Tz) -> Vec<String> {
        slots.iter().map(|s| s.start.with_timezone(tz).format("%Y-%m-%d %H:%M %z").to_string()).collect()
    }

    #[test]
    fn nine_oclock_stays_nine_oclock_across_the_london_changes() {
        let tz: Tz = "Europe/London".parse().unwrap();
        // Sunday 2026-03-29: clocks go forward. Saturday and Monday around it.
        let rules = [rule(6, "09:00", "10:00"), rule(1, "09:00", "10:00")];
        let slots = compute(&query(&tz, &rules, "2026-03-28", "2026-03-30"));
        assert_eq!(local(&slots, &tz), ["2026-03-28 09:00 +0000", "2026-03-30 09:00 +0100"]);
        assert_eq!(slots[0].start, utc("2026-03-28T09:00:00Z"));
        assert_eq!(slots[1].start, utc("2026-03-30T08:00:00Z"));
        // Autumn: Sunday 2026-10-25 clocks go back.
        let slots = compute(&query(&tz, &rules, "2026-10-24", "2026-10-26"));
        assert_eq!(local(&slots, &tz), ["2026-10-24 09:00 +0100", "2026-10-26 09:00 +0000"]);
    }

    #[test]
    fn a_local_time_in_the_spring_gap_is_skipped() {
        let tz: Tz = "Europe/London".parse().unwrap();
        // 01:00–02:00 does not exist on 2026-03-29 in London.
        let rules = [rule(7, "00:00", "04:00")];
        let slots = compute(&query(&tz, &rules, "2026-03-29", "2026-03-29"));
        assert_eq!(local(&slots, &tz), ["2026-03-29 00:00 +0000", "2026-03-29 02:00 +0100", "2026-03-29 03:00 +0100"]);
    }

    #[test]
    fn a_local_time_that_happens_twice_is_offered_once() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 2026-11-01: 01:00–02:00 happens twice in New York.
        let rules = [rule(7, "00:00", "03:00")];
        let slots = compute(&query(&tz, &rules, "2026-11-01", "2026-11-01"));
        assert_eq!(local(&slots, &tz), ["2026-11-01 00:00 -0400", "2026-11-01 01:00 -0400", "2026-11-01 02:00 -0500"]);
        let unique: std::collections::HashSet<_> = slots.iter().map(|s| s.start).collect();
        assert_eq!(unique.len(), slots.len());
    }

    #[test]
    fn new_york_spring_forward_keeps_wall_times() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // Sunday 2026-03-08: 02:00–03:00 does not exist.
        let rules = [rule(7, "01:00", "04:00"), rule(1, "09:00", "10:00")];
        let slots = compute(&query(&tz, &rules, "2026-03-08", "2026-03-09"));
        assert_eq!(local(&slots, &tz), ["2026-03-08 01:00 -0500", "2026-03-08 03:00 -0400", "2026-03-09 09:00 -0400"]);
    }

    #[test]
    fn buffers_space_slots_and_bookings_block_with_their_buffers() {
        let tz: Tz = "UTC".parse().unwrap();
        let rules = [rule(1, "09:00", "12:00")];
        let mut q = query(&tz, &rules, "2026-11-23", "2026-11-23");
        q.shape = shape(50, 0, 10, 1);
        assert_eq!(local(&compute(&q), &tz).len(), 3, "09:00, 10:00, 11:00");
        let busy = [Busy {
            blocked: Interval { start: utc("2026-11-23T10:30:00Z"), end: utc("2026-11-23T10:45:00Z") },
            service_id: 2,
            centre_id: 1,
            starts_at: utc("2026-11-23T10:30:00Z"),
            capacity: 1,
            seats_taken: 1,
        }];
        q.busy = &busy;
        let slots = compute(&q);
        assert_eq!(
            local(&slots, &tz),
            ["2026-11-23 09:00 +0000", "2026-11-23 11:00 +0000"],
            "partial overlap blocks 10:00"
        );
    }

    #[test]
    fn notice_window_and_time_off_remove_slots() {
        let tz: Tz = "UTC".parse().unwrap();
        let rules = [rule(1, "09:00", "13:00"), rule(2, "09:00", "13:00")];
        let mut q = query(&tz, &rules, "2026-11-23", "2026-11-24");
        q.earliest = utc("2026-11-23T10:30:00Z");
        q.latest = utc("2026-11-24T10:00:00Z");
        let off = [Interval { start: utc("2026-11-23T11:30:00Z"), end: utc("2026-11-23T12:15:00Z") }];
        q.time_off = &off;
        assert_eq!(local(&compute(&q), &tz), ["2026-11-24 09:00 +0000", "2026-11-24 10:00 +0000"]);
    }

    #[test]
    fn group_sessions_show_seats_left_and_disappear_when_full() {
        let tz: Tz = "UTC".parse().unwrap();
        let rules = [rule(1, "18:00", "19:30")];
        let mut q = query(&tz, &rules, "2026-11-23", "2026-11-23");
        q.shape = shape(90, 0, 0, 8);
        assert_eq!(compute(&q)[0].seats_left, 8);
        let session = |taken| Busy {
            blocked: Interval { start: utc("2026-11-23T18:00:00Z"), end: utc("2026-11-23T19:30:00Z") },
            service_id: 1,
            centre_id: 1,
            starts_at: utc("2026-11-23T18:00:00Z"),
            capacity: 8,
            seats_taken: taken,
        };
        let busy = [session(5)];
        q.busy = &busy;
        assert_eq!(compute(&q)[0].seats_left, 3);
        let full = [session(8)];
        q.busy = &full;
        assert!(compute(&q).is_empty());
    }

    #[test]
    fn extra_availability_adds_slots_and_effective_dates_limit_rules() {
        let tz: Tz = "UTC".parse().unwrap();
        let mut limited = rule(1, "09:00", "10:00");
        limited.effective_from = Some(date("2026-11-30"));
        let rules = [limited];
        let mut q = query(&tz, &rules, "2026-11-23", "2026-11-30");
        let extra = [Interval { start: utc("2026-11-25T14:00:00Z"), end: utc("2026-11-25T16:00:00Z") }];
        q.extra = &extra;
        assert_eq!(
            local(&compute(&q), &tz),
            ["2026-11-25 14:00 +0000", "2026-11-25 15:00 +0000", "2026-11-30 09:00 +0000"]
        );
    }
}
