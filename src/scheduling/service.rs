//! Scheduling rules: validation of the setup, availability, slots, and
//! booking with the overlap check inside the write transaction.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use email_address::EmailAddress;
use rusqlite::Connection;

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::principal::Caller;
use crate::scheduling::model::*;
use crate::scheduling::slots::{self, Interval, ServiceShape, SlotQuery};
use crate::scheduling::store::{self, CentreFields, ClinicianFields, RuleRow, ServiceFields};

const NAME_MAX: usize = 100;
const MAX_SLOT_RANGE_DAYS: i64 = 31;

fn clean(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn check_name(v: &mut Validator, field: &str, value: &str) -> String {
    let value = value.trim().to_owned();
    if value.is_empty() {
        v.add(field, "is required");
    } else if value.chars().count() > NAME_MAX {
        v.add(field, format!("must be at most {NAME_MAX} characters"));
    }
    value
}

fn check_list(v: &mut Validator, field: &str, items: &[String]) -> Vec<String> {
    if items.len() > 20 {
        v.add(field, "may hold at most 20 entries");
    }
    let cleaned: Vec<String> = items.iter().map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()).collect();
    if cleaned.iter().any(|i| i.chars().count() > 60) {
        v.add(field, "entries must be at most 60 characters");
    }
    cleaned
}

fn audit_change(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    caller: &Caller,
    action: &str,
    entity: &str,
    id: i64,
    op: ChangeOp,
) -> Result<()> {
    audit::record(tx, now, Actor::from(caller), action, entity, Some(id), None)?;
    changes::record(tx, now, entity, id, op)?;
    Ok(())
}

fn not_found(entity: &'static str) -> Error {
    Error::NotFound { entity }
}

// ---- centres

fn centre_fields(input: NewCentre, active: bool, region: &str) -> Result<CentreFields> {
    let mut v = Validator::new();
    let name = check_name(&mut v, "name", &input.name);
    let timezone = input.timezone.trim().to_owned();
    if timezone.parse::<Tz>().is_err() {
        v.add("timezone", "must be an IANA time zone such as Europe/London");
    }
    let email = clean(input.email.as_deref());
    if email.as_deref().is_some_and(|e| !EmailAddress::is_valid(e)) {
        v.add("email", "is not a valid email address");
    }
    let phone = match clean(input.phone.as_deref()) {
        Some(raw) => match crate::kit::phone::normalise(&raw, region) {
            Ok(e164) => Some(e164),
            Err(problem) => {
                v.add("phone", problem);
                None
            }
        },
        None => None,
    };
    let address = clean(input.address.as_deref());
    if address.as_deref().is_some_and(|a| a.chars().count() > 300) {
        v.add("address", "must be at most 300 characters");
    }
    v.finish()?;
    Ok(CentreFields { name, address, phone, email, timezone, active })
}

pub async fn create_centre(app: &App, caller: &Caller, input: NewCentre) -> Result<Centre> {
    let fields = centre_fields(input, true, &app.config.phone_region)?;
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let id = store::insert_centre(tx, &fields, now)?;
            audit_change(tx, now, &caller, "centre.create", "centre", id, ChangeOp::Create)?;
            store::get_centre(tx, id)?.ok_or_else(|| not_found("centre"))
        })
        .await
}

pub async fn update_centre(app: &App, caller: &Caller, id: i64, patch: CentrePatch) -> Result<Centre> {
    let (now, caller, region) = (app.clock.now(), caller.clone(), app.config.phone_region.clone());
    app.db
        .write(move |tx| {
            let current = store::get_centre(tx, id)?.ok_or_else(|| not_found("centre"))?;
            let mut merged = NewCentre {
                name: patch.name.unwrap_or(current.name),
                address: current.address,
                phone: current.phone,
                email: current.email,
                timezone: patch.timezone.unwrap_or(current.timezone),
            };
            patch.address.update_to(&mut merged.address);
            patch.phone.update_to(&mut merged.phone);
            patch.email.update_to(&mut merged.email);
            let fields = centre_fields(merged, patch.active.unwrap_or(current.active), &region)?;
            store::update_centre(tx, id, &fields, now)?;
            audit_change(tx, now, &caller, "centre.update", "centre", id, ChangeOp::Update)?;
            store::get_centre(tx, id)?.ok_or_else(|| not_found("centre"))
        })
        .await
}

// ---- clinicians

