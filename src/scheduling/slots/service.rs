//! Finding bookable slots: the setup, availability and bookings, computed.

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::App;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::time::check_range;
use crate::scheduling::availability::model::ExceptionKind;
use crate::scheduling::setup::model::Service;
use crate::scheduling::slots::compute::{self, Interval, ServiceShape, SlotQuery};
use crate::scheduling::slots::model::*;
use crate::scheduling::{appointments, availability, setup};

const MAX_SLOT_RANGE_DAYS: i64 = 31;

pub fn shape_of(service: &Service) -> ServiceShape {
    ServiceShape {
        service_id: service.id,
        duration_minutes: service.duration_minutes,
        buffer_before_minutes: service.buffer_before_minutes,
        buffer_after_minutes: service.buffer_after_minutes,
        capacity: service.capacity,
        interval_minutes: 0,
    }
}

/// The UTC span covering local dates `from..=to` in any zone, with a day to spare.
fn span_of(from: NaiveDate, to: NaiveDate) -> Interval {
    let start = from.and_time(NaiveTime::MIN).and_utc() - Duration::days(1);
    let end = to.and_time(NaiveTime::MIN).and_utc() + Duration::days(2);
    Interval { start, end }
}

pub struct SlotRequest {
    pub service_id: i64,
    pub clinician_id: Option<i64>,
    pub centre_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The minimum notice and the booking window bind (patients, public
    /// booking, integrations); not for staff signed in.
    pub bound_by_policy: bool,
}

pub async fn find_slots(app: &App, request: SlotRequest) -> Result<Vec<SlotOut>> {
    let mut v = Validator::new();
    check_range(&mut v, "from", &request.from);
    check_range(&mut v, "to", &request.to);
    v.finish()?;
    let mut v = Validator::new();
    if request.to < request.from {
        v.add("to", "must not be before from");
    } else if (request.to - request.from).num_days() >= MAX_SLOT_RANGE_DAYS {
        v.add("to", format!("ask for at most {MAX_SLOT_RANGE_DAYS} days at a time"));
    }
    v.finish()?;
    let now = app.clock.now();
    app.db
        .read(move |conn| {
            let service = setup::store::get_service(conn, request.service_id)?
                .filter(|s| s.active)
                .ok_or_else(|| Error::invalid_field("service_id", "names no active service"))?;
            let clinicians = match request.clinician_id {
                Some(id) if !service.clinician_ids.contains(&id) => {
                    return Err(Error::rule(ErrorCode::NotOffered, "this clinician does not offer this service"));
                }
                Some(id) => vec![id],
                None => service.clinician_ids.clone(),
            };
            let settings = setup::store::booking_settings(conn)?;
            let notice_ends = now + Duration::minutes(settings.min_notice_minutes);
            let (earliest, latest) = match request.bound_by_policy {
                true => (notice_ends, now + Duration::days(settings.booking_window_days)),
                // From the slot in progress (a walk-in), to whatever the
                // asked dates cover (at most MAX_SLOT_RANGE_DAYS).
                false => (
                    now - Duration::minutes(service.duration_minutes) + Duration::milliseconds(1),
                    now + Duration::days(3_660),
                ),
            };
            let span = span_of(request.from, request.to);
            let mut out = Vec::new();
            for clinician_id in clinicians {
                let Some(clinician) = setup::store::get_clinician(conn, clinician_id)?.filter(|c| c.active) else {
                    continue;
                };
                let centres = match request.centre_id {
                    Some(centre) => vec![centre],
                    None => availability::store::rule_centres(conn, clinician.id)?,
                };
                let time_off = availability::store::exceptions(conn, clinician.id, ExceptionKind::TimeOff, None, span)?;
                let busy = appointments::store::busy(conn, clinician.id, span)?;
                for centre_id in centres {
                    let Some(tz) = setup::store::centre_zone(conn, centre_id)? else { continue };
                    let rules = availability::store::weekly_rules(conn, clinician.id, centre_id)?;
                    let extra = availability::store::exceptions(
                        conn,
                        clinician.id,
                        ExceptionKind::Extra,
                        Some(centre_id),
                        span,
                    )?;
                    let query = SlotQuery {
                        tz: &tz,
                        rules: &rules,
                        extra: &extra,
                        time_off: &time_off,
                        busy: &busy,
                        shape: ServiceShape { interval_minutes: settings.slot_interval_minutes, ..shape_of(&service) },
                        centre_id,
                        from: request.from,
                        to: request.to,
                        earliest,
                        latest,
                    };
                    for slot in compute::compute(&query) {
                        // Extra availability may spill outside the asked dates.
                        let local_date = slot.start.with_timezone(&tz).date_naive();
                        if local_date < request.from || local_date > request.to {
                            continue;
                        }
                        out.push(SlotOut {
                            start: slot.start.with_timezone(&tz).fixed_offset(),
                            end: slot.end.with_timezone(&tz).fixed_offset(),
                            clinician_id: clinician.id,
                            centre_id,
                            seats_left: slot.seats_left,
                            within_notice: slot.start < notice_ends,
                        });
                    }
                }
            }
            out.sort_by_key(|s| (s.start, s.clinician_id));
            Ok(out)
        })
        .await
}
