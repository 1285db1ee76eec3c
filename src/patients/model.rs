use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum PatientStatus {
    Active,
    Archived,
}

crate::kit::sql::text_enum!(PatientStatus {
    Active => "active",
    Archived => "archived",
});
crate::kit::sql::text_enum!(Sex {
    Female => "female",
    Male => "male",
    Other => "other",
    Unknown => "unknown",
});

#[derive(Object, Clone, Debug, Default, PartialEq)]
#[oai(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct Address {
    #[oai(validator(max_length = 200))]
    pub line1: Option<String>,
    #[oai(validator(max_length = 200))]
    pub line2: Option<String>,
    #[oai(validator(max_length = 200))]
    pub city: Option<String>,
    #[oai(validator(max_length = 200))]
    pub region: Option<String>,
    #[oai(validator(max_length = 200))]
    pub postal_code: Option<String>,
    #[oai(validator(max_length = 200))]
    pub country: Option<String>,
}

#[derive(Object, Clone, Debug, Default, PartialEq)]
#[oai(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct EmergencyContact {
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    /// Normalised to E.164 (`+447911123456`).
    #[oai(validator(max_length = 40))]
    pub phone: Option<String>,
    /// For example `mother`, `partner`.
    #[oai(validator(max_length = 100))]
    pub relationship: Option<String>,
}

/// How the patient agreed to be contacted about their appointments.
#[derive(Object, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(deny_unknown_fields)]
pub struct ContactPreferences {
    pub email: bool,
    pub sms: bool,
    pub whatsapp: bool,
}

impl Default for ContactPreferences {
    /// Email only, until the patient says otherwise.
    fn default() -> Self {
        ContactPreferences { email: true, sms: false, whatsapp: false }
    }
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Patient {
    pub id: i64,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// E.164, e.g. `+447911123456`.
    pub phone: Option<String>,
    /// `phone` as the clinic writes it, for showing (not for storing): national format for a
    /// number of the clinic's region (`07911 123456`), international otherwise (`+1
    /// 202-555-0143`).
    pub phone_display: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
    pub emergency_contact: Option<EmergencyContact>,
    /// How the patient found the clinic, e.g. `referral`, `website`.
    pub lead_source: Option<String>,
    /// The channels confirmations and reminders may use.
    pub contact_preferences: ContactPreferences,
    /// The language messages to the patient are written in (a BCP 47 tag such as `cy` or
    /// `pt-BR`), when the clinic has wording in it; the clinic's usual wording otherwise.
    pub preferred_language: Option<String>,
    pub status: PatientStatus,
    /// Set when this record was merged into another (it is archived then): the record kept.
    pub merged_into_id: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
}

impl Patient {
    /// Adds how the clinic writes the phone number (`region`: the clinic's).
    pub fn shown(mut self, region: &str) -> Self {
        self.phone_display = self.phone.as_deref().map(|p| crate::kit::phone::display(p, region));
        self
    }
}

/// A new patient. Dates are `YYYY-MM-DD`; phone numbers may be written as
/// people write them and are stored in E.164.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewPatient {
    #[oai(validator(max_length = 100))]
    pub given_name: String,
    #[oai(validator(max_length = 100))]
    pub family_name: String,
    #[oai(validator(max_length = 100))]
    pub preferred_name: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    #[oai(validator(max_length = 10))]
    pub date_of_birth: Option<String>,
    pub sex: Option<Sex>,
    #[oai(validator(max_length = 40))]
    pub phone: Option<String>,
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    pub address: Option<Address>,
    pub emergency_contact: Option<EmergencyContact>,
    #[oai(validator(max_length = 60))]
    pub lead_source: Option<String>,
    /// Email only unless given.
    pub contact_preferences: Option<ContactPreferences>,
    /// A BCP 47 language tag such as `cy` or `pt-BR`, written back in its canonical case.
    #[oai(validator(max_length = 35))]
    pub preferred_language: Option<String>,
}

/// Changes to a patient: fields left out stay as they are; `null` clears
/// an optional field.
#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct PatientPatch {
    /// Cannot be cleared: `null` is refused (422).
    #[oai(validator(max_length = 100))]
    pub given_name: MaybeUndefined<String>,
    /// Cannot be cleared: `null` is refused (422).
    #[oai(validator(max_length = 100))]
    pub family_name: MaybeUndefined<String>,
    #[oai(validator(max_length = 100))]
    pub preferred_name: MaybeUndefined<String>,
    /// `YYYY-MM-DD`, not in the future.
    #[oai(validator(max_length = 10))]
    pub date_of_birth: MaybeUndefined<String>,
    pub sex: MaybeUndefined<Sex>,
    #[oai(validator(max_length = 40))]
    pub phone: MaybeUndefined<String>,
    #[oai(validator(max_length = 254))]
    pub email: MaybeUndefined<String>,
    pub address: MaybeUndefined<Address>,
    pub emergency_contact: MaybeUndefined<EmergencyContact>,
    #[oai(validator(max_length = 60))]
    pub lead_source: MaybeUndefined<String>,
    /// Cannot be cleared: `null` is refused (422).
    pub contact_preferences: Option<ContactPreferences>,
    /// A BCP 47 language tag such as `cy` or `pt-BR`; `null` for the clinic's usual wording.
    #[oai(validator(max_length = 35))]
    pub preferred_language: MaybeUndefined<String>,
}

/// An existing record that looks like the same person (the details of `POSSIBLE_DUPLICATE`).
pub use crate::kit::details::DuplicateMatch;

#[derive(Object, Clone, Debug)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

#[derive(Object, Clone, Debug)]
pub struct PatientFacets {
    pub status: Vec<FacetCount>,
    /// Patients with no lead source are counted under `unknown`.
    pub lead_source: Vec<FacetCount>,
}

/// The order of a patient list; `-` means descending.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    #[oai(rename = "family_name")]
    FamilyName,
    #[oai(rename = "-family_name")]
    FamilyNameDesc,
    #[oai(rename = "created_at")]
    CreatedAt,
    #[oai(rename = "-created_at")]
    CreatedAtDesc,
    #[oai(rename = "date_of_birth")]
    DateOfBirth,
    #[oai(rename = "-date_of_birth")]
    DateOfBirthDesc,
}