fn clinician_fields(conn: &Connection, input: NewClinician, active: bool, id: Option<i64>) -> Result<ClinicianFields> {
    let mut v = Validator::new();
    let display_name = check_name(&mut v, "display_name", &input.display_name);
    let specialties = check_list(&mut v, "specialties", &input.specialties);
    let qualifications = check_list(&mut v, "qualifications", &input.qualifications);
    let languages = check_list(&mut v, "languages", &input.languages);
    let bio = clean(input.bio.as_deref());
    if bio.as_deref().is_some_and(|b| b.chars().count() > 2000) {
        v.add("bio", "must be at most 2000 characters");
    }
    if let Some(fee) = &input.default_fee {
        fee.check(&mut v, "default_fee");
    }
    let mut centre_ids = input.centre_ids.clone();
    centre_ids.sort_unstable();
    centre_ids.dedup();
    if store::existing_ids(conn, "centres", &centre_ids)?.len() != centre_ids.len() {
        v.add("centre_ids", "names a centre that does not exist");
    }
    if let Some(staff_id) = input.staff_id {
        if crate::auth::store::staff_by_id(conn, staff_id)?.is_none() {
            v.add("staff_id", "names a staff account that does not exist");
        } else if store::staff_is_clinician_elsewhere(conn, staff_id, id)? {
            v.add("staff_id", "is already linked to another clinician");
        }
    }
    v.finish()?;
    Ok(ClinicianFields {
        staff_id: input.staff_id,
        display_name,
        specialties,
        qualifications,
        languages,
        bio,
        centre_ids,
        default_fee: input.default_fee,
        active,
    })
}

pub async fn create_clinician(app: &App, caller: &Caller, input: NewClinician) -> Result<Clinician> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let fields = clinician_fields(tx, input, true, None)?;
            let id = store::insert_clinician(tx, &fields, now)?;
            audit_change(tx, now, &caller, "clinician.create", "clinician", id, ChangeOp::Create)?;
            store::get_clinician(tx, id)?.ok_or_else(|| not_found("clinician"))
        })
        .await
}

pub async fn update_clinician(app: &App, caller: &Caller, id: i64, patch: ClinicianPatch) -> Result<Clinician> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let current = store::get_clinician(tx, id)?.ok_or_else(|| not_found("clinician"))?;
            let mut merged = NewClinician {
                staff_id: current.staff_id,
                display_name: patch.display_name.unwrap_or(current.display_name),
                specialties: patch.specialties.unwrap_or(current.specialties),
                qualifications: patch.qualifications.unwrap_or(current.qualifications),
                languages: patch.languages.unwrap_or(current.languages),
                bio: current.bio,
                centre_ids: patch.centre_ids.unwrap_or(current.centre_ids),
                default_fee: current.default_fee,
            };
            patch.staff_id.update_to(&mut merged.staff_id);
            patch.bio.update_to(&mut merged.bio);
            patch.default_fee.update_to(&mut merged.default_fee);
            let fields = clinician_fields(tx, merged, patch.active.unwrap_or(current.active), Some(id))?;
            store::update_clinician(tx, id, &fields, now)?;
            audit_change(tx, now, &caller, "clinician.update", "clinician", id, ChangeOp::Update)?;
            store::get_clinician(tx, id)?.ok_or_else(|| not_found("clinician"))
        })
        .await
}

// ---- services

fn service_fields(conn: &Connection, input: NewService, active: bool) -> Result<ServiceFields> {
    let mut v = Validator::new();
    let name = check_name(&mut v, "name", &input.name);
    if !(5..=720).contains(&input.duration_minutes) {
        v.add("duration_minutes", "must be between 5 and 720");
    }
    for (field, value) in
        [("buffer_before_minutes", input.buffer_before_minutes), ("buffer_after_minutes", input.buffer_after_minutes)]
    {
        if !(0..=240).contains(&value) {
            v.add(field, "must be between 0 and 240");
        }
    }
    if !(1..=500).contains(&input.capacity) {
        v.add("capacity", "must be between 1 and 500");
    }
    input.price.check(&mut v, "price");
    let colour = clean(input.colour.as_deref());
    if colour
        .as_deref()
        .is_some_and(|c| !(c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit())))
    {
        v.add("colour", "must be a colour written #rrggbb");
    }
    let mut clinician_ids = input.clinician_ids.clone();
    clinician_ids.sort_unstable();
    clinician_ids.dedup();
    if store::existing_ids(conn, "clinicians", &clinician_ids)?.len() != clinician_ids.len() {
        v.add("clinician_ids", "names a clinician that does not exist");
    }
    v.finish()?;
    Ok(ServiceFields {
        name,
        duration_minutes: input.duration_minutes,
        price: input.price,
        buffer_before_minutes: input.buffer_before_minutes,
        buffer_after_minutes: input.buffer_after_minutes,
        modality: input.modality,
        capacity: input.capacity,
        clinician_ids,
        colour,
        active,
    })
}

