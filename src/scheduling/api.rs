use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::App;
use crate::auth::Action;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::pagination::{Page, Paginated};
use crate::kit::error::{Error, Result};
use crate::scheduling::model::*;
use crate::scheduling::service::{self, SlotRequest, Transition};
use crate::scheduling::store::{self, AppointmentFilter};

pub struct SchedulingApi;
pub struct AppointmentsApi;

#[derive(ApiResponse)]
enum Created<T: poem_openapi::types::ToJSON + Send + Sync> {
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>, #[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
enum CalendarFeed {
    /// An RFC 5545 calendar.
    #[oai(status = 200, content_type = "text/calendar; charset=utf-8")]
    Feed(PlainText<String>),
}

#[derive(Object)]
pub struct PublicClinicianList {
    pub data: Vec<PublicClinician>,
}

fn paged<T: poem_openapi::types::ParseFromJSON + poem_openapi::types::ToJSON>(
    rows: Vec<T>,
    page: Option<i64>,
    page_size: Option<i64>,
) -> Result<Paginated<T>> {
    let page = Page::from_query(page, page_size)?;
    let total = rows.len() as i64;
    let data = rows.into_iter().skip(page.offset() as usize).take(page.limit() as usize).collect();
    Ok(page.wrap(data, total))
}

fn missing(entity: &'static str) -> Error {
    Error::NotFound { entity }
}

#[OpenApi(tag = "ApiTags::Scheduling")]
impl SchedulingApi {
    /// List centres
    #[oai(path = "/centres", method = "get", operation_id = "list_centres")]
    async fn list_centres(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        page: Query<Option<i64>>,
        page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Centre>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let rows = app.db.read(store::list_centres).await?;
        Ok(Json(paged(rows, page.0, page_size.0)?))
    }

    /// Create a centre
    #[oai(path = "/centres", method = "post", operation_id = "create_centre")]
    async fn create_centre(&self, app: Data<&App>, auth: StaffAuth, body: Json<NewCentre>) -> Result<Created<Centre>> {
        auth.caller().require(Action::SchedulingSetup)?;
        let centre = service::create_centre(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/centres/{}", centre.id);
        Ok(Created::Created(Json(centre), location))
    }

    /// Get a centre
    #[oai(path = "/centres/:id", method = "get", operation_id = "get_centre")]
    async fn get_centre(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Centre>> {
        auth.caller().require(Action::SchedulingRead)?;
        let id = id.0;
        Ok(Json(app.db.read(move |c| store::get_centre(c, id)).await?.ok_or_else(|| missing("centre"))?))
    }

    /// Change a centre
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
    #[oai(path = "/clinicians", method = "get", operation_id = "list_clinicians")]
    async fn list_clinicians(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        page: Query<Option<i64>>,
        page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Clinician>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let rows = app.db.read(|c| store::list_clinicians(c, false)).await?;
        Ok(Json(paged(rows, page.0, page_size.0)?))
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
    #[oai(path = "/clinicians/:id", method = "get", operation_id = "get_clinician")]
    async fn get_clinician(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Clinician>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::clinician_for(&app, auth.caller(), id.0).await?))
    }

    /// Change a clinician
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
    async fn calendar_feed(&self, app: Data<&App>, file: Path<String>) -> Result<CalendarFeed> {
        Ok(CalendarFeed::Feed(PlainText(service::feed(&app, &file.0).await?)))
    }

    /// The clinic's active clinicians, for a public booking page
    ///
    /// No sign-in needed; only public fields.
    #[oai(
        path = "/public/clinicians",
        method = "get",
        operation_id = "list_public_clinicians",
        tag = "ApiTags::Public"
    )]
    async fn public_clinicians(&self, app: Data<&App>) -> Result<Json<PublicClinicianList>> {
        let rows = app.db.read(|c| store::list_clinicians(c, true)).await?;
        let data = rows
            .into_iter()
            .map(|c| PublicClinician {
                id: c.id,
                display_name: c.display_name,
                specialties: c.specialties,
                languages: c.languages,
                bio: c.bio,
                centre_ids: c.centre_ids,
            })
            .collect();
        Ok(Json(PublicClinicianList { data }))
    }

    /// List services
    #[oai(path = "/services", method = "get", operation_id = "list_services")]
    async fn list_services(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        page: Query<Option<i64>>,
        page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Service>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let rows = app.db.read(store::list_services).await?;
        Ok(Json(paged(rows, page.0, page_size.0)?))
    }

    /// Create a service
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
    #[oai(path = "/services/:id", method = "get", operation_id = "get_service")]
    async fn get_service(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Service>> {
        auth.caller().require(Action::SchedulingRead)?;
        let id = id.0;
        Ok(Json(app.db.read(move |c| store::get_service(c, id)).await?.ok_or_else(|| missing("service"))?))
    }

    /// Change a service
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
    #[oai(path = "/settings/booking", method = "get", operation_id = "get_booking_settings")]
    async fn booking_settings(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<BookingSettings>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(app.db.read(store::booking_settings).await?))
    }

