use chrono::{DateTime, FixedOffset};
use poem_openapi::Object;

use crate::scheduling::appointments::model::AppointmentStatus;

/// One appointment as the patient's link shows it: what, when and where,
/// and no one else's details.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct ManagedAppointment {
    /// The patient's given name, to greet them.
    pub patient_first_name: String,
    /// In the centre's offset.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub start: DateTime<FixedOffset>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub end: DateTime<FixedOffset>,
    /// The centre's IANA zone, e.g. `Europe/London`.
    pub timezone: String,
    /// `cancelled` also when the patient gave up their place in a group session.
    pub status: AppointmentStatus,
    pub service: String,
    pub clinician: String,
    pub centre: String,
    pub address: Option<String>,
    /// For a video visit: where to join.
    pub video_url: Option<String>,
    /// A place in a group session rather than an appointment of one's own.
    pub group_session: bool,
    /// Whether the patient may cancel now, by this link.
    pub can_cancel: bool,
    /// Until when they may (the clinic's `cancellation_notice_hours` before the start).
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub cancel_until: DateTime<FixedOffset>,
    pub clinic_name: String,
    /// E.164: to call about anything the link does not do.
    pub clinic_phone: Option<String>,
    /// `clinic_phone` as the clinic writes it, for showing.
    pub clinic_phone_display: Option<String>,
}

/// Why the patient cancels, if they say.
#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct PatientCancel {
    #[oai(validator(max_length = 500))]
    pub reason: Option<String>,
}
