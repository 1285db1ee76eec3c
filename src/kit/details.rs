//! The facts some error codes come with, one schema per kind, so a client
//! reads `error.details` typed instead of guessing. Which code carries which
//! is said on each schema; codes not named here carry no details.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Object, Union};

/// `details` of an error envelope; its shape follows `error.code`.
#[derive(Union, Clone, Debug, PartialEq)]
pub enum ErrorDetails {
    Fields(FieldDetails),
    SlotTaken(SlotTakenDetails),
    PossibleDuplicate(PossibleDuplicateDetails),
    InvalidTransition(InvalidTransitionDetails),
    SessionFull(SessionFullDetails),
    RetryAfter(RetryAfterDetails),
}

/// With `VALIDATION_FAILED` and `EMAIL_TAKEN`: each bad field, by name
/// (dotted for nested fields, such as `price.currency`), and its problem in words.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct FieldDetails {
    pub fields: BTreeMap<String, String>,
}

/// With `SLOT_TAKEN`: the appointment already holding the time.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct SlotTakenDetails {
    pub appointment_id: i64,
    /// When the clashing appointment starts (UTC).
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub start: DateTime<Utc>,
}

/// With `POSSIBLE_DUPLICATE`: the registered patients who look like the same person.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct PossibleDuplicateDetails {
    pub matches: Vec<DuplicateMatch>,
}

/// An existing patient record that looks like the same person.
#[derive(Object, Clone, Debug, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct DuplicateMatch {
    pub id: i64,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    /// `active` or `archived`.
    pub status: String,
    /// `name_and_birth_date` or `phone`.
    pub reason: String,
}

/// With `INVALID_TRANSITION`: the step asked for and the status that refuses it.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct InvalidTransitionDetails {
    /// The step: `confirm`, `check_in`, `complete`, `cancel`, `no_show`, `reschedule` or `join`.
    pub action: String,
    /// The appointment's current status.
    pub status: String,
}

/// With `FULL`: the group session and how many seats it has.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct SessionFullDetails {
    pub appointment_id: i64,
    pub capacity: i64,
}

/// With `TOO_MANY_REQUESTS`: how long to wait, as the `Retry-After` header says.
#[derive(Object, Clone, Debug, PartialEq)]
pub struct RetryAfterDetails {
    pub retry_after_seconds: u64,
}
