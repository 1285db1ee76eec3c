use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Page, Paginated};
use crate::http::responses::Created;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::scheduling::feeds;
use crate::scheduling::setup::model::*;
use crate::scheduling::setup::service;

pub struct SetupApi;

#[OpenApi(tag = "ApiTags::Scheduling")]
impl SetupApi {
    /// List centres
    ///
    /// Every centre, active or not, by name. A centre's time zone decides the local day and the
    /// offsets of its appointment times.
    #[oai(path = "/centres", method = "get", operation_id = "list_centres")]
    async fn list_centres(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Centre>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        Ok(Json(page.slice(service::list_centres(&app).await?)))
    }

    /// Create a centre
    ///
    /// A centre is a place where clinicians see patients. `timezone` is an IANA zone such as
    /// `Europe/London`; appointment times at the centre carry its offset.
    #[oai(path = "/centres", method = "post", operation_id = "create_centre")]
    async fn create_centre(&self, app: Data<&App>, auth: StaffAuth, body: Json<NewCentre>) -> Result<Created<Centre>> {
        auth.caller().require(Action::SchedulingSetup)?;
        let centre = service::create_centre(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/centres/{}", centre.id);
        Ok(Created::Created(Json(centre), location))
    }

    /// Get a centre
    ///
    /// One centre with its address, contacts and time zone.
    #[oai(path = "/centres/:id", method = "get", operation_id = "get_centre")]
    async fn get_centre(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Centre>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::get_centre(&app, id.0).await?))
    }

    /// Change a centre
    ///
    /// Send only what changes; `null` clears `address`, `phone` or `email`. Changing the time zone
    /// moves no booked appointment: they keep their instants.
    #[oai(path = "/centres/:id", method = "patch", operation_id = "update_centre")]
    async fn update_centre(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<CentrePatch>,
    ) -> Result<Json<Centre>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::update_centre(&app, auth.caller(), id.0, body.0).await?))
    }

    /// List clinicians
    ///
    /// Every clinician, active ones first, by name, with the centres they work at.
    #[oai(path = "/clinicians", method = "get", operation_id = "list_clinicians")]
    async fn list_clinicians(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Clinician>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        Ok(Json(page.slice(service::list_clinicians(&app, false).await?)))
    }

    /// Create a clinician
    ///
    /// A clinician may be linked to a staff account (`staff_id`) or not:
    /// not every clinician signs in.
    #[oai(path = "/clinicians", method = "post", operation_id = "create_clinician")]
    async fn create_clinician(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NewClinician>,
    ) -> Result<Created<Clinician>> {
        auth.caller().require(Action::SchedulingSetup)?;
        let clinician = service::create_clinician(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/clinicians/{}", clinician.id);
        Ok(Created::Created(Json(clinician), location))
    }

    /// Get a clinician
    ///
    /// One clinician. `calendar_feed_url` is shown to managers and to the clinician themself only.
    #[oai(path = "/clinicians/:id", method = "get", operation_id = "get_clinician")]
    async fn get_clinician(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Clinician>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(feeds::service::clinician_for(&app, auth.caller(), id.0).await?))
    }

    /// Change a clinician
    ///
    /// Send only what changes; `null` clears `staff_id`, `bio` or `default_fee`. A deactivated
    /// clinician takes no new bookings; booked appointments stay.
    #[oai(path = "/clinicians/:id", method = "patch", operation_id = "update_clinician")]
    async fn update_clinician(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<ClinicianPatch>,
    ) -> Result<Json<Clinician>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::update_clinician(&app, auth.caller(), id.0, body.0).await?))
    }

    /// List services
    ///
    /// Every service with its duration, price, buffers, modality, capacity and the clinicians who
    /// offer it.
    #[oai(path = "/services", method = "get", operation_id = "list_services")]
    async fn list_services(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Service>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        Ok(Json(page.slice(service::list_services(&app).await?)))
    }

    /// Create a service
    ///
    /// A service is what a patient books: a duration in minutes, a price, buffers kept free before
    /// and after, a modality (`video` gets a meeting link) and a capacity above 1 for group
    /// sessions.
    #[oai(path = "/services", method = "post", operation_id = "create_service")]
    async fn create_service(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NewService>,
    ) -> Result<Created<Service>> {
        auth.caller().require(Action::SchedulingSetup)?;
        let created = service::create_service(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/services/{}", created.id);
        Ok(Created::Created(Json(created), location))
    }

    /// Get a service
    ///
    /// One service with its duration, price, buffers, modality, capacity and the clinicians who offer it.
    #[oai(path = "/services/:id", method = "get", operation_id = "get_service")]
    async fn get_service(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Service>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::get_service(&app, id.0).await?))
    }

    /// Change a service
    ///
    /// Send only what changes; `null` clears `colour`. A new duration applies to new bookings;
    /// booked appointments keep theirs.
    #[oai(path = "/services/:id", method = "patch", operation_id = "update_service")]
    async fn update_service(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<ServicePatch>,
    ) -> Result<Json<Service>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::update_service(&app, auth.caller(), id.0, body.0).await?))
    }

    /// The booking policy
    ///
    /// The clinic's booking policy: minimum notice, how far ahead, how late patients may cancel,
    /// and whether calendar feeds show family names.
    #[oai(path = "/settings/booking", method = "get", operation_id = "get_booking_settings")]
    async fn booking_settings(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<BookingSettings>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::booking_settings(&app).await?))
    }

    /// Change the booking policy
    ///
    /// Send only what changes. The policy applies to bookings from then on.
    #[oai(path = "/settings/booking", method = "patch", operation_id = "update_booking_settings")]
    async fn update_booking_settings(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<BookingSettingsPatch>,
    ) -> Result<Json<BookingSettings>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::update_booking_settings(&app, auth.caller(), body.0).await?))
    }

    /// The clinic's active clinicians, for a public booking page
    ///
    /// No sign-in needed: the names, specialties and languages a public booking page shows, nothing private.
    #[oai(
        path = "/public/clinicians",
        method = "get",
        operation_id = "list_public_clinicians",
        tag = "ApiTags::Public"
    )]
    async fn public_clinicians(&self, app: Data<&App>) -> Result<Json<PublicClinicianList>> {
        let data = service::list_clinicians(&app, true).await?.into_iter().map(PublicClinician::from).collect();
        Ok(Json(PublicClinicianList { data }))
    }
}

const READ: Access = Access::Requires(&[Action::SchedulingRead]);
const SETUP: Access = Access::Requires(&[Action::SchedulingSetup]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_centres", READ),
    Operation::new("create_centre", SETUP),
    Operation::new("get_centre", READ),
    Operation::new("update_centre", SETUP),
    Operation::new("list_clinicians", READ),
    Operation::new("create_clinician", SETUP),
    Operation::new("get_clinician", READ),
    Operation::new("update_clinician", SETUP),
    Operation::new("list_services", READ),
    Operation::new("create_service", SETUP),
    Operation::new("get_service", READ),
    Operation::new("update_service", SETUP),
    Operation::new("get_booking_settings", READ),
    Operation::new("update_booking_settings", SETUP),
    Operation::new("list_public_clinicians", Access::Public).errors(&[C::TooManyRequests]),
];
