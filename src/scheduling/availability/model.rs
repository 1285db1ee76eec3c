//! Weekly availability, time off and extra hours as the API shows them.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use poem_openapi::Object;

/// One block of weekly availability, in the centre's local time.
#[derive(Object, Clone, Debug, PartialEq)]
#[oai(deny_unknown_fields, skip_serializing_if_is_none)]
pub struct AvailabilityRule {
    /// ISO 8601 weekday: Monday = 1 … Sunday = 7.
    #[oai(validator(minimum(value = "1"), maximum(value = "7")))]
    pub weekday: u32,
    /// Local start, `HH:MM`.
    #[oai(validator(max_length = 5))]
    pub start: String,
    /// Local end, `HH:MM` (`24:00` for midnight).
    #[oai(validator(max_length = 5))]
    pub end: String,
    #[oai(validator(minimum(value = "1")))]
    pub centre_id: i64,
    /// First day the block applies (inclusive).
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub effective_from: Option<NaiveDate>,
    /// Last day the block applies (inclusive).
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub effective_until: Option<NaiveDate>,
}

/// Time off, or extra one-off availability (which names its centre).
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct TimeOff {
    pub id: i64,
    pub clinician_id: i64,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub start: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
    pub centre_id: Option<i64>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewExtraAvailability {
    /// RFC 3339 with offset.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub start: DateTime<FixedOffset>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub end: DateTime<FixedOffset>,
    #[oai(validator(minimum(value = "1")))]
    pub centre_id: i64,
    #[oai(validator(max_length = 200))]
    pub reason: Option<String>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewTimeOff {
    /// RFC 3339 with offset.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub start: DateTime<FixedOffset>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub end: DateTime<FixedOffset>,
    #[oai(validator(max_length = 200))]
    pub reason: Option<String>,
}

/// The two kinds of exception to the weekly rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionKind {
    /// The clinician is away (at every centre).
    TimeOff,
    /// One-off hours at a centre beside the weekly rules.
    Extra,
}

impl ExceptionKind {
    /// What a missing one is called in a 404.
    pub fn entity(self) -> &'static str {
        match self {
            ExceptionKind::TimeOff => "time off",
            ExceptionKind::Extra => "extra availability",
        }
    }
}

crate::kit::sql::text_enum!(ExceptionKind {
    TimeOff => "time_off",
    Extra => "extra",
});
