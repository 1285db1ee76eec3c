use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Listed, Page, Paginated};
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::patients::merging::model::{FlagStatus, MergeRequest, PatientMerge, PossibleDuplicate};
use crate::patients::merging::service;

pub struct PatientMergingApi;

#[OpenApi(tag = "ApiTags::Patients")]
impl PatientMergingApi {
    /// List possible duplicate patients
    ///
    /// Pairs of records that may be one person: flagged when a patient is registered with
    /// `allow_duplicate=true` while records with the same name and date of birth, or the same
    /// phone, exist. Newest first; without `status`, the open ones.
    #[oai(path = "/patients/duplicates", method = "get", operation_id = "list_possible_duplicates")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        /// Default `open`.
        status: Query<Option<FlagStatus>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<PossibleDuplicate>>> {
        auth.caller().require(Action::PatientMerge)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::list(&app, Some(status.0.unwrap_or(FlagStatus::Open)), page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Say two flagged records are different people
    ///
    /// Closes the flag as `dismissed`; both records stay as they are. Answers 409
    /// `ALREADY_RESOLVED` when the pair was already dismissed or merged. Recorded in the audit log.
    #[oai(path = "/patients/duplicates/:id/dismiss", method = "post", operation_id = "dismiss_possible_duplicate")]
    async fn dismiss(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<PossibleDuplicate>> {
        auth.caller().require(Action::PatientMerge)?;
        Ok(Json(service::dismiss(&app, auth.caller(), id.0).await?))
    }

    /// List a patient's possible duplicates
    ///
    /// Every flag naming the patient, on either side and in any status, newest first: for the
    /// record's "possible duplicate" notice. Pairs whose other record the caller may not see are
    /// left out.
    #[oai(path = "/patients/:id/duplicates", method = "get", operation_id = "list_patient_duplicates")]
    async fn of_patient(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> Result<Json<Listed<PossibleDuplicate>>> {
        auth.caller().require(Action::PatientRead)?;
        Ok(Json(Listed::of(service::of_patient(&app, auth.caller(), id.0).await?)))
    }

    /// Merge another record into this patient
    ///
    /// The patient in the path is kept with its details as they are; `merged_patient_id` is
    /// archived, points at it (`merged_into_id`) and keeps its own details, and its appointments
    /// (group places too, unless both records hold a place in the same session) and shares move
    /// onto the kept record. Open flags between the two close as `merged`. Nothing is deleted, both
    /// records' audit logs say so, and `POST /patient-merges/{id}/undo` reverses it. Answers 409
    /// `PATIENT_MERGED` when either record was already merged into another.
    #[oai(path = "/patients/:id/merge", method = "post", operation_id = "merge_patients")]
    async fn merge(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<MergeRequest>,
    ) -> Result<Json<PatientMerge>> {
        auth.caller().require(Action::PatientMerge)?;
        Ok(Json(service::merge(&app, auth.caller(), id.0, body.0.merged_patient_id).await?))
    }

    /// List a patient's merges
    ///
    /// The merges the patient took part in, as the record kept or the one merged, newest first,
    /// undone ones included.
    #[oai(path = "/patients/:id/merges", method = "get", operation_id = "list_patient_merges")]
    async fn history(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Listed<PatientMerge>>> {
        auth.caller().require(Action::PatientRead)?;
        Ok(Json(Listed::of(service::history(&app, auth.caller(), id.0).await?)))
    }

    /// Undo a merge
    ///
    /// What the merge moved goes back to the merged record (appointments booked on the kept
    /// record since stay there), which returns to the status it had; flags the merge closed reopen.
    /// Answers 409 `MERGE_UNDONE` for a merge already undone, and `PATIENT_MERGED` when the kept
    /// record was itself merged since (undo that one first). Recorded in the audit log.
    #[oai(path = "/patient-merges/:id/undo", method = "post", operation_id = "undo_patient_merge")]
    async fn undo(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<PatientMerge>> {
        auth.caller().require(Action::PatientMerge)?;
        Ok(Json(service::undo(&app, auth.caller(), id.0).await?))
    }
}

const MERGE: Access = Access::Requires(&[Action::PatientMerge]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_possible_duplicates", MERGE),
    Operation::new("dismiss_possible_duplicate", MERGE).errors(&[C::AlreadyResolved]),
    Operation::new("list_patient_duplicates", Access::Requires(&[Action::PatientRead])),
    Operation::new("merge_patients", MERGE).errors(&[C::PatientMerged]),
    Operation::new("list_patient_merges", Access::Requires(&[Action::PatientRead])),
    Operation::new("undo_patient_merge", MERGE).errors(&[C::MergeUndone, C::PatientMerged]),
];