    /// Change the booking policy
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

    /// A clinician's weekly availability
    #[oai(path = "/clinicians/:id/availability", method = "get", operation_id = "get_availability")]
    async fn availability(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> Result<Json<Vec<AvailabilityRule>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let id = id.0;
        let rules = app
            .db
            .read(move |c| {
                store::get_clinician(c, id)?.ok_or_else(|| missing("clinician"))?;
                store::rules_as_api(c, id)
            })
            .await?;
        Ok(Json(rules))
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
    ) -> Result<Json<Vec<AvailabilityRule>>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::replace_availability(&app, auth.caller(), id.0, body.0).await?))
    }

    /// A clinician's time off
    #[oai(path = "/clinicians/:id/time-off", method = "get", operation_id = "list_time_off")]
    async fn time_off(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Vec<TimeOff>>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::list_exceptions(&app, id.0, "time_off").await?))
    }

    /// Add time off
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
    #[oai(path = "/clinicians/:id/time-off/:time_off_id", method = "delete", operation_id = "delete_time_off")]
    async fn delete_time_off(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        time_off_id: Path<i64>,
    ) -> Result<NoContent> {
        auth.caller().require(Action::SchedulingSetup)?;
        service::remove_exception(&app, auth.caller(), id.0, "time_off", time_off_id.0).await?;
        Ok(NoContent::Done)
    }

    /// A clinician's extra one-off availability
    #[oai(path = "/clinicians/:id/extra-availability", method = "get", operation_id = "list_extra_availability")]
    async fn extra(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Vec<TimeOff>>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::list_exceptions(&app, id.0, "extra").await?))
    }

    /// Add extra one-off availability at a centre (at most a day)
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
        service::remove_exception(&app, auth.caller(), id.0, "extra", extra_id.0).await?;
        Ok(NoContent::Done)
    }

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
    ) -> Result<Json<SlotList>> {
        let request = SlotRequest {
            service_id: service_id.0,
            clinician_id: clinician_id.0,
            centre_id: centre_id.0,
            from: from.0,
            to: to.0,
        };
        Ok(Json(SlotList { slots: service::find_slots(&app, request).await? }))
    }

    /// Bookable slots
    ///
    /// Honours weekly availability, time off, existing appointments, buffers,
    /// minimum notice, the booking window and group capacity. Without
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
    ) -> Result<Json<SlotList>> {
        auth.caller().require(Action::SchedulingRead)?;
        let request = SlotRequest {
            service_id: service_id.0,
            clinician_id: clinician_id.0,
            centre_id: centre_id.0,
            from: from.0,
            to: to.0,
        };
        Ok(Json(SlotList { slots: service::find_slots(&app, request).await? }))
    }
}

#[OpenApi(tag = "ApiTags::Appointments")]
impl AppointmentsApi {
    /// Book an appointment
    ///
    /// 409 `SLOT_TAKEN` when the clinician is already booked then (buffers
    /// included, partial overlaps too); 422 with a code naming the rule
    /// otherwise (`OUTSIDE_AVAILABILITY`, `TIME_OFF`, `TOO_SOON`,
    /// `TOO_FAR_AHEAD`, `NOT_OFFERED`, …). New appointments are `pending`.
    #[oai(path = "/appointments", method = "post", operation_id = "create_appointment")]
    async fn create(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NewAppointment>,
    ) -> Result<Created<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        let appointment = service::book(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/appointments/{}", appointment.id);
        Ok(Created::Created(Json(appointment), location))
    }

    /// Book a weekly series
    ///
    /// Every occurrence keeps the first one's local time at its centre.
    /// Occurrences that clash or break a rule are skipped and listed with
    /// the code of what stopped them; the rest are booked. If the first one
    /// cannot be booked, nothing is, and its error is the answer.
    #[oai(path = "/appointments/series", method = "post", operation_id = "create_appointment_series")]
    async fn create_series(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NewSeries>,
    ) -> Result<Created<SeriesResult>> {
        auth.caller().require(Action::AppointmentWrite)?;
        let result = service::book_series(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/appointments?series_id={}", result.series_id);
        Ok(Created::Created(Json(result), location))
    }

    /// List appointments, earliest first
    #[oai(path = "/appointments", method = "get", operation_id = "list_appointments")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        /// Starting at or after this instant (RFC 3339).
        from: Query<Option<DateTime<FixedOffset>>>,
        /// Starting before this instant.
        to: Query<Option<DateTime<FixedOffset>>>,
        clinician_id: Query<Option<i64>>,
        patient_id: Query<Option<i64>>,
        centre_id: Query<Option<i64>>,
        status: Query<Option<AppointmentStatus>>,
        /// The appointments of one recurring series.
        series_id: Query<Option<i64>>,
        page: Query<Option<i64>>,
        page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Appointment>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let filter = AppointmentFilter {
            series_id: series_id.0,
            from: from.0.map(|t| t.with_timezone(&Utc)),
            to: to.0.map(|t| t.with_timezone(&Utc)),
            clinician_id: clinician_id.0,
            patient_id: patient_id.0,
            centre_id: centre_id.0,
            status: status.0,
        };
        let (rows, total) =
            app.db.read(move |c| store::list_appointments(c, &filter, page.limit(), page.offset())).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Get an appointment
    #[oai(path = "/appointments/:id", method = "get", operation_id = "get_appointment")]
    async fn get(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::SchedulingRead)?;
        let id = id.0;
        Ok(Json(app.db.read(move |c| store::get_appointment(c, id)).await?.ok_or_else(|| missing("appointment"))?))
    }

