use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewCentre {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub timezone: String,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct CentrePatch {
    pub name: Option<String>,
    pub address: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub timezone: Option<String>,
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
pub struct CalendarLink {
    pub url: String,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct NewClinician {
    pub staff_id: Option<i64>,
    pub display_name: String,
    #[oai(default)]
    pub specialties: Vec<String>,
    #[oai(default)]
    pub qualifications: Vec<String>,
    #[oai(default)]
    pub languages: Vec<String>,
    pub bio: Option<String>,
    #[oai(default)]
    pub centre_ids: Vec<i64>,
    pub default_fee: Option<Money>,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct ClinicianPatch {
    pub staff_id: MaybeUndefined<i64>,
    pub display_name: Option<String>,
    pub specialties: Option<Vec<String>>,
    pub qualifications: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    pub bio: MaybeUndefined<String>,
    pub centre_ids: Option<Vec<i64>>,
    pub default_fee: MaybeUndefined<Money>,
    pub active: Option<bool>,
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

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Modality {
    InPerson,
    Video,
}

impl Modality {
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::InPerson => "in_person",
            Modality::Video => "video",
        }
    }
}

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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewService {
    pub name: String,
    /// 5 to 720.
    pub duration_minutes: i64,
    pub price: Money,
    #[oai(default)]
    pub buffer_before_minutes: i64,
    #[oai(default)]
    pub buffer_after_minutes: i64,
    pub modality: Modality,
    #[oai(default = "one")]
    pub capacity: i64,
    #[oai(default)]
    pub clinician_ids: Vec<i64>,
    pub colour: Option<String>,
}

fn one() -> i64 {
    1
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct ServicePatch {
    pub name: Option<String>,
    pub duration_minutes: Option<i64>,
    pub price: Option<Money>,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub modality: Option<Modality>,
    pub capacity: Option<i64>,
    pub clinician_ids: Option<Vec<i64>>,
    pub colour: MaybeUndefined<String>,
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
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct BookingSettingsPatch {
    pub min_notice_minutes: Option<i64>,
    pub booking_window_days: Option<i64>,
    pub cancellation_notice_hours: Option<i64>,
    pub calendar_show_surnames: Option<bool>,
}

/// One block of weekly availability, in the centre's local time.
#[derive(Object, Clone, Debug, PartialEq)]
#[oai(deny_unknown_fields, skip_serializing_if_is_none)]
pub struct AvailabilityRule {
    /// ISO 8601 weekday: Monday = 1 … Sunday = 7.
    pub weekday: u32,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` (`24:00` for midnight).
    pub end: String,
    pub centre_id: i64,
    /// First day the block applies (inclusive).
    pub effective_from: Option<NaiveDate>,
    /// Last day the block applies (inclusive).
    pub effective_until: Option<NaiveDate>,
}

/// Time off, or extra one-off availability (which names its centre).
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct TimeOff {
    pub id: i64,
    pub clinician_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
    pub centre_id: Option<i64>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewExtraAvailability {
    /// RFC 3339 with offset.
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub centre_id: i64,
    pub reason: Option<String>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct Reschedule {
    /// The new start, RFC 3339 with offset.
    pub start: DateTime<FixedOffset>,
    /// Another clinician offering the service, if it moves to them.
    pub clinician_id: Option<i64>,
    pub centre_id: Option<i64>,
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct HistoryItem {
    pub at: DateTime<Utc>,
    /// Staff id of who made the change.
    pub actor_id: Option<i64>,
    /// `created`, `rescheduled`, `confirm`, `check_in`, `cancel`, …
    pub change: String,
    pub details: Option<serde_json::Value>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewTimeOff {
    /// RFC 3339 with offset.
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub reason: Option<String>,
}

#[derive(Object, Clone, Debug)]
pub struct SlotOut {
    /// RFC 3339 in the centre's offset.
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub clinician_id: i64,
    pub centre_id: i64,
    pub seats_left: i64,
}

#[derive(Object, Clone, Debug)]
pub struct SlotList {
    pub slots: Vec<SlotOut>,
}

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

impl AppointmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Pending => "pending",
            AppointmentStatus::Confirmed => "confirmed",
            AppointmentStatus::CheckedIn => "checked_in",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "no_show",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "pending" => AppointmentStatus::Pending,
            "confirmed" => AppointmentStatus::Confirmed,
            "checked_in" => AppointmentStatus::CheckedIn,
            "completed" => AppointmentStatus::Completed,
            "cancelled" => AppointmentStatus::Cancelled,
            "no_show" => AppointmentStatus::NoShow,
            _ => return None,
        })
    }
}

crate::kit::sql::text_enum_sql!(AppointmentStatus);

#[derive(Object, Clone, Debug)]
pub struct Attendee {
    pub patient_id: i64,
    /// The patient's given and family name.
    pub name: String,
    /// `booked` or `waitlisted`.
    pub status: String,
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Appointment {
    pub id: i64,
    pub service_id: i64,
    pub clinician_id: i64,
    pub centre_id: i64,
    /// RFC 3339 in the centre's offset.
    pub start: DateTime<FixedOffset>,
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewAppointment {
    pub patient_id: i64,
    pub service_id: i64,
    pub clinician_id: i64,
    /// RFC 3339 with offset.
    pub start: DateTime<FixedOffset>,
    /// Needed only when the clinician works at several centres at that time.
    pub centre_id: Option<i64>,
    pub notes: Option<String>,
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
    #[oai(default = "one")]
    pub interval: i64,
    /// Number of occurrences, 1 to 52.
    pub count: Option<i64>,
    /// Last local date an occurrence may fall on.
    pub until: Option<NaiveDate>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewSeries {
    pub patient_id: i64,
    pub service_id: i64,
    pub clinician_id: i64,
    /// The first occurrence; later ones keep its local wall time.
    pub start: DateTime<FixedOffset>,
    pub centre_id: Option<i64>,
    pub notes: Option<String>,
    pub recurrence: Recurrence,
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Occurrence {
    pub start: DateTime<FixedOffset>,
    /// `booked`, or `skipped` with the code and message of the rule or conflict.
    pub status: String,
    pub appointment_id: Option<i64>,
    pub code: Option<crate::kit::error::ErrorCode>,
    pub message: Option<String>,
}

#[derive(Object, Clone, Debug)]
pub struct SeriesResult {
    pub series_id: i64,
    pub occurrences: Vec<Occurrence>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct JoinSession {
    pub patient_id: i64,
    /// When the session is full, join its waitlist instead of being refused.
    #[oai(default)]
    pub waitlist: bool,
}