pub async fn create_service(app: &App, caller: &Caller, input: NewService) -> Result<Service> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let fields = service_fields(tx, input, true)?;
            let id = store::insert_service(tx, &fields, now)?;
            audit_change(tx, now, &caller, "service.create", "service", id, ChangeOp::Create)?;
            store::get_service(tx, id)?.ok_or_else(|| not_found("service"))
        })
        .await
}

pub async fn update_service(app: &App, caller: &Caller, id: i64, patch: ServicePatch) -> Result<Service> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let current = store::get_service(tx, id)?.ok_or_else(|| not_found("service"))?;
            let mut merged = NewService {
                name: patch.name.unwrap_or(current.name),
                duration_minutes: patch.duration_minutes.unwrap_or(current.duration_minutes),
                price: patch.price.unwrap_or(current.price),
                buffer_before_minutes: patch.buffer_before_minutes.unwrap_or(current.buffer_before_minutes),
                buffer_after_minutes: patch.buffer_after_minutes.unwrap_or(current.buffer_after_minutes),
                modality: patch.modality.unwrap_or(current.modality),
                capacity: patch.capacity.unwrap_or(current.capacity),
                clinician_ids: patch.clinician_ids.unwrap_or(current.clinician_ids),
                colour: current.colour,
            };
            patch.colour.update_to(&mut merged.colour);
            let fields = service_fields(tx, merged, patch.active.unwrap_or(current.active))?;
            store::update_service(tx, id, &fields, now)?;
            audit_change(tx, now, &caller, "service.update", "service", id, ChangeOp::Update)?;
            store::get_service(tx, id)?.ok_or_else(|| not_found("service"))
        })
        .await
}

// ---- booking policy

pub async fn update_booking_settings(
    app: &App,
    caller: &Caller,
    patch: BookingSettingsPatch,
) -> Result<BookingSettings> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let current = store::booking_settings(tx)?;
            let next = BookingSettings {
                min_notice_minutes: patch.min_notice_minutes.unwrap_or(current.min_notice_minutes),
                booking_window_days: patch.booking_window_days.unwrap_or(current.booking_window_days),
                cancellation_notice_hours: patch.cancellation_notice_hours.unwrap_or(current.cancellation_notice_hours),
                calendar_show_surnames: patch.calendar_show_surnames.unwrap_or(current.calendar_show_surnames),
            };
            let mut v = Validator::new();
            if !(0..=43_200).contains(&next.min_notice_minutes) {
                v.add("min_notice_minutes", "must be between 0 and 43200 (30 days)");
            }
            if !(1..=730).contains(&next.booking_window_days) {
                v.add("booking_window_days", "must be between 1 and 730");
            }
            if !(0..=720).contains(&next.cancellation_notice_hours) {
                v.add("cancellation_notice_hours", "must be between 0 and 720");
            }
            v.finish()?;
            store::save_booking_settings(tx, &next, now)?;
            audit::record(tx, now, Actor::from(&caller), "settings.booking.update", "settings", None, None)?;
            Ok(next)
        })
        .await
}

// ---- availability

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
            let clinician = store::get_clinician(tx, clinician_id)?.ok_or_else(|| not_found("clinician"))?;
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
            store::get_clinician(tx, clinician_id)?.ok_or_else(|| not_found("clinician"))?;
            let id = store::insert_exception(tx, clinician_id, "time_off", None, span, reason.as_deref(), now)?;
            audit_change(tx, now, &caller, "time_off.create", "clinician", clinician_id, ChangeOp::Update)?;
            Ok(TimeOff { id, clinician_id, start: span.start, end: span.end, reason, centre_id: None })
        })
        .await
}

/// Time off (`kind` = `time_off`) or extra availability (`extra`) of a clinician.
pub async fn list_exceptions(app: &App, clinician_id: i64, kind: &'static str) -> Result<Vec<TimeOff>> {
    app.db
        .read(move |c| {
            store::get_clinician(c, clinician_id)?.ok_or_else(|| not_found("clinician"))?;
            store::list_exceptions(c, clinician_id, kind)
        })
        .await
}

