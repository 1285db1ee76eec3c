use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Listed, Page, Paginated};
use crate::http::responses::Created;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::scheduling::appointments::examples;
use crate::scheduling::appointments::lifecycle::Transition;
use crate::scheduling::appointments::model::*;
use crate::scheduling::appointments::store::AppointmentFilter;
use crate::scheduling::appointments::{booking, lifecycle, series, service, sessions};

pub struct AppointmentsApi;

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
        let appointment = booking::book(&app, auth.caller(), body.0).await?;
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
        let result = series::book_series(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/appointments?series_id={}", result.series_id);
        Ok(Created::Created(Json(result), location))
    }

    /// List appointments, earliest first
    ///
    /// Two ways to choose the time: `date` (a local day, `YYYY-MM-DD`, at
    /// `centre_id`, which it needs: from that day's midnight in the centre's
    /// time zone to the next, 23 or 25 hours when the clocks change), or
    /// `from` and `to` (instants, RFC 3339: `from` inclusive, `to`
    /// exclusive). Not both. Slots take local dates with `to` inclusive.
    #[oai(path = "/appointments", method = "get", operation_id = "list_appointments")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        /// Starting at or after this instant (RFC 3339).
        from: Query<Option<DateTime<FixedOffset>>>,
        /// Starting before this instant (exclusive).
        to: Query<Option<DateTime<FixedOffset>>>,
        /// Starting on this local day at `centre_id`, `YYYY-MM-DD`.
        date: Query<Option<NaiveDate>>,
        clinician_id: Query<Option<i64>>,
        patient_id: Query<Option<i64>>,
        /// Required with `date`.
        centre_id: Query<Option<i64>>,
        status: Query<Option<AppointmentStatus>>,
        /// The appointments of one recurring series.
        series_id: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
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
            within: None,
        };
        let (rows, total) = service::list(&app, auth.caller(), filter, date.0, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Get an appointment
    ///
    /// The appointment with its times in the centre's offset, its status, and for a group session
    /// its attendees and waitlist.
    #[oai(path = "/appointments/:id", method = "get", operation_id = "get_appointment")]
    async fn get(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::get(&app, auth.caller(), id.0).await?))
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
        Ok(Json(booking::reschedule(&app, auth.caller(), id.0, body.0).await?))
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
        Ok(Json(sessions::join_session(&app, auth.caller(), id.0, body.0).await?))
    }

    /// Take a patient out of a group session (or its waitlist)
    ///
    /// Frees the patient's seat; the first patient on the waitlist, if any, takes it (the history
    /// says so). Answers 422 `NOT_A_GROUP_SESSION` for a one-to-one appointment.
    #[oai(path = "/appointments/:id/attendees/:patient_id", method = "delete", operation_id = "leave_session")]
    async fn leave(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        patient_id: Path<i64>,
    ) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(sessions::leave_session(&app, auth.caller(), id.0, patient_id.0).await?))
    }

    /// What happened to an appointment, oldest first
    ///
    /// Every change with when it happened, who made it and what changed: created, moved, each
    /// status step and each attendee joining or leaving.
    #[oai(path = "/appointments/:id/history", method = "get", operation_id = "get_appointment_history")]
    async fn history(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Listed<HistoryItem>>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(Listed::of(service::history(&app, auth.caller(), id.0).await?)))
    }

    /// A patient's appointments
    ///
    /// The patient's appointments, earliest first.
    #[oai(path = "/patients/:id/appointments", method = "get", operation_id = "list_patient_appointments")]
    async fn for_patient(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Appointment>>> {
        auth.caller().require(Action::SchedulingRead)?;
        auth.caller().require(Action::PatientRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::for_patient(&app, auth.caller(), id.0, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Confirm a pending appointment
    ///
    /// A `pending` appointment becomes `confirmed`. Any other status answers 409
    /// `INVALID_TRANSITION` with the current status.
    #[oai(path = "/appointments/:id/confirm", method = "post", operation_id = "confirm_appointment")]
    async fn confirm(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(lifecycle::transition(&app, auth.caller(), id.0, Transition::Confirm, None).await?))
    }

    /// Check the patient in
    ///
    /// The patient has arrived: a `pending` or `confirmed` appointment becomes `checked_in`. Any
    /// other status answers 409 `INVALID_TRANSITION` with the current status.
    #[oai(path = "/appointments/:id/check-in", method = "post", operation_id = "check_in_appointment")]
    async fn check_in(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(lifecycle::transition(&app, auth.caller(), id.0, Transition::CheckIn, None).await?))
    }

    /// Mark the visit completed
    ///
    /// The visit took place: a `checked_in` appointment becomes `completed`. Any other status
    /// answers 409 `INVALID_TRANSITION`.
    #[oai(path = "/appointments/:id/complete", method = "post", operation_id = "complete_appointment")]
    async fn complete(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(lifecycle::transition(&app, auth.caller(), id.0, Transition::Complete, None).await?))
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
        /// Optional: no body, `{}`, or `{"reason": "…", "scope": "following"}`.
        body: Json<Option<CancelRequest>>,
    ) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        let CancelRequest { reason, scope } = body.0.unwrap_or_default();
        Ok(Json(lifecycle::transition_scoped(&app, auth.caller(), id.0, Transition::Cancel, reason, scope).await?))
    }

    /// Record that the patient did not come
    ///
    /// A `pending` or `confirmed` appointment becomes `no_show`.
    /// Any other status answers 409 `INVALID_TRANSITION`.
    #[oai(path = "/appointments/:id/no-show", method = "post", operation_id = "no_show_appointment")]
    async fn no_show(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Appointment>> {
        auth.caller().require(Action::AppointmentWrite)?;
        Ok(Json(lifecycle::transition(&app, auth.caller(), id.0, Transition::NoShow, None).await?))
    }
}

