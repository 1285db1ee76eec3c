use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum NoteStatus {
    /// Being written; its author may change or discard it.
    Draft,
    /// Locked: corrected only by addenda.
    Signed,
    /// Thrown away by its author before signing; kept, not listed by default.
    Discarded,
}

crate::kit::sql::text_enum!(NoteStatus {
    Draft => "draft",
    Signed => "signed",
    Discarded => "discarded",
});

/// One named part of a note.
#[derive(Object, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(deny_unknown_fields)]
pub struct TemplateSection {
    /// The key under which `content` holds its text, e.g. `subjective`.
    #[oai(validator(pattern = "^[a-z][a-z0-9_]{0,39}$"))]
    pub key: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub label: String,
}

/// The sections a note is written in.
#[derive(Object, Clone, Debug)]
pub struct NoteTemplate {
    /// `soap`, `progress`, `intake`, or a clinic's own.
    pub id: String,
    pub name: String,
    pub sections: Vec<TemplateSection>,
    /// Comes with Clinicbox.
    pub built_in: bool,
}

/// A clinic's own template.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewNoteTemplate {
    /// Lower-case letters, digits and dashes, e.g. `physio-review`.
    #[oai(validator(pattern = "^[a-z0-9][a-z0-9-]{1,39}$"))]
    pub id: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(min_items = 1, max_items = 20))]
    pub sections: Vec<TemplateSection>,
}

/// A new draft.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewNote {
    /// A template id from `GET /note-templates`.
    #[oai(validator(max_length = 40))]
    pub template: String,
    /// The appointment the note is about: one of this patient's.
    #[oai(validator(minimum(value = "1")))]
    pub appointment_id: Option<i64>,
    /// Text by section key; sections left out are empty. At most 20,000 characters a section.
    #[oai(validator(max_properties = 20))]
    pub content: BTreeMap<String, String>,
}

/// Changes to a draft: each section given replaces that section's text
/// (an empty string empties it); sections left out stay.
#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct NotePatch {
    #[oai(validator(max_properties = 20))]
    pub content: Option<BTreeMap<String, String>>,
    /// `null` unlinks the note from its appointment.
    #[oai(validator(minimum(value = "1")))]
    pub appointment_id: MaybeUndefined<i64>,
}

/// A correction to a signed note, signed as it is added.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewAddendum {
    #[oai(validator(min_length = 1, max_length = 20000))]
    pub text: String,
}

#[derive(Object, Clone, Debug)]
pub struct Addendum {
    pub id: i64,
    pub text: String,
    /// Staff id of who wrote and signed it.
    pub author_id: i64,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub signed_at: DateTime<Utc>,
}

/// A clinical note. `content` and `addenda` are left out for a caller whose
/// role does not read clinical content (they see that the note exists, and when).
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Note {
    pub id: i64,
    pub patient_id: i64,
    pub appointment_id: Option<i64>,
    pub template: String,
    pub content: Option<BTreeMap<String, String>>,
    pub status: NoteStatus,
    /// Staff id of who wrote it.
    pub author_id: i64,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub discarded_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub addenda: Option<Vec<Addendum>>,
}

/// A completed appointment with no signed note yet.
#[derive(Object, Clone, Debug)]
pub struct PendingNote {
    pub appointment_id: i64,
    pub clinician_id: i64,
    pub service_id: i64,
    pub patient_id: i64,
    /// The patient's given and family name.
    pub patient_name: String,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub start: DateTime<Utc>,
    /// A draft written for it, if any.
    pub draft_note_id: Option<i64>,
}