/// Removes time off (`kind` = `time_off`) or extra availability (`extra`).
pub async fn remove_exception(
    app: &App,
    caller: &Caller,
    clinician_id: i64,
    kind: &'static str,
    id: i64,
) -> Result<()> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            if !store::delete_exception(tx, clinician_id, kind, id)? {
                return Err(not_found(if kind == "extra" { "extra availability" } else { "time off" }));
            }
            audit_change(tx, now, &caller, &format!("{kind}.delete"), "clinician", clinician_id, ChangeOp::Update)
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
            let clinician = store::get_clinician(tx, clinician_id)?.ok_or_else(|| not_found("clinician"))?;
            if !clinician.centre_ids.contains(&input.centre_id) {
                return Err(Error::invalid_field("centre_id", "is not a centre this clinician works at"));
            }
            let id = store::insert_exception(
                tx,
                clinician_id,
                "extra",
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

// ---- slots

fn shape_of(service: &Service) -> ServiceShape {
    ServiceShape {
        service_id: service.id,
        duration_minutes: service.duration_minutes,
        buffer_before_minutes: service.buffer_before_minutes,
        buffer_after_minutes: service.buffer_after_minutes,
        capacity: service.capacity,
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
}

pub async fn find_slots(app: &App, request: SlotRequest) -> Result<Vec<SlotOut>> {
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
            let service = store::get_service(conn, request.service_id)?
                .filter(|s| s.active)
                .ok_or_else(|| Error::invalid_field("service_id", "names no active service"))?;
            let clinicians = match request.clinician_id {
                Some(id) if !service.clinician_ids.contains(&id) => {
                    return Err(Error::rule(ErrorCode::NotOffered, "this clinician does not offer this service"));
                }
                Some(id) => vec![id],
                None => service.clinician_ids.clone(),
            };
            let settings = store::booking_settings(conn)?;
            let earliest = now + Duration::minutes(settings.min_notice_minutes);
            let latest = now + Duration::days(settings.booking_window_days);
            let span = span_of(request.from, request.to);
            let mut out = Vec::new();
            for clinician_id in clinicians {
                let Some(clinician) = store::get_clinician(conn, clinician_id)?.filter(|c| c.active) else { continue };
                let centres = match request.centre_id {
                    Some(centre) => vec![centre],
                    None => store::rule_centres(conn, clinician.id)?,
                };
                let time_off = store::exceptions(conn, clinician.id, "time_off", None, span)?;
                let busy = store::busy(conn, clinician.id, span)?;
                for centre_id in centres {
                    let Some(tz) = store::centre_zone(conn, centre_id)? else { continue };
                    let rules = store::weekly_rules(conn, clinician.id, centre_id)?;
                    let extra = store::exceptions(conn, clinician.id, "extra", Some(centre_id), span)?;
                    let query = SlotQuery {
                        tz: &tz,
                        rules: &rules,
                        extra: &extra,
                        time_off: &time_off,
                        busy: &busy,
                        shape: shape_of(&service),
                        centre_id,
                        from: request.from,
                        to: request.to,
                        earliest,
                        latest,
                    };
                    for slot in slots::compute(&query) {
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
                        });
                    }
                }
            }
            out.sort_by_key(|s| (s.start, s.clinician_id));
            Ok(out)
        })
        .await
}

// ---- appointments

fn video_link(base: &str) -> Result<String> {
    let token = crate::kit::tokens::generate("")?;
    Ok(format!("{}/clinicbox-{}", base.trim_end_matches('/'), &token[..32]))
}

pub async fn book(app: &App, caller: &Caller, input: NewAppointment) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let video_base = app.config.video_base_url.clone();
    let start = input.start.with_timezone(&Utc);
    let appointment = app
        .db
        .write(move |tx| {
            let mut v = Validator::new();
            let patient = crate::patients::store::get(tx, input.patient_id)?;
            let service = store::get_service(tx, input.service_id)?;
            let clinician = store::get_clinician(tx, input.clinician_id)?;
            if patient.is_none() {
                v.add("patient_id", "names no patient");
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
            let (Some(patient), Some(service), Some(clinician)) = (patient, service, clinician) else {
                return Err(Error::internal("validated records vanished"));
            };
            if patient.status == crate::patients::model::PatientStatus::Archived {
                return Err(Error::rule(ErrorCode::PatientArchived, "restore the patient before booking"));
            }
            if !service.active {
                return Err(Error::rule(ErrorCode::ServiceInactive, "this service is no longer offered"));
            }
            // A group service at the time of an existing session: take a seat in it.
            if service.capacity > 1
                && let Some(session) = store::find_session(tx, service.id, clinician.id, start)?
            {
                return take_seat(tx, now, &caller, session, patient.id, false);
            }
            let (centre_id, slot, blocked) =
                check_bookable(tx, now, &service, &clinician, start, input.centre_id, None)?;
            let booking = Booking {
                service: &service,
                clinician_id: clinician.id,
                patient_id: patient.id,
                centre_id,
                slot,
                blocked,
            };
            let id = insert_booking(tx, now, &caller, &booking, notes, None, &video_base)?;
            store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))
        })
        .await?;
    Ok(appointment)
}

