//! Bookable slots as the API shows them.

use chrono::{DateTime, FixedOffset};
use poem_openapi::Object;

#[derive(Object, Clone, Debug)]
pub struct SlotOut {
    /// RFC 3339 in the centre's offset.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub start: DateTime<FixedOffset>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub end: DateTime<FixedOffset>,
    pub clinician_id: i64,
    pub centre_id: i64,
    pub seats_left: i64,
    /// Inside the clinic's minimum notice: offered to signed-in staff
    /// only, who book it past the policy (the history records it).
    pub within_notice: bool,
}
