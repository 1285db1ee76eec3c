use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};

use crate::patients::model::PatientStatus;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum FlagStatus {
    /// Waiting for a manager.
    Open,
    /// Two different people.
    Dismissed,
    /// Merged into one record.
    Merged,
}

crate::kit::sql::text_enum!(FlagStatus {
    Open => "open",
    Dismissed => "dismissed",
    Merged => "merged",
});

/// Who a record is about, enough to tell two apart (not the whole record).
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PatientBrief {
    pub id: i64,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    /// As the clinic writes it (national format for the clinic's region).
    pub phone_display: Option<String>,
    pub email: Option<String>,
    pub status: PatientStatus,
    pub merged_into_id: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
}

/// Two records that may be one person.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PossibleDuplicate {
    pub id: i64,
    /// The record registered despite the warning.
    pub patient: PatientBrief,
    /// The existing record it resembles.
    pub other: PatientBrief,
    /// `name_and_birth_date` or `phone`.
    pub reason: String,
    pub status: FlagStatus,
    /// Staff id of who registered the patient anyway.
    pub flagged_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub flagged_at: DateTime<Utc>,
    pub resolved_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Which record absorbs which: the path's patient is kept.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct MergeRequest {
    /// The record merged into the kept one: archived, pointing at it, its
    /// appointments and shares moved onto it. Its details are kept as they were.
    #[oai(validator(minimum(value = "1")))]
    pub merged_patient_id: i64,
}

/// A merge of one record into another.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PatientMerge {
    pub id: i64,
    pub kept_patient_id: i64,
    pub merged_patient_id: i64,
    /// How many records of each kind moved onto the kept patient, e.g.
    /// `{"appointments": 3, "shares": 1}`.
    pub moved: BTreeMap<String, i64>,
    pub merged_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub merged_at: DateTime<Utc>,
    pub undone_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub undone_at: Option<DateTime<Utc>>,
}
