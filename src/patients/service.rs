//! Rules for patient records: validation and normalisation, duplicate
//! warnings, archiving, and the audit of every change and every read.

use std::future::Future;
use std::pin::Pin;

use chrono::NaiveDate;
use email_address::EmailAddress;
use rusqlite::Connection;

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::error::{Error, ErrorCode, ErrorDetails, PossibleDuplicateDetails, Result, Validator};
use crate::kit::phone;
use crate::kit::principal::{Caller, Role};
use crate::kit::text;
use crate::patients::model::{
    Address, EmergencyContact, NewPatient, Patient, PatientFacets, PatientPatch, PatientStatus, SortOrder,
};
use crate::patients::scope::{self, PatientsBookedWith, Scope};
use crate::patients::store::{self, ListQuery, PatientFields};
use poem_openapi::types::MaybeUndefined;

const NAME_MAX: usize = 100;
const LINE_MAX: usize = 200;
const LEAD_SOURCE_MAX: usize = 60;

/// Trims; empty becomes absent.
fn clean(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn check_text(v: &mut Validator, field: &str, value: &Option<String>, max: usize) {
    if let Some(text) = value {
        if text.chars().count() > max {
            v.add(field, format!("must be at most {max} characters"));
        } else if let Some(problem) = text::character_problem(text) {
            v.add(field, problem);
        } else if !text::has_visible(text) {
            v.add(field, "must contain visible characters");
        }
    }
}

fn required_name(v: &mut Validator, field: &str, value: &str) -> String {
    let value = value.trim().to_owned();
    if !text::has_visible(&value) {
        v.add(field, "is required");
    } else {
        check_text(v, field, &Some(value.clone()), NAME_MAX);
    }
    value
}

fn phone_field(v: &mut Validator, field: &str, raw: Option<&str>, region: &str) -> Option<String> {
    let raw = clean(raw)?;
    match phone::normalise(&raw, region) {
        Ok(e164) => Some(e164),
        Err(problem) => {
            v.add(field, problem);
            None
        }
    }
}

/// Validates and normalises a patient's fields, naming every bad field.
pub fn normalise(input: &NewPatient, region: &str, today: NaiveDate) -> Result<PatientFields> {
    let mut v = Validator::new();
    let given_name = required_name(&mut v, "given_name", &input.given_name);
    let family_name = required_name(&mut v, "family_name", &input.family_name);
    let preferred_name = clean(input.preferred_name.as_deref());
    check_text(&mut v, "preferred_name", &preferred_name, NAME_MAX);

    let date_of_birth = match clean(input.date_of_birth.as_deref()) {
        None => None,
        Some(text) => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(date) if date > today => {
                v.add("date_of_birth", "cannot be in the future");
                None
            }
            Ok(date) if date < NaiveDate::from_ymd_opt(1880, 1, 1).unwrap_or(date) => {
                v.add("date_of_birth", "is too far in the past");
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                v.add("date_of_birth", "must be a date written YYYY-MM-DD");
                None
            }
        },
    };

    let phone = phone_field(&mut v, "phone", input.phone.as_deref(), region);
    let email = clean(input.email.as_deref());
    if let Some(email) = &email
        && (!EmailAddress::is_valid(email) || email.len() > 254)
    {
        v.add("email", "is not a valid email address");
    }

    let address = input.address.clone().unwrap_or_default();
    let address = Address {
        line1: clean(address.line1.as_deref()),
        line2: clean(address.line2.as_deref()),
        city: clean(address.city.as_deref()),
        region: clean(address.region.as_deref()),
        postal_code: clean(address.postal_code.as_deref()),
        country: clean(address.country.as_deref()),
    };
    for (field, value) in [
        ("address.line1", &address.line1),
        ("address.line2", &address.line2),
        ("address.city", &address.city),
        ("address.region", &address.region),
        ("address.postal_code", &address.postal_code),
        ("address.country", &address.country),
    ] {
        check_text(&mut v, field, value, LINE_MAX);
    }

    let contact = input.emergency_contact.clone().unwrap_or_default();
    let emergency_contact = EmergencyContact {
        name: clean(contact.name.as_deref()),
        phone: phone_field(&mut v, "emergency_contact.phone", contact.phone.as_deref(), region),
        relationship: clean(contact.relationship.as_deref()),
    };
    check_text(&mut v, "emergency_contact.name", &emergency_contact.name, NAME_MAX);
    check_text(&mut v, "emergency_contact.relationship", &emergency_contact.relationship, NAME_MAX);
    if emergency_contact.name.is_none() && contact.phone.as_deref().is_some_and(|p| !p.trim().is_empty()) {
        v.add("emergency_contact.name", "is required with an emergency phone number");
    }

    // Lower-cased so that "Referral" and "referral" count as one source.
    let lead_source = clean(input.lead_source.as_deref()).map(|s| s.to_lowercase());
    check_text(&mut v, "lead_source", &lead_source, LEAD_SOURCE_MAX);

    let preferred_language = clean(input.preferred_language.as_deref()).and_then(|tag| {
        crate::kit::language::canonical(&tag).map_err(|problem| v.add("preferred_language", problem)).ok()
    });

    v.finish()?;
    Ok(PatientFields {
        given_name,
        family_name,
        preferred_name,
        date_of_birth,
        sex: input.sex,
        phone,
        email,
        address,
        emergency_contact,
        lead_source,
        contact_preferences: input.contact_preferences.unwrap_or_default(),
        preferred_language,
    })
}

