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
use crate::records::questionnaires::model::{
    Assignment, NewAssignment, NewQuestionnaire, NewResponse, Outcomes, Questionnaire, QuestionnaireResponse,
};
use crate::records::questionnaires::service;

pub struct QuestionnairesApi;

#[OpenApi(tag = "ApiTags::Records")]
impl QuestionnairesApi {
    /// List questionnaires
    ///
    /// The questionnaires answers can be entered for, with their items, the score of each choice
    /// and the bands of the total: the built-in `phq-9`, `gad-7` and `mood` (0–10), then the
    /// clinic's own.
    #[oai(path = "/questionnaires", method = "get", operation_id = "list_questionnaires")]
    async fn list(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<Listed<Questionnaire>>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(Listed::of(service::questionnaires(&app).await?)))
    }

    /// Add a questionnaire
    ///
    /// A clinic's own questionnaire: items in order, each with two to eleven scored choices,
    /// and optional bands of the total (not overlapping, within the highest possible total). Its
    /// score is the sum of the chosen answers. Audited.
    #[oai(path = "/questionnaires", method = "post", operation_id = "create_questionnaire")]
    async fn add(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NewQuestionnaire>,
    ) -> Result<Created<Questionnaire>> {
        auth.caller().require(Action::ClinicalSetup)?;
        let q = service::add(&app, auth.caller(), body.0).await?;
        Ok(Created::at(format!("/api/v1/questionnaires/{}", q.id), q))
    }

    /// Assign a questionnaire to a patient
    ///
    /// Due first on `first_due_on` (the clinic's today unless given), then, with `every_days`,
    /// that many days after each response to it (PHQ-9 every two weeks: `14`); without, once.
    /// Entering a response completes or moves it. 409 `ALREADY_ASSIGNED` while the patient has
    /// this questionnaire assigned. Audited.
    #[oai(
        path = "/patients/:id/questionnaire-assignments",
        method = "post",
        operation_id = "create_questionnaire_assignment"
    )]
    async fn assign(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewAssignment>,
    ) -> Result<Created<Assignment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        let assignment = service::assign(&app, auth.caller(), id.0, body.0).await?;
        Ok(Created::at(format!("/api/v1/questionnaire-assignments/{}", assignment.id), assignment))
    }

    /// List a patient's questionnaire assignments
    ///
    /// The active ones first (with the date each is next due), then those completed or ended,
    /// newest first.
    #[oai(
        path = "/patients/:id/questionnaire-assignments",
        method = "get",
        operation_id = "list_questionnaire_assignments"
    )]
    async fn assignments(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Listed<Assignment>>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(Listed::of(service::assignments_of(&app, auth.caller(), id.0).await?)))
    }

    /// List the questionnaires due
    ///
    /// Active assignments due on or before `on` (the clinic's today unless given), soonest
    /// first, with each patient's name: the patients to ask for answers. At most 500.
    #[oai(path = "/questionnaire-assignments/due", method = "get", operation_id = "list_due_questionnaires")]
    async fn due(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        on: Query<Option<chrono::NaiveDate>>,
    ) -> Result<Json<Listed<Assignment>>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(Listed::of(service::due(&app, auth.caller(), on.0).await?)))
    }

    /// End a questionnaire assignment
    ///
    /// Stops it: it is no longer due. 409 `ALREADY_RESOLVED` when it is already completed or
    /// ended. Audited.
    #[oai(path = "/questionnaire-assignments/:id/end", method = "post", operation_id = "end_questionnaire_assignment")]
    async fn end(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Assignment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        Ok(Json(service::end_assignment(&app, auth.caller(), id.0).await?))
    }

    /// Enter a patient's answers
    ///
    /// Scores the answers (one per item, in order) and bands the total. A PHQ-9 with item 9
    /// above 0 carries the `self_harm_risk` flag. A wrong number of answers, or a value an item
    /// does not offer, is a 422 naming it (`answers[3]`). Responses never change.
    #[oai(
        path = "/patients/:id/questionnaire-responses",
        method = "post",
        operation_id = "create_questionnaire_response"
    )]
    async fn record(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewResponse>,
    ) -> Result<Created<QuestionnaireResponse>> {
        auth.caller().require(Action::ClinicalWrite)?;
        let response = service::record(&app, auth.caller(), id.0, body.0).await?;
        Ok(Created::at(
            format!("/api/v1/patients/{}/questionnaire-responses/{}", response.patient_id, response.id),
            response,
        ))
    }

    /// List a patient's questionnaire responses
    ///
    /// Newest first, to one questionnaire when `questionnaire` is given. The read is recorded in
    /// the audit log.
    #[oai(
        path = "/patients/:id/questionnaire-responses",
        method = "get",
        operation_id = "list_questionnaire_responses"
    )]
    async fn responses(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        #[oai(validator(max_length = 40))] questionnaire: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<QuestionnaireResponse>>> {
        auth.caller().require(Action::ClinicalRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::list(&app, auth.caller(), id.0, questionnaire.0, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// A patient's scores over time
    ///
    /// Every score on one questionnaire, oldest first, with the questionnaire's bands and
    /// highest score: what an outcome chart draws. The read is recorded in the audit log.
    #[oai(path = "/patients/:id/outcomes", method = "get", operation_id = "get_patient_outcomes")]
    async fn outcomes(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        #[oai(validator(max_length = 40))] questionnaire: Query<String>,
    ) -> Result<Json<Outcomes>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(service::outcomes(&app, auth.caller(), id.0, questionnaire.0).await?))
    }
}

const READ: Access = Access::Requires(&[Action::ClinicalRead]);
const WRITE: Access = Access::Requires(&[Action::ClinicalWrite]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_questionnaires", READ),
    Operation::new("create_questionnaire", Access::Requires(&[Action::ClinicalSetup])),
    Operation::new("create_questionnaire_response", WRITE),
    Operation::new("create_questionnaire_assignment", WRITE).errors(&[C::AlreadyAssigned]),
    Operation::new("list_questionnaire_assignments", READ),
    Operation::new("list_due_questionnaires", READ),
    Operation::new("end_questionnaire_assignment", WRITE).errors(&[C::NotFound, C::AlreadyResolved]),
    Operation::new("list_questionnaire_responses", READ),
    Operation::new("get_patient_outcomes", READ),
];
