use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::operations::Operation;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::Access;
use crate::portal::model::{ManagedAppointment, PatientCancel};
use crate::portal::service;

pub struct PortalApi;

#[OpenApi(tag = "ApiTags::Public")]
impl PortalApi {
    /// An appointment, by the patient's link
    ///
    /// No sign-in: the token from the `{manage_url}` in the patient's messages is the
    /// credential. Shows what, when and where, and whether the patient may still cancel online.
    /// A link opens until 30 days after its appointment; any other token is a 404. Each opening
    /// is recorded in the audit log.
    #[oai(path = "/public/appointments/:token", method = "get", operation_id = "get_managed_appointment")]
    async fn view(
        &self,
        req: &poem::Request,
        app: Data<&App>,
        #[oai(validator(max_length = 100))] token: Path<String>,
    ) -> Result<Json<ManagedAppointment>> {
        Ok(Json(service::view(&app, &token.0, crate::http::context::of(req)).await?))
    }

    /// Cancel, by the patient's link
    ///
    /// Cancels the appointment, or in a group session gives up the patient's place (the first on
    /// the waitlist moves up), until `cancellation_notice_hours` before the start (then
    /// `TOO_SOON`: call the clinic). The clinician is told in the app and the patient gets the
    /// cancellation message; asking again answers the same.
    #[oai(path = "/public/appointments/:token/cancel", method = "post", operation_id = "cancel_managed_appointment")]
    async fn cancel(
        &self,
        req: &poem::Request,
        app: Data<&App>,
        #[oai(validator(max_length = 100))] token: Path<String>,
        /// Optional: no body, `{}` or `{"reason": "…"}`.
        body: Json<Option<PatientCancel>>,
    ) -> Result<Json<ManagedAppointment>> {
        let input = body.0.unwrap_or_default();
        Ok(Json(service::cancel(&app, &token.0, input, crate::http::context::of(req)).await?))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("get_managed_appointment", Access::Public).errors(&[C::NotFound, C::TooManyRequests]),
    Operation::new("cancel_managed_appointment", Access::Public).errors(&[
        C::NotFound,
        C::TooSoon,
        C::InvalidTransition,
        C::TooManyRequests,
    ]),
];
