//! Centres, clinicians, services and the booking policy as the API shows them.

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};

pub use crate::kit::money::Money;

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Centre {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// IANA time zone, e.g. `Europe/London`. Availability is in this zone.
    pub timezone: String,
    pub active: bool,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewCentre {
    #[oai(validator(max_length = 100))]
    pub name: String,
    #[oai(validator(max_length = 300))]
    pub address: Option<String>,
    #[oai(validator(max_length = 40))]
    pub phone: Option<String>,
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    #[oai(validator(max_length = 64))]
    pub timezone: String,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct CentrePatch {
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(max_length = 300))]
    pub address: MaybeUndefined<String>,
    #[oai(validator(max_length = 40))]
    pub phone: MaybeUndefined<String>,
    #[oai(validator(max_length = 254))]
    pub email: MaybeUndefined<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 64))]
    pub timezone: Option<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub active: Option<bool>,
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Clinician {
    pub id: i64,
    /// The staff account this clinician signs in with, if any.
    pub staff_id: Option<i64>,
    pub display_name: String,
    pub specialties: Vec<String>,
    pub qualifications: Vec<String>,
    pub languages: Vec<String>,
    pub bio: Option<String>,
    pub centre_ids: Vec<i64>,
    pub default_fee: Option<Money>,
    pub active: bool,
    /// The clinician's private iCalendar feed; shown to managers and to the
    /// clinician. Relative unless `public_url` is configured.
    pub calendar_feed_url: Option<String>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
pub struct CalendarLink {
    pub url: String,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct NewClinician {
    #[oai(validator(minimum(value = "1")))]
    pub staff_id: Option<i64>,
    #[oai(validator(max_length = 100))]
    pub display_name: String,
    #[oai(default)]
    #[oai(validator(max_items = 20, max_length = 60))]
    pub specialties: Vec<String>,
    #[oai(default)]
    #[oai(validator(max_items = 20, max_length = 60))]
    pub qualifications: Vec<String>,
    #[oai(default)]
    #[oai(validator(max_items = 20, max_length = 60))]
    pub languages: Vec<String>,
    #[oai(validator(max_length = 2000))]
    pub bio: Option<String>,
    #[oai(default)]
    #[oai(validator(max_items = 100, minimum(value = "1")))]
    pub centre_ids: Vec<i64>,
    pub default_fee: Option<Money>,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct ClinicianPatch {
    #[oai(validator(minimum(value = "1")))]
    pub staff_id: MaybeUndefined<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 100))]
    pub display_name: Option<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_items = 20, max_length = 60))]
    pub specialties: Option<Vec<String>>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_items = 20, max_length = 60))]
    pub qualifications: Option<Vec<String>>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_items = 20, max_length = 60))]
    pub languages: Option<Vec<String>>,
    #[oai(validator(max_length = 2000))]
    pub bio: MaybeUndefined<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_items = 100, minimum(value = "1")))]
    pub centre_ids: Option<Vec<i64>>,
    pub default_fee: MaybeUndefined<Money>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub active: Option<bool>,
}

#[derive(Object)]
pub struct PublicClinicianList {
    pub data: Vec<PublicClinician>,
}

/// What the public may see of a clinician.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PublicClinician {
    pub id: i64,
    pub display_name: String,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub bio: Option<String>,
    pub centre_ids: Vec<i64>,
}

impl From<Clinician> for PublicClinician {
    fn from(c: Clinician) -> Self {
        PublicClinician {
            id: c.id,
            display_name: c.display_name,
            specialties: c.specialties,
            languages: c.languages,
            bio: c.bio,
            centre_ids: c.centre_ids,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Modality {
    InPerson,
    Video,
}

crate::kit::sql::text_enum!(Modality {
    InPerson => "in_person",
    Video => "video",
});

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Service {
    pub id: i64,
    pub name: String,
    pub duration_minutes: i64,
    pub price: Money,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub modality: Modality,
    /// 1 for individual appointments; more for a group session's seats.
    pub capacity: i64,
    /// Clinicians who offer it.
    pub clinician_ids: Vec<i64>,
    /// For the calendar, e.g. `#0f766e`.
    pub colour: Option<String>,
    pub active: bool,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewService {
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// 5 to 720.
    #[oai(validator(minimum(value = "5"), maximum(value = "720")))]
    pub duration_minutes: i64,
    pub price: Money,
    #[oai(default)]
    #[oai(validator(minimum(value = "0"), maximum(value = "240")))]
    pub buffer_before_minutes: i64,
    #[oai(default)]
    #[oai(validator(minimum(value = "0"), maximum(value = "240")))]
    pub buffer_after_minutes: i64,
    pub modality: Modality,
    #[oai(default = "one")]
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub capacity: i64,
    #[oai(default)]
    #[oai(validator(max_items = 200, minimum(value = "1")))]
    pub clinician_ids: Vec<i64>,
    #[oai(validator(max_length = 7, pattern = "^(#[0-9a-fA-F]{6})?$"))]
    pub colour: Option<String>,
}

pub fn one() -> i64 {
    1
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct ServicePatch {
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "5"), maximum(value = "720")))]
    pub duration_minutes: Option<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub price: Option<Money>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "0"), maximum(value = "240")))]
    pub buffer_before_minutes: Option<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "0"), maximum(value = "240")))]
    pub buffer_after_minutes: Option<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub modality: Option<Modality>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub capacity: Option<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_items = 200, minimum(value = "1")))]
    pub clinician_ids: Option<Vec<i64>>,
    #[oai(validator(max_length = 7, pattern = "^(#[0-9a-fA-F]{6})?$"))]
    pub colour: MaybeUndefined<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub active: Option<bool>,
}

#[derive(Object, Clone, Debug, PartialEq, Eq)]
pub struct BookingSettings {
    /// Bookings must start at least this long from now.
    pub min_notice_minutes: i64,
    /// Bookings may start at most this many days ahead.
    pub booking_window_days: i64,
    /// Patients may cancel up to this many hours before the start.
    pub cancellation_notice_hours: i64,
    /// Calendar feeds show patients' family names (otherwise an initial).
    pub calendar_show_surnames: bool,
    /// Bookings made by signed-in staff start `confirmed` (otherwise `pending`).
    pub staff_bookings_confirmed: bool,
    /// Check-in opens this many minutes before the start.
    pub check_in_opens_minutes: i64,
    /// Minutes between the start times offered (every 15 by default),
    /// whatever a service's length; 0 offers them one whole visit apart.
    pub slot_interval_minutes: i64,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct BookingSettingsPatch {
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "0"), maximum(value = "43200")))]
    pub min_notice_minutes: Option<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "1"), maximum(value = "730")))]
    pub booking_window_days: Option<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "0"), maximum(value = "720")))]
    pub cancellation_notice_hours: Option<i64>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub calendar_show_surnames: Option<bool>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub staff_bookings_confirmed: Option<bool>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "0"), maximum(value = "1440")))]
    pub check_in_opens_minutes: Option<i64>,
    /// 0, or 5 to 240.
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(minimum(value = "0"), maximum(value = "240")))]
    pub slot_interval_minutes: Option<i64>,
}
