//! Rules for clinical notes: what a template allows, who may change a draft
//! (its author), that a signed note never changes, and the audit of every
//! read of clinical content.

use std::collections::BTreeMap;

use poem_openapi::types::MaybeUndefined;
use rusqlite::Connection;

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::permissions::{Action, allows};
use crate::kit::principal::Caller;
use crate::kit::text;
use crate::patients::service::visible;
use crate::records::notes::model::{
    NewAddendum, NewNote, NewNoteTemplate, Note, NotePatch, NoteStatus, NoteTemplate, PendingNote,
};
use crate::records::notes::store::{self, ListQuery, NewNoteRow};
use crate::scheduling::appointments::store as appointments;

/// The longest text a section or an addendum may hold.
pub const SECTION_MAX: usize = 20_000;
/// How far back the notes still to write reach.
const PENDING_DAYS: i64 = 60;

fn not_found() -> Error {
    Error::NotFound { entity: "note" }
}

/// The staff member writing: notes are a person's, never an API key's (403).
pub fn author_id(caller: &Caller) -> Result<i64> {
    caller.staff_id.ok_or_else(|| Error::forbidden("notes are written and signed by a person, not an API key"))
}

/// Section texts checked against the template: every key one of its
/// sections, each text within the limit and free of control characters.
fn check_content(template: &NoteTemplate, content: &BTreeMap<String, String>, v: &mut Validator) {
    for (key, value) in content {
        let field = format!("content.{key}");
        if !template.sections.iter().any(|s| &s.key == key) {
            let known: Vec<&str> = template.sections.iter().map(|s| s.key.as_str()).collect();
            v.add(&field, format!("is not a section of the {} template ({})", template.id, known.join(", ")));
        } else if value.chars().count() > SECTION_MAX {
            v.add(&field, format!("must be at most {SECTION_MAX} characters"));
        } else if let Some(problem) = text::multiline_problem(value) {
            v.add(&field, problem);
        }
    }
}

fn template_of(conn: &Connection, id: &str, field: &str) -> Result<NoteTemplate> {
    store::template(conn, id)?.ok_or_else(|| Error::invalid_field(field, "names no note template"))
}

/// The appointment a note links to: one the patient was booked into.
fn check_appointment(conn: &Connection, patient_id: i64, appointment_id: i64) -> Result<()> {
    let appointment = appointments::get_appointment(conn, appointment_id)?;
    if !appointment.is_some_and(|a| a.attendees.iter().any(|t| t.patient_id == patient_id)) {
        return Err(Error::invalid_field("appointment_id", "is not an appointment of this patient"));
    }
    Ok(())
}

fn may_read_content(caller: &Caller) -> bool {
    allows(caller.role, Action::ClinicalRead) && !caller.must_enrol_mfa
}

/// The note as the caller may see it: content and addenda only for a role
/// that reads clinical content.
fn shown(conn: &Connection, caller: &Caller, mut notes: Vec<Note>) -> Result<Vec<Note>> {
    if !may_read_content(caller) {
        for note in &mut notes {
            note.content = None;
        }
        return Ok(notes);
    }
    let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
    let mut addenda = store::addenda_of(conn, &ids)?;
    for note in &mut notes {
        note.addenda = Some(addenda.remove(&note.id).unwrap_or_default());
    }
    Ok(notes)
}

fn one(conn: &Connection, caller: &Caller, note: Note) -> Result<Note> {
    shown(conn, caller, vec![note])?.pop().ok_or_else(not_found)
}

/// The note, or 404 when there is none or its patient is not the caller's to see.
fn visible_note(conn: &Connection, app: &App, caller: &Caller, id: i64) -> Result<Note> {
    let note = store::get(conn, id)?.ok_or_else(not_found)?;
    visible(conn, caller, app.patients_booked_with, note.patient_id).map_err(|_| not_found())?;
    Ok(note)
}

fn audit_note(tx: &rusqlite::Transaction, app: &App, caller: &Caller, action: &str, note: &Note) -> Result<()> {
    let details = serde_json::json!({ "patient_id": note.patient_id });
    audit::record(tx, app.clock.now(), Actor::from(caller), action, "note", Some(note.id), Some(details))
}

pub async fn templates(app: &App) -> Result<Vec<NoteTemplate>> {
    app.db.read(store::templates).await
}

