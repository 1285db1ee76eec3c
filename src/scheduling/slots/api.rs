use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::Listed;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::scheduling::slots::model::*;
use crate::scheduling::slots::service::{self, SlotRequest};

pub struct SlotsApi;

#[OpenApi(tag = "ApiTags::Scheduling")]
impl SlotsApi {
    /// Bookable slots for self-booking
    ///
    /// The same slots as `/slots`, with no sign-in: they carry no patient data.
    #[oai(path = "/public/slots", method = "get", operation_id = "list_public_slots", tag = "ApiTags::Public")]
    async fn public_slots(
        &self,
        app: Data<&App>,
        service_id: Query<i64>,
        clinician_id: Query<Option<i64>>,
        centre_id: Query<Option<i64>>,
        from: Query<NaiveDate>,
        to: Query<NaiveDate>,
    ) -> Result<Json<Listed<SlotOut>>> {
        let request = SlotRequest {
            service_id: service_id.0,
            clinician_id: clinician_id.0,
            centre_id: centre_id.0,
            from: from.0,
            to: to.0,
            bound_by_policy: true,
        };
        Ok(Json(Listed::of(service::find_slots(&app, request).await?)))
    }

    /// Bookable slots
    ///
    /// Honours weekly availability, time off, existing appointments, buffers
    /// and group capacity. The minimum notice and the booking window bind
    /// API keys; signed-in staff also see the times inside the notice
    /// (`within_notice`) and beyond the window, which they may book. Without
    /// `clinician_id`, every clinician offering the service. At most 31 days.
    #[oai(path = "/slots", method = "get", operation_id = "list_slots")]
    async fn slots(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        service_id: Query<i64>,
        clinician_id: Query<Option<i64>>,
        centre_id: Query<Option<i64>>,
        /// First local date, `YYYY-MM-DD`.
        from: Query<NaiveDate>,
        /// Last local date, inclusive.
        to: Query<NaiveDate>,
    ) -> Result<Json<Listed<SlotOut>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let request = SlotRequest {
            service_id: service_id.0,
            clinician_id: clinician_id.0,
            centre_id: centre_id.0,
            from: from.0,
            to: to.0,
            bound_by_policy: auth.caller().staff_id.is_none(),
        };
        Ok(Json(Listed::of(service::find_slots(&app, request).await?)))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_slots", Access::Requires(&[Action::SchedulingRead])).errors(&[C::NotOffered]),
    Operation::new("list_public_slots", Access::Public).errors(&[C::NotOffered, C::TooManyRequests]),
];
