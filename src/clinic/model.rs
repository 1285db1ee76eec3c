use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;

/// The clinic's profile. Optional fields are left out when unset.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
#[oai(skip_serializing_if_is_none)]
pub struct ClinicProfile {
    /// Shown in the top bar, on day sheets and later on invoices; empty until set.
    pub name: String,
    pub address: Option<String>,
    /// E.164, e.g. `+442079460000`.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// VAT or other tax registration number, for invoices.
    pub tax_number: Option<String>,
    /// ISO 4217 code new prices and invoices use by default, e.g. `GBP`.
    pub currency: String,
    /// ISO 3166 region phone numbers without a country code are read in, e.g. `GB`.
    pub phone_region: String,
    /// Where the logo is served (it changes when the logo does), or absent.
    pub logo_url: Option<String>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Send only what changes; `null` clears an optional field.
#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct ClinicProfilePatch {
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(max_length = 300))]
    pub address: MaybeUndefined<String>,
    #[oai(validator(max_length = 40))]
    pub phone: MaybeUndefined<String>,
    #[oai(validator(max_length = 254))]
    pub email: MaybeUndefined<String>,
    #[oai(validator(max_length = 50))]
    pub tax_number: MaybeUndefined<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(pattern = "^[A-Za-z]{2}$"))]
    pub phone_region: Option<String>,
}
