use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::scheduling::feeds::service;
use crate::scheduling::setup::model::CalendarLink;

pub struct FeedsApi;

#[derive(ApiResponse)]
enum CalendarFeed {
    /// An RFC 5545 calendar.
    #[oai(status = 200, content_type = "text/calendar; charset=utf-8")]
    Feed(PlainText<String>),
}

#[OpenApi(tag = "ApiTags::Scheduling")]
impl FeedsApi {
    /// Replace a clinician's calendar feed link
    ///
    /// The old link stops working at once. Managers and the clinician only.
    #[oai(path = "/clinicians/:id/calendar-token", method = "post", operation_id = "rotate_calendar_token")]
    async fn rotate_calendar(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<CalendarLink>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::rotate_feed(&app, auth.caller(), id.0).await?))
    }

    /// A clinician's appointments as an iCalendar feed
    ///
    /// For calendar apps: the link itself is the credential (see
    /// `calendar_feed_url`). Cancelled appointments stay, marked CANCELLED.
    #[oai(path = "/calendar/:file", method = "get", operation_id = "get_calendar_feed", tag = "ApiTags::Public")]
    async fn calendar_feed(&self, req: &poem::Request, app: Data<&App>, file: Path<String>) -> Result<CalendarFeed> {
        let context = crate::http::context::of(req);
        Ok(CalendarFeed::Feed(PlainText(service::feed(&app, &file.0, context).await?)))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new(
        "rotate_calendar_token",
        Access::RequiresOrOwn(&[Action::SchedulingSetup], "the clinician the link belongs to"),
    ),
    Operation::new("get_calendar_feed", Access::Public).errors(&[C::TooManyRequests]),
];