/// The stored record in the shape of a request, so a patch is validated by
/// exactly the rules a new record is.
fn as_input(patient: &Patient) -> NewPatient {
    NewPatient {
        given_name: patient.given_name.clone(),
        family_name: patient.family_name.clone(),
        preferred_name: patient.preferred_name.clone(),
        date_of_birth: patient.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()),
        sex: patient.sex,
        phone: patient.phone.clone(),
        email: patient.email.clone(),
        address: patient.address.clone(),
        emergency_contact: patient.emergency_contact.clone(),
        lead_source: patient.lead_source.clone(),
        contact_preferences: Some(patient.contact_preferences),
        preferred_language: patient.preferred_language.clone(),
    }
}

/// Applies a patch: absent fields stay, `null` clears an optional one, and
/// `null` for a field every record needs is refused, naming it.
fn merge(mut input: NewPatient, patch: PatientPatch) -> Result<NewPatient> {
    let mut v = Validator::new();
    for (field, value, target) in [
        ("given_name", patch.given_name, &mut input.given_name),
        ("family_name", patch.family_name, &mut input.family_name),
    ] {
        match value {
            MaybeUndefined::Value(name) => *target = name,
            MaybeUndefined::Null => v.add(field, "cannot be cleared; leave it out to keep it"),
            MaybeUndefined::Undefined => {}
        }
    }
    v.finish()?;
    patch.preferred_name.update_to(&mut input.preferred_name);
    patch.date_of_birth.update_to(&mut input.date_of_birth);
    patch.sex.update_to(&mut input.sex);
    patch.phone.update_to(&mut input.phone);
    patch.email.update_to(&mut input.email);
    patch.address.update_to(&mut input.address);
    patch.emergency_contact.update_to(&mut input.emergency_contact);
    patch.lead_source.update_to(&mut input.lead_source);
    if patch.contact_preferences.is_some() {
        input.contact_preferences = patch.contact_preferences;
    }
    patch.preferred_language.update_to(&mut input.preferred_language);
    Ok(input)
}

/// Names (never values) of the fields that differ, for the audit log.
fn changed_fields(before: &PatientFields, after: &PatientFields) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("given_name", before.given_name != after.given_name);
    check("family_name", before.family_name != after.family_name);
    check("preferred_name", before.preferred_name != after.preferred_name);
    check("date_of_birth", before.date_of_birth != after.date_of_birth);
    check("sex", before.sex != after.sex);
    check("phone", before.phone != after.phone);
    check("email", before.email != after.email);
    check("address", before.address != after.address);
    check("emergency_contact", before.emergency_contact != after.emergency_contact);
    check("lead_source", before.lead_source != after.lead_source);
    check("contact_preferences", before.contact_preferences != after.contact_preferences);
    check("preferred_language", before.preferred_language != after.preferred_language);
    changed
}

fn not_found() -> Error {
    Error::NotFound { entity: "patient" }
}