const READ: Access = Access::Requires(&[Action::SchedulingRead]);
const WRITE: Access = Access::Requires(&[Action::AppointmentWrite]);
/// What booking checks, in the order it checks them.
const BOOKING_RULES: &[C] = &[
    C::PatientArchived,
    C::ServiceInactive,
    C::ClinicianInactive,
    C::NotOffered,
    C::TooSoon,
    C::TooFarAhead,
    C::OutsideAvailability,
    C::TimeOff,
    C::SlotTaken,
];
const RESCHEDULE_RULES: &[C] = &[
    C::InvalidTransition,
    C::ServiceInactive,
    C::ClinicianInactive,
    C::NotOffered,
    C::TooSoon,
    C::TooFarAhead,
    C::OutsideAvailability,
    C::TimeOff,
    C::SlotTaken,
];
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("create_appointment", WRITE)
        .errors(BOOKING_RULES)
        .example(Some(examples::new_appointment), examples::booked),
    Operation::new("create_appointment_series", WRITE).errors(BOOKING_RULES),
    Operation::new("list_appointments", READ),
    Operation::new("get_appointment", READ),
    Operation::new("reschedule_appointment", WRITE)
        .errors(RESCHEDULE_RULES)
        .example(Some(examples::reschedule), examples::moved),
    Operation::new("join_session", WRITE).errors(&[
        C::NotAGroupSession,
        C::InvalidTransition,
        C::AlreadyBooked,
        C::Full,
        C::PatientArchived,
    ]),
    Operation::new("leave_session", WRITE).errors(&[C::NotAGroupSession]),
    Operation::new("get_appointment_history", READ),
    Operation::new("list_patient_appointments", Access::Requires(&[Action::SchedulingRead, Action::PatientRead])),
    Operation::new("confirm_appointment", WRITE).errors(&[C::InvalidTransition]),
    Operation::new("check_in_appointment", WRITE).errors(&[C::InvalidTransition, C::CheckInTooEarly]),
    Operation::new("complete_appointment", WRITE).errors(&[C::InvalidTransition, C::NotStarted]),
    Operation::new("cancel_appointment", WRITE)
        .errors(&[C::InvalidTransition, C::TooSoon])
        .example(Some(examples::cancel), examples::cancelled),
    Operation::new("no_show_appointment", WRITE).errors(&[C::InvalidTransition, C::NotStarted]),
];
