use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::Listed;
use crate::http::responses::Created;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::records::programmes::model::{
    Enrolment, EnrolmentEnd, EnrolmentStatus, NewEnrolment, NewGoal, NewGoalProgress, NewProgramme, Programme,
};
use crate::records::programmes::service;

pub struct ProgrammesApi;

#[OpenApi(tag = "ApiTags::Records")]
impl ProgrammesApi {
    /// List treatment programmes
    ///
    /// The clinic's programmes: planned sessions, the service they are, the questionnaires that
    /// track them and the goals each enrolment starts with.
    #[oai(path = "/programmes", method = "get", operation_id = "list_programmes")]
    async fn list(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<Listed<Programme>>> {
        auth.caller().require(Action::PatientRead)?;
        Ok(Json(Listed::of(service::programmes(&app).await?)))
    }

    /// Add a treatment programme
    ///
    /// A plan of `planned_sessions` sessions (of `service_id`, when given), tracked by
    /// `measures` (questionnaire ids), towards `goals`. A service or measure that does not exist
    /// is a 422 naming it. Audited.
    #[oai(path = "/programmes", method = "post", operation_id = "create_programme")]
    async fn add(&self, app: Data<&App>, auth: StaffAuth, body: Json<NewProgramme>) -> Result<Created<Programme>> {
        auth.caller().require(Action::ClinicalSetup)?;
        let programme = service::add_programme(&app, auth.caller(), body.0).await?;
        Ok(Created::at(format!("/api/v1/programmes/{}", programme.id), programme))
    }

    /// Enrol a patient in a programme
    ///
    /// With a clinician, from `start_date` (the clinic's today unless given); the enrolment
    /// starts with the programme's goals. Progress counts the patient's completed appointments
    /// with that clinician (of the programme's service) from the start date. 409
    /// `ALREADY_ENROLLED` while the patient is active in the programme. Audited.
    #[oai(path = "/patients/:id/enrolments", method = "post", operation_id = "create_enrolment")]
    async fn enrol(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewEnrolment>,
    ) -> Result<Created<Enrolment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        let enrolment = service::enrol(&app, auth.caller(), id.0, body.0).await?;
        Ok(Created::at(format!("/api/v1/patients/{}/enrolments", enrolment.patient_id), enrolment))
    }

    /// List a patient's enrolments
    ///
    /// Active ones first, each with its progress. Roles that read clinical content also get the
    /// goals and their progress notes (and that read is audited).
    #[oai(path = "/patients/:id/enrolments", method = "get", operation_id = "list_enrolments")]
    async fn enrolments(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Listed<Enrolment>>> {
        auth.caller().require(Action::PatientRead)?;
        Ok(Json(Listed::of(service::enrolments_of(&app, auth.caller(), id.0).await?)))
    }

    /// Complete an enrolment
    ///
    /// The programme is finished; progress stops counting. 409 `ALREADY_RESOLVED` when the
    /// enrolment has already ended. Audited.
    #[oai(path = "/enrolments/:id/complete", method = "post", operation_id = "complete_enrolment")]
    async fn complete(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<EnrolmentEnd>,
    ) -> Result<Json<Enrolment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        Ok(Json(service::end(&app, auth.caller(), id.0, EnrolmentStatus::Completed, body.0).await?))
    }

    /// Withdraw an enrolment
    ///
    /// Stopped before the end, with an optional `reason`. 409 `ALREADY_RESOLVED` when the
    /// enrolment has already ended. Audited.
    #[oai(path = "/enrolments/:id/withdraw", method = "post", operation_id = "withdraw_enrolment")]
    async fn withdraw(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<EnrolmentEnd>,
    ) -> Result<Json<Enrolment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        Ok(Json(service::end(&app, auth.caller(), id.0, EnrolmentStatus::Withdrawn, body.0).await?))
    }

    /// Add a goal to an enrolment
    ///
    /// A goal of this patient's own, beside the programme's. 409 `ALREADY_RESOLVED` once the
    /// enrolment has ended. Audited.
    #[oai(path = "/enrolments/:id/goals", method = "post", operation_id = "create_enrolment_goal")]
    async fn add_goal(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewGoal>,
    ) -> Result<Json<Enrolment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        Ok(Json(service::add_goal(&app, auth.caller(), id.0, body.0).await?))
    }

    /// Note progress on a goal
    ///
    /// A dated note on how the goal is going (never changed afterwards); `achieved: true` marks
    /// the goal achieved. 409 `ALREADY_RESOLVED` once the enrolment has ended. Audited.
    #[oai(path = "/enrolment-goals/:id/progress", method = "post", operation_id = "create_goal_progress")]
    async fn progress(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewGoalProgress>,
    ) -> Result<Json<Enrolment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        Ok(Json(service::add_progress(&app, auth.caller(), id.0, body.0).await?))
    }
}

const WRITE: Access = Access::Requires(&[Action::ClinicalWrite]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_programmes", Access::Requires(&[Action::PatientRead])),
    Operation::new("create_programme", Access::Requires(&[Action::ClinicalSetup])),
    Operation::new("create_enrolment", WRITE).errors(&[C::AlreadyEnrolled]),
    Operation::new("list_enrolments", Access::Requires(&[Action::PatientRead])),
    Operation::new("complete_enrolment", WRITE).errors(&[C::NotFound, C::AlreadyResolved]),
    Operation::new("withdraw_enrolment", WRITE).errors(&[C::NotFound, C::AlreadyResolved]),
    Operation::new("create_enrolment_goal", WRITE).errors(&[C::NotFound, C::AlreadyResolved]),
    Operation::new("create_goal_progress", WRITE).errors(&[C::NotFound, C::AlreadyResolved]),
];