pub async fn create(app: &App, caller: &Caller, input: NewPatient, allow_duplicate: bool) -> Result<Patient> {
    let fields = normalise(&input, &app.phone_region.get(), app.clock.now().date_naive())?;
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let matches = store::find_duplicates(tx, &fields)?;
            if !allow_duplicate && !matches.is_empty() {
                return Err(Error::Conflict {
                    code: ErrorCode::PossibleDuplicate,
                    message: "this looks like a patient who is already registered; \
                              repeat with allow_duplicate=true to register anyway"
                        .into(),
                    details: Some(ErrorDetails::PossibleDuplicate(PossibleDuplicateDetails { matches })),
                });
            }
            let id = store::insert(tx, &fields, now)?;
            // Registered anyway: a manager reviews the pair later.
            crate::patients::merging::service::flag_registered_anyway(tx, id, &matches, &caller, now)?;
            // A clinician keeps seeing whom they registered, whatever the scope.
            if let (Role::Clinician, Some(staff_id)) = (caller.role, caller.staff_id) {
                scope::share(tx, id, staff_id, None, now)?;
            }
            audit::record(tx, now, Actor::from(&caller), "patient.create", "patient", Some(id), None)?;
            changes::record(tx, now, "patient", id, ChangeOp::Create)?;
            store::get(tx, id)?.ok_or_else(not_found)
        })
        .await
}

/// The patient, or 404: for other features' records that hang off one.
pub fn existing(conn: &Connection, id: i64) -> Result<Patient> {
    store::get(conn, id)?.ok_or_else(not_found)
}

/// The patient, or 404 when there is none or the caller may not see them.
pub fn visible(conn: &Connection, caller: &Caller, booked_with: PatientsBookedWith, id: i64) -> Result<Patient> {
    Scope::of(conn, caller, booked_with)?.check(id)?;
    existing(conn, id)
}

/// The patient a booking names: 422 naming `patient_id` when there is no
/// such patient (or none the caller may see), `PATIENT_ARCHIVED` when the
/// record is archived.
pub fn for_booking(conn: &Connection, caller: &Caller, booked_with: PatientsBookedWith, id: i64) -> Result<Patient> {
    let no_patient = || Error::invalid_field("patient_id", "names no patient");
    if !Scope::of(conn, caller, booked_with)?.sees(id) {
        return Err(no_patient());
    }
    let patient = store::get(conn, id)?.ok_or_else(no_patient)?;
    if patient.status == PatientStatus::Archived {
        return Err(Error::rule(ErrorCode::PatientArchived, "restore the patient before booking"));
    }
    Ok(patient)
}

/// Reads one record and notes the read in the audit log.
pub async fn get(app: &App, caller: &Caller, id: i64) -> Result<Patient> {
    let (now, booked_with) = (app.clock.now(), app.patients_booked_with);
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let patient = visible(tx, &caller, booked_with, id)?;
            audit::record(tx, now, Actor::from(&caller), "patient.read", "patient", Some(id), None)?;
            Ok(patient)
        })
        .await
}

pub async fn update(app: &App, caller: &Caller, id: i64, patch: PatientPatch) -> Result<Patient> {
    let (now, booked_with) = (app.clock.now(), app.patients_booked_with);
    let region = app.phone_region.get();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let current = visible(tx, &caller, booked_with, id)?;
            let before = normalise(&as_input(&current), &region, now.date_naive())?;
            let after = normalise(&merge(as_input(&current), patch)?, &region, now.date_naive())?;
            let changed = changed_fields(&before, &after);
            if changed.is_empty() {
                return Ok(current);
            }
            store::update(tx, id, &after, now)?;
            let details = serde_json::json!({ "fields": changed });
            audit::record(tx, now, Actor::from(&caller), "patient.update", "patient", Some(id), Some(details))?;
            changes::record(tx, now, "patient", id, ChangeOp::Update)?;
            store::get(tx, id)?.ok_or_else(not_found)
        })
        .await
}

pub async fn set_status(app: &App, caller: &Caller, id: i64, target: PatientStatus) -> Result<Patient> {
    let (now, booked_with) = (app.clock.now(), app.patients_booked_with);
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let current = visible(tx, &caller, booked_with, id)?;
            if let (Some(into), PatientStatus::Active) = (current.merged_into_id, target) {
                return Err(Error::conflict(
                    ErrorCode::PatientMerged,
                    format!("this record was merged into patient {into}; undo the merge to restore it"),
                ));
            }
            if current.status == target {
                let (code, message) = match target {
                    PatientStatus::Archived => (ErrorCode::AlreadyArchived, "the patient is already archived"),
                    PatientStatus::Active => (ErrorCode::NotArchived, "the patient is not archived"),
                };
                return Err(Error::conflict(code, message));
            }
            store::set_status(tx, id, target, now)?;
            let (action, op) = match target {
                PatientStatus::Archived => ("patient.archive", ChangeOp::Archive),
                PatientStatus::Active => ("patient.restore", ChangeOp::Restore),
            };
            audit::record(tx, now, Actor::from(&caller), action, "patient", Some(id), None)?;
            changes::record(tx, now, "patient", id, op)?;
            store::get(tx, id)?.ok_or_else(not_found)
        })
        .await
}

