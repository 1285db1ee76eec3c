//! Appointments, series and group sessions as the API shows them.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use poem_openapi::{Enum, Object};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Pending,
    Confirmed,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

crate::kit::sql::text_enum!(AppointmentStatus {
    Pending => "pending",
    Confirmed => "confirmed",
    CheckedIn => "checked_in",
    Completed => "completed",
    Cancelled => "cancelled",
    NoShow => "no_show",
});

#[derive(Object, Clone, Debug)]
pub struct Attendee {
    pub patient_id: i64,
    /// The patient's given and family name.
    pub name: String,
    pub status: AttendeeStatus,
}

/// Where a patient stands in an appointment.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum AttendeeStatus {
    /// Has a place.
    Booked,
    /// Waits for a place in a full group session.
    Waitlisted,
    /// Left the session (kept for the history, not listed).
    Left,
}

crate::kit::sql::text_enum!(AttendeeStatus {
    Booked => "booked",
    Waitlisted => "waitlisted",
    Left => "left",
});

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Appointment {
    pub id: i64,
    pub service_id: i64,
    pub clinician_id: i64,
    pub centre_id: i64,
    /// RFC 3339 in the centre's offset.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub start: DateTime<FixedOffset>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub end: DateTime<FixedOffset>,
    pub status: AppointmentStatus,
    pub capacity: i64,
    pub attendees: Vec<Attendee>,
    pub notes: Option<String>,
    /// For video services: the visit's unguessable link.
    pub video_url: Option<String>,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<i64>,
    /// Set when booked as part of a recurring series.
    pub series_id: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewAppointment {
    #[oai(validator(minimum(value = "1")))]
    pub patient_id: i64,
    #[oai(validator(minimum(value = "1")))]
    pub service_id: i64,
    #[oai(validator(minimum(value = "1")))]
    pub clinician_id: i64,
    /// RFC 3339 with offset.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub start: DateTime<FixedOffset>,
    /// Needed only when the clinician works at several centres at that time.
    #[oai(validator(minimum(value = "1")))]
    pub centre_id: Option<i64>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct Reschedule {
    /// The new start, RFC 3339 with offset.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub start: DateTime<FixedOffset>,
    /// Another clinician offering the service, if it moves to them.
    #[oai(validator(minimum(value = "1")))]
    pub clinician_id: Option<i64>,
    #[oai(validator(minimum(value = "1")))]
    pub centre_id: Option<i64>,
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct HistoryItem {
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub at: DateTime<Utc>,
    /// Staff id of who made the change.
    pub actor_id: Option<i64>,
    /// `created`, `rescheduled`, `confirm`, `check_in`, `cancel`, …
    pub change: String,
    pub details: Option<serde_json::Value>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[oai(rename_all = "snake_case")]
pub enum CancelScope {
    /// Only this appointment.
    #[default]
    This,
    /// This one and every later one of its series.
    Following,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct CancelRequest {
    #[oai(validator(max_length = 500))]
    pub reason: Option<String>,
    #[oai(default)]
    pub scope: CancelScope,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Frequency {
    Weekly,
}

/// Repeat every `interval` weeks, `count` times or until a date (one of the two).
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct Recurrence {
    pub frequency: Frequency,
    /// 1 = every week, 2 = every other week; up to 4.
    #[oai(default = "crate::scheduling::setup::model::one")]
    #[oai(validator(minimum(value = "1"), maximum(value = "4")))]
    pub interval: i64,
    /// Number of occurrences, 1 to 52.
    #[oai(validator(minimum(value = "1"), maximum(value = "52")))]
    pub count: Option<i64>,
    /// Last local date an occurrence may fall on.
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub until: Option<NaiveDate>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewSeries {
    #[oai(validator(minimum(value = "1")))]
    pub patient_id: i64,
    #[oai(validator(minimum(value = "1")))]
    pub service_id: i64,
    #[oai(validator(minimum(value = "1")))]
    pub clinician_id: i64,
    /// The first occurrence; later ones keep its local wall time.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub start: DateTime<FixedOffset>,
    #[oai(validator(minimum(value = "1")))]
    pub centre_id: Option<i64>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
    pub recurrence: Recurrence,
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Occurrence {
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub start: DateTime<FixedOffset>,
    pub status: OccurrenceStatus,
    pub appointment_id: Option<i64>,
    pub code: Option<crate::kit::error::ErrorCode>,
    pub message: Option<String>,
}

/// What became of one occurrence of a series; `skipped` comes with the code
/// and message of the rule or conflict that stopped it.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum OccurrenceStatus {
    Booked,
    Skipped,
}

#[derive(Object, Clone, Debug)]
pub struct SeriesResult {
    pub series_id: i64,
    pub occurrences: Vec<Occurrence>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct JoinSession {
    #[oai(validator(minimum(value = "1")))]
    pub patient_id: i64,
    /// When the session is full, join its waitlist instead of being refused.
    #[oai(default)]
    pub waitlist: bool,
}