pub async fn add_template(app: &App, caller: &Caller, input: NewNoteTemplate) -> Result<NoteTemplate> {
    let mut v = Validator::new();
    let mut keys = std::collections::BTreeSet::new();
    for (i, section) in input.sections.iter().enumerate() {
        if !keys.insert(section.key.as_str()) {
            v.add(&format!("sections[{i}].key"), "repeats an earlier section's key");
        }
        if !text::has_visible(&section.label) {
            v.add(&format!("sections[{i}].label"), "must contain visible characters");
        }
    }
    if !text::has_visible(&input.name) {
        v.add("name", "must contain visible characters");
    }
    v.finish()?;
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            if store::template(tx, &input.id)?.is_some() {
                return Err(Error::invalid_field("id", "is taken by another template"));
            }
            store::insert_template(tx, &input.id, input.name.trim(), &input.sections, caller.staff_id, now)?;
            let details = serde_json::json!({ "template": input.id });
            audit::record(tx, now, Actor::from(&caller), "note_template.create", "note_template", None, Some(details))?;
            store::template(tx, &input.id)?.ok_or_else(|| Error::internal("a template just written is missing"))
        })
        .await
}

pub async fn create(app: &App, caller: &Caller, patient_id: i64, input: NewNote) -> Result<Note> {
    let author = author_id(caller)?;
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let template = template_of(tx, &input.template, "template")?;
            let mut v = Validator::new();
            check_content(&template, &input.content, &mut v);
            v.finish()?;
            if let Some(appointment) = input.appointment_id {
                check_appointment(tx, patient_id, appointment)?;
            }
            let row = NewNoteRow {
                patient_id,
                appointment_id: input.appointment_id,
                template: &template.id,
                content: &input.content,
                author_id: author,
            };
            let id = store::insert(tx, &row, app2.clock.now())?;
            let note = store::get(tx, id)?.ok_or_else(not_found)?;
            audit_note(tx, &app2, &caller, "note.create", &note)?;
            changes::record(tx, app2.clock.now(), "note", id, ChangeOp::Create)?;
            one(tx, &caller, note)
        })
        .await
}

pub struct ListRequest {
    pub appointment_id: Option<i64>,
    pub status: Option<NoteStatus>,
}

/// A patient's notes, newest first; content for the roles that read it
/// (and that read is audited, naming the notes shown).
pub async fn list(
    app: &App,
    caller: &Caller,
    patient_id: i64,
    request: ListRequest,
    page: Page,
) -> Result<(Vec<Note>, i64)> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let query = ListQuery { patient_id, appointment_id: request.appointment_id, status: request.status };
            let (notes, total) = store::list(tx, &query, page.limit(), page.offset())?;
            if may_read_content(&caller) && !notes.is_empty() {
                let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
                let details = serde_json::json!({ "patient_id": patient_id, "note_ids": ids });
                audit::record(tx, app2.clock.now(), Actor::from(&caller), "note.list", "note", None, Some(details))?;
            }
            Ok((shown(tx, &caller, notes)?, total))
        })
        .await
}

/// One note with its addenda; the read is audited.
pub async fn get(app: &App, caller: &Caller, id: i64) -> Result<Note> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let note = visible_note(tx, &app2, &caller, id)?;
            audit_note(tx, &app2, &caller, "note.read", &note)?;
            one(tx, &caller, note)
        })
        .await
}

/// A draft's note, refused when the caller is not its author or it is no longer a draft.
fn own_draft(conn: &Connection, app: &App, caller: &Caller, id: i64) -> Result<Note> {
    let note = visible_note(conn, app, caller, id)?;
    match note.status {
        NoteStatus::Signed => {
            return Err(Error::conflict(ErrorCode::NoteSigned, "the note is signed: add an addendum to correct it"));
        }
        NoteStatus::Discarded => return Err(Error::conflict(ErrorCode::NoteDiscarded, "the note was discarded")),
        NoteStatus::Draft => {}
    }
    if caller.staff_id != Some(note.author_id) {
        return Err(Error::forbidden("only the note's author changes, signs or discards a draft"));
    }
    Ok(note)
}

pub async fn update(app: &App, caller: &Caller, id: i64, patch: NotePatch) -> Result<Note> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let note = own_draft(tx, &app2, &caller, id)?;
            let template = template_of(tx, &note.template, "template")?;
            let mut content = note.content.clone().unwrap_or_default();
            let mut v = Validator::new();
            if let Some(changes) = &patch.content {
                check_content(&template, changes, &mut v);
                for (key, value) in changes {
                    if value.is_empty() {
                        content.remove(key);
                    } else {
                        content.insert(key.clone(), value.clone());
                    }
                }
            }
            v.finish()?;
            let appointment_id = match patch.appointment_id {
                MaybeUndefined::Value(appointment) => {
                    check_appointment(tx, note.patient_id, appointment)?;
                    Some(appointment)
                }
                MaybeUndefined::Null => None,
                MaybeUndefined::Undefined => note.appointment_id,
            };
            store::update_draft(tx, id, &content, appointment_id, app2.clock.now())?;
            let note = store::get(tx, id)?.ok_or_else(not_found)?;
            audit_note(tx, &app2, &caller, "note.update", &note)?;
            changes::record(tx, app2.clock.now(), "note", id, ChangeOp::Update)?;
            one(tx, &caller, note)
        })
        .await
}