/// Every rule a booking at `start` must meet, and the overlap check. Run
/// inside the write transaction: all bookings pass through the one
/// writer, so two requests for one time cannot both see it free.
/// Returns the centre, the visit, and the time it blocks (with buffers).
fn check_bookable(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    service: &Service,
    clinician: &Clinician,
    start: DateTime<Utc>,
    centre_hint: Option<i64>,
    moving: Option<i64>,
) -> Result<(i64, Interval, Interval)> {
    if !service.clinician_ids.contains(&clinician.id) {
        return Err(Error::rule(ErrorCode::NotOffered, "this clinician does not offer this service"));
    }
    if !clinician.active {
        return Err(Error::rule(ErrorCode::ClinicianInactive, "this clinician is not taking bookings"));
    }
    let settings = store::booking_settings(tx)?;
    if start < now + Duration::minutes(settings.min_notice_minutes) {
        return Err(Error::rule(
            ErrorCode::TooSoon,
            format!("bookings need {} minutes' notice", settings.min_notice_minutes),
        ));
    }
    if start > now + Duration::days(settings.booking_window_days) {
        return Err(Error::rule(
            ErrorCode::TooFarAhead,
            format!("bookings open {} days ahead", settings.booking_window_days),
        ));
    }
    let shape = shape_of(service);
    let slot = shape.slot(start);
    let blocked = shape.blocked(start);
    // Which centre's availability holds this time.
    let candidates = match centre_hint {
        Some(centre) => vec![centre],
        None => store::rule_centres(tx, clinician.id)?,
    };
    let mut centre_id = None;
    for candidate in candidates {
        let Some(tz) = store::centre_zone(tx, candidate)? else { continue };
        let date = start.with_timezone(&tz).date_naive();
        let rules = store::weekly_rules(tx, clinician.id, candidate)?;
        let mut windows =
            slots::rule_windows(&tz, &rules, date.pred_opt().unwrap_or(date), date.succ_opt().unwrap_or(date));
        windows.extend(store::exceptions(tx, clinician.id, "extra", Some(candidate), slot)?);
        if windows.iter().any(|w| w.contains(&slot)) {
            centre_id = Some(candidate);
            break;
        }
    }
    let Some(centre_id) = centre_id else {
        return Err(Error::rule(ErrorCode::OutsideAvailability, "the clinician is not available at that time"));
    };
    if !store::exceptions(tx, clinician.id, "time_off", None, blocked)?.is_empty() {
        return Err(Error::rule(ErrorCode::TimeOff, "the clinician is off at that time"));
    }
    if let Some((other, other_start)) = store::first_conflict(tx, clinician.id, blocked, moving)? {
        return Err(Error::Conflict {
            code: ErrorCode::SlotTaken,
            message: "the clinician is already booked at that time".into(),
            details: Some(serde_json::json!({ "appointment_id": other, "start": other_start })),
        });
    }
    Ok((centre_id, slot, blocked))
}

/// Moves an appointment to a new time (and perhaps clinician) under the
/// same rules as a new booking. The old and new times go into its history.
pub async fn reschedule(app: &App, caller: &Caller, id: i64, input: Reschedule) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    let start = input.start.with_timezone(&Utc);
    app.db
        .write(move |tx| {
            let current = store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))?;
            if !matches!(current.status, AppointmentStatus::Pending | AppointmentStatus::Confirmed) {
                return Err(Error::Conflict {
                    code: ErrorCode::InvalidTransition,
                    message: format!("a {} appointment cannot be moved", current.status.as_str()),
                    details: Some(serde_json::json!({ "status": current.status.as_str(), "action": "reschedule" })),
                });
            }
            let service = store::get_service(tx, current.service_id)?.ok_or_else(|| not_found("service"))?;
            let clinician_id = input.clinician_id.unwrap_or(current.clinician_id);
            let clinician = store::get_clinician(tx, clinician_id)?
                .ok_or_else(|| Error::invalid_field("clinician_id", "names no clinician"))?;
            let (centre_id, slot, blocked) =
                check_bookable(tx, now, &service, &clinician, start, input.centre_id, Some(id))?;
            store::move_appointment(tx, id, clinician.id, centre_id, slot, blocked, now)?;
            let details = serde_json::json!({
                "from": { "start": current.start.with_timezone(&Utc), "clinician_id": current.clinician_id, "centre_id": current.centre_id },
                "to": { "start": slot.start, "clinician_id": clinician.id, "centre_id": centre_id },
            });
            store::record_history(tx, id, now, Some(caller.staff_id), "rescheduled", Some(details))?;
            audit_change(tx, now, &caller, "appointment.reschedule", "appointment", id, ChangeOp::Update)?;
            store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))
        })
        .await
}