/// Splits a search box query: a phone number typed in any format is
/// searched as one number (normalised like stored numbers); anything else
/// is words that must each match.
pub fn interpret_query(q: &str, region: &str) -> (Vec<String>, Option<String>) {
    let q = q.trim();
    let phone_shaped = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = phone::digits_of(q);
    if phone_shaped && digits.len() >= 3 {
        let searched = match phone::normalise(q, region) {
            Ok(e164) => phone::digits_of(&e164),
            // A fragment: trunk zeros are not stored in E.164.
            Err(_) => digits.trim_start_matches('0').to_owned(),
        };
        return (Vec::new(), Some(searched));
    }
    (q.split_whitespace().map(str::to_owned).collect(), None)
}

/// Ranks patients for a search-box query, best first, or `None` while it
/// cannot (the index is being rebuilt). The search feature provides it
/// (`AppState::patient_ranking`), so patients need not know about the index.
pub trait PatientRanking: Send + Sync + 'static {
    /// The best `LIST_CANDIDATES`-odd matches, for lists the index alone
    /// cannot filter or order.
    fn rank(&self, text: String, include_archived: bool) -> RankFuture;
    /// One page of matches by relevance, and how many match in all.
    fn page(&self, text: String, include_archived: bool, offset: usize, limit: usize) -> PageFuture;
}

pub type RankFuture = Pin<Box<dyn Future<Output = Result<Option<Vec<i64>>>> + Send>>;
pub type PageFuture = Pin<Box<dyn Future<Output = Result<Option<RankedPage>>> + Send>>;

/// A page of patient ids best first, and the index's count of every match.
pub struct RankedPage {
    pub ids: Vec<i64>,
    pub total: i64,
}

/// How deep a search-box list goes in relevance order: pages reach the
/// best this many matches (a narrower search finds the rest).
pub const MAX_RANKED_DEPTH: i64 = 10_000;

/// What a patient list asks for.
pub struct ListRequest {
    /// Search-box text: names and emails by prefix and with typos, phone
    /// numbers in any format, dates of birth as typed.
    pub q: Option<String>,
    /// Without it, archived patients are listed too.
    pub status: Option<PatientStatus>,
    pub lead_source: Option<String>,
    pub sort: Option<SortOrder>,
}

/// One page of a patient list, and how many match. With `q`, the search
/// index ranks the matches; while it rebuilds, the database answers the
/// search itself.
pub async fn list(app: &App, caller: &Caller, request: ListRequest, page: Page) -> Result<(Vec<Patient>, i64)> {
    let text = request.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let include_archived = request.status != Some(PatientStatus::Active);
    let booked_with = app.patients_booked_with;
    // A search needs the scope before it asks the index; a plain list
    // learns it in the same read as its rows.
    let within = match &text {
        Some(_) => {
            let scoped_caller = caller.clone();
            Some(app.db.read(move |conn| Ok(Scope::of(conn, &scoped_caller, booked_with)?.ids())).await?)
        }
        None => None,
    };
    let mut query = ListQuery {
        within: within.clone().flatten(),
        ranked_ids: None,
        terms: Vec::new(),
        phone_digits: None,
        status: request.status,
        lead_source: request.lead_source.clone(),
        sort: request.sort,
    };
    let mut index_total = None;
    if let Some(text) = &text {
        // The index alone filters by words and archived, and orders by
        // relevance: then it pages and counts. Anything more is filtered
        // here among its best matches.
        let index_alone = query.within.is_none()
            && query.lead_source.is_none()
            && query.sort.is_none()
            && request.status != Some(PatientStatus::Archived);
        if index_alone {
            if page.offset() + page.limit() > MAX_RANKED_DEPTH {
                return Err(Error::invalid_field(
                    "page",
                    format!("a search lists its best {MAX_RANKED_DEPTH} matches; narrow the search to see more"),
                ));
            }
            let (offset, limit) = (page.offset() as usize, page.limit() as usize);
            if let Some(ranked) = app.patient_ranking.page(text.clone(), include_archived, offset, limit).await? {
                query.ranked_ids = Some(ranked.ids);
                index_total = Some(ranked.total);
            }
        } else {
            query.ranked_ids = app.patient_ranking.rank(text.clone(), include_archived).await?;
        }
        if query.ranked_ids.is_none() {
            // The index is being rebuilt: the database searches.
            (query.terms, query.phone_digits) = interpret_query(text, &app.phone_region.get());
        }
    }
    let (counts, scoped_caller) = (app.counts.clone(), caller.clone());
    // The index's page is already the page: its rows, in its order.
    let offset = if index_total.is_some() { 0 } else { page.offset() };
    let (rows, total) = app
        .db
        .read(move |conn| {
            if within.is_none() {
                query.within = Scope::of(conn, &scoped_caller, booked_with)?.ids();
            }
            store::list(conn, &query, page.limit(), offset, &counts)
        })
        .await?;
    let total = index_total.unwrap_or(total);
    // Who looked for whom, and which records they were shown.
    let details = serde_json::json!({
        "q": text,
        "status": request.status.map(PatientStatus::as_str),
        "lead_source": request.lead_source,
        "page": page.page,
        "total": total,
        "ids": rows.iter().map(|p| p.id).collect::<Vec<_>>(),
    });
    audit::service::record_access(app, caller.into(), "patient.list", "patient", None, details).await?;
    Ok((rows, total))
}

