use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::Listed;
use crate::http::responses::{Created, NoContent};
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::scheduling::availability::model::*;
use crate::scheduling::availability::service;

pub struct AvailabilityApi;

#[OpenApi(tag = "ApiTags::Scheduling")]
impl AvailabilityApi {
    /// A clinician's weekly availability
    ///
    /// The weekly rules: weekday (1 Monday to 7 Sunday), local start and end time, centre, and the
    /// dates they apply from and until.
    #[oai(path = "/clinicians/:id/availability", method = "get", operation_id = "get_availability")]
    async fn availability(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> Result<Json<Listed<AvailabilityRule>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let rules = service::rules(&app, id.0).await?;
        Ok(Json(Listed::of(rules)))
    }

    /// Replace a clinician's weekly availability
    ///
    /// Blocks are local wall time at each centre (its `timezone`), so 09:00
    /// stays 09:00 across daylight-saving changes. Several blocks a day are
    /// fine; overlapping blocks are refused.
    #[oai(path = "/clinicians/:id/availability", method = "put", operation_id = "replace_availability")]
    async fn replace_availability(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<Vec<AvailabilityRule>>,
    ) -> Result<Json<Listed<AvailabilityRule>>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(Listed::of(service::replace_availability(&app, auth.caller(), id.0, body.0).await?)))
    }

    /// A clinician's time off
    ///
    /// The clinician's absences, earliest first.
    #[oai(path = "/clinicians/:id/time-off", method = "get", operation_id = "list_time_off")]
    async fn time_off(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Listed<TimeOff>>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(Listed::of(service::list_exceptions(&app, id.0, ExceptionKind::TimeOff).await?)))
    }

    /// Add time off
    ///
    /// The clinician is away at every centre from `start` to `end` (at most a year); no slot is
    /// offered and nothing can be booked inside it. Booked appointments stay: move or cancel them.
    #[oai(path = "/clinicians/:id/time-off", method = "post", operation_id = "add_time_off")]
    async fn add_time_off(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewTimeOff>,
    ) -> Result<Created<TimeOff>> {
        auth.caller().require(Action::SchedulingSetup)?;
        let off = service::add_time_off(&app, auth.caller(), id.0, body.0).await?;
        let location = format!("/api/v1/clinicians/{}/time-off/{}", off.clinician_id, off.id);
        Ok(Created::Created(Json(off), location))
    }

    /// Remove time off
    ///
    /// The time becomes bookable again where the weekly rules or extra hours allow.
    #[oai(path = "/clinicians/:id/time-off/:time_off_id", method = "delete", operation_id = "delete_time_off")]
    async fn delete_time_off(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        time_off_id: Path<i64>,
    ) -> Result<NoContent> {
        auth.caller().require(Action::SchedulingSetup)?;
        service::remove_exception(&app, auth.caller(), id.0, ExceptionKind::TimeOff, time_off_id.0).await?;
        Ok(NoContent::Done)
    }

    /// A clinician's extra one-off availability
    ///
    /// One-off hours beside the weekly rules, earliest first.
    #[oai(path = "/clinicians/:id/extra-availability", method = "get", operation_id = "list_extra_availability")]
    async fn extra(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Listed<TimeOff>>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(Listed::of(service::list_exceptions(&app, id.0, ExceptionKind::Extra).await?)))
    }

    /// Add extra one-off availability at a centre (at most a day)
    ///
    /// Opens bookable time at a centre on one day, beside the weekly rules (at most a day long).
    /// `end` must be after `start`.
    #[oai(path = "/clinicians/:id/extra-availability", method = "post", operation_id = "add_extra_availability")]
    async fn add_extra(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewExtraAvailability>,
    ) -> Result<Created<TimeOff>> {
        auth.caller().require(Action::SchedulingSetup)?;
        let extra = service::add_extra_availability(&app, auth.caller(), id.0, body.0).await?;
        let location = format!("/api/v1/clinicians/{}/extra-availability/{}", extra.clinician_id, extra.id);
        Ok(Created::Created(Json(extra), location))
    }

    /// Remove extra availability
    ///
    /// Slots inside the removed hours stop being offered; appointments already booked stay.
    #[oai(
        path = "/clinicians/:id/extra-availability/:extra_id",
        method = "delete",
        operation_id = "delete_extra_availability"
    )]
    async fn delete_extra(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        extra_id: Path<i64>,
    ) -> Result<NoContent> {
        auth.caller().require(Action::SchedulingSetup)?;
        service::remove_exception(&app, auth.caller(), id.0, ExceptionKind::Extra, extra_id.0).await?;
        Ok(NoContent::Done)
    }
}

const READ: Access = Access::Requires(&[Action::SchedulingRead]);
const SETUP: Access = Access::Requires(&[Action::SchedulingSetup]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("get_availability", READ),
    Operation::new("replace_availability", SETUP),
    Operation::new("list_time_off", READ),
    Operation::new("add_time_off", SETUP),
    Operation::new("delete_time_off", SETUP),
    Operation::new("list_extra_availability", READ),
    Operation::new("add_extra_availability", SETUP),
    Operation::new("delete_extra_availability", SETUP),
];
