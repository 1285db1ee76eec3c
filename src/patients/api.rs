use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Listed, Page, Paginated};
use crate::http::responses::{Created, NoContent};
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};
use crate::patients::examples;
use crate::patients::model::{NewPatient, Patient, PatientFacets, PatientPatch, PatientStatus, SortOrder};
use crate::patients::scope::{NewPatientShare, PatientShare};
use crate::patients::service::{self, ListRequest};
use crate::patients::sharing;

pub struct PatientsApi;

#[derive(ApiResponse)]
enum PatientCreated {
    /// The patient was registered.
    #[oai(status = 201)]
    Created(Json<Patient>, #[oai(header = "Location")] String),
}

#[OpenApi(tag = "ApiTags::Patients")]
impl PatientsApi {
    /// Register a patient
    ///
    /// Answers 409 `POSSIBLE_DUPLICATE`, listing the matches, when a patient
    /// with the same name and date of birth, or the same phone number, is
    /// already registered; repeat with `allow_duplicate=true` to register anyway.
    #[oai(path = "/patients", method = "post", operation_id = "create_patient")]
    async fn create(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NewPatient>,
        allow_duplicate: Query<Option<bool>>,
    ) -> Result<PatientCreated> {
        auth.caller().require(Action::PatientWrite)?;
        let patient = service::create(&app, auth.caller(), body.0, allow_duplicate.0.unwrap_or(false))
            .await?
            .shown(&app.phone_region.get());
        let location = format!("/api/v1/patients/{}", patient.id);
        Ok(PatientCreated::Created(Json(patient), location))
    }

