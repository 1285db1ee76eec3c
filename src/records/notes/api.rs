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
use crate::records::notes::model::{
    NewAddendum, NewNote, NewNoteTemplate, Note, NotePatch, NoteStatus, NoteTemplate, PendingNote,
};
use crate::records::notes::service::{self, ListRequest};

pub struct NotesApi;

#[OpenApi(tag = "ApiTags::Records")]
impl NotesApi {
    /// List note templates
    ///
    /// The templates a note is written in, built-in ones first: `soap` (subjective, objective,
    /// assessment, plan), `progress` (text, goals), `intake`, and the clinic's own.
    #[oai(path = "/note-templates", method = "get", operation_id = "list_note_templates")]
    async fn templates(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<Listed<NoteTemplate>>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(Listed::of(service::templates(&app).await?)))
    }

    /// Add a note template
    ///
    /// A clinic's own template: an id, a name and its named sections, in order. Recorded in the
    /// audit log.
    #[oai(path = "/note-templates", method = "post", operation_id = "create_note_template")]
    async fn add_template(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<NewNoteTemplate>,
    ) -> Result<Created<NoteTemplate>> {
        auth.caller().require(Action::ClinicalSetup)?;
        let template = service::add_template(&app, auth.caller(), body.0).await?;
        Ok(Created::at(format!("/api/v1/note-templates/{}", template.id), template))
    }

    /// Write a note
    ///
    /// Starts a draft for the patient, in a template's sections (`content` by section key; an
    /// unknown key is a 422 naming it), optionally about one of the patient's appointments. Only
    /// its author changes, signs or discards it.
    #[oai(path = "/patients/:id/notes", method = "post", operation_id = "create_note")]
    async fn create(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewNote>,
    ) -> Result<Created<Note>> {
        auth.caller().require(Action::ClinicalWrite)?;
        let note = service::create(&app, auth.caller(), id.0, body.0).await?;
        Ok(Created::at(format!("/api/v1/notes/{}", note.id), note))
    }

    /// List a patient's notes
    ///
    /// Newest first; drafts and signed notes unless `status` asks for another. Roles that read
    /// clinical content get each note's `content` and `addenda` (and the read is audited); others
    /// see only that a note exists, its status and when.
    #[oai(path = "/patients/:id/notes", method = "get", operation_id = "list_patient_notes")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        #[oai(validator(minimum(value = "1")))] appointment_id: Query<Option<i64>>,
        status: Query<Option<NoteStatus>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Note>>> {
        auth.caller().require(Action::PatientRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let request = ListRequest { appointment_id: appointment_id.0, status: status.0 };
        let (notes, total) = service::list(&app, auth.caller(), id.0, request, page).await?;
        Ok(Json(page.wrap(notes, total)))
    }

    /// List the notes still to write
    ///
    /// Completed appointments of the last 60 days with no signed note (with the draft begun for
    /// one, if any): the signed-in clinician's own, `clinician_id`'s, or everyone's for a caller
    /// who is not a clinician.
    #[oai(path = "/notes/pending", method = "get", operation_id = "list_pending_notes")]
    async fn pending(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] clinician_id: Query<Option<i64>>,
    ) -> Result<Json<Listed<PendingNote>>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(Listed::of(service::pending(&app, auth.caller(), clinician_id.0).await?)))
    }

    /// Read a note
    ///
    /// The note with its addenda, oldest first. The read is recorded in the audit log.
    #[oai(path = "/notes/:id", method = "get", operation_id = "get_note")]
    async fn get(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Note>> {
        auth.caller().require(Action::ClinicalRead)?;
        Ok(Json(service::get(&app, auth.caller(), id.0).await?))
    }

    /// Change a draft
    ///
    /// Each section given replaces its text (an empty string empties it). The author only; 409
    /// `NOTE_SIGNED` once signed (add an addendum instead) and `NOTE_DISCARDED` once discarded.
    #[oai(path = "/notes/:id", method = "patch", operation_id = "update_note")]
    async fn update(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NotePatch>,
    ) -> Result<Json<Note>> {
        auth.caller().require(Action::ClinicalWrite)?;
        service::author_id(auth.caller())?;
        Ok(Json(service::update(&app, auth.caller(), id.0, body.0).await?))
    }

    /// Sign a note
    ///
    /// Locks the draft: `status: signed`, `signed_at`, `signed_by`. It never changes again; an
    /// addendum corrects it. The author only; an empty note cannot be signed.
    #[oai(path = "/notes/:id/sign", method = "post", operation_id = "sign_note")]
    async fn sign(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Note>> {
        auth.caller().require(Action::ClinicalWrite)?;
        service::author_id(auth.caller())?;
        Ok(Json(service::sign(&app, auth.caller(), id.0).await?))
    }

    /// Discard a draft
    ///
    /// The draft is kept, marked `discarded`, and left out of lists unless asked for. The author
    /// only; a signed note can never be removed (409 `NOTE_SIGNED`).
    #[oai(path = "/notes/:id/discard", method = "post", operation_id = "discard_note")]
    async fn discard(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<Note>> {
        auth.caller().require(Action::ClinicalWrite)?;
        service::author_id(auth.caller())?;
        Ok(Json(service::discard(&app, auth.caller(), id.0).await?))
    }

    /// Add an addendum to a signed note
    ///
    /// A correction or later fact, signed and timestamped as it is added, shown after the note.
    /// Only signed notes take addenda (409 `NOTE_NOT_SIGNED`: change the draft instead).
    #[oai(path = "/notes/:id/addenda", method = "post", operation_id = "add_note_addendum")]
    async fn addendum(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<NewAddendum>,
    ) -> Result<Created<Note>> {
        auth.caller().require(Action::ClinicalWrite)?;
        let note = service::add_addendum(&app, auth.caller(), id.0, body.0).await?;
        Ok(Created::at(format!("/api/v1/notes/{}", note.id), note))
    }
}

const READ: Access = Access::Requires(&[Action::ClinicalRead]);
const WRITE: Access = Access::PersonRequires(&[Action::ClinicalWrite]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_note_templates", READ),
    Operation::new("create_note_template", Access::Requires(&[Action::ClinicalSetup])),
    Operation::new("create_note", WRITE),
    Operation::new("list_patient_notes", Access::Requires(&[Action::PatientRead])),
    Operation::new("list_pending_notes", READ),
    Operation::new("get_note", READ),
    Operation::new("update_note", WRITE).errors(&[C::NoteSigned, C::NoteDiscarded]),
    Operation::new("sign_note", WRITE).errors(&[C::NoteSigned, C::NoteDiscarded]),
    Operation::new("discard_note", WRITE).errors(&[C::NoteSigned, C::NoteDiscarded]),
    Operation::new("add_note_addendum", WRITE).errors(&[C::NoteNotSigned]),
];
