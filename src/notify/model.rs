use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};

/// How a message reaches a patient.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[oai(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
}

crate::kit::sql::text_enum!(Channel {
    Email => "email",
    Sms => "sms",
    Whatsapp => "whatsapp",
});

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting to go (first try, or a retry after a failure).
    Queued,
    Sent,
    /// The last try failed; another follows.
    Failed,
    /// Every try failed; staff were told.
    Dead,
}

crate::kit::sql::text_enum!(MessageStatus {
    Queued => "queued",
    Sent => "sent",
    Failed => "failed",
    Dead => "dead",
});

/// A message to someone outside the clinic, and how its delivery went.
#[derive(Object, Clone, Debug)]
pub struct OutboundMessage {
    pub id: i64,
    pub patient_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub channel: Channel,
    /// What it is: `confirmation`, `reschedule`, `cancellation`, `reminder`, `test`.
    pub template: String,
    /// The address or number it goes to.
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub status: MessageStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// Something a member of staff should know, in the app.
#[derive(Object, Clone, Debug)]
pub struct Notification {
    pub id: i64,
    /// e.g. `appointment.created`, `appointment.cancelled`, `message.failed`, `questionnaire.risk`.
    #[oai(rename = "type")]
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The page of the record it is about, e.g. `/patients/12`.
    pub link: Option<String>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Object, Clone, Debug)]
pub struct UnreadCount {
    pub unread: i64,
}

/// Hours, local to the appointment's centre, in which no reminder is sent:
/// `21:00` to `08:00` spans midnight.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
#[oai(deny_unknown_fields)]
pub struct QuietHours {
    #[oai(validator(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    #[oai(validator(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub end: String,
}

/// Which channels this server can send on (configured at start).
#[derive(Object, Clone, Debug)]
pub struct ChannelsConfigured {
    /// `smtp_url` and `smtp_from` are set.
    pub email: bool,
    /// `sms_webhook_url` is set (it carries SMS and WhatsApp).
    pub sms: bool,
    pub whatsapp: bool,
}

#[derive(Object, Clone, Debug)]
pub struct NotificationSettings {
    /// Hours before an appointment that reminders go, e.g. `[24, 2]`.
    pub reminder_hours_before: Vec<i64>,
    pub quiet_hours: Option<QuietHours>,
    pub channels: ChannelsConfigured,
}

#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct NotificationSettingsPatch {
    /// Up to four leads, 1 to 336 hours (two weeks); `[]` sends no reminders.
    #[oai(validator(max_items = 4, minimum(value = "1"), maximum(value = "336")))]
    pub reminder_hours_before: Option<Vec<i64>>,
    /// `null` sends at any hour.
    pub quiet_hours: MaybeUndefined<QuietHours>,
}

/// A message sent now to check a channel.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct TestMessage {
    pub channel: Channel,
    /// An email address, or a phone number for SMS and WhatsApp.
    #[oai(validator(min_length = 3, max_length = 254))]
    pub to: String,
}

#[derive(Object, Clone, Debug)]
pub struct TestOutcome {
    pub channel: Channel,
    pub to: String,
    pub delivered: bool,
    /// Why not, in the server's words.
    pub error: Option<String>,
}

/// The wording of one event's messages.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct MessageTemplate {
    /// `confirmation`, `reschedule`, `cancellation` or `reminder`.
    pub event: String,
    /// The language asked for (`?language=`); absent for the clinic's usual wording.
    pub language: Option<String>,
    /// The email's subject.
    pub subject: String,
    pub email_body: String,
    /// For SMS and WhatsApp: keep it short.
    pub text_body: String,
    /// The clinic's own wording rather than the built-in one.
    pub custom: bool,
    /// The language of the clinic's wording shown, when it is a translation: `pt` for
    /// `?language=pt-BR` when only `pt` is worded. Absent for the usual or built-in wording.
    pub wording_language: Option<String>,
    /// The languages the clinic has worded this event in, besides its usual wording.
    pub translations: Vec<String>,
    /// The names a template may use in braces, e.g. `{patient_first_name}`.
    pub placeholders: Vec<String>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct MessageTemplateInput {
    #[oai(validator(max_length = 200))]
    pub subject: String,
    #[oai(validator(max_length = 5000))]
    pub email_body: String,
    #[oai(validator(max_length = 600))]
    pub text_body: String,
}