    /// List and search patients
    ///
    /// `q` searches like `/search`: names and emails by prefix and with
    /// typos, phone numbers by digits in any format, dates of birth as typed.
    /// With `q` and no `sort`, the best matches come first. Without
    /// `status`, archived patients are listed too.
    ///
    /// With `q` alone (or with `status=active`), `total` is the index's
    /// count of every match and pages reach the best 10,000 matches (a
    /// page past them is a 422 on `page`: narrow the search). With `q` and
    /// `lead_source`, `sort`, `status=archived`, or a clinician limited to
    /// their own patients, the list is drawn from the best 1,000 matches
    /// and `total` counts those that pass.
    #[oai(path = "/patients", method = "get", operation_id = "list_patients")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(max_length = 200))] q: Query<Option<String>>,
        status: Query<Option<PatientStatus>>,
        #[oai(validator(max_length = 60))] lead_source: Query<Option<String>>,
        /// Default: `family_name` without `q`, best match first with it.
        sort: Query<Option<SortOrder>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Patient>>> {
        auth.caller().require(Action::PatientRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let request = ListRequest { q: q.0, status: status.0, lead_source: lead_source.0, sort: sort.0 };
        let (rows, total) = service::list(&app, auth.caller(), request, page).await?;
        let region = app.phone_region.get();
        Ok(Json(page.wrap(rows.into_iter().map(|p| p.shown(&region)).collect(), total)))
    }

    /// Count patients by status and by lead source
    ///
    /// How many patients are active or archived, and how many came from each lead source: for the
    /// filters of the patient list.
    #[oai(path = "/patients/facets", method = "get", operation_id = "get_patient_facets")]
    async fn facets(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<PatientFacets>> {
        auth.caller().require(Action::PatientRead)?;
        Ok(Json(service::facets(&app, auth.caller()).await?))
    }

    /// Get one patient's record
    ///
    /// The whole record: contacts, address, emergency contact and status. The read is recorded in the audit log.
    #[oai(path = "/patients/:id", method = "get", operation_id = "get_patient")]
    async fn get(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Patient>> {
        auth.caller().require(Action::PatientRead)?;
        Ok(Json(service::get(&app, auth.caller(), id.0).await?.shown(&app.phone_region.get())))
    }

    /// Change a patient's record
    ///
    /// Fields left out stay as they are; `null` clears an optional field.
    #[oai(path = "/patients/:id", method = "patch", operation_id = "update_patient")]
    async fn update(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<PatientPatch>,
    ) -> Result<Json<Patient>> {
        auth.caller().require(Action::PatientWrite)?;
        Ok(Json(service::update(&app, auth.caller(), id.0, body.0).await?.shown(&app.phone_region.get())))
    }

    /// Archive a patient
    ///
    /// The record is kept; `status=active` lists leave it out. Nothing is deleted.
    #[oai(path = "/patients/:id/archive", method = "post", operation_id = "archive_patient")]
    async fn archive(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Patient>> {
        auth.caller().require(Action::PatientWrite)?;
        Ok(Json(
            service::set_status(&app, auth.caller(), id.0, PatientStatus::Archived)
                .await?
                .shown(&app.phone_region.get()),
        ))
    }

    /// Restore an archived patient
    ///
    /// An archived patient becomes active again and can be booked. Answers 409 `NOT_ARCHIVED` when
    /// the patient is active.
    #[oai(path = "/patients/:id/restore", method = "post", operation_id = "restore_patient")]
    async fn restore(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Patient>> {
        auth.caller().require(Action::PatientWrite)?;
        Ok(Json(
            service::set_status(&app, auth.caller(), id.0, PatientStatus::Active).await?.shown(&app.phone_region.get()),
        ))
    }

    /// List who a patient is shared with
    ///
    /// The members of staff the patient was shared with. When the clinic limits clinicians to
    /// their own patients (`clinician_scope: own`), a clinician sees a patient they are booked
    /// with, registered, or that was shared with them.
    #[oai(path = "/patients/:id/shares", method = "get", operation_id = "list_patient_shares")]
    async fn list_shares(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Listed<PatientShare>>> {
        auth.caller().require(Action::PatientRead)?;
        Ok(Json(Listed::of(sharing::list(&app, auth.caller(), id.0).await?)))
    }

    /// Share a patient with a member of staff
    ///
    /// Lets a clinician see the patient when the clinic limits clinicians to their own patients.
    /// Sharing again changes nothing. Recorded in the audit log.
    #[oai(path = "/patients/:id/shares", method = "post", operation_id = "share_patient")]
    async fn share(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewPatientShare>,
    ) -> Result<Created<PatientShare>> {
        auth.caller().require(Action::PatientWrite)?;
        let share = sharing::share(&app, auth.caller(), id.0, body.0.staff_id).await?;
        Ok(Created::at(format!("/api/v1/patients/{}/shares/{}", share.patient_id, share.staff_id), share))
    }

    /// Stop sharing a patient
    ///
    /// The member of staff no longer sees the patient through the share (they still do if they
    /// are booked with them). Recorded in the audit log.
    #[oai(path = "/patients/:id/shares/:staff_id", method = "delete", operation_id = "unshare_patient")]
    async fn unshare(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>, staff_id: Path<i64>) -> Result<NoContent> {
        auth.caller().require(Action::PatientWrite)?;
        sharing::unshare(&app, auth.caller(), id.0, staff_id.0).await?;
        Ok(NoContent::Done)
    }
}

const READ: Access = Access::Requires(&[Action::PatientRead]);
const WRITE: Access = Access::Requires(&[Action::PatientWrite]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("create_patient", WRITE)
        .errors(&[C::PossibleDuplicate])
        .example(Some(examples::new_patient), examples::patient),
    Operation::new("list_patients", READ).errors(&[C::SearchUnavailable]),
    Operation::new("get_patient_facets", READ),
    Operation::new("get_patient", READ),
    Operation::new("update_patient", WRITE)
        .errors(&[C::PossibleDuplicate])
        .example(Some(examples::patient_patch), examples::patched_patient),
    Operation::new("archive_patient", WRITE).errors(&[C::AlreadyArchived]),
    Operation::new("restore_patient", WRITE).errors(&[C::NotArchived, C::PatientMerged]),
    Operation::new("list_patient_shares", READ),
    Operation::new("share_patient", WRITE),
    Operation::new("unshare_patient", WRITE),
];