struct Booking<'a> {
    service: &'a Service,
    clinician_id: i64,
    patient_id: i64,
    centre_id: i64,
    slot: Interval,
    blocked: Interval,
}

/// Writes a checked booking with its attendee, history, audit and change rows.
fn insert_booking(
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
    let row = store::NewAppointmentRow {
        series_id,
        service_id: b.service.id,
        clinician_id: b.clinician_id,
        centre_id: b.centre_id,
        slot: b.slot,
        blocked: b.blocked,
        capacity: b.service.capacity,
        notes,
        video_url,
        created_by: caller.staff_id,
    };
    let id = store::insert_appointment(tx, &row, now)?;
    store::add_attendee(tx, id, b.patient_id, "booked", now)?;
    store::record_history(
        tx,
        id,
        now,
        Some(caller.staff_id),
        "created",
        series_id.map(|s| serde_json::json!({"series_id": s})),
    )?;
    audit_change(tx, now, caller, "appointment.create", "appointment", id, ChangeOp::Create)?;
    Ok(id)
}

const MAX_OCCURRENCES: i64 = 52;

/// Books a weekly series. Each occurrence keeps the first one's local wall
/// time at its centre, across daylight-saving changes. Occurrences that
/// break a rule or clash are skipped and reported; if none can be booked,
/// the first one's error is the answer and nothing is written.
pub async fn book_series(app: &App, caller: &Caller, input: NewSeries) -> Result<SeriesResult> {
    let mut v = Validator::new();
    let r = &input.recurrence;
    if !(1..=4).contains(&r.interval) {
        v.add("recurrence.interval", "must be between 1 and 4 weeks");
    }
    match (r.count, r.until) {
        (Some(_), Some(_)) | (None, None) => v.add("recurrence", "give either count or until"),
        (Some(count), None) if !(1..=MAX_OCCURRENCES).contains(&count) => {
            v.add("recurrence.count", format!("must be between 1 and {MAX_OCCURRENCES}"))
        }
        _ => {}
    }
    v.finish()?;
    let (now, caller, video_base) = (app.clock.now(), caller.clone(), app.config.video_base_url.clone());
    let first_start = input.start.with_timezone(&Utc);
    app.db
        .write(move |tx| {
            let patient = crate::patients::store::get(tx, input.patient_id)?
                .ok_or_else(|| Error::invalid_field("patient_id", "names no patient"))?;
            if patient.status == crate::patients::model::PatientStatus::Archived {
                return Err(Error::rule(ErrorCode::PatientArchived, "restore the patient before booking"));
            }
            let service = store::get_service(tx, input.service_id)?
                .filter(|s| s.active)
                .ok_or_else(|| Error::invalid_field("service_id", "names no active service"))?;
            let clinician = store::get_clinician(tx, input.clinician_id)?
                .ok_or_else(|| Error::invalid_field("clinician_id", "names no clinician"))?;
            // The first occurrence fixes the centre, and so the local time to keep.
            let (centre_id, _, _) = check_bookable(tx, now, &service, &clinician, first_start, input.centre_id, None)?;
            let tz = store::centre_zone(tx, centre_id)?.unwrap_or(Tz::UTC);
            let local_first = first_start.with_timezone(&tz);
            let minute = local_first.time().signed_duration_since(NaiveTime::MIN).num_minutes() as u32;
            let series_id = store::insert_series(
                tx,
                input.recurrence.interval,
                input.recurrence.count,
                input.recurrence.until,
                now,
            )?;
            let notes = clean(input.notes.as_deref());
            let mut occurrences = Vec::new();
            let mut booked = 0;
            for k in 0..MAX_OCCURRENCES {
                if input.recurrence.count.is_some_and(|count| k >= count) {
                    break;
                }
                let date = local_first.date_naive() + Duration::weeks(k * input.recurrence.interval);
                if input.recurrence.until.is_some_and(|until| date > until) {
                    break;
                }
                let Some(start) = slots::resolve_start(&tz, date, minute) else {
                    let start = local_first.fixed_offset() + Duration::weeks(k * input.recurrence.interval);
                    occurrences.push(Occurrence {
                        start,
                        status: "skipped".into(),
                        appointment_id: None,
                        code: Some(ErrorCode::NonexistentLocalTime),
                        message: Some("that local time does not exist on this date (clocks go forward)".into()),
                    });
                    continue;
                };
                let local = start.with_timezone(&tz).fixed_offset();
                match check_bookable(tx, now, &service, &clinician, start, Some(centre_id), None) {
                    Ok((centre_id, slot, blocked)) => {
                        let booking = Booking {
                            service: &service,
                            clinician_id: clinician.id,
                            patient_id: patient.id,
                            centre_id,
                            slot,
                            blocked,
                        };
                        let id =
                            insert_booking(tx, now, &caller, &booking, notes.clone(), Some(series_id), &video_base)?;
                        booked += 1;
                        occurrences.push(Occurrence {
                            start: local,
                            status: "booked".into(),
                            appointment_id: Some(id),
                            code: None,
                            message: None,
                        });
                    }
                    Err(err @ (Error::Rule { .. } | Error::Conflict { .. })) => {
                        if booked == 0 && k == 0 {
                            return Err(err);
                        }
                        occurrences.push(Occurrence {
                            start: local,
                            status: "skipped".into(),
                            appointment_id: None,
                            code: Some(err.code()),
                            message: Some(err.public_message()),
                        });
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(SeriesResult { series_id, occurrences })
        })
        .await
}

/// Seats a patient in a group session, or puts them on its waitlist.
fn take_seat(
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
        return Err(Error::conflict(
            ErrorCode::InvalidTransition,
            format!("a {} session takes no one", session.status.as_str()),
        ));
    }
    match store::attendee_status(tx, appointment_id, patient_id)?.as_deref() {
        Some("booked") | Some("waitlisted") => {
            return Err(Error::conflict(ErrorCode::AlreadyBooked, "the patient is already in this session"));
        }
        _ => {}
    }
    let seated = store::booked_count(tx, appointment_id)? < session.capacity;
    let status = match (seated, waitlist) {
        (true, _) => "booked",
        (false, true) => "waitlisted",
        (false, false) => {
            return Err(Error::Conflict {
                code: ErrorCode::Full,
                message: "the session is full; join its waitlist instead".into(),
                details: Some(serde_json::json!({ "appointment_id": appointment_id, "capacity": session.capacity })),
            });
        }
    };
    store::set_attendee(tx, appointment_id, patient_id, status, now)?;
    let details = serde_json::json!({ "patient_id": patient_id, "status": status });
    store::record_history(tx, appointment_id, now, Some(caller.staff_id), "attendee_joined", Some(details))?;
    audit_change(tx, now, caller, "appointment.attendee_join", "appointment", appointment_id, ChangeOp::Update)?;
    store::get_appointment(tx, appointment_id)?.ok_or_else(|| not_found("appointment"))
}

pub async fn join_session(app: &App, caller: &Caller, appointment_id: i64, input: JoinSession) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let patient = crate::patients::store::get(tx, input.patient_id)?
                .ok_or_else(|| Error::invalid_field("patient_id", "names no patient"))?;
            if patient.status == crate::patients::model::PatientStatus::Archived {
                return Err(Error::rule(ErrorCode::PatientArchived, "restore the patient before booking"));
            }
            take_seat(tx, now, &caller, appointment_id, patient.id, input.waitlist)
        })
        .await
}

