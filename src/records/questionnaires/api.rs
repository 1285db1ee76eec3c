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
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::records::questionnaires::model::{NewResponse, Outcomes, Questionnaire, QuestionnaireResponse};
use crate::records::questionnaires::service;

pub struct QuestionnairesApi;

#[OpenApi(tag = "ApiTags::Records")]
impl QuestionnairesApi {
    /// List questionnaires
    ///
    /// The questionnaires answers can be entered for, with their items, the score of each choice
    /// and the bands of the total: `phq-9`, `gad-7` and `mood` (0–10).
    #[oai(path = "/questionnaires", method = "get", operation_id = "list_questionnaires")]
    async fn list(&self, auth: StaffAuth) -> Result<Json<Listed<Questionnaire>>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(Listed::of(service::questionnaires())))
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
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_questionnaires", READ),
    Operation::new("create_questionnaire_response", Access::Requires(&[Action::ClinicalWrite])),
    Operation::new("list_questionnaire_responses", READ),
    Operation::new("get_patient_outcomes", READ),
];
