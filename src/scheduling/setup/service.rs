//! Rules for centres, clinicians, services and the booking policy.

use chrono_tz::Tz;
use rusqlite::Connection;

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::ChangeOp;
use crate::kit::error::{Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::text::clean;
use crate::scheduling::setup::model::*;
use crate::scheduling::setup::store::{self, CentreFields, ClinicianFields, ServiceFields};
use crate::scheduling::shared::{audit_change, check_list, check_name, not_found};
use email_address::EmailAddress;

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
    let fields = centre_fields(input, true, &app.phone_region.get())?;
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
    let (now, caller, region) = (app.clock.now(), caller.clone(), app.phone_region.get());
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
                staff_bookings_confirmed: patch.staff_bookings_confirmed.unwrap_or(current.staff_bookings_confirmed),
                check_in_opens_minutes: patch.check_in_opens_minutes.unwrap_or(current.check_in_opens_minutes),
                slot_interval_minutes: patch.slot_interval_minutes.unwrap_or(current.slot_interval_minutes),
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
            if next.slot_interval_minutes != 0 && !(5..=240).contains(&next.slot_interval_minutes) {
                v.add("slot_interval_minutes", "must be 0 (one visit apart) or between 5 and 240");
            }
            if !(0..=1440).contains(&next.check_in_opens_minutes) {
                v.add("check_in_opens_minutes", "must be between 0 and 1440 (a day)");
            }
            v.finish()?;
            store::save_booking_settings(tx, &next, now)?;
            audit::record(tx, now, Actor::from(&caller), "settings.booking.update", "settings", None, None)?;
            Ok(next)
        })
        .await
}

// ---- reads

pub async fn list_centres(app: &App) -> Result<Vec<Centre>> {
    app.db.read(store::list_centres).await
}

pub async fn get_centre(app: &App, id: i64) -> Result<Centre> {
    app.db.read(move |c| store::get_centre(c, id)).await?.ok_or_else(|| not_found("centre"))
}

/// Every clinician, or only the active ones (for public booking).
pub async fn list_clinicians(app: &App, only_active: bool) -> Result<Vec<Clinician>> {
    app.db.read(move |c| store::list_clinicians(c, only_active)).await
}

pub async fn list_services(app: &App) -> Result<Vec<Service>> {
    app.db.read(store::list_services).await
}

pub async fn get_service(app: &App, id: i64) -> Result<Service> {
    app.db.read(move |c| store::get_service(c, id)).await?.ok_or_else(|| not_found("service"))
}

pub async fn booking_settings(app: &App) -> Result<BookingSettings> {
    app.db.read(store::booking_settings).await
}

/// The clinician, or 404: for the parts of scheduling that hang off one.
pub fn existing_clinician(conn: &Connection, id: i64) -> Result<Clinician> {
    store::get_clinician(conn, id)?.ok_or_else(|| not_found("clinician"))
}