/// Takes a patient out of a session. A freed seat goes to the first
/// patient on the waitlist, and that is recorded like any other change.
pub async fn leave_session(app: &App, caller: &Caller, appointment_id: i64, patient_id: i64) -> Result<Appointment> {
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            store::get_appointment(tx, appointment_id)?.ok_or_else(|| not_found("appointment"))?;
            let status = store::attendee_status(tx, appointment_id, patient_id)?;
            let was_booked = match status.as_deref() {
                Some("booked") => true,
                Some("waitlisted") => false,
                _ => return Err(not_found("attendee")),
            };
            store::set_attendee(tx, appointment_id, patient_id, "left", now)?;
            let details = serde_json::json!({ "patient_id": patient_id });
            store::record_history(tx, appointment_id, now, Some(caller.staff_id), "attendee_left", Some(details))?;
            audit_change(
                tx,
                now,
                &caller,
                "appointment.attendee_leave",
                "appointment",
                appointment_id,
                ChangeOp::Update,
            )?;
            if was_booked && let Some(next) = store::first_waitlisted(tx, appointment_id)? {
                store::set_attendee(tx, appointment_id, next, "booked", now)?;
                let details = serde_json::json!({ "patient_id": next });
                store::record_history(tx, appointment_id, now, None, "waitlist_promoted", Some(details))?;
                changes::record(tx, now, "appointment", appointment_id, ChangeOp::Update)?;
            }
            store::get_appointment(tx, appointment_id)?.ok_or_else(|| not_found("appointment"))
        })
        .await
}

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
    app.db
        .write(move |tx| {
            let current = store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))?;
            let Some(next) = step.apply(current.status) else {
                return Err(Error::Conflict {
                    code: ErrorCode::InvalidTransition,
                    message: format!(
                        "a {} appointment cannot {}",
                        current.status.as_str(),
                        step.name().replace('_', " ")
                    ),
                    details: Some(serde_json::json!({ "status": current.status.as_str(), "action": step.name() })),
                });
            };
            let cancel = (next == AppointmentStatus::Cancelled).then_some((reason.as_deref(), caller.staff_id));
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
                store::record_history(tx, target, now, Some(caller.staff_id), step.name(), Some(details))?;
                let action = format!("appointment.{}", step.name());
                audit_change(tx, now, &caller, &action, "appointment", target, ChangeOp::Update)?;
            }
            store::get_appointment(tx, id)?.ok_or_else(|| not_found("appointment"))
        })
        .await
}