/// Counts over the patients the caller may see.
pub async fn facets(app: &App, caller: &Caller) -> Result<PatientFacets> {
    let (caller, booked_with) = (caller.clone(), app.patients_booked_with);
    app.db
        .read(move |conn| {
            let within = Scope::of(conn, &caller, booked_with)?.ids();
            store::facets(conn, within.as_deref())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn input() -> NewPatient {
        NewPatient {
            given_name: " Ada ".into(),
            family_name: "Lovelace".into(),
            preferred_name: Some("".into()),
            date_of_birth: Some("1990-12-10".into()),
            sex: None,
            phone: Some("07911 123456".into()),
            email: Some("ada@example.com".into()),
            address: None,
            emergency_contact: None,
            lead_source: Some(" Referral ".into()),
            contact_preferences: None,
            preferred_language: Some("PT-br".into()),
        }
    }

    #[test]
    fn normalises_phone_names_and_sources() {
        let fields = normalise(&input(), "GB", today()).unwrap();
        assert_eq!(fields.given_name, "Ada");
        assert_eq!(fields.preferred_name, None);
        assert_eq!(fields.phone.as_deref(), Some("+447911123456"));
        assert_eq!(fields.lead_source.as_deref(), Some("referral"));
        assert_eq!(fields.preferred_language.as_deref(), Some("pt-BR"));
    }

    #[test]
    fn names_every_bad_field_at_once() {
        let mut bad = input();
        bad.given_name = "   ".into();
        bad.email = Some("not-an-email".into());
        bad.phone = Some("123".into());
        bad.date_of_birth = Some("2030-01-01".into());
        bad.family_name = "x".repeat(101);
        let Err(Error::Validation(fields)) = normalise(&bad, "GB", today()) else { panic!("expected 422") };
        for field in ["given_name", "family_name", "email", "phone", "date_of_birth"] {
            assert!(fields.contains_key(field), "{field} missing from {fields:?}");
        }
    }

    #[test]
    fn phone_shaped_queries_search_the_number() {
        assert_eq!(interpret_query("07911 100004", "GB"), (vec![], Some("447911100004".into())));
        assert_eq!(interpret_query("+44 7911 100004", "GB"), (vec![], Some("447911100004".into())));
        assert_eq!(interpret_query("0791", "GB"), (vec![], Some("791".into())));
        assert_eq!(interpret_query("ada love", "GB"), (vec!["ada".into(), "love".into()], None));
        assert_eq!(interpret_query("12", "GB"), (vec!["12".into()], None));
    }

    #[test]
    fn patch_null_clears_and_absent_keeps() {
        let base = input();
        let patch = PatientPatch {
            email: MaybeUndefined::Null,
            family_name: MaybeUndefined::Value("Byron".into()),
            ..Default::default()
        };
        let merged = merge(base.clone(), patch).unwrap();
        assert_eq!(merged.email, None);
        assert_eq!(merged.family_name, "Byron");
        assert_eq!(merged.phone, base.phone);
    }

    #[test]
    fn patch_null_for_a_name_every_record_needs_is_refused_naming_it() {
        let patch = PatientPatch { given_name: MaybeUndefined::Null, ..Default::default() };
        let Err(Error::Validation(fields)) = merge(input(), patch) else { panic!("expected 422") };
        assert!(fields.contains_key("given_name"), "{fields:?}");
    }
}