/// Signs a draft: from now on it never changes.
pub async fn sign(app: &App, caller: &Caller, id: i64) -> Result<Note> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let note = own_draft(tx, &app2, &caller, id)?;
            if note.content.as_ref().is_none_or(|c| c.values().all(|t| !text::has_visible(t))) {
                return Err(Error::invalid_field("content", "is empty: write the note before signing it"));
            }
            store::set_status(tx, id, NoteStatus::Signed, caller.staff_id, app2.clock.now())?;
            let note = store::get(tx, id)?.ok_or_else(not_found)?;
            audit_note(tx, &app2, &caller, "note.sign", &note)?;
            changes::record(tx, app2.clock.now(), "note", id, ChangeOp::Update)?;
            one(tx, &caller, note)
        })
        .await
}

/// Discards a draft: kept, marked, and left out of lists by default.
pub async fn discard(app: &App, caller: &Caller, id: i64) -> Result<Note> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            own_draft(tx, &app2, &caller, id)?;
            store::set_status(tx, id, NoteStatus::Discarded, caller.staff_id, app2.clock.now())?;
            let note = store::get(tx, id)?.ok_or_else(not_found)?;
            audit_note(tx, &app2, &caller, "note.discard", &note)?;
            changes::record(tx, app2.clock.now(), "note", id, ChangeOp::Archive)?;
            one(tx, &caller, note)
        })
        .await
}

/// Adds a signed addendum to a signed note: how a signed note is corrected.
pub async fn add_addendum(app: &App, caller: &Caller, id: i64, input: NewAddendum) -> Result<Note> {
    let author = author_id(caller)?;
    if !text::has_visible(&input.text) {
        return Err(Error::invalid_field("text", "must contain visible characters"));
    }
    if let Some(problem) = text::multiline_problem(&input.text) {
        return Err(Error::invalid_field("text", problem));
    }
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let note = visible_note(tx, &app2, &caller, id)?;
            if note.status != NoteStatus::Signed {
                return Err(Error::conflict(
                    ErrorCode::NoteNotSigned,
                    "only a signed note takes addenda: change the draft instead",
                ));
            }
            store::add_addendum(tx, id, &input.text, author, app2.clock.now())?;
            audit_note(tx, &app2, &caller, "note.addendum", &note)?;
            changes::record(tx, app2.clock.now(), "note", id, ChangeOp::Update)?;
            one(tx, &caller, note)
        })
        .await
}

/// Completed appointments of the last 60 days with no signed note: the
/// caller's own when they are a clinician (or `clinician_id`'s), else all.
pub async fn pending(app: &App, caller: &Caller, clinician_id: Option<i64>) -> Result<Vec<PendingNote>> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .read(move |conn| {
            let own = match caller.staff_id {
                Some(staff) => appointments::clinician_of_staff(conn, staff)?,
                None => None,
            };
            let clinician = clinician_id.or(own);
            let since = app2.clock.now() - chrono::Duration::days(PENDING_DAYS);
            let visits = appointments::completed_since(conn, clinician, since, 500)?;
            let scope = crate::patients::scope::Scope::of(conn, &caller, app2.patients_booked_with)?;
            let visits: Vec<_> = visits.into_iter().filter(|v| scope.sees(v.patient_id)).collect();
            let ids: Vec<i64> = visits.iter().map(|v| v.appointment_id).collect();
            let notes = store::notes_for_appointments(conn, &ids)?;
            let patients: Vec<i64> = visits.iter().map(|v| v.patient_id).collect();
            let names = crate::patients::store::names(conn, &patients)?;
            Ok(visits
                .into_iter()
                .filter(|v| !notes.get(&v.appointment_id).is_some_and(|(signed, _)| *signed))
                .map(|v| PendingNote {
                    appointment_id: v.appointment_id,
                    clinician_id: v.clinician_id,
                    service_id: v.service_id,
                    patient_id: v.patient_id,
                    patient_name: names.get(&v.patient_id).map(|(g, f)| format!("{g} {f}")).unwrap_or_default(),
                    start: v.start,
                    draft_note_id: notes.get(&v.appointment_id).and_then(|(_, draft)| *draft),
                })
                .collect())
        })
        .await
}