// ---- calendar feeds

/// Managers, and the clinician themself, may see and rotate a feed link.
pub fn may_see_feed(caller: &Caller, clinician: &Clinician) -> bool {
    caller.require(crate::auth::Action::SchedulingSetup).is_ok() || clinician.staff_id == Some(caller.staff_id)
}

pub fn feed_url(app: &App, clinician_id: i64, generation: i64) -> String {
    let path = crate::scheduling::calendar::feed_path(&crate::scheduling::calendar::token(
        &app.secret,
        clinician_id,
        generation,
    ));
    match &app.config.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    }
}

pub async fn clinician_for(app: &App, caller: &Caller, id: i64) -> Result<Clinician> {
    let (clinician, generation) =
        app.db.read(move |c| Ok((store::get_clinician(c, id)?, store::calendar_generation(c, id)?))).await?;
    let mut clinician = clinician.ok_or_else(|| not_found("clinician"))?;
    if may_see_feed(caller, &clinician) {
        clinician.calendar_feed_url = Some(feed_url(app, id, generation.unwrap_or(0)));
    }
    Ok(clinician)
}

pub async fn rotate_feed(app: &App, caller: &Caller, id: i64) -> Result<CalendarLink> {
    let clinician = app.db.read(move |c| store::get_clinician(c, id)).await?.ok_or_else(|| not_found("clinician"))?;
    if !may_see_feed(caller, &clinician) {
        return Err(Error::forbidden("only managers and the clinician may change this feed"));
    }
    let (now, caller) = (app.clock.now(), caller.clone());
    let generation = app
        .db
        .write(move |tx| {
            let generation = store::rotate_calendar(tx, id, now)?;
            audit::record(tx, now, Actor::from(&caller), "calendar.rotate", "clinician", Some(id), None)?;
            Ok(generation)
        })
        .await?;
    Ok(CalendarLink { url: feed_url(app, id, generation) })
}

/// The feed for a presented token, or 404 for any token that is not current.
pub async fn feed(app: &App, file: &str) -> Result<String> {
    let token = file.strip_suffix(".ics").unwrap_or(file).to_owned();
    let now = app.clock.now();
    let app = app.clone();
    let db_app = app.clone();
    app.db
        .read(move |conn| {
            let clinician_id = crate::scheduling::calendar::verify(&db_app.secret, &token, |id| {
                store::calendar_generation(conn, id).ok().flatten()
            })
            .ok_or(Error::NotFound { entity: "calendar" })?;
            let clinician = store::get_clinician(conn, clinician_id)?.ok_or(Error::NotFound { entity: "calendar" })?;
            let settings = store::booking_settings(conn)?;
            let span = Interval { start: now - Duration::days(30), end: now + Duration::days(400) };
            let events = store::feed_events(conn, clinician_id, span, settings.calendar_show_surnames)?;
            Ok(crate::scheduling::calendar::build(&clinician.display_name, &events, now))
        })
        .await
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

    #[test]
    fn clock_times_parse_with_midnight_as_an_end_only() {
        assert_eq!(parse_clock("09:30", false), Some(570));
        assert_eq!(parse_clock("24:00", true), Some(1440));
        assert_eq!(parse_clock("24:00", false), None);
        assert_eq!(parse_clock("9am", false), None);
    }
}
