use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Page, Paginated};
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::notify::model::{
    MessageStatus, MessageTemplate, MessageTemplateInput, Notification, NotificationSettings,
    NotificationSettingsPatch, OutboundMessage, TestMessage, TestOutcome, UnreadCount,
};
use crate::notify::service;

pub struct NotificationsApi;

#[OpenApi(tag = "ApiTags::Notifications")]
impl NotificationsApi {
    /// List one's notifications
    ///
    /// The signed-in person's, newest first: bookings, moves and cancellations others made for
    /// them, failed deliveries, risk flags on their patients' questionnaires. `unread_only`
    /// leaves out those read.
    #[oai(path = "/notifications", method = "get", operation_id = "list_notifications")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        unread_only: Query<Option<bool>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Notification>>> {
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::list(&app, auth.caller(), unread_only.0.unwrap_or(false), page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Count one's unread notifications
    ///
    /// What the bell in the top bar shows: how many of the signed-in person's notifications are
    /// not yet read.
    #[oai(path = "/notifications/unread-count", method = "get", operation_id = "count_unread_notifications")]
    async fn unread(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<UnreadCount>> {
        Ok(Json(service::unread(&app, auth.caller()).await?))
    }

    /// Mark a notification read
    ///
    /// One of the signed-in person's own; someone else's is a 404. Reading it twice keeps the
    /// first time.
    #[oai(path = "/notifications/:id/read", method = "post", operation_id = "read_notification")]
    async fn read(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Notification>> {
        Ok(Json(service::read(&app, auth.caller(), id.0).await?))
    }

    /// Mark every notification read
    ///
    /// All of the signed-in person's notifications; answers the unread count, now 0.
    #[oai(path = "/notifications/read-all", method = "post", operation_id = "read_all_notifications")]
    async fn read_all(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<UnreadCount>> {
        Ok(Json(service::read_all(&app, auth.caller()).await?))
    }

    /// List messages sent to patients
    ///
    /// Every email, SMS and WhatsApp message, newest first, with how its delivery went
    /// (`queued`, `sent`, `failed` and retried, or `dead` after the last try) and how many tries
    /// it took. Filter by `patient_id` and `status`.
    #[oai(path = "/outbound-messages", method = "get", operation_id = "list_outbound_messages")]
    async fn messages(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] patient_id: Query<Option<i64>>,
        status: Query<Option<MessageStatus>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<OutboundMessage>>> {
        auth.caller().require(Action::PatientRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::messages(&app, patient_id.0, status.0, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Read the notification settings
    ///
    /// When reminders go (hours before the appointment), the quiet hours in which none is sent,
    /// and which channels this server can send on (`smtp_url`, `sms_webhook_url`).
    #[oai(path = "/settings/notifications", method = "get", operation_id = "get_notification_settings")]
    async fn settings(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<NotificationSettings>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::settings(&app).await?))
    }

    /// Change the notification settings
    ///
    /// `reminder_hours_before` (up to four leads, 1–336 hours; `[]` for none) and
    /// `quiet_hours` (`{"start": "21:00", "end": "08:00"}` in each centre's local time; `null`
    /// for none). Appointments booked or moved from now on use them. Audited.
    #[oai(path = "/settings/notifications", method = "patch", operation_id = "update_notification_settings")]
    async fn update_settings(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NotificationSettingsPatch>,
    ) -> Result<Json<NotificationSettings>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::update_settings(&app, auth.caller(), body.0).await?))
    }

    /// Read a message template
    ///
    /// The wording of one event's messages to patients (`confirmation`, `reschedule`,
    /// `cancellation`, `reminder`) as a patient reading `language` gets it: the clinic's wording
    /// in that language (`pt-BR`, else `pt`), else the clinic's usual wording, else the built-in
    /// one; with the placeholders a template may use and the languages it is worded in.
    #[oai(path = "/settings/templates/:event", method = "get", operation_id = "get_message_template")]
    async fn template(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        event: Path<String>,
        /// A BCP 47 tag such as `cy` or `pt-BR`; left out, the clinic's usual wording.
        #[oai(validator(max_length = 35))]
        language: Query<Option<String>>,
    ) -> Result<Json<MessageTemplate>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::template(&app, &event.0, language.0.as_deref()).await?))
    }

    /// Change a message template
    ///
    /// Plain text with named placeholders such as `{patient_first_name}` and `{start_local}`; an
    /// unknown placeholder or an empty part is a 422 naming it. With `language`, the wording for
    /// patients who read that language; without, the clinic's usual wording. Messages written
    /// from now on use it. Audited.
    #[oai(path = "/settings/templates/:event", method = "put", operation_id = "put_message_template")]
    async fn put_template(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        event: Path<String>,
        /// A BCP 47 tag such as `cy` or `pt-BR`; left out, the clinic's usual wording.
        #[oai(validator(max_length = 35))]
        language: Query<Option<String>>,
        body: Json<MessageTemplateInput>,
    ) -> Result<Json<MessageTemplate>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::save_template(&app, auth.caller(), &event.0, language.0.as_deref(), body.0).await?))
    }

    /// Go back to the next wording down
    ///
    /// Forgets the clinic's wording of the event in `language` (patients reading it then get the
    /// clinic's usual wording), or without `language` its usual wording (the built-in one
    /// applies again). Answers the wording now in use; forgetting what is not there changes
    /// nothing. Audited.
    #[oai(path = "/settings/templates/:event", method = "delete", operation_id = "delete_message_template")]
    async fn delete_template(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        event: Path<String>,
        /// A BCP 47 tag such as `cy` or `pt-BR`; left out, the clinic's usual wording.
        #[oai(validator(max_length = 35))]
        language: Query<Option<String>>,
    ) -> Result<Json<MessageTemplate>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::remove_template(&app, auth.caller(), &event.0, language.0.as_deref()).await?))
    }

    /// Send a test message
    ///
    /// Sends a short message now on `channel` to `to` and answers whether it was delivered, and
    /// if not, why (the settings page's "Send a test"). Recorded with the outbound messages and
    /// in the audit log.
    #[oai(path = "/admin/notifications/test", method = "post", operation_id = "test_notification_channel")]
    async fn test(&self, app: Data<&App>, auth: StaffAuth, body: Json<TestMessage>) -> Result<Json<TestOutcome>> {
        auth.caller().require(Action::StaffManage)?;
        Ok(Json(service::test(&app, auth.caller(), body.0).await?))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_notifications", Access::Person),
    Operation::new("count_unread_notifications", Access::Person),
    Operation::new("read_notification", Access::Person).errors(&[C::NotFound]),
    Operation::new("read_all_notifications", Access::Person),
    Operation::new("list_outbound_messages", Access::Requires(&[Action::PatientRead])),
    Operation::new("get_notification_settings", Access::Requires(&[Action::SchedulingRead])),
    Operation::new("update_notification_settings", Access::Requires(&[Action::SchedulingSetup])),
    Operation::new("get_message_template", Access::Requires(&[Action::SchedulingRead])).errors(&[C::NotFound]),
    Operation::new("put_message_template", Access::Requires(&[Action::SchedulingSetup])).errors(&[C::NotFound]),
    Operation::new("delete_message_template", Access::Requires(&[Action::SchedulingSetup])).errors(&[C::NotFound]),
    Operation::new("test_notification_channel", Access::Requires(&[Action::StaffManage])),
];
