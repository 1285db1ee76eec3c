//! What each kind of record looks like in the index. A new kind joins
//! search by adding a variant here and its `load`/`page` mapping.

use rusqlite::Connection;

use crate::auth::model::StaffMember;
use crate::kit::error::Result;
use crate::patients::model::{Patient, PatientStatus};
use crate::records::attachments::model::Attachment;
use crate::records::attachments::store as attachments;
use crate::records::notes::model::{Note, NoteStatus};
use crate::records::notes::store as notes;

/// A kind of record search finds.
#[derive(poem_openapi::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[oai(rename = "SearchKind", rename_all = "snake_case")]
pub enum Kind {
    Patient,
    Staff,
    /// A clinical note: its sections and addenda.
    Note,
    /// A file on a patient's record: its name and description.
    Attachment,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Patient, Kind::Staff, Kind::Note, Kind::Attachment];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Patient => "patient",
            Kind::Staff => "staff",
            Kind::Note => "note",
            Kind::Attachment => "attachment",
        }
    }

    /// Whether the record belongs to a patient (whose scope then applies).
    pub fn is_on_a_patient(self) -> bool {
        matches!(self, Kind::Note | Kind::Attachment)
    }

    pub fn parse(value: &str) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// One record as the index sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchDoc {
    pub kind: Kind,
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub snippet: String,
    /// Names and email, matched by words with typos and prefixes.
    pub words: String,
    /// Phone numbers as digits (E.164 without `+`).
    pub phones: Vec<String>,
    /// `YYYY-MM-DD`.
    pub dates: Vec<String>,
    pub archived: bool,
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

pub fn from_patient(p: &Patient) -> SearchDoc {
    let mut subtitle = Vec::new();
    if let Some(born) = p.date_of_birth {
        subtitle.push(format!("born {}", born.format("%Y-%m-%d")));
    }
    if let Some(phone) = &p.phone {
        subtitle.push(phone.clone());
    }
    let words = [Some(&p.given_name), Some(&p.family_name), p.preferred_name.as_ref(), p.email.as_ref()]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    SearchDoc {
        kind: Kind::Patient,
        id: p.id,
        title: format!("{} {}", p.given_name, p.family_name),
        subtitle: subtitle.join(" · "),
        snippet: [p.email.clone(), p.preferred_name.as_ref().map(|n| format!("prefers {n}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        words,
        phones: p.phone.iter().map(|phone| digits(phone)).collect(),
        dates: p.date_of_birth.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect(),
        archived: p.status == PatientStatus::Archived,
    }
}

pub fn from_staff(s: &StaffMember) -> SearchDoc {
    SearchDoc {
        kind: Kind::Staff,
        id: s.id,
        title: s.name.clone(),
        subtitle: s.role.as_str().replace('_', " "),
        snippet: s.email.clone(),
        words: format!("{} {}", s.name, s.email),
        phones: Vec::new(),
        dates: Vec::new(),
        archived: !s.active,
    }
}

/// A few words of a longer text, cut at a character boundary.
fn opening(text: &str, chars: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// A note's sections and addenda. Whose note it is comes from the database
/// at search time (a merge moves notes between records).
fn from_notes(conn: &Connection, notes: Vec<Note>) -> Result<Vec<SearchDoc>> {
    let templates: std::collections::HashMap<String, String> =
        notes::templates(conn)?.into_iter().map(|t| (t.id, t.name)).collect();
    let mut addenda = notes::addenda_of(conn, &notes.iter().map(|n| n.id).collect::<Vec<_>>())?;
    Ok(notes
        .into_iter()
        .map(|note| {
            let mut text: Vec<String> = note.content.clone().unwrap_or_default().into_values().collect();
            text.extend(addenda.remove(&note.id).unwrap_or_default().into_iter().map(|a| a.text));
            let body = text.join("\n");
            let (status, at) = match note.status {
                NoteStatus::Signed => ("signed", note.signed_at.unwrap_or(note.updated_at)),
                NoteStatus::Draft => ("draft", note.updated_at),
                NoteStatus::Discarded => ("discarded", note.updated_at),
            };
            SearchDoc {
                kind: Kind::Note,
                id: note.id,
                title: templates.get(&note.template).cloned().unwrap_or_else(|| note.template.clone()),
                subtitle: format!("{status} {}", at.format("%Y-%m-%d")),
                snippet: opening(&body, 160),
                words: body,
                phones: Vec::new(),
                dates: vec![note.created_at.format("%Y-%m-%d").to_string()],
                archived: note.status == NoteStatus::Discarded,
            }
        })
        .collect())
}

fn from_attachment(a: &Attachment) -> SearchDoc {
    let filename = a.filename.clone().unwrap_or_default();
    let description = a.description.clone().unwrap_or_default();
    SearchDoc {
        kind: Kind::Attachment,
        id: a.id,
        title: filename.clone(),
        subtitle: format!("file {}", a.created_at.format("%Y-%m-%d")),
        snippet: description.clone(),
        // The name's parts are words too: "mri_knee.pdf" is found by "knee".
        words: format!("{} {description}", filename.replace(['_', '-', '.'], " ")),
        phones: Vec::new(),
        dates: vec![a.created_at.format("%Y-%m-%d").to_string()],
        archived: false,
    }
}

/// The current document of one record; `None` when there is none.
pub fn load(conn: &Connection, kind: Kind, id: i64) -> Result<Option<SearchDoc>> {
    Ok(match kind {
        Kind::Patient => crate::patients::store::get(conn, id)?.as_ref().map(from_patient),
        Kind::Staff => crate::auth::store::staff_by_id(conn, id)?.as_ref().map(from_staff),
        Kind::Note => from_notes(conn, notes::get(conn, id)?.into_iter().collect())?.pop(),
        Kind::Attachment => attachments::get(conn, id)?.as_ref().map(from_attachment),
    })
}

/// Documents in id order after `after_id`, for a rebuild.
pub fn page(conn: &Connection, kind: Kind, after_id: i64, limit: i64) -> Result<Vec<SearchDoc>> {
    Ok(match kind {
        Kind::Patient => crate::patients::store::page_after(conn, after_id, limit)?.iter().map(from_patient).collect(),
        Kind::Staff => crate::auth::store::staff_page_after(conn, after_id, limit)?.iter().map(from_staff).collect(),
        Kind::Note => from_notes(conn, notes::page_after(conn, after_id, limit)?)?,
        Kind::Attachment => attachments::page_after(conn, after_id, limit)?.iter().map(from_attachment).collect(),
    })
}

pub fn count(conn: &Connection, kind: Kind) -> Result<i64> {
    match kind {
        Kind::Patient => crate::patients::store::count(conn),
        Kind::Staff => crate::auth::store::count_staff(conn),
        Kind::Note => notes::count(conn),
        Kind::Attachment => attachments::count(conn),
    }
}

/// The patient each of these records is on now, for records on a patient.
pub fn patients_of(conn: &Connection, kind: Kind, ids: &[i64]) -> Result<std::collections::HashMap<i64, i64>> {
    match kind {
        Kind::Note => notes::patients_of(conn, ids),
        Kind::Attachment => attachments::patients_of(conn, ids),
        Kind::Patient | Kind::Staff => Ok(Default::default()),
    }
}