    /// Move an appointment
    ///
    /// To a new start and optionally another clinician, under the same rules
    /// as a new booking (409 `SLOT_TAKEN`, 422 with the rule's code). Only
    /// pending or confirmed appointments move. The change is kept in the history.
    #[oai(path = "/appointments/:id", method = "patch", operation_id = "reschedule_appointment")]
    async fn reschedule(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<Reschedule>,
    ) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(service::reschedule(&app, auth.caller(), id.0, body.0).await?))
    }

    /// Add a patient to a group session
    ///
    /// 409 `FULL` when every seat is taken, unless `waitlist` is true: then
    /// the patient waits, and gets the first seat that frees.
    #[oai(path = "/appointments/:id/attendees", method = "post", operation_id = "join_session")]
    async fn join(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<JoinSession>,
    ) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(service::join_session(&app, auth.caller(), id.0, body.0).await?))
    }

    /// Take a patient out of a group session (or its waitlist)
    #[oai(path = "/appointments/:id/attendees/:patient_id", method = "delete", operation_id = "leave_session")]
    async fn leave(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        patient_id: Path<i64>,
    ) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(service::leave_session(&app, auth.caller(), id.0, patient_id.0).await?))
    }

    /// What happened to an appointment, oldest first
    #[oai(path = "/appointments/:id/history", method = "get", operation_id = "get_appointment_history")]
    async fn history(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Vec<HistoryItem>>> {
        auth.caller().require(Action::SchedulingRead)?;
        let id = id.0;
        let entries = app
            .db
            .read(move |c| {
                store::get_appointment(c, id)?.ok_or_else(|| missing("appointment"))?;
                store::history(c, id)
            })
            .await?;
        Ok(Json(
            entries
                .into_iter()
                .map(|e| HistoryItem { at: e.at, actor_id: e.actor_id, change: e.change, details: e.details })
                .collect(),
        ))
    }

    /// A patient's appointments
    #[oai(path = "/patients/:id/appointments", method = "get", operation_id = "list_patient_appointments")]
    async fn for_patient(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        page: Query<Option<i64>>,
        page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Appointment>>> {
        auth.caller().require(Action::SchedulingRead)?;
        auth.caller().require(Action::PatientRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let patient_id = id.0;
        let (rows, total) = app
            .db
            .read(move |c| {
                crate::patients::store::get(c, patient_id)?.ok_or_else(|| missing("patient"))?;
                let filter = AppointmentFilter { patient_id: Some(patient_id), ..Default::default() };
                store::list_appointments(c, &filter, page.limit(), page.offset())
            })
            .await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Confirm a pending appointment
    #[oai(path = "/appointments/:id/confirm", method = "post", operation_id = "confirm_appointment")]
    async fn confirm(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(service::transition(&app, auth.caller(), id.0, Transition::Confirm, None).await?))
    }

    /// Check the patient in
    #[oai(path = "/appointments/:id/check-in", method = "post", operation_id = "check_in_appointment")]
    async fn check_in(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(service::transition(&app, auth.caller(), id.0, Transition::CheckIn, None).await?))
    }

    /// Mark the visit completed
    #[oai(path = "/appointments/:id/complete", method = "post", operation_id = "complete_appointment")]
    async fn complete(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(service::transition(&app, auth.caller(), id.0, Transition::Complete, None).await?))
    }

    /// Cancel an appointment
    ///
    /// The time becomes bookable again. The reason and who cancelled are kept.
    #[oai(path = "/appointments/:id/cancel", method = "post", operation_id = "cancel_appointment")]
    async fn cancel(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        /// `{}` or `{"reason": "…"}`.
        body: Json<CancelRequest>,
    ) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        let (reason, scope) = (body.0.reason, body.0.scope);
        Ok(Json(service::transition_scoped(&app, auth.caller(), id.0, Transition::Cancel, reason, scope).await?))
    }

    /// Record that the patient did not come
    #[oai(path = "/appointments/:id/no-show", method = "post", operation_id = "no_show_appointment")]
    async fn no_show(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(service::transition(&app, auth.caller(), id.0, Transition::NoShow, None).await?))
    }
}
